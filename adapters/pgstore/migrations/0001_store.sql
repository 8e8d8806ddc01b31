-- The router's state. Every record is kept whole in a JSONB body, in the
-- core's JSON form (docs/json.md); the columns beside it are copies of the
-- fields the store searches on, written in the same statement.

CREATE TABLE tasks (
    id              text    PRIMARY KEY,
    sequence        bigint  NOT NULL,
    version         bigint  NOT NULL,
    open            boolean NOT NULL, -- State is not final: Load returns it
    client_token    text    NOT NULL,
    initial_task_id text    NOT NULL,
    body            jsonb   NOT NULL
);
-- Load: the open tasks, in Sequence order; and the highest Sequence.
CREATE INDEX tasks_open ON tasks (sequence) WHERE open;
CREATE INDEX tasks_sequence ON tasks (sequence);
-- TaskByClientToken: the newest task with a token.
CREATE INDEX tasks_client_token ON tasks (client_token, sequence DESC) WHERE client_token <> '';
-- Chain: the tasks of one chain in Sequence order.
CREATE INDEX tasks_chain ON tasks (initial_task_id, sequence);

CREATE TABLE agents   (id text PRIMARY KEY, body jsonb NOT NULL);
CREATE TABLE queues   (id text PRIMARY KEY, body jsonb NOT NULL);
CREATE TABLE profiles (id text PRIMARY KEY, body jsonb NOT NULL);

-- One row: the highest Event.Seq ever written (Snapshot.LastEventSeq).
CREATE TABLE meta (
    id             int    PRIMARY KEY CHECK (id = 1),
    last_event_seq bigint NOT NULL
);
INSERT INTO meta VALUES (1, 0);

-- put_task writes one version of a task: version 1 inserts, version n
-- replaces version n-1. Anything else raises SB409, which the store reports
-- as switchboard.ErrConflict; raising aborts the whole change.
CREATE FUNCTION put_task(p_id text, p_sequence bigint, p_version bigint, p_open boolean,
                         p_client_token text, p_initial_task_id text, p_body jsonb)
RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    stored bigint;
BEGIN
    IF p_version = 1 THEN
        INSERT INTO tasks VALUES (p_id, p_sequence, 1, p_open, p_client_token, p_initial_task_id, p_body)
        ON CONFLICT (id) DO NOTHING;
        IF FOUND THEN
            RETURN;
        END IF;
    ELSIF p_version > 1 THEN
        UPDATE tasks SET sequence = p_sequence, version = p_version, open = p_open,
               client_token = p_client_token, initial_task_id = p_initial_task_id, body = p_body
         WHERE id = p_id AND version = p_version - 1;
        IF FOUND THEN
            RETURN;
        END IF;
    END IF;
    SELECT version INTO stored FROM tasks WHERE id = p_id;
    RAISE EXCEPTION 'task % has version %, stored %', p_id, p_version, coalesce(stored, 0)
        USING ERRCODE = 'SB409';
END
$$;

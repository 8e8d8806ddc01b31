-- write_change writes one change (or a merged group of changes) in one
-- statement: the fencing check, the tasks, the events, the upserts and the
-- deletes that Store.Write used to send as four to eight statements. The
-- server then pays for one statement per commit instead of one per kind of
-- record, and the plans of the statements inside are cached for the
-- session.
--
-- Tasks come as two sets, each task at most once (the store merges the
-- versions of one task written in one group into its last): new tasks,
-- inserted, and updated tasks, whose stored version must be u_prev. A task
-- that is not where the change expects it raises SB409 (switchboard's
-- ErrConflict) and a stale fencing token SB403 (ErrFenced); raising aborts
-- the whole transaction. p_token 0 means an unfenced store.
--
-- The events are inserted without ON CONFLICT: a Seq is written once (the
-- router continues the event log after the store's LastEventSeq), so a
-- repeated Seq is an error, not an overwrite. The high-water mark in meta is
-- no longer raised by each write: Load reads the greater of meta and the
-- highest stored Seq, and the outbox raises meta when it prunes events.
--
-- The body names its tables with the schema spelled out (format with %1$I)
-- instead of SET search_path FROM CURRENT, which costs a configuration
-- change and its undo on every call. CREATE OR REPLACE keeps the migration
-- safe to repeat.
--
-- Tasks are written one statement per task, in a loop, rather than with
-- one INSERT and one UPDATE ... FROM unnest(...): the set-based form took
-- about 2.5 times as long on the server for the one task a change usually
-- holds (server log, 1 producer, same run). Events and upserts stay one
-- statement over unnest (a loop measured no different).
DO $migration$
BEGIN
EXECUTE format($create$
CREATE OR REPLACE FUNCTION %1$I.write_change(
    p_token bigint,
    n_id text[], n_sequence bigint[], n_version bigint[], n_open boolean[],
    n_client_token text[], n_initial_task_id text[], n_body jsonb[],
    u_id text[], u_sequence bigint[], u_prev bigint[], u_version bigint[], u_open boolean[],
    u_client_token text[], u_initial_task_id text[], u_body jsonb[],
    e_seq bigint[], e_body jsonb[],
    a_id text[], a_body jsonb[], q_id text[], q_body jsonb[], p_id text[], p_body jsonb[],
    del_agents text[], del_queues text[], del_profiles text[])
RETURNS void LANGUAGE plpgsql AS $body$
DECLARE
    current_token bigint;
    bad_stored bigint;
BEGIN
    IF p_token <> 0 THEN
        SELECT token INTO current_token FROM %1$I.lease WHERE id = 1 FOR SHARE;
        IF current_token IS DISTINCT FROM p_token THEN
            RAISE EXCEPTION 'fencing token %% is stale: the lease is at %%', p_token, current_token
                USING ERRCODE = 'SB403';
        END IF;
    END IF;

    FOR i IN 1..coalesce(cardinality(n_id), 0) LOOP
        INSERT INTO %1$I.tasks (id, sequence, version, open, client_token, initial_task_id, body)
        VALUES (n_id[i], n_sequence[i], n_version[i], n_open[i], n_client_token[i], n_initial_task_id[i], n_body[i])
        ON CONFLICT (id) DO NOTHING;
        IF NOT FOUND THEN
            SELECT version INTO bad_stored FROM %1$I.tasks WHERE id = n_id[i];
            RAISE EXCEPTION 'task %% has version %%, stored %%', n_id[i], 1, bad_stored
                USING ERRCODE = 'SB409';
        END IF;
    END LOOP;
    FOR i IN 1..coalesce(cardinality(u_id), 0) LOOP
        UPDATE %1$I.tasks SET sequence = u_sequence[i], version = u_version[i], open = u_open[i],
               client_token = u_client_token[i], initial_task_id = u_initial_task_id[i], body = u_body[i]
         WHERE id = u_id[i] AND version = u_prev[i];
        IF NOT FOUND THEN
            SELECT version INTO bad_stored FROM %1$I.tasks WHERE id = u_id[i];
            RAISE EXCEPTION 'task %% has version %%, stored %%', u_id[i], u_prev[i] + 1, coalesce(bad_stored, 0)
                USING ERRCODE = 'SB409';
        END IF;
    END LOOP;

    IF cardinality(e_seq) > 0 THEN
        INSERT INTO %1$I.events (seq, body) SELECT * FROM unnest(e_seq, e_body);
    END IF;

    IF cardinality(a_id) > 0 THEN
        INSERT INTO %1$I.agents (id, body) SELECT * FROM unnest(a_id, a_body)
        ON CONFLICT (id) DO UPDATE SET body = excluded.body;
    END IF;
    IF cardinality(q_id) > 0 THEN
        INSERT INTO %1$I.queues (id, body) SELECT * FROM unnest(q_id, q_body)
        ON CONFLICT (id) DO UPDATE SET body = excluded.body;
    END IF;
    IF cardinality(p_id) > 0 THEN
        INSERT INTO %1$I.profiles (id, body) SELECT * FROM unnest(p_id, p_body)
        ON CONFLICT (id) DO UPDATE SET body = excluded.body;
    END IF;

    IF cardinality(del_agents) > 0 THEN
        DELETE FROM %1$I.agents WHERE id = ANY(del_agents);
    END IF;
    IF cardinality(del_queues) > 0 THEN
        DELETE FROM %1$I.queues WHERE id = ANY(del_queues);
    END IF;
    IF cardinality(del_profiles) > 0 THEN
        DELETE FROM %1$I.profiles WHERE id = ANY(del_profiles);
    END IF;
END
$body$
$create$, current_schema());
END
$migration$;

-- Since this migration the event high-water mark is the highest stored Seq
-- (and meta's mark only for what was pruned). A process built before it
-- reads meta alone, so were it to take the lease after a newer process had
-- written, it would continue the log from too low a Seq, and its event
-- insert (ON CONFLICT DO UPDATE) would overwrite stored events. This trigger
-- refuses any rewrite of an event's body, so such a process fails its
-- writes instead; marking events delivered (an UPDATE of delivered_at only)
-- does not fire it, nor does anything the current store does.
CREATE OR REPLACE FUNCTION refuse_event_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'event % is stored already: an event is written once (is this process older than the schema?)', OLD.seq
        USING ERRCODE = 'unique_violation';
END
$$;
DROP TRIGGER IF EXISTS events_written_once ON events;
CREATE TRIGGER events_written_once BEFORE UPDATE OF body ON events
    FOR EACH ROW EXECUTE FUNCTION refuse_event_rewrite();

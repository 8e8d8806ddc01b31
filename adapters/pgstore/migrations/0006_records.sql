-- switchboard.RecordStore: contact records, the body in the core's JSON
-- form (ContactRecord.MarshalJSON), plus the columns a search filters and
-- sorts on. Timestamps are numeric nanoseconds since the Unix epoch, exact
-- to the nanosecond as Go compares them; a timestamp that did not happen
-- holds the Go zero time's value (-62135596800000000000), which sorts first
-- as in Go and which a time range excludes explicitly. Text columns that a
-- search compares or sorts use the "C" collation: byte order, as Go's.
-- name_lc and desc_lc are Name and Description lowercased by Go
-- (strings.ToLower), for the case-insensitive text criteria.
CREATE TABLE records (
    id                text COLLATE "C" PRIMARY KEY,
    last_seq          numeric NOT NULL,
    initiated_at      numeric NOT NULL,
    scheduled_at      numeric NOT NULL,
    connected_at      numeric NOT NULL,
    disconnected_at   numeric NOT NULL,
    enqueued_at       numeric NOT NULL,
    expires_at        numeric NOT NULL,
    queue_id          text COLLATE "C" NOT NULL,
    agent_id          text COLLATE "C" NOT NULL,
    channel           text COLLATE "C" NOT NULL,
    initiation_method text COLLATE "C" NOT NULL,
    state             text COLLATE "C" NOT NULL,
    initial_task_id   text COLLATE "C" NOT NULL,
    previous_task_id  text COLLATE "C" NOT NULL,
    related_task_id   text COLLATE "C" NOT NULL,
    name_lc           text COLLATE "C" NOT NULL,
    desc_lc           text COLLATE "C" NOT NULL,
    body              jsonb NOT NULL
);
-- Each time-range field, overall, within a queue and for an agent, each
-- ending with id: a search reads its range in sort order (the key the page
-- token continues from) and stops at the page's end.
CREATE INDEX records_initiated       ON records (initiated_at, id);
CREATE INDEX records_queue_initiated ON records (queue_id, initiated_at, id);
CREATE INDEX records_agent_initiated ON records (agent_id, initiated_at, id);
CREATE INDEX records_scheduled       ON records (scheduled_at, id);
CREATE INDEX records_queue_scheduled ON records (queue_id, scheduled_at, id);
CREATE INDEX records_agent_scheduled ON records (agent_id, scheduled_at, id);
CREATE INDEX records_connected       ON records (connected_at, id);
CREATE INDEX records_queue_connected ON records (queue_id, connected_at, id);
CREATE INDEX records_agent_connected ON records (agent_id, connected_at, id);
CREATE INDEX records_disconnected       ON records (disconnected_at, id);
CREATE INDEX records_queue_disconnected ON records (queue_id, disconnected_at, id);
CREATE INDEX records_agent_disconnected ON records (agent_id, disconnected_at, id);
CREATE INDEX records_enqueued       ON records (enqueued_at, id);
CREATE INDEX records_queue_enqueued ON records (queue_id, enqueued_at, id);
CREATE INDEX records_agent_enqueued ON records (agent_id, enqueued_at, id);
-- The links LinkedRecords follows.
CREATE INDEX records_initial  ON records (initial_task_id);
CREATE INDEX records_previous ON records (previous_task_id);
CREATE INDEX records_related  ON records (related_task_id);

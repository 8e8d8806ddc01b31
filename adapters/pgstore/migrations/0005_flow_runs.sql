-- switchboard.FlowStore: the position of each task's flow. state is the
-- runner's JSON kept byte for byte (bytea, not jsonb, which would reorder
-- keys and respace it).
CREATE TABLE flow_runs (
    task_id text  PRIMARY KEY,
    flow_id text  NOT NULL,
    state   bytea NOT NULL
);

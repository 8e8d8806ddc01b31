-- The event outbox: every event a change carries, written in the change's
-- transaction. Outbox.Deliver hands undelivered events to the host in Seq
-- order and then sets delivered_at.
CREATE TABLE events (
    seq          bigint      PRIMARY KEY,
    body         jsonb       NOT NULL,
    delivered_at timestamptz
);
CREATE INDEX events_undelivered ON events (seq) WHERE delivered_at IS NULL;

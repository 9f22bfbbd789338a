-- What `GET /v1/stream` tells each user, in the order it became visible: one row per change a
-- user sees (a notification arrives, is read or unread, the inbox is read, a channel reports,
-- an operation of theirs resolves), written by the projector in the transaction that makes
-- the change. A row is readable once no transaction older than its own is still running
-- (`xid < pg_snapshot_xmin(pg_current_snapshot())`), so (xid, position) only grows in the order
-- rows become readable, and a reader resuming after one never misses a row committed late.
-- Rows live for a day; `stream_horizon` is the newest one swept, so a reader resuming from
-- before it knows it missed some.
CREATE TABLE stream (
    xid              xid8 NOT NULL DEFAULT pg_current_xact_id(),
    position         bigserial NOT NULL,
    user_id          text NOT NULL,
    kind             text NOT NULL,
    notification_id  uuid,
    operation_id     uuid NOT NULL,
    data             jsonb NOT NULL,
    time             timestamptz NOT NULL,
    PRIMARY KEY (xid, position)
);
CREATE INDEX stream_user ON stream (user_id, xid, position);
CREATE INDEX stream_time ON stream (time);

CREATE TABLE stream_horizon (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    xid        xid8 NOT NULL,
    position   bigint NOT NULL
);

-- The read DB: built only by the projector from events, and rebuilt from the event store by
-- `notify-server rebuild-read-model`. Every column derives from event data and event times,
-- never from the clock of the projector, so a rebuild equals the live projection.

-- Events already applied (or parked in pending_events): a redelivered event changes nothing.
CREATE TABLE applied_events (
    event_id  uuid PRIMARY KEY
);

-- The last version applied per aggregate: a stale or repeated version is ignored.
CREATE TABLE aggregate_versions (
    aggregate_id  uuid PRIMARY KEY,
    version       integer NOT NULL
);

-- Events that arrived before an earlier version of their aggregate; applied when it comes.
CREATE TABLE pending_events (
    aggregate_id  uuid NOT NULL,
    version       integer NOT NULL,
    document      jsonb NOT NULL,
    PRIMARY KEY (aggregate_id, version)
);

CREATE TABLE notifications (
    id             uuid PRIMARY KEY,
    operation_id   uuid NOT NULL,
    sender         text NOT NULL,
    recipient      text NOT NULL,
    title          text,
    body           text NOT NULL,
    priority       text NOT NULL,
    tags           text[] NOT NULL,
    channels       text[] NOT NULL,
    thread         text,
    status         text NOT NULL,
    requested_at   timestamptz NOT NULL,
    deliver_at     timestamptz,
    dispatched_at  timestamptz,
    read_at        timestamptz,
    search         tsvector GENERATED ALWAYS AS
                       (to_tsvector('simple', coalesce(title, '') || ' ' || body)) STORED
);
-- The inbox, newest first, with keyset pagination on (dispatched_at, id).
CREATE INDEX notifications_inbox ON notifications (recipient, dispatched_at DESC, id DESC)
    WHERE dispatched_at IS NOT NULL;
CREATE INDEX notifications_unread ON notifications (recipient)
    WHERE dispatched_at IS NOT NULL AND read_at IS NULL;
CREATE INDEX notifications_sent ON notifications (sender, requested_at DESC, id DESC);
CREATE INDEX notifications_search ON notifications USING gin (search);
CREATE INDEX notifications_tags ON notifications USING gin (tags);

-- Each notification's history: one row per event of its aggregate.
CREATE TABLE timeline (
    event_id         uuid PRIMARY KEY,
    notification_id  uuid NOT NULL,
    sequence         integer NOT NULL,
    kind             text NOT NULL,
    time             timestamptz NOT NULL,
    source           text NOT NULL,
    operation_id     uuid NOT NULL,
    data             jsonb NOT NULL,
    UNIQUE (notification_id, sequence)
);

-- Per user: everything dispatched up to read_all_up_to counts as read, even when its
-- dispatch is projected after the read-all.
CREATE TABLE inboxes (
    user_id         text PRIMARY KEY,
    read_all_up_to  timestamptz NOT NULL
);

CREATE TABLE operations (
    id           uuid PRIMARY KEY,
    requester    text NOT NULL,
    kind         text NOT NULL,
    status       text NOT NULL,
    resolved_at  timestamptz
);
CREATE INDEX operations_requester ON operations (requester);

CREATE TABLE operation_notifications (
    operation_id     uuid NOT NULL REFERENCES operations (id),
    notification_id  uuid NOT NULL,
    PRIMARY KEY (operation_id, notification_id)
);

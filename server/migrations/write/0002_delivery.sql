-- Delivery: the write side's view of preferences, and the dispatcher's saga state.

-- The current preferences per user, written with each preferences.updated event. The webhook
-- secret lives only here: it is never part of an event.
CREATE TABLE user_preferences (
    user_id         text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    channels        text[] NOT NULL,
    email           text,
    webhook_url     text,
    webhook_secret  text
);

-- One saga per dispatched notification; inserting it is what starts the saga, so two
-- dispatchers never start it twice.
CREATE TABLE sagas (
    notification_id  uuid PRIMARY KEY,
    operation_id     uuid NOT NULL,
    recipient        text NOT NULL,
    is_escalation    boolean NOT NULL,
    status           text NOT NULL CHECK (status IN ('running', 'delivered', 'failed')),
    started_at       timestamptz NOT NULL DEFAULT now()
);

-- One row per channel of a saga.
CREATE TABLE deliveries (
    id               uuid PRIMARY KEY,
    notification_id  uuid NOT NULL REFERENCES sagas (notification_id),
    recipient        text NOT NULL,
    channel          text NOT NULL,
    address          text NOT NULL,
    attempt          integer NOT NULL,
    status           text NOT NULL CHECK (status IN ('pending', 'retry_wait', 'succeeded', 'failed')),
    next_attempt_at  timestamptz,
    deadline         timestamptz NOT NULL,
    detail           text
);
CREATE INDEX deliveries_notification ON deliveries (notification_id);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'retry_wait';
CREATE INDEX deliveries_deadline ON deliveries (deadline) WHERE status = 'pending';

-- The outcome of each attempt, written with its outcome event: a redelivered request whose
-- attempt already has an outcome, or whose delivery already succeeded, sends nothing.
CREATE TABLE delivery_outcomes (
    delivery_id  uuid NOT NULL,
    attempt      integer NOT NULL,
    succeeded    boolean NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);

-- Effects that happened twice: a worker sent, then found that another had already recorded
-- an outcome for the same attempt (the crash-after-send window). Counted, never hidden.
CREATE TABLE effect_duplicates (
    delivery_id  uuid NOT NULL,
    attempt      integer NOT NULL,
    channel      text NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);

-- Escalation notifications and the notification whose failure they report; an escalation
-- never escalates itself.
CREATE TABLE escalations (
    escalation_id    uuid PRIMARY KEY,
    of_notification  uuid NOT NULL
);

-- The write DB: users and tokens, the event store, the outbox and idempotency records.

CREATE TABLE users (
    id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- A token is `ntf_<id>_<secret>`; only the SHA-256 of the secret is kept.
CREATE TABLE tokens (
    id           uuid PRIMARY KEY,
    user_id      text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_hash  bytea NOT NULL CHECK (length(secret_hash) = 32),
    scopes       text[] NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tokens_user ON tokens (user_id);

-- Every event ever recorded, as its CloudEvents document. Rows are never updated or deleted.
CREATE TABLE events (
    position      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id            uuid NOT NULL UNIQUE,
    aggregate_id  uuid NOT NULL,
    version       integer NOT NULL CHECK (version > 0),
    kind          text NOT NULL,
    user_id       text NOT NULL,
    operation_id  uuid NOT NULL,
    document      json NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (aggregate_id, version)
);
CREATE INDEX events_operation ON events (operation_id);

-- Events not yet confirmed by the broker. The relay deletes a row only after the broker
-- confirmed its publish; it never keeps a high-water mark, so a row whose transaction commits
-- after a later one is still found.
CREATE TABLE outbox (
    position  bigint PRIMARY KEY REFERENCES events (position)
);

-- One row per command: the operation id is the idempotency key, unique across principals.
CREATE TABLE idempotency_keys (
    key           uuid PRIMARY KEY,
    principal     text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    request_hash  bytea NOT NULL,
    status        smallint NOT NULL,
    response      json NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

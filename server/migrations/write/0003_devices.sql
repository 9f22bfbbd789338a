-- Devices: each user's broker account (one per user, shared by their machines) and machines.

CREATE TABLE broker_accounts (
    user_id   text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    username  text NOT NULL UNIQUE,
    password  text NOT NULL
);

CREATE TABLE devices (
    user_id     text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, name)
);

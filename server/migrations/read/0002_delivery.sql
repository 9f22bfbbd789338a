-- Delivery in the read model: each channel's delivery of a notification, and preferences.

CREATE TABLE deliveries (
    id               uuid PRIMARY KEY,
    notification_id  uuid NOT NULL,
    channel          text NOT NULL,
    address          text NOT NULL,
    status           text NOT NULL,
    attempts         integer NOT NULL,
    detail           text,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX deliveries_notification ON deliveries (notification_id);
CREATE INDEX deliveries_address ON deliveries (channel, address);

CREATE TABLE preferences (
    user_id             text PRIMARY KEY,
    channels            text[] NOT NULL,
    email               text,
    webhook_url         text,
    webhook_secret_set  boolean NOT NULL
);

-- What was asked for, per notification: its aggregate's first event, `notification.requested`.
-- Every statement that needs a notification's request (its sender, channels, text) reads it
-- here, so "the request is version 1" is written once.
CREATE VIEW notification_requests AS
    SELECT aggregate_id AS notification_id, document
    FROM events
    WHERE version = 1 AND kind = 'notification.requested';

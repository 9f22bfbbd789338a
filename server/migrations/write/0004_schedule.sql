-- Scheduled sends: one row per notification whose deliver_at is in the future. The scheduler
-- claims due rows (FOR UPDATE SKIP LOCKED) and appends notification.dispatched; a cancel takes
-- the same row lock. Both act only on 'waiting', so exactly one of the two ever happens.
CREATE TABLE scheduled_notifications (
    notification_id  uuid PRIMARY KEY,
    recipient        text NOT NULL,
    operation_id     uuid NOT NULL,
    deliver_at       timestamptz NOT NULL,
    state            text NOT NULL DEFAULT 'waiting'
                     CHECK (state IN ('waiting', 'dispatched', 'cancelled')),
    changed_at       timestamptz
);

CREATE INDEX scheduled_notifications_due ON scheduled_notifications (deliver_at)
    WHERE state = 'waiting';

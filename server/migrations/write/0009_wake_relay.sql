-- Wakes the relay when outbox rows commit (a NOTIFY is delivered at commit, and once per
-- transaction however often it was raised), whatever statement inserted them: appending can
-- then be part of a larger statement. The channel is `store::OUTBOX_CHANNEL`.
CREATE FUNCTION wake_relay() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('notify_outbox', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER outbox_inserted AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION wake_relay();

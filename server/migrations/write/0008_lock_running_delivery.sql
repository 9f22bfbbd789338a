-- Locks a notification (as `lock_aggregate` does) and reads one delivery of its running saga
-- with the version, in one round trip instead of two: no row when the saga is not running or
-- the delivery is unknown. VOLATILE on purpose: the read takes a fresh snapshot after the
-- lock, so it sees what the transaction it waited for committed.
CREATE FUNCTION lock_running_delivery(aggregate uuid, lock_key bigint, delivery uuid)
RETURNS TABLE (version integer, operation_id uuid, recipient text, notification_id uuid,
               channel text, address text, attempt integer, status text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    current integer;
BEGIN
    current := lock_aggregate(aggregate, lock_key);
    RETURN QUERY
    SELECT current, s.operation_id, s.recipient, d.notification_id, d.channel, d.address,
           d.attempt, d.status
    FROM sagas s JOIN deliveries d ON d.notification_id = s.notification_id
    WHERE s.notification_id = aggregate AND s.status = 'running' AND d.id = delivery;
END
$$;

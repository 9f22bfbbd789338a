-- Locks an aggregate until the transaction ends and returns its current version (0 when it has
-- no events yet), in one round trip instead of two. VOLATILE on purpose: each statement inside
-- takes a fresh snapshot, so the version is read after the lock is granted and includes what
-- the appender it waited for committed.
CREATE FUNCTION lock_aggregate(aggregate uuid, lock_key bigint) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    current integer;
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    SELECT coalesce(max(version), 0) INTO current FROM events WHERE aggregate_id = aggregate;
    RETURN current;
END
$$;

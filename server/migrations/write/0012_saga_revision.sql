-- A saga's revision: every transition of a running saga (a delivery's status, the saga's final
-- status) bumps it, in the transaction that makes the change. A transition decided from the
-- saga as read earlier, without the lock, checks with `lock_saga_at` that nothing moved since.
ALTER TABLE sagas ADD COLUMN revision integer NOT NULL DEFAULT 0;

-- Locks a notification like `lock_aggregate_at` (SQLSTATE NV001 unless its version is still
-- `expected_version`), then bumps its running saga's revision and sets its status to `status`
-- when given, failing with NV001 too unless the saga is still running at `expected_revision`.
-- The update runs after the lock, on a fresh snapshot, so it sees what the transaction it
-- waited for committed.
CREATE FUNCTION lock_saga_at(aggregate uuid, lock_key bigint, expected_version integer,
                             expected_revision integer, status text)
RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM lock_aggregate_at(aggregate, lock_key, expected_version);
    UPDATE sagas s SET revision = s.revision + 1, status = coalesce(lock_saga_at.status, s.status)
    WHERE s.notification_id = aggregate AND s.status = 'running'
      AND s.revision = expected_revision;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the saga of % moved past revision %', aggregate, expected_revision
            USING ERRCODE = 'NV001';
    END IF;
    RETURN expected_revision + 1;
END
$$;

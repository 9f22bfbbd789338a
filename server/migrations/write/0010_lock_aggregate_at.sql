-- Locks an aggregate like `lock_aggregate`, and fails the statement with SQLSTATE NV001 unless
-- its version is still `expected`. For a statement that appends events numbered from a version
-- read earlier, outside any transaction: when another appender came first, the whole
-- statement is undone and the caller takes the locked path instead.
CREATE FUNCTION lock_aggregate_at(aggregate uuid, lock_key bigint, expected integer)
RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    current integer;
BEGIN
    current := lock_aggregate(aggregate, lock_key);
    IF current <> expected THEN
        RAISE EXCEPTION 'aggregate % is at version %, not %', aggregate, current, expected
            USING ERRCODE = 'NV001';
    END IF;
    RETURN current;
END
$$;

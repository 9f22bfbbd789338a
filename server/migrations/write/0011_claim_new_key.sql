-- For a command that needs no reads (an immediate send), in the statement that writes it,
-- with no transaction around it: takes the key's advisory lock without waiting, and fails the
-- statement with SQLSTATE NV002 unless the lock was free, nothing is stored under the key and
-- every recipient exists. The api then takes its transactional path, which answers the
-- repeat, the 409 or the 422 (see claim_idempotency_key).
CREATE FUNCTION claim_new_key(claimed uuid, lock_key bigint, recipients text[])
RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF NOT pg_try_advisory_xact_lock(lock_key)
       OR EXISTS (SELECT FROM idempotency_keys k WHERE k.key = claimed)
       OR EXISTS (SELECT FROM unnest(recipients) AS r (name)
                  WHERE NOT EXISTS (SELECT FROM users u WHERE u.id = r.name)) THEN
        RAISE EXCEPTION 'key % is taken, or a recipient is unknown', claimed
            USING ERRCODE = 'NV002';
    END IF;
    RETURN true;
END
$$;

-- Claims an idempotency key inside the caller's transaction, in one round trip instead of two:
-- takes the key's advisory lock without waiting (`locked` false: the first request is still in
-- flight) and, once it holds it, reads what was stored under the key (all NULL when nothing).
-- VOLATILE on purpose: the read takes a fresh snapshot after the lock, so it sees the record
-- of a first request that committed just before.
CREATE FUNCTION claim_idempotency_key(
    claimed uuid, lock_key bigint,
    OUT locked boolean, OUT owner text, OUT hash bytea, OUT answer_status smallint,
    OUT answer text
)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    locked := pg_try_advisory_xact_lock(lock_key);
    IF locked THEN
        SELECT k.principal, k.request_hash, k.status, k.response::text
        INTO owner, hash, answer_status, answer
        FROM idempotency_keys k WHERE k.key = claimed;
    END IF;
END
$$;

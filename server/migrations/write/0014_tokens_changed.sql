-- Tells api processes that a token changed or went (also when its user was deleted): they
-- keep the tokens they looked up while they listen, and forget one when told (channel
-- `notify_tokens`, the token's id as payload; see api/known_tokens.rs).
CREATE FUNCTION tokens_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('notify_tokens', OLD.id::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER tokens_changed AFTER UPDATE OR DELETE ON tokens
    FOR EACH ROW EXECUTE FUNCTION tokens_changed();

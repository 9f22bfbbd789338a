-- Immediate sends are written in groups now (api/group_commit.rs), which try-lock and check
-- each key in the group's own statement: the one-send claim of 0011 is no longer called.
DROP FUNCTION claim_new_key(uuid, bigint, text[]);

-- Users deleted, and when (the time of their last `user.deleted`): what was addressed to them
-- or sent by them up to then is nobody's, also when a new user of the same name is added later.
CREATE TABLE user_deletions (
    user_id     text PRIMARY KEY,
    deleted_at  timestamptz NOT NULL
);

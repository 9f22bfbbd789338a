-- The relay is woken after the commit (`server/src/wake.rs`), no longer by a NOTIFY inside
-- every appending transaction: PostgreSQL serializes the commits of notifying transactions,
-- flush included, so no two appending commits could share a WAL flush.
DROP TRIGGER outbox_inserted ON outbox;
DROP FUNCTION wake_relay();

-- A worker's outcomes and the dispatcher's starts and outcomes are written in batches, in a
-- transaction under the notifications' locks (workers/runner.rs, dispatcher/saga.rs): the
-- one-statement writes that checked a version (0010) or a saga's revision (0012) and failed
-- as a whole otherwise are no longer called, nor is the saga revision that the latter checked.
DROP FUNCTION lock_aggregate_at(uuid, bigint, integer);
DROP FUNCTION lock_saga_at(uuid, bigint, integer, integer, text);
ALTER TABLE sagas DROP COLUMN revision;

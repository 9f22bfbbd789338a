//! The event store: appends events and their outbox rows to the write DB.
//!
//! Appending is one statement inside the caller's transaction, so a command's events, their
//! outbox rows and what else the command writes commit together or not at all. A caller that
//! writes something with its events in the same round trip puts [`APPEND`] into its own
//! statement (the idempotency answer of a command, a saga's deliveries). This module never
//! publishes anything; the relay does, woken after the commit by the writer's
//! [`RelayWaker`](crate::wake::RelayWaker).
//!
//! # Versions and the aggregate lock
//!
//! `(aggregate_id, version)` is unique, and every appender to an existing aggregate (api,
//! dispatcher, workers) first takes the aggregate's transaction-scoped lock and reads its
//! version in one call, [`lock_aggregate`] (the SQL function of migrations/write/0006), so
//! concurrent appenders queue instead of colliding. The SQL function must stay `VOLATILE`:
//! only then does it read the version on a snapshot taken after the lock was granted
//! (`tests/tests/e2e/store.rs` fails otherwise); `claim_idempotency_key` is `VOLATILE` for
//! the same reason. A statement that takes the lock together with a write (a worker's
//! outcomes) takes the write's rows from the lock's result (`WITH locked AS (SELECT
//! lock_aggregate(…)) … FROM locked`, or `WHERE (SELECT count(*) FROM locked) > 0`), so the
//! write runs after the lock. A batch of several notifications (the dispatcher's, a worker's)
//! takes all its locks in one statement of their own, in [`lock_key`] order, so the statements
//! after it read on a snapshot that includes what the locks waited for, and two batches never
//! deadlock. The group commit of immediate sends try-locks each idempotency key in its
//! statement and leaves out a key that is locked or stored. There is no lock-free path to keep
//! in step: a single event is a batch of one.

use std::sync::LazyLock;

use notify_shared::event::Envelope;
use sqlx::PgConnection;
use sqlx::postgres::{PgArguments, Postgres};
use sqlx::query::Query;
use uuid::Uuid;

/// The common table expressions that append the events bound by [`Events::bind`] (parameters
/// `$1` to `$7`), those that pass `$filter`, and one outbox row each.
macro_rules! append {
    ($filter:literal) => {
        concat!(
            "appended AS (
                 INSERT INTO events (id, aggregate_id, version, kind, user_id, operation_id, document)
                 SELECT id, aggregate_id, version, kind, user_id, operation_id, document::json
                 FROM UNNEST($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::text[], $6::uuid[], $7::text[])
                      AS e (id, aggregate_id, version, kind, user_id, operation_id, document) ",
            $filter,
            "
                 RETURNING position
             ), queued AS (
                 INSERT INTO outbox (position) SELECT position FROM appended
             )"
        )
    };
}

/// The common table expressions that append the events bound by [`Events::bind`] (parameters
/// `$1` to `$7`) and one outbox row each, for `WITH {APPEND}, … SELECT …`. A second event with
/// the same aggregate id and version fails the whole statement.
pub const APPEND: &str = append!("");

/// [`APPEND`] of only the events whose operation is in the statement's `claimed (key)`: the
/// commands of a group that may be written (see `api::group_commit`).
pub const APPEND_CLAIMED: &str = append!("WHERE e.operation_id IN (SELECT key FROM claimed)");

/// Events to append, as the columns [`APPEND`] inserts.
#[derive(Debug)]
pub struct Events<'a> {
    ids: Vec<Uuid>,
    aggregates: Vec<Uuid>,
    versions: Vec<i32>,
    kinds: Vec<&'static str>,
    users: Vec<&'a str>,
    operations: Vec<Uuid>,
    documents: Vec<String>,
}

impl<'a> Events<'a> {
    /// The columns of `events`; fails when one does not serialize or its version is too large.
    pub fn new(events: &'a [Envelope]) -> Result<Self, sqlx::Error> {
        let mut columns = Self {
            ids: Vec::with_capacity(events.len()),
            aggregates: Vec::with_capacity(events.len()),
            versions: Vec::with_capacity(events.len()),
            kinds: Vec::with_capacity(events.len()),
            users: Vec::with_capacity(events.len()),
            operations: Vec::with_capacity(events.len()),
            documents: Vec::with_capacity(events.len()),
        };
        for envelope in events {
            let version =
                i32::try_from(envelope.sequence).map_err(|e| sqlx::Error::Encode(e.into()))?;
            let document =
                serde_json::to_string(envelope).map_err(|e| sqlx::Error::Encode(e.into()))?;
            columns.ids.push(envelope.id);
            columns.aggregates.push(envelope.subject);
            columns.versions.push(version);
            columns.kinds.push(envelope.event.kind());
            columns.users.push(envelope.userid.as_str());
            columns.operations.push(envelope.operationid);
            columns.documents.push(document);
        }
        Ok(columns)
    }

    /// Binds the events as `$1` to `$7` of a statement that contains [`APPEND`]; bind the
    /// statement's own parameters (`$8` on) after this.
    pub fn bind<'q>(
        &'q self,
        query: Query<'q, Postgres, PgArguments>,
    ) -> Query<'q, Postgres, PgArguments> {
        query
            .bind(&self.ids)
            .bind(&self.aggregates)
            .bind(&self.versions)
            .bind(&self.kinds)
            .bind(&self.users)
            .bind(&self.operations)
            .bind(&self.documents)
    }
}

/// Appends `events` and one outbox row each; wake the relay when the transaction committed.
/// A second event with the same aggregate id and version fails the whole append.
pub async fn append(conn: &mut PgConnection, events: &[Envelope]) -> Result<(), sqlx::Error> {
    static SQL: LazyLock<String> = LazyLock::new(|| format!("WITH {APPEND} SELECT"));
    let events = Events::new(events)?;
    events.bind(sqlx::query(&SQL)).execute(conn).await?;
    Ok(())
}

/// Locks `aggregate` until the transaction ends and returns its current version (0 when it has
/// no events yet). Every appender to an existing aggregate calls this first, so concurrent
/// appenders (api, dispatcher, workers) queue instead of colliding on the next version.
pub async fn lock_aggregate(conn: &mut PgConnection, aggregate: Uuid) -> Result<u64, sqlx::Error> {
    // One round trip: `lock_aggregate` (migrations/write/0006) reads the version after the lock.
    let version: i32 = sqlx::query_scalar("SELECT lock_aggregate($1, $2)")
        .bind(aggregate)
        .bind(lock_key(aggregate))
        .fetch_one(conn)
        .await?;
    Ok(version_of(version))
}

/// The advisory lock id of `aggregate`, for statements that call `lock_aggregate($id, $key)`
/// themselves (to take the lock in the same round trip as another write or read).
pub fn lock_key(aggregate: Uuid) -> i64 {
    // Idempotency claims lock on a key's low 64 bits; aggregates on both halves mixed, so the
    // two never share a lock by construction of the same id.
    let (high, low) = aggregate.as_u64_pair();
    (high ^ low) as i64
}

/// A version as `lock_aggregate` returns it (never negative).
pub fn version_of(stored: i32) -> u64 {
    u64::try_from(stored).unwrap_or_default()
}

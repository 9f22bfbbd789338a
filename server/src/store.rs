//! The event store: appends events and their outbox rows to the write DB.
//!
//! Appending is one statement inside the caller's transaction, so a command's events, their
//! outbox rows and its idempotency record (written by the same statement) commit together or
//! not at all. This module never publishes anything; the relay does.

use notify_shared::event::Envelope;
use sqlx::PgConnection;
use uuid::Uuid;

/// The LISTEN/NOTIFY channel that wakes the relay when outbox rows commit.
pub const OUTBOX_CHANNEL: &str = "notify_outbox";

/// Appends `events` and one outbox row each; the relay is notified when the transaction
/// commits. A second event with the same aggregate id and version fails the whole append.
pub async fn append(conn: &mut PgConnection, events: &[Envelope]) -> Result<(), sqlx::Error> {
    write(conn, events, None).await
}

/// A command's answer, recorded under its idempotency key in the same statement as the
/// command's events (see `api::idempotency`), so either both exist or neither does.
#[derive(Debug)]
pub struct Answer<'a> {
    /// The idempotency key (the operation id).
    pub key: Uuid,
    /// Who made the request.
    pub principal: &'a str,
    /// The request's fingerprint.
    pub request_hash: &'a [u8],
    /// The answer's HTTP status.
    pub status: i16,
    /// The answer's JSON body.
    pub body: &'a str,
}

/// Appends `events` as [`append`] does (none is fine) and records `answer` with them, in one
/// round trip.
pub async fn append_answered(
    conn: &mut PgConnection,
    events: &[Envelope],
    answer: &Answer<'_>,
) -> Result<(), sqlx::Error> {
    write(conn, events, Some(answer)).await
}

async fn write(
    conn: &mut PgConnection,
    events: &[Envelope],
    answer: Option<&Answer<'_>>,
) -> Result<(), sqlx::Error> {
    let mut ids = Vec::with_capacity(events.len());
    let mut aggregates = Vec::with_capacity(events.len());
    let mut versions = Vec::with_capacity(events.len());
    let mut kinds = Vec::with_capacity(events.len());
    let mut users = Vec::with_capacity(events.len());
    let mut operations = Vec::with_capacity(events.len());
    let mut documents = Vec::with_capacity(events.len());
    for envelope in events {
        ids.push(envelope.id);
        aggregates.push(envelope.subject);
        versions.push(i32::try_from(envelope.sequence).map_err(|e| sqlx::Error::Encode(e.into()))?);
        kinds.push(envelope.event.kind());
        users.push(envelope.userid.as_str());
        operations.push(envelope.operationid);
        documents.push(serde_json::to_string(envelope).map_err(|e| sqlx::Error::Encode(e.into()))?);
    }
    // One statement text for both: without an answer its parameters are NULL and `answered`
    // inserts nothing; without events nobody is woken.
    sqlx::query(
        "WITH appended AS (
             INSERT INTO events (id, aggregate_id, version, kind, user_id, operation_id, document)
             SELECT id, aggregate_id, version, kind, user_id, operation_id, document::json
             FROM UNNEST($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::text[], $6::uuid[], $7::text[])
                  AS e (id, aggregate_id, version, kind, user_id, operation_id, document)
             RETURNING position
         ), queued AS (
             INSERT INTO outbox (position) SELECT position FROM appended
         ), answered AS (
             INSERT INTO idempotency_keys (key, principal, request_hash, status, response)
             SELECT $9, $10, $11, $12, $13::json WHERE $9::uuid IS NOT NULL
         )
         SELECT pg_notify($8, '') WHERE cardinality($1::uuid[]) > 0",
    )
    .bind(&ids)
    .bind(&aggregates)
    .bind(&versions)
    .bind(&kinds)
    .bind(&users)
    .bind(&operations)
    .bind(&documents)
    .bind(OUTBOX_CHANNEL)
    .bind(answer.map(|a| a.key))
    .bind(answer.map(|a| a.principal))
    .bind(answer.map(|a| a.request_hash))
    .bind(answer.map(|a| a.status))
    .bind(answer.map(|a| a.body))
    .execute(conn)
    .await?;
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

//! The event store: appends events and their outbox rows to the write DB.
//!
//! Appending is one statement inside the caller's transaction, so a command's events, their
//! outbox rows and its idempotency record commit together or not at all. This module never
//! publishes anything; the relay does.

use notify_shared::event::Envelope;
use sqlx::PgConnection;
use uuid::Uuid;

/// The LISTEN/NOTIFY channel that wakes the relay when outbox rows commit.
pub const OUTBOX_CHANNEL: &str = "notify_outbox";

/// Appends `events` and one outbox row each; the relay is notified when the transaction
/// commits. A second event with the same aggregate id and version fails the whole append.
pub async fn append(conn: &mut PgConnection, events: &[Envelope]) -> Result<(), sqlx::Error> {
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
    sqlx::query(
        "WITH appended AS (
             INSERT INTO events (id, aggregate_id, version, kind, user_id, operation_id, document)
             SELECT id, aggregate_id, version, kind, user_id, operation_id, document::json
             FROM UNNEST($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::text[], $6::uuid[], $7::text[])
                  AS e (id, aggregate_id, version, kind, user_id, operation_id, document)
             RETURNING position
         ), queued AS (
             INSERT INTO outbox (position) SELECT position FROM appended
         )
         SELECT pg_notify($8, '')",
    )
    .bind(&ids)
    .bind(&aggregates)
    .bind(&versions)
    .bind(&kinds)
    .bind(&users)
    .bind(&operations)
    .bind(&documents)
    .bind(OUTBOX_CHANNEL)
    .execute(conn)
    .await?;
    Ok(())
}

/// Locks `aggregate` until the transaction ends and returns its current version (0 when it has
/// no events yet). Every appender to an existing aggregate calls this first, so concurrent
/// appenders (api, dispatcher, workers) queue instead of colliding on the next version.
pub async fn lock_aggregate(conn: &mut PgConnection, aggregate: Uuid) -> Result<u64, sqlx::Error> {
    // Idempotency claims lock on a key's low 64 bits; aggregates on both halves mixed, so the
    // two never share a lock by construction of the same id.
    let (high, low) = aggregate.as_u64_pair();
    // One round trip: `lock_aggregate` (migrations/write/0006) reads the version after the lock.
    let version: i32 = sqlx::query_scalar("SELECT lock_aggregate($1, $2)")
        .bind(aggregate)
        .bind((high ^ low) as i64)
        .fetch_one(conn)
        .await?;
    Ok(u64::try_from(version).unwrap_or_default())
}

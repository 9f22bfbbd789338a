//! Idempotency keys (IETF draft `Idempotency-Key`) for commands.
//!
//! The key is the operation id. Inside the command's transaction, [`claim`] takes a
//! transaction-scoped advisory lock on the key: if another transaction holds it, the first
//! request is still in flight (409). Otherwise a stored record means a repeat: the same body
//! gets the first response again, a different body 422. The command's frame
//! ([`Command::finish`](super::command::Command::finish)) stores the response with the
//! command's events, in one statement, so either both exist or neither does.
//!
//! It must not store an answer on its own: the command's frame stores it with the command's events,
//! or not at all.

use axum::http::{HeaderMap, StatusCode};
use notify_shared::UserId;
use notify_shared::api::IDEMPOTENCY_KEY;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

use super::error::ApiError;

/// A stored answer to replay.
#[derive(Debug)]
pub struct Stored {
    /// Its status code.
    pub status: StatusCode,
    /// Its JSON body.
    pub body: String,
}

impl Stored {
    /// `202 Accepted` with `body`.
    pub fn accepted<B: serde::Serialize>(body: &B) -> Result<Self, ApiError> {
        Ok(Self {
            status: StatusCode::ACCEPTED,
            body: serde_json::to_string(body).map_err(|e| ApiError::Internal(e.into()))?,
        })
    }
}

/// What a claim found.
#[derive(Debug)]
pub enum Claim {
    /// The key is new: go ahead, then record the answer with the command's events.
    Fresh,
    /// The same request was answered before.
    Replay(Stored),
}

/// The operation id from the `Idempotency-Key` header, or a new UUIDv7 without one.
pub fn operation_id(headers: &HeaderMap) -> Result<Uuid, ApiError> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else {
        return Ok(Uuid::now_v7());
    };
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_matches('"'))
        .and_then(|v| Uuid::try_parse(v).ok())
        .ok_or_else(|| ApiError::BadRequest {
            slug: "bad-idempotency-key",
            detail: "Idempotency-Key must be a UUID (the operation id; a UUIDv7 is best)".into(),
        })
}

/// A fingerprint of a request body in its parsed form (white space and key order do not
/// matter).
pub fn fingerprint<T: serde::Serialize>(request: &T) -> Result<Vec<u8>, ApiError> {
    let canonical = serde_json::to_vec(request).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(Sha256::digest(canonical).to_vec())
}

/// What `claim_idempotency_key` returns: whether the lock was taken and, when something is
/// stored under the key, its record (all `None` otherwise).
#[derive(Debug, sqlx::FromRow)]
struct Claimed {
    locked: bool,
    owner: Option<String>,
    hash: Option<Vec<u8>>,
    answer_status: Option<i16>,
    answer: Option<String>,
}

/// Claims `key` for `principal` inside the caller's transaction.
pub async fn claim(
    conn: &mut PgConnection,
    principal: &UserId,
    key: Uuid,
    fingerprint: &[u8],
) -> Result<Claim, ApiError> {
    // One round trip: `claim_idempotency_key` (migrations/write/0007) reads after the lock.
    let claimed: Claimed = sqlx::query_as("SELECT * FROM claim_idempotency_key($1, $2)")
        .bind(key)
        .bind(lock_id(key))
        .fetch_one(&mut *conn)
        .await?;
    if !claimed.locked {
        return Err(ApiError::InFlight);
    }
    let Some(owner) = claimed.owner else {
        return Ok(Claim::Fresh);
    };
    // Keys are per principal: another principal's key is simply not reusable, and its
    // response is never shown.
    if owner != principal.as_str() || claimed.hash.as_deref() != Some(fingerprint) {
        return Err(ApiError::KeyReused);
    }
    let status = claimed
        .answer_status
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok());
    match (status, claimed.answer) {
        (Some(status), Some(body)) => Ok(Claim::Replay(Stored { status, body })),
        (_, _) => Err(ApiError::Internal(anyhow::anyhow!(
            "the stored answer under {key} is invalid (status {:?})",
            claimed.answer_status
        ))),
    }
}

/// The advisory lock id of `key`: its low 64 bits, which are random in a UUID (v4 or v7).
pub fn lock_id(key: Uuid) -> i64 {
    key.as_u64_pair().1 as i64
}

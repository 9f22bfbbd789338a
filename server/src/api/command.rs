//! The frame every command runs in: one write-DB transaction holding the idempotency claim,
//! the command's events and its recorded answer (see [`idempotency`](super::idempotency)). The
//! events and the answer are written together, by one statement, when the command finishes.

use std::sync::LazyLock;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use notify_shared::UserId;
use notify_shared::event::Envelope;
use serde::Serialize;
use sqlx::{PgConnection, Postgres, Transaction};
use uuid::Uuid;

use super::AppState;
use super::error::ApiError;
use super::idempotency::{self, Claim, Stored};
use crate::store::{APPEND, Events};

/// A command in progress: its transaction, operation id, fingerprint and the events it will
/// append.
#[derive(Debug)]
pub(super) struct Command {
    tx: Transaction<'static, Postgres>,
    principal: UserId,
    operation_id: Uuid,
    fingerprint: Vec<u8>,
    events: Vec<Envelope>,
}

/// What beginning a command found.
#[derive(Debug)]
pub(super) enum Begun {
    /// A new command: do it, then [`Command::finish`].
    Fresh(Command),
    /// A repeat of an answered command: send this answer again.
    Replay(Response),
}

impl Command {
    /// Opens the transaction and claims the `Idempotency-Key` (the operation id) for the
    /// `request`, whose serialized form is its fingerprint.
    pub(super) async fn begin<T: Serialize>(
        state: &AppState,
        principal: &UserId,
        headers: &HeaderMap,
        request: &T,
    ) -> Result<Begun, ApiError> {
        let operation_id = idempotency::operation_id(headers)?;
        let fingerprint = idempotency::fingerprint(request)?;
        let mut tx = state.write.begin().await?;
        match idempotency::claim(&mut tx, principal, operation_id, &fingerprint).await? {
            Claim::Replay(stored) => Ok(Begun::Replay(accepted(operation_id, stored))),
            Claim::Fresh => Ok(Begun::Fresh(Self {
                tx,
                principal: principal.clone(),
                operation_id,
                fingerprint,
                events: Vec::new(),
            })),
        }
    }

    /// The operation id.
    pub(super) fn operation_id(&self) -> Uuid {
        self.operation_id
    }

    /// The transaction, for the command's reads and other writes.
    pub(super) fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// Adds `events` to what the command appends when it finishes (aggregates it appends to
    /// are locked by then: [`crate::store::lock_aggregate`]).
    pub(super) fn append(&mut self, events: impl IntoIterator<Item = Envelope>) {
        self.events.extend(events);
    }

    /// Appends the command's events and records `body` as the answer, in one statement;
    /// commits, and answers `202 Accepted` with it.
    pub(super) async fn finish<B: Serialize>(mut self, body: &B) -> Result<Response, ApiError> {
        let stored = Stored {
            status: StatusCode::ACCEPTED,
            body: serde_json::to_string(body).map_err(|e| ApiError::Internal(e.into()))?,
        };
        // The events and the answer in one round trip.
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "WITH {APPEND}, answered AS (
                     INSERT INTO idempotency_keys (key, principal, request_hash, status, response)
                     VALUES ($8, $9, $10, $11, $12::json)
                 )
                 SELECT"
            )
        });
        let events = Events::new(&self.events)?;
        events
            .bind(sqlx::query(&SQL))
            .bind(self.operation_id)
            .bind(self.principal.as_str())
            .bind(&self.fingerprint)
            .bind(stored.status.as_u16() as i16)
            .bind(&stored.body)
            .execute(&mut *self.tx)
            .await?;
        self.tx.commit().await?;
        Ok(accepted(self.operation_id, stored))
    }
}

/// The 202 answer, the same for the first request and its repeats, with a `Location` to poll.
fn accepted(operation_id: Uuid, stored: Stored) -> Response {
    let mut response = (stored.status, stored.body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(location) = HeaderValue::from_str(&format!("/v1/operations/{operation_id}")) {
        headers.insert(header::LOCATION, location);
    }
    response
}

//! The frame every command runs in: one write-DB transaction holding the idempotency claim,
//! the command's events and its recorded answer (see [`idempotency`](super::idempotency)). The
//! events and the answer are written together, by one statement, when the command finishes. A
//! command that needs no reads (an immediate send) first tries [`Key::at_once`]: claim, events
//! and answer in a single statement shared with the other sends waiting, no transaction around
//! it.
//!
//! A command's transaction ends before its answer leaves, a refusal's too ([`Command::run`]
//! rolls back; `begin_with` for a replay): a retry sent at once never finds the key still
//! locked by the request it repeats. No limit is checked after anything was appended.
//!
//! It must not know what any command means: the command decides its events and its answer; this
//! frame only claims the key, records them and commits.

use std::sync::LazyLock;

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use notify_shared::UserId;
use notify_shared::event::Envelope;
use serde::Serialize;
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::{PgConnection, Postgres, Transaction};
use uuid::Uuid;

use super::AppState;
use super::error::ApiError;
use super::group_commit;
use super::idempotency::{self, Claim, Stored};
use crate::store::{APPEND, Events};
use crate::wake::RelayWaker;

/// A command in progress: its transaction, key and the events it will append.
#[derive(Debug)]
pub(super) struct Command {
    tx: Transaction<'static, Postgres>,
    relay: RelayWaker,
    principal: UserId,
    key: Key,
    events: Vec<Envelope>,
}

/// What beginning a command found.
#[derive(Debug)]
pub(super) enum Begun {
    /// A new command: do it, then [`Command::finish`].
    Fresh(Command),
    /// A repeat of an answered command: send this answer again.
    Replay(Accepted),
}

/// A command's answer, the same for the first request and its repeats: its operation id and
/// its recorded body. HTTP answers it as `202` with a `Location` to poll; other transports
/// read the body back ([`Accepted::body`]).
#[derive(Debug)]
pub(crate) struct Accepted {
    operation_id: Uuid,
    stored: Stored,
}

impl Accepted {
    /// The recorded answer, as the command's answer type.
    pub(crate) fn body<B: serde::de::DeserializeOwned>(&self) -> Result<B, ApiError> {
        serde_json::from_str(&self.stored.body).map_err(|e| ApiError::Internal(e.into()))
    }
}

impl IntoResponse for Accepted {
    fn into_response(self) -> Response {
        let mut response = (self.stored.status, self.stored.body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Ok(location) =
            HeaderValue::from_str(&format!("/v1/operations/{}", self.operation_id))
        {
            headers.insert(header::LOCATION, location);
        }
        response
    }
}

/// A command's idempotency key (the operation id) and its request's fingerprint.
#[derive(Debug)]
pub(crate) struct Key {
    operation_id: Uuid,
    fingerprint: Vec<u8>,
}

impl Key {
    /// The `Idempotency-Key` (a new operation id without one) of the `request`, whose
    /// serialized form is its fingerprint.
    pub(super) fn new<T: Serialize>(headers: &HeaderMap, request: &T) -> Result<Self, ApiError> {
        Self::with(idempotency::operation_id(headers)?, request)
    }

    /// The key `operation_id` of the `request`, whose serialized form is its fingerprint.
    pub(crate) fn with<T: Serialize>(operation_id: Uuid, request: &T) -> Result<Self, ApiError> {
        Ok(Self {
            operation_id,
            fingerprint: idempotency::fingerprint(request)?,
        })
    }

    /// The operation id.
    pub(super) fn operation_id(&self) -> Uuid {
        self.operation_id
    }

    /// Does a command that needs no reads at once, in one statement (shared with the other
    /// sends waiting, see [`group_commit`]) with no transaction around it: its `events` and
    /// its answer `body`, when the key is new and every one of `recipients` exists. `None`
    /// when not (a repeat, the same key in flight, an unknown recipient, a clash with another
    /// writer): then run it as a [`Command`], which answers those cases.
    pub(super) async fn at_once<B: Serialize>(
        &self,
        state: &AppState,
        principal: &UserId,
        recipients: &[&str],
        events: Vec<Envelope>,
        body: &B,
    ) -> Result<Option<Accepted>, ApiError> {
        let stored = Stored::accepted(body)?;
        let entry = group_commit::Entry {
            key: self.operation_id,
            lock_id: idempotency::lock_id(self.operation_id),
            principal: principal.as_str().to_owned(),
            fingerprint: self.fingerprint.clone(),
            status: stored.status.as_u16() as i16,
            response: stored.body.clone(),
            recipients: recipients.iter().map(|r| (*r).to_owned()).collect(),
            events,
        };
        if state.group_commit.write(entry).await {
            return Ok(Some(Accepted {
                operation_id: self.operation_id,
                stored,
            }));
        }
        Ok(None)
    }
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
        Self::begin_with(state, principal, Key::new(headers, request)?).await
    }

    /// Opens the transaction and claims `key`.
    pub(super) async fn begin_with(
        state: &AppState,
        principal: &UserId,
        key: Key,
    ) -> Result<Begun, ApiError> {
        let mut tx = state.write.begin().await?;
        let replay = match idempotency::claim(
            &mut tx,
            principal,
            key.operation_id,
            &key.fingerprint,
        )
        .await
        {
            Ok(Claim::Fresh) => {
                return Ok(Begun::Fresh(Self {
                    tx,
                    relay: state.relay.clone(),
                    principal: principal.clone(),
                    key,
                    events: Vec::new(),
                }));
            }
            Ok(Claim::Replay(stored)) => Ok(stored),
            Err(refused) => Err(refused),
        };
        // A replay or a refusal ends the transaction (and frees the key's lock) before it is
        // answered: dropped, its rollback would wait for the pool to flush it after the answer
        // left, and a retry sent at once would find the key locked (409) instead of answered.
        tx.rollback().await?;
        Ok(Begun::Replay(Accepted {
            operation_id: key.operation_id,
            stored: replay?,
        }))
    }

    /// The operation id.
    pub(super) fn operation_id(&self) -> Uuid {
        self.key.operation_id
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

    /// Does the command's `work` in its transaction, then [`Command::finish`]es with the answer
    /// it returns. When `work` refuses (or fails), the transaction ends before the refusal is
    /// answered: dropped, its rollback (and the locks it holds, the key's among them) would
    /// wait for the pool to flush it, and a retry sent at once would find the key locked (409
    /// in flight) instead of getting the same refusal.
    pub(super) async fn run<B: Serialize>(
        mut self,
        work: impl AsyncFnOnce(&mut Self) -> Result<B, ApiError>,
    ) -> Result<Accepted, ApiError> {
        match work(&mut self).await {
            Ok(body) => self.finish(&body).await,
            Err(refused) => {
                if let Err(error) = self.tx.rollback().await {
                    tracing::warn!(%error, "cannot roll back a refused command; the pool drops its connection");
                }
                Err(refused)
            }
        }
    }

    /// Appends the command's events and records `body` as the answer, in one statement;
    /// commits, and answers `202 Accepted` with it.
    async fn finish<B: Serialize>(mut self, body: &B) -> Result<Accepted, ApiError> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "WITH {APPEND}, answered AS (
                     INSERT INTO idempotency_keys (key, principal, request_hash, status, response)
                     VALUES ($8, $9, $10, $11, $12::json)
                 )
                 SELECT"
            )
        });
        let stored = Stored::accepted(body)?;
        let events = Events::new(&self.events)?;
        answered(&SQL, &events, &self.key, &self.principal, &stored)
            .execute(&mut *self.tx)
            .await?;
        self.tx.commit().await?;
        if !self.events.is_empty() {
            self.relay.wake();
        }
        Ok(Accepted {
            operation_id: self.key.operation_id,
            stored,
        })
    }
}

/// `sql` (which holds [`APPEND`] and stores the answer from `$8` to `$12`) with the events and
/// the answer bound: the key, the principal, the fingerprint, the status, the body.
fn answered<'q>(
    sql: &'q str,
    events: &'q Events<'q>,
    key: &'q Key,
    principal: &'q UserId,
    stored: &'q Stored,
) -> Query<'q, Postgres, PgArguments> {
    events
        .bind(sqlx::query(sql))
        .bind(key.operation_id)
        .bind(principal.as_str())
        .bind(&key.fingerprint)
        .bind(stored.status.as_u16() as i16)
        .bind(&stored.body)
}

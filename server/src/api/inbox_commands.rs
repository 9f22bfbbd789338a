//! Inbox commands: mark one notification read or unread, or everything read. Each appends one
//! event to the write DB (never one per notification) and answers 202 with its operation id;
//! the projector applies it and resolves the operation as `applied`.

use axum::extract::State;
use axum::http::HeaderMap;
use chrono::Utc;
use notify_shared::UserId;
use notify_shared::api::{OperationStatus, Scope};
use notify_shared::commands::CommandAccepted;
use notify_shared::event::{Envelope, Event, InboxReadAll, NotificationRead, NotificationUnread};
use notify_shared::problem::Problem;
use uuid::Uuid;

use super::AppState;
use super::auth::Principal;
use super::command::{Accepted, Begun, Command};
use super::error::ApiError;
use super::notifications::SOURCE;
use super::params::ApiPath;
use crate::store;

/// Marks a notification in the caller's inbox read.
#[utoipa::path(
    post,
    operation_id = "markRead",
    path = "/v1/notifications/{id}/read",
    tag = "inbox",
    params(
        ("id" = Uuid, Path, description = "The notification id"),
        ("Idempotency-Key" = Option<Uuid>, Header, nullable = false, description = "The operation id, a UUID"),
    ),
    responses(
        (status = 202, description = "Accepted", body = CommandAccepted),
        (status = 404, description = "Not in your inbox", body = Problem),
        (status = 409, description = "In flight or concurrent change: retry with the same key", body = Problem),
    ),
    security(("bearer" = []))
)]
pub(super) async fn read(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Accepted, ApiError> {
    mark(state, principal, headers, id, true).await
}

/// Marks a notification in the caller's inbox unread.
#[utoipa::path(
    post,
    operation_id = "markUnread",
    path = "/v1/notifications/{id}/unread",
    tag = "inbox",
    params(
        ("id" = Uuid, Path, description = "The notification id"),
        ("Idempotency-Key" = Option<Uuid>, Header, nullable = false, description = "The operation id, a UUID"),
    ),
    responses(
        (status = 202, description = "Accepted", body = CommandAccepted),
        (status = 404, description = "Not in your inbox", body = Problem),
        (status = 409, description = "In flight or concurrent change: retry with the same key", body = Problem),
    ),
    security(("bearer" = []))
)]
pub(super) async fn unread(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Accepted, ApiError> {
    mark(state, principal, headers, id, false).await
}

async fn mark(
    state: AppState,
    principal: Principal,
    headers: HeaderMap,
    id: Uuid,
    read: bool,
) -> Result<Accepted, ApiError> {
    principal.require(Scope::Inbox)?;
    let verb = if read { "read" } else { "unread" };
    let command = match Command::begin(&state, &principal.user, &headers, &(verb, id)).await? {
        Begun::Fresh(command) => command,
        Begun::Replay(response) => return Ok(response),
    };
    command
        .run(async |command| {
            let version = store::lock_aggregate(command.conn(), id).await?;
            // In the caller's inbox means: addressed to them and dispatched (the write side
            // decides).
            let dispatched: Option<bool> = sqlx::query_scalar(
                "SELECT bool_or(kind = 'notification.dispatched')
                 FROM events WHERE aggregate_id = $1 AND user_id = $2 HAVING count(*) > 0",
            )
            .bind(id)
            .bind(principal.user.as_str())
            .fetch_optional(command.conn())
            .await?;
            if dispatched != Some(true) {
                return Err(ApiError::NotFound);
            }
            let event = if read {
                Event::NotificationRead(NotificationRead {})
            } else {
                Event::NotificationUnread(NotificationUnread {})
            };
            append_next(command, id, &principal.user, version, event);
            Ok(accepted(command))
        })
        .await
}

/// Marks everything in the caller's inbox read, up to now: one `inbox.read_all` event.
#[utoipa::path(
    post,
    operation_id = "markAllRead",
    path = "/v1/inbox/read-all",
    tag = "inbox",
    params(("Idempotency-Key" = Option<Uuid>, Header, nullable = false, description = "The operation id, a UUID")),
    responses(
        (status = 202, description = "Accepted", body = CommandAccepted),
        (status = 409, description = "In flight or concurrent change: retry with the same key", body = Problem),
    ),
    security(("bearer" = []))
)]
pub(super) async fn read_all(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
) -> Result<Accepted, ApiError> {
    principal.require(Scope::Inbox)?;
    let command = match Command::begin(&state, &principal.user, &headers, &"read_all").await? {
        Begun::Fresh(command) => command,
        Begun::Replay(response) => return Ok(response),
    };
    command
        .run(async |command| {
            let inbox = inbox_id(&principal.user);
            let version = store::lock_aggregate(command.conn(), inbox).await?;
            let event = Event::InboxReadAll(InboxReadAll { up_to: Utc::now() });
            append_next(command, inbox, &principal.user, version, event);
            Ok(accepted(command))
        })
        .await
}

/// The answer to a command that was accepted: its operation id.
fn accepted(command: &Command) -> CommandAccepted {
    CommandAccepted {
        operation_id: command.operation_id(),
        status: OperationStatus::Accepted,
    }
}

/// The aggregate id of a user's inbox (for `inbox.read_all`): a UUIDv5 of the user id.
pub fn inbox_id(user: &UserId) -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("urn:notify:inbox:{user}").as_bytes(),
    )
}

/// Adds `event` to the command's events as the version after `current` of `aggregate` (locked
/// by the caller with [`store::lock_aggregate`]).
fn append_next(command: &mut Command, aggregate: Uuid, user: &UserId, current: u64, event: Event) {
    let envelope = Envelope::new(
        SOURCE,
        command.operation_id(),
        aggregate,
        user.clone(),
        current + 1,
        event,
    );
    command.append([envelope]);
}

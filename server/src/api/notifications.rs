//! `POST /v1/notifications`: the send command.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use notify_shared::UserId;
use notify_shared::api::{OperationStatus, Scope, SendRequest, SendResponse, SentNotification};
use notify_shared::event::{Envelope, Event, NotificationDispatched, NotificationRequested};
use notify_shared::limits;
use notify_shared::problem::Problem;
use uuid::Uuid;

use super::AppState;
use super::auth::Principal;
use super::command::{Begun, Command};
use super::error::ApiError;
use super::json::ApiJson;
use crate::store;

/// The `source` of events the api records.
pub(super) const SOURCE: &str = "/notify-server/api";

/// Sends a notification to one or more users (to the caller when `to` is empty).
///
/// Stores `notification.requested` and `notification.dispatched` for each recipient, their
/// outbox rows and the idempotency record in one transaction, and answers 202 with the
/// operation id and one notification id per recipient.
#[utoipa::path(
    post,
    path = "/v1/notifications",
    tag = "notifications",
    request_body = SendRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "The operation id, a UUID; repeats with the same body get the first answer")),
    responses(
        (status = 202, description = "Accepted", body = SendResponse),
        (status = 400, description = "Malformed JSON or header", body = Problem),
        (status = 401, description = "Missing or invalid token", body = Problem),
        (status = 403, description = "The token lacks the send scope", body = Problem),
        (status = 409, description = "Same key still in flight", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 422, description = "Limits broken, unknown recipient, or key reused", body = Problem),
        (status = 503, description = "Database unavailable", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn send(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ApiJson(request): ApiJson<SendRequest>,
) -> Result<Response, ApiError> {
    principal.require(Scope::Send)?;
    let violations = limits::check_send(&request);
    if !violations.is_empty() {
        return Err(ApiError::Validation(violations));
    }
    let mut command = match Command::begin(&state, &principal.user, &headers, &request).await? {
        Begun::Fresh(command) => command,
        Begun::Replay(response) => return Ok(response),
    };
    let operation_id = command.operation_id();
    let recipients = if request.to.is_empty() {
        vec![principal.user.clone()]
    } else {
        request.to.clone()
    };
    check_recipients(command.conn(), &recipients).await?;

    let mut events = Vec::with_capacity(recipients.len() * 2);
    let mut notifications = Vec::with_capacity(recipients.len());
    for recipient in recipients {
        let notification_id = Uuid::now_v7();
        let requested = Event::NotificationRequested(NotificationRequested {
            sender: principal.user.clone(),
            recipient: recipient.clone(),
            title: request.title.clone(),
            body: request.body.clone(),
            priority: request.priority,
            tags: request.tags.clone(),
            channels: request.channels.clone(),
            thread: request.thread.clone(),
            deliver_at: request.deliver_at,
        });
        let dispatched = Event::NotificationDispatched(NotificationDispatched {});
        for (sequence, event) in [(1, requested), (2, dispatched)] {
            events.push(Envelope::new(
                SOURCE,
                operation_id,
                notification_id,
                recipient.clone(),
                sequence,
                event,
            ));
        }
        notifications.push(SentNotification {
            id: notification_id,
            recipient,
        });
    }
    store::append(command.conn(), &events).await?;
    let response = SendResponse {
        operation_id,
        status: OperationStatus::Accepted,
        notifications,
    };
    tracing::info!(operation = %operation_id, sender = %principal.user, recipients = response.notifications.len(), "send accepted");
    command.finish(&response).await
}

/// Fails with 422 naming every recipient that does not exist.
async fn check_recipients(
    conn: &mut sqlx::PgConnection,
    recipients: &[UserId],
) -> Result<(), ApiError> {
    let names: Vec<&str> = recipients.iter().map(UserId::as_str).collect();
    let missing: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM UNNEST($1::text[]) AS r (name)
         WHERE NOT EXISTS (SELECT FROM users WHERE id = r.name)",
    )
    .bind(&names)
    .fetch_all(conn)
    .await?;
    if missing.is_empty() {
        return Ok(());
    }
    Err(ApiError::UnknownRecipients(
        missing
            .into_iter()
            .filter_map(|m| UserId::parse(m).ok())
            .collect(),
    ))
}

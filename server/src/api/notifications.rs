//! `POST /v1/notifications`: the send command.
//!
//! It must not write to the write DB except through the command frame (`command.rs`) or the group
//! commit (`group_commit.rs`), and must not tell a caller anything about a notification that is not
//! theirs (404, as for one that does not exist).

use axum::extract::State;
use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use notify_shared::UserId;
use notify_shared::api::{OperationStatus, Scope, SendRequest, SendResponse, SentNotification};
use notify_shared::commands::CommandAccepted;
use notify_shared::event::{
    Cause, Envelope, Event, NotificationCancelled, NotificationDispatched, NotificationRequested,
};
use notify_shared::limits;
use notify_shared::problem::{Problem, Violation};
use uuid::Uuid;

use super::AppState;
use super::auth::Principal;
use super::command::{Accepted, Begun, Command, Key};
use super::error::ApiError;
use super::json::ApiJson;
use super::params::ApiPath;
use crate::store;

/// The `source` of events the api records.
pub(super) const SOURCE: &str = "/notify-server/api";

/// A `deliver_at` up to this far ahead of now counts as now (clock skew): an immediate send.
const SKEW: chrono::TimeDelta = chrono::TimeDelta::seconds(1);
/// A `deliver_at` up to this far behind now counts as now too: a scheduled send retried (with
/// its key) through an outage that outlasted its moment is sent late, not refused. It covers
/// the CLI's retries (four attempts, each at most 10 s plus a 5 s `Retry-After`).
const LATE: chrono::TimeDelta = chrono::TimeDelta::minutes(1);

/// Sends a notification to one or more users (to the caller when `to` is empty).
///
/// Stores `notification.requested` and `notification.dispatched` for each recipient, their
/// outbox rows and the idempotency record together (usually in one statement), and answers 202 with the
/// operation id and one notification id per recipient. With a `deliver_at` in the future it
/// stores only `notification.requested` and a `scheduled_notifications` row per recipient
/// (the scheduler dispatches them at that time) and answers with status `scheduled`.
#[utoipa::path(
    post,
    operation_id = "send",
    path = "/v1/notifications",
    tag = "notifications",
    request_body = SendRequest,
    params(("Idempotency-Key" = Option<Uuid>, Header, nullable = false, description = "The operation id, a UUID; repeats with the same body get the first answer")),
    responses(
        (status = 202, description = "Accepted", body = SendResponse),
        (status = 400, description = "Malformed JSON or header", body = Problem),
        (status = 401, description = "Missing or invalid token", body = Problem),
        (status = 403, description = "The token lacks the send scope", body = Problem),
        (status = 409, description = "Same key still in flight", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 422, description = "Limits broken, unknown recipient, or key reused", body = Problem),
        (status = 503, description = "Database unavailable, or too many commands in progress (`Retry-After`)", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn send(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ApiJson(request): ApiJson<SendRequest>,
) -> Result<Accepted, ApiError> {
    principal.require(Scope::Send)?;
    let key = Key::new(&headers, &request)?;
    send_as(&state, &principal.user, key, &request, None).await
}

/// The send command, whatever the transport: `request` from `sender` under `key`, caused by
/// another service's event when `cause` is given. Its answer's body is a [`SendResponse`].
pub(crate) async fn send_as(
    state: &AppState,
    sender: &UserId,
    key: Key,
    request: &SendRequest,
    cause: Option<&Cause>,
) -> Result<Accepted, ApiError> {
    let mut violations = limits::check_send(request);
    let deliver_at = match check_deliver_at(request.deliver_at, Utc::now(), state.schedule_max_days)
    {
        Ok(deliver_at) => deliver_at,
        Err(violation) => {
            violations.push(violation);
            None
        }
    };
    if !violations.is_empty() {
        return Err(ApiError::Validation(violations));
    }
    let operation_id = key.operation_id();
    let recipients = if request.to.is_empty() {
        vec![sender.clone()]
    } else {
        request.to.clone()
    };
    let (events, notifications) = notifications(
        Sent {
            operation_id,
            sender,
            request,
            cause,
        },
        &recipients,
        deliver_at,
    );
    let response = SendResponse {
        operation_id,
        status: if deliver_at.is_some() {
            OperationStatus::Scheduled
        } else {
            OperationStatus::Accepted
        },
        notifications,
    };
    let accepted = || tracing::info!(operation = %operation_id, %sender, recipients = recipients.len(), ?deliver_at, "send accepted");
    if deliver_at.is_none() {
        // Usually a new key to known recipients: one statement, no transaction.
        let names: Vec<&str> = recipients.iter().map(UserId::as_str).collect();
        let answer = key
            .at_once(state, sender, &names, events.clone(), &response)
            .await?;
        if let Some(answer) = answer {
            accepted();
            return Ok(answer);
        }
    }
    let command = match Command::begin_with(state, sender, key).await? {
        Begun::Fresh(command) => command,
        Begun::Replay(response) => return Ok(response),
    };
    command
        .run(async |command| {
            check_recipients(command.conn(), &recipients).await?;
            command.append(events);
            if let Some(deliver_at) = deliver_at {
                schedule(
                    command.conn(),
                    operation_id,
                    &response.notifications,
                    deliver_at,
                )
                .await?;
            }
            accepted();
            Ok(response)
        })
        .await
}

/// What a send's events say about it, whoever the recipient.
struct Sent<'a> {
    operation_id: Uuid,
    sender: &'a UserId,
    request: &'a SendRequest,
    cause: Option<&'a Cause>,
}

/// The events of a send (`notification.requested` for each recipient, and
/// `notification.dispatched` unless it is scheduled) and its notifications.
fn notifications(
    sent: Sent<'_>,
    recipients: &[UserId],
    deliver_at: Option<DateTime<Utc>>,
) -> (Vec<Envelope>, Vec<SentNotification>) {
    let Sent {
        operation_id,
        request,
        ..
    } = sent;
    let mut events = Vec::with_capacity(recipients.len() * 2);
    let mut notifications = Vec::with_capacity(recipients.len());
    for recipient in recipients {
        let notification_id = Uuid::now_v7();
        let requested = Event::NotificationRequested(NotificationRequested {
            sender: sent.sender.clone(),
            recipient: recipient.clone(),
            title: request.title.clone(),
            body: request.body.clone(),
            priority: request.priority,
            tags: request.tags.clone(),
            channels: request.channels.clone(),
            thread: request.thread.clone(),
            deliver_at,
            cause: sent.cause.cloned(),
        });
        let envelope = |sequence, event| {
            Envelope::new(
                SOURCE,
                operation_id,
                notification_id,
                recipient.clone(),
                sequence,
                event,
            )
        };
        events.push(envelope(1, requested));
        if deliver_at.is_none() {
            let dispatched = Event::NotificationDispatched(NotificationDispatched {});
            events.push(envelope(2, dispatched));
        }
        notifications.push(SentNotification {
            id: notification_id,
            recipient: recipient.clone(),
        });
    }
    (events, notifications)
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

/// The `deliver_at` to record: `None` for an immediate send (none given, or one from [`LATE`]
/// before `now` to [`SKEW`] after it), the time for a scheduled one; a violation naming
/// `deliver_at` when it is further in the past or more than `max_days` ahead.
fn check_deliver_at(
    deliver_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    max_days: u32,
) -> Result<Option<DateTime<Utc>>, Violation> {
    let Some(at) = deliver_at else {
        return Ok(None);
    };
    if at < now - LATE {
        return Err(Violation::new(
            "deliver_at",
            format!(
                "{} is in the past; leave deliver_at out to send now",
                at.to_rfc3339()
            ),
        ));
    }
    if at <= now + SKEW {
        return Ok(None);
    }
    if at > now + chrono::TimeDelta::days(i64::from(max_days)) {
        return Err(Violation::new(
            "deliver_at",
            format!("{} is more than {max_days} days ahead", at.to_rfc3339()),
        ));
    }
    Ok(Some(at))
}

/// Leaves one waiting `scheduled_notifications` row per notification for the scheduler.
async fn schedule(
    conn: &mut sqlx::PgConnection,
    operation_id: Uuid,
    notifications: &[SentNotification],
    deliver_at: DateTime<Utc>,
) -> Result<(), ApiError> {
    let ids: Vec<Uuid> = notifications.iter().map(|n| n.id).collect();
    let recipients: Vec<&str> = notifications.iter().map(|n| n.recipient.as_str()).collect();
    sqlx::query(
        "INSERT INTO scheduled_notifications (notification_id, recipient, operation_id, deliver_at, state)
         SELECT id, recipient, $3, $4, 'waiting' FROM UNNEST($1::uuid[], $2::text[]) AS s (id, recipient)",
    )
    .bind(&ids)
    .bind(&recipients)
    .bind(operation_id)
    .bind(deliver_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Cancels a scheduled send to one recipient before it goes out.
///
/// Only its sender may cancel it (anyone else gets 404). Appends `notification.cancelled` and
/// marks the schedule cancelled, under the same row lock the scheduler takes, so a notification
/// is either dispatched or cancelled, never both. Cancelling a cancelled one again is accepted
/// and changes nothing: its answer names the operation that cancelled it (already applied).
#[utoipa::path(
    post,
    operation_id = "cancel",
    path = "/v1/notifications/{id}/cancel",
    tag = "notifications",
    params(
        ("id" = Uuid, Path, description = "The notification id"),
        ("Idempotency-Key" = Option<Uuid>, Header, nullable = false, description = "The operation id, a UUID"),
    ),
    responses(
        (status = 202, description = "Cancelled (or already cancelled)", body = CommandAccepted),
        (status = 401, description = "Missing or invalid token", body = Problem),
        (status = 403, description = "The token lacks the send scope", body = Problem),
        (status = 404, description = "Not a scheduled send of yours", body = Problem),
        (status = 409, description = "Already dispatched, or in flight: see the problem type", body = Problem),
        (status = 503, description = "Database unavailable, or too many commands in progress (`Retry-After`)", body = Problem),
    ),
    security(("bearer" = []))
)]
pub(super) async fn cancel(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Accepted, ApiError> {
    let key = Key::new(&headers, &cancelling(id))?;
    cancel_as(&state, &principal, key, id).await
}

/// What a cancel's idempotency key fingerprints: the notification it cancels.
pub(crate) fn cancelling(id: Uuid) -> (&'static str, Uuid) {
    ("cancel", id)
}

/// The cancel command, whatever the transport: `id` by `principal` under `key`. Its answer's
/// body is a [`CommandAccepted`].
pub(crate) async fn cancel_as(
    state: &AppState,
    principal: &Principal,
    key: Key,
    id: Uuid,
) -> Result<Accepted, ApiError> {
    principal.require(Scope::Send)?;
    let command = match Command::begin_with(state, &principal.user, key).await? {
        Begun::Fresh(command) => command,
        Begun::Replay(response) => return Ok(response),
    };
    command
        .run(async |command| {
            // The row lock first, then the aggregate: the scheduler takes them in the same
            // order, so the two never deadlock. The sender is in the notification's first event.
            let row: Option<(String, String, Option<DateTime<Utc>>)> = sqlx::query_as(
                "SELECT s.state, s.recipient, s.changed_at
                 FROM scheduled_notifications s
                 JOIN notification_requests r USING (notification_id)
                 WHERE s.notification_id = $1 AND r.document->'data'->>'sender' = $2
                 FOR UPDATE OF s",
            )
            .bind(id)
            .bind(principal.user.as_str())
            .fetch_optional(command.conn())
            .await?;
            let Some((schedule_state, recipient, changed_at)) = row else {
                return Err(ApiError::NotFound);
            };
            match schedule_state.as_str() {
                "waiting" => {
                    let recipient = UserId::parse(recipient)
                        .map_err(|e| ApiError::Internal(anyhow::anyhow!("bad recipient: {e}")))?;
                    let version = store::lock_aggregate(command.conn(), id).await?;
                    let event = Event::NotificationCancelled(NotificationCancelled {
                        by: principal.user.clone(),
                    });
                    let envelope = Envelope::new(
                        SOURCE,
                        command.operation_id(),
                        id,
                        recipient,
                        version + 1,
                        event,
                    );
                    command.append([envelope]);
                    sqlx::query(
                        "UPDATE scheduled_notifications SET state = 'cancelled', changed_at = now()
                         WHERE notification_id = $1",
                    )
                    .bind(id)
                    .execute(command.conn())
                    .await?;
                    tracing::info!(notification = %id, by = %principal.user, "scheduled send cancelled");
                    Ok(CommandAccepted {
                        operation_id: command.operation_id(),
                        status: OperationStatus::Accepted,
                    })
                }
                "cancelled" => {
                    // Nothing changes, so nothing would resolve this command's own operation:
                    // answer with the operation that cancelled it, which did resolve, and
                    // record that answer.
                    let cancelled_by: Uuid = sqlx::query_scalar(
                        "SELECT operation_id FROM events
                         WHERE aggregate_id = $1 AND kind = 'notification.cancelled'",
                    )
                    .bind(id)
                    .fetch_one(command.conn())
                    .await?;
                    Ok(CommandAccepted {
                        operation_id: cancelled_by,
                        status: OperationStatus::Applied,
                    })
                }
                _ => Err(ApiError::AlreadyDispatched(changed_at)),
            }
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliver_at_is_checked() {
        let now = Utc::now();
        let second = chrono::TimeDelta::seconds(1);
        assert_eq!(check_deliver_at(None, now, 365), Ok(None));
        assert_eq!(check_deliver_at(Some(now), now, 365), Ok(None));
        assert_eq!(check_deliver_at(Some(now + second), now, 365), Ok(None));
        assert_eq!(check_deliver_at(Some(now - second), now, 365), Ok(None));
        // A retry whose moment passed while the server was away is sent now.
        assert_eq!(check_deliver_at(Some(now - LATE), now, 365), Ok(None));
        let later = now + second * 2;
        assert_eq!(check_deliver_at(Some(later), now, 365), Ok(Some(later)));
        let past = check_deliver_at(Some(now - LATE - second), now, 365).unwrap_err();
        assert_eq!(past.field, "deliver_at");
        let far = check_deliver_at(Some(now + chrono::TimeDelta::days(366)), now, 365);
        assert_eq!(far.unwrap_err().field, "deliver_at");
        let edge = now + chrono::TimeDelta::days(365);
        assert_eq!(check_deliver_at(Some(edge), now, 365), Ok(Some(edge)));
    }
}

//! `POST /v1/deliveries/{id}/receipt`: a recipient's daemon reports that it showed a desktop
//! popup, which completes the desktop channel (`delivery.succeeded`).
//!
//! It must not record a receipt for anything but the caller's own desktop deliveries (any other id
//! is a 404), nor record one delivery's success twice.

use axum::extract::State;
use axum::http::HeaderMap;
use notify_shared::api::{Channel, OperationStatus, Scope};
use notify_shared::commands::{CommandAccepted, Receipt};
use notify_shared::event::{DeliveryOutcome, Envelope, Event};
use notify_shared::problem::Problem;
use uuid::Uuid;

use super::AppState;
use super::auth::Principal;
use super::command::{Accepted, Begun, Command};
use super::error::ApiError;
use super::json::ApiJson;
use super::notifications::SOURCE;
use super::params::ApiPath;
use crate::store;

/// Longest device name in a receipt.
const MAX_DEVICE: usize = 64;

/// Reports that a desktop delivery was shown.
#[utoipa::path(
    post,
    operation_id = "recordReceipt",
    path = "/v1/deliveries/{id}/receipt",
    tag = "deliveries",
    request_body = Receipt,
    params(
        ("id" = Uuid, Path, description = "The delivery id"),
        ("Idempotency-Key" = Option<Uuid>, Header, nullable = false, description = "The operation id, a UUID"),
    ),
    responses(
        (status = 202, description = "Accepted", body = CommandAccepted),
        (status = 404, description = "No desktop delivery of yours", body = Problem),
    ),
    security(("bearer" = []))
)]
pub(super) async fn receipt(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(receipt): ApiJson<Receipt>,
) -> Result<Accepted, ApiError> {
    principal.require(Scope::Inbox)?;
    let device = receipt.device.clone().unwrap_or_else(|| "a desktop".into());
    if device.chars().count() > MAX_DEVICE || device.chars().any(char::is_control) {
        return Err(ApiError::BadRequest {
            slug: "bad-device",
            detail: format!("device must be one line of at most {MAX_DEVICE} characters"),
        });
    }
    let command = match Command::begin(
        &state,
        &principal.user,
        &headers,
        &("receipt", id, &receipt),
    )
    .await?
    {
        Begun::Fresh(command) => command,
        Begun::Replay(response) => return Ok(response),
    };
    command
        .run(async |command| {
            let found: Option<(Uuid, i32)> = sqlx::query_as(
                "SELECT notification_id, attempt FROM deliveries WHERE id = $1 AND recipient = $2 AND channel = 'desktop'",
            )
            .bind(id)
            .bind(principal.user.as_str())
            .fetch_optional(command.conn())
            .await?;
            let Some((notification, _)) = found else {
                return Err(ApiError::NotFound);
            };
            let version = store::lock_aggregate(command.conn(), notification).await?;
            // Under the lock: the attempt now, and whether any attempt already succeeded.
            let (attempt, already): (i32, bool) = sqlx::query_as(
                "SELECT d.attempt, EXISTS (SELECT FROM delivery_outcomes o WHERE o.delivery_id = d.id AND o.succeeded)
                 FROM deliveries d WHERE d.id = $1",
            )
            .bind(id)
            .fetch_one(command.conn())
            .await?;
            let recorded = !already
                && sqlx::query(
                    "INSERT INTO delivery_outcomes VALUES ($1, $2, true) ON CONFLICT DO NOTHING",
                )
                .bind(id)
                .bind(attempt)
                .execute(command.conn())
                .await?
                .rows_affected()
                    == 1;
            // A second receipt (another machine of the same user) changes nothing.
            if recorded {
                let event = Event::DeliverySucceeded(DeliveryOutcome {
                    delivery_id: id,
                    channel: Channel::Desktop,
                    attempt: u32::try_from(attempt).unwrap_or(u32::MAX),
                    detail: format!("shown on {device}"),
                    permanent: false,
                });
                let operation_id = command.operation_id();
                let envelope = Envelope::new(
                    SOURCE,
                    operation_id,
                    notification,
                    principal.user.clone(),
                    version + 1,
                    event,
                );
                command.append([envelope]);
            }
            Ok(CommandAccepted {
                operation_id: command.operation_id(),
                status: OperationStatus::Accepted,
            })
        })
        .await
}

//! `GET /v1/operations/{id}`: what became of a command, for the principal who sent it.
//!
//! The read DB answers; an operation the projector has not reached yet is looked up among the
//! write DB's idempotency records (one primary-key read) and reported `accepted`, so that a
//! client polling right after its command sees it rather than a 404.
//!
//! It must not answer for another principal's operation: that is a 404, as for one that does not
//! exist.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use notify_shared::api::OperationStatus;
use notify_shared::problem::Problem;
use notify_shared::views::OperationView;
use uuid::Uuid;

use super::AppState;
use super::auth::Principal;
use super::error::ApiError;
use super::params::ApiPath;
use super::rows::variant;

/// One row of `operations` with its notifications.
#[derive(Debug, sqlx::FromRow)]
struct OperationRow {
    kind: String,
    status: String,
    resolved_at: Option<DateTime<Utc>>,
    notifications: Vec<Uuid>,
}

/// Where one of the caller's operations stands.
#[utoipa::path(
    get,
    operation_id = "getOperation",
    path = "/v1/operations/{id}",
    tag = "operations",
    params(("id" = Uuid, Path, description = "The operation id")),
    responses(
        (status = 200, description = "The operation", body = OperationView),
        (status = 404, description = "No such operation of yours", body = Problem),
        (status = 503, description = "Read DB unavailable", body = Problem),
    ),
    security(("bearer" = []))
)]
pub(super) async fn get(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<OperationView>, ApiError> {
    operation(&state, &principal, id).await.map(Json)
}

/// Where one of the caller's operations stands, whatever the transport.
pub(crate) async fn operation(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<OperationView, ApiError> {
    let row: Option<OperationRow> = sqlx::query_as(
        "SELECT o.kind, o.status, o.resolved_at,
                array(SELECT notification_id FROM operation_notifications l
                      WHERE l.operation_id = o.id ORDER BY notification_id) AS notifications
         FROM operations o WHERE o.id = $1 AND o.requester = $2",
    )
    .bind(id)
    .bind(principal.user.as_str())
    .fetch_optional(&state.read)
    .await
    .map_err(ApiError::read)?;
    if let Some(row) = row {
        return Ok(OperationView {
            id,
            kind: Some(variant(&row.kind)?),
            status: variant(&row.status)?,
            notifications: row.notifications,
            resolved_at: row.resolved_at,
        });
    }
    let accepted: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT FROM idempotency_keys WHERE key = $1 AND principal = $2)",
    )
    .bind(id)
    .bind(principal.user.as_str())
    .fetch_one(&state.write)
    .await?;
    if !accepted {
        return Err(ApiError::NotFound);
    }
    Ok(OperationView {
        id,
        kind: None,
        status: OperationStatus::Accepted,
        notifications: Vec::new(),
        resolved_at: None,
    })
}

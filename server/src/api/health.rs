//! `/healthz` (the process answers), `/readyz` (it can take commands: the write DB answers)
//! and `/metrics` (what this process did, for Prometheus; admin tokens only).
//!
//! `/healthz` must not depend on any database or the broker, so that a supervisor restarts only a
//! process that is truly stuck.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use notify_shared::api::Scope;

use super::AppState;
use super::auth::Principal;
use super::error::ApiError;
use crate::prometheus;

/// Liveness: 200 while the process serves HTTP.
#[utoipa::path(get, operation_id = "healthz", path = "/healthz", tag = "health", responses((status = 200, description = "Alive")))]
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// Readiness: 200 when the write DB answers, else 503 with a problem document.
#[utoipa::path(
    get,
    operation_id = "readyz",
    path = "/readyz",
    tag = "health",
    responses(
        (status = 200, description = "Ready"),
        (status = 503, description = "The write DB is unavailable", body = notify_shared::problem::Problem),
    )
)]
pub async fn readyz(State(state): State<AppState>) -> Result<(StatusCode, &'static str), ApiError> {
    sqlx::query("SELECT 1").execute(&state.write).await?;
    Ok((StatusCode::OK, "ready\n"))
}

/// This process's metrics in Prometheus' text format (see the README's "Metrics"). Admin
/// tokens only: the page tells how busy the service is. A process can also serve it without
/// a token on `metrics_listen`.
#[utoipa::path(
    get,
    operation_id = "metrics",
    path = "/metrics",
    tag = "health",
    responses(
        (status = 200, description = "The metrics", content_type = "text/plain", body = String),
        (status = 401, description = "Missing or invalid token", body = notify_shared::problem::Problem),
        (status = 403, description = "Not an admin token", body = notify_shared::problem::Problem),
    ),
    security(("bearer" = []))
)]
pub async fn metrics(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<impl IntoResponse, ApiError> {
    principal.require(Scope::Admin)?;
    Ok(prometheus::page(&state.metrics))
}

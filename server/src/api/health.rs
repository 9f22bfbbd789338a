//! `/healthz` (the process answers) and `/readyz` (it can take commands: the write DB answers).

use axum::extract::State;
use axum::http::StatusCode;

use super::AppState;
use super::error::ApiError;

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

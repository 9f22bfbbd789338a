//! `GET /v1/me`: who the token belongs to and what it may do.
//!
//! It must not read either database: the authenticated principal holds the whole answer.

use axum::Json;
use notify_shared::api::Me;

use super::auth::Principal;

/// The caller's user id and the token's scopes.
#[utoipa::path(
    get,
    operation_id = "me",
    path = "/v1/me",
    tag = "account",
    responses(
        (status = 200, description = "The caller", body = Me),
        (status = 401, description = "Missing or invalid token", body = notify_shared::problem::Problem),
    ),
    security(("bearer" = []))
)]
pub async fn me(principal: Principal) -> Json<Me> {
    Json(Me {
        user: principal.user,
        scopes: principal.scopes,
    })
}

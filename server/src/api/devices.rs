//! `POST /v1/devices` and `DELETE /v1/devices/{name}`: a user's machines. Registering creates
//! the user's broker account if needed and declares the machine's queue; it is idempotent per
//! device name.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use notify_shared::api::Scope;
use notify_shared::problem::{Problem, Violation};
use notify_shared::views::{DeviceCredentials, DeviceRegistration, valid_device_name};

use super::AppState;
use super::auth::Principal;
use super::error::ApiError;
use super::json::ApiJson;
use crate::accounts::{AccountError, Accounts};

/// Registers one of the caller's machines and answers how its daemon reaches its queue.
#[utoipa::path(
    post,
    path = "/v1/devices",
    tag = "devices",
    request_body = DeviceRegistration,
    responses(
        (status = 201, description = "Registered (or already registered)", body = DeviceCredentials),
        (status = 422, description = "Bad device name", body = Problem),
        (status = 503, description = "Broker management unavailable", body = Problem),
    ),
    security(("bearer" = []))
)]
pub(super) async fn register(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(registration): ApiJson<DeviceRegistration>,
) -> Result<(StatusCode, Json<DeviceCredentials>), ApiError> {
    principal.require(Scope::Inbox)?;
    let device = registration.name;
    if !valid_device_name(&device) {
        return Err(ApiError::Validation(vec![Violation::new(
            "name",
            format!("{device:?} is not a device name: use 1 to 32 of a-z, 0-9, '_' and '-'"),
        )]));
    }
    let user = &principal.user;
    let mut tx = state.write.begin().await?;
    sqlx::query("INSERT INTO broker_accounts (user_id, username, password) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(user.as_str())
        .bind(state.accounts.username(user))
        .bind(Accounts::new_password())
        .execute(&mut *tx)
        .await?;
    let password: String =
        sqlx::query_scalar("SELECT password FROM broker_accounts WHERE user_id = $1")
            .bind(user.as_str())
            .fetch_one(&mut *tx)
            .await?;
    sqlx::query("INSERT INTO devices (user_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(user.as_str())
        .bind(&device)
        .execute(&mut *tx)
        .await?;
    // The broker is set up before the commit: a failure leaves no device row behind, and a
    // retry repeats the idempotent management calls.
    state
        .accounts
        .ensure_account(user, &password)
        .await
        .map_err(broker)?;
    let queue = state
        .accounts
        .declare_device_queue(user, &device)
        .await
        .map_err(broker)?;
    tx.commit().await?;
    tracing::info!(%user, %device, %queue, "device registered");
    let credentials = DeviceCredentials {
        device,
        broker_url: state.accounts.public_url().to_owned(),
        username: state.accounts.username(user),
        password,
        queue,
    };
    Ok((StatusCode::CREATED, Json(credentials)))
}

/// Removes one of the caller's machines and its queue.
#[utoipa::path(
    delete,
    path = "/v1/devices/{name}",
    tag = "devices",
    params(("name" = String, Path, description = "The device name")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such device of yours", body = Problem),
    ),
    security(("bearer" = []))
)]
pub(super) async fn remove(
    State(state): State<AppState>,
    principal: Principal,
    Path(device): Path<String>,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::Inbox)?;
    let mut tx = state.write.begin().await?;
    let removed = sqlx::query("DELETE FROM devices WHERE user_id = $1 AND name = $2")
        .bind(principal.user.as_str())
        .bind(&device)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if removed == 0 {
        return Err(ApiError::NotFound);
    }
    state
        .accounts
        .delete_device_queue(&principal.user, &device)
        .await
        .map_err(broker)?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

fn broker(error: AccountError) -> ApiError {
    tracing::warn!(%error, "device setup failed");
    ApiError::BrokerUnavailable
}

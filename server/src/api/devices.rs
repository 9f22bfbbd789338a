//! `POST /v1/devices` and `DELETE /v1/devices/{name}`: a user's machines. Registering creates
//! the machine's broker account (or gives it a new password: passwords are kept nowhere, so
//! each registration issues one) and declares its queue; it is idempotent per device name
//! apart from the password.
//!
//! It must not keep a device's password anywhere, nor append events: devices are broker accounts
//! and queues, not part of the history.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use notify_shared::api::Scope;
use notify_shared::commands::{DeviceCredentials, DeviceRegistration, valid_device_name};
use notify_shared::problem::{Problem, Violation};

use super::AppState;
use super::auth::Principal;
use super::error::ApiError;
use super::json::ApiJson;
use super::params::ApiPath;
use crate::accounts::{AccountError, Accounts};

/// Registers one of the caller's machines and answers how its daemon reaches its queue.
#[utoipa::path(
    post,
    operation_id = "registerDevice",
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
    let password = Accounts::new_password();
    let mut tx = state.write.begin().await?;
    // A machine registered before keeps its queue (and what waits in it).
    let queue: String = sqlx::query_scalar(
        "INSERT INTO devices (user_id, name, queue) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, name) DO UPDATE SET queue = devices.queue
         RETURNING queue",
    )
    .bind(user.as_str())
    .bind(&device)
    .bind(Accounts::new_queue(user, &device))
    .fetch_one(&mut *tx)
    .await?;
    // The broker is set up before the commit: a failure leaves no device row behind, and a
    // retry repeats the idempotent management calls.
    state
        .accounts
        .ensure_account(user, &device, &queue, &password)
        .await
        .map_err(broker)?;
    state
        .accounts
        .declare_device_queue(user, &queue)
        .await
        .map_err(broker)?;
    tx.commit().await?;
    tracing::info!(%user, %device, %queue, "device registered");
    let credentials = DeviceCredentials {
        username: state.accounts.username(user, &device),
        device,
        broker_url: state.accounts.public_url().to_owned(),
        password,
        queue,
    };
    Ok((StatusCode::CREATED, Json(credentials)))
}

/// Removes one of the caller's machines, its queue and its broker account.
#[utoipa::path(
    delete,
    operation_id = "removeDevice",
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
    ApiPath(device): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::Inbox)?;
    let mut tx = state.write.begin().await?;
    let queue: Option<String> =
        sqlx::query_scalar("DELETE FROM devices WHERE user_id = $1 AND name = $2 RETURNING queue")
            .bind(principal.user.as_str())
            .bind(&device)
            .fetch_optional(&mut *tx)
            .await?;
    let queue = queue.ok_or(ApiError::NotFound)?;
    state
        .accounts
        .delete_device_queue(&queue)
        .await
        .map_err(broker)?;
    state
        .accounts
        .delete_account(&principal.user, &device)
        .await
        .map_err(broker)?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

fn broker(error: AccountError) -> ApiError {
    tracing::warn!(%error, "device setup failed");
    ApiError::BrokerUnavailable
}

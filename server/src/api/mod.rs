//! The api role: HTTP commands (validate, then append events in one write-DB transaction) and
//! queries against the read DB; and the ingest role's consumer ([`events_queue`]), which runs
//! the same send command for other services' domain events. Handlers never publish to the
//! broker.

pub(crate) mod auth;
pub(crate) mod command;
mod devices;
mod error;
mod events;
pub mod events_queue;
pub mod group_commit;
mod health;
mod idempotency;
pub(crate) mod inbox;
mod inbox_commands;
mod json;
pub mod known_tokens;
pub mod listen;
mod me;
pub(crate) mod notifications;
mod openapi;
pub(crate) mod operations;
mod params;
mod preferences;
pub mod rate_limit;
mod receipts;
mod rows;
pub(crate) mod sent;
pub mod shed;
pub mod smtp_relay;
pub mod stream;
mod timing;
mod web;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use notify_shared::limits::MAX_REQUEST_BYTES;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use error::ApiError;
pub use inbox_commands::inbox_id;
pub use openapi::ApiDoc;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The write DB: commands.
    pub write: PgPool,
    /// The read DB: queries.
    pub read: PgPool,
    /// The broker's management API, for devices.
    pub accounts: crate::accounts::Accounts,
    /// How far ahead a send may be scheduled, in days.
    pub schedule_max_days: u32,
    /// The per-user rate limit; `None` when turned off.
    pub rate_limit: Option<rate_limit::RateLimit>,
    /// Room for the commands this process runs at once.
    pub commands: shed::Commands,
    /// The tokens this process looked up lately.
    pub known_tokens: known_tokens::KnownTokens,
    /// Immediate sends, written in groups.
    pub group_commit: group_commit::GroupCommit,
    /// Woken after every command that appended events.
    pub relay: crate::wake::RelayWaker,
    /// Whether webhooks may go to non-public addresses (`webhook.allow_private`).
    pub webhook_allow_private: bool,
    /// The e-mail role's SMTP relay, asked when a user turns e-mail on.
    pub smtp_relay: smtp_relay::SmtpRelay,
    /// This process's metrics, served at `/metrics` to admin tokens.
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// The rules that turn other services' domain events into sends.
    pub rules: std::sync::Arc<crate::ingest::rules::Rules>,
    /// The live streams open on this process (`GET /v1/stream`).
    pub streams: stream::Streams,
}

/// The api's routes.
pub fn router(state: AppState) -> Router {
    let commands = state.commands.clone();
    Router::new()
        .route(
            "/v1/notifications",
            post(notifications::send).get(inbox::list),
        )
        .route("/v1/notifications/{id}", get(inbox::get))
        .route("/v1/notifications/{id}/events", get(inbox::events))
        .route("/v1/notifications/{id}/read", post(inbox_commands::read))
        .route("/v1/notifications/{id}/cancel", post(notifications::cancel))
        .route(
            "/v1/notifications/{id}/unread",
            post(inbox_commands::unread),
        )
        .route("/v1/inbox/read-all", post(inbox_commands::read_all))
        .route("/v1/inbox/count", get(inbox::count))
        .route("/v1/stream", get(stream::stream))
        .route("/v1/operations/{id}", get(operations::get))
        .route("/v1/sent", get(sent::sent))
        .route(
            "/v1/preferences",
            get(preferences::get).put(preferences::put),
        )
        .route("/v1/deliveries/{id}/receipt", post(receipts::receipt))
        .route("/v1/devices", post(devices::register))
        .route("/v1/devices/{name}", axum::routing::delete(devices::remove))
        .route("/v1/events", post(events::post))
        .route("/v1/me", get(me::me))
        .route("/", get(web::index))
        .route("/web/app.js", get(web::script))
        .route("/web/style.css", get(web::style))
        .route("/v1/openapi.json", get(openapi::document))
        .route("/metrics", get(health::metrics))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async {
            ApiError::Rejected {
                status: axum::http::StatusCode::METHOD_NOT_ALLOWED,
                detail: "this route does not take that method".into(),
            }
        })
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .layer(axum::middleware::from_fn(json::json_only))
        .layer(axum::middleware::from_fn_with_state(commands, shed::limit))
        .layer(axum::middleware::from_fn(listen::cap_head))
        .layer(axum::middleware::from_fn(timing::server_timing))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves the api on `listener` until `shutdown`, then finishes the requests in progress; a
/// client has `head_timeout` to send each request's head ([`listen::serve`]).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    head_timeout: std::time::Duration,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    listen::serve(listener, router(state), head_timeout, shutdown).await
}

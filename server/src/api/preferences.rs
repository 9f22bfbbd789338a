//! `GET /v1/preferences` (read DB) and `PUT /v1/preferences` (a command: one
//! `preferences.updated` event, and the write side's copy the dispatcher reads).
//!
//! The webhook signing secret is stored only in the write DB, never in an event, and shown only
//! when the server generates it.

use std::str::FromStr;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use notify_shared::UserId;
use notify_shared::api::{Channel, OperationStatus, Scope};
use notify_shared::commands::{PreferencesAccepted, PreferencesUpdate};
use notify_shared::event::{Envelope, Event, PreferencesUpdated};
use notify_shared::problem::{Problem, Violation};
use notify_shared::views::Preferences;
use notify_shared::wire_name::WireName;
use uuid::Uuid;

use super::AppState;
use super::auth::Principal;
use super::command::{Accepted, Begun, Command};
use super::error::ApiError;
use super::json::ApiJson;
use super::notifications::SOURCE;
use super::rows::variant;
use crate::workers::webhook;
use crate::{redact, store};

/// Longest e-mail address (RFC 5321 path limit).
const MAX_EMAIL: usize = 254;
/// Longest webhook URL.
const MAX_URL: usize = 2048;

/// The caller's delivery preferences (desktop only until set).
#[utoipa::path(
    get,
    operation_id = "getPreferences",
    path = "/v1/preferences",
    tag = "preferences",
    responses(
        (status = 200, description = "The preferences", body = Preferences),
        (status = 503, description = "Read DB unavailable", body = Problem),
    ),
    security(("bearer" = []))
)]
pub(super) async fn get(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Preferences>, ApiError> {
    principal.require(Scope::Inbox)?;
    let row: Option<PreferencesRow> = sqlx::query_as(
        "SELECT channels, email, webhook_url, webhook_secret_set FROM preferences WHERE user_id = $1",
    )
    .bind(principal.user.as_str())
    .fetch_optional(&state.read)
    .await
    .map_err(ApiError::read)?;
    let Some(row) = row else {
        return Ok(Json(Preferences {
            channels: vec![Channel::Desktop],
            email: None,
            webhook_url: None,
            webhook_secret_set: false,
        }));
    };
    let channels = row
        .channels
        .iter()
        .map(|c| variant(c))
        .collect::<Result<_, _>>()?;
    Ok(Json(Preferences {
        channels,
        email: row.email,
        // Events before the origin-only rule hold whole URLs; show every one the same way.
        webhook_url: row.webhook_url.as_deref().map(redact::webhook_origin),
        webhook_secret_set: row.webhook_secret_set,
    }))
}

/// One row of the read model's `preferences`.
#[derive(Debug, sqlx::FromRow)]
struct PreferencesRow {
    channels: Vec<String>,
    email: Option<String>,
    webhook_url: Option<String>,
    webhook_secret_set: bool,
}

/// Replaces the caller's delivery preferences.
#[utoipa::path(
    put,
    operation_id = "setPreferences",
    path = "/v1/preferences",
    tag = "preferences",
    request_body = PreferencesUpdate,
    params(("Idempotency-Key" = Option<Uuid>, Header, nullable = false, description = "The operation id, a UUID")),
    responses(
        (status = 202, description = "Accepted", body = PreferencesAccepted),
        (status = 422, description = "Invalid preferences", body = Problem),
    ),
    security(("bearer" = []))
)]
pub(super) async fn put(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ApiJson(update): ApiJson<PreferencesUpdate>,
) -> Result<Accepted, ApiError> {
    principal.require(Scope::Inbox)?;
    let violations = check(&update, state.webhook_allow_private);
    if !violations.is_empty() {
        return Err(ApiError::Validation(violations));
    }
    let wants_email = update.email.is_some() || update.channels.contains(&Channel::Email);
    let warnings = if wants_email {
        state.smtp_relay.unreachable().await.into_iter().collect()
    } else {
        Vec::new()
    };
    let command = match Command::begin(&state, &principal.user, &headers, &update).await? {
        Begun::Fresh(command) => command,
        Begun::Replay(response) => return Ok(response),
    };
    command
        .run(async |command| {
            let aggregate = preferences_id(&principal.user);
            let version = store::lock_aggregate(command.conn(), aggregate).await?;
            let stored: Option<(Option<String>, Option<String>)> = sqlx::query_as(
                "SELECT webhook_url, webhook_secret FROM user_preferences WHERE user_id = $1",
            )
            .bind(principal.user.as_str())
            .fetch_optional(command.conn())
            .await?;
            let (stored_url, stored_secret) = stored.unwrap_or_default();
            // Reads show a hook's origin only; a client that writes back what it read (`notify prefs
            // set` changes only what it is told to) means the stored hook, not its origin.
            let webhook_url = match (&update.webhook_url, stored_url) {
                (Some(given), Some(stored)) if *given == redact::webhook_origin(&stored) => Some(stored),
                (given, _) => given.clone(),
            };
            // A webhook needs a secret: the one given, else the stored one, else a new one shown once.
            let (secret, generated) = match (&webhook_url, &update.webhook_secret, stored_secret) {
                (None, _, _) => (None, None),
                (Some(_), Some(given), _) => (Some(given.clone()), None),
                (Some(_), None, Some(stored)) => (Some(stored), None),
                (Some(_), None, None) => {
                    let new = webhook::generate_secret();
                    (Some(new.clone()), Some(new))
                }
            };
            let channels: Vec<&str> = update.channels.iter().map(|c| c.as_str()).collect();
            sqlx::query(
                "INSERT INTO user_preferences (user_id, channels, email, webhook_url, webhook_secret) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (user_id) DO UPDATE SET channels = excluded.channels, email = excluded.email,
                     webhook_url = excluded.webhook_url, webhook_secret = excluded.webhook_secret",
            )
            .bind(principal.user.as_str())
            .bind(&channels)
            .bind(&update.email)
            .bind(&webhook_url)
            .bind(&secret)
            .execute(command.conn())
            .await?;
            let event = Event::PreferencesUpdated(PreferencesUpdated {
                channels: update.channels.clone(),
                email: update.email.clone(),
                // Its path and query are the hook's credential: the event holds only the origin.
                webhook_url: webhook_url.as_deref().map(redact::webhook_origin),
                webhook_secret_set: secret.is_some(),
            });
            let operation_id = command.operation_id();
            let envelope = Envelope::new(
                SOURCE,
                operation_id,
                aggregate,
                principal.user.clone(),
                version + 1,
                event,
            );
            command.append([envelope]);
            Ok(PreferencesAccepted {
                operation_id,
                status: OperationStatus::Accepted,
                webhook_secret: generated,
                warnings,
            })
        })
        .await
}

/// The aggregate id of a user's preferences: a UUIDv5 of the user id.
fn preferences_id(user: &UserId) -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("urn:notify:preferences:{user}").as_bytes(),
    )
}

/// Every rule the update breaks; webhooks to non-public addresses only when `allow_private`.
fn check(update: &PreferencesUpdate, allow_private: bool) -> Vec<Violation> {
    let mut violations = Vec::new();
    let mut seen = std::collections::HashSet::new();
    if let Some(dup) = update.channels.iter().find(|c| !seen.insert(**c)) {
        violations.push(Violation::new(
            "channels",
            format!("channel {} is named twice", dup.as_str()),
        ));
    }
    if let Some(email) = &update.email {
        if email.len() > MAX_EMAIL
            || lettre::Address::from_str(email).is_err()
            || email.chars().any(char::is_control)
        {
            violations.push(Violation::new(
                "email",
                format!("{email:?} is not an e-mail address"),
            ));
        }
    } else if update.channels.contains(&Channel::Email) {
        violations.push(Violation::new(
            "email",
            "the email channel needs an e-mail address".into(),
        ));
    }
    if let Some(url) = &update.webhook_url {
        if url.len() > MAX_URL {
            violations.push(Violation::new(
                "webhook_url",
                format!("use an http:// or https:// URL of at most {MAX_URL} characters"),
            ));
        } else if let Err(why) = webhook::check_url(url, allow_private) {
            // The worker's own rule, so a URL it would refuse is refused now.
            violations.push(Violation::new("webhook_url", why));
        }
    } else if update.channels.contains(&Channel::Webhook) {
        violations.push(Violation::new(
            "webhook_url",
            "the webhook channel needs a webhook URL".into(),
        ));
    }
    if let Some(secret) = &update.webhook_secret {
        if let Err(why) = webhook::check_secret(secret) {
            violations.push(Violation::new("webhook_secret", why));
        }
        if update.webhook_url.is_none() {
            violations.push(Violation::new(
                "webhook_secret",
                "a secret needs a webhook URL".into(),
            ));
        }
    }
    violations
}

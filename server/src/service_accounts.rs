//! `notify-server services add|delete`: the other services that send their domain events.
//!
//! A service is a user (the sender of the notifications its events cause) with a token of the
//! `events` scope for `POST /v1/events`, and a broker account that may publish to the ingest
//! exchange under routing keys that start with its name and do nothing else.
//!
//! It must not keep a service's broker password: it is printed once and kept by the service.

use notify_shared::UserId;
use notify_shared::api::Scope;
use notify_shared::routing::INGEST_EXCHANGE;
use reqwest::Url;
use serde::Serialize;
use sqlx::PgPool;

use crate::accounts::Accounts;
use crate::users::{self, UserError};

/// What a service needs to send its events, shown once.
#[derive(Debug, Serialize)]
pub struct Credentials {
    /// The service, the sender of its notifications.
    pub service: UserId,
    /// Its API token for `POST /v1/events`.
    pub token: String,
    /// The AMQP URL to publish with, its account and password in it.
    pub amqp_url: String,
    /// The exchange to publish to.
    pub exchange: &'static str,
    /// The routing key to publish under (or one that starts with it and a `.`).
    pub routing_key: UserId,
}

/// Makes (or renews) the service `name`: its user when new, a token with the `events` scope,
/// and its broker account with a new password.
pub async fn add(
    pool: &PgPool,
    accounts: &Accounts,
    name: &UserId,
) -> Result<Credentials, UserError> {
    let token = match users::add(pool, name, &[Scope::Events]).await {
        Err(UserError::Exists(_)) => users::add_token(pool, name, &[Scope::Events]).await?,
        made => made?,
    };
    let password = Accounts::new_password();
    accounts.ensure_service_account(name, &password).await?;
    let mut amqp_url = Url::parse(accounts.public_url())
        .map_err(|e| crate::accounts::AccountError::Config(format!("public_url: {e}")))?;
    let credentials_fit = amqp_url
        .set_username(&accounts.service_username(name))
        .and_then(|()| amqp_url.set_password(Some(&password)));
    if credentials_fit.is_err() {
        return Err(crate::accounts::AccountError::Config(
            "public_url cannot carry credentials".into(),
        )
        .into());
    }
    Ok(Credentials {
        service: name.clone(),
        token,
        amqp_url: amqp_url.to_string(),
        exchange: INGEST_EXCHANGE,
        routing_key: name.clone(),
    })
}

/// Revokes the service `name`: its broker account (its connections close at once), then the
/// user and its tokens, as `users delete` does.
pub async fn delete(
    pool: &PgPool,
    accounts: &Accounts,
    name: &UserId,
) -> Result<users::Deleted, UserError> {
    accounts.delete_service_account(name).await?;
    users::delete(pool, accounts, name).await
}

//! Users and their tokens in the write DB (`notify-server users ...`).
//!
//! It must not keep a token: a token is printed once when made, and only its hash is stored.

use notify_shared::UserId;
use notify_shared::api::Scope;
use notify_shared::event::{Envelope, Event, UserDeleted};
use sqlx::PgPool;
use uuid::Uuid;

use crate::accounts::Accounts;
use crate::api::inbox_id;
use crate::{store, tokens, wake};

/// The `source` of the events user commands record.
const SOURCE: &str = "/notify-server/users";

/// Why a user command failed.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// `users add` for a user who exists.
    #[error("user {0} already exists; `notify-server users token {0}` makes another token")]
    Exists(UserId),
    /// A token for a user who does not exist.
    #[error("no user {0}; `notify-server users add {0}` creates it")]
    Missing(UserId),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    /// The broker's management API failed (the user is gone from the database already; run
    /// the command again to finish).
    #[error("{0}; run the command again to finish")]
    Broker(#[from] crate::accounts::AccountError),
}

/// Creates `user` with a first token of `scopes`; returns the token (shown once).
pub async fn add(pool: &PgPool, user: &UserId, scopes: &[Scope]) -> Result<String, UserError> {
    let mut tx = pool.begin().await?;
    let inserted = sqlx::query("INSERT INTO users (id) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(user.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if inserted == 0 {
        return Err(UserError::Exists(user.clone()));
    }
    let token = insert_token(&mut tx, user, scopes).await?;
    tx.commit().await?;
    Ok(token)
}

/// Makes another token of `scopes` for an existing `user`; returns it (shown once).
pub async fn add_token(
    pool: &PgPool,
    user: &UserId,
    scopes: &[Scope],
) -> Result<String, UserError> {
    let mut tx = pool.begin().await?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT FROM users WHERE id = $1)")
        .bind(user.as_str())
        .fetch_one(&mut *tx)
        .await?;
    if !exists {
        return Err(UserError::Missing(user.clone()));
    }
    let token = insert_token(&mut tx, user, scopes).await?;
    tx.commit().await?;
    Ok(token)
}

/// What `users delete` removed.
#[derive(Debug)]
pub struct Deleted {
    /// Tokens revoked.
    pub tokens: i64,
    /// Devices (and their queues) removed.
    pub devices: usize,
}

/// Deletes `user`: their tokens, preferences, devices and idempotency records in the write
/// DB, with a `user.deleted` event (one transaction), then their device queues and broker
/// accounts (which closes their connections). The events they sent or received stay: events
/// are never deleted; the read model hides them from a later user of the same name.
pub async fn delete(
    pool: &PgPool,
    accounts: &Accounts,
    user: &UserId,
) -> Result<Deleted, UserError> {
    let mut tx = pool.begin().await?;
    let devices: Vec<(String, String)> =
        sqlx::query_as("SELECT name, queue FROM devices WHERE user_id = $1")
            .bind(user.as_str())
            .fetch_all(&mut *tx)
            .await?;
    let tokens: i64 = sqlx::query_scalar("SELECT count(*) FROM tokens WHERE user_id = $1")
        .bind(user.as_str())
        .fetch_one(&mut *tx)
        .await?;
    let deleted = sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(user.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if deleted == 0 {
        return Err(UserError::Missing(user.clone()));
    }
    // The read model is told through an event, so that a rebuild agrees: what was the user's
    // is nobody's, also when a user of the same name is added later.
    let inbox = inbox_id(user);
    let version = store::lock_aggregate(&mut tx, inbox).await?;
    let deleted = Envelope::new(
        SOURCE,
        Uuid::now_v7(),
        inbox,
        user.clone(),
        version + 1,
        Event::UserDeleted(UserDeleted {}),
    );
    store::append(&mut tx, &[deleted]).await?;
    tx.commit().await?;
    wake::notify(pool).await?;
    for (device, queue) in &devices {
        accounts.delete_device_queue(queue).await?;
        accounts.delete_account(user, device).await?;
    }
    accounts.delete_former_account(user).await?;
    Ok(Deleted {
        tokens,
        devices: devices.len(),
    })
}

async fn insert_token(
    conn: &mut sqlx::PgConnection,
    user: &UserId,
    scopes: &[Scope],
) -> Result<String, sqlx::Error> {
    let new = tokens::generate();
    let scopes: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    sqlx::query("INSERT INTO tokens (id, user_id, secret_hash, scopes) VALUES ($1, $2, $3, $4)")
        .bind(new.id)
        .bind(user.as_str())
        .bind(&new.secret_hash[..])
        .bind(&scopes)
        .execute(conn)
        .await?;
    Ok(new.token)
}

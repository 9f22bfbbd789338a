//! Connections to the write DB and its migrations.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;

/// The write DB schema, embedded in the binary.
pub static WRITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/write");

/// Opens a pool on the write DB. Acquiring a connection gives up after a few seconds so that
/// a request answers 503 instead of hanging while the database is down.
pub async fn connect_write(
    url: &SecretString,
    max_connections: u32,
) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(3))
        .connect(url.expose_secret())
        .await
}

/// Whether an error means the database could not be reached (rather than a bad query).
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    matches!(
        error,
        sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_)
    ) || matches!(error, sqlx::Error::Database(e) if e.code().is_some_and(|code| {
        // Class 57: operator intervention (shutdown, crash recovery); 08: connection exceptions.
        code.starts_with("57") || code.starts_with("08")
    }))
}

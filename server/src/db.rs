//! Connections to the write DB and the read DB, and their migrations.
//!
//! It must not hold a query of either model: only connecting, migrating, and telling transient
//! errors from the others.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;

/// The write DB schema, embedded in the binary.
pub static WRITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/write");

/// The read DB schema, embedded in the binary. Only the projector writes to it.
pub static READ_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/read");

/// A pool on the read DB that connects on first use, so that the api starts and takes
/// commands while the read DB is down (its queries answer 503 meanwhile).
pub fn connect_read_lazy(url: &SecretString, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(2))
        .connect_lazy(url.expose_secret())
}

/// Opens a pool on the read DB now.
pub async fn connect_read(url: &SecretString, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(3))
        .connect(url.expose_secret())
        .await
}

/// Whether a failed transaction is worth repeating as it was: the database was unreachable,
/// or it chose this transaction as a serialization or deadlock victim.
pub fn is_transient(error: &sqlx::Error) -> bool {
    is_unavailable(error)
        || matches!(error, sqlx::Error::Database(e) if matches!(e.code().as_deref(), Some("40001" | "40P01")))
}

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

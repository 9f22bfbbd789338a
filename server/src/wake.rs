//! Wakes the relay after a commit that appended events.
//!
//! The relay LISTENs on [`OUTBOX_CHANNEL`]; whoever commits events asks a [`RelayWaker`] for a
//! wake afterwards. The NOTIFY goes out in a transaction of its own that does not wait for its
//! WAL flush, never inside the appending transaction: PostgreSQL serializes the commits of
//! every transaction that notifies with a database-wide lock held from just before the commit
//! until its WAL is flushed, so a NOTIFY inside made each appending commit wait for the flush
//! of the one before (no two could share a flush). A wake that never comes (a process killed
//! between its commit and the NOTIFY, a write DB restarted) costs at most the relay's fallback
//! poll.

use sqlx::PgPool;
use tokio::sync::mpsc;

/// The LISTEN/NOTIFY channel that wakes the relay when outbox rows commit.
pub const OUTBOX_CHANNEL: &str = "notify_outbox";

/// Sends the NOTIFYs of one process, one at a time: wakes asked for while one is being sent
/// are served by one more. Cheap to clone; the task ends when every clone is dropped.
#[derive(Debug, Clone)]
pub struct RelayWaker {
    wanted: mpsc::Sender<()>,
}

impl RelayWaker {
    /// Starts the task that sends the NOTIFYs on `pool`.
    pub fn start(pool: PgPool) -> Self {
        let (wanted, mut asked) = mpsc::channel(1);
        tokio::spawn(async move {
            while asked.recv().await.is_some() {
                if let Err(error) = notify(&pool).await {
                    tracing::warn!(%error, "cannot wake the relay; it finds the events when it polls");
                }
            }
        });
        Self { wanted }
    }

    /// Wakes the relay soon, without waiting; call it after the commit.
    pub fn wake(&self) {
        // Full: a wake is already waiting to be sent, and it is sent after this commit.
        let _ = self.wanted.try_send(());
    }
}

/// Wakes the relay now: a NOTIFY in a transaction whose commit is not flushed (losing it in a
/// crash loses nothing but the wake), so it holds PostgreSQL's notify lock only for a moment.
pub async fn notify(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, '')")
        .bind(OUTBOX_CHANNEL)
        .execute(pool)
        .await?;
    Ok(())
}

//! `notify-server rebuild-read-model`: replays the event store into an emptied read DB with the
//! same code the live projector runs, so the result equals the live projection.
//!
//! The whole rebuild is one read-DB transaction: readers see the old read model (or wait for
//! its tables) until the new one commits, and an interrupted rebuild changes nothing. Indexes
//! that only serve readers are dropped for the replay and built once at its end, and the next
//! chunk of events is read from the write DB while the current one is applied.
//!
//! Stop the projectors first: a live projector would wait for the rebuild, then apply what it
//! holds a second time over (harmlessly, but for nothing).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use notify_shared::event::Envelope;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};

use super::apply;
use crate::db::READ_MIGRATIONS;

/// Events read from the write DB and applied at a time.
const CHUNK: i64 = 5000;

/// Tables the projector fills, emptied before a rebuild.
const READ_TABLES: &str = "applied_events, aggregate_versions, pending_events, notifications, \
                           timeline, inboxes, operation_notifications, operations, deliveries, \
                           preferences";

/// Indexes the projector never reads through (they serve the API's listings and searches):
/// built once after the replay instead of updated by every event.
const READER_INDEXES: [&str; 6] = [
    "notifications_inbox",
    "notifications_sent",
    "notifications_search",
    "notifications_tags",
    "deliveries_address",
    "operations_requester",
];

/// Migrates and empties the read DB, then applies every stored event in order; returns how
/// many events it replayed. Shows a progress bar on a terminal.
pub async fn rebuild(write: &PgPool, read: &PgPool) -> anyhow::Result<u64> {
    READ_MIGRATIONS.run(read).await?;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(write)
        .await?;
    let bar = progress(u64::try_from(total)?)?;

    let mut tx = read.begin().await?;
    sqlx::query(&format!("TRUNCATE {READ_TABLES}"))
        .execute(&mut *tx)
        .await?;
    let indexes = drop_reader_indexes(&mut tx).await?;
    let mut replayed = 0_u64;
    let mut rows = chunk_after(write, 0).await?;
    while let Some(&(last, _)) = rows.last() {
        let events: Vec<Envelope> = rows.into_iter().map(|(_, json)| json.0).collect();
        let (next, applied) =
            tokio::join!(chunk_after(write, last), apply::apply_all(&mut tx, &events));
        applied?;
        rows = next?;
        replayed += events.len() as u64;
        bar.inc(events.len() as u64);
    }
    bar.set_message("building indexes");
    for definition in &indexes {
        sqlx::query(definition).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    bar.finish_and_clear();
    Ok(replayed)
}

/// The stored events after `position`, in order, at most [`CHUNK`].
async fn chunk_after(write: &PgPool, position: i64) -> sqlx::Result<Vec<(i64, Json<Envelope>)>> {
    sqlx::query_as(
        "SELECT position, document FROM events WHERE position > $1 ORDER BY position LIMIT $2",
    )
    .bind(position)
    .bind(CHUNK)
    .fetch_all(write)
    .await
}

/// Drops [`READER_INDEXES`]; returns the statements that build them again.
async fn drop_reader_indexes(conn: &mut PgConnection) -> sqlx::Result<Vec<String>> {
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT indexname, indexdef FROM pg_indexes
         WHERE schemaname = current_schema() AND indexname = ANY($1)",
    )
    .bind(READER_INDEXES)
    .fetch_all(&mut *conn)
    .await?;
    for (name, _) in &indexes {
        // The names come from READER_INDEXES, not from input.
        sqlx::query(&format!("DROP INDEX \"{name}\""))
            .execute(&mut *conn)
            .await?;
    }
    Ok(indexes.into_iter().map(|(_, definition)| definition).collect())
}

/// A progress bar on stderr when it is a terminal; hidden otherwise.
fn progress(total: u64) -> anyhow::Result<ProgressBar> {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(total), target);
    bar.set_style(ProgressStyle::with_template(
        "{spinner} replaying events {bar:40} {human_pos}/{human_len} ({per_sec}, {eta} left) {msg}",
    )?);
    Ok(bar)
}

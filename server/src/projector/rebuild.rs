//! `notify-server rebuild-read-model`: replays the event store into an emptied read DB with the
//! same code the live projector runs, so the result equals the live projection.
//!
//! Stop the projectors first: a live projector writing at the same time would interleave.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use notify_shared::event::Envelope;
use sqlx::PgPool;

use super::apply_batch;
use super::statistics::{READ_TABLES, Statistics};
use crate::db::READ_MIGRATIONS;

/// Events read from the write DB and applied per transaction.
const CHUNK: i64 = 2000;

/// Migrates and empties the read DB, then applies every stored event in order; returns how
/// many events it replayed. Shows a progress bar on a terminal.
pub async fn rebuild(write: &PgPool, read: &PgPool) -> anyhow::Result<u64> {
    READ_MIGRATIONS.run(read).await?;
    sqlx::query(&format!("TRUNCATE {READ_TABLES}"))
        .execute(read)
        .await?;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(write)
        .await?;
    let bar = ProgressBar::with_draw_target(
        Some(u64::try_from(total)?),
        if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    bar.set_style(ProgressStyle::with_template(
        "{spinner} replaying events {bar:40} {human_pos}/{human_len} ({per_sec}, {eta} left)",
    )?);

    let mut after = 0_i64;
    let mut replayed = 0_u64;
    let mut statistics = Statistics::default();
    loop {
        let rows: Vec<(i64, sqlx::types::Json<Envelope>)> = sqlx::query_as(
            "SELECT position, document FROM events WHERE position > $1 ORDER BY position LIMIT $2",
        )
        .bind(after)
        .bind(CHUNK)
        .fetch_all(write)
        .await?;
        let Some((last, _)) = rows.last() else { break };
        after = *last;
        let events: Vec<Envelope> = rows.into_iter().map(|(_, json)| json.0).collect();
        apply_batch(read, &events).await?;
        replayed += events.len() as u64;
        bar.inc(events.len() as u64);
        // Statistics that still describe the emptied tables lead the planner to plans that
        // scan them whole: a chunk then takes seconds instead of milliseconds.
        statistics.applied(read, events.len()).await?;
    }
    bar.finish_and_clear();
    Ok(replayed)
}

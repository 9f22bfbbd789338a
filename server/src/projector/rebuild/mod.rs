//! `notify-server rebuild-read-model`: builds the read model again from the event store while
//! the live one goes on serving, then puts it in its place.
//!
//! The bulk path: the rebuild takes a cut of the store (every event up to a position, read
//! while no transaction is appending), folds the users' events and then
//! each send whole in memory ([`fold`], which gives the rows the projector would), and loads
//! the final rows with COPY ([`copy`]) into a schema of their own that has no keys or indexes
//! until the end ([`target`]). Sends are read in ranges of operation ids, while the range before
//! is folded and the one before that loaded, so memory holds three ranges (and every user's
//! read-alls). Then [`switch`] catches up with what the live projector
//! applied meanwhile and swaps the schemas in one transaction. Interrupted before that
//! transaction commits, a rebuild has changed nothing that anyone reads.
//!
//! This module only orders the stages: it must not write the live model (only [`switch`]
//! replaces it) nor decide what a row holds (only [`fold`] and the projector's code do).

mod copy;
mod fold;
mod switch;
mod target;

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use notify_shared::event::Envelope;
use secrecy::SecretString;
use sqlx::PgPool;
use sqlx::types::Json;
use tokio::sync::mpsc;
use uuid::Uuid;

pub use switch::hold;
pub use target::abandon;

use fold::{Rows, Stored};
use target::Target;

use super::publish_resolved;
use super::resolved::Resolved;
use crate::broker;

/// Events read (about) per range of sends.
const RANGE: i64 = 20_000;

/// Connections loading rows at the same time.
const LOADERS: usize = 2;

/// The kinds of the users' aggregates (inboxes and preferences), folded first.
const USER_KINDS: [&str; 3] = ["inbox.read_all", "preferences.updated", "user.deleted"];

/// What a rebuild did.
#[derive(Debug)]
pub struct Report {
    /// Events folded from the store's cut.
    pub events: u64,
    /// Events the live projector applied during the rebuild, applied to the new model after.
    pub caught_up: u64,
    /// The process's peak resident memory, where the system tells it.
    pub peak_memory: Option<u64>,
}

/// Rebuilds the read model from the event store and switches the api and the projectors to
/// it. With `bar`, shows an indicatif bar (events/s, time left); without, a line per phase.
pub async fn rebuild(
    write: &PgPool,
    read: &PgPool,
    amqp_url: &SecretString,
    bar: bool,
) -> anyhow::Result<Report> {
    let progress = Progress::new(bar);
    progress.phase("preparing a new schema for the read model");
    let target = Target::prepare(read)
        .await
        .context("cannot prepare the new read model's schema")?;
    let cut = cut(write).await?;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE position <= $1")
        .bind(cut)
        .fetch_one(write)
        .await?;
    progress.start(u64::try_from(total)?);

    let users: Vec<Stored> = sqlx::query_as::<_, (i64, Json<Envelope>)>(
        "SELECT position, document FROM events
         WHERE position <= $1 AND kind = ANY($2) ORDER BY position",
    )
    .bind(cut)
    .bind(USER_KINDS)
    .fetch_all(write)
    .await?
    .into_iter()
    .map(|(position, Json(envelope))| Stored { position, envelope })
    .collect();
    let mut rows = Rows::default();
    let read_alls = Arc::new(fold::users(&users, &mut rows)?);
    let mut events = users.len() as u64;
    target.load(copy::encode(&rows)).await?;
    progress.advance(users.len());
    drop(users);

    // Three stages that overlap: reading ranges of sends, folding them, loading the rows.
    let (ranges, mut fetched) = mpsc::channel(1);
    let reader = tokio::spawn(read_sends(write.clone(), cut, ranges));
    // Two loaders: COPY is the slowest stage, and the read DB parses on both cores.
    let mut loaders = Vec::new();
    let mut senders = Vec::new();
    for _ in 0..LOADERS {
        let (tables, mut encoded) = mpsc::channel::<Vec<copy::Table>>(1);
        let pool = target.pool.clone();
        loaders.push(tokio::spawn(async move {
            while let Some(tables) = encoded.recv().await {
                target::load(&pool, tables).await?;
            }
            Ok::<_, sqlx::Error>(())
        }));
        senders.push(tables);
    }
    let mut next = 0;
    while let Some(sends) = fetched.recv().await {
        let read_alls = Arc::clone(&read_alls);
        let (folded, encoded) = tokio::task::spawn_blocking(move || {
            let mut rows = Rows::default();
            for history in sends.values() {
                fold::send(history, &read_alls, &mut rows)?;
            }
            Ok::<_, fold::FoldError>((rows.applied_events.len(), copy::encode(&rows)))
        })
        .await??;
        if senders[next].send(encoded).await.is_err() {
            break; // that loader failed: its error is below
        }
        next = (next + 1) % senders.len();
        events += folded as u64;
        progress.advance(folded);
    }
    drop(senders);
    reader.await??;
    for loader in loaders {
        loader.await??;
    }

    progress.phase("building keys and indexes");
    target.finish().await?;
    progress.phase("catching up with the live projector and switching");
    let switched = switch::catch_up_and_switch(write, read, &target, cut).await?;
    tell_requesters(amqp_url, &switched.resolved).await;
    progress.done();
    Ok(Report {
        events,
        caught_up: switched.caught_up,
        peak_memory: peak_memory(),
    })
}

/// Publishes `operation.resolved` for operations that resolved in the new model only. Best
/// effort, as the projector's: a requester that misses it finds the state by asking.
async fn tell_requesters(amqp_url: &SecretString, resolved: &[Resolved]) {
    if resolved.is_empty() {
        return;
    }
    let connected = async {
        let connection = broker::connect(amqp_url, "rebuild").await?;
        let channel = connection.create_channel().await?;
        Ok::<_, lapin::Error>((connection, channel))
    };
    match connected.await {
        Ok((connection, channel)) => {
            publish_resolved(&channel, resolved).await;
            broker::close(&connection).await;
        }
        Err(error) => {
            tracing::warn!(%error, operations = resolved.len(), "cannot tell requesters of the operations that resolved during the switch");
        }
    }
}

/// One range of sends: each send's events, in the store's order, by operation id.
type Sends = BTreeMap<Uuid, Vec<Stored>>;

/// Reads the sends of the cut in ranges of operation ids (about [`RANGE`] events each) and
/// hands each range on; stops early when nobody takes them any more.
async fn read_sends(write: PgPool, cut: i64, ranges: mpsc::Sender<Sends>) -> anyhow::Result<()> {
    let mut lower = Uuid::nil();
    loop {
        let bound: Option<Uuid> = sqlx::query_scalar(
            "SELECT operation_id FROM events WHERE operation_id > $1
             ORDER BY operation_id OFFSET $2 LIMIT 1",
        )
        .bind(lower)
        .bind(RANGE)
        .fetch_optional(&write)
        .await?;
        let upper = bound.map_or(Uuid::max(), |bound| Uuid::from_u128(bound.as_u128() - 1));
        // A send is the operation of a `notification.requested`; its events are every event
        // of the notifications it requested.
        let found: Vec<(Uuid, i64, Json<Envelope>)> = sqlx::query_as(
            "WITH sends AS MATERIALIZED (
                 SELECT operation_id, aggregate_id FROM events
                 WHERE operation_id BETWEEN $1 AND $2 AND kind = 'notification.requested'
                   AND position <= $3
             )
             SELECT s.operation_id, e.position, e.document
             FROM sends s JOIN events e USING (aggregate_id)
             WHERE e.position <= $3",
        )
        .bind(lower)
        .bind(upper)
        .bind(cut)
        .fetch_all(&write)
        .await?;
        let mut sends = Sends::new();
        for (send, position, Json(envelope)) in found {
            sends
                .entry(send)
                .or_default()
                .push(Stored { position, envelope });
        }
        for history in sends.values_mut() {
            history.sort_unstable_by_key(|stored| stored.position);
        }
        if ranges.send(sends).await.is_err() {
            return Ok(());
        }
        match bound {
            Some(bound) => lower = bound,
            None => return Ok(()),
        }
    }
}

/// The cut: the last stored position, read while no transaction is appending (a SHARE lock
/// waits for those that are and holds new ones back for that moment). Every event at or below
/// it is then in the store for good, and every later one lands above it.
async fn cut(write: &PgPool) -> Result<i64, sqlx::Error> {
    let mut tx = write.begin().await?;
    sqlx::query("SET LOCAL lock_timeout = '30s'")
        .execute(&mut *tx)
        .await?;
    sqlx::query("LOCK TABLE events IN SHARE MODE")
        .execute(&mut *tx)
        .await?;
    let position = sqlx::query_scalar("SELECT coalesce(max(position), 0) FROM events")
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(position)
}

/// The peak resident memory of this process (Linux's `VmHWM`), in bytes.
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The rebuild's progress on stderr: a bar, or a line per phase.
struct Progress {
    bar: Option<ProgressBar>,
    started: std::time::Instant,
}

impl Progress {
    fn new(bar: bool) -> Self {
        Self {
            bar: bar.then(|| ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())),
            started: std::time::Instant::now(),
        }
    }

    fn phase(&self, what: &str) {
        match &self.bar {
            Some(bar) => bar.set_message(what.to_owned()),
            None => eprintln!("{:6.1} s  {what}", self.started.elapsed().as_secs_f64()),
        }
    }

    fn start(&self, events: u64) {
        match &self.bar {
            Some(bar) => {
                bar.set_length(events);
                if let Ok(style) = ProgressStyle::with_template(
                    "{spinner} {msg} {bar:30} {human_pos}/{human_len} events ({per_sec}, {eta} left)",
                ) {
                    bar.set_style(style);
                }
                bar.set_message("folding the event store");
            }
            None => self.phase(&format!("folding {events} stored events")),
        }
    }

    fn advance(&self, events: usize) {
        if let Some(bar) = &self.bar {
            bar.inc(events as u64);
        }
    }

    fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

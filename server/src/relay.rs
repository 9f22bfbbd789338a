//! The relay role: moves outbox rows to the `notify.events` exchange.
//!
//! Woken by LISTEN/NOTIFY after each writer's commit ([`crate::wake`]), with a poll as fallback. Each batch is claimed with
//! `FOR UPDATE SKIP LOCKED` (so two relays never publish the same row at once), published with
//! pipelined publisher confirms, and deleted from the outbox only after every confirm arrived,
//! in the same transaction. A crash anywhere before that commit is durable (the relay's, or the
//! write DB's: the commit does not wait for its flush) leaves the rows in the outbox and they
//! are published again: at least once, never lost. There is no high-water mark, so a
//! row whose transaction commits after a later row's is still found.
//!
//! A batch goes out twice: each event alone on `notify.events` (its public contract: one
//! CloudEvents document per event, for devices and other services), and each server queue's
//! share of the batch as one message through `notify.pipeline` (see
//! [`notify_shared::routing::server_queues`]), so the server's own roles take a batch per
//! delivery instead of an event per delivery. No server queue is bound to `notify.events`;
//! a server queue that is missing makes the publish fail (`mandatory`), so it never drops
//! events. The delete of published rows does not wait for its WAL flush: losing it republishes
//! them, as a crash does (consumers dedupe by event id).
//!
//! It must not publish a row that has not committed, nor delete one before its confirm.

use std::time::Duration;

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{BasicProperties, Channel, Confirmation};
use notify_shared::UserId;
use notify_shared::event::CONTENT_TYPE;
use notify_shared::routing::{
    BATCH_CONTENT_TYPE, CHANNEL_HEADER, EVENTS_EXCHANGE, SERVER_QUEUES, routing_key_for_stored,
    server_queues,
};
use secrecy::SecretString;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::{broker, failpoint, pipeline, prometheus, wake};

/// The shortest time between the starts of two batches that were not full. A wake that comes
/// later than this after the last batch began is served at once; one that comes sooner waits
/// for the rest of it, with every wake that arrives meanwhile. So under load every role gets
/// fewer, larger batches (each batch costs a claim, a broker message per server queue and a
/// transaction in each role, whatever its size), and alone a notification waits for nothing.
const CYCLE: Duration = Duration::from_millis(10);

/// What the relay needs.
#[derive(Debug)]
pub struct Relay {
    /// The write DB.
    pub pool: PgPool,
    /// The broker.
    pub amqp_url: SecretString,
    /// Most rows per batch.
    pub batch: u32,
    /// Fallback poll interval.
    pub poll: Duration,
}

/// A claimed outbox row with what publishing its event needs.
#[derive(Debug, sqlx::FromRow)]
struct OutboxRow {
    position: i64,
    id: Uuid,
    kind: String,
    user_id: String,
    document: String,
    /// A delivery request's channel (its [`CHANNEL_HEADER`]).
    channel: Option<String>,
    /// Any delivery event's channel, for the metrics.
    delivery_channel: Option<String>,
    /// Whether a delivery request is a retry, for the metrics.
    retry: Option<bool>,
    /// The request of a send scheduled for later (see [`routing_key_for_stored`]).
    scheduled: bool,
}

/// Why a batch could not be relayed; the relay reconnects and tries again.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The write DB failed.
    #[error("write database: {0}")]
    Db(#[from] sqlx::Error),
    /// The broker failed or closed the channel.
    #[error("broker: {0}")]
    Broker(#[from] lapin::Error),
    /// The broker refused a message (negative acknowledgement).
    #[error("broker refused event {0}")]
    Nacked(Uuid),
    /// A server queue is missing (deleted while the relay ran).
    #[error("no server queue {0}")]
    Unroutable(String),
}

impl Relay {
    /// Relays until `shutdown`, reconnecting with backoff after any failure.
    pub async fn run(self, shutdown: CancellationToken) {
        broker::run_with_reconnect("relay", &shutdown, || self.session(&shutdown)).await;
    }

    /// One connected session: returns `Ok` only on shutdown.
    async fn session(&self, shutdown: &CancellationToken) -> Result<(), RelayError> {
        let connection = broker::connect(&self.amqp_url, "relay").await?;
        // Again on every reconnect, so a broker that lost its definitions gets them back.
        broker::declare_topology(&connection).await?;
        let channel = connection.create_channel().await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(wake::OUTBOX_CHANNEL).await?;
        tracing::info!("relay connected");
        loop {
            let began = tokio::time::Instant::now();
            let relayed = self.relay_batch(&channel).await?;
            if relayed == self.batch as usize {
                continue;
            }
            tokio::select! {
                notification = listener.recv() => {
                    notification?;
                    tokio::time::sleep_until(began + CYCLE).await;
                    // A batch often took rows whose wakes came after it: one claim serves
                    // every wake already here.
                    while listener.next_buffered().is_some() {}
                }
                () = tokio::time::sleep(self.poll) => {}
                () = shutdown.cancelled() => {
                    broker::close(&connection).await;
                    return Ok(());
                }
            }
        }
    }

    /// Publishes one batch of outbox rows and deletes them once confirmed; returns how many.
    #[tracing::instrument(skip_all, err)]
    async fn relay_batch(&self, channel: &Channel) -> Result<usize, RelayError> {
        let mut tx = self.pool.begin().await?;
        let rows: Vec<OutboxRow> = sqlx::query_as(
            // The claimed rows first, then one index lookup each (OFFSET 0 keeps the lookup a
            // subquery): a plain join was planned as a merge join that walked the event store
            // from its first event on every batch, 15 ms at 18,000 events.
            "WITH claimed AS (
                 SELECT position FROM outbox ORDER BY position LIMIT $1 FOR UPDATE SKIP LOCKED
             )
             SELECT c.position, e.id, e.kind, e.user_id, e.document::text,
                    CASE WHEN e.kind = 'delivery.requested'
                         THEN e.document -> 'data' ->> 'channel' END AS channel,
                    CASE WHEN e.kind LIKE 'delivery.%'
                         THEN e.document -> 'data' ->> 'channel' END AS delivery_channel,
                    CASE WHEN e.kind = 'delivery.requested'
                         THEN (e.document -> 'data' ->> 'attempt')::int > 1 END AS retry,
                    e.kind = 'notification.requested'
                        AND e.document -> 'data' ->> 'deliver_at' IS NOT NULL AS scheduled
             FROM claimed c
             CROSS JOIN LATERAL (
                 SELECT * FROM events WHERE events.position = c.position OFFSET 0
             ) e
             ORDER BY c.position",
        )
        .bind(i64::from(self.batch))
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            return Ok(0);
        }

        // Every event alone on `notify.events`, for devices and other subscribers (none may be
        // bound: that is no error), and each server queue's share of the batch as one message.
        let publishing = std::time::Instant::now();
        let mut confirms = Vec::with_capacity(rows.len() + SERVER_QUEUES.len());
        let mut shares: [Vec<&str>; SERVER_QUEUES.len()] = Default::default();
        for row in &rows {
            let user =
                UserId::parse(row.user_id.as_str()).map_err(|e| sqlx::Error::Decode(e.into()))?;
            let mut properties = BasicProperties::default()
                .with_message_id(ShortString::from(row.id.to_string()))
                .with_content_type(ShortString::from(CONTENT_TYPE))
                .with_type(ShortString::from(format!("notify.{}.v1", row.kind)))
                .with_delivery_mode(2);
            if let Some(name) = &row.channel {
                let mut headers = FieldTable::default();
                headers.insert(
                    ShortString::from(CHANNEL_HEADER),
                    AMQPValue::LongString(name.as_str().into()),
                );
                properties = properties.with_headers(headers);
            }
            let confirm = channel
                .basic_publish(
                    EVENTS_EXCHANGE.into(),
                    // A scheduled request reaches no device before its time.
                    routing_key_for_stored(&user, &row.kind, row.scheduled).into(),
                    BasicPublishOptions::default(),
                    row.document.as_bytes(),
                    properties,
                )
                .await?;
            confirms.push((row.id, confirm));
            for queue in server_queues(&row.kind, row.channel.as_deref()) {
                let index = SERVER_QUEUES.iter().position(|q| *q == queue);
                if let Some(share) = index.and_then(|i| shares.get_mut(i)) {
                    share.push(&row.document);
                }
            }
        }
        for (queue, share) in SERVER_QUEUES.iter().zip(&shares) {
            if share.is_empty() {
                continue;
            }
            let body = pipeline::batch_body(share.iter().copied());
            let confirm = pipeline::publish(channel, queue, &body, BATCH_CONTENT_TYPE).await?;
            confirms.push((rows[0].id, confirm));
        }
        for (id, confirm) in confirms {
            match confirm.await? {
                Confirmation::Ack(None) | Confirmation::NotRequested => {}
                Confirmation::Ack(Some(returned)) => {
                    return Err(RelayError::Unroutable(
                        returned.delivery.routing_key.to_string(),
                    ));
                }
                Confirmation::Nack(_) => return Err(RelayError::Nacked(id)),
            }
        }
        failpoint::hit("relay.after_confirm");
        metrics::histogram!(prometheus::RELAY_CONFIRM_SECONDS)
            .record(publishing.elapsed().as_secs_f64());
        count(&rows);

        let positions: Vec<i64> = rows.iter().map(|row| row.position).collect();
        // The commit need not wait for its WAL flush: a delete lost in a crash of the write DB
        // only publishes these rows again, as a crash of the relay does. So the relay's
        // commits never queue with the writers' for a flush.
        sqlx::query(
            "WITH relayed AS (DELETE FROM outbox WHERE position = ANY($1))
             SELECT set_config('synchronous_commit', 'off', true)",
        )
        .bind(&positions)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::debug!(count = rows.len(), "relayed");
        Ok(rows.len())
    }
}

/// Counts published events by kind, and deliveries by channel and step.
fn count(rows: &[OutboxRow]) {
    for row in rows {
        metrics::counter!(prometheus::EVENTS, "kind" => row.kind.clone()).increment(1);
        let Some(channel) = &row.delivery_channel else {
            continue;
        };
        let step = match (row.kind.as_str(), row.retry) {
            ("delivery.requested", Some(true)) => "retry",
            ("delivery.requested", _) => "requested",
            ("delivery.succeeded", _) => "succeeded",
            ("delivery.failed", _) => "failed",
            _ => continue,
        };
        metrics::counter!(prometheus::DELIVERIES, "channel" => channel.clone(), "step" => step)
            .increment(1);
    }
}

/// How often the outbox gauges are measured.
const OUTBOX_GAUGES_EVERY: Duration = Duration::from_secs(5);

/// Keeps the outbox's depth and the age of its oldest row in the metrics until `shutdown`:
/// a growing depth or age means the relay does not keep up (or the broker refuses it).
pub async fn watch_outbox(pool: PgPool, shutdown: CancellationToken) {
    loop {
        let measured: Result<(i64, f64), sqlx::Error> = sqlx::query_as(
            "SELECT count(*),
                    coalesce(extract(epoch FROM now() - (
                        SELECT e.recorded_at FROM events e
                        WHERE e.position = (SELECT min(position) FROM outbox))), 0)::float8
             FROM outbox",
        )
        .fetch_one(&pool)
        .await;
        match measured {
            Ok((depth, oldest)) => {
                metrics::gauge!(prometheus::OUTBOX_DEPTH).set(depth as f64);
                metrics::gauge!(prometheus::OUTBOX_OLDEST_SECONDS).set(oldest.max(0.0));
            }
            Err(error) => tracing::warn!(%error, "could not measure the outbox"),
        }
        tokio::select! {
            () = tokio::time::sleep(OUTBOX_GAUGES_EVERY) => {}
            () = shutdown.cancelled() => return,
        }
    }
}

//! The saga's state transitions, each one write-DB transaction under the notification's
//! aggregate lock (see [`store::lock_aggregate`]): start, record an outcome, retry, time out,
//! complete. Events it appends go out through the outbox like every other.

use std::sync::LazyLock;

use notify_shared::UserId;
use notify_shared::api::Channel;
use notify_shared::event::{
    DeliveryOutcome, DeliveryRequested, Envelope, Event, NotificationDelivered, NotificationFailed,
};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::escalate;
use crate::config::DeliveryConfig;
use crate::consumer::{HandleError, attempt_number};
use crate::projector::apply::name;
use crate::store::{self, APPEND, Events};

/// The `source` of the events the dispatcher records.
pub(super) const SOURCE: &str = "/notify-server/dispatcher";

/// Most due retries or missed deadlines handled per sweep.
const SWEEP_BATCH: i64 = 100;

/// The saga logic over the write DB.
#[derive(Debug, Clone)]
pub struct Saga {
    /// The write DB.
    pub pool: PgPool,
    /// Retries, deadlines, escalation.
    pub config: DeliveryConfig,
}

/// Events to append to one notification, numbered from its current version.
#[derive(Debug)]
pub(super) struct Pending {
    pub(super) aggregate: Uuid,
    pub(super) user: UserId,
    pub(super) operation: Uuid,
    version: u64,
    pub(super) events: Vec<Envelope>,
}

impl Pending {
    pub(super) fn push(&mut self, event: Event) {
        self.version += 1;
        let envelope = Envelope::new(
            SOURCE,
            self.operation,
            self.aggregate,
            self.user.clone(),
            self.version,
            event,
        );
        self.events.push(envelope);
    }
}

/// One row of `deliveries` as the sweep and outcomes need it.
#[derive(Debug, sqlx::FromRow)]
struct DeliveryRow {
    notification_id: Uuid,
    channel: String,
    address: String,
    attempt: i32,
    status: String,
}

/// What starting a saga reads: the notification's version, whether this call started the saga,
/// the notification's request, and the recipient's preferences (no channels: none set).
#[derive(Debug, sqlx::FromRow)]
struct Start {
    version: i32,
    started: bool,
    request: Option<Document>,
    channels: Option<Vec<String>>,
    email: Option<String>,
    webhook_url: Option<String>,
}

/// A delivery of a running saga, with what the saga's events need (the notification's version
/// among them).
#[derive(Debug, sqlx::FromRow)]
struct RunningDelivery {
    version: i32,
    operation_id: Uuid,
    recipient: String,
    #[sqlx(flatten)]
    delivery: DeliveryRow,
}

impl Saga {
    /// Starts the saga of a dispatched notification: one delivery per channel. A second
    /// dispatcher (or a redelivered event) finds the saga started and does nothing.
    pub async fn start(&self, dispatched: &Envelope) -> Result<(), HandleError> {
        let notification = dispatched.subject;
        let mut tx = self.pool.begin().await?;
        // The notification's lock and version, the saga, the request and the recipient's
        // preferences in one round trip. The saga's insert takes its row from the lock's
        // result, so it runs after the lock is granted (`lock_aggregate` reads the version on
        // a fresh snapshot).
        let start: Start = sqlx::query_as(
            "WITH locked AS (
                 SELECT lock_aggregate($1, $4) AS version
             ), started AS (
                 INSERT INTO sagas (notification_id, operation_id, recipient, is_escalation, status)
                 SELECT $1, $2, $3, EXISTS (SELECT FROM escalations WHERE escalation_id = $1), 'running'
                 FROM locked
                 ON CONFLICT DO NOTHING
                 RETURNING notification_id
             )
             SELECT l.version, EXISTS (SELECT FROM started) AS started,
                    (SELECT document FROM events WHERE aggregate_id = $1 AND version = 1) AS request,
                    p.channels, p.email, p.webhook_url
             FROM locked l
             LEFT JOIN user_preferences p ON p.user_id = $3",
        )
        .bind(notification)
        .bind(dispatched.operationid)
        .bind(dispatched.userid.as_str())
        .bind(store::lock_key(notification))
        .fetch_one(&mut *tx)
        .await?;
        if !start.started {
            return Ok(());
        }
        let version = store::version_of(start.version);
        let requested = escalate::request_data(notification, start.request)?;
        let (preferred, email, webhook) = match start.channels {
            Some(channels) => (parse_channels(&channels)?, start.email, start.webhook_url),
            None => (vec![Channel::Desktop], None, None),
        };
        let channels = if requested.channels.is_empty() {
            preferred
        } else {
            requested.channels.clone()
        };

        let mut pending = Pending {
            aggregate: notification,
            user: dispatched.userid.clone(),
            operation: dispatched.operationid,
            version,
            events: Vec::new(),
        };
        // Only a saga whose every channel failed at once (or has none) is done at its start.
        let mut waiting = false;
        let mut deliveries = NewDeliveries::default();
        for channel in channels {
            let delivery_id = Uuid::now_v7();
            let address = match channel {
                Channel::Desktop => Some(dispatched.userid.to_string()),
                Channel::Email => email.clone(),
                Channel::Webhook => webhook.clone(),
            };
            pending.push(Event::DeliveryRequested(DeliveryRequested {
                delivery_id,
                channel,
                address: address.clone().unwrap_or_default(),
                attempt: 1,
            }));
            waiting |= address.is_some();
            let (status, detail) = match &address {
                Some(_) => ("pending", None),
                None => (
                    "failed",
                    Some(format!(
                        "{} has no {} address in their preferences",
                        dispatched.userid,
                        name(&channel)
                    )),
                ),
            };
            deliveries.ids.push(delivery_id);
            deliveries.channels.push(name(&channel));
            deliveries.addresses.push(address.unwrap_or_default());
            deliveries.statuses.push(status);
            deliveries.deadlines.push(self.deadline_seconds(channel));
            deliveries.details.push(detail.clone());
            if let Some(detail) = detail {
                pending.push(Event::DeliveryFailed(DeliveryOutcome {
                    delivery_id,
                    channel,
                    attempt: 1,
                    detail,
                    permanent: true,
                }));
            }
        }
        if waiting {
            write(&mut tx, &pending, &pending.events, None, &deliveries).await?;
        } else {
            // The escalation reads the failed deliveries: they are written first, alone.
            write(&mut tx, &pending, &[], None, &deliveries).await?;
            let states = channel_states(&mut tx, notification).await?;
            self.write_completing(&mut tx, &mut pending, &states)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records a worker's (or a receipt's) outcome of one attempt. A stale or repeated outcome
    /// changes nothing.
    pub async fn record(
        &self,
        event: &Envelope,
        outcome: &DeliveryOutcome,
        succeeded: bool,
    ) -> Result<(), HandleError> {
        let mut tx = self.pool.begin().await?;
        let Some((mut pending, delivery)) = self
            .lock(&mut tx, event.subject, outcome.delivery_id)
            .await?
        else {
            return Ok(());
        };
        if delivery.status != "pending" || delivery.attempt != attempt_number(outcome.attempt)? {
            return Ok(());
        }
        let (status, retry_in_ms) = if succeeded {
            ("succeeded", None)
        } else if outcome.permanent || outcome.attempt >= self.config.max_attempts {
            ("failed", None)
        } else {
            let doubling = 2_u64.saturating_pow(outcome.attempt.saturating_sub(1));
            (
                "retry_wait",
                Some(self.config.retry_base_ms.saturating_mul(doubling)),
            )
        };
        // The update and every channel's state after it in one round trip: the other channels
        // as the statement's snapshot has them, this one as the update leaves it.
        let states: Vec<(String, String)> = sqlx::query_as(
            "WITH updated AS (
                 UPDATE deliveries SET status = $2, detail = $3,
                        next_attempt_at = now() + make_interval(secs => $4::double precision / 1000)
                 WHERE id = $1
                 RETURNING channel, status
             )
             SELECT channel, status FROM updated
             UNION ALL
             SELECT channel, status FROM deliveries WHERE notification_id = $5 AND id <> $1",
        )
        .bind(outcome.delivery_id)
        .bind(status)
        .bind(&outcome.detail)
        .bind(retry_in_ms.map(|ms| ms as f64))
        .bind(event.subject)
        .fetch_all(&mut *tx)
        .await?;
        self.write_completing(&mut tx, &mut pending, &states)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Requests the retries that are due and fails the deliveries that passed their deadline;
    /// returns how many it handled.
    pub async fn sweep(&self) -> Result<usize, sqlx::Error> {
        let due: Vec<(Uuid, Uuid, bool)> = sqlx::query_as(
            "(SELECT id, notification_id, true FROM deliveries
              WHERE status = 'retry_wait' AND next_attempt_at <= now() LIMIT $1)
             UNION ALL
             (SELECT id, notification_id, false FROM deliveries
              WHERE status = 'pending' AND deadline <= now() LIMIT $1)",
        )
        .bind(SWEEP_BATCH)
        .fetch_all(&self.pool)
        .await?;
        let mut handled = 0;
        for (delivery, notification, retry) in due {
            let result = if retry {
                self.retry(notification, delivery).await
            } else {
                self.time_out(notification, delivery).await
            };
            match result {
                Ok(true) => handled += 1,
                Ok(false) => {}
                Err(HandleError::Transient(error) | HandleError::Failed(error)) => {
                    tracing::warn!(%delivery, %error, "sweep could not handle a delivery");
                }
            }
        }
        Ok(handled)
    }

    /// Requests the next attempt of a delivery waiting for its retry.
    async fn retry(&self, notification: Uuid, delivery_id: Uuid) -> Result<bool, HandleError> {
        let mut tx = self.pool.begin().await?;
        let Some((mut pending, delivery)) = self.lock(&mut tx, notification, delivery_id).await?
        else {
            return Ok(false);
        };
        let due: bool = sqlx::query_scalar("SELECT status = 'retry_wait' AND next_attempt_at <= now() FROM deliveries WHERE id = $1")
            .bind(delivery_id)
            .fetch_one(&mut *tx)
            .await?;
        if !due {
            return Ok(false);
        }
        let channel = parse_channel(&delivery.channel)?;
        let attempt = delivery.attempt + 1;
        sqlx::query(
            "UPDATE deliveries SET status = 'pending', attempt = $2, next_attempt_at = NULL,
                    deadline = now() + make_interval(secs => $3)
             WHERE id = $1",
        )
        .bind(delivery_id)
        .bind(attempt)
        .bind(self.deadline_seconds(channel))
        .execute(&mut *tx)
        .await?;
        pending.push(Event::DeliveryRequested(DeliveryRequested {
            delivery_id,
            channel,
            address: delivery.address,
            attempt: u32::try_from(attempt).unwrap_or(u32::MAX),
        }));
        write(
            &mut tx,
            &pending,
            &pending.events,
            None,
            &NewDeliveries::default(),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Fails a delivery that got no outcome by its deadline.
    async fn time_out(&self, notification: Uuid, delivery_id: Uuid) -> Result<bool, HandleError> {
        let mut tx = self.pool.begin().await?;
        let Some((mut pending, delivery)) = self.lock(&mut tx, notification, delivery_id).await?
        else {
            return Ok(false);
        };
        let overdue: bool = sqlx::query_scalar(
            "SELECT status = 'pending' AND deadline <= now() FROM deliveries WHERE id = $1",
        )
        .bind(delivery_id)
        .fetch_one(&mut *tx)
        .await?;
        if !overdue {
            return Ok(false);
        }
        let channel = parse_channel(&delivery.channel)?;
        let detail = format!("no outcome within {} s", self.deadline_seconds(channel));
        sqlx::query("UPDATE deliveries SET status = 'failed', detail = $2 WHERE id = $1")
            .bind(delivery_id)
            .bind(&detail)
            .execute(&mut *tx)
            .await?;
        // A worker that reports this attempt later finds it settled and sends nothing more.
        sqlx::query("INSERT INTO delivery_outcomes VALUES ($1, $2, false) ON CONFLICT DO NOTHING")
            .bind(delivery_id)
            .bind(delivery.attempt)
            .execute(&mut *tx)
            .await?;
        pending.push(Event::DeliveryFailed(DeliveryOutcome {
            delivery_id,
            channel,
            attempt: u32::try_from(delivery.attempt).unwrap_or(u32::MAX),
            detail,
            permanent: true,
        }));
        let states = channel_states(&mut tx, notification).await?;
        self.write_completing(&mut tx, &mut pending, &states)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Locks the notification and reads its version, its running saga and the delivery in one
    /// round trip (migrations/write/0008); `None` when the saga is not running (finished, or not
    /// ours) or the delivery is unknown.
    async fn lock(
        &self,
        tx: &mut PgConnection,
        notification: Uuid,
        delivery_id: Uuid,
    ) -> Result<Option<(Pending, DeliveryRow)>, HandleError> {
        let found: Option<RunningDelivery> =
            sqlx::query_as("SELECT * FROM lock_running_delivery($1, $2, $3)")
                .bind(notification)
                .bind(store::lock_key(notification))
                .bind(delivery_id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(RunningDelivery {
            version,
            operation_id: operation,
            recipient,
            delivery,
        }) = found
        else {
            return Ok(None);
        };
        let user = UserId::parse(recipient).map_err(|e| HandleError::Failed(e.to_string()))?;
        let pending = Pending {
            aggregate: delivery.notification_id,
            user,
            operation,
            version: store::version_of(version),
            events: Vec::new(),
        };
        Ok(Some((pending, delivery)))
    }

    /// Writes the transition's events, completing the saga first when every channel has an
    /// outcome (`states`: each delivery's channel and status).
    async fn write_completing(
        &self,
        tx: &mut PgConnection,
        pending: &mut Pending,
        states: &[(String, String)],
    ) -> Result<(), HandleError> {
        let finished = self.complete_if_done(tx, pending, states).await?;
        write(
            tx,
            pending,
            &pending.events,
            finished,
            &NewDeliveries::default(),
        )
        .await?;
        Ok(())
    }

    /// When every channel has an outcome (`rows`: each delivery's channel and status): the
    /// notification's final event, an escalation when it failed, and the saga's final status
    /// to write with the events.
    async fn complete_if_done(
        &self,
        tx: &mut PgConnection,
        pending: &mut Pending,
        rows: &[(String, String)],
    ) -> Result<Option<&'static str>, HandleError> {
        if rows
            .iter()
            .any(|(_, status)| status == "pending" || status == "retry_wait")
        {
            return Ok(None);
        }
        let failed: Vec<Channel> = rows
            .iter()
            .filter(|(_, status)| status == "failed")
            .map(|(channel, _)| parse_channel(channel))
            .collect::<Result<_, _>>()?;
        if failed.is_empty() {
            pending.push(Event::NotificationDelivered(NotificationDelivered {}));
            return Ok(Some("delivered"));
        }
        pending.push(Event::NotificationFailed(NotificationFailed {
            failed_channels: failed,
        }));
        escalate::escalate(tx, &self.config, pending).await?;
        Ok(Some("failed"))
    }

    fn deadline_seconds(&self, channel: Channel) -> f64 {
        match channel {
            Channel::Desktop => self.config.desktop_deadline_s as f64,
            Channel::Email | Channel::Webhook => self.config.deadline_s as f64,
        }
    }
}

/// The deliveries a saga starts with, one per channel, as the columns [`write`] inserts.
#[derive(Debug, Default)]
struct NewDeliveries {
    ids: Vec<Uuid>,
    channels: Vec<String>,
    addresses: Vec<String>,
    statuses: Vec<&'static str>,
    deadlines: Vec<f64>,
    details: Vec<Option<String>>,
}

/// Writes a transition of `pending`'s saga in one round trip: its `events`, the saga's final
/// status when it `finished`, and the deliveries it `started` with.
async fn write(
    tx: &mut PgConnection,
    pending: &Pending,
    events: &[Envelope],
    finished: Option<&str>,
    started: &NewDeliveries,
) -> Result<(), sqlx::Error> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "WITH {APPEND}, finished AS (
                 UPDATE sagas SET status = $9 WHERE notification_id = $8 AND $9::text IS NOT NULL
             ), started AS (
                 INSERT INTO deliveries (id, notification_id, recipient, channel, address, attempt, status, deadline, detail)
                 SELECT d.id, $8, $10, d.channel, d.address, 1, d.status,
                        now() + make_interval(secs => d.deadline), d.detail
                 FROM UNNEST($11::uuid[], $12::text[], $13::text[], $14::text[], $15::double precision[], $16::text[])
                      AS d (id, channel, address, status, deadline, detail)
             )
             SELECT"
        )
    });
    let events = Events::new(events)?;
    events
        .bind(sqlx::query(&SQL))
        .bind(pending.aggregate)
        .bind(finished)
        .bind(pending.user.as_str())
        .bind(&started.ids)
        .bind(&started.channels)
        .bind(&started.addresses)
        .bind(&started.statuses)
        .bind(&started.deadlines)
        .bind(&started.details)
        .execute(tx)
        .await?;
    Ok(())
}

fn parse_channel(name: &str) -> Result<Channel, HandleError> {
    serde_json::from_value(serde_json::Value::String(name.to_owned()))
        .map_err(|e| HandleError::Failed(format!("bad channel {name:?} in the write DB: {e}")))
}

/// Each delivery of `notification`: its channel and status.
async fn channel_states(
    tx: &mut PgConnection,
    notification: Uuid,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT channel, status FROM deliveries WHERE notification_id = $1")
        .bind(notification)
        .fetch_all(tx)
        .await
}

fn parse_channels(names: &[String]) -> Result<Vec<Channel>, HandleError> {
    names.iter().map(|name| parse_channel(name)).collect()
}

/// The stored document of an event, typed.
pub(super) type Document = Json<Envelope>;

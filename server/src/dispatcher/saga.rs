//! The saga's state transitions, under the notification's aggregate lock (see
//! [`store::lock_aggregate`]): start, record an outcome, retry, time out, complete. Starts and
//! outcomes come in batches, one write-DB transaction each ([`Saga::handle_batch`]; a single
//! event is a batch of one); the sweep's retries and time-outs are one transaction each.
//! Events it appends go out through the outbox like every other.
//!
//! It must not change a saga without its notification's lock, nor deliver anything: the workers and
//! notifyd do.

use std::sync::LazyLock;

use notify_shared::api::Channel;
use notify_shared::event::{
    DeliveryOutcome, DeliveryRequested, Envelope, Event, NotificationDelivered, NotificationFailed,
};
use notify_shared::wire_name::WireName;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::escalate;
use super::pending::{Document, Pending};
use crate::config::DeliveryConfig;
use crate::consumer::{HandleError, attempt_number};
use crate::store::{self, APPEND, Events};
use crate::wake::RelayWaker;
use crate::{failpoint, redact};

/// Most due retries or missed deadlines handled per sweep.
const SWEEP_BATCH: i64 = 100;

/// The saga logic over the write DB.
#[derive(Debug, Clone)]
pub struct Saga {
    /// The write DB.
    pub pool: PgPool,
    /// Retries, deadlines, escalation.
    pub config: DeliveryConfig,
    /// Woken after every commit.
    pub relay: RelayWaker,
}

/// One row of `deliveries` as the sweep needs it.
#[derive(Debug, sqlx::FromRow)]
struct DeliveryRow {
    notification_id: Uuid,
    channel: String,
    address: String,
    attempt: i32,
}

/// What starting a saga reads: the notification's version, whether the saga is to be started
/// (not started before; under the lock: this call started it), the notification's request,
/// and the recipient's preferences (no channels: none set).
#[derive(Debug, sqlx::FromRow)]
struct Start {
    version: i32,
    fresh: bool,
    request: Option<Document>,
    channels: Option<Vec<String>>,
    email: Option<String>,
    webhook_url: Option<String>,
}

/// What a saga starts with (see [`Saga::plan`]), besides its deliveries.
#[derive(Debug)]
struct Plan {
    pending: Pending,
    waiting: bool,
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
    /// Starts the sagas of `dispatched` in the transaction `tx`, which holds their
    /// notifications' locks: one statement inserts the sagas not started yet and reads what
    /// their starts need, one more writes every delivery and the events of every saga that
    /// waits for an outcome. A saga whose every channel failed at once is completed after that,
    /// alone (its escalation reads its deliveries).
    async fn start_all(
        &self,
        tx: &mut PgConnection,
        dispatched: &[&Envelope],
    ) -> Result<(), HandleError> {
        if dispatched.is_empty() {
            return Ok(());
        }
        let ids: Vec<Uuid> = dispatched.iter().map(|d| d.subject).collect();
        let operations: Vec<Uuid> = dispatched.iter().map(|d| d.operationid).collect();
        let users: Vec<&str> = dispatched.iter().map(|d| d.userid.as_str()).collect();
        // After the locks, so the versions and the sagas of other dispatchers are current.
        let starts: Vec<Start> = sqlx::query_as(
            "WITH started AS (
                 INSERT INTO sagas (notification_id, operation_id, recipient, is_escalation, status)
                 SELECT s.id, s.operation, s.user_id,
                        EXISTS (SELECT FROM escalations x WHERE x.escalation_id = s.id), 'running'
                 FROM UNNEST($1::uuid[], $2::uuid[], $3::text[]) AS s (id, operation, user_id)
                 ON CONFLICT DO NOTHING
                 RETURNING notification_id
             )
             SELECT (SELECT coalesce(max(version), 0) FROM events WHERE aggregate_id = s.id) AS version,
                    EXISTS (SELECT FROM started t WHERE t.notification_id = s.id) AS fresh,
                    (SELECT document FROM notification_requests WHERE notification_id = s.id) AS request,
                    p.channels, p.email, p.webhook_url
             FROM UNNEST($1::uuid[], $3::text[]) WITH ORDINALITY AS s (id, user_id, n)
             LEFT JOIN user_preferences p ON p.user_id = s.user_id
             ORDER BY s.n",
        )
        .bind(&ids)
        .bind(&operations)
        .bind(&users)
        .fetch_all(&mut *tx)
        .await?;
        let mut deliveries = NewDeliveries::default();
        let mut events = Vec::new();
        let mut failing = Vec::new();
        for (dispatched, start) in dispatched.iter().zip(starts) {
            if !start.fresh {
                continue;
            }
            let plan = self.plan(dispatched, start, &mut deliveries)?;
            if plan.waiting {
                events.extend(plan.pending.events);
            } else {
                failing.push(plan.pending);
            }
        }
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "WITH {APPEND}, requested AS (
                     INSERT INTO deliveries (id, notification_id, recipient, channel, address, attempt,
                                             status, deadline, detail)
                     SELECT d.id, d.notification_id, d.recipient, d.channel, d.address, 1, d.status,
                            now() + make_interval(secs => d.deadline), d.detail
                     FROM UNNEST($8::uuid[], $9::uuid[], $10::text[], $11::text[], $12::text[],
                                 $13::text[], $14::double precision[], $15::text[])
                          AS d (id, notification_id, recipient, channel, address, status, deadline, detail)
                 )
                 SELECT"
            )
        });
        if !deliveries.ids.is_empty() {
            let events = Events::new(&events)?;
            events
                .bind(sqlx::query(&SQL))
                .bind(&deliveries.ids)
                .bind(&deliveries.notifications)
                .bind(&deliveries.recipients)
                .bind(&deliveries.channels)
                .bind(&deliveries.addresses)
                .bind(&deliveries.statuses)
                .bind(&deliveries.deadlines)
                .bind(&deliveries.details)
                .execute(&mut *tx)
                .await?;
        }
        for mut pending in failing {
            let states = channel_states(tx, pending.aggregate).await?;
            self.write_completing(tx, &mut pending, &states).await?;
        }
        Ok(())
    }

    /// What a saga starts with, from what its start read: a delivery per channel (the
    /// request's channels, else the recipient's preferences, else the desktop), its events,
    /// and whether any channel waits for an outcome.
    fn plan(
        &self,
        dispatched: &Envelope,
        start: Start,
        deliveries: &mut NewDeliveries,
    ) -> Result<Plan, HandleError> {
        let notification = dispatched.subject;
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

        let mut pending = Pending::new(
            notification,
            dispatched.userid.clone(),
            dispatched.operationid,
            store::version_of(start.version),
        );
        // Only a saga whose every channel failed at once (or has none) is done at its start.
        let mut waiting = false;
        for channel in channels {
            let delivery_id = Uuid::now_v7();
            let address = match channel {
                Channel::Desktop => Some(dispatched.userid.to_string()),
                Channel::Email => email.clone(),
                Channel::Webhook => webhook.clone(),
            };
            pending.push(delivery_requested(
                delivery_id,
                channel,
                address.as_deref().unwrap_or_default(),
                1,
            ));
            waiting |= address.is_some();
            let (status, detail) = match &address {
                Some(_) => ("pending", None),
                None => (
                    "failed",
                    Some(format!(
                        "{} has no {} address in their preferences",
                        dispatched.userid,
                        channel.as_str()
                    )),
                ),
            };
            deliveries.ids.push(delivery_id);
            deliveries.notifications.push(notification);
            deliveries.recipients.push(dispatched.userid.to_string());
            deliveries.channels.push(channel.as_str());
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
        Ok(Plan { pending, waiting })
    }

    /// Records the outcomes of a batch (a worker's or a receipt's, each of one attempt, in the
    /// order they came) in the transaction `tx`, which holds their notifications' locks, in
    /// three statements whatever their number: one read of the running sagas and their
    /// deliveries, one update of the deliveries, one append of the events of the sagas that
    /// completed (an escalation adds its own). A stale or repeated outcome, or one of a saga
    /// that is not running, changes nothing.
    async fn record_all(
        &self,
        tx: &mut PgConnection,
        outcomes: &[(&Envelope, &DeliveryOutcome, bool)],
    ) -> Result<(), HandleError> {
        let mut sagas = running_sagas(tx, outcomes.iter().map(|(e, _, _)| e.subject)).await?;
        let mut changes = DeliveryChanges::default();
        for (envelope, outcome, succeeded) in outcomes {
            let Some(delivery) = sagas
                .iter_mut()
                .find(|saga| saga.pending.aggregate == envelope.subject)
                .and_then(|saga| {
                    let id = outcome.delivery_id;
                    saga.deliveries.iter_mut().find(|d| d.id == id)
                })
            else {
                continue;
            };
            if !is_current(delivery, outcome)? {
                continue;
            }
            let (status, retry_in_ms) = self.settle(outcome, *succeeded);
            status.clone_into(&mut delivery.status);
            changes.ids.push(delivery.id);
            changes.statuses.push(status);
            changes.details.push(&outcome.detail);
            changes.retries_ms.push(retry_in_ms.map(|ms| ms as f64));
        }
        if changes.ids.is_empty() {
            return Ok(());
        }
        changes.write(tx).await?;
        // Escalation reads the updated deliveries.
        let mut events = Vec::new();
        let mut finished = (Vec::new(), Vec::new());
        for mut saga in sagas {
            let states: Vec<(String, String)> = saga
                .deliveries
                .into_iter()
                .map(|d| (d.channel, d.status))
                .collect();
            if let Some(status) = self
                .complete_if_done(tx, &mut saga.pending, &states)
                .await?
            {
                finished.0.push(saga.pending.aggregate);
                finished.1.push(status);
                events.append(&mut saga.pending.events);
            }
        }
        if finished.0.is_empty() {
            return Ok(());
        }
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "WITH {APPEND}, finished AS (
                     UPDATE sagas s SET status = f.status
                     FROM UNNEST($8::uuid[], $9::text[]) AS f (id, status)
                     WHERE s.notification_id = f.id
                 )
                 SELECT"
            )
        });
        let events = Events::new(&events)?;
        events
            .bind(sqlx::query(&SQL))
            .bind(&finished.0)
            .bind(&finished.1)
            .execute(tx)
            .await?;
        Ok(())
    }

    /// Handles the dispatches and outcomes of a batch in one transaction: every notification
    /// of the batch locked first, in lock-key order (so two batches never wait for each other),
    /// then the starts set-wise ([`Saga::start_all`]), then the outcomes set-wise in the order
    /// they came ([`Saga::record_all`]). Any failure fails the whole batch (the consumer then handles its events one by
    /// one).
    pub async fn handle_batch(&self, events: &[Envelope]) -> Result<(), HandleError> {
        let mut order: Vec<&Envelope> = events
            .iter()
            .filter(|envelope| {
                matches!(
                    envelope.event,
                    Event::NotificationDispatched(_)
                        | Event::DeliverySucceeded(_)
                        | Event::DeliveryFailed(_)
                )
            })
            .collect();
        if order.is_empty() {
            return Ok(());
        }
        // Stable: a notification's events keep their order.
        order.sort_by_key(|envelope| store::lock_key(envelope.subject));
        let mut tx = self.pool.begin().await?;
        lock_all(&mut tx, order.iter().map(|envelope| envelope.subject)).await?;
        let (starts, outcomes): (Vec<&Envelope>, Vec<&Envelope>) = order
            .into_iter()
            .partition(|envelope| matches!(envelope.event, Event::NotificationDispatched(_)));
        // An outcome follows its saga's start (its request is written by the start).
        self.start_all(&mut tx, &starts).await?;
        let outcomes: Vec<(&Envelope, &DeliveryOutcome, bool)> = outcomes
            .into_iter()
            .filter_map(|envelope| match &envelope.event {
                Event::DeliverySucceeded(outcome) => Some((envelope, outcome, true)),
                Event::DeliveryFailed(outcome) => Some((envelope, outcome, false)),
                _ => None,
            })
            .collect();
        self.record_all(&mut tx, &outcomes).await?;
        failpoint::hit("dispatcher.batch_commit");
        tx.commit().await?;
        self.relay.wake();
        Ok(())
    }

    /// A delivery's status after an attempt's outcome, and when a retry is due (ms from now).
    fn settle(&self, outcome: &DeliveryOutcome, succeeded: bool) -> (&'static str, Option<u64>) {
        if succeeded {
            ("succeeded", None)
        } else if outcome.permanent || outcome.attempt >= self.config.max_attempts {
            ("failed", None)
        } else {
            let doubling = 2_u64.saturating_pow(outcome.attempt.saturating_sub(1));
            (
                "retry_wait",
                Some(self.config.retry_base_ms.saturating_mul(doubling)),
            )
        }
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
        pending.push(delivery_requested(
            delivery_id,
            channel,
            &delivery.address,
            u32::try_from(attempt).unwrap_or(u32::MAX),
        ));
        write(&mut tx, &pending, &pending.events, None).await?;
        tx.commit().await?;
        self.relay.wake();
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
        self.relay.wake();
        Ok(true)
    }

    /// For the sweep: locks the notification and reads its version, its running saga and the
    /// delivery in one round trip (migrations/write/0008); `None` when the saga is not running
    /// (finished, or not ours) or the delivery is unknown.
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
        found.map(pending_of).transpose()
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
        write(tx, pending, &pending.events, finished).await?;
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
        match completion(rows)? {
            Completion::Running => Ok(None),
            Completion::Delivered => Ok(Some(deliver(pending))),
            Completion::Failed(failed) => {
                pending.push(Event::NotificationFailed(NotificationFailed {
                    failed_channels: failed,
                }));
                escalate::escalate(tx, &self.config, pending).await?;
                Ok(Some("failed"))
            }
        }
    }

    fn deadline_seconds(&self, channel: Channel) -> f64 {
        match channel {
            Channel::Desktop => self.config.desktop_deadline_s as f64,
            Channel::Email | Channel::Webhook => self.config.deadline_s as f64,
        }
    }
}

/// The deliveries sagas start with, one per channel, as the columns [`Saga::start_all`]
/// inserts.
#[derive(Debug, Default)]
struct NewDeliveries {
    ids: Vec<Uuid>,
    notifications: Vec<Uuid>,
    recipients: Vec<String>,
    channels: Vec<&'static str>,
    addresses: Vec<String>,
    statuses: Vec<&'static str>,
    deadlines: Vec<f64>,
    details: Vec<Option<String>>,
}

/// Writes a transition of `pending`'s saga in one round trip: its `events`, and the saga's
/// final status when it `finished`.
async fn write(
    tx: &mut PgConnection,
    pending: &Pending,
    events: &[Envelope],
    finished: Option<&str>,
) -> Result<(), sqlx::Error> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "WITH {APPEND}, finished AS (
                 UPDATE sagas SET status = $9 WHERE notification_id = $8 AND $9::text IS NOT NULL
             )
             SELECT"
        )
    });
    let events = Events::new(events)?;
    events
        .bind(sqlx::query(&SQL))
        .bind(pending.aggregate)
        .bind(finished)
        .execute(tx)
        .await?;
    Ok(())
}

/// Locks `notifications` (in the order given) until the transaction ends.
async fn lock_all(
    tx: &mut PgConnection,
    notifications: impl IntoIterator<Item = Uuid>,
) -> Result<(), sqlx::Error> {
    let mut ids: Vec<Uuid> = notifications.into_iter().collect();
    ids.dedup();
    let keys: Vec<i64> = ids.iter().copied().map(store::lock_key).collect();
    sqlx::query(
        "SELECT lock_aggregate(a.id, a.key) FROM UNNEST($1::uuid[], $2::bigint[]) AS a (id, key)",
    )
    .bind(&ids)
    .bind(&keys)
    .fetch_all(tx)
    .await?;
    Ok(())
}

/// A running saga that outcomes of a batch belong to, as read under its lock.
#[derive(Debug)]
struct RunningSaga {
    pending: Pending,
    deliveries: Vec<SagaDelivery>,
}

/// One delivery of a [`RunningSaga`]; `status` changes as the batch's outcomes are recorded.
#[derive(Debug, sqlx::FromRow)]
struct SagaDelivery {
    notification_id: Uuid,
    version: i32,
    operation_id: Uuid,
    recipient: String,
    id: Uuid,
    channel: String,
    attempt: i32,
    status: String,
}

/// The running sagas of `notifications` (locked by the caller) with every delivery of each.
async fn running_sagas(
    tx: &mut PgConnection,
    notifications: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<RunningSaga>, HandleError> {
    let mut ids: Vec<Uuid> = notifications.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    let rows: Vec<SagaDelivery> = sqlx::query_as(
        "SELECT s.notification_id,
                (SELECT coalesce(max(e.version), 0) FROM events e
                 WHERE e.aggregate_id = s.notification_id) AS version,
                s.operation_id, s.recipient, d.id, d.channel, d.attempt, d.status
         FROM sagas s JOIN deliveries d ON d.notification_id = s.notification_id
         WHERE s.notification_id = ANY($1) AND s.status = 'running'",
    )
    .bind(&ids)
    .fetch_all(tx)
    .await?;
    let mut sagas: Vec<RunningSaga> = Vec::new();
    for row in rows {
        match sagas
            .iter_mut()
            .find(|saga| saga.pending.aggregate == row.notification_id)
        {
            Some(saga) => saga.deliveries.push(row),
            None => {
                let pending = Pending::running(
                    row.notification_id,
                    row.recipient.clone(),
                    row.operation_id,
                    row.version,
                )?;
                sagas.push(RunningSaga {
                    pending,
                    deliveries: vec![row],
                });
            }
        }
    }
    Ok(sagas)
}

/// The deliveries a batch's outcomes settle, as the columns of one update.
#[derive(Debug, Default)]
struct DeliveryChanges<'a> {
    ids: Vec<Uuid>,
    statuses: Vec<&'static str>,
    details: Vec<&'a str>,
    retries_ms: Vec<Option<f64>>,
}

impl DeliveryChanges<'_> {
    /// Sets each delivery's status and detail, and when its retry is due.
    async fn write(&self, tx: &mut PgConnection) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE deliveries d SET status = c.status, detail = c.detail,
                    next_attempt_at = now() + make_interval(secs => c.retry_ms / 1000)
             FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::double precision[])
                  AS c (id, status, detail, retry_ms)
             WHERE d.id = c.id",
        )
        .bind(&self.ids)
        .bind(&self.statuses)
        .bind(&self.details)
        .bind(&self.retries_ms)
        .execute(tx)
        .await?;
        Ok(())
    }
}

/// Where a saga stands once every delivery's status is known.
#[derive(Debug)]
enum Completion {
    /// A channel still waits for an outcome or a retry.
    Running,
    /// Every channel succeeded.
    Delivered,
    /// Every channel has an outcome, and these failed.
    Failed(Vec<Channel>),
}

/// Where a saga with these deliveries (`rows`: each one's channel and status) stands.
fn completion(rows: &[(String, String)]) -> Result<Completion, HandleError> {
    if rows
        .iter()
        .any(|(_, status)| status == "pending" || status == "retry_wait")
    {
        return Ok(Completion::Running);
    }
    let failed: Vec<Channel> = rows
        .iter()
        .filter(|(_, status)| status == "failed")
        .map(|(channel, _)| parse_channel(channel))
        .collect::<Result<_, _>>()?;
    Ok(if failed.is_empty() {
        Completion::Delivered
    } else {
        Completion::Failed(failed)
    })
}

/// Completes `pending`'s saga as delivered; returns its final status.
fn deliver(pending: &mut Pending) -> &'static str {
    pending.push(Event::NotificationDelivered(NotificationDelivered {}));
    "delivered"
}

/// Whether `outcome` is of the attempt `delivery` waits for (not stale, not a repeat).
fn is_current(delivery: &SagaDelivery, outcome: &DeliveryOutcome) -> Result<bool, HandleError> {
    Ok(delivery.status == "pending" && delivery.attempt == attempt_number(outcome.attempt)?)
}

/// The events to append to a running saga's notification, and the delivery, from what a read
/// of it `found`.
fn pending_of(found: RunningDelivery) -> Result<(Pending, DeliveryRow), HandleError> {
    let RunningDelivery {
        version,
        operation_id: operation,
        recipient,
        delivery,
    } = found;
    let pending = Pending::running(delivery.notification_id, recipient, operation, version)?;
    Ok((pending, delivery))
}

/// `delivery.requested` of attempt `attempt` to `address`, as much of it as an event may hold:
/// the whole address stays in the saga's `deliveries` row, where the worker reads it.
fn delivery_requested(delivery_id: Uuid, channel: Channel, address: &str, attempt: u32) -> Event {
    Event::DeliveryRequested(DeliveryRequested {
        delivery_id,
        channel,
        address: redact::for_event(channel, address),
        attempt,
    })
}

fn parse_channel(name: &str) -> Result<Channel, HandleError> {
    name.parse()
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

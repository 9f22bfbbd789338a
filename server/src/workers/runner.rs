//! The channel worker roles (`email`, `webhook`): consume their channel's delivery requests
//! (routed by the `notify-channel` header; one of another channel, as older relays routed
//! them, is skipped), deliver, and record the outcome of the attempt.
//!
//! Effects are idempotent as far as a network effect can be: a request whose delivery already
//! succeeded, or whose attempt already has an outcome, sends nothing. The one window left is a
//! crash after sending and before the outcome commits: the request is redelivered and sent
//! again. Every send is first noted in `delivery_sends` (committed before the effect), so the
//! repeat knows it may be one and is counted in `effect_duplicates`; an outcome that finds
//! another already recorded (two workers on one request) is counted there too, never
//! recorded twice.

use std::collections::HashMap;
use std::future::Future;
use std::sync::LazyLock;
use std::time::Duration;

use futures::StreamExt;
use notify_shared::UserId;
use notify_shared::api::Channel;
use notify_shared::event::{
    DeliveryOutcome, DeliveryRequested, Envelope, Event, NotificationRequested,
};
use notify_shared::wire_name::WireName;
use secrecy::SecretString;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::attempt::Attempt;
use crate::consumer::{self, HandleError, Queue, attempt_number};
use crate::failpoint;
use crate::store::{self, APPEND, Events};
use crate::wake::RelayWaker;

/// Everything one delivery attempt needs.
#[derive(Debug, Clone)]
pub struct Job {
    /// The delivery (the same across retries).
    pub delivery_id: Uuid,
    /// The notification.
    pub notification_id: Uuid,
    /// The attempt number, from 1.
    pub attempt: u32,
    /// The e-mail address or webhook URL, whole.
    pub address: String,
    /// The recipient.
    pub recipient: UserId,
    /// What to deliver.
    pub notification: NotificationRequested,
    /// The recipient's webhook signing secret (webhook channel only).
    pub webhook_secret: Option<String>,
}

/// What an attempt reads first: whether the delivery is settled, whether this call noted the
/// send, the notification's request, and the webhook secret.
#[derive(Debug, sqlx::FromRow)]
struct AttemptStart {
    succeeded_before: bool,
    attempt_settled: bool,
    noted: bool,
    request: Option<sqlx::types::Json<Envelope>>,
    address: Option<String>,
    webhook_secret: Option<String>,
}

/// A channel worker.
#[derive(Debug)]
pub struct Worker {
    /// The write DB.
    pub pool: PgPool,
    /// The broker.
    pub amqp_url: SecretString,
    /// The channel it delivers on.
    pub channel: Channel,
    /// Its queue.
    pub queue: Queue,
    /// Woken after every commit of outcomes.
    pub relay: RelayWaker,
}

impl Worker {
    /// Delivers with `deliver` until `shutdown`.
    pub async fn run<D, Fut>(self, shutdown: CancellationToken, deliver: D)
    where
        D: Fn(Job) -> Fut,
        Fut: Future<Output = Attempt>,
    {
        let handle = |events| self.handle_batch(events, &deliver);
        consumer::run(&self.amqp_url, self.queue, &shutdown, handle).await;
    }

    /// Handles the delivery requests of a batch together: notes every send in one statement,
    /// delivers them `concurrency` at a time, and records every outcome in one transaction
    /// (each notification under its lock, in lock-key order). When that transaction fails,
    /// each outcome is recorded alone (never sent again). Returns the requests that failed.
    async fn handle_batch<D, Fut>(
        &self,
        events: Vec<Envelope>,
        deliver: &D,
    ) -> Result<Vec<Uuid>, HandleError>
    where
        D: Fn(Job) -> Fut,
        Fut: Future<Output = Attempt>,
    {
        let mut requests: Vec<(&Envelope, &DeliveryRequested)> = Vec::new();
        for envelope in &events {
            let Event::DeliveryRequested(request) = &envelope.event else {
                continue;
            };
            // One attempt of a delivery is made once, however many requests name it.
            let named = |(_, r): &(&Envelope, &DeliveryRequested)| {
                r.delivery_id == request.delivery_id && r.attempt == request.attempt
            };
            if request.channel == self.channel && !requests.iter().any(named) {
                requests.push((envelope, request));
            }
        }
        if requests.is_empty() {
            return Ok(Vec::new());
        }
        let starts = attempt_starts(&self.pool, &requests, self.channel).await?;

        let mut failed = Vec::new();
        let mut jobs = Vec::new();
        for (index, ((envelope, request), start)) in requests.iter().zip(&starts).enumerate() {
            match job_of(envelope, request, start) {
                Ok(Some(job)) => jobs.push((index, job)),
                Ok(None) => {}
                Err(error) => {
                    tracing::error!(event = %envelope.id, %error, "request failed");
                    failed.push(envelope.id);
                }
            }
        }
        let concurrency = usize::from(self.queue.concurrency);
        let attempts: Vec<(usize, Attempt)> = futures::stream::iter(jobs)
            .map(|(index, job)| async move {
                let attempt = deliver(job).await;
                failpoint::hit("worker.after_send");
                (index, attempt)
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
        let attempts: Vec<Done<'_>> = attempts
            .into_iter()
            .map(|(index, attempt)| Done {
                envelope: requests[index].0,
                request: requests[index].1,
                // Noted before by an attempt that crashed (or another worker) after sending.
                repeated: !starts[index].noted,
                attempt,
            })
            .collect();
        // What was sent is recorded, never sent again: a transient failure is waited out here.
        if let Err(error) = retrying(|| self.record_all(&attempts)).await {
            tracing::warn!(%error, outcomes = attempts.len(), "recording the batch's outcomes failed; recording each alone");
            for done in &attempts {
                let result = retrying(|| self.record_all(std::slice::from_ref(done))).await;
                if let Err(error) = result {
                    tracing::error!(event = %done.envelope.id, %error, "outcome not recorded");
                    failed.push(done.envelope.id);
                }
            }
        }
        Ok(failed)
    }

    /// Records the outcomes of `attempts` in one transaction of two statements: every
    /// notification locked (in lock-key order) with each attempt's outcome row, then the
    /// outcome events of the attempts recorded first and the duplicated effects counted (see
    /// [`Worker::record_in`], which does the same for one).
    async fn record_all(&self, attempts: &[Done<'_>]) -> Result<(), HandleError> {
        let mut order: Vec<&Done<'_>> = attempts.iter().collect();
        order.sort_by_key(|done| store::lock_key(done.envelope.subject));
        let mut aggregates: Vec<Uuid> = order.iter().map(|done| done.envelope.subject).collect();
        aggregates.dedup();
        let keys: Vec<i64> = aggregates.iter().copied().map(store::lock_key).collect();
        let outcomes: Vec<(Event, bool)> = order
            .iter()
            .map(|done| outcome_event(done.request, &done.attempt))
            .collect();
        let deliveries: Vec<Uuid> = order.iter().map(|done| done.request.delivery_id).collect();
        let numbers = order
            .iter()
            .map(|done| attempt_number(done.request.attempt))
            .collect::<Result<Vec<i32>, _>>()?;
        let succeeded: Vec<bool> = outcomes.iter().map(|(_, succeeded)| *succeeded).collect();

        let mut tx = self.pool.begin().await?;
        // The outcome rows are inserted after every lock is granted (the insert waits for
        // `locked`); the versions are read after each lock (`lock_aggregate`).
        let locked: Vec<(Uuid, i32, Vec<Uuid>, Vec<i32>)> = sqlx::query_as(
            "WITH locked AS MATERIALIZED (
                 SELECT a.id, lock_aggregate(a.id, a.key) AS version
                 FROM UNNEST($1::uuid[], $2::bigint[]) AS a (id, key)
             ), first AS (
                 INSERT INTO delivery_outcomes (delivery_id, attempt, succeeded)
                 SELECT o.* FROM UNNEST($3::uuid[], $4::int[], $5::bool[]) AS o
                 WHERE (SELECT count(*) FROM locked) > 0
                 ON CONFLICT DO NOTHING
                 RETURNING delivery_id, attempt
             )
             SELECT l.id, l.version,
                    ARRAY (SELECT delivery_id FROM first) AS deliveries,
                    ARRAY (SELECT attempt FROM first) AS attempts
             FROM locked l",
        )
        .bind(&aggregates)
        .bind(&keys)
        .bind(&deliveries)
        .bind(&numbers)
        .bind(&succeeded)
        .fetch_all(&mut *tx)
        .await?;
        let firsts: Vec<(Uuid, i32)> = locked
            .first()
            .map(|(_, _, deliveries, attempts)| {
                deliveries
                    .iter()
                    .copied()
                    .zip(attempts.iter().copied())
                    .collect()
            })
            .unwrap_or_default();
        let mut versions: HashMap<Uuid, u64> = locked
            .iter()
            .map(|(id, version, _, _)| (*id, store::version_of(*version)))
            .collect();
        let mut recorded = Vec::new();
        let mut duplicates = (Vec::new(), Vec::new(), Vec::new());
        for ((done, (event, _)), number) in order.iter().zip(outcomes).zip(&numbers) {
            let first = firsts.contains(&(done.request.delivery_id, *number));
            if first {
                let version = versions.entry(done.envelope.subject).or_default();
                recorded.push(self.outcome(done.envelope, *version, event));
                *version += 1;
            }
            if done.repeated || !first {
                tracing::warn!(delivery = %done.request.delivery_id, attempt = done.request.attempt, "sent again (crash-after-send window, or two workers); counted");
                duplicates.0.push(done.request.delivery_id);
                duplicates.1.push(*number);
                duplicates.2.push(self.channel.as_str());
            }
        }
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "WITH {APPEND}, counted AS (
                     INSERT INTO effect_duplicates (delivery_id, attempt, channel)
                     SELECT * FROM UNNEST($8::uuid[], $9::int[], $10::text[])
                 )
                 SELECT"
            )
        });
        let events = Events::new(&recorded)?;
        events
            .bind(sqlx::query(&SQL))
            .bind(&duplicates.0)
            .bind(&duplicates.1)
            .bind(&duplicates.2)
            .execute(&mut *tx)
            .await?;
        failpoint::hit("worker.batch_commit");
        tx.commit().await?;
        self.relay.wake();
        Ok(())
    }

    /// The outcome `event` of `envelope`'s request as the notification's next event after
    /// `version`.
    fn outcome(&self, envelope: &Envelope, version: u64, event: Event) -> Envelope {
        Envelope::new(
            &format!("/notify-server/worker/{}", self.channel.as_str()),
            envelope.operationid,
            envelope.subject,
            envelope.userid.clone(),
            version + 1,
            event,
        )
    }
}

/// `write` again while it fails transiently (the write DB restarting), for up to about 15 s.
async fn retrying<F, Fut>(write: F) -> Result<(), HandleError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), HandleError>>,
{
    let mut backoff = Duration::from_millis(100);
    for _ in 0..10 {
        match write().await {
            Err(HandleError::Transient(error)) => {
                tracing::warn!(%error, retry_in = ?backoff, "recording outcomes failed; trying again");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
            result => return result,
        }
    }
    write().await
}

/// An attempt made in a batch, to record.
struct Done<'a> {
    envelope: &'a Envelope,
    request: &'a DeliveryRequested,
    repeated: bool,
    attempt: Attempt,
}

/// The outcome event of `attempt`, and whether it succeeded.
fn outcome_event(request: &DeliveryRequested, attempt: &Attempt) -> (Event, bool) {
    let (succeeded, detail, permanent) = match attempt {
        Attempt::Delivered(detail) => (true, detail.clone(), false),
        Attempt::Failed { detail, permanent } => (false, detail.clone(), *permanent),
    };
    let outcome = DeliveryOutcome {
        delivery_id: request.delivery_id,
        channel: request.channel,
        attempt: request.attempt,
        detail,
        permanent,
    };
    let event = if succeeded {
        Event::DeliverySucceeded(outcome)
    } else {
        Event::DeliveryFailed(outcome)
    };
    (event, succeeded)
}

/// Everything the attempts of `requests` need to know first, in one statement (one round trip
/// and one commit), and each send noted (committed before the effect) unless its attempt is
/// settled; in the order of `requests`.
async fn attempt_starts(
    pool: &PgPool,
    requests: &[(&Envelope, &DeliveryRequested)],
    channel: Channel,
) -> Result<Vec<AttemptStart>, HandleError> {
    let deliveries: Vec<Uuid> = requests.iter().map(|(_, r)| r.delivery_id).collect();
    let attempts = requests
        .iter()
        .map(|(_, r)| attempt_number(r.attempt))
        .collect::<Result<Vec<i32>, _>>()?;
    let notifications: Vec<Uuid> = requests.iter().map(|(e, _)| e.subject).collect();
    let users: Vec<&str> = requests.iter().map(|(e, _)| e.userid.as_str()).collect();
    Ok(sqlx::query_as(
        "WITH input AS (
             SELECT * FROM UNNEST($1::uuid[], $2::int[], $3::uuid[], $4::text[]) WITH ORDINALITY
                  AS i (delivery_id, attempt, notification_id, user_id, n)
         ), settled AS (
             SELECT i.n, coalesce(bool_or(o.succeeded), false) AS succeeded_before,
                    coalesce(bool_or(o.attempt = i.attempt), false) AS attempt_settled
             FROM input i LEFT JOIN delivery_outcomes o ON o.delivery_id = i.delivery_id
             GROUP BY i.n
         ), noted AS (
             INSERT INTO delivery_sends (delivery_id, attempt)
             SELECT i.delivery_id, i.attempt FROM input i JOIN settled s ON s.n = i.n
             WHERE NOT (s.succeeded_before OR s.attempt_settled)
             ON CONFLICT DO NOTHING
             RETURNING delivery_id, attempt
         )
         SELECT s.succeeded_before, s.attempt_settled,
                EXISTS (SELECT FROM noted x WHERE x.delivery_id = i.delivery_id AND x.attempt = i.attempt)
                    AS noted,
                (SELECT document FROM notification_requests WHERE notification_id = i.notification_id)
                    AS request,
                (SELECT address FROM deliveries WHERE id = i.delivery_id) AS address,
                CASE WHEN $5 THEN (SELECT webhook_secret FROM user_preferences WHERE user_id = i.user_id) END
                    AS webhook_secret
         FROM input i JOIN settled s ON s.n = i.n
         ORDER BY i.n",
    )
    .bind(&deliveries)
    .bind(&attempts)
    .bind(&notifications)
    .bind(&users)
    .bind(channel == Channel::Webhook)
    .fetch_all(pool)
    .await?)
}

/// The attempt to make of `request` from what its start read; `None` when it is settled (an
/// attempt of a delivery that succeeded, or that has its outcome: nothing is sent).
fn job_of(
    envelope: &Envelope,
    request: &DeliveryRequested,
    start: &AttemptStart,
) -> Result<Option<Job>, HandleError> {
    if start.succeeded_before || start.attempt_settled {
        tracing::info!(delivery = %request.delivery_id, attempt = request.attempt, "already settled; sending nothing");
        return Ok(None);
    }
    let Some(Event::NotificationRequested(notification)) =
        start.request.as_ref().map(|json| json.0.event.clone())
    else {
        return Err(HandleError::Failed(format!(
            "notification {} has no request",
            envelope.subject
        )));
    };
    Ok(Some(Job {
        delivery_id: request.delivery_id,
        notification_id: envelope.subject,
        attempt: request.attempt,
        // The event holds only what is no secret (a webhook's origin); the saga's row holds
        // the whole address. Requests from before the saga kept rows have it whole.
        address: start
            .address
            .clone()
            .unwrap_or_else(|| request.address.clone()),
        recipient: envelope.userid.clone(),
        notification,
        webhook_secret: start.webhook_secret.clone(),
    }))
}

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

use std::future::Future;
use std::sync::LazyLock;

use notify_shared::UserId;
use notify_shared::api::Channel;
use notify_shared::event::{
    DeliveryOutcome, DeliveryRequested, Envelope, Event, NotificationRequested,
};
use secrecy::SecretString;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::attempt::Attempt;
use crate::consumer::{self, HandleError, Queue, attempt_number};
use crate::failpoint;
use crate::projector::apply::name;
use crate::store::{self, APPEND, Events};

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
/// send, the notification's request and version, and the webhook secret.
#[derive(Debug, sqlx::FromRow)]
struct AttemptStart {
    version: i32,
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
}

impl Worker {
    /// Delivers with `deliver` until `shutdown`.
    pub async fn run<D, Fut>(self, shutdown: CancellationToken, deliver: D)
    where
        D: Fn(Job) -> Fut,
        Fut: Future<Output = Attempt>,
    {
        consumer::run(&self.amqp_url, self.queue, &shutdown, |event| {
            self.handle(event, &deliver)
        })
        .await;
    }

    async fn handle<D, Fut>(&self, envelope: Envelope, deliver: &D) -> Result<(), HandleError>
    where
        D: Fn(Job) -> Fut,
        Fut: Future<Output = Attempt>,
    {
        let Event::DeliveryRequested(request) = &envelope.event else {
            return Ok(());
        };
        if request.channel != self.channel {
            return Ok(());
        }
        // One round trip for everything the attempt needs to know first, and the send noted
        // (committed before the effect) unless the attempt is settled.
        let start: AttemptStart = sqlx::query_as(
            "WITH settled AS (
                 SELECT coalesce(bool_or(succeeded), false) AS succeeded_before,
                        coalesce(bool_or(attempt = $2), false) AS attempt_settled
                 FROM delivery_outcomes WHERE delivery_id = $1
             ), noted AS (
                 INSERT INTO delivery_sends (delivery_id, attempt)
                 SELECT $1, $2 FROM settled WHERE NOT (succeeded_before OR attempt_settled)
                 ON CONFLICT DO NOTHING
                 RETURNING 1
             )
             SELECT (SELECT coalesce(max(version), 0) FROM events WHERE aggregate_id = $3) AS version,
                    s.succeeded_before, s.attempt_settled, EXISTS (SELECT FROM noted) AS noted,
                    (SELECT document FROM events WHERE aggregate_id = $3 AND version = 1) AS request,
                    (SELECT address FROM deliveries WHERE id = $1) AS address,
                    CASE WHEN $5 THEN (SELECT webhook_secret FROM user_preferences WHERE user_id = $4) END
                        AS webhook_secret
             FROM settled s",
        )
        .bind(request.delivery_id)
        .bind(attempt_number(request.attempt)?)
        .bind(envelope.subject)
        .bind(envelope.userid.as_str())
        .bind(self.channel == Channel::Webhook)
        .fetch_one(&self.pool)
        .await?;
        if start.succeeded_before || start.attempt_settled {
            tracing::info!(delivery = %request.delivery_id, attempt = request.attempt, "already settled; sending nothing");
            return Ok(());
        }
        let Some(Event::NotificationRequested(notification)) =
            start.request.map(|json| json.0.event)
        else {
            return Err(HandleError::Failed(format!(
                "notification {} has no request",
                envelope.subject
            )));
        };
        let job = Job {
            delivery_id: request.delivery_id,
            notification_id: envelope.subject,
            attempt: request.attempt,
            // The event holds only what is no secret (a webhook's origin); the saga's row
            // holds the whole address. Requests from before the saga kept rows have it whole.
            address: start.address.unwrap_or_else(|| request.address.clone()),
            recipient: envelope.userid.clone(),
            notification,
            webhook_secret: start.webhook_secret,
        };
        // Noted before by an attempt that crashed (or another worker) after sending, perhaps.
        let repeated = !start.noted;
        let attempt = deliver(job).await;
        failpoint::hit("worker.after_send");
        let version = store::version_of(start.version);
        self.record(&envelope, request, attempt, repeated, version)
            .await
    }

    /// Records the attempt's outcome once; a second outcome for the same attempt, or an
    /// outcome of a `repeated` send, is counted as a duplicated effect. `version` is the
    /// notification's version when the attempt started.
    async fn record(
        &self,
        envelope: &Envelope,
        request: &DeliveryRequested,
        attempt: Attempt,
        repeated: bool,
        version: u64,
    ) -> Result<(), HandleError> {
        let (succeeded, detail, permanent) = match attempt {
            Attempt::Delivered(detail) => (true, detail, false),
            Attempt::Failed { detail, permanent } => (false, detail, permanent),
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
        let source = format!("/notify-server/worker/{}", name(&self.channel));
        let recorded = |version: u64| {
            Envelope::new(
                &source,
                envelope.operationid,
                envelope.subject,
                envelope.userid.clone(),
                version + 1,
                event.clone(),
            )
        };
        if !repeated {
            // Usually nothing was appended to the notification since the attempt started: the
            // outcome row and its event in one statement and no transaction around it. It
            // fails as a whole when another appender came first (NV001), the attempt has an
            // outcome already (unique violation) or it met an appender in a deadlock; the
            // locked path below sorts that out (retrying the message would send again).
            static SQL: LazyLock<String> = LazyLock::new(|| {
                format!(
                    "WITH locked AS (
                         SELECT lock_aggregate_at($8, $9, $10)
                     ), first AS (
                         INSERT INTO delivery_outcomes SELECT $11, $12, $13 FROM locked
                     ), {APPEND}
                     SELECT FROM locked"
                )
            });
            let events = [recorded(version)];
            let events = Events::new(&events)?;
            let written = events
                .bind(sqlx::query(&SQL))
                .bind(envelope.subject)
                .bind(store::lock_key(envelope.subject))
                .bind(i32::try_from(version).map_err(|e| HandleError::Failed(e.to_string()))?)
                .bind(request.delivery_id)
                .bind(attempt_number(request.attempt)?)
                .bind(succeeded)
                .execute(&self.pool)
                .await;
            if store::written(written)? {
                return Ok(());
            }
        }
        let mut tx = self.pool.begin().await?;
        // The notification's lock and version, then the outcome row, in one round trip: the
        // insert takes its row from the lock's result, so it runs after the lock is granted
        // (as `lock_aggregate` reads the version on a fresh snapshot).
        let (version, first): (i32, bool) = sqlx::query_as(
            "WITH locked AS (
                 SELECT lock_aggregate($4, $5) AS version
             ), first AS (
                 INSERT INTO delivery_outcomes SELECT $1, $2, $3 FROM locked
                 ON CONFLICT DO NOTHING RETURNING 1
             )
             SELECT version, EXISTS (SELECT FROM first) FROM locked",
        )
        .bind(request.delivery_id)
        .bind(attempt_number(request.attempt)?)
        .bind(succeeded)
        .bind(envelope.subject)
        .bind(store::lock_key(envelope.subject))
        .fetch_one(&mut *tx)
        .await?;
        if first {
            store::append(&mut tx, &[recorded(store::version_of(version))]).await?;
        }
        if repeated || !first {
            tracing::warn!(delivery = %request.delivery_id, attempt = request.attempt, "sent again (crash-after-send window, or two workers); counted");
            sqlx::query(
                "INSERT INTO effect_duplicates (delivery_id, attempt, channel) VALUES ($1, $2, $3)",
            )
            .bind(request.delivery_id)
            .bind(attempt_number(request.attempt)?)
            .bind(name(&self.channel))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

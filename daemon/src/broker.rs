//! The broker side: this device's queue, consumed with the user's own account, with manual
//! acks and a prefetch, reconnecting forever with backoff and jitter.
//!
//! Only passive operations: the daemon never declares, binds or publishes anything (its
//! account may only read its own device queues). Desktop deliveries go to the popup pipeline,
//! which acks them; every other event is deduplicated, applied to the hub, published on the
//! bus, and acked here. When the queue is gone or the account refused, the device is
//! registered again (the server recreates both) before the next attempt.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::anyhow;
use futures::StreamExt;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicQosOptions, BasicRejectOptions,
};
use lapin::types::FieldTable;
use lapin::uri::{AMQPUri, AMQPUserInfo};
use lapin::{Connection, ConnectionProperties};
use notify_shared::api::Channel;
use notify_shared::commands::DeviceCredentials;
use notify_shared::event::{Envelope, Event};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::backoff::Backoff;
use crate::desktop::{Ack, Input, Job, Live};
use crate::device::{Registrar, queue_user};
use crate::events::{Bus, DaemonEvent};
use crate::hub::{self, SharedHub};
use crate::seen::Seen;
use crate::systemd;

/// Unacked deliveries the broker may send ahead.
pub const PREFETCH: u16 = 100;
/// How long connecting may take, in milliseconds.
const CONNECT_TIMEOUT_MS: u64 = 10_000;
/// The largest AMQP frame (bigger messages come in several). The client keeps 32 frames of
/// buffer each way: at the broker's default of 128 KiB that was 8 MiB of the daemon's
/// resident set; a notification event is a few KiB.
const FRAME_MAX: u32 = 16 * 1024;
/// How long a shutdown waits for the popup in progress before closing the connection.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The broker URI for `credentials`: its URL with the account, the heartbeat (seconds) and
/// the frame size filled in.
pub fn uri(credentials: &DeviceCredentials, heartbeat_s: u16) -> anyhow::Result<AMQPUri> {
    let mut uri: AMQPUri = credentials.broker_url.parse().map_err(|e: String| {
        anyhow!(
            "the server gave a bad broker URL {:?}: {e}",
            credentials.broker_url
        )
    })?;
    uri.authority.userinfo = AMQPUserInfo {
        username: credentials.username.clone(),
        password: credentials.password.clone(),
    };
    uri.query.heartbeat = Some(heartbeat_s);
    uri.query.connection_timeout = Some(CONNECT_TIMEOUT_MS);
    uri.query.frame_max = Some(FRAME_MAX);
    Ok(uri)
}

/// Whether a failure means the device must be registered again: the queue is gone
/// (`NOT_FOUND`, expired while the machine was off) or the account was refused
/// (`ACCESS_REFUSED`, `NOT_ALLOWED`: a new password or a new vhost).
fn needs_registration(error: &anyhow::Error) -> bool {
    match error.downcast_ref::<lapin::Error>() {
        Some(error) => match error.kind() {
            lapin::ErrorKind::ProtocolError(amqp) => {
                matches!(amqp.kind().get_id(), 403 | 404 | 530)
            }
            _ => false,
        },
        None => false,
    }
}

/// The consumer and what it feeds.
#[derive(Debug)]
pub struct Broker {
    /// Gets (and renews) the device credentials.
    pub registrar: Registrar,
    /// Daemon state.
    pub hub: SharedHub,
    /// Seen event ids.
    pub seen: Seen,
    /// Where handled events are published.
    pub bus: Bus,
    /// The popup pipeline.
    pub desktop: mpsc::UnboundedSender<Input>,
    /// The generation of the connection consuming now.
    pub live: Live,
    /// The AMQP heartbeat in seconds: a connection silent for two of them is dead.
    pub heartbeat_s: u16,
}

impl Broker {
    /// Registers if needed, then consumes until `shutdown`; at shutdown it stops consuming,
    /// waits for `desktop_done` (the popup in progress), and closes the connection, so the
    /// deliveries not acked go back to the queue. Fails only when registration is refused.
    pub async fn run(
        self,
        shutdown: CancellationToken,
        desktop_done: CancellationToken,
    ) -> anyhow::Result<()> {
        let Some(mut credentials) = self.registrar.credentials(&shutdown).await? else {
            return Ok(());
        };
        let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
        let mut generation = 0;
        loop {
            hub::lock(&self.hub).set_identity(
                self.registrar.name().to_owned(),
                queue_user(&credentials.queue, self.registrar.name()),
            );
            generation += 1;
            let result = self
                .session(
                    &credentials,
                    generation,
                    &mut backoff,
                    &shutdown,
                    &desktop_done,
                )
                .await;
            self.set_connected(false, 0);
            let error = match result {
                Ok(()) => return Ok(()),
                Err(error) => error,
            };
            let delay = backoff.next_delay();
            tracing::warn!(
                %error,
                attempt = backoff.attempts(),
                retry_in = ?delay,
                "broker connection failed"
            );
            systemd::status(&format!(
                "reconnecting to the broker (attempt {})",
                backoff.attempts()
            ));
            if needs_registration(&error) {
                match self.registrar.register(&shutdown).await? {
                    Some(renewed) => credentials = renewed,
                    None => return Ok(()),
                }
            }
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = shutdown.cancelled() => return Ok(()),
            }
        }
    }

    /// Records whether a consumer runs (on connection `generation`), and tells the bus.
    fn set_connected(&self, connected: bool, generation: u64) {
        self.live.store(generation, Ordering::SeqCst);
        let changed = {
            let mut hub = hub::lock(&self.hub);
            let changed = hub.connected() != connected;
            hub.set_connected(connected);
            changed
        };
        if changed {
            let _ = self.bus.send(DaemonEvent::Connection(connected));
        }
    }

    /// One connection: consume until it fails (`Err`) or `shutdown` (`Ok`).
    async fn session(
        &self,
        credentials: &DeviceCredentials,
        generation: u64,
        backoff: &mut Backoff,
        shutdown: &CancellationToken,
        desktop_done: &CancellationToken,
    ) -> anyhow::Result<()> {
        let properties = ConnectionProperties::default()
            .with_connection_name(format!("notifyd/{}", self.registrar.name()).into());
        let connection = tokio::select! {
            connection = Connection::connect_uri(uri(credentials, self.heartbeat_s)?, properties) => connection?,
            () = shutdown.cancelled() => return Ok(()),
        };
        let channel = connection.create_channel().await?;
        channel
            .basic_qos(PREFETCH, BasicQosOptions::default())
            .await?;
        let mut consumer = channel
            .basic_consume(
                credentials.queue.as_str().into(),
                "notifyd".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        tracing::info!("consuming {}", credentials.queue);
        backoff.reset();
        self.set_connected(true, generation);
        let _ = self.desktop.send(Input::Connected(generation));
        systemd::status(&format!("connected; consuming {}", credentials.queue));
        loop {
            let next = tokio::select! {
                () = shutdown.cancelled() => break,
                next = consumer.next() => next,
            };
            let delivery = next.ok_or_else(|| anyhow!("the broker cancelled the consumer"))??;
            self.handle(delivery, generation).await?;
        }
        // Stop consuming, let the popup in progress finish (and ack), then close: whatever
        // is not acked by then goes back to the queue.
        let _ = channel
            .basic_cancel(consumer.tag(), BasicCancelOptions::default())
            .await;
        let _ = tokio::time::timeout(DRAIN_TIMEOUT, desktop_done.cancelled()).await;
        let _ = connection.close(200, "notifyd stopping".into()).await;
        Ok(())
    }

    /// One delivery; `Err` when the connection failed under it.
    async fn handle(&self, delivery: Delivery, generation: u64) -> anyhow::Result<()> {
        let envelope = match serde_json::from_slice::<Envelope>(&delivery.data) {
            Ok(envelope) => envelope,
            Err(error) => {
                tracing::warn!(%error, routing_key = %delivery.routing_key, "not an event; dropping it");
                delivery
                    .acker
                    .reject(BasicRejectOptions { requeue: false })
                    .await?;
                return Ok(());
            }
        };
        if let Event::DeliveryRequested(requested) = &envelope.event
            && requested.channel == Channel::Desktop
        {
            let job = Job {
                delivery: requested.delivery_id,
                envelope: Arc::new(envelope),
                ack: Ack::broker(delivery.acker),
                generation,
            };
            // When the pipeline is gone (stopping), the delivery goes back to the queue.
            let _ = self.desktop.send(Input::Job(job));
            return Ok(());
        }
        if self.seen.any(&[envelope.id]) {
            tracing::debug!(event = %envelope.id, "duplicate event; skipping");
            delivery.acker.ack(BasicAckOptions::default()).await?;
            return Ok(());
        }
        hub::lock(&self.hub).apply(&envelope, Instant::now());
        // Not fsynced: after a power loss a duplicate could count twice until the next fetch
        // of the count; popups are recorded durably by the pipeline.
        if let Err(error) = self.seen.record(vec![envelope.id], false).await {
            tracing::warn!(error = format!("{error:#}"), "cannot record a seen event");
        }
        let _ = self.bus.send(DaemonEvent::Received(Arc::new(envelope)));
        delivery.acker.ack(BasicAckOptions::default()).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_uri_carries_account_heartbeat_and_frame_size() {
        let credentials = DeviceCredentials {
            device: "laptop".into(),
            broker_url: "amqp://127.0.0.1:5673/notify-test".into(),
            username: "notify-user-alice".into(),
            password: "p@ss/word:1".into(),
            queue: "notify.user.alice.laptop".into(),
        };
        let uri = uri(&credentials, 30).expect("valid");
        assert_eq!(uri.authority.host, "127.0.0.1");
        assert_eq!(uri.authority.port, 5673);
        assert_eq!(uri.vhost, "notify-test");
        assert_eq!(uri.authority.userinfo.username, "notify-user-alice");
        assert_eq!(uri.authority.userinfo.password, "p@ss/word:1");
        assert_eq!(uri.query.heartbeat, Some(30));
        assert_eq!(uri.query.frame_max, Some(16 * 1024));
        let bad = DeviceCredentials {
            broker_url: "http://nope".into(),
            ..credentials
        };
        assert!(super::uri(&bad, 30).is_err());
    }
}

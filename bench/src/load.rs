//! The two ways of loading the api: as fast as a fixed number of clients can (throughput), and
//! at a fixed rate whatever the answers take (latency, open loop).
//!
//! It must not wait for an answer before the next send at a fixed rate (the open loop): a slow
//! answer must show as latency, not as a lower rate.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;

use crate::system::{Sender, Sent};

/// Sends `count` notifications from `clients` concurrent clients; returns when all were
/// accepted, with the time it took.
pub async fn closed(sender: Arc<Sender>, count: usize, clients: usize) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut sends = futures::stream::iter(0..count)
        .map(|i| {
            let sender = Arc::clone(&sender);
            async move { sender.send(i).await }
        })
        .buffer_unordered(clients);
    while let Some(sent) = sends.next().await {
        sent?;
    }
    Ok(started.elapsed())
}

/// Sends `per_second` notifications a second for `duration`, each on its own task so a slow
/// answer delays no later send; returns every send's outcome, in order (a refused send is an
/// error saying why).
pub async fn open(
    sender: Arc<Sender>,
    per_second: u32,
    duration: Duration,
    first: usize,
) -> anyhow::Result<Vec<anyhow::Result<Sent>>> {
    let count = (f64::from(per_second) * duration.as_secs_f64()) as usize;
    let mut tick = tokio::time::interval(Duration::from_secs(1) / per_second);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = Vec::with_capacity(count);
    for i in 0..count {
        tick.tick().await;
        let sender = Arc::clone(&sender);
        tasks.push(tokio::spawn(async move { sender.send(first + i).await }));
    }
    let mut sent = Vec::with_capacity(count);
    for task in tasks {
        sent.push(task.await?);
    }
    Ok(sent)
}

//! Group commit of immediate sends: the sends that arrive while the previous group is being
//! written share one write-DB statement (and so one commit), instead of one each.
//!
//! A send goes into the queue and waits for its group's answer. One task takes everything
//! waiting (at most [`MOST`]), writes it with one statement and answers each send whether it
//! was written. A send is written only when its key is new (not stored, not locked by another
//! transaction) and every recipient exists; the others are left out of the statement and
//! answered "not written", and take the transactional path that answers a replay, a 409 or a
//! 422 ([`super::command::Command`]), after the group committed and released its key locks.
//! Two sends with the same key in one group: only the first can be written. When the
//! statement fails as a whole, every send in it takes that path. Under load a group forms
//! while the previous one is written; alone, a send waits for nothing.

use std::sync::LazyLock;

use notify_shared::event::Envelope;
use sqlx::{PgPool, Row};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::store::{APPEND_CLAIMED, Events};
use crate::wake::RelayWaker;

/// Most sends in one statement.
const MOST: usize = 256;
/// Groups written at the same time: one forms while another commits.
const AT_ONCE: usize = 2;

/// A send to write: its events and its recorded answer.
#[derive(Debug)]
pub struct Entry {
    /// The idempotency key (the operation id).
    pub key: Uuid,
    /// The advisory lock of the key ([`super::idempotency::lock_id`]).
    pub lock_id: i64,
    /// Who sends.
    pub principal: String,
    /// The request's fingerprint.
    pub fingerprint: Vec<u8>,
    /// The answer's status and body.
    pub status: i16,
    pub response: String,
    /// Every recipient must exist.
    pub recipients: Vec<String>,
    /// What it appends.
    pub events: Vec<Envelope>,
}

/// The queue of sends to write; cheap to clone.
#[derive(Debug, Clone)]
pub struct GroupCommit {
    queue: mpsc::Sender<(Entry, oneshot::Sender<bool>)>,
}

impl GroupCommit {
    /// Starts the task that writes the groups on `pool` (and wakes `relay` after each); it ends
    /// when every clone is dropped.
    pub fn start(pool: PgPool, relay: RelayWaker) -> Self {
        let (queue, waiting) = mpsc::channel(MOST * 4);
        tokio::spawn(write_groups(pool, relay, waiting));
        Self { queue }
    }

    /// Writes `entry` with the others waiting now; whether it was written (else take the
    /// transactional path).
    pub async fn write(&self, entry: Entry) -> bool {
        let (answer, answered) = oneshot::channel();
        if self.queue.send((entry, answer)).await.is_err() {
            return false;
        }
        answered.await.unwrap_or(false)
    }
}

async fn write_groups(
    pool: PgPool,
    relay: RelayWaker,
    mut waiting: mpsc::Receiver<(Entry, oneshot::Sender<bool>)>,
) {
    let mut under_way = futures::stream::FuturesUnordered::new();
    loop {
        use futures::StreamExt;
        tokio::select! {
            Some(()) = under_way.next() => {}
            first = waiting.recv(), if under_way.len() < AT_ONCE => {
                let Some(first) = first else { break };
                let mut group = vec![first];
                while group.len() < MOST {
                    match waiting.try_recv() {
                        Ok(next) => group.push(next),
                        Err(_) => break,
                    }
                }
                under_way.push(write_group(&pool, &relay, group));
            }
        }
    }
    while futures::StreamExt::next(&mut under_way).await.is_some() {}
}

/// Writes one group and answers each of its sends.
async fn write_group(
    pool: &PgPool,
    relay: &RelayWaker,
    group: Vec<(Entry, oneshot::Sender<bool>)>,
) {
    let (entries, answers): (Vec<Entry>, Vec<oneshot::Sender<bool>>) = group.into_iter().unzip();
    let written = match write(pool, &entries).await {
        Ok(written) => {
            if !written.is_empty() {
                relay.wake();
            }
            written
        }
        Err(error) => {
            tracing::warn!(%error, sends = entries.len(), "a group of sends failed; each takes the transactional path");
            Vec::new()
        }
    };
    for (index, (entry, answer)) in entries.iter().zip(answers).enumerate() {
        // Only the first send of a key can have been written.
        let first = entries[..index]
            .iter()
            .all(|earlier| earlier.key != entry.key);
        // A send whose request went away needs no answer.
        let _ = answer.send(first && written.contains(&entry.key));
    }
}

/// The keys of `entries` that one statement wrote.
async fn write(pool: &PgPool, entries: &[Entry]) -> Result<Vec<Uuid>, sqlx::Error> {
    // The first send of each key; a later one with the same key is left out (not written).
    let mut firsts: Vec<&Entry> = Vec::with_capacity(entries.len());
    for entry in entries {
        if !firsts.iter().any(|first| first.key == entry.key) {
            firsts.push(entry);
        }
    }
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "WITH input AS (
                 SELECT * FROM UNNEST($8::uuid[], $9::bigint[], $10::text[], $11::bytea[],
                                      $12::smallint[], $13::text[])
                      AS c (key, lock_id, principal, request_hash, status, response)
             ), claimed AS MATERIALIZED (
                 SELECT c.* FROM input c
                 WHERE NOT EXISTS (SELECT FROM idempotency_keys k WHERE k.key = c.key)
                   AND NOT EXISTS (
                       SELECT FROM UNNEST($14::uuid[], $15::text[]) AS r (key, name)
                       WHERE r.key = c.key AND NOT EXISTS (SELECT FROM users u WHERE u.id = r.name))
                   -- Not locked by a transaction that is writing it (a lock taken here for a
                   -- send left out is released at the commit, before it takes its own path).
                   AND pg_try_advisory_xact_lock(c.lock_id)
             ), {APPEND_CLAIMED}, answered AS (
                 INSERT INTO idempotency_keys (key, principal, request_hash, status, response)
                 SELECT key, principal, request_hash, status, response::json FROM claimed
             )
             SELECT key FROM claimed"
        )
    });
    let events: Vec<Envelope> = firsts
        .iter()
        .flat_map(|entry| entry.events.iter().cloned())
        .collect();
    let events = Events::new(&events)?;
    let keys: Vec<Uuid> = firsts.iter().map(|e| e.key).collect();
    let lock_ids: Vec<i64> = firsts.iter().map(|e| e.lock_id).collect();
    let principals: Vec<&str> = firsts.iter().map(|e| e.principal.as_str()).collect();
    let fingerprints: Vec<&[u8]> = firsts.iter().map(|e| e.fingerprint.as_slice()).collect();
    let statuses: Vec<i16> = firsts.iter().map(|e| e.status).collect();
    let responses: Vec<&str> = firsts.iter().map(|e| e.response.as_str()).collect();
    let (recipient_keys, recipients): (Vec<Uuid>, Vec<&str>) = firsts
        .iter()
        .flat_map(|e| e.recipients.iter().map(|r| (e.key, r.as_str())))
        .unzip();
    let rows = events
        .bind(sqlx::query(&SQL))
        .bind(&keys)
        .bind(&lock_ids)
        .bind(&principals)
        .bind(&fingerprints)
        .bind(&statuses)
        .bind(&responses)
        .bind(&recipient_keys)
        .bind(&recipients)
        .fetch_all(pool)
        .await?;
    rows.iter().map(|row| row.try_get(0)).collect()
}

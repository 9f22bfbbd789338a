//! The durable queue of desktop receipts: each popup shown is queued here (fsynced) before
//! its delivery is acked, and [`drain`] posts them to the api until the server has them.
//!
//! The file is an append-only log (`{"add":…}` / `{"done":…}` lines) compacted when mostly
//! done. A receipt's idempotency key is made once, when it is queued, and stored with it, so
//! a repeat after a crash is harmless. This module must not drop a receipt except when the
//! server said it never will accept it.

pub mod drain;

use std::collections::{HashSet, VecDeque};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::paths;

/// The file in the state directory.
pub const RECEIPTS_FILE: &str = "receipts.log";
/// Compact when the log has this many more lines than pending receipts.
const COMPACT_SLACK: usize = 1_000;

/// One receipt waiting to be accepted by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingReceipt {
    /// The delivery that was shown.
    pub delivery: Uuid,
    /// The idempotency key to send it with (a UUIDv7 made when it was queued).
    pub key: Uuid,
    /// The device name to report.
    pub device: String,
}

impl PendingReceipt {
    /// A receipt for `delivery` shown on `device`, with a fresh key.
    pub fn new(delivery: Uuid, device: &str) -> Self {
        Self {
            delivery,
            key: Uuid::now_v7(),
            device: device.to_owned(),
        }
    }
}

/// One line of the log.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Line {
    /// A receipt was queued.
    Add(PendingReceipt),
    /// The receipt of this delivery is done (accepted or refused for good).
    Done(Uuid),
}

/// The queue and its log file.
#[derive(Debug)]
pub struct ReceiptQueue {
    /// The log file.
    path: PathBuf,
    /// The log, open for appending.
    file: File,
    /// Pending receipts, oldest first.
    pending: VecDeque<PendingReceipt>,
    /// The deliveries in `pending`.
    queued: HashSet<Uuid>,
    /// Lines in the log.
    lines: usize,
}

impl ReceiptQueue {
    /// Opens (or creates) the queue at `path`, replaying its log.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        if !text.is_empty() {
            paths::check_private_file(path)?;
        }
        let mut pending: VecDeque<PendingReceipt> = VecDeque::new();
        let mut queued = HashSet::new();
        let mut lines = 0;
        for line in text.lines() {
            lines += 1;
            // A line torn by a crash does not parse; its receipt was not yet acked for.
            match serde_json::from_str::<Line>(line) {
                Ok(Line::Add(receipt)) => {
                    if queued.insert(receipt.delivery) {
                        pending.push_back(receipt);
                    }
                }
                Ok(Line::Done(delivery)) => {
                    if queued.remove(&delivery) {
                        pending.retain(|r| r.delivery != delivery);
                    }
                }
                Err(_) => {}
            }
        }
        let mut queue = Self {
            path: path.to_owned(),
            file: paths::open_append(path)?,
            pending,
            queued,
            lines,
        };
        if !text.is_empty() && !text.ends_with('\n') {
            queue.file.write_all(b"\n")?;
        }
        queue.compact_if_needed()?;
        Ok(queue)
    }

    /// Receipts not yet accepted.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Whether none are pending.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// The oldest `n` pending receipts, oldest first.
    pub fn oldest(&self, n: usize) -> impl Iterator<Item = &PendingReceipt> {
        self.pending.iter().take(n)
    }

    /// Queues `receipts` (those whose delivery is not already pending), fsynced before it
    /// returns.
    pub fn push(&mut self, receipts: Vec<PendingReceipt>) -> anyhow::Result<()> {
        let fresh: Vec<PendingReceipt> = receipts
            .into_iter()
            .filter(|r| !self.queued.contains(&r.delivery))
            .collect();
        if fresh.is_empty() {
            return Ok(());
        }
        let mut text = String::new();
        for receipt in &fresh {
            text.push_str(&serde_json::to_string(&Line::Add(receipt.clone()))?);
            text.push('\n');
        }
        self.file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.sync_data())
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        self.lines += fresh.len();
        for receipt in fresh {
            self.queued.insert(receipt.delivery);
            self.pending.push_back(receipt);
        }
        Ok(())
    }

    /// Marks the receipt of `delivery` done. Not fsynced: losing this line in a crash only
    /// sends the receipt again, with the same key.
    pub fn complete(&mut self, delivery: Uuid) -> anyhow::Result<()> {
        if !self.queued.remove(&delivery) {
            return Ok(());
        }
        self.pending.retain(|r| r.delivery != delivery);
        let line = serde_json::to_string(&Line::Done(delivery))? + "\n";
        self.file
            .write_all(line.as_bytes())
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        self.lines += 1;
        self.compact_if_needed()
    }

    fn compact_if_needed(&mut self) -> anyhow::Result<()> {
        if self.lines <= self.pending.len() + COMPACT_SLACK {
            return Ok(());
        }
        let mut text = String::new();
        for receipt in &self.pending {
            text.push_str(&serde_json::to_string(&Line::Add(receipt.clone()))?);
            text.push('\n');
        }
        paths::write_atomic(&self.path, text.as_bytes())?;
        self.file = paths::open_append(&self.path)?;
        self.lines = self.pending.len();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::testing::TempDir;

    #[test]
    fn survives_reopen_with_the_same_keys() {
        let tmp = TempDir::new();
        let path = tmp.path().join(RECEIPTS_FILE);
        let a = PendingReceipt::new(Uuid::now_v7(), "laptop");
        let b = PendingReceipt::new(Uuid::now_v7(), "laptop");
        let c = PendingReceipt::new(Uuid::now_v7(), "laptop");
        {
            let mut queue = ReceiptQueue::open(&path).expect("open");
            queue.push(vec![a.clone(), b.clone()]).expect("push");
            queue.push(vec![c.clone()]).expect("push");
            // A second receipt for a pending delivery keeps the first (and its key).
            queue
                .push(vec![PendingReceipt::new(a.delivery, "laptop")])
                .expect("push");
            queue.complete(b.delivery).expect("done");
            assert_eq!(queue.len(), 2);
        }
        let mut queue = ReceiptQueue::open(&path).expect("reopen");
        assert_eq!(queue.len(), 2);
        assert_eq!(
            queue.oldest(2).collect::<Vec<_>>(),
            [&a, &c],
            "same deliveries, same keys, same order"
        );
        queue.complete(a.delivery).expect("done");
        assert_eq!(queue.oldest(2).collect::<Vec<_>>(), [&c]);
        queue.complete(c.delivery).expect("done");
        assert!(queue.is_empty());
        drop(queue);
        assert!(ReceiptQueue::open(&path).expect("reopen").is_empty());
    }

    #[test]
    fn compacts_when_mostly_done() {
        let tmp = TempDir::new();
        let path = tmp.path().join(RECEIPTS_FILE);
        let mut queue = ReceiptQueue::open(&path).expect("open");
        let keep = PendingReceipt::new(Uuid::now_v7(), "laptop");
        queue.push(vec![keep.clone()]).expect("push");
        for _ in 0..600 {
            let receipt = PendingReceipt::new(Uuid::now_v7(), "laptop");
            queue.push(vec![receipt.clone()]).expect("push");
            queue.complete(receipt.delivery).expect("done");
        }
        let lines = std::fs::read_to_string(&path)
            .expect("read")
            .lines()
            .count();
        assert!(lines < 1_002, "compacted, got {lines} lines");
        drop(queue);
        let queue = ReceiptQueue::open(&path).expect("reopen");
        assert_eq!(queue.len(), 1);
        assert_eq!(queue.oldest(1).next(), Some(&keep));
    }
}

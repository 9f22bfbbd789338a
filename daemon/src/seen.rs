//! The ids of events (and desktop deliveries) this daemon has already handled, kept across
//! restarts, so that a redelivered or duplicated event never makes a second popup.
//!
//! An append-only file of ids, one per line (`-<id>` forgets one), compacted to the newest
//! [`KEEP`] ids when it grows past [`COMPACT_AT`] lines. Durable writes are fsynced before
//! they return. This module does file I/O only; it must not decide what counts as seen.

use std::collections::{HashSet, VecDeque};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use anyhow::Context;
use uuid::Uuid;

use crate::paths;

/// The file in the state directory.
pub const SEEN_FILE: &str = "seen-events";
/// Lines after which the file is compacted.
pub const COMPACT_AT: usize = 20_000;
/// Ids a compaction keeps (the newest).
pub const KEEP: usize = 10_000;

/// The set of seen ids and its file.
#[derive(Debug)]
pub struct SeenStore {
    /// The file.
    path: PathBuf,
    /// The file, open for appending.
    file: File,
    /// Every seen id.
    ids: HashSet<Uuid>,
    /// The seen ids, oldest first; may hold forgotten or repeated ids, which compaction skips.
    order: VecDeque<Uuid>,
    /// Lines in the file.
    lines: usize,
    /// Compact past this many lines.
    compact_at: usize,
    /// Ids to keep when compacting.
    keep: usize,
}

impl SeenStore {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        Self::open_with(path, COMPACT_AT, KEEP)
    }

    /// Opens with other compaction limits (tests).
    pub fn open_with(path: &Path, compact_at: usize, keep: usize) -> anyhow::Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let mut ids = HashSet::new();
        let mut order = VecDeque::new();
        let mut lines = 0;
        for line in text.lines() {
            lines += 1;
            // A line torn by a crash does not parse and is skipped.
            if let Some(forgotten) = line.strip_prefix('-') {
                if let Ok(id) = forgotten.parse::<Uuid>() {
                    ids.remove(&id);
                }
            } else if let Ok(id) = line.parse::<Uuid>() {
                ids.insert(id);
                order.push_back(id);
            }
        }
        let mut store = Self {
            path: path.to_owned(),
            file: paths::open_append(path)?,
            ids,
            order,
            lines,
            compact_at,
            keep,
        };
        if !text.is_empty() && !text.ends_with('\n') {
            // Finish a torn last line so the next id starts on its own line.
            store.file.write_all(b"\n")?;
        }
        if store.lines > store.compact_at {
            store.compact()?;
        }
        Ok(store)
    }

    /// Whether `id` was seen.
    pub fn contains(&self, id: &Uuid) -> bool {
        self.ids.contains(id)
    }

    /// Ids currently remembered.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Records `ids` as seen; with `durable`, fsynced before returning.
    pub fn record(&mut self, ids: &[Uuid], durable: bool) -> anyhow::Result<()> {
        let mut text = String::with_capacity(ids.len() * 37);
        for id in ids {
            text.push_str(&id.to_string());
            text.push('\n');
        }
        self.append(&text, durable)?;
        for id in ids {
            self.ids.insert(*id);
            self.order.push_back(*id);
        }
        self.lines += ids.len();
        if self.lines > self.compact_at {
            self.compact()?;
        }
        Ok(())
    }

    /// Forgets `ids` (a popup that could not be shown after all), durably.
    pub fn forget(&mut self, ids: &[Uuid]) -> anyhow::Result<()> {
        let mut text = String::new();
        for id in ids {
            text.push('-');
            text.push_str(&id.to_string());
            text.push('\n');
        }
        self.append(&text, true)?;
        for id in ids {
            self.ids.remove(id);
        }
        self.lines += ids.len();
        Ok(())
    }

    fn append(&mut self, text: &str, durable: bool) -> anyhow::Result<()> {
        self.file
            .write_all(text.as_bytes())
            .and_then(|()| {
                if durable {
                    self.file.sync_data()
                } else {
                    Ok(())
                }
            })
            .with_context(|| format!("cannot write {}", self.path.display()))
    }

    /// Rewrites the file with the newest `keep` ids.
    fn compact(&mut self) -> anyhow::Result<()> {
        let mut kept = Vec::with_capacity(self.keep);
        let mut taken = HashSet::with_capacity(self.keep);
        for id in self.order.iter().rev() {
            if kept.len() == self.keep {
                break;
            }
            if self.ids.contains(id) && taken.insert(*id) {
                kept.push(*id);
            }
        }
        kept.reverse();
        let mut text = String::with_capacity(kept.len() * 37);
        for id in &kept {
            text.push_str(&id.to_string());
            text.push('\n');
        }
        paths::write_atomic(&self.path, text.as_bytes())?;
        self.file = paths::open_append(&self.path)?;
        self.lines = kept.len();
        self.ids = taken;
        self.order = kept.into();
        tracing::debug!(kept = self.lines, "compacted the seen-event file");
        Ok(())
    }
}

/// The store shared by the broker consumer and the popup pipeline; writes run on the
/// blocking pool.
#[derive(Debug, Clone)]
pub struct Seen(Arc<Mutex<SeenStore>>);

impl Seen {
    /// Shares `store`.
    pub fn new(store: SeenStore) -> Self {
        Self(Arc::new(Mutex::new(store)))
    }

    fn lock(&self) -> MutexGuard<'_, SeenStore> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether any of `ids` was seen.
    pub fn any(&self, ids: &[Uuid]) -> bool {
        let store = self.lock();
        ids.iter().any(|id| store.contains(id))
    }

    /// Records `ids`; with `durable`, fsynced before it returns.
    pub async fn record(&self, ids: Vec<Uuid>, durable: bool) -> anyhow::Result<()> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.lock().record(&ids, durable)).await?
    }

    /// Forgets `ids`, durably.
    pub async fn forget(&self, ids: Vec<Uuid>) -> anyhow::Result<()> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.lock().forget(&ids)).await?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::testing::TempDir;

    #[test]
    fn remembers_across_reopen_and_forgets() {
        let tmp = TempDir::new();
        let path = tmp.path().join(SEEN_FILE);
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        {
            let mut store = SeenStore::open(&path).expect("open");
            assert!(store.is_empty());
            store.record(&[a, b], true).expect("record");
            store.record(&[c], false).expect("record");
            store.forget(&[b]).expect("forget");
            assert!(store.contains(&a) && !store.contains(&b) && store.contains(&c));
        }
        let store = SeenStore::open(&path).expect("reopen");
        assert!(store.contains(&a));
        assert!(!store.contains(&b), "forgotten stays forgotten");
        assert!(store.contains(&c));
        assert_eq!(store.len(), 2);
    }

    #[test]
    fn a_torn_last_line_is_skipped() {
        let tmp = TempDir::new();
        let path = tmp.path().join(SEEN_FILE);
        let a = Uuid::now_v7();
        std::fs::write(&path, format!("{a}\n0190-torn")).expect("write");
        let mut store = SeenStore::open(&path).expect("open");
        let b = Uuid::now_v7();
        store.record(&[b], true).expect("record");
        drop(store);
        let store = SeenStore::open(&path).expect("reopen");
        assert!(store.contains(&a) && store.contains(&b));
        assert_eq!(store.len(), 2);
    }

    #[test]
    fn compaction_keeps_the_newest() {
        let tmp = TempDir::new();
        let path = tmp.path().join(SEEN_FILE);
        let ids: Vec<Uuid> = (0..25).map(|_| Uuid::now_v7()).collect();
        let mut store = SeenStore::open_with(&path, 20, 10).expect("open");
        for id in &ids {
            store.record(&[*id], true).expect("record");
        }
        // Compacted once at 21 lines down to 10, then 4 more appended.
        let lines = std::fs::read_to_string(&path)
            .expect("read")
            .lines()
            .count();
        assert_eq!(lines, 14);
        drop(store);
        let store = SeenStore::open_with(&path, 20, 10).expect("reopen");
        assert_eq!(store.len(), 14);
        for id in &ids[..11] {
            assert!(!store.contains(id), "old ids are dropped");
        }
        for id in &ids[11..] {
            assert!(store.contains(id), "the newest are kept");
        }

        // Reopening a file past the limit compacts it too.
        drop(store);
        let big: String = (0..30).map(|_| format!("{}\n", Uuid::now_v7())).collect();
        std::fs::write(&path, &big).expect("write");
        let store = SeenStore::open_with(&path, 20, 10).expect("open");
        assert_eq!(store.len(), 10);
        let newest = big
            .lines()
            .last()
            .expect("line")
            .parse::<Uuid>()
            .expect("id");
        assert!(store.contains(&newest));
    }
}

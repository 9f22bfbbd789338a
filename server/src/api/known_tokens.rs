//! The tokens this api process has looked up lately: trusted without asking the write DB while
//! this process hears of every change to them, and, while the write DB cannot be reached, so
//! that queries (which read only the read DB) are still served.
//!
//! A trigger on `tokens` (migrations/write/0014) notifies `notify_tokens` with the id of every
//! token changed or deleted (also by `users delete`); [`KnownTokens::listen`] forgets it. A
//! lookup is trusted only when it was recorded while listening without a break since, and no
//! change notice arrived while it was read (that change may be the one it missed). So a
//! revocation takes effect on this process as soon as its notice arrives (milliseconds after
//! the commit); while not listening, every request asks the write DB.
//!
//! Only when the write DB cannot be reached is a token that this process looked up less than
//! [`STALE`] ago trusted as it was then: a token revoked after that lookup and just before the
//! outage keeps working on this process for at most that long (nobody can revoke one while
//! the write DB is down). The secret is checked against the stored hash on every request; the
//! cache holds hashes, never secrets.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// How long a lookup is trusted while the write DB cannot be reached.
pub const STALE: Duration = Duration::from_secs(15 * 60);
/// Most tokens remembered; beyond it, those older than [`STALE`] are forgotten first.
const CAPACITY: usize = 10_000;

/// A token as the write DB stores it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredToken {
    /// Its user.
    pub user: String,
    /// The SHA-256 hash of its secret.
    pub hash: Vec<u8>,
    /// Its scopes, as stored.
    pub scopes: Vec<String>,
}

/// The lookups of one api process, shared by its requests.
#[derive(Debug, Clone, Default)]
pub struct KnownTokens {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<Uuid, Entry>,
    /// Whether change notices are being received.
    listening: bool,
    /// Bumped whenever listening starts or stops: an entry of an earlier epoch may have missed
    /// a notice.
    epoch: u64,
    /// Change notices received.
    notices: u64,
}

#[derive(Debug)]
struct Entry {
    token: StoredToken,
    at: Instant,
    /// The epoch it is trusted in without asking; `None`: only for outages.
    trusted_in: Option<u64>,
}

/// Where the notices stood when a lookup started (see [`KnownTokens::mark`]).
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    epoch: u64,
    notices: u64,
    listening: bool,
}

impl KnownTokens {
    /// Token `id` when it can be trusted without asking the write DB.
    pub fn trusted(&self, id: Uuid) -> Option<StoredToken> {
        let inner = self.lock();
        let entry = inner.entries.get(&id)?;
        (inner.listening && entry.trusted_in == Some(inner.epoch)).then(|| entry.token.clone())
    }

    /// Where the notices stand, taken before a lookup in the write DB.
    pub fn mark(&self) -> Mark {
        let inner = self.lock();
        Mark {
            epoch: inner.epoch,
            notices: inner.notices,
            listening: inner.listening,
        }
    }

    /// Token `id` when it was looked up less than [`STALE`] before `now`.
    pub fn get(&self, id: Uuid, now: Instant) -> Option<StoredToken> {
        self.lock()
            .entries
            .get(&id)
            .filter(|entry| now.saturating_duration_since(entry.at) < STALE)
            .map(|entry| entry.token.clone())
    }

    /// Remembers what the write DB answered for `id` at `now` (`None`: no such token), in a
    /// lookup that started at `mark`.
    pub fn record(&self, id: Uuid, token: Option<&StoredToken>, now: Instant, mark: Mark) {
        let mut inner = self.lock();
        let Some(token) = token else {
            inner.entries.remove(&id);
            return;
        };
        let unchanged = mark.listening
            && inner.listening
            && mark.epoch == inner.epoch
            && mark.notices == inner.notices;
        let trusted_in = unchanged.then_some(inner.epoch);
        if inner.entries.len() >= CAPACITY {
            inner
                .entries
                .retain(|_, entry| now.saturating_duration_since(entry.at) < STALE);
        }
        if inner.entries.len() < CAPACITY {
            let token = token.clone();
            inner.entries.insert(
                id,
                Entry {
                    token,
                    at: now,
                    trusted_in,
                },
            );
        }
    }

    /// Forgets token `id`, which changed or went.
    fn forget(&self, id: Option<Uuid>) {
        let mut inner = self.lock();
        inner.notices += 1;
        match id {
            Some(id) => {
                inner.entries.remove(&id);
            }
            // A notice that names no token: trust nothing recorded so far.
            None => inner.epoch += 1,
        }
    }

    /// Starts or stops trusting lookups without asking.
    fn set_listening(&self, listening: bool) {
        let mut inner = self.lock();
        inner.listening = listening;
        inner.epoch += 1;
    }

    /// Listens for token changes on the write DB until `shutdown`, listening again after a
    /// break (nothing is trusted without asking in between).
    pub async fn listen(&self, pool: PgPool, shutdown: CancellationToken) {
        let mut backoff = Duration::from_millis(100);
        loop {
            match self.listen_once(&pool, &shutdown).await {
                Ok(()) => return,
                Err(error) => {
                    self.set_listening(false);
                    tracing::warn!(%error, retry_in = ?backoff, "not hearing of token changes; asking the write DB on every request");
                }
            }
            tokio::select! {
                () = tokio::time::sleep(backoff) => {}
                () = shutdown.cancelled() => return,
            }
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }

    async fn listen_once(
        &self,
        pool: &PgPool,
        shutdown: &CancellationToken,
    ) -> Result<(), sqlx::Error> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        self.set_listening(true);
        loop {
            let notice = tokio::select! {
                notice = listener.try_recv() => notice?,
                () = shutdown.cancelled() => return Ok(()),
            };
            // `None`: the connection was lost, and notices with it.
            let notice = notice.ok_or(sqlx::Error::PoolClosed)?;
            self.forget(notice.payload().parse().ok());
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The channel the write DB notifies token changes on (migrations/write/0014).
const CHANNEL: &str = "notify_tokens";

#[cfg(test)]
mod tests {
    use super::*;

    fn token(user: &str) -> StoredToken {
        StoredToken {
            user: user.into(),
            hash: vec![1, 2, 3],
            scopes: vec!["inbox".into()],
        }
    }

    #[test]
    fn a_lookup_is_remembered_for_a_while_and_a_revocation_forgets_it() {
        let known = KnownTokens::default();
        let (id, start) = (Uuid::now_v7(), Instant::now());
        known.record(id, Some(&token("alice")), start, known.mark());
        let later = start + Duration::from_secs(60);
        assert_eq!(known.get(id, later), Some(token("alice")));
        assert_eq!(known.get(id, start + STALE), None, "too old");
        assert_eq!(known.get(Uuid::now_v7(), later), None, "never looked up");
        known.record(id, None, later, known.mark());
        assert_eq!(
            known.get(id, later),
            None,
            "gone from the write DB: forgotten"
        );
    }

    #[test]
    fn a_lookup_is_trusted_without_asking_only_while_every_change_is_heard_of() {
        let known = KnownTokens::default();
        let (id, now) = (Uuid::now_v7(), Instant::now());
        known.record(id, Some(&token("alice")), now, known.mark());
        assert_eq!(known.trusted(id), None, "not listening: ask every time");

        known.set_listening(true);
        assert_eq!(known.trusted(id), None, "recorded before listening");
        known.record(id, Some(&token("alice")), now, known.mark());
        assert_eq!(known.trusted(id), Some(token("alice")));

        known.forget(Some(id));
        assert_eq!(known.trusted(id), None, "changed: ask again");
        assert_eq!(known.get(id, now), None, "and not kept for outages either");

        // A change heard of while a lookup was under way: that lookup may predate it.
        let mark = known.mark();
        known.forget(Some(Uuid::now_v7()));
        known.record(id, Some(&token("alice")), now, mark);
        assert_eq!(known.trusted(id), None);
        assert_eq!(known.get(id, now), Some(token("alice")), "kept for outages");

        known.record(id, Some(&token("alice")), now, known.mark());
        known.set_listening(false);
        assert_eq!(known.trusted(id), None, "a break in listening");
        known.set_listening(true);
        assert_eq!(known.trusted(id), None, "notices of the break are lost");
    }
}

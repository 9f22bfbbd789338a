//! The tokens this api process has looked up lately, so that queries (which read only the read
//! DB) are still served while the write DB is down.
//!
//! Every request asks the write DB first, so a revocation (`users delete`) takes effect at
//! once. Only when the write DB cannot be reached is a token that this process looked up less
//! than [`STALE`] ago trusted as it was then: a token revoked after that lookup and just before
//! the outage keeps working on this process for at most that long (nobody can revoke one while
//! the write DB is down). The secret is checked against the stored hash on every request; the
//! cache holds hashes, never secrets.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

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
    entries: Arc<Mutex<HashMap<Uuid, (StoredToken, Instant)>>>,
}

impl KnownTokens {
    /// Token `id` when it was looked up less than [`STALE`] before `now`.
    pub fn get(&self, id: Uuid, now: Instant) -> Option<StoredToken> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(&id)
            .filter(|(_, at)| now.saturating_duration_since(*at) < STALE)
            .map(|(token, _)| token.clone())
    }

    /// Remembers what the write DB answered for `id` at `now` (`None`: no such token).
    pub fn record(&self, id: Uuid, token: Option<&StoredToken>, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        match token {
            Some(token) => {
                if entries.len() >= CAPACITY {
                    entries.retain(|_, (_, at)| now.saturating_duration_since(*at) < STALE);
                }
                if entries.len() < CAPACITY {
                    entries.insert(id, (token.clone(), now));
                }
            }
            None => {
                entries.remove(&id);
            }
        }
    }
}

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
        known.record(id, Some(&token("alice")), start);
        let later = start + Duration::from_secs(60);
        assert_eq!(known.get(id, later), Some(token("alice")));
        assert_eq!(known.get(id, start + STALE), None, "too old");
        assert_eq!(known.get(Uuid::now_v7(), later), None, "never looked up");
        known.record(id, None, later);
        assert_eq!(
            known.get(id, later),
            None,
            "gone from the write DB: forgotten"
        );
    }
}

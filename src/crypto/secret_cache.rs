//! A fast path for client secret checks.
//!
//! Secrets are stored as argon2id hashes, and an argon2id verification costs tens of milliseconds
//! of CPU by design — on every token request that would cap a 2-core server at a few dozen
//! requests per second. This cache remembers, for a client, that a given secret verified against a
//! given stored hash:
//!
//! - The entry is keyed by client id and holds `HMAC-SHA256(k, phc ‖ secret)`, where `k` is 32
//!   random bytes made when the process starts and never stored. A presented secret hits only if
//!   its keyed hash equals the entry's (compared in constant time), so the cache never accepts a
//!   secret argon2 did not accept first.
//! - The stored hash (PHC string) is part of the MAC input, so an entry dies by itself when the
//!   client's secret changes on any node: the client row is read on every request anyway, and a new
//!   hash never matches an old entry; a deleted client is refused before the cache is asked.
//! - Failed verifications are never cached: a wrong secret always pays the full argon2 price,
//!   which keeps online guessing as slow as it is without the cache.
//! - The map is bounded; when full it is cleared (a burst of argon2 work, not unbounded memory).
//! - At most one argon2 verification per core runs at a time (each takes ~19 MiB): a burst of
//!   first requests, or a flood of wrong secrets, queues instead of exhausting memory, and requests
//!   queued behind a successful verification of the same secret find it cached and skip argon2.
//!
//! What it trades: someone who can read this process's memory obtains a fast (HMAC) test for
//! recently used secrets. Such an attacker can already read secrets off incoming requests, so
//! this does not widen what a memory compromise gives away.

use std::{collections::HashMap, sync::RwLock};

use tokio::sync::Semaphore;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::{constant_time_eq, hash::verify_secret};

const MAX_ENTRIES: usize = 10_000;

/// Verified-secret cache; see the module docs.
pub struct SecretCache {
    key: [u8; 32],
    entries: RwLock<HashMap<String, Vec<Vec<u8>>>>,
    argon2_slots: Semaphore,
}

impl std::fmt::Debug for SecretCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretCache")
    }
}

impl Default for SecretCache {
    fn default() -> Self {
        Self::new()
    }
}

impl SecretCache {
    pub fn new() -> Self {
        let mut key = [0u8; 32];
        #[allow(clippy::expect_used)]
        getrandom::fill(&mut key).expect("the operating system's random number generator failed");
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self {
            key,
            entries: RwLock::new(HashMap::new()),
            argon2_slots: Semaphore::new(cores),
        }
    }

    fn tag(&self, phc: &str, secret: &str) -> Vec<u8> {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            return Vec::new();
        };
        mac.update(&(phc.len() as u64).to_be_bytes());
        mac.update(phc.as_bytes());
        mac.update(secret.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// Whether `secret` is the one hashed in `phc` for `client_id`: from the cache when this exact
    /// secret verified against this exact hash before, else by argon2id (and then remembered).
    pub async fn verify(&self, client_id: &str, secret: &str, phc: &str) -> bool {
        self.verify_any(client_id, secret, &[phc]).await
    }

    /// Whether `secret` is the one hashed in any of `phcs` (a client's current secret and the
    /// ones rotated out): every hash is asked of the cache first, so a client still presenting a
    /// rotated secret does not pay a failed argon2 verification of the current one per request.
    pub async fn verify_any(&self, client_id: &str, secret: &str, phcs: &[&str]) -> bool {
        let tags: Vec<Vec<u8>> = phcs.iter().map(|phc| self.tag(phc, secret)).collect();
        static COUNTERS: std::sync::LazyLock<crate::metrics::CacheCounters> =
            std::sync::LazyLock::new(|| crate::metrics::metrics().cache_counters("client_secrets"));
        if self.hit(client_id, &tags) {
            COUNTERS.hit.inc();
            return true;
        }
        COUNTERS.miss.inc();
        let Ok(_slot) = self.argon2_slots.acquire().await else {
            return false;
        };
        // Another request may have verified this very secret while we waited.
        if self.hit(client_id, &tags) {
            return true;
        }
        for (phc, tag) in phcs.iter().zip(tags) {
            if verify_secret(secret.to_owned(), (*phc).to_owned()).await {
                self.remember(client_id, tag);
                return true;
            }
        }
        false
    }
}

/// Tags kept per client: its current secret and the rotated ones (five at most,
/// `clients::MAX_ROTATED_SECRETS`) may all be in use at once while a rotation rolls out.
const TAGS_PER_CLIENT: usize = 6;

impl SecretCache {
    fn hit(&self, client_id: &str, tags: &[Vec<u8>]) -> bool {
        let Ok(m) = self.entries.read() else {
            return false;
        };
        let Some(stored) = m.get(client_id) else {
            return false;
        };
        // Every pair is compared, so the time taken does not tell which one matched.
        let mut any = false;
        for s in stored {
            for t in tags {
                any |= constant_time_eq(s, t);
            }
        }
        any
    }

    fn remember(&self, client_id: &str, tag: Vec<u8>) {
        let Ok(mut m) = self.entries.write() else {
            return;
        };
        if m.len() >= MAX_ENTRIES && !m.contains_key(client_id) {
            m.clear();
        }
        let kept = m.entry(client_id.to_owned()).or_default();
        if kept.len() >= TAGS_PER_CLIENT {
            kept.remove(0);
        }
        kept.push(tag);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::hash::hash_secret;

    #[tokio::test]
    async fn caches_only_successes_and_is_bound_to_the_hash() {
        let cache = SecretCache::new();
        let phc = hash_secret("right-secret".into()).await.unwrap();
        assert!(!cache.verify("c", "wrong", &phc).await);
        assert!(cache.entries.read().unwrap().is_empty());
        assert!(cache.verify("c", "right-secret", &phc).await);
        assert_eq!(cache.entries.read().unwrap().len(), 1);
        // A hit is fast: far below one argon2 verification.
        let t = crate::clock::stopwatch();
        for _ in 0..100 {
            assert!(cache.verify("c", "right-secret", &phc).await);
        }
        assert!(
            t.elapsed() < std::time::Duration::from_millis(50),
            "{:?}",
            t.elapsed()
        );
        // Wrong secret still refused with a warm entry.
        assert!(!cache.verify("c", "right-secreT", &phc).await);
        // A new hash (secret rotated elsewhere) does not match the old entry.
        let new_phc = hash_secret("new-secret".into()).await.unwrap();
        assert!(!cache.verify("c", "right-secret", &new_phc).await);
        assert!(cache.verify("c", "new-secret", &new_phc).await);
    }

    #[tokio::test]
    async fn any_of_a_clients_hashes_and_each_cached() {
        let cache = SecretCache::new();
        let old = hash_secret("old-secret".into()).await.unwrap();
        let new = hash_secret("new-secret".into()).await.unwrap();
        let both = [new.as_str(), old.as_str()];
        assert!(cache.verify_any("c", "old-secret", &both).await);
        assert!(cache.verify_any("c", "new-secret", &both).await);
        assert!(!cache.verify_any("c", "other", &both).await);
        // Both are remembered: alternating costs no argon2.
        let t = crate::clock::stopwatch();
        for _ in 0..50 {
            assert!(cache.verify_any("c", "old-secret", &both).await);
            assert!(cache.verify_any("c", "new-secret", &both).await);
        }
        assert!(
            t.elapsed() < std::time::Duration::from_millis(50),
            "{:?}",
            t.elapsed()
        );
        // Once a hash is no longer the client's, its secret no longer passes.
        assert!(!cache.verify_any("c", "old-secret", &[new.as_str()]).await);
    }
}

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

use super::hash::verify_secret;

const MAX_ENTRIES: usize = 10_000;

/// Verified-secret cache; see the module docs.
pub struct SecretCache {
    key: [u8; 32],
    entries: RwLock<HashMap<String, Vec<u8>>>,
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
        let tag = self.tag(phc, secret);
        if self.hit(client_id, &tag) {
            return true;
        }
        let Ok(_slot) = self.argon2_slots.acquire().await else {
            return false;
        };
        // Another request may have verified this very secret while we waited.
        if self.hit(client_id, &tag) {
            return true;
        }
        if !verify_secret(secret.to_owned(), phc.to_owned()).await {
            return false;
        }
        if let Ok(mut m) = self.entries.write() {
            if m.len() >= MAX_ENTRIES {
                m.clear();
            }
            m.insert(client_id.to_owned(), tag);
        }
        true
    }
}

impl SecretCache {
    fn hit(&self, client_id: &str, tag: &[u8]) -> bool {
        self.entries
            .read()
            .ok()
            .and_then(|m| m.get(client_id).map(|stored| constant_time_eq(stored, tag)))
            .unwrap_or(false)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
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
}

//! An in-process cache of token records in front of a [`TokenStore`], so that introspecting a
//! token again costs no database read.
//!
//! Coherence: revocations, spending and deletions — on this node or any other sharing the
//! database — reach it as [`Event`]s (see [`crate::coherence`]), applied through indexes by
//! family (request id), client and subject, so a revocation costs what it drops, not a scan of
//! the cache. Expiry is checked by the caller on every use; [`TOKEN_TTL`] bounds how long an entry
//! lives at all. Whether a code or refresh token is still unspent is never taken from here:
//! spending is a conditional write in the database. Unknown tokens are not cached.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use async_trait::async_trait;

use super::{StoreError, StoredToken, TokenStore};
use crate::coherence::{Cache, Coherence, Event};

/// How long a cached token record is kept at most.
pub const TOKEN_TTL: Duration = Duration::from_secs(10);
/// Entries kept at most; at the bound the oldest tenth goes (first in, first out). Small enough
/// that the maps and their indexes stay in the processor's caches: with 100,000 (a few seconds
/// of issuing at full speed) issuing was measurably slower than with the old one-second cache.
const MAX_ENTRIES: usize = 32_768;

/// Whether `event` changes what the record of `t` says.
pub fn touched_by(t: &StoredToken, event: &Event) -> bool {
    match event {
        Event::ClientDeleted { id } | Event::ClientTokensDeleted { client: id } => {
            t.client_id == *id
        }
        Event::FamilyRevoked { family } => t.request_id == *family,
        Event::Spent {
            signature,
            family,
            kept,
        } => {
            t.signature == *signature
                || (family.as_deref() == Some(t.request_id.as_str())
                    && t.kind == "access_token"
                    && !kept.contains(&t.signature))
        }
        Event::ConsentsRevoked { subject, client } => {
            t.subject == *subject && client.as_deref().is_none_or(|c| c == t.client_id)
        }
        Event::Everything => true,
        Event::ClientChanged { .. }
        | Event::LoginSessionsEnded { .. }
        | Event::KeySetChanged { .. }
        | Event::UserDeleted { .. } => false,
    }
}

type Index = HashMap<String, HashSet<Arc<str>>>;

#[derive(Default)]
struct Entries {
    by_signature: HashMap<Arc<str>, (Instant, Arc<StoredToken>)>,
    by_family: Index,
    by_client: Index,
    by_subject: Index,
    /// Insertion order, for eviction; may name entries removed or replaced since (skipped).
    order: VecDeque<(Instant, Arc<str>)>,
}

fn index(index: &mut Index, key: &str, sig: &Arc<str>) {
    match index.get_mut(key) {
        Some(set) => {
            set.insert(sig.clone());
        }
        None => {
            index.insert(key.to_owned(), HashSet::from([sig.clone()]));
        }
    }
}

fn unindex(index: &mut Index, key: &str, sig: &str) {
    if let Some(set) = index.get_mut(key) {
        set.remove(sig);
        if set.is_empty() {
            index.remove(key);
        }
    }
}

impl Entries {
    fn insert(&mut self, at: Instant, t: Arc<StoredToken>) {
        if self.by_signature.len() >= MAX_ENTRIES {
            self.evict(MAX_ENTRIES - MAX_ENTRIES / 10);
        }
        self.remove(&t.signature);
        let sig: Arc<str> = Arc::from(t.signature.as_str());
        index(&mut self.by_family, &t.request_id, &sig);
        index(&mut self.by_client, &t.client_id, &sig);
        index(&mut self.by_subject, &t.subject, &sig);
        self.order.push_back((at, sig.clone()));
        self.by_signature.insert(sig, (at, t));
    }

    /// Drops the oldest entries until `keep` are left (amortised: a tenth of the bound at once).
    fn evict(&mut self, keep: usize) {
        while self.by_signature.len() > keep {
            let Some((at, sig)) = self.order.pop_front() else {
                break;
            };
            if self.by_signature.get(&sig).is_some_and(|(a, _)| *a == at) {
                self.remove(&sig);
            }
        }
        if self.order.len() > 2 * MAX_ENTRIES {
            let live = &self.by_signature;
            self.order
                .retain(|(at, sig)| live.get(sig).is_some_and(|(a, _)| a == at));
        }
    }

    fn remove(&mut self, sig: &str) {
        if let Some((_, t)) = self.by_signature.remove(sig) {
            unindex(&mut self.by_family, &t.request_id, sig);
            unindex(&mut self.by_client, &t.client_id, sig);
            unindex(&mut self.by_subject, &t.subject, sig);
        }
    }

    /// Removes the entries listed under `key` in one index that `event` touches.
    fn remove_indexed(&mut self, which: fn(&Self) -> &Index, key: &str, event: &Event) {
        let Some(sigs) = which(self).get(key) else {
            return;
        };
        let drop: Vec<Arc<str>> = sigs
            .iter()
            .filter(|s| {
                self.by_signature
                    .get(&***s)
                    .is_some_and(|(_, t)| touched_by(t, event))
            })
            .cloned()
            .collect();
        for s in drop {
            self.remove(&s);
        }
    }

    fn clear(&mut self) {
        *self = Self::default();
    }
}

/// The token cache's metrics (`cache="tokens"`).
fn counters() -> &'static crate::metrics::CacheCounters {
    static C: std::sync::LazyLock<crate::metrics::CacheCounters> =
        std::sync::LazyLock::new(|| crate::metrics::metrics().cache_counters("tokens"));
    &C
}

pub struct TokenCache {
    store: Arc<dyn TokenStore>,
    owner: Arc<Coherence>,
    entries: RwLock<Entries>,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenCache")
    }
}

impl TokenCache {
    /// A cache registered with its owner.
    pub fn new(store: Arc<dyn TokenStore>, owner: Arc<Coherence>) -> Arc<Self> {
        let cache = Arc::new(Self {
            store,
            owner: owner.clone(),
            entries: RwLock::default(),
        });
        owner.register(cache.clone());
        cache
    }

    /// Caches a token row this process is about to write (a code stored with its flow, a token
    /// being issued): nobody holds the token before the write returns, and any event about it
    /// comes after the write, so after this.
    pub fn remember(&self, token: &StoredToken) {
        let now = self.owner.instant();
        if self.owner.trusted_at(now)
            && let Ok(mut e) = self.entries.write()
        {
            e.insert(now, Arc::new(token.clone()));
        }
    }

    /// Drops a record cached by [`TokenCache::remember`] whose write failed.
    pub fn forget(&self, signature: &str) {
        if let Ok(mut e) = self.entries.write() {
            e.remove(signature);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries
            .read()
            .map(|e| e.by_signature.len())
            .unwrap_or(0)
    }
}

impl Cache for TokenCache {
    fn apply(&self, event: &Event) {
        let Ok(mut e) = self.entries.write() else {
            return;
        };
        let before = e.by_signature.len();
        match event {
            Event::ClientDeleted { id } | Event::ClientTokensDeleted { client: id } => {
                e.remove_indexed(|e| &e.by_client, id, event)
            }
            Event::FamilyRevoked { family } => e.remove_indexed(|e| &e.by_family, family, event),
            Event::Spent {
                signature, family, ..
            } => {
                e.remove(signature);
                if let Some(f) = family {
                    e.remove_indexed(|e| &e.by_family, f, event);
                }
            }
            Event::ConsentsRevoked { subject, .. } => {
                e.remove_indexed(|e| &e.by_subject, subject, event)
            }
            Event::Everything => e.clear(),
            Event::ClientChanged { .. }
            | Event::LoginSessionsEnded { .. }
            | Event::KeySetChanged { .. }
            | Event::UserDeleted { .. } => {}
        }
        if e.by_signature.len() < before {
            counters().invalidation.inc();
        }
    }

    fn clear(&self) {
        if let Ok(mut e) = self.entries.write() {
            e.clear();
        }
    }
}

#[async_trait]
impl TokenStore for TokenCache {
    async fn insert_token(&self, token: &StoredToken) -> Result<(), StoreError> {
        // Write-through: a code is exchanged, and a token often introspected, moments after it is
        // issued.
        self.remember(token);
        let r = self.store.insert_token(token).await;
        if r.is_err() {
            self.forget(&token.signature);
        }
        r
    }

    async fn get_token(&self, signature: &str) -> Result<Option<StoredToken>, StoreError> {
        let now = self.owner.instant();
        if self.owner.trusted_at(now)
            && let Ok(e) = self.entries.read()
            && let Some((at, t)) = e.by_signature.get(signature)
            && now.saturating_duration_since(*at) < TOKEN_TTL
        {
            counters().hit.inc();
            return Ok(Some(StoredToken::clone(t)));
        }
        counters().miss.inc();
        let ticket = self.owner.ticket();
        let found = self.store.get_token(signature).await?;
        if let (Some(ticket), Some(t)) = (ticket, &found) {
            let t = Arc::new(t.clone());
            let now = self.owner.instant();
            if let Ok(mut e) = self.entries.write()
                && self.owner.admits(ticket, |ev| touched_by(&t, ev))
            {
                e.insert(now, t);
            }
        }
        Ok(found)
    }

    async fn revoke_request(&self, request_id: &str) -> Result<u64, StoreError> {
        self.store.revoke_request(request_id).await
    }

    async fn delete_client_tokens(&self, client_id: &str) -> Result<u64, StoreError> {
        self.store.delete_client_tokens(client_id).await
    }

    async fn delete_expired(&self, before_ms: i64) -> Result<u64, StoreError> {
        self.store.delete_expired(before_ms).await
    }

    async fn remember_jti(&self, id: &str, expires_at_ms: i64) -> Result<bool, StoreError> {
        self.store.remember_jti(id, expires_at_ms).await
    }

    async fn exchange(
        &self,
        spend: &str,
        revoke_access_of: Option<&str>,
        issue: &[StoredToken],
    ) -> Result<bool, StoreError> {
        // The new tokens are cached before the write, as in `insert_token`; the store's `Spent`
        // event (applied before this returns) drops the spent token and the family's old access
        // tokens, and keeps these.
        for t in issue {
            self.remember(t);
        }
        let r = self.store.exchange(spend, revoke_access_of, issue).await;
        if !matches!(r, Ok(true)) {
            for t in issue {
                self.forget(&t.signature);
            }
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    struct NoStore;
    #[async_trait]
    impl TokenStore for NoStore {
        async fn insert_token(&self, _: &StoredToken) -> Result<(), StoreError> {
            Ok(())
        }
        async fn get_token(&self, _: &str) -> Result<Option<StoredToken>, StoreError> {
            Ok(None)
        }
        async fn revoke_request(&self, _: &str) -> Result<u64, StoreError> {
            Ok(0)
        }
        async fn delete_client_tokens(&self, _: &str) -> Result<u64, StoreError> {
            Ok(0)
        }
        async fn delete_expired(&self, _: i64) -> Result<u64, StoreError> {
            Ok(0)
        }
        async fn remember_jti(&self, _: &str, _: i64) -> Result<bool, StoreError> {
            Ok(true)
        }
        async fn exchange(
            &self,
            _: &str,
            _: Option<&str>,
            _: &[StoredToken],
        ) -> Result<bool, StoreError> {
            Ok(true)
        }
    }

    fn token(sig: &str, family: &str, client: &str, subject: &str, kind: &str) -> StoredToken {
        StoredToken {
            signature: sig.into(),
            kind: kind.into(),
            request_id: family.into(),
            client_id: client.into(),
            subject: subject.into(),
            scope: String::new(),
            audience: vec![],
            extra: serde_json::Value::Null,
            issued_at: 0,
            expires_at: i64::MAX,
            active: true,
        }
    }

    fn cache() -> (Arc<ManualClock>, Arc<Coherence>, Arc<TokenCache>) {
        let clock = Arc::new(ManualClock::new());
        let owner = Arc::new(Coherence::new(true, clock.clone(), "test"));
        owner.single_process();
        (
            clock,
            owner.clone(),
            TokenCache::new(Arc::new(NoStore), owner),
        )
    }

    async fn cached(c: &TokenCache, sig: &str) -> bool {
        c.get_token(sig).await.unwrap().is_some()
    }

    #[tokio::test]
    async fn events_drop_exactly_what_they_touch_through_the_indexes() {
        let (_, owner, c) = cache();
        for t in [
            token("a1", "f1", "c1", "ada", "access_token"),
            token("r1", "f1", "c1", "ada", "refresh_token"),
            token("a2", "f2", "c1", "bob", "access_token"),
            token("a3", "f3", "c2", "ada", "access_token"),
            token("a4", "f4", "c2", "eve", "access_token"),
            token("a5", "f5", "c3", "eve", "access_token"),
        ] {
            c.remember(&t);
        }
        owner.apply(&[Event::Spent {
            signature: "r1".into(),
            family: Some("f1".into()),
            kept: vec!["a1".into()],
        }]);
        assert!(!cached(&c, "r1").await && cached(&c, "a1").await);
        owner.apply(&[Event::ConsentsRevoked {
            subject: "ada".into(),
            client: Some("c2".into()),
        }]);
        assert!(!cached(&c, "a3").await && cached(&c, "a1").await);
        owner.apply(&[Event::FamilyRevoked {
            family: "f1".into(),
        }]);
        assert!(!cached(&c, "a1").await && cached(&c, "a2").await);
        owner.apply(&[Event::ClientTokensDeleted {
            client: "c2".into(),
        }]);
        assert!(!cached(&c, "a4").await && cached(&c, "a5").await);
        owner.apply(&[Event::ClientDeleted { id: "c1".into() }]);
        assert!(!cached(&c, "a2").await);
        assert_eq!(c.len(), 1);
        let e = c.entries.read().unwrap();
        assert_eq!(
            (e.by_family.len(), e.by_client.len(), e.by_subject.len()),
            (1, 1, 1),
            "the indexes hold nothing for dropped entries"
        );
    }

    #[tokio::test]
    async fn at_the_bound_the_oldest_go_first() {
        let (_, _, c) = cache();
        for i in 0..MAX_ENTRIES {
            c.remember(&token(&format!("t{i}"), "f", "c", "s", "access_token"));
        }
        assert_eq!(c.len(), MAX_ENTRIES);
        c.remember(&token("last", "f", "c", "s", "access_token"));
        assert_eq!(c.len(), MAX_ENTRIES - MAX_ENTRIES / 10 + 1);
        assert!(!cached(&c, "t0").await, "the oldest went");
        assert!(cached(&c, &format!("t{}", MAX_ENTRIES - 1)).await && cached(&c, "last").await);
        let e = c.entries.read().unwrap();
        assert_eq!(
            e.by_client["c"].len(),
            e.by_signature.len(),
            "indexes follow"
        );
    }

    #[tokio::test]
    async fn entries_live_at_most_the_lifetime_and_nothing_is_cached_cold() {
        let (clock, owner, c) = cache();
        c.remember(&token("a", "f", "c", "s", "access_token"));
        clock.advance(TOKEN_TTL);
        assert!(!cached(&c, "a").await);
        owner.go_cold("test");
        c.remember(&token("b", "f", "c", "s", "access_token"));
        assert_eq!(c.len(), 0);
    }
}

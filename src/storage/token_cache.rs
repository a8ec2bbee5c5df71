//! A short-lived in-process cache of token records in front of a [`TokenStore`], so that
//! introspecting a token again costs no database read.
//!
//! Exactness: revocations and deletions through this process (revocation endpoint, admin token
//! deletion, client deletion) drop the affected entries before they return, so this process never
//! reports a token active after revoking it. Expiry is checked by the caller on every use. A
//! revocation made by *another* process sharing the database (another node, or a separate `serve
//! public` and `serve admin`) is seen here within [`TOKEN_TTL`]. Unknown tokens are not cached.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;

use super::{StoreError, StoredToken, TokenStore, ttl_map::TtlMap};

/// How long a cached token record is trusted before it is read again.
pub const TOKEN_TTL: Duration = Duration::from_secs(1);
/// Entries kept at most; beyond it stale entries go, then everything.
const MAX_ENTRIES: usize = 100_000;

pub struct TokenCache {
    store: Arc<dyn TokenStore>,
    entries: TtlMap<StoredToken>,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenCache")
    }
}

impl TokenCache {
    pub fn new(store: Arc<dyn TokenStore>) -> Self {
        Self {
            store,
            entries: TtlMap::new(TOKEN_TTL, MAX_ENTRIES),
        }
    }

    fn forget(&self, pred: impl Fn(&StoredToken) -> bool) {
        self.entries.remove_where(pred);
    }

    /// Caches a token row written elsewhere (a code stored with its flow).
    pub fn remember(&self, token: &StoredToken) {
        self.entries
            .insert(&token.signature, Arc::new(token.clone()));
    }

    /// Drops every cached token of a client (its tokens were deleted with it).
    pub fn forget_client(&self, client_id: &str) {
        self.forget(|t| t.client_id == client_id);
    }

    /// Drops the cached tokens of a subject, of one client or all (its consents were revoked).
    pub fn forget_subject(&self, subject: &str, client_id: Option<&str>) {
        self.forget(|t| t.subject == subject && client_id.is_none_or(|c| c == t.client_id));
    }
}

#[async_trait]
impl TokenStore for TokenCache {
    async fn insert_token(&self, token: &StoredToken) -> Result<(), StoreError> {
        // Write-through: a code is exchanged, and a token often introspected, moments after it is
        // issued. Whether a code or refresh token is still unspent is never taken from here:
        // spending is a conditional write in the database. Cached *before* the write, so that a
        // revocation that follows the write (a replay detected, a client deleted) also follows
        // the caching and drops it; nobody holds the token before this returns.
        self.remember(token);
        let r = self.store.insert_token(token).await;
        if r.is_err() {
            self.entries.remove(&token.signature);
        }
        r
    }

    async fn get_token(&self, signature: &str) -> Result<Option<StoredToken>, StoreError> {
        if let Some(t) = self.entries.get(signature) {
            return Ok(Some(StoredToken::clone(&t)));
        }
        let found = self.store.get_token(signature).await?;
        match &found {
            Some(t) => self.entries.insert(signature, Arc::new(t.clone())),
            None => self.entries.remove(signature),
        }
        Ok(found)
    }

    async fn revoke_request(&self, request_id: &str) -> Result<u64, StoreError> {
        let r = self.store.revoke_request(request_id).await;
        self.forget(|t| t.request_id == request_id);
        r
    }

    async fn delete_client_tokens(&self, client_id: &str) -> Result<u64, StoreError> {
        let r = self.store.delete_client_tokens(client_id).await;
        self.forget_client(client_id);
        r
    }

    async fn delete_expired(&self, before_ms: i64) -> Result<u64, StoreError> {
        let r = self.store.delete_expired(before_ms).await;
        self.forget(|t| t.expires_at < before_ms);
        r
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
        // The new tokens are cached before the write, as in `insert_token`: a replay that is
        // detected after the exchange commits revokes them, in the database and then here.
        for t in issue {
            self.remember(t);
        }
        let r = self.store.exchange(spend, revoke_access_of, issue).await;
        self.entries.remove(spend);
        if let Some(request) = revoke_access_of {
            self.forget(|t| {
                t.request_id == request
                    && t.kind == "access_token"
                    && !issue.iter().any(|i| i.signature == t.signature)
            });
        }
        if !matches!(r, Ok(true)) {
            for t in issue {
                self.entries.remove(&t.signature);
            }
        }
        r
    }
}

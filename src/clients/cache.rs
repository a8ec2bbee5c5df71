//! A short-lived in-process cache of clients for the token endpoint, so that authenticating a
//! client costs no database read and no JSON parse on the hot path.
//!
//! Exactness: every client write through this process (admin API, CLI) goes through
//! [`ClientCache`]'s [`ClientStore`] methods, which drop the cached entry before returning, so this
//! process never serves a client older than its own last write. Writes made by *another* process
//! sharing the database (another node, or a separate `serve admin`) become visible here within
//! [`CLIENT_TTL`]: that bounds how long a deleted client or a replaced secret keeps working on
//! other nodes. Unknown clients are not cached, so a client created elsewhere works at once.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;

use crate::{
    storage::{
        ClientFilter, ClientStore, StoreError, StoredClient, token_cache::TokenCache,
        ttl_map::TtlMap,
    },
    wire::OAuth2Client,
};

/// How long a cached client is trusted before it is read again.
pub const CLIENT_TTL: Duration = Duration::from_secs(2);
/// Entries kept at most; beyond it expired entries go, then everything.
const MAX_ENTRIES: usize = 50_000;

/// A client as the token endpoint needs it: the secret hash and the parsed metadata.
#[derive(Debug)]
pub struct ResolvedClient {
    pub id: String,
    pub secret_hash: Option<String>,
    pub metadata: Arc<OAuth2Client>,
    /// Milliseconds since the epoch, as stored.
    pub created_at: i64,
    pub updated_at: i64,
}

impl ResolvedClient {
    /// The client as the admin API shows it to login/consent apps: its id set, never a secret.
    pub fn public_metadata(&self) -> OAuth2Client {
        let mut m = OAuth2Client::clone(&self.metadata);
        m.client_id = Some(self.id.clone());
        m.client_secret = None;
        m.created_at = super::millis_to_time(self.created_at);
        m.updated_at = super::millis_to_time(self.updated_at);
        super::on_the_wire(m)
    }
}

pub struct ClientCache {
    store: Arc<dyn ClientStore>,
    /// Deleting a client deletes its tokens; their cached records go too.
    tokens: Option<Arc<TokenCache>>,
    entries: TtlMap<ResolvedClient>,
}

impl std::fmt::Debug for ClientCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientCache")
    }
}

impl ClientCache {
    pub fn new(store: Arc<dyn ClientStore>, tokens: Option<Arc<TokenCache>>) -> Self {
        Self {
            store,
            tokens,
            entries: TtlMap::new(CLIENT_TTL, MAX_ENTRIES),
        }
    }

    /// A client by id, from the cache while fresh.
    pub async fn resolve(&self, id: &str) -> Result<Option<Arc<ResolvedClient>>, StoreError> {
        if let Some(c) = self.entries.get(id) {
            return Ok(Some(c));
        }
        let Some(stored) = self.store.get_client(id).await? else {
            self.invalidate(id);
            return Ok(None);
        };
        let metadata: OAuth2Client = serde_json::from_value(stored.document)
            .map_err(|e| StoreError::Corrupt(format!("client {id:?}: {e}")))?;
        let resolved = Arc::new(ResolvedClient {
            id: stored.id,
            secret_hash: stored.secret_hash,
            metadata: Arc::new(metadata),
            created_at: stored.created_at,
            updated_at: stored.updated_at,
        });
        self.entries.insert(id, resolved.clone());
        Ok(Some(resolved))
    }

    pub fn invalidate(&self, id: &str) {
        self.entries.remove(id);
    }
}

/// Writes pass through and drop the cached entry; reads for the admin API are never cached.
#[async_trait]
impl ClientStore for ClientCache {
    async fn create_client(&self, client: &StoredClient) -> Result<(), StoreError> {
        let r = self.store.create_client(client).await;
        self.invalidate(&client.id);
        r
    }

    async fn get_client(&self, id: &str) -> Result<Option<StoredClient>, StoreError> {
        self.store.get_client(id).await
    }

    async fn update_client(&self, client: &StoredClient) -> Result<bool, StoreError> {
        let r = self.store.update_client(client).await;
        self.invalidate(&client.id);
        r
    }

    async fn delete_client(&self, id: &str) -> Result<bool, StoreError> {
        let r = self.store.delete_client(id).await;
        self.invalidate(id);
        if let Some(t) = &self.tokens {
            t.forget_client(id);
        }
        r
    }

    async fn list_clients(
        &self,
        filter: &ClientFilter,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<StoredClient>, StoreError> {
        self.store.list_clients(filter, after, limit).await
    }
}

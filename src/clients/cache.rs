//! An in-process cache of clients for the token endpoint, so that authenticating a client costs
//! no database read and no JSON parse on the hot path.
//!
//! Coherence: a client replaced or deleted on any node reaches this cache as an event (see
//! [`crate::coherence`]) before the next request after the write's answer is likely to arrive;
//! [`CLIENT_TTL`] only bounds how long an entry lives at all. Unknown clients are not cached, so a
//! client created elsewhere works at once.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;

use crate::{
    coherence::{Coherence, Event, map::CoherentMap, map::Touched},
    storage::{ClientFilter, ClientStore, StoreError, StoredClient},
    wire::OAuth2Client,
};

/// How long a cached client is kept at most.
pub const CLIENT_TTL: Duration = Duration::from_secs(30);
/// Entries kept at most; beyond it expired entries go, then everything.
const MAX_ENTRIES: usize = 50_000;

/// A client as the token endpoint needs it: the secret hash and the parsed metadata.
#[derive(Debug)]
pub struct ResolvedClient {
    pub id: String,
    pub secret_hash: Option<String>,
    /// Secrets rotated out that still authenticate the client, newest first.
    pub rotated_secret_hashes: Vec<String>,
    pub metadata: Arc<OAuth2Client>,
    /// Who registered the client, and so whether its URLs are fetched under the SSRF guard
    /// whatever the setting: a client with a registration access token registered itself.
    pub owner: crate::outbound::Owner,
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

impl Touched for ResolvedClient {
    fn touched_by(&self, key: &str, event: &Event) -> bool {
        match event {
            Event::ClientChanged { id } | Event::ClientDeleted { id } => id == key,
            _ => false,
        }
    }
}

pub struct ClientCache {
    store: Arc<dyn ClientStore>,
    entries: Arc<CoherentMap<ResolvedClient>>,
}

impl std::fmt::Debug for ClientCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientCache")
    }
}

impl ClientCache {
    pub fn new(store: Arc<dyn ClientStore>, owner: Arc<Coherence>) -> Self {
        Self {
            store,
            entries: CoherentMap::new("clients", owner, CLIENT_TTL, MAX_ENTRIES),
        }
    }

    /// A client by id, from the cache while fresh.
    pub async fn resolve(&self, id: &str) -> Result<Option<Arc<ResolvedClient>>, StoreError> {
        if let Some(c) = self.entries.get(id) {
            return Ok(Some(c));
        }
        let ticket = self.entries.ticket();
        let Some(stored) = self.store.get_client(id).await? else {
            return Ok(None);
        };
        let metadata: OAuth2Client = serde_json::from_value(stored.document)
            .map_err(|e| StoreError::Corrupt(format!("client {id:?}: {e}")))?;
        let resolved = Arc::new(ResolvedClient {
            id: stored.id,
            secret_hash: stored.secret_hash,
            rotated_secret_hashes: stored.rotated_secret_hashes,
            metadata: Arc::new(metadata),
            owner: if stored.registration_token_hash.is_some() {
                crate::outbound::Owner::Anonymous
            } else {
                crate::outbound::Owner::Operator
            },
            created_at: stored.created_at,
            updated_at: stored.updated_at,
        });
        self.entries.admit(ticket, id, resolved.clone());
        Ok(Some(resolved))
    }
}

/// Writes pass through (the store's events drop cached entries); reads for the admin API are
/// never cached.
#[async_trait]
impl ClientStore for ClientCache {
    async fn create_client(&self, client: &StoredClient) -> Result<(), StoreError> {
        self.store.create_client(client).await
    }

    async fn get_client(&self, id: &str) -> Result<Option<StoredClient>, StoreError> {
        self.store.get_client(id).await
    }

    async fn update_client(&self, client: &StoredClient) -> Result<bool, StoreError> {
        self.store.update_client(client).await
    }

    async fn delete_client(&self, id: &str) -> Result<bool, StoreError> {
        self.store.delete_client(id).await
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

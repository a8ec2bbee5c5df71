//! An in-process cache of completed flows in front of a [`FlowStore`]: the code exchange and every
//! refresh read their flow, which this process usually stored a moment before.
//!
//! Completed flows never change; they are only deleted (consents revoked, their client deleted),
//! which reaches this cache as an event from any node (see [`crate::coherence`]). Even a stale
//! entry would grant nothing: the revocation deleted the flow's codes and tokens, and spending
//! one is decided by the database.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;

use super::{FlowStore, LoginSession, StoreError, StoredFlow, StoredToken};
use crate::coherence::{
    Coherence, Event,
    map::{CoherentMap, Touched},
};

/// How long a cached flow is kept at most.
pub const FLOW_TTL: Duration = Duration::from_secs(30);
/// Entries kept at most; beyond it stale entries go, then everything.
const MAX_ENTRIES: usize = 50_000;

impl Touched for StoredFlow {
    fn touched_by(&self, _key: &str, event: &Event) -> bool {
        match event {
            Event::ConsentsRevoked { subject, client } => {
                self.subject == *subject && client.as_deref().is_none_or(|c| c == self.client_id)
            }
            Event::ClientDeleted { id } => self.client_id == *id,
            _ => false,
        }
    }
}

pub struct FlowCache {
    store: Arc<dyn FlowStore>,
    entries: Arc<CoherentMap<StoredFlow>>,
}

impl FlowCache {
    pub fn new(store: Arc<dyn FlowStore>, owner: Arc<Coherence>) -> Self {
        Self {
            store,
            entries: CoherentMap::new("flows", owner, FLOW_TTL, MAX_ENTRIES),
        }
    }
}

#[async_trait]
impl FlowStore for FlowCache {
    async fn complete_flow(
        &self,
        flow: &StoredFlow,
        tokens: &[StoredToken],
    ) -> Result<(), StoreError> {
        // Write-through, with a ticket taken before the write: a revocation that commits after
        // the flow and is applied before this line keeps it out.
        let ticket = self.entries.ticket();
        self.store.complete_flow(flow, tokens).await?;
        self.entries.admit(ticket, &flow.id, Arc::new(flow.clone()));
        Ok(())
    }

    async fn get_flow(&self, id: &str) -> Result<Option<StoredFlow>, StoreError> {
        if let Some(f) = self.entries.get(id) {
            return Ok(Some(StoredFlow::clone(&f)));
        }
        let ticket = self.entries.ticket();
        let found = self.store.get_flow(id).await?;
        if let Some(f) = &found {
            self.entries.admit(ticket, id, Arc::new(f.clone()));
        }
        Ok(found)
    }

    async fn remembered_consent(
        &self,
        subject: &str,
        client_id: &str,
        now_ms: i64,
    ) -> Result<Option<StoredFlow>, StoreError> {
        self.store
            .remembered_consent(subject, client_id, now_ms)
            .await
    }

    async fn list_consents(
        &self,
        subject: &str,
        login_session_id: Option<&str>,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<StoredFlow>, StoreError> {
        self.store
            .list_consents(subject, login_session_id, after, limit)
            .await
    }

    async fn revoke_consents(
        &self,
        subject: &str,
        client_id: Option<&str>,
    ) -> Result<u64, StoreError> {
        self.store.revoke_consents(subject, client_id).await
    }

    async fn session_flows(&self, login_session_id: &str) -> Result<Vec<StoredFlow>, StoreError> {
        self.store.session_flows(login_session_id).await
    }

    async fn put_login_session(
        &self,
        session: &LoginSession,
        cookie_digest: &str,
    ) -> Result<(), StoreError> {
        self.store.put_login_session(session, cookie_digest).await
    }

    async fn login_session_by_cookie(
        &self,
        cookie_digest: &str,
    ) -> Result<Option<LoginSession>, StoreError> {
        self.store.login_session_by_cookie(cookie_digest).await
    }

    async fn get_login_session(&self, id: &str) -> Result<Option<LoginSession>, StoreError> {
        self.store.get_login_session(id).await
    }

    async fn delete_login_sessions(
        &self,
        subject: Option<&str>,
        id: Option<&str>,
    ) -> Result<u64, StoreError> {
        self.store.delete_login_sessions(subject, id).await
    }

    async fn delete_finished(&self, now_ms: i64) -> Result<(u64, u64), StoreError> {
        self.store.delete_finished(now_ms).await
    }
}

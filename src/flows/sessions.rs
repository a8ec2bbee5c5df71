//! Consent and login sessions as the admin API manages them: listing a subject's consents,
//! revoking consents (and with them every token they granted), and ending login sessions.

use std::sync::Arc;

use chrono::{TimeZone, Utc};

use crate::{
    clients::{cache::ClientCache, next_page, page_params},
    error::AdminError,
    oauth::Services,
    storage::{FlowRecord, FlowStore, StoredFlow},
    wire::{OAuth2ConsentRequest, OAuth2ConsentSession},
};

/// Remembered logins and consents, as the admin API manages them.
#[derive(Debug)]
pub struct Sessions {
    flows: Arc<dyn FlowStore>,
    clients: Arc<ClientCache>,
}

impl Sessions {
    pub fn new(s: &Services) -> Self {
        Self {
            flows: s.flows.clone(),
            clients: s.clients.clone(),
        }
    }
}

/// One page of consent sessions and the token of the next, if any.
pub struct ConsentPage {
    pub sessions: Vec<OAuth2ConsentSession>,
    pub page_size: u64,
    pub next_page_token: Option<String>,
}

impl Sessions {
    async fn consent_session(&self, f: StoredFlow) -> Result<OAuth2ConsentSession, AdminError> {
        let record = FlowRecord::of(&f).map_err(|e| AdminError::Internal(format!("{e:?}")))?;
        let client = self
            .clients
            .resolve(&f.client_id)
            .await?
            .map(|c| c.public_metadata());
        Ok(OAuth2ConsentSession {
            consent_request_id: f.id.clone(),
            consent_request: OAuth2ConsentRequest {
                challenge: f.id.clone(),
                consent_request_id: Some(f.id.clone()),
                skip: f.consent_skip,
                subject: f.subject.clone(),
                client,
                request_url: Some(record.request_url),
                requested_scope: record.requested_scope,
                requested_access_token_audience: record.requested_audience,
                oidc_context: record.oidc_context,
                context: record.login_context,
                login_challenge: None,
                login_session_id: f.login_session_id.clone(),
                acr: record.acr.or_else(|| Some(String::new())),
                amr: record.amr.or_else(|| Some(Vec::new())),
            },
            grant_scope: f.granted_scope,
            grant_access_token_audience: f.granted_audience,
            remember: f.remember,
            remember_for: record.remember_for,
            handled_at: Utc.timestamp_millis_opt(record.handled_at).single(),
            session: Some(record.session),
            context: record.context,
        })
    }

    /// `GET /admin/oauth2/auth/sessions/consent`: a subject's consents, optionally of one login
    /// session.
    pub async fn list_consent_sessions(
        &self,
        subject: &str,
        login_session_id: Option<&str>,
        page_size: Option<u64>,
        page_token: Option<&str>,
    ) -> Result<ConsentPage, AdminError> {
        let (size, after) = page_params(page_size, page_token)?;
        let mut rows = self
            .flows
            .list_consents(subject, login_session_id, after.as_deref(), size + 1)
            .await?;
        let next_page_token = next_page(&mut rows, size, |r| &r.id);
        let mut sessions = Vec::with_capacity(rows.len());
        for f in rows {
            sessions.push(self.consent_session(f).await?);
        }
        Ok(ConsentPage {
            sessions,
            page_size: size,
            next_page_token,
        })
    }

    /// `DELETE /admin/oauth2/auth/sessions/consent`: revokes a subject's consents to one client
    /// (or to all), and every token they granted.
    pub async fn revoke_consent_sessions(
        &self,
        subject: &str,
        client: Option<&str>,
    ) -> Result<u64, AdminError> {
        Ok(self.flows.revoke_consents(subject, client).await?)
    }

    /// `DELETE /admin/oauth2/auth/sessions/login?subject=`: ends every remembered login session
    /// of a subject.
    pub async fn end_sessions_of(&self, subject: &str) -> Result<u64, AdminError> {
        Ok(self
            .flows
            .delete_login_sessions(Some(subject), None)
            .await?)
    }
}

//! Token introspection (RFC 7662) with Hydra's response fields. Expired, revoked, malformed and
//! foreign tokens are all simply `{"active": false}` (RFC 7662 §2.2), never an error.

use std::sync::Arc;

use super::{OAuthError, Services, scope, tokens::Tokens};
use crate::{clients::cache::ClientCache, config::Config, storage::FlowStore, wire::Introspection};

/// `POST /admin/oauth2/introspect`.
#[derive(Debug)]
pub struct Introspector {
    tokens: Arc<Tokens>,
    clients: Arc<ClientCache>,
    flows: Arc<dyn FlowStore>,
    config: Arc<Config>,
}

impl Introspector {
    pub fn new(s: &Services) -> Self {
        Self {
            tokens: s.tokens.clone(),
            clients: s.clients.clone(),
            flows: s.flows.clone(),
            config: s.config.clone(),
        }
    }

    /// Introspects an access or refresh token; `required_scope` (space-separated) must all be
    /// granted for the token to count as active, as in Hydra.
    pub async fn introspect(
        &self,
        token: &str,
        required_scope: Option<&str>,
    ) -> Result<Introspection, OAuthError> {
        if token.is_empty() {
            return Err(OAuthError::invalid_request(
                "The request is missing the `token` parameter (RFC 7662 §2.1).",
            ));
        }
        let inactive = Ok(Introspection::default());
        let Some((kind, row)) = self.tokens.find(token).await? else {
            return inactive;
        };
        let now = self.tokens.now_ms();
        if !row.active || row.expires_at <= now || row.kind != kind.as_str() {
            return inactive;
        }
        let granted: Vec<&str> = row.scope.split(' ').filter(|s| !s.is_empty()).collect();
        for needed in required_scope
            .unwrap_or_default()
            .split(' ')
            .filter(|s| !s.is_empty())
        {
            if !scope::allowed(&self.config.strategies.scope, &granted, needed) {
                return inactive;
            }
        }
        let obfuscated_subject = self.obfuscated_subject_of(&row).await?;
        let ext = row
            .extra
            .as_object()
            .is_some_and(|m| !m.is_empty())
            .then(|| row.extra.clone());
        Ok(Introspection {
            active: true,
            scope: (!row.scope.is_empty()).then_some(row.scope),
            client_id: Some(row.client_id),
            sub: Some(row.subject),
            obfuscated_subject,
            exp: Some(row.expires_at / 1000),
            iat: Some(row.issued_at / 1000),
            nbf: Some(row.issued_at / 1000),
            aud: Some(row.audience),
            iss: Some(self.config.urls.self_.issuer.clone()),
            token_type: Some("Bearer".into()),
            token_use: Some(kind.as_str().into()),
            ext,
        })
    }

    /// Introspection's `obfuscated_subject`, as Hydra reports it: the identifier a pairwise
    /// client knows the user by, from the token's flow. Nothing is read unless the server offers
    /// pairwise identifiers; then only tokens of pairwise clients pay the (cached) flow read.
    async fn obfuscated_subject_of(
        &self,
        row: &crate::storage::StoredToken,
    ) -> Result<Option<String>, OAuthError> {
        if !self.config.oidc.subject_identifiers.pairwise_enabled() {
            return Ok(None);
        }
        let Some(client) = self.clients.resolve(&row.client_id).await? else {
            return Ok(None);
        };
        if !crate::oidc::subject::is_pairwise(&client.metadata) {
            return Ok(None);
        }
        let Some(flow) = self.flows.get_flow(&row.request_id).await? else {
            return Ok(None);
        };
        Ok(crate::storage::FlowRecord::of(&flow)?
            .obfuscated_subject
            .filter(|o| *o != row.subject))
    }
}

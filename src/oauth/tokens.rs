//! The token service: the [`Issuer`] that makes and recognises tokens, the token store (and its
//! cache, for write-through), and what is done with stored tokens — spending codes and refresh
//! tokens once, revoking families (RFC 7009), issuing an access token with no flow behind it,
//! finding the access token a protected resource is called with.

use std::sync::Arc;

use super::{
    ErrorCode, OAuthError,
    client_auth::AuthenticatedClient,
    context::BearerRequest,
    grants::TokenResponse,
    mint::{Issue, Issuer, Issuing},
};
use crate::{
    clock::Clock,
    crypto::opaque::TokenKind,
    storage::{StoredToken, TokenStore, token_cache::TokenCache},
};

/// RFC 6750 §3.1: what a protected resource answers for any token it cannot use.
pub fn invalid_token() -> OAuthError {
    OAuthError::new(
        ErrorCode::InvalidToken,
        "The access token is missing, expired, revoked, or not an access token.",
    )
}

#[derive(Debug)]
pub struct Tokens {
    issuer: Issuer,
    store: Arc<dyn TokenStore>,
    /// The token cache itself (when it is on), for write-through of codes stored with their flow.
    cache: Option<Arc<TokenCache>>,
    clock: Arc<dyn Clock>,
}

impl Tokens {
    pub fn new(
        issuer: Issuer,
        store: Arc<dyn TokenStore>,
        cache: Option<Arc<TokenCache>>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            issuer,
            store,
            cache,
            clock,
        }
    }

    pub fn issuer(&self) -> &Issuer {
        &self.issuer
    }

    pub fn store(&self) -> &Arc<dyn TokenStore> {
        &self.store
    }

    pub fn cache(&self) -> Option<&Arc<TokenCache>> {
        self.cache.as_ref()
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// The kind and stored record of a presented access or refresh token, if it is ours and
    /// stored (active or not).
    pub async fn find(&self, token: &str) -> Result<Option<(TokenKind, StoredToken)>, OAuthError> {
        let Some((kind, signature)) = self.issuer.token_signature(token).await else {
            return Ok(None);
        };
        Ok(self
            .store
            .get_token(&signature)
            .await?
            .map(|row| (kind, row)))
    }

    /// The active, unexpired access token a protected resource is called with; anything else is
    /// `invalid_token` (RFC 6750 §3.1).
    pub async fn access(&self, req: &BearerRequest) -> Result<StoredToken, OAuthError> {
        let (kind, row) = self.find(&req.token).await?.ok_or_else(invalid_token)?;
        if kind != TokenKind::AccessToken
            || row.kind != kind.as_str()
            || !row.active
            || row.expires_at <= self.now_ms()
        {
            return Err(invalid_token());
        }
        Ok(row)
    }

    /// RFC 7009 §2.1: the client revokes a token issued to it, and with it its whole family.
    /// Unknown or invalid tokens are already revoked (§2.2).
    pub async fn revoke(
        &self,
        client: &AuthenticatedClient,
        token: &str,
    ) -> Result<(), OAuthError> {
        let Some((_, row)) = self.find(token).await? else {
            return Ok(());
        };
        if row.client_id != client.id {
            return Err(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "The token was not issued to this client, so it cannot revoke it.",
            ));
        }
        self.store.revoke_request(&row.request_id).await?;
        Ok(())
    }

    /// Mints and stores an access token alone, with no flow behind it: the grants without a user
    /// who consents (client credentials, JWT bearer).
    pub async fn issue_access_token(
        &self,
        issuing: Issuing,
        client: &AuthenticatedClient,
        subject: &str,
        scope: &[String],
        audience: &[String],
    ) -> Result<TokenResponse, OAuthError> {
        // Time-ordered (UUIDv7): new ids append to the request index instead of dirtying a
        // random page of it per token.
        let request_id = uuid::Uuid::now_v7().simple().to_string();
        let issued = self
            .issuer
            .mint(&Issue {
                issuing,
                client,
                request_id: &request_id,
                subject,
                scope,
                audience,
                flow: None,
                code: false,
                access_token: true,
                id_token: false,
                access_claims: None,
                code_expires_ms: None,
            })
            .await?;
        for row in &issued.rows {
            self.store.insert_token(row).await?;
        }
        Ok(issued.response())
    }

    /// `DELETE /admin/oauth2/tokens?client_id=`: deletes every token of a client.
    pub async fn delete_client_tokens(&self, client_id: &str) -> Result<u64, OAuthError> {
        Ok(self.store.delete_client_tokens(client_id).await?)
    }
}

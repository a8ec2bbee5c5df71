//! Token revocation (RFC 7009). The client authenticates; it may revoke only tokens issued to it;
//! revoking one token revokes its whole family (the grant it came from), so a refresh token's
//! access tokens die with it (RFC 7009 §2.1). Unknown or invalid tokens answer 200 (§2.2). The
//! revocation itself is [`super::tokens::Tokens::revoke`].

use std::sync::Arc;

use super::{
    OAuthError, Services, client_auth::Authenticator, context::Unauthenticated, tokens::Tokens,
};

/// `POST /oauth2/revoke`.
#[derive(Debug)]
pub struct Revocation {
    auth: Arc<Authenticator>,
    tokens: Arc<Tokens>,
}

impl Revocation {
    pub fn new(s: &Services) -> Self {
        Self {
            auth: s.auth.clone(),
            tokens: s.tokens.clone(),
        }
    }

    pub async fn revoke(&self, authorization: Option<&str>, body: &[u8]) -> Result<(), OAuthError> {
        let req = Unauthenticated::parse(authorization, body, &[])?;
        // A request without a token is refused before the client is authenticated.
        let token = req.form.require("token")?.to_owned();
        let req = req.authenticate(&self.auth).await?;
        self.tokens.revoke(&req.client, &token).await
    }
}

//! Token revocation (RFC 7009). The client authenticates; it may revoke only tokens issued to it;
//! revoking one token revokes its whole family (the grant it came from), so a refresh token's
//! access tokens die with it (RFC 7009 §2.1). Unknown or invalid tokens answer 200 (§2.2).

use super::{ErrorCode, OAuthCore, OAuthError, client_auth::Presented, params::FormParams};

impl OAuthCore {
    pub async fn revoke(&self, authorization: Option<&str>, body: &[u8]) -> Result<(), OAuthError> {
        let params = FormParams::parse(body, &[])?;
        let presented = Presented::from_request(authorization, &params)?;
        let token = params.require("token")?.to_owned();
        let client = self.authenticate(&presented).await?;
        let Some((_, signature)) = self.issuer.token_signature(&token).await else {
            return Ok(());
        };
        let Some(row) = self.tokens.get_token(&signature).await? else {
            return Ok(());
        };
        if row.client_id != client.id {
            return Err(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "The token was not issued to this client, so it cannot revoke it.",
            ));
        }
        self.tokens.revoke_request(&row.request_id).await?;
        Ok(())
    }
}

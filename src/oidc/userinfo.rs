//! The UserInfo endpoint (OIDC Core §5.3): for an active access token whose grant includes
//! `openid`, the subject and the claims the consent app put in `session.id_token` and (ours)
//! `session.userinfo`. The token comes
//! as a bearer token in the `Authorization` header or the form body (RFC 6750 §2.1, §2.2), never
//! both; errors are RFC 6750 §3 `WWW-Authenticate` challenges.

use serde_json::{Map, Value, json};

use crate::{
    oauth::{ErrorCode, OAuthCore, OAuthError},
    oidc::id_token::session_claims,
    storage::FlowRecord,
};

fn invalid_token() -> OAuthError {
    OAuthError::new(
        ErrorCode::InvalidToken,
        "The access token is missing, expired, revoked, or not an access token.",
    )
}

impl OAuthCore {
    pub async fn userinfo(&self, token: &str) -> Result<Map<String, Value>, OAuthError> {
        let Some((kind, signature)) = self.issuer.token_signature(token).await else {
            return Err(invalid_token());
        };
        let row = self
            .tokens
            .get_token(&signature)
            .await?
            .ok_or_else(invalid_token)?;
        let now = self.clock.now().timestamp_millis();
        if kind != crate::crypto::opaque::TokenKind::AccessToken
            || row.kind != kind.as_str()
            || !row.active
            || row.expires_at <= now
        {
            return Err(invalid_token());
        }
        if !row.scope.split(' ').any(|s| s == "openid") {
            return Err(OAuthError::new(
                ErrorCode::InsufficientScope,
                "The access token was not granted the openid scope.",
            ));
        }
        // Client credentials tokens have no flow and so no user.
        let flow = self
            .flows
            .get_flow(&row.request_id)
            .await?
            .ok_or_else(invalid_token)?;
        let record = FlowRecord::of(&flow)?;
        let mut claims = session_claims(record.session.id_token.as_ref());
        claims.extend(session_claims(record.session.userinfo.as_ref()));
        // As Hydra: the ID token's standard claims about this authentication, too.
        let sub = record
            .obfuscated_subject
            .as_deref()
            .unwrap_or(&flow.subject);
        claims.insert("sub".into(), json!(sub));
        claims.insert("iss".into(), json!(self.config.urls.self_.issuer));
        claims.insert("aud".into(), json!([row.client_id]));
        claims.insert("iat".into(), json!(now / 1000));
        claims.insert("auth_time".into(), json!(record.auth_time / 1000));
        claims.insert("rat".into(), json!(record.requested_at / 1000));
        Ok(claims)
    }
}

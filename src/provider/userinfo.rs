//! The UserInfo endpoint (OIDC Core §5.3): for an active access token whose grant includes
//! `openid`, the subject and the claims the consent app put in `session.id_token` and (ours)
//! `session.userinfo`. The token comes
//! as a bearer token in the `Authorization` header or the form body (RFC 6750 §2.1, §2.2), never
//! both; errors are RFC 6750 §3 `WWW-Authenticate` challenges.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::{
    config::Config,
    oauth::{
        ErrorCode, OAuthError, Services,
        context::BearerRequest,
        tokens::{Tokens, invalid_token},
    },
    oidc::id_token::session_claims,
    storage::{FlowRecord, FlowStore},
};

#[derive(Debug)]
pub struct Userinfo {
    tokens: Arc<Tokens>,
    flows: Arc<dyn FlowStore>,
    config: Arc<Config>,
}

impl Userinfo {
    pub fn new(s: &Services) -> Self {
        Self {
            tokens: s.tokens.clone(),
            flows: s.flows.clone(),
            config: s.config.clone(),
        }
    }

    pub async fn userinfo(&self, req: &BearerRequest) -> Result<Map<String, Value>, OAuthError> {
        let row = self.tokens.access(req).await?;
        let now = self.tokens.now_ms();
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

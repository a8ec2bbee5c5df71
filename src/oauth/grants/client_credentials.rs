//! The client credentials grant (RFC 6749 §4.4): a confidential client gets an access token for
//! itself. Scopes are checked against the client's under `strategies.scope`, audiences against its
//! `audience` allow-list. No refresh token is issued (RFC 6749 §4.4.3).

use super::TokenResponse;
use crate::{
    crypto::opaque::TokenKind,
    oauth::{
        ErrorCode, OAuthCore, OAuthError, access_token::Grant, client_auth::AuthenticatedClient,
        params::FormParams, scope,
    },
    storage::StoredToken,
};

pub async fn handle(
    core: &OAuthCore,
    client: &AuthenticatedClient,
    params: &FormParams,
) -> Result<TokenResponse, OAuthError> {
    if !client.has_grant("client_credentials") {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "The client is not allowed to use the client_credentials grant type.",
        ));
    }
    if client.method == "none" {
        return Err(OAuthError::new(
            ErrorCode::InvalidClient,
            "Public clients cannot use the client_credentials grant.",
        ));
    }
    let client_scope = client.metadata.scope.as_deref().unwrap_or_default();
    let allowed: Vec<&str> = client_scope.split(' ').filter(|s| !s.is_empty()).collect();
    let requested: Vec<&str> = params
        .get("scope")
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
        .collect();
    for s in &requested {
        if !scope::allowed(&core.config.strategies.scope, &allowed, s) {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                format!("The client is not allowed to request the scope {s:?}."),
            ));
        }
    }
    let audience = params.list("audience");
    let allowed_aud = client.metadata.audience.clone().unwrap_or_default();
    for a in &audience {
        if !allowed_aud.contains(a) {
            return Err(OAuthError::invalid_request(format!(
                "The client is not allowed to request the audience {a:?}."
            )));
        }
    }
    let lifespan = core.lifespan(
        client
            .metadata
            .client_credentials_grant_access_token_lifespan
            .as_ref(),
        &core.config.ttl.access_token,
    );
    let now = core.clock.now().timestamp_millis();
    let expires_in = lifespan.as_secs() as i64;
    let expires_at = now + lifespan.as_millis() as i64;
    let extra = serde_json::json!({});
    let minted = core
        .mint_access_token(&Grant {
            client,
            subject: &client.id,
            scope: &requested,
            audience: &audience,
            extra: &extra,
            issued_at_ms: now,
            expires_at_ms: expires_at,
        })
        .await?;
    let granted = requested.join(" ");
    core.tokens
        .insert_token(&StoredToken {
            signature: minted.signature,
            kind: TokenKind::AccessToken.as_str().into(),
            // Time-ordered (UUIDv7): new ids append to the request index instead of dirtying a
            // random page of it per token.
            request_id: uuid::Uuid::now_v7().simple().to_string(),
            client_id: client.id.clone(),
            subject: client.id.clone(),
            scope: granted.clone(),
            audience,
            extra,
            issued_at: now,
            expires_at,
            active: true,
        })
        .await?;
    Ok(TokenResponse {
        access_token: minted.token,
        token_type: "bearer",
        expires_in,
        scope: granted,
        refresh_token: None,
        id_token: None,
    })
}

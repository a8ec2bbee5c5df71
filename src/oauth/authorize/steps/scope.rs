//! `scope`: each value allowed for the client under `strategies.scope`; the `id_token` response
//! type needs `openid` (OIDC Core §3.2.2.1).

use crate::{
    config::Config,
    oauth::{ErrorCode, OAuthError, authorize::Draft, scope::allowed},
};

pub fn check(config: &Config, d: &mut Draft<'_>) -> Result<(), OAuthError> {
    let client_scope = super::super::split(d.client.metadata.scope.as_deref());
    let client_scope: Vec<&str> = client_scope.iter().map(String::as_str).collect();
    if let Some(s) = d
        .scope
        .iter()
        .find(|s| !allowed(&config.strategies.scope, &client_scope, s))
    {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            format!("The client is not allowed to request the scope {s:?}."),
        ));
    }
    if d.response_type.id_token && !d.openid() {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            "The id_token response type needs the openid scope.",
        ));
    }
    Ok(())
}

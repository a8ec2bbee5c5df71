//! PKCE (RFC 7636): a `code_challenge` with method S256 only (RFC 9700 §2.1.1: `plain` gives no
//! protection if the request leaks), and required for a code when `oauth2.pkce.enforced` says so
//! (or `enforced_for_public_clients` and the client is public).

use crate::{
    config::Config,
    oauth::{
        OAuthError,
        authorize::{Draft, valid_pkce_value},
    },
};

pub fn check(config: &Config, d: &mut Draft<'_>) -> Result<(), OAuthError> {
    let challenge = d.params.get("code_challenge");
    match (challenge, d.params.get("code_challenge_method")) {
        (None, Some(_)) => {
            return Err(OAuthError::invalid_request(
                "code_challenge_method was sent without code_challenge.",
            ));
        }
        (Some(c), Some("S256")) if valid_pkce_value(c) => {}
        (Some(_), Some("S256")) => {
            return Err(OAuthError::invalid_request(
                "The code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.2).",
            ));
        }
        (Some(_), _) => {
            return Err(OAuthError::invalid_request(
                "Only code_challenge_method=S256 is supported; plain is refused (RFC 9700 §2.1.1).",
            ));
        }
        (None, None) => {}
    }
    let public = d.client.metadata.token_endpoint_auth_method.as_deref() == Some("none");
    let pkce = &config.oauth2.pkce;
    if d.response_type.code
        && challenge.is_none()
        && (pkce.enforced || (public && pkce.enforced_for_public_clients))
    {
        return Err(OAuthError::invalid_request(
            "This client must use PKCE: send code_challenge with code_challenge_method=S256 (RFC 7636).",
        ));
    }
    d.code_challenge = challenge.map(str::to_owned);
    Ok(())
}

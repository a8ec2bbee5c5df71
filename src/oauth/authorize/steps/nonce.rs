//! `nonce`. OIDC Core §3.2.2.1 (implicit): REQUIRED; OIDC Core 1.0 with errata set 2, the hybrid
//! flow: "nonce — REQUIRED if the Response Type of the request is `code id_token` or
//! `code id_token token` and OPTIONAL when the Response Type of the request is `code token`". So:
//! required whenever an ID token comes back from this endpoint, and only then (`code token` and
//! `token` return none here; the conformance suite's
//! oidcc-ensure-request-without-nonce-succeeds-for-code-flow checks `code token`).

use crate::{
    config::Config,
    oauth::{OAuthError, authorize::Draft},
};

pub fn check(_: &Config, d: &mut Draft<'_>) -> Result<(), OAuthError> {
    d.nonce = d.params.get("nonce").map(str::to_owned);
    if d.openid() && d.response_type.id_token && d.nonce.is_none() {
        return Err(OAuthError::invalid_request(
            "The nonce parameter is required when an ID token is returned from the authorization endpoint.",
        ));
    }
    Ok(())
}

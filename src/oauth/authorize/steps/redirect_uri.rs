//! `redirect_uri`: one of the client's registered URIs, matched exactly (RFC 9700 §2.1,
//! [`super::super::redirect_matches`]); failures are shown to the user, never redirected. Until
//! the response mode is decided it answers in the query with the request's `state`.

use crate::{
    config::Config,
    oauth::{
        OAuthError,
        authorize::{Draft, ResponseMode, VerifiedRedirect, redirect_matches},
    },
};

pub fn check(_: &Config, d: &mut Draft<'_>) -> Result<(), OAuthError> {
    let registered = d
        .client
        .metadata
        .redirect_uris
        .as_deref()
        .unwrap_or_default();
    let uri = match d.params.get("redirect_uri") {
        Some(r) => registered
            .iter()
            .any(|reg| redirect_matches(reg, r))
            .then(|| r.to_owned()),
        // OIDC Core §3.1.2.1: an OpenID Connect request must name its redirect_uri (as Hydra
        // requires).
        None if d.openid() => {
            return Err(OAuthError::invalid_request(
                "The 'redirect_uri' parameter is required when using OpenID Connect 1.0.",
            ));
        }
        // RFC 6749 §3.1.2.3: without one, the only registered URI is used.
        None if registered.len() == 1 => Some(registered[0].clone()),
        None => None,
    };
    let uri = uri.ok_or_else(|| {
        OAuthError::invalid_request(
            "The redirect_uri is missing or is not one of the client's registered redirect URIs (they must match exactly).",
        )
    })?;
    d.redirect = Some(VerifiedRedirect {
        uri,
        mode: ResponseMode::Query,
        state: d.params.get("state").map(str::to_owned),
    });
    Ok(())
}

//! The `claims` parameter (OIDC Core §5.5): checked here, so that a malformed request fails at
//! once; the consent app reads it from the request (`request_url`), as Hydra's consent apps do.

use crate::{
    config::Config,
    oauth::{OAuthError, authorize::Draft},
    oidc::claims::ClaimsRequest,
};

pub fn check(_: &Config, d: &mut Draft<'_>) -> Result<(), OAuthError> {
    if let Some(c) = d.params.get("claims") {
        ClaimsRequest::parse(c).map_err(OAuthError::invalid_request)?;
    }
    Ok(())
}

//! `audience` (Hydra's): each value on the client's `audience` allow-list.

use crate::{
    config::Config,
    oauth::{OAuthError, authorize::Draft},
};

pub fn check(_: &Config, d: &mut Draft<'_>) -> Result<(), OAuthError> {
    let audience = super::super::split(d.params.get("audience"));
    let allowed = d.client.metadata.audience.as_deref().unwrap_or_default();
    if let Some(a) = audience.iter().find(|a| !allowed.contains(a)) {
        return Err(OAuthError::invalid_request(format!(
            "The client is not allowed to request the audience {a:?}."
        )));
    }
    d.audience = audience;
    Ok(())
}

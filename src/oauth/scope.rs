//! Scope matching under `strategies.scope` (Hydra's semantics).
//!
//! - `exact`: a requested scope is allowed when the client lists exactly that string.
//! - `wildcard`: as `exact`, and a client scope with `*` segments (dot-separated) allows any
//!   requested scope with the same number of segments whose other segments are equal:
//!   `photos.*` allows `photos.read` but neither `photos` nor `photos.read.all`.

use super::{ErrorCode, OAuthError, client_auth::AuthenticatedClient};

/// Checks requested scopes against the client's (under `strategy`) and audiences against its
/// `audience` allow-list: the grants without a user who consents to them.
pub fn check_scope_and_audience(
    strategy: &str,
    client: &AuthenticatedClient,
    requested: &[String],
    audience: &[String],
) -> Result<(), OAuthError> {
    let client_scope = client.metadata.scope.as_deref().unwrap_or_default();
    let allowed_scope: Vec<&str> = client_scope.split(' ').filter(|s| !s.is_empty()).collect();
    for s in requested {
        if !allowed(strategy, &allowed_scope, s) {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                format!("The client is not allowed to request the scope {s:?}."),
            ));
        }
    }
    check_audience(client, audience)
}

/// Checks requested audiences against the client's `audience` allow-list.
pub fn check_audience(client: &AuthenticatedClient, audience: &[String]) -> Result<(), OAuthError> {
    let allowed_aud = client.metadata.audience.as_deref().unwrap_or_default();
    if let Some(a) = audience.iter().find(|a| !allowed_aud.contains(a)) {
        return Err(OAuthError::invalid_request(format!(
            "The client is not allowed to request the audience {a:?}."
        )));
    }
    Ok(())
}

/// Whether `requested` is allowed by one of the client's `allowed` scopes.
pub fn allowed(strategy: &str, allowed: &[&str], requested: &str) -> bool {
    allowed.iter().any(|a| {
        if *a == requested {
            return true;
        }
        if strategy != "wildcard" || !a.contains('*') {
            return false;
        }
        let (pa, pr): (Vec<&str>, Vec<&str>) =
            (a.split('.').collect(), requested.split('.').collect());
        pa.len() == pr.len() && pa.iter().zip(&pr).all(|(x, y)| *x == "*" || x == y)
    })
}

#[cfg(test)]
mod tests {
    use super::allowed;

    #[test]
    fn strategies() {
        let client = ["openid", "photos.*", "api.read"];
        assert!(allowed("exact", &client, "api.read"));
        assert!(!allowed("exact", &client, "photos.read"));
        assert!(allowed("wildcard", &client, "photos.read"));
        assert!(!allowed("wildcard", &client, "photos"));
        assert!(!allowed("wildcard", &client, "photos.read.all"));
        assert!(!allowed("wildcard", &client, "api.write"));
    }
}

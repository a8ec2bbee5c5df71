//! Client authentication at the token and revocation endpoints (RFC 6749 §2.3, OIDC Core §9).
//!
//! The method a request uses must be the client's registered `token_endpoint_auth_method`: a
//! client registered for `client_secret_basic` cannot authenticate with the secret in the body,
//! and a public client (`none`) never presents a secret.

use std::sync::Arc;

use base64::{Engine, engine::general_purpose::STANDARD};

use super::{ErrorCode, OAuthError, jti::Jtis, params::FormParams};
use crate::{
    clients::cache::ClientCache, clock::Clock, config::Config, crypto::secret_cache::SecretCache,
    outbound::Outbound, wire::OAuth2Client,
};

/// The credentials a request carried, before checking them.
#[derive(Debug, Default)]
pub struct Presented {
    /// From `Authorization: Basic`, already URL-decoded (RFC 6749 §2.3.1).
    pub basic: Option<(String, String)>,
    pub body_id: Option<String>,
    pub body_secret: Option<String>,
    pub assertion_type: Option<String>,
    pub assertion: Option<String>,
}

impl Presented {
    /// Reads the `Authorization` header (if any) and the body parameters.
    pub fn from_request(
        authorization: Option<&str>,
        params: &FormParams,
    ) -> Result<Self, OAuthError> {
        let basic = match authorization {
            None => None,
            Some(h) => Some(parse_basic(h)?),
        };
        Ok(Self {
            basic,
            body_id: params.get("client_id").map(str::to_owned),
            body_secret: params.get("client_secret").map(str::to_owned),
            assertion_type: params.get("client_assertion_type").map(str::to_owned),
            assertion: params.get("client_assertion").map(str::to_owned),
        })
    }
}

fn invalid_client(d: impl Into<String>, basic: bool) -> OAuthError {
    OAuthError {
        basic_challenge: basic,
        ..OAuthError::new(ErrorCode::InvalidClient, d)
    }
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))`.
fn parse_basic(header: &str) -> Result<(String, String), OAuthError> {
    let bad = || {
        invalid_client(
            "The Authorization header is not valid HTTP Basic client authentication.",
            true,
        )
    };
    let (scheme, rest) = header.trim().split_once(' ').ok_or_else(bad)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(bad());
    }
    let decoded = STANDARD.decode(rest.trim()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let dec = |s: &str| -> Result<String, OAuthError> {
        let plus = s.replace('+', " ");
        percent_decode(&plus).ok_or_else(bad)
    };
    let (id, secret) = (dec(id)?, dec(secret)?);
    if id.is_empty() {
        return Err(bad());
    }
    Ok((id, secret))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A client that proved who it is.
#[derive(Debug, Clone)]
pub struct AuthenticatedClient {
    pub id: String,
    pub metadata: std::sync::Arc<OAuth2Client>,
    /// The method it used (equal to its registered one).
    pub method: &'static str,
}

impl AuthenticatedClient {
    pub fn has_grant(&self, grant: &str) -> bool {
        self.metadata.has_grant(grant)
    }
}

/// Authenticates clients: secrets (verified through a cache of recent successes), and
/// `private_key_jwt` assertions (see [`super::assertion`]).
#[derive(Debug)]
pub struct Authenticator {
    pub(super) clients: Arc<ClientCache>,
    secrets: SecretCache,
    pub(super) jtis: Jtis,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) outbound: Arc<Outbound>,
    pub(super) config: Arc<Config>,
}

impl Authenticator {
    pub fn new(
        config: Arc<Config>,
        clock: Arc<dyn Clock>,
        clients: Arc<ClientCache>,
        jtis: Jtis,
        outbound: Arc<Outbound>,
    ) -> Self {
        Self {
            clients,
            secrets: SecretCache::new(),
            jtis,
            clock,
            outbound,
            config,
        }
    }

    /// Authenticates the client of a request, or fails with `invalid_client` (401).
    pub async fn authenticate(&self, p: &Presented) -> Result<AuthenticatedClient, OAuthError> {
        let basic = p.basic.is_some();
        let (id, method, secret) = match (&p.basic, &p.body_secret, &p.assertion) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) | (None, Some(_), Some(_)) => {
                return Err(OAuthError::invalid_request(
                    "The request uses more than one client authentication method; use exactly one.",
                ));
            }
            (Some((id, secret)), None, None) => {
                if p.body_id.as_deref().is_some_and(|b| b != id) {
                    return Err(OAuthError::invalid_request(
                        "client_id in the body does not match the one in the Authorization header.",
                    ));
                }
                (id.clone(), "client_secret_basic", Some(secret.clone()))
            }
            (None, Some(secret), None) => {
                let id = p.body_id.clone().ok_or_else(|| {
                    OAuthError::invalid_request("client_secret was sent without client_id.")
                })?;
                (id, "client_secret_post", Some(secret.clone()))
            }
            (None, None, Some(assertion)) => {
                let id = super::assertion::claimed_client(assertion)?;
                if p.body_id.as_deref().is_some_and(|b| b != id) {
                    return Err(OAuthError::invalid_request(
                        "client_id in the body does not match the client assertion's sub.",
                    ));
                }
                (id, "private_key_jwt", None)
            }
            (None, None, None) => match &p.body_id {
                Some(id) => (id.clone(), "none", None),
                None => {
                    return Err(invalid_client(
                        "Client authentication failed: no client credentials were sent.",
                        false,
                    ));
                }
            },
        };
        let unknown = || {
            invalid_client(
                "Client authentication failed (unknown client, wrong secret or unsupported method).",
                basic,
            )
        };
        let stored = self.clients.resolve(&id).await?.ok_or_else(unknown)?;
        let metadata = stored.metadata.clone();
        let registered = metadata
            .token_endpoint_auth_method
            .as_deref()
            .unwrap_or("client_secret_basic");
        if registered != method {
            return Err(invalid_client(
                format!(
                    "The client is registered for {registered} but authenticated with {method}."
                ),
                basic,
            ));
        }
        if method == "private_key_jwt" {
            let assertion = p.assertion.as_deref().unwrap_or_default();
            self.verify_assertion(
                &id,
                &metadata,
                stored.owner,
                p.assertion_type.as_deref(),
                assertion,
            )
            .await?;
        }
        if let Some(secret) = secret {
            let Some(phc) = &stored.secret_hash else {
                return Err(unknown());
            };
            // The current secret and those rotated out (until deleted) all authenticate.
            let hashes: Vec<&str> = std::iter::once(phc.as_str())
                .chain(stored.rotated_secret_hashes.iter().map(String::as_str))
                .collect();
            if !self.secrets.verify_any(&id, &secret, &hashes).await {
                return Err(unknown());
            }
            let expires = metadata.client_secret_expires_at.unwrap_or(0);
            if expires > 0 && self.clock.now().timestamp() >= expires {
                return Err(invalid_client("The client secret has expired.", basic));
            }
        }
        Ok(AuthenticatedClient {
            id,
            metadata,
            method,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::parse_basic;

    #[test]
    fn basic_credentials_are_url_decoded() {
        // RFC 6749 §2.3.1: id and secret are form-urlencoded before base64.
        let h = format!(
            "Basic {}",
            base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                "my%3Aclient:s%C3%A9cret+x%2B"
            )
        );
        assert_eq!(
            parse_basic(&h).unwrap(),
            ("my:client".into(), "sécret x+".into())
        );
        assert!(parse_basic("Bearer abc").is_err());
        assert!(parse_basic("Basic !!!").is_err());
    }
}

//! `private_key_jwt` client authentication (OIDC Core §9, RFC 7523 §2.2 and §3): the client signs a
//! short-lived JWT with a key it registered (`jwks` or `jwks_uri`).
//!
//! Checked: the assertion type; `iss` = `sub` = the client id; `aud` names this server's token
//! endpoint or issuer; a signature by one of the client's keys with an asymmetric algorithm (the
//! registered `token_endpoint_auth_signing_alg` when set); `exp` present, in the future and at most
//! an hour away; `nbf` when present; `jti` present and never seen before for this client (replays
//! are refused; the record lives until the assertion expires).

use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use serde::Deserialize;

use super::{ErrorCode, OAuthError, client_auth::Authenticator};
use crate::wire::OAuth2Client;

pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The longest an assertion may live: bounds how long its `jti` must be remembered.
const MAX_LIFETIME_SECS: i64 = 3600;

#[derive(Debug, Deserialize)]
struct Claims {
    sub: Option<String>,
    exp: Option<i64>,
    jti: Option<String>,
}

fn invalid(d: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClient, d)
}

/// The client id an assertion claims to come from (its `sub`), read before any check.
pub fn claimed_client(assertion: &str) -> Result<String, OAuthError> {
    jsonwebtoken::dangerous::insecure_decode::<Claims>(assertion)
        .ok()
        .and_then(|d| d.claims.sub)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid("The client assertion is not a JWT with a sub claim."))
}

fn allowed_alg(header_alg: Algorithm, registered: Option<&str>) -> Result<Algorithm, OAuthError> {
    use Algorithm::*;
    let asymmetric = matches!(
        header_alg,
        RS256 | RS384 | RS512 | PS256 | PS384 | PS512 | ES256 | ES384 | EdDSA
    );
    if !asymmetric {
        return Err(invalid(
            "Client assertions must be signed with an asymmetric algorithm.",
        ));
    }
    if let Some(reg) = registered.filter(|r| !r.is_empty())
        && format!("{header_alg:?}") != reg
    {
        return Err(invalid(format!(
            "The client assertion must be signed with {reg}."
        )));
    }
    Ok(header_alg)
}

impl Authenticator {
    /// The client's keys: registered inline, or fetched from its `jwks_uri` (under the SSRF guard
    /// when `owner` says so). A failed fetch reads the same to the caller whatever went wrong;
    /// the detail goes to the log.
    async fn client_keys(
        &self,
        client: &OAuth2Client,
        owner: crate::outbound::Owner,
    ) -> Result<JwkSet, OAuthError> {
        if let Some(jwks) = &client.jwks {
            return serde_json::from_value(jwks.clone()).map_err(|_| {
                invalid("The client's registered jwks is not a usable JSON Web Key Set.")
            });
        }
        let uri = client
            .jwks_uri
            .as_deref()
            .filter(|u| !u.is_empty())
            .ok_or_else(|| invalid("The client has no keys registered."))?;
        self.outbound
            .get_json::<JwkSet>(uri, owner)
            .await
            .map_err(|e| OAuthError {
                cause: Some(format!("jwks_uri: {e}")),
                ..invalid(format!(
                    "The client's jwks_uri gave no JSON Web Key Set: {}.",
                    crate::outbound::FetchError::PUBLIC
                ))
            })
    }

    /// Verifies a client assertion for `client_id`, whose metadata is `client`.
    pub async fn verify_assertion(
        &self,
        client_id: &str,
        client: &OAuth2Client,
        owner: crate::outbound::Owner,
        assertion_type: Option<&str>,
        assertion: &str,
    ) -> Result<(), OAuthError> {
        if assertion_type != Some(ASSERTION_TYPE) {
            return Err(OAuthError::invalid_request(format!(
                "client_assertion_type must be {ASSERTION_TYPE}."
            )));
        }
        let header = jsonwebtoken::decode_header(assertion)
            .map_err(|_| invalid("The client assertion is not a valid JWT."))?;
        let alg = allowed_alg(
            header.alg,
            client.token_endpoint_auth_signing_alg.as_deref(),
        )?;
        let keys = self.client_keys(client, owner).await?;
        let base = self.config.public_base();
        let mut validation = Validation::new(alg);
        validation.set_audience(&[
            format!("{base}/oauth2/token"),
            self.config.urls.self_.issuer.clone(),
            base.clone(),
        ]);
        validation.set_issuer(&[client_id]);
        validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        let candidates = keys
            .keys
            .iter()
            .filter(|k| header.kid.is_none() || k.common.key_id == header.kid);
        let mut verified = None;
        for jwk in candidates {
            let Ok(key) = DecodingKey::from_jwk(jwk) else {
                continue;
            };
            if let Ok(data) = jsonwebtoken::decode::<Claims>(assertion, &key, &validation) {
                verified = Some(data.claims);
                break;
            }
        }
        let claims = verified.ok_or_else(|| {
            invalid("The client assertion could not be verified (signature, audience, issuer or expiry).")
        })?;
        if claims.sub.as_deref() != Some(client_id) {
            return Err(invalid("The client assertion's sub must be the client id."));
        }
        let now = self.clock.now().timestamp();
        let exp = claims.exp.unwrap_or(0);
        if exp - now > MAX_LIFETIME_SECS {
            return Err(invalid(
                "The client assertion expires too far in the future (at most one hour).",
            ));
        }
        let jti = claims
            .jti
            .filter(|j| !j.is_empty())
            .ok_or_else(|| invalid("The client assertion has no jti."))?;
        if !self
            .jtis
            .first_use(&[client_id, &jti], (exp + 5) * 1000)
            .await?
        {
            return Err(invalid(
                "The client assertion was already used (jti replay).",
            ));
        }
        Ok(())
    }
}

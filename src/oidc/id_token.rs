//! ID tokens (OIDC Core §2, §3.1.3.6, §3.2.2.10, §3.3.2.11), signed with the newest key of the
//! `hydra.openid.id-token` set (RS256 unless an operator added another key).
//!
//! Claims: `iss`, `sub`, `aud` (the client), `exp`, `iat`, `auth_time`, `rat` (when the request
//! was made), `jti`, `azp`, and when known `nonce`, `acr`, `amr`, `sid`; `at_hash` and `c_hash`
//! when an access token or a code travels with the ID token from the authorization endpoint. The
//! consent's `session.id_token` claims are added, except that they cannot replace any of those.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, Header};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::{
    keys::ID_TOKEN_SET,
    oauth::{OAuthCore, OAuthError},
};

/// Claims a consent's `session.id_token` may not set: the ones this server vouches for.
const PROTECTED: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "nbf",
    "auth_time",
    "rat",
    "jti",
    "azp",
    "nonce",
    "acr",
    "amr",
    "sid",
    "at_hash",
    "c_hash",
];

/// What goes into an ID token.
pub struct IdTokenInput<'a> {
    pub client_id: &'a str,
    pub subject: &'a str,
    /// Milliseconds since the epoch.
    pub auth_time_ms: i64,
    pub requested_at_ms: i64,
    pub nonce: Option<&'a str>,
    pub acr: Option<&'a str>,
    pub amr: Option<&'a [String]>,
    pub sid: Option<&'a str>,
    /// An access token issued with this ID token (→ `at_hash`).
    pub access_token: Option<&'a str>,
    /// A code issued with this ID token (→ `c_hash`).
    pub code: Option<&'a str>,
    /// The consent's `session.id_token`.
    pub extra: Option<&'a Value>,
    pub lifespan: std::time::Duration,
}

/// OIDC Core §3.1.3.6: the left half of the hash of the ASCII value, with the hash of the JWS
/// algorithm (SHA-512 for Ed25519, as the OpenID Foundation specifies for EdDSA).
pub fn half_hash(alg: Algorithm, value: &str) -> String {
    let digest: Vec<u8> = match alg {
        Algorithm::RS384 | Algorithm::PS384 | Algorithm::ES384 => {
            Sha384::digest(value.as_bytes()).to_vec()
        }
        Algorithm::RS512 | Algorithm::PS512 | Algorithm::EdDSA => {
            Sha512::digest(value.as_bytes()).to_vec()
        }
        _ => Sha256::digest(value.as_bytes()).to_vec(),
    };
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

/// Public claims of the consent's `session.id_token` (also what userinfo returns).
pub fn session_claims(extra: Option<&Value>) -> Map<String, Value> {
    extra
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter(|(k, _)| !PROTECTED.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

impl OAuthCore {
    /// Signs an ID token.
    pub async fn id_token(&self, input: &IdTokenInput<'_>) -> Result<String, OAuthError> {
        let set = self
            .keys
            .signing_set(ID_TOKEN_SET)
            .await
            .map_err(|e| OAuthError::server(format!("ID token signing key: {e:?}")))?;
        let signer = set
            .signer
            .as_ref()
            .ok_or_else(|| OAuthError::server("the ID token set has no signing key"))?;
        let now = self.clock.now().timestamp();
        let mut claims = session_claims(input.extra);
        let mut put = |k: &str, v: Value| {
            claims.insert(k.to_owned(), v);
        };
        put("iss", json!(self.config.urls.self_.issuer));
        put("sub", json!(input.subject));
        put("aud", json!([input.client_id]));
        put("azp", json!(input.client_id));
        put("iat", json!(now));
        put("exp", json!(now + input.lifespan.as_secs() as i64));
        put("auth_time", json!(input.auth_time_ms / 1000));
        put("rat", json!(input.requested_at_ms / 1000));
        put("jti", json!(uuid::Uuid::new_v4().to_string()));
        if let Some(n) = input.nonce {
            put("nonce", json!(n));
        }
        if let Some(a) = input.acr.filter(|a| !a.is_empty()) {
            put("acr", json!(a));
        }
        if let Some(a) = input.amr.filter(|a| !a.is_empty()) {
            put("amr", json!(a));
        }
        if let Some(s) = input.sid {
            put("sid", json!(s));
        }
        if let Some(t) = input.access_token {
            put("at_hash", json!(half_hash(signer.alg, t)));
        }
        if let Some(c) = input.code {
            put("c_hash", json!(half_hash(signer.alg, c)));
        }
        let mut header = Header::new(signer.alg);
        header.typ = Some("JWT".into());
        header.kid = Some(signer.kid.clone());
        signer
            .sign(&header, &claims)
            .map_err(|e| OAuthError::server(format!("signing an ID token: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_hash_matches_oidc_example() {
        // OIDC Core §A.3 example access token and its at_hash (RS256).
        assert_eq!(
            half_hash(
                Algorithm::RS256,
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }

    #[test]
    fn session_claims_cannot_override_protected_ones() {
        let extra = json!({"email": "a@b.c", "sub": "evil", "aud": "x"});
        let c = session_claims(Some(&extra));
        assert_eq!(c.len(), 1);
        assert_eq!(c["email"], "a@b.c");
    }
}

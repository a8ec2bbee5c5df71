//! What ID tokens say (OIDC Core §2, §3.1.3.6, §3.2.2.10, §3.3.2.11); they are signed in
//! [`crate::oauth::mint`] with the newest key of the `hydra.openid.id-token` set (RS256 unless an
//! operator added another key).
//!
//! Claims: `iss`, `sub`, `aud` (the client), `exp`, `iat`, `auth_time`, `jti`, `azp`, and when
//! known `nonce`, `acr`, `amr`, `sid`; `at_hash` and `c_hash` when an access token or a code
//! travels with the ID token from the authorization endpoint. The consent's `session.id_token`
//! claims are added, except that they cannot replace any of those.
//!
//! Unlike Hydra, no `rat` (when the request was made): OIDC Core defines no such claim, no relying
//! party reads it, and an ID token carries only what was asked for it (the conformance suite warns
//! of it in every plan). Userinfo keeps Hydra's `rat`, and token hooks still get the time.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha384, Sha512};

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

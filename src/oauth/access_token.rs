//! Access tokens in either strategy (minted in [`super::mint`]), and finding the stored record
//! of a presented token.
//!
//! - `opaque` (the default): Hydra's `ory_at_…` tokens (see [`crate::crypto::opaque`]).
//! - `jwt`: RFC 9068 JWT access tokens, `typ: at+jwt`, signed with the newest key of the
//!   `hydra.jwt.access-token` set. Resource servers may verify them offline against
//!   `/.well-known/jwks.json`; the server still stores a record (keyed by a hash of the JWS
//!   signature) so that introspection and revocation work as for opaque tokens.
//!
//! The client's `access_token_strategy` overrides `strategies.access_token`.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::Validation;
use sha2::{Digest, Sha256};

use super::client_auth::AuthenticatedClient;
use crate::{crypto::opaque::TokenKind, keys::ACCESS_TOKEN_SET};

/// The stored key of a JWT: SHA-256 of its signature segment, base64url (43 characters, like an
/// opaque token's HMAC).
pub(super) fn jwt_signature(token: &str) -> Option<String> {
    let sig = token.rsplit('.').next()?;
    Some(URL_SAFE_NO_PAD.encode(Sha256::digest(sig.as_bytes())))
}

fn looks_like_jws(token: &str) -> bool {
    token.bytes().filter(|b| *b == b'.').count() == 2 && !token.starts_with("ory_")
}

impl super::mint::Issuer {
    /// Whether tokens for this client are JWTs.
    pub(super) fn jwt_strategy(&self, client: &AuthenticatedClient) -> bool {
        let strategy = client
            .metadata
            .access_token_strategy
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or(&self.config.strategies.access_token);
        strategy == "jwt"
    }

    /// The kind and stored key of a presented access or refresh token, if it is one of ours:
    /// an opaque token with a valid HMAC, or a JWT whose signature verifies against the access
    /// token keys. Anything else is `None`.
    pub async fn token_signature(&self, token: &str) -> Option<(TokenKind, String)> {
        if let Some(found) = [TokenKind::AccessToken, TokenKind::RefreshToken]
            .into_iter()
            .find_map(|k| self.signer.verify(k, token).map(|s| (k, s)))
        {
            return Some(found);
        }
        if !looks_like_jws(token) {
            return None;
        }
        let header = jsonwebtoken::decode_header(token).ok()?;
        let set = self.keys.loaded(ACCESS_TOKEN_SET).await.ok()?;
        let (alg, key) = set.verifier(header.kid.as_deref()?)?;
        if header.alg != alg {
            return None;
        }
        // Only the signature matters here: expiry and revocation come from the stored record.
        let mut v = Validation::new(alg);
        v.validate_exp = false;
        v.validate_aud = false;
        v.required_spec_claims.clear();
        jsonwebtoken::decode::<serde_json::Value>(token, key, &v).ok()?;
        Some((TokenKind::AccessToken, jwt_signature(token)?))
    }
}

//! Minting access tokens in either strategy, and finding the stored record of a presented token.
//!
//! - `opaque` (the default): Hydra's `ory_at_…` tokens (see [`crate::crypto::opaque`]).
//! - `jwt`: RFC 9068 JWT access tokens, `typ: at+jwt`, signed with the newest key of the
//!   `hydra.jwt.access-token` set. Resource servers may verify them offline against
//!   `/.well-known/jwks.json`; the server still stores a record (keyed by a hash of the JWS
//!   signature) so that introspection and revocation work as for opaque tokens.
//!
//! The client's `access_token_strategy` overrides `strategies.access_token`.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Header, Validation};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{OAuthCore, OAuthError, client_auth::AuthenticatedClient};
use crate::{crypto::opaque::TokenKind, keys::ACCESS_TOKEN_SET};

/// What goes into an access token, whatever its strategy.
pub struct Grant<'a> {
    pub client: &'a AuthenticatedClient,
    pub subject: &'a str,
    /// Granted scopes.
    pub scope: &'a [&'a str],
    pub audience: &'a [String],
    /// Extra claims (`ext`).
    pub extra: &'a serde_json::Value,
    pub issued_at_ms: i64,
    pub expires_at_ms: i64,
}

/// A minted token and the key its record is stored under.
pub struct MintedToken {
    pub token: String,
    pub signature: String,
}

/// RFC 9068 §2.2 claims, plus Hydra's `scp` (the scopes as an array) and `ext`.
#[derive(Serialize)]
struct AccessClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a [String],
    exp: i64,
    iat: i64,
    nbf: i64,
    jti: String,
    client_id: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    scope: &'a str,
    scp: &'a [&'a str],
    #[serde(skip_serializing_if = "Option::is_none")]
    ext: Option<&'a serde_json::Value>,
}

/// The stored key of a JWT: SHA-256 of its signature segment, base64url (43 characters, like an
/// opaque token's HMAC).
fn jwt_signature(token: &str) -> Option<String> {
    let sig = token.rsplit('.').next()?;
    Some(URL_SAFE_NO_PAD.encode(Sha256::digest(sig.as_bytes())))
}

fn looks_like_jws(token: &str) -> bool {
    token.bytes().filter(|b| *b == b'.').count() == 2 && !token.starts_with("ory_")
}

impl OAuthCore {
    /// Whether tokens for this client are JWTs.
    fn jwt_strategy(&self, client: &AuthenticatedClient) -> bool {
        let strategy = client
            .metadata
            .access_token_strategy
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or(&self.config.strategies.access_token);
        strategy == "jwt"
    }

    /// Mints an access token in the client's strategy.
    pub async fn mint_access_token(&self, g: &Grant<'_>) -> Result<MintedToken, OAuthError> {
        if !self.jwt_strategy(g.client) {
            let m = self
                .signer
                .mint(TokenKind::AccessToken)
                .ok_or_else(|| OAuthError::server("no system secret"))?;
            return Ok(MintedToken {
                token: m.token,
                signature: m.signature,
            });
        }
        let set = self
            .keys
            .signing_set(ACCESS_TOKEN_SET)
            .await
            .map_err(|e| OAuthError::server(format!("access token signing key: {e:?}")))?;
        let signer = set
            .signer
            .as_ref()
            .ok_or_else(|| OAuthError::server("the access token set has no signing key"))?;
        let mut header = Header::new(signer.alg);
        header.typ = Some("at+jwt".into());
        header.kid = Some(signer.kid.clone());
        let scope = g.scope.join(" ");
        let claims = AccessClaims {
            iss: &self.config.urls.self_.issuer,
            sub: g.subject,
            aud: g.audience,
            exp: g.expires_at_ms / 1000,
            iat: g.issued_at_ms / 1000,
            nbf: g.issued_at_ms / 1000,
            jti: uuid::Uuid::new_v4().to_string(),
            client_id: &g.client.id,
            scope: &scope,
            scp: g.scope,
            ext: g
                .extra
                .as_object()
                .filter(|m| !m.is_empty())
                .map(|_| g.extra),
        };
        let token = signer
            .sign(&header, &claims)
            .map_err(|e| OAuthError::server(format!("signing an access token: {e}")))?;
        let signature = jwt_signature(&token)
            .ok_or_else(|| OAuthError::server("a signed token without a signature"))?;
        Ok(MintedToken { token, signature })
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

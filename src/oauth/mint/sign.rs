//! Signing: JWT access tokens (RFC 9068, `typ: at+jwt`, the newest key of
//! `hydra.jwt.access-token`; opaque ones are HMACs, see [`crate::crypto::opaque`]) and ID tokens
//! (OIDC Core §2, the newest key of `hydra.openid.id-token`; their claims' rules are
//! [`crate::oidc::id_token`]'s), and Back-Channel Logout 1.0 logout tokens.

use jsonwebtoken::Header;
use serde::Serialize;
use serde_json::{Value, json};

use super::Issuer;
use crate::{
    crypto::opaque::TokenKind,
    keys::{ACCESS_TOKEN_SET, ID_TOKEN_SET},
    oauth::{OAuthError, access_token::jwt_signature, client_auth::AuthenticatedClient},
    oidc::id_token::IdTokenInput,
};

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

impl Issuer {
    /// Mints an access token in the client's strategy.
    pub(super) async fn mint_access_token(&self, g: &Grant<'_>) -> Result<MintedToken, OAuthError> {
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
        let token = self
            .sign_jwt(ACCESS_TOKEN_SET, "at+jwt", |_| claims)
            .await?;
        let signature = jwt_signature(&token)
            .ok_or_else(|| OAuthError::server("a signed token without a signature"))?;
        Ok(MintedToken { token, signature })
    }
}

impl Issuer {
    /// Signs an ID token.
    pub(super) async fn sign_id_token(
        &self,
        input: &IdTokenInput<'_>,
    ) -> Result<String, OAuthError> {
        let now = self.clock.now().timestamp();
        self.sign_jwt(ID_TOKEN_SET, "JWT", |alg| {
            let mut claims = crate::oidc::id_token::session_claims(input.extra);
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
                put("at_hash", json!(crate::oidc::id_token::half_hash(alg, t)));
            }
            if let Some(c) = input.code {
                put("c_hash", json!(crate::oidc::id_token::half_hash(alg, c)));
            }
            claims
        })
        .await
    }

    /// Back-Channel Logout 1.0 §2.4: a logout token, signed like ID tokens.
    pub(crate) async fn logout_token(
        &self,
        client_id: &str,
        subject: &str,
        sid: &str,
    ) -> Result<String, OAuthError> {
        let now = self.clock.now().timestamp();
        let claims = json!({
            "iss": self.config.urls.self_.issuer,
            "sub": subject,
            "aud": [client_id],
            "iat": now,
            "exp": now + 120,
            "jti": uuid::Uuid::new_v4().to_string(),
            "sid": sid,
            "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
        });
        self.sign_jwt(ID_TOKEN_SET, "logout+jwt", |_| claims).await
    }

    /// Signs `claims` (given the algorithm, for the hashes that depend on it) as a JWT of type
    /// `typ` with the newest key of `set`, naming the key in `kid`.
    async fn sign_jwt<T: Serialize>(
        &self,
        set: &str,
        typ: &str,
        claims: impl FnOnce(jsonwebtoken::Algorithm) -> T,
    ) -> Result<String, OAuthError> {
        let keys = self
            .keys
            .signing_set(set)
            .await
            .map_err(|e| OAuthError::server(format!("{set} signing key: {e:?}")))?;
        let signer = keys
            .signer
            .as_ref()
            .ok_or_else(|| OAuthError::server(format!("the set {set} has no signing key")))?;
        let mut header = Header::new(signer.alg);
        header.typ = Some(typ.into());
        header.kid = Some(signer.kid.clone());
        signer
            .sign(&header, &claims(signer.alg))
            .map_err(|e| OAuthError::server(format!("signing a {typ} token: {e}")))
    }

    /// Checks an `id_token_hint`: a token this server signed (expired ones are fine, OIDC Core
    /// §3.1.2.1); returns its claims.
    pub async fn verify_id_token_hint(
        &self,
        hint: &str,
    ) -> Result<serde_json::Map<String, Value>, OAuthError> {
        let bad = || {
            OAuthError::invalid_request(
                "The id_token_hint is not an ID token issued by this server.",
            )
        };
        let header = jsonwebtoken::decode_header(hint).map_err(|_| bad())?;
        let set = self
            .keys
            .loaded(ID_TOKEN_SET)
            .await
            .map_err(|e| OAuthError::server(format!("{e:?}")))?;
        let (alg, key) = set
            .verifier(header.kid.as_deref().ok_or_else(bad)?)
            .ok_or_else(bad)?;
        if alg != header.alg {
            return Err(bad());
        }
        let mut v = jsonwebtoken::Validation::new(alg);
        v.validate_exp = false;
        v.validate_aud = false;
        v.set_issuer(&[&self.config.urls.self_.issuer]);
        v.required_spec_claims.clear();
        jsonwebtoken::decode::<serde_json::Map<String, Value>>(hint, key, &v)
            .map(|d| d.claims)
            .map_err(|_| bad())
    }
}

//! The JWT-bearer authorization grant (RFC 7523 §2.1): a client exchanges an assertion — a JWT
//! signed by an issuer the admin API trusts (`crate::trust`) — for an access token whose subject
//! is the assertion's `sub`.
//!
//! The client authenticates as for any grant and must list the grant type (as Hydra). The
//! assertion is checked as RFC 7523 §3 asks: `iss` and `sub` present, a trust relationship for
//! them (that subject, or any) that has not expired, a signature by its key with the key's own
//! algorithm (RFC 8725 §3.1), `aud` naming this server's token endpoint, `exp` present and in the
//! future, `nbf` passed, `iat` present (unless `oauth2.grant.jwt.iat_optional`) and not in the
//! future, a lifetime within `oauth2.grant.jwt.max_ttl`, and a `jti` (unless
//! `oauth2.grant.jwt.jti_optional`) never used before by that issuer. Every refusal of the
//! assertion is `invalid_grant` (RFC 7523 §3.1); scopes beyond the relationship's are
//! `invalid_scope` (RFC 6749 §5.2). No refresh token and no ID token are issued.

use std::sync::Arc;

use jsonwebtoken::{DecodingKey, Validation};
use serde::Deserialize;

use super::{ClientAuth, FromForm, Grant, TokenResponse, invalid_grant};
use crate::{
    clock::Clock,
    config::Config,
    crypto::jwk,
    oauth::{
        ErrorCode, OAuthError, Services, context::ClientRequest, jti::Jtis, mint::Issuing,
        params::FormParams, scope, tokens::Tokens,
    },
    storage::{StoredTrust, TrustStore},
    wire::JsonWebKey,
};

pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// How far in the future an `iat` may be (clock skew); beyond it the assertion is refused, since
/// a lifetime counted from a future `iat` would let it outlive `max_ttl`.
const IAT_LEEWAY_SECS: i64 = 60;

pub struct JwtBearer {
    tokens: Arc<Tokens>,
    trusts: Arc<dyn TrustStore>,
    jtis: Jtis,
    clock: Arc<dyn Clock>,
    config: Arc<Config>,
}

impl JwtBearer {
    pub fn new(s: &Services) -> Self {
        Self {
            tokens: s.tokens.clone(),
            trusts: s.trusts.clone(),
            jtis: s.jtis.clone(),
            clock: s.clock.clone(),
            config: s.config.clone(),
        }
    }
}

/// RFC 7523 §2.1: `assertion`, and `scope` (RFC 6749 §3.3); `audience` as the other grants.
pub struct Params {
    assertion: String,
    scope: Vec<String>,
    audience: Vec<String>,
}

impl FromForm for Params {
    fn from_form(form: &FormParams) -> Result<Self, OAuthError> {
        let assertion = form
            .get("assertion")
            .filter(|a| !a.is_empty())
            .ok_or_else(|| {
                OAuthError::invalid_request(format!(
                    "The assertion request parameter must be set when using grant_type of '{JWT_BEARER_GRANT}'."
                ))
            })?;
        Ok(Self {
            assertion: assertion.to_owned(),
            scope: form
                .get("scope")
                .unwrap_or_default()
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            audience: form.list("audience"),
        })
    }
}

/// The claims an assertion is judged by (NumericDates may carry fractions, RFC 7519 §2).
#[derive(Debug, Deserialize)]
struct Claims {
    iss: Option<String>,
    sub: Option<String>,
    #[serde(default)]
    aud: Option<serde_json::Value>,
    exp: Option<f64>,
    nbf: Option<f64>,
    iat: Option<f64>,
    jti: Option<String>,
}

impl Claims {
    fn audiences(&self) -> Vec<String> {
        match &self.aud {
            Some(serde_json::Value::String(s)) => vec![s.clone()],
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    }
}

const PARAM: &str = "\"assertion\" request parameter";

impl Grant for JwtBearer {
    const NAME: &'static str = JWT_BEARER_GRANT;
    const CLIENT_AUTH: ClientAuth = ClientAuth::AnyClient;
    type Params = Params;

    async fn handle(
        &self,
        req: &ClientRequest,
        params: Params,
    ) -> Result<TokenResponse, OAuthError> {
        let (core, client) = (self, &req.client);
        let (trust, claims) = core.verify_grant_assertion(&params.assertion).await?;
        let (issuer, subject) = (
            claims.iss.clone().unwrap_or_default(),
            claims.sub.clone().unwrap_or_default(),
        );
        let trusted: Vec<&str> = trust.scope.iter().map(String::as_str).collect();
        for s in &params.scope {
            if !scope::allowed(&core.config.strategies.scope, &trusted, s) {
                return Err(OAuthError::new(
                    ErrorCode::InvalidScope,
                    format!(
                        "The public key registered for issuer {issuer:?} and subject {subject:?} is not allowed to request scope {s:?}."
                    ),
                ));
            }
        }
        scope::check_audience(client, &params.audience)?;
        core.spend_jti(
            &issuer,
            claims.jti.as_deref(),
            claims.exp.unwrap_or_default(),
        )
        .await?;
        let mut audience = params.audience;
        if !core.config.oauth2.grant.jwt.omit_assertion_audience {
            for a in claims.audiences() {
                if !audience.contains(&a) {
                    audience.push(a);
                }
            }
        }
        core.tokens
            .issue_access_token(
                Issuing::JwtBearer,
                client,
                &subject,
                &params.scope,
                &audience,
            )
            .await
    }
}

impl JwtBearer {
    /// The token endpoint URLs an assertion's `aud` may name (as Hydra: the public URL's and the
    /// issuer's token endpoint).
    fn token_urls(&self) -> Vec<String> {
        let mut urls = vec![format!("{}/oauth2/token", self.config.public_base())];
        let issuer = format!(
            "{}/oauth2/token",
            self.config.urls.self_.issuer.trim_end_matches('/')
        );
        if !urls.contains(&issuer) {
            urls.push(issuer);
        }
        urls
    }

    /// Checks an assertion's signature and claims; returns the relationship that verified it.
    async fn verify_grant_assertion(
        &self,
        assertion: &str,
    ) -> Result<(StoredTrust, Claims), OAuthError> {
        let unverified =
            jsonwebtoken::dangerous::insecure_decode::<Claims>(assertion).map_err(|_| {
                invalid_grant(&format!(
                    "Unable to parse JSON Web Token passed in {PARAM}."
                ))
            })?;
        let header = unverified.header;
        let claims = unverified.claims;
        let issuer = claims
            .iss
            .as_deref()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                invalid_grant(&format!(
                    "The JWT in {PARAM} MUST contain an \"iss\" (issuer) claim."
                ))
            })?;
        let subject = claims
            .sub
            .as_deref()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                invalid_grant(&format!(
                    "The JWT in {PARAM} MUST contain a \"sub\" (subject) claim."
                ))
            })?;
        let now = self.clock.now();
        let trusts = self
            .trusts
            .trusted_keys(
                issuer,
                subject,
                header.kid.as_deref(),
                now.timestamp_millis(),
            )
            .await?;
        if trusts.is_empty() {
            return Err(invalid_grant(&format!(
                "No public JWK was registered for issuer {issuer:?} and subject {subject:?}, and public key is required to check signature of JWT in {PARAM}."
            )));
        }
        // The signature alone is checked here, with the algorithm the trusted key is for; the
        // claims below, each with its own error.
        let mut validation = Validation::default();
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        let verified = trusts.into_iter().find(|t| {
            let Ok(key) = serde_json::from_value::<JsonWebKey>(t.jwk.clone()) else {
                return false;
            };
            let Ok((alg, decoding)): Result<(_, DecodingKey), _> = jwk::decoding_key(&key) else {
                return false;
            };
            if alg != header.alg {
                return false;
            }
            let mut v = validation.clone();
            v.algorithms = vec![alg];
            jsonwebtoken::decode::<serde_json::Value>(assertion, &decoding, &v).is_ok()
        });
        let trust = verified.ok_or_else(|| {
            invalid_grant(&format!(
                "Unable to verify the integrity of the {PARAM}: no key trusted for issuer {issuer:?} and subject {subject:?} verifies its signature with its algorithm."
            ))
        })?;

        let auds = claims.audiences();
        if auds.is_empty() {
            return Err(invalid_grant(&format!(
                "The JWT in {PARAM} MUST contain an \"aud\" (audience) claim."
            )));
        }
        let token_urls = self.token_urls();
        if !auds.iter().any(|a| token_urls.contains(a)) {
            return Err(invalid_grant(&format!(
                "The JWT in {PARAM} MUST contain an \"aud\" (audience) claim containing a value \"{}\" that identifies the authorization server as an intended audience.",
                token_urls.join("\" or \"")
            )));
        }
        let now_s = now.timestamp_millis() as f64 / 1000.0;
        let exp = claims.exp.ok_or_else(|| {
            invalid_grant(&format!(
                "The JWT in {PARAM} MUST contain an \"exp\" (expiration time) claim."
            ))
        })?;
        if exp <= now_s {
            return Err(invalid_grant(&format!("The JWT in {PARAM} expired.")));
        }
        if let Some(nbf) = claims.nbf
            && nbf > now_s
        {
            return Err(invalid_grant(&format!(
                "The JWT in {PARAM} contains an \"nbf\" (not before) claim, that identifies the time before which the token MUST NOT be accepted."
            )));
        }
        let jwt = &self.config.oauth2.grant.jwt;
        if claims.iat.is_none() && !jwt.iat_optional {
            return Err(invalid_grant(&format!(
                "The JWT in {PARAM} MUST contain an \"iat\" (issued at) claim."
            )));
        }
        let issued = claims.iat.unwrap_or(now_s);
        if issued > now_s + IAT_LEEWAY_SECS as f64 {
            return Err(invalid_grant(&format!(
                "The JWT in {PARAM} contains an \"iat\" (issued at) claim in the future."
            )));
        }
        let max_ttl = jwt.max_ttl.get().as_secs_f64();
        if exp - issued > max_ttl {
            return Err(invalid_grant(&format!(
                "The JWT in {PARAM} contains an \"exp\" (expiration time) claim that is unreasonably far in the future (more than {} after it was issued).",
                jwt.max_ttl
            )));
        }
        if claims.jti.as_deref().is_none_or(str::is_empty) && !jwt.jti_optional {
            return Err(invalid_grant(&format!(
                "The JWT in {PARAM} MUST contain an \"jti\" (JWT ID) claim."
            )));
        }
        Ok((trust, claims))
    }

    /// Records an assertion's `jti` for its issuer until the assertion expires; one seen before
    /// is a replay (RFC 7523 §3 point 7). The record and the check are one atomic insert.
    async fn spend_jti(&self, issuer: &str, jti: Option<&str>, exp: f64) -> Result<(), OAuthError> {
        let Some(jti) = jti.filter(|j| !j.is_empty()) else {
            return Ok(());
        };
        let until = (exp.ceil() as i64 + 5) * 1000;
        if !self
            .jtis
            .first_use(&["jwt-bearer", issuer, jti], until)
            .await?
        {
            return Err(invalid_grant(&format!(
                "The jti of the JWT in {PARAM} was already used."
            )));
        }
        Ok(())
    }
}

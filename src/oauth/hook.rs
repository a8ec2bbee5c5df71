//! The token hooks (Hydra's `oauth2.token_hook` and older `oauth2.refresh_token_hook`): before the
//! token endpoint issues tokens, for every grant, the operator's URL is POSTed Hydra's payload —
//! the session (`id_token` claims, `extra` access-token claims) and the request (client, scopes,
//! audience, grant type, and the `assertion` of a JWT-bearer request). Its answer, as Hydra reads
//! it: **200** with `{"session": {"access_token": {…}, "id_token": {…}}}` replaces the access
//! token's extra claims (introspection `ext`, top-level claims of JWT access tokens) and the ID
//! token's extra claims with what it returns (as Hydra: a side left out ends up empty); **204**
//! leaves them; anything else refuses the tokens.
//!
//! Beyond Hydra, which answers 500 for most of these: every refusal — another status, an
//! unreadable answer, no answer within the outbound timeout — is `access_denied` (403) to the
//! client, never a 5xx, with one log line saying what the hook did. The URL is the operator's
//! and so not under the SSRF guard; the request has the outbound timeouts, follows no redirects
//! and reads at most 5 MiB.

use serde_json::{Map, Value, json};

use super::{ErrorCode, OAuthError, mint::Issuing};
use crate::config::HookConfig;

/// The configured hooks, checked at start.
#[derive(Debug, Default)]
pub struct Hooks {
    token: Option<HookConfig>,
    refresh: Option<HookConfig>,
}

/// What a hook may change: the extra claims of the access token and of the ID token.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Claims {
    pub access_token: Value,
    pub id_token: Option<Value>,
}

/// What the payload describes, gathered by the issuer.
pub struct Input<'a> {
    pub issuing: Issuing,
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub subject: &'a str,
    /// The subject as this client knows it (pairwise), for the ID token's `sub`.
    pub id_token_subject: &'a str,
    pub requested_scope: &'a [String],
    pub granted_scope: &'a [String],
    pub granted_audience: &'a [String],
    pub nonce: Option<&'a str>,
    pub acr: Option<&'a str>,
    pub amr: Option<&'a [String]>,
    pub auth_time_ms: Option<i64>,
    pub requested_at_ms: Option<i64>,
    pub now_ms: i64,
    pub access_expires_ms: i64,
    /// When a refresh token issued now would expire (grants that may refresh).
    pub refresh_expires_ms: Option<i64>,
    /// When the authorization code exchanged expires (the authorization code grant).
    pub code_expires_ms: Option<i64>,
    /// The login session (the ID token's `sid`).
    pub sid: Option<&'a str>,
    /// The key the ID token will be signed with.
    pub id_token_kid: Option<&'a str>,
    /// Issued from a login and consent (else: client credentials, JWT bearer).
    pub from_flow: bool,
}

tokio::task_local! {
    /// The token request's parameters a hook is shown, set by the token endpoint's dispatcher
    /// around the grant (the grants see their parameters typed, not the form).
    pub static FORM: Map<String, Value>;
}

/// The parameters Hydra shows its hook (`payload`): these, as sent; never a secret, code or
/// refresh token.
const SHOWN: &[&str] = &[
    "grant_type",
    "response_type",
    "scope",
    "client_id",
    "assertion",
];

pub fn shown_form(form: &super::params::FormParams) -> Map<String, Value> {
    SHOWN
        .iter()
        .filter_map(|k| form.get(k).map(|v| ((*k).to_owned(), json!([v]))))
        .collect()
}

impl Issuing {
    /// The grant type as the token request named it.
    pub fn grant_type(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::Implicit => "implicit",
            Self::Refresh => "refresh_token",
            Self::ClientCredentials => "client_credentials",
            Self::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
            Self::JwtBearer => "urn:ietf:params:oauth:grant-type:jwt-bearer",
        }
    }
}

/// Go's `time.Time` in JSON (RFC 3339), which is how Hydra's payload writes times; the zero time
/// where there is none.
fn time(ms: Option<i64>) -> Value {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map_or_else(
            || json!("0001-01-01T00:00:00Z"),
            |t| json!(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        )
}

/// The ID token's extra claims as Hydra shows them: the consent's, with the login session's
/// `sid` (shown only; what the hook answers is what the ID token carries, `sid` set apart).
fn ext(i: &Input<'_>, claims: &Claims) -> Value {
    let mut ext = claims.id_token.clone().unwrap_or(Value::Null);
    if let Some(sid) = i.sid {
        match &mut ext {
            Value::Object(m) => {
                m.insert("sid".into(), json!(sid));
            }
            v => *v = json!({ "sid": sid }),
        }
    }
    ext
}

/// The expiries Hydra's session holds by then: the access token's, the refresh token's where
/// the grant may refresh, the exchanged code's.
fn expires_at(i: &Input<'_>) -> Value {
    let mut m = Map::new();
    m.insert("access_token".into(), time(Some(i.access_expires_ms)));
    if let Some(t) = i.refresh_expires_ms {
        m.insert("refresh_token".into(), time(Some(t)));
    }
    if let Some(t) = i.code_expires_ms {
        m.insert("authorize_code".into(), time(Some(t)));
    }
    Value::Object(m)
}

/// Hydra's `oauth2.Session` as JSON, with the claims as they stand. Without a flow (client
/// credentials, JWT bearer) the ID token claims are empty, as Hydra's are (the differential test
/// `hook::the_payload_is_hydras` compares the two).
fn session(i: &Input<'_>, claims: &Claims) -> Value {
    let (sub, aud) = if i.from_flow {
        (i.id_token_subject, json!([i.client_id]))
    } else {
        ("", Value::Null)
    };
    json!({
        "id_token": {
            "id_token_claims": {
                "jti": "",
                "iss": i.issuer,
                "sub": sub,
                "aud": aud,
                "nonce": i.nonce.unwrap_or_default(),
                "exp": time(None),
                "iat": time(Some(i.now_ms)),
                "rat": time(i.requested_at_ms),
                "auth_time": time(i.auth_time_ms),
                "at_hash": "",
                "acr": i.acr.unwrap_or_default(),
                "amr": i.amr,
                "c_hash": "",
                "ext": ext(i, claims),
            },
            "headers": {"extra": i.id_token_kid.map(|k| json!({"kid": k}))},
            "expires_at": expires_at(i),
            "username": "",
            "subject": i.subject,
        },
        "extra": claims.access_token,
        "kid": "",
        "client_id": i.client_id,
        "consent_challenge": "",
        "exclude_not_before_claim": false,
        "allowed_top_level_claims": [],
        // Hydra's `oauth2.mirror_top_level_claims` default.
        "mirror_top_level_claims": true,
    })
}

impl Hooks {
    pub fn of(config: &crate::config::Config) -> Self {
        Self {
            token: config.oauth2.token_hook.as_ref().map(|h| h.config()),
            refresh: config
                .oauth2
                .refresh_token_hook
                .as_ref()
                .map(|h| h.config()),
        }
    }

    /// Whether any hook applies to this grant; the issuer skips all of this when none does.
    pub fn any(&self) -> bool {
        self.token.is_some() || self.refresh.is_some()
    }

    pub fn apply_to(&self, issuing: Issuing) -> bool {
        // The authorization endpoint's responses are not token requests: no hook, as Hydra.
        issuing != Issuing::Implicit
            && (self.token.is_some() || (issuing == Issuing::Refresh && self.refresh.is_some()))
    }

    /// Runs the hooks that apply (the refresh hook first, as Hydra), each seeing what the one
    /// before it changed.
    pub async fn run(
        &self,
        outbound: &crate::outbound::Outbound,
        input: &Input<'_>,
        mut claims: Claims,
    ) -> Result<Claims, OAuthError> {
        if input.issuing == Issuing::Refresh
            && let Some(h) = &self.refresh
        {
            let granted = input.granted_scope;
            let audience = input.granted_audience;
            let body = json!({
                "subject": input.subject,
                "session": session(input, &claims),
                "requester": {
                    "client_id": input.client_id,
                    "granted_scopes": granted,
                    "granted_audience": audience,
                    "grant_types": [input.issuing.grant_type()],
                },
                "client_id": input.client_id,
                "granted_scopes": granted,
                "granted_audience": audience,
            });
            claims = call(outbound, h, "oauth2.refresh_token_hook", &body, claims).await?;
        }
        if let Some(h) = &self.token {
            let payload = FORM.try_with(Map::clone).unwrap_or_default();
            let body = json!({
                "session": session(input, &claims),
                "request": {
                    "client_id": input.client_id,
                    "requested_scopes": input.requested_scope,
                    "granted_scopes": input.granted_scope,
                    "granted_audience": input.granted_audience,
                    "grant_types": [input.issuing.grant_type()],
                    "payload": payload,
                },
            });
            claims = call(outbound, h, "oauth2.token_hook", &body, claims).await?;
        }
        Ok(claims)
    }
}

fn refused(description: &str) -> OAuthError {
    OAuthError::new(ErrorCode::AccessDenied, description)
}

async fn call(
    outbound: &crate::outbound::Outbound,
    hook: &HookConfig,
    key: &'static str,
    body: &Value,
    claims: Claims,
) -> Result<Claims, OAuthError> {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(auth) = &hook.auth {
        // Checked at start (`config::Hook::check`).
        let value = reqwest::header::HeaderValue::from_str(&auth.config.value.0)
            .map_err(|_| refused("The token hook is misconfigured."))?;
        if auth.config.place == "cookie" {
            let cookie = format!("{}={}", auth.config.name, auth.config.value.0);
            if let Ok(v) = reqwest::header::HeaderValue::from_str(&cookie) {
                headers.insert(reqwest::header::COOKIE, v);
            }
        } else if let Ok(name) =
            reqwest::header::HeaderName::from_bytes(auth.config.name.as_bytes())
        {
            headers.insert(name, value);
        }
    }
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let started = crate::clock::stopwatch();
    let answer = outbound.post_json(&hook.url, bytes, headers).await;
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let (status, body) = match answer {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(hook = key, elapsed_ms, error = %e.0, "token hook failed; tokens refused");
            return Err(refused(
                "The token hook did not answer; no tokens were issued.",
            ));
        }
    };
    match status {
        204 => Ok(claims),
        200..=299 => {
            #[derive(serde::Deserialize)]
            struct Answer {
                session: Option<SessionAnswer>,
            }
            #[derive(serde::Deserialize)]
            struct SessionAnswer {
                access_token: Option<Map<String, Value>>,
                id_token: Option<Map<String, Value>>,
            }
            match serde_json::from_slice::<Answer>(&body) {
                Ok(a) => {
                    let s = a.session.unwrap_or(SessionAnswer {
                        access_token: None,
                        id_token: None,
                    });
                    Ok(Claims {
                        access_token: Value::Object(s.access_token.unwrap_or_default()),
                        id_token: s.id_token.map(Value::Object),
                    })
                }
                Err(e) => {
                    tracing::warn!(hook = key, status, elapsed_ms, error = %e, "token hook answered unreadable JSON; tokens refused");
                    Err(refused(
                        "The token hook answered something unreadable; no tokens were issued.",
                    ))
                }
            }
        }
        _ => {
            tracing::info!(
                hook = key,
                status,
                elapsed_ms,
                "token hook refused the tokens"
            );
            Err(refused("The token hook refused to issue these tokens."))
        }
    }
}

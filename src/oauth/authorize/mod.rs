//! The authorization request (RFC 6749 §4.1.1, §4.2.1; OIDC Core §3.1.2.1, §3.2.2.1, §3.3.2.1),
//! checked as a table of steps ([`STEPS`], one file each in [`steps`]) over one typed
//! [`Draft`], in this order:
//!
//! | step | failure goes to |
//! |---|---|
//! | parameters parse, no duplicates; `client_id` names a client | error page |
//! | `redirect_uri` is registered (exactly) | error page |
//! | `response_type`, `response_mode` | the client |
//! | `request`, `request_uri`, `registration` are refused | the client |
//! | `scope`, `audience` are allowed for the client | the client |
//! | `nonce` (implicit and hybrid), PKCE | the client |
//! | `prompt`, `max_age`, `claims` | the client |
//!
//! A step that fails before the redirect URI is verified shows the error to the user and never
//! redirects (RFC 6749 §4.1.2.1, RFC 9700 §4.11); once it is, errors go to the client there. A
//! [`VerifiedRedirect`] can only be made by the redirect step, so "redirect only to a verified
//! URI" holds by construction. Every response to the client carries `iss` (RFC 9207).
//!
//! Adding a step: a file in `steps/` with a [`Step`] function, and its entry in [`STEPS`]. Every
//! entry point — `/oauth2/auth`, and pushed or signed requests to come — runs [`Authorization::check_params`]
//! over the parameters it has, with the client it established.

use std::sync::Arc;

mod steps;

use super::{ErrorCode, OAuthError, Services, params::FormParams};
use crate::{
    clients::cache::{ClientCache, ResolvedClient},
    config::Config,
};

/// How the response travels to the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    Query,
    Fragment,
    FormPost,
}

/// The set of `response_type` values (OAuth 2.0 Multiple Response Type Encoding Practices).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResponseType {
    pub code: bool,
    pub token: bool,
    pub id_token: bool,
}

impl ResponseType {
    pub fn parse(s: &str) -> Option<Self> {
        let mut rt = Self::default();
        for part in s.split(' ').filter(|p| !p.is_empty()) {
            let slot = match part {
                "code" => &mut rt.code,
                "token" => &mut rt.token,
                "id_token" => &mut rt.id_token,
                _ => return None,
            };
            if std::mem::replace(slot, true) {
                return None;
            }
        }
        (rt.code || rt.token || rt.id_token).then_some(rt)
    }

    /// Only `code`: the one type answered in the query by default.
    pub fn code_only(self) -> bool {
        self.code && !self.token && !self.id_token
    }
}

/// A redirect URI that matched the client's registration. Only the redirect step
/// ([`steps::redirect_uri`]) makes one: holding it is proof that redirecting there is allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedRedirect {
    uri: String,
    mode: ResponseMode,
    state: Option<String>,
}

impl VerifiedRedirect {
    pub fn uri(&self) -> &str {
        &self.uri
    }

    pub fn mode(&self) -> ResponseMode {
        self.mode
    }

    /// The response to the client: `params`, then `state` and `iss`. Query and fragment
    /// responses are a URL; form_post ones are the fields of a form the browser posts.
    pub fn respond(&self, issuer: &str, mut params: Vec<(&'static str, String)>) -> ClientResponse {
        if let Some(s) = &self.state {
            params.push(("state", s.clone()));
        }
        params.push(("iss", issuer.to_owned()));
        ClientResponse {
            redirect: self.clone(),
            params,
        }
    }

    /// An error response to the client (RFC 6749 §4.1.2.1).
    pub fn error(&self, issuer: &str, e: &OAuthError) -> ClientResponse {
        self.respond(
            issuer,
            vec![
                ("error", e.code.as_str().to_owned()),
                ("error_description", e.description.clone()),
            ],
        )
    }
}

/// What is sent to the client's redirect URI.
#[derive(Clone, Debug)]
pub struct ClientResponse {
    pub redirect: VerifiedRedirect,
    pub params: Vec<(&'static str, String)>,
}

impl ClientResponse {
    /// The URL to redirect to, for query and fragment responses; `None` for form_post.
    pub fn location(&self) -> Option<String> {
        let mut encoded = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.params {
            encoded.append_pair(k, v);
        }
        let encoded = encoded.finish();
        let uri = &self.redirect.uri;
        match self.redirect.mode {
            // RFC 6749 §3.1.2: keep the registered URI's own query and append ours.
            ResponseMode::Query => {
                let sep = if uri.contains('?') { '&' } else { '?' };
                let base = uri.split('#').next().unwrap_or(uri);
                Some(format!("{base}{sep}{encoded}"))
            }
            ResponseMode::Fragment => {
                let base = uri.split('#').next().unwrap_or(uri);
                Some(format!("{base}#{encoded}"))
            }
            ResponseMode::FormPost => None,
        }
    }
}

/// The `prompt` values (OIDC Core §3.1.2.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
    pub select_account: bool,
}

/// A checked authorization request.
#[derive(Clone, Debug)]
pub struct AuthorizeRequest {
    pub client: Arc<ResolvedClient>,
    pub redirect: VerifiedRedirect,
    pub response_type: ResponseType,
    pub scope: Vec<String>,
    pub audience: Vec<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub prompt: Prompt,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    pub id_token_hint: Option<String>,
    pub acr_values: Vec<String>,
    pub ui_locales: Vec<String>,
    pub display: Option<String>,
    pub login_verifier: Option<String>,
    pub consent_verifier: Option<String>,
    /// The request's parameters without the verifiers, sorted: a verifier only completes the
    /// request it was issued for.
    pub canonical: Vec<(String, String)>,
}

impl AuthorizeRequest {
    /// The request's part of its completed flow's record: what the token endpoint checks the
    /// code exchange against (redirect URI, PKCE challenge) and what the ID token repeats (nonce).
    /// The user's part (login, consent) comes from the sealed flow.
    pub fn bind(&self, record: &mut crate::storage::FlowRecord) {
        record.redirect_uri = self.redirect.uri().to_owned();
        record.redirect_uri_sent = self.canonical.iter().any(|(k, _)| k == "redirect_uri");
        record.code_challenge = self.code_challenge.clone();
        record.nonce = self.nonce.clone();
    }
}

/// Why an authorization request failed, and where the error goes.
#[derive(Debug)]
pub enum AuthorizeError {
    /// Client or redirect URI not verified: the user sees the error page.
    Page(OAuthError),
    /// Sent to the client's verified redirect URI.
    Client(Box<VerifiedRedirect>, OAuthError),
}

impl AuthorizeError {
    pub fn error(&self) -> &OAuthError {
        match self {
            Self::Page(e) | Self::Client(_, e) => e,
        }
    }
}

/// RFC 7636 §4.1: 43 to 128 characters of `[A-Za-z0-9-._~]`.
pub fn valid_pkce_value(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// RFC 8252 §7.3 and RFC 9700 §2.1: redirect URIs match exactly, except that the port of a
/// loopback IP literal (`http://127.0.0.1`, `http://[::1]`) may differ, for native apps that
/// listen on an ephemeral port. The comparison is of the strings as written, with only the port
/// taken out: nothing is parsed or normalised first (a parser would resolve `..`, drop tabs and
/// newlines, read `2130706433` as 127.0.0.1), so what matches is what was registered, and the
/// request's spelling that is echoed into `Location` differs from it in the port digits alone.
pub fn redirect_matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    match (
        without_loopback_port(registered),
        without_loopback_port(requested),
    ) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// A loopback redirect URI as its host and the rest after the port: `http://127.0.0.1:8080/cb`
/// → (`http://127.0.0.1`, `/cb`). `None` for anything else, including a port that is not 1 to
/// 5 digits or a rest that does not start a path or query.
fn without_loopback_port(uri: &str) -> Option<(&str, &str)> {
    let host = ["http://127.0.0.1", "http://[::1]"]
        .into_iter()
        .find(|h| uri.starts_with(h))?;
    let mut rest = &uri[host.len()..];
    if let Some(after) = rest.strip_prefix(':') {
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if !(1..=5).contains(&digits) || after[..digits].parse::<u16>().is_err() {
            return None;
        }
        rest = &after[digits..];
    }
    (rest.is_empty() || rest.starts_with('/') || rest.starts_with('?')).then_some((host, rest))
}

/// An authorization request's parameters without the verifiers, sorted: two requests are the same
/// request when these are equal.
pub fn canonical(raw: &[u8]) -> Vec<(String, String)> {
    let mut c: Vec<(String, String)> = url::form_urlencoded::parse(raw)
        .filter(|(k, v)| !v.is_empty() && k != "login_verifier" && k != "consent_verifier")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    c.sort();
    c
}

pub(crate) fn split(s: Option<&str>) -> Vec<String> {
    s.unwrap_or_default()
        .split(' ')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The authorization request's checks.
#[derive(Debug)]
pub struct Authorization {
    clients: Arc<ClientCache>,
    config: Arc<Config>,
}

impl Authorization {
    pub fn new(s: &Services) -> Self {
        Self {
            clients: s.clients.clone(),
            config: s.config.clone(),
        }
    }

    /// Parses and checks an authorization request (`query` for GET, the form body for POST).
    pub async fn check(&self, raw: &[u8]) -> Result<AuthorizeRequest, AuthorizeError> {
        let params = FormParams::parse(raw, &[]).map_err(AuthorizeError::Page)?;
        // A missing client is an unknown client (Hydra answers invalid_client too); either way
        // the browser sees the error page, never a redirect (RFC 6749 §4.1.2.1).
        let client_id = params.get("client_id").ok_or_else(|| {
            AuthorizeError::Page(OAuthError::new(
                ErrorCode::InvalidClient,
                "The request is missing the client_id parameter.",
            ))
        })?;
        let client = self
            .clients
            .resolve(client_id)
            .await
            .map_err(|e| AuthorizeError::Page(e.into()))?
            .ok_or_else(|| {
                AuthorizeError::Page(OAuthError::new(
                    ErrorCode::InvalidClient,
                    "The OAuth 2.0 client does not exist.",
                ))
            })?;
        self.check_params(client, &params, canonical(raw))
    }

    /// Runs every step over a request's parameters, for a client the entry point established.
    pub fn check_params(
        &self,
        client: Arc<ResolvedClient>,
        params: &FormParams,
        canonical: Vec<(String, String)>,
    ) -> Result<AuthorizeRequest, AuthorizeError> {
        let mut d = Draft::new(client, params);
        for (_, step) in STEPS {
            if let Err(e) = step(&self.config, &mut d) {
                return Err(match d.redirect {
                    Some(r) => AuthorizeError::Client(Box::new(r), e),
                    None => AuthorizeError::Page(e),
                });
            }
        }
        let redirect = d.redirect.ok_or_else(|| {
            AuthorizeError::Page(OAuthError::server("no step verified the redirect URI"))
        })?;
        let param = |name: &str| params.get(name).map(str::to_owned);
        Ok(AuthorizeRequest {
            redirect,
            response_type: d.response_type,
            scope: d.scope,
            audience: d.audience,
            nonce: d.nonce,
            code_challenge: d.code_challenge,
            prompt: d.prompt,
            max_age: d.max_age,
            login_hint: param("login_hint"),
            id_token_hint: param("id_token_hint"),
            acr_values: split(params.get("acr_values")),
            ui_locales: split(params.get("ui_locales")),
            display: param("display"),
            login_verifier: param("login_verifier"),
            consent_verifier: param("consent_verifier"),
            canonical,
            client: d.client,
        })
    }
}

/// An authorization request as the steps see it: its parameters and client, and what the steps
/// have established so far (each step fills its fields; later steps may read earlier ones').
pub struct Draft<'a> {
    pub params: &'a FormParams,
    pub client: Arc<ResolvedClient>,
    /// The requested scope, parsed once (several steps read it).
    pub scope: Vec<String>,
    /// Set by the redirect step; from then on a failure goes to the client.
    pub redirect: Option<VerifiedRedirect>,
    pub response_type: ResponseType,
    pub audience: Vec<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub prompt: Prompt,
    pub max_age: Option<i64>,
}

impl<'a> Draft<'a> {
    fn new(client: Arc<ResolvedClient>, params: &'a FormParams) -> Self {
        Self {
            scope: split(params.get("scope")),
            params,
            client,
            redirect: None,
            response_type: ResponseType::default(),
            audience: Vec::new(),
            nonce: None,
            code_challenge: None,
            prompt: Prompt::default(),
            max_age: None,
        }
    }

    /// Whether this is an OpenID Connect request (`openid` in its scope).
    pub fn openid(&self) -> bool {
        self.scope.iter().any(|s| s == "openid")
    }
}

/// One check of the authorization request.
pub type Step = fn(&Config, &mut Draft<'_>) -> Result<(), OAuthError>;

/// The checks, in order (see the module docs for where each one's failure goes).
pub const STEPS: &[(&str, Step)] = &[
    ("redirect_uri", steps::redirect_uri::check),
    ("response_type and response_mode", steps::response::check),
    (
        "request objects and registration",
        steps::unsupported::check,
    ),
    ("scope", steps::scope::check),
    ("audience", steps::audience::check),
    ("nonce", steps::nonce::check),
    ("PKCE", steps::pkce::check),
    ("prompt and max_age", steps::prompt::check),
    ("claims", steps::claims::check),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_types_are_sets() {
        let ci = ResponseType::parse("id_token code").unwrap();
        assert_eq!(ci, ResponseType::parse("code id_token").unwrap());
        assert!(!ci.code_only());
        assert!(ResponseType::parse("code code").is_none());
        assert!(ResponseType::parse("code none").is_none());
        assert!(ResponseType::parse("").is_none());
    }

    #[test]
    fn redirect_uris_match_exactly_except_loopback_ports() {
        assert!(redirect_matches(
            "https://a.example/cb",
            "https://a.example/cb"
        ));
        assert!(!redirect_matches(
            "https://a.example/cb",
            "https://a.example/cb/"
        ));
        assert!(!redirect_matches(
            "https://a.example/cb",
            "https://a.example/cb?x=1"
        ));
        assert!(!redirect_matches(
            "https://a.example/cb",
            "https://A.example/cb"
        ));
        assert!(redirect_matches(
            "http://127.0.0.1/cb",
            "http://127.0.0.1:51000/cb"
        ));
        assert!(redirect_matches(
            "http://[::1]:80/cb",
            "http://[::1]:4446/cb"
        ));
        assert!(!redirect_matches(
            "http://127.0.0.1/cb",
            "http://127.0.0.1:5/other"
        ));
        assert!(!redirect_matches(
            "http://localhost/cb",
            "http://localhost:5/cb"
        ));
        assert!(!redirect_matches(
            "http://127.0.0.1/cb",
            "http://evil@127.0.0.1:5/cb"
        ));
        // Only the port may differ: nothing a URL parser would normalise matches.
        for other in [
            "http://127.0.0.1:9999/c\tb",
            "http://127.0.0.1:9999/x/../cb",
            "http://127.0.0.1:9999/x/%2e%2e/cb",
            "http://2130706433:9999/cb",
            "http://0x7f.1:9999/cb",
            "http://127.0.0.1.:9999/cb",
            "http://127.0.0.1:9999/cb\n",
            "HTTP://127.0.0.1:9999/cb",
            "http://127.0.0.1:99999/cb",
            "http://127.0.0.1:/cb",
            "http://127.0.0.1:5@evil.example/cb",
            "http://127.0.0.1.evil.example/cb",
        ] {
            assert!(!redirect_matches("http://127.0.0.1/cb", other), "{other:?}");
        }
    }

    #[test]
    fn query_and_fragment_responses() {
        let r = VerifiedRedirect {
            uri: "https://c.example/cb?app=1".into(),
            mode: ResponseMode::Query,
            state: Some("s t".into()),
        };
        let loc = r
            .respond("https://op.example/", vec![("code", "abc".into())])
            .location()
            .unwrap();
        assert_eq!(
            loc,
            "https://c.example/cb?app=1&code=abc&state=s+t&iss=https%3A%2F%2Fop.example%2F"
        );
        let f = VerifiedRedirect {
            mode: ResponseMode::Fragment,
            ..r
        };
        assert!(
            f.respond("i", vec![])
                .location()
                .unwrap()
                .starts_with("https://c.example/cb?app=1#state=")
        );
    }
}

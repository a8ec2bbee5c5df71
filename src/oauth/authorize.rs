//! The authorization request (RFC 6749 §4.1.1, §4.2.1; OIDC Core §3.1.2.1, §3.2.2.1, §3.3.2.1),
//! checked in this order, as a table of steps:
//!
//! | step | failure goes to |
//! |---|---|
//! | parameters parse, no duplicates | error page |
//! | `client_id` names a client | error page |
//! | `redirect_uri` is registered (exactly) | error page |
//! | `response_type`, `response_mode` | the client |
//! | `request`, `request_uri`, `registration` are refused | the client |
//! | `scope`, `audience` are allowed for the client | the client |
//! | `nonce` (implicit and hybrid), PKCE | the client |
//! | `prompt`, `max_age` | the client |
//!
//! RFC 6749 §4.1.2.1 and RFC 9700 §4.11: until the client and the redirect URI are verified, an
//! error is shown to the user and never redirected. A [`VerifiedRedirect`] can only be made here,
//! after the check, so "redirect only to a verified URI" holds by construction. Every response
//! to the client carries `iss` (RFC 9207).

use std::sync::Arc;

use super::{ErrorCode, OAuthError, Services, params::FormParams, scope};
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
    fn parse(s: &str) -> Option<Self> {
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

/// A redirect URI that matched the client's registration. Only [`OAuthCore::check_authorize`]
/// makes one: holding it is proof that redirecting there is allowed.
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

fn split(s: Option<&str>) -> Vec<String> {
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
        let registered = client.metadata.redirect_uris.as_deref().unwrap_or_default();
        let uri = match params.get("redirect_uri") {
            Some(r) => registered
                .iter()
                .any(|reg| redirect_matches(reg, r))
                .then(|| r.to_owned()),
            // OIDC Core §3.1.2.1: an OpenID Connect request must name its redirect_uri (as
            // Hydra requires).
            None if params
                .get("scope")
                .is_some_and(|s| s.split(' ').any(|v| v == "openid")) =>
            {
                return Err(AuthorizeError::Page(OAuthError::invalid_request(
                    "The 'redirect_uri' parameter is required when using OpenID Connect 1.0.",
                )));
            }
            // RFC 6749 §3.1.2.3: without one, the only registered URI is used.
            None if registered.len() == 1 => Some(registered[0].clone()),
            None => None,
        };
        let Some(uri) = uri else {
            return Err(AuthorizeError::Page(OAuthError::invalid_request(
                "The redirect_uri is missing or is not one of the client's registered redirect URIs (they must match exactly).",
            )));
        };
        let rt_raw = params.get("response_type");
        let response_type = rt_raw.and_then(ResponseType::parse);
        // The response mode follows from the response type; decide it before anything else can
        // be redirected, so that errors travel the same way a success would.
        let default_mode = if response_type.is_none_or(ResponseType::code_only) {
            ResponseMode::Query
        } else {
            ResponseMode::Fragment
        };
        let mode = match params.get("response_mode") {
            None => Ok(default_mode),
            Some("query") if default_mode == ResponseMode::Query => Ok(ResponseMode::Query),
            // OAuth 2.0 Multiple Response Types §5: tokens never travel in the query.
            Some("query") => {
                Err("The response_mode query cannot carry tokens; use fragment or form_post.")
            }
            Some("fragment") => Ok(ResponseMode::Fragment),
            Some("form_post") => Ok(ResponseMode::FormPost),
            Some(_) => {
                Err("The response_mode is not supported (use query, fragment or form_post).")
            }
        };
        let redirect = VerifiedRedirect {
            uri,
            mode: *mode.as_ref().unwrap_or(&default_mode),
            state: params.get("state").map(str::to_owned),
        };
        let fail = |code: ErrorCode, d: &str| {
            AuthorizeError::Client(Box::new(redirect.clone()), OAuthError::new(code, d))
        };
        if let Err(d) = mode {
            return Err(fail(ErrorCode::InvalidRequest, d));
        }
        let Some(response_type) = response_type else {
            return Err(match rt_raw {
                None => fail(
                    ErrorCode::InvalidRequest,
                    "The request is missing the response_type parameter.",
                ),
                Some(_) => fail(
                    ErrorCode::UnsupportedResponseType,
                    "The response_type is not supported (combine code, token and id_token).",
                ),
            });
        };
        let allowed_types = client.metadata.response_types_or_default();
        if !allowed_types
            .iter()
            .any(|t| ResponseType::parse(t) == Some(response_type))
        {
            return Err(fail(
                ErrorCode::UnauthorizedClient,
                "The client is not allowed to use this response_type.",
            ));
        }
        // Registration does not tie response types to grants (as Hydra); here it matters. A code
        // needs the authorization_code grant (RFC 6749 §4.1); a token or an ID token from the
        // front channel alone is the implicit grant (RFC 6749 §4.2, OIDC Core §3.2).
        let needs = if response_type.code {
            "authorization_code"
        } else {
            "implicit"
        };
        if !client.metadata.has_grant(needs) {
            return Err(fail(
                ErrorCode::UnauthorizedClient,
                &format!(
                    "The client is not allowed to use the {needs} grant, which this response_type needs."
                ),
            ));
        }
        for (name, code, what) in [
            (
                "request",
                ErrorCode::RequestNotSupported,
                "Request objects (the request parameter) are not supported.",
            ),
            (
                "request_uri",
                ErrorCode::RequestUriNotSupported,
                "The request_uri parameter is not supported.",
            ),
            (
                "registration",
                ErrorCode::RegistrationNotSupported,
                "The registration parameter is not supported.",
            ),
        ] {
            if params.get(name).is_some() {
                return Err(fail(code, what));
            }
        }
        let scope = split(params.get("scope"));
        let client_scope = split(client.metadata.scope.as_deref());
        let client_scope: Vec<&str> = client_scope.iter().map(String::as_str).collect();
        for s in &scope {
            if !scope::allowed(&self.config.strategies.scope, &client_scope, s) {
                return Err(fail(
                    ErrorCode::InvalidScope,
                    &format!("The client is not allowed to request the scope {s:?}."),
                ));
            }
        }
        let openid = scope.iter().any(|s| s == "openid");
        if response_type.id_token && !openid {
            return Err(fail(
                ErrorCode::InvalidScope,
                "The id_token response type needs the openid scope.",
            ));
        }
        let audience = split(params.get("audience"));
        let client_aud = client.metadata.audience.as_deref().unwrap_or_default();
        if let Some(a) = audience.iter().find(|a| !client_aud.contains(a)) {
            return Err(fail(
                ErrorCode::InvalidRequest,
                &format!("The client is not allowed to request the audience {a:?}."),
            ));
        }
        let nonce = params.get("nonce").map(str::to_owned);
        // OIDC Core §3.2.2.1 (implicit): nonce REQUIRED; OIDC Core 1.0 with errata set 2, the
        // hybrid flow: "nonce — REQUIRED if the Response Type of the request is `code id_token`
        // or `code id_token token` and OPTIONAL when the Response Type of the request is
        // `code token`". So: required whenever an ID token comes back from this endpoint, and
        // only then (`code token` and `token` return none here; the conformance suite's
        // oidcc-ensure-request-without-nonce-succeeds-for-code-flow checks `code token`).
        if openid && response_type.id_token && nonce.is_none() {
            return Err(fail(
                ErrorCode::InvalidRequest,
                "The nonce parameter is required when an ID token is returned from the authorization endpoint.",
            ));
        }
        let code_challenge = params.get("code_challenge").map(str::to_owned);
        match (&code_challenge, params.get("code_challenge_method")) {
            (None, Some(_)) => {
                return Err(fail(
                    ErrorCode::InvalidRequest,
                    "code_challenge_method was sent without code_challenge.",
                ));
            }
            (Some(c), Some("S256")) if valid_pkce_value(c) => {}
            (Some(_), Some("S256")) => {
                return Err(fail(
                    ErrorCode::InvalidRequest,
                    "The code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.2).",
                ));
            }
            // RFC 9700 §2.1.1: `plain` gives no protection if the request leaks; only S256.
            (Some(_), _) => {
                return Err(fail(
                    ErrorCode::InvalidRequest,
                    "Only code_challenge_method=S256 is supported; plain is refused (RFC 9700 §2.1.1).",
                ));
            }
            (None, None) => {}
        }
        let public = client.metadata.token_endpoint_auth_method.as_deref() == Some("none");
        let pkce = &self.config.oauth2.pkce;
        if response_type.code
            && code_challenge.is_none()
            && (pkce.enforced || (public && pkce.enforced_for_public_clients))
        {
            return Err(fail(
                ErrorCode::InvalidRequest,
                "This client must use PKCE: send code_challenge with code_challenge_method=S256 (RFC 7636).",
            ));
        }
        let mut prompt = Prompt::default();
        let prompt_values = split(params.get("prompt"));
        for p in &prompt_values {
            match p.as_str() {
                "none" => prompt.none = true,
                "login" => prompt.login = true,
                "consent" => prompt.consent = true,
                "select_account" => prompt.select_account = true,
                _ => {
                    return Err(fail(
                        ErrorCode::InvalidRequest,
                        "The prompt parameter has an unknown value (use none, login, consent or select_account).",
                    ));
                }
            }
        }
        if prompt.none && prompt_values.len() > 1 {
            return Err(fail(
                ErrorCode::InvalidRequest,
                "prompt=none cannot be combined with other prompt values (OIDC Core §3.1.2.1).",
            ));
        }
        let max_age = match params.get("max_age") {
            None => None,
            Some(m) => match m.parse::<i64>() {
                Ok(v) if v >= 0 => Some(v),
                _ => {
                    return Err(fail(
                        ErrorCode::InvalidRequest,
                        "max_age must be a non-negative number of seconds.",
                    ));
                }
            },
        };
        // OIDC Core §5.5: checked here, so that a malformed request fails at once; the consent
        // app reads it from the request (`request_url`), as Hydra's consent apps do.
        if let Some(c) = params.get("claims") {
            crate::oidc::claims::ClaimsRequest::parse(c)
                .map_err(|why| fail(ErrorCode::InvalidRequest, &why))?;
        }
        let canonical = canonical(raw);
        Ok(AuthorizeRequest {
            redirect,
            response_type,
            scope,
            audience,
            nonce,
            code_challenge,
            prompt,
            max_age,
            login_hint: params.get("login_hint").map(str::to_owned),
            id_token_hint: params.get("id_token_hint").map(str::to_owned),
            acr_values: split(params.get("acr_values")),
            ui_locales: split(params.get("ui_locales")),
            display: params.get("display").map(str::to_owned),
            login_verifier: params.get("login_verifier").map(str::to_owned),
            consent_verifier: params.get("consent_verifier").map(str::to_owned),
            canonical,
            client,
        })
    }
}

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

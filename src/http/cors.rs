//! CORS (the Fetch standard's CORS protocol) with Hydra's keys `serve.{public,admin}.cors.*`.
//!
//! When a listener's `cors.enabled` is set, [`layer`] answers preflights and marks answers to
//! admitted origins. On the public listener the token, revocation and userinfo endpoints also
//! admit the origins of the client making the request — its `client_id` (form or Basic), or for
//! userinfo the client its access token was issued to — as Hydra does: those handlers call
//! [`admit_client`] when the layer has left the origin [`Pending`]. A preflight on those paths is
//! answered for any origin, because it carries no credentials to tell the client by; the answer
//! to the real request is then readable only by an origin the client lists.
//!
//! Beyond Hydra: an origin admitted because every origin is (`*`, or no list) gets
//! `Access-Control-Allow-Origin: *` and never `Access-Control-Allow-Credentials`, so enabling CORS
//! without a list cannot make cookie-bearing answers readable by any site.

use std::{collections::HashSet, sync::Arc};

use poem::{
    Endpoint, IntoResponse, Request, Response, Result,
    http::{HeaderValue, Method, StatusCode, header},
};

use crate::config::Cors;

/// The paths where a client's `allowed_cors_origins` count too (Hydra's list less the ones no
/// client calls with credentials).
pub const CLIENT_PATHS: &[&str] = &["/oauth2/token", "/oauth2/revoke", "/userinfo"];

/// A listener's compiled CORS policy.
#[derive(Debug)]
pub struct Policy {
    every_origin: bool,
    exact: HashSet<String>,
    /// `(prefix, suffix)` of `scheme://*.domain` patterns.
    wildcards: Vec<(String, String)>,
    methods: Vec<String>,
    any_header: bool,
    headers: Vec<String>,
    exposed: Option<HeaderValue>,
    credentials: bool,
    max_age: Option<HeaderValue>,
    debug: bool,
    /// Whether the client paths apply (the public listener).
    client_paths: bool,
}

/// Set on the request by [`layer`] on a client path when the origin is not admitted by the
/// listener's own list: the handler may still admit it for the calling client.
#[derive(Clone, Debug)]
pub struct Pending(pub String);

/// Set on the response by [`admit_client`]: the calling client lists the request's origin.
#[derive(Clone, Debug)]
struct ClientAdmitted;

/// Lower-cased, without a trailing `/` — how origins compare (browsers send them lower-case).
fn normal(origin: &str) -> String {
    origin.trim_end_matches('/').to_ascii_lowercase()
}

/// Whether `origin` is one of `patterns` (exact origins, `*`, or `scheme://*.domain`).
fn listed<'a>(patterns: impl IntoIterator<Item = &'a String>, origin: &str) -> bool {
    patterns.into_iter().any(|p| {
        let p = normal(p);
        if p == "*" {
            return true;
        }
        match p.split_once("://*.") {
            Some((scheme, base)) => {
                let suffix = format!(".{base}");
                origin
                    .strip_prefix(scheme)
                    .and_then(|r| r.strip_prefix("://"))
                    .and_then(|host| host.strip_suffix(&suffix))
                    .is_some_and(|label| !label.is_empty())
            }
            None => p == origin,
        }
    })
}

enum Admission {
    /// Every origin is: answer `*`, no credentials.
    Every,
    /// This origin is: echo it.
    This,
    No,
}

impl Policy {
    /// `None` when CORS is off for the listener: no layer, no headers, as before.
    pub fn of(c: &Cors, client_paths: bool) -> Option<Arc<Self>> {
        if !c.enabled {
            return None;
        }
        let mut every_origin = c.allowed_origins.is_empty();
        let mut exact = HashSet::new();
        let mut wildcards = Vec::new();
        for o in &c.allowed_origins {
            let o = normal(o);
            if o == "*" {
                every_origin = true;
            } else if let Some((scheme, base)) = o.split_once("://*.") {
                wildcards.push((format!("{scheme}://"), format!(".{base}")));
            } else {
                exact.insert(o);
            }
        }
        let join = |l: &[String]| {
            (!l.is_empty())
                .then(|| HeaderValue::from_str(&l.join(", ")).ok())
                .flatten()
        };
        Some(Arc::new(Self {
            every_origin,
            exact,
            wildcards,
            methods: c
                .allowed_methods
                .iter()
                .map(|m| m.to_ascii_uppercase())
                .collect(),
            any_header: c.allowed_headers.iter().any(|h| h == "*"),
            headers: c
                .allowed_headers
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            exposed: join(&c.exposed_headers),
            credentials: c.allow_credentials,
            max_age: (c.max_age > 0).then(|| HeaderValue::from(c.max_age)),
            debug: c.debug,
            client_paths,
        }))
    }

    fn admits(&self, origin: &str) -> Admission {
        if self.every_origin {
            return Admission::Every;
        }
        let o = normal(origin);
        let wild = self.wildcards.iter().any(|(prefix, suffix)| {
            o.strip_prefix(prefix.as_str())
                .and_then(|h| h.strip_suffix(suffix.as_str()))
                .is_some_and(|label| !label.is_empty())
        });
        if wild || self.exact.contains(&o) {
            Admission::This
        } else {
            Admission::No
        }
    }

    fn on_client_path(&self, path: &str) -> bool {
        self.client_paths && CLIENT_PATHS.contains(&path.trim_end_matches('/'))
    }

    /// Headers of an admitted answer: the origin, credentials, and what a script may read.
    fn allow(&self, resp: &mut Response, admission: &Admission, origin: &HeaderValue) {
        let h = resp.headers_mut();
        match admission {
            Admission::Every => {
                h.insert(
                    header::ACCESS_CONTROL_ALLOW_ORIGIN,
                    HeaderValue::from_static("*"),
                );
            }
            Admission::This => {
                h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
                if self.credentials {
                    h.insert(
                        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                        HeaderValue::from_static("true"),
                    );
                }
            }
            Admission::No => {}
        }
    }

    /// RFC-less but standard (Fetch §3.2.3): a preflight is admitted when the origin, the method
    /// and every requested header are; its answer is 204 either way, without CORS headers when
    /// refused, so the browser blocks the real request.
    fn preflight(&self, req: &Request, origin: &HeaderValue) -> Response {
        let mut resp = StatusCode::NO_CONTENT.into_response();
        vary(
            &mut resp,
            "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
        );
        let origin_str = origin.to_str().unwrap_or_default();
        let admission = match self.admits(origin_str) {
            Admission::No if self.on_client_path(req.uri().path()) => Admission::This,
            a => a,
        };
        if matches!(admission, Admission::No) {
            self.log(origin_str, req, "origin not allowed");
            return resp;
        }
        let method = req
            .headers()
            .get(header::ACCESS_CONTROL_REQUEST_METHOD)
            .and_then(|m| m.to_str().ok())
            .unwrap_or_default()
            .to_ascii_uppercase();
        if !self.methods.contains(&method) {
            self.log(origin_str, req, "method not allowed");
            return resp;
        }
        let requested = req
            .headers()
            .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default();
        let requested: Vec<String> = requested
            .split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect();
        if !self.any_header && requested.iter().any(|h| !self.headers.contains(h)) {
            self.log(origin_str, req, "a requested header is not allowed");
            return resp;
        }
        self.allow(&mut resp, &admission, origin);
        let h = resp.headers_mut();
        if let Ok(m) = HeaderValue::from_str(&method) {
            h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, m);
        }
        if !requested.is_empty()
            && let Ok(v) = HeaderValue::from_str(&requested.join(", "))
        {
            h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, v);
        }
        if let Some(age) = &self.max_age {
            h.insert(header::ACCESS_CONTROL_MAX_AGE, age.clone());
        }
        resp
    }

    fn log(&self, origin: &str, req: &Request, why: &str) {
        if self.debug {
            tracing::info!(origin, path = req.uri().path(), why, "CORS: not admitted");
        }
    }
}

fn vary(resp: &mut Response, what: &'static str) {
    resp.headers_mut()
        .append(header::VARY, HeaderValue::from_static(what));
}

/// The middleware: wraps a listener's whole endpoint, outside authentication (a preflight carries
/// no credentials) and inside the request log.
/// With no policy (CORS off) requests pass untouched.
pub async fn layer<E: Endpoint>(
    policy: Option<Arc<Policy>>,
    ep: Arc<E>,
    mut req: Request,
) -> Result<Response> {
    let (Some(policy), Some(origin)) = (policy, req.headers().get(header::ORIGIN).cloned()) else {
        return ep.call(req).await.map(IntoResponse::into_response);
    };
    let is_preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if is_preflight {
        return Ok(policy.preflight(&req, &origin));
    }
    let origin_str = origin.to_str().unwrap_or_default().to_owned();
    let admission = policy.admits(&origin_str);
    let pending = matches!(admission, Admission::No) && policy.on_client_path(req.uri().path());
    if pending {
        req.extensions_mut().insert(Pending(normal(&origin_str)));
    }
    let mut resp = match ep.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => e.into_response(),
    };
    let admission = match admission {
        Admission::No if pending && resp.extensions().get::<ClientAdmitted>().is_some() => {
            Admission::This
        }
        a => a,
    };
    vary(&mut resp, "Origin");
    if !matches!(admission, Admission::No) {
        policy.allow(&mut resp, &admission, &origin);
        if let Some(exposed) = &policy.exposed {
            resp.headers_mut()
                .insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, exposed.clone());
        }
    }
    Ok(resp)
}

/// Called by the token, revocation and userinfo handlers with the client the request claims to be
/// from (unauthenticated, as Hydra: an answer readable by that client's origin is all it buys):
/// when the layer left the origin pending and the client lists it, the answer is admitted.
pub async fn admit_client(
    req: &Request,
    state: &super::AppState,
    client_id: Option<&str>,
    resp: &mut Response,
) {
    let (Some(Pending(origin)), Some(id)) = (req.extensions().get::<Pending>(), client_id) else {
        return;
    };
    let Ok(client) = state.clients.get(id).await else {
        return;
    };
    if listed(client.allowed_cors_origins.iter().flatten(), origin) {
        resp.extensions_mut().insert(ClientAdmitted);
    }
}

/// The client a token or revocation request names: `client_id` in the form, else the Basic
/// user name (RFC 6749 §2.3.1, form-encoded).
pub fn claimed_client(authorization: Option<&str>, form: &[u8]) -> Option<String> {
    if let Some(id) = url::form_urlencoded::parse(form)
        .find(|(k, _)| k == "client_id")
        .map(|(_, v)| v.into_owned())
    {
        return Some(id);
    }
    let basic = authorization?.strip_prefix("Basic ")?;
    use base64::Engine as _;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(basic.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, _) = decoded.split_once(':')?;
    url::form_urlencoded::parse(format!("u={user}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(origins: &[&str]) -> Arc<Policy> {
        let c = Cors {
            enabled: true,
            allowed_origins: origins.iter().map(|s| (*s).to_owned()).collect(),
            ..Cors::default()
        };
        Policy::of(&c, true).unwrap()
    }

    #[test]
    fn origins_match_exactly_or_by_one_label() {
        let p = policy(&["https://app.example.com", "https://*.example.org"]);
        assert!(matches!(
            p.admits("https://app.example.com"),
            Admission::This
        ));
        assert!(matches!(
            p.admits("HTTPS://APP.example.com"),
            Admission::This
        ));
        assert!(matches!(p.admits("http://app.example.com"), Admission::No));
        assert!(matches!(
            p.admits("https://app.example.com:8443"),
            Admission::No
        ));
        assert!(matches!(p.admits("https://a.example.org"), Admission::This));
        assert!(matches!(p.admits("https://example.org"), Admission::No));
        assert!(matches!(p.admits("https://evilexample.org"), Admission::No));
        assert!(matches!(
            p.admits("https://a.example.org.evil.com"),
            Admission::No
        ));
        assert!(matches!(
            policy(&[]).admits("https://x.y"),
            Admission::Every
        ));
        assert!(matches!(
            policy(&["*"]).admits("https://x.y"),
            Admission::Every
        ));
    }

    #[test]
    fn client_lists_match_as_registered() {
        let l = vec!["https://spa.example.com/".to_owned()];
        assert!(listed(&l, "https://spa.example.com"));
        assert!(!listed(&l, "https://spa.example.com.evil"));
        assert!(listed(&vec!["*".to_owned()], "https://x"));
    }

    #[test]
    fn the_claimed_client_comes_from_the_form_or_basic() {
        assert_eq!(
            claimed_client(None, b"grant_type=x&client_id=a%20b").as_deref(),
            Some("a b")
        );
        // "my%20app:secret" base64: Basic user names are form-encoded (RFC 6749 §2.3.1).
        let basic = format!(
            "Basic {}",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "my%20app:s")
        );
        assert_eq!(claimed_client(Some(&basic), b"").as_deref(), Some("my app"));
        assert_eq!(claimed_client(Some("Bearer x"), b""), None);
    }
}

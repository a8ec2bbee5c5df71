//! `serve.*`: the public and admin listeners (addresses, CORS, admin API keys) and TLS.

use super::*;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Serve {
    pub public: Listener,
    pub admin: Listener,
    pub tls: Tls,
}

impl Default for Serve {
    fn default() -> Self {
        Self {
            public: Listener {
                port: 4444,
                ..Listener::default()
            },
            admin: Listener {
                port: 4445,
                ..Listener::default()
            },
            tls: Tls::default(),
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Listener {
    /// The address to listen on; empty (the default, as Hydra) means every interface, or only
    /// loopback under `--dev` (see [`Listener::bind_host`]).
    pub host: String,
    pub port: u16,
    pub cors: Cors,
    /// Only under `serve.admin`: who may call the admin API.
    pub auth: ListenerAuth,
}

/// `serve.admin.auth`: when `api_keys` is set, every admin route but `/health/*` and `/version`
/// needs `Authorization: Bearer <one of them>` (Latchkey's own; Hydra has none). A list, so that
/// keys can be rotated: add the new one, move callers over, remove the old one.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ListenerAuth {
    pub api_keys: Vec<Secret>,
}

impl Listener {
    /// Where to listen: the configured host, else every interface — or, in local development,
    /// loopback only, so an unauthenticated admin API and a demo user with a printed password
    /// are not reachable from the network unless a host is set on purpose.
    pub fn bind_host(&self, dev: bool) -> &str {
        listen_host(&self.host, dev)
    }
}

/// The address a listener binds: `host`, or when it is empty every interface — loopback only in
/// local development (`--dev`). Shared by `serve all|public|admin` and `serve ui`.
pub fn listen_host(host: &str, dev: bool) -> &str {
    match (host, dev) {
        ("", true) => "127.0.0.1",
        ("", false) => "0.0.0.0",
        (h, _) => h,
    }
}

/// Hydra's CORS keys `serve.{public,admin}.cors.*`, with Hydra's defaults; acted on by `http::cors`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Cors {
    pub enabled: bool,
    /// Origins (`https://app.example.com`), `*`, or one wildcard label (`https://*.example.com`).
    /// Empty admits every origin, as Hydra does — but, unlike Hydra, never with credentials.
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<String>,
    pub allowed_headers: Vec<String>,
    pub exposed_headers: Vec<String>,
    pub allow_credentials: bool,
    /// Seconds a browser may cache a preflight answer; 0 sends no `Access-Control-Max-Age`.
    pub max_age: u32,
    /// Logs why a cross-origin request was not admitted.
    pub debug: bool,
}

impl Default for Cors {
    fn default() -> Self {
        let list = |l: &[&str]| l.iter().map(|s| (*s).to_owned()).collect();
        Self {
            enabled: false,
            allowed_origins: Vec::new(),
            allowed_methods: list(&[
                "POST", "GET", "PUT", "PATCH", "DELETE", "CONNECT", "HEAD", "OPTIONS", "TRACE",
            ]),
            allowed_headers: list(&[
                "Accept",
                "Content-Type",
                "Content-Length",
                "Accept-Language",
                "Content-Language",
                "Authorization",
            ]),
            exposed_headers: list(&[
                "Cache-Control",
                "Expires",
                "Last-Modified",
                "Pragma",
                "Content-Length",
                "Content-Language",
                "Content-Type",
            ]),
            allow_credentials: true,
            max_age: 0,
            debug: false,
        }
    }
}

impl Cors {
    /// Every allowed origin must be `*` or `scheme://host[:port]`, with at most one `*` standing
    /// for a whole leading label whose base has a dot (`https://*.example.com`): a wildcard such as
    /// `https://*example.com` or `https://*.com` would admit hosts anyone can register.
    pub(super) fn check(&self, prefix: &str) -> Result<(), ConfigError> {
        let key = format!("{prefix}.cors.allowed_origins");
        for o in &self.allowed_origins {
            if o == "*" {
                continue;
            }
            let Some((scheme, rest)) = o.split_once("://") else {
                return Err(bad(
                    &key,
                    format!("{o:?} is not an origin (scheme://host[:port])"),
                ));
            };
            let host_ok = |h: &str| {
                !h.is_empty()
                    && h.chars().all(|c| {
                        c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']')
                    })
            };
            let ok = !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
                && match rest.strip_prefix("*.") {
                    Some(base) => {
                        host_ok(base) && base.split(':').next().is_some_and(|b| b.contains('.'))
                    }
                    None => host_ok(rest),
                };
            if !ok {
                return Err(bad(
                    &key,
                    format!(
                        "{o:?} must be `*` or an origin such as https://app.example.com, optionally \
                         with one wildcard label (https://*.example.com) over a domain with a dot"
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tls {
    pub cert: PathKey,
    pub key: PathKey,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PathKey {
    pub path: Option<PathBuf>,
}

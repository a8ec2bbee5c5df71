//! Configuration: built-in defaults < `-c/--config` files (YAML or TOML, in order) < environment.
//!
//! Keys and environment names are Hydra's. Every leaf key is listed once in [`KEYS`]; its environment
//! name is the key upper-cased with `.` turned into `_` (`ttl.access_token` ↔ `TTL_ACCESS_TOKEN`). The
//! table, not a split on `_`, decides the mapping, so keys that contain `_` resolve correctly and env
//! values are taken with the key's type (a secret `0123` stays a string). Unknown keys in files, values
//! of the wrong type, and bad values all fail with one line that names the key.

use std::{fmt, net::IpAddr, path::PathBuf, time::Duration};

use figment::{
    Figment,
    providers::{Format, Serialized, Toml, Yaml},
};
use serde::{Deserialize, Serialize};

/// The kind of value a key holds, which decides how its environment variable is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Str,
    List,
    Int,
    Bool,
}

/// Every configuration key Latchkey understands, with its kind.
const KEYS: &[(&str, Kind)] = &[
    ("dsn", Kind::Str),
    ("secrets.system", Kind::List),
    ("secrets.cookie", Kind::List),
    ("urls.self.issuer", Kind::Str),
    ("urls.self.public", Kind::Str),
    ("urls.self.admin", Kind::Str),
    ("urls.login", Kind::Str),
    ("urls.consent", Kind::Str),
    ("urls.logout", Kind::Str),
    ("urls.error", Kind::Str),
    ("urls.post_logout_redirect", Kind::Str),
    ("urls.device.verification", Kind::Str),
    ("urls.device.success", Kind::Str),
    ("serve.public.host", Kind::Str),
    ("serve.public.port", Kind::Int),
    ("serve.admin.host", Kind::Str),
    ("serve.admin.port", Kind::Int),
    ("serve.admin.auth.api_keys", Kind::List),
    ("serve.tls.cert.path", Kind::Str),
    ("serve.tls.key.path", Kind::Str),
    ("serve.public.cors.enabled", Kind::Bool),
    ("serve.public.cors.allowed_origins", Kind::List),
    ("serve.public.cors.allowed_methods", Kind::List),
    ("serve.public.cors.allowed_headers", Kind::List),
    ("serve.public.cors.exposed_headers", Kind::List),
    ("serve.public.cors.allow_credentials", Kind::Bool),
    ("serve.public.cors.max_age", Kind::Int),
    ("serve.public.cors.debug", Kind::Bool),
    ("serve.admin.cors.enabled", Kind::Bool),
    ("serve.admin.cors.allowed_origins", Kind::List),
    ("serve.admin.cors.allowed_methods", Kind::List),
    ("serve.admin.cors.allowed_headers", Kind::List),
    ("serve.admin.cors.exposed_headers", Kind::List),
    ("serve.admin.cors.allow_credentials", Kind::Bool),
    ("serve.admin.cors.max_age", Kind::Int),
    ("serve.admin.cors.debug", Kind::Bool),
    ("ttl.access_token", Kind::Str),
    ("ttl.refresh_token", Kind::Str),
    ("ttl.id_token", Kind::Str),
    ("ttl.auth_code", Kind::Str),
    ("ttl.login_consent_request", Kind::Str),
    ("ttl.authentication_session", Kind::Str),
    ("ttl.device_user_code", Kind::Str),
    ("strategies.access_token", Kind::Str),
    ("strategies.scope", Kind::Str),
    ("oauth2.pkce.enforced", Kind::Bool),
    ("oauth2.pkce.enforced_for_public_clients", Kind::Bool),
    ("oauth2.expose_internal_errors", Kind::Bool),
    (
        "oauth2.device_authorization.token_polling_interval",
        Kind::Str,
    ),
    (
        "oauth2.device_authorization.user_code.entropy_preset",
        Kind::Str,
    ),
    ("oauth2.device_authorization.user_code.length", Kind::Int),
    (
        "oauth2.device_authorization.user_code.character_set",
        Kind::Str,
    ),
    ("oauth2.token_hook", Kind::Str),
    ("oauth2.token_hook.url", Kind::Str),
    ("oauth2.token_hook.auth.type", Kind::Str),
    ("oauth2.token_hook.auth.config.in", Kind::Str),
    ("oauth2.token_hook.auth.config.name", Kind::Str),
    ("oauth2.token_hook.auth.config.value", Kind::Str),
    ("oauth2.refresh_token_hook", Kind::Str),
    ("oauth2.refresh_token_hook.url", Kind::Str),
    ("oauth2.refresh_token_hook.auth.type", Kind::Str),
    ("oauth2.refresh_token_hook.auth.config.in", Kind::Str),
    ("oauth2.refresh_token_hook.auth.config.name", Kind::Str),
    ("oauth2.refresh_token_hook.auth.config.value", Kind::Str),
    ("oauth2.grant.jwt.jti_optional", Kind::Bool),
    ("oauth2.grant.jwt.iat_optional", Kind::Bool),
    ("oauth2.grant.jwt.max_ttl", Kind::Str),
    ("oauth2.grant.jwt.omit_assertion_audience", Kind::Bool),
    ("oidc.subject_identifiers.supported_types", Kind::List),
    ("oidc.subject_identifiers.pairwise.salt", Kind::Str),
    ("oidc.dynamic_client_registration.enabled", Kind::Bool),
    ("oidc.dynamic_client_registration.default_scope", Kind::List),
    ("webfinger.oidc_discovery.supported_claims", Kind::List),
    ("webfinger.oidc_discovery.supported_scope", Kind::List),
    ("clients.http.disallow_private_ip_ranges", Kind::Bool),
    ("clients.http.private_ip_exception_urls", Kind::List),
    ("log.level", Kind::Str),
    ("log.format", Kind::Str),
    ("log.leak_sensitive_values", Kind::Bool),
    ("cache.enabled", Kind::Bool),
];

/// Top-level sections: an environment variable that starts with one of these (or `LATCHKEY_`) but
/// names no key is probably a typo, and gets a warning.
const SECTIONS: &[&str] = &[
    "SECRETS_",
    "URLS_",
    "SERVE_",
    "TTL_",
    "STRATEGIES_",
    "OAUTH2_",
    "CACHE_",
    "OIDC_",
    "CLIENTS_",
    "WEBFINGER_",
];

/// The whole configuration, as read and checked.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub dsn: String,
    pub secrets: Secrets,
    pub urls: Urls,
    pub serve: Serve,
    pub ttl: Ttl,
    pub strategies: Strategies,
    pub oauth2: OAuth2,
    pub oidc: Oidc,
    pub webfinger: Webfinger,
    pub clients: ClientsConfig,
    pub log: Log,
    pub cache: CacheConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            dsn: "sqlite://latchkey.sqlite?mode=rwc".into(),
            secrets: Secrets::default(),
            urls: Urls::default(),
            serve: Serve::default(),
            ttl: Ttl::default(),
            strategies: Strategies::default(),
            oauth2: OAuth2::default(),
            oidc: Oidc::default(),
            webfinger: Webfinger::default(),
            clients: ClientsConfig::default(),
            log: Log::default(),
            cache: CacheConfig::default(),
        }
    }
}

/// A secret value: its `Debug` output never shows it.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Secrets {
    /// The first entry signs and seals; every entry verifies and unseals (rotation).
    pub system: Vec<Secret>,
    /// Cookie and CSRF keys; `secrets.system` when empty.
    pub cookie: Vec<Secret>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Urls {
    #[serde(rename = "self")]
    pub self_: SelfUrls,
    pub login: Option<String>,
    pub consent: Option<String>,
    pub logout: Option<String>,
    pub error: Option<String>,
    pub post_logout_redirect: Option<String>,
    pub device: DeviceUrls,
}

/// Where the device authorization grant sends the browser (Hydra's `urls.device.*`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeviceUrls {
    /// The app that asks for the user code (`device_challenge`); the built-in page when unset.
    pub verification: Option<String>,
    /// Where the browser lands once the device is authorized; the built-in page when unset.
    pub success: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SelfUrls {
    pub issuer: String,
    pub public: Option<String>,
    pub admin: Option<String>,
}

impl Default for SelfUrls {
    fn default() -> Self {
        Self {
            issuer: "http://127.0.0.1:4444/".into(),
            public: None,
            admin: None,
        }
    }
}

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
    fn check(&self, prefix: &str) -> Result<(), ConfigError> {
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

/// Lifespans, as Hydra writes them (`90s`, `1h`, `1h30m`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Ttl {
    pub access_token: String,
    pub refresh_token: String,
    pub id_token: String,
    pub auth_code: String,
    pub login_consent_request: String,
    pub authentication_session: String,
    /// How long a device code and its user code live (RFC 8628 §3.2 `expires_in`).
    pub device_user_code: String,
}

impl Default for Ttl {
    fn default() -> Self {
        Self {
            access_token: "1h".into(),
            refresh_token: "720h".into(),
            id_token: "1h".into(),
            auth_code: "10m".into(),
            login_consent_request: "30m".into(),
            authentication_session: "720h".into(),
            device_user_code: "15m".into(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Strategies {
    pub access_token: String,
    pub scope: String,
}

impl Default for Strategies {
    fn default() -> Self {
        Self {
            access_token: "opaque".into(),
            scope: "wildcard".into(),
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OAuth2 {
    pub pkce: Pkce,
    pub expose_internal_errors: bool,
    pub device_authorization: DeviceAuthorization,
    pub grant: GrantConfig,
    /// Called before the token endpoint issues tokens, for every grant (`oauth::hook`).
    pub token_hook: Option<Hook>,
    /// Hydra's older hook, for the refresh token grant only.
    pub refresh_token_hook: Option<Hook>,
}

/// A hook as Hydra configures it: a URL, or `{url, auth}`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Hook {
    Url(String),
    Full(HookConfig),
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookConfig {
    pub url: String,
    #[serde(default)]
    pub auth: Option<HookAuth>,
}

/// Hydra's only kind: `{type: api_key, config: {in: header|cookie, name, value}}`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookAuth {
    #[serde(rename = "type")]
    pub kind: String,
    pub config: HookAuthConfig,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookAuthConfig {
    #[serde(rename = "in")]
    pub place: String,
    pub name: String,
    pub value: Secret,
}

impl Hook {
    pub fn config(&self) -> HookConfig {
        match self {
            Self::Url(url) => HookConfig {
                url: url.clone(),
                auth: None,
            },
            Self::Full(c) => c.clone(),
        }
    }

    fn check(&self, key: &str) -> Result<(), ConfigError> {
        let c = self.config();
        match url::Url::parse(&c.url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            _ => {
                return Err(bad(
                    &format!("{key}.url"),
                    format!("{:?} is not an http(s) URL", c.url),
                ));
            }
        }
        if let Some(a) = &c.auth {
            if a.kind != "api_key" {
                return Err(bad(
                    &format!("{key}.auth.type"),
                    "the only type is `api_key`",
                ));
            }
            one_of(
                &format!("{key}.auth.config.in"),
                &a.config.place,
                &["header", "cookie"],
            )?;
            if reqwest::header::HeaderName::from_bytes(a.config.name.as_bytes()).is_err()
                || reqwest::header::HeaderValue::from_str(&a.config.value.0).is_err()
            {
                return Err(bad(
                    &format!("{key}.auth.config"),
                    "name and value must be valid in an HTTP header",
                ));
            }
        }
        Ok(())
    }
}

/// `clients.*`: how this server treats the URLs clients register.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClientsConfig {
    pub http: ClientsHttp,
}

/// The SSRF guard (Hydra's keys): refuse client URLs that resolve to loopback, private,
/// link-local or otherwise internal addresses, at registration and at every fetch.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClientsHttp {
    pub disallow_private_ip_ranges: bool,
    /// URLs exempt from the guard, matched exactly (case-sensitive), as Hydra matches them.
    pub private_ip_exception_urls: Vec<String>,
}

/// Hydra's `webfinger` section: what discovery adds to the scopes and claims it lists, for a
/// consent app that releases more than the built-in one.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Webfinger {
    pub oidc_discovery: OidcDiscovery,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OidcDiscovery {
    /// Added to `claims_supported`.
    pub supported_claims: Vec<String>,
    /// Added to `scopes_supported`.
    pub supported_scope: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Oidc {
    pub subject_identifiers: SubjectIdentifiers,
    pub dynamic_client_registration: DynamicClientRegistration,
}

/// OIDC Core §8: which subject identifier types clients may choose.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SubjectIdentifiers {
    /// `public` and/or `pairwise`.
    pub supported_types: Vec<String>,
    pub pairwise: PairwiseConfig,
}

impl Default for SubjectIdentifiers {
    fn default() -> Self {
        Self {
            supported_types: vec!["public".into()],
            pairwise: PairwiseConfig::default(),
        }
    }
}

impl SubjectIdentifiers {
    pub fn pairwise_enabled(&self) -> bool {
        self.supported_types.iter().any(|t| t == "pairwise")
    }

    /// The supported types, `public` when none is named (as Hydra).
    pub fn supported(&self) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = ["public", "pairwise"]
            .into_iter()
            .filter(|t| self.supported_types.iter().any(|s| s == t))
            .collect();
        if v.is_empty() {
            v.push("public");
        }
        v
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PairwiseConfig {
    /// Mixed into every pairwise subject; changing it changes them all.
    pub salt: Secret,
}

/// OIDC Dynamic Client Registration (RFC 7591/7592), off by default.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DynamicClientRegistration {
    pub enabled: bool,
    /// The scope a client registered without one gets (as Hydra: any client, self-registered or
    /// not).
    pub default_scope: Vec<String>,
}

impl Default for DynamicClientRegistration {
    fn default() -> Self {
        Self {
            enabled: false,
            default_scope: vec!["offline_access".into(), "offline".into(), "openid".into()],
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GrantConfig {
    pub jwt: JwtGrant,
}

/// The JWT-bearer authorization grant (RFC 7523 §2.1) under Hydra's keys.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JwtGrant {
    /// Accept assertions without `jti` (then nothing stops their replay until they expire).
    pub jti_optional: bool,
    /// Accept assertions without `iat` (their lifetime is then counted from now).
    pub iat_optional: bool,
    /// The longest an assertion may live, `exp` − `iat`.
    pub max_ttl: String,
    /// Leave the assertion's `aud` out of the access token's audience (the default, as Hydra
    /// since v26; Hydra v2.3 copies it in, which `false` restores).
    pub omit_assertion_audience: bool,
}

impl Default for JwtGrant {
    fn default() -> Self {
        Self {
            jti_optional: false,
            iat_optional: false,
            max_ttl: "720h".into(),
            omit_assertion_audience: true,
        }
    }
}

/// The device authorization grant (RFC 8628) under Hydra's keys.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeviceAuthorization {
    /// The `interval` devices are told to wait between polls; faster polls get `slow_down`.
    pub token_polling_interval: String,
    pub user_code: UserCodeConfig,
}

impl Default for DeviceAuthorization {
    fn default() -> Self {
        Self {
            token_polling_interval: "5s".into(),
            user_code: UserCodeConfig::default(),
        }
    }
}

/// How user codes look: a preset, or a length and a character set (not both).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UserCodeConfig {
    /// `high` (the default), `medium` or `low`.
    pub entropy_preset: Option<String>,
    pub length: Option<u32>,
    pub character_set: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Pkce {
    pub enforced: bool,
    pub enforced_for_public_clients: bool,
}

impl Default for Pkce {
    fn default() -> Self {
        Self {
            enforced: false,
            enforced_for_public_clients: true,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Log {
    pub level: String,
    pub format: String,
    pub leak_sensitive_values: bool,
}

impl Default for Log {
    fn default() -> Self {
        Self {
            level: "info".into(),
            format: "text".into(),
            leak_sensitive_values: false,
        }
    }
}

/// Latchkey's in-process caches (not a Hydra key: Hydra reads the database every time).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheConfig {
    /// `false`: nothing is cached, every read is exact (see `crate::coherence` and the README
    /// for what it costs).
    pub enabled: bool,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self { enabled: true }
    }
}

impl UserCodeConfig {
    /// Hydra's presets: `high` and `medium` are 8 characters, `low` 9 digits. `high` draws from
    /// RFC 8628 §6.1's base-20 alphabet (consonants only: no words, no look-alikes such as 0/O or
    /// 1/I, and entry is case-insensitive), about 34.6 bits.
    pub fn alphabet(&self) -> (usize, Vec<char>) {
        if let (Some(len), Some(set)) = (self.length, &self.character_set) {
            return (len as usize, set.chars().collect());
        }
        match self.entropy_preset.as_deref() {
            Some("medium") => (8, ('A'..='Z').collect()),
            Some("low") => (9, ('0'..='9').collect()),
            _ => (8, "BCDFGHJKLMNPQRSTVWXZ".chars().collect()),
        }
    }

    fn check(&self) -> Result<(), ConfigError> {
        const KEY: &str = "oauth2.device_authorization.user_code";
        match (&self.entropy_preset, self.length, &self.character_set) {
            (Some(p), None, None) => one_of(
                &format!("{KEY}.entropy_preset"),
                p,
                &["high", "medium", "low"],
            ),
            (None, None, None) => Ok(()),
            (None, Some(len), Some(set)) => {
                if len < 6 {
                    return Err(bad(&format!("{KEY}.length"), "must be at least 6"));
                }
                if len > 64 {
                    return Err(bad(&format!("{KEY}.length"), "must be at most 64"));
                }
                let chars: Vec<char> = set.chars().collect();
                let mut distinct = chars.clone();
                distinct.sort_unstable();
                distinct.dedup();
                if distinct.len() != chars.len() || chars.len() < 8 {
                    return Err(bad(
                        &format!("{KEY}.character_set"),
                        "needs at least 8 characters, each once",
                    ));
                }
                // Entry ignores case, dashes and spaces (RFC 8628 §6.1), so the set must too.
                if chars
                    .iter()
                    .any(|c| !c.is_ascii_alphanumeric() || c.is_ascii_lowercase())
                {
                    return Err(bad(
                        &format!("{KEY}.character_set"),
                        "may hold only digits and upper-case letters A-Z (entry ignores case)",
                    ));
                }
                Ok(())
            }
            _ => Err(bad(
                KEY,
                "set either entropy_preset, or both length and character_set",
            )),
        }
    }
}

/// A configuration problem, already phrased for a person: one line naming the key.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

fn bad(key: &str, problem: impl fmt::Display) -> ConfigError {
    ConfigError(format!("`{key}`: {problem}"))
}

/// The environment variable that sets `key`.
pub fn env_name(key: &str) -> String {
    key.to_ascii_uppercase().replace('.', "_")
}

impl Config {
    /// Reads defaults, then each file in order, then the given environment, and checks the result.
    /// Returns the configuration and warnings worth printing (near-miss variable names).
    pub fn load(
        files: &[PathBuf],
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(Self, Vec<String>), ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        for file in files {
            if !file.exists() {
                return Err(ConfigError(format!(
                    "config file {} does not exist",
                    file.display()
                )));
            }
            let ext = file
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or("")
                .to_ascii_lowercase();
            fig = match ext.as_str() {
                "yaml" | "yml" => fig.merge(Yaml::file_exact(file)),
                "toml" => fig.merge(Toml::file_exact(file)),
                _ => {
                    return Err(ConfigError(format!(
                        "config file {}: unknown format (use .yaml, .yml or .toml)",
                        file.display()
                    )));
                }
            };
        }
        let mut warnings = Vec::new();
        for (name, value) in env {
            let Some((key, kind)) = KEYS.iter().find(|(k, _)| env_name(k) == name) else {
                let looks_like_ours = name.starts_with("LATCHKEY_")
                    && !matches!(name.as_str(), "LATCHKEY_ADMIN_URL" | "LATCHKEY_PUBLIC_URL")
                    || SECTIONS.iter().any(|s| name.starts_with(s));
                if looks_like_ours {
                    warnings.push(format!(
                        "environment variable {name} is not a Latchkey setting and is ignored"
                    ));
                }
                continue;
            };
            let typed = env_value(key, *kind, &value)?;
            fig = fig.merge(Serialized::global(key, typed));
        }
        let config: Config = fig.extract().map_err(|e| figment_error(&e))?;
        config.validate()?;
        Ok((config, warnings))
    }

    /// Reads the configuration from files and the process environment.
    pub fn from_env(files: &[PathBuf]) -> Result<(Self, Vec<String>), ConfigError> {
        Self::load(files, std::env::vars())
    }

    /// Checks values that are well-typed but wrong.
    pub fn validate(&self) -> Result<(), ConfigError> {
        DsnKind::parse(&self.dsn).map_err(|e| bad("dsn", e))?;
        for (key, list) in [
            ("secrets.system", &self.secrets.system),
            ("secrets.cookie", &self.secrets.cookie),
        ] {
            for s in list {
                if s.0.len() < 16 {
                    return Err(bad(key, "every secret must be at least 16 bytes long"));
                }
            }
        }
        if let Some(h) = &self.oauth2.token_hook {
            h.check("oauth2.token_hook")?;
        }
        if let Some(h) = &self.oauth2.refresh_token_hook {
            h.check("oauth2.refresh_token_hook")?;
        }
        self.serve.public.cors.check("serve.public")?;
        self.serve.admin.cors.check("serve.admin")?;
        for k in &self.serve.admin.auth.api_keys {
            if k.0.len() < 32 {
                return Err(bad(
                    "serve.admin.auth.api_keys",
                    "every admin API key must be at least 32 characters long (e.g. `openssl rand -hex 32`)",
                ));
            }
            if k.0.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(bad(
                    "serve.admin.auth.api_keys",
                    "admin API keys cannot contain spaces or control characters (they travel in an HTTP header)",
                ));
            }
        }
        if !self.serve.public.auth.api_keys.is_empty() {
            return Err(bad(
                "serve.public.auth.api_keys",
                "only the admin listener takes API keys (serve.admin.auth.api_keys)",
            ));
        }
        check_url("urls.self.issuer", Some(&self.urls.self_.issuer))?;
        check_url("urls.self.public", self.urls.self_.public.as_ref())?;
        check_url("urls.self.admin", self.urls.self_.admin.as_ref())?;
        check_url("urls.login", self.urls.login.as_ref())?;
        check_url("urls.consent", self.urls.consent.as_ref())?;
        check_url("urls.logout", self.urls.logout.as_ref())?;
        check_url("urls.error", self.urls.error.as_ref())?;
        check_url(
            "urls.post_logout_redirect",
            self.urls.post_logout_redirect.as_ref(),
        )?;
        check_url(
            "urls.device.verification",
            self.urls.device.verification.as_ref(),
        )?;
        check_url("urls.device.success", self.urls.device.success.as_ref())?;
        for (key, l) in [
            ("serve.public", &self.serve.public),
            ("serve.admin", &self.serve.admin),
        ] {
            if !l.host.is_empty() && l.host.parse::<IpAddr>().is_err() && !is_hostname(&l.host) {
                return Err(bad(
                    &format!("{key}.host"),
                    format!("{:?} is not an address or host name", l.host),
                ));
            }
        }
        match (&self.serve.tls.cert.path, &self.serve.tls.key.path) {
            (Some(_), None) => {
                return Err(bad(
                    "serve.tls.key.path",
                    "required when serve.tls.cert.path is set",
                ));
            }
            (None, Some(_)) => {
                return Err(bad(
                    "serve.tls.cert.path",
                    "required when serve.tls.key.path is set",
                ));
            }
            _ => {}
        }
        let ttl = &self.ttl;
        for (key, v) in [
            ("ttl.access_token", &ttl.access_token),
            ("ttl.refresh_token", &ttl.refresh_token),
            ("ttl.id_token", &ttl.id_token),
            ("ttl.auth_code", &ttl.auth_code),
            ("ttl.login_consent_request", &ttl.login_consent_request),
            ("ttl.authentication_session", &ttl.authentication_session),
            ("ttl.device_user_code", &ttl.device_user_code),
            (
                "oauth2.device_authorization.token_polling_interval",
                &self.oauth2.device_authorization.token_polling_interval,
            ),
            ("oauth2.grant.jwt.max_ttl", &self.oauth2.grant.jwt.max_ttl),
        ] {
            let d = parse_duration(v).map_err(|e| bad(key, e))?;
            if d.is_zero() {
                return Err(bad(key, "must be longer than zero"));
            }
        }
        self.oauth2.device_authorization.user_code.check()?;
        let subjects = &self.oidc.subject_identifiers;
        if let Some(t) = subjects
            .supported_types
            .iter()
            .find(|t| !matches!(t.as_str(), "public" | "pairwise"))
        {
            return Err(bad(
                "oidc.subject_identifiers.supported_types",
                format!("{t:?} is not public or pairwise"),
            ));
        }
        if subjects.pairwise_enabled() {
            if subjects.pairwise.salt.0.len() < 8 {
                return Err(bad(
                    "oidc.subject_identifiers.pairwise.salt",
                    "pairwise subject identifiers need a salt of at least 8 characters",
                ));
            }
            // As Hydra: a JWT access token carries the real subject for anyone to read.
            if self.strategies.access_token == "jwt" {
                return Err(bad(
                    "oidc.subject_identifiers.supported_types",
                    "pairwise subject identifiers cannot be used with strategies.access_token=jwt (JWT access tokens carry the real subject); use opaque access tokens",
                ));
            }
        }
        one_of(
            "strategies.access_token",
            &self.strategies.access_token,
            &["opaque", "jwt"],
        )?;
        one_of(
            "strategies.scope",
            &self.strategies.scope,
            &["exact", "wildcard"],
        )?;
        one_of(
            "log.level",
            &self.log.level,
            &[
                "trace", "debug", "info", "warn", "warning", "error", "fatal", "panic",
            ],
        )?;
        one_of(
            "log.format",
            &self.log.format,
            &["text", "json", "json_pretty"],
        )?;
        Ok(())
    }

    /// The issuer with exactly one trailing slash removed, for building absolute URLs.
    pub fn public_base(&self) -> String {
        let base = self
            .urls
            .self_
            .public
            .as_deref()
            .unwrap_or(&self.urls.self_.issuer);
        base.trim_end_matches('/').to_owned()
    }

    /// A lifespan key, already validated by [`Config::validate`].
    pub fn ttl(&self, value: &str) -> Duration {
        parse_duration(value).unwrap_or(Duration::from_secs(3600))
    }
}

fn one_of(key: &str, value: &str, allowed: &[&str]) -> Result<(), ConfigError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(bad(
            key,
            format!("{value:?} is not one of {}", allowed.join(", ")),
        ))
    }
}

fn is_hostname(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 253
        && h.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

fn check_url(key: &str, value: Option<&String>) -> Result<(), ConfigError> {
    let Some(v) = value else { return Ok(()) };
    let u =
        url::Url::parse(v).map_err(|e| bad(key, format!("{v:?} is not an absolute URL ({e})")))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(bad(key, format!("{v:?} must be an http or https URL")));
    }
    Ok(())
}

/// Reads an environment value with the type its key has.
fn env_value(key: &str, kind: Kind, raw: &str) -> Result<serde_json::Value, ConfigError> {
    use serde_json::Value;
    let name = env_name(key);
    Ok(match kind {
        Kind::Str => Value::String(raw.to_owned()),
        Kind::List => Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_owned()))
                .collect(),
        ),
        Kind::Int => {
            let n: i64 = raw
                .trim()
                .parse()
                .map_err(|_| bad(key, format!("{name}={raw:?} is not a whole number")))?;
            Value::from(n)
        }
        Kind::Bool => match raw.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Value::Bool(true),
            "0" | "false" | "no" | "off" | "" => Value::Bool(false),
            _ => return Err(bad(key, format!("{name}={raw:?} is not true or false"))),
        },
    })
}

/// Turns figment's error into one line that names the key.
fn figment_error(e: &figment::Error) -> ConfigError {
    let e = e.clone().into_iter().next().unwrap_or_else(|| e.clone());
    let mut path = e.path.join(".");
    let kind = match &e.kind {
        figment::error::Kind::UnknownField(field, _) => {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(field);
            "unknown key".to_owned()
        }
        figment::error::Kind::InvalidValue(actual, expected) => {
            format!("invalid value {actual}, expected {expected}")
        }
        figment::error::Kind::InvalidType(actual, expected) => {
            format!("wrong type: found {actual}, expected {expected}")
        }
        other => other.to_string(),
    };
    let source = match &e.metadata {
        Some(md) if md.name != "Serialized" && md.name != "Serialized (global)" => {
            match &md.source {
                Some(s) => format!(" (in {s})"),
                None => format!(" (in {})", md.name),
            }
        }
        _ => String::new(),
    };
    if path.is_empty() {
        ConfigError(format!("{kind}{source}"))
    } else {
        ConfigError(format!("`{path}`: {kind}{source}"))
    }
}

/// A duration as Go prints it (Hydra's wire format for lifespans): `0s`, `500ms`, `1m30s`,
/// `720h0m0s`, `1.5s`.
pub fn format_duration(d: Duration) -> String {
    fn trim(mut s: String) -> String {
        if s.contains('.') {
            while s.ends_with('0') {
                s.pop();
            }
            if s.ends_with('.') {
                s.pop();
            }
        }
        s
    }
    let nanos = d.as_nanos();
    if nanos == 0 {
        return "0s".into();
    }
    if nanos < 1_000 {
        return format!("{nanos}ns");
    }
    if nanos < 1_000_000 {
        return format!("{}µs", trim(format!("{:.3}", nanos as f64 / 1e3)));
    }
    if nanos < 1_000_000_000 {
        return format!("{}ms", trim(format!("{:.6}", nanos as f64 / 1e6)));
    }
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let frac = d.subsec_nanos();
    let seconds = if frac == 0 {
        s.to_string()
    } else {
        trim(format!("{s}.{frac:09}"))
    };
    match (h, m) {
        (0, 0) => format!("{seconds}s"),
        (0, m) => format!("{m}m{seconds}s"),
        (h, m) => format!("{h}h{m}m{seconds}s"),
    }
}

/// Parses a Go-style duration as Hydra writes them: `500ms`, `90s`, `10m`, `1h30m`, `720h`, and
/// with decimal fractions as Go's `time.ParseDuration` reads them and [`format_duration`] writes
/// them (`1.5h`, `1h0m27.444022061s`), so that a lifespan read back from the API can be sent again.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty duration (use e.g. 30s, 10m, 1h)".into());
    }
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    let not_a_duration = || format!("{s:?} is not a duration (use e.g. 30s, 10m, 1h)");
    let mut total: u128 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let (whole, fraction) = match rest[..number_len].split_once('.') {
            Some((w, f)) => (w, f),
            None => (&rest[..number_len], ""),
        };
        if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
            return Err(not_a_duration());
        }
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let nanos_per: u128 = match unit {
            "ns" => 1,
            "us" | "µs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "{s:?} has an unknown unit {unit:?} (use ms, s, m or h)"
                ));
            }
        };
        let out_of_range = || format!("{s:?} is out of range");
        let whole: u128 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| out_of_range())?
        };
        // The fraction, to the nanosecond (Go keeps no more either).
        let mut part = whole.checked_mul(nanos_per).ok_or_else(out_of_range)?;
        let mut scale = nanos_per;
        for d in fraction.bytes().take(30) {
            scale /= 10;
            part += u128::from(d - b'0') * scale;
        }
        total = total.checked_add(part).ok_or_else(out_of_range)?;
    }
    let secs =
        u64::try_from(total / 1_000_000_000).map_err(|_| format!("{s:?} is out of range"))?;
    Ok(Duration::new(secs, (total % 1_000_000_000) as u32))
}

/// The database families Latchkey supports, read off a DSN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DsnKind {
    Sqlite,
    Memory,
    Postgres,
    Mysql,
}

impl DsnKind {
    /// Recognises a DSN by its scheme; the message of the error says what is accepted.
    pub fn parse(dsn: &str) -> Result<Self, String> {
        let scheme = dsn.split_once("://").map(|(s, _)| s).unwrap_or(dsn);
        match scheme {
            "memory" => Ok(Self::Memory),
            "sqlite" | "sqlite3" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            "mysql" | "mariadb" => Ok(Self::Mysql),
            _ => Err(format!(
                "unknown database scheme {scheme:?}: use sqlite://PATH, memory, postgres://… or mysql://…"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::load(&[], env.iter().map(|(k, v)| (k.to_string(), v.to_string()))).map(|(c, _)| c)
    }

    #[test]
    fn durations_read_back_as_they_are_printed() {
        for (text, d) in [
            ("1.5h", Duration::from_secs(5400)),
            ("1h0m27.444022061s", Duration::new(3627, 444_022_061)),
            ("0.5s", Duration::from_millis(500)),
            (".5s", Duration::from_millis(500)),
            ("1m0.000000001s", Duration::new(60, 1)),
            ("2.25ms", Duration::from_micros(2250)),
        ] {
            assert_eq!(parse_duration(text), Ok(d), "{text}");
            assert_eq!(parse_duration(&format_duration(d)), Ok(d), "{text}");
        }
        for bad in [".s", "1..5s", "1.5", "h", "1.2.3m"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_print_as_go_prints_them() {
        for (text, go) in [
            ("2m", "2m0s"),
            ("4h", "4h0m0s"),
            ("720h", "720h0m0s"),
            ("90s", "1m30s"),
            ("1h30m", "1h30m0s"),
            ("500ms", "500ms"),
            ("1500ms", "1.5s"),
            ("0", "0s"),
            ("0s", "0s"),
            ("1h0m0s", "1h0m0s"),
        ] {
            assert_eq!(format_duration(parse_duration(text).unwrap()), go, "{text}");
        }
    }

    #[test]
    fn device_keys_are_hydras_and_checked() {
        let c = load(&[
            ("URLS_DEVICE_VERIFICATION", "https://app.example.com/device"),
            ("URLS_DEVICE_SUCCESS", "https://app.example.com/device/done"),
            ("TTL_DEVICE_USER_CODE", "10m"),
            ("OAUTH2_DEVICE_AUTHORIZATION_TOKEN_POLLING_INTERVAL", "2s"),
            (
                "OAUTH2_DEVICE_AUTHORIZATION_USER_CODE_ENTROPY_PRESET",
                "low",
            ),
        ])
        .unwrap();
        assert_eq!(
            c.urls.device.verification.as_deref(),
            Some("https://app.example.com/device")
        );
        assert_eq!(c.ttl(&c.ttl.device_user_code), Duration::from_secs(600));
        assert_eq!(c.oauth2.device_authorization.user_code.alphabet().0, 9);
        let own = load(&[
            ("OAUTH2_DEVICE_AUTHORIZATION_USER_CODE_LENGTH", "10"),
            (
                "OAUTH2_DEVICE_AUTHORIZATION_USER_CODE_CHARACTER_SET",
                "ABCDEFGHJK",
            ),
        ])
        .unwrap();
        assert_eq!(own.oauth2.device_authorization.user_code.alphabet().0, 10);
        for (env, key) in [
            (
                vec![(
                    "OAUTH2_DEVICE_AUTHORIZATION_USER_CODE_ENTROPY_PRESET",
                    "max",
                )],
                "entropy_preset",
            ),
            (
                vec![("OAUTH2_DEVICE_AUTHORIZATION_USER_CODE_LENGTH", "8")],
                "set either entropy_preset",
            ),
            (
                vec![
                    ("OAUTH2_DEVICE_AUTHORIZATION_USER_CODE_LENGTH", "8"),
                    (
                        "OAUTH2_DEVICE_AUTHORIZATION_USER_CODE_CHARACTER_SET",
                        "abcdefgh",
                    ),
                ],
                "upper-case",
            ),
            (
                vec![
                    ("OAUTH2_DEVICE_AUTHORIZATION_USER_CODE_LENGTH", "8"),
                    (
                        "OAUTH2_DEVICE_AUTHORIZATION_USER_CODE_CHARACTER_SET",
                        "AABBCCDD",
                    ),
                ],
                "each once",
            ),
            (
                vec![("TTL_DEVICE_USER_CODE", "soon")],
                "ttl.device_user_code",
            ),
            (
                vec![("URLS_DEVICE_SUCCESS", "not a url")],
                "urls.device.success",
            ),
        ] {
            let e = load(&env).unwrap_err().to_string();
            assert!(e.contains(key), "{env:?}: {e}");
        }
    }

    #[test]
    fn env_keys_with_underscores_resolve() {
        let c = load(&[
            ("TTL_ACCESS_TOKEN", "2h"),
            ("SERVE_PUBLIC_PORT", "9000"),
            ("SERVE_ADMIN_HOST", "127.0.0.1"),
            ("URLS_SELF_ISSUER", "https://auth.example.com/"),
            ("SECRETS_SYSTEM", "0123456789012345,abcdefghijklmnopq"),
            ("OAUTH2_PKCE_ENFORCED_FOR_PUBLIC_CLIENTS", "false"),
            ("URLS_POST_LOGOUT_REDIRECT", "https://example.com/bye"),
        ])
        .unwrap();
        assert_eq!(c.ttl.access_token, "2h");
        assert_eq!(c.serve.public.port, 9000);
        assert_eq!(c.serve.admin.host, "127.0.0.1");
        assert_eq!(c.urls.self_.issuer, "https://auth.example.com/");
        assert_eq!(c.secrets.system[0].0, "0123456789012345");
        assert_eq!(c.secrets.system.len(), 2);
        assert!(!c.oauth2.pkce.enforced_for_public_clients);
        assert_eq!(
            c.urls.post_logout_redirect.as_deref(),
            Some("https://example.com/bye")
        );
    }

    #[test]
    fn bad_values_name_the_key() {
        let e = load(&[("SERVE_PUBLIC_PORT", "70000")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("serve.public.port"), "{e}");
        let e = load(&[("DSN", "oracle://x")]).unwrap_err().to_string();
        assert!(e.contains("`dsn`") && e.contains("oracle"), "{e}");
        let e = load(&[("SECRETS_SYSTEM", "short")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("secrets.system") && e.contains("16"), "{e}");
        let e = load(&[("TTL_AUTH_CODE", "ten minutes")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("ttl.auth_code"), "{e}");
        let e = load(&[("LOG_LEVEL", "loud")]).unwrap_err().to_string();
        assert!(e.contains("log.level"), "{e}");
    }

    #[test]
    fn near_miss_env_names_warn() {
        let (_, w) = Config::load(&[], [("URLS_SELF_ISSUR".to_string(), "x".to_string())]).unwrap();
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("URLS_SELF_ISSUR"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert!(parse_duration("1d").is_err());
        assert!(parse_duration("h").is_err());
    }
}

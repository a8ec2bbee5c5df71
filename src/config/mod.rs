//! Configuration: built-in defaults < `-c/--config` files (YAML or TOML, in order) < environment.
//!
//! Keys and environment names are Hydra's. Every leaf key is listed once in [`KEYS`] (`env.rs`); its environment
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

mod duration;
mod env;
mod load;
mod oauth2;
mod oidc;
mod serve;

pub use duration::*;
pub use env::*;
pub use load::*;
pub use oauth2::*;
pub use oidc::*;
pub use serve::*;

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
    fn default_lifespans_are_what_they_say() {
        let c = Config::default();
        let t = &c.ttl;
        for l in [
            &t.access_token,
            &t.refresh_token,
            &t.id_token,
            &t.auth_code,
            &t.login_consent_request,
            &t.authentication_session,
            &t.device_user_code,
            &c.oauth2.grant.jwt.max_ttl,
            &c.oauth2.device_authorization.token_polling_interval,
        ] {
            assert_eq!(parse_duration(l.as_str()), Ok(l.get()), "{l}");
            assert!(!l.get().is_zero(), "{l}");
        }
        assert_eq!(t.access_token.get(), Duration::from_secs(3600));
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
        assert_eq!(c.ttl.device_user_code.get(), Duration::from_secs(600));
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

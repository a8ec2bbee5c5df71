//! Loading: defaults < files < environment through figment, then every value checked, each
//! problem one line that names its key.

use super::*;

/// A configuration problem, already phrased for a person: one line naming the key.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

pub(super) fn bad(key: &str, problem: impl fmt::Display) -> ConfigError {
    ConfigError(format!("`{key}`: {problem}"))
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
            if v.get().is_zero() {
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
}

pub(super) fn one_of(key: &str, value: &str, allowed: &[&str]) -> Result<(), ConfigError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(bad(
            key,
            format!("{value:?} is not one of {}", allowed.join(", ")),
        ))
    }
}

pub(super) fn is_hostname(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 253
        && h.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

pub(super) fn check_url(key: &str, value: Option<&String>) -> Result<(), ConfigError> {
    let Some(v) = value else { return Ok(()) };
    let u =
        url::Url::parse(v).map_err(|e| bad(key, format!("{v:?} is not an absolute URL ({e})")))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(bad(key, format!("{v:?} must be an http or https URL")));
    }
    Ok(())
}

/// Turns figment's error into one line that names the key.
pub(super) fn figment_error(e: &figment::Error) -> ConfigError {
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

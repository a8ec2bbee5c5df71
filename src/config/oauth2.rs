//! `ttl.*`, `strategies.*` and `oauth2.*`: lifespans, token strategies, hooks, the JWT-bearer and
//! device grants, PKCE.

use super::*;

/// Lifespans, as Hydra writes them (`90s`, `1h`, `1h30m`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Ttl {
    pub access_token: Lifespan,
    pub refresh_token: Lifespan,
    pub id_token: Lifespan,
    pub auth_code: Lifespan,
    pub login_consent_request: Lifespan,
    pub authentication_session: Lifespan,
    /// How long a device code and its user code live (RFC 8628 §3.2 `expires_in`).
    pub device_user_code: Lifespan,
}

impl Default for Ttl {
    fn default() -> Self {
        Self {
            access_token: Lifespan::default_of("1h"),
            refresh_token: Lifespan::default_of("720h"),
            id_token: Lifespan::default_of("1h"),
            auth_code: Lifespan::default_of("10m"),
            login_consent_request: Lifespan::default_of("30m"),
            authentication_session: Lifespan::default_of("720h"),
            device_user_code: Lifespan::default_of("15m"),
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

    pub(super) fn check(&self, key: &str) -> Result<(), ConfigError> {
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
    pub max_ttl: Lifespan,
    /// Leave the assertion's `aud` out of the access token's audience (the default, as Hydra
    /// since v26; Hydra v2.3 copies it in, which `false` restores).
    pub omit_assertion_audience: bool,
}

impl Default for JwtGrant {
    fn default() -> Self {
        Self {
            jti_optional: false,
            iat_optional: false,
            max_ttl: Lifespan::default_of("720h"),
            omit_assertion_audience: true,
        }
    }
}

/// The device authorization grant (RFC 8628) under Hydra's keys.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeviceAuthorization {
    /// The `interval` devices are told to wait between polls; faster polls get `slow_down`.
    pub token_polling_interval: Lifespan,
    pub user_code: UserCodeConfig,
}

impl Default for DeviceAuthorization {
    fn default() -> Self {
        Self {
            token_polling_interval: Lifespan::default_of("5s"),
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

    pub(super) fn check(&self) -> Result<(), ConfigError> {
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

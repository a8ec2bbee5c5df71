//! How the environment maps onto configuration keys: every leaf key once in [`KEYS`], with the
//! kind of value it holds; its variable is the key upper-cased with `.` turned into `_`.

use super::*;

/// The kind of value a key holds, which decides how its environment variable is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Str,
    List,
    Int,
    Bool,
}

/// Every configuration key Latchkey understands, with its kind.
pub(super) const KEYS: &[(&str, Kind)] = &[
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
pub(super) const SECTIONS: &[&str] = &[
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

/// The environment variable that sets `key`.
pub fn env_name(key: &str) -> String {
    key.to_ascii_uppercase().replace('.', "_")
}

/// Reads an environment value with the type its key has.
pub(super) fn env_value(
    key: &str,
    kind: Kind,
    raw: &str,
) -> Result<serde_json::Value, ConfigError> {
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

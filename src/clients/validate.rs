//! Validation and defaults for client metadata (RFC 7591 §2, OIDC Registration §2, Hydra's rules).
//! Everything a client sends is checked here before anything is stored.

use url::Url;

use super::AdminError;
use crate::wire::OAuth2Client;

pub const GRANT_TYPES: &[&str] = &[
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "implicit",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
    "urn:ietf:params:oauth:grant-type:device_code",
];

pub const AUTH_METHODS: &[&str] = &[
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
    "none",
];

const ASYMMETRIC_ALGS: &[&str] = &[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
];

/// Hydra's minimum secret length. Short, but the classic tutorial's `--secret secret` relies on it.
pub const MIN_SECRET_LEN: usize = 6;

fn invalid(msg: impl Into<String>) -> AdminError {
    AdminError::invalid("invalid_client_metadata", msg)
}

fn invalid_redirect(msg: impl Into<String>) -> AdminError {
    AdminError::invalid("invalid_redirect_uri", msg)
}

/// Whether `uri` is written only with the characters RFC 3986 §2 allows in a URI (unreserved,
/// reserved, and `%` followed by two hex digits): what a URL serialiser would have left as it is.
/// A URI with anything else in it (a space, a quote, `<`, `>`, a control or non-ASCII character)
/// is not stored: it could only be meant to mean something different to a parser than to the
/// matcher, or to break out of wherever it is written.
fn serialisable(uri: &str) -> bool {
    let b = uri.as_bytes();
    b.iter().enumerate().all(|(i, &c)| match c {
        b'%' => {
            b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
        }
        c if c.is_ascii_alphanumeric() => true,
        b'-' | b'.' | b'_' | b'~' => true,
        b':' | b'/' | b'?' | b'#' | b'[' | b']' | b'@' => true,
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' => true,
        _ => false,
    })
}

/// Schemes under which a browser runs or renders what the URI itself carries: never a place to
/// send a browser with a code or a logout to (custom schemes of native apps stay allowed,
/// RFC 8252 §7.1).
const SCRIPT_SCHEMES: [&str; 6] = [
    "javascript",
    "vbscript",
    "data",
    "blob",
    "filesystem",
    "about",
];

/// An absolute URL with no fragment; `field` names it in the error.
fn absolute(field: &str, value: &str, http_only: bool) -> Result<Url, AdminError> {
    let u = Url::parse(value)
        .map_err(|e| invalid(format!("{field}: {value:?} is not an absolute URL ({e})")))?;
    if value.chars().any(char::is_whitespace) {
        return Err(invalid(format!("{field}: {value:?} contains whitespace")));
    }
    if !serialisable(value) {
        return Err(invalid(format!(
            "{field}: {value:?} contains characters a URI cannot hold unencoded (RFC 3986 §2)"
        )));
    }
    if http_only && !matches!(u.scheme(), "http" | "https") {
        return Err(invalid(format!(
            "{field}: {value:?} must be an http or https URL"
        )));
    }
    Ok(u)
}

fn set_or<T: Clone>(field: &mut Option<T>, default: T) {
    if field.is_none() {
        *field = Some(default);
    }
}

fn non_empty(field: &Option<String>) -> Option<&str> {
    field.as_deref().filter(|s| !s.is_empty())
}

/// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
fn valid_scope_token(t: &str) -> bool {
    !t.is_empty()
        && t.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

/// Whether `rt` is a response type OAuth defines: `code`, `token` and `id_token`, each at most
/// once, separated by spaces.
fn is_response_type(rt: &str) -> bool {
    let mut parts: Vec<&str> = rt.split(' ').collect();
    parts.sort_unstable();
    !parts.is_empty()
        && parts
            .iter()
            .all(|p| matches!(*p, "code" | "token" | "id_token"))
        && parts.windows(2).all(|w| w[0] != w[1])
}

/// Checks a client, fills Hydra's defaults, and normalises empty values, in place.
pub fn validate(c: &mut OAuth2Client) -> Result<(), AdminError> {
    // `{}` is how Hydra shows "no keys": a client read and written back must not gain a key set.
    if c.jwks
        .as_ref()
        .is_some_and(|j| j.as_object().is_some_and(serde_json::Map::is_empty))
    {
        c.jwks = None;
    }
    if let Some(id) = &c.client_id
        && (id.is_empty()
            || id.len() > 255
            || id.chars().any(|ch| ch.is_whitespace() || ch.is_control()))
    {
        return Err(invalid(
            "client_id must be 1 to 255 characters without whitespace",
        ));
    }
    for (field, v) in [("client_name", &c.client_name), ("owner", &c.owner)] {
        if v.as_ref().is_some_and(|s| s.len() > 255) {
            return Err(invalid(format!("{field} must be at most 255 characters")));
        }
    }

    // Grant and response types: known values only. They are not checked against each other
    // here, as Hydra does not (the classic tutorial registers `-g client_credentials -r
    // token,code`); the authorization endpoint refuses a response type whose grant the client
    // lacks, when it is actually used (RFC 6749 §4.1.2.1 / §4.2.2.1 `unauthorized_client`).
    // Empty lists stay empty, as Hydra stores them; OAuth2Client::grants() and
    // ::response_types_or_default() apply the defaults (authorization_code, code) where used.
    let grants = c.grant_types.get_or_insert_with(Vec::new);
    for g in grants.iter() {
        if !GRANT_TYPES.contains(&g.as_str()) {
            return Err(invalid(format!(
                "grant_types: {g:?} is not supported (use one of {})",
                GRANT_TYPES.join(", ")
            )));
        }
    }
    let grants = grants.clone();
    let has = |g: &str| grants.iter().any(|x| x == g);
    let responses = c.response_types.get_or_insert_with(Vec::new);
    for rt in responses.iter() {
        if !is_response_type(rt) {
            return Err(invalid(format!(
                "response_types: {rt:?} is not a response type (combine code, token and id_token with spaces)"
            )));
        }
    }

    // Client authentication (RFC 7591 §2, OIDC Core §9).
    let method = c
        .token_endpoint_auth_method
        .get_or_insert_with(|| "client_secret_basic".into());
    if !AUTH_METHODS.contains(&method.as_str()) {
        return Err(invalid(format!(
            "token_endpoint_auth_method: {method:?} is not supported (use one of {})",
            AUTH_METHODS.join(", ")
        )));
    }
    let method = method.clone();
    if let Some(secret) = &c.client_secret {
        if method == "none" {
            return Err(invalid(
                "client_secret must not be set when token_endpoint_auth_method is none (a public client has no secret)",
            ));
        }
        if method == "private_key_jwt" {
            return Err(invalid(
                "client_secret must not be set when token_endpoint_auth_method is private_key_jwt",
            ));
        }
        if secret.len() < MIN_SECRET_LEN {
            return Err(invalid(format!(
                "client_secret must be at least {MIN_SECRET_LEN} characters long"
            )));
        }
    }
    if method == "none" && has("client_credentials") {
        return Err(invalid(
            "grant_types: client_credentials needs an authenticated client, not token_endpoint_auth_method none",
        ));
    }
    if c.jwks.is_some() && non_empty(&c.jwks_uri).is_some() {
        return Err(invalid("jwks and jwks_uri must not both be set"));
    }
    if let Some(jwks) = &c.jwks {
        let keys_ok = jwks.get("keys").is_some_and(serde_json::Value::is_array);
        if !keys_ok && !jwks.as_object().is_some_and(serde_json::Map::is_empty) {
            return Err(invalid(
                "jwks must be a JSON Web Key Set: an object with a keys array",
            ));
        }
    }
    if method == "private_key_jwt" && c.jwks.is_none() && non_empty(&c.jwks_uri).is_none() {
        return Err(invalid(
            "token_endpoint_auth_method private_key_jwt needs jwks or jwks_uri",
        ));
    }
    if let Some(alg) = non_empty(&c.token_endpoint_auth_signing_alg)
        && !ASYMMETRIC_ALGS.contains(&alg)
    {
        return Err(invalid(format!(
            "token_endpoint_auth_signing_alg: {alg:?} is not supported (use one of {})",
            ASYMMETRIC_ALGS.join(", ")
        )));
    }
    for (field, v) in [
        (
            "userinfo_signed_response_alg",
            &c.userinfo_signed_response_alg,
        ),
        ("request_object_signing_alg", &c.request_object_signing_alg),
    ] {
        if let Some(alg) = non_empty(v)
            && alg != "none"
            && !ASYMMETRIC_ALGS.contains(&alg)
        {
            return Err(invalid(format!("{field}: {alg:?} is not supported")));
        }
    }

    // Redirect URIs: absolute, no fragment (RFC 6749 §3.1.2); matched exactly later.
    for (field, list) in [
        ("redirect_uris", &c.redirect_uris),
        ("post_logout_redirect_uris", &c.post_logout_redirect_uris),
    ] {
        for uri in list.iter().flatten() {
            let u = Url::parse(uri).map_err(|e| {
                invalid_redirect(format!("{field}: {uri:?} is not an absolute URI ({e})"))
            })?;
            if u.fragment().is_some() {
                return Err(invalid_redirect(format!(
                    "{field}: {uri:?} must not contain a fragment"
                )));
            }
            if uri.chars().any(|ch| ch.is_whitespace() || ch.is_control()) {
                return Err(invalid_redirect(format!(
                    "{field}: {uri:?} contains whitespace"
                )));
            }
            if !serialisable(uri) {
                return Err(invalid_redirect(format!(
                    "{field}: {uri:?} contains characters a URI cannot hold unencoded (RFC 3986 §2)"
                )));
            }
            // RFC 9700 §4.1 / RFC 6749 §10.6: a redirect carries codes and tokens; a script
            // scheme would run in whichever page follows it.
            if SCRIPT_SCHEMES.contains(&u.scheme()) {
                return Err(invalid_redirect(format!(
                    "{field}: {uri:?} uses the {} scheme, which is never a redirect destination",
                    u.scheme()
                )));
            }
        }
    }
    // As Hydra: a post-logout redirect goes back to where the client lives — the scheme, host
    // and port of one of its redirect URIs (OIDC RP-Initiated Logout §3.1 leaves the check to us).
    for uri in c.post_logout_redirect_uris.iter().flatten() {
        let Ok(u) = Url::parse(uri) else { continue };
        let home = c.redirect_uris.iter().flatten().any(|r| {
            Url::parse(r).is_ok_and(|r| {
                r.scheme() == u.scheme() && r.host_str() == u.host_str() && r.port() == u.port()
            })
        });
        if !home {
            return Err(invalid(format!(
                "post_logout_redirect_uris: {uri:?} must have the scheme, host and port of one of the redirect_uris"
            )));
        }
    }
    for (field, v) in [
        ("client_uri", &c.client_uri),
        ("logo_uri", &c.logo_uri),
        ("policy_uri", &c.policy_uri),
        ("tos_uri", &c.tos_uri),
        ("jwks_uri", &c.jwks_uri),
        ("backchannel_logout_uri", &c.backchannel_logout_uri),
        ("frontchannel_logout_uri", &c.frontchannel_logout_uri),
    ] {
        if let Some(v) = non_empty(v) {
            absolute(field, v, true)?;
        }
    }
    if let Some(v) = non_empty(&c.sector_identifier_uri) {
        // OIDC Registration §2: the sector_identifier_uri MUST use https.
        if absolute("sector_identifier_uri", v, true)?.scheme() != "https" {
            return Err(invalid("sector_identifier_uri must be an https URL"));
        }
    }
    for uri in c.request_uris.iter().flatten() {
        absolute("request_uris", uri, true)?;
    }
    for origin in c.allowed_cors_origins.iter().flatten() {
        let u = absolute("allowed_cors_origins", origin, true)?;
        if !matches!(u.path(), "" | "/")
            || u.query().is_some()
            || u.fragment().is_some()
            || !u.username().is_empty()
        {
            return Err(invalid(format!(
                "allowed_cors_origins: {origin:?} must be an origin (scheme://host[:port]) without a path"
            )));
        }
    }

    let scope = c
        .scope
        .get_or_insert_with(|| "offline_access offline openid".into());
    for token in scope.split(' ').filter(|t| !t.is_empty()) {
        if !valid_scope_token(token) {
            return Err(invalid(format!(
                "scope: {token:?} is not a valid scope token (RFC 6749 §3.3)"
            )));
        }
    }
    *scope = scope
        .split(' ')
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    for a in c.audience.iter().flatten() {
        if a.is_empty() || a.chars().any(char::is_whitespace) {
            return Err(invalid(format!(
                "audience: {a:?} must be non-empty and contain no whitespace"
            )));
        }
    }
    match non_empty(&c.subject_type) {
        None => c.subject_type = Some("public".into()),
        Some("public" | "pairwise") => {}
        Some(other) => {
            return Err(invalid(format!(
                "subject_type: {other:?} is not public or pairwise"
            )));
        }
    }
    if let Some(s) = non_empty(&c.access_token_strategy)
        && !matches!(s, "jwt" | "opaque")
    {
        return Err(invalid(format!(
            "access_token_strategy: {s:?} is not jwt or opaque"
        )));
    }
    if c.client_secret_expires_at.is_some_and(|t| t < 0) {
        return Err(invalid("client_secret_expires_at must not be negative"));
    }
    for (field, v) in lifespans_mut(c) {
        if let Some(text) = v.as_deref() {
            crate::config::parse_duration(text).map_err(|e| invalid(format!("{field}: {e}")))?;
        }
    }

    set_or(&mut c.skip_consent, false);
    set_or(&mut c.client_secret_expires_at, 0);
    set_or(&mut c.metadata, serde_json::json!({}));
    present(c);
    // Read-only or dynamic-registration fields are never taken from the caller.
    c.registration_access_token = None;
    c.registration_client_uri = None;
    Ok(())
}

/// Hydra's shape of a client on the wire: which fields are always there (empty strings and lists
/// included) and which are left out when empty. Applied to what is stored and to what is
/// returned, so older stored documents come out in the same shape.
pub fn present(c: &mut OAuth2Client) {
    // Lifespans as Hydra shows them, in Go's duration format (`2m` is `2m0s`), also for clients
    // stored before they were normalised.
    for (_, v) in lifespans_mut(c) {
        if let Some(d) = v
            .as_deref()
            .and_then(|t| crate::config::parse_duration(t).ok())
        {
            *v = Some(crate::config::format_duration(d));
        }
    }
    for list in [
        &mut c.audience,
        &mut c.allowed_cors_origins,
        &mut c.contacts,
        &mut c.redirect_uris,
        &mut c.grant_types,
        &mut c.response_types,
    ] {
        set_or(list, Vec::new());
    }
    for list in [&mut c.post_logout_redirect_uris, &mut c.request_uris] {
        if list.as_ref().is_some_and(Vec::is_empty) {
            *list = None;
        }
    }
    for s in [
        &mut c.client_name,
        &mut c.owner,
        &mut c.client_uri,
        &mut c.logo_uri,
        &mut c.policy_uri,
        &mut c.tos_uri,
        &mut c.scope,
        &mut c.subject_type,
    ] {
        set_or(s, String::new());
    }
    for s in [
        &mut c.jwks_uri,
        &mut c.backchannel_logout_uri,
        &mut c.frontchannel_logout_uri,
        &mut c.sector_identifier_uri,
        &mut c.token_endpoint_auth_signing_alg,
        &mut c.request_object_signing_alg,
        &mut c.access_token_strategy,
    ] {
        if s.as_deref() == Some("") {
            *s = None;
        }
    }
    for b in [
        &mut c.backchannel_logout_session_required,
        &mut c.frontchannel_logout_session_required,
    ] {
        if *b == Some(false) {
            *b = None;
        }
    }
    set_or(&mut c.userinfo_signed_response_alg, "none".into());
}

pub(crate) fn lifespans_mut(c: &mut OAuth2Client) -> [(&'static str, &mut Option<String>); 13] {
    [
        (
            "authorization_code_grant_access_token_lifespan",
            &mut c.authorization_code_grant_access_token_lifespan,
        ),
        (
            "authorization_code_grant_id_token_lifespan",
            &mut c.authorization_code_grant_id_token_lifespan,
        ),
        (
            "authorization_code_grant_refresh_token_lifespan",
            &mut c.authorization_code_grant_refresh_token_lifespan,
        ),
        (
            "client_credentials_grant_access_token_lifespan",
            &mut c.client_credentials_grant_access_token_lifespan,
        ),
        (
            "device_authorization_grant_access_token_lifespan",
            &mut c.device_authorization_grant_access_token_lifespan,
        ),
        (
            "device_authorization_grant_id_token_lifespan",
            &mut c.device_authorization_grant_id_token_lifespan,
        ),
        (
            "device_authorization_grant_refresh_token_lifespan",
            &mut c.device_authorization_grant_refresh_token_lifespan,
        ),
        (
            "implicit_grant_access_token_lifespan",
            &mut c.implicit_grant_access_token_lifespan,
        ),
        (
            "implicit_grant_id_token_lifespan",
            &mut c.implicit_grant_id_token_lifespan,
        ),
        (
            "jwt_bearer_grant_access_token_lifespan",
            &mut c.jwt_bearer_grant_access_token_lifespan,
        ),
        (
            "refresh_token_grant_access_token_lifespan",
            &mut c.refresh_token_grant_access_token_lifespan,
        ),
        (
            "refresh_token_grant_id_token_lifespan",
            &mut c.refresh_token_grant_id_token_lifespan,
        ),
        (
            "refresh_token_grant_refresh_token_lifespan",
            &mut c.refresh_token_grant_refresh_token_lifespan,
        ),
    ]
}

//! Server metadata, listing exactly what this server implements now. One document is served at
//! both `/.well-known/oauth-authorization-server` (RFC 8414) and
//! `/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §3), as RFC 8414 §1 allows.
//!
//! Nothing is listed that is not implemented.

use serde::Serialize;

use crate::config::Config;

const AUTH_METHODS: &[&str] = &[
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
    "none",
];

/// OIDC Core §5.4's scopes, which the built-in consent app releases claims for.
const STANDARD_SCOPES: &[&str] = &["profile", "email", "address", "phone"];

/// The claims of the ID token itself.
const ID_TOKEN_CLAIMS: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "azp",
    "sid",
    "at_hash",
    "c_hash",
];

/// `ours` and then the configured ones, each once.
fn with_configured(ours: impl Iterator<Item = &'static str>, configured: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in ours.map(str::to_owned).chain(configured.iter().cloned()) {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// RFC 8414 §2 metadata.
#[derive(Debug, Serialize, PartialEq)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    /// RFC 8628 §4. Hydra's published schema requires it, so its SDKs cannot read a document
    /// without it.
    pub device_authorization_endpoint: String,
    pub userinfo_endpoint: String,
    /// RP-Initiated Logout 1.0.
    pub end_session_endpoint: String,
    /// OIDC Registration §3 / RFC 7591: only when dynamic registration is enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    pub frontchannel_logout_supported: bool,
    pub frontchannel_logout_session_supported: bool,
    pub backchannel_logout_supported: bool,
    pub backchannel_logout_session_supported: bool,
    pub jwks_uri: String,
    pub revocation_endpoint: String,
    pub response_types_supported: Vec<&'static str>,
    pub response_modes_supported: Vec<&'static str>,
    pub grant_types_supported: Vec<&'static str>,
    /// `openid` and the offline scopes; the standard scopes of OIDC Core §5.4 while the built-in
    /// consent app releases them; `webfinger.oidc_discovery.supported_scope`.
    pub scopes_supported: Vec<String>,
    /// The ID token's own claims; the standard claims while the built-in consent app releases
    /// them; `webfinger.oidc_discovery.supported_claims`.
    pub claims_supported: Vec<String>,
    /// OIDC Discovery §3: the classes the built-in login app asserts, while it signs users in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acr_values_supported: Option<Vec<&'static str>>,
    /// RFC 7636: S256 only (RFC 9700 §2.1.1).
    pub code_challenge_methods_supported: Vec<&'static str>,
    /// RFC 9207: every authorization response carries `iss`.
    pub authorization_response_iss_parameter_supported: bool,
    pub request_parameter_supported: bool,
    pub request_uri_parameter_supported: bool,
    pub claims_parameter_supported: bool,
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    pub token_endpoint_auth_signing_alg_values_supported: Vec<&'static str>,
    /// OIDC: subjects are the same for every client.
    pub subject_types_supported: Vec<&'static str>,
    /// OIDC: the algorithms of the ID token signing keys (`hydra.openid.id-token`).
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// Hydra's: the algorithm ID tokens are signed with now (the newest key's). Required by
    /// Hydra's published schema, so its SDKs cannot read a document without it.
    pub id_token_signed_response_alg: Vec<String>,
    /// Hydra's, required by its schema: userinfo answers are plain JSON (`none`), never signed.
    pub userinfo_signed_response_alg: Vec<&'static str>,
    /// OIDC Discovery §3: userinfo answers are plain JSON.
    pub userinfo_signing_alg_values_supported: Vec<&'static str>,
    /// OIDC Discovery §3 (request objects are not supported; were they, their URIs would have
    /// to be registered).
    pub require_request_uri_registration: bool,
}

impl Metadata {
    /// `id_token_algs`: the algorithms of the keys that sign ID tokens.
    pub fn new(config: &Config, id_token_algs: Vec<String>) -> Self {
        let base = config.public_base();
        let builtin_consent = config.urls.consent.is_none();
        Self {
            issuer: config.urls.self_.issuer.clone(),
            authorization_endpoint: format!("{base}/oauth2/auth"),
            token_endpoint: format!("{base}/oauth2/token"),
            device_authorization_endpoint: format!("{base}/oauth2/device/auth"),
            userinfo_endpoint: format!("{base}/userinfo"),
            end_session_endpoint: format!("{base}/oauth2/sessions/logout"),
            registration_endpoint: config
                .oidc
                .dynamic_client_registration
                .enabled
                .then(|| format!("{base}/oauth2/register")),
            frontchannel_logout_supported: true,
            frontchannel_logout_session_supported: true,
            backchannel_logout_supported: true,
            backchannel_logout_session_supported: true,
            jwks_uri: format!("{base}/.well-known/jwks.json"),
            revocation_endpoint: format!("{base}/oauth2/revoke"),
            response_types_supported: vec![
                "code",
                "id_token",
                "token id_token",
                "code id_token",
                "code token",
                "code id_token token",
                "token",
            ],
            response_modes_supported: vec!["query", "fragment", "form_post"],
            grant_types_supported: vec![
                "authorization_code",
                "implicit",
                "refresh_token",
                "client_credentials",
                crate::oauth::grants::DEVICE_CODE_GRANT,
                crate::oauth::grants::JWT_BEARER_GRANT,
            ],
            scopes_supported: with_configured(
                ["openid", "offline_access", "offline"].into_iter().chain(
                    builtin_consent
                        .then_some(STANDARD_SCOPES)
                        .into_iter()
                        .flatten()
                        .copied(),
                ),
                &config.webfinger.oidc_discovery.supported_scope,
            ),
            claims_supported: with_configured(
                ID_TOKEN_CLAIMS.iter().copied().chain(
                    builtin_consent
                        .then(crate::oidc::claims::standard_claims)
                        .into_iter()
                        .flatten(),
                ),
                &config.webfinger.oidc_discovery.supported_claims,
            ),
            acr_values_supported: config
                .urls
                .login
                .is_none()
                .then(|| crate::users::ACR_VALUES.to_vec()),
            code_challenge_methods_supported: vec!["S256"],
            authorization_response_iss_parameter_supported: true,
            request_parameter_supported: false,
            request_uri_parameter_supported: false,
            // OIDC Core §5.5: checked at the authorization endpoint and honoured by the built-in
            // consent app; an external one reads it from `request_url`, as with Hydra.
            claims_parameter_supported: builtin_consent,
            token_endpoint_auth_methods_supported: AUTH_METHODS.to_vec(),
            revocation_endpoint_auth_methods_supported: AUTH_METHODS.to_vec(),
            token_endpoint_auth_signing_alg_values_supported: vec![
                "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
            ],
            subject_types_supported: config.oidc.subject_identifiers.supported(),
            id_token_signed_response_alg: id_token_algs.iter().take(1).cloned().collect(),
            id_token_signing_alg_values_supported: id_token_algs,
            userinfo_signed_response_alg: vec!["none"],
            userinfo_signing_alg_values_supported: vec!["none"],
            require_request_uri_registration: true,
        }
    }
}

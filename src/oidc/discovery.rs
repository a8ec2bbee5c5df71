//! Authorization server metadata (RFC 8414), listing exactly what this server implements now.
//! `/.well-known/openid-configuration` is served once the server can sign ID tokens and publish
//! its keys: OIDC Discovery §3 requires `jwks_uri` and ID-token signing algorithms, which a
//! truthful document cannot list yet.

use serde::Serialize;

use crate::config::Config;

const AUTH_METHODS: &[&str] = &[
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
    "none",
];

/// RFC 8414 §2 metadata.
#[derive(Debug, Serialize, PartialEq)]
pub struct Metadata {
    pub issuer: String,
    pub token_endpoint: String,
    pub revocation_endpoint: String,
    /// RFC 8414 §2 requires the member; no response type is supported until the authorization
    /// endpoint exists, so the list is empty rather than untrue.
    pub response_types_supported: Vec<&'static str>,
    pub grant_types_supported: Vec<&'static str>,
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    pub token_endpoint_auth_signing_alg_values_supported: Vec<&'static str>,
}

impl Metadata {
    pub fn new(config: &Config) -> Self {
        let base = config.public_base();
        Self {
            issuer: config.urls.self_.issuer.clone(),
            token_endpoint: format!("{base}/oauth2/token"),
            revocation_endpoint: format!("{base}/oauth2/revoke"),
            response_types_supported: vec![],
            grant_types_supported: vec!["client_credentials"],
            token_endpoint_auth_methods_supported: AUTH_METHODS.to_vec(),
            revocation_endpoint_auth_methods_supported: AUTH_METHODS.to_vec(),
            token_endpoint_auth_signing_alg_values_supported: vec![
                "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
            ],
        }
    }
}

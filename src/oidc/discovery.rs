//! Server metadata, listing exactly what this server implements now. One document is served at
//! both `/.well-known/oauth-authorization-server` (RFC 8414) and
//! `/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §3), as RFC 8414 §1 allows.
//!
//! Until the authorization endpoint exists, `authorization_endpoint` is left out and
//! `response_types_supported` is empty: OIDC Discovery requires both, but a client that finds them
//! missing fails early and plainly, where an advertised endpoint that answers 404 would fail late.

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
    pub jwks_uri: String,
    pub revocation_endpoint: String,
    /// RFC 8414 §2 requires the member; no response type is supported until the authorization
    /// endpoint exists, so the list is empty rather than untrue.
    pub response_types_supported: Vec<&'static str>,
    pub grant_types_supported: Vec<&'static str>,
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    pub token_endpoint_auth_signing_alg_values_supported: Vec<&'static str>,
    /// OIDC: subjects are the same for every client.
    pub subject_types_supported: Vec<&'static str>,
    /// OIDC: the algorithms of the ID token signing keys (`hydra.openid.id-token`).
    pub id_token_signing_alg_values_supported: Vec<String>,
}

impl Metadata {
    /// `id_token_algs`: the algorithms of the keys that sign ID tokens.
    pub fn new(config: &Config, id_token_algs: Vec<String>) -> Self {
        let base = config.public_base();
        Self {
            issuer: config.urls.self_.issuer.clone(),
            token_endpoint: format!("{base}/oauth2/token"),
            jwks_uri: format!("{base}/.well-known/jwks.json"),
            revocation_endpoint: format!("{base}/oauth2/revoke"),
            response_types_supported: vec![],
            grant_types_supported: vec!["client_credentials"],
            token_endpoint_auth_methods_supported: AUTH_METHODS.to_vec(),
            revocation_endpoint_auth_methods_supported: AUTH_METHODS.to_vec(),
            token_endpoint_auth_signing_alg_values_supported: vec![
                "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
            ],
            subject_types_supported: vec!["public"],
            id_token_signing_alg_values_supported: id_token_algs,
        }
    }
}

//! Hydra's trust relationship shapes for the JWT-bearer grant (RFC 7523 §2.1):
//! `trustOAuth2JwtGrantIssuer` in, `trustedOAuth2JwtGrantIssuer` out.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use serde::{Deserialize, Serialize};

use super::JsonWebKey;

/// A trust relationship to create: assertions from `issuer` about `subject` (or any subject),
/// signed with `jwk`, may be exchanged for access tokens within `scope` until `expires_at`.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[oai(rename = "trustOAuth2JwtGrantIssuer")]
pub struct TrustOAuth2JwtGrantIssuer {
    /// The assertions' issuer (their `iss` claim).
    pub issuer: String,
    /// The one subject (`sub` claim) the issuer may assert; leave it out with
    /// `allow_any_subject`.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The issuer may assert any subject.
    #[oai(default)]
    #[serde(default)]
    pub allow_any_subject: bool,
    /// The scopes (RFC 6749 §3.3) an assertion may be exchanged for.
    #[oai(default)]
    #[serde(default)]
    pub scope: Vec<String>,
    /// The issuer's public key (its `kid` is the assertions' `kid` header). Only public
    /// parameters are kept.
    pub jwk: JsonWebKey,
    /// When the relationship ends: assertions are refused from then on.
    pub expires_at: DateTime<Utc>,
}

/// The key of a trust relationship: its set is the issuer.
#[derive(Debug, Clone, Object, Serialize, Deserialize, PartialEq)]
#[oai(rename = "trustedOAuth2JwtGrantJsonWebKey")]
pub struct TrustedOAuth2JwtGrantJsonWebKey {
    /// The key set: the issuer.
    pub set: String,
    /// The key id.
    pub kid: String,
}

/// A trust relationship of the JWT-bearer grant.
#[derive(Debug, Clone, Object, Serialize, Deserialize, PartialEq)]
#[oai(rename = "trustedOAuth2JwtGrantIssuer")]
pub struct TrustedOAuth2JwtGrantIssuer {
    pub id: String,
    pub issuer: String,
    /// Empty when any subject is allowed.
    pub subject: String,
    pub allow_any_subject: bool,
    pub scope: Vec<String>,
    pub public_key: TrustedOAuth2JwtGrantJsonWebKey,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

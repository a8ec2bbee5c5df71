//! `oidc.*` and `webfinger.*`: subject identifiers, dynamic client registration, what discovery
//! adds.

use super::*;

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

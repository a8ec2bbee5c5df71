//! The OAuth 2.0 core (RFC 6749 and friends) with no HTTP types: request parameters, client
//! authentication, grants, introspection and revocation. The HTTP layer parses a request into
//! these types, calls in, and renders the outcome.

pub mod access_token;
pub mod assertion;
pub mod authorize;
pub mod client_auth;
pub mod device;
pub mod error;
pub mod grants;
pub mod hook;
pub mod introspect;
pub mod mint;
pub mod params;
pub mod revoke;
pub mod scope;

use std::sync::Arc;

use crate::{clock::Clock, config::Config, crypto::secret_cache::SecretCache, storage::TokenStore};

pub use error::{ErrorCode, OAuthError};

/// Everything the OAuth endpoints share.
#[derive(Debug)]
pub struct OAuthCore {
    pub(crate) config: Config,
    pub(crate) clients: Arc<crate::clients::cache::ClientCache>,
    pub(crate) tokens: Arc<dyn TokenStore>,
    /// RFC 8628 device authorizations.
    pub(crate) devices: Arc<dyn crate::storage::DeviceStore>,
    /// The JWT-bearer grant's trust relationships (read per request: a deleted one holds on
    /// every node at once).
    pub(crate) trusts: Arc<dyn crate::storage::TrustStore>,
    /// Wrong user codes tried at the device verification step.
    pub(crate) device_attempts: crate::flows::device::Attempts,
    /// Completed flows and remembered logins.
    pub(crate) flows: Arc<dyn crate::storage::FlowStore>,
    /// The token cache itself, for write-through of codes stored with their flow.
    pub(crate) token_cache: Option<Arc<crate::storage::token_cache::TokenCache>>,
    /// Makes and recognises tokens (it owns the HMAC signer and the signing keys).
    pub(crate) issuer: mint::Issuer,
    /// Seals flows in progress into their challenges and verifiers.
    pub(crate) sealer: crate::crypto::seal::Sealer,
    pub(crate) secrets: SecretCache,
    pub(crate) clock: Arc<dyn Clock>,
    /// Fetches what clients registered by URL (`jwks_uri`; back-channel logout).
    pub(crate) outbound: Arc<crate::outbound::Outbound>,
}

impl std::fmt::Debug for dyn crate::storage::FlowStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FlowStore")
    }
}

impl std::fmt::Debug for dyn crate::storage::TrustStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TrustStore")
    }
}

impl std::fmt::Debug for dyn crate::storage::DeviceStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceStore")
    }
}

impl std::fmt::Debug for dyn TokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenStore")
    }
}

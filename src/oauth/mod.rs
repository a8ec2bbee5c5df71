//! The OAuth 2.0 core (RFC 6749 and friends) with no HTTP types: request parameters, client
//! authentication, grants, introspection and revocation. The HTTP layer parses a request into
//! these types, calls in, and renders the outcome.
//!
//! The core is services, each owning its state and holding the others it uses: the
//! [`client_auth::Authenticator`], the [`tokens::Tokens`] (issuer, token store, revocation), the
//! [`grants::TokenEndpoint`] (one value per grant, each built from the services it uses),
//! [`introspect::Introspector`] and [`device::DeviceAuthorization`]. [`Services`] is the plain
//! bundle the wiring (`app::state`) fills once and hands to the constructors.

pub mod access_token;
pub mod assertion;
pub mod authorize;
pub mod client_auth;
pub mod context;
pub mod device;
pub mod grants;
pub mod hook;
pub mod introspect;
pub mod jti;
pub mod mint;
pub mod params;
pub mod revoke;
pub mod scope;
pub mod tokens;

use std::sync::Arc;

pub use crate::error::{ErrorCode, OAuthError};
use crate::{
    clients::cache::ClientCache,
    clock::Clock,
    config::Config,
    crypto::seal::Sealer,
    outbound::Outbound,
    storage::{DeviceStore, FlowStore, TrustStore},
};

/// What the protocol's services are built from. Only wiring code fills it; each constructor
/// takes what it uses and keeps nothing else.
#[derive(Clone)]
pub struct Services {
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    /// The client registry's cache.
    pub clients: Arc<ClientCache>,
    pub auth: Arc<client_auth::Authenticator>,
    pub tokens: Arc<tokens::Tokens>,
    /// `jti`s seen (client assertions, JWT-bearer grants).
    pub jtis: jti::Jtis,
    /// Completed flows and remembered logins.
    pub flows: Arc<dyn FlowStore>,
    /// RFC 8628 device authorizations.
    pub devices: Arc<dyn DeviceStore>,
    /// The JWT-bearer grant's trust relationships (read per request: a deleted one holds on
    /// every node at once).
    pub trusts: Arc<dyn TrustStore>,
    /// Seals flows in progress into their challenges and verifiers.
    pub sealer: Arc<Sealer>,
    /// Fetches what clients registered by URL (`jwks_uri`; back-channel logout).
    pub outbound: Arc<Outbound>,
}

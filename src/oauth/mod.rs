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
    coherence::Coherence,
    config::Config,
    crypto::seal::Sealer,
    keys::KeyService,
    outbound::Outbound,
    storage::{
        Db, DeviceStore, FlowStore, TrustStore, flow_cache::FlowCache, token_cache::TokenCache,
    },
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

impl Services {
    /// Builds the bundle over `db`, its caches owned by `owner` (the wiring of `app::state`, and
    /// of the unit tests).
    pub fn wire(
        config: &Config,
        db: &Db,
        clock: Arc<dyn Clock>,
        owner: Arc<Coherence>,
        clients: Arc<ClientCache>,
        keys: Arc<KeyService>,
        outbound: Arc<Outbound>,
    ) -> Self {
        let config_arc = Arc::new(config.clone());
        let token_cache = TokenCache::new(db.token_store(), owner.clone());
        let jtis = jti::Jtis::new(token_cache.clone());
        let issuer = mint::Issuer::new(config_arc.clone(), keys, clock.clone(), outbound.clone());
        Self {
            auth: Arc::new(client_auth::Authenticator::new(
                config_arc.clone(),
                clock.clone(),
                clients.clone(),
                jtis.clone(),
                outbound.clone(),
            )),
            tokens: Arc::new(tokens::Tokens::new(
                issuer,
                token_cache.clone(),
                Some(token_cache),
                clock.clone(),
            )),
            jtis,
            clients,
            flows: Arc::new(FlowCache::new(db.flow_store(), owner)),
            devices: db.device_store(),
            trusts: db.trust_store(),
            sealer: Arc::new(Sealer::new(&config.secrets.system)),
            config: config_arc,
            clock,
            outbound,
        }
    }
}

/// What the unit tests of the protocol build on.
#[cfg(test)]
pub(crate) mod testing {
    use std::sync::Arc;

    use super::Services;
    use crate::{
        clients::{ClientService, Registration, cache::ClientCache},
        clock::ManualClock,
        coherence::Coherence,
        config::{Config, Secret},
        crypto::seal::Sealer,
        keys::KeyService,
        outbound::{Guard, Outbound},
        storage::Db,
        wire::OAuth2Client,
    };

    /// The services over a fresh in-memory database, on `clock`; with the client registry to
    /// register clients through, and the database (kept alive beside them).
    pub async fn services(clock: Arc<ManualClock>) -> (Services, ClientService, Db) {
        let mut config = Config::default();
        config.secrets.system = vec![Secret("unit-test-secret-0123456789abcdef".into())];
        config.urls.self_.issuer = "https://op.example/".into();
        let db = Db::connect("memory").await.expect("an in-memory database");
        crate::storage::migrate::up(&db).await.expect("migrated");
        let owner = Arc::new(Coherence::new(true, clock.clone(), db.changes.node()));
        db.keep_coherent(&owner);
        let clients = Arc::new(ClientCache::new(db.client_store(), owner.clone()));
        let outbound = Arc::new(Outbound::new(Guard::of(&config)));
        let keys = Arc::new(KeyService::new(
            db.key_store(),
            Sealer::new(&config.secrets.system),
            clock.clone(),
            owner.clone(),
        ));
        let registry = ClientService::new(
            clients.clone(),
            clock.clone(),
            Registration::of(&config, outbound.clone()),
        );
        let s = Services::wire(&config, &db, clock, owner, clients, keys, outbound);
        (s, registry, db)
    }

    /// Registers a client from its JSON metadata.
    pub async fn client(registry: &ClientService, metadata: serde_json::Value) {
        let c: OAuth2Client = serde_json::from_value(metadata).expect("client metadata");
        registry.create(c).await.expect("registered");
    }
}

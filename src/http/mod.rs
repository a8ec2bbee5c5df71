//! The HTTP layer: poem and poem-openapi adapters only. Handlers parse requests into typed values,
//! call the core, and render its outcome; no protocol logic lives here.

pub mod admin;
pub mod authorize;
pub mod cors;
pub mod error;
mod middleware;
pub mod oauth;
pub mod payload;
pub mod public;
pub mod register;
pub mod tls;
pub mod ui;

use std::sync::Arc;

use crate::{clients::ClientService, config::Config, storage::Db};

pub use error::{error_json, uncaught};
pub use middleware::{
    BodyLimit, NO_CACHE, admin_auth, legacy_admin_paths, no_cache_by_default, request_log,
};

/// Everything a handler may need, shared by both listeners.
#[derive(Debug)]
pub struct AppState {
    pub config: Config,
    pub db: Db,
    pub clients: ClientService,
    /// The JWT-bearer grant's trust relationships.
    pub trust: crate::trust::TrustService,
    pub clock: Arc<dyn crate::clock::Clock>,
    /// The protocol's services (see [`crate::oauth`] and [`crate::flows`]).
    pub tokens: Arc<crate::oauth::tokens::Tokens>,
    pub token_endpoint: crate::oauth::grants::TokenEndpoint,
    pub revocation: crate::oauth::revoke::Revocation,
    pub introspector: crate::oauth::introspect::Introspector,
    pub device_authorization: Arc<crate::oauth::device::DeviceAuthorization>,
    pub flows: Arc<crate::flows::Flows>,
    pub sessions: crate::flows::sessions::Sessions,
    pub userinfo: crate::provider::userinfo::Userinfo,
    /// JSON Web Key sets (the admin API, `jwks.json`, discovery's algorithms).
    pub keys: Arc<crate::keys::KeyService>,
    /// The built-in login app's users.
    pub users: Arc<crate::users::UserService>,
}

pub type State = Arc<AppState>;

/// The version every `/version` endpoint reports.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1; the scheme in any case).
pub fn bearer_token(req: &poem::Request) -> Option<&str> {
    let v = req
        .headers()
        .get(poem::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Reads a cookie from the request's `Cookie` headers.
pub fn read_cookie(req: &poem::Request, name: &str) -> Option<String> {
    req.headers()
        .get_all(poem::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The key the limits count the caller's address under ([`crate::limits::address_key`]); the
/// peer address of the connection (no forwarding header is trusted).
pub fn client_address(req: &poem::Request) -> String {
    req.remote_addr()
        .as_socket_addr()
        .map(|a| crate::limits::address_key(a.ip()))
        .unwrap_or_default()
}

/// `GET /admin/metrics/prometheus` (Hydra's path; behind the admin API keys when they are set).
/// The body is OpenMetrics text; a scraper that does not ask for OpenMetrics gets it labelled as
/// Prometheus' classic text format, which reads it alike.
#[poem::handler]
pub async fn metrics(req: &poem::Request, state: poem::web::Data<&State>) -> poem::Response {
    let body = crate::metrics::metrics().render(Some(state.db.pool_stats()));
    let openmetrics = req
        .header(poem::http::header::ACCEPT)
        .is_some_and(|a| a.contains("application/openmetrics-text"));
    let content_type = if openmetrics {
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    } else {
        "text/plain; version=0.0.4; charset=utf-8"
    };
    poem::Response::builder()
        .content_type(content_type)
        .body(body)
}

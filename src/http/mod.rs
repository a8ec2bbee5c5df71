//! The HTTP layer: poem and poem-openapi adapters only. Handlers parse requests into typed values,
//! call the core, and render its outcome; no protocol logic lives here.

pub mod admin;
pub mod admin_flows;
pub mod authorize;
mod middleware;
pub mod oauth;
pub mod payload;
pub mod public;
pub mod tls;
pub mod ui;

use std::sync::Arc;

use crate::{clients::ClientService, config::Config, storage::Db};

pub use middleware::{
    BodyLimit, admin_error_response, error_json, legacy_admin_paths, request_log,
};

/// Everything a handler may need, shared by both listeners.
#[derive(Debug)]
pub struct AppState {
    pub config: Config,
    pub db: Db,
    pub clients: ClientService,
    pub oauth: crate::oauth::OAuthCore,
    /// The built-in login app's users.
    pub users: Arc<crate::users::UserService>,
}

pub type State = Arc<AppState>;

/// The version every `/version` endpoint reports.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

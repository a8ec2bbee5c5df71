//! The built-in login, consent, logout and device app under `/ui/` on the public listener: askama pages
//! that use only the login/consent/logout challenge operations (here in-process), as an external
//! app would use the admin API.
//!
//! The app keeps a session of its own (tower-sessions' `Session` over our database through
//! [`with_session`], a small poem middleware): it holds the browser's CSRF secret, and its id
//! changes at sign-in. Every form carries a CSRF token: an HMAC (under `secrets.cookie`) of that
//! secret and the form's challenge, so a token is good for one browser session and one flow only.
//! "Remember me" is Latchkey's own login session, not this one. Pages run no script and may not be
//! framed.
//!
//! One file per concern: [`session`] (the app's session), [`csrf`] (tokens and forms), [`pages`]
//! (rendering, messages, assets), the pages themselves ([`login`], [`consent`], [`logout`],
//! [`device`]), and [`vouch`] (what the app vouches for: acr levels, consent sessions).

mod consent;
mod csrf;
mod device;
mod login;
mod logout;
mod pages;
mod session;
mod vouch;

pub use consent::{consent_page, consent_submit};
pub use device::{device_done, device_page, device_submit};
pub use login::{login_page, login_submit};
pub use logout::{logout_page, logout_submit, signed_out};
pub use pages::asset;
pub use session::with_session;
use {csrf::*, pages::*, session::*};

use askama::Template;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use poem::{
    Body, Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Query},
};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Sha256;

use super::read_cookie;
use crate::{
    error::AdminError,
    flows::api::ChallengeApi,
    wire::{AcceptOAuth2ConsentRequest, AcceptOAuth2LoginRequest, RejectOAuth2Request},
};

/// Where the app is mounted on the public listener.
pub const BASE: &str = "/ui";

/// What the app needs: the challenge API (in process or over HTTP), its users, and its keys.
pub struct UiState {
    pub api: std::sync::Arc<dyn ChallengeApi>,
    pub users: std::sync::Arc<crate::users::UserService>,
    /// CSRF keys (`secrets.cookie`, else `secrets.system`); the first signs, all verify.
    pub csrf_keys: Vec<Vec<u8>>,
    /// Cookies get `Secure` (the app is served over HTTPS).
    pub secure: bool,
    /// The path the app is mounted at: `/ui`, or empty at the root (`serve ui`).
    pub base: &'static str,
    /// The app's own sessions (they hold the CSRF secret; the id changes at sign-in).
    pub sessions: std::sync::Arc<crate::storage::ui_sessions::UiSessionStore>,
}

impl UiState {
    pub fn new(
        api: std::sync::Arc<dyn ChallengeApi>,
        users: std::sync::Arc<crate::users::UserService>,
        sessions: crate::storage::ui_sessions::UiSessionStore,
        config: &crate::config::Config,
        secure: bool,
        base: &'static str,
    ) -> Self {
        let secrets = if config.secrets.cookie.is_empty() {
            &config.secrets.system
        } else {
            &config.secrets.cookie
        };
        Self {
            api,
            users,
            csrf_keys: secrets.iter().map(|s| s.0.as_bytes().to_vec()).collect(),
            secure,
            base,
            sessions: std::sync::Arc::new(sessions),
        }
    }
}

type State = std::sync::Arc<UiState>;
const SESSION_COOKIE: &str = "latchkey_ui_session";
/// The app's session lives this long after its last change.
const SESSION_TTL: time::Duration = time::Duration::hours(12);

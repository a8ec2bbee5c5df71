//! The login → consent state machine behind the authorization endpoint, the device grant and
//! Hydra's challenge API. [`engine`] holds the steps every flow takes; [`endpoint`] (the
//! authorization request) and [`device`] (RFC 8628) start flows and answer their ends.
//!
//! A flow in progress is never stored. Its whole state ([`FlowState`]) travels sealed (AEAD under
//! `secrets.system`, see [`crate::crypto::seal`]) inside the challenge or verifier of the current
//! step, each step under its own context, so a login challenge cannot be replayed as a consent
//! verifier. A step's output is a new sealed value; the state is written to the database once,
//! when consent completes ([`crate::storage::FlowStore::complete_flow`]), which is also what makes
//! a consent verifier single-use: its flow id is the primary key.
//!
//! ```text
//! /oauth2/auth ──login_challenge──▶ login app ── PUT …/login/accept ──▶ redirect_to
//!   (login_verifier) ──consent_challenge──▶ consent app ── PUT …/consent/accept ──▶ redirect_to
//!   (consent_verifier) ──▶ flow stored, code/tokens ──▶ client's redirect URI
//! ```
//!
//! Each step sets a CSRF cookie whose value is also sealed into the flow; the verifier is only
//! honoured in the browser that carries it (a flow cannot be finished in a victim's browser).

pub mod admin;
pub mod api;
pub mod device;
pub mod endpoint;
pub mod engine;
pub mod logout;
pub mod sessions;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use std::sync::Arc;

use crate::{
    clients::cache::ClientCache,
    clock::Clock,
    config::Config,
    crypto::seal::Sealer,
    oauth::{
        ErrorCode, OAuthError, Services, authorize::Authorization, device::DeviceAuthorization,
        tokens::Tokens,
    },
    outbound::Outbound,
    storage::{DeviceStore, FlowStore},
    wire::{ConsentSessionData, OidcContext},
};

/// The flow engine and everything that drives it: the authorization endpoint, device
/// verification, Hydra's challenge API, logout. It owns the flow store and the device attempt
/// counters; it holds the protocol services a completed flow needs.
#[derive(Debug)]
pub struct Flows {
    config: Arc<Config>,
    clock: Arc<dyn Clock>,
    sealer: Arc<Sealer>,
    /// Completed flows and remembered logins.
    flows: Arc<dyn FlowStore>,
    clients: Arc<ClientCache>,
    tokens: Arc<Tokens>,
    /// The authorization request's checks (see [`crate::oauth::authorize`]).
    authorization: Authorization,
    devices: Arc<dyn DeviceStore>,
    device_authorization: Arc<DeviceAuthorization>,
    /// Wrong user codes tried at the device verification step.
    device_attempts: device::Attempts,
    outbound: Arc<Outbound>,
    /// Logout verifiers used already (each ends a session once).
    jtis: crate::oauth::jti::Jtis,
}

impl Flows {
    pub fn new(s: &Services, device_authorization: Arc<DeviceAuthorization>) -> Self {
        Self {
            config: s.config.clone(),
            clock: s.clock.clone(),
            sealer: s.sealer.clone(),
            flows: s.flows.clone(),
            clients: s.clients.clone(),
            tokens: s.tokens.clone(),
            authorization: Authorization::new(s),
            devices: s.devices.clone(),
            device_authorization,
            device_attempts: device::Attempts::new(
                s.clock.clone(),
                s.config.ttl.login_consent_request.get(),
            ),
            outbound: s.outbound.clone(),
            jtis: s.jtis.clone(),
        }
    }
}

/// The authentication session cookie: a secret of its own (256 random bits) that opens one
/// remembered login session. Only its SHA-256 digest is stored; it is never the session's id,
/// which is the `sid` that ID tokens, logout tokens and front-channel logout URLs publish.
pub const SESSION_COOKIE: &str = "latchkey_authentication_session";

/// A new authentication session cookie value and the digest to store for it.
pub(crate) fn new_session_cookie() -> (String, String) {
    let value = crate::crypto::random_token(32);
    let digest = session_cookie_digest(&value).unwrap_or_default();
    (value, digest)
}

/// The stored digest of an authentication session cookie value, or `None` when the value is not
/// one this server makes (43 base64url characters), so that nothing else is looked up.
pub(crate) fn session_cookie_digest(value: &str) -> Option<String> {
    use sha2::{Digest, Sha256};
    (value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    .then(|| crate::crypto::hex(&Sha256::digest(value.as_bytes())))
}

/// What a sealed value is: each step's value opens only as that step's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    LoginChallenge,
    LoginVerifier,
    ConsentChallenge,
    ConsentVerifier,
    LogoutChallenge,
    LogoutVerifier,
    DeviceChallenge,
    DeviceVerifier,
}

impl Stage {
    fn context(self) -> &'static [u8] {
        match self {
            Self::LoginChallenge => b"latchkey/flow/login_challenge",
            Self::LoginVerifier => b"latchkey/flow/login_verifier",
            Self::ConsentChallenge => b"latchkey/flow/consent_challenge",
            Self::ConsentVerifier => b"latchkey/flow/consent_verifier",
            Self::LogoutChallenge => b"latchkey/flow/logout_challenge",
            Self::LogoutVerifier => b"latchkey/flow/logout_verifier",
            Self::DeviceChallenge => b"latchkey/flow/device_challenge",
            Self::DeviceVerifier => b"latchkey/flow/device_verifier",
        }
    }
}

/// How the login app answered.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct HandledLogin {
    pub subject: String,
    pub remember: bool,
    pub remember_for: i64,
    pub acr: Option<String>,
    pub amr: Option<Vec<String>>,
    pub context: Option<Value>,
    pub extend_session_lifespan: bool,
    pub force_subject_identifier: Option<String>,
    /// Milliseconds since the epoch.
    pub authenticated_at: i64,
}

/// How the consent app answered.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct HandledConsent {
    pub grant_scope: Vec<String>,
    pub grant_audience: Vec<String>,
    pub remember: bool,
    pub remember_for: i64,
    pub session: ConsentSessionData,
    pub context: Option<Value>,
    pub handled_at: i64,
}

/// A login or consent app's refusal, passed on to the client.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Denied {
    pub error: String,
    pub description: String,
}

impl Denied {
    pub fn to_error(&self) -> OAuthError {
        OAuthError::new(
            ErrorCode::parse(&self.error).unwrap_or(ErrorCode::AccessDenied),
            self.description.clone(),
        )
    }
}

/// Everything about a flow in progress; sealed into challenges and verifiers.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FlowState {
    /// The flow's id: the consent request id, and the request id of its tokens.
    pub id: String,
    /// What started the flow (and how it ends).
    #[serde(default)]
    pub starter: engine::Starter,
    pub client_id: String,
    /// Where the verifiers return: the authorization request as the browser made it (a verifier
    /// only completes the request with the same parameters), or the device verification URL.
    pub request_url: String,
    pub requested_scope: Vec<String>,
    pub requested_audience: Vec<String>,
    pub oidc_context: Option<OidcContext>,
    /// Milliseconds since the epoch.
    pub requested_at: i64,
    /// The login session (`sid`): the remembered one when skipping, otherwise a new id.
    pub session_id: String,
    pub login_skip: bool,
    /// The remembered subject when `login_skip`.
    pub subject: String,
    /// When the remembered session authenticated, when `login_skip`.
    pub session_auth_time: Option<i64>,
    pub login_csrf: String,
    pub login: Option<HandledLogin>,
    pub consent_csrf: String,
    pub consent_skip: bool,
    pub consent: Option<HandledConsent>,
    pub denied: Option<Denied>,
}

/// A cookie for the HTTP layer to set (or delete, with `max_age` 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetCookie {
    pub name: String,
    pub value: String,
    pub max_age: i64,
}

impl SetCookie {
    pub fn delete(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: String::new(),
            max_age: 0,
        }
    }
}

/// The per-client CSRF cookie names: a flow of one client does not clobber another's.
pub fn csrf_cookie(kind: &str, client_id: &str) -> String {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(client_id.as_bytes());
    let suffix: String = h[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("latchkey_{kind}_csrf_{suffix}")
}

/// Whether the browser presented the CSRF cookie value sealed into a step (compared in constant
/// time; an empty expected value never matches): a step's verifier is honoured only in the
/// browser that started the step.
pub(crate) fn same_browser(presented: Option<String>, expected: &str) -> bool {
    !expected.is_empty()
        && crate::crypto::constant_time_eq(
            presented.unwrap_or_default().as_bytes(),
            expected.as_bytes(),
        )
}

/// 128 random bits, hex.
pub fn random_hex() -> String {
    let mut b = [0u8; 16];
    // getrandom only fails without an OS RNG; a zero value would then fail every CSRF check.
    let _ = getrandom::fill(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl Flows {
    /// Seals a flow's state for a stage.
    pub fn seal_flow<T: Serialize>(&self, stage: Stage, flow: &T) -> Result<String, OAuthError> {
        let json = serde_json::to_vec(flow).map_err(OAuthError::server)?;
        self.sealer
            .seal(stage.context(), &json)
            .map_err(OAuthError::server)
    }

    /// Opens a stage's sealed flow; `None` when it is not one (wrong stage, forged, other
    /// server's secret).
    pub fn open_flow<T: serde::de::DeserializeOwned>(
        &self,
        stage: Stage,
        sealed: &str,
    ) -> Option<T> {
        let plain = self.sealer.open(stage.context(), sealed).ok()?;
        serde_json::from_slice(&plain).ok()
    }

    /// Whether a flow's time for login and consent has run out (`ttl.login_consent_request`).
    pub fn flow_expired(&self, flow: &FlowState) -> bool {
        let ttl = self.config.ttl.login_consent_request.get();
        self.clock.now().timestamp_millis() > flow.requested_at + ttl.as_millis() as i64
    }
}

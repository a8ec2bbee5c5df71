//! The device authorization endpoint (RFC 8628 §3.1–3.2): a device (a TV, a CLI) asks for a
//! device code, which it polls the token endpoint with, and a short user code, which the user
//! enters at the verification URI on another screen. User codes follow §6.1: drawn uniformly
//! from an alphabet without look-alikes (by default RFC 8628's base-20 consonants, 8 characters,
//! shown as `WDJB-MJHT`), entered in any case, with or without dashes and spaces; they are stored
//! only as a keyed digest. How many wrong codes may be tried is in [`crate::flows::device`].

use std::sync::Arc;

use serde::Serialize;

use super::{
    ErrorCode, OAuthError, Services, client_auth::Authenticator, context::Unauthenticated,
    grants::DEVICE_CODE_GRANT, scope, tokens::Tokens,
};
use crate::{
    clock::Clock,
    config::Config,
    storage::{DeviceState, DeviceStore, StoreError, StoredDevice},
};

/// Domain separation for user-code digests.
const USER_CODE: &str = "latchkey/device/user_code";
/// RFC 8628 §3.5: every `slow_down` adds five seconds to the interval.
pub const SLOW_DOWN_MS: i64 = 5_000;
/// The public path of the verification URI (Hydra's).
pub const VERIFY_PATH: &str = "/oauth2/device/verify";

/// RFC 8628 §3.2 device authorization response.
#[derive(Debug, Serialize)]
pub struct DeviceAuthorizationResponse {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: i64,
}

/// A user code as entered, made comparable: upper case, without dashes or white space.
pub fn normalize_user_code(entered: &str) -> String {
    entered
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

/// A user code as shown: in groups of four (or three) joined by dashes.
fn display_user_code(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    let group = match chars.len() {
        n if n % 4 == 0 && n > 4 => 4,
        n if n % 3 == 0 && n > 3 => 3,
        _ => return code.to_owned(),
    };
    chars
        .chunks(group)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Device authorizations: started at `POST /oauth2/device/auth`, found again by user code.
#[derive(Debug)]
pub struct DeviceAuthorization {
    auth: Arc<Authenticator>,
    tokens: Arc<Tokens>,
    devices: Arc<dyn DeviceStore>,
    clock: Arc<dyn Clock>,
    config: Arc<Config>,
}

impl DeviceAuthorization {
    pub fn new(s: &Services) -> Self {
        Self {
            auth: s.auth.clone(),
            tokens: s.tokens.clone(),
            devices: s.devices.clone(),
            clock: s.clock.clone(),
            config: s.config.clone(),
        }
    }

    /// `POST /oauth2/device/auth`: authenticates the client (public clients name themselves with
    /// `client_id`), checks that it may use the device grant and the scopes and audiences it asks
    /// for, and stores a new device authorization.
    pub async fn device_authorization(
        &self,
        authorization: Option<&str>,
        body: &[u8],
    ) -> Result<DeviceAuthorizationResponse, OAuthError> {
        let req = Unauthenticated::parse(authorization, body, &["audience"])?
            .authenticate(&self.auth)
            .await?;
        let (form, client) = (&req.form, &req.client);
        if !client.has_grant(DEVICE_CODE_GRANT) {
            return Err(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                format!("The client is not allowed to use the {DEVICE_CODE_GRANT} grant type."),
            ));
        }
        // RFC 6749 §3.3: a set of scopes; a repeated one counts once.
        let mut scope: Vec<String> = Vec::new();
        for s in form.get("scope").unwrap_or_default().split(' ') {
            if !s.is_empty() && !scope.iter().any(|have| have == s) {
                scope.push(s.to_owned());
            }
        }
        let audience = form.list("audience");
        scope::check_scope_and_audience(&self.config.strategies.scope, client, &scope, &audience)?;
        let config = &self.config;
        let ttl = config.ttl.device_user_code.get();
        let interval = config
            .oauth2
            .device_authorization
            .token_polling_interval
            .get();
        let (length, alphabet) = config.oauth2.device_authorization.user_code.alphabet();
        let now = self.clock.now().timestamp_millis();
        // A user code may collide with a live one (the digest is unique): draw again.
        for _ in 0..5 {
            let device = self.tokens.issuer().mint_device_code()?;
            let user_code = crate::crypto::random_chars(&alphabet, length);
            let digest = self
                .tokens
                .issuer()
                .digests(USER_CODE, &user_code)
                .into_iter()
                .next()
                .ok_or_else(|| OAuthError::server("no system secret"))?;
            let stored = StoredDevice {
                signature: device.signature,
                user_code: digest,
                request_id: uuid::Uuid::now_v7().simple().to_string(),
                client_id: client.id.clone(),
                scope: scope.clone(),
                audience: audience.clone(),
                state: DeviceState::Pending,
                interval_ms: interval.as_millis() as i64,
                polled_at: 0,
                requested_at: now,
                expires_at: now + ttl.as_millis() as i64,
            };
            match self.devices.create_device(&stored).await {
                Ok(()) => {}
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
            let shown = display_user_code(&user_code);
            let verification_uri = format!("{}{VERIFY_PATH}", config.public_base());
            return Ok(DeviceAuthorizationResponse {
                device_code: device.token,
                verification_uri_complete: crate::query::with_param(
                    &verification_uri,
                    "user_code",
                    &shown,
                ),
                verification_uri,
                user_code: shown,
                expires_in: ttl.as_secs() as i64,
                interval: interval.as_secs().max(1) as i64,
            });
        }
        Err(OAuthError::server(
            "five user codes in a row collided: the user code alphabet is too small",
        ))
    }

    /// The pending, unexpired device authorization a user code names, if any.
    pub async fn pending_device(&self, entered: &str) -> Result<Option<StoredDevice>, OAuthError> {
        let code = normalize_user_code(entered);
        if code.is_empty() || code.len() > 64 {
            return Ok(None);
        }
        let now = self.clock.now().timestamp_millis();
        Ok(self
            .devices
            .device_by_user_code(&self.tokens.issuer().digests(USER_CODE, &code))
            .await?
            .filter(|d| d.state == DeviceState::Pending && d.expires_at > now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_are_entered_loosely_and_shown_in_groups() {
        assert_eq!(normalize_user_code(" wdjb-mjht "), "WDJBMJHT");
        assert_eq!(normalize_user_code("WD JB\tMJ-HT"), "WDJBMJHT");
        assert_eq!(display_user_code("WDJBMJHT"), "WDJB-MJHT");
        assert_eq!(display_user_code("123456789"), "123-456-789");
        assert_eq!(display_user_code("ABCDEFG"), "ABCDEFG");
        assert_eq!(
            normalize_user_code(&display_user_code("123456789")),
            "123456789"
        );
    }

    #[test]
    fn user_codes_use_the_whole_alphabet_and_nothing_else() {
        let alphabet: Vec<char> = "BCDFGHJKLMNPQRSTVWXZ".chars().collect();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let c = crate::crypto::random_chars(&alphabet, 8);
            assert_eq!(c.chars().count(), 8);
            seen.extend(c.chars());
        }
        assert_eq!(seen.len(), alphabet.len());
        assert!(seen.iter().all(|c| alphabet.contains(c)));
    }
}

//! The browser's side of the device authorization grant (RFC 8628 §3.3), as Hydra wires it:
//!
//! ```text
//! verification_uri (/oauth2/device/verify) ──device_challenge──▶ urls.device.verification
//!   app reads the user code ── PUT …/requests/device/accept {user_code} ──▶ redirect_to
//!   (/oauth2/device/verify?device_verifier=…) ──▶ the usual login and consent challenges
//!   (…?login_verifier=…, …?consent_verifier=…) ──▶ flow stored, device code accepted
//!   ──▶ urls.device.success; the device's next poll gets the tokens
//! ```
//!
//! The device challenge and verifier are sealed like every other step and bound to the browser
//! by a CSRF cookie, so a code entered in one browser cannot be continued in another. RFC 8628
//! §5.1: a device challenge accepts [`PER_CHALLENGE`] wrong user codes, and an address (the one
//! that opened the verification page, sealed into its challenge) [`PER_ADDRESS`] in every
//! [`WINDOW`]; with 20⁸ codes that leaves an attacker a chance in millions per live code, and one
//! sender's guessing never locks out anyone else. §5.2 (remote phishing): the consent step always runs for
//! a device flow (never skipped), and the built-in consent page names the client and warns the
//! user to continue only for a device they hold.

use std::{sync::Arc, time::Duration};

use serde::{Deserialize, Serialize};

use super::{
    Flows, SetCookie, Stage,
    engine::{Begin, BrowserStep, ConsentSkip, Starter, StepError},
    random_hex,
};
use crate::{
    clock::Clock,
    error::AdminError,
    limits::Failures,
    oauth::{ErrorCode, OAuthError, device::VERIFY_PATH},
    query::with_param,
    storage::{DeviceState, StoreError},
    wire::{AcceptDeviceUserCodeRequest, OAuth2RedirectTo, OidcContext},
};

/// The device step's CSRF cookie (one per browser: the step happens before the client is known).
pub const DEVICE_CSRF_COOKIE: &str = "latchkey_device_csrf";
/// Wrong user codes one device challenge may try.
pub const PER_CHALLENGE: u32 = 5;
/// Wrong user codes one address (an IPv6 /64) may try per [`WINDOW`], over all its challenges:
/// user codes of 8 letters from 20 leave a guesser at this rate nowhere near one, and one
/// sender's guesses lock out that sender only, never the node's other users.
pub const PER_ADDRESS: u32 = 60;
pub const WINDOW: Duration = Duration::from_secs(60);

/// A device challenge (before the user code) or verifier (after it).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct DeviceStep {
    id: String,
    csrf: String,
    requested_at: i64,
    /// The device authorization the user code named (verifier only).
    request_id: Option<String>,
    client_id: Option<String>,
    /// `prompt=login` came back (the login app refused the remembered user): sign in afresh.
    #[serde(default)]
    fresh_login: bool,
    /// The address of the browser that opened the verification page ([`crate::limits::address_key`]):
    /// its wrong codes count against it, whichever app (ours or an external one) submits them.
    #[serde(default)]
    address: String,
}

/// Counts of wrong user codes: per challenge (for as long as a challenge lives), and per address
/// per [`WINDOW`].
#[derive(Debug)]
pub struct Attempts {
    per_challenge: Failures,
    per_address: Failures,
}

impl Attempts {
    /// `challenge_ttl`: how long a device challenge lives (`ttl.login_consent_request`).
    pub fn new(clock: Arc<dyn Clock>, challenge_ttl: Duration) -> Self {
        Self {
            per_challenge: Failures::new(clock.clone(), challenge_ttl),
            per_address: Failures::new(clock, WINDOW),
        }
    }

    /// Whether another code may be tried for this challenge, from this address, now.
    fn allowed(&self, challenge: &str, address: &str) -> bool {
        self.per_challenge
            .wait(&[(challenge, PER_CHALLENGE)])
            .is_none()
            && self.per_address.wait(&[(address, PER_ADDRESS)]).is_none()
    }

    fn failed(&self, challenge: &str, address: &str) {
        self.per_challenge.failed(&[challenge]);
        self.per_address.failed(&[address]);
    }
}

/// The parameters `/oauth2/device/verify` reads.
#[derive(Default)]
struct VerifyQuery {
    user_code: Option<String>,
    prompt: Option<String>,
    client_id: Option<String>,
    device_verifier: Option<String>,
    login_verifier: Option<String>,
    consent_verifier: Option<String>,
}

impl VerifyQuery {
    fn parse(raw: &[u8]) -> Self {
        let mut q = Self::default();
        for (k, v) in url::form_urlencoded::parse(raw) {
            let v = Some(v.trim().to_owned()).filter(|v| !v.is_empty());
            match k.as_ref() {
                "user_code" => q.user_code = v,
                "prompt" => q.prompt = v,
                "client_id" => q.client_id = v,
                "device_verifier" => q.device_verifier = v,
                "login_verifier" => q.login_verifier = v,
                "consent_verifier" => q.consent_verifier = v,
                _ => {}
            }
        }
        q
    }
}

impl Flows {
    fn device_url(&self, configured: Option<&String>, path: &str) -> String {
        configured
            .cloned()
            .unwrap_or_else(|| format!("{}/ui/{path}", self.config.public_base()))
    }

    fn verify_url(&self) -> String {
        format!("{}{VERIFY_PATH}", self.config.public_base())
    }

    fn device_step_expired(&self, step: &DeviceStep) -> bool {
        let ttl = self.config.ttl.login_consent_request.get();
        self.clock.now().timestamp_millis() > step.requested_at + ttl.as_millis() as i64
    }

    /// `GET /oauth2/device/verify`: starts the browser's part (→ the verification app), or
    /// continues it with the verifier it carries.
    ///
    /// `address`: the browser's ([`crate::limits::address_key`]), sealed into a new challenge.
    pub async fn device_verify(
        &self,
        raw: &[u8],
        cookie: &(dyn Fn(&str) -> Option<String> + Sync),
        address: &str,
    ) -> Result<BrowserStep, StepError> {
        let q = VerifyQuery::parse(raw);
        if let Some(v) = &q.consent_verifier {
            self.device_consented(&q, v, cookie).await
        } else if let Some(v) = &q.login_verifier {
            self.device_logged_in(&q, v, cookie).await
        } else if let Some(v) = &q.device_verifier {
            self.device_code_entered(v, cookie).await
        } else {
            self.device_start(&q, address).map_err(|e| (e, vec![]))
        }
    }

    /// The user arrived: a device challenge for the verification app, prefilled with the user
    /// code of `verification_uri_complete` if there is one.
    fn device_start(&self, q: &VerifyQuery, address: &str) -> Result<BrowserStep, OAuthError> {
        let step = DeviceStep {
            id: random_hex(),
            csrf: random_hex(),
            requested_at: self.clock.now().timestamp_millis(),
            fresh_login: q
                .prompt
                .as_deref()
                .is_some_and(|p| p.split(' ').any(|p| p == "login")),
            address: address.to_owned(),
            ..DeviceStep::default()
        };
        let challenge = self.seal_flow(Stage::DeviceChallenge, &step)?;
        let mut location = with_param(
            &self.device_url(self.config.urls.device.verification.as_ref(), "device"),
            "device_challenge",
            &challenge,
        );
        if let Some(code) = &q.user_code {
            location = with_param(&location, "user_code", code);
        }
        let ttl = self.config.ttl.login_consent_request.get();
        Ok(BrowserStep {
            location,
            cookies: vec![SetCookie {
                name: DEVICE_CSRF_COOKIE.into(),
                value: step.csrf,
                max_age: ttl.as_secs() as i64,
            }],
        })
    }

    /// `PUT /admin/oauth2/auth/requests/device/accept`: the verification app read a user code.
    /// A code that names a pending device authorization seals it into the device verifier that
    /// `redirect_to` carries back to `/oauth2/device/verify`.
    pub async fn accept_user_code(
        &self,
        challenge: &str,
        body: AcceptDeviceUserCodeRequest,
    ) -> Result<OAuth2RedirectTo, AdminError> {
        let entered = body.user_code.unwrap_or_default();
        if entered.trim().is_empty() {
            return Err(AdminError::bad_request(
                "Field 'user_code' must not be empty.",
            ));
        }
        let mut step: DeviceStep = self
            .open_flow(Stage::DeviceChallenge, challenge)
            .ok_or_else(AdminError::unknown_challenge)?;
        if self.device_step_expired(&step) {
            return Err(AdminError::Gone {
                redirect_to: self.verify_url(),
            });
        }
        if !self.device_attempts.allowed(&step.id, &step.address) {
            return Err(AdminError::bad_request(
                "Too many wrong user codes were tried; start again at the verification address.",
            ));
        }
        let device = self
            .device_authorization
            .pending_device(&entered)
            .await
            .map_err(|e| AdminError::Internal(format!("{e:?}")))?;
        let Some(device) = device else {
            self.device_attempts.failed(&step.id, &step.address);
            return Err(AdminError::bad_request(
                "The 'user_code' session could not be found or has expired or is otherwise malformed.",
            ));
        };
        step.request_id = Some(device.request_id);
        step.client_id = Some(device.client_id.clone());
        let verifier = self
            .seal_flow(Stage::DeviceVerifier, &step)
            .map_err(|e| AdminError::Internal(format!("{e:?}")))?;
        let to = with_param(&self.verify_url(), "device_verifier", &verifier);
        Ok(OAuth2RedirectTo {
            redirect_to: with_param(&to, "client_id", &device.client_id),
        })
    }

    /// The user code was accepted: on to the login app, as the device's client.
    async fn device_code_entered(
        &self,
        verifier: &str,
        cookie: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<BrowserStep, StepError> {
        let clear = vec![SetCookie::delete(DEVICE_CSRF_COOKIE)];
        let fail = |e: OAuthError| (e, clear.clone());
        let invalid = || {
            OAuthError::new(
                ErrorCode::AccessDenied,
                "The device verifier is invalid or has expired; start again at the verification address.",
            )
        };
        let step: DeviceStep = self
            .open_flow(Stage::DeviceVerifier, verifier)
            .ok_or_else(|| fail(invalid()))?;
        if self.device_step_expired(&step) {
            return Err(fail(invalid()));
        }
        if !super::same_browser(cookie(DEVICE_CSRF_COOKIE), &step.csrf) {
            return Err(fail(OAuthError::new(
                ErrorCode::RequestForbidden,
                "The code was entered in another browser, or its cookie expired (CSRF check failed).",
            )));
        }
        let request_id = step.request_id.ok_or_else(|| fail(invalid()))?;
        let now = self.clock.now().timestamp_millis();
        let device = self
            .devices
            .device_by_request(&request_id)
            .await
            .map_err(|e| fail(e.into()))?
            .filter(|d| d.state == DeviceState::Pending && d.expires_at > now)
            .ok_or_else(|| fail(expired_device()))?;
        let session = if step.fresh_login {
            None
        } else {
            self.current_session(cookie).await.map_err(fail)?
        };
        let mut next = self
            .begin_login(Begin {
                id: device.request_id,
                starter: Starter::Device,
                request_url: with_param(&self.verify_url(), "client_id", &device.client_id),
                client_id: device.client_id,
                scope: device.scope,
                audience: device.audience,
                oidc_context: Some(OidcContext::default()),
                session,
            })
            .map_err(fail)?;
        next.cookies.extend(clear);
        Ok(next)
    }

    /// Opens a login or consent verifier of a device flow; a flow the app rejected marks its
    /// device authorization denied (the device's next poll gets `access_denied`).
    async fn open_device_verifier(
        &self,
        stage: Stage,
        q: &VerifyQuery,
        verifier: &str,
        cookie: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<super::FlowState, OAuthError> {
        let flow = self.open_verifier(stage, verifier, cookie, |flow| {
            flow.starter == Starter::Device && q.client_id.as_deref() == Some(&flow.client_id)
        })?;
        if let Some(d) = &flow.denied {
            self.devices.deny_device(&flow.id).await?;
            return Err(d.to_error());
        }
        Ok(flow)
    }

    async fn device_logged_in(
        &self,
        q: &VerifyQuery,
        verifier: &str,
        cookie: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<BrowserStep, StepError> {
        let flow = self
            .open_device_verifier(Stage::LoginVerifier, q, verifier, cookie)
            .await
            .map_err(|e| (e, vec![]))?;
        self.after_login(flow, cookie, ConsentSkip::Never).await
    }

    /// Consent given: store the flow and accept the device authorization in one transaction,
    /// then send the browser to the success page.
    async fn device_consented(
        &self,
        q: &VerifyQuery,
        verifier: &str,
        cookie: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<BrowserStep, StepError> {
        let cookies = q
            .client_id
            .as_deref()
            .map(|c| SetCookie::delete(super::csrf_cookie("consent", c)))
            .into_iter()
            .collect::<Vec<_>>();
        let fail = |e: OAuthError| (e, cookies.clone());
        let flow = self
            .open_device_verifier(Stage::ConsentVerifier, q, verifier, cookie)
            .await
            .map_err(fail)?;
        let client = self
            .clients
            .resolve(&flow.client_id)
            .await
            .map_err(|e| fail(e.into()))?
            .ok_or_else(|| {
                fail(OAuthError::invalid_request(
                    "The client of this device flow no longer exists.",
                ))
            })?;
        let done = self.completed(&flow, &client.metadata).map_err(fail)?;
        let now = self.clock.now().timestamp_millis();
        let stored = done.stored(&flow, now).map_err(fail)?;
        match self.devices.accept_device(&stored, now).await {
            Ok(true) => crate::metrics::metrics().flow("device", "completed"),
            Ok(false) | Err(StoreError::Conflict) => return Err(fail(expired_device())),
            Err(e) => return Err(fail(e.into())),
        }
        Ok(BrowserStep {
            location: with_param(
                &self.device_url(self.config.urls.device.success.as_ref(), "device/done"),
                "client_id",
                &flow.client_id,
            ),
            cookies,
        })
    }
}

fn expired_device() -> OAuthError {
    OAuthError::new(
        ErrorCode::AccessDenied,
        "The user code has expired or was already used; ask the device for a new one.",
    )
}

//! The device authorization grant's token request (RFC 8628 §3.4–3.5). The device polls with its
//! device code until the user has finished: `authorization_pending` while they have not,
//! `slow_down` (and five more seconds of interval) when it polls faster than told,
//! `access_denied` once they refused, `expired_token` once the code has expired. A device code is
//! bound to the client it was issued to and buys tokens once: it is spent by one conditional
//! `UPDATE` together with storing them; presenting it again is a replay, and every token issued
//! from it is revoked (as for a replayed authorization code, RFC 9700 §4.2.2).

use std::sync::Arc;

use super::{ClientAuth, FromForm, Grant, TokenResponse, completed_flow, invalid_grant};
use crate::{
    clock::Clock,
    crypto::opaque::TokenKind,
    oauth::{
        ErrorCode, OAuthError, Services,
        client_auth::AuthenticatedClient,
        context::ClientRequest,
        device::SLOW_DOWN_MS,
        mint::{Issue, Issuing},
        params::FormParams,
        tokens::Tokens,
    },
    storage::{DeviceState, DeviceStore, FlowStore},
};

/// RFC 8628 §7.2's grant type.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

const UNKNOWN: &str = "The device code is invalid, or was issued to another client.";
const REPLAYED: &str =
    "The device code has already been used; the tokens issued from it are revoked.";

pub struct DeviceCode {
    tokens: Arc<Tokens>,
    devices: Arc<dyn DeviceStore>,
    flows: Arc<dyn FlowStore>,
    clock: Arc<dyn Clock>,
}

impl DeviceCode {
    pub fn new(s: &Services) -> Self {
        Self {
            tokens: s.tokens.clone(),
            devices: s.devices.clone(),
            flows: s.flows.clone(),
            clock: s.clock.clone(),
        }
    }
}

/// RFC 8628 §3.4.
pub struct Params {
    device_code: String,
}

impl FromForm for Params {
    fn from_form(form: &FormParams) -> Result<Self, OAuthError> {
        Ok(Self {
            device_code: form.require("device_code")?.to_owned(),
        })
    }
}

impl Grant for DeviceCode {
    const NAME: &'static str = DEVICE_CODE_GRANT;
    const CLIENT_AUTH: ClientAuth = ClientAuth::AnyClient;
    type Params = Params;

    async fn handle(
        &self,
        req: &ClientRequest,
        params: Params,
    ) -> Result<TokenResponse, OAuthError> {
        self.poll(&req.client, &params.device_code).await
    }
}

impl DeviceCode {
    async fn poll(
        &self,
        client: &AuthenticatedClient,
        presented: &str,
    ) -> Result<TokenResponse, OAuthError> {
        let unknown = || invalid_grant(UNKNOWN);
        let signature = self
            .tokens
            .issuer()
            .verify(TokenKind::DeviceCode, presented)
            .ok_or_else(unknown)?;
        let device = self
            .devices
            .device_by_code(&signature)
            .await?
            .ok_or_else(unknown)?;
        if device.client_id != client.id {
            return Err(unknown());
        }
        let now = self.clock.now().timestamp_millis();
        match device.state {
            DeviceState::Spent => {
                self.tokens
                    .store()
                    .revoke_request(&device.request_id)
                    .await?;
                return Err(invalid_grant(REPLAYED));
            }
            _ if device.expires_at <= now => {
                return Err(OAuthError::new(
                    ErrorCode::ExpiredToken,
                    "The device code has expired; start a new device authorization.",
                ));
            }
            DeviceState::Denied => {
                return Err(OAuthError::new(
                    ErrorCode::AccessDenied,
                    "The user denied the authorization request.",
                ));
            }
            DeviceState::Pending => {
                return Err(
                    if self
                        .devices
                        .poll_device(&signature, now, SLOW_DOWN_MS)
                        .await?
                    {
                        OAuthError::new(
                            ErrorCode::AuthorizationPending,
                            "The user has not yet completed the authorization.",
                        )
                    } else {
                        OAuthError::new(
                            ErrorCode::SlowDown,
                            "The device is polling too fast; the interval is now five seconds longer.",
                        )
                    },
                );
            }
            DeviceState::Accepted => {}
        }
        let (flow, record) = completed_flow(&*self.flows, &device.request_id, UNKNOWN).await?;
        let issued = self
            .tokens
            .issuer()
            .mint(&Issue::from_flow(
                Issuing::DeviceCode,
                client,
                &flow,
                &record,
                &flow.granted_scope,
            ))
            .await?;
        if !self.devices.redeem_device(&signature, &issued.rows).await? {
            self.tokens
                .store()
                .revoke_request(&device.request_id)
                .await?;
            return Err(invalid_grant(REPLAYED));
        }
        Ok(issued.response())
    }
}

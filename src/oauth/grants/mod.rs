//! The token endpoint's grants: `grant_type` parsed into a closed enum and matched exhaustively,
//! one file per grant. Each grant is a [`Grant`]: it names its grant type, declares its
//! parameters as a type and whether it needs client authentication, and the dispatcher does the
//! rest in one order for all — authenticate the client, check it may use the grant, parse the
//! parameters — before the grant runs. What a grant issues is minted by [`super::mint`].

mod authorization_code;
mod client_credentials;
mod device_code;
mod jwt_bearer;
mod refresh_token;

pub use device_code::DEVICE_CODE_GRANT;
pub use jwt_bearer::JWT_BEARER_GRANT;
use serde::Serialize;

use super::{
    ErrorCode, OAuthCore, OAuthError,
    client_auth::{AuthenticatedClient, Presented},
    params::FormParams,
};

/// Which clients may use a grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// Any client: a confidential one authenticates, a public one (`none`) names itself with
    /// `client_id` (RFC 6749 §3.2.1).
    AnyClient,
    /// Confidential clients only (RFC 6749 §4.4: client credentials).
    Confidential,
}

/// A grant's parameters, read from the token request's form.
pub trait FromForm: Sized {
    fn from_form(form: &FormParams) -> Result<Self, OAuthError>;
}

/// One grant type of the token endpoint.
pub trait Grant {
    /// The `grant_type` value, also what the client's `grant_types` must list.
    const NAME: &'static str;
    const CLIENT_AUTH: ClientAuth;
    type Params: FromForm;
    fn handle(
        core: &OAuthCore,
        client: &AuthenticatedClient,
        params: Self::Params,
    ) -> impl Future<Output = Result<TokenResponse, OAuthError>> + Send;
}

/// The grant types this server knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantType {
    AuthorizationCode,
    ClientCredentials,
    RefreshToken,
    DeviceCode,
    JwtBearer,
}

impl GrantType {
    /// RFC 6749 §5.2: an unknown grant type is `unsupported_grant_type`.
    pub fn parse(s: &str) -> Result<Self, OAuthError> {
        match s {
            "authorization_code" => Ok(Self::AuthorizationCode),
            "client_credentials" => Ok(Self::ClientCredentials),
            "refresh_token" => Ok(Self::RefreshToken),
            device_code::DEVICE_CODE_GRANT => Ok(Self::DeviceCode),
            jwt_bearer::JWT_BEARER_GRANT => Ok(Self::JwtBearer),
            other => Err(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                format!("The grant type {other:?} is not supported by this server."),
            )),
        }
    }
}

/// RFC 6749 §5.1 successful response.
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    /// Always present, empty when nothing was granted (as Hydra answers).
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl OAuthCore {
    /// Handles a token request: parameters, client authentication, then the grant.
    pub async fn token(
        &self,
        authorization: Option<&str>,
        body: &[u8],
    ) -> Result<TokenResponse, OAuthError> {
        let params = FormParams::parse(body, &["audience", "resource"])?;
        let presented = Presented::from_request(authorization, &params)?;
        let grant = GrantType::parse(params.require("grant_type")?)?;
        match grant {
            GrantType::AuthorizationCode => {
                self.run::<authorization_code::AuthorizationCode>(&presented, &params)
                    .await
            }
            GrantType::ClientCredentials => {
                self.run::<client_credentials::ClientCredentials>(&presented, &params)
                    .await
            }
            GrantType::RefreshToken => {
                self.run::<refresh_token::RefreshToken>(&presented, &params)
                    .await
            }
            GrantType::DeviceCode => {
                self.run::<device_code::DeviceCode>(&presented, &params)
                    .await
            }
            GrantType::JwtBearer => self.run::<jwt_bearer::JwtBearer>(&presented, &params).await,
        }
    }

    /// Authenticates the client, checks it may use grant `G`, parses `G`'s parameters, runs it.
    async fn run<G: Grant>(
        &self,
        presented: &Presented,
        form: &FormParams,
    ) -> Result<TokenResponse, OAuthError> {
        let client = self.authenticate(presented).await?;
        if !client.has_grant(G::NAME) {
            return Err(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                format!(
                    "The client is not allowed to use the {} grant type.",
                    G::NAME
                ),
            ));
        }
        if G::CLIENT_AUTH == ClientAuth::Confidential && client.method == "none" {
            return Err(OAuthError::new(
                ErrorCode::InvalidClient,
                format!("Public clients cannot use the {} grant.", G::NAME),
            ));
        }
        let params = G::Params::from_form(form)?;
        if self.issuer.hooks_on() {
            let shown = super::hook::shown_form(form);
            return super::hook::FORM
                .scope(shown, G::handle(self, &client, params))
                .await;
        }
        G::handle(self, &client, params).await
    }
}

/// The completed flow a code, refresh token or device code was issued from, and its record. A
/// revoked consent deleted it: then the token is `unknown` (`invalid_grant`).
async fn completed_flow(
    core: &OAuthCore,
    request_id: &str,
    unknown: &str,
) -> Result<(crate::storage::StoredFlow, crate::storage::FlowRecord), OAuthError> {
    let flow = core
        .flows
        .get_flow(request_id)
        .await?
        .ok_or_else(|| invalid_grant(unknown))?;
    let record = crate::storage::FlowRecord::of(&flow)?;
    Ok((flow, record))
}

/// How a grant words its `invalid_grant` errors.
struct Spendable {
    kind: crate::crypto::opaque::TokenKind,
    /// Not ours, not this client's, or expired.
    unknown: &'static str,
    /// Spent already: a replay.
    replayed: &'static str,
}

fn invalid_grant(d: &str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidGrant, d)
}

impl Spendable {
    /// Checks a presented code or refresh token: ours, of this kind, the client's, unspent and
    /// unexpired; returns its signature and row. A spent one is a replay, and the whole family is
    /// revoked (RFC 6749 §4.1.2, RFC 9700 §4.14.2).
    async fn check(
        &self,
        core: &OAuthCore,
        client: &AuthenticatedClient,
        presented: &str,
    ) -> Result<(String, crate::storage::StoredToken), OAuthError> {
        let unknown = || invalid_grant(self.unknown);
        let signature = core
            .issuer
            .verify(self.kind, presented)
            .ok_or_else(unknown)?;
        let row = core
            .tokens
            .get_token(&signature)
            .await?
            .ok_or_else(unknown)?;
        if row.kind != self.kind.as_str() || row.client_id != client.id {
            return Err(unknown());
        }
        if !row.active {
            core.tokens.revoke_request(&row.request_id).await?;
            return Err(invalid_grant(self.replayed));
        }
        if row.expires_at <= core.clock.now().timestamp_millis() {
            return Err(unknown());
        }
        Ok((signature, row))
    }

    /// Spends the token and stores what it bought, in one transaction (`TokenStore::exchange`);
    /// losing the race to spend it is a replay too.
    async fn spend(
        &self,
        core: &OAuthCore,
        signature: &str,
        row: &crate::storage::StoredToken,
        revoke_access: bool,
        issue: &[crate::storage::StoredToken],
    ) -> Result<(), OAuthError> {
        let revoke = revoke_access.then_some(row.request_id.as_str());
        if !core.tokens.exchange(signature, revoke, issue).await? {
            core.tokens.revoke_request(&row.request_id).await?;
            return Err(invalid_grant(self.replayed));
        }
        Ok(())
    }
}

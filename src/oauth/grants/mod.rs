//! The token endpoint and its grants, one file per grant. Each grant is a [`Grant`]: it names
//! its grant type, declares its parameters as a type and whether it needs client authentication,
//! and is built from the services it uses; [`TokenEndpoint`] keeps one of each, found by
//! `grant_type`, and does the rest in one order for all — authenticate the client, check it may
//! use the grant, parse the parameters — before the grant runs with the request's
//! [`ClientRequest`]. What a grant issues is minted by [`super::mint`].

mod authorization_code;
mod client_credentials;
mod device_code;
mod jwt_bearer;
mod refresh_token;

pub use device_code::DEVICE_CODE_GRANT;
pub use jwt_bearer::JWT_BEARER_GRANT;

use super::client_auth::AuthenticatedClient;
use std::{future::Future, pin::Pin, sync::Arc};

use serde::Serialize;

use super::{
    ErrorCode, OAuthError, Services,
    client_auth::Authenticator,
    context::{ClientRequest, Unauthenticated},
    params::FormParams,
    tokens::Tokens,
};
use crate::storage::FlowStore;

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

/// One grant type of the token endpoint, built from the services it uses.
pub trait Grant: Send + Sync + 'static {
    /// The `grant_type` value, also what the client's `grant_types` must list.
    const NAME: &'static str;
    const CLIENT_AUTH: ClientAuth;
    type Params: FromForm + Send;
    fn handle(
        &self,
        req: &ClientRequest,
        params: Self::Params,
    ) -> impl Future<Output = Result<TokenResponse, OAuthError>> + Send;
}

type Handled<'a> = Pin<Box<dyn Future<Output = Result<TokenResponse, OAuthError>> + Send + 'a>>;

/// A [`Grant`] as the endpoint keeps it: by name, its parameters parsed on the way in.
trait Registered: Send + Sync {
    fn name(&self) -> &'static str;
    fn client_auth(&self) -> ClientAuth;
    fn run<'a>(&'a self, req: &'a ClientRequest) -> Result<Handled<'a>, OAuthError>;
}

impl<G: Grant> Registered for G {
    fn name(&self) -> &'static str {
        G::NAME
    }

    fn client_auth(&self) -> ClientAuth {
        G::CLIENT_AUTH
    }

    fn run<'a>(&'a self, req: &'a ClientRequest) -> Result<Handled<'a>, OAuthError> {
        let params = G::Params::from_form(&req.form)?;
        Ok(Box::pin(self.handle(req, params)))
    }
}

/// The token endpoint (RFC 6749 §3.2): the grants this server knows, and the one order every
/// token request goes through — parameters, the grant type (an unknown one is
/// `unsupported_grant_type`, RFC 6749 §5.2), client authentication, may this client use the
/// grant, the grant's parameters — before the grant runs.
pub struct TokenEndpoint {
    auth: Arc<Authenticator>,
    tokens: Arc<Tokens>,
    grants: Vec<Box<dyn Registered>>,
}

impl std::fmt::Debug for TokenEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.grants.iter().map(|g| g.name()).collect();
        f.debug_struct("TokenEndpoint")
            .field("grants", &names)
            .finish()
    }
}

impl TokenEndpoint {
    /// Adding a grant: its file (a [`Grant`] with a `new(&Services)`), and its line here.
    pub fn new(s: &Services) -> Self {
        let grants: Vec<Box<dyn Registered>> = vec![
            Box::new(authorization_code::AuthorizationCode::new(s)),
            Box::new(client_credentials::ClientCredentials::new(s)),
            Box::new(refresh_token::RefreshToken::new(s)),
            Box::new(device_code::DeviceCode::new(s)),
            Box::new(jwt_bearer::JwtBearer::new(s)),
        ];
        Self {
            auth: s.auth.clone(),
            tokens: s.tokens.clone(),
            grants,
        }
    }

    /// The grant types this endpoint serves.
    pub fn grant_types(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.grants.iter().map(|g| g.name())
    }

    /// Handles a token request: parameters, client authentication, then the grant.
    pub async fn token(
        &self,
        authorization: Option<&str>,
        body: &[u8],
    ) -> Result<TokenResponse, OAuthError> {
        let req = Unauthenticated::parse(authorization, body, &["audience", "resource"])?;
        let name = req.form.require("grant_type")?;
        let grant = self
            .grants
            .iter()
            .find(|g| g.name() == name)
            .ok_or_else(|| {
                OAuthError::new(
                    ErrorCode::UnsupportedGrantType,
                    format!("The grant type {name:?} is not supported by this server."),
                )
            })?;
        let req = req.authenticate(&self.auth).await?;
        let client = &req.client;
        if !client.has_grant(grant.name()) {
            return Err(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                format!(
                    "The client is not allowed to use the {} grant type.",
                    grant.name()
                ),
            ));
        }
        if grant.client_auth() == ClientAuth::Confidential && client.method == "none" {
            return Err(OAuthError::new(
                ErrorCode::InvalidClient,
                format!("Public clients cannot use the {} grant.", grant.name()),
            ));
        }
        let run = grant.run(&req)?;
        if self.tokens.issuer().hooks_on() {
            let shown = super::hook::shown_form(&req.form);
            return super::hook::FORM.scope(shown, run).await;
        }
        run.await
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

/// The completed flow a code, refresh token or device code was issued from, and its record. A
/// revoked consent deleted it: then the token is `unknown` (`invalid_grant`).
async fn completed_flow(
    flows: &dyn FlowStore,
    request_id: &str,
    unknown: &str,
) -> Result<(crate::storage::StoredFlow, crate::storage::FlowRecord), OAuthError> {
    let flow = flows
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
        tokens: &Tokens,
        client: &AuthenticatedClient,
        presented: &str,
    ) -> Result<(String, crate::storage::StoredToken), OAuthError> {
        let unknown = || invalid_grant(self.unknown);
        let signature = tokens
            .issuer()
            .verify(self.kind, presented)
            .ok_or_else(unknown)?;
        let row = tokens
            .store()
            .get_token(&signature)
            .await?
            .ok_or_else(unknown)?;
        if row.kind != self.kind.as_str() || row.client_id != client.id {
            return Err(unknown());
        }
        if !row.active {
            tokens.store().revoke_request(&row.request_id).await?;
            return Err(invalid_grant(self.replayed));
        }
        if row.expires_at <= tokens.now_ms() {
            return Err(unknown());
        }
        Ok((signature, row))
    }

    /// Spends the token and stores what it bought, in one transaction (`TokenStore::exchange`);
    /// losing the race to spend it is a replay too.
    async fn spend(
        &self,
        tokens: &Tokens,
        signature: &str,
        row: &crate::storage::StoredToken,
        revoke_access: bool,
        issue: &[crate::storage::StoredToken],
    ) -> Result<(), OAuthError> {
        let revoke = revoke_access.then_some(row.request_id.as_str());
        if !tokens.store().exchange(signature, revoke, issue).await? {
            tokens.store().revoke_request(&row.request_id).await?;
            return Err(invalid_grant(self.replayed));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use base64::{Engine, engine::general_purpose::STANDARD};
    use serde_json::json;

    use super::TokenEndpoint;
    use crate::{
        clock::ManualClock,
        oauth::{ErrorCode, testing},
    };

    const SECRET: &str = "svc-secret-0123456789";

    fn basic(id: &str, secret: &str) -> String {
        format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
    }

    /// The token endpoint's refusals, one per check, in the order the checks run; and the one
    /// request that passes them all.
    #[tokio::test]
    async fn each_check_refuses_with_its_own_error() {
        let (s, registry, _db) = testing::services(Arc::new(ManualClock::new())).await;
        testing::client(
            &registry,
            json!({"client_id": "svc", "client_secret": SECRET, "grant_types": ["client_credentials"], "scope": "read"}),
        )
        .await;
        testing::client(
            &registry,
            json!({"client_id": "spa", "token_endpoint_auth_method": "none",
                   "grant_types": ["authorization_code", "refresh_token",
                                   "urn:ietf:params:oauth:grant-type:device_code"],
                   "redirect_uris": ["https://spa.example/cb"]}),
        )
        .await;
        let ep = TokenEndpoint::new(&s);
        let svc = basic("svc", SECRET);
        let refused = |auth: Option<String>, body: &'static str| {
            let ep = &ep;
            async move {
                ep.token(auth.as_deref(), body.as_bytes())
                    .await
                    .unwrap_err()
            }
        };
        let cases: Vec<(Option<String>, &str, ErrorCode, &str)> = vec![
            (None, "", ErrorCode::InvalidRequest, "no grant_type"),
            (
                None,
                "grant_type=password",
                ErrorCode::UnsupportedGrantType,
                "before any client check",
            ),
            (
                None,
                "grant_type=client_credentials",
                ErrorCode::InvalidClient,
                "no credentials",
            ),
            (
                Some(basic("svc", "wrong")),
                "grant_type=client_credentials",
                ErrorCode::InvalidClient,
                "wrong secret",
            ),
            (
                Some(svc.clone()),
                "grant_type=authorization_code&code=x",
                ErrorCode::UnauthorizedClient,
                "a grant it does not list",
            ),
            (
                None,
                "grant_type=client_credentials&client_id=spa",
                ErrorCode::UnauthorizedClient,
                "a public client cannot even register for client credentials",
            ),
            (
                Some(svc.clone()),
                "grant_type=client_credentials&scope=write",
                ErrorCode::InvalidScope,
                "a scope it may not have",
            ),
            (
                Some(svc.clone()),
                "grant_type=client_credentials&audience=https://api.example",
                ErrorCode::InvalidRequest,
                "an audience it may not have",
            ),
            (
                None,
                "grant_type=authorization_code&client_id=spa",
                ErrorCode::InvalidRequest,
                "no code",
            ),
            (
                None,
                "grant_type=authorization_code&client_id=spa&code=ory_ac_forged",
                ErrorCode::InvalidGrant,
                "a code not ours",
            ),
            (
                None,
                "grant_type=refresh_token&client_id=spa&refresh_token=ory_rt_forged",
                ErrorCode::InvalidGrant,
                "a refresh token not ours",
            ),
            (
                None,
                "grant_type=urn:ietf:params:oauth:grant-type:device_code&client_id=spa&device_code=ory_dc_x",
                ErrorCode::InvalidGrant,
                "a device code not ours",
            ),
        ];
        for (auth, body, code, why) in cases {
            let e = refused(auth, body).await;
            assert_eq!(e.code, code, "{why}: {body} → {}", e.description);
        }
        let ok = ep
            .token(Some(&svc), b"grant_type=client_credentials&scope=read")
            .await
            .unwrap();
        assert_eq!((ok.token_type, ok.scope.as_str()), ("bearer", "read"));
        assert!(ok.refresh_token.is_none() && ok.id_token.is_none());
    }
}

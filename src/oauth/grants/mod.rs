//! The token endpoint's grants: `grant_type` parsed into a closed enum and matched exhaustively,
//! one file per grant.

mod authorization_code;
mod client_credentials;
mod refresh_token;

use serde::Serialize;

use super::{ErrorCode, OAuthCore, OAuthError, client_auth::Presented, params::FormParams};

/// The grant types this server knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantType {
    AuthorizationCode,
    ClientCredentials,
    RefreshToken,
}

impl GrantType {
    /// RFC 6749 §5.2: an unknown grant type is `unsupported_grant_type`.
    pub fn parse(s: &str) -> Result<Self, OAuthError> {
        match s {
            "authorization_code" => Ok(Self::AuthorizationCode),
            "client_credentials" => Ok(Self::ClientCredentials),
            "refresh_token" => Ok(Self::RefreshToken),
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
        let client = self.authenticate(&presented).await?;
        match grant {
            GrantType::AuthorizationCode => {
                authorization_code::handle(self, &client, &params).await
            }
            GrantType::ClientCredentials => {
                client_credentials::handle(self, &client, &params).await
            }
            GrantType::RefreshToken => refresh_token::handle(self, &client, &params).await,
        }
    }
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
        client: &super::client_auth::AuthenticatedClient,
        presented: &str,
    ) -> Result<(String, crate::storage::StoredToken), OAuthError> {
        let unknown = || invalid_grant(self.unknown);
        let signature = core
            .signer
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

/// Which grant is issuing, for the client's per-grant lifespans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Issuing {
    AuthorizationCode,
    Refresh,
}

/// Mints the tokens of a completed flow: an access token; a refresh token when `offline` or
/// `offline_access` was granted and the client may refresh; an ID token when `openid` was
/// granted. Every token carries the flow id as its request id. Returns the response and the rows
/// to store, which the caller commits together with spending what paid for them.
async fn mint_for_flow(
    core: &OAuthCore,
    client: &super::client_auth::AuthenticatedClient,
    flow: &crate::storage::StoredFlow,
    record: &crate::flows::endpoint::FlowRecord,
    scope: &[String],
    issuing: Issuing,
) -> Result<(TokenResponse, Vec<crate::storage::StoredToken>), OAuthError> {
    use crate::{crypto::opaque::TokenKind, storage::StoredToken};
    let m = &client.metadata;
    let (at_life, rt_life, id_life) = match issuing {
        Issuing::AuthorizationCode => (
            m.authorization_code_grant_access_token_lifespan.as_ref(),
            m.authorization_code_grant_refresh_token_lifespan.as_ref(),
            m.authorization_code_grant_id_token_lifespan.as_ref(),
        ),
        Issuing::Refresh => (
            m.refresh_token_grant_access_token_lifespan.as_ref(),
            m.refresh_token_grant_refresh_token_lifespan.as_ref(),
            m.refresh_token_grant_id_token_lifespan.as_ref(),
        ),
    };
    let at_life = core.lifespan(at_life, &core.config.ttl.access_token);
    let now = core.clock.now().timestamp_millis();
    let extra = record
        .session
        .access_token
        .clone()
        .unwrap_or(serde_json::Value::Object(Default::default()));
    let scope_refs: Vec<&str> = scope.iter().map(String::as_str).collect();
    let row = |signature: String, kind: TokenKind, expires_at: i64| StoredToken {
        signature,
        kind: kind.as_str().into(),
        request_id: flow.id.clone(),
        client_id: client.id.clone(),
        subject: flow.subject.clone(),
        scope: scope.join(" "),
        audience: flow.granted_audience.clone(),
        extra: extra.clone(),
        issued_at: now,
        expires_at,
        active: true,
    };
    let at_expires = now + at_life.as_millis() as i64;
    let minted = core
        .mint_access_token(&super::access_token::Grant {
            client,
            subject: &flow.subject,
            scope: &scope_refs,
            audience: &flow.granted_audience,
            extra: &extra,
            issued_at_ms: now,
            expires_at_ms: at_expires,
        })
        .await?;
    let mut rows = vec![row(minted.signature, TokenKind::AccessToken, at_expires)];
    let offline = scope
        .iter()
        .any(|s| s == "offline" || s == "offline_access");
    let refresh_token = if offline && client.has_grant("refresh_token") {
        let rt = core
            .signer
            .mint(TokenKind::RefreshToken)
            .ok_or_else(|| OAuthError::server("no system secret"))?;
        let life = core.lifespan(rt_life, &core.config.ttl.refresh_token);
        rows.push(row(
            rt.signature,
            TokenKind::RefreshToken,
            now + life.as_millis() as i64,
        ));
        Some(rt.token)
    } else {
        None
    };
    let id_token = if scope.iter().any(|s| s == "openid") {
        Some(
            core.id_token(&crate::oidc::id_token::IdTokenInput {
                client_id: &client.id,
                subject: &flow.subject,
                auth_time_ms: record.auth_time,
                requested_at_ms: record.requested_at,
                nonce: record.nonce.as_deref(),
                acr: record.acr.as_deref(),
                amr: record.amr.as_deref(),
                sid: flow.login_session_id.as_deref(),
                access_token: Some(&minted.token),
                code: None,
                extra: record.session.id_token.as_ref(),
                lifespan: core.lifespan(id_life, &core.config.ttl.id_token),
            })
            .await?,
        )
    } else {
        None
    };
    let response = TokenResponse {
        access_token: minted.token,
        token_type: "bearer",
        expires_in: at_life.as_secs() as i64,
        scope: scope.join(" "),
        refresh_token,
        id_token,
    };
    Ok((response, rows))
}

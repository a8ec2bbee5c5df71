//! The refresh token grant (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14.2):
//! every use spends the refresh token (one conditional `UPDATE`, so exactly one of two concurrent
//! uses wins) and returns a new one; the access tokens issued before are revoked. Presenting a
//! spent refresh token means it was copied, so the whole family — every token of the flow — is
//! revoked. A narrower `scope` may be asked for, never a wider one (RFC 6749 §6).

use std::sync::Arc;

use super::{ClientAuth, FromForm, Grant, Spendable, TokenResponse, completed_flow};
use crate::{
    crypto::opaque::TokenKind,
    oauth::{
        ErrorCode, OAuthError, Services,
        client_auth::AuthenticatedClient,
        context::ClientRequest,
        mint::{Issue, Issuing},
        params::FormParams,
        tokens::Tokens,
    },
    storage::FlowStore,
};

const REFRESH: Spendable = Spendable {
    kind: TokenKind::RefreshToken,
    unknown: "The refresh token is invalid, expired, revoked, or was issued to another client.",
    replayed: "The refresh token has already been used; every token of its grant is now revoked.",
};

pub struct RefreshToken {
    tokens: Arc<Tokens>,
    flows: Arc<dyn FlowStore>,
}

impl RefreshToken {
    pub fn new(s: &Services) -> Self {
        Self {
            tokens: s.tokens.clone(),
            flows: s.flows.clone(),
        }
    }
}

/// RFC 6749 §6.
pub struct Params {
    refresh_token: String,
    scope: Option<String>,
}

impl FromForm for Params {
    fn from_form(form: &FormParams) -> Result<Self, OAuthError> {
        Ok(Self {
            refresh_token: form.require("refresh_token")?.to_owned(),
            scope: form.get("scope").map(str::to_owned),
        })
    }
}

impl Grant for RefreshToken {
    const NAME: &'static str = "refresh_token";
    const CLIENT_AUTH: ClientAuth = ClientAuth::AnyClient;
    type Params = Params;

    async fn handle(
        &self,
        req: &ClientRequest,
        params: Params,
    ) -> Result<TokenResponse, OAuthError> {
        self.refresh(&req.client, &params).await
    }
}

impl RefreshToken {
    async fn refresh(
        &self,
        client: &AuthenticatedClient,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError> {
        let (signature, row) = REFRESH
            .check(&self.tokens, client, &params.refresh_token)
            .await?;
        let granted: Vec<String> = row
            .scope
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let scope = match params.scope.as_deref() {
            None => granted.clone(),
            Some(s) => {
                let asked: Vec<String> = s
                    .split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                if let Some(extra) = asked.iter().find(|a| !granted.contains(a)) {
                    return Err(OAuthError::new(
                        ErrorCode::InvalidScope,
                        format!("The scope {extra:?} was not granted to this refresh token."),
                    ));
                }
                asked
            }
        };
        // A revoked consent deletes the flow: its refresh tokens stop working.
        let (flow, record) = completed_flow(&*self.flows, &row.request_id, REFRESH.unknown).await?;
        // A narrowed scope holds for this and later tokens; one without offline ends the chain (no
        // new refresh token). The tokens it replaces: the spent refresh token and the family's access
        // tokens, in the same transaction.
        let mut issue = Issue::from_flow(Issuing::Refresh, client, &flow, &record, &scope);
        issue.access_claims = Some(&row.extra);
        let issued = self.tokens.issuer().mint(&issue).await?;
        REFRESH
            .spend(&self.tokens, &signature, &row, true, &issued.rows)
            .await?;
        Ok(issued.response())
    }
}

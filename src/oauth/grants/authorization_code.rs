//! The authorization code grant (RFC 6749 §4.1.3, RFC 7636 §4.6, OIDC Core §3.1.3).
//!
//! A code is single-use across every node: it is spent by one conditional `UPDATE`, and whoever
//! loses that race, or presents a spent code, gets `invalid_grant` while every token issued from
//! the code's flow is revoked (RFC 6749 §4.1.2, RFC 9700 §4.2.2 — a replayed code means it
//! leaked). The redirect URI must repeat the authorization request's, and a PKCE verifier must
//! match the challenge; a verifier without a challenge is refused too (RFC 9700 §2.1.1: that is
//! how a PKCE downgrade looks).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use std::sync::Arc;

use super::{ClientAuth, FromForm, Grant, Spendable, TokenResponse, completed_flow, invalid_grant};
use crate::{
    crypto::opaque::TokenKind,
    oauth::{
        OAuthError, Services,
        client_auth::AuthenticatedClient,
        context::ClientRequest,
        mint::{Issue, Issuing},
        params::FormParams,
        tokens::Tokens,
    },
    storage::FlowStore,
};

const CODE: Spendable = Spendable {
    kind: TokenKind::AuthorizeCode,
    unknown: "The authorization code is invalid, expired, or was issued to another client.",
    replayed: "The authorization code has already been used; the tokens issued from it are revoked.",
};

pub struct AuthorizationCode {
    tokens: Arc<Tokens>,
    flows: Arc<dyn FlowStore>,
}

impl AuthorizationCode {
    pub fn new(s: &Services) -> Self {
        Self {
            tokens: s.tokens.clone(),
            flows: s.flows.clone(),
        }
    }
}

/// RFC 6749 §4.1.3 and RFC 7636 §4.5.
pub struct Params {
    code: String,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
}

impl FromForm for Params {
    fn from_form(form: &FormParams) -> Result<Self, OAuthError> {
        Ok(Self {
            code: form.require("code")?.to_owned(),
            redirect_uri: form.get("redirect_uri").map(str::to_owned),
            code_verifier: form.get("code_verifier").map(str::to_owned),
        })
    }
}

impl Grant for AuthorizationCode {
    const NAME: &'static str = "authorization_code";
    const CLIENT_AUTH: ClientAuth = ClientAuth::AnyClient;
    type Params = Params;

    async fn handle(
        &self,
        req: &ClientRequest,
        params: Params,
    ) -> Result<TokenResponse, OAuthError> {
        self.exchange(&req.client, &params).await
    }
}

impl AuthorizationCode {
    async fn exchange(
        &self,
        client: &AuthenticatedClient,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError> {
        let (signature, row) = CODE.check(&self.tokens, client, &params.code).await?;
        let (flow, record) = completed_flow(&*self.flows, &row.request_id, CODE.unknown).await?;
        match params.redirect_uri.as_deref() {
            Some(r) if r == record.redirect_uri => {}
            None if !record.redirect_uri_sent => {}
            _ => {
                return Err(invalid_grant(
                    "The redirect_uri does not match the one of the authorization request.",
                ));
            }
        }
        match (&record.code_challenge, params.code_verifier.as_deref()) {
            (None, None) => {}
            (None, Some(_)) => {
                return Err(invalid_grant(
                    "code_verifier was sent, but the authorization request had no code_challenge.",
                ));
            }
            (Some(_), None) => {
                return Err(invalid_grant(
                    "The code_verifier is missing (RFC 7636 §4.5).",
                ));
            }
            (Some(challenge), Some(verifier)) => {
                let ok_format = crate::oauth::authorize::valid_pkce_value(verifier);
                let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
                if !ok_format || !bool::from(computed.as_bytes().ct_eq(challenge.as_bytes())) {
                    return Err(invalid_grant(
                        "The code_verifier does not match the code_challenge (RFC 7636 §4.6).",
                    ));
                }
            }
        }
        let issue = Issue {
            code_expires_ms: Some(row.expires_at),
            ..Issue::from_flow(
                Issuing::AuthorizationCode,
                client,
                &flow,
                &record,
                &flow.granted_scope,
            )
        };
        let issued = self.tokens.issuer().mint(&issue).await?;
        CODE.spend(&self.tokens, &signature, &row, false, &issued.rows)
            .await?;
        Ok(issued.response())
    }
}

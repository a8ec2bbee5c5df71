//! The client credentials grant (RFC 6749 §4.4): a confidential client gets an access token for
//! itself. Scopes are checked against the client's under `strategies.scope`, audiences against its
//! `audience` allow-list. No refresh token is issued (RFC 6749 §4.4.3).

use std::sync::Arc;

use super::{ClientAuth, FromForm, Grant, TokenResponse};
use crate::{
    config::Config,
    oauth::{
        OAuthError, Services, context::ClientRequest, mint::Issuing, params::FormParams, scope,
        tokens::Tokens,
    },
};

pub struct ClientCredentials {
    tokens: Arc<Tokens>,
    config: Arc<Config>,
}

impl ClientCredentials {
    pub fn new(s: &Services) -> Self {
        Self {
            tokens: s.tokens.clone(),
            config: s.config.clone(),
        }
    }
}

/// RFC 6749 §4.4.2, and RFC 8707's `audience` as Hydra reads it.
pub struct Params {
    scope: Vec<String>,
    audience: Vec<String>,
}

impl FromForm for Params {
    fn from_form(form: &FormParams) -> Result<Self, OAuthError> {
        Ok(Self {
            scope: form
                .get("scope")
                .unwrap_or_default()
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            audience: form.list("audience"),
        })
    }
}

impl Grant for ClientCredentials {
    const NAME: &'static str = "client_credentials";
    const CLIENT_AUTH: ClientAuth = ClientAuth::Confidential;
    type Params = Params;

    async fn handle(
        &self,
        req: &ClientRequest,
        params: Params,
    ) -> Result<TokenResponse, OAuthError> {
        let client = &req.client;
        scope::check_scope_and_audience(
            &self.config.strategies.scope,
            client,
            &params.scope,
            &params.audience,
        )?;
        self.tokens
            .issue_access_token(
                Issuing::ClientCredentials,
                client,
                &client.id,
                &params.scope,
                &params.audience,
            )
            .await
    }
}

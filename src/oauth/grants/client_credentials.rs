//! The client credentials grant (RFC 6749 §4.4): a confidential client gets an access token for
//! itself. Scopes are checked against the client's under `strategies.scope`, audiences against its
//! `audience` allow-list. No refresh token is issued (RFC 6749 §4.4.3).

use super::{ClientAuth, FromForm, Grant, TokenResponse};
use crate::oauth::{
    ErrorCode, OAuthCore, OAuthError,
    client_auth::AuthenticatedClient,
    mint::{Issue, Issuing},
    params::FormParams,
    scope,
};

pub struct ClientCredentials;

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
        core: &OAuthCore,
        client: &AuthenticatedClient,
        params: Params,
    ) -> Result<TokenResponse, OAuthError> {
        core.check_scope_and_audience(client, &params.scope, &params.audience)?;
        core.issue_access_token(
            Issuing::ClientCredentials,
            client,
            &client.id,
            &params.scope,
            &params.audience,
        )
        .await
    }
}

impl OAuthCore {
    /// Mints and stores an access token alone, with no flow behind it: the grants without a user
    /// who consents (client credentials, JWT bearer).
    pub(crate) async fn issue_access_token(
        &self,
        issuing: Issuing,
        client: &AuthenticatedClient,
        subject: &str,
        scope: &[String],
        audience: &[String],
    ) -> Result<TokenResponse, OAuthError> {
        // Time-ordered (UUIDv7): new ids append to the request index instead of dirtying a
        // random page of it per token.
        let request_id = uuid::Uuid::now_v7().simple().to_string();
        let issued = self
            .issuer
            .mint(&Issue {
                issuing,
                client,
                request_id: &request_id,
                subject,
                scope,
                audience,
                flow: None,
                code: false,
                access_token: true,
                id_token: false,
                access_claims: None,
                code_expires_ms: None,
            })
            .await?;
        for row in &issued.rows {
            self.tokens.insert_token(row).await?;
        }
        Ok(issued.response())
    }

    /// Checks requested scopes against the client's (under `strategies.scope`) and audiences
    /// against its `audience` allow-list: the grants without a user who consents to them.
    pub(crate) fn check_scope_and_audience(
        &self,
        client: &AuthenticatedClient,
        requested: &[String],
        audience: &[String],
    ) -> Result<(), OAuthError> {
        let client_scope = client.metadata.scope.as_deref().unwrap_or_default();
        let allowed: Vec<&str> = client_scope.split(' ').filter(|s| !s.is_empty()).collect();
        for s in requested {
            if !scope::allowed(&self.config.strategies.scope, &allowed, s) {
                return Err(OAuthError::new(
                    ErrorCode::InvalidScope,
                    format!("The client is not allowed to request the scope {s:?}."),
                ));
            }
        }
        self.check_audience(client, audience)
    }

    /// Checks requested audiences against the client's `audience` allow-list.
    pub(crate) fn check_audience(
        &self,
        client: &AuthenticatedClient,
        audience: &[String],
    ) -> Result<(), OAuthError> {
        let allowed_aud = client.metadata.audience.as_deref().unwrap_or_default();
        if let Some(a) = audience.iter().find(|a| !allowed_aud.contains(a)) {
            return Err(OAuthError::invalid_request(format!(
                "The client is not allowed to request the audience {a:?}."
            )));
        }
        Ok(())
    }
}

//! The token endpoint's grants: `grant_type` parsed into a closed enum and matched exhaustively,
//! one file per grant.

mod client_credentials;

use serde::Serialize;

use super::{ErrorCode, OAuthCore, OAuthError, client_auth::Presented, params::FormParams};

/// The grant types this server knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantType {
    ClientCredentials,
}

impl GrantType {
    /// RFC 6749 §5.2: an unknown grant type is `unsupported_grant_type`.
    pub fn parse(s: &str) -> Result<Self, OAuthError> {
        match s {
            "client_credentials" => Ok(Self::ClientCredentials),
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
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scope: String,
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
            GrantType::ClientCredentials => {
                client_credentials::handle(self, &client, &params).await
            }
        }
    }
}

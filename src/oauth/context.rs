//! The request contexts of the endpoints clients call directly, built once per request and handed
//! to what runs it: a [`ClientRequest`] for the token endpoint and the other client-authenticated
//! endpoints (revocation, device authorization), a [`BearerRequest`] for protected resources
//! (userinfo). What a cross-cutting feature needs — a proof of possession, resource indicators —
//! is added here, in one place, and every endpoint of the kind sees it.

use super::{
    OAuthError,
    client_auth::{AuthenticatedClient, Authenticator, Presented},
    params::FormParams,
};

/// A client-authenticated request: its form, and the client with how it authenticated
/// ([`AuthenticatedClient::method`]).
#[derive(Debug)]
pub struct ClientRequest {
    pub form: FormParams,
    pub client: AuthenticatedClient,
}

/// A request whose client has not been authenticated yet: the form parsed (`lists` are the
/// parameters that may repeat) and the credentials found. Endpoints that must answer some
/// errors before authenticating (an unknown grant type is `unsupported_grant_type` whoever asks)
/// check them here, then [`Self::authenticate`].
#[derive(Debug)]
pub struct Unauthenticated {
    pub form: FormParams,
    presented: Presented,
}

impl Unauthenticated {
    pub fn parse(
        authorization: Option<&str>,
        body: &[u8],
        lists: &[&str],
    ) -> Result<Self, OAuthError> {
        let form = FormParams::parse(body, lists)?;
        let presented = Presented::from_request(authorization, &form)?;
        Ok(Self { form, presented })
    }

    pub async fn authenticate(self, auth: &Authenticator) -> Result<ClientRequest, OAuthError> {
        let client = auth.authenticate(&self.presented).await?;
        Ok(ClientRequest {
            form: self.form,
            client,
        })
    }
}

/// A request to a protected resource: the bearer access token it presents (RFC 6750 §2.1 in the
/// `Authorization` header, or §2.2 in the form body).
#[derive(Debug)]
pub struct BearerRequest {
    pub token: String,
}

impl BearerRequest {
    /// The token from the header or the form body: `None` when neither has one (RFC 6750 §3.1:
    /// then the challenge carries no error code), `invalid_request` when both do (§2).
    pub fn from_parts(
        header: Option<String>,
        body: Option<String>,
    ) -> Result<Option<Self>, OAuthError> {
        match (header, body) {
            (Some(_), Some(_)) => Err(OAuthError::invalid_request(
                "Send the access token in one place only (RFC 6750 §2).",
            )),
            (Some(t), None) | (None, Some(t)) if !t.is_empty() => Ok(Some(Self { token: t })),
            _ => Ok(None),
        }
    }
}

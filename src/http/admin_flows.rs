//! Hydra's login and consent request API on the admin listener:
//! `/admin/oauth2/auth/requests/{login,consent}[/accept|/reject]`.

use poem::web::Data;
use poem_openapi::{ApiResponse, OpenApi, param::Query, payload::Json};

use super::{State, admin::ErrorResponse, payload::StrictJson, public::Tag};
use crate::{
    clients::AdminError,
    flows::ChallengeError,
    wire::{
        AcceptOAuth2ConsentRequest, AcceptOAuth2LoginRequest, GenericError, OAuth2ConsentRequest,
        OAuth2LoginRequest, OAuth2RedirectTo, RejectOAuth2Request,
    },
};

/// A request answered with Hydra's shapes; a finished or expired flow is 410 with where to send
/// the browser to start over.
#[derive(ApiResponse)]
pub enum Fetched<T: poem_openapi::types::ToJSON + Send + Sync> {
    /// The request.
    #[oai(status = 200)]
    Ok(Json<T>),
    /// The flow has completed or expired; `redirect_to` starts it over.
    #[oai(status = 410)]
    Gone(Json<OAuth2RedirectTo>),
    /// The challenge is malformed.
    #[oai(status = 400)]
    BadRequest(Json<GenericError>),
    /// No such challenge.
    #[oai(status = 404)]
    NotFound(Json<GenericError>),
    /// Something failed inside the server; details are in its log.
    #[oai(status = 500)]
    Internal(Json<GenericError>),
}

impl<T: poem_openapi::types::ToJSON + Send + Sync> From<ChallengeError> for Fetched<T> {
    fn from(e: ChallengeError) -> Self {
        let admin = match e {
            ChallengeError::Gone { redirect_to } => {
                return Self::Gone(Json(OAuth2RedirectTo { redirect_to }));
            }
            ChallengeError::NotFound => AdminError::NotFound(
                "The challenge does not exist, or it was issued by another server.".into(),
            ),
            ChallengeError::BadRequest(d) => AdminError::invalid("invalid_request", d),
            ChallengeError::Internal(c) => AdminError::Internal(c),
        };
        match ErrorResponse::from(admin) {
            ErrorResponse::BadRequest(b) | ErrorResponse::Conflict(b) => Self::BadRequest(b),
            ErrorResponse::NotFound(b) => Self::NotFound(b),
            ErrorResponse::Internal(b) => Self::Internal(b),
        }
    }
}

fn answer<T: poem_openapi::types::ToJSON + Send + Sync>(
    r: Result<T, ChallengeError>,
) -> Fetched<T> {
    match r {
        Ok(v) => Fetched::Ok(Json(v)),
        Err(e) => e.into(),
    }
}

pub struct FlowsApi;

#[OpenApi(tag = "Tag::OAuth2")]
impl FlowsApi {
    /// Get an OAuth 2.0 login request.
    ///
    /// The login app calls this with the `login_challenge` it was sent, to learn which client
    /// asks, for which scopes, and whether the user is already logged in (`skip`).
    #[oai(
        path = "/admin/oauth2/auth/requests/login",
        method = "get",
        operation_id = "getOAuth2LoginRequest"
    )]
    async fn get_login(
        &self,
        state: Data<&State>,
        login_challenge: Query<String>,
    ) -> Fetched<OAuth2LoginRequest> {
        answer(state.oauth.login_request(&login_challenge.0).await)
    }

    /// Accept an OAuth 2.0 login request.
    ///
    /// Tells the server who logged in. Send the browser to `redirect_to`.
    #[oai(
        path = "/admin/oauth2/auth/requests/login/accept",
        method = "put",
        operation_id = "acceptOAuth2LoginRequest"
    )]
    async fn accept_login(
        &self,
        state: Data<&State>,
        login_challenge: Query<String>,
        body: StrictJson<AcceptOAuth2LoginRequest>,
    ) -> Fetched<OAuth2RedirectTo> {
        answer(state.oauth.accept_login(&login_challenge.0, body.0).await)
    }

    /// Reject an OAuth 2.0 login request.
    ///
    /// The client receives the given OAuth 2.0 error (`access_denied` by default). Send the
    /// browser to `redirect_to`.
    #[oai(
        path = "/admin/oauth2/auth/requests/login/reject",
        method = "put",
        operation_id = "rejectOAuth2LoginRequest"
    )]
    async fn reject_login(
        &self,
        state: Data<&State>,
        login_challenge: Query<String>,
        body: StrictJson<RejectOAuth2Request>,
    ) -> Fetched<OAuth2RedirectTo> {
        answer(state.oauth.reject_login(&login_challenge.0, body.0).await)
    }

    /// Get an OAuth 2.0 consent request.
    ///
    /// The consent app calls this with the `consent_challenge` it was sent, to learn who is
    /// asked to grant which scopes to which client, and whether they granted them before (`skip`).
    #[oai(
        path = "/admin/oauth2/auth/requests/consent",
        method = "get",
        operation_id = "getOAuth2ConsentRequest"
    )]
    async fn get_consent(
        &self,
        state: Data<&State>,
        consent_challenge: Query<String>,
    ) -> Fetched<OAuth2ConsentRequest> {
        answer(state.oauth.consent_request(&consent_challenge.0).await)
    }

    /// Accept an OAuth 2.0 consent request.
    ///
    /// Grants scopes and audiences (each must have been requested) and sets the session claims
    /// of the tokens. Send the browser to `redirect_to`.
    #[oai(
        path = "/admin/oauth2/auth/requests/consent/accept",
        method = "put",
        operation_id = "acceptOAuth2ConsentRequest"
    )]
    async fn accept_consent(
        &self,
        state: Data<&State>,
        consent_challenge: Query<String>,
        body: StrictJson<AcceptOAuth2ConsentRequest>,
    ) -> Fetched<OAuth2RedirectTo> {
        answer(
            state
                .oauth
                .accept_consent(&consent_challenge.0, body.0)
                .await,
        )
    }

    /// Reject an OAuth 2.0 consent request.
    ///
    /// The client receives the given OAuth 2.0 error (`access_denied` by default). Send the
    /// browser to `redirect_to`.
    #[oai(
        path = "/admin/oauth2/auth/requests/consent/reject",
        method = "put",
        operation_id = "rejectOAuth2ConsentRequest"
    )]
    async fn reject_consent(
        &self,
        state: Data<&State>,
        consent_challenge: Query<String>,
        body: StrictJson<RejectOAuth2Request>,
    ) -> Fetched<OAuth2RedirectTo> {
        answer(
            state
                .oauth
                .reject_consent(&consent_challenge.0, body.0)
                .await,
        )
    }
}

//! The login, consent and logout requests of Hydra's challenge API:
//! `/admin/oauth2/auth/requests/{login,consent,logout}[/accept|/reject]`. A request whose flow
//! completed or expired answers 410 with where to send the browser to start over.

use poem::web::Data;
use poem_openapi::{OpenApi, param::Query, payload::Json};

use super::{AdminResult, Deleted};
use crate::{
    http::{State, payload::StrictJson, public::Tag},
    wire::{
        AcceptDeviceUserCodeRequest, AcceptOAuth2ConsentRequest, AcceptOAuth2LoginRequest,
        OAuth2ConsentRequest, OAuth2LoginRequest, OAuth2LogoutRequest, OAuth2RedirectTo,
        RejectOAuth2Request,
    },
};

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
    ) -> AdminResult<Json<OAuth2LoginRequest>> {
        Ok(Json(state.flows.login_request(&login_challenge.0).await?))
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
    ) -> AdminResult<Json<OAuth2RedirectTo>> {
        Ok(Json(
            state.flows.accept_login(&login_challenge.0, body.0).await?,
        ))
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
    ) -> AdminResult<Json<OAuth2RedirectTo>> {
        Ok(Json(
            state.flows.reject_login(&login_challenge.0, body.0).await?,
        ))
    }

    /// Accept a device grant user code.
    ///
    /// The device verification app calls this with the `device_challenge` it was sent and the
    /// user code the user typed. A code of a pending device authorization continues the flow:
    /// send the browser to `redirect_to` (then to the login and consent apps). A wrong or
    /// expired code is a 400; after too many wrong codes the challenge is refused.
    #[oai(
        path = "/admin/oauth2/auth/requests/device/accept",
        method = "put",
        operation_id = "acceptUserCodeRequest"
    )]
    async fn accept_user_code(
        &self,
        state: Data<&State>,
        device_challenge: Query<String>,
        body: StrictJson<AcceptDeviceUserCodeRequest>,
    ) -> AdminResult<Json<OAuth2RedirectTo>> {
        Ok(Json(
            state
                .flows
                .accept_user_code(&device_challenge.0, body.0)
                .await?,
        ))
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
    ) -> AdminResult<Json<OAuth2ConsentRequest>> {
        Ok(Json(
            state.flows.consent_request(&consent_challenge.0).await?,
        ))
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
    ) -> AdminResult<Json<OAuth2RedirectTo>> {
        Ok(Json(
            state
                .flows
                .accept_consent(&consent_challenge.0, body.0)
                .await?,
        ))
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
    ) -> AdminResult<Json<OAuth2RedirectTo>> {
        Ok(Json(
            state
                .flows
                .reject_consent(&consent_challenge.0, body.0)
                .await?,
        ))
    }

    /// Get an OAuth 2.0 logout request.
    #[oai(
        path = "/admin/oauth2/auth/requests/logout",
        method = "get",
        operation_id = "getOAuth2LogoutRequest"
    )]
    async fn get_logout(
        &self,
        state: Data<&State>,
        logout_challenge: Query<String>,
    ) -> AdminResult<Json<OAuth2LogoutRequest>> {
        Ok(Json(state.flows.logout_request(&logout_challenge.0).await?))
    }

    /// Accept an OAuth 2.0 logout request.
    ///
    /// The user confirmed: send the browser to `redirect_to`, which ends the session, notifies
    /// the session's clients, and goes on to the post-logout redirect.
    #[oai(
        path = "/admin/oauth2/auth/requests/logout/accept",
        method = "put",
        operation_id = "acceptOAuth2LogoutRequest"
    )]
    async fn accept_logout(
        &self,
        state: Data<&State>,
        logout_challenge: Query<String>,
    ) -> AdminResult<Json<OAuth2RedirectTo>> {
        Ok(Json(state.flows.accept_logout(&logout_challenge.0)?))
    }

    /// Reject an OAuth 2.0 logout request: the user stays logged in.
    #[oai(
        path = "/admin/oauth2/auth/requests/logout/reject",
        method = "put",
        operation_id = "rejectOAuth2LogoutRequest"
    )]
    async fn reject_logout(
        &self,
        state: Data<&State>,
        logout_challenge: Query<String>,
    ) -> AdminResult<Deleted> {
        state.flows.reject_logout(&logout_challenge.0)?;
        Ok(Deleted::NoContent)
    }
}

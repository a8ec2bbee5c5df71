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
        OAuth2ConsentSession, OAuth2LoginRequest, OAuth2LogoutRequest, OAuth2RedirectTo,
        RejectOAuth2Request,
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

#[derive(ApiResponse)]
pub enum Done {
    /// Done.
    #[oai(status = 204)]
    NoContent,
    /// The challenge is malformed.
    #[oai(status = 400)]
    BadRequest(Json<GenericError>),
    /// No such challenge.
    #[oai(status = 404)]
    NotFound(Json<GenericError>),
    /// The logout request has expired.
    #[oai(status = 410)]
    Gone(Json<OAuth2RedirectTo>),
    /// Something failed inside the server; details are in its log.
    #[oai(status = 500)]
    Internal(Json<GenericError>),
}

impl From<ChallengeError> for Done {
    fn from(e: ChallengeError) -> Self {
        match Fetched::<OAuth2RedirectTo>::from(e) {
            Fetched::Ok(_) => Self::NoContent,
            Fetched::Gone(g) => Self::Gone(g),
            Fetched::BadRequest(b) => Self::BadRequest(b),
            Fetched::NotFound(b) => Self::NotFound(b),
            Fetched::Internal(b) => Self::Internal(b),
        }
    }
}

#[derive(ApiResponse)]
pub enum ConsentSessions {
    /// A page of the subject's consent sessions. The `Link` header carries the `first` and,
    /// when there are more, the `next` page (RFC 8288).
    #[oai(status = 200)]
    Ok(
        Json<Vec<OAuth2ConsentSession>>,
        #[oai(header = "Link")] String,
    ),
}

type AdminResult<T> = std::result::Result<T, ErrorResponse>;

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
    ) -> Fetched<OAuth2LogoutRequest> {
        answer(state.oauth.logout_request(&logout_challenge.0).await)
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
    ) -> Fetched<OAuth2RedirectTo> {
        answer(state.oauth.accept_logout(&logout_challenge.0))
    }

    /// Reject an OAuth 2.0 logout request: the user stays logged in.
    #[oai(
        path = "/admin/oauth2/auth/requests/logout/reject",
        method = "put",
        operation_id = "rejectOAuth2LogoutRequest"
    )]
    async fn reject_logout(&self, state: Data<&State>, logout_challenge: Query<String>) -> Done {
        match state.oauth.reject_logout(&logout_challenge.0) {
            Ok(()) => Done::NoContent,
            Err(e) => e.into(),
        }
    }

    /// List the consent sessions of a subject.
    ///
    /// Every consent the subject gave (not the skipped ones), optionally only those given in one
    /// login session, in a stable order, a page at a time.
    #[oai(
        path = "/admin/oauth2/auth/sessions/consent",
        method = "get",
        operation_id = "listOAuth2ConsentSessions"
    )]
    async fn list_consents(
        &self,
        state: Data<&State>,
        /// The subject whose consents to list.
        subject: Query<String>,
        /// Only consents given in this login session.
        login_session_id: Query<Option<String>>,
        /// Items per page (1 to 500, default 250).
        page_size: Query<Option<u64>>,
        /// The opaque token of the page to fetch, from the `Link` header of the previous page.
        page_token: Query<Option<String>>,
    ) -> AdminResult<ConsentSessions> {
        let page = state
            .oauth
            .list_consent_sessions(
                &subject.0,
                login_session_id.0.as_deref(),
                page_size.0,
                page_token.0.as_deref(),
            )
            .await?;
        let size = page_size.0.unwrap_or(crate::clients::DEFAULT_PAGE_SIZE);
        let link = |token: Option<&str>, rel: &str| {
            let mut q = url::form_urlencoded::Serializer::new(String::new());
            q.append_pair("subject", &subject.0);
            if let Some(sid) = &login_session_id.0 {
                q.append_pair("login_session_id", sid);
            }
            q.append_pair("page_size", &size.to_string());
            if let Some(t) = token {
                q.append_pair("page_token", t);
            }
            format!(
                "</admin/oauth2/auth/sessions/consent?{}>; rel=\"{rel}\"",
                q.finish()
            )
        };
        let mut links = vec![link(None, "first")];
        if let Some(next) = &page.next_page_token {
            links.push(link(Some(next), "next"));
        }
        Ok(ConsentSessions::Ok(Json(page.sessions), links.join(",")))
    }

    /// Revoke consent sessions of a subject.
    ///
    /// Revokes the subject's consents to one `client`, or to every client with `all=true`, and
    /// every access and refresh token those consents granted.
    #[oai(
        path = "/admin/oauth2/auth/sessions/consent",
        method = "delete",
        operation_id = "revokeOAuth2ConsentSessions"
    )]
    async fn revoke_consents(
        &self,
        state: Data<&State>,
        /// The subject whose consents to revoke.
        subject: Query<String>,
        /// Only the consents to this client.
        client: Query<Option<String>>,
        /// Revoke the consents to every client.
        all: Query<Option<bool>>,
    ) -> AdminResult<super::admin::Deleted> {
        if client.0.is_none() && all.0 != Some(true) {
            return Err(AdminError::invalid(
                "invalid_request",
                "Name a client, or set all=true to revoke the consents to every client.",
            )
            .into());
        }
        let only = if all.0 == Some(true) {
            None
        } else {
            client.0.as_deref()
        };
        state
            .oauth
            .revoke_consent_sessions(&subject.0, only)
            .await?;
        Ok(super::admin::Deleted::NoContent)
    }

    /// Revoke login sessions.
    ///
    /// With `sid`, ends that login session and notifies its clients (back-channel logout). With
    /// `subject`, ends every remembered login session of the subject.
    #[oai(
        path = "/admin/oauth2/auth/sessions/login",
        method = "delete",
        operation_id = "revokeOAuth2LoginSessions"
    )]
    async fn revoke_logins(
        &self,
        state: Data<&State>,
        /// The subject whose login sessions to end.
        subject: Query<Option<String>>,
        /// The login session to end.
        sid: Query<Option<String>>,
    ) -> AdminResult<super::admin::Deleted> {
        match (&subject.0, &sid.0) {
            (_, Some(sid)) => {
                let subject = subject.0.clone();
                state
                    .oauth
                    .end_session_by_id(sid, subject.as_deref())
                    .await
                    .map_err(|e| AdminError::Internal(format!("{e:?}")))?;
            }
            (Some(subject), None) => {
                state
                    .oauth
                    .flows
                    .delete_login_sessions(Some(subject), None)
                    .await
                    .map_err(AdminError::from)?;
            }
            (None, None) => {
                return Err(
                    AdminError::invalid("invalid_request", "Name a subject or a sid.").into(),
                );
            }
        }
        Ok(super::admin::Deleted::NoContent)
    }
}

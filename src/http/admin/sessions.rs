//! `/admin/oauth2/auth/sessions/{consent,login}`: a subject's remembered consents (list,
//! revoke) and login sessions (end).

use poem::web::Data;
use poem_openapi::{ApiResponse, OpenApi, param::Query, payload::Json};

use super::{AdminResult, Deleted, page_links};
use crate::{
    error::AdminError,
    http::{State, public::Tag},
    wire::OAuth2ConsentSession,
};

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

pub struct SessionsApi;

#[OpenApi(tag = "Tag::OAuth2")]
impl SessionsApi {
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
            .sessions
            .list_consent_sessions(
                &subject.0,
                login_session_id.0.as_deref(),
                page_size.0,
                page_token.0.as_deref(),
            )
            .await?;
        let links = page_links(
            "/admin/oauth2/auth/sessions/consent",
            &[
                ("subject", Some(&subject.0)),
                ("login_session_id", login_session_id.0.as_deref()),
            ],
            page.page_size,
            page.next_page_token.as_deref(),
        );
        Ok(ConsentSessions::Ok(Json(page.sessions), links))
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
    ) -> AdminResult<Deleted> {
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
            .sessions
            .revoke_consent_sessions(&subject.0, only)
            .await?;
        Ok(Deleted::NoContent)
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
    ) -> AdminResult<Deleted> {
        match (&subject.0, &sid.0) {
            (_, Some(sid)) => {
                let subject = subject.0.clone();
                state
                    .flows
                    .end_session_by_id(sid, subject.as_deref())
                    .await
                    .map_err(|e| AdminError::Internal(format!("{e:?}")))?;
            }
            (Some(subject), None) => {
                state.sessions.end_sessions_of(subject).await?;
            }
            (None, None) => {
                return Err(
                    AdminError::invalid("invalid_request", "Name a subject or a sid.").into(),
                );
            }
        }
        Ok(Deleted::NoContent)
    }
}

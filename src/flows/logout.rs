//! Logout: OpenID Connect RP-Initiated Logout 1.0 at `/oauth2/sessions/logout`, Hydra's logout
//! challenge API, Front-Channel Logout 1.0 (a page of iframes, one per client of the session) and
//! Back-Channel Logout 1.0 (a signed logout token POSTed to each client, in the background, with
//! a timeout and retries, so a slow client never holds up the user).
//!
//! Like login and consent, a logout in progress travels sealed in its challenge and verifier.
//! `post_logout_redirect_uri` is only honoured when it is registered for the client named by the
//! `id_token_hint` (or `client_id`): never an open redirect.

use crate::error::AdminError;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Flows, SESSION_COOKIE, SetCookie, Stage};
use crate::{
    oauth::{ErrorCode, OAuthError, params::FormParams},
    query::with_param,
    wire::{OAuth2LogoutRequest, OAuth2RedirectTo},
};

/// A logout in progress.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LogoutState {
    pub id: String,
    pub subject: String,
    pub sid: String,
    pub client_id: Option<String>,
    /// Registered for `client_id`, so safe to redirect to.
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub rp_initiated: bool,
    pub request_url: String,
    pub requested_at: i64,
    /// The value of the logout CSRF cookie of the browser that started the logout: its verifier
    /// is honoured only there.
    #[serde(default)]
    pub csrf: String,
}

/// The logout step's CSRF cookie (one per browser, like the device step's).
pub const LOGOUT_CSRF_COOKIE: &str = "latchkey_logout_csrf";

/// What the HTTP layer does with a logout request.
#[derive(Debug)]
pub enum LogoutOutcome {
    /// Send the browser on (to the logout app, or straight to the end).
    Redirect {
        location: String,
        cookies: Vec<SetCookie>,
    },
    /// Logged out: show the front-channel iframes, then go on to `location`.
    Done {
        location: String,
        frontchannel: Vec<String>,
        cookies: Vec<SetCookie>,
    },
    /// Show the error page.
    Page(OAuthError),
}

/// How long a back-channel POST may take, and how often it is tried.
const BACKCHANNEL_TIMEOUT: Duration = Duration::from_secs(5);
const BACKCHANNEL_ATTEMPTS: u32 = 3;

impl Flows {
    fn post_logout_default(&self) -> String {
        self.config
            .urls
            .post_logout_redirect
            .clone()
            .unwrap_or_else(|| format!("{}/ui/signed-out", self.config.public_base()))
    }

    fn logout_done_location(&self, s: &LogoutState) -> String {
        match &s.post_logout_redirect_uri {
            Some(uri) => match &s.state {
                Some(st) => with_param(uri, "state", st),
                None => uri.clone(),
            },
            None => self.post_logout_default(),
        }
    }

    /// `GET|POST /oauth2/sessions/logout` without a verifier: work out whose session ends and
    /// where to go afterwards, then ask the logout app (or, with a verifier, finish).
    pub async fn logout(
        &self,
        raw: &[u8],
        cookie: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> LogoutOutcome {
        match self.logout_inner(raw, cookie).await {
            Ok(o) => o,
            Err(e) => LogoutOutcome::Page(e),
        }
    }

    async fn logout_inner(
        &self,
        raw: &[u8],
        cookie: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<LogoutOutcome, OAuthError> {
        let params = FormParams::parse(raw, &[])?;
        if let Some(v) = params.get("logout_verifier") {
            let state: LogoutState = self
                .open_flow(Stage::LogoutVerifier, v)
                .filter(|s: &LogoutState| !self.logout_expired(s))
                .ok_or_else(|| {
                    OAuthError::new(
                        ErrorCode::InvalidRequest,
                        "The logout verifier is invalid or has expired.",
                    )
                })?;
            // Logout CSRF: only the browser that started this logout may finish it (like the
            // login and consent verifiers), and only once (as Hydra marks a logout request used):
            // a verifier sent to someone else ends nothing and redirects nowhere.
            if !super::same_browser(cookie(LOGOUT_CSRF_COOKIE), &state.csrf) {
                return Err(OAuthError::new(
                    ErrorCode::RequestForbidden,
                    "The logout was started in another browser, or its cookie expired (CSRF check failed).",
                ));
            }
            let ttl = self.config.ttl.login_consent_request.get();
            if !self
                .jtis
                .first_use(
                    &["logout_verifier", &state.id],
                    state.requested_at + ttl.as_millis() as i64,
                )
                .await?
            {
                return Err(OAuthError::invalid_request(
                    "The logout verifier has been used already.",
                ));
            }
            return self.finish_logout(&state, cookie).await;
        }
        let hint = match params.get("id_token_hint") {
            Some(h) => Some(self.tokens.issuer().verify_id_token_hint(h).await?),
            None => None,
        };
        let hint_client = hint.as_ref().and_then(|c| match c.get("aud") {
            Some(Value::String(a)) => Some(a.clone()),
            Some(Value::Array(a)) => a.first().and_then(Value::as_str).map(str::to_owned),
            _ => None,
        });
        let client_id = match (params.get("client_id"), hint_client) {
            (Some(c), Some(h)) if c != h => {
                return Err(OAuthError::invalid_request(
                    "client_id does not match the audience of id_token_hint.",
                ));
            }
            (Some(c), _) => Some(c.to_owned()),
            (None, h) => h,
        };
        let client = match &client_id {
            Some(id) => Some(self.clients.resolve(id).await?.ok_or_else(|| {
                OAuthError::new(
                    ErrorCode::InvalidClient,
                    "The OAuth 2.0 client does not exist.",
                )
            })?),
            None => None,
        };
        let post_logout_redirect_uri = match params.get("post_logout_redirect_uri") {
            None => None,
            Some(uri) => {
                let registered = client
                    .as_ref()
                    .and_then(|c| c.metadata.post_logout_redirect_uris.as_ref())
                    .is_some_and(|list| list.iter().any(|r| r == uri));
                if !registered {
                    return Err(OAuthError::invalid_request(
                        "post_logout_redirect_uri is not registered for the client named by id_token_hint or client_id.",
                    ));
                }
                Some(uri.to_owned())
            }
        };
        let session = self.current_session(cookie).await?;
        let hint_sub = hint
            .as_ref()
            .and_then(|c| c.get("sub"))
            .and_then(Value::as_str);
        let hint_sid = hint
            .as_ref()
            .and_then(|c| c.get("sid"))
            .and_then(Value::as_str);
        if let (Some(s), Some(sub)) = (&session, hint_sub)
            && s.subject != sub
            && client
                .as_ref()
                .and_then(|c| self.pairwise_subject(&c.metadata, &s.subject))
                .as_deref()
                != Some(sub)
        {
            return Err(OAuthError::invalid_request(
                "The id_token_hint belongs to another user than the one logged in.",
            ));
        }
        let (subject, sid) = match (&session, hint_sub, hint_sid) {
            (Some(s), _, _) => (s.subject.clone(), s.id.clone()),
            (None, Some(sub), Some(sid)) => (sub.to_owned(), sid.to_owned()),
            _ => {
                // Nobody to log out: go straight to where the logout would end.
                let state = LogoutState {
                    post_logout_redirect_uri,
                    state: params.get("state").map(str::to_owned),
                    ..LogoutState::default()
                };
                return Ok(LogoutOutcome::Redirect {
                    location: self.logout_done_location(&state),
                    cookies: vec![],
                });
            }
        };
        let query = String::from_utf8_lossy(raw);
        let state = LogoutState {
            id: uuid::Uuid::new_v4().simple().to_string(),
            subject,
            sid,
            client_id,
            post_logout_redirect_uri,
            state: params.get("state").map(str::to_owned),
            rp_initiated: hint.is_some(),
            request_url: format!(
                "{}/oauth2/sessions/logout?{query}",
                self.config.public_base()
            ),
            requested_at: self.clock.now().timestamp_millis(),
            csrf: crate::flows::random_hex(),
        };
        if client
            .as_ref()
            .is_some_and(|c| c.metadata.skip_logout_consent == Some(true))
        {
            return self.finish_logout(&state, cookie).await;
        }
        let challenge = self.seal_flow(Stage::LogoutChallenge, &state)?;
        let app = self
            .config
            .urls
            .logout
            .clone()
            .unwrap_or_else(|| format!("{}/ui/logout", self.config.public_base()));
        let ttl = self.config.ttl.login_consent_request.get();
        Ok(LogoutOutcome::Redirect {
            location: with_param(&app, "logout_challenge", &challenge),
            cookies: vec![SetCookie {
                name: LOGOUT_CSRF_COOKIE.into(),
                value: state.csrf,
                max_age: ttl.as_secs() as i64,
            }],
        })
    }

    fn logout_expired(&self, s: &LogoutState) -> bool {
        let ttl = self.config.ttl.login_consent_request.get();
        self.clock.now().timestamp_millis() > s.requested_at + ttl.as_millis() as i64
    }

    /// Ends the session: forgets it, notifies its clients, and says where the browser goes.
    async fn finish_logout(
        &self,
        s: &LogoutState,
        cookie: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<LogoutOutcome, OAuthError> {
        let frontchannel = self.end_login_session(&s.subject, &s.sid).await?;
        let cookies = [SESSION_COOKIE, LOGOUT_CSRF_COOKIE]
            .into_iter()
            .filter(|name| cookie(name).is_some())
            .map(SetCookie::delete)
            .collect();
        Ok(LogoutOutcome::Done {
            location: self.logout_done_location(s),
            frontchannel,
            cookies,
        })
    }

    /// Deletes a login session and notifies the clients that received tokens in it: back-channel
    /// logout tokens are sent in the background; the front-channel URLs are returned for the page.
    pub async fn end_login_session(
        &self,
        subject: &str,
        sid: &str,
    ) -> Result<Vec<String>, OAuthError> {
        self.flows.delete_login_sessions(None, Some(sid)).await?;
        let mut client_ids: Vec<String> = self
            .flows
            .session_flows(sid)
            .await?
            .into_iter()
            .filter(|f| f.subject == subject)
            .map(|f| f.client_id)
            .collect();
        client_ids.sort();
        client_ids.dedup();
        let issuer = &self.config.urls.self_.issuer;
        let mut frontchannel = Vec::new();
        let mut backchannel = Vec::new();
        for id in client_ids {
            let Some(c) = self.clients.resolve(&id).await? else {
                continue;
            };
            if let Some(uri) = c
                .metadata
                .frontchannel_logout_uri
                .as_deref()
                .filter(|u| !u.is_empty())
            {
                // Front-Channel Logout 1.0 §2: iss and sid when the client asks for them.
                frontchannel.push(
                    if c.metadata.frontchannel_logout_session_required == Some(true) {
                        with_param(&with_param(uri, "iss", issuer), "sid", sid)
                    } else {
                        uri.to_owned()
                    },
                );
            }
            if let Some(uri) = c
                .metadata
                .backchannel_logout_uri
                .as_deref()
                .filter(|u| !u.is_empty())
            {
                // The `sub` of the client's ID tokens (OIDC Back-Channel Logout §2.4).
                let known_as = self.pairwise_subject(&c.metadata, subject);
                let token = self
                    .tokens
                    .issuer()
                    .logout_token(&id, known_as.as_deref().unwrap_or(subject), sid)
                    .await?;
                backchannel.push((uri.to_owned(), c.owner, token));
            }
        }
        if !backchannel.is_empty() {
            tokio::spawn(send_backchannel(self.outbound.clone(), backchannel));
        }
        Ok(frontchannel)
    }

    /// Ends a login session by id (the admin API's `DELETE …/sessions/login?sid=`), notifying
    /// its clients over the back channel.
    pub async fn end_session_by_id(
        &self,
        sid: &str,
        subject: Option<&str>,
    ) -> Result<(), OAuthError> {
        let subject = match subject {
            Some(s) => s.to_owned(),
            None => match self.flows.get_login_session(sid).await? {
                Some(s) => s.subject,
                None => match self.flows.session_flows(sid).await?.into_iter().next() {
                    Some(f) => f.subject,
                    None => return Ok(()),
                },
            },
        };
        self.end_login_session(&subject, sid).await.map(|_| ())
    }

    /// `GET /admin/oauth2/auth/requests/logout`.
    pub async fn logout_request(&self, challenge: &str) -> Result<OAuth2LogoutRequest, AdminError> {
        let s = self.open_logout_challenge(challenge)?;
        let client = match &s.client_id {
            Some(id) => self.clients.resolve(id).await?.map(|c| c.public_metadata()),
            None => None,
        };
        let ttl = self.config.ttl.login_consent_request.get();
        use chrono::TimeZone;
        Ok(OAuth2LogoutRequest {
            challenge: challenge.to_owned(),
            subject: s.subject,
            sid: s.sid,
            // As Hydra: the path and query the logout request came to.
            request_url: s
                .request_url
                .strip_prefix(self.config.public_base().as_str())
                .unwrap_or(&s.request_url)
                .to_owned(),
            rp_initiated: s.rp_initiated,
            client,
            requested_at: chrono::Utc.timestamp_millis_opt(s.requested_at).single(),
            expires_at: chrono::Utc
                .timestamp_millis_opt(s.requested_at + ttl.as_millis() as i64)
                .single(),
        })
    }

    fn open_logout_challenge(&self, challenge: &str) -> Result<LogoutState, AdminError> {
        let s: LogoutState = self
            .open_flow(Stage::LogoutChallenge, challenge)
            .ok_or_else(AdminError::unknown_challenge)?;
        if self.logout_expired(&s) {
            return Err(AdminError::Gone {
                redirect_to: s.request_url,
            });
        }
        Ok(s)
    }

    /// `PUT /admin/oauth2/auth/requests/logout/accept`.
    pub fn accept_logout(&self, challenge: &str) -> Result<OAuth2RedirectTo, AdminError> {
        let s = self.open_logout_challenge(challenge)?;
        let verifier = self
            .seal_flow(Stage::LogoutVerifier, &s)
            .map_err(|e| AdminError::Internal(format!("{e:?}")))?;
        Ok(OAuth2RedirectTo {
            redirect_to: with_param(
                &format!("{}/oauth2/sessions/logout", self.config.public_base()),
                "logout_verifier",
                &verifier,
            ),
        })
    }

    /// `PUT /admin/oauth2/auth/requests/logout/reject`: the user stays logged in.
    pub fn reject_logout(&self, challenge: &str) -> Result<(), AdminError> {
        self.open_logout_challenge(challenge).map(|_| ())
    }
}

/// POSTs each logout token, retrying with backoff; failures are logged, never surfaced.
async fn send_backchannel(
    outbound: std::sync::Arc<crate::outbound::Outbound>,
    targets: Vec<(String, crate::outbound::Owner, String)>,
) {
    let sends = targets.into_iter().map(|(uri, owner, token)| {
        let outbound = outbound.clone();
        async move {
            let http = match outbound.client_for(&uri, owner) {
                Ok(h) => h,
                Err(e) => {
                    tracing::warn!(uri, error = %e, "back-channel logout refused by the SSRF guard");
                    return;
                }
            };
            for attempt in 1..=BACKCHANNEL_ATTEMPTS {
                let r = http
                    .post(&uri)
                    .timeout(BACKCHANNEL_TIMEOUT)
                    .form(&[("logout_token", token.as_str())])
                    .send()
                    .await;
                match r {
                    Ok(resp) if resp.status().is_success() => return,
                    Ok(resp) => tracing::warn!(
                        uri,
                        status = resp.status().as_u16(),
                        attempt,
                        "back-channel logout refused"
                    ),
                    Err(e) => {
                        tracing::warn!(uri, error = %e, attempt, "back-channel logout failed")
                    }
                }
                tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt))).await;
            }
        }
    });
    futures_util::future::join_all(sends).await;
}

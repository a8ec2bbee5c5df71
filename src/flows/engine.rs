//! The steps every flow goes through, whatever started it: send the browser to the login app
//! with a sealed login challenge; take the login verifier back (remember the login, decide
//! whether consent may be skipped) and send the browser to the consent app; take the consent
//! verifier back as a completed flow ready to store. What started the flow ([`Starter`]) decides
//! only how a verifier is matched to the request it returns to and how the completed flow is
//! answered: [`super::endpoint`] redirects to the client (the authorization endpoint),
//! [`super::device`] lets the device's next poll collect the tokens (RFC 8628).

use serde::{Deserialize, Serialize};

use super::{
    FlowState, Flows, HandledConsent, HandledLogin, SESSION_COOKIE, SetCookie, Stage, csrf_cookie,
    new_session_cookie, random_hex, same_browser, session_cookie_digest,
};
use crate::{
    oauth::{ErrorCode, OAuthError},
    query::with_param,
    storage::{FlowRecord, LoginSession, StoredFlow},
    wire::OidcContext,
};

/// What started a flow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Starter {
    /// An authorization request (`/oauth2/auth`): each verifier must come back with the same
    /// request, and the flow ends in a redirect to the client.
    #[default]
    Authorize,
    /// A device authorization (RFC 8628): the verifiers come back to `/oauth2/device/verify`, and
    /// the flow ends when the device polls. The flow's id is the device authorization's.
    Device,
}

impl Starter {
    /// The `kind` label of the flow metrics.
    pub fn label(self) -> &'static str {
        match self {
            Self::Authorize => "browser",
            Self::Device => "device",
        }
    }
}

/// A step's answer to the browser: where to go, and the cookies to set on the way.
#[derive(Debug)]
pub struct BrowserStep {
    pub location: String,
    pub cookies: Vec<SetCookie>,
}

/// A failed step: the error and the cookies to set anyway (CSRF cookies are cleared).
pub type StepError = (OAuthError, Vec<SetCookie>);

/// The start of a flow.
pub struct Begin {
    pub id: String,
    pub starter: Starter,
    pub client_id: String,
    /// Where the verifiers return (`request_url` in the challenge API).
    pub request_url: String,
    pub scope: Vec<String>,
    pub audience: Vec<String>,
    pub oidc_context: Option<OidcContext>,
    /// The remembered login to skip to, if any.
    pub session: Option<LoginSession>,
}

/// Whether the consent of a flow may be skipped.
#[derive(Clone, Copy, Debug)]
pub enum ConsentSkip {
    /// Always ask (device flows: the user confirms the device, RFC 8628 §5.4).
    Never,
    /// Skip when the client skips consent or an earlier consent covers the request, unless
    /// `prompt=consent` asked.
    Decide {
        prompt_consent: bool,
        client_skips: bool,
    },
}

impl Flows {
    fn app_url(&self, configured: Option<&String>, path: &str) -> String {
        configured
            .cloned()
            .unwrap_or_else(|| format!("{}/ui/{path}", self.config.public_base()))
    }

    /// The remembered login session of this browser, if it is still valid: found by the digest
    /// of its cookie, a secret only this browser holds (the session id is published as `sid`,
    /// so it never opens a session).
    pub(crate) async fn current_session(
        &self,
        cookie: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<Option<LoginSession>, OAuthError> {
        let Some(digest) = cookie(SESSION_COOKIE).and_then(|v| session_cookie_digest(&v)) else {
            return Ok(None);
        };
        let now = self.clock.now().timestamp_millis();
        Ok(self
            .flows
            .login_session_by_cookie(&digest)
            .await?
            .filter(|s| s.expires_at > now))
    }

    /// Starts a flow: seals its state into a login challenge and sends the browser to the login
    /// app, with the login CSRF cookie.
    pub(crate) fn begin_login(&self, b: Begin) -> Result<BrowserStep, OAuthError> {
        crate::metrics::metrics().flow(b.starter.label(), "started");
        let session = b.session;
        let flow = FlowState {
            id: b.id,
            starter: b.starter,
            client_id: b.client_id,
            request_url: b.request_url,
            requested_scope: b.scope,
            requested_audience: b.audience,
            oidc_context: b.oidc_context,
            requested_at: self.clock.now().timestamp_millis(),
            session_id: session
                .as_ref()
                .map(|s| s.id.clone())
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            login_skip: session.is_some(),
            subject: session
                .as_ref()
                .map(|s| s.subject.clone())
                .unwrap_or_default(),
            session_auth_time: session.as_ref().map(|s| s.authenticated_at),
            login_csrf: random_hex(),
            ..FlowState::default()
        };
        let challenge = self.seal_flow(Stage::LoginChallenge, &flow)?;
        let ttl = self.config.ttl.login_consent_request.get();
        Ok(BrowserStep {
            location: with_param(
                &self.app_url(self.config.urls.login.as_ref(), "login"),
                "login_challenge",
                &challenge,
            ),
            cookies: vec![SetCookie {
                name: csrf_cookie("login", &flow.client_id),
                value: flow.login_csrf,
                max_age: ttl.as_secs() as i64,
            }],
        })
    }

    /// Opens a login or consent verifier and checks that it belongs to the request it came back
    /// with (`belongs`), has not expired, and comes from the browser that started the flow (its
    /// CSRF cookie). A flow the app rejected opens too: its `denied` says how.
    pub(crate) fn open_verifier(
        &self,
        stage: Stage,
        verifier: &str,
        cookie: &(dyn Fn(&str) -> Option<String> + Sync),
        belongs: impl FnOnce(&FlowState) -> bool,
    ) -> Result<FlowState, OAuthError> {
        let invalid = || {
            OAuthError::new(
                ErrorCode::AccessDenied,
                "The verifier is invalid, has expired, or belongs to another request.",
            )
        };
        let flow: FlowState = self.open_flow(stage, verifier).ok_or_else(invalid)?;
        if !belongs(&flow) || self.flow_expired(&flow) {
            return Err(invalid());
        }
        let (kind, expected) = match stage {
            Stage::LoginVerifier => ("login", &flow.login_csrf),
            _ => ("consent", &flow.consent_csrf),
        };
        if !same_browser(cookie(&csrf_cookie(kind, &flow.client_id)), expected) {
            return Err(OAuthError::new(
                ErrorCode::RequestForbidden,
                "The flow was started in another browser, or its cookie expired (CSRF check failed).",
            ));
        }
        Ok(flow)
    }

    /// The login app answered (`flow` opened from its verifier, not denied): remember the login
    /// if asked, decide whether consent may be skipped, and send the browser to the consent app.
    pub(crate) async fn after_login(
        &self,
        mut flow: FlowState,
        cookie: &(dyn Fn(&str) -> Option<String> + Sync),
        skip: ConsentSkip,
    ) -> Result<BrowserStep, StepError> {
        let clear_csrf = vec![SetCookie::delete(csrf_cookie("login", &flow.client_id))];
        let fail = |e: OAuthError| (e, clear_csrf.clone());
        let login = flow
            .login
            .clone()
            .ok_or_else(|| fail(OAuthError::server("a login verifier without a login")))?;
        let mut cookies = clear_csrf.clone();
        let now = self.clock.now().timestamp_millis();
        let session_ttl = self.config.ttl.authentication_session.get();
        let remember_ms = match login.remember_for {
            0 => session_ttl.as_millis() as i64,
            s => (s * 1000).min(session_ttl.as_millis() as i64),
        };
        if login.remember && (!flow.login_skip || login.extend_session_lifespan) {
            // A new cookie secret at every write of the session (sign-in or extension).
            let (value, digest) = new_session_cookie();
            self.flows
                .put_login_session(
                    &LoginSession {
                        id: flow.session_id.clone(),
                        subject: login.subject.clone(),
                        authenticated_at: login.authenticated_at,
                        expires_at: now + remember_ms,
                    },
                    &digest,
                )
                .await
                .map_err(|e| fail(e.into()))?;
            cookies.push(SetCookie {
                name: SESSION_COOKIE.into(),
                value,
                max_age: remember_ms / 1000,
            });
        } else if !login.remember && !flow.login_skip {
            // A login not to be remembered ends whatever session this browser had.
            if cookie(SESSION_COOKIE).is_some() {
                if let Some(old) = self.current_session(cookie).await.map_err(fail)? {
                    self.flows
                        .delete_login_sessions(None, Some(&old.id))
                        .await
                        .map_err(|e| fail(e.into()))?;
                }
                cookies.push(SetCookie::delete(SESSION_COOKIE));
            }
        }
        flow.consent_skip = match skip {
            ConsentSkip::Never => false,
            ConsentSkip::Decide {
                prompt_consent: true,
                ..
            } => false,
            ConsentSkip::Decide {
                client_skips: true, ..
            } => true,
            ConsentSkip::Decide { .. } => self
                .flows
                .remembered_consent(&login.subject, &flow.client_id, now)
                .await
                .map_err(|e| fail(e.into()))?
                .is_some_and(|prev| {
                    flow.requested_scope
                        .iter()
                        .all(|s| prev.granted_scope.contains(s))
                        && flow
                            .requested_audience
                            .iter()
                            .all(|a| prev.granted_audience.contains(a))
                }),
        };
        flow.consent_csrf = random_hex();
        let challenge = self
            .seal_flow(Stage::ConsentChallenge, &flow)
            .map_err(fail)?;
        let ttl = self.config.ttl.login_consent_request.get();
        cookies.push(SetCookie {
            name: csrf_cookie("consent", &flow.client_id),
            value: flow.consent_csrf,
            max_age: ttl.as_secs() as i64,
        });
        Ok(BrowserStep {
            location: with_param(
                &self.app_url(self.config.urls.consent.as_ref(), "consent"),
                "consent_challenge",
                &challenge,
            ),
            cookies,
        })
    }
}

impl Flows {
    /// The completed flow of `flow`, with the identifier its client knows the user by (pairwise
    /// or forced; see `oidc::subject`).
    pub(crate) fn completed(
        &self,
        flow: &FlowState,
        client: &crate::wire::OAuth2Client,
    ) -> Result<Completed, OAuthError> {
        let mut done = Completed::of(flow)?;
        done.record.obfuscated_subject = crate::oidc::subject::for_client(
            &self.config.oidc.subject_identifiers,
            client,
            &done.login.subject,
            done.login.force_subject_identifier.as_deref(),
        )
        .map_err(|e| OAuthError::invalid_request(e.0))?;
        Ok(done)
    }

    /// The pairwise identifier `client` knows `subject` by, if it uses one (forced identifiers
    /// aside): what an `id_token_hint` the client holds names the user by.
    pub(crate) fn pairwise_subject(
        &self,
        client: &crate::wire::OAuth2Client,
        subject: &str,
    ) -> Option<String> {
        crate::oidc::subject::for_client(
            &self.config.oidc.subject_identifiers,
            client,
            subject,
            None,
        )
        .ok()
        .flatten()
    }
}

/// A flow whose consent was given: what to store. The starter fills in its own parts of the
/// record (the authorization request's redirect URI, PKCE challenge, nonce).
pub struct Completed {
    pub login: HandledLogin,
    pub consent: HandledConsent,
    pub record: FlowRecord,
}

impl Completed {
    /// The login and consent of a flow opened from its consent verifier.
    pub fn of(flow: &FlowState) -> Result<Self, OAuthError> {
        let (Some(login), Some(consent)) = (flow.login.clone(), flow.consent.clone()) else {
            return Err(OAuthError::server(
                "a consent verifier without login and consent",
            ));
        };
        let record = FlowRecord {
            request_url: flow.request_url.clone(),
            requested_scope: flow.requested_scope.clone(),
            requested_audience: flow.requested_audience.clone(),
            requested_at: flow.requested_at,
            auth_time: login.authenticated_at,
            acr: login.acr.clone(),
            amr: login.amr.clone(),
            login_context: login.context.clone(),
            context: consent.context.clone(),
            session: consent.session.clone(),
            remember_for: consent.remember_for,
            handled_at: consent.handled_at,
            oidc_context: flow.oidc_context.clone(),
            ..FlowRecord::default()
        };
        Ok(Self {
            login,
            consent,
            record,
        })
    }

    /// The stored form of the completed flow.
    pub fn stored(&self, flow: &FlowState, now_ms: i64) -> Result<StoredFlow, OAuthError> {
        let c = &self.consent;
        Ok(StoredFlow {
            id: flow.id.clone(),
            client_id: flow.client_id.clone(),
            subject: self.login.subject.clone(),
            login_session_id: Some(flow.session_id.clone()),
            consent_skip: flow.consent_skip,
            remember: c.remember,
            remember_until: (c.remember_for > 0).then(|| c.handled_at + c.remember_for * 1000),
            granted_scope: c.grant_scope.clone(),
            granted_audience: c.grant_audience.clone(),
            document: serde_json::to_value(&self.record).map_err(OAuthError::server)?,
            created_at: now_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::Arc, time::Duration};

    use super::{Begin, Starter};
    use crate::{
        clock::ManualClock,
        flows::{FlowState, Flows, Stage},
        oauth::{device::DeviceAuthorization, testing},
    };

    async fn flows(clock: Arc<ManualClock>) -> (Flows, crate::storage::Db) {
        let (s, _registry, db) = testing::services(clock).await;
        let device = Arc::new(DeviceAuthorization::new(&s));
        (Flows::new(&s, device), db)
    }

    fn begin() -> Begin {
        Begin {
            id: "flow-1".into(),
            starter: Starter::Authorize,
            client_id: "rp".into(),
            request_url: "https://op.example/oauth2/auth?client_id=rp".into(),
            scope: vec!["openid".into()],
            audience: vec![],
            oidc_context: None,
            session: None,
        }
    }

    /// A flow starts at the login app with a sealed challenge and a CSRF cookie bound into it;
    /// the challenge opens as a login challenge only.
    #[tokio::test]
    async fn a_flow_starts_sealed_at_the_login_app() {
        let clock = Arc::new(ManualClock::new());
        let (f, _db) = flows(clock.clone()).await;
        let step = f.begin_login(begin()).unwrap();
        let (app, challenge) = step.location.split_once("?login_challenge=").unwrap();
        assert_eq!(app, "https://op.example/ui/login");
        let challenge = url::form_urlencoded::parse(format!("c={challenge}").as_bytes())
            .next()
            .unwrap()
            .1
            .into_owned();
        let flow: FlowState = f.open_flow(Stage::LoginChallenge, &challenge).unwrap();
        assert_eq!(
            (flow.id.as_str(), flow.client_id.as_str()),
            ("flow-1", "rp")
        );
        assert!(!flow.login_skip, "no session: the user must log in");
        assert_eq!(step.cookies.len(), 1);
        assert_eq!(
            step.cookies[0].value, flow.login_csrf,
            "the cookie is the flow's CSRF secret"
        );
        assert_eq!(step.cookies[0].max_age, 1800);
        for other in [
            Stage::LoginVerifier,
            Stage::ConsentChallenge,
            Stage::ConsentVerifier,
        ] {
            assert!(
                f.open_flow::<FlowState>(other, &challenge).is_none(),
                "a login challenge is no {other:?}"
            );
        }
        assert!(
            f.open_flow::<FlowState>(Stage::LoginChallenge, "forged")
                .is_none()
        );
    }

    /// `ttl.login_consent_request` bounds a flow in progress, on the injected clock.
    #[tokio::test]
    async fn a_flow_expires_after_its_time_for_login_and_consent() {
        let clock = Arc::new(ManualClock::new());
        let (f, _db) = flows(clock.clone()).await;
        let step = f.begin_login(begin()).unwrap();
        let challenge = step.location.split_once("login_challenge=").unwrap().1;
        let challenge = url::form_urlencoded::parse(format!("c={challenge}").as_bytes())
            .next()
            .unwrap()
            .1
            .into_owned();
        let flow: FlowState = f.open_flow(Stage::LoginChallenge, &challenge).unwrap();
        clock.advance(Duration::from_secs(30 * 60));
        assert!(!f.flow_expired(&flow), "30 minutes exactly: still in time");
        clock.advance(Duration::from_millis(1));
        assert!(f.flow_expired(&flow));
    }
}

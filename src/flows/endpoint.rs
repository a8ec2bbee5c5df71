//! The authorization endpoint's three entries: a fresh request (→ login app), a request carrying a
//! login verifier (→ consent app), and one carrying a consent verifier (→ the client, with a code,
//! tokens or an ID token). The steps themselves are [`super::engine`]'s; what is particular to
//! an authorization request is here: `prompt`, `max_age` and `id_token_hint`, matching each
//! verifier to the request it returns with, and the response. See the module docs of
//! [`crate::flows`].

use serde_json::Value;

use super::{
    Flows, SetCookie, Stage, csrf_cookie,
    engine::{Begin, BrowserStep, ConsentSkip, Starter, StepError},
};
use crate::{
    oauth::{
        ErrorCode, OAuthError,
        authorize::{AuthorizeError, AuthorizeRequest, ClientResponse},
        client_auth::AuthenticatedClient,
        mint::{FromFlow, Issue, Issuing},
    },
    wire::OidcContext,
};

/// What the HTTP layer does with an authorization request.
#[derive(Debug)]
pub enum AuthorizeOutcome {
    /// Send the browser on (to the login or consent app), setting cookies.
    Redirect {
        location: String,
        cookies: Vec<SetCookie>,
    },
    /// Answer the client at its verified redirect URI.
    Client {
        response: ClientResponse,
        cookies: Vec<SetCookie>,
    },
    /// Show the error page: there is no verified redirect URI to send the error to.
    Page(OAuthError),
}

fn redirect(step: BrowserStep) -> AuthorizeOutcome {
    AuthorizeOutcome::Redirect {
        location: step.location,
        cookies: step.cookies,
    }
}

/// The client as the grants see it (authorization endpoint requests are not client-authenticated).
fn as_client(req: &AuthorizeRequest) -> AuthenticatedClient {
    AuthenticatedClient {
        id: req.client.id.clone(),
        metadata: req.client.metadata.clone(),
        method: "none",
    }
}

impl Flows {
    /// Handles `GET|POST /oauth2/auth`. `raw` is the query (GET) or form body (POST); `cookie`
    /// reads a request cookie by name.
    pub async fn authorize(
        &self,
        raw: &[u8],
        cookie: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> AuthorizeOutcome {
        let req = match self.authorization.check(raw).await {
            Ok(r) => r,
            Err(AuthorizeError::Page(e)) => return AuthorizeOutcome::Page(e),
            Err(AuthorizeError::Client(r, e)) => {
                return AuthorizeOutcome::Client {
                    response: r.error(&self.config.urls.self_.issuer, &e),
                    cookies: vec![],
                };
            }
        };
        let result = if let Some(v) = req.consent_verifier.clone() {
            self.finish_consent(&req, &v, cookie).await
        } else if let Some(v) = req.login_verifier.clone() {
            self.finish_login(&req, &v, cookie).await
        } else {
            self.start_flow(&req, raw, cookie).await
        };
        result.unwrap_or_else(|(e, cookies)| {
            if let Some(cause) = &e.cause {
                tracing::error!(
                    code = e.code.as_str(),
                    cause,
                    "authorization request failed"
                );
            }
            AuthorizeOutcome::Client {
                response: req.redirect.error(&self.config.urls.self_.issuer, &e),
                cookies,
            }
        })
    }

    /// A fresh request: decide whether the login may be skipped, then send the browser to the
    /// login app.
    async fn start_flow(
        &self,
        req: &AuthorizeRequest,
        raw: &[u8],
        cookie: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<AuthorizeOutcome, StepError> {
        let fail = |e: OAuthError| (e, vec![]);
        let now = self.clock.now().timestamp_millis();
        let mut session = self.current_session(cookie).await.map_err(fail)?;
        // OIDC Core §3.1.2.1: `login` (and, having one account per session, `select_account`)
        // asks for a fresh authentication.
        if req.prompt.login || req.prompt.select_account {
            session = None;
        }
        if let (Some(s), Some(max_age)) = (&session, req.max_age)
            && now - s.authenticated_at > max_age * 1000
        {
            if req.prompt.none {
                return Err(fail(OAuthError::new(
                    ErrorCode::LoginRequired,
                    "prompt=none was requested, but the authentication is older than max_age.",
                )));
            }
            session = None;
        }
        let mut hint_claims = None;
        if let Some(hint) = &req.id_token_hint {
            let claims = self
                .tokens
                .issuer()
                .verify_id_token_hint(hint)
                .await
                .map_err(fail)?;
            let hint_sub = claims
                .get("sub")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if let Some(s) = &session
                && s.subject != hint_sub
                && self
                    .pairwise_subject(&req.client.metadata, &s.subject)
                    .as_deref()
                    != Some(hint_sub)
            {
                return Err(fail(OAuthError::new(
                    ErrorCode::LoginRequired,
                    "The subject of id_token_hint is not the user who is logged in.",
                )));
            }
            hint_claims = Some(Value::Object(claims));
        }
        if req.prompt.none && session.is_none() {
            return Err(fail(OAuthError::new(
                ErrorCode::LoginRequired,
                "prompt=none was requested, but the user is not logged in.",
            )));
        }
        let query = String::from_utf8_lossy(raw);
        let step = self
            .begin_login(Begin {
                id: uuid::Uuid::now_v7().simple().to_string(),
                starter: Starter::Authorize,
                client_id: req.client.id.clone(),
                request_url: format!("{}/oauth2/auth?{query}", self.config.public_base()),
                scope: req.scope.clone(),
                audience: req.audience.clone(),
                oidc_context: Some(OidcContext {
                    acr_values: (!req.acr_values.is_empty()).then(|| req.acr_values.clone()),
                    display: req.display.clone(),
                    id_token_hint_claims: hint_claims,
                    login_hint: req.login_hint.clone(),
                    ui_locales: (!req.ui_locales.is_empty()).then(|| req.ui_locales.clone()),
                }),
                session,
            })
            .map_err(fail)?;
        Ok(redirect(step))
    }

    /// Opens a verifier of this authorization request: the same client and the same parameters
    /// as the request that started the flow. A rejected flow fails with the app's error.
    fn open_authorize_verifier(
        &self,
        stage: Stage,
        req: &AuthorizeRequest,
        verifier: &str,
        cookie: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<super::FlowState, OAuthError> {
        let flow = self.open_verifier(stage, verifier, cookie, |flow| {
            let query = flow
                .request_url
                .split_once('?')
                .map(|(_, q)| q)
                .unwrap_or_default();
            flow.starter == Starter::Authorize
                && flow.client_id == req.client.id
                && crate::oauth::authorize::canonical(query.as_bytes()) == req.canonical
        })?;
        match &flow.denied {
            Some(d) => Err(d.to_error()),
            None => Ok(flow),
        }
    }

    /// The login app answered: on to the consent app.
    async fn finish_login(
        &self,
        req: &AuthorizeRequest,
        verifier: &str,
        cookie: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<AuthorizeOutcome, StepError> {
        let clear_csrf = vec![SetCookie::delete(csrf_cookie("login", &req.client.id))];
        let fail = |e: OAuthError| (e, clear_csrf.clone());
        let flow = self
            .open_authorize_verifier(Stage::LoginVerifier, req, verifier, cookie)
            .map_err(fail)?;
        if req.prompt.none && !flow.login_skip {
            return Err(fail(OAuthError::new(
                ErrorCode::LoginRequired,
                "prompt=none was requested, but the user had to log in.",
            )));
        }
        let skip = ConsentSkip::Decide {
            prompt_consent: req.prompt.consent,
            client_skips: req.client.metadata.skip_consent == Some(true),
        };
        Ok(redirect(self.after_login(flow, cookie, skip).await?))
    }

    /// The consent app answered: store the flow (with its code and tokens), and answer the
    /// client with what the response type asks for.
    async fn finish_consent(
        &self,
        req: &AuthorizeRequest,
        verifier: &str,
        cookie: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<AuthorizeOutcome, StepError> {
        let cookies = vec![SetCookie::delete(csrf_cookie("consent", &req.client.id))];
        let fail = |e: OAuthError| (e, cookies.clone());
        let flow = self
            .open_authorize_verifier(Stage::ConsentVerifier, req, verifier, cookie)
            .map_err(fail)?;
        if req.prompt.none && !flow.consent_skip {
            return Err(fail(OAuthError::new(
                ErrorCode::ConsentRequired,
                "prompt=none was requested, but the user had to give consent.",
            )));
        }
        let mut done = self.completed(&flow, &req.client.metadata).map_err(fail)?;
        req.bind(&mut done.record);
        let now = self.clock.now().timestamp_millis();
        let stored = done.stored(&flow, now).map_err(fail)?;
        let client = as_client(req);
        let rt = req.response_type;
        let issued = self
            .tokens
            .issuer()
            .mint(&Issue {
                issuing: Issuing::Implicit,
                client: &client,
                request_id: &flow.id,
                subject: &done.login.subject,
                scope: &done.consent.grant_scope,
                audience: &done.consent.grant_audience,
                flow: Some(FromFlow {
                    record: &done.record,
                    sid: Some(&flow.session_id),
                }),
                code: rt.code,
                access_token: rt.token,
                id_token: rt.id_token,
                access_claims: None,
                code_expires_ms: None,
            })
            .await
            .map_err(fail)?;
        // The code is cached before it is written (write-through: it is exchanged moments later),
        // so any event about it, which can only follow the write, follows the caching too.
        let code_row = issued.code.as_ref().map(|(_, row)| row);
        let cached_code = self.tokens.cache().zip(code_row);
        if let Some((cache, row)) = cached_code {
            cache.remember(row);
        }
        let rows: Vec<_> = code_row.into_iter().chain(&issued.rows).cloned().collect();
        let completed = self.flows.complete_flow(&stored, &rows).await;
        if let (Err(_), Some((cache, row))) = (&completed, cached_code) {
            cache.forget(&row.signature);
        }
        match completed {
            Ok(()) => crate::metrics::metrics().flow("browser", "completed"),
            Err(crate::storage::StoreError::Conflict) => {
                return Err(fail(OAuthError::new(
                    ErrorCode::AccessDenied,
                    "The consent verifier has already been used.",
                )));
            }
            Err(e) => return Err(fail(e.into())),
        }
        let mut params: Vec<(&'static str, String)> = Vec::new();
        if let Some((c, _)) = &issued.code {
            params.push(("code", c.clone()));
            if !rt.token {
                // The granted scope, as Hydra sends it with a code (RFC 6749 §5.1 lets the
                // client learn it; a token response carries it below).
                params.push(("scope", issued.scope.clone()));
            }
        }
        if let Some(t) = &issued.access_token {
            params.push(("access_token", t.clone()));
            params.push(("token_type", "bearer".into()));
            params.push(("expires_in", issued.expires_in.to_string()));
            params.push(("scope", issued.scope.clone()));
        }
        if let Some(t) = &issued.id_token {
            params.push(("id_token", t.clone()));
        }
        Ok(AuthorizeOutcome::Client {
            response: req.redirect.respond(&self.config.urls.self_.issuer, params),
            cookies,
        })
    }
}

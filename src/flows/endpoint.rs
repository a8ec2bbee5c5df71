//! The authorization endpoint's three entries: a fresh request (→ login app), a request carrying a
//! login verifier (→ consent app), and one carrying a consent verifier (→ the client, with a code,
//! tokens or an ID token). See the module docs of [`crate::flows`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{FlowState, SESSION_COOKIE, SetCookie, Stage, csrf_cookie, random_hex, with_param};
use crate::{
    crypto::opaque::TokenKind,
    oauth::{
        ErrorCode, OAuthCore, OAuthError,
        access_token::Grant,
        authorize::{AuthorizeError, AuthorizeRequest, ClientResponse},
        client_auth::AuthenticatedClient,
    },
    oidc::id_token::IdTokenInput,
    storage::{LoginSession, StoredFlow, StoredToken},
    wire::{ConsentSessionData, OidcContext},
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

/// What a completed flow keeps besides its columns (the `document` of the `flows` table).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FlowRecord {
    pub request_url: String,
    pub requested_scope: Vec<String>,
    pub requested_audience: Vec<String>,
    pub redirect_uri: String,
    /// The request named its redirect URI, so the token request must repeat it (RFC 6749 §4.1.3).
    #[serde(default)]
    pub redirect_uri_sent: bool,
    pub code_challenge: Option<String>,
    pub nonce: Option<String>,
    pub requested_at: i64,
    pub auth_time: i64,
    pub acr: Option<String>,
    pub amr: Option<Vec<String>>,
    pub login_context: Option<Value>,
    pub context: Option<Value>,
    pub session: ConsentSessionData,
    pub remember_for: i64,
    pub handled_at: i64,
    pub oidc_context: Option<OidcContext>,
}

impl FlowRecord {
    pub fn of(flow: &StoredFlow) -> Result<Self, OAuthError> {
        serde_json::from_value(flow.document.clone())
            .map_err(|e| OAuthError::server(format!("flow {}: {e}", flow.id)))
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

impl OAuthCore {
    /// Handles `GET|POST /oauth2/auth`. `raw` is the query (GET) or form body (POST); `cookie`
    /// reads a request cookie by name.
    pub async fn authorize(
        &self,
        raw: &[u8],
        cookie: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> AuthorizeOutcome {
        let req = match self.check_authorize(raw).await {
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

    fn app_url(&self, configured: Option<&String>, path: &str) -> String {
        configured
            .cloned()
            .unwrap_or_else(|| format!("{}/ui/{path}", self.config.public_base()))
    }

    /// The remembered login session of this browser, if it is still valid.
    pub(crate) async fn current_session(
        &self,
        cookie: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<Option<LoginSession>, OAuthError> {
        let Some(id) = cookie(SESSION_COOKIE).filter(|v| !v.is_empty() && v.len() <= 64) else {
            return Ok(None);
        };
        let now = self.clock.now().timestamp_millis();
        Ok(self
            .flows
            .get_login_session(&id)
            .await?
            .filter(|s| s.expires_at > now))
    }

    /// A fresh request: decide whether the login may be skipped, then send the browser to the
    /// login app with a sealed login challenge.
    async fn start_flow(
        &self,
        req: &AuthorizeRequest,
        raw: &[u8],
        cookie: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<AuthorizeOutcome, (OAuthError, Vec<SetCookie>)> {
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
            let claims = self.verify_id_token_hint(hint).await.map_err(fail)?;
            let hint_sub = claims
                .get("sub")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if let Some(s) = &session
                && s.subject != hint_sub
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
        let request_url = format!("{}/oauth2/auth?{query}", self.config.public_base());
        let oidc = OidcContext {
            acr_values: (!req.acr_values.is_empty()).then(|| req.acr_values.clone()),
            display: req.display.clone(),
            id_token_hint_claims: hint_claims,
            login_hint: req.login_hint.clone(),
            ui_locales: (!req.ui_locales.is_empty()).then(|| req.ui_locales.clone()),
        };
        let flow = FlowState {
            id: uuid::Uuid::now_v7().simple().to_string(),
            client_id: req.client.id.clone(),
            request_url,
            requested_scope: req.scope.clone(),
            requested_audience: req.audience.clone(),
            oidc_context: Some(oidc),
            requested_at: now,
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
        let challenge = self.seal_flow(Stage::LoginChallenge, &flow).map_err(fail)?;
        let ttl = self.config.ttl(&self.config.ttl.login_consent_request);
        Ok(AuthorizeOutcome::Redirect {
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

    /// Opens a verifier and checks it belongs to this request and this browser.
    fn open_verifier(
        &self,
        stage: Stage,
        req: &AuthorizeRequest,
        verifier: &str,
        cookie: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<FlowState, OAuthError> {
        let invalid = || {
            OAuthError::new(
                ErrorCode::AccessDenied,
                "The verifier is invalid, has expired, or belongs to another request.",
            )
        };
        let flow: FlowState = self.open_flow(stage, verifier).ok_or_else(invalid)?;
        let query = flow
            .request_url
            .split_once('?')
            .map(|(_, q)| q)
            .unwrap_or_default();
        if flow.client_id != req.client.id
            || crate::oauth::authorize::canonical(query.as_bytes()) != req.canonical
            || self.flow_expired(&flow)
        {
            return Err(invalid());
        }
        let (kind, expected) = match stage {
            Stage::LoginVerifier => ("login", &flow.login_csrf),
            _ => ("consent", &flow.consent_csrf),
        };
        let presented = cookie(&csrf_cookie(kind, &flow.client_id)).unwrap_or_default();
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            presented.as_bytes(),
            expected.as_bytes(),
        )) || expected.is_empty()
        {
            return Err(OAuthError::new(
                ErrorCode::RequestForbidden,
                "The flow was started in another browser, or its cookie expired (CSRF check failed).",
            ));
        }
        if let Some(d) = &flow.denied {
            return Err(d.to_error());
        }
        Ok(flow)
    }

    /// The login app answered: remember the login if asked, then send the browser to the
    /// consent app.
    async fn finish_login(
        &self,
        req: &AuthorizeRequest,
        verifier: &str,
        cookie: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<AuthorizeOutcome, (OAuthError, Vec<SetCookie>)> {
        let clear_csrf = vec![SetCookie::delete(csrf_cookie("login", &req.client.id))];
        let mut flow = self
            .open_verifier(Stage::LoginVerifier, req, verifier, cookie)
            .map_err(|e| (e, clear_csrf.clone()))?;
        let fail = |e: OAuthError| (e, clear_csrf.clone());
        let login = flow
            .login
            .clone()
            .ok_or_else(|| fail(OAuthError::server("a login verifier without a login")))?;
        if req.prompt.none && !flow.login_skip {
            return Err(fail(OAuthError::new(
                ErrorCode::LoginRequired,
                "prompt=none was requested, but the user had to log in.",
            )));
        }
        let mut cookies = clear_csrf.clone();
        let now = self.clock.now().timestamp_millis();
        let session_ttl = self.config.ttl(&self.config.ttl.authentication_session);
        let remember_ms = match login.remember_for {
            0 => session_ttl.as_millis() as i64,
            s => (s * 1000).min(session_ttl.as_millis() as i64),
        };
        if login.remember && (!flow.login_skip || login.extend_session_lifespan) {
            self.flows
                .put_login_session(&LoginSession {
                    id: flow.session_id.clone(),
                    subject: login.subject.clone(),
                    authenticated_at: login.authenticated_at,
                    expires_at: now + remember_ms,
                })
                .await
                .map_err(|e| fail(e.into()))?;
            cookies.push(SetCookie {
                name: SESSION_COOKIE.into(),
                value: flow.session_id.clone(),
                max_age: remember_ms / 1000,
            });
        } else if !login.remember && !flow.login_skip {
            // A login not to be remembered ends whatever session this browser had.
            if let Some(old) = cookie(SESSION_COOKIE).filter(|v| !v.is_empty() && v.len() <= 64) {
                self.flows
                    .delete_login_sessions(None, Some(&old))
                    .await
                    .map_err(|e| fail(e.into()))?;
                cookies.push(SetCookie::delete(SESSION_COOKIE));
            }
        }
        let skip_consent = if req.prompt.consent {
            false
        } else if req.client.metadata.skip_consent == Some(true) {
            true
        } else {
            match self
                .flows
                .remembered_consent(&login.subject, &req.client.id, now)
                .await
                .map_err(|e| fail(e.into()))?
            {
                Some(prev) => {
                    req.scope.iter().all(|s| prev.granted_scope.contains(s))
                        && req
                            .audience
                            .iter()
                            .all(|a| prev.granted_audience.contains(a))
                }
                None => false,
            }
        };
        flow.consent_skip = skip_consent;
        flow.consent_csrf = random_hex();
        let challenge = self
            .seal_flow(Stage::ConsentChallenge, &flow)
            .map_err(fail)?;
        let ttl = self.config.ttl(&self.config.ttl.login_consent_request);
        cookies.push(SetCookie {
            name: csrf_cookie("consent", &flow.client_id),
            value: flow.consent_csrf,
            max_age: ttl.as_secs() as i64,
        });
        Ok(AuthorizeOutcome::Redirect {
            location: with_param(
                &self.app_url(self.config.urls.consent.as_ref(), "consent"),
                "consent_challenge",
                &challenge,
            ),
            cookies,
        })
    }

    /// The consent app answered: store the flow (and its code), mint what the response type asks
    /// for, and answer the client.
    async fn finish_consent(
        &self,
        req: &AuthorizeRequest,
        verifier: &str,
        cookie: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<AuthorizeOutcome, (OAuthError, Vec<SetCookie>)> {
        let cookies = vec![SetCookie::delete(csrf_cookie("consent", &req.client.id))];
        let fail = |e: OAuthError| (e, cookies.clone());
        let flow = self
            .open_verifier(Stage::ConsentVerifier, req, verifier, cookie)
            .map_err(fail)?;
        if req.prompt.none && !flow.consent_skip {
            return Err(fail(OAuthError::new(
                ErrorCode::ConsentRequired,
                "prompt=none was requested, but the user had to give consent.",
            )));
        }
        let (Some(login), Some(consent)) = (flow.login.clone(), flow.consent.clone()) else {
            return Err(fail(OAuthError::server(
                "a consent verifier without login and consent",
            )));
        };
        let now = self.clock.now().timestamp_millis();
        let record = FlowRecord {
            request_url: flow.request_url.clone(),
            requested_scope: flow.requested_scope.clone(),
            requested_audience: flow.requested_audience.clone(),
            redirect_uri: req.redirect.uri().to_owned(),
            redirect_uri_sent: req.canonical.iter().any(|(k, _)| k == "redirect_uri"),
            code_challenge: req.code_challenge.clone(),
            nonce: req.nonce.clone(),
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
        };
        let stored = StoredFlow {
            id: flow.id.clone(),
            client_id: flow.client_id.clone(),
            subject: login.subject.clone(),
            login_session_id: Some(flow.session_id.clone()),
            consent_skip: flow.consent_skip,
            remember: consent.remember,
            remember_until: (consent.remember_for > 0)
                .then(|| consent.handled_at + consent.remember_for * 1000),
            granted_scope: consent.grant_scope.clone(),
            granted_audience: consent.grant_audience.clone(),
            document: serde_json::to_value(&record).map_err(|e| fail(OAuthError::server(e)))?,
            created_at: now,
        };
        let extra = consent
            .session
            .access_token
            .clone()
            .unwrap_or(Value::Object(Default::default()));
        let mut params: Vec<(&'static str, String)> = Vec::new();
        let code = if req.response_type.code {
            let minted = self
                .signer
                .mint(TokenKind::AuthorizeCode)
                .ok_or_else(|| fail(OAuthError::server("no system secret")))?;
            let ttl = self.config.ttl(&self.config.ttl.auth_code);
            let row = StoredToken {
                signature: minted.signature,
                kind: TokenKind::AuthorizeCode.as_str().into(),
                request_id: flow.id.clone(),
                client_id: flow.client_id.clone(),
                subject: login.subject.clone(),
                scope: consent.grant_scope.join(" "),
                audience: consent.grant_audience.clone(),
                extra: extra.clone(),
                issued_at: now,
                expires_at: now + ttl.as_millis() as i64,
                active: true,
            };
            Some((minted.token, row))
        } else {
            None
        };
        // The code is cached before it is written (write-through: it is exchanged moments later),
        // so any event about it, which can only follow the write, follows the caching too.
        let cached_code = self
            .token_cache
            .as_ref()
            .zip(code.as_ref().map(|(_, row)| row));
        if let Some((cache, row)) = cached_code {
            cache.remember(row);
        }
        let completed = self
            .flows
            .complete_flow(&stored, code.as_ref().map(|(_, row)| row))
            .await;
        if let (Err(_), Some((cache, row))) = (&completed, cached_code) {
            cache.forget(&row.signature);
        }
        match completed {
            Ok(()) => {}
            Err(crate::storage::StoreError::Conflict) => {
                return Err(fail(OAuthError::new(
                    ErrorCode::AccessDenied,
                    "The consent verifier has already been used.",
                )));
            }
            Err(e) => return Err(fail(e.into())),
        }
        let client = as_client(req);
        let scope_refs: Vec<&str> = consent.grant_scope.iter().map(String::as_str).collect();
        let mut access_token = None;
        if let Some((c, _)) = &code {
            params.push(("code", c.clone()));
            if !req.response_type.token {
                // The granted scope, as Hydra sends it with a code (RFC 6749 §5.1 lets the
                // client learn it; a token response carries it below).
                params.push(("scope", consent.grant_scope.join(" ")));
            }
        }
        if req.response_type.token {
            let life = self.lifespan(
                client
                    .metadata
                    .implicit_grant_access_token_lifespan
                    .as_ref(),
                &self.config.ttl.access_token,
            );
            let expires_at = now + life.as_millis() as i64;
            let minted = self
                .mint_access_token(&Grant {
                    client: &client,
                    subject: &login.subject,
                    scope: &scope_refs,
                    audience: &consent.grant_audience,
                    extra: &extra,
                    issued_at_ms: now,
                    expires_at_ms: expires_at,
                })
                .await
                .map_err(fail)?;
            self.tokens
                .insert_token(&StoredToken {
                    signature: minted.signature,
                    kind: TokenKind::AccessToken.as_str().into(),
                    request_id: flow.id.clone(),
                    client_id: client.id.clone(),
                    subject: login.subject.clone(),
                    scope: consent.grant_scope.join(" "),
                    audience: consent.grant_audience.clone(),
                    extra: extra.clone(),
                    issued_at: now,
                    expires_at,
                    active: true,
                })
                .await
                .map_err(|e| fail(e.into()))?;
            params.push(("access_token", minted.token.clone()));
            params.push(("token_type", "bearer".into()));
            params.push(("expires_in", life.as_secs().to_string()));
            params.push(("scope", consent.grant_scope.join(" ")));
            access_token = Some(minted.token);
        }
        if req.response_type.id_token {
            let life = self.lifespan(
                client.metadata.implicit_grant_id_token_lifespan.as_ref(),
                &self.config.ttl.id_token,
            );
            let token = self
                .id_token(&IdTokenInput {
                    client_id: &client.id,
                    subject: &login.subject,
                    auth_time_ms: login.authenticated_at,
                    requested_at_ms: flow.requested_at,
                    nonce: req.nonce.as_deref(),
                    acr: login.acr.as_deref(),
                    amr: login.amr.as_deref(),
                    sid: Some(&flow.session_id),
                    access_token: access_token.as_deref(),
                    code: code.as_ref().map(|(c, _)| c.as_str()),
                    extra: consent.session.id_token.as_ref(),
                    lifespan: life,
                })
                .await
                .map_err(fail)?;
            params.push(("id_token", token));
        }
        Ok(AuthorizeOutcome::Client {
            response: req.redirect.respond(&self.config.urls.self_.issuer, params),
            cookies,
        })
    }

    /// Checks an `id_token_hint`: a token this server signed (expired ones are fine, OIDC Core
    /// §3.1.2.1); returns its claims.
    pub async fn verify_id_token_hint(
        &self,
        hint: &str,
    ) -> Result<serde_json::Map<String, Value>, OAuthError> {
        let bad = || {
            OAuthError::invalid_request(
                "The id_token_hint is not an ID token issued by this server.",
            )
        };
        let header = jsonwebtoken::decode_header(hint).map_err(|_| bad())?;
        let set = self
            .keys
            .loaded(crate::keys::ID_TOKEN_SET)
            .await
            .map_err(|e| OAuthError::server(format!("{e:?}")))?;
        let (alg, key) = set
            .verifier(header.kid.as_deref().ok_or_else(bad)?)
            .ok_or_else(bad)?;
        if alg != header.alg {
            return Err(bad());
        }
        let mut v = jsonwebtoken::Validation::new(alg);
        v.validate_exp = false;
        v.validate_aud = false;
        v.set_issuer(&[&self.config.urls.self_.issuer]);
        v.required_spec_claims.clear();
        jsonwebtoken::decode::<serde_json::Map<String, Value>>(hint, key, &v)
            .map(|d| d.claims)
            .map_err(|_| bad())
    }
}

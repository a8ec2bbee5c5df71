//! The built-in login, consent, logout and device app under `/ui/` on the public listener: askama pages
//! that use only the login/consent/logout challenge operations (here in-process), as an external
//! app would use the admin API.
//!
//! The app keeps a session of its own (tower-sessions' `Session` over our database through
//! [`with_session`], a small poem middleware): it holds the browser's CSRF secret, and its id
//! changes at sign-in. Every form carries a CSRF token: an HMAC (under `secrets.cookie`) of that
//! secret and the form's challenge, so a token is good for one browser session and one flow only.
//! "Remember me" is Latchkey's own login session, not this one. Pages run no script and may not be
//! framed.

mod device;
mod vouch;

pub use device::{device_done, device_page, device_submit};

use askama::Template;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use poem::{
    Body, Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Query},
};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Sha256;

use super::read_cookie;
use crate::{
    error::AdminError,
    flows::api::ChallengeApi,
    wire::{AcceptOAuth2ConsentRequest, AcceptOAuth2LoginRequest, RejectOAuth2Request},
};

/// Where the app is mounted on the public listener.
pub const BASE: &str = "/ui";

/// What the app needs: the challenge API (in process or over HTTP), its users, and its keys.
pub struct UiState {
    pub api: std::sync::Arc<dyn ChallengeApi>,
    pub users: std::sync::Arc<crate::users::UserService>,
    /// CSRF keys (`secrets.cookie`, else `secrets.system`); the first signs, all verify.
    pub csrf_keys: Vec<Vec<u8>>,
    /// Cookies get `Secure` (the app is served over HTTPS).
    pub secure: bool,
    /// The path the app is mounted at: `/ui`, or empty at the root (`serve ui`).
    pub base: &'static str,
    /// The app's own sessions (they hold the CSRF secret; the id changes at sign-in).
    pub sessions: std::sync::Arc<crate::storage::ui_sessions::UiSessionStore>,
}

impl UiState {
    pub fn new(
        api: std::sync::Arc<dyn ChallengeApi>,
        users: std::sync::Arc<crate::users::UserService>,
        sessions: crate::storage::ui_sessions::UiSessionStore,
        config: &crate::config::Config,
        secure: bool,
        base: &'static str,
    ) -> Self {
        let secrets = if config.secrets.cookie.is_empty() {
            &config.secrets.system
        } else {
            &config.secrets.cookie
        };
        Self {
            api,
            users,
            csrf_keys: secrets.iter().map(|s| s.0.as_bytes().to_vec()).collect(),
            secure,
            base,
            sessions: std::sync::Arc::new(sessions),
        }
    }
}

type State = std::sync::Arc<UiState>;
const SESSION_COOKIE: &str = "latchkey_ui_session";
/// The app's session lives this long after its last change.
const SESSION_TTL: time::Duration = time::Duration::hours(12);

/// Loads the app's session (tower-sessions' `Session` over our store) for a request, hands it to
/// the handler through the request's extensions, and saves it and sets its cookie afterwards if
/// the handler changed it (a new CSRF secret, a cycled id at sign-in).
pub async fn with_session<E: poem::Endpoint>(ep: E, mut req: Request) -> poem::Result<Response> {
    use poem::IntoResponse;
    use tower_sessions_core::{Expiry, Session, session::Id};
    let Some(ui) = req.data::<State>().cloned() else {
        return ep.call(req).await.map(IntoResponse::into_response);
    };
    let id = read_cookie(&req, SESSION_COOKIE).and_then(|v| v.parse::<Id>().ok());
    let session = Session::new(
        id,
        ui.sessions.clone(),
        Some(Expiry::OnInactivity(SESSION_TTL)),
    );
    req.extensions_mut().insert(session.clone());
    let mut resp = ep.call(req).await.map(IntoResponse::into_response)?;
    if session.is_modified() {
        if let Err(e) = session.save().await {
            tracing::error!(error = %e, "saving the login app's session failed");
            return Ok(StatusCode::INTERNAL_SERVER_ERROR.into());
        }
        if let Some(id) = session.id() {
            let secure = if ui.secure { "; Secure" } else { "" };
            let path = if ui.base.is_empty() { "/" } else { ui.base };
            let cookie = format!(
                "{SESSION_COOKIE}={id}; Path={path}; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
                SESSION_TTL.whole_seconds()
            );
            if let Ok(v) = cookie.parse() {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
        }
    }
    Ok(resp)
}

fn session_of(req: &Request) -> Option<tower_sessions_core::Session> {
    req.extensions()
        .get::<tower_sessions_core::Session>()
        .cloned()
}
/// `static/`, embedded in the binary.
#[derive(rust_embed::Embed)]
#[folder = "static/"]
struct Assets;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    base: &'a str,
    challenge: &'a str,
    csrf: String,
    email: String,
    client_name: Option<String>,
    error: Option<&'a str>,
}

struct ScopeItem {
    name: String,
    description: String,
}

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage<'a> {
    base: &'a str,
    challenge: &'a str,
    csrf: String,
    client_name: String,
    logo_uri: Option<String>,
    policy_uri: Option<String>,
    tos_uri: Option<String>,
    subject_label: String,
    scopes: Vec<ScopeItem>,
    /// Claims the `claims` parameter asks for beyond the scopes, as words ("" for none).
    claims: String,
    /// The flow was started on a device (RFC 8628 §5.2: say so, and warn against codes from
    /// anyone else).
    device: bool,
}

#[derive(Template)]
#[template(path = "logout.html")]
struct LogoutPage<'a> {
    base: &'a str,
    challenge: &'a str,
    csrf: String,
    client_name: Option<String>,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    base: &'a str,
    title: &'a str,
    message: &'a str,
}

/// A human description of the standard scopes (OIDC Core §5.4).
fn describe(scope: &str) -> String {
    match scope {
        "openid" => "Sign you in with your account".into(),
        "profile" => "See your name and profile".into(),
        "email" => "See your email address".into(),
        "address" => "See your postal address".into(),
        "phone" => "See your phone number".into(),
        "offline" | "offline_access" => "Stay connected when you are not using it".into(),
        other => format!("Use the permission “{other}”"),
    }
}

/// Pages are never cached, framed, or given a referrer; they run no script.
fn html(status: StatusCode, body: String, set_cookie: Option<String>) -> Response {
    let mut r = Response::builder()
        .status(status)
        .content_type("text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::REFERRER_POLICY, "no-referrer")
        .header("X-Content-Type-Options", "nosniff")
        .header(
            header::CONTENT_SECURITY_POLICY,
            // No `form-action`: browsers apply it to the redirects that follow a form, and a
            // sign-in or consent ends with redirects to the server and then to the client.
            "default-src 'none'; style-src 'self'; img-src 'self' https: data:; frame-ancestors 'none'; base-uri 'none'",
        );
    if let Some(c) = set_cookie {
        r = r.header(header::SET_COOKIE, c);
    }
    r.body(body)
}

fn render(t: &impl Template, status: StatusCode, cookie: Option<String>) -> Response {
    match t.render() {
        Ok(body) => html(status, body, cookie),
        Err(e) => {
            tracing::error!(error = %e, "rendering a page failed");
            StatusCode::INTERNAL_SERVER_ERROR.into()
        }
    }
}

fn message(base: &str, status: StatusCode, title: &str, text: &str) -> Response {
    render(
        &MessagePage {
            base,
            title,
            message: text,
        },
        status,
        None,
    )
}

fn redirect(to: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, to)
        .header(header::CACHE_CONTROL, "no-store")
        .finish()
}

/// A challenge that cannot be used any more: start over, or say why.
fn challenge_error(base: &str, e: AdminError) -> Response {
    match e {
        AdminError::Gone { redirect_to } => redirect(&redirect_to),
        AdminError::NotFound(_) => message(
            base,
            StatusCode::NOT_FOUND,
            "This sign-in link is not valid",
            "Go back to the application and start again.",
        ),
        AdminError::BadRequest { description, .. } => message(
            base,
            StatusCode::BAD_REQUEST,
            "Something is wrong",
            &description,
        ),
        AdminError::Conflict(d) => message(base, StatusCode::CONFLICT, "Something is wrong", &d),
        AdminError::OAuth(e) => message(
            base,
            StatusCode::from_u16(e.code.status()).unwrap_or(StatusCode::BAD_REQUEST),
            "Something is wrong",
            &e.description,
        ),
        AdminError::Internal(c) => {
            tracing::error!(cause = c, "the login app failed");
            message(
                base,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Please try again in a moment.",
            )
        }
    }
}

fn csrf_mac(key: &[u8], browser: &str, challenge: &str) -> Option<Vec<u8>> {
    let mut m = <Hmac<Sha256>>::new_from_slice(key).ok()?;
    m.update(b"latchkey/ui/csrf\0");
    m.update(browser.as_bytes());
    m.update(b"\0");
    m.update(challenge.as_bytes());
    Some(m.finalize().into_bytes().to_vec())
}

/// The form's token for this browser's session and this challenge (the session gets its CSRF
/// secret on first use).
async fn csrf_token(state: &State, req: &Request, challenge: &str) -> (String, Option<String>) {
    let Some(session) = session_of(req) else {
        return (String::new(), None);
    };
    let secret = match session.get::<String>("csrf").await {
        Ok(Some(s)) => s,
        _ => {
            let s = crate::flows::random_hex();
            if session.insert("csrf", &s).await.is_err() {
                return (String::new(), None);
            }
            s
        }
    };
    let token = state
        .csrf_keys
        .first()
        .and_then(|k| csrf_mac(k, &secret, challenge))
        .map(|m| URL_SAFE_NO_PAD.encode(m))
        .unwrap_or_default();
    (token, None)
}

async fn csrf_ok(state: &State, req: &Request, challenge: &str, token: &str) -> bool {
    let Some(session) = session_of(req) else {
        return false;
    };
    let Ok(Some(browser)) = session.get::<String>("csrf").await else {
        return false;
    };
    let Ok(presented) = URL_SAFE_NO_PAD.decode(token) else {
        return false;
    };
    state.csrf_keys.iter().any(|k| {
        csrf_mac(k, &browser, challenge).is_some_and(|m| {
            bool::from(subtle::ConstantTimeEq::ct_eq(
                m.as_slice(),
                presented.as_slice(),
            ))
        })
    })
}

fn forbidden(base: &str) -> Response {
    message(
        base,
        StatusCode::FORBIDDEN,
        "This form has expired",
        "For your security the form could not be accepted. Go back, reload the page and try again.",
    )
}

async fn form(req: &Request, body: Body) -> Option<Vec<(String, String)>> {
    let ct = req.content_type().unwrap_or_default();
    if !ct.starts_with("application/x-www-form-urlencoded") {
        return None;
    }
    let bytes = body.into_bytes_limit(64 * 1024).await.ok()?;
    Some(
        url::form_urlencoded::parse(&bytes)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    )
}

/// A posted form of the app, with its challenge (in the field `challenge_field`) once the form's
/// CSRF token checks out; otherwise the page to answer with.
async fn submitted(
    state: &State,
    req: &Request,
    body: Body,
    challenge_field: &str,
) -> Result<(Vec<(String, String)>, String), Response> {
    let Some(f) = form(req, body).await else {
        return Err(message(
            state.base,
            StatusCode::BAD_REQUEST,
            "Something is wrong",
            "The form could not be read.",
        ));
    };
    let challenge = field(&f, challenge_field).to_owned();
    if !csrf_ok(state, req, &challenge, field(&f, "csrf_token")).await {
        return Err(forbidden(state.base));
    }
    Ok((f, challenge))
}

fn field<'a>(f: &'a [(String, String)], name: &str) -> &'a str {
    f.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_default()
}

#[derive(Deserialize)]
pub struct LoginQuery {
    login_challenge: Option<String>,
}

/// `GET /ui/login`: accept a remembered login at once, otherwise show the sign-in form.
#[handler]
pub async fn login_page(req: &Request, state: Data<&State>, q: Query<LoginQuery>) -> Response {
    let Some(challenge) = q.0.login_challenge.filter(|c| !c.is_empty()) else {
        return message(
            state.base,
            StatusCode::BAD_REQUEST,
            "Nothing to sign in to",
            "Open this page from an application's sign-in link.",
        );
    };
    let lr = match state.api.login_request(&challenge).await {
        Ok(lr) => lr,
        Err(e) => return challenge_error(state.base, e),
    };
    let asked = vouch::Asked::of(Some(&lr.request_url));
    let acr = if lr.skip {
        vouch::remembered(&asked)
    } else {
        vouch::fresh(&asked)
    };
    match acr {
        vouch::Acr::Accept(acr) if lr.skip => {
            let body = AcceptOAuth2LoginRequest {
                subject: lr.subject,
                acr: Some(acr.into()),
                ..Default::default()
            };
            return match state.api.accept_login(&challenge, body).await {
                Ok(r) => redirect(&r.redirect_to),
                Err(e) => challenge_error(state.base, e),
            };
        }
        // OIDC Core §3.1.2.1: a remembered login that does not meet the asked `acr` — sign in
        // again, as a fresh request.
        vouch::Acr::SignInAgain => {
            return redirect(&crate::query::replace_param(
                &lr.request_url,
                "prompt",
                "login",
            ));
        }
        vouch::Acr::Unmet { login_required } => {
            return vouch::unmet(&state, &challenge, login_required).await;
        }
        vouch::Acr::Accept(_) => {}
    }
    let (csrf, cookie) = csrf_token(&state, req, &challenge).await;
    let email = lr
        .oidc_context
        .and_then(|c| c.login_hint)
        .unwrap_or_default();
    render(
        &LoginPage {
            base: state.base,
            challenge: &challenge,
            csrf,
            email,
            client_name: lr.client.client_name.filter(|n| !n.is_empty()),
            error: None,
        },
        StatusCode::OK,
        cookie,
    )
}

/// `POST /ui/login`: check the credentials; accept the login, or show the form again.
#[handler]
pub async fn login_submit(req: &Request, body: Body, state: Data<&State>) -> Response {
    let (f, challenge) = match submitted(&state, req, body, "login_challenge").await {
        Ok(ok) => ok,
        Err(page) => return page,
    };
    let lr = match state.api.login_request(&challenge).await {
        Ok(lr) => lr,
        Err(e) => return challenge_error(state.base, e),
    };
    let email = field(&f, "email");
    let address = crate::http::client_address(req);
    if let Some(wait) = state.users.throttle.wait(email, &address) {
        crate::metrics::metrics().sign_in_throttled.inc();
        let minutes = wait.as_secs().div_ceil(60).max(1);
        let (csrf, cookie) = csrf_token(&state, req, &challenge).await;
        let text = format!("Too many failed sign-ins. Try again in {minutes} minutes.");
        let mut resp = render(
            &LoginPage {
                base: state.base,
                challenge: &challenge,
                csrf,
                email: email.trim().to_owned(),
                client_name: lr.client.client_name.filter(|n| !n.is_empty()),
                error: Some(&text),
            },
            StatusCode::TOO_MANY_REQUESTS,
            cookie,
        );
        if let Ok(v) = wait.as_secs().to_string().parse() {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return resp;
    }
    let user = match state.users.authenticate(email, field(&f, "password")).await {
        Ok(u) => u,
        Err(e) => {
            tracing::error!(error = ?e, "checking a sign-in failed");
            return message(
                state.base,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Please try again in a moment.",
            );
        }
    };
    let Some(user) = user else {
        crate::metrics::metrics().sign_in_failures.inc();
        state.users.throttle.failed(email, &address);
        let (csrf, cookie) = csrf_token(&state, req, &challenge).await;
        return render(
            &LoginPage {
                base: state.base,
                challenge: &challenge,
                csrf,
                email: email.trim().to_owned(),
                client_name: lr.client.client_name.filter(|n| !n.is_empty()),
                // Never which part was wrong.
                error: Some("The email or password is not correct."),
            },
            StatusCode::UNAUTHORIZED,
            cookie,
        );
    };
    state.users.throttle.succeeded(email);
    // A new session id at sign-in (session fixation), keeping its data.
    if let Some(session) = session_of(req)
        && let Err(e) = session.cycle_id().await
    {
        tracing::error!(error = %e, "cycling the login app's session id failed");
    }
    let acr = match vouch::fresh(&vouch::Asked::of(Some(&lr.request_url))) {
        vouch::Acr::Accept(a) => a,
        _ => vouch::FRESH,
    };
    let accept = AcceptOAuth2LoginRequest {
        subject: user.id.clone(),
        remember: field(&f, "remember") == "1",
        acr: Some(acr.into()),
        amr: Some(vec!["pwd".into()]),
        context: Some(json!({"email": user.email})),
        ..Default::default()
    };
    match state.api.accept_login(&challenge, accept).await {
        Ok(r) => redirect(&r.redirect_to),
        Err(e) => challenge_error(state.base, e),
    }
}

#[derive(Deserialize)]
pub struct ConsentQuery {
    consent_challenge: Option<String>,
}

async fn accept_consent(
    state: &State,
    challenge: &str,
    subject: &str,
    scopes: Vec<String>,
    audience: Vec<String>,
    remember: bool,
    asked: &vouch::Asked,
) -> Response {
    let session = vouch::consent_session_of(state, subject, &scopes, asked).await;
    let body = AcceptOAuth2ConsentRequest {
        grant_scope: Some(scopes),
        grant_access_token_audience: Some(audience),
        remember,
        session: Some(session),
        ..Default::default()
    };
    match state.api.accept_consent(challenge, body).await {
        Ok(r) => redirect(&r.redirect_to),
        Err(e) => challenge_error(state.base, e),
    }
}

/// `GET /ui/consent`: accept a remembered consent at once, otherwise ask.
#[handler]
pub async fn consent_page(req: &Request, state: Data<&State>, q: Query<ConsentQuery>) -> Response {
    let Some(challenge) = q.0.consent_challenge.filter(|c| !c.is_empty()) else {
        return message(
            state.base,
            StatusCode::BAD_REQUEST,
            "Nothing to allow",
            "Open this page from an application's sign-in link.",
        );
    };
    let cr = match state.api.consent_request(&challenge).await {
        Ok(cr) => cr,
        Err(e) => return challenge_error(state.base, e),
    };
    let asked = vouch::Asked::of(cr.request_url.as_deref());
    if cr.skip {
        return accept_consent(
            &state,
            &challenge,
            &cr.subject,
            cr.requested_scope,
            cr.requested_access_token_audience,
            false,
            &asked,
        )
        .await;
    }
    let client = cr.client.unwrap_or_default();
    let subject_label = cr
        .context
        .as_ref()
        .and_then(|c| c.get("email"))
        .and_then(Value::as_str)
        .unwrap_or(&cr.subject)
        .to_owned();
    let (csrf, cookie) = csrf_token(&state, req, &challenge).await;
    let https = |u: Option<String>| u.filter(|u| u.starts_with("https://"));
    render(
        &ConsentPage {
            base: state.base,
            challenge: &challenge,
            csrf,
            client_name: client
                .client_name
                .clone()
                .filter(|n| !n.is_empty())
                .or(client.client_id.clone())
                .unwrap_or_default(),
            logo_uri: https(client.logo_uri),
            policy_uri: https(client.policy_uri),
            tos_uri: https(client.tos_uri),
            subject_label,
            device: cr
                .request_url
                .as_deref()
                .and_then(|u| url::Url::parse(u).ok())
                .is_some_and(|u| u.path().ends_with(crate::oauth::device::VERIFY_PATH)),
            claims: vouch::extra_claims(&asked, &cr.requested_scope)
                .iter()
                .map(|c| c.replace('_', " "))
                .collect::<Vec<_>>()
                .join(", "),
            scopes: cr
                .requested_scope
                .iter()
                .map(|s| ScopeItem {
                    name: s.clone(),
                    description: describe(s),
                })
                .collect(),
        },
        StatusCode::OK,
        cookie,
    )
}

/// `POST /ui/consent`: allow the checked scopes, or deny.
#[handler]
pub async fn consent_submit(req: &Request, body: Body, state: Data<&State>) -> Response {
    let (f, challenge) = match submitted(&state, req, body, "consent_challenge").await {
        Ok(ok) => ok,
        Err(page) => return page,
    };
    if field(&f, "action") == "deny" {
        let reject = RejectOAuth2Request {
            error: Some("access_denied".into()),
            error_description: Some("The user denied the request.".into()),
            ..Default::default()
        };
        return match state.api.reject_consent(&challenge, reject).await {
            Ok(r) => redirect(&r.redirect_to),
            Err(e) => challenge_error(state.base, e),
        };
    }
    let cr = match state.api.consent_request(&challenge).await {
        Ok(cr) => cr,
        Err(e) => return challenge_error(state.base, e),
    };
    let checked: Vec<String> = f
        .iter()
        .filter(|(k, _)| k == "grant_scope")
        .map(|(_, v)| v.clone())
        .filter(|s| cr.requested_scope.contains(s))
        .collect();
    accept_consent(
        &state,
        &challenge,
        &cr.subject,
        checked,
        cr.requested_access_token_audience,
        field(&f, "remember") == "1",
        &vouch::Asked::of(cr.request_url.as_deref()),
    )
    .await
}

#[derive(Deserialize)]
pub struct LogoutQuery {
    logout_challenge: Option<String>,
}

/// `GET /ui/logout`: ask before signing out.
#[handler]
pub async fn logout_page(req: &Request, state: Data<&State>, q: Query<LogoutQuery>) -> Response {
    let Some(challenge) = q.0.logout_challenge.filter(|c| !c.is_empty()) else {
        return message(
            state.base,
            StatusCode::BAD_REQUEST,
            "Nothing to sign out of",
            "Open this page from an application's sign-out link.",
        );
    };
    let lr = match state.api.logout_request(&challenge).await {
        Ok(lr) => lr,
        Err(e) => return challenge_error(state.base, e),
    };
    let (csrf, cookie) = csrf_token(&state, req, &challenge).await;
    render(
        &LogoutPage {
            base: state.base,
            challenge: &challenge,
            csrf,
            client_name: lr.client.and_then(|c| c.client_name.or(c.client_id)),
        },
        StatusCode::OK,
        cookie,
    )
}

/// `POST /ui/logout`: sign out, or stay signed in.
#[handler]
pub async fn logout_submit(req: &Request, body: Body, state: Data<&State>) -> Response {
    let (f, challenge) = match submitted(&state, req, body, "logout_challenge").await {
        Ok(ok) => ok,
        Err(page) => return page,
    };
    if field(&f, "action") == "yes" {
        match state.api.accept_logout(&challenge).await {
            Ok(r) => redirect(&r.redirect_to),
            Err(e) => challenge_error(state.base, e),
        }
    } else {
        match state.api.reject_logout(&challenge).await {
            Ok(()) => message(
                state.base,
                StatusCode::OK,
                "You are still signed in",
                "You can close this window.",
            ),
            Err(e) => challenge_error(state.base, e),
        }
    }
}

/// `GET /ui/signed-out`: where a logout ends when the client named no page of its own.
#[handler]
pub fn signed_out(state: Data<&State>) -> Response {
    message(
        state.base,
        StatusCode::OK,
        "You are signed out",
        "You can close this window.",
    )
}

/// `GET|HEAD /ui/static/{path}`: an embedded asset with a strong ETag (its SHA-256), revalidated
/// with `If-None-Match`, cacheable for an hour.
#[handler]
pub fn asset(req: &Request, poem::web::Path(path): poem::web::Path<String>) -> Response {
    let Some(file) = Assets::get(&path) else {
        return StatusCode::NOT_FOUND.into();
    };
    let hash = file.metadata.sha256_hash();
    let etag: String = hash[..16].iter().map(|b| format!("{b:02x}")).collect();
    let etag = format!("\"{etag}\"");
    let ext = path.rsplit('.').next().unwrap_or_default();
    let content_type = match ext {
        "css" => "text/css; charset=utf-8",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    };
    let builder = Response::builder()
        .header(header::ETAG, etag.as_str())
        .header(header::CACHE_CONTROL, "public, max-age=3600")
        .header("X-Content-Type-Options", "nosniff");
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    if fresh {
        return builder.status(StatusCode::NOT_MODIFIED).finish();
    }
    let builder = builder
        .content_type(content_type)
        .header(header::CONTENT_LENGTH, file.data.len());
    if req.method() == poem::http::Method::HEAD {
        return builder.finish();
    }
    builder.body(file.data.into_owned())
}

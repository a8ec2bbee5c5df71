//! `GET|POST /oauth2/auth` and `GET|POST /userinfo`: request parsing, cookies, and rendering the
//! core's outcome — a redirect, a form_post page, or the error page.

use poem::{
    Body, Request, Response, handler,
    http::{HeaderValue, Method, StatusCode, header},
    web::Data,
};

use askama::Template;

use super::{State, read_cookie};
use crate::{
    flows::{SetCookie, endpoint::AuthorizeOutcome},
    oauth::{
        OAuthError,
        authorize::{ClientResponse, ResponseMode},
    },
};

/// Authorization requests are small; anything bigger is not one.
const FORM_LIMIT: usize = 64 * 1024;

/// Browser-facing responses leak no referrer (RFC 9700 §4.2.4); that they are never cached is
/// the listener's `no_cache_by_default`.
fn browser(mut resp: Response, cookies: &[SetCookie], secure: bool) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    for c in cookies {
        let mut v = format!(
            "{}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}",
            c.name, c.value, c.max_age
        );
        if secure {
            v.push_str("; Secure");
        }
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.append(header::SET_COOKIE, v);
        }
    }
    resp
}

fn redirect(location: &str, post: bool) -> Response {
    // 303 after a POST, so the browser follows with a GET and never re-posts the form.
    let status = if post {
        StatusCode::SEE_OTHER
    } else {
        StatusCode::FOUND
    };
    Response::builder()
        .status(status)
        .header(header::LOCATION, location)
        .finish()
}

/// OAuth 2.0 Form Post Response Mode: a page that posts the response to the client at once.
#[derive(Template)]
#[template(path = "form_post.html")]
struct FormPostPage<'a> {
    action: &'a str,
    params: &'a [(&'static str, String)],
    nonce: &'a str,
}

/// The front-channel logout page (Front-Channel Logout 1.0 §4).
#[derive(Template)]
#[template(path = "frontchannel.html")]
struct FrontchannelPage<'a> {
    frames: &'a [String],
    location: &'a str,
    nonce: &'a str,
}

/// The built-in error page.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    heading: &'a str,
    code: &'a str,
    description: &'a str,
}

/// Which request the error page answers: it says so in its title and heading.
#[derive(Clone, Copy)]
enum Failed {
    SignIn,
    SignOut,
}

/// A page of ours with its CSP: every value in it went through the template's HTML escaping
/// (no value is ever written into a script: the scripts are constant and read what they need
/// from the escaped markup), and a page that fails to render is a plain 500, logged.
fn page(status: StatusCode, t: &impl Template, csp: &str) -> Response {
    match t.render() {
        Ok(html) => Response::builder()
            .status(status)
            .content_type("text/html; charset=utf-8")
            .header(header::CONTENT_SECURITY_POLICY, csp)
            .header("X-Content-Type-Options", "nosniff")
            .body(html),
        Err(e) => {
            tracing::error!(error = %e, "rendering a page failed");
            StatusCode::INTERNAL_SERVER_ERROR.into()
        }
    }
}

/// OAuth 2.0 Form Post Response Mode: a page that posts the response to the client at once.
/// No `form-action` here: browsers apply it to the redirects that follow the POST too, and a
/// client's callback commonly redirects on to another of its origins; the page holds no value
/// that is not escaped, and its one script is constant.
fn form_post(r: &ClientResponse) -> Response {
    let nonce = crate::flows::random_hex();
    page(
        StatusCode::OK,
        &FormPostPage {
            action: r.redirect.uri(),
            params: &r.params,
            nonce: &nonce,
        },
        &format!(
            "default-src 'none'; script-src 'nonce-{nonce}'; base-uri 'none'; frame-ancestors 'none'"
        ),
    )
}

/// The error page: `urls.error` when configured, otherwise a built-in page.
fn error_page(state: &State, e: &OAuthError) -> Response {
    failure_page(state, e, Failed::SignIn)
}

fn failure_page(state: &State, e: &OAuthError, failed: Failed) -> Response {
    if let Some(cause) = &e.cause {
        tracing::error!(
            code = e.code.as_str(),
            cause,
            "authorization request failed"
        );
    }
    if let Some(url) = &state.config.urls.error {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        s.append_pair("error", e.code.as_str());
        s.append_pair("error_description", &e.description);
        let sep = if url.contains('?') { '&' } else { '?' };
        return redirect(&format!("{url}{sep}{}", s.finish()), false);
    }
    page(
        StatusCode::from_u16(e.code.status()).unwrap_or(StatusCode::BAD_REQUEST),
        &ErrorPage {
            title: match failed {
                Failed::SignIn => "Sign-in error",
                Failed::SignOut => "Sign-out error",
            },
            heading: match failed {
                Failed::SignIn => "The sign-in request could not be completed",
                Failed::SignOut => "The sign-out request could not be completed",
            },
            code: e.code.as_str(),
            description: &e.description,
        },
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
    )
}

/// `GET|POST /oauth2/auth` (RFC 6749 §3.1: both methods, the same parameters).
#[handler]
pub async fn authorize(req: &Request, body: Body, state: Data<&State>) -> Response {
    let post = req.method() == Method::POST;
    let raw = if post {
        let ct = req.content_type().unwrap_or_default();
        let essence = ct.split(';').next().unwrap_or_default().trim();
        if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            return error_page(
                &state,
                &OAuthError::invalid_request(
                    "An authorization request sent with POST must be application/x-www-form-urlencoded.",
                ),
            );
        }
        match body.into_bytes_limit(FORM_LIMIT).await {
            Ok(b) => b.to_vec(),
            Err(_) => {
                return error_page(
                    &state,
                    &OAuthError::invalid_request(
                        "The request body is too large or could not be read.",
                    ),
                );
            }
        }
    } else {
        req.uri().query().unwrap_or_default().as_bytes().to_vec()
    };
    let cookie = |name: &str| read_cookie(req, name);
    let secure = state.config.public_base().starts_with("https://");
    match state.flows.authorize(&raw, &cookie).await {
        AuthorizeOutcome::Redirect { location, cookies } => {
            browser(redirect(&location, post), &cookies, secure)
        }
        AuthorizeOutcome::Client { response, cookies } => {
            let resp = match response.redirect.mode() {
                ResponseMode::FormPost => form_post(&response),
                // RFC 9700 §4.12: 303, so that no browser re-sends a POSTed form to the client
                // (as Hydra answers, whatever the method).
                _ => redirect(&response.location().unwrap_or_default(), true),
            };
            // What goes to the client carries codes or tokens: RFC 6749 §5.1's headers.
            browser(super::error::no_store(resp), &cookies, secure)
        }
        AuthorizeOutcome::Page(e) => browser(error_page(&state, &e), &[], secure),
    }
}

/// `GET /oauth2/device/verify`: the device flow's steps in the browser (RFC 8628 §3.3).
/// Failures show the error page: there is no client redirect URI in a device flow.
#[handler]
pub async fn device_verify(req: &Request, state: Data<&State>) -> Response {
    let raw = req.uri().query().unwrap_or_default().as_bytes().to_vec();
    let cookie = |name: &str| read_cookie(req, name);
    let secure = state.config.public_base().starts_with("https://");
    let address = super::client_address(req);
    match state.flows.device_verify(&raw, &cookie, &address).await {
        Ok(step) => browser(redirect(&step.location, false), &step.cookies, secure),
        Err((e, cookies)) => browser(error_page(&state, &e), &cookies, secure),
    }
}

/// RFC 6750 §3: a bearer challenge with the error.
use super::error::bearer as bearer_error;

/// `GET|POST /userinfo` (OIDC Core §5.3).
#[handler]
pub async fn userinfo(req: &Request, body: Body, state: Data<&State>) -> Response {
    let header_token = super::bearer_token(req).map(str::to_owned);
    let mut body_token = None;
    if req.method() == Method::POST {
        let ct = req.content_type().unwrap_or_default();
        if ct.starts_with("application/x-www-form-urlencoded")
            && let Ok(b) = body.into_bytes_limit(FORM_LIMIT).await
        {
            body_token = url::form_urlencoded::parse(&b)
                .find(|(k, _)| k == "access_token")
                .map(|(_, v)| v.into_owned());
        }
    }
    let bearer = match crate::oauth::context::BearerRequest::from_parts(header_token, body_token) {
        Err(e) => return bearer_error(&e),
        Ok(Some(b)) => b,
        Ok(None) => {
            // RFC 6750 §3.1: no credentials, no error code.
            return Response::builder()
                .status(StatusCode::UNAUTHORIZED)
                .header(header::WWW_AUTHENTICATE, "Bearer")
                .header(header::CACHE_CONTROL, "no-store")
                .content_type("application/json")
                .body(
                    r#"{"error":"invalid_token","error_description":"No access token was sent."}"#,
                );
        }
    };
    match state.userinfo.userinfo(&bearer).await {
        Ok(claims) => {
            let mut resp = Response::builder()
                .content_type("application/json")
                .body(serde_json::to_vec(&claims).unwrap_or_default());
            if req.extensions().get::<super::cors::Pending>().is_some() {
                // The client the token was issued to: its audience here.
                let client = claims
                    .get("aud")
                    .and_then(|a| a.get(0))
                    .and_then(|a| a.as_str());
                super::cors::admit_client(req, &state, client, &mut resp).await;
            }
            resp
        }
        Err(e) => bearer_error(&e),
    }
}

/// Front-Channel Logout 1.0 §4: one hidden iframe per client, then on to `location` once they
/// have loaded (or after a few seconds, whichever is first). No form may be sent from it.
fn frontchannel_page(frontchannel: &[String], location: &str) -> Response {
    let nonce = crate::flows::random_hex();
    page(
        StatusCode::OK,
        &FrontchannelPage {
            frames: frontchannel,
            location,
            nonce: &nonce,
        },
        &format!(
            "default-src 'none'; frame-src *; script-src 'nonce-{nonce}'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
        ),
    )
}

/// `GET|POST /oauth2/sessions/logout` (OpenID Connect RP-Initiated Logout 1.0).
#[handler]
pub async fn logout(req: &Request, body: Body, state: Data<&State>) -> Response {
    use crate::flows::logout::LogoutOutcome;
    let post = req.method() == Method::POST;
    let raw = if post {
        match body.into_bytes_limit(FORM_LIMIT).await {
            Ok(b) => b.to_vec(),
            Err(_) => {
                return failure_page(
                    &state,
                    &OAuthError::invalid_request(
                        "The request body is too large or could not be read.",
                    ),
                    Failed::SignOut,
                );
            }
        }
    } else {
        req.uri().query().unwrap_or_default().as_bytes().to_vec()
    };
    let cookie = |name: &str| read_cookie(req, name);
    let secure = state.config.public_base().starts_with("https://");
    match state.flows.logout(&raw, &cookie).await {
        LogoutOutcome::Redirect { location, cookies } => {
            browser(redirect(&location, post), &cookies, secure)
        }
        LogoutOutcome::Done {
            location,
            frontchannel,
            cookies,
        } => {
            let resp = if frontchannel.is_empty() {
                redirect(&location, post)
            } else {
                frontchannel_page(&frontchannel, &location)
            };
            browser(resp, &cookies, secure)
        }
        LogoutOutcome::Page(e) => browser(failure_page(&state, &e, Failed::SignOut), &[], secure),
    }
}

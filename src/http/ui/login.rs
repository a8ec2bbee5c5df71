//! The login page: email and password, "remember me", and the acr a request asks for.

use super::*;

#[derive(Template)]
#[template(path = "login.html")]
pub(super) struct LoginPage<'a> {
    base: &'a str,
    challenge: &'a str,
    csrf: String,
    email: String,
    client_name: Option<String>,
    error: Option<&'a str>,
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
    let email = lr
        .oidc_context
        .and_then(|c| c.login_hint)
        .unwrap_or_default();
    let client_name = lr.client.client_name;
    login_form(
        &state,
        req,
        &challenge,
        email,
        client_name,
        None,
        StatusCode::OK,
    )
    .await
}

/// The sign-in form for `challenge`, with a fresh CSRF token: empty, or shown again with
/// `error` and the email as entered.
async fn login_form(
    state: &State,
    req: &Request,
    challenge: &str,
    email: String,
    client_name: Option<String>,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let (csrf, cookie) = csrf_token(state, req, challenge).await;
    render(
        &LoginPage {
            base: state.base,
            challenge,
            csrf,
            email,
            client_name: client_name.filter(|n| !n.is_empty()),
            error,
        },
        status,
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
        let text = format!("Too many failed sign-ins. Try again in {minutes} minutes.");
        let mut resp = login_form(
            &state,
            req,
            &challenge,
            email.trim().to_owned(),
            lr.client.client_name,
            Some(&text),
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;
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
        return login_form(
            &state,
            req,
            &challenge,
            email.trim().to_owned(),
            lr.client.client_name,
            // Never which part was wrong.
            Some("The email or password is not correct."),
            StatusCode::UNAUTHORIZED,
        )
        .await;
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

//! The logout confirmation page and the signed-out page.

use super::*;

#[derive(Template)]
#[template(path = "logout.html")]
pub(super) struct LogoutPage<'a> {
    base: &'a str,
    challenge: &'a str,
    csrf: String,
    client_name: Option<String>,
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

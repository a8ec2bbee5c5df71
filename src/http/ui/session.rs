//! The app's own session (tower-sessions over our database): it holds the browser's CSRF secret;
//! its id changes at sign-in.

use super::*;

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

pub(super) fn session_of(req: &Request) -> Option<tower_sessions_core::Session> {
    req.extensions()
        .get::<tower_sessions_core::Session>()
        .cloned()
}
/// `static/`, embedded in the binary.
#[derive(rust_embed::Embed)]
#[folder = "static/"]
pub(super) struct Assets;

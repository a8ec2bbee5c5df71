//! The built-in app's device pages (RFC 8628 §3.3): the user types the code their device shows
//! (prefilled from `verification_uri_complete`), then signs in and consents as for any other
//! flow, and lands on the success page. Only the challenge API is used, as an external
//! verification app would use the admin API.

use askama::Template;
use poem::{
    Body, Request, Response, handler,
    http::StatusCode,
    web::{Data, Query},
};
use serde::Deserialize;

use super::{State, challenge_error, csrf_token, field, message, redirect, render, submitted};
use crate::{error::AdminError, wire::AcceptDeviceUserCodeRequest};

#[derive(Template)]
#[template(path = "device.html")]
struct DevicePage<'a> {
    base: &'a str,
    challenge: &'a str,
    csrf: String,
    user_code: &'a str,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
pub struct DeviceQuery {
    device_challenge: Option<String>,
    user_code: Option<String>,
}

async fn page(
    state: &State,
    req: &Request,
    challenge: &str,
    user_code: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let (csrf, cookie) = csrf_token(state, req, challenge).await;
    render(
        &DevicePage {
            base: state.base,
            challenge,
            csrf,
            user_code,
            error,
        },
        status,
        cookie,
    )
}

/// `GET /ui/device`: the code form.
#[handler]
pub async fn device_page(req: &Request, state: Data<&State>, q: Query<DeviceQuery>) -> Response {
    let Some(challenge) = q.0.device_challenge.filter(|c| !c.is_empty()) else {
        return message(
            state.base,
            StatusCode::BAD_REQUEST,
            "Nothing to connect",
            "Open the address your device shows you.",
        );
    };
    let code = q.0.user_code.unwrap_or_default();
    page(&state, req, &challenge, code.trim(), None, StatusCode::OK).await
}

/// `POST /ui/device`: check the code; a wrong one shows the form again.
#[handler]
pub async fn device_submit(req: &Request, body: Body, state: Data<&State>) -> Response {
    let (f, challenge) = match submitted(&state, req, body, "device_challenge").await {
        Ok(ok) => ok,
        Err(page) => return page,
    };
    let code = field(&f, "user_code").trim().to_owned();
    let body = AcceptDeviceUserCodeRequest {
        user_code: Some(code.clone()),
    };
    match state.api.accept_user_code(&challenge, body).await {
        Ok(r) => redirect(&r.redirect_to),
        Err(AdminError::BadRequest { description, .. }) => {
            let text = if description.starts_with("Too many") {
                "Too many wrong codes were tried. Open the address your device shows you again."
            } else if code.is_empty() {
                "Enter the code your device shows."
            } else {
                "That code is not valid or has expired. Check the code on your device and try again."
            };
            page(
                &state,
                req,
                &challenge,
                &code,
                Some(text),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => challenge_error(state.base, e),
    }
}

/// `GET /ui/device/done`: the device is connected (`urls.device.success`).
#[handler]
pub fn device_done(state: Data<&State>) -> Response {
    message(
        state.base,
        StatusCode::OK,
        "Your device is connected",
        "You can close this window and go back to your device.",
    )
}

//! The public OAuth 2.0 endpoints: token (RFC 6749 §3.2) and revocation (RFC 7009), discovery
//! and the JWKS. Their errors are rendered by `http::error` (RFC 6749 §5.2).

use poem::{
    Body, IntoResponse, Request, Response, handler,
    http::{StatusCode, header},
    web::Data,
};
use serde::Serialize;

use super::State;
use crate::oauth::OAuthError;

/// Token requests are small; anything bigger is not one.
const FORM_LIMIT: usize = 64 * 1024;

use super::error::{no_store, oauth as render_error};

/// Reads a form body, refusing other content types and oversized bodies with `invalid_request`.
/// A request with neither a body nor a content type has no parameters (Hydra's SDKs send the
/// device authorization request so, the client's credentials in the Authorization header).
async fn form_body(req: &Request, body: Body) -> Result<Vec<u8>, OAuthError> {
    let ct = req.content_type().unwrap_or_default();
    let essence = ct.split(';').next().unwrap_or_default().trim();
    let no_body = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .is_none_or(|l| l.as_bytes() == b"0")
        && req.headers().get(header::TRANSFER_ENCODING).is_none();
    if essence.is_empty() && no_body {
        return Ok(Vec::new());
    }
    if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(OAuthError::invalid_request(
            "The request body must be application/x-www-form-urlencoded (RFC 6749 §3.2).",
        ));
    }
    body.into_bytes_limit(FORM_LIMIT)
        .await
        .map(|b| b.to_vec())
        .map_err(|_| {
            OAuthError::invalid_request("The request body is too large or could not be read.")
        })
}

fn authorization(req: &Request) -> Result<Option<&str>, OAuthError> {
    req.headers()
        .get(header::AUTHORIZATION)
        .map(|v| {
            v.to_str()
                .map_err(|_| OAuthError::invalid_request("The Authorization header is not valid."))
        })
        .transpose()
}

fn json_ok<T: Serialize>(value: &T) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_default();
    no_store(
        Response::builder()
            .content_type("application/json;charset=UTF-8")
            .body(body),
    )
}

/// `POST /oauth2/token`.
#[handler]
pub async fn token(req: &Request, body: Body, state: Data<&State>) -> Response {
    let mut claimed = None;
    let result = async {
        let bytes = form_body(req, body).await?;
        claimed = client_for_cors(req, &bytes);
        state
            .token_endpoint
            .token(authorization(req)?, &bytes)
            .await
    }
    .await;
    let mut resp = match result {
        Ok(t) => json_ok(&t),
        Err(e) => render_error(&e),
    };
    super::cors::admit_client(req, &state, claimed.as_deref(), &mut resp).await;
    resp
}

/// The client a cross-origin request names, worked out only when the CORS layer asks.
fn client_for_cors(req: &Request, form: &[u8]) -> Option<String> {
    req.extensions()
        .get::<super::cors::Pending>()
        .and_then(|_| super::cors::claimed_client(authorization(req).ok().flatten(), form))
}

/// `POST /oauth2/device/auth` (RFC 8628 §3.1); errors as at the token endpoint (§3.2).
#[handler]
pub async fn device_authorization(req: &Request, body: Body, state: Data<&State>) -> Response {
    let result = async {
        let bytes = form_body(req, body).await?;
        state
            .device_authorization
            .device_authorization(authorization(req)?, &bytes)
            .await
    }
    .await;
    match result {
        Ok(t) => json_ok(&t),
        Err(e) => render_error(&e),
    }
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414 §3) and
/// `/.well-known/openid-configuration` (the same document), cacheable for a minute.
#[handler]
pub async fn metadata(state: Data<&State>) -> Response {
    let algs = match state.keys.signing_algs(crate::keys::ID_TOKEN_SET).await {
        Ok(algs) => algs,
        Err(e) => return internal_error(&e),
    };
    let body = serde_json::to_vec(&crate::provider::discovery::Metadata::new(
        &state.config,
        algs,
    ))
    .unwrap_or_default();
    Response::builder()
        .content_type("application/json")
        .header(header::CACHE_CONTROL, "public, max-age=60")
        .body(body)
}

fn internal_error(e: &crate::keys::KeyError) -> Response {
    tracing::error!(cause = ?e, "loading the signing keys failed");
    super::error_json(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        "The server encountered an internal error.".into(),
    )
}

/// `POST /oauth2/revoke`: 200 with an empty body on success (RFC 7009 §2.2).
#[handler]
pub async fn revoke(req: &Request, body: Body, state: Data<&State>) -> Response {
    let mut claimed = None;
    let result = async {
        let bytes = form_body(req, body).await?;
        claimed = client_for_cors(req, &bytes);
        state.revocation.revoke(authorization(req)?, &bytes).await
    }
    .await;
    let mut resp = match result {
        Ok(()) => no_store(StatusCode::OK.into_response()),
        Err(e) => render_error(&e),
    };
    super::cors::admit_client(req, &state, claimed.as_deref(), &mut resp).await;
    resp
}

/// `GET /.well-known/jwks.json`: the public keys that verify ID tokens and JWT access tokens
/// (RFC 7517 §5). The reserved sets get their first key here if they have none yet.
#[handler]
pub async fn jwks(state: Data<&State>) -> Response {
    match state.keys.public_jwks().await {
        Ok(set) => Response::builder()
            .content_type("application/json")
            .header(header::CACHE_CONTROL, "public, max-age=60")
            .body(serde_json::to_vec(&set).unwrap_or_default()),
        Err(e) => internal_error(&e),
    }
}

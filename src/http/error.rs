//! Every error the HTTP layer sends, rendered in one place:
//!
//! - [`OAuthError`] on the token, revocation and introspection endpoints: RFC 6749 §5.2 JSON with
//!   `Cache-Control: no-store`, each code with its own status, `WWW-Authenticate: Basic` on a 401
//!   to a client that tried Basic; on bearer endpoints ([`bearer`]) RFC 6750 §3's challenge too.
//! - [`AdminError`] on the admin API: Hydra's body (`error`, `error_description`, `status_code`)
//!   with the variant's status, or `{"redirect_to"}` for a 410 — as [`AdminErrorResponse`], which
//!   also documents those statuses in the OpenAPI spec.
//! - Whatever reaches the top of a listener as a `poem::Error` (an unknown route, a body that does
//!   not parse, a wrong media type): [`uncaught`], in the admin body.
//!
//! Causes of 5xx errors are logged here and never sent.

use poem::{
    Response,
    http::{HeaderValue, StatusCode, header},
};
use poem_openapi::{ApiResponse, payload::Json};

use crate::{
    error::AdminError,
    oauth::{ErrorCode, OAuthError},
    wire::{GenericError, OAuth2RedirectTo},
};

const INTERNAL: &str = "The server encountered an internal error.";

fn generic(status: u16, error: &str, description: String) -> Json<GenericError> {
    Json(GenericError {
        error: error.to_owned(),
        error_description: description,
        status_code: status,
        error_debug: None,
        error_hint: None,
    })
}

/// An admin operation's failure as it goes on the wire.
#[derive(ApiResponse, Debug)]
pub enum AdminErrorResponse {
    /// The request is malformed or its content is invalid.
    #[oai(status = 400)]
    BadRequest(Json<GenericError>),
    /// An OAuth 2.0 error that is not a 400 (e.g. `invalid_client`).
    #[oai(status = 401)]
    Unauthorized(Json<GenericError>),
    /// An OAuth 2.0 refusal (`access_denied`, `request_forbidden`).
    #[oai(status = 403)]
    Forbidden(Json<GenericError>),
    /// No resource with that id, or a challenge this server did not issue.
    #[oai(status = 404)]
    NotFound(Json<GenericError>),
    /// A resource with that id exists already.
    #[oai(status = 409)]
    Conflict(Json<GenericError>),
    /// The request has expired or its flow completed; `redirect_to` starts it over.
    #[oai(status = 410)]
    Gone(Json<OAuth2RedirectTo>),
    /// The body is not JSON (`Content-Type` other than `application/json`), or it has no
    /// `Content-Type` and comes from a web page.
    #[oai(status = 415)]
    UnsupportedMediaType(Json<GenericError>),
    /// Something failed inside the server; details are in its log.
    #[oai(status = 500)]
    Internal(Json<GenericError>),
    /// The server cannot answer now (`temporarily_unavailable`).
    #[oai(status = 503)]
    Unavailable(Json<GenericError>),
}

impl From<AdminError> for AdminErrorResponse {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::BadRequest { error, description } => {
                Self::BadRequest(generic(400, error, description))
            }
            AdminError::NotFound(d) => Self::NotFound(generic(404, "not_found", d)),
            AdminError::Conflict(d) => Self::Conflict(generic(409, "conflict", d)),
            AdminError::Gone { redirect_to } => Self::Gone(Json(OAuth2RedirectTo { redirect_to })),
            AdminError::OAuth(e) => {
                // The HTTP status is the one the body's status_code names (RFC 6749 §5.2 and
                // ErrorCode::status), never a 400 that says 403 inside.
                let body = generic(e.code.status(), e.code.as_str(), e.description);
                match e.code.status() {
                    401 => Self::Unauthorized(body),
                    403 => Self::Forbidden(body),
                    500 => Self::Internal(body),
                    503 => Self::Unavailable(body),
                    _ => Self::BadRequest(body),
                }
            }
            AdminError::Internal(cause) => {
                tracing::error!(cause, "admin API internal error");
                Self::Internal(generic(500, "server_error", INTERNAL.into()))
            }
        }
    }
}

impl From<OAuthError> for AdminErrorResponse {
    fn from(e: OAuthError) -> Self {
        AdminError::from(e).into()
    }
}

impl From<crate::keys::KeyError> for AdminErrorResponse {
    fn from(e: crate::keys::KeyError) -> Self {
        AdminError::from(e).into()
    }
}

impl From<crate::storage::StoreError> for AdminErrorResponse {
    fn from(e: crate::storage::StoreError) -> Self {
        AdminError::from(e).into()
    }
}

/// A Hydra error body with the given status, as a plain response.
pub fn error_json(status: StatusCode, code: &str, description: String) -> Response {
    let body = generic(status.as_u16(), code, description).0;
    Response::builder()
        .status(status)
        .content_type("application/json; charset=utf-8")
        .body(serde_json::to_vec(&body).unwrap_or_default())
}

/// Renders any error that reached the top of a listener as Hydra's JSON error body. Errors an
/// operation rendered itself pass through unchanged.
pub async fn uncaught(err: poem::Error) -> Response {
    if err.is_from_response() {
        return err.into_response();
    }
    let status = err.status();
    let (code, description) = match status {
        StatusCode::BAD_REQUEST => (
            "invalid_request",
            err.to_string()
                .trim_start_matches("parse request payload error: ")
                .to_owned(),
        ),
        StatusCode::NOT_FOUND => (
            "not_found",
            "The requested resource or route does not exist.".to_owned(),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "This method is not allowed on this path.".to_owned(),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => ("request_too_large", err.to_string()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", err.to_string()),
        s if s.is_server_error() => {
            tracing::error!(error = %err, "unhandled error");
            ("server_error", INTERNAL.to_owned())
        }
        _ => ("invalid_request", err.to_string()),
    };
    error_json(status, code, description)
}

#[derive(serde::Serialize)]
struct OAuthBody<'a> {
    error: &'a str,
    error_description: &'a str,
}

/// RFC 6749 §5.1/§5.2: token-endpoint-like answers are never cached.
pub fn no_store(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    resp
}

/// An OAuth error as RFC 6749 §5.2 JSON; the private cause goes to the log only.
pub fn oauth(e: &OAuthError) -> Response {
    if let Some(cause) = &e.cause {
        tracing::error!(code = e.code.as_str(), cause, "oauth endpoint failed");
    }
    let body = serde_json::to_vec(&OAuthBody {
        error: e.code.as_str(),
        error_description: &e.description,
    })
    .unwrap_or_default();
    let status = StatusCode::from_u16(e.code.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut resp = Response::builder()
        .status(status)
        .content_type("application/json;charset=UTF-8")
        .body(body);
    if e.basic_challenge && e.code == ErrorCode::InvalidClient {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"latchkey\""),
        );
    }
    no_store(resp)
}

/// An OAuth error from a bearer-protected endpoint: the JSON body plus RFC 6750 §3's
/// `WWW-Authenticate: Bearer error=…` challenge.
pub fn bearer(e: &OAuthError) -> Response {
    let challenge = format!(
        "Bearer error=\"{}\", error_description=\"{}\"",
        e.code.as_str(),
        e.description.replace(['"', '\\'], "'")
    );
    let mut resp = oauth(e);
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use poem::IntoResponse;

    use super::AdminErrorResponse;
    use crate::{
        error::AdminError,
        oauth::{ErrorCode, OAuthError},
    };

    #[test]
    fn oauth_errors_on_the_admin_api_carry_their_own_status() {
        for code in [
            ErrorCode::InvalidRequest,
            ErrorCode::InvalidClient,
            ErrorCode::AccessDenied,
            ErrorCode::RequestForbidden,
            ErrorCode::ServerError,
            ErrorCode::TemporarilyUnavailable,
        ] {
            let r = AdminErrorResponse::from(AdminError::OAuth(OAuthError::new(code, "x")))
                .into_response();
            assert_eq!(r.status().as_u16(), code.status(), "{}", code.as_str());
        }
    }
}

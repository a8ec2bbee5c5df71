//! `POST /oauth2/register` and `GET/PUT/DELETE /oauth2/register/{id}`: OpenID Connect Dynamic
//! Client Registration (RFC 7591, RFC 7592) on the public listener, mounted only when
//! `oidc.dynamic_client_registration.enabled` is set. The registration access token comes as a
//! bearer token (RFC 6750 §2.1); errors are RFC 7591 §3.2.2's JSON (Hydra's body), a 401 with
//! RFC 6750's challenge.

use poem::{
    Body, IntoResponse, Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Path},
};

use super::{
    State,
    error::{AdminErrorResponse, error_json},
};
use crate::{clients::dynamic::DynamicError, wire::OAuth2Client};

/// Registration documents are small.
const BODY_LIMIT: usize = 256 * 1024;

fn render(e: DynamicError) -> Response {
    match e {
        DynamicError::Admin(a) => AdminErrorResponse::from(a).into_response(),
        DynamicError::Unauthorized => {
            let mut r = error_json(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "The requested OAuth 2.0 client does not exist or you provided incorrect credentials.".into(),
            );
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
            r
        }
        DynamicError::Forbidden(d) => error_json(StatusCode::FORBIDDEN, "forbidden", d),
    }
}

/// The client information response (RFC 7591 §3.2.1, RFC 7592 §3). Metadata the client did not
/// give is left out, not sent as an empty string (Hydra sends `"client_uri": ""`): RFC 7591 §2
/// makes those fields optional URLs and names, and clients that check the answer against the
/// schema — the MCP TypeScript SDK among them — refuse an empty URL. (Every answer leaves with
/// the listener's no-cache header: it may carry a secret or a token.)
fn json(status: StatusCode, c: &OAuth2Client) -> Response {
    let mut doc = serde_json::to_value(c).unwrap_or_default();
    if let Some(fields) = doc.as_object_mut() {
        fields.retain(|_, v| v.as_str() != Some(""));
    }
    Response::builder()
        .status(status)
        .content_type("application/json; charset=utf-8")
        .body(serde_json::to_vec(&doc).unwrap_or_default())
}

/// The client metadata document (RFC 7591 §3.1: `application/json`). A body without a
/// `Content-Type` is read as JSON unless it comes from a web page, as on the admin API.
async fn document(req: &Request, body: Body) -> Result<OAuth2Client, DynamicError> {
    let bad = |d: String| DynamicError::Admin(crate::error::AdminError::bad_request(d));
    let ct = req.content_type().unwrap_or_default();
    let essence = ct.split(';').next().unwrap_or_default().trim();
    let json_type = essence.eq_ignore_ascii_case("application/json");
    let unlabelled_non_browser = essence.is_empty() && req.headers().get(header::ORIGIN).is_none();
    if !(json_type || unlabelled_non_browser) {
        return Err(bad(
            "The registration request must be application/json (RFC 7591 §3.1).".into(),
        ));
    }
    let data = body
        .into_bytes_limit(BODY_LIMIT)
        .await
        .map_err(|_| bad("The request body is too large or could not be read.".into()))?;
    super::payload::parse_strict(&data, Some((b'{', "an object"))).map_err(bad)
}

#[handler]
pub async fn create(req: &Request, body: Body, state: Data<&State>) -> Response {
    let c = match document(req, body).await {
        Ok(c) => c,
        Err(e) => return render(e),
    };
    match state.clients.register(c, &state.config.public_base()).await {
        Ok(c) => {
            let mut r = json(StatusCode::CREATED, &c);
            if let Some(uri) = c
                .registration_client_uri
                .as_deref()
                .and_then(|u| header::HeaderValue::from_str(u).ok())
            {
                r.headers_mut().insert(header::LOCATION, uri);
            }
            r
        }
        Err(e) => render(e),
    }
}

#[handler]
pub async fn read(req: &Request, Path(id): Path<String>, state: Data<&State>) -> Response {
    match state
        .clients
        .read_registration(&id, super::bearer_token(req), &state.config.public_base())
        .await
    {
        Ok(c) => json(StatusCode::OK, &c),
        Err(e) => render(e),
    }
}

#[handler]
pub async fn update(
    req: &Request,
    Path(id): Path<String>,
    body: Body,
    state: Data<&State>,
) -> Response {
    // The token first: an unauthorised caller learns nothing from the body's checks.
    let token = super::bearer_token(req).map(str::to_owned);
    let c = match document(req, body).await {
        Ok(c) => c,
        Err(e) => return render(e),
    };
    match state
        .clients
        .update_registration(&id, token.as_deref(), c, &state.config.public_base())
        .await
    {
        Ok(c) => json(StatusCode::OK, &c),
        Err(e) => render(e),
    }
}

#[handler]
pub async fn delete(req: &Request, Path(id): Path<String>, state: Data<&State>) -> Response {
    match state
        .clients
        .delete_registration(&id, super::bearer_token(req))
        .await
    {
        Ok(()) => Response::builder().status(StatusCode::NO_CONTENT).finish(),
        Err(e) => render(e),
    }
}

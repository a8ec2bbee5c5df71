//! The pages: askama templates, the HTML response (no script, no framing), messages, redirects,
//! the challenge API's errors as pages, and the static assets.

use super::*;

#[derive(Template)]
#[template(path = "message.html")]
pub(super) struct MessagePage<'a> {
    base: &'a str,
    title: &'a str,
    message: &'a str,
}

/// Pages are never cached, framed, or given a referrer; they run no script.
pub(super) fn html(status: StatusCode, body: String, set_cookie: Option<String>) -> Response {
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

pub(super) fn render(t: &impl Template, status: StatusCode, cookie: Option<String>) -> Response {
    match t.render() {
        Ok(body) => html(status, body, cookie),
        Err(e) => {
            tracing::error!(error = %e, "rendering a page failed");
            StatusCode::INTERNAL_SERVER_ERROR.into()
        }
    }
}

pub(super) fn message(base: &str, status: StatusCode, title: &str, text: &str) -> Response {
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

pub(super) fn redirect(to: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, to)
        .header(header::CACHE_CONTROL, "no-store")
        .finish()
}

/// A challenge that cannot be used any more: start over, or say why.
pub(super) fn challenge_error(base: &str, e: AdminError) -> Response {
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

pub(super) fn forbidden(base: &str) -> Response {
    message(
        base,
        StatusCode::FORBIDDEN,
        "This form has expired",
        "For your security the form could not be accepted. Go back, reload the page and try again.",
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

//! Cross-cutting request handling: request logs, body limits, Hydra v1 path aliases on the admin
//! listener, and the rendering of every unhandled error as Hydra's JSON error body.

use futures_util::StreamExt;

use poem::{
    Body, Endpoint, IntoResponse, Request, Response,
    http::{StatusCode, Uri},
};

/// Logs one structured line per request: method, path (never the query, which may hold secrets),
/// status and latency.
pub async fn request_log<E: Endpoint>(ep: E, req: Request) -> poem::Result<Response> {
    // Nothing is captured or formatted unless some request line could be written (at `warn`, only
    // 5xx lines are): this runs on every request of the hot paths.
    if !tracing::enabled!(tracing::Level::WARN) {
        return ep.call(req).await.map(IntoResponse::into_response);
    }
    let info = tracing::enabled!(tracing::Level::INFO);
    let start = crate::clock::stopwatch();
    let method = req.method().clone();
    let uri = req.original_uri().clone();
    let remote = req.remote_addr().as_socket_addr().copied();
    let resp = ep.call(req).await.map(IntoResponse::into_response);
    let status = match &resp {
        Ok(r) => r.status(),
        Err(e) => e.status(),
    };
    if !info && !status.is_server_error() {
        return resp;
    }
    let latency_us = start.elapsed().as_micros() as u64;
    let path = uri.path();
    let remote = remote.map(|a| a.to_string()).unwrap_or_default();
    if status.is_server_error() {
        tracing::warn!(%method, path, status = status.as_u16(), latency_us, remote, "request");
    } else {
        tracing::info!(%method, path, status = status.as_u16(), latency_us, remote, "request");
    }
    resp
}

/// Rejects request bodies over a size with 413 before any handler reads them: by the declared
/// `Content-Length`, or, for chunked bodies, by reading at most the limit.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimit(pub usize);

impl<E: Endpoint> poem::Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        BodyLimitEndpoint { inner, max: self.0 }
    }
}

pub struct BodyLimitEndpoint<E> {
    inner: E,
    max: usize,
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let max = self.max;
        let too_large = || {
            poem::Error::from_string(
                format!("the request body is larger than the limit of {max} bytes"),
                StatusCode::PAYLOAD_TOO_LARGE,
            )
        };
        let declared = req
            .headers()
            .get(poem::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > max as u64) {
            drain(req.take_body()).await;
            return Err(too_large());
        }
        if declared.is_none()
            && req
                .headers()
                .contains_key(poem::http::header::TRANSFER_ENCODING)
        {
            let mut stream = req.take_body().into_bytes_stream();
            let mut buf = Vec::new();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| {
                    poem::Error::from_string(e.to_string(), StatusCode::BAD_REQUEST)
                })?;
                if buf.len() + chunk.len() > max {
                    drain(Body::from_bytes_stream(stream)).await;
                    return Err(too_large());
                }
                buf.extend_from_slice(&chunk);
            }
            req.set_body(Body::from_vec(buf));
        }
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}

/// Reads and discards what is left of a rejected body, up to [`DRAIN_LIMIT`], so the client gets
/// to read our 413 instead of a reset connection; beyond that the connection is simply closed.
async fn drain(body: Body) {
    let mut stream = body.into_bytes_stream();
    let mut seen = 0usize;
    let read = async {
        while let Some(Ok(chunk)) = stream.next().await {
            seen += chunk.len();
            if seen > DRAIN_LIMIT {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), read).await;
}

/// The most of a rejected body we read before giving up on the connection.
const DRAIN_LIMIT: usize = 16 * 1024 * 1024;

/// Hydra v1 admin paths had no `/admin` prefix (`/clients`); Hydra v2 serves health and version
/// both at the root and under `/admin`. Both spellings reach the same handlers.
pub async fn legacy_admin_paths<E: Endpoint>(ep: E, mut req: Request) -> poem::Result<Response> {
    let path = req.uri().path();
    let rewritten = if let Some(rest) = path.strip_prefix("/admin") {
        (rest.starts_with("/health/") || rest == "/version").then(|| rest.to_owned())
    } else if [
        "/clients",
        "/keys",
        "/oauth2/auth/requests",
        "/oauth2/auth/sessions",
        "/oauth2/introspect",
        "/oauth2/tokens",
        "/trust",
    ]
    .iter()
    .any(|p| path == *p || path.starts_with(&format!("{p}/")))
    {
        Some(format!("/admin{path}"))
    } else {
        None
    };
    if let Some(new_path) = rewritten {
        let pq = match req.uri().query() {
            Some(q) => format!("{new_path}?{q}"),
            None => new_path,
        };
        if let Ok(uri) = Uri::builder().path_and_query(pq).build() {
            *req.uri_mut() = uri;
        }
    }
    ep.call(req).await.map(IntoResponse::into_response)
}

/// The admin routes that stay open when admin API keys are set: what load balancers and
/// orchestrators probe. Exact paths (after `legacy_admin_paths`), nothing under them.
const OPEN_ADMIN_PATHS: &[&str] = &["/health/alive", "/health/ready", "/version"];

/// `serve.admin.auth.api_keys`: when set, every other admin request needs
/// `Authorization: Bearer <key>` (what Hydra's SDKs send when given an access token). Each key
/// is compared in constant time, and all of them always, so the time taken tells nothing about
/// which key or how much of one matched. A refusal is a 401 with `WWW-Authenticate: Bearer`.
pub async fn admin_auth<E: Endpoint>(ep: E, req: Request) -> poem::Result<Response> {
    // The state, not a copy of its keys: every admin request passes here, introspection included.
    let Some(state) = req.data::<super::State>().cloned() else {
        return ep.call(req).await.map(IntoResponse::into_response);
    };
    let keys = &state.config.serve.admin.auth.api_keys;
    if keys.is_empty() || OPEN_ADMIN_PATHS.contains(&req.uri().path()) {
        return ep.call(req).await.map(IntoResponse::into_response);
    }
    let presented = super::bearer_token(&req).map(str::to_owned);
    let ok = presented.as_deref().is_some_and(|p| {
        use subtle::ConstantTimeEq;
        let mut any = subtle::Choice::from(0);
        for k in keys {
            // Lengths differ only between keys, which are not secret in length.
            if k.0.len() == p.len() {
                any |= k.0.as_bytes().ct_eq(p.as_bytes());
            }
        }
        bool::from(any)
    });
    if ok {
        return ep.call(req).await.map(IntoResponse::into_response);
    }
    let (error, description) = match presented {
        None => (
            "unauthorized",
            "The admin API needs an API key: send `Authorization: Bearer <key>` (serve.admin.auth.api_keys).",
        ),
        Some(_) => ("unauthorized", "The admin API key is not valid."),
    };
    let mut resp = super::error_json(
        poem::http::StatusCode::UNAUTHORIZED,
        error,
        description.to_owned(),
    );
    resp.headers_mut().insert(
        poem::http::header::WWW_AUTHENTICATE,
        poem::http::HeaderValue::from_static("Bearer realm=\"latchkey-admin\""),
    );
    Ok(resp)
}

/// What every response says about caching unless it says otherwise (Hydra's value): API answers
/// carry secrets and per-user state.
pub const NO_CACHE: &str = "private, no-cache, no-store, must-revalidate";

/// Adds [`NO_CACHE`] to responses that set no `Cache-Control` of their own.
pub async fn no_cache_by_default<E: Endpoint>(ep: E, req: Request) -> poem::Result<Response> {
    let mut resp = ep.call(req).await?.into_response();
    if !resp
        .headers()
        .contains_key(poem::http::header::CACHE_CONTROL)
    {
        resp.headers_mut().insert(
            poem::http::header::CACHE_CONTROL,
            poem::http::HeaderValue::from_static(NO_CACHE),
        );
    }
    Ok(resp)
}

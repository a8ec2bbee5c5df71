//! Requests this server makes to URLs its clients registered — `jwks_uri`,
//! `sector_identifier_uri`, back-channel logout — through one HTTP client: a connect and a total
//! timeout, a bound on what is read, no redirects followed, and, besides the web PKI's roots, the
//! certificates in the file `SSL_CERT_FILE` names when it is set (as Go programs, Hydra among
//! them, read it), so that a private CA can be trusted.

use std::{sync::OnceLock, time::Duration};

use serde::de::DeserializeOwned;

/// The longest a fetch may take, connection included.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// The most a fetched document may weigh.
pub const MAX_BODY: usize = 5 << 20;

/// Why a fetch failed, in words fit for the client that registered the URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FetchError(pub String);

/// The outgoing HTTP client; built on first use (loading the roots costs milliseconds that every
/// start would otherwise pay).
#[derive(Default)]
pub struct Outbound {
    client: OnceLock<reqwest::Client>,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Outbound")
    }
}

fn build() -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .connect_timeout(TIMEOUT)
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("latchkey/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = std::env::var_os("SSL_CERT_FILE") {
        match std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|pem| reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| e.to_string()))
        {
            Ok(certs) => {
                for c in certs {
                    b = b.add_root_certificate(c);
                }
            }
            Err(e) => tracing::warn!(
                file = %std::path::Path::new(&path).display(),
                error = %e,
                "SSL_CERT_FILE could not be read; outgoing requests trust the web PKI's roots only"
            ),
        }
    }
    b.build().unwrap_or_else(|e| {
        tracing::warn!(error = %e, "the outgoing HTTP client could not be configured; using defaults");
        reqwest::Client::new()
    })
}

impl Outbound {
    pub fn new() -> Self {
        Self::default()
    }

    /// The client, for requests that need more than [`Outbound::get_json`].
    pub fn client(&self) -> &reqwest::Client {
        self.client.get_or_init(build)
    }

    /// GETs `url` and reads a JSON document of at most [`MAX_BODY`] bytes from a 2xx answer.
    pub async fn get_json<T: DeserializeOwned>(&self, url: &str) -> Result<T, FetchError> {
        let mut resp = self
            .client()
            .get(url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| FetchError(format!("{url} could not be fetched: {}", without_url(&e))))?;
        if !resp.status().is_success() {
            return Err(FetchError(format!(
                "{url} answered {}",
                resp.status().as_u16()
            )));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| FetchError(format!("{url} could not be read: {}", without_url(&e))))?
        {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(FetchError(format!(
                    "{url} answered more than {} MiB",
                    MAX_BODY >> 20
                )));
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&body)
            .map_err(|e| FetchError(format!("{url} did not answer the expected JSON: {e}")))
    }
}

/// What went wrong, without the URL (the caller names it) and with the underlying cause.
fn without_url(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_redirect() {
        "redirects are not followed"
    } else {
        "request failed"
    };
    match std::error::Error::source(e) {
        Some(src) => format!("{what} ({src})"),
        None => what.to_owned(),
    }
}

//! The HTTP client the CLI uses to talk to a running server's admin or public API.

use anyhow::{Context, anyhow};
use reqwest::{Method, StatusCode};
use serde::{Serialize, de::DeserializeOwned};

use super::RemoteArgs;
use crate::wire::GenericError;

/// The flag, else the first non-empty variable of `vars`, else `default`; no trailing slash.
fn endpoint(args: &RemoteArgs, vars: &[&str], default: &str) -> String {
    let from_env = || {
        vars.iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    };
    args.endpoint
        .clone()
        .or_else(from_env)
        .unwrap_or_else(|| default.into())
        .trim_end_matches('/')
        .to_owned()
}

/// The admin URL: the flag, then `LATCHKEY_ADMIN_URL`, `HYDRA_ADMIN_URL`, `ORY_SDK_URL`, then the default.
pub fn admin_url(args: &RemoteArgs) -> String {
    endpoint(
        args,
        &["LATCHKEY_ADMIN_URL", "HYDRA_ADMIN_URL", "ORY_SDK_URL"],
        "http://127.0.0.1:4445",
    )
}

/// The public URL: the flag, then `LATCHKEY_PUBLIC_URL`, `HYDRA_URL`, `ORY_SDK_URL`, then the default.
pub fn public_url(args: &RemoteArgs) -> String {
    endpoint(
        args,
        &["LATCHKEY_PUBLIC_URL", "HYDRA_URL", "ORY_SDK_URL"],
        "http://127.0.0.1:4444",
    )
}

/// An admin path under `base` with `id` as one percent-encoded segment.
pub fn item_path(base: &str, id: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
    format!("{base}/{}", encoded.replace('+', "%20"))
}

/// Deletes `base/{id}` for each id, printing the ids (text, `-q`) or a JSON list of them.
pub async fn delete_each(remote: &RemoteArgs, base: &str, ids: &[String]) -> anyhow::Result<()> {
    let api = Remote::admin(remote)?;
    for id in ids {
        api.call::<(), serde_json::Value>(Method::DELETE, &item_path(base, id), None)
            .await?;
        if remote.format == super::Format::Text || remote.quiet {
            println!("{id}");
        }
    }
    if remote.format != super::Format::Text && !remote.quiet {
        super::output::json(&ids, remote.format)?;
    }
    Ok(())
}

/// A client for one server.
pub struct Remote {
    base: String,
    http: reqwest::Client,
    /// The admin API key, for admin requests only (never sent to the public API).
    api_key: Option<String>,
}

/// A response that was not an error: status, headers and the body decoded.
pub struct Reply<T> {
    pub body: T,
    pub headers: reqwest::header::HeaderMap,
}

impl Remote {
    pub fn admin(args: &RemoteArgs) -> anyhow::Result<Self> {
        let mut r = Self::new(admin_url(args), args)?;
        r.api_key = args.api_key.clone().filter(|k| !k.is_empty());
        Ok(r)
    }

    pub fn public(args: &RemoteArgs) -> anyhow::Result<Self> {
        Self::new(public_url(args), args)
    }

    fn new(base: String, args: &RemoteArgs) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .danger_accept_invalid_certs(args.skip_tls_verify)
            .timeout(std::time::Duration::from_secs(30))
            .user_agent(concat!("latchkey-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("cannot build the HTTP client")?;
        Ok(Self {
            base,
            http,
            api_key: None,
        })
    }

    /// Sends a request and decodes the reply; a failure becomes one line for the user.
    pub async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> anyhow::Result<Reply<T>> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(k) = &self.api_key {
            req = req.bearer_auth(k);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        self.send(req).await
    }

    /// POSTs a form, with HTTP Basic client credentials when given.
    pub async fn post_form<T: DeserializeOwned>(
        &self,
        path: &str,
        form: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> anyhow::Result<Reply<T>> {
        let mut req = self.http.post(format!("{}{path}", self.base)).form(form);
        if let (Some(k), None) = (&self.api_key, basic) {
            req = req.bearer_auth(k);
        }
        if let Some((id, secret)) = basic {
            // RFC 6749 §2.3.1: form-urlencode both parts before Basic encoding.
            let enc =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            req = req.basic_auth(enc(id), Some(enc(secret)));
        }
        self.send(req).await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
    ) -> anyhow::Result<Reply<T>> {
        let url = self.base.clone();
        let resp = req.send().await.map_err(|e| {
            if e.is_connect() {
                anyhow!("cannot reach the server at {}: is `latchkey serve` running there? (use -e/--endpoint, LATCHKEY_ADMIN_URL or LATCHKEY_PUBLIC_URL to point elsewhere)", self.base)
            } else if e.is_timeout() {
                anyhow!("the server at {} did not answer within 30 s", self.base)
            } else {
                anyhow!("request to {url} failed: {e}")
            }
        })?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp
            .bytes()
            .await
            .context("reading the server's reply failed")?;
        if !status.is_success() {
            return Err(error_line(status, &bytes));
        }
        let text: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
        let body = serde_json::from_slice(text).with_context(|| {
            format!(
                "the server at {} sent a reply this CLI does not understand",
                self.base
            )
        })?;
        Ok(Reply { body, headers })
    }
}

/// An RFC 6749 §5.2 error body.
#[derive(serde::Deserialize)]
struct OAuthErrorBody {
    error: String,
    #[serde(default)]
    error_description: String,
}

fn error_line(status: StatusCode, body: &[u8]) -> anyhow::Error {
    if let Ok(e) = serde_json::from_slice::<OAuthErrorBody>(body)
        && serde_json::from_slice::<GenericError>(body).is_err()
    {
        return anyhow!("{} ({}): {}", e.error, status.as_u16(), e.error_description);
    }
    match serde_json::from_slice::<GenericError>(body) {
        Ok(e) if !e.error_description.is_empty() => {
            anyhow!("{} ({}): {}", e.error, status.as_u16(), e.error_description)
        }
        Ok(e) => anyhow!("{} ({})", e.error, status.as_u16()),
        Err(_) => anyhow!("the server answered {status}"),
    }
}

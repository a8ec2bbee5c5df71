//! `perform device-code`: a device in a terminal (RFC 8628). It asks for a device code, prints
//! where to go and the code to enter, polls the token endpoint as told (`interval`, five seconds
//! more after each `slow_down`), and prints the tokens.
//!
//! As Hydra's command, the client authenticates with its secret if it has one (HTTP Basic, or in
//! the form when the server refuses Basic: `client_secret_post`), or names itself (`none`).

use std::time::Duration;

use anyhow::{Context, anyhow};
use clap::Args;
use serde_json::Value;

use super::{RemoteArgs, authcode::print_tokens, remote::public_url};

const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

#[derive(Args, Debug, Clone)]
pub struct DeviceCodeArgs {
    /// The client's id [env: OAUTH2_CLIENT_ID].
    #[arg(long = "client-id", env = "OAUTH2_CLIENT_ID")]
    pub client_id: String,
    /// The client's secret; leave it out for a public client [env: OAUTH2_CLIENT_SECRET].
    #[arg(long = "client-secret", env = "OAUTH2_CLIENT_SECRET")]
    pub client_secret: Option<String>,
    /// Scopes to request (repeat or separate with commas).
    #[arg(long = "scope", value_delimiter = ',', default_values_t = ["offline".to_owned(), "openid".to_owned()])]
    pub scope: Vec<String>,
    /// Audiences to request (repeat or separate with commas).
    #[arg(long = "audience", value_delimiter = ',')]
    pub audience: Vec<String>,
    /// The device authorization endpoint [default: ENDPOINT/oauth2/device/auth].
    #[arg(long = "device-auth-url")]
    pub device_auth_url: Option<String>,
    /// The token endpoint [default: ENDPOINT/oauth2/token].
    #[arg(long = "token-url")]
    pub token_url: Option<String>,
}

/// How the client authenticates.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Basic,
    Post,
    None,
}

struct Device<'a> {
    http: reqwest::Client,
    a: &'a DeviceCodeArgs,
}

impl Device<'_> {
    async fn post(
        &self,
        url: &str,
        style: Style,
        mut form: Vec<(&str, String)>,
    ) -> anyhow::Result<(reqwest::StatusCode, Value)> {
        let mut req = self.http.post(url);
        match (style, &self.a.client_secret) {
            (Style::Basic, Some(secret)) => req = req.basic_auth(&self.a.client_id, Some(secret)),
            (Style::Post, Some(secret)) => {
                form.push(("client_id", self.a.client_id.clone()));
                form.push(("client_secret", secret.clone()));
            }
            _ => form.push(("client_id", self.a.client_id.clone())),
        }
        let resp = req
            .form(&form)
            .send()
            .await
            .with_context(|| format!("cannot reach {url}"))?;
        let status = resp.status();
        Ok((status, resp.json().await.unwrap_or(Value::Null)))
    }
}

fn failure(what: &str, status: reqwest::StatusCode, body: &Value) -> anyhow::Error {
    anyhow!(
        "{what} failed ({status}): {} {}",
        body["error"].as_str().unwrap_or_default(),
        body["error_description"].as_str().unwrap_or_default()
    )
}

pub async fn perform(remote: &RemoteArgs, a: &DeviceCodeArgs) -> anyhow::Result<()> {
    let base = public_url(remote);
    let auth_url = a
        .device_auth_url
        .clone()
        .unwrap_or_else(|| format!("{base}/oauth2/device/auth"));
    let token_url = a
        .token_url
        .clone()
        .unwrap_or_else(|| format!("{base}/oauth2/token"));
    let d = Device {
        http: reqwest::Client::new(),
        a,
    };
    let mut form = vec![("scope", a.scope.join(" "))];
    if !a.audience.is_empty() {
        form.push(("audience", a.audience.join(" ")));
    }
    let mut style = if a.client_secret.is_some() {
        Style::Basic
    } else {
        Style::None
    };
    let (mut status, mut body) = d.post(&auth_url, style, form.clone()).await?;
    if style == Style::Basic && body["error"] == "invalid_client" {
        // The client may be registered for client_secret_post.
        style = Style::Post;
        (status, body) = d.post(&auth_url, style, form).await?;
    }
    if !status.is_success() {
        return Err(failure("the device authorization request", status, &body));
    }
    let device_code = body["device_code"]
        .as_str()
        .ok_or_else(|| anyhow!("the device authorization response has no device_code"))?
        .to_owned();
    let complete = body["verification_uri_complete"]
        .as_str()
        .or(body["verification_uri"].as_str())
        .unwrap_or_default();
    eprintln!(
        "To login please go to:\n\t {complete}\nand check that it shows the code {}",
        body["user_code"].as_str().unwrap_or_default()
    );
    let mut interval = Duration::from_secs(body["interval"].as_u64().unwrap_or(5).max(1));
    let expires = Duration::from_secs(body["expires_in"].as_u64().unwrap_or(900));
    let started = crate::clock::stopwatch();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = tokio::signal::ctrl_c() => return Err(anyhow!("interrupted")),
        }
        let (status, body) = d
            .post(
                &token_url,
                style,
                vec![
                    ("grant_type", GRANT.to_owned()),
                    ("device_code", device_code.clone()),
                ],
            )
            .await?;
        if status.is_success() {
            eprintln!("Successfully signed in!");
            return print_tokens(remote.format, &body, None);
        }
        match body["error"].as_str() {
            Some("authorization_pending") if started.elapsed() < expires => {}
            // RFC 8628 §3.5: five seconds more for this and every later request.
            Some("slow_down") => interval += Duration::from_secs(5),
            _ => return Err(failure("the device token request", status, &body)),
        }
    }
}

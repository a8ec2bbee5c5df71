//! `perform authorization-code` and the classic `token user`: a relying party in a terminal. It
//! serves a page on a local port with an **Authorize application** link (PKCE S256, `state` and
//! `nonce` generated), receives the callback, exchanges the code, prints the tokens and the ID
//! token's claims, and exits.

use std::time::Duration;

use anyhow::{Context, anyhow};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use clap::Args;
use poem::{
    EndpointExt, Response, Route, handler,
    http::StatusCode,
    listener::TcpAcceptor,
    web::{Data, Query},
};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::{Format, RemoteArgs, output, remote::public_url};

/// What the authorization code flow from the command line takes.
#[derive(Args, Debug, Clone)]
pub struct AuthCodeArgs {
    #[arg(long = "client-id")]
    pub client_id: String,
    /// The client's secret; leave it out for a public client (`token_endpoint_auth_method: none`).
    #[arg(long = "client-secret")]
    pub client_secret: Option<String>,
    /// The local port that serves the start page and receives the callback.
    #[arg(long, default_value_t = 4446)]
    pub port: u16,
    /// Scopes to request (repeat or separate with commas).
    #[arg(long = "scope", value_delimiter = ',', default_values_t = ["openid".to_owned(), "offline".to_owned()])]
    pub scope: Vec<String>,
    /// Audiences to request (repeat or separate with commas).
    #[arg(long = "audience", value_delimiter = ',')]
    pub audience: Vec<String>,
    /// The redirect URI registered for the client [default: http://127.0.0.1:PORT/callback].
    #[arg(long = "redirect")]
    pub redirect: Option<String>,
    /// The authorization endpoint [default: ENDPOINT/oauth2/auth].
    #[arg(long = "auth-url")]
    pub auth_url: Option<String>,
    /// The token endpoint [default: ENDPOINT/oauth2/token].
    #[arg(long = "token-url")]
    pub token_url: Option<String>,
    /// `prompt` for the authorization request (none, login, consent, select_account).
    #[arg(long)]
    pub prompt: Option<String>,
    /// `max_age` for the authorization request, in seconds.
    #[arg(long = "max-age")]
    pub max_age: Option<u64>,
    /// Do not try to open a browser; just print the address.
    #[arg(long = "no-open")]
    pub no_open: bool,
}

fn random() -> String {
    let mut b = [0u8; 32];
    let _ = getrandom::fill(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// The pages this command serves; every value goes through the template's HTML escaping.
#[derive(askama::Template)]
#[template(path = "cli_page.html")]
struct Page<'a> {
    title: &'a str,
    code: Option<&'a str>,
    text: &'a str,
    link: Option<&'a str>,
}

fn page(p: Page<'_>) -> Response {
    use askama::Template;
    let Ok(html) = p.render() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into();
    };
    Response::builder()
        .content_type("text/html; charset=utf-8")
        .header(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'",
        )
        .header("Cache-Control", "no-store")
        .body(html)
}

/// What the callback brought.
type Outcome = Result<std::collections::HashMap<String, String>, String>;

struct Shared {
    auth_url: String,
    state: String,
    done: mpsc::Sender<Outcome>,
}

#[handler]
fn home(shared: Data<&std::sync::Arc<Shared>>) -> Response {
    page(Page {
        title: "Latchkey: authorization code flow",
        code: None,
        text: "This page is served by `latchkey perform authorization-code`. Follow the link to \
               sign in and grant access; you will come back here with a code, which is then \
               exchanged for tokens.",
        link: Some(&shared.auth_url),
    })
}

#[handler]
async fn callback(
    shared: Data<&std::sync::Arc<Shared>>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if q.get("state") != Some(&shared.state) {
        return page(Page {
            title: "Unexpected callback",
            code: None,
            text: "The state does not match the request this command made; ignoring it.",
            link: None,
        })
        .with_status(StatusCode::BAD_REQUEST);
    }
    if let Some(e) = q.get("error") {
        let d = q.get("error_description").cloned().unwrap_or_default();
        let _ = shared.done.send(Err(format!("{e}: {d}"))).await;
        return page(Page {
            title: "Authorization failed",
            code: Some(e),
            text: &d,
            link: None,
        });
    }
    let _ = shared.done.send(Ok(q)).await;
    page(Page {
        title: "Signed in",
        code: None,
        text: "The code was received and is being exchanged; the tokens are in your terminal. \
               You can close this window.",
        link: None,
    })
}

trait WithStatus {
    fn with_status(self, s: StatusCode) -> Response;
}

impl WithStatus for Response {
    fn with_status(mut self, s: StatusCode) -> Response {
        self.set_status(s);
        self
    }
}

/// Tries the desktop's opener; `false` when there is none.
fn open_browser(url: &str) -> bool {
    let candidates: &[&str] = if cfg!(target_os = "macos") {
        &["open"]
    } else {
        &["xdg-open", "sensible-browser"]
    };
    candidates.iter().any(|c| {
        std::process::Command::new(c)
            .arg(url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Runs the flow; prints the tokens.
pub async fn perform(remote: &RemoteArgs, a: &AuthCodeArgs) -> anyhow::Result<()> {
    let base = public_url(remote);
    let auth = a
        .auth_url
        .clone()
        .unwrap_or_else(|| format!("{base}/oauth2/auth"));
    let token_url = a
        .token_url
        .clone()
        .unwrap_or_else(|| format!("{base}/oauth2/token"));
    let redirect = a
        .redirect
        .clone()
        .unwrap_or_else(|| format!("http://127.0.0.1:{}/callback", a.port));
    let callback_path = url::Url::parse(&redirect)
        .map_err(|e| anyhow!("--redirect {redirect:?} is not a URL: {e}"))?
        .path()
        .to_owned();
    let (state, nonce, verifier) = (random(), random(), random());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("client_id", &a.client_id)
        .append_pair("response_type", "code")
        .append_pair("scope", &a.scope.join(" "))
        .append_pair("redirect_uri", &redirect)
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    if !a.audience.is_empty() {
        q.append_pair("audience", &a.audience.join(" "));
    }
    if let Some(p) = &a.prompt {
        q.append_pair("prompt", p);
    }
    if let Some(m) = a.max_age {
        q.append_pair("max_age", &m.to_string());
    }
    let sep = if auth.contains('?') { '&' } else { '?' };
    let auth_url = format!("{auth}{sep}{}", q.finish());

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", a.port))
        .await
        .with_context(|| {
            format!(
                "cannot listen on 127.0.0.1:{}: pass another --port (and a matching --redirect)",
                a.port
            )
        })?;
    let (tx, mut rx) = mpsc::channel::<Outcome>(1);
    let shared = std::sync::Arc::new(Shared {
        auth_url,
        state,
        done: tx,
    });
    let app = Route::new()
        .at("/", poem::get(home))
        .at(&callback_path, poem::get(callback))
        .data(shared);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let acceptor = TcpAcceptor::from_tokio(listener)?;
        poem::Server::new_with_acceptor(acceptor)
            .run_with_graceful_shutdown(
                app,
                async {
                    let _ = stop_rx.await;
                },
                Some(Duration::from_secs(2)),
            )
            .await
    });
    let home_url = format!("http://127.0.0.1:{}/", a.port);
    eprintln!("Open {home_url} in a browser and follow \"Authorize application\".");
    if !a.no_open && !open_browser(&home_url) {
        eprintln!("(No browser could be opened from here; open the address above yourself.)");
    }
    let outcome = tokio::select! {
        o = rx.recv() => o.unwrap_or_else(|| Err("the callback server stopped".into())),
        _ = tokio::signal::ctrl_c() => Err("interrupted".into()),
    };
    // Let the browser receive its page before the server goes.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = stop_tx.send(());
    let _ = server.await;
    let params = outcome.map_err(|e| anyhow!("the authorization failed: {e}"))?;
    let code = params
        .get("code")
        .ok_or_else(|| anyhow!("the callback carried no code"))?;

    let http = reqwest::Client::new();
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", redirect.as_str()),
        ("code_verifier", verifier.as_str()),
    ];
    let mut req = http.post(&token_url);
    match &a.client_secret {
        Some(secret) => req = req.basic_auth(&a.client_id, Some(secret)),
        None => form.push(("client_id", a.client_id.as_str())),
    }
    let resp = req
        .form(&form)
        .send()
        .await
        .with_context(|| format!("cannot reach the token endpoint {token_url}"))?;
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        return Err(anyhow!(
            "the token request failed ({status}): {} {}",
            body["error"].as_str().unwrap_or_default(),
            body["error_description"].as_str().unwrap_or_default()
        ));
    }
    let claims = body["id_token"]
        .as_str()
        .and_then(|t| t.split('.').nth(1))
        .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
    if let Some(c) = &claims
        && c["nonce"].as_str() != Some(nonce.as_str())
    {
        return Err(anyhow!(
            "the ID token's nonce does not match the request's: refusing it"
        ));
    }
    print_tokens(remote.format, &body, claims.as_ref())
}

pub(super) fn print_tokens(
    format: Format,
    body: &Value,
    claims: Option<&Value>,
) -> anyhow::Result<()> {
    if format != Format::Text {
        let mut out = body.clone();
        if let Some(c) = claims {
            out["id_token_claims"] = c.clone();
        }
        return output::json(&out, format);
    }
    let s = |k: &str| body[k].as_str().unwrap_or_default().to_owned();
    let expiry = body["expires_in"].as_i64().map(|secs| {
        (crate::clock::Clock::now(&crate::clock::SystemClock) + chrono::Duration::seconds(secs))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    });
    println!("ACCESS TOKEN\n\t{}\n", s("access_token"));
    if body["refresh_token"].is_string() {
        println!("REFRESH TOKEN\n\t{}\n", s("refresh_token"));
    }
    if body["id_token"].is_string() {
        println!("ID TOKEN\n\t{}\n", s("id_token"));
    }
    println!("SCOPE\n\t{}\n", s("scope"));
    if let Some(e) = expiry {
        println!("EXPIRY\n\t{e}\n");
    }
    if let Some(c) = claims {
        println!(
            "ID TOKEN CLAIMS (decoded, signature not checked here)\n{}",
            serde_json::to_string_pretty(c)?
        );
    }
    Ok(())
}

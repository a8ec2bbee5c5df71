//! Load driver for `bench/flows.sh`: complete browser login flows, as fast as `CONC` concurrent
//! users can go, against Latchkey (through Hydra's admin challenge API, as a login/consent app
//! would) or against any OpenID provider whose interaction pages finish by themselves.
//!
//! One flow, with a fresh browser (cookie jar) each time, so no login or consent is skipped:
//! authorization request with PKCE → login (GET the login request, accept it) → consent (GET the
//! consent request, accept it) → back to the authorization endpoint → code → token request with
//! the code verifier, which must return an ID token. Any failure stops the run.
//!
//! Environment: AUTH_URL, TOKEN_URL, ADMIN_URL (empty for a provider without the challenge API),
//! CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, CONC (32), WARMUP (3 s), DURATION (10 s).
//! Prints one line: `flows_per_s p50_ms p99_ms requests_per_flow`.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// A load driver measures with the system's clock.
#![allow(clippy::disallowed_methods)]

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

struct Cfg {
    auth: String,
    token: String,
    admin: String,
    client: String,
    secret: String,
    redirect: String,
}

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn random() -> String {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).unwrap();
    URL_SAFE_NO_PAD.encode(b)
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    url::form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// One complete flow; returns how many HTTP requests it took.
async fn flow(http: &reqwest::Client, cfg: &Cfg, n: u64) -> Result<u32, String> {
    let mut cookies: HashMap<String, String> = HashMap::new();
    let mut requests = 0u32;
    let verifier = random();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let state = random();
    let mut location = format!(
        "{}?client_id={}&response_type=code&scope=openid&redirect_uri={}&state={state}&nonce={}&code_challenge={challenge}&code_challenge_method=S256",
        cfg.auth,
        enc(&cfg.client),
        enc(&cfg.redirect),
        random()
    );
    let code = loop {
        if location.starts_with(&cfg.redirect) {
            break query_param(&location, "code").ok_or_else(|| format!("no code: {location}"))?;
        }
        if let Some(ch) =
            query_param(&location, "login_challenge").filter(|_| !cfg.admin.is_empty())
        {
            let url = format!("{}/admin/oauth2/auth/requests/login", cfg.admin);
            let r = http
                .get(&url)
                .query(&[("login_challenge", &ch)])
                .send()
                .await
                .map_err(|e| e.to_string())?;
            requests += 1;
            if !r.status().is_success() {
                return Err(format!("login request: {}", r.status()));
            }
            let r = http
                .put(format!("{url}/accept"))
                .query(&[("login_challenge", &ch)])
                .json(&serde_json::json!({"subject": format!("user-{n}")}))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            requests += 1;
            let body: serde_json::Value = r.json().await.map_err(|e| e.to_string())?;
            location = body["redirect_to"]
                .as_str()
                .ok_or("no redirect_to")?
                .to_owned();
            continue;
        }
        if let Some(ch) =
            query_param(&location, "consent_challenge").filter(|_| !cfg.admin.is_empty())
        {
            let url = format!("{}/admin/oauth2/auth/requests/consent", cfg.admin);
            let r = http
                .get(&url)
                .query(&[("consent_challenge", &ch)])
                .send()
                .await
                .map_err(|e| e.to_string())?;
            requests += 1;
            let req: serde_json::Value = r.json().await.map_err(|e| e.to_string())?;
            let r = http
                .put(format!("{url}/accept"))
                .query(&[("consent_challenge", &ch)])
                .json(&serde_json::json!({"grant_scope": req["requested_scope"]}))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            requests += 1;
            let body: serde_json::Value = r.json().await.map_err(|e| e.to_string())?;
            location = body["redirect_to"]
                .as_str()
                .ok_or("no redirect_to")?
                .to_owned();
            continue;
        }
        let cookie = cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let r = http
            .get(&location)
            .header("cookie", cookie)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        requests += 1;
        for v in r.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap_or_default();
            let kv = v.split(';').next().unwrap_or_default();
            if let Some((k, val)) = kv.split_once('=') {
                cookies.insert(k.to_owned(), val.to_owned());
            }
        }
        let next = r
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .ok_or_else(|| format!("{location} answered {} without a redirect", r.status()))?;
        location = url::Url::parse(&location)
            .and_then(|u| u.join(next))
            .map_err(|e| e.to_string())?
            .to_string();
        if let Some(e) = query_param(&location, "error") {
            return Err(format!("authorization failed: {e}: {location}"));
        }
    };
    let r = http
        .post(&cfg.token)
        .basic_auth(&cfg.client, Some(&cfg.secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", cfg.redirect.as_str()),
            ("code_verifier", verifier.as_str()),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    requests += 1;
    let status = r.status();
    let body: serde_json::Value = r.json().await.map_err(|e| e.to_string())?;
    if !status.is_success() || !body["id_token"].is_string() {
        return Err(format!("token request: {status}: {body}"));
    }
    Ok(requests)
}

#[tokio::main]
async fn main() {
    let cfg = Arc::new(Cfg {
        auth: env("AUTH_URL", "http://127.0.0.1:24444/oauth2/auth"),
        token: env("TOKEN_URL", "http://127.0.0.1:24444/oauth2/token"),
        admin: env("ADMIN_URL", "http://127.0.0.1:24445"),
        client: env("CLIENT_ID", "bench"),
        secret: env("CLIENT_SECRET", "bench-secret-0123456789"),
        redirect: env("REDIRECT_URI", "http://127.0.0.1:29999/cb"),
    });
    let conc: usize = env("CONC", "32").parse().unwrap();
    let warmup = Duration::from_secs_f64(env("WARMUP", "3").parse().unwrap());
    let duration = Duration::from_secs_f64(env("DURATION", "10").parse().unwrap());
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(conc * 2)
        // A server that stops answering fails the run instead of hanging it.
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicU64::new(0));
    let reqs = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for w in 0..conc {
        let (http, cfg, measuring, stop, counter, reqs) = (
            http.clone(),
            cfg.clone(),
            measuring.clone(),
            stop.clone(),
            counter.clone(),
            reqs.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut n = w as u64 * 1_000_000_000;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let t = Instant::now();
                let r = flow(&http, &cfg, n).await;
                let took = t.elapsed();
                match r {
                    Ok(k) if measuring.load(Ordering::Relaxed) && !stop.load(Ordering::Relaxed) => {
                        lat.push(took);
                        counter.fetch_add(1, Ordering::Relaxed);
                        reqs.fetch_add(u64::from(k), Ordering::Relaxed);
                    }
                    Ok(_) => {}
                    Err(e) => {
                        eprintln!("flowload: a flow failed: {e}");
                        std::process::exit(1);
                    }
                }
            }
            lat
        }));
    }
    tokio::time::sleep(warmup).await;
    measuring.store(true, Ordering::Relaxed);
    let start = Instant::now();
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    let elapsed = start.elapsed();
    let done = counter.load(Ordering::Relaxed);
    let mut lat: Vec<Duration> = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    };
    println!(
        "{:.0} {:.1} {:.1} {:.1}",
        done as f64 / elapsed.as_secs_f64(),
        pct(0.5),
        pct(0.99),
        reqs.load(Ordering::Relaxed) as f64 / done.max(1) as f64
    );
}

//! `perform authorization-code` and the classic `token user`: the CLI serves its start page and
//! callback on a local port; a browser follows its link through a login/consent app (admin API
//! only) back to the callback; the CLI exchanges the code and prints the tokens.

use std::{process::Stdio, time::Duration};

use serde_json::json;

use crate::{
    flows::{App, Browser, run_flow},
    support::make_client,
    support::{Backend, KillOnDrop, TestServer, latchkey},
};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the CLI command, waits for its start page, and returns the "Authorize application" link.
async fn start(args: &[&str], port: u16) -> (KillOnDrop, String) {
    let child = latchkey()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn latchkey");
    let child = KillOnDrop(child);
    let home = format!("http://127.0.0.1:{port}/");
    for _ in 0..200 {
        if let Ok(r) = reqwest::get(&home).await {
            let body = r.text().await.unwrap();
            assert!(body.contains("Authorize application"), "{body}");
            let href = body
                .split("href=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            return (child, href.replace("&#38;", "&"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the CLI never served its start page on {home}");
}

/// Waits for the CLI to exit; returns (success, stdout, stderr).
pub async fn finish(mut child: KillOnDrop) -> (bool, String, String) {
    for _ in 0..200 {
        if let Some(status) = child.0.try_wait().unwrap() {
            let mut out = String::new();
            let mut err = String::new();
            use std::io::Read;
            child
                .0
                .stdout
                .take()
                .unwrap()
                .read_to_string(&mut out)
                .unwrap();
            child
                .0
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            return (status.success(), out, err);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the CLI did not exit after the callback");
}

crate::test!(perform_authorization_code);
async fn perform_authorization_code() {
    let s = TestServer::start(Backend::Sqlite).await.unwrap();
    make_client(
        &s,
        json!({
            "client_id": "cli", "client_secret": "cli-secret",
            "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
            "scope": "openid offline", "redirect_uris": ["http://127.0.0.1:4446/callback"],
        }),
    )
    .await;
    let port = free_port();
    let p = port.to_string();
    let (child, link) = start(
        &[
            "perform",
            "authorization-code",
            "--client-id",
            "cli",
            "--client-secret",
            "cli-secret",
            "--port",
            &p,
            "--no-open",
            "--endpoint",
            &s.public,
        ],
        port,
    )
    .await;
    assert!(link.contains("code_challenge_method=S256"), "{link}");
    let mut b = Browser::new();
    let (page, _) = run_flow(&s, &mut b, &link, &App::accept("ada")).await;
    let callback = page.location.expect("a redirect to the callback");
    assert!(
        callback.starts_with(&format!("http://127.0.0.1:{port}/callback?code=")),
        "{callback}"
    );
    let page = b.get(&callback).await;
    assert_eq!(page.status, 200);
    let (ok, out, err) = finish(child).await;
    assert!(ok, "{err}");
    assert!(out.contains("ACCESS TOKEN\n\tory_at_"), "{out}");
    assert!(out.contains("REFRESH TOKEN\n\tory_rt_"), "{out}");
    assert!(out.contains("\"sub\": \"ada\""), "{out}");

    // The classic form; the user denies, and the command says so and fails.
    let port = free_port();
    let p = port.to_string();
    let (child, link) = start(
        &[
            "token",
            "user",
            "--client-id",
            "cli",
            "--client-secret",
            "cli-secret",
            "--port",
            &p,
            "--no-open",
            "--endpoint",
            &s.public,
            "--scope",
            "openid",
        ],
        port,
    )
    .await;
    let deny = App {
        login: Err(json!({"error": "access_denied", "error_description": "Not today."})),
        consent: Ok(json!({})),
    };
    let (page, _) = run_flow(&s, &mut Browser::new(), &link, &deny).await;
    let _ = Browser::new().get(&page.location.unwrap()).await;
    let (ok, _, err) = finish(child).await;
    assert!(!ok);
    assert!(err.contains("access_denied: Not today."), "{err}");
    s.stop().await;
}

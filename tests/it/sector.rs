//! A pairwise client's `sector_identifier_uri` (OIDC Core §8.1, OIDC Registration §5): fetched
//! over HTTPS at registration — here from a server with a private certificate, trusted through
//! `SSL_CERT_FILE` as an operator would trust a private CA — and required to list every redirect
//! URI; the identifiers then belong to the sector document's URI, as Hydra computes them. The
//! conformance suite's oidcc-registration-sector-uri and oidcc-registration-sector-bad.

use std::{
    io::{BufRead, BufReader},
    process::Stdio,
    sync::Arc,
    time::Duration,
};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{
    flows::{App, Browser, enc, param, run_flow},
    support::{KillOnDrop, cli, latchkey},
};

const SALT: &str = "sector-salt-0123";

struct Node {
    admin: String,
    public: String,
    http: reqwest::Client,
    _process: KillOnDrop,
}

crate::api_by_fields!(Node);

/// Serves `body` over HTTPS at any path, on a port of its own; returns the port.
async fn https_server(cert: Vec<u8>, key: Vec<u8>, body: String) -> u16 {
    let config = latchkey::http::tls::server_config(&cert, &key).expect("a TLS config");
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let body = Arc::new(body);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, body) = (acceptor.clone(), body.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = vec![0u8; 4096];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

crate::test!(sector_identifier_uri_over_https, needs: [Openssl]);
async fn sector_identifier_uri_over_https() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status();
    if !made.is_ok_and(|s| s.success()) {
        panic!("openssl is not available to make a test certificate");
    }
    let (cert_pem, key_pem) = (std::fs::read(&cert).unwrap(), std::fs::read(&key).unwrap());
    let listed = json!(["https://rp.example/cb", "https://rp.example/other"]).to_string();
    let port = https_server(cert_pem.clone(), key_pem.clone(), listed).await;
    let empty = https_server(cert_pem, key_pem, "[]".into()).await;
    let sector = format!("https://127.0.0.1:{port}/sector.json");

    let dsn = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("s.sqlite").display()
    );
    let (ok, _, err) = cli(&["migrate", "sql", "up", &dsn, "--yes"]).await;
    assert!(ok, "{err}");
    let mut child = latchkey()
        .args(["serve", "all", "--dangerous-force-http"])
        .env("DSN", &dsn)
        .env("SECRETS_SYSTEM", "sector-secret-0123456789")
        .env("SERVE_PUBLIC_HOST", "127.0.0.1")
        .env("SERVE_ADMIN_HOST", "127.0.0.1")
        .env("SERVE_PUBLIC_PORT", "0")
        .env("SERVE_ADMIN_PORT", "0")
        .env("URLS_LOGIN", "http://127.0.0.1:9/login")
        .env("URLS_CONSENT", "http://127.0.0.1:9/consent")
        .env(
            "OIDC_SUBJECT_IDENTIFIERS_SUPPORTED_TYPES",
            "public,pairwise",
        )
        .env("OIDC_SUBJECT_IDENTIFIERS_PAIRWISE_SALT", SALT)
        .env("SSL_CERT_FILE", &cert)
        .env("LOG_LEVEL", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let process = KillOnDrop(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            for (what, key) in [
                ("public", "public API listening"),
                ("admin", "admin API listening"),
            ] {
                if line.contains(key)
                    && let Some(addr) = line.split("address=").nth(1)
                {
                    let addr = addr.split_whitespace().next().unwrap_or_default();
                    let _ = tx.send((what, format!("http://{addr}")));
                }
            }
        }
    });
    let (mut admin, mut public) = (None, None);
    while admin.is_none() || public.is_none() {
        let (what, url) = tokio::task::block_in_place(|| rx.recv_timeout(Duration::from_secs(60)))
            .expect("the server did not start");
        if what == "admin" {
            admin = Some(url);
        } else {
            public = Some(url);
        }
    }
    let n = Node {
        admin: admin.unwrap(),
        public: public.unwrap(),
        http: reqwest::Client::new(),
        _process: process,
    };
    let register = |redirects: Value, sector: String| {
        let http = n.http.clone();
        let url = format!("{}/admin/clients", n.admin);
        async move {
            let r = http
                .post(url)
                .json(&json!({
                    "client_secret": "rp-secret", "grant_types": ["authorization_code"], "response_types": ["code"],
                    "scope": "openid", "redirect_uris": redirects, "subject_type": "pairwise",
                    "sector_identifier_uri": sector,
                }))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    // Listed redirect URIs: registered, even with two of them.
    let (st, c) = register(
        json!(["https://rp.example/cb", "https://rp.example/other"]),
        sector.clone(),
    )
    .await;
    assert_eq!(st, 201, "{c}");
    let id = c["client_id"].as_str().unwrap().to_owned();
    // One the document does not list; an empty document; nobody answering.
    let (st, e) = register(
        json!(["https://rp.example/cb", "https://evil.example/cb"]),
        sector.clone(),
    )
    .await;
    assert_eq!(
        (st, e["error"].as_str()),
        (400, Some("invalid_client_metadata")),
        "{e}"
    );
    assert!(
        e["error_description"]
            .as_str()
            .unwrap()
            .contains("evil.example"),
        "{e}"
    );
    let (st, e) = register(
        json!(["https://rp.example/cb"]),
        format!("https://127.0.0.1:{empty}/s.json"),
    )
    .await;
    assert_eq!(
        (st, e["error"].as_str()),
        (400, Some("invalid_client_metadata")),
        "{e}"
    );
    let (st, e) = register(
        json!(["https://rp.example/cb"]),
        "https://127.0.0.1:9/s.json".into(),
    )
    .await;
    assert_eq!(
        (st, e["error"].as_str()),
        (400, Some("invalid_client_metadata")),
        "{e}"
    );

    // The identifier belongs to the sector document's URI.
    let mut b = Browser::new();
    let url = format!(
        "{}/oauth2/auth?client_id={id}&redirect_uri={}&response_type=code&scope=openid&state=st-123456&nonce=n-0123456789",
        n.public,
        enc("https://rp.example/other")
    );
    let (page, _) = run_flow(&n, &mut b, &url, &App::accept("ada")).await;
    let code = param(page.location.as_ref().unwrap(), "code").unwrap();
    let r = n
        .http
        .post(format!("{}/oauth2/token", n.public))
        .basic_auth(&id, Some("rp-secret"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://rp.example/other"),
        ])
        .send()
        .await
        .unwrap();
    let tokens: Value = r.json().await.unwrap();
    let i: Value = n
        .http
        .post(format!("{}/admin/oauth2/introspect", n.admin))
        .form(&[("token", tokens["access_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let expected: String = Sha256::digest(format!("{sector}ada{SALT}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(i["obfuscated_subject"], expected.as_str(), "{i}");
    assert_eq!(i["sub"], "ada");
}

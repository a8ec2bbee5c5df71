//! HTTPS from `serve.tls.cert.path` / `serve.tls.key.path`, with a throwaway self-signed certificate.

use std::{
    io::{BufRead, BufReader},
    process::Stdio,
};

use crate::support::{KillOnDrop, cli, latchkey};

crate::test!(serves_https_with_the_configured_certificate, needs: [Openssl]);
async fn serves_https_with_the_configured_certificate() {
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
            "/CN=localhost",
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
    let dsn = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("tls.sqlite").display()
    );
    let (ok, _, err) = cli(&["migrate", "sql", "up", &dsn, "--yes"]).await;
    assert!(ok, "{err}");
    let mut child = latchkey()
        .args(["serve", "admin"])
        .env("DSN", &dsn)
        .env("SECRETS_SYSTEM", "0123456789abcdef0123")
        .env("SERVE_ADMIN_PORT", "0")
        .env("SERVE_ADMIN_HOST", "127.0.0.1")
        .env("SERVE_TLS_CERT_PATH", &cert)
        .env("SERVE_TLS_KEY_PATH", &key)
        .env("LOG_FORMAT", "json")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut child = KillOnDrop(child);
    let mut addr = None;
    let mut seen = Vec::new();
    // The log pipe is closed once the address is known: the server must keep serving (and logging
    // must not panic) when its stderr goes away.
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
            && v["message"] == "admin API listening"
        {
            addr = v["address"].as_str().map(str::to_owned);
            break;
        }
        seen.push(line);
    }
    let addr = addr.unwrap_or_else(|| panic!("server did not start: {seen:?}"));
    let port = addr.rsplit(':').next().unwrap();
    let http = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let r = http
        .get(format!("https://localhost:{port}/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http
        .get(format!("https://localhost:{port}/admin/clients"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Plain HTTP on the TLS port does not get an answer.
    let plain = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(3))
        .build()
        .unwrap();
    assert!(
        plain
            .get(format!("http://127.0.0.1:{port}/health/alive"))
            .send()
            .await
            .is_err()
    );
    // The CLI talks HTTPS too; an untrusted certificate is refused unless told otherwise.
    let e = format!("https://localhost:{port}");
    let (ok, _, err) = cli(&["list", "clients", "-e", &e]).await;
    assert!(
        !ok,
        "a self-signed certificate must not be trusted by default: {err}"
    );
    let (ok, out, err) = cli(&[
        "list",
        "clients",
        "-e",
        &e,
        "--skip-tls-verify",
        "--format",
        "json",
    ])
    .await;
    assert!(ok, "{err}");
    assert!(out.contains("\"items\""), "{out}");
    // And SIGTERM still stops it gracefully.
    let status = child.terminate();
    assert!(status.success(), "{status}");
}

crate::test!(sync bad_tls_material_stops_the_server_at_start);
fn bad_tls_material_stops_the_server_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, "not a certificate").unwrap();
    std::fs::write(&key, "not a key").unwrap();
    let out = latchkey()
        .args(["serve", "admin", "--dev"])
        .env("DSN", "memory")
        .env("SERVE_ADMIN_PORT", "0")
        .env("SERVE_ADMIN_HOST", "127.0.0.1")
        .env("SERVE_TLS_CERT_PATH", &cert)
        .env("SERVE_TLS_KEY_PATH", &key)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("serve.tls.cert.path"), "{err}");
}

//! Migrations through the CLI, and `serve` refusing an unmigrated database.

use std::{
    io::{BufRead, BufReader},
    process::Stdio,
    time::{Duration, Instant},
};

use crate::support::{Backend, TestDb, cli, latchkey};

async fn migrate_then_serve_on(db: TestDb) {
    let dsn = db.dsn.as_str();
    let (ok, out, _) = cli(&["migrate", "status", dsn]).await;
    assert!(ok);
    assert!(
        out.contains("pending") && out.contains("not migrated"),
        "{out}"
    );

    // Without --yes and without a terminal, nothing is applied.
    let (ok, out, err) = cli(&["migrate", "sql", "up", dsn]).await;
    assert!(!ok);
    assert!(
        out.contains("m20261128_000001_clients"),
        "the plan is shown: {out}"
    );
    assert!(err.contains("--yes"), "{err}");

    // serve refuses the unmigrated database and names the command.
    let (ok, _, err) = serve_once(dsn).await;
    assert!(!ok);
    assert!(err.contains("latchkey migrate sql up"), "{err}");

    // The classic form applies them.
    let (ok, out, err) = cli(&["migrate", "sql", "--yes", dsn]).await;
    assert!(ok, "{err}");
    assert!(out.contains("Applied"), "{out}");
    let (ok, out, _) = cli(&["migrate", "sql", "up", dsn, "--yes"]).await;
    assert!(ok);
    assert!(out.contains("up to date"), "{out}");
    let (ok, out, _) = cli(&["migrate", "status", dsn]).await;
    assert!(ok);
    assert!(
        out.contains("applied") && out.contains("up to date"),
        "{out}"
    );

    // -e reads the DSN from the environment.
    let out = latchkey()
        .args(["migrate", "sql", "up", "-e", "--yes"])
        .env("DSN", dsn)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Now serve starts, is ready, and stops cleanly on SIGTERM.
    serve_until_ready_then_term(dsn).await;
}

async fn serve_once(dsn: &str) -> (bool, String, String) {
    let dsn = dsn.to_owned();
    let out = tokio::task::spawn_blocking(move || {
        latchkey()
            .args(["serve", "all", "--dangerous-force-http"])
            .env("DSN", dsn)
            .env("SECRETS_SYSTEM", "0123456789abcdef0123")
            .env("SERVE_PUBLIC_PORT", "0")
            .env("SERVE_ADMIN_PORT", "0")
            .env("SERVE_PUBLIC_HOST", "127.0.0.1")
            .env("SERVE_ADMIN_HOST", "127.0.0.1")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn serve_until_ready_then_term(dsn: &str) {
    let mut child = latchkey()
        .args(["serve", "admin", "--dangerous-force-http"])
        .env("DSN", dsn)
        .env("SECRETS_SYSTEM", "0123456789abcdef0123")
        .env("SERVE_ADMIN_PORT", "0")
        .env("SERVE_ADMIN_HOST", "127.0.0.1")
        .env("LOG_FORMAT", "json")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut child = crate::support::KillOnDrop(child);
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let addr = loop {
        let line = rx
            .recv_timeout(deadline - Instant::now())
            .expect("server log line");
        let v: serde_json::Value = serde_json::from_str(&line).expect("json log line");
        if v["message"] == "admin API listening" {
            break v["address"].as_str().unwrap().to_owned();
        }
    };
    let r = reqwest::get(format!("http://{addr}/health/ready"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let status = tokio::task::spawn_blocking(move || child.terminate())
        .await
        .unwrap();
    assert!(status.success(), "graceful exit expected, got {status}");
    let rest: Vec<String> = rx.try_iter().collect();
    assert!(rest.iter().any(|l| l.contains("\"stopped\"")), "{rest:?}");
}

/// [`migrate_then_serve_on`] an empty database of each kind.
async fn migrate_then_serve(backend: Backend) {
    migrate_then_serve_on(TestDb::create(backend).await.expect("the database")).await
}

crate::per_database!(migrate_then_serve);

crate::test!(dev_mode_migrates_and_keeps_a_private_secret);
async fn dev_mode_migrates_and_keeps_a_private_secret() {
    let db = TestDb::create(Backend::Sqlite).await.unwrap();
    let path = db.sqlite_path().unwrap();
    let mut child = latchkey()
        .args(["serve", "all", "--dev"])
        .env("DSN", &db.dsn)
        .env("SERVE_PUBLIC_PORT", "0")
        .env("SERVE_ADMIN_PORT", "0")
        .env("SERVE_PUBLIC_HOST", "127.0.0.1")
        .env("SERVE_ADMIN_HOST", "127.0.0.1")
        .env("LOG_FORMAT", "json")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let _child = crate::support::KillOnDrop(child);
    let mut lines = BufReader::new(stderr).lines();
    let mut saw_listening = false;
    for line in lines.by_ref().map_while(Result::ok) {
        if line.contains("admin API listening") {
            saw_listening = true;
            break;
        }
    }
    assert!(saw_listening);
    let secret_file = std::path::PathBuf::from(format!("{}.secret", path.display()));
    let meta = std::fs::metadata(&secret_file).expect("secret file beside the database");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }
    assert!(std::fs::read_to_string(&secret_file).unwrap().trim().len() >= 32);
    let (ok, out, _) = cli(&["migrate", "status", &db.dsn]).await;
    assert!(ok && out.contains("up to date"), "{out}");
    // The demo user of the built-in login app exists.
    let mut listed = String::new();
    for _ in 0..100 {
        let (ok, out, err) = cli(&["list", "users", "--dsn", &db.dsn]).await;
        assert!(ok, "{err}");
        if out.contains("foo@bar.com") {
            listed = out;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(listed.contains("Foo Bar"), "{listed}");
}

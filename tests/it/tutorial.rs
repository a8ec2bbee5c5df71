//! `docs/tutorial.md`, step by step, as separate processes: migrate, `serve all` with the
//! tutorial's environment, `serve ui --dev` as the login app, the classic client commands, the
//! client credentials grant and introspection, then `token user` through the built-in pages as the
//! demo user. Ports are free ones instead of 9000/9001/9020/9010, so tests can run side by side.

use std::{process::Stdio, time::Duration};

use crate::{
    authcode::free_port,
    flows::{Browser, Page},
    support::{Backend, KillOnDrop, TestDb, cli, latchkey},
    ui::hidden,
};

const SECRET: &str = "this_needs_to_be_the_same_always_and_also_very_$3cuR3-._";

async fn wait_up(url: &str) {
    for _ in 0..200 {
        if reqwest::get(url)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nothing answered at {url}");
}

/// Follows redirects until a page that is not one.
async fn follow(b: &mut Browser, mut page: Page) -> Page {
    while let Some(loc) = page.location.clone() {
        page = b.get(&loc).await;
    }
    page
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn classic_tutorial() {
    let db = TestDb::create(Backend::Sqlite).await.unwrap();
    let (public, admin, ui, cb) = (free_port(), free_port(), free_port(), free_port());
    let (pub_url, adm_url, ui_url) = (
        format!("http://127.0.0.1:{public}"),
        format!("http://127.0.0.1:{admin}"),
        format!("http://127.0.0.1:{ui}"),
    );
    // 1. The database and the server.
    let (ok, _, err) = cli(&["migrate", "sql", "--yes", &db.dsn]).await;
    assert!(ok, "{err}");
    let server = latchkey()
        .args(["serve", "all", "--dangerous-force-http"])
        .env("SECRETS_SYSTEM", SECRET)
        .env("DSN", &db.dsn)
        .env("URLS_SELF_ISSUER", format!("{pub_url}/"))
        .env("SERVE_PUBLIC_PORT", public.to_string())
        .env("SERVE_ADMIN_PORT", admin.to_string())
        .env("SERVE_PUBLIC_HOST", "127.0.0.1")
        .env("SERVE_ADMIN_HOST", "127.0.0.1")
        .env("URLS_CONSENT", format!("{ui_url}/consent"))
        .env("URLS_LOGIN", format!("{ui_url}/login"))
        .env("URLS_LOGOUT", format!("{ui_url}/logout"))
        .env("LOG_LEVEL", "warn")
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _server = KillOnDrop(server);
    wait_up(&format!("{adm_url}/health/ready")).await;
    // 2. The login and consent app.
    let app = latchkey()
        .args([
            "serve",
            "ui",
            "--admin-url",
            &adm_url,
            "--port",
            &ui.to_string(),
            "--host",
            "127.0.0.1",
            "--dev",
        ])
        .env("SECRETS_SYSTEM", SECRET)
        .env("DSN", &db.dsn)
        .env("LOG_LEVEL", "warn")
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _app = KillOnDrop(app);
    wait_up(&format!("{ui_url}/signed-out")).await;
    // 3. Two clients.
    for args in [
        vec![
            "clients",
            "create",
            "--endpoint",
            &adm_url,
            "--id",
            "my-client",
            "--secret",
            "secret",
            "-g",
            "client_credentials",
        ],
        vec![
            "clients",
            "create",
            "--endpoint",
            &adm_url,
            "--id",
            "another-client",
            "--secret",
            "another-secret",
            "-g",
            "authorization_code,refresh_token",
            "-r",
            "code,id_token",
            "--scope",
            "openid,offline",
            "--callbacks",
            "http://127.0.0.1:9010/callback",
        ],
    ] {
        let (ok, _, err) = cli(&args).await;
        assert!(ok, "{err}");
    }
    // 4. Client credentials and introspection.
    let (ok, token, err) = cli(&[
        "token",
        "client",
        "--endpoint",
        &pub_url,
        "--client-id",
        "my-client",
        "--client-secret",
        "secret",
    ])
    .await;
    assert!(ok, "{err}");
    let (ok, out, err) = cli(&["token", "introspect", "--endpoint", &adm_url, token.trim()]).await;
    assert!(ok && out.contains("true"), "{out}{err}");
    // 5. The authorization code flow as the demo user (the loopback callback's port may differ
    // from the registered 9010, RFC 8252 §7.3).
    let user = latchkey()
        .args([
            "token",
            "user",
            "--endpoint",
            &pub_url,
            "--port",
            &cb.to_string(),
            "--client-id",
            "another-client",
            "--client-secret",
            "another-secret",
            "--no-open",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut user = KillOnDrop(user);
    let home = format!("http://127.0.0.1:{cb}/");
    wait_up(&home).await;
    let body = reqwest::get(&home).await.unwrap().text().await.unwrap();
    let link = body
        .split("href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let mut b = Browser::new();
    let first = b.get(&link).await;
    let login = follow(&mut b, first).await;
    let r = b
        .post_form(
            &format!("{ui_url}/login"),
            &[
                ("login_challenge", &hidden(&login, "login_challenge")),
                ("csrf_token", &hidden(&login, "csrf_token")),
                ("email", "foo@bar.com"),
                ("password", "foobar"),
            ],
        )
        .await;
    let consent = follow(&mut b, r).await;
    let r = b
        .post_form(
            &format!("{ui_url}/consent"),
            &[
                ("consent_challenge", &hidden(&consent, "consent_challenge")),
                ("csrf_token", &hidden(&consent, "csrf_token")),
                ("grant_scope", "openid"),
                ("grant_scope", "offline"),
                ("action", "allow"),
            ],
        )
        .await;
    let done = follow(&mut b, r).await;
    assert!(done.body.contains("Signed in"), "{}", done.body);
    let mut status = None;
    for _ in 0..200 {
        if let Some(s) = user.0.try_wait().unwrap() {
            status = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(status.expect("token user exits").success());
    let mut out = String::new();
    use std::io::Read;
    user.0
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(
        out.contains("ACCESS TOKEN")
            && out.contains("REFRESH TOKEN")
            && out.contains("ID TOKEN CLAIMS"),
        "{out}"
    );
}

//! The built-in login/consent/logout app under `/ui/`, through its HTML forms: sign-in with a wrong
//! and a right password, CSRF rejection, consent with a scope unchecked, Remember me, Deny, and
//! logout.

use serde_json::{Value, json};

use crate::{
    flows::{Browser, Page, local, param, web_client},
    support::TestServer,
};

use crate::support::CB;

pub fn hidden(page: &Page, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {}", page.body))
        + marker.len();
    page.body[start..].split('"').next().unwrap().to_owned()
}

/// Follows redirects from `page`, each `Location` read relative to the URL that answered it
/// (`base` for the first).
pub async fn follow_from(b: &mut Browser, mut page: Page, base: &str) -> Page {
    let mut url = url::Url::parse(base).unwrap();
    while let Some(loc) = page.location.clone() {
        url = url.join(&loc).unwrap();
        page = b.get(url.as_str()).await;
    }
    page
}

/// The "Authorize application" link of a relying party's start page (`perform
/// authorization-code` / `token user`).
pub fn authorize_link(start_page: &str) -> String {
    start_page
        .split("href=\"")
        .nth(1)
        .expect("an Authorize application link")
        .split('"')
        .next()
        .unwrap()
        .replace("&#38;", "&")
}

/// A person at a relying party: follows `link` to the built-in app at `app` (its root: `/login`
/// and `/consent` under it), signs in as the demo user `foo@bar.com` / `foobar`, allows `openid`
/// and `offline`; the last page is the relying party's.
pub async fn demo_user_signs_in(link: &str, app: &str) -> Page {
    let mut b = Browser::new();
    let first = b.get(link).await;
    let login = follow_from(&mut b, first, link).await;
    let r = b
        .post_form(
            &format!("{app}/login"),
            &[
                ("login_challenge", &hidden(&login, "login_challenge")),
                ("csrf_token", &hidden(&login, "csrf_token")),
                ("email", "foo@bar.com"),
                ("password", "foobar"),
            ],
        )
        .await;
    let consent = follow_from(&mut b, r, app).await;
    let r = b
        .post_form(
            &format!("{app}/consent"),
            &[
                ("consent_challenge", &hidden(&consent, "consent_challenge")),
                ("csrf_token", &hidden(&consent, "csrf_token")),
                ("grant_scope", "openid"),
                ("grant_scope", "offline"),
                ("action", "allow"),
            ],
        )
        .await;
    follow_from(&mut b, r, app).await
}

/// Waits (10 s at most) for a command to exit; its status.
pub async fn exit_status(child: &mut std::process::Child) -> std::process::ExitStatus {
    for _ in 0..200 {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the command did not exit");
}

/// Follows redirects through the server (not to the client).
pub async fn follow(s: &TestServer, b: &mut Browser, mut page: Page) -> Page {
    while let Some(loc) = page.location.clone() {
        if loc.starts_with(CB) {
            return page;
        }
        page = b.get(&local(s, &loc)).await;
    }
    page
}

async fn builtin_app(s: TestServer) {
    s.state
        .users
        .create(
            "ada@example.com",
            "correct horse",
            json!({"name": "Ada Lovelace"}),
        )
        .await
        .unwrap();
    web_client(&s, "rp", json!({"client_name": "Photo Printer"})).await;
    let auth = format!(
        "{}/oauth2/auth?client_id=rp&redirect_uri=https%3A%2F%2Frp.example%2Fcb&response_type=code&scope=openid+profile+email&state=st-123456&login_hint=ada%40example.com",
        s.public
    );
    let mut b = Browser::new();
    let first = b.get(&auth).await;
    let login = follow(&s, &mut b, first).await;
    assert_eq!(login.status, 200, "{}", login.body);
    for label in [
        "Email",
        "Password",
        "Remember me",
        "Sign in",
        "Photo Printer",
    ] {
        assert!(login.body.contains(label), "{label}");
    }
    assert!(
        login.body.contains("value=\"ada@example.com\""),
        "login_hint prefilled"
    );
    let challenge = hidden(&login, "login_challenge");
    let csrf = hidden(&login, "csrf_token");
    let url = format!("{}/ui/login", s.public);

    // A forged or missing CSRF token is refused; so is one from another browser.
    let r = b
        .post_form(
            &url,
            &[
                ("login_challenge", &challenge),
                ("csrf_token", "forged"),
                ("email", "ada@example.com"),
                ("password", "correct horse"),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    let r = Browser::new()
        .post_form(
            &url,
            &[
                ("login_challenge", &challenge),
                ("csrf_token", &csrf),
                ("email", "ada@example.com"),
                ("password", "correct horse"),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    // A wrong password, or an unknown account: the same answer, never which part was wrong.
    for (email, pw) in [
        ("ada@example.com", "wrong horse"),
        ("eve@example.com", "correct horse"),
    ] {
        let r = b
            .post_form(
                &url,
                &[
                    ("login_challenge", &challenge),
                    ("csrf_token", &csrf),
                    ("email", email),
                    ("password", pw),
                ],
            )
            .await;
        assert_eq!(r.status, 401);
        assert!(r.body.contains("The email or password is not correct."));
    }
    let r = b
        .post_form(
            &url,
            &[
                ("login_challenge", &challenge),
                ("csrf_token", &csrf),
                ("email", "ada@example.com"),
                ("password", "correct horse"),
                ("remember", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let consent = follow(&s, &mut b, r).await;
    assert_eq!(consent.status, 200, "{}", consent.body);
    for label in [
        "Photo Printer",
        "Allow access",
        "Deny",
        "Remember this decision",
        "See your email address",
        "See your name and profile",
        "ada@example.com",
    ] {
        assert!(consent.body.contains(label), "{label}: {}", consent.body);
    }
    let ch = hidden(&consent, "consent_challenge");
    let csrf = hidden(&consent, "csrf_token");
    // Allow openid and email, not profile.
    let r = b
        .post_form(
            &format!("{}/ui/consent", s.public),
            &[
                ("consent_challenge", &ch),
                ("csrf_token", &csrf),
                ("grant_scope", "openid"),
                ("grant_scope", "email"),
                ("action", "allow"),
            ],
        )
        .await;
    let done = follow(&s, &mut b, r).await;
    let loc = done.location.unwrap();
    let code = param(&loc, "code").expect("a code");
    let t: Value = s
        .token_request(
            Some(("rp", "rp-secret")),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CB),
            ],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(t["scope"], "openid email");
    let claims = crate::support::jwt_claims(t["id_token"].as_str().unwrap());
    assert_eq!(claims["amr"], json!(["pwd"]));
    assert_eq!(claims["acr"], "1", "a password sign-in");
    // OIDC Core §5.4: with an access token, scopes release their claims from userinfo.
    assert!(claims.get("email").is_none(), "{claims}");
    let info = s.userinfo(t["access_token"].as_str().unwrap()).await;
    assert_eq!(info["email"], "ada@example.com");
    assert_eq!(info["email_verified"], false);
    assert!(
        info.get("name").is_none(),
        "profile was not granted: {info}"
    );

    // Remembered: the next sign-in skips the form; Deny at consent reaches the client.
    let page = b.get(&auth).await;
    let consent = follow(&s, &mut b, page).await;
    assert!(consent.body.contains("Allow access"), "{}", consent.body);
    let r = b
        .post_form(
            &format!("{}/ui/consent", s.public),
            &[
                ("consent_challenge", &hidden(&consent, "consent_challenge")),
                ("csrf_token", &hidden(&consent, "csrf_token")),
                ("action", "deny"),
            ],
        )
        .await;
    let done = follow(&s, &mut b, r).await;
    assert_eq!(
        param(&done.location.unwrap(), "error").unwrap(),
        "access_denied"
    );

    // Logout: confirm, then signed out.
    let page = b
        .get(&format!(
            "{}/oauth2/sessions/logout?id_token_hint={}",
            s.public,
            t["id_token"].as_str().unwrap()
        ))
        .await;
    let confirm = follow(&s, &mut b, page).await;
    assert!(confirm.body.contains("Yes, sign me out") && confirm.body.contains("No, take me back"));
    let r = b
        .post_form(
            &format!("{}/ui/logout", s.public),
            &[
                ("logout_challenge", &hidden(&confirm, "logout_challenge")),
                ("csrf_token", &hidden(&confirm, "csrf_token")),
                ("action", "yes"),
            ],
        )
        .await;
    let end = follow(&s, &mut b, r).await;
    assert!(end.body.contains("You are signed out"), "{}", end.body);
    assert!(!b.cookies.contains_key("latchkey_authentication_session"));
    // Pages are not frameable and run no script.
    let r = s
        .http
        .get(format!("{}/ui/signed-out", s.public))
        .send()
        .await
        .unwrap();
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("script-src"));
    // Assets: embedded, with a strong ETag honoured by If-None-Match, and HEAD.
    let css = format!("{}/ui/static/app.css", s.public);
    let r = s.http.get(&css).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/css; charset=utf-8");
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && r.text().await.unwrap().contains(".card"));
    let r = s
        .http
        .get(&css)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    let r = s.http.head(&css).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = s
        .http
        .get(format!("{}/ui/static/nope.css", s.public))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    s.stop().await;
}

crate::per_database!(server: builtin_app);

crate::test!(serve_ui_over_the_admin_api);
/// `serve ui`: the same app alone at its root, over the admin API, swapped in through
/// `urls.login` / `urls.consent` / `urls.logout` / `urls.device.*` (and then not mounted under
/// `/ui`); a code flow, then a device connected through its device pages.
async fn serve_ui_over_the_admin_api() {
    let port = crate::authcode::free_port();
    let app = format!("http://127.0.0.1:{port}");
    let db = crate::support::TestDb::create(crate::support::Backend::Sqlite)
        .await
        .unwrap();
    // The admin API takes a key here: `serve ui` must send it (LATCHKEY_ADMIN_API_KEY).
    const KEY: &str = "ui-admin-key-0123456789abcdef0123456789";
    let mut s = TestServer::start_with(db, |c| {
        c.urls.login = Some(format!("{app}/login"));
        c.urls.consent = Some(format!("{app}/consent"));
        c.urls.logout = Some(format!("{app}/logout"));
        c.urls.device.verification = Some(format!("{app}/device"));
        c.urls.device.success = Some(format!("{app}/device/done"));
        c.serve.admin.auth.api_keys = vec![latchkey::config::Secret(KEY.into())];
    })
    .await;
    // The test's own admin calls (creating its clients) carry the key; the rest of it speaks to
    // the public API, with clients' credentials.
    let plain = std::mem::replace(&mut s.http, reqwest::Client::new());
    s.http = reqwest::Client::builder()
        .default_headers(
            [(
                reqwest::header::AUTHORIZATION,
                format!("Bearer {KEY}").parse().unwrap(),
            )]
            .into_iter()
            .collect(),
        )
        .build()
        .unwrap();
    s.state
        .users
        .create("ada@example.com", "correct horse", json!({}))
        .await
        .unwrap();
    web_client(&s, "rp", json!({})).await;
    crate::device::tv_client(&s, "tv").await;
    s.http = plain;
    let child = crate::support::latchkey()
        .args([
            "serve",
            "ui",
            "--admin-url",
            &s.admin,
            "--port",
            &port.to_string(),
            "--host",
            "127.0.0.1",
            "--dangerous-force-http",
        ])
        .env("DSN", &s.db.dsn)
        .env("LATCHKEY_ADMIN_API_KEY", KEY)
        .env("SECRETS_SYSTEM", "ui-secret-0123456789abcdef")
        .env("LOG_LEVEL", "warn")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let _child = crate::support::KillOnDrop(child);
    let mut up = false;
    for _ in 0..200 {
        if reqwest::get(format!("{app}/signed-out"))
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(up, "serve ui did not come up");
    let r = s
        .http
        .get(format!("{}/ui/signed-out", s.public))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        404,
        "the built-in app is not mounted when its URLs point elsewhere"
    );

    let mut b = Browser::new();
    let first = b
        .get(&format!("{}/oauth2/auth?client_id=rp&redirect_uri=https%3A%2F%2Frp.example%2Fcb&response_type=code&scope=openid&state=st-123456", s.public))
        .await;
    let login = follow(&s, &mut b, first).await;
    assert!(login.body.contains("Sign in"), "{}", login.body);
    let r = b
        .post_form(
            &format!("{app}/login"),
            &[
                ("login_challenge", &hidden(&login, "login_challenge")),
                ("csrf_token", &hidden(&login, "csrf_token")),
                ("email", "ada@example.com"),
                ("password", "correct horse"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let consent = follow(&s, &mut b, r).await;
    let r = b
        .post_form(
            &format!("{app}/consent"),
            &[
                ("consent_challenge", &hidden(&consent, "consent_challenge")),
                ("csrf_token", &hidden(&consent, "csrf_token")),
                ("grant_scope", "openid"),
                ("action", "allow"),
            ],
        )
        .await;
    let done = follow(&s, &mut b, r).await;
    assert!(param(&done.location.unwrap(), "code").is_some());

    let r = s
        .http
        .get(format!("{}/ui/device", s.public))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "nor its device pages");
    let (st, d) = crate::device::device_auth(&s, "tv", "openid").await;
    assert_eq!(st, 200, "{d}");
    let start = b
        .get(&local(&s, d["verification_uri_complete"].as_str().unwrap()))
        .await;
    assert!(
        start
            .location
            .as_deref()
            .unwrap_or_default()
            .starts_with(&format!("{app}/device?"))
    );
    let form = follow(&s, &mut b, start).await;
    assert!(form.body.contains("Connect a device"), "{}", form.body);
    let challenge = hidden(&form, "device_challenge");
    let csrf = hidden(&form, "csrf_token");
    let wrong = b
        .post_form(
            &format!("{app}/device"),
            &[
                ("device_challenge", &challenge),
                ("csrf_token", &csrf),
                ("user_code", "BCDF-GHJK"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.body.contains("not valid"), "{}", wrong.body);
    let r = b
        .post_form(
            &format!("{app}/device"),
            &[
                ("device_challenge", &challenge),
                ("csrf_token", &csrf),
                ("user_code", d["user_code"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let login = follow(&s, &mut b, r).await;
    assert!(login.body.contains("Sign in"), "{}", login.body);
    let r = b
        .post_form(
            &format!("{app}/login"),
            &[
                ("login_challenge", &hidden(&login, "login_challenge")),
                ("csrf_token", &hidden(&login, "csrf_token")),
                ("email", "ada@example.com"),
                ("password", "correct horse"),
            ],
        )
        .await;
    let consent = follow(&s, &mut b, r).await;
    assert!(
        consent.body.contains("comes from a device"),
        "{}",
        consent.body
    );
    let r = b
        .post_form(
            &format!("{app}/consent"),
            &[
                ("consent_challenge", &hidden(&consent, "consent_challenge")),
                ("csrf_token", &hidden(&consent, "csrf_token")),
                ("grant_scope", "openid"),
                ("action", "allow"),
            ],
        )
        .await;
    let done = follow(&s, &mut b, r).await;
    assert!(
        done.body.contains("Your device is connected"),
        "{}",
        done.body
    );
    let (st, t) = crate::device::poll(&s, "tv", d["device_code"].as_str().unwrap()).await;
    assert_eq!(st, 200, "{t}");
    s.stop().await;
}

crate::test!(login_session_id_changes_at_sign_in);
/// Session fixation: the login session id is chosen by the server, fresh at every sign-in; a
/// planted cookie value is never adopted.
async fn login_session_id_changes_at_sign_in() {
    let db = crate::support::TestDb::create(crate::support::Backend::Sqlite)
        .await
        .unwrap();
    let s = TestServer::start_on(db).await;
    s.state
        .users
        .create("ada@example.com", "correct horse", json!({}))
        .await
        .unwrap();
    web_client(&s, "rp", json!({})).await;
    let mut b = Browser::new();
    b.cookies.insert(
        "latchkey_authentication_session".into(),
        "attacker-chosen-id".into(),
    );
    let mut seen = Vec::new();
    for prompt in ["", "&prompt=login"] {
        let auth = format!(
            "{}/oauth2/auth?client_id=rp&redirect_uri=https%3A%2F%2Frp.example%2Fcb&response_type=code&scope=openid&state=st-123456{prompt}",
            s.public
        );
        let first = b.get(&auth).await;
        let login = follow(&s, &mut b, first).await;
        let r = b
            .post_form(
                &format!("{}/ui/login", s.public),
                &[
                    ("login_challenge", &hidden(&login, "login_challenge")),
                    ("csrf_token", &hidden(&login, "csrf_token")),
                    ("email", "ada@example.com"),
                    ("password", "correct horse"),
                    ("remember", "1"),
                ],
            )
            .await;
        let consent = follow(&s, &mut b, r).await;
        let r = b
            .post_form(
                &format!("{}/ui/consent", s.public),
                &[
                    ("consent_challenge", &hidden(&consent, "consent_challenge")),
                    ("csrf_token", &hidden(&consent, "csrf_token")),
                    ("grant_scope", "openid"),
                    ("action", "allow"),
                ],
            )
            .await;
        let done = follow(&s, &mut b, r).await;
        assert!(param(&done.location.unwrap(), "code").is_some());
        seen.push(b.cookies["latchkey_authentication_session"].clone());
    }
    assert_ne!(seen[0], "attacker-chosen-id");
    assert_ne!(seen[0], seen[1], "a fresh sign-in gets a fresh session id");
    s.stop().await;
}

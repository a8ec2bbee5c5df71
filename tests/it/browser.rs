//! The built-in app in a real browser: headless Chromium driven through chromedriver. Signs in
//! (after a wrong password), allows consent, lands on the callback with a code; then Remember me
//! skips the form and Deny reaches the client; then logout; then a device is connected through
//! the device pages. Skipped where chromedriver is missing
//! (Debian: `apt-get install chromium chromium-driver`; `.ci/run` installs them).

use std::{process::Stdio, time::Duration};

use fantoccini::{ClientBuilder, Locator};
use serde_json::json;

use crate::{
    authcode::free_port,
    flows::{param, web_client},
    support::{Backend, KillOnDrop, TestDb, TestServer},
};

/// The text of the first element matching `css` once it satisfies `ok` (pages change under the
/// driver after a click, so elements found too early go stale).
async fn text_when(c: &fantoccini::Client, css: &str, ok: impl Fn(&str) -> bool) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(e) = c.find(Locator::Css(css)).await
            && let Ok(t) = e.text().await
        {
            if ok(&t) {
                return t;
            }
            last = t;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{css} never became what was expected; last: {last:?}");
}

async fn wait_for_url(c: &fantoccini::Client, prefix: &str) -> String {
    for _ in 0..100 {
        let u = c.current_url().await.unwrap().to_string();
        if u.starts_with(prefix) {
            return u;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the browser never reached {prefix}: {}",
        c.current_url().await.unwrap()
    );
}

/// A headless Chromium through chromedriver, for a test registered with `needs: [Browser]`.
pub async fn headless() -> (KillOnDrop, fantoccini::Client) {
    headless_with("normal").await
}

/// As [`headless`], with a WebDriver page load strategy (`eager`: a command that navigates
/// returns once the document is parsed, not once every frame has loaded).
pub async fn headless_with(page_load: &str) -> (KillOnDrop, fantoccini::Client) {
    let driver_path = which("chromedriver").expect("chromedriver (the test needs Browser)");
    // fantoccini's hyper-rustls enables rustls' aws-lc provider next to ring: pick one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let driver_port = free_port();
    let driver = std::process::Command::new(driver_path)
        .arg(format!("--port={driver_port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let driver = KillOnDrop(driver);
    let caps: serde_json::Map<String, serde_json::Value> = serde_json::from_value(json!({
        "goog:chromeOptions": {"args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1024,768"]},
        "pageLoadStrategy": page_load,
    }))
    .unwrap();
    let mut c = None;
    for _ in 0..100 {
        if let Ok(client) = ClientBuilder::rustls()
            .unwrap()
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{driver_port}"))
            .await
        {
            c = Some(client);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let c = c.expect("chromedriver started a browser");
    (driver, c)
}

/// A server on SQLite whose issuer is its real address (the browser follows what it builds).
async fn at_its_issuer() -> TestServer {
    let port = free_port();
    let db = TestDb::create(Backend::Sqlite).await.unwrap();
    TestServer::start_with(db, |c| {
        c.serve.public.port = port;
        c.urls.self_.issuer = format!("http://127.0.0.1:{port}/");
    })
    .await
}

crate::test!(builtin_app_in_a_real_browser, needs: [Browser]);
async fn builtin_app_in_a_real_browser() {
    let (_driver, c) = headless().await;
    let s = at_its_issuer().await;
    s.state
        .users
        .create("ada@example.com", "correct horse", json!({}))
        .await
        .unwrap();
    let cb = format!("http://127.0.0.1:{}/callback", free_port());
    web_client(
        &s,
        "rp",
        json!({"client_name": "Photo Printer", "redirect_uris": [cb]}),
    )
    .await;

    let auth = format!(
        "{}/oauth2/auth?client_id=rp&response_type=code&scope=openid&state=st-123456&redirect_uri={}",
        s.public,
        url::form_urlencoded::byte_serialize(cb.as_bytes()).collect::<String>()
    );

    // A wrong password, then the right one with Remember me; allow access.
    c.goto(&auth).await.unwrap();
    let sign_in = async |password: &str, remember: bool| {
        c.find(Locator::Id("email"))
            .await
            .unwrap()
            .send_keys("ada@example.com")
            .await
            .unwrap();
        c.find(Locator::Id("password"))
            .await
            .unwrap()
            .send_keys(password)
            .await
            .unwrap();
        if remember {
            c.find(Locator::Css("input[name=remember]"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
        }
        c.find(Locator::Css("button[value=sign_in]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    };
    sign_in("wrong horse", false).await;
    text_when(&c, "[role=alert]", |t| {
        t == "The email or password is not correct."
    })
    .await;
    c.find(Locator::Id("email"))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    sign_in("correct horse", true).await;
    // (the next page is the consent page)
    text_when(&c, "h1", |t| t.contains("Photo Printer")).await;
    c.find(Locator::Css("button[value=allow]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let landed = wait_for_url(&c, &cb).await;
    assert!(param(&landed, "code").is_some(), "{landed}");
    assert_eq!(param(&landed, "state").as_deref(), Some("st-123456"));

    // Remembered: straight to consent; Deny reaches the client.
    c.goto(&auth).await.unwrap();
    // The sign-in form is skipped.
    text_when(&c, "h1", |t| t.contains("wants to access")).await;
    c.find(Locator::Css("button[value=deny]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let landed = wait_for_url(&c, &cb).await;
    assert_eq!(param(&landed, "error").as_deref(), Some("access_denied"));

    // Logout.
    c.goto(&format!("{}/oauth2/sessions/logout", s.public))
        .await
        .unwrap();
    text_when(&c, "h1", |t| t == "Sign out?").await;
    c.find(Locator::Css("button[value=yes]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    text_when(&c, "h1", |t| t == "You are signed out").await;
    c.goto(&auth).await.unwrap();
    // Signed out: the form is back.
    text_when(&c, "h1", |t| t == "Sign in").await;

    // The device grant: the TV shows a code; the user opens verification_uri_complete (the code
    // is prefilled), mistypes it once, types it in lower case, signs in, sees the device warning
    // with the client's name, allows, and the TV's next poll gets its tokens.
    crate::device::tv_client(&s, "tv").await;
    let (st, d) = crate::device::device_auth(&s, "tv", "openid").await;
    assert_eq!(st, 200, "{d}");
    let user_code = d["user_code"].as_str().unwrap().to_owned();
    c.goto(d["verification_uri_complete"].as_str().unwrap())
        .await
        .unwrap();
    text_when(&c, "h1", |t| t == "Connect a device").await;
    let input = c.find(Locator::Id("user_code")).await.unwrap();
    assert_eq!(
        input.prop("value").await.unwrap().as_deref(),
        Some(user_code.as_str())
    );
    let enter = async |code: &str| {
        let input = c.find(Locator::Id("user_code")).await.unwrap();
        input.clear().await.unwrap();
        input.send_keys(code).await.unwrap();
        c.find(Locator::Css("button[value=continue]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    };
    enter("BCDF-GHJK").await;
    text_when(&c, "[role=alert]", |t| t.contains("not valid")).await;
    enter(&user_code.to_lowercase().replace('-', " ")).await;
    text_when(&c, "h1", |t| t == "Sign in").await;
    sign_in("correct horse", false).await;
    let warning = text_when(&c, "[role=note]", |t| t.contains("Living Room TV")).await;
    assert!(warning.contains("device"), "{warning}");
    c.find(Locator::Css("button[value=allow]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    text_when(&c, "h1", |t| t == "Your device is connected").await;
    let (st, tokens) = crate::device::poll(&s, "tv", d["device_code"].as_str().unwrap()).await;
    assert_eq!(st, 200, "{tokens}");
    assert!(tokens["id_token"].is_string());
    c.close().await.unwrap();
    s.stop().await;
}

crate::test!(frontchannel_logout_page_in_a_real_browser, needs: [Browser]);
/// Issue 21 (2): a post-logout URI with markup in it, stored for a client, is shown by the
/// front-channel logout page as a link and nothing else; the logout is confirmed on the built-in
/// page, whose cookie binds the verifier to this browser.
async fn frontchannel_logout_page_in_a_real_browser() {
    let (_driver, c) = headless_with("eager").await;
    let s = at_its_issuer().await;
    // The client's front-channel URI never answers: the page stays until its 3 s timeout.
    let hang = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hang_port = hang.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((tcp, _)) = hang.accept().await {
            held.push(tcp);
        }
    });
    web_client(
        &s,
        "rp",
        json!({"frontchannel_logout_uri": format!("http://127.0.0.1:{hang_port}/fc"),
               "post_logout_redirect_uris": ["https://rp.example/bye"]}),
    )
    .await;
    let evil = crate::attacks::EVIL_POST_LOGOUT;
    crate::attacks::store_post_logout_uris(&s, "rp", json!([evil])).await;
    let mut b = crate::flows::Browser::new();
    let t = crate::logout::tokens(&s, &mut b, "rp", &crate::logout::remembered("ada")).await;

    c.goto(&format!(
        "{}/oauth2/sessions/logout?id_token_hint={}&post_logout_redirect_uri={}",
        s.public,
        t["id_token"].as_str().unwrap(),
        crate::flows::enc(evil)
    ))
    .await
    .unwrap();
    text_when(&c, "h1", |t| t.starts_with("Sign out")).await;
    c.find(Locator::Css("button[value=yes]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_url(
        &c,
        &format!("{}/oauth2/sessions/logout?logout_verifier=", s.public),
    )
    .await;
    let next = c.find(Locator::Id("next")).await.unwrap();
    assert_eq!(next.attr("href").await.unwrap().as_deref(), Some(evil));
    assert!(
        c.find(Locator::Id("pwn")).await.is_err(),
        "the URI wrote an element into the page"
    );
    assert_eq!(c.find_all(Locator::Css("script")).await.unwrap().len(), 1);
    c.close().await.unwrap();
    s.stop().await;
}

pub fn which(name: &str) -> Result<std::path::PathBuf, ()> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or(())
}

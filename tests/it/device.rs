//! The device authorization grant (RFC 8628) end to end: `openidconnect` as the device (it asks
//! for a device code, polls, and validates the ID token), a browser and a verification/login/
//! consent app that speaks only the admin HTTP API, every error answer of §3.5, and the limits of
//! §5.1.

use std::{sync::Arc, time::Duration};

use openidconnect::{
    AuthType, ClientId, DeviceAuthorizationUrl, IssuerUrl, Nonce, OAuth2TokenResponse, Scope,
    TokenResponse, TokenUrl,
    core::{CoreClient, CoreDeviceAuthorizationResponse, CoreTokenResponse},
};
use serde_json::{Value, json};

use crate::{
    flows::{App, Browser, ISSUER, Page, admin_put, continue_flow, enc, jwks, local, param},
    support::make_client,
    support::{Api, Backend, TestDb, TestServer},
};

pub const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Devices are told to poll every second here (not five), so the tests wait less.
fn fast_polls(c: &mut latchkey::config::Config) {
    c.oauth2.device_authorization.token_polling_interval = "1s".parse().unwrap();
}

async fn server(backend: Backend) -> Option<TestServer> {
    let db = TestDb::create(backend).await?;
    Some(TestServer::start_with(db, fast_polls).await)
}

/// A public client that may use the device grant (a TV app has no secret to keep).
pub async fn tv_client(s: &impl Api, id: &str) {
    let r = s
        .http()
        .post(format!("{}/admin/clients", s.admin()))
        .json(&json!({
            "client_id": id,
            "client_name": "Living Room TV",
            "token_endpoint_auth_method": "none",
            "grant_types": [GRANT, "refresh_token"],
            "scope": "openid offline_access profile",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

/// `POST /oauth2/device/auth` as a public client.
pub async fn device_auth(s: &impl Api, client_id: &str, scope: &str) -> (u16, Value) {
    let r = s
        .http()
        .post(format!("{}/oauth2/device/auth", s.public()))
        .form(&[("client_id", client_id), ("scope", scope)])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    assert_eq!(r.headers()["cache-control"], "no-store");
    (status, r.json().await.unwrap())
}

/// One poll of the token endpoint as a public client.
pub async fn poll(s: &impl Api, client_id: &str, device_code: &str) -> (u16, Value) {
    let r = s
        .http()
        .post(format!("{}/oauth2/token", s.public()))
        .form(&[
            ("grant_type", GRANT),
            ("client_id", client_id),
            ("device_code", device_code),
        ])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// The user's part in a browser: open `verification_uri_complete`, let the app submit
/// `user_code` to the admin API, then the login and consent steps. Returns the last page (the
/// success page's redirect, or an error) and the app's answer to the user code.
pub async fn verify(
    s: &impl Api,
    b: &mut Browser,
    start: &str,
    user_code: &str,
    app: &App,
) -> (Page, (u16, Value)) {
    let page = b.get(&local(s, start)).await;
    assert_eq!(page.status, 302, "{}", page.body);
    let loc = page.location.unwrap();
    assert!(loc.contains("/ui/device?"), "{loc}");
    let challenge = param(&loc, "device_challenge").unwrap();
    let accepted = admin_put(
        s,
        &format!(
            "/admin/oauth2/auth/requests/device/accept?device_challenge={}",
            enc(&challenge)
        ),
        json!({ "user_code": user_code }),
    )
    .await;
    if accepted.0 != 200 {
        return (
            Page {
                status: accepted.0,
                location: None,
                body: accepted.1.to_string(),
            },
            accepted,
        );
    }
    let to = accepted.1["redirect_to"].as_str().unwrap().to_owned();
    let page = b.get(&local(s, &to)).await;
    let (page, _) = continue_flow(s, b, page, app).await;
    (page, accepted)
}

/// The device as `openidconnect` builds it.
fn device(
    s: &TestServer,
    id: &str,
    keys: openidconnect::core::CoreJsonWebKeySet,
) -> CoreClient<
    openidconnect::EndpointNotSet,
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
> {
    CoreClient::new(
        ClientId::new(id.into()),
        IssuerUrl::new(ISSUER.into()).unwrap(),
        keys,
    )
    .set_auth_type(AuthType::RequestBody)
    .set_device_authorization_url(
        DeviceAuthorizationUrl::new(format!("{}/oauth2/device/auth", s.public)).unwrap(),
    )
    .set_token_uri(TokenUrl::new(format!("{}/oauth2/token", s.public)).unwrap())
}

/// `openidconnect`'s HTTP client, over reqwest.
async fn send(
    req: openidconnect::HttpRequest,
) -> Result<openidconnect::HttpResponse, reqwest::Error> {
    let http = reqwest::Client::new();
    let (parts, body) = req.into_parts();
    let mut r = http.request(parts.method, parts.uri.to_string()).body(body);
    for (k, v) in &parts.headers {
        r = r.header(k, v);
    }
    let resp = r.send().await?;
    let mut out = openidconnect::http::Response::builder().status(resp.status());
    for (k, v) in resp.headers() {
        out = out.header(k, v);
    }
    Ok(out.body(resp.bytes().await?.to_vec()).unwrap())
}

/// The whole grant with a strict client: the device asks, polls (pending, never too fast), the
/// user verifies in a browser with the code prefilled, the device gets tokens once and the ID
/// token validates; what the app saw names the device flow; polling again is a replay that
/// revokes what was issued.
async fn device_flow(backend: Backend) {
    let s = server(backend).await.expect("the database");
    tv_client(&s, "tv").await;
    let client = device(&s, "tv", jwks(&s).await);
    let details: CoreDeviceAuthorizationResponse = client
        .exchange_device_code()
        .add_scope(Scope::new("openid".into()))
        .add_scope(Scope::new("offline_access".into()))
        .request_async(&send)
        .await
        .unwrap();
    let user_code = details.user_code().secret().clone();
    // RFC 8628 §6.1: eight base-20 consonants, shown in two groups.
    assert_eq!(user_code.len(), 9, "{user_code}");
    assert_eq!(&user_code[4..5], "-");
    assert!(
        user_code
            .chars()
            .all(|c| c == '-' || "BCDFGHJKLMNPQRSTVWXZ".contains(c))
    );
    assert_eq!(
        details.verification_uri().as_str(),
        format!("{}/oauth2/device/verify", ISSUER.trim_end_matches('/'))
    );
    let complete = details
        .verification_uri_complete()
        .unwrap()
        .secret()
        .clone();
    assert_eq!(param(&complete, "user_code").unwrap(), user_code);
    assert_eq!(details.interval(), Duration::from_secs(1));
    assert_eq!(details.expires_in(), Duration::from_secs(15 * 60));
    assert!(details.device_code().secret().starts_with("ory_dc_"));

    // Before the user has done anything: pending.
    let code = details.device_code().secret().clone();
    let (st, e) = poll(&s, "tv", &code).await;
    assert_eq!(
        (st, e["error"].as_str()),
        (400, Some("authorization_pending"))
    );

    let poller = {
        let client = client.clone();
        let details = details.clone();
        tokio::spawn(async move {
            client
                .exchange_device_access_token(&details)
                .request_async(&send, tokio::time::sleep, Some(Duration::from_secs(60)))
                .await
        })
    };
    // The user types the code in lower case and without its dash: still accepted.
    let typed = user_code.replace('-', "").to_lowercase();
    let mut b = Browser::new();
    let app = App {
        login: Ok(json!({"subject": "ada", "remember": true})),
        consent: Ok(
            json!({"session": {"id_token": {"email": "ada@example.com"}, "access_token": {"on": "tv"}}}),
        ),
    };
    let start = local(&s, &complete);
    let page = b.get(&start).await;
    let ui = page.location.unwrap();
    assert_eq!(param(&ui, "user_code").unwrap(), user_code, "prefilled");
    let (last, accepted) = verify(&s, &mut b, &complete, &typed, &app).await;
    assert!(
        accepted.1["redirect_to"]
            .as_str()
            .unwrap()
            .contains("/oauth2/device/verify?device_verifier="),
        "{}",
        accepted.1
    );
    let done = last.location.expect("the success page");
    assert!(done.contains("/ui/device/done?client_id=tv"), "{done}");
    let ok = b.get(&local(&s, &done)).await;
    assert_eq!(ok.status, 200);
    assert!(ok.body.contains("Your device is connected"));

    let tokens = poller.await.unwrap().expect("the device gets its tokens");
    let access = tokens.access_token().secret().clone();
    let refresh = tokens
        .refresh_token()
        .expect("offline_access")
        .secret()
        .clone();
    let claims = tokens
        .id_token()
        .expect("openid")
        .claims(
            &client.id_token_verifier(),
            |_: Option<&Nonce>| Ok(()), // RFC 8628 has no nonce
        )
        .unwrap();
    assert_eq!(claims.subject().as_str(), "ada");
    assert_eq!(
        claims.email().map(|e| e.as_str().to_owned()),
        Some("ada@example.com".into())
    );
    let info = s.introspect(&access).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["sub"], "ada");
    assert_eq!(info["client_id"], "tv");
    assert_eq!(info["ext"], json!({"on": "tv"}));
    assert_eq!(info["scope"], "openid offline_access");

    // The device code buys tokens once: again is a replay, and what it bought is revoked.
    let (st, e) = poll(&s, "tv", &code).await;
    assert_eq!(
        (st, e["error"].as_str()),
        (400, Some("invalid_grant")),
        "{e}"
    );
    assert_eq!(s.introspect(&access).await["active"], false);
    assert_eq!(s.introspect(&refresh).await["active"], false);
    // The user code was used: entering it again is refused.
    let (_, again) = verify(&s, &mut Browser::new(), &complete, &user_code, &app).await;
    assert_eq!(again.0, 400, "{}", again.1);
    s.stop().await;
}

/// §3.5's answers, one by one: pending, slow_down (and the interval grows), access_denied after
/// the consent app refuses; and the requests that are wrong from the start.
async fn device_errors(backend: Backend) {
    // The polling interval is counted on a test clock: moved forward, not slept through.
    let clock = Arc::new(latchkey::clock::ManualClock::new());
    let db = TestDb::create(backend).await.expect("the database");
    let s = TestServer::start_clocked(db, fast_polls, clock.clone()).await;
    tv_client(&s, "tv").await;
    tv_client(&s, "radio").await;
    make_client(
        &s,
        json!({"client_id": "web", "client_secret": "web-secret-123", "grant_types": ["authorization_code"], "redirect_uris": ["https://rp.example/cb"]}),
    )
    .await;
    // A client without the grant may not start one.
    let (st, e) = device_auth(&s, "web", "").await;
    assert_eq!(
        (st, e["error"].as_str()),
        (401, Some("invalid_client")),
        "{e}"
    );
    let r = s
        .http
        .post(format!("{}/oauth2/device/auth", s.public))
        .basic_auth("web", Some("web-secret-123"))
        .form(&[("scope", "openid")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "unauthorized_client"
    );
    // Unknown clients, scopes the client may not have, a body that is not a form.
    let (st, e) = device_auth(&s, "nobody", "").await;
    assert_eq!((st, e["error"].as_str()), (401, Some("invalid_client")));
    let (st, e) = device_auth(&s, "tv", "openid admin").await;
    assert_eq!(
        (st, e["error"].as_str()),
        (400, Some("invalid_scope")),
        "{e}"
    );
    let r = s
        .http
        .post(format!("{}/oauth2/device/auth", s.public))
        .json(&json!({"client_id": "tv"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    let (st, d) = device_auth(&s, "tv", "openid").await;
    assert_eq!(st, 200, "{d}");
    let code = d["device_code"].as_str().unwrap().to_owned();
    // Pending, then too fast: slow_down, and the next in-time poll must wait longer.
    let (_, e) = poll(&s, "tv", &code).await;
    assert_eq!(e["error"], "authorization_pending");
    let (st, e) = poll(&s, "tv", &code).await;
    assert_eq!((st, e["error"].as_str()), (400, Some("slow_down")), "{e}");
    clock.advance(Duration::from_millis(1100));
    let (_, e) = poll(&s, "tv", &code).await;
    assert_eq!(
        e["error"], "slow_down",
        "1 s is no longer enough after slow_down"
    );
    // Another client's device code, a forged one, none at all.
    let (st, e) = poll(&s, "radio", &code).await;
    assert_eq!((st, e["error"].as_str()), (400, Some("invalid_grant")));
    let forged = format!("{}x", &code[..code.len() - 1]);
    let (_, e) = poll(&s, "tv", &forged).await;
    assert_eq!(e["error"], "invalid_grant");
    let r = s
        .http
        .post(format!("{}/oauth2/token", s.public))
        .form(&[("grant_type", GRANT), ("client_id", "tv")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
    // The web client is refused the grant at the token endpoint too.
    let r = s
        .http
        .post(format!("{}/oauth2/token", s.public))
        .basic_auth("web", Some("web-secret-123"))
        .form(&[("grant_type", GRANT), ("device_code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "unauthorized_client"
    );

    // The user refuses at the consent step: the device is told access_denied.
    let mut b = Browser::new();
    let deny = App {
        login: Ok(json!({"subject": "ada"})),
        consent: Err(json!({"error": "access_denied", "error_description": "No TV today."})),
    };
    let complete = d["verification_uri_complete"].as_str().unwrap();
    let user_code = d["user_code"].as_str().unwrap();
    let (page, _) = verify(&s, &mut b, complete, user_code, &deny).await;
    assert_eq!(page.status, 403, "the error page: {}", page.body);
    assert!(page.body.contains("access_denied"), "{}", page.body);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (st, e) = poll(&s, "tv", &code).await;
    assert_eq!(
        (st, e["error"].as_str()),
        (403, Some("access_denied")),
        "{e}"
    );

    // A login app that refuses denies the device too.
    let (_, d2) = device_auth(&s, "radio", "").await;
    let refuse = App {
        login: Err(json!({"error": "login_required"})),
        consent: Ok(json!({})),
    };
    let (page, _) = verify(
        &s,
        &mut Browser::new(),
        d2["verification_uri_complete"].as_str().unwrap(),
        d2["user_code"].as_str().unwrap(),
        &refuse,
    )
    .await;
    assert_eq!(page.status, 400, "{}", page.body);
    let (_, e) = poll(&s, "radio", d2["device_code"].as_str().unwrap()).await;
    assert_eq!(e["error"], "access_denied");
    s.stop().await;
}

/// RFC 8628 §5.1 and the CSRF binding: wrong codes are refused (and, after five, the whole
/// challenge); a device verifier only continues in the browser that entered the code; the admin
/// API answers Hydra's shapes for a missing code and an unknown challenge.
async fn user_code_entry(backend: Backend) {
    let s = server(backend).await.expect("the database");
    tv_client(&s, "tv").await;
    let (_, d) = device_auth(&s, "tv", "openid").await;
    let mut b = Browser::new();
    let page = b
        .get(&local(&s, d["verification_uri"].as_str().unwrap()))
        .await;
    let challenge = param(&page.location.unwrap(), "device_challenge").unwrap();
    let accept = |body: Value| {
        let path = format!(
            "/admin/oauth2/auth/requests/device/accept?device_challenge={}",
            enc(&challenge)
        );
        let s = &s;
        async move { admin_put(s, &path, body).await }
    };
    // Garbage anywhere is a 4xx with a reason, never a 5xx.
    for q in [
        "device_verifier=nonsense",
        "login_verifier=nonsense&client_id=tv",
        "consent_verifier=nonsense&client_id=tv",
        "consent_verifier=&login_verifier=&device_verifier=%FF",
    ] {
        let r = Browser::new()
            .get(&format!("{}/oauth2/device/verify?{q}", s.public))
            .await;
        assert!(
            (300..500).contains(&r.status),
            "{q}: {} {}",
            r.status,
            r.body
        );
    }
    let r = s
        .http
        .put(format!(
            "{}/admin/oauth2/auth/requests/device/accept?device_challenge={}",
            s.admin,
            enc(&challenge)
        ))
        .header("content-type", "application/json")
        .body("[1, 2")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let long = "B".repeat(100_000);
    let (st, _) = accept(json!({ "user_code": long })).await;
    assert_eq!(st, 400);
    let (st, e) = accept(json!({})).await;
    assert_eq!(st, 400, "{e}");
    assert!(
        e["error_description"]
            .as_str()
            .unwrap()
            .contains("user_code")
    );
    let (st, e) = admin_put(
        &s,
        "/admin/oauth2/auth/requests/device/accept?device_challenge=nonsense",
        json!({"user_code": "BCDF-GHJK"}),
    )
    .await;
    assert_eq!(st, 404, "{e}");
    // The long code above was the first wrong one.
    for _ in 0..4 {
        let (st, _) = accept(json!({"user_code": "BCDF-GHJK"})).await;
        assert_eq!(st, 400);
    }
    // Five wrong codes: even the right one is refused on this challenge.
    let (st, e) = accept(json!({"user_code": d["user_code"]})).await;
    assert_eq!(st, 400);
    assert!(
        e["error_description"]
            .as_str()
            .unwrap()
            .contains("Too many"),
        "{e}"
    );
    // A fresh challenge takes the right code; its verifier fails in another browser.
    let page = b
        .get(&local(&s, d["verification_uri"].as_str().unwrap()))
        .await;
    let challenge = param(&page.location.unwrap(), "device_challenge").unwrap();
    let (st, r) = admin_put(
        &s,
        &format!(
            "/admin/oauth2/auth/requests/device/accept?device_challenge={}",
            enc(&challenge)
        ),
        json!({"user_code": d["user_code"]}),
    )
    .await;
    assert_eq!(st, 200, "{r}");
    let to = local(&s, r["redirect_to"].as_str().unwrap());
    let elsewhere = Browser::new().get(&to).await;
    assert_eq!(elsewhere.status, 403, "{}", elsewhere.body);
    assert!(elsewhere.body.contains("request_forbidden"));
    let here = b.get(&to).await;
    assert_eq!(here.status, 302);
    let login = here.location.unwrap();
    assert!(login.contains("login_challenge="), "{login}");
    // The login app sees the device's client and request.
    let (st, lr) = crate::flows::admin_get(
        &s,
        &format!(
            "/admin/oauth2/auth/requests/login?login_challenge={}",
            enc(&param(&login, "login_challenge").unwrap())
        ),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(lr["client"]["client_id"], "tv");
    assert_eq!(lr["requested_scope"], json!(["openid"]));
    assert!(
        lr["request_url"]
            .as_str()
            .unwrap()
            .contains("/oauth2/device/verify?client_id=tv")
    );
    s.stop().await;
}

/// Expiry on a test clock: at `ttl.device_user_code` the device is told `expired_token` and the
/// user code is no longer accepted.
async fn expiry(backend: Backend) {
    let db = TestDb::create(backend).await.expect("the database");
    let clock = Arc::new(latchkey::clock::ManualClock::new());
    let s = TestServer::start_clocked(
        db,
        |c| {
            fast_polls(c);
            c.ttl.device_user_code = "10m".parse().unwrap();
        },
        clock.clone(),
    )
    .await;
    tv_client(&s, "tv").await;
    let (_, d) = device_auth(&s, "tv", "openid").await;
    assert_eq!(d["expires_in"], 600);
    let code = d["device_code"].as_str().unwrap();
    clock.advance(Duration::from_secs(599));
    assert_eq!(
        poll(&s, "tv", code).await.1["error"],
        "authorization_pending"
    );
    clock.advance(Duration::from_secs(1));
    let (st, e) = poll(&s, "tv", code).await;
    assert_eq!(
        (st, e["error"].as_str()),
        (400, Some("expired_token")),
        "{e}"
    );
    let (_, accepted) = verify(
        &s,
        &mut Browser::new(),
        d["verification_uri_complete"].as_str().unwrap(),
        d["user_code"].as_str().unwrap(),
        &App::accept("ada"),
    )
    .await;
    assert_eq!(accepted.0, 400, "{}", accepted.1);
    s.stop().await;
}

/// Two nodes on one database: the device asks node A, the user verifies on node B, the device
/// polls node B and then (a replay) node A, which revokes what B issued.
async fn two_nodes(backend: Backend) {
    let db = TestDb::create(backend).await.expect("the database");
    let dsn = db.dsn.clone();
    let a = TestServer::start_with(db, fast_polls).await;
    let b = TestServer::start_with(TestDb::borrowed(&dsn), fast_polls).await;
    tv_client(&a, "tv").await;
    let (st, d) = device_auth(&a, "tv", "openid offline_access").await;
    assert_eq!(st, 200, "{d}");
    let code = d["device_code"].as_str().unwrap();
    assert_eq!(
        poll(&b, "tv", code).await.1["error"],
        "authorization_pending"
    );
    let (page, _) = verify(
        &b,
        &mut Browser::new(),
        d["verification_uri_complete"].as_str().unwrap(),
        d["user_code"].as_str().unwrap(),
        &App::accept("ada"),
    )
    .await;
    assert!(
        page.location
            .unwrap_or_default()
            .contains("/ui/device/done"),
        "{}",
        page.body
    );
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let (st, t) = poll(&b, "tv", code).await;
    assert_eq!(st, 200, "{t}");
    let tokens: CoreTokenResponse = serde_json::from_value(t.clone()).unwrap();
    let access = tokens.access_token().secret().clone();
    assert_eq!(a.introspect(&access).await["active"], true);
    let (st, e) = poll(&a, "tv", code).await;
    assert_eq!((st, e["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(b.introspect(&access).await["active"], false);
    assert_eq!(a.introspect(&access).await["active"], false);
    b.stop().await;
    a.stop().await;
}

/// A browser that remembers one user, and a login app that signs in another: the login starts
/// afresh (`prompt=login` back at the verification URI), the code is asked again, and the next
/// login is not skipped.
async fn another_user_in_a_remembering_browser(backend: Backend) {
    let s = server(backend).await.expect("the database");
    tv_client(&s, "tv").await;
    let mut b = Browser::new();
    let remember = App {
        login: Ok(json!({"subject": "ada", "remember": true})),
        consent: Ok(json!({})),
    };
    let (_, first) = device_auth(&s, "tv", "openid").await;
    verify(
        &s,
        &mut b,
        first["verification_uri_complete"].as_str().unwrap(),
        first["user_code"].as_str().unwrap(),
        &remember,
    )
    .await;
    let (_, d) = device_auth(&s, "tv", "openid").await;
    let code = d["user_code"].as_str().unwrap();
    let page = b
        .get(&local(&s, d["verification_uri_complete"].as_str().unwrap()))
        .await;
    let challenge = param(&page.location.unwrap(), "device_challenge").unwrap();
    let accept_code = async |challenge: &str| {
        let (st, r) = admin_put(
            &s,
            &format!(
                "/admin/oauth2/auth/requests/device/accept?device_challenge={}",
                enc(challenge)
            ),
            json!({ "user_code": code }),
        )
        .await;
        assert_eq!(st, 200, "{r}");
        r["redirect_to"].as_str().unwrap().to_owned()
    };
    let to = accept_code(&challenge).await;
    let login = b.get(&local(&s, &to)).await.location.unwrap();
    let login_challenge = param(&login, "login_challenge").unwrap();
    let path = format!(
        "/admin/oauth2/auth/requests/login?login_challenge={}",
        enc(&login_challenge)
    );
    let (_, lr) = crate::flows::admin_get(&s, &path).await;
    assert_eq!(
        (lr["skip"].as_bool(), lr["subject"].as_str()),
        (Some(true), Some("ada"))
    );
    let (_, r) = admin_put(
        &s,
        &format!(
            "/admin/oauth2/auth/requests/login/accept?login_challenge={}",
            enc(&login_challenge)
        ),
        json!({"subject": "bob"}),
    )
    .await;
    let again = r["redirect_to"].as_str().unwrap();
    assert!(again.contains("prompt=login"), "{again}");
    let page = b.get(&local(&s, again)).await;
    let challenge = param(&page.location.unwrap(), "device_challenge").unwrap();
    let to = accept_code(&challenge).await;
    let login = b.get(&local(&s, &to)).await.location.unwrap();
    let path = format!(
        "/admin/oauth2/auth/requests/login?login_challenge={}",
        enc(&param(&login, "login_challenge").unwrap())
    );
    let (_, lr) = crate::flows::admin_get(&s, &path).await;
    assert_eq!(lr["skip"], false, "{lr}");
    s.stop().await;
}

crate::per_database!(
    device_flow,
    device_errors,
    user_code_entry,
    another_user_in_a_remembering_browser,
    expiry,
    two_nodes
);

crate::test!(perform_device_code);
/// `perform device-code` (Hydra's command): prints where to go and the code, polls while the user
/// verifies in a browser, prints the tokens; with a confidential client registered for
/// client_secret_post, which it falls back to.
async fn perform_device_code() {
    use std::io::BufRead;
    let s = server(Backend::Sqlite).await.unwrap();
    make_client(
        &s,
        json!({"client_id": "cli-tv", "client_secret": "cli-tv-secret", "token_endpoint_auth_method": "client_secret_post",
               "grant_types": [GRANT, "refresh_token"], "scope": "openid offline"}),
    )
    .await;
    let mut child = crate::support::KillOnDrop(
        crate::support::latchkey()
            .args([
                "perform",
                "device-code",
                "--client-id",
                "cli-tv",
                "--client-secret",
                "cli-tv-secret",
                "--endpoint",
                &s.public,
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stderr = child.0.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let mut printed = String::new();
    let link = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("no verification address printed: {printed}"));
        printed.push_str(&line);
        printed.push('\n');
        if let Some(at) = line.find("http") {
            break line[at..].trim().to_owned();
        }
    };
    let code = param(&link, "user_code").unwrap();
    let (page, _) = verify(&s, &mut Browser::new(), &link, &code, &App::accept("ada")).await;
    assert!(
        page.location
            .unwrap_or_default()
            .contains("/ui/device/done"),
        "{}",
        page.body
    );
    let mut status = None;
    for _ in 0..100 {
        if let Some(st) = child.0.try_wait().unwrap() {
            status = Some(st);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.0.stdout.take().unwrap(), &mut out).unwrap();
    assert!(status.expect("the CLI exits").success(), "{out}");
    assert!(out.contains("ACCESS TOKEN\n\tory_at_"), "{out}");
    assert!(out.contains("REFRESH TOKEN\n\tory_rt_"), "{out}");
    assert!(out.contains("ID TOKEN\n\tey"), "{out}");
    s.stop().await;
}

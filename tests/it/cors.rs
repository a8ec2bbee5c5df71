//! CORS: a single-page app on another origin, in a real headless browser, calls discovery, the
//! token endpoint (authorization code + PKCE), userinfo and revocation; an unlisted origin is
//! blocked by the browser; the admin listener answers cross-origin calls only when configured.
//! Then the headers themselves, on every database (the client's origins come from storage).

use std::time::Duration;

use openidconnect::PkceCodeChallenge;
use serde_json::{Value, json};

use crate::{
    authcode::free_port,
    browser::headless,
    flows::{App, Browser, param, run_flow, web_client},
    support::{Backend, TestDb, TestServer},
};

use crate::support::CB;

/// Serves a blank page on 127.0.0.1:`port`, so the browser has an origin to run scripts from.
async fn page_origin() -> (String, tokio::task::JoinHandle<()>) {
    let port = free_port();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let app = poem::Route::new().at(
        "/",
        poem::get(poem::endpoint::make_sync(|_| {
            poem::web::Html("<!doctype html><title>spa</title><p>spa</p>")
        })),
    );
    let task = tokio::spawn(async move {
        let acceptor = poem::listener::TcpAcceptor::from_tokio(listener).unwrap();
        let _ = poem::Server::new_with_acceptor(acceptor).run(app).await;
    });
    (format!("http://127.0.0.1:{port}"), task)
}

/// `fetch(url, init)` from the page the browser is on: `{status, body}` when the script may read
/// the answer, `{error}` when the browser blocked it.
async fn fetch(c: &fantoccini::Client, url: &str, init: Value) -> Value {
    c.execute_async(
        r#"const [url, init, done] = arguments;
           fetch(url, init)
             .then(async r => done({status: r.status, body: await r.text()}))
             .catch(e => done({error: String(e)}));"#,
        vec![json!(url), init],
    )
    .await
    .unwrap()
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn post_form(body: String) -> Value {
    json!({"method": "POST", "body": body,
           "headers": {"Content-Type": "application/x-www-form-urlencoded"}})
}

fn readable(r: &Value) -> Value {
    assert!(r.get("error").is_none(), "the browser blocked it: {r}");
    let body = r["body"].as_str().unwrap();
    serde_json::from_str(body).unwrap_or(Value::String(body.into()))
}

fn blocked(r: &Value) {
    assert!(
        r["error"]
            .as_str()
            .is_some_and(|e| e.contains("Failed to fetch")),
        "expected the browser to block the call: {r}"
    );
}

crate::test!(a_single_page_app_on_another_origin, needs: [Browser]);
async fn a_single_page_app_on_another_origin() {
    let (site, _s1) = page_origin().await; // listed by the server
    let (spa, _s2) = page_origin().await; // listed by the client only
    let (evil, _s3) = page_origin().await; // listed by nobody
    let (_driver, c) = headless().await;
    let db = TestDb::create(Backend::Sqlite).await.unwrap();
    let (site_, site2) = (site.clone(), site.clone());
    let s = TestServer::start_with(db, move |c| {
        c.serve.public.cors.enabled = true;
        c.serve.public.cors.allowed_origins = vec![site_];
        c.serve.admin.cors.enabled = true;
        c.serve.admin.cors.allowed_origins = vec![site2];
    })
    .await;
    let plain = TestServer::start(Backend::Sqlite).await.unwrap(); // CORS off: the default
    web_client(
        &s,
        "spa",
        json!({"token_endpoint_auth_method": "none", "client_secret": null,
               "allowed_cors_origins": [spa], "redirect_uris": [CB]}),
    )
    .await;
    let discovery = format!("{}/.well-known/openid-configuration", s.public);

    // The server's own list: discovery is readable from `site`, not from `evil`.
    c.goto(&site).await.unwrap();
    let r = fetch(&c, &discovery, json!({})).await;
    let meta = readable(&r);
    assert!(
        meta["token_endpoint"]
            .as_str()
            .unwrap()
            .ends_with("/oauth2/token"),
        "{meta}"
    );
    // The admin listener admits `site` as configured, and nobody on a server left at defaults.
    let r = fetch(&c, &format!("{}/admin/clients", s.admin), json!({})).await;
    assert_eq!(readable(&r)[0]["client_id"], "spa");
    blocked(&fetch(&c, &format!("{}/admin/clients", plain.admin), json!({})).await);
    blocked(&fetch(&c, &format!("{}/health/alive", plain.admin), json!({})).await);
    blocked(
        &fetch(
            &c,
            &format!("{}/.well-known/openid-configuration", plain.public),
            json!({}),
        )
        .await,
    );

    c.goto(&evil).await.unwrap();
    blocked(&fetch(&c, &discovery, json!({})).await);
    blocked(&fetch(&c, &format!("{}/admin/clients", s.admin), json!({})).await);

    // The client's list: `spa` redeems a code with PKCE, reads userinfo, revokes.
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let auth = format!(
        "{}/oauth2/auth?client_id=spa&response_type=code&scope=openid&state=st-123456&redirect_uri={}&code_challenge={}&code_challenge_method=S256",
        s.public,
        url::form_urlencoded::byte_serialize(CB.as_bytes()).collect::<String>(),
        challenge.as_str()
    );
    let code = |page: crate::flows::Page| param(page.location.as_deref().unwrap(), "code").unwrap();
    let (page, _) = run_flow(&s, &mut Browser::new(), &auth, &App::accept("ada")).await;
    let first = code(page);
    let redeem = |code: &str| {
        form(&[
            ("grant_type", "authorization_code"),
            ("client_id", "spa"),
            ("code", code),
            ("redirect_uri", CB),
            ("code_verifier", verifier.secret()),
        ])
    };
    let token = format!("{}/oauth2/token", s.public);
    // From `evil` the token endpoint still runs (a form POST needs no preflight) but the browser
    // keeps the answer from the script: the code is spent and its tokens unread.
    blocked(&fetch(&c, &token, post_form(redeem(&first))).await);

    c.goto(&spa).await.unwrap();
    // A second code, redeemed from the client's own origin: readable.
    let (page, _) = run_flow(&s, &mut Browser::new(), &auth, &App::accept("ada")).await;
    let r = readable(&fetch(&c, &token, post_form(redeem(&code(page)))).await);
    let at = r["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned();
    // Errors are readable too, so the app can tell what went wrong.
    let r = readable(&fetch(&c, &token, post_form(redeem("ory_ac_bogus.bogus"))).await);
    assert_eq!(r["error"], "invalid_grant");
    // Userinfo with the token in the Authorization header: a preflight first, then the answer.
    let bearer = json!({"headers": {"Authorization": format!("Bearer {at}")}});
    let r = readable(&fetch(&c, &format!("{}/userinfo", s.public), bearer.clone()).await);
    assert_eq!(r["sub"], "ada");
    // Revocation (RFC 7009), then the token no longer works.
    let r = fetch(
        &c,
        &format!("{}/oauth2/revoke", s.public),
        post_form(form(&[("token", &at), ("client_id", "spa")])),
    )
    .await;
    readable(&r);
    assert_eq!(r["status"], 200);
    let r = fetch(&c, &format!("{}/userinfo", s.public), bearer).await;
    // The token is gone, so nothing names the client: the 401 stays unreadable.
    blocked(&r);
    // The client's origin is no origin of the server's own list, nor of the admin API.
    blocked(&fetch(&c, &discovery, json!({})).await);
    blocked(&fetch(&c, &format!("{}/admin/clients", s.admin), json!({})).await);
    tokio::time::sleep(Duration::from_millis(10)).await;
    c.close().await.unwrap();
}

fn cors_on(c: &mut latchkey::config::Config) {
    c.serve.public.cors.enabled = true;
    c.serve.public.cors.allowed_origins = vec!["https://site.example".into()];
    c.serve.public.cors.max_age = 600;
}

/// The headers a browser acts on, checked one by one.
async fn headers(s: TestServer) {
    web_client(
        &s,
        "spa",
        json!({"allowed_cors_origins": ["https://spa.example"], "redirect_uris": [CB]}),
    )
    .await;
    let h = &s.http;
    let preflight = |path: &str, origin: &str| {
        h.request(reqwest::Method::OPTIONS, format!("{}{path}", s.public))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "authorization, content-type",
            )
    };
    let acao = |r: &reqwest::Response| {
        r.headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    // A listed origin: admitted with credentials, the method and headers, max age.
    let r = preflight("/.well-known/jwks.json", "https://site.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(acao(&r).as_deref(), Some("https://site.example"));
    assert_eq!(r.headers()["access-control-allow-credentials"], "true");
    assert_eq!(r.headers()["access-control-allow-methods"], "POST");
    assert_eq!(
        r.headers()["access-control-allow-headers"],
        "authorization, content-type"
    );
    assert_eq!(r.headers()["access-control-max-age"], "600");
    // Unlisted: 204 without CORS headers, so the browser refuses.
    let r = preflight("/.well-known/jwks.json", "https://spa.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(acao(&r), None);
    // A header outside allowed_headers refuses the preflight.
    let r = h
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/oauth2/token", s.public),
        )
        .header("Origin", "https://site.example")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "x-sneaky")
        .send()
        .await
        .unwrap();
    assert_eq!(acao(&r), None);
    // On the client paths any origin passes the preflight; the answer decides.
    let r = preflight("/oauth2/token", "https://nobody.example")
        .send()
        .await
        .unwrap();
    assert_eq!(acao(&r).as_deref(), Some("https://nobody.example"));
    let token = |origin: &str, form: &'static str| {
        h.post(format!("{}/oauth2/token", s.public))
            .header("Origin", origin)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form)
    };
    // The client named in the form, or by Basic authentication, admits its origin — even when
    // authentication then fails, so the app can read why.
    let r = token(
        "https://spa.example",
        "grant_type=client_credentials&client_id=spa&client_secret=wrong",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(acao(&r).as_deref(), Some("https://spa.example"));
    assert_eq!(
        r.headers()["access-control-expose-headers"],
        "Cache-Control, Expires, Last-Modified, Pragma, Content-Length, Content-Language, Content-Type"
    );
    assert!(r.headers().get_all("vary").iter().any(|v| v == "Origin"));
    let r = h
        .post(format!("{}/oauth2/token", s.public))
        .header("Origin", "https://spa.example")
        .basic_auth("spa", Some("rp-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(acao(&r).as_deref(), Some("https://spa.example"));
    // Another client's origin, or a client that does not exist: not admitted.
    let r = token(
        "https://nobody.example",
        "grant_type=client_credentials&client_id=spa",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(acao(&r), None);
    let r = token(
        "https://spa.example",
        "grant_type=client_credentials&client_id=ghost",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(acao(&r), None);
    // The client's origins count only on the client paths.
    let r = h
        .get(format!("{}/.well-known/jwks.json", s.public))
        .header("Origin", "https://spa.example")
        .send()
        .await
        .unwrap();
    assert_eq!(acao(&r), None);
    // A change to the client's origins holds at once.
    let (st, _) = crate::flows::admin_put(
        &s,
        "/admin/clients/spa",
        json!({"client_id": "spa", "client_secret": "rp-secret", "grant_types": ["client_credentials"],
               "redirect_uris": [CB], "allowed_cors_origins": ["https://other.example"]}),
    )
    .await;
    assert_eq!(st, 200);
    let r = token(
        "https://spa.example",
        "grant_type=client_credentials&client_id=spa",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(acao(&r), None);
    // No Origin header: no CORS headers at all.
    let r = h
        .get(format!("{}/.well-known/jwks.json", s.public))
        .send()
        .await
        .unwrap();
    assert_eq!(acao(&r), None);
}

crate::per_database!(server(cors_on): headers);

crate::test!(every_origin_never_with_credentials);
async fn every_origin_never_with_credentials() {
    let db = TestDb::create(Backend::Sqlite).await.unwrap();
    let s = TestServer::start_with(db, |c| c.serve.public.cors.enabled = true).await;
    let r = s
        .http
        .get(format!("{}/.well-known/jwks.json", s.public))
        .header("Origin", "https://anyone.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert!(
        r.headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
}

crate::test!(the_same_headers_as_hydra, needs: [Hydra]);
/// The same cross-origin requests to Hydra v2.3.0 and to Latchkey, each with one listed origin and
/// a client listing another: the CORS headers agree, but for one listed difference — a preflight
/// on a client path from an origin only the client lists, which Hydra refuses (its server-wide
/// CORS layer answers preflights before the per-client one sees them, so such an app could
/// never send `Authorization` to userinfo) and Latchkey admits.
async fn the_same_headers_as_hydra() {
    let bin = crate::compat::hydra();
    let (_hydra, h_public, h_admin) = crate::compat::start_hydra_with(
        &bin,
        &[
            ("SERVE_PUBLIC_CORS_ENABLED", "true".into()),
            (
                "SERVE_PUBLIC_CORS_ALLOWED_ORIGINS",
                "https://site.example".into(),
            ),
            ("SERVE_PUBLIC_CORS_MAX_AGE", "600".into()),
        ],
    )
    .await;
    let db = TestDb::create(Backend::Sqlite).await.unwrap();
    let s = TestServer::start_with(db, cors_on).await;
    let http = reqwest::Client::new();
    let headers = [
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-max-age",
        "access-control-expose-headers",
    ];
    let mut seen: Vec<Vec<Vec<Option<String>>>> = Vec::new();
    for (public, admin) in [(h_public.as_str(), h_admin.as_str()), (&s.public, &s.admin)] {
        let r = http
            .post(format!("{admin}/admin/clients"))
            .json(&json!({"client_id": "spa", "client_secret": "spa-secret-0123", "grant_types": ["client_credentials"],
                          "allowed_cors_origins": ["https://spa.example"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let preflight = |path: &str, origin: &str, method: &str, hdrs: Option<&str>| {
            let mut r = http
                .request(reqwest::Method::OPTIONS, format!("{public}{path}"))
                .header("Origin", origin)
                .header("Access-Control-Request-Method", method);
            if let Some(h) = hdrs {
                r = r.header("Access-Control-Request-Headers", h);
            }
            r
        };
        let requests = vec![
            preflight(
                "/.well-known/jwks.json",
                "https://site.example",
                "GET",
                None,
            ),
            preflight(
                "/userinfo",
                "https://site.example",
                "GET",
                Some("authorization"),
            ),
            preflight("/.well-known/jwks.json", "https://spa.example", "GET", None),
            preflight(
                "/.well-known/jwks.json",
                "https://site.example",
                "GET",
                Some("x-sneaky"),
            ),
            preflight(
                "/userinfo",
                "https://spa.example",
                "GET",
                Some("authorization"),
            ),
            http.get(format!("{public}/.well-known/jwks.json"))
                .header("Origin", "https://site.example"),
            http.get(format!("{public}/.well-known/jwks.json"))
                .header("Origin", "https://spa.example"),
            http.post(format!("{public}/oauth2/token"))
                .header("Origin", "https://spa.example")
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", "spa"),
                    ("client_secret", "wrong"),
                ]),
            http.post(format!("{public}/oauth2/token"))
                .header("Origin", "https://nobody.example")
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", "spa"),
                    ("client_secret", "wrong"),
                ]),
        ];
        let mut answers = Vec::new();
        for r in requests {
            let r = r.send().await.unwrap();
            let mut row = vec![Some(r.status().as_u16().to_string())];
            row.extend(
                headers
                    .iter()
                    .map(|h| r.headers().get(*h).map(|v| v.to_str().unwrap().to_owned())),
            );
            assert!(
                r.headers()
                    .get_all("vary")
                    .iter()
                    .any(|v| v.to_str().unwrap().contains("Origin"))
            );
            answers.push(row);
        }
        seen.push(answers);
    }
    let (hydra, ours) = (&seen[0], &seen[1]);
    for (i, (h, l)) in hydra.iter().zip(ours).enumerate() {
        if i == 4 {
            // The listed difference (see above).
            assert_eq!(
                h[1], None,
                "Hydra refuses the client-origin preflight: {h:?}"
            );
            assert_eq!(l[1].as_deref(), Some("https://spa.example"), "{l:?}");
            continue;
        }
        assert_eq!(l, h, "request {i}: Latchkey {l:?}, Hydra {h:?}");
    }
}

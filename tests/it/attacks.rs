//! Attacks an outsider can make, each performed over HTTP as the attacker would (issue 21): every
//! test here failed before its fix. The SSO cookie is a secret of its own, not the published
//! `sid`; no registered URI reaches the front-channel logout page as markup; a logout verifier
//! works once, in the browser that started the logout; anonymous registration runs under the SSRF
//! guard and a failed fetch says nothing about what answered; wrong device codes lock out their
//! sender's address, not the node; script-scheme and unserialisable redirect URIs are refused; a
//! loopback redirect URI matches by its exact spelling, only the port may differ.

use serde_json::{Value, json};

use crate::{
    flows::{App, Browser, admin_put, enc, local, param, run_flow, web_client},
    logout::{auth_url, remembered, tokens},
    support::{TestServer, jwt_claims},
    ui::hidden,
};

const SESSION_COOKIE: &str = "latchkey_authentication_session";

/// A post-logout URI that closes the page's script and writes an element of its own (no
/// whitespace in it, which was refused before).
pub const EVIL_POST_LOGOUT: &str = "https://rp.example/bye?x=</script><b/id=pwn>owned</b><script>";

/// Replaces a stored client's post-logout URIs as they are, past validation: a client stored
/// before the checks that now refuse such URIs.
pub async fn store_post_logout_uris(s: &TestServer, client: &str, uris: Value) {
    let store = s.state.db.client_store();
    let mut stored = store.get_client(client).await.unwrap().unwrap();
    stored.document["post_logout_redirect_uris"] = uris;
    assert!(store.update_client(&stored).await.unwrap());
}

/// 1. The `sid` of an ID token, set as the SSO cookie in the attacker's browser, must not sign
///    the attacker in as the victim; the victim's own browser still skips the login.
async fn sid_is_no_credential(s: TestServer) {
    web_client(&s, "rp", json!({})).await;
    web_client(&s, "other", json!({})).await;
    let mut victim = Browser::new();
    let t = tokens(&s, &mut victim, "rp", &remembered("victim")).await;
    let sid = jwt_claims(t["id_token"].as_str().unwrap())["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let cookie = victim.cookies[SESSION_COOKIE].clone();
    assert!(!cookie.contains(&sid), "the SSO cookie carries the sid");

    let mut attacker = Browser::new();
    attacker.cookies.insert(SESSION_COOKIE.into(), sid.clone());
    let (_, seen) = run_flow(
        &s,
        &mut attacker,
        &auth_url(&s, "other", "openid"),
        &App::accept("mallory"),
    )
    .await;
    assert_eq!(seen.login["skip"], false, "{}", seen.login);
    assert_ne!(seen.login["subject"], "victim", "{}", seen.login);

    // The cookie itself still works, in the browser it was given to.
    let (_, seen) = run_flow(
        &s,
        &mut victim,
        &auth_url(&s, "other", "openid"),
        &App::accept("victim"),
    )
    .await;
    assert_eq!(seen.login["skip"], true, "{}", seen.login);
    assert_eq!(seen.login["subject"], "victim");
    assert_eq!(
        seen.login["session_id"],
        sid.as_str(),
        "the sid is unchanged"
    );
    s.stop().await;
}

/// 2. A post-logout URI with markup in it: refused at registration, and one already stored
///    reaches the front-channel logout page only as escaped text, under a CSP without forms.
async fn frontchannel_page_injection(s: TestServer) {
    let evil = EVIL_POST_LOGOUT;
    for field in ["post_logout_redirect_uris", "redirect_uris"] {
        let r = s
            .post(
                "/admin/clients",
                json!({ field: [evil], "redirect_uris": if field == "redirect_uris" { json!([evil]) } else { json!(["https://rp.example/cb"]) } }),
            )
            .await;
        assert_eq!(r.status(), 400, "{field} with markup was accepted");
    }
    for bad in [
        "https://rp.example/a b",
        "https://rp.example/\"x",
        "https://rp.example/x\ny",
        "https://rp.example/%zz",
    ] {
        let r = s
            .post("/admin/clients", json!({ "redirect_uris": [bad] }))
            .await;
        assert_eq!(r.status(), 400, "{bad:?} was accepted");
    }

    // A client stored before the check: its URI is written as it is into the database.
    web_client(
        &s,
        "rp",
        json!({"frontchannel_logout_uri": "https://rp.example/fc",
               "post_logout_redirect_uris": ["https://rp.example/bye"]}),
    )
    .await;
    store_post_logout_uris(&s, "rp", json!([evil])).await;

    let mut b = Browser::new();
    let t = tokens(&s, &mut b, "rp", &remembered("ada")).await;
    let page = b
        .get(&format!(
            "{}/oauth2/sessions/logout?id_token_hint={}&post_logout_redirect_uri={}",
            s.public,
            t["id_token"].as_str().unwrap(),
            enc(evil)
        ))
        .await;
    let challenge = param(page.location.as_ref().unwrap(), "logout_challenge").unwrap();
    let (st, r) = admin_put(
        &s,
        &format!(
            "/admin/oauth2/auth/requests/logout/accept?logout_challenge={}",
            enc(&challenge)
        ),
        json!({}),
    )
    .await;
    assert_eq!(st, 200, "{r}");
    let url = local(&s, r["redirect_to"].as_str().unwrap());
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(&url)
        .header(
            "cookie",
            b.cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; "),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("form-action 'none'"), "{csp}");
    let body = resp.text().await.unwrap();
    assert!(body.contains("https://rp.example/fc"), "{body}");
    assert!(!body.contains("<b/id=pwn>"), "markup injected: {body}");
    assert!(!body.contains("</script><b"), "markup injected: {body}");
    s.stop().await;
}

/// Starts an RP-initiated logout in `b` and accepts it as the logout app would: the verifier URL.
pub async fn logout_verifier(s: &TestServer, b: &mut Browser, id_token: &str) -> String {
    let page = b
        .get(&format!(
            "{}/oauth2/sessions/logout?id_token_hint={id_token}&post_logout_redirect_uri={}",
            s.public,
            enc("https://rp.example/bye")
        ))
        .await;
    let challenge = param(page.location.as_ref().unwrap(), "logout_challenge").unwrap();
    let (st, r) = admin_put(
        s,
        &format!(
            "/admin/oauth2/auth/requests/logout/accept?logout_challenge={}",
            enc(&challenge)
        ),
        json!({}),
    )
    .await;
    assert_eq!(st, 200, "{r}");
    local(s, r["redirect_to"].as_str().unwrap())
}

/// 3. Logout CSRF: the attacker's own logout verifier, opened in the victim's browser, neither
///    ends the victim's session nor sends the victim to the attacker's page; in the attacker's
///    own browser it works once.
async fn logout_verifier_bound_and_single_use(s: TestServer) {
    web_client(
        &s,
        "rp",
        json!({"post_logout_redirect_uris": ["https://rp.example/bye"]}),
    )
    .await;
    let mut victim = Browser::new();
    tokens(&s, &mut victim, "rp", &remembered("victim")).await;
    let mut attacker = Browser::new();
    let t = tokens(&s, &mut attacker, "rp", &remembered("mallory")).await;
    let verifier = logout_verifier(&s, &mut attacker, t["id_token"].as_str().unwrap()).await;

    let page = victim.get(&verifier).await;
    assert!(
        page.location
            .as_deref()
            .is_none_or(|l| !l.starts_with("https://rp.example")),
        "the victim was sent to {:?}",
        page.location
    );
    assert!(page.status >= 400, "{}", page.status);
    assert!(victim.cookies.contains_key(SESSION_COOKIE));
    let (_, seen) = run_flow(
        &s,
        &mut victim,
        &auth_url(&s, "rp", "openid"),
        &App::accept("victim"),
    )
    .await;
    assert_eq!(seen.login["skip"], true, "the victim was signed out");

    // The attacker's browser as it was before using the verifier, to replay it from.
    let mut again = attacker.clone();
    let page = attacker.get(&verifier).await;
    assert_eq!(
        page.location.as_deref(),
        Some("https://rp.example/bye"),
        "{}",
        page.body
    );
    assert!(!attacker.cookies.contains_key(SESSION_COOKIE));
    // Single use: the same verifier again, even with the same cookies, is refused.
    let page = again.get(&verifier).await;
    assert!(page.status >= 400 && page.location.is_none(), "replayed");
    s.stop().await;
}

fn open_registration(c: &mut latchkey::config::Config) {
    c.oidc.dynamic_client_registration.enabled = true;
}

/// 4. SSRF through open registration: with the guard at its default (off), an anonymous client
///    still cannot point the server inside, and what a failed fetch met stays in the log.
async fn anonymous_registration_is_guarded(s: TestServer) {
    let admin_port = s.admin.rsplit(':').next().unwrap().to_owned();
    for body in [
        json!({"jwks_uri": format!("http://127.0.0.1:{admin_port}/admin/clients"),
               "token_endpoint_auth_method": "private_key_jwt", "grant_types": ["client_credentials"]}),
        json!({"jwks_uri": format!("http://localhost:{admin_port}/admin/clients"),
               "token_endpoint_auth_method": "private_key_jwt", "grant_types": ["client_credentials"]}),
        json!({"backchannel_logout_uri": "http://10.0.0.5/logout", "redirect_uris": ["https://rp.example/cb"]}),
        json!({"sector_identifier_uri": format!("http://127.0.0.1:{admin_port}/admin/clients"),
               "redirect_uris": ["https://rp.example/cb"]}),
    ] {
        let r = s.register(&body).await;
        let status = r.status().as_u16();
        let e: Value = r.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 400, "{body} → {e}");
        assert_eq!(e["error"], "invalid_client_metadata", "{e}");
    }

    // Clients the operator registered may point inside (the guard is off), but a failed fetch
    // reads the same to the caller whatever answered: no port scanner.
    let Some(key) = crate::jwt_bearer::Signer::new("ec", "k1") else {
        panic!("openssl is not available to make test keys");
    };
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let not_keys = crate::ssrf::json_server("[1, 2]".into()).await;
    let mut answers = Vec::new();
    for (id, uri) in [
        (
            "to-admin",
            format!("http://127.0.0.1:{admin_port}/admin/clients"),
        ),
        ("to-closed", format!("http://127.0.0.1:{closed}/jwks.json")),
        ("to-json", format!("http://127.0.0.1:{not_keys}/jwks.json")),
    ] {
        crate::support::make_client(
            &s,
            json!({"client_id": id, "grant_types": ["client_credentials"],
                   "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": uri}),
        )
        .await;
        let (st, e) = crate::ssrf::assertion_auth(&s, &key, id).await;
        assert_eq!(st, 401, "{e}");
        answers.push(e["error_description"].as_str().unwrap().to_owned());
    }
    assert!(
        answers.iter().all(|a| a == &answers[0]),
        "the answers tell what was met: {answers:#?}"
    );
    for word in [
        "answered",
        "connection",
        "refused",
        "expected JSON",
        "127.0.0.1",
    ] {
        assert!(!answers[0].contains(word), "{word}: {}", answers[0]);
    }
    s.stop().await;
}

/// 5. One sender's wrong device codes lock out that sender, not every user of the node.
async fn device_lockout_is_per_address(s: TestServer) {
    crate::device::tv_client(&s, "tv").await;
    let (st, auth) = crate::device::device_auth(&s, "tv", "openid").await;
    assert_eq!(st, 200, "{auth}");
    let user_code = auth["user_code"].as_str().unwrap().to_owned();

    /// Opens the verification page in `b` and submits `code`: the answer's status and location.
    async fn submit(s: &TestServer, b: &mut Browser, code: &str) -> (u16, Option<String>) {
        let page = b.get(&format!("{}/oauth2/device/verify", s.public)).await;
        let form_url = local(s, page.location.as_ref().unwrap());
        let page = b.get(&form_url).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let challenge = hidden(&page, "device_challenge");
        let csrf = hidden(&page, "csrf_token");
        let page = b
            .post_form(
                &format!("{}/ui/device", s.public),
                &[
                    ("device_challenge", &challenge),
                    ("csrf_token", &csrf),
                    ("user_code", code),
                ],
            )
            .await;
        (page.status, page.location)
    }

    let mut attacker = Browser::new();
    for i in 0..305 {
        if i % latchkey::flows::device::PER_CHALLENGE as usize == 0 {
            attacker = Browser::new();
        }
        // One wrong code per page: a new page every time is as cheap for the attacker.
        let (st, _) = submit(&s, &mut attacker, "BCDFGHJK").await;
        assert_eq!(st, 400);
    }
    let (st, _) = submit(&s, &mut Browser::new(), &user_code).await;
    assert_eq!(st, 400, "the attacker's address is still trying codes");

    let mut user = Browser::from_address("127.0.0.2");
    let (st, location) = submit(&s, &mut user, &user_code).await;
    assert_eq!(st, 303, "another address was locked out too");
    assert!(
        location.unwrap_or_default().contains("device_verifier="),
        "the right code goes on"
    );
    s.stop().await;
}

/// 6. Script-scheme URIs cannot be registered as redirect or post-logout URIs, by the operator
///    or anonymously; native apps' own schemes can (RFC 8252 §7.1).
async fn script_schemes_refused(s: TestServer) {
    for uri in [
        "javascript:alert(document.domain)",
        "JavaScript://%0aalert(1)",
        "data:text/html,hi",
        "vbscript:msgbox(1)",
        "blob:https://rp.example/x",
    ] {
        for field in ["redirect_uris", "post_logout_redirect_uris"] {
            let r = s.post("/admin/clients", json!({ field: [uri] })).await;
            assert_eq!(r.status(), 400, "{field} {uri}");
            let r = s.register(&json!({ field: [uri] })).await;
            assert_eq!(r.status(), 400, "registered {field} {uri}");
        }
    }
    let r = s
        .post(
            "/admin/clients",
            json!({"redirect_uris": ["com.example.app:/oauth2redirect", "http://127.0.0.1/cb"]}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    s.stop().await;
}

/// 7. A loopback redirect URI matches by its spelling; only the port may differ.
async fn loopback_matching_is_exact(s: TestServer) {
    crate::support::make_client(
        &s,
        json!({"client_id": "native", "token_endpoint_auth_method": "none",
               "grant_types": ["authorization_code"], "response_types": ["code"], "scope": "openid",
               "redirect_uris": ["http://127.0.0.1/cb", "http://[::1]/cb"]}),
    )
    .await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let ask = |redirect: &str| {
        format!(
            "{}/oauth2/auth?client_id=native&response_type=code&scope=openid&state=abcdefgh&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&redirect_uri={}",
            s.public,
            enc(redirect)
        )
    };
    for good in [
        "http://127.0.0.1:9999/cb",
        "http://127.0.0.1/cb",
        "http://[::1]:51000/cb",
    ] {
        let r = http.get(ask(good)).send().await.unwrap();
        assert_eq!(r.status(), 302, "{good}");
        let loc = r.headers()["location"].to_str().unwrap();
        assert!(loc.contains("login_challenge="), "{good}: {loc}");
    }
    for bad in [
        "http://127.0.0.1:9999/c\tb",
        "http://127.0.0.1:9999/x/../cb",
        "http://127.0.0.1:9999/x/%2e%2e/cb",
        "http://2130706433:9999/cb",
        "http://0x7f.1:9999/cb",
        "http://127.0.0.1.:9999/cb",
        "http://127.0.0.1:9999/cb\n",
        "HTTP://127.0.0.1:9999/cb",
        "http://127.0.0.1:9999/cb#x",
        "http://127.0.0.1:9999/CB",
        "http://[0:0::1]:9999/cb",
    ] {
        let r = http.get(ask(bad)).send().await.unwrap();
        assert_eq!(r.status(), 400, "{bad:?} matched");
        assert!(r.headers().get("location").is_none(), "{bad:?}");
    }
    s.stop().await;
}

crate::per_database!(server:
    sid_is_no_credential,
    frontchannel_page_injection,
    logout_verifier_bound_and_single_use,
    device_lockout_is_per_address,
    loopback_matching_is_exact,
);
crate::per_database!(server(open_registration), needs: [Openssl]: anonymous_registration_is_guarded);
crate::per_database!(server(open_registration): script_schemes_refused);

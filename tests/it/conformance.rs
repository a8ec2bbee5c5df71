//! What the OpenID Foundation's conformance suite found (issue 22), each kept as a test of ours,
//! named after the suite's module where there is one: a `code token` request needs no nonce, an
//! ID token from the authorization endpoint does; dynamic registration refuses metadata this
//! server does not honour; the front-channel logout page navigates once; logout errors say so.

use serde_json::{Value, json};

use crate::{
    flows::{App, Browser, CB, enc, param, run_flow, web_client},
    logout::{remembered, tokens},
    support::{TestServer, jwt_claims},
};

fn hybrid_url(s: &TestServer, response_type: &str, nonce: Option<&str>) -> String {
    format!(
        "{}/oauth2/auth?client_id=rp&redirect_uri={}&response_type={}&scope=openid&state=st-123456{}",
        s.public,
        enc(CB),
        enc(response_type),
        nonce.map(|n| format!("&nonce={n}")).unwrap_or_default()
    )
}

/// oidcc-ensure-request-without-nonce-succeeds-for-code-flow (hybrid plan, `code token`): no ID
/// token comes back from the authorization endpoint, so no nonce is needed; the ID token from the
/// token endpoint then carries none. An ID token from the authorization endpoint still needs one
/// (oidcc-ensure-request-without-nonce-fails, implicit plan).
async fn code_token_without_nonce(s: TestServer) {
    web_client(&s, "rp", json!({})).await;
    let mut b = Browser::new();
    let (page, _) = run_flow(
        &s,
        &mut b,
        &hybrid_url(&s, "code token", None),
        &App::accept("ada"),
    )
    .await;
    let location = page.location.expect("a redirect to the client");
    assert!(location.starts_with(CB), "{location}");
    assert_eq!(param(&location, "error"), None, "{location}");
    assert!(param(&location, "access_token").is_some(), "{location}");
    let code = param(&location, "code").expect("a code");
    let (st, t) = crate::flows::exchange(
        &s,
        "rp",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
        ],
    )
    .await;
    assert_eq!(st, 200, "{t}");
    let claims = jwt_claims(t["id_token"].as_str().unwrap());
    assert_eq!(claims["aud"], json!(["rp"]));
    assert!(claims.get("nonce").is_none(), "{claims}");

    for response_type in [
        "code id_token",
        "code id_token token",
        "id_token",
        "id_token token",
    ] {
        let page = Browser::new()
            .get(&hybrid_url(&s, response_type, None))
            .await;
        let location = page.location.expect("an error for the client");
        assert_eq!(
            param(&location, "error").as_deref(),
            Some("invalid_request"),
            "{response_type}: {location}"
        );
    }
    s.stop().await;
}

fn open_registration(c: &mut latchkey::config::Config) {
    c.oidc.dynamic_client_registration.enabled = true;
}

/// oidcc-dynamic: metadata the server does not honour is refused at registration, not stored and
/// ignored (userinfo answers are plain JSON; request objects are not read yet).
async fn unsupported_registration_metadata(s: TestServer) {
    for (field, value) in [
        ("userinfo_signed_response_alg", "RS256"),
        ("request_object_signing_alg", "RS256"),
    ] {
        let r = s
            .register(&json!({"redirect_uris": [CB], field: value}))
            .await;
        assert_eq!(r.status(), 400, "{field}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"], "invalid_client_metadata", "{e}");
        assert!(
            e["error_description"].as_str().unwrap().contains(field),
            "{e}"
        );
    }
    let r = s
        .register(&json!({"redirect_uris": [CB], "userinfo_signed_response_alg": "none"}))
        .await;
    assert_eq!(r.status(), 201);
    s.stop().await;
}

/// oidcc-frontchannel-rp-initiated-logout: the page navigates once (its script); the refresh is
/// only for browsers without scripts. A logout error is titled as one.
async fn frontchannel_page_navigates_once(s: TestServer) {
    web_client(
        &s,
        "rp",
        json!({"frontchannel_logout_uri": "https://rp.example/fc",
               "post_logout_redirect_uris": ["https://rp.example/bye"]}),
    )
    .await;
    let mut b = Browser::new();
    let t = tokens(&s, &mut b, "rp", &remembered("ada")).await;
    let verifier =
        crate::attacks::logout_verifier(&s, &mut b, t["id_token"].as_str().unwrap()).await;
    let page = b.get(&verifier).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("https://rp.example/fc"), "{}", page.body);
    let refresh = page.body.find("http-equiv=\"refresh\"").unwrap();
    let noscript = page.body[..refresh].rfind("<noscript>").unwrap();
    assert!(
        !page.body[noscript..refresh].contains("</noscript>"),
        "the refresh is outside <noscript>: {}",
        page.body
    );

    let page = Browser::new()
        .get(&format!(
            "{}/oauth2/sessions/logout?post_logout_redirect_uri={}",
            s.public,
            enc("https://evil.example/")
        ))
        .await;
    assert_eq!(page.status, 400);
    assert!(
        page.body.contains("<title>Sign-out error</title>"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("sign-in"), "{}", page.body);
    s.stop().await;
}

crate::per_database!(server: code_token_without_nonce, frontchannel_page_navigates_once);
crate::per_database!(server(open_registration): unsupported_registration_metadata);

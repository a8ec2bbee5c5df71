//! The browser flows' variations: remembered login and consent, every `prompt` value, `max_age`,
//! rejection at login and at consent, the error cases, implicit and hybrid responses, form_post,
//! and the CSRF binding of a flow to its browser.

use openidconnect::{
    AccessTokenHash, AuthorizationCode, AuthorizationCodeHash, ClientId, IssuerUrl, Nonce,
    core::{CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet},
};
use serde_json::json;

use crate::{
    flows::{
        App, Browser, ISSUER, admin_get, admin_put, continue_flow, local, param, run_flow,
        web_client,
    },
    support::TestServer,
};

use crate::support::CB;

fn auth_url(s: &TestServer, query: &str) -> String {
    format!(
        "{}/oauth2/auth?client_id=rp&redirect_uri=https%3A%2F%2Frp.example%2Fcb&state=st-123456&{query}",
        s.public
    )
}

const CODE: &str = "response_type=code&scope=openid+offline_access";

async fn remember_and_prompt(s: TestServer) {
    web_client(&s, "rp", json!({})).await;
    let mut b = Browser::new();
    let remember = App {
        login: Ok(json!({"subject": "ada", "remember": true, "remember_for": 3600})),
        consent: Ok(json!({"remember": true})),
    };
    let (page, seen) = run_flow(&s, &mut b, &auth_url(&s, CODE), &remember).await;
    assert!(param(page.location.as_ref().unwrap(), "code").is_some());
    assert_eq!(seen.login["skip"], false);
    assert!(b.cookies.contains_key("latchkey_authentication_session"));

    // Both steps are now skippable; the app accepts with the remembered subject.
    let (page, seen) = run_flow(&s, &mut b, &auth_url(&s, CODE), &App::accept("ada")).await;
    assert!(param(page.location.as_ref().unwrap(), "code").is_some());
    assert_eq!(seen.login["skip"], true);
    assert_eq!(seen.login["subject"], "ada");
    assert_eq!(seen.consent["skip"], true);

    // prompt=none works silently now.
    let (page, _) = run_flow(
        &s,
        &mut b,
        &auth_url(&s, &format!("{CODE}&prompt=none")),
        &App::accept("ada"),
    )
    .await;
    assert!(param(page.location.as_ref().unwrap(), "code").is_some());

    // prompt=login and max_age=0 ask for a fresh login; prompt=consent for a fresh consent.
    for extra in ["prompt=login", "prompt=select_account", "max_age=0"] {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let (_, seen) = run_flow(
            &s,
            &mut b,
            &auth_url(&s, &format!("{CODE}&{extra}")),
            &remember,
        )
        .await;
        assert_eq!(seen.login["skip"], false, "{extra}");
    }
    let (_, seen) = run_flow(
        &s,
        &mut b,
        &auth_url(&s, &format!("{CODE}&prompt=consent")),
        &App::accept("ada"),
    )
    .await;
    assert_eq!(seen.login["skip"], true);
    assert_eq!(seen.consent["skip"], false);

    // Asking for more than was remembered needs consent again.
    let (_, seen) = run_flow(
        &s,
        &mut b,
        &auth_url(&s, "response_type=code&scope=openid+offline_access+email"),
        &App::accept("ada"),
    )
    .await;
    assert_eq!(seen.consent["skip"], false);

    // Accepting a skipped login as someone else restarts with prompt=login.
    let page = b.get(&auth_url(&s, CODE)).await;
    let ch = param(page.location.as_ref().unwrap(), "login_challenge").unwrap();
    let (st, r) = admin_put(
        &s,
        &format!("/admin/oauth2/auth/requests/login/accept?login_challenge={ch}"),
        json!({"subject": "mallory"}),
    )
    .await;
    assert_eq!(st, 200);
    assert!(r["redirect_to"].as_str().unwrap().contains("prompt=login"));

    // A login not to be remembered ends the remembered session.
    let (_, _) = run_flow(
        &s,
        &mut b,
        &auth_url(&s, &format!("{CODE}&prompt=login")),
        &App::accept("ada"),
    )
    .await;
    assert!(!b.cookies.contains_key("latchkey_authentication_session"));
    let (page, _) = run_flow(
        &s,
        &mut b,
        &auth_url(&s, &format!("{CODE}&prompt=none")),
        &App::accept("ada"),
    )
    .await;
    let loc = page.location.unwrap();
    assert_eq!(param(&loc, "error").unwrap(), "login_required");
    assert_eq!(param(&loc, "state").unwrap(), "st-123456");
    assert_eq!(param(&loc, "iss").unwrap(), ISSUER);

    // prompt=none cannot be combined.
    let (page, _) = run_flow(
        &s,
        &mut b,
        &auth_url(&s, &format!("{CODE}&prompt=none+login")),
        &App::accept("ada"),
    )
    .await;
    assert_eq!(
        param(page.location.as_ref().unwrap(), "error").unwrap(),
        "invalid_request"
    );
    s.stop().await;
}

async fn rejections(s: TestServer) {
    web_client(&s, "rp", json!({})).await;
    let app = App {
        login: Err(json!({"error": "access_denied", "error_description": "No such user."})),
        consent: Ok(json!({})),
    };
    let (page, _) = run_flow(&s, &mut Browser::new(), &auth_url(&s, CODE), &app).await;
    let loc = page.location.unwrap();
    assert!(loc.starts_with(CB));
    assert_eq!(param(&loc, "error").unwrap(), "access_denied");
    assert_eq!(param(&loc, "error_description").unwrap(), "No such user.");
    assert_eq!(param(&loc, "state").unwrap(), "st-123456");
    assert_eq!(param(&loc, "iss").unwrap(), ISSUER);
    assert!(param(&loc, "code").is_none());

    let app = App {
        login: Ok(json!({"subject": "ada"})),
        consent: Err(json!({"error": "consent_required"})),
    };
    let (page, _) = run_flow(&s, &mut Browser::new(), &auth_url(&s, CODE), &app).await;
    assert_eq!(
        param(page.location.as_ref().unwrap(), "error").unwrap(),
        "consent_required"
    );

    // An app cannot invent error codes, nor grant what was not requested.
    let mut b = Browser::new();
    let page = b.get(&auth_url(&s, CODE)).await;
    let ch = param(page.location.as_ref().unwrap(), "login_challenge").unwrap();
    let (st, _) = admin_put(
        &s,
        &format!("/admin/oauth2/auth/requests/login/reject?login_challenge={ch}"),
        json!({"error": "made up"}),
    )
    .await;
    assert_eq!(st, 400);
    let (st, _) = admin_put(
        &s,
        &format!("/admin/oauth2/auth/requests/login/accept?login_challenge={ch}"),
        json!({"subject": ""}),
    )
    .await;
    assert_eq!(st, 400);
    let (_, r) = admin_put(
        &s,
        &format!("/admin/oauth2/auth/requests/login/accept?login_challenge={ch}"),
        json!({"subject": "ada"}),
    )
    .await;
    let page = b.get(&local(&s, r["redirect_to"].as_str().unwrap())).await;
    let ch = param(page.location.as_ref().unwrap(), "consent_challenge").unwrap();
    let (st, e) = admin_put(
        &s,
        &format!("/admin/oauth2/auth/requests/consent/accept?consent_challenge={ch}"),
        json!({"grant_scope": ["openid", "admin"]}),
    )
    .await;
    assert_eq!(st, 400, "{e}");
    // A login challenge is not a consent challenge.
    let (st, _) = admin_get(
        &s,
        &format!("/admin/oauth2/auth/requests/login?login_challenge={ch}"),
    )
    .await;
    assert_eq!(st, 404);
    s.stop().await;
}

/// Errors before the client and redirect URI are verified go to the error page; after, to the
/// client with `state` and `iss`.
async fn error_cases(s: TestServer) {
    web_client(&s, "rp", json!({})).await;
    crate::support::make_client(&s, json!({"client_id": "spa", "token_endpoint_auth_method": "none", "grant_types": ["authorization_code"], "response_types": ["code"], "scope": "openid", "redirect_uris": [CB]})).await;
    // Registration does not tie response types to grants (the classic tutorial registers
    // `-g client_credentials -r token,code`); the authorization endpoint does.
    crate::support::make_client(&s, json!({"client_id": "cc", "client_secret": "cc-secret", "grant_types": ["client_credentials"], "response_types": ["token", "code"], "scope": "openid", "redirect_uris": [CB]})).await;
    crate::support::make_client(&s, json!({"client_id": "ac", "client_secret": "ac-secret", "grant_types": ["authorization_code"], "response_types": ["token", "code", "id_token"], "scope": "openid", "redirect_uris": [CB]})).await;
    let mut b = Browser::new();
    for url in [
        format!(
            "{}/oauth2/auth?client_id=nobody&response_type=code&redirect_uri={CB}",
            s.public
        ),
        format!(
            "{}/oauth2/auth?client_id=rp&response_type=code&redirect_uri=https://evil.example/cb",
            s.public
        ),
        format!(
            "{}/oauth2/auth?client_id=rp&response_type=code&redirect_uri=https://rp.example/cb/x",
            s.public
        ),
        format!(
            "{}/oauth2/auth?client_id=rp&client_id=rp&response_type=code",
            s.public
        ),
        format!("{}/oauth2/auth?response_type=code", s.public),
    ] {
        let page = b.get(&url).await;
        assert!(
            page.location.is_none(),
            "{url} redirected to {:?}",
            page.location
        );
        assert_eq!(page.status / 100, 4, "{url}");
        assert!(page.body.contains("could not be completed"), "{url}");
    }
    let cases = [
        (
            "rp",
            "response_type=code&scope=openid+admin",
            "invalid_scope",
        ),
        (
            "rp",
            "response_type=unknown&scope=openid",
            "unsupported_response_type",
        ),
        ("rp", "scope=openid", "invalid_request"),
        (
            "rp",
            "response_type=code&scope=openid&code_challenge=abcdefghijabcdefghijabcdefghijabcdefghijabc&code_challenge_method=plain",
            "invalid_request",
        ),
        (
            "rp",
            "response_type=code&scope=openid&response_mode=query_jwt",
            "invalid_request",
        ),
        (
            "rp",
            "response_type=id_token&scope=openid",
            "invalid_request",
        ),
        (
            "rp",
            "response_type=code&request=eyJ",
            "request_not_supported",
        ),
        ("rp", "response_type=code&max_age=-1", "invalid_request"),
        ("spa", "response_type=code&scope=openid", "invalid_request"),
        (
            "spa",
            "response_type=id_token&scope=openid&nonce=abcdefgh",
            "unauthorized_client",
        ),
        (
            "cc",
            "response_type=code&scope=openid",
            "unauthorized_client",
        ),
        (
            "cc",
            "response_type=token&scope=openid",
            "unauthorized_client",
        ),
        (
            "ac",
            "response_type=token&scope=openid",
            "unauthorized_client",
        ),
        (
            "ac",
            "response_type=id_token&scope=openid&nonce=abcdefgh",
            "unauthorized_client",
        ),
    ];
    for (client, q, code) in cases {
        let url = format!(
            "{}/oauth2/auth?client_id={client}&redirect_uri={CB}&state=st-1&{q}",
            s.public
        );
        let page = b.get(&url).await;
        let loc = page
            .location
            .unwrap_or_else(|| panic!("{q}: no redirect: {}", page.body));
        assert!(loc.starts_with(CB), "{loc}");
        assert_eq!(param(&loc, "error").as_deref(), Some(code), "{q}");
        assert_eq!(param(&loc, "state").as_deref(), Some("st-1"));
        assert_eq!(param(&loc, "iss").as_deref(), Some(ISSUER));
    }
    // A public client with PKCE gets through to the login app.
    let page = b.get(&format!("{}/oauth2/auth?client_id=spa&redirect_uri={CB}&response_type=code&scope=openid&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256", s.public)).await;
    assert!(param(page.location.as_ref().unwrap(), "login_challenge").is_some());
    s.stop().await;
}

fn verifier(jwks: CoreJsonWebKeySet) -> CoreIdTokenVerifier<'static> {
    CoreIdTokenVerifier::new_public_client(
        ClientId::new("rp".into()),
        IssuerUrl::new(ISSUER.into()).unwrap(),
        jwks,
    )
}

/// Implicit and hybrid responses in the fragment (with at_hash / c_hash), and form_post.
async fn implicit_hybrid_form_post(s: TestServer) {
    web_client(&s, "rp", json!({})).await;
    let jwks: CoreJsonWebKeySet = s
        .http
        .get(format!("{}/.well-known/jwks.json", s.public))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let v = verifier(jwks);
    let nonce = Nonce::new("n-0123456789".into());
    let mut b = Browser::new();
    let (page, _) = run_flow(
        &s,
        &mut b,
        &auth_url(
            &s,
            "response_type=id_token+token&scope=openid&nonce=n-0123456789",
        ),
        &App::accept("ada"),
    )
    .await;
    let loc = page.location.unwrap();
    assert!(loc.starts_with("https://rp.example/cb#"), "{loc}");
    assert_eq!(param(&loc, "state").unwrap(), "st-123456");
    assert_eq!(param(&loc, "token_type").unwrap(), "bearer");
    let at = param(&loc, "access_token").unwrap();
    let idt: CoreIdToken = param(&loc, "id_token").unwrap().parse().unwrap();
    let claims = idt.claims(&v, &nonce).unwrap();
    let h = AccessTokenHash::from_token(
        &openidconnect::AccessToken::new(at.clone()),
        idt.signing_alg().unwrap(),
        idt.signing_key(&v).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&h));
    assert_eq!(s.introspect(&at).await["active"], true);

    let (page, _) = run_flow(
        &s,
        &mut b,
        &auth_url(
            &s,
            "response_type=code+id_token&scope=openid&nonce=n-0123456789",
        ),
        &App::accept("ada"),
    )
    .await;
    let loc = page.location.unwrap();
    let code = param(&loc, "code").unwrap();
    let idt: CoreIdToken = param(&loc, "id_token").unwrap().parse().unwrap();
    let claims = idt.claims(&v, &nonce).unwrap();
    let h = AuthorizationCodeHash::from_code(
        &AuthorizationCode::new(code.clone()),
        idt.signing_alg().unwrap(),
        idt.signing_key(&v).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.code_hash(), Some(&h));
    let r = s
        .token_request(
            Some(("rp", "rp-secret")),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CB),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);

    // form_post: the response is a page that posts the fields to the redirect URI.
    let page = b
        .post_form(
            &format!("{}/oauth2/auth", s.public),
            &[
                ("client_id", "rp"),
                ("redirect_uri", CB),
                ("response_type", "code"),
                ("scope", "openid"),
                ("state", "st-post"),
                ("response_mode", "form_post"),
            ],
        )
        .await;
    assert_eq!(page.status, 303);
    let (page, _) = continue_flow(&s, &mut b, page, &App::accept("ada")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(&format!("action=\"{CB}\"")));
    assert!(page.body.contains("name=\"code\""));
    assert!(page.body.contains("value=\"st-post\""));
    assert!(page.body.contains("name=\"iss\""));
    s.stop().await;
}

/// A flow started in one browser cannot be finished in another (its CSRF cookie is missing).
async fn flows_are_bound_to_their_browser(s: TestServer) {
    web_client(&s, "rp", json!({})).await;
    let mut victim = Browser::new();
    let mut attacker = Browser::new();
    let page = attacker.get(&auth_url(&s, CODE)).await;
    let ch = param(page.location.as_ref().unwrap(), "login_challenge").unwrap();
    let (_, r) = admin_put(
        &s,
        &format!("/admin/oauth2/auth/requests/login/accept?login_challenge={ch}"),
        json!({"subject": "attacker"}),
    )
    .await;
    let page = victim
        .get(&local(&s, r["redirect_to"].as_str().unwrap()))
        .await;
    let loc = page.location.unwrap();
    assert_eq!(param(&loc, "error").unwrap(), "request_forbidden");
    // A verifier does not complete another request either.
    let other = local(&s, r["redirect_to"].as_str().unwrap()).replace("st-123456", "st-other");
    let page = attacker.get(&other).await;
    assert_eq!(
        param(page.location.as_ref().unwrap(), "error").unwrap(),
        "access_denied"
    );
    s.stop().await;
}

/// A consent verifier completes its flow once: of two concurrent uses (the same browser state
/// twice), exactly one gets a code, and the group-commit writer fails only that one.
async fn consent_verifier_is_single_use(s: TestServer) {
    web_client(&s, "rp", json!({"access_token_strategy": "jwt"})).await;
    let mut b = Browser::new();
    let page = b.get(&auth_url(&s, CODE)).await;
    let ch = param(page.location.as_ref().unwrap(), "login_challenge").unwrap();
    let (_, r) = admin_put(
        &s,
        &format!("/admin/oauth2/auth/requests/login/accept?login_challenge={ch}"),
        json!({"subject": "ada"}),
    )
    .await;
    let page = b.get(&local(&s, r["redirect_to"].as_str().unwrap())).await;
    let ch = param(page.location.as_ref().unwrap(), "consent_challenge").unwrap();
    let (_, r) = admin_put(
        &s,
        &format!("/admin/oauth2/auth/requests/consent/accept?consent_challenge={ch}"),
        json!({"grant_scope": ["openid", "offline_access"], "session": {"access_token": {"team": "blue"}}}),
    )
    .await;
    let url = local(&s, r["redirect_to"].as_str().unwrap());
    let (mut b1, mut b2) = (b.clone(), b.clone());
    let (p1, p2) = tokio::join!(b1.get(&url), b2.get(&url));
    let (l1, l2) = (p1.location.unwrap(), p2.location.unwrap());
    let codes: Vec<String> = [&l1, &l2].iter().filter_map(|l| param(l, "code")).collect();
    assert_eq!(codes.len(), 1, "{l1} / {l2}");
    let errors: Vec<String> = [&l1, &l2]
        .iter()
        .filter_map(|l| param(l, "error"))
        .collect();
    assert_eq!(errors, ["access_denied"]);

    // With the jwt strategy, the consent's access token session is the `ext` claim of the JWT.
    let r = s
        .token_request(
            Some(("rp", "rp-secret")),
            &[
                ("grant_type", "authorization_code"),
                ("code", &codes[0]),
                ("redirect_uri", CB),
            ],
        )
        .await;
    let t: serde_json::Value = r.json().await.unwrap();
    let at = t["access_token"].as_str().unwrap();
    let claims = crate::support::jwt_claims(at);
    assert_eq!(claims["ext"], json!({"team": "blue"}));
    assert_eq!(claims["sub"], "ada");
    assert_eq!(claims["client_id"], "rp");
    assert_eq!(s.introspect(at).await["ext"], json!({"team": "blue"}));
    s.stop().await;
}

crate::per_database!(server:
    consent_verifier_is_single_use,
    remember_and_prompt,
    rejections,
    error_cases,
    implicit_hybrid_form_post,
    flows_are_bound_to_their_browser
);

/// The OpenID Connect request parameters reach the login app as `oidc_context`; an
/// `id_token_hint` is checked and its claims passed on.
async fn oidc_context_and_id_token_hint(s: TestServer) {
    web_client(&s, "rp", json!({})).await;
    let mut b = Browser::new();
    let (page, _) = run_flow(&s, &mut b, &auth_url(&s, CODE), &App::accept("ada")).await;
    let code = param(page.location.as_ref().unwrap(), "code").unwrap();
    let r = s
        .token_request(
            Some(("rp", "rp-secret")),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CB),
            ],
        )
        .await;
    let id_token = r.json::<serde_json::Value>().await.unwrap()["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let q = format!(
        "{CODE}&login_hint=ada%40example.com&ui_locales=de+en&acr_values=urn%3Amfa&display=popup&id_token_hint={id_token}"
    );
    let page = b.get(&auth_url(&s, &q)).await;
    let ch = param(page.location.as_ref().unwrap(), "login_challenge").unwrap();
    let (st, req) = admin_get(
        &s,
        &format!("/admin/oauth2/auth/requests/login?login_challenge={ch}"),
    )
    .await;
    assert_eq!(st, 200);
    let ctx = &req["oidc_context"];
    assert_eq!(ctx["login_hint"], "ada@example.com");
    assert_eq!(ctx["ui_locales"], json!(["de", "en"]));
    assert_eq!(ctx["acr_values"], json!(["urn:mfa"]));
    assert_eq!(ctx["display"], "popup");
    assert_eq!(ctx["id_token_hint_claims"]["sub"], "ada");
    // A hint that is not our ID token is refused.
    let page = b
        .get(&auth_url(
            &s,
            &format!("{CODE}&id_token_hint=eyJhbGciOiJub25lIn0.e30."),
        ))
        .await;
    assert_eq!(
        param(page.location.as_ref().unwrap(), "error").unwrap(),
        "invalid_request"
    );
    s.stop().await;
}

crate::per_database!(server: oidc_context_and_id_token_hint);

crate::test!(pkce_enforced_for_all_clients);
/// `oauth2.pkce.enforced`: every client must use PKCE, confidential ones too.
async fn pkce_enforced_for_all_clients() {
    let db = crate::support::TestDb::create(crate::support::Backend::Sqlite)
        .await
        .unwrap();
    let s = TestServer::start_with(db, |c| c.oauth2.pkce.enforced = true).await;
    web_client(&s, "rp", json!({})).await;
    let page = Browser::new().get(&auth_url(&s, CODE)).await;
    let loc = page.location.unwrap();
    assert_eq!(param(&loc, "error").unwrap(), "invalid_request");
    assert!(param(&loc, "error_description").unwrap().contains("PKCE"));
    s.stop().await;
}

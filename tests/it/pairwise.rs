//! Pairwise subject identifiers (OIDC Core §8.1): a pairwise client's ID tokens and userinfo name
//! the user by an identifier of the client's sector — the same for clients of one sector,
//! different across sectors, computed as Hydra computes it — while introspection keeps the real
//! `sub` and adds `obfuscated_subject`; `force_subject_identifier` replaces it; registration
//! refuses what cannot work. ID tokens are checked by `openidconnect` as a relying party would.

use openidconnect::{
    ClientId, IssuerUrl, Nonce,
    core::{CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet},
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{
    flows::{App, Browser, ISSUER, jwks, param, run_flow},
    support::{Backend, TestServer},
};

const SALT: &str = "pairwise-salt-0123";

async fn client(s: &TestServer, id: &str, redirect: &str, extra: Value) -> (u16, Value) {
    let mut body = json!({
        "client_id": id, "client_secret": "rp-secret",
        "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
        "scope": "openid offline_access", "redirect_uris": [redirect], "subject_type": "pairwise",
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = s.post("/admin/clients", body).await;
    (r.status().as_u16(), r.json().await.unwrap())
}

fn expected(sector: &str, subject: &str) -> String {
    Sha256::digest(format!("{sector}{subject}{SALT}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What one code flow for `user` through client `id` gave: the ID token's `sub` (verified by
/// openidconnect), and the token response.
async fn sign_in(
    s: &TestServer,
    id: &str,
    redirect: &str,
    app: &App,
    keys: &CoreJsonWebKeySet,
) -> (String, Value) {
    let mut b = Browser::new();
    let url = format!(
        "{}/oauth2/auth?client_id={id}&redirect_uri={}&response_type=code&scope=openid+offline_access&state=st-123456&nonce=n-0123456789",
        s.public,
        crate::flows::enc(redirect)
    );
    let (page, _) = run_flow(s, &mut b, &url, app).await;
    let loc = page.location.expect("a redirect to the client");
    let code = param(&loc, "code").unwrap_or_else(|| panic!("no code: {loc}"));
    let r = s
        .token_request(
            Some((id, "rp-secret")),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", redirect),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let tokens: Value = r.json().await.unwrap();
    let sub = verified_sub(id, tokens["id_token"].as_str().unwrap(), keys);
    (sub, tokens)
}

fn verified_sub(id: &str, id_token: &str, keys: &CoreJsonWebKeySet) -> String {
    let v = CoreIdTokenVerifier::new_confidential_client(
        ClientId::new(id.into()),
        openidconnect::ClientSecret::new("rp-secret".into()),
        IssuerUrl::new(ISSUER.into()).unwrap(),
        keys.clone(),
    );
    let idt: CoreIdToken = id_token.parse().unwrap();
    idt.claims(&v, &Nonce::new("n-0123456789".into()))
        .expect("a valid ID token")
        .subject()
        .as_str()
        .to_owned()
}

async fn userinfo_sub(s: &TestServer, access_token: &str) -> String {
    let v: Value = s
        .http
        .get(format!("{}/userinfo", s.public))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["sub"].as_str().unwrap().to_owned()
}

async fn pairwise_subjects(s: TestServer) {
    let keys = jwks(&s).await;
    for (id, redirect, extra) in [
        ("rp-a1", "https://a.example/cb", json!({})),
        ("rp-a2", "https://a.example/other", json!({})),
        ("rp-b", "https://b.example/cb", json!({})),
        (
            "rp-pub",
            "https://rp.example/cb",
            json!({"subject_type": "public"}),
        ),
    ] {
        let (st, c) = client(&s, id, redirect, extra).await;
        assert_eq!(st, 201, "{c}");
    }
    let ada = App::accept("ada");
    let (a1, tokens) = sign_in(&s, "rp-a1", "https://a.example/cb", &ada, &keys).await;
    let (a2, _) = sign_in(&s, "rp-a2", "https://a.example/other", &ada, &keys).await;
    let (b, _) = sign_in(&s, "rp-b", "https://b.example/cb", &ada, &keys).await;
    let (public, _) = sign_in(&s, "rp-pub", "https://rp.example/cb", &ada, &keys).await;
    assert_eq!(a1, a2, "one sector, one identifier");
    assert_ne!(a1, b, "different sectors, different identifiers");
    assert_eq!(a1, expected("a.example", "ada"), "as Hydra computes it");
    assert_eq!(public, "ada");
    let (again, _) = sign_in(&s, "rp-a1", "https://a.example/cb", &ada, &keys).await;
    assert_eq!(again, a1, "stable");
    let (other_user, _) = sign_in(
        &s,
        "rp-a1",
        "https://a.example/cb",
        &App::accept("bob"),
        &keys,
    )
    .await;
    assert_ne!(other_user, a1);

    // Userinfo says the same; introspection keeps the real subject beside it.
    let at = tokens["access_token"].as_str().unwrap();
    assert_eq!(userinfo_sub(&s, at).await, a1);
    let i = s.introspect(at).await;
    assert_eq!(i["sub"], "ada", "{i}");
    assert_eq!(i["obfuscated_subject"], a1.as_str(), "{i}");
    // A refreshed ID token too.
    let r = s
        .token_request(
            Some(("rp-a1", "rp-secret")),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ],
        )
        .await;
    let refreshed: Value = r.json().await.unwrap();
    assert_eq!(
        verified_sub("rp-a1", refreshed["id_token"].as_str().unwrap(), &keys),
        a1
    );
    assert_eq!(
        userinfo_sub(&s, refreshed["access_token"].as_str().unwrap()).await,
        a1
    );
    // A public client's token has no obfuscated subject.
    let (_, t) = sign_in(&s, "rp-pub", "https://rp.example/cb", &ada, &keys).await;
    assert!(
        s.introspect(t["access_token"].as_str().unwrap())
            .await
            .get("obfuscated_subject")
            .is_none()
    );

    // force_subject_identifier: used for pairwise clients, ignored for public ones (as Hydra).
    let forced = App {
        login: Ok(json!({"subject": "ada", "force_subject_identifier": "ada-at-a"})),
        consent: Ok(json!({})),
    };
    let (sub, t) = sign_in(&s, "rp-a1", "https://a.example/cb", &forced, &keys).await;
    assert_eq!(sub, "ada-at-a");
    assert_eq!(
        userinfo_sub(&s, t["access_token"].as_str().unwrap()).await,
        "ada-at-a"
    );
    assert_eq!(
        s.introspect(t["access_token"].as_str().unwrap()).await["obfuscated_subject"],
        "ada-at-a"
    );
    let (sub, _) = sign_in(&s, "rp-pub", "https://rp.example/cb", &forced, &keys).await;
    assert_eq!(sub, "ada");

    // An id_token_hint naming the user by the pairwise identifier is recognised.
    let mut b = Browser::new();
    let remember = App {
        login: Ok(json!({"subject": "ada", "remember": true})),
        consent: Ok(json!({"remember": true})),
    };
    let url = |extra: &str| {
        format!(
            "{}/oauth2/auth?client_id=rp-a1&redirect_uri=https%3A%2F%2Fa.example%2Fcb&response_type=code&scope=openid&state=st-123456&nonce=n-0123456789{extra}",
            s.public
        )
    };
    let (page, _) = run_flow(&s, &mut b, &url(""), &remember).await;
    let code = param(page.location.as_ref().unwrap(), "code").unwrap();
    let r = s
        .token_request(
            Some(("rp-a1", "rp-secret")),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "https://a.example/cb"),
            ],
        )
        .await;
    let hint = r.json::<Value>().await.unwrap()["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (page, _) = run_flow(
        &s,
        &mut b,
        &url(&format!("&prompt=none&id_token_hint={hint}")),
        &remember,
    )
    .await;
    let loc = page.location.unwrap();
    assert!(
        param(&loc, "code").is_some(),
        "the hint's pairwise sub is the logged-in user: {loc}"
    );

    // Registration refuses what cannot work.
    let two_hosts = json!({"redirect_uris": ["https://a.example/cb", "https://b.example/cb"]});
    let (st, e) = client(&s, "rp-bad", "https://a.example/cb", two_hosts).await;
    assert_eq!(
        (st, e["error"].as_str()),
        (400, Some("invalid_client_metadata")),
        "{e}"
    );
    assert!(
        e["error_description"]
            .as_str()
            .unwrap()
            .contains("sector_identifier_uri"),
        "{e}"
    );
    let (st, e) = client(
        &s,
        "rp-bad",
        "https://a.example/cb",
        json!({"access_token_strategy": "jwt"}),
    )
    .await;
    assert_eq!(
        (st, e["error"].as_str()),
        (400, Some("invalid_client_metadata")),
        "{e}"
    );
    let (st, e) = client(
        &s,
        "rp-bad",
        "https://a.example/cb",
        json!({"sector_identifier_uri": "http://sector.example/s.json"}),
    )
    .await;
    assert_eq!(st, 400, "{e}");
    let (st, e) = client(
        &s,
        "rp-bad",
        "https://a.example/cb",
        json!({"sector_identifier_uri": "https://127.0.0.1:9/s.json"}),
    )
    .await;
    assert_eq!(
        (st, e["error"].as_str()),
        (400, Some("invalid_client_metadata")),
        "an unreachable sector document: {e}"
    );

    let d: Value = s
        .http
        .get(format!("{}/.well-known/openid-configuration", s.public))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["subject_types_supported"], json!(["public", "pairwise"]));
    s.stop().await;
}

fn pairwise_config(c: &mut latchkey::config::Config) {
    c.oidc.subject_identifiers.supported_types = vec!["public".into(), "pairwise".into()];
    c.oidc.subject_identifiers.pairwise.salt = latchkey::config::Secret(SALT.into());
}

crate::per_database!(server(pairwise_config): pairwise_subjects);

crate::test!(pairwise_is_refused_unless_offered);
/// Without pairwise among `oidc.subject_identifiers.supported_types` (the default), a pairwise
/// client is refused, and discovery offers `public` only.
async fn pairwise_is_refused_unless_offered() {
    let s = TestServer::start(Backend::Sqlite).await.unwrap();
    let (st, e) = client(&s, "rp", "https://a.example/cb", json!({})).await;
    assert_eq!(
        (st, e["error"].as_str()),
        (400, Some("invalid_client_metadata")),
        "{e}"
    );
    assert!(
        e["error_description"]
            .as_str()
            .unwrap()
            .contains("pairwise"),
        "{e}"
    );
    let d: Value = s
        .http
        .get(format!("{}/.well-known/openid-configuration", s.public))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["subject_types_supported"], json!(["public"]));
    s.stop().await;
}

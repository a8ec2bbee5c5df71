//! Per-client lifespans (`PUT /admin/clients/{id}/lifespans`, Hydra's `setOAuth2ClientLifespans`):
//! each grant's tokens live as long as the client says — visible in `expires_in`, introspection's
//! `exp` and the ID token's — and a lifespan left out falls back to `ttl.*`.

use serde_json::{Value, json};

use crate::{
    device,
    flows::{App, Browser, param, run_flow, web_client},
    support::{TestServer, jwt_claims},
};

fn lasts(claims: &Value) -> i64 {
    claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap()
}

async fn set(s: &TestServer, id: &str, body: Value) -> (u16, Value) {
    let r = s
        .http
        .put(format!("{}/admin/clients/{id}/lifespans", s.admin))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn per_client_lifespans(s: TestServer) {
    web_client(
        &s,
        "rp",
        json!({"grant_types": ["authorization_code", "refresh_token", "client_credentials"]}),
    )
    .await;
    let (st, c) = set(
        &s,
        "rp",
        json!({
            "client_credentials_grant_access_token_lifespan": "2m",
            "authorization_code_grant_access_token_lifespan": "3m",
            "authorization_code_grant_refresh_token_lifespan": "4h",
            "authorization_code_grant_id_token_lifespan": "6m",
            "refresh_token_grant_access_token_lifespan": "5m",
        }),
    )
    .await;
    assert_eq!(st, 200, "{c}");
    // As Hydra shows them: Go's duration format.
    assert_eq!(c["client_credentials_grant_access_token_lifespan"], "2m0s");
    assert_eq!(c["refresh_token_grant_id_token_lifespan"], Value::Null);
    assert!(c.get("client_secret").is_none(), "{c}");
    let got: Value = s.get("/admin/clients/rp").await.json().await.unwrap();
    assert_eq!(
        got["authorization_code_grant_refresh_token_lifespan"],
        "4h0m0s"
    );

    // Client credentials: 2 minutes, and the secret still works.
    let r = s
        .token_request(
            Some(("rp", "rp-secret")),
            &[("grant_type", "client_credentials")],
        )
        .await;
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["expires_in"], 120, "{t}");
    let info = s.introspect(t["access_token"].as_str().unwrap()).await;
    assert_eq!(lasts(&info), 120);

    // The authorization code grant: 3 minutes, its refresh token 4 hours, its ID token 6.
    let auth = format!(
        "{}/oauth2/auth?client_id=rp&response_type=code&scope=openid+offline_access&state=st-123456&nonce=n-123456&redirect_uri=https%3A%2F%2Frp.example%2Fcb",
        s.public
    );
    let (page, _) = run_flow(&s, &mut Browser::new(), &auth, &App::accept("ada")).await;
    let code = param(&page.location.unwrap(), "code").unwrap();
    let r = s
        .token_request(
            Some(("rp", "rp-secret")),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "https://rp.example/cb"),
            ],
        )
        .await;
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["expires_in"], 180, "{t}");
    let refresh = t["refresh_token"].as_str().unwrap();
    assert_eq!(lasts(&s.introspect(refresh).await), 4 * 3600);
    assert_eq!(lasts(&jwt_claims(t["id_token"].as_str().unwrap())), 360);
    // The refresh grant: 5 minutes; its ID token is not set, so ttl.id_token (1h).
    let r = s
        .token_request(
            Some(("rp", "rp-secret")),
            &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        )
        .await;
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["expires_in"], 300, "{t}");
    assert_eq!(lasts(&jwt_claims(t["id_token"].as_str().unwrap())), 3600);

    // The device grant too.
    device::tv_client(&s, "tv").await;
    let (st, _) = set(
        &s,
        "tv",
        json!({"device_authorization_grant_access_token_lifespan": "7m"}),
    )
    .await;
    assert_eq!(st, 200);
    let (_, d) = device::device_auth(&s, "tv", "openid").await;
    device::verify(
        &s,
        &mut Browser::new(),
        d["verification_uri_complete"].as_str().unwrap(),
        d["user_code"].as_str().unwrap(),
        &App::accept("ada"),
    )
    .await;
    let (st, t) = device::poll(&s, "tv", d["device_code"].as_str().unwrap()).await;
    assert_eq!((st, t["expires_in"].as_i64()), (200, Some(420)), "{t}");

    // Left out: back to ttl.access_token (1h). Wrong values and unknown clients are refused.
    let (st, _) = set(&s, "rp", json!({})).await;
    assert_eq!(st, 200);
    let r = s
        .token_request(
            Some(("rp", "rp-secret")),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["expires_in"], 3600);
    let (st, e) = set(
        &s,
        "rp",
        json!({"client_credentials_grant_access_token_lifespan": "an hour"}),
    )
    .await;
    assert_eq!(st, 400, "{e}");
    let (st, _) = set(&s, "nobody", json!({})).await;
    assert_eq!(st, 404);
    s.stop().await;
}

crate::per_database!(server: per_client_lifespans);

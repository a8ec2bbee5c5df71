//! OpenID Connect Dynamic Client Registration (RFC 7591, RFC 7592) behind
//! `oidc.dynamic_client_registration.enabled`: absent when off; when on, the lifecycle with the
//! registration access token as a bearer — missing, wrong and stale tokens refused alike — the
//! fields reserved to the admin API refused, and the registered client usable at once.

use serde_json::{Value, json};

use crate::support::{Backend, TestServer};

async fn call(
    s: &TestServer,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut r = s.http.request(method, format!("{}{path}", s.public));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    (status, headers, r.json().await.unwrap_or(Value::Null))
}

async fn cc(s: &TestServer, id: &str, secret: &str) -> u16 {
    s.token_request(Some((id, secret)), &[("grant_type", "client_credentials")])
        .await
        .status()
        .as_u16()
}

async fn discovery(s: &TestServer) -> Value {
    s.discovery().await
}

crate::test!(absent_unless_enabled);
async fn absent_unless_enabled() {
    let s = TestServer::start(Backend::Sqlite).await.unwrap();
    use reqwest::Method;
    let (st, _, _) = call(
        &s,
        Method::POST,
        "/oauth2/register",
        None,
        Some(json!({"client_name": "x"})),
    )
    .await;
    assert_eq!(st, 404);
    let (st, _, _) = call(&s, Method::GET, "/oauth2/register/some-id", Some("t"), None).await;
    assert_eq!(st, 404);
    assert!(discovery(&s).await.get("registration_endpoint").is_none());
    s.stop().await;
}

async fn lifecycle(s: TestServer) {
    use reqwest::Method;
    let reg = "/oauth2/register";
    let d = discovery(&s).await;
    assert_eq!(
        d["registration_endpoint"],
        format!("{}{reg}", s.state.config.public_base())
    );

    // Register: id and secret generated, a client_id in the body ignored.
    let (st, h, c) = call(&s, Method::POST, reg, None, Some(json!({
        "client_id": "i-choose", "client_name": "Self-service", "grant_types": ["client_credentials"],
        "redirect_uris": ["https://app.example/cb"]
    }))).await;
    assert_eq!(st, 201, "{c}");
    let id = c["client_id"].as_str().unwrap().to_owned();
    assert_ne!(id, "i-choose");
    assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 4);
    let secret = c["client_secret"].as_str().unwrap().to_owned();
    let token = c["registration_access_token"].as_str().unwrap().to_owned();
    let uri = format!("{}{reg}/{id}", s.state.config.public_base());
    assert_eq!(c["registration_client_uri"], uri.as_str());
    assert_eq!(h["location"].to_str().unwrap(), uri);
    assert_eq!(
        c["scope"], "openid profile",
        "oidc.dynamic_client_registration.default_scope"
    );
    assert!(h["cache-control"].to_str().unwrap().contains("no-store"));
    // Metadata not given is absent, not an empty string (a schema-checking client refuses
    // `"client_uri": ""`), while the admin API keeps Hydra's shape.
    for absent in [
        "client_uri",
        "logo_uri",
        "tos_uri",
        "policy_uri",
        "jwks_uri",
        "owner",
    ] {
        assert!(c.get(absent).is_none(), "{absent}: {c}");
    }
    let empty: Vec<&String> = c
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, v)| v.as_str() == Some(""))
        .map(|(k, _)| k)
        .collect();
    assert!(empty.is_empty(), "empty strings in {c}");
    let admin: Value = s
        .get(&format!("/admin/clients/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(admin["client_uri"], "", "the admin API answers as Hydra's");
    // At rest: a digest of the token, never the token.
    let row = s
        .state
        .db
        .client_store()
        .get_client(&id)
        .await
        .unwrap()
        .unwrap();
    let stored = row.registration_token_hash.unwrap();
    assert_ne!(stored, token);
    assert!(!row.document.to_string().contains(&token));
    // The client works at once.
    assert_eq!(cc(&s, &id, &secret).await, 200);

    // Read it with its token only.
    let path = format!("{reg}/{id}");
    let (st, _, got) = call(&s, Method::GET, &path, Some(&token), None).await;
    assert_eq!(st, 200, "{got}");
    assert_eq!(got["client_name"], "Self-service");
    assert!(
        got.get("client_secret").is_none() && got.get("registration_access_token").is_none(),
        "{got}"
    );
    let other = call(
        &s,
        Method::POST,
        reg,
        None,
        Some(json!({"client_name": "Other"})),
    )
    .await
    .2;
    let other_token = other["registration_access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for (t, what) in [
        (None, "no token"),
        (Some("wrong"), "a wrong token"),
        (Some(other_token.as_str()), "another client's token"),
    ] {
        let (st, h, e) = call(&s, Method::GET, &path, t, None).await;
        assert_eq!(st, 401, "{what}: {e}");
        assert_eq!(e["error"], "invalid_token");
        assert!(
            h["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer"),
            "{what}"
        );
    }
    let (st, _, _) = call(
        &s,
        Method::GET,
        &format!("{reg}/{}", uuid::Uuid::new_v4()),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(st, 401, "an unknown id looks like a wrong token");
    // A client the admin API created has no registration token: not reachable here.
    let r = s
        .post(
            "/admin/clients",
            json!({"client_id": "admin-made", "grant_types": ["client_credentials"]}),
        )
        .await;
    assert_eq!(r.status(), 201);
    assert!(
        r.json::<Value>()
            .await
            .unwrap()
            .get("registration_access_token")
            .is_none()
    );
    let (st, _, _) = call(
        &s,
        Method::GET,
        &format!("{reg}/admin-made"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(st, 401);
    let (st, _, _) = call(
        &s,
        Method::DELETE,
        &format!("{reg}/admin-made"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(st, 401);

    // Update: the token is replaced, the secret stays.
    let (st, _, up) = call(&s, Method::PUT, &path, Some(&token), Some(json!({
        "client_name": "Renamed", "grant_types": ["client_credentials"], "redirect_uris": ["https://app.example/cb"]
    }))).await;
    assert_eq!(st, 200, "{up}");
    assert_eq!(up["client_name"], "Renamed");
    assert_eq!(up["client_id"], id.as_str());
    let new_token = up["registration_access_token"].as_str().unwrap().to_owned();
    assert_ne!(new_token, token);
    assert_eq!(
        call(&s, Method::GET, &path, Some(&token), None).await.0,
        401,
        "the old token is gone"
    );
    assert_eq!(
        call(&s, Method::GET, &path, Some(&new_token), None).await.0,
        200
    );
    assert_eq!(cc(&s, &id, &secret).await, 200, "the secret stays");
    let (st, _, e) = call(
        &s,
        Method::PUT,
        &path,
        Some(&new_token),
        Some(json!({"client_secret": "mine-mine-mine"})),
    )
    .await;
    assert_eq!(st, 403, "{e}");
    let (st, _, _) = call(
        &s,
        Method::PUT,
        &path,
        Some("wrong"),
        Some(json!({"client_name": "x"})),
    )
    .await;
    assert_eq!(st, 401);

    // What only the admin API may set.
    for (body, code) in [
        (json!({"client_secret": "chosen-secret"}), "invalid_request"),
        (
            json!({"metadata": {"tier": "gold"}}),
            "invalid_client_metadata",
        ),
        (json!({"access_token_strategy": "jwt"}), "invalid_request"),
        (json!({"skip_consent": true}), "invalid_request"),
        (json!({"skip_logout_consent": true}), "invalid_request"),
        (
            json!({"client_credentials_grant_access_token_lifespan": "8760h"}),
            "invalid_client_metadata",
        ),
        (
            json!({"token_endpoint_auth_method": "magic"}),
            "invalid_client_metadata",
        ),
    ] {
        let (st, _, e) = call(&s, Method::POST, reg, None, Some(body.clone())).await;
        assert_eq!((st, e["error"].as_str()), (400, Some(code)), "{body}: {e}");
        let (st, _, e) = call(&s, Method::PUT, &path, Some(&new_token), Some(body.clone())).await;
        let expected = if body.get("client_secret").is_some() {
            403
        } else {
            400
        };
        assert_eq!(st, expected, "update {body}: {e}");
    }
    // Not JSON.
    let r = s
        .http
        .post(format!("{}{reg}", s.public))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // Delete: gone, its token and secret with it.
    assert_eq!(
        call(&s, Method::DELETE, &path, Some("wrong"), None).await.0,
        401
    );
    assert_eq!(
        call(&s, Method::DELETE, &path, Some(&new_token), None)
            .await
            .0,
        204
    );
    assert_eq!(
        call(&s, Method::GET, &path, Some(&new_token), None).await.0,
        401
    );
    assert_eq!(cc(&s, &id, &secret).await, 401);
    assert_eq!(s.get(&format!("/admin/clients/{id}")).await.status(), 404);
    s.stop().await;
}

fn dcr_config(c: &mut latchkey::config::Config) {
    c.oidc.dynamic_client_registration.enabled = true;
    c.oidc.dynamic_client_registration.default_scope = vec!["openid".into(), "profile".into()];
}

crate::per_database!(server(dcr_config): lifecycle);

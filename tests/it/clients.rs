//! The OAuth 2.0 client admin API over HTTP: create, get, list with pagination, replace, patch,
//! delete, Hydra v1 paths, secrets at rest, validation and concurrency.

use latchkey::crypto::hash::verify_secret;
use serde_json::{Value, json};

use crate::support::{Backend, TestServer};

async fn stored_hash(s: &TestServer, id: &str) -> Option<String> {
    s.state
        .db
        .client_store()
        .get_client(id)
        .await
        .unwrap()
        .unwrap()
        .secret_hash
}

async fn client_lifecycle(s: TestServer) {
    // Create with a generated id and secret.
    let r = s.post("/admin/clients", json!({"client_name": "Demo", "grant_types": ["client_credentials"], "audience": ["https://api.example.com"], "metadata": {"team": "x"}})).await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let id = created["client_id"].as_str().unwrap().to_owned();
    assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 4);
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 32);
    assert_eq!(created["client_name"], "Demo");
    assert_eq!(created["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(created["metadata"], json!({"team": "x"}));
    assert!(created["created_at"].is_string());

    // At rest: an argon2id hash that verifies the secret, and no secret in the document.
    let stored = s
        .state
        .db
        .client_store()
        .get_client(&id)
        .await
        .unwrap()
        .unwrap();
    let hash = stored.secret_hash.clone().unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(verify_secret(secret.clone(), hash.clone()).await);
    assert!(!stored.document.to_string().contains(&secret));
    assert!(stored.document.get("client_secret").is_none());

    // Get never shows the secret.
    let r = s.get(&format!("/admin/clients/{id}")).await;
    assert_eq!(r.status(), 200);
    let got: Value = r.json().await.unwrap();
    assert!(got.get("client_secret").is_none());
    assert_eq!(got["audience"], json!(["https://api.example.com"]));

    // PUT without a secret keeps it; the response has none.
    let mut body = got.clone();
    body["client_name"] = json!("Renamed");
    let r = s
        .http
        .put(format!("{}/admin/clients/{id}", s.admin))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let put: Value = r.json().await.unwrap();
    assert_eq!(put["client_name"], "Renamed");
    assert!(put.get("client_secret").is_none());
    assert_eq!(stored_hash(&s, &id).await.unwrap(), hash);
    assert_eq!(put["created_at"], got["created_at"]);

    // PUT with a secret replaces it and echoes it once.
    body["client_secret"] = json!("a-brand-new-secret");
    let r = s
        .http
        .put(format!("{}/admin/clients/{id}", s.admin))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap()["client_secret"],
        "a-brand-new-secret"
    );
    let new_hash = stored_hash(&s, &id).await.unwrap();
    assert!(verify_secret("a-brand-new-secret".into(), new_hash.clone()).await);
    assert!(!verify_secret(secret, new_hash).await);

    // PUT with another id in the body: the path's id wins (as Hydra); no client is renamed.
    body["client_id"] = json!("someone-else");
    let r = s
        .http
        .put(format!("{}/admin/clients/{id}", s.admin))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["client_id"], json!(id));
    assert_eq!(s.get("/admin/clients/someone-else").await.status(), 404);

    // PATCH (RFC 6902).
    let r = s
        .http
        .patch(format!("{}/admin/clients/{id}", s.admin))
        .json(&json!([
            {"op": "replace", "path": "/client_name", "value": "Patched"},
            {"op": "add", "path": "/redirect_uris/-", "value": "https://app.example.com/cb"},
            {"op": "add", "path": "/grant_types/-", "value": "authorization_code"}
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let patched: Value = r.json().await.unwrap();
    assert_eq!(patched["client_name"], "Patched");
    assert_eq!(
        patched["redirect_uris"],
        json!(["https://app.example.com/cb"])
    );
    assert_eq!(
        s.get(&format!("/admin/clients/{id}"))
            .await
            .json::<Value>()
            .await
            .unwrap()["client_name"],
        "Patched"
    );

    // A patch that fails its test, or makes the client invalid, changes nothing.
    for ops in [
        json!([{"op": "test", "path": "/client_name", "value": "nope"}, {"op": "replace", "path": "/client_name", "value": "X"}]),
        json!([{"op": "replace", "path": "/redirect_uris", "value": ["https://a.example/cb#frag"]}]),
        json!([{"op": "replace", "path": "/client_id", "value": "other"}]),
        json!([{"op": "remove", "path": "/not_a_field"}]),
    ] {
        let r = s
            .http
            .patch(format!("{}/admin/clients/{id}", s.admin))
            .json(&ops)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{ops}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["status_code"], 400);
        assert!(!e["error_description"].as_str().unwrap().is_empty());
    }
    assert_eq!(
        s.get(&format!("/admin/clients/{id}"))
            .await
            .json::<Value>()
            .await
            .unwrap()["client_name"],
        "Patched"
    );

    // Delete, then it is gone.
    let r = s
        .http
        .delete(format!("{}/admin/clients/{id}", s.admin))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    for r in [
        s.get(&format!("/admin/clients/{id}")).await,
        s.http
            .delete(format!("{}/admin/clients/{id}", s.admin))
            .send()
            .await
            .unwrap(),
        s.http
            .put(format!("{}/admin/clients/{id}", s.admin))
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
    ] {
        assert_eq!(r.status(), 404);
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["status_code"], 404);
        assert_eq!(e["error"], "not_found");
    }
    s.stop().await;
}

async fn duplicate_ids_conflict(s: TestServer) {
    let body = json!({"client_id": "dup", "client_secret": "secret-one"});
    assert_eq!(s.post("/admin/clients", body.clone()).await.status(), 201);
    let r = s
        .post(
            "/admin/clients",
            json!({"client_id": "dup", "client_secret": "secret-two"}),
        )
        .await;
    assert_eq!(r.status(), 409);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["status_code"], 409);
    // The first client's secret is untouched.
    assert!(verify_secret("secret-one".into(), stored_hash(&s, "dup").await.unwrap()).await);
    s.stop().await;
}

async fn pagination(s: TestServer) {
    let mut ids: Vec<String> = (0..7).map(|i| format!("client-{i:02}")).collect();
    for id in &ids {
        let r = s
            .post(
                "/admin/clients",
                json!({"client_id": id, "owner": if id.ends_with('3') { "alice" } else { "bob" }}),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    ids.sort();
    let mut seen = Vec::new();
    let mut url = format!("{}/admin/clients?page_size=3", s.admin);
    let mut pages = 0;
    loop {
        let r = s.http.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let link = r
            .headers()
            .get("link")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert!(link.contains("rel=\"first\""), "{link}");
        let page: Vec<Value> = r.json().await.unwrap();
        assert!(page.len() <= 3);
        assert!(page.iter().all(|c| c.get("client_secret").is_none()));
        seen.extend(
            page.iter()
                .map(|c| c["client_id"].as_str().unwrap().to_owned()),
        );
        pages += 1;
        let next = link.split(',').find(|l| l.contains("rel=\"next\""));
        match next {
            Some(l) => {
                let target = l
                    .split(';')
                    .next()
                    .unwrap()
                    .trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>');
                url = format!("{}{target}", s.admin);
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ids);
    // Filters.
    let r: Vec<Value> = s
        .get("/admin/clients?owner=alice")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["client_id"], "client-03");
    // Bad page parameters are 400s; as Hydra, a size of 0 is the default and sizes above 500
    // are capped.
    for q in ["page_size=abc", "page_size=-1", "page_token=%%%"] {
        let r = s.get(&format!("/admin/clients?{q}")).await;
        assert_eq!(r.status(), 400, "{q}");
    }
    for (q, size) in [
        ("page_size=0", 250),
        ("page_size=501", 500),
        ("page_size=100000", 500),
    ] {
        let r = s.get(&format!("/admin/clients?{q}")).await;
        assert_eq!(r.status(), 200, "{q}");
        let link = r.headers()["link"].to_str().unwrap().to_owned();
        assert!(link.contains(&format!("page_size={size}")), "{q}: {link}");
    }
    s.stop().await;
}

async fn hydra_v1_paths(s: TestServer) {
    let r = s.post("/clients", json!({"client_id": "legacy", "client_secret": "legacy-secret", "grant_types": ["client_credentials"]})).await;
    assert_eq!(r.status(), 201);
    assert_eq!(
        s.get("/clients/legacy")
            .await
            .json::<Value>()
            .await
            .unwrap()["client_id"],
        "legacy"
    );
    assert_eq!(s.get("/admin/clients/legacy").await.status(), 200);
    let list: Vec<Value> = s.get("/clients").await.json().await.unwrap();
    assert_eq!(list.len(), 1);
    let r = s
        .http
        .put(format!("{}/clients/legacy", s.admin))
        .json(&json!({"client_name": "v1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = s
        .http
        .delete(format!("{}/clients/legacy", s.admin))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(s.get("/clients/legacy").await.status(), 404);
    s.stop().await;
}

async fn validation(s: TestServer) {
    let cases = [
        (
            json!({"grant_types": ["password"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"response_types": ["code banana"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["/relative"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["https://app.example.com/cb#x"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"token_endpoint_auth_method": "none", "client_secret": "abcdefgh"}),
            "invalid_client_metadata",
        ),
        (
            json!({"token_endpoint_auth_method": "none", "grant_types": ["client_credentials"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"token_endpoint_auth_method": "magic"}),
            "invalid_client_metadata",
        ),
        (
            json!({"token_endpoint_auth_method": "private_key_jwt"}),
            "invalid_client_metadata",
        ),
        (
            json!({"jwks_uri": "https://a.example/jwks", "jwks": {"keys": []}}),
            "invalid_client_metadata",
        ),
        (json!({"client_secret": "short"}), "invalid_client_metadata"),
        (
            json!({"allowed_cors_origins": ["https://a.example/path"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"scope": "openid \"quoted\""}),
            "invalid_client_metadata",
        ),
        (json!({"subject_type": "secret"}), "invalid_client_metadata"),
        (
            json!({"access_token_strategy": "both"}),
            "invalid_client_metadata",
        ),
        (json!({"client_id": "has space"}), "invalid_client_metadata"),
        (json!({"logo_uri": "not a url"}), "invalid_client_metadata"),
        (
            json!({"sector_identifier_uri": "http://a.example/s.json"}),
            "invalid_client_metadata",
        ),
    ];
    for (body, code) in cases {
        let r = s.post("/admin/clients", body.clone()).await;
        assert_eq!(r.status(), 400, "{body}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"], code, "{body}: {e}");
        assert_eq!(e["status_code"], 400);
        assert!(e["error_description"].as_str().unwrap().len() > 10, "{e}");
    }
    // A public client: no secret generated or stored.
    let r = s.post("/admin/clients", json!({"client_id": "spa", "token_endpoint_auth_method": "none", "redirect_uris": ["http://127.0.0.1:3000/cb"]})).await;
    assert_eq!(r.status(), 201);
    assert!(
        r.json::<Value>()
            .await
            .unwrap()
            .get("client_secret")
            .is_none()
    );
    assert!(stored_hash(&s, "spa").await.is_none());
    // private_key_jwt with a key set, and no secret.
    let r = s.post("/admin/clients", json!({"token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://rp.example/jwks.json", "token_endpoint_auth_signing_alg": "ES256"})).await;
    assert_eq!(r.status(), 201);
    assert!(
        r.json::<Value>()
            .await
            .unwrap()
            .get("client_secret")
            .is_none()
    );
    // Nothing from the rejected cases was stored.
    let all: Vec<Value> = s.get("/admin/clients").await.json().await.unwrap();
    assert_eq!(all.len(), 2);
    s.stop().await;
}

/// (`sector_identifier_uri` and `subject_type: pairwise` are checked against a live sector
/// document and the server's subject types; their round trip is in `sector.rs`.)
async fn every_field_round_trips(s: TestServer) {
    let full = json!({
        "client_id": "full", "client_name": "Full", "client_secret": "full-secret-123",
        "access_token_strategy": "jwt", "allowed_cors_origins": ["https://app.example.com"],
        "audience": ["https://api.example.com"],
        "authorization_code_grant_access_token_lifespan": "1h", "authorization_code_grant_id_token_lifespan": "30m",
        "authorization_code_grant_refresh_token_lifespan": "720h", "client_credentials_grant_access_token_lifespan": "5m",
        "device_authorization_grant_access_token_lifespan": "1h", "device_authorization_grant_id_token_lifespan": "1h",
        "device_authorization_grant_refresh_token_lifespan": "1h", "implicit_grant_access_token_lifespan": "1h",
        "implicit_grant_id_token_lifespan": "1h", "jwt_bearer_grant_access_token_lifespan": "1h",
        "refresh_token_grant_access_token_lifespan": "1h", "refresh_token_grant_id_token_lifespan": "1h",
        "refresh_token_grant_refresh_token_lifespan": "1h",
        "backchannel_logout_session_required": true, "backchannel_logout_uri": "https://app.example.com/bc",
        "frontchannel_logout_session_required": true, "frontchannel_logout_uri": "https://app.example.com/fc",
        "client_uri": "https://app.example.com", "contacts": ["ops@example.com"],
        "grant_types": ["authorization_code", "refresh_token", "implicit"],
        "response_types": ["code", "code id_token", "id_token token"],
        "jwks": {"keys": [{"kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0", "kid": "k1"}]},
        "logo_uri": "https://app.example.com/logo.png", "metadata": {"a": [1, 2, {"b": null}]},
        "owner": "team-a", "policy_uri": "https://app.example.com/privacy",
        "post_logout_redirect_uris": ["https://app.example.com/bye"], "redirect_uris": ["https://app.example.com/cb", "com.example.app:/cb"],
        "request_object_signing_alg": "RS256", "request_uris": ["https://app.example.com/req"],
        "scope": "openid offline_access profile",
        "skip_consent": true, "skip_logout_consent": true, "subject_type": "public",
        "token_endpoint_auth_method": "client_secret_post", "token_endpoint_auth_signing_alg": "ES256",
        "tos_uri": "https://app.example.com/tos", "userinfo_signed_response_alg": "RS256"
    });
    let r = s.post("/admin/clients", full.clone()).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let got: Value = s.get("/admin/clients/full").await.json().await.unwrap();
    for (k, v) in full.as_object().unwrap() {
        if k == "client_secret" {
            assert!(got.get(k).is_none());
        } else if k.ends_with("_lifespan") {
            // Shown as Hydra shows them, in Go's duration format.
            let go = latchkey::config::format_duration(
                latchkey::config::parse_duration(v.as_str().unwrap()).unwrap(),
            );
            assert_eq!(got[k], go, "field {k}");
        } else {
            assert_eq!(&got[k], v, "field {k}");
        }
    }
    s.stop().await;
}

async fn concurrent_writes(s: TestServer) {
    // SQLite must not fail with "database is locked" under concurrent writers.
    let mut tasks = Vec::new();
    for i in 0..40 {
        let http = s.http.clone();
        let url = format!("{}/admin/clients", s.admin);
        tasks.push(tokio::spawn(async move {
            http.post(url)
                .json(&json!({"client_id": format!("c{i}"), "client_secret": "concurrent-secret"}))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 201);
    }
    let all: Vec<Value> = s.get("/admin/clients").await.json().await.unwrap();
    assert_eq!(all.len(), 40);
    s.stop().await;
}

async fn cc(s: &TestServer, id: &str, secret: &str) -> u16 {
    s.http
        .post(format!("{}/oauth2/token", s.public))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn call(s: &TestServer, method: reqwest::Method, path: &str) -> (u16, Value) {
    let r = s
        .http
        .request(method, format!("{}{path}", s.admin))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// Hydra's client secret rotation: each rotation returns a new secret and keeps the previous
/// ones valid, five at most, newest first; deleting the rotated ones leaves only the current one;
/// a new secret set by PUT ends them too; never for clients without a secret.
async fn secret_rotation(s: TestServer) {
    use reqwest::Method;
    let r = s.post("/admin/clients", json!({"client_id": "svc", "client_secret": "secret-0", "grant_types": ["client_credentials"]})).await;
    assert_eq!(r.status(), 201);
    let mut secrets = vec!["secret-0".to_owned()];
    for _ in 0..6 {
        let (st, c) = call(&s, Method::POST, "/admin/clients/svc/secrets/rotate").await;
        assert_eq!(st, 200, "{c}");
        assert_eq!(c["client_id"], "svc");
        assert_eq!(
            c["grant_types"],
            json!(["client_credentials"]),
            "the rest stays"
        );
        let new = c["client_secret"].as_str().unwrap().to_owned();
        assert!(new.len() >= 32 && !secrets.contains(&new));
        secrets.push(new);
    }
    // Current + five rotated authenticate; the oldest (rotated six times ago) no longer does.
    assert_eq!(
        cc(&s, "svc", &secrets[0]).await,
        401,
        "only five rotated secrets stay valid"
    );
    for secret in &secrets[1..] {
        assert_eq!(cc(&s, "svc", secret).await, 200, "{secret}");
    }
    assert_eq!(cc(&s, "svc", "secret-x").await, 401);
    // At rest: hashes only, never the secrets.
    let row = s
        .state
        .db
        .client_store()
        .get_client("svc")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.rotated_secret_hashes.len(), 5);
    assert!(
        verify_secret(secrets[5].clone(), row.rotated_secret_hashes[0].clone()).await,
        "newest first"
    );
    assert!(
        !serde_json::to_string(&row.document)
            .unwrap()
            .contains(&secrets[6])
    );
    // GET never shows a secret.
    let (_, got) = call(&s, Method::GET, "/admin/clients/svc").await;
    assert!(got.get("client_secret").is_none(), "{got}");

    let (st, c) = call(&s, Method::DELETE, "/admin/clients/svc/secrets/rotate").await;
    assert_eq!(st, 200, "{c}");
    assert!(c.get("client_secret").is_none());
    for secret in &secrets[1..6] {
        assert_eq!(cc(&s, "svc", secret).await, 401, "rotated secrets deleted");
    }
    assert_eq!(
        cc(&s, "svc", &secrets[6]).await,
        200,
        "the current one stays"
    );

    // A PUT that keeps the secret keeps rotated ones; one that sets a new secret ends them.
    let (st, _) = call(&s, Method::POST, "/admin/clients/svc/secrets/rotate").await;
    assert_eq!(st, 200);
    let r = s
        .http
        .put(format!("{}/admin/clients/svc", s.admin))
        .json(&json!({"client_name": "renamed", "grant_types": ["client_credentials"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        cc(&s, "svc", &secrets[6]).await,
        200,
        "kept across a PUT without a secret"
    );
    let r = s
        .http
        .put(format!("{}/admin/clients/svc", s.admin))
        .json(&json!({"client_secret": "brand-new-secret", "grant_types": ["client_credentials"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        cc(&s, "svc", &secrets[6]).await,
        401,
        "a new secret ends the rotated ones"
    );
    assert_eq!(cc(&s, "svc", "brand-new-secret").await, 200);

    // Not for a client without a secret; unknown clients are 404.
    let r = s.post("/admin/clients", json!({"client_id": "spa", "token_endpoint_auth_method": "none", "grant_types": ["authorization_code"], "response_types": ["code"], "redirect_uris": ["https://spa.example/cb"]})).await;
    assert_eq!(r.status(), 201);
    for m in [Method::POST, Method::DELETE] {
        let (st, e) = call(&s, m.clone(), "/admin/clients/spa/secrets/rotate").await;
        assert_eq!(st, 400, "{e}");
        assert_eq!(e["error"], "invalid_request");
        assert!(
            e["error_description"].as_str().unwrap().contains("none"),
            "{e}"
        );
        let (st, e) = call(&s, m, "/admin/clients/nobody/secrets/rotate").await;
        assert_eq!(st, 404, "{e}");
    }
    s.stop().await;
}

crate::per_database!(server:
    secret_rotation,
    client_lifecycle,
    duplicate_ids_conflict,
    pagination,
    hydra_v1_paths,
    validation,
    every_field_round_trips,
    concurrent_writes
);

crate::test!(sqlite_runs_in_wal_mode);
async fn sqlite_runs_in_wal_mode() {
    use sea_orm::{ConnectionTrait, Statement};
    let s = TestServer::start(Backend::Sqlite).await.unwrap();
    let row = s
        .state
        .db
        .conn
        .query_one_raw(Statement::from_string(
            sea_orm::DatabaseBackend::Sqlite,
            "PRAGMA journal_mode",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<String>("", "journal_mode").unwrap(), "wal");
    let row = s
        .state
        .db
        .conn
        .query_one_raw(Statement::from_string(
            sea_orm::DatabaseBackend::Sqlite,
            "PRAGMA synchronous",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.try_get::<i32>("", "synchronous").unwrap(),
        2,
        "FULL: durable commits"
    );
    s.stop().await;
}

//! The SSRF guard (`clients.http.disallow_private_ip_ranges`, `clients.http.private_ip_exception_urls`,
//! Hydra's keys): client URLs that lead to internal addresses are refused at registration, and —
//! because DNS can change after registration — again when they are fetched: a client whose
//! `jwks_uri` names `localhost` (127.0.0.1) cannot authenticate with `private_key_jwt`, while the
//! same key set at an exempt URL works.

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{jwt_bearer::Signer, support::TestServer};

/// Serves `body` as JSON over plain HTTP on 127.0.0.1; returns the port.
pub async fn json_server(body: String) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let _ = tcp.read(&mut buf).await;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tcp.write_all(answer.as_bytes()).await;
            });
        }
    });
    port
}

pub async fn assertion_auth(s: &TestServer, key: &Signer, client: &str) -> (u16, Value) {
    let aud = format!("{}/oauth2/token", s.state.config.public_base());
    let now = crate::jwt_bearer::now();
    let a = key.sign(&json!({"iss": client, "sub": client, "aud": aud, "iat": now, "exp": now + 60, "jti": uuid::Uuid::new_v4().to_string()}));
    let r = s
        .token_request(
            None,
            &[
                ("grant_type", "client_credentials"),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", &a),
            ],
        )
        .await;
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// `key` is the one the local key server (on `port`) publishes.
async fn guarded(s: TestServer, key: Signer, port: u16) {
    let exempt = s.state.config.clients.http.private_ip_exception_urls[0].clone();

    // Registration: every fetched URL that leads inside is refused.
    for (field, body) in [
        (
            "jwks_uri",
            json!({"jwks_uri": format!("http://127.0.0.1:{port}/other.json"), "token_endpoint_auth_method": "private_key_jwt"}),
        ),
        (
            "jwks_uri",
            json!({"jwks_uri": format!("http://localhost:{port}/jwks.json"), "token_endpoint_auth_method": "private_key_jwt"}),
        ),
        (
            "backchannel_logout_uri",
            json!({"backchannel_logout_uri": "http://10.0.0.5/logout", "redirect_uris": ["https://rp.example/cb"]}),
        ),
        (
            "backchannel_logout_uri",
            json!({"backchannel_logout_uri": "http://169.254.169.254/latest/meta-data", "redirect_uris": ["https://rp.example/cb"]}),
        ),
        (
            "request_uris",
            json!({"request_uris": ["http://[::1]/request"]}),
        ),
        (
            "sector_identifier_uri",
            json!({"sector_identifier_uri": "https://192.168.0.1/sector.json", "redirect_uris": ["https://rp.example/cb"]}),
        ),
    ] {
        let r = s.post("/admin/clients", body.clone()).await;
        assert_eq!(r.status(), 400, "{body}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"], "invalid_client_metadata", "{e}");
        let d = e["error_description"].as_str().unwrap();
        assert!(d.contains(field) && d.contains("internal"), "{d}");
    }

    // The exempt URL registers and is fetched.
    let r = s
        .post(
            "/admin/clients",
            json!({"client_id": "exempt", "grant_types": ["client_credentials"], "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": exempt}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let (st, t) = assertion_auth(&s, &key, "exempt").await;
    assert_eq!(st, 200, "{t}");

    // A name that leads inside now (as after a DNS change since registration) is refused at
    // fetch time: the client is stored as if registered when the name resolved elsewhere.
    let doc = json!({"grant_types": ["client_credentials"], "token_endpoint_auth_method": "private_key_jwt",
                     "jwks_uri": format!("http://localhost:{port}/jwks.json"), "scope": "", "subject_type": "public"});
    s.state
        .db
        .client_store()
        .create_client(&latchkey::storage::StoredClient {
            id: "rebound".into(),
            secret_hash: None,
            rotated_secret_hashes: Vec::new(),
            registration_token_hash: None,
            client_name: String::new(),
            owner: String::new(),
            document: doc,
            created_at: 1,
            updated_at: 1,
        })
        .await
        .unwrap();
    let (st, e) = assertion_auth(&s, &key, "rebound").await;
    assert_eq!(
        (st, e["error"].as_str()),
        (401, Some("invalid_client")),
        "{e}"
    );
    assert!(
        e["error_description"]
            .as_str()
            .unwrap()
            .contains("jwks_uri"),
        "{e}"
    );
    s.stop().await;
}

async fn guard(backend: crate::support::Backend) {
    let Some(key) = Signer::new("ec", "k1") else {
        panic!("openssl is not available to make test keys");
    };
    let port = json_server(json!({"keys": [key.jwk()]}).to_string()).await;
    let Some(db) = crate::support::TestDb::create(backend).await else {
        panic!("{backend:?} is not configured");
    };
    let s = TestServer::start_with(db, |c| {
        c.clients.http.disallow_private_ip_ranges = true;
        c.clients.http.private_ip_exception_urls =
            vec![format!("http://127.0.0.1:{port}/jwks.json")];
    })
    .await;
    guarded(s, key, port).await;
}

crate::per_database!(needs: [Openssl]: guard);

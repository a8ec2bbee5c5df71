//! `private_key_jwt` client authentication (RFC 7523) through the token endpoint, with keys made
//! by openssl and assertions signed by jsonwebtoken, as a relying party would.

use jsonwebtoken::{Algorithm, EncodingKey, Header, jwk::Jwk};
use serde_json::{Value, json};

use crate::support::TestServer;

/// A fresh P-256 key as a PKCS#8 PEM, or `None` without openssl.
fn ec_key() -> Option<EncodingKey> {
    let out = std::process::Command::new("sh")
        .args([
            "-c",
            "openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt",
        ])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    EncodingKey::from_ec_pem(&out.stdout).ok()
}

fn public_jwk(key: &EncodingKey, kid: &str) -> Value {
    let mut jwk = Jwk::from_encoding_key(key, Algorithm::ES256).unwrap();
    jwk.common.key_id = Some(kid.into());
    serde_json::to_value(jwk).unwrap()
}

fn assertion(
    key: &EncodingKey,
    kid: &str,
    client: &str,
    aud: &str,
    exp_in: i64,
    jti: &str,
) -> String {
    let now = chrono::Utc::now().timestamp();
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(kid.into());
    let claims = json!({"iss": client, "sub": client, "aud": aud, "iat": now, "exp": now + exp_in, "jti": jti});
    jsonwebtoken::encode(&header, &claims, key).unwrap()
}

async fn with_assertion(s: &TestServer, a: &str) -> reqwest::Response {
    s.token_request(
        None,
        &[
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", a),
        ],
    )
    .await
}

async fn private_key_jwt(s: TestServer) {
    let (Some(key), Some(other)) = (ec_key(), ec_key()) else {
        panic!("openssl is not available to make test keys");
    };
    let r = s
        .post(
            "/admin/clients",
            json!({"client_id": "signer", "grant_types": ["client_credentials"], "token_endpoint_auth_method": "private_key_jwt",
                   "token_endpoint_auth_signing_alg": "ES256", "jwks": {"keys": [public_jwk(&key, "k1")]}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let aud = format!("{}/oauth2/token", s.state.config.public_base());

    let good = assertion(&key, "k1", "signer", &aud, 60, "jti-1");
    let r = with_assertion(&s, &good).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // Replay of the same assertion.
    let r = with_assertion(&s, &good).await;
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("already used"));
    // The issuer URL is an accepted audience too (the suite's
    // oidcc-ensure-client-assertion-with-iss-aud-succeeds).
    let r = with_assertion(
        &s,
        &assertion(
            &key,
            "k1",
            "signer",
            &s.state.config.urls.self_.issuer,
            60,
            "jti-2",
        ),
    )
    .await;
    assert_eq!(r.status(), 200);

    let failures = [
        (
            "expired",
            assertion(&key, "k1", "signer", &aud, -120, "jti-3"),
        ),
        (
            "too long-lived",
            assertion(&key, "k1", "signer", &aud, 7200, "jti-4"),
        ),
        (
            "wrong audience",
            assertion(
                &key,
                "k1",
                "signer",
                "https://elsewhere.example/token",
                60,
                "jti-5",
            ),
        ),
        (
            "unregistered key",
            assertion(&other, "k1", "signer", &aud, 60, "jti-6"),
        ),
        (
            "unknown client",
            assertion(&key, "k1", "nobody", &aud, 60, "jti-7"),
        ),
        ("not a JWT", "not-a-jwt".to_owned()),
    ];
    for (name, a) in failures {
        let r = with_assertion(&s, &a).await;
        assert_eq!(r.status(), 401, "{name}");
        assert_eq!(
            r.json::<Value>().await.unwrap()["error"],
            "invalid_client",
            "{name}"
        );
    }
    // No jti.
    let now = chrono::Utc::now().timestamp();
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("k1".into());
    let no_jti = jsonwebtoken::encode(
        &header,
        &json!({"iss": "signer", "sub": "signer", "aud": aud, "exp": now + 60}),
        &key,
    )
    .unwrap();
    assert_eq!(with_assertion(&s, &no_jti).await.status(), 401);
    // A private_key_jwt client cannot fall back to a secret, and a secret client cannot use an assertion.
    let r = s
        .token_request(
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "signer"),
                ("client_secret", "whatever"),
            ],
        )
        .await;
    assert_eq!(r.status(), 401);
    let r = s.post("/admin/clients", json!({"client_id": "secretive", "client_secret": "secretive-secret", "grant_types": ["client_credentials"]})).await;
    assert_eq!(r.status(), 201);
    let r = with_assertion(&s, &assertion(&key, "k1", "secretive", &aud, 60, "jti-8")).await;
    assert_eq!(r.status(), 401);
    // The wrong assertion type.
    let r = s
        .token_request(
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_assertion_type", "urn:other"),
                (
                    "client_assertion",
                    &assertion(&key, "k1", "signer", &aud, 60, "jti-9"),
                ),
            ],
        )
        .await;
    assert_eq!(r.status(), 400);
    s.stop().await;
}

/// The conformance suite's oidcc-registration-jwks-uri (keys registered by URL) and
/// oidcc-refresh-token-rp-key-rotation (the client rotates the keys at that URL; assertions signed
/// with the new key are accepted at once, as the set is read for each assertion).
async fn private_key_jwt_with_jwks_uri(s: TestServer) {
    let (Some(key), Some(rotated)) = (ec_key(), ec_key()) else {
        panic!("openssl is not available to make test keys");
    };
    // The client publishes its keys at a URL of its own.
    let jwks = std::sync::Arc::new(std::sync::Mutex::new(
        json!({"keys": [public_jwk(&key, "remote")]}),
    ));
    let served = jwks.clone();
    let app = poem::Route::new().at(
        "/jwks.json",
        poem::endpoint::make_sync(move |_| poem::web::Json(served.lock().unwrap().clone())),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = poem::listener::TcpAcceptor::from_tokio(listener).unwrap();
    let server = tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app));
    let r = s
        .post(
            "/admin/clients",
            json!({"client_id": "remote", "grant_types": ["client_credentials"], "token_endpoint_auth_method": "private_key_jwt",
                   "jwks_uri": format!("http://{addr}/jwks.json")}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let aud = format!("{}/oauth2/token", s.state.config.public_base());
    let r = with_assertion(&s, &assertion(&key, "remote", "remote", &aud, 60, "r-1")).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // A key id the set does not have.
    let r = with_assertion(&s, &assertion(&key, "absent", "remote", &aud, 60, "r-2")).await;
    assert_eq!(r.status(), 401);
    // The client rotates its keys: the new one works at once, the retired one no more.
    *jwks.lock().unwrap() = json!({"keys": [public_jwk(&rotated, "rotated")]});
    let r = with_assertion(
        &s,
        &assertion(&rotated, "rotated", "remote", &aud, 60, "r-3"),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = with_assertion(&s, &assertion(&key, "remote", "remote", &aud, 60, "r-4")).await;
    assert_eq!(r.status(), 401);
    server.abort();
    s.stop().await;
}

crate::per_database!(server, needs: [Openssl]: private_key_jwt, private_key_jwt_with_jwks_uri);

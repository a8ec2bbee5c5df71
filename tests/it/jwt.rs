//! RFC 9068 JWT access tokens: verified the way a resource server would, with jsonwebtoken and
//! the keys published at `/.well-known/jwks.json`; introspection, revocation and key rotation.

use jsonwebtoken::{DecodingKey, Validation, decode, decode_header, jwk::JwkSet};
use serde_json::{Value, json};

use crate::{
    keys::public_jwks,
    support::make_client,
    support::{Backend, TestDb, TestServer},
};

/// Verifies a JWT access token against the published keys, as a resource server does.
async fn verify(s: &TestServer, token: &str, audience: &str) -> Result<Value, String> {
    let header = decode_header(token).map_err(|e| e.to_string())?;
    assert_eq!(header.typ.as_deref(), Some("at+jwt"), "RFC 9068 §2.1");
    let set: JwkSet = serde_json::from_value(public_jwks(s).await).unwrap();
    let jwk = set
        .find(header.kid.as_deref().unwrap())
        .ok_or("kid not published")?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut v = Validation::new(header.alg);
    v.set_issuer(&["http://127.0.0.1:4444/"]);
    v.set_audience(&[audience]);
    decode::<Value>(token, &key, &v)
        .map(|d| d.claims)
        .map_err(|e| e.to_string())
}

async fn jwt_access_tokens(s: TestServer) {
    make_client(&s, json!({"client_id": "jwt-svc", "client_secret": "a-good-secret", "grant_types": ["client_credentials"], "scope": "read write", "audience": ["https://api.example.com"], "access_token_strategy": "jwt"})).await;
    make_client(&s, json!({"client_id": "other", "client_secret": "a-good-secret", "grant_types": ["client_credentials"], "access_token_strategy": "jwt"})).await;

    let t = s
        .client_credentials(
            "jwt-svc",
            "a-good-secret",
            &[
                ("scope", "read write"),
                ("audience", "https://api.example.com"),
            ],
        )
        .await;
    assert_eq!(t.matches('.').count(), 2, "{t}");
    let claims = verify(&s, &t, "https://api.example.com").await.unwrap();
    assert_eq!(
        claims["sub"], "jwt-svc",
        "client credentials: sub is the client (RFC 9068 §2.2)"
    );
    assert_eq!(claims["client_id"], "jwt-svc");
    assert_eq!(claims["scope"], "read write");
    assert_eq!(claims["scp"], json!(["read", "write"]));
    assert_eq!(claims["aud"], json!(["https://api.example.com"]));
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
    let t2 = s.client_credentials("jwt-svc", "a-good-secret", &[]).await;
    assert_ne!(decode_jti(&t2), claims["jti"], "jti is unique per token");

    // The signing key is the newest of hydra.jwt.access-token.
    let set = s
        .get("/admin/keys/hydra.jwt.access-token")
        .await
        .json::<Value>()
        .await
        .unwrap();
    let old_kid = set["keys"][0]["kid"].as_str().unwrap().to_owned();
    assert_eq!(
        decode_header(&t).unwrap().kid.as_deref(),
        Some(old_kid.as_str())
    );

    // Introspection and revocation work as for opaque tokens.
    let i = s.introspect(&t).await;
    assert_eq!(
        (
            i["active"].as_bool(),
            i["sub"].as_str(),
            i["scope"].as_str(),
            i["token_use"].as_str()
        ),
        (
            Some(true),
            Some("jwt-svc"),
            Some("read write"),
            Some("access_token")
        )
    );
    assert_eq!(i["aud"], json!(["https://api.example.com"]));
    let revoke = |id: &'static str, tok: String| {
        let s = &s;
        async move {
            s.http
                .post(format!("{}/oauth2/revoke", s.public))
                .basic_auth(id, Some("a-good-secret"))
                .form(&[("token", tok.as_str())])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        revoke("other", t.clone()).await,
        400,
        "another client's token"
    );
    assert_eq!(s.introspect(&t).await["active"], true);
    assert_eq!(revoke("jwt-svc", t.clone()).await, 200);
    assert_eq!(s.introspect(&t).await, json!({"active": false}));

    // Tampered and foreign tokens are inactive.
    let live = s
        .client_credentials("jwt-svc", "a-good-secret", &[("scope", "read")])
        .await;
    let parts: Vec<&str> = live.split('.').collect();
    let mut payload: Value = serde_json::from_slice(&b64d(parts[1])).unwrap();
    payload["scope"] = json!("read write admin");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64e(&serde_json::to_vec(&payload).unwrap()),
        parts[2]
    );
    assert_eq!(s.introspect(&tampered).await, json!({"active": false}));
    assert!(verify(&s, &tampered, "x").await.is_err());
    let foreign_key = latchkey::crypto::jwk::generate(
        latchkey::crypto::jwk::KeyAlg::Rs256,
        old_kid.clone(),
        "sig".into(),
    )
    .unwrap();
    let signer = latchkey::crypto::jwk::signing_key(&foreign_key).unwrap();
    let mut h = jsonwebtoken::Header::new(signer.alg);
    h.kid = Some(old_kid.clone());
    let forged = jsonwebtoken::encode(&h, &payload, &signer.key).unwrap();
    assert_eq!(s.introspect(&forged).await, json!({"active": false}));
    assert_eq!(s.introspect("a.b.c").await, json!({"active": false}));

    // Rotation: a new key signs new tokens; tokens of the old key stay valid while it is published.
    let r = s
        .post(
            "/admin/keys/hydra.jwt.access-token",
            json!({"alg": "ES256", "kid": "at-es", "use": "sig"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let new = s.client_credentials("jwt-svc", "a-good-secret", &[]).await;
    let h = decode_header(&new).unwrap();
    assert_eq!(
        (h.kid.as_deref(), h.alg),
        (Some("at-es"), jsonwebtoken::Algorithm::ES256)
    );
    verify(&s, &new, "x").await.unwrap_err(); // no audience in this token
    let mut v = Validation::new(h.alg);
    v.validate_aud = false;
    let set: JwkSet = serde_json::from_value(public_jwks(&s).await).unwrap();
    decode::<Value>(
        &new,
        &DecodingKey::from_jwk(set.find("at-es").unwrap()).unwrap(),
        &v,
    )
    .unwrap();
    assert_eq!(s.introspect(&live).await["active"], true);
    let del = s
        .http
        .delete(format!(
            "{}/admin/keys/hydra.jwt.access-token/{old_kid}",
            s.admin
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 204);
    assert_eq!(
        s.introspect(&live).await,
        json!({"active": false}),
        "its key is gone"
    );
    assert_eq!(s.introspect(&new).await["active"], true);
    s.stop().await;
}

fn b64d(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap()
}

fn b64e(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn decode_jti(token: &str) -> Value {
    let p: Value = serde_json::from_slice(&b64d(token.split('.').nth(1).unwrap())).unwrap();
    p["jti"].clone()
}

crate::per_database!(server: jwt_access_tokens);

crate::test!(global_strategy_and_client_override);
/// `strategies.access_token: jwt` makes JWTs the default; a client can still ask for opaque.
async fn global_strategy_and_client_override() {
    let db = TestDb::create(Backend::Sqlite).await.unwrap();
    let s = TestServer::start_with(db, |c| c.strategies.access_token = "jwt".into()).await;
    make_client(&s, json!({"client_id": "default", "client_secret": "a-good-secret", "grant_types": ["client_credentials"]})).await;
    make_client(&s, json!({"client_id": "opaque", "client_secret": "a-good-secret", "grant_types": ["client_credentials"], "access_token_strategy": "opaque"})).await;
    let jwt = s.client_credentials("default", "a-good-secret", &[]).await;
    assert!(decode_header(&jwt).is_ok(), "{jwt}");
    let opaque = s.client_credentials("opaque", "a-good-secret", &[]).await;
    assert!(opaque.starts_with("ory_at_"), "{opaque}");
    assert_eq!(s.introspect(&jwt).await["active"], true);
    assert_eq!(s.introspect(&opaque).await["active"], true);
    s.stop().await;
}

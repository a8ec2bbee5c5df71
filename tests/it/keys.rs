//! JSON Web Key sets through the admin API, `/.well-known/jwks.json`, sealing at rest, rotation.

use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::support::{TestServer, test_config};

const PRIVATE: [&str; 6] = ["d", "p", "q", "dp", "dq", "qi"];

async fn send(s: &TestServer, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = s
        .http
        .request(method.parse().unwrap(), format!("{}{path}", s.admin));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn kids(set: &Value) -> Vec<String> {
    set["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

pub async fn public_jwks(s: &TestServer) -> Value {
    let r = s
        .http
        .get(format!("{}/.well-known/jwks.json", s.public))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn key_sets(s: TestServer) {
    // Generate one key of each algorithm; the response carries the private key.
    let (st, ec) = send(
        &s,
        "POST",
        "/admin/keys/my-set",
        Some(json!({"alg": "ES256", "kid": "k1", "use": "sig"})),
    )
    .await;
    assert_eq!(st, 201, "{ec}");
    let k1 = ec["keys"][0].clone();
    assert_eq!(
        (
            k1["kty"].as_str(),
            k1["crv"].as_str(),
            k1["kid"].as_str(),
            k1["use"].as_str()
        ),
        (Some("EC"), Some("P-256"), Some("k1"), Some("sig"))
    );
    assert!(k1["d"].is_string() && k1["x"].is_string() && k1["y"].is_string());
    let (st, ed) = send(
        &s,
        "POST",
        "/admin/keys/my-set",
        Some(json!({"alg": "EdDSA"})),
    )
    .await;
    assert_eq!(st, 201, "{ed}");
    let ed_kid = ed["keys"][0]["kid"].as_str().unwrap().to_owned();
    assert!(
        uuid::Uuid::parse_str(&ed_kid).is_ok(),
        "a missing kid becomes a UUID"
    );
    assert_eq!(ed["keys"][0]["crv"], "Ed25519");
    let (st, rs) = send(
        &s,
        "POST",
        "/admin/keys/my-set",
        Some(json!({"alg": "RS256", "kid": "r1", "use": "sig"})),
    )
    .await;
    assert_eq!(st, 201, "{rs}");
    for p in PRIVATE.iter().chain(&["n", "e"]) {
        assert!(rs["keys"][0][p].is_string(), "RSA key lacks {p}");
    }

    // Bad requests change nothing.
    for (body, why) in [
        (
            json!({"alg": "ES256", "kid": "k1", "use": "sig"}),
            "duplicate kid",
        ),
        (
            json!({"alg": "HS256", "kid": "h", "use": "sig"}),
            "symmetric",
        ),
        (
            json!({"alg": "ES384", "kid": "h", "use": "sig"}),
            "unsupported alg",
        ),
        (
            json!({"alg": "ES256", "kid": "h", "use": "sign"}),
            "bad use",
        ),
        (json!({"alg": 256}), "wrong type"),
    ] {
        let (st, e) = send(&s, "POST", "/admin/keys/my-set", Some(body)).await;
        assert_eq!(
            st,
            if why == "duplicate kid" { 409 } else { 400 },
            "{why}: {e}"
        );
        assert!(e["error_description"].is_string(), "{why}: {e}");
    }
    let (st, e) = send(
        &s,
        "POST",
        "/admin/keys/bad%20set",
        Some(json!({"alg": "ES256"})),
    )
    .await;
    assert_eq!(st, 400, "{e}");

    // The set lists newest first, private parameters included; one key is a set of one.
    let (st, set) = send(&s, "GET", "/admin/keys/my-set", None).await;
    assert_eq!(st, 200);
    assert_eq!(
        kids(&set),
        vec!["r1".to_owned(), ed_kid.clone(), "k1".to_owned()]
    );
    assert_eq!(set["keys"][2], k1, "a key reads back exactly as generated");
    let (st, one) = send(&s, "GET", "/admin/keys/my-set/k1", None).await;
    assert_eq!((st, one), (200, json!({"keys": [k1.clone()]})));
    // Hydra v1 paths.
    let (st, v1) = send(&s, "GET", "/keys/my-set/k1", None).await;
    assert_eq!((st, kids(&v1)), (200, vec!["k1".to_owned()]));

    // At rest every key is sealed: no private (or public) parameter appears in the table.
    let rows = latchkey::storage::entities::jwk::Entity::find()
        .all(&s.state.db.conn)
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    for row in &rows {
        assert!(row.sealed.starts_with("v1."));
        for key in set["keys"].as_array().unwrap() {
            for p in ["d", "p", "q", "x", "n"] {
                if let Some(v) = key[p].as_str() {
                    assert!(
                        !row.sealed.contains(&v[..16]),
                        "{p} of {} stored in clear",
                        key["kid"]
                    );
                }
            }
        }
    }

    // PUT one key: its public part replaces it; a mismatched or inconsistent key is refused.
    let public_k1 = json!({"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": "k1", "x": k1["x"], "y": k1["y"]});
    let (st, put) = send(&s, "PUT", "/admin/keys/my-set/k1", Some(public_k1.clone())).await;
    assert_eq!((st, put), (200, public_k1.clone()));
    let (_, one) = send(&s, "GET", "/admin/keys/my-set/k1", None).await;
    assert!(one["keys"][0].get("d").is_none());
    let (st, _) = send(
        &s,
        "PUT",
        "/admin/keys/my-set/other",
        Some(public_k1.clone()),
    )
    .await;
    assert_eq!(st, 400, "kid in body and path differ");
    let mut mixed = k1.clone();
    mixed["d"] = rs["keys"][0]["d"].clone();
    let (st, _) = send(&s, "PUT", "/admin/keys/my-set/k1", Some(mixed)).await;
    assert_eq!(st, 400, "private part of another key");
    let mut bad_rsa = rs["keys"][0].clone();
    bad_rsa["p"] = rs["keys"][0]["q"].clone();
    let (st, _) = send(&s, "PUT", "/admin/keys/my-set/r1", Some(bad_rsa)).await;
    assert_eq!(st, 400, "inconsistent RSA key");

    // PUT a whole set: the first key given is the newest.
    let (st, _) = send(
        &s,
        "PUT",
        "/admin/keys/imported",
        Some(json!({"keys": [rs["keys"][0], k1]})),
    )
    .await;
    assert_eq!(st, 200);
    let (_, imported) = send(&s, "GET", "/admin/keys/imported", None).await;
    assert_eq!(kids(&imported), vec!["r1", "k1"]);
    let (st, _) = send(
        &s,
        "PUT",
        "/admin/keys/imported",
        Some(json!({"keys": [k1, k1]})),
    )
    .await;
    assert_eq!(st, 400, "duplicate kids in a set");

    // Deleting.
    assert_eq!(
        send(&s, "DELETE", "/admin/keys/my-set/k1", None).await.0,
        204
    );
    // Deleting what is not there is done already (Hydra answers 204 too).
    assert_eq!(
        send(&s, "DELETE", "/admin/keys/my-set/k1", None).await.0,
        204
    );
    assert_eq!(send(&s, "GET", "/admin/keys/my-set/k1", None).await.0, 404);
    assert_eq!(send(&s, "DELETE", "/admin/keys/my-set", None).await.0, 204);
    let (st, e) = send(&s, "GET", "/admin/keys/my-set", None).await;
    assert_eq!(st, 404);
    assert_eq!(e["error"], "not_found");
    assert_eq!(send(&s, "DELETE", "/admin/keys/my-set", None).await.0, 204);
    s.stop().await;
}

async fn published_keys_and_rotation(s: TestServer) {
    // Concurrent first fetches create one key per reserved set, not one per request.
    let fetches = futures_util::future::join_all((0..4).map(|_| public_jwks(&s))).await;
    let first = &fetches[0];
    for f in &fetches {
        assert_eq!(f, first);
    }
    let keys = first["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "{first}");
    for k in keys {
        assert_eq!(
            (k["kty"].as_str(), k["alg"].as_str(), k["use"].as_str()),
            (Some("RSA"), Some("RS256"), Some("sig"))
        );
        for p in PRIVATE {
            assert!(k.get(p).is_none(), "jwks.json publishes {p}");
        }
    }
    let (_, id_set) = send(&s, "GET", "/admin/keys/hydra.openid.id-token", None).await;
    let (_, at_set) = send(&s, "GET", "/admin/keys/hydra.jwt.access-token", None).await;
    let old_at = kids(&at_set)[0].clone();
    assert_eq!(kids(first), vec![kids(&id_set)[0].clone(), old_at.clone()]);

    // Rotation: a new key is published ahead of the old one, which stays until deleted.
    let (st, created) = send(
        &s,
        "POST",
        "/admin/keys/hydra.jwt.access-token",
        Some(json!({"alg": "ES256", "kid": "at-2", "use": "sig"})),
    )
    .await;
    assert_eq!(st, 201, "{created}");
    let after = public_jwks(&s).await;
    assert_eq!(kids(&after)[1..], ["at-2".to_owned(), old_at.clone()]);
    assert_eq!(
        send(
            &s,
            "DELETE",
            &format!("/admin/keys/hydra.jwt.access-token/{old_at}"),
            None
        )
        .await
        .0,
        204
    );
    assert_eq!(kids(&public_jwks(&s).await)[1..], ["at-2".to_owned()]);
    s.stop().await;
}

crate::per_database!(server: key_sets, published_keys_and_rotation);

crate::test!(keys_survive_secret_rotation);
/// Keys sealed under an old secret open after a new secret is prepended.
async fn keys_survive_secret_rotation() {
    let db = crate::support::TestDb::create(crate::support::Backend::Sqlite)
        .await
        .unwrap();
    let s = TestServer::start_on(db).await;
    let (st, created) = send(
        &s,
        "POST",
        "/admin/keys/mine",
        Some(json!({"alg": "EdDSA", "kid": "e1", "use": "sig"})),
    )
    .await;
    assert_eq!(st, 201);
    let db = s.stop_keep_db().await;
    let old = test_config(&db.dsn).secrets.system;
    let s = TestServer::start_with(db, |c| {
        c.secrets.system = vec![latchkey::config::Secret(
            "a-brand-new-secret-0123456789".into(),
        )];
        c.secrets.system.extend(old);
    })
    .await;
    let (st, got) = send(&s, "GET", "/admin/keys/mine/e1", None).await;
    assert_eq!((st, got), (200, created));
    s.stop().await;
}

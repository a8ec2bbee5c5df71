//! The JWT-bearer authorization grant (RFC 7523 §2.1) and its trust relationships
//! (`/admin/trust/grants/jwt-bearer/issuers`): keys made by openssl (P-256 and RSA), assertions
//! signed by jsonwebtoken as an external identity provider would, every refusal RFC 7523 §3 asks
//! for, and the issued token's introspection.

use jsonwebtoken::{Algorithm, EncodingKey, Header, jwk::Jwk};
use serde_json::{Value, json};

use crate::support::TestServer;

pub const GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
pub const IDP: &str = "https://idp.example.com";

/// A fresh key made by openssl (`ec` P-256 or `rsa` 2048), or `None` without openssl.
pub fn openssl_key(kind: &str) -> Option<EncodingKey> {
    let cmd = match kind {
        "ec" => "openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt",
        _ => "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null",
    };
    let out = std::process::Command::new("sh")
        .args(["-c", cmd])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    match kind {
        "ec" => EncodingKey::from_ec_pem(&out.stdout).ok(),
        _ => EncodingKey::from_rsa_pem(&out.stdout).ok(),
    }
}

/// A signing key and what goes with it.
pub struct Signer {
    pub key: EncodingKey,
    pub alg: Algorithm,
    pub kid: String,
}

impl Signer {
    pub fn new(kind: &str, kid: &str) -> Option<Signer> {
        let alg = if kind == "ec" {
            Algorithm::ES256
        } else {
            Algorithm::RS256
        };
        Some(Signer {
            key: openssl_key(kind)?,
            alg,
            kid: kid.into(),
        })
    }

    /// The public JWK, as the identity provider would publish it.
    pub fn jwk(&self) -> Value {
        let mut jwk = Jwk::from_encoding_key(&self.key, self.alg).unwrap();
        jwk.common.key_id = Some(self.kid.clone());
        let mut v = serde_json::to_value(jwk).unwrap();
        v["use"] = json!("sig");
        v["alg"] = json!(format!("{:?}", self.alg));
        v
    }

    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.key).unwrap()
    }
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn jti() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Claims of a good assertion from the identity provider about `sub`, for `aud`.
pub fn claims(iss: &str, sub: &str, aud: &str) -> Value {
    let now = now();
    json!({"iss": iss, "sub": sub, "aud": aud, "iat": now, "exp": now + 300, "jti": jti()})
}

fn in_hours(h: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(h))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub async fn trust(s: &TestServer, body: Value) -> (u16, Value, Option<String>) {
    let r = s.post("/admin/trust/grants/jwt-bearer/issuers", body).await;
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    (status, r.json().await.unwrap_or(Value::Null), location)
}

async fn exchange(s: &TestServer, assertion: &str, scope: &str) -> (u16, Value) {
    let mut form = vec![("grant_type", GRANT), ("assertion", assertion)];
    if !scope.is_empty() {
        form.push(("scope", scope));
    }
    let r = s.token_request(Some(("svc", "svc-secret")), &form).await;
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// Asserts a refusal with `error` and a description containing `says`.
async fn refused(s: &TestServer, assertion: &str, scope: &str, error: &str, says: &str) {
    let (st, e) = exchange(s, assertion, scope).await;
    assert_eq!((st, e["error"].as_str()), (400, Some(error)), "{says}: {e}");
    let d = e["error_description"].as_str().unwrap_or_default();
    assert!(d.contains(says), "expected {says:?} in {d:?}");
}

async fn jwt_bearer_grant(s: TestServer) {
    let (Some(ec), Some(rsa), Some(stranger)) = (
        Signer::new("ec", "ec-1"),
        Signer::new("rsa", "rsa-1"),
        Signer::new("ec", "ec-1"),
    ) else {
        panic!("openssl is not available to make test keys");
    };
    let r = s
        .post(
            "/admin/clients",
            json!({"client_id": "svc", "client_secret": "svc-secret", "grant_types": [GRANT, "client_credentials"],
                   "audience": ["https://api.example.com"]}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let aud = format!("{}/oauth2/token", s.state.config.public_base());

    // The identity provider's EC key may assert alice, for read and write.
    let (st, t, location) = trust(
        &s,
        json!({"issuer": IDP, "subject": "alice", "scope": ["read", "write"], "jwk": ec.jwk(), "expires_at": in_hours(1)}),
    )
    .await;
    assert_eq!(st, 201, "{t}");
    let id = t["id"].as_str().unwrap().to_owned();
    assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 4);
    assert_eq!(
        location.as_deref(),
        Some(format!("/admin/trust/grants/jwt-bearer/issuers/{id}").as_str())
    );
    assert_eq!(t["issuer"], IDP);
    assert_eq!(t["subject"], "alice");
    assert_eq!(t["allow_any_subject"], false);
    assert_eq!(t["scope"], json!(["read", "write"]));
    assert_eq!(t["public_key"], json!({"set": IDP, "kid": "ec-1"}));
    assert!(chrono::DateTime::parse_from_rfc3339(t["created_at"].as_str().unwrap()).is_ok());
    assert!(chrono::DateTime::parse_from_rfc3339(t["expires_at"].as_str().unwrap()).is_ok());
    // The RSA key may assert anyone, for read only.
    let (st, t2, _) = trust(
        &s,
        json!({"issuer": IDP, "allow_any_subject": true, "scope": ["read"], "jwk": rsa.jwk(), "expires_at": in_hours(1)}),
    )
    .await;
    assert_eq!(st, 201, "{t2}");
    assert_eq!(t2["subject"], "");

    // Success with each key: the token's subject is the assertion's.
    let (st, tok) = exchange(&s, &ec.sign(&claims(IDP, "alice", &aud)), "read write").await;
    assert_eq!(st, 200, "{tok}");
    assert_eq!(tok["token_type"], "bearer");
    assert_eq!(tok["scope"], "read write");
    assert!(
        (3590..=3600).contains(&tok["expires_in"].as_i64().unwrap()),
        "{tok}"
    );
    assert!(
        tok.get("refresh_token").is_none() && tok.get("id_token").is_none(),
        "{tok}"
    );
    let i = s.introspect(tok["access_token"].as_str().unwrap()).await;
    assert_eq!(i["active"], true, "{i}");
    assert_eq!(i["sub"], "alice");
    assert_eq!(i["client_id"], "svc");
    assert_eq!(i["scope"], "read write");
    assert_eq!(i["token_use"], "access_token");
    assert_eq!(
        i["aud"],
        json!([]),
        "the assertion's aud stays out (omit_assertion_audience)"
    );
    let (st, tok) = exchange(&s, &rsa.sign(&claims(IDP, "bob", &aud)), "read").await;
    assert_eq!(st, 200, "{tok}");
    assert_eq!(
        s.introspect(tok["access_token"].as_str().unwrap()).await["sub"],
        "bob"
    );
    // An audience the client may request.
    let mut form = vec![
        ("grant_type", GRANT),
        ("audience", "https://api.example.com"),
    ];
    let a = ec.sign(&claims(IDP, "alice", &aud));
    form.push(("assertion", &a));
    let r = s.token_request(Some(("svc", "svc-secret")), &form).await;
    let tok: Value = r.json().await.unwrap();
    let i = s.introspect(tok["access_token"].as_str().unwrap()).await;
    assert_eq!(i["aud"], json!(["https://api.example.com"]), "{i}");

    // Every refusal.
    let c = |f: &dyn Fn(&mut Value)| {
        let mut v = claims(IDP, "alice", &aud);
        f(&mut v);
        v
    };
    let t = now();
    refused(&s, "not-a-jwt", "", "invalid_grant", "Unable to parse").await;
    refused(
        &s,
        &ec.sign(&c(&|v| {
            v.as_object_mut().unwrap().remove("iss");
        })),
        "",
        "invalid_grant",
        "\"iss\"",
    )
    .await;
    refused(
        &s,
        &ec.sign(&c(&|v| {
            v.as_object_mut().unwrap().remove("sub");
        })),
        "",
        "invalid_grant",
        "\"sub\"",
    )
    .await;
    refused(
        &s,
        &ec.sign(&c(&|v| v["iss"] = json!("https://other-idp.example"))),
        "",
        "invalid_grant",
        "No public JWK was registered",
    )
    .await;
    refused(&s, &ec.sign(&c(&|v| v["sub"] = json!("mallory"))), "", "invalid_grant", "No public JWK was registered for issuer \"https://idp.example.com\" and subject \"mallory\"").await;
    refused(
        &s,
        &stranger.sign(&claims(IDP, "alice", &aud)),
        "",
        "invalid_grant",
        "Unable to verify",
    )
    .await;
    // An HMAC under the trusted key's id (alg confusion) is never accepted.
    let hs = {
        let mut h = Header::new(Algorithm::HS256);
        h.kid = Some("ec-1".into());
        jsonwebtoken::encode(
            &h,
            &claims(IDP, "alice", &aud),
            &EncodingKey::from_secret(ec.jwk()["x"].as_str().unwrap().as_bytes()).unwrap(),
        )
        .unwrap()
    };
    refused(&s, &hs, "", "invalid_grant", "Unable to verify").await;
    refused(
        &s,
        &ec.sign(&c(&|v| {
            v.as_object_mut().unwrap().remove("aud");
        })),
        "",
        "invalid_grant",
        "\"aud\"",
    )
    .await;
    refused(
        &s,
        &ec.sign(&c(&|v| {
            v["aud"] = json!("https://someone-else.example/token")
        })),
        "",
        "invalid_grant",
        "identifies the authorization server",
    )
    .await;
    refused(
        &s,
        &ec.sign(&c(&|v| {
            v.as_object_mut().unwrap().remove("exp");
        })),
        "",
        "invalid_grant",
        "\"exp\"",
    )
    .await;
    refused(
        &s,
        &ec.sign(&c(&|v| {
            v["exp"] = json!(t - 10);
            v["iat"] = json!(t - 60);
        })),
        "",
        "invalid_grant",
        "expired",
    )
    .await;
    refused(
        &s,
        &ec.sign(&c(&|v| v["nbf"] = json!(t + 120))),
        "",
        "invalid_grant",
        "\"nbf\"",
    )
    .await;
    refused(
        &s,
        &ec.sign(&c(&|v| {
            v.as_object_mut().unwrap().remove("iat");
        })),
        "",
        "invalid_grant",
        "\"iat\"",
    )
    .await;
    refused(
        &s,
        &ec.sign(&c(&|v| {
            v["iat"] = json!(t + 3600);
            v["exp"] = json!(t + 3900);
        })),
        "",
        "invalid_grant",
        "in the future",
    )
    .await;
    refused(
        &s,
        &ec.sign(&c(&|v| v["exp"] = json!(t + 721 * 3600))),
        "",
        "invalid_grant",
        "unreasonably far in the future",
    )
    .await;
    refused(
        &s,
        &ec.sign(&c(&|v| {
            v.as_object_mut().unwrap().remove("jti");
        })),
        "",
        "invalid_grant",
        "\"jti\"",
    )
    .await;
    refused(
        &s,
        &ec.sign(&claims(IDP, "alice", &aud)),
        "read admin",
        "invalid_scope",
        "\"admin\"",
    )
    .await;
    refused(
        &s,
        &rsa.sign(&claims(IDP, "bob", &aud)),
        "write",
        "invalid_scope",
        "\"write\"",
    )
    .await;
    // A jti is single use (per issuer), whatever the outcome of the first use.
    let once = ec.sign(&claims(IDP, "alice", &aud));
    assert_eq!(exchange(&s, &once, "read").await.0, 200);
    refused(&s, &once, "read", "invalid_grant", "already used").await;

    // The grant needs the client to list it, and the client to authenticate.
    let r = s.post("/admin/clients", json!({"client_id": "other", "client_secret": "other-secret", "grant_types": ["client_credentials"]})).await;
    assert_eq!(r.status(), 201);
    let a = ec.sign(&claims(IDP, "alice", &aud));
    let r = s
        .token_request(
            Some(("other", "other-secret")),
            &[("grant_type", GRANT), ("assertion", &a)],
        )
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "unauthorized_client"
    );
    let r = s
        .token_request(
            Some(("svc", "wrong-secret")),
            &[("grant_type", GRANT), ("assertion", &a)],
        )
        .await;
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_client");
    let r = s
        .token_request(None, &[("grant_type", GRANT), ("assertion", &a)])
        .await;
    assert_eq!(r.status(), 401, "no client authentication");
    let r = s
        .token_request(Some(("svc", "svc-secret")), &[("grant_type", GRANT)])
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");

    // The client's own lifespan for this grant.
    let r = s
        .http
        .put(format!("{}/admin/clients/svc/lifespans", s.admin))
        .json(&json!({"jwt_bearer_grant_access_token_lifespan": "5m"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (st, tok) = exchange(&s, &ec.sign(&claims(IDP, "alice", &aud)), "read").await;
    assert_eq!(st, 200);
    assert!(
        (290..=300).contains(&tok["expires_in"].as_i64().unwrap()),
        "{tok}"
    );
    let i = s.introspect(tok["access_token"].as_str().unwrap()).await;
    assert!(
        (290..=300).contains(&(i["exp"].as_i64().unwrap() - i["iat"].as_i64().unwrap())),
        "{i}"
    );

    // An expired relationship no longer trusts; a deleted one neither.
    let (late, gone) = (
        Signer::new("ec", "late-1").expect("openssl"),
        Signer::new("ec", "gone-1").expect("openssl"),
    );
    let past = (chrono::Utc::now() - chrono::Duration::seconds(5)).to_rfc3339();
    let (st, _, _) = trust(&s, json!({"issuer": IDP, "subject": "carol", "scope": ["read"], "jwk": late.jwk(), "expires_at": past})).await;
    assert_eq!(st, 201);
    refused(
        &s,
        &late.sign(&claims(IDP, "carol", &aud)),
        "",
        "invalid_grant",
        "No public JWK",
    )
    .await;
    let (st, g, _) = trust(&s, json!({"issuer": IDP, "subject": "dave", "scope": ["read"], "jwk": gone.jwk(), "expires_at": in_hours(1)})).await;
    assert_eq!(st, 201);
    assert_eq!(
        exchange(&s, &gone.sign(&claims(IDP, "dave", &aud)), "")
            .await
            .0,
        200
    );
    let path = format!(
        "/admin/trust/grants/jwt-bearer/issuers/{}",
        g["id"].as_str().unwrap()
    );
    let r = s
        .http
        .delete(format!("{}{path}", s.admin))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    refused(
        &s,
        &gone.sign(&claims(IDP, "dave", &aud)),
        "",
        "invalid_grant",
        "No public JWK",
    )
    .await;
    assert_eq!(s.get(&path).await.status(), 404);
    let r = s
        .http
        .delete(format!("{}{path}", s.admin))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    s.stop().await;
}

async fn trust_relationships_admin_api(s: TestServer) {
    let Some(ec) = Signer::new("ec", "k-1") else {
        panic!("openssl is not available to make test keys");
    };
    let base = "/admin/trust/grants/jwt-bearer/issuers";
    let good = |issuer: &str, kid: &str| {
        let mut jwk = ec.jwk();
        jwk["kid"] = json!(kid);
        json!({"issuer": issuer, "subject": "alice", "scope": ["read"], "jwk": jwk, "expires_at": in_hours(2)})
    };
    let mut ids = Vec::new();
    for (issuer, kid) in [
        ("https://a.example", "k-1"),
        ("https://a.example", "k-2"),
        ("https://b.example", "k-1"),
    ] {
        let (st, t, _) = trust(&s, good(issuer, kid)).await;
        assert_eq!(st, 201, "{t}");
        ids.push(t["id"].as_str().unwrap().to_owned());
    }
    // One relationship per issuer, subject and key.
    let (st, e, _) = trust(&s, good("https://a.example", "k-1")).await;
    assert_eq!(st, 409, "{e}");

    // Get one; list all, by issuer, a page at a time.
    let r = s.get(&format!("{base}/{}", ids[0])).await;
    assert_eq!(r.status(), 200);
    let got: Value = r.json().await.unwrap();
    assert_eq!(got["public_key"]["kid"], "k-1");
    let all: Vec<Value> = s.get(base).await.json().await.unwrap();
    assert_eq!(all.len(), 3);
    let a: Vec<Value> = s
        .get(&format!("{base}?issuer=https%3A%2F%2Fa.example"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(a.len(), 2);
    assert!(a.iter().all(|t| t["issuer"] == "https://a.example"));
    let mut seen = Vec::new();
    let mut next = Some(format!("{base}?page_size=2"));
    while let Some(url) = next.take() {
        let r = s.get(&url).await;
        assert_eq!(r.status(), 200);
        let link = r.headers()["link"].to_str().unwrap().to_owned();
        let page: Vec<Value> = r.json().await.unwrap();
        assert!(page.len() <= 2);
        seen.extend(
            page.into_iter()
                .map(|t| t["id"].as_str().unwrap().to_owned()),
        );
        next = link
            .split(',')
            .find(|l| l.contains("rel=\"next\""))
            .map(|l| {
                l.trim()
                    .trim_start_matches('<')
                    .split('>')
                    .next()
                    .unwrap()
                    .to_owned()
            });
    }
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "every relationship once, in id order");

    // A private key (as a careless operator might send it) is reduced to its public part.
    let private = latchkey::crypto::jwk::generate(
        latchkey::crypto::jwk::KeyAlg::Es256,
        "priv-1".into(),
        "sig".into(),
    )
    .unwrap();
    assert!(private.d.is_some());
    let jwk = serde_json::to_value(&private).unwrap();
    let (st, t, _) = trust(&s, json!({"issuer": "https://c.example", "subject": "x", "jwk": jwk, "expires_at": in_hours(1)})).await;
    assert_eq!(st, 201, "{t}");
    let row = s
        .state
        .db
        .trust_store()
        .get_trust(t["id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(
        row.jwk.get("d").is_none(),
        "only public parameters are kept: {}",
        row.jwk
    );
    assert_eq!(t["scope"], json!([]));

    // Refused input.
    let bad = [
        (
            json!({"subject": "x", "jwk": ec.jwk(), "expires_at": in_hours(1)}),
            400,
            "issuer",
        ),
        (
            json!({"issuer": "", "subject": "x", "jwk": ec.jwk(), "expires_at": in_hours(1)}),
            400,
            "missing_required_parameter",
        ),
        (
            json!({"issuer": "https://d.example", "jwk": ec.jwk(), "expires_at": in_hours(1)}),
            400,
            "missing_required_parameter",
        ),
        (
            json!({"issuer": "https://d.example", "subject": "x", "allow_any_subject": true, "jwk": ec.jwk(), "expires_at": in_hours(1)}),
            400,
            "missing_required_parameter",
        ),
        (
            json!({"issuer": "https://d.example", "subject": "x", "jwk": ec.jwk()}),
            400,
            "expires_at",
        ),
        (
            json!({"issuer": "https://d.example", "subject": "x", "jwk": {"kty": "oct", "k": "c2VjcmV0", "kid": "h", "alg": "HS256", "use": "sig"}, "expires_at": in_hours(1)}),
            400,
            "invalid_request",
        ),
        (
            json!({"issuer": "https://d.example", "subject": "x", "jwk": {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA", "kid": "bad", "alg": "ES256", "use": "sig"}, "expires_at": in_hours(1)}),
            400,
            "invalid_request",
        ),
        (
            json!({"issuer": "https://d.example", "subject": "x", "scope": ["a b"], "jwk": ec.jwk(), "expires_at": in_hours(1)}),
            400,
            "invalid_request",
        ),
    ];
    for (body, status, says) in bad {
        let (st, e, _) = trust(&s, body.clone()).await;
        assert_eq!(st, status, "{body}: {e}");
        assert!(e.to_string().contains(says), "{says:?} in {e}");
    }
    let mut no_kid = ec.jwk();
    no_kid["kid"] = json!("");
    let (st, e, _) = trust(&s, json!({"issuer": "https://d.example", "subject": "x", "jwk": no_kid, "expires_at": in_hours(1)})).await;
    assert_eq!(
        (st, e["error"].as_str()),
        (400, Some("missing_required_parameter")),
        "{e}"
    );
    for path in [
        format!("{base}/not-a-uuid"),
        format!("{base}/{}", uuid::Uuid::new_v4()),
    ] {
        assert_eq!(s.get(&path).await.status(), 404, "{path}");
    }
    s.stop().await;
}

crate::per_database!(server, needs: [Openssl]: jwt_bearer_grant, trust_relationships_admin_api);

crate::test!(optional_claims_and_assertion_audience_by_config, needs: [Openssl]);
/// Hydra's optional claims and the legacy audience behaviour, by configuration.
async fn optional_claims_and_assertion_audience_by_config() {
    let Some(ec) = Signer::new("ec", "ec-1") else {
        panic!("openssl is not available to make test keys");
    };
    let db = crate::support::TestDb::create(crate::support::Backend::Sqlite)
        .await
        .unwrap();
    let s = TestServer::start_with(db, |c| {
        c.oauth2.grant.jwt.jti_optional = true;
        c.oauth2.grant.jwt.iat_optional = true;
        c.oauth2.grant.jwt.max_ttl = "1h".parse().unwrap();
        c.oauth2.grant.jwt.omit_assertion_audience = false;
    })
    .await;
    let r = s
        .post(
            "/admin/clients",
            json!({"client_id": "svc", "client_secret": "svc-secret", "grant_types": [GRANT]}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let (st, _, _) = trust(&s, json!({"issuer": IDP, "subject": "alice", "scope": ["read"], "jwk": ec.jwk(), "expires_at": in_hours(1)})).await;
    assert_eq!(st, 201);
    let aud = format!("{}/oauth2/token", s.state.config.public_base());
    let t = now();
    let bare =
        json!({"iss": IDP, "sub": "alice", "aud": [aud, "https://extra.example"], "exp": t + 300});
    let (st, tok) = exchange(&s, &ec.sign(&bare), "read").await;
    assert_eq!(st, 200, "no jti, no iat: {tok}");
    let i = s.introspect(tok["access_token"].as_str().unwrap()).await;
    assert_eq!(
        i["aud"],
        json!([aud, "https://extra.example"]),
        "the assertion's aud is copied in: {i}"
    );
    // Without a jti nothing prevents reuse: the same assertion works again (what the key warns of).
    assert_eq!(exchange(&s, &ec.sign(&bare), "read").await.0, 200);
    // max_ttl is 1h here.
    let long = json!({"iss": IDP, "sub": "alice", "aud": aud, "iat": t, "exp": t + 7200});
    refused(&s, &ec.sign(&long), "", "invalid_grant", "unreasonably far").await;
    s.stop().await;
}

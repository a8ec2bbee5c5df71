//! The token endpoint with the client credentials grant, introspection, revocation and token
//! deletion, through real HTTP; secret rotation across restarts.

use serde_json::{Value, json};

use crate::support::{TestServer, cli, make_client};

async fn assert_oauth_error(r: reqwest::Response, status: u16, code: &str) {
    assert_eq!(r.status().as_u16(), status);
    assert_eq!(r.headers().get("cache-control").unwrap(), "no-store");
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"], code, "{e}");
    assert!(!e["error_description"].as_str().unwrap().is_empty());
}

async fn client_credentials(s: TestServer) {
    make_client(&s, json!({"client_id": "svc", "client_secret": "svc-secret", "grant_types": ["client_credentials"], "scope": "read write photos.*", "audience": ["https://api.example.com"]})).await;
    make_client(&s, json!({"client_id": "poster", "client_secret": "poster-secret", "grant_types": ["client_credentials"], "token_endpoint_auth_method": "client_secret_post", "client_credentials_grant_access_token_lifespan": "5m"})).await;
    make_client(&s, json!({"client_id": "web", "client_secret": "web-secret", "grant_types": ["authorization_code"]})).await;
    make_client(&s, json!({"client_id": "spa", "token_endpoint_auth_method": "none", "grant_types": ["authorization_code"]})).await;

    // client_secret_basic, with scope (wildcard strategy) and audience.
    let r = s
        .token_request(
            Some(("svc", "svc-secret")),
            &[
                ("grant_type", "client_credentials"),
                ("scope", "read photos.view"),
                ("audience", "https://api.example.com"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers().get("cache-control").unwrap(), "no-store");
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["token_type"], "bearer");
    assert_eq!(t["scope"], "read photos.view");
    assert_eq!(t["expires_in"], 3600);
    assert!(
        t.get("refresh_token").is_none(),
        "no refresh token for client credentials (RFC 6749 §4.4.3)"
    );
    let token = t["access_token"].as_str().unwrap();
    assert!(token.starts_with("ory_at_"));
    let i = s.introspect(token).await;
    assert_eq!(i["active"], true);
    assert_eq!(i["client_id"], "svc");
    assert_eq!(i["sub"], "svc");
    assert_eq!(i["scope"], "read photos.view");
    assert_eq!(i["aud"], json!(["https://api.example.com"]));
    assert_eq!(i["token_use"], "access_token");
    assert_eq!(i["iss"], "http://127.0.0.1:4444/");
    let exp = i["exp"].as_i64().unwrap();
    assert!((exp - i["iat"].as_i64().unwrap() - 3600).abs() <= 1);
    // The token itself is not in the database, only its signature.
    let stored = s
        .state
        .db
        .token_store()
        .get_token(token.rsplit('.').next().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.client_id, "svc");

    // client_secret_post, per-client lifespan; URL-encoded Basic credentials.
    let r = s
        .token_request(
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "poster"),
                ("client_secret", "poster-secret"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["expires_in"], 300);

    // Failures, each in RFC 6749 §5.2 shape.
    let r = s
        .token_request(
            Some(("svc", "wrong")),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(
        r.headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().starts_with("Basic")),
        Some(true)
    );
    assert_oauth_error(r, 401, "invalid_client").await;
    let svc = Some(("svc", "svc-secret"));
    let cc = ("grant_type", "client_credentials");
    let cases: Vec<(&str, Option<(&str, &str)>, Vec<(&str, &str)>, u16, &str)> = vec![
        (
            "unknown client",
            Some(("nobody", "x")),
            vec![cc],
            401,
            "invalid_client",
        ),
        // Registered for Basic, used the body; registered for post, used Basic.
        (
            "basic client used post",
            None,
            vec![cc, ("client_id", "svc"), ("client_secret", "svc-secret")],
            401,
            "invalid_client",
        ),
        (
            "post client used basic",
            Some(("poster", "poster-secret")),
            vec![cc],
            401,
            "invalid_client",
        ),
        ("no credentials", None, vec![cc], 401, "invalid_client"),
        (
            "public client",
            None,
            vec![cc, ("client_id", "spa")],
            400,
            "unauthorized_client",
        ),
        (
            "grant not registered",
            Some(("web", "web-secret")),
            vec![cc],
            400,
            "unauthorized_client",
        ),
        (
            "unknown grant",
            svc,
            vec![("grant_type", "password")],
            400,
            "unsupported_grant_type",
        ),
        ("no grant", svc, vec![], 400, "invalid_request"),
        (
            "scope not allowed",
            svc,
            vec![cc, ("scope", "admin")],
            400,
            "invalid_scope",
        ),
        (
            "wildcard needs a segment",
            svc,
            vec![cc, ("scope", "photos")],
            400,
            "invalid_scope",
        ),
        (
            "audience not allowed",
            svc,
            vec![cc, ("audience", "https://evil.example")],
            400,
            "invalid_request",
        ),
        (
            "duplicate parameter",
            svc,
            vec![cc, cc],
            400,
            "invalid_request",
        ),
        (
            "two client ids",
            svc,
            vec![cc, ("client_id", "poster")],
            400,
            "invalid_request",
        ),
    ];
    for (name, basic, form, status, code) in cases {
        let r = s.token_request(basic, &form).await;
        assert_eq!(r.status().as_u16(), status, "{name}");
        assert_oauth_error(r, status, code).await;
    }
    let r = s
        .http
        .post(format!("{}/oauth2/token", s.public))
        .basic_auth("svc", Some("svc-secret"))
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_oauth_error(r, 400, "invalid_request").await;
    let r = s
        .http
        .post(format!("{}/oauth2/token", s.public))
        .header("authorization", "Basic !!!")
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_oauth_error(r, 401, "invalid_client").await;

    // A secret changed through the admin API: the old one stops working at once.
    let r = s
        .http
        .patch(format!("{}/admin/clients/svc", s.admin))
        .json(&json!([{"op": "add", "path": "/client_secret", "value": "rotated-secret"}]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_oauth_error(
        s.token_request(
            Some(("svc", "svc-secret")),
            &[("grant_type", "client_credentials")],
        )
        .await,
        401,
        "invalid_client",
    )
    .await;
    assert_eq!(
        s.token_request(
            Some(("svc", "rotated-secret")),
            &[("grant_type", "client_credentials")]
        )
        .await
        .status(),
        200
    );
    s.stop().await;
}

async fn introspection_and_revocation(s: TestServer) {
    make_client(&s, json!({"client_id": "a", "client_secret": "a-secret", "grant_types": ["client_credentials"], "scope": "read write"})).await;
    make_client(&s, json!({"client_id": "b", "client_secret": "b-secret", "grant_types": ["client_credentials"]})).await;
    let t = s
        .client_credentials("a", "a-secret", &[("scope", "read")])
        .await;

    // Garbage, foreign and malformed tokens are simply inactive.
    let foreign = format!("ory_at_{}.{}", "A".repeat(43), "B".repeat(43));
    for junk in [
        "",
        "garbage",
        "ory_at_",
        foreign.as_str(),
        &t[..t.len() - 1],
    ] {
        let r = s
            .http
            .post(format!("{}/admin/oauth2/introspect", s.admin))
            .form(&[("token", junk)])
            .send()
            .await
            .unwrap();
        if junk.is_empty() {
            assert_eq!(r.status(), 400, "a missing token is a bad request");
            continue;
        }
        assert_eq!(r.status(), 200);
        assert_eq!(
            r.json::<Value>().await.unwrap(),
            json!({"active": false}),
            "{junk}"
        );
    }
    // A required scope the token lacks makes it inactive.
    assert_eq!(s.introspect_with(&t, Some("write")).await["active"], false);
    assert_eq!(s.introspect_with(&t, Some("read")).await["active"], true);

    // Revocation: another client may not revoke it; unknown tokens answer 200; the owner can.
    let revoke = |id: &'static str, secret: &'static str, token: String| {
        let s = &s;
        async move {
            s.http
                .post(format!("{}/oauth2/revoke", s.public))
                .basic_auth(id, Some(secret))
                .form(&[("token", token)])
                .send()
                .await
                .unwrap()
        }
    };
    let r = revoke("b", "b-secret", t.clone()).await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "unauthorized_client"
    );
    assert_eq!(s.introspect(&t).await["active"], true);
    assert_eq!(
        revoke("b", "b-secret", "not-a-token".into()).await.status(),
        200
    );
    assert_eq!(revoke("a", "wrong", t.clone()).await.status(), 401);
    assert_eq!(revoke("a", "a-secret", t.clone()).await.status(), 200);
    assert_eq!(s.introspect(&t).await, json!({"active": false}));
    assert_eq!(
        revoke("a", "a-secret", t.clone()).await.status(),
        200,
        "revoking twice is fine"
    );

    // DELETE /admin/oauth2/tokens?client_id= removes every token of a client.
    let t1 = s.client_credentials("b", "b-secret", &[]).await;
    let t2 = s.client_credentials("b", "b-secret", &[]).await;
    let keep = s.client_credentials("a", "a-secret", &[]).await;
    let r = s
        .http
        .delete(format!("{}/admin/oauth2/tokens?client_id=b", s.admin))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(s.introspect(&t1).await["active"], false);
    assert_eq!(s.introspect(&t2).await["active"], false);
    assert_eq!(s.introspect(&keep).await["active"], true);
    s.stop().await;
}

async fn secret_rotation_across_restarts(s: TestServer) {
    make_client(&s, json!({"client_id": "r", "client_secret": "r-secret", "grant_types": ["client_credentials"]})).await;
    let old_token = s.client_credentials("r", "r-secret", &[]).await;
    let db = s.stop_keep_db().await;
    // A new secret is prepended: old tokens still verify, new ones are signed with the new secret.
    let s = TestServer::start_with(db, |c| {
        c.secrets.system.insert(
            0,
            latchkey::config::Secret("a-brand-new-system-secret".into()),
        );
    })
    .await;
    assert_eq!(s.introspect(&old_token).await["active"], true);
    let new_token = s.client_credentials("r", "r-secret", &[]).await;
    assert_eq!(s.introspect(&new_token).await["active"], true);
    let db = s.stop_keep_db().await;
    // With only the new secret, the old token no longer verifies.
    let s = TestServer::start_with(db, |c| {
        c.secrets.system = vec![latchkey::config::Secret("a-brand-new-system-secret".into())];
    })
    .await;
    assert_eq!(s.introspect(&old_token).await["active"], false);
    assert_eq!(s.introspect(&new_token).await["active"], true);
    s.stop().await;
}

async fn classic_tutorial_token_steps(s: TestServer) {
    let (admin, public) = (s.admin.as_str(), s.public.as_str());
    let (ok, _, err) = cli(&[
        "clients",
        "create",
        "--endpoint",
        admin,
        "--id",
        "my-client",
        "--secret",
        "secret",
        "-g",
        "client_credentials",
    ])
    .await;
    assert!(ok, "{err}");
    let (ok, token, err) = cli(&[
        "token",
        "client",
        "--endpoint",
        public,
        "--client-id",
        "my-client",
        "--client-secret",
        "secret",
    ])
    .await;
    assert!(ok, "{err}");
    let token = token.trim();
    assert!(
        token.starts_with("ory_at_") && !token.contains(char::is_whitespace),
        "bare token expected: {token:?}"
    );
    let (ok, out, err) = cli(&[
        "token",
        "introspect",
        "--endpoint",
        admin,
        "--client-id",
        "my-client",
        "--client-secret",
        "secret",
        token,
    ])
    .await;
    assert!(ok, "{err}");
    let i: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(i["active"], true);
    assert_eq!(i["client_id"], "my-client");
    // Current forms.
    let (ok, out, err) = cli(&[
        "perform",
        "client-credentials",
        "-e",
        public,
        "--client-id",
        "my-client",
        "--client-secret",
        "secret",
        "--format",
        "json",
    ])
    .await;
    assert!(ok, "{err}");
    let t2 = serde_json::from_str::<Value>(&out).unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (ok, out, _) = cli(&["introspect", "token", &t2, "-e", admin]).await;
    assert!(
        ok && out.contains("ACTIVE") && out.contains("true"),
        "{out}"
    );
    let (ok, _, err) = cli(&[
        "revoke",
        "token",
        &t2,
        "-e",
        public,
        "--client-id",
        "my-client",
        "--client-secret",
        "secret",
    ])
    .await;
    assert!(ok, "{err}");
    assert_eq!(s.introspect(&t2).await["active"], false);
    let (ok, _, err) = cli(&[
        "token",
        "delete",
        "--client-id",
        "my-client",
        "--endpoint",
        admin,
    ])
    .await;
    assert!(ok, "{err}");
    assert_eq!(s.introspect(token).await["active"], false);
    // Wrong secret: one line, non-zero.
    let (ok, _, err) = cli(&[
        "token",
        "client",
        "--endpoint",
        public,
        "--client-id",
        "my-client",
        "--client-secret",
        "nope",
    ])
    .await;
    assert!(
        !ok && err.contains("invalid_client") && err.lines().count() == 1,
        "{err}"
    );
    // The janitor removes expired tokens (and finished flows, expired login sessions) only.
    let (ok, out, err) = cli(&["janitor", &s.db.dsn]).await;
    assert!(ok, "{err}");
    assert!(out.contains("Deleted 0 expired tokens"), "{out}");
    s.stop().await;
}

async fn concurrent_issuance(s: TestServer) {
    // Token inserts are batched into multi-row INSERTs; every caller must still get its own,
    // durable, introspectable token.
    make_client(&s, json!({"client_id": "busy", "client_secret": "busy-secret", "grant_types": ["client_credentials"]})).await;
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let (http, url) = (s.http.clone(), format!("{}/oauth2/token", s.public));
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(url)
                .basic_auth("busy", Some("busy-secret"))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()["access_token"]
                .as_str()
                .unwrap()
                .to_owned()
        }));
    }
    let mut tokens = Vec::new();
    for t in tasks {
        tokens.push(t.await.unwrap());
    }
    let distinct: std::collections::HashSet<_> = tokens.iter().collect();
    assert_eq!(distinct.len(), 200);
    for t in tokens.iter().step_by(20) {
        assert_eq!(s.introspect(t).await["active"], true);
    }
    s.stop().await;
}

crate::per_database!(server:
    concurrent_issuance,
    client_credentials,
    introspection_and_revocation,
    secret_rotation_across_restarts,
    classic_tutorial_token_steps
);

async fn discovery(s: TestServer) {
    let r = s
        .http
        .get(format!(
            "{}/.well-known/oauth-authorization-server",
            s.public
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let m: Value = r.json().await.unwrap();
    // Golden: exactly what is implemented, nothing more.
    assert_eq!(
        m,
        json!({
            "issuer": "http://127.0.0.1:4444/",
            "authorization_endpoint": "http://127.0.0.1:4444/oauth2/auth",
            "token_endpoint": "http://127.0.0.1:4444/oauth2/token",
            "device_authorization_endpoint": "http://127.0.0.1:4444/oauth2/device/auth",
            "userinfo_endpoint": "http://127.0.0.1:4444/userinfo",
            "end_session_endpoint": "http://127.0.0.1:4444/oauth2/sessions/logout",
            "frontchannel_logout_supported": true,
            "frontchannel_logout_session_supported": true,
            "backchannel_logout_supported": true,
            "backchannel_logout_session_supported": true,
            "jwks_uri": "http://127.0.0.1:4444/.well-known/jwks.json",
            "revocation_endpoint": "http://127.0.0.1:4444/oauth2/revoke",
            "response_types_supported": ["code", "id_token", "token id_token", "code id_token", "code token", "code id_token token", "token"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "grant_types_supported": ["authorization_code", "implicit", "refresh_token", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code", "urn:ietf:params:oauth:grant-type:jwt-bearer"],
            "scopes_supported": ["openid", "offline_access", "offline", "profile", "email", "address", "phone"],
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "sid", "at_hash", "c_hash",
                "name", "family_name", "given_name", "middle_name", "nickname", "preferred_username", "profile", "picture", "website",
                "gender", "birthdate", "zoneinfo", "locale", "updated_at", "email", "email_verified", "address", "phone_number", "phone_number_verified"],
            "acr_values_supported": ["0", "1"],
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": true,
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
            "claims_parameter_supported": true,
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "id_token_signed_response_alg": ["RS256"],
            "userinfo_signed_response_alg": ["none"],
            "userinfo_signing_alg_values_supported": ["none"],
            "require_request_uri_registration": true
        })
    );
    // RFC 8414 §3.3: the issuer in the document is the one it is served for.
    assert_eq!(m["issuer"], s.state.config.urls.self_.issuer);
    // The OpenID configuration is the same document (RFC 8414 §1).
    let oidc: Value = s
        .http
        .get(format!("{}/.well-known/openid-configuration", s.public))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(oidc, m);
    // Its jwks_uri serves the keys, and the ID token algorithms follow the keys.
    let jwks: Value = s
        .http
        .get(
            m["jwks_uri"]
                .as_str()
                .unwrap()
                .replace("http://127.0.0.1:4444", &s.public),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    let r = s
        .post(
            "/admin/keys/hydra.openid.id-token",
            json!({"alg": "ES256", "kid": "id-es", "use": "sig"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let m: Value = s
        .http
        .get(format!("{}/.well-known/openid-configuration", s.public))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        m["id_token_signing_alg_values_supported"],
        json!(["ES256", "RS256"])
    );
    // The newest key signs.
    assert_eq!(m["id_token_signed_response_alg"], json!(["ES256"]));
    s.stop().await;
}

crate::per_database!(server: discovery);

/// Client changes through the admin API apply to the very next token request, even though the
/// token endpoint caches clients.
async fn client_changes_apply_at_once(s: TestServer) {
    make_client(&s, json!({"client_id": "c", "client_secret": "first-secret", "grant_types": ["client_credentials"], "scope": "a b"})).await;
    let ok = |secret: &'static str, scope: &'static str| {
        let s = &s;
        async move {
            s.token_request(
                Some(("c", secret)),
                &[("grant_type", "client_credentials"), ("scope", scope)],
            )
            .await
            .status()
            .as_u16()
        }
    };
    assert_eq!(ok("first-secret", "b").await, 200);
    let issued = s
        .client_credentials("c", "first-secret", &[("scope", "a")])
        .await;
    assert_eq!(s.introspect(&issued).await["active"], true);
    let r = s.http.put(format!("{}/admin/clients/c", s.admin)).json(&json!({"client_id": "c", "client_secret": "second-secret", "grant_types": ["client_credentials"], "scope": "a"})).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        ok("first-secret", "a").await,
        401,
        "the old secret stops working at once"
    );
    assert_eq!(
        ok("second-secret", "b").await,
        400,
        "the narrowed scope applies at once"
    );
    assert_eq!(ok("second-secret", "a").await, 200);
    let r = s
        .http
        .patch(format!("{}/admin/clients/c", s.admin))
        .json(&json!([{"op": "replace", "path": "/grant_types", "value": ["authorization_code"]}]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        ok("second-secret", "a").await,
        400,
        "unauthorized_client once the grant is gone"
    );
    let r = s
        .http
        .delete(format!("{}/admin/clients/c", s.admin))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        ok("second-secret", "a").await,
        401,
        "a deleted client is gone at once"
    );
    s.stop().await;
}

crate::per_database!(server: client_changes_apply_at_once);

/// Time moved forward by a test clock, not slept: a token expires at its lifespan, on the
/// server's clock, even while its record is cached; a cached client outlives nothing either.
async fn expiry_on_a_test_clock(backend: crate::support::Backend) {
    let db = crate::support::TestDb::create(backend)
        .await
        .expect("the database");
    let clock = std::sync::Arc::new(latchkey::clock::ManualClock::new());
    let s = TestServer::start_clocked(db, |_| {}, clock.clone()).await;
    // A lifespan of a millisecond: expired a millisecond later.
    make_client(&s, json!({"client_id": "short", "client_secret": "short-secret", "grant_types": ["client_credentials"], "client_credentials_grant_access_token_lifespan": "1ms"})).await;
    let short = s.client_credentials("short", "short-secret", &[]).await;
    clock.advance(std::time::Duration::from_millis(1));
    assert_eq!(s.introspect(&short).await, json!({"active": false}));
    make_client(&s, json!({"client_id": "svc", "client_secret": "svc-secret", "grant_types": ["client_credentials"], "client_credentials_grant_access_token_lifespan": "1h"})).await;
    let t = s.client_credentials("svc", "svc-secret", &[]).await;
    assert_eq!(s.introspect(&t).await["active"], true, "and now cached");
    clock.advance(std::time::Duration::from_secs(3599));
    assert_eq!(s.introspect(&t).await["active"], true);
    clock.advance(std::time::Duration::from_secs(1));
    assert_eq!(
        s.introspect(&t).await,
        json!({"active": false}),
        "expired at 1h"
    );
    s.stop().await;
}

crate::per_database!(expiry_on_a_test_clock);

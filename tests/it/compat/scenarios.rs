//! The request sequences of the differential suite, one function per area. Step names are
//! `area.what`; `differences.toml` refers to them.

use serde_json::json;

use super::{CB, On::*, Run, delete, get, patch, post, put};

pub async fn all(t: &mut Run) {
    discovery(t).await;
    clients(t).await;
    client_lists(t).await;
    keys(t).await;
    tokens(t).await;
    authorize_errors(t).await;
    login_consent(t).await;
    logout(t).await;
    sessions(t).await;
    jwt_bearer(t).await;
    pairwise(t).await;
    dynamic_registration(t).await;
}

/// Every client field Hydra's admin API takes.
fn full_client(id: &str) -> serde_json::Value {
    json!({
        "client_id": id,
        "client_name": "Full client",
        "client_secret": "a-secret-long-enough",
        "redirect_uris": [CB, "http://127.0.0.1:9/other"],
        "grant_types": ["authorization_code", "refresh_token", "client_credentials", "implicit"],
        "response_types": ["code", "id_token", "token", "code id_token"],
        "scope": "openid offline_access profile email",
        "audience": ["https://api.example.com"],
        "owner": "owner-1",
        "policy_uri": "https://example.com/policy",
        "allowed_cors_origins": ["https://app.example.com"],
        "tos_uri": "https://example.com/tos",
        "client_uri": "https://example.com",
        "logo_uri": "https://example.com/logo.png",
        "contacts": ["admin@example.com"],
        "subject_type": "public",
        "token_endpoint_auth_method": "client_secret_post",
        "userinfo_signed_response_alg": "none",
        "post_logout_redirect_uris": ["http://127.0.0.1:9/bye"],
        "frontchannel_logout_uri": "http://127.0.0.1:9/fc",
        "frontchannel_logout_session_required": true,
        "backchannel_logout_uri": "http://127.0.0.1:9/bc",
        "backchannel_logout_session_required": true,
        "metadata": {"team": "a", "n": 1},
        "skip_consent": false,
        "skip_logout_consent": false,
        "access_token_strategy": "opaque",
        "authorization_code_grant_access_token_lifespan": "1h0m0s",
        "authorization_code_grant_id_token_lifespan": "1h0m0s",
        "authorization_code_grant_refresh_token_lifespan": "720h0m0s",
        "client_credentials_grant_access_token_lifespan": "1h0m0s",
        "implicit_grant_access_token_lifespan": "1h0m0s",
        "implicit_grant_id_token_lifespan": "1h0m0s",
        "jwt_bearer_grant_access_token_lifespan": "1h0m0s",
        "refresh_token_grant_id_token_lifespan": "1h0m0s",
        "refresh_token_grant_access_token_lifespan": "1h0m0s",
        "refresh_token_grant_refresh_token_lifespan": "720h0m0s"
    })
}

async fn discovery(t: &mut Run) {
    t.step(
        "discovery.openid",
        get(Public, "/.well-known/openid-configuration"),
    )
    .await;
    t.step(
        "discovery.oauth",
        get(Public, "/.well-known/oauth-authorization-server"),
    )
    .await;
    // Key sets are created on first use; ask for the ID token keys first on both.
    t.step("discovery.jwks", get(Public, "/.well-known/jwks.json"))
        .await;
    t.step("health.alive", get(Admin, "/health/alive")).await;
    t.step("health.ready", get(Admin, "/health/ready")).await;
    t.step("health.public-alive", get(Public, "/health/alive"))
        .await;
    t.step("version", get(Admin, "/version")).await;
    t.step("admin.unknown-route", get(Admin, "/admin/nothing-here"))
        .await;
}

async fn clients(t: &mut Run) {
    t.step(
        "clients.create-full",
        post(Admin, "/admin/clients").json(full_client("full")),
    )
    .await;
    t.step("clients.get-full", get(Admin, "/admin/clients/full"))
        .await;
    t.step(
        "clients.create-minimal",
        post(Admin, "/admin/clients").json(json!({"client_id": "minimal"})),
    )
    .await;
    t.step("clients.get-minimal", get(Admin, "/admin/clients/minimal"))
        .await;
    t.step(
        "clients.create-empty-object",
        post(Admin, "/admin/clients").json(json!({})),
    )
    .await;
    // Its id is a random UUID, which would sort differently in the lists below.
    t.save("generated_id", |r| r.field("/client_id"));
    t.quiet(delete(Admin, "/admin/clients/{generated_id}"))
        .await;
    t.step(
        "clients.create-array",
        post(Admin, "/admin/clients").raw(Some("application/json"), "[]"),
    )
    .await;
    t.step(
        "clients.create-string",
        post(Admin, "/admin/clients").raw(Some("application/json"), "\"x\""),
    )
    .await;
    t.step(
        "clients.create-malformed",
        post(Admin, "/admin/clients").raw(Some("application/json"), "{\"client_id\":"),
    )
    .await;
    t.step(
        "clients.create-empty-body",
        post(Admin, "/admin/clients").raw(Some("application/json"), ""),
    )
    .await;
    t.step(
        "clients.create-no-content-type",
        post(Admin, "/admin/clients").raw(None, r#"{"client_id": "no-ct"}"#),
    )
    .await;
    t.step(
        "clients.create-no-content-type-from-a-page",
        post(Admin, "/admin/clients")
            .raw(None, r#"{"client_id": "no-ct-page"}"#)
            .header("origin", "https://evil.example"),
    )
    .await;
    t.step(
        "clients.create-text-plain",
        post(Admin, "/admin/clients").raw(Some("text/plain"), r#"{"client_id": "text-ct"}"#),
    )
    .await;
    t.step(
        "clients.create-unknown-field",
        post(Admin, "/admin/clients")
            .json(json!({"client_id": "unknown-field", "a_field_from_the_future": {"x": 1}})),
    )
    .await;
    t.step(
        "clients.create-wrong-type",
        post(Admin, "/admin/clients")
            .json(json!({"client_id": "wrong-type", "redirect_uris": "http://x"})),
    )
    .await;
    t.step(
        "clients.create-conflict",
        post(Admin, "/admin/clients").json(json!({"client_id": "minimal"})),
    )
    .await;
    t.step(
        "clients.create-short-secret",
        post(Admin, "/admin/clients").json(json!({"client_id": "short", "client_secret": "abc"})),
    )
    .await;
    t.step(
        "clients.create-redirect-fragment",
        post(Admin, "/admin/clients")
            .json(json!({"client_id": "frag", "redirect_uris": ["http://127.0.0.1:9/cb#x"]})),
    )
    .await;
    t.step(
        "clients.create-redirect-relative",
        post(Admin, "/admin/clients").json(json!({"client_id": "rel", "redirect_uris": ["/cb"]})),
    )
    .await;
    t.step(
        "clients.create-jwks-and-uri",
        post(Admin, "/admin/clients").json(json!({
            "client_id": "both-jwks", "jwks": {"keys": []}, "jwks_uri": "https://example.com/jwks"
        })),
    )
    .await;
    t.step(
        "clients.create-private-key-jwt-without-keys",
        post(Admin, "/admin/clients").json(json!({
            "client_id": "pkj", "token_endpoint_auth_method": "private_key_jwt"
        })),
    )
    .await;
    t.step(
        "clients.create-bad-auth-method",
        post(Admin, "/admin/clients").json(json!({
            "client_id": "bad-method", "token_endpoint_auth_method": "magic"
        })),
    )
    .await;
    t.step(
        "clients.create-bad-subject-type",
        post(Admin, "/admin/clients")
            .json(json!({"client_id": "bad-sub", "subject_type": "secret"})),
    )
    .await;
    t.step(
        "clients.create-bad-cors-origin",
        post(Admin, "/admin/clients").json(json!({
            "client_id": "bad-cors", "allowed_cors_origins": ["https://app.example.com/path"]
        })),
    )
    .await;
    t.step(
        "clients.create-post-logout-foreign",
        post(Admin, "/admin/clients").json(json!({
            "client_id": "plr", "redirect_uris": [CB], "post_logout_redirect_uris": ["https://elsewhere.example/bye"]
        })),
    )
    .await;
    t.step(
        "clients.create-public",
        post(Admin, "/admin/clients").json(json!({
            "client_id": "public", "token_endpoint_auth_method": "none",
            "redirect_uris": [CB], "grant_types": ["authorization_code"], "response_types": ["code"]
        })),
    )
    .await;
    // The classic tutorial's two clients.
    t.step(
        "clients.create-tutorial-1",
        post(Admin, "/admin/clients").json(json!({
            "client_id": "some-consumer", "client_secret": "some-secret",
            "grant_types": ["client_credentials"], "response_types": ["token", "code"]
        })),
    )
    .await;
    t.step(
        "clients.create-tutorial-2",
        post(Admin, "/admin/clients").json(json!({
            "client_id": "another-consumer", "client_secret": "consumer-secret",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["token", "code", "id_token"],
            "scope": "openid offline", "redirect_uris": ["http://127.0.0.1:9010/callback"]
        })),
    )
    .await;
    // Clients one server took and the other refused (listed differences): gone from both, so
    // that the lists below compare.
    for id in [
        "text-ct",
        "no-ct-page",
        "rel",
        "bad-method",
        "plr",
        "pkj",
        "both-jwks",
        "bad-cors",
        "bad-sub",
        "frag",
        "short",
        "wrong-type",
    ] {
        t.quiet(delete(Admin, &format!("/admin/clients/{id}")))
            .await;
    }
    t.step("clients.get-unknown", get(Admin, "/admin/clients/nobody"))
        .await;
    t.step("clients.get-legacy-path", get(Admin, "/clients/minimal"))
        .await;

    // PUT
    t.step(
        "clients.put",
        put(Admin, "/admin/clients/minimal").json(json!({
            "client_id": "minimal", "client_name": "Renamed", "redirect_uris": [CB]
        })),
    )
    .await;
    t.step(
        "clients.put-without-id",
        put(Admin, "/admin/clients/minimal").json(json!({"client_name": "No id in body"})),
    )
    .await;
    t.step(
        "clients.put-other-id",
        put(Admin, "/admin/clients/minimal")
            .json(json!({"client_id": "other", "client_name": "x"})),
    )
    .await;
    t.step(
        "clients.put-new-secret",
        put(Admin, "/admin/clients/minimal")
            .json(json!({"client_id": "minimal", "client_secret": "a-new-secret-123"})),
    )
    .await;
    t.step(
        "clients.set-lifespans",
        put(Admin, "/admin/clients/minimal/lifespans").json(json!({
            "client_credentials_grant_access_token_lifespan": "2m",
            "authorization_code_grant_refresh_token_lifespan": "4h",
            "refresh_token_grant_id_token_lifespan": "30m"
        })),
    )
    .await;
    t.step(
        "clients.set-lifespans-invalid",
        put(Admin, "/admin/clients/minimal/lifespans")
            .json(json!({"client_credentials_grant_access_token_lifespan": "an hour"})),
    )
    .await;
    t.step(
        "clients.set-lifespans-unknown",
        put(Admin, "/admin/clients/nobody/lifespans").json(json!({})),
    )
    .await;
    t.step(
        "clients.put-unknown",
        put(Admin, "/admin/clients/nobody").json(json!({"client_id": "nobody"})),
    )
    .await;
    t.step(
        "clients.put-invalid",
        put(Admin, "/admin/clients/minimal")
            .json(json!({"client_id": "minimal", "client_secret": "abc"})),
    )
    .await;

    // PATCH (RFC 6902)
    t.step(
        "clients.patch-replace",
        patch(Admin, "/admin/clients/minimal")
            .json(json!([{"op": "replace", "path": "/client_name", "value": "Patched"}])),
    )
    .await;
    t.step(
        "clients.patch-add-redirect",
        patch(Admin, "/admin/clients/minimal").json(
            json!([{"op": "add", "path": "/redirect_uris/-", "value": "http://127.0.0.1:9/more"}]),
        ),
    )
    .await;
    t.step(
        "clients.patch-remove",
        patch(Admin, "/admin/clients/minimal")
            .json(json!([{"op": "remove", "path": "/client_name"}])),
    )
    .await;
    t.step(
        "clients.patch-client-id",
        patch(Admin, "/admin/clients/minimal")
            .json(json!([{"op": "replace", "path": "/client_id", "value": "renamed"}])),
    )
    .await;
    t.step(
        "clients.patch-bad-path",
        patch(Admin, "/admin/clients/minimal")
            .json(json!([{"op": "remove", "path": "/does_not_exist"}])),
    )
    .await;
    t.step(
        "clients.patch-bad-op",
        patch(Admin, "/admin/clients/minimal")
            .json(json!([{"op": "frobnicate", "path": "/client_name"}])),
    )
    .await;
    t.step(
        "clients.patch-not-array",
        patch(Admin, "/admin/clients/minimal").json(json!({"op": "replace"})),
    )
    .await;
    t.step(
        "clients.patch-empty",
        patch(Admin, "/admin/clients/minimal").json(json!([])),
    )
    .await;
    t.step(
        "clients.patch-secret",
        patch(Admin, "/admin/clients/minimal")
            .json(json!([{"op": "add", "path": "/client_secret", "value": "patched-secret-1"}])),
    )
    .await;
    t.step(
        "clients.patch-unknown",
        patch(Admin, "/admin/clients/nobody")
            .json(json!([{"op": "replace", "path": "/client_name", "value": "x"}])),
    )
    .await;

    // DELETE
    t.step("clients.delete", delete(Admin, "/admin/clients/no-ct"))
        .await;
    t.step(
        "clients.delete-again",
        delete(Admin, "/admin/clients/no-ct"),
    )
    .await;
    t.step(
        "clients.delete-unknown",
        delete(Admin, "/admin/clients/nobody"),
    )
    .await;
}

async fn client_lists(t: &mut Run) {
    for (step, q) in [
        ("clients.list-default", ""),
        ("clients.list-page-1", "?page_size=1"),
        ("clients.list-page-0", "?page_size=0"),
        ("clients.list-page-500", "?page_size=500"),
        ("clients.list-page-501", "?page_size=501"),
        ("clients.list-page-negative", "?page_size=-1"),
        ("clients.list-page-nan", "?page_size=abc"),
        (
            "clients.list-bad-token",
            "?page_size=2&page_token=not-a-token",
        ),
        ("clients.list-by-name", "?client_name=Full%20client"),
        ("clients.list-by-owner", "?owner=owner-1"),
        ("clients.list-by-unknown-owner", "?owner=nobody"),
    ] {
        t.step(step, get(Admin, &format!("/admin/clients{q}")))
            .await;
    }
    // Follow the `next` link of a page of two.
    t.step(
        "clients.list-page-2",
        get(Admin, "/admin/clients?page_size=2"),
    )
    .await;
    t.save("next", |r| {
        let link = r.headers.get("link")?.to_str().ok()?;
        link.split(',')
            .find(|l| l.contains("rel=\"next\""))
            .and_then(|l| Some(l[l.find('<')? + 1..l.find('>')?].to_owned()))
    });
    t.step("clients.list-next", get(Admin, "{next}")).await;
}

async fn keys(t: &mut Run) {
    t.step(
        "keys.create-rs256",
        post(Admin, "/admin/keys/compat-set")
            .json(json!({"alg": "RS256", "kid": "k-rsa", "use": "sig"})),
    )
    .await;
    t.step(
        "keys.create-es256",
        post(Admin, "/admin/keys/compat-set")
            .json(json!({"alg": "ES256", "kid": "k-ec", "use": "sig"})),
    )
    .await;
    t.step(
        "keys.create-bad-alg",
        post(Admin, "/admin/keys/compat-set")
            .json(json!({"alg": "HS999", "kid": "bad", "use": "sig"})),
    )
    .await;
    t.step(
        "keys.create-no-body",
        post(Admin, "/admin/keys/compat-set").raw(Some("application/json"), ""),
    )
    .await;
    t.step("keys.get-set", get(Admin, "/admin/keys/compat-set"))
        .await;
    t.step("keys.get-key", get(Admin, "/admin/keys/compat-set/k-ec"))
        .await;
    t.step("keys.get-unknown-set", get(Admin, "/admin/keys/nothing"))
        .await;
    t.step(
        "keys.get-unknown-key",
        get(Admin, "/admin/keys/compat-set/nothing"),
    )
    .await;
    // Put the EC key back under its kid, as read.
    t.step(
        "keys.get-key-again",
        get(Admin, "/admin/keys/compat-set/k-ec"),
    )
    .await;
    t.save("ec_key", |r| {
        Some(r.json.as_ref()?.pointer("/keys/0")?.to_string())
    });
    t.step(
        "keys.put-key",
        put(Admin, "/admin/keys/compat-set/k-ec").raw(Some("application/json"), "{ec_key}"),
    )
    .await;
    t.step(
        "keys.put-key-garbage",
        put(Admin, "/admin/keys/compat-set/k-ec").json(json!({"kty": "nope"})),
    )
    .await;
    t.step(
        "keys.put-set",
        put(Admin, "/admin/keys/other-set").raw(Some("application/json"), "{\"keys\": [{ec_key}]}"),
    )
    .await;
    t.step(
        "keys.delete-key",
        delete(Admin, "/admin/keys/compat-set/k-rsa"),
    )
    .await;
    t.step(
        "keys.delete-key-again",
        delete(Admin, "/admin/keys/compat-set/k-rsa"),
    )
    .await;
    t.step(
        "keys.delete-last-key",
        delete(Admin, "/admin/keys/compat-set/k-ec"),
    )
    .await;
    t.step("keys.get-emptied-set", get(Admin, "/admin/keys/compat-set"))
        .await;
    t.step(
        "keys.delete-emptied-set",
        delete(Admin, "/admin/keys/compat-set"),
    )
    .await;
    t.step("keys.delete-set", delete(Admin, "/admin/keys/other-set"))
        .await;
    t.step(
        "keys.delete-unknown-set",
        delete(Admin, "/admin/keys/nothing"),
    )
    .await;
}

async fn tokens(t: &mut Run) {
    let token = "/oauth2/token";
    t.step(
        "token.cc-basic",
        post(Public, token)
            .form(&[("grant_type", "client_credentials")])
            .basic("some-consumer", "some-secret"),
    )
    .await;
    t.save("cc_token", |r| r.field("/access_token"));
    t.step(
        "token.cc-bad-secret",
        post(Public, token)
            .form(&[("grant_type", "client_credentials")])
            .basic("some-consumer", "wrong-secret"),
    )
    .await;
    t.step(
        "token.cc-unknown-client",
        post(Public, token)
            .form(&[("grant_type", "client_credentials")])
            .basic("nobody", "whatever"),
    )
    .await;
    t.step(
        "token.cc-post-for-basic-client",
        post(Public, token).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "some-consumer"),
            ("client_secret", "some-secret"),
        ]),
    )
    .await;
    t.step(
        "token.cc-post",
        post(Public, token).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "full"),
            ("client_secret", "a-secret-long-enough"),
        ]),
    )
    .await;
    t.step(
        "token.cc-basic-for-post-client",
        post(Public, token)
            .form(&[("grant_type", "client_credentials")])
            .basic("full", "a-secret-long-enough"),
    )
    .await;
    t.step(
        "token.cc-no-auth",
        post(Public, token).form(&[("grant_type", "client_credentials")]),
    )
    .await;
    t.step(
        "token.cc-public-client",
        post(Public, token).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "public"),
        ]),
    )
    .await;
    t.step(
        "token.cc-grant-not-allowed",
        post(Public, token)
            .form(&[("grant_type", "client_credentials")])
            .basic("another-consumer", "consumer-secret"),
    )
    .await;
    t.step(
        "token.cc-bad-scope",
        post(Public, token)
            .form(&[
                ("grant_type", "client_credentials"),
                ("scope", "not-allowed"),
            ])
            .basic("some-consumer", "some-secret"),
    )
    .await;
    t.step(
        "token.cc-audience",
        post(Public, token)
            .form(&[
                ("grant_type", "client_credentials"),
                ("audience", "https://api.example.com"),
            ])
            .basic("full", "a-secret-long-enough"),
    )
    .await;
    t.step(
        "token.cc-bad-audience",
        post(Public, token).form(&[
            ("grant_type", "client_credentials"),
            ("audience", "https://other.example.com"),
            ("client_id", "full"),
            ("client_secret", "a-secret-long-enough"),
        ]),
    )
    .await;
    t.step(
        "token.no-grant-type",
        post(Public, token)
            .form(&[])
            .basic("some-consumer", "some-secret"),
    )
    .await;
    t.step(
        "token.unknown-grant-type",
        post(Public, token)
            .form(&[
                ("grant_type", "password"),
                ("username", "a"),
                ("password", "b"),
            ])
            .basic("some-consumer", "some-secret"),
    )
    .await;
    t.step(
        "token.code-bad-code",
        post(Public, token)
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", "ory_ac_nonsense.nonsense"),
                ("redirect_uri", "http://127.0.0.1:9010/callback"),
            ])
            .basic("another-consumer", "consumer-secret"),
    )
    .await;
    t.step(
        "token.code-missing-code",
        post(Public, token)
            .form(&[("grant_type", "authorization_code")])
            .basic("another-consumer", "consumer-secret"),
    )
    .await;
    t.step(
        "token.refresh-bad-token",
        post(Public, token)
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", "ory_rt_nonsense.nonsense"),
            ])
            .basic("another-consumer", "consumer-secret"),
    )
    .await;
    t.step(
        "token.refresh-missing-token",
        post(Public, token)
            .form(&[("grant_type", "refresh_token")])
            .basic("another-consumer", "consumer-secret"),
    )
    .await;
    t.step(
        "token.json-body",
        post(Public, token)
            .json(json!({"grant_type": "client_credentials"}))
            .basic("some-consumer", "some-secret"),
    )
    .await;
    t.step("token.get", get(Public, token)).await;

    // Introspection (admin) and revocation (public).
    let intro = "/admin/oauth2/introspect";
    t.step(
        "introspect.active",
        post(Admin, intro).form(&[("token", "{cc_token}")]),
    )
    .await;
    t.step(
        "introspect.scope-not-granted",
        post(Admin, intro).form(&[("token", "{cc_token}"), ("scope", "openid")]),
    )
    .await;
    t.step(
        "introspect.unknown",
        post(Admin, intro).form(&[("token", "ory_at_nonsense.nonsense")]),
    )
    .await;
    t.step(
        "introspect.garbage",
        post(Admin, intro).form(&[("token", "x")]),
    )
    .await;
    t.step("introspect.missing", post(Admin, intro).form(&[]))
        .await;
    t.step(
        "introspect.json-body",
        post(Admin, intro).json(json!({"token": "x"})),
    )
    .await;
    t.step(
        "revoke.wrong-client",
        post(Public, "/oauth2/revoke")
            .form(&[("token", "{cc_token}")])
            .basic("full", "a-secret-long-enough"),
    )
    .await;
    t.step(
        "introspect.after-foreign-revoke",
        post(Admin, intro).form(&[("token", "{cc_token}")]),
    )
    .await;
    t.step(
        "revoke.unknown-token",
        post(Public, "/oauth2/revoke")
            .form(&[("token", "ory_at_nonsense.nonsense")])
            .basic("some-consumer", "some-secret"),
    )
    .await;
    t.step(
        "revoke.missing-token",
        post(Public, "/oauth2/revoke")
            .form(&[])
            .basic("some-consumer", "some-secret"),
    )
    .await;
    t.step(
        "revoke.bad-client",
        post(Public, "/oauth2/revoke")
            .form(&[("token", "{cc_token}")])
            .basic("some-consumer", "wrong-secret"),
    )
    .await;
    t.step(
        "revoke.own",
        post(Public, "/oauth2/revoke")
            .form(&[("token", "{cc_token}")])
            .basic("some-consumer", "some-secret"),
    )
    .await;
    t.step(
        "introspect.revoked",
        post(Admin, intro).form(&[("token", "{cc_token}")]),
    )
    .await;
    t.step(
        "tokens.delete-for-client",
        delete(Admin, "/admin/oauth2/tokens?client_id=some-consumer"),
    )
    .await;
    t.step(
        "tokens.delete-no-client",
        delete(Admin, "/admin/oauth2/tokens"),
    )
    .await;
    t.step("userinfo.no-token", get(Public, "/userinfo")).await;
    t.step(
        "userinfo.bad-token",
        get(Public, "/userinfo").bearer("ory_at_nonsense.nonsense"),
    )
    .await;
}

async fn authorize_errors(t: &mut Run) {
    let a = |q: &str| get(Public, &format!("/oauth2/auth?{q}"));
    let cb = "redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb";
    for (step, q) in [
        ("authorize.unknown-client", format!("client_id=nobody&response_type=code&{cb}&state=state-123456")),
        ("authorize.no-client", "response_type=code&state=state-123456".to_owned()),
        ("authorize.bad-redirect", "client_id=full&response_type=code&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&state=state-123456".to_owned()),
        ("authorize.no-response-type", format!("client_id=full&{cb}&state=state-123456&scope=openid")),
        ("authorize.unknown-response-type", format!("client_id=full&response_type=banana&{cb}&state=state-123456&scope=openid")),
        ("authorize.response-type-not-registered", format!("client_id=minimal&response_type=token&{cb}&state=state-123456")),
        ("authorize.bad-scope", format!("client_id=full&response_type=code&{cb}&state=state-123456&scope=openid+admin")),
        ("authorize.pkce-plain", format!("client_id=full&response_type=code&{cb}&state=state-123456&scope=openid&code_challenge=abcdefghijabcdefghijabcdefghijabcdefghijabc&code_challenge_method=plain")),
        ("authorize.public-without-pkce", format!("client_id=public&response_type=code&{cb}&state=state-123456")),
        ("authorize.implicit-without-nonce", format!("client_id=full&response_type=id_token&{cb}&state=state-123456&scope=openid")),
        ("authorize.bad-prompt", format!("client_id=full&response_type=code&{cb}&state=state-123456&scope=openid&prompt=sometimes")),
        ("authorize.prompt-none-no-session", format!("client_id=full&response_type=code&{cb}&state=state-123456&scope=openid&prompt=none")),
        ("authorize.request-object", format!("client_id=full&response_type=code&{cb}&state=state-123456&scope=openid&request=eyJhbGciOiJub25lIn0.e30.")),
        ("authorize.tutorial-code-without-grant", "client_id=some-consumer&response_type=code&state=state-123456".to_owned()),
    ] {
        t.new_browser();
        t.step(step, a(&q)).await;
    }
}

/// The code request of the `full` client for the saved `{code}`.
fn exchange_code() -> super::Req {
    post(Public, "/oauth2/token").form(&[
        ("grant_type", "authorization_code"),
        ("code", "{code}"),
        ("redirect_uri", CB),
        ("client_id", "full"),
        ("client_secret", "a-secret-long-enough"),
    ])
}

/// Accepts the saved login challenge with `body` (step `login.accept{n}`) and follows the login
/// verifier (`flow.login-verifier{n}`); saves the consent challenge.
async fn login_to_consent(t: &mut Run, n: &str, body: serde_json::Value) {
    t.step(
        &format!("login.accept{n}"),
        put(
            Admin,
            "/admin/oauth2/auth/requests/login/accept?login_challenge={login_challenge}",
        )
        .json(body),
    )
    .await;
    t.save("login_verifier_url", |r| r.field("/redirect_to"));
    t.step(
        &format!("flow.login-verifier{n}"),
        get(Public, "{login_verifier_url}"),
    )
    .await;
    t.save("consent_challenge", |r| {
        r.location_param("consent_challenge")
    });
}

/// Accepts the saved consent challenge with `body` (step `consent.accept{n}`) and follows the
/// consent verifier (`flow.consent-verifier{n}`); saves the code.
async fn consent_to_code(t: &mut Run, n: &str, body: serde_json::Value) {
    t.step(
        &format!("consent.accept{n}"),
        put(
            Admin,
            "/admin/oauth2/auth/requests/consent/accept?consent_challenge={consent_challenge}",
        )
        .json(body),
    )
    .await;
    t.save("consent_verifier_url", |r| r.field("/redirect_to"));
    t.step(
        &format!("flow.consent-verifier{n}"),
        get(Public, "{consent_verifier_url}"),
    )
    .await;
    t.save("code", |r| r.location_param("code"));
}

/// Starts a flow for `client` in a new browser and saves its login challenge.
async fn start_flow(t: &mut Run, step: &str, extra: &str) {
    t.new_browser();
    t.step(
        step,
        get(
            Public,
            &format!("/oauth2/auth?client_id=full&response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&scope=openid+offline_access&state=state-123456&nonce=nonce-123456{extra}"),
        ),
    )
    .await;
    t.save("login_challenge", |r| r.location_param("login_challenge"));
}

async fn login_consent(t: &mut Run) {
    let login = "/admin/oauth2/auth/requests/login";
    let consent = "/admin/oauth2/auth/requests/consent";
    start_flow(t, "flow.start", "").await;
    t.step(
        "login.get",
        get(
            Admin,
            &format!("{login}?login_challenge={{login_challenge}}"),
        ),
    )
    .await;
    t.step(
        "login.get-unknown",
        get(Admin, &format!("{login}?login_challenge=nonsense")),
    )
    .await;
    t.step("login.get-missing", get(Admin, login)).await;
    t.step(
        "login.accept-no-subject",
        put(
            Admin,
            &format!("{login}/accept?login_challenge={{login_challenge}}"),
        )
        .json(json!({})),
    )
    .await;
    t.step(
        "login.accept",
        put(
            Admin,
            &format!("{login}/accept?login_challenge={{login_challenge}}"),
        )
        .json(json!({"subject": "user-1", "remember": false, "acr": "1", "amr": ["pwd"]})),
    )
    .await;
    t.save("login_verifier_url", |r| r.field("/redirect_to"));
    t.step(
        "login.accept-twice",
        put(
            Admin,
            &format!("{login}/accept?login_challenge={{login_challenge}}"),
        )
        .json(json!({"subject": "user-1"})),
    )
    .await;
    t.step(
        "login.accept-unknown",
        put(Admin, &format!("{login}/accept?login_challenge=nonsense"))
            .json(json!({"subject": "user-1"})),
    )
    .await;
    t.step("flow.login-verifier", get(Public, "{login_verifier_url}"))
        .await;
    t.save("consent_challenge", |r| {
        r.location_param("consent_challenge")
    });
    t.step(
        "login.get-after-accept",
        get(
            Admin,
            &format!("{login}?login_challenge={{login_challenge}}"),
        ),
    )
    .await;
    t.step(
        "consent.get",
        get(
            Admin,
            &format!("{consent}?consent_challenge={{consent_challenge}}"),
        ),
    )
    .await;
    t.step(
        "consent.get-unknown",
        get(Admin, &format!("{consent}?consent_challenge=nonsense")),
    )
    .await;
    t.step(
        "consent.accept-bad-scope",
        put(
            Admin,
            &format!("{consent}/accept?consent_challenge={{consent_challenge}}"),
        )
        .json(json!({"grant_scope": ["admin"]})),
    )
    .await;
    t.step(
        "consent.accept",
        put(
            Admin,
            &format!("{consent}/accept?consent_challenge={{consent_challenge}}"),
        )
        .json(json!({
            "grant_scope": ["openid", "offline_access"],
            "grant_access_token_audience": [],
            "remember": true,
            "remember_for": 0,
            "session": {"access_token": {"team": "a"}, "id_token": {"email": "user@example.com"}}
        })),
    )
    .await;
    t.save("consent_verifier_url", |r| r.field("/redirect_to"));
    t.step(
        "consent.accept-twice",
        put(
            Admin,
            &format!("{consent}/accept?consent_challenge={{consent_challenge}}"),
        )
        .json(json!({"grant_scope": ["openid"]})),
    )
    .await;
    t.step(
        "flow.consent-verifier",
        get(Public, "{consent_verifier_url}"),
    )
    .await;
    t.save("code", |r| r.location_param("code"));
    t.step(
        "flow.consent-verifier-again",
        get(Public, "{consent_verifier_url}"),
    )
    .await;
    t.step(
        "login.get-after-completion",
        get(
            Admin,
            &format!("{login}?login_challenge={{login_challenge}}"),
        ),
    )
    .await;
    t.step(
        "login.accept-after-completion",
        put(
            Admin,
            &format!("{login}/accept?login_challenge={{login_challenge}}"),
        )
        .json(json!({"subject": "user-1"})),
    )
    .await;
    t.step(
        "consent.accept-after-use",
        put(
            Admin,
            &format!("{consent}/accept?consent_challenge={{consent_challenge}}"),
        )
        .json(json!({"grant_scope": ["openid"]})),
    )
    .await;
    t.step(
        "consent.get-after-use",
        get(
            Admin,
            &format!("{consent}?consent_challenge={{consent_challenge}}"),
        ),
    )
    .await;
    t.step(
        "token.code-wrong-redirect",
        post(Public, "/oauth2/token").form(&[
            ("grant_type", "authorization_code"),
            ("code", "{code}"),
            ("redirect_uri", "http://127.0.0.1:9/other"),
            ("client_id", "full"),
            ("client_secret", "a-secret-long-enough"),
        ]),
    )
    .await;
    start_flow(t, "flow.start-2", "").await;
    login_to_consent(
        t,
        "-2",
        json!({"subject": "user-1", "remember": true, "remember_for": 3600}),
    )
    .await;
    t.step(
        "consent.get-remembered",
        get(
            Admin,
            &format!("{consent}?consent_challenge={{consent_challenge}}"),
        ),
    )
    .await;
    consent_to_code(
        t,
        "-2",
        json!({"grant_scope": ["openid", "offline_access"]}),
    )
    .await;
    t.step("token.code", exchange_code()).await;
    t.save("refresh_token", |r| r.field("/refresh_token"));
    t.save("access_token", |r| r.field("/access_token"));
    t.save("id_token", |r| r.field("/id_token"));
    t.step("token.code-replayed", exchange_code()).await;
    t.step(
        "introspect.after-code-replay",
        post(Admin, "/admin/oauth2/introspect").form(&[("token", "{access_token}")]),
    )
    .await;

    // A third flow (the browser remembers the login) for refresh and userinfo.
    t.step(
        "flow.start-remembered",
        get(
            Public,
            "/oauth2/auth?client_id=full&response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&scope=openid+offline_access&state=state-123456&nonce=nonce-123456",
        ),
    )
    .await;
    t.save("login_challenge", |r| r.location_param("login_challenge"));
    t.step(
        "login.get-remembered",
        get(
            Admin,
            &format!("{login}?login_challenge={{login_challenge}}"),
        ),
    )
    .await;
    t.step(
        "login.accept-remembered-other-subject",
        put(
            Admin,
            &format!("{login}/accept?login_challenge={{login_challenge}}"),
        )
        .json(json!({"subject": "user-2"})),
    )
    .await;
    login_to_consent(t, "-3", json!({"subject": "user-1"})).await;
    consent_to_code(t, "-3", json!({"grant_scope": ["openid", "offline_access"], "session": {"id_token": {"email": "user@example.com"}}})).await;
    t.step("token.code-3", exchange_code()).await;
    t.save("refresh_token", |r| r.field("/refresh_token"));
    t.save("access_token", |r| r.field("/access_token"));
    t.step(
        "userinfo.get",
        get(Public, "/userinfo").bearer("{access_token}"),
    )
    .await;
    t.step(
        "userinfo.post",
        post(Public, "/userinfo").bearer("{access_token}"),
    )
    .await;
    t.step(
        "introspect.user-token",
        post(Admin, "/admin/oauth2/introspect").form(&[("token", "{access_token}")]),
    )
    .await;
    t.step(
        "introspect.refresh-token",
        post(Admin, "/admin/oauth2/introspect").form(&[("token", "{refresh_token}")]),
    )
    .await;
    t.step(
        "token.refresh",
        post(Public, "/oauth2/token").form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "{refresh_token}"),
            ("client_id", "full"),
            ("client_secret", "a-secret-long-enough"),
        ]),
    )
    .await;
    t.step(
        "token.refresh-wrong-client",
        post(Public, "/oauth2/token")
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", "{refresh_token}"),
            ])
            .basic("another-consumer", "consumer-secret"),
    )
    .await;
    t.step(
        "token.refresh-reused",
        post(Public, "/oauth2/token").form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "{refresh_token}"),
            ("client_id", "full"),
            ("client_secret", "a-secret-long-enough"),
        ]),
    )
    .await;

    // Rejections.
    start_flow(t, "flow.start-reject-login", "").await;
    t.step(
        "login.reject-default",
        put(
            Admin,
            &format!("{login}/reject?login_challenge={{login_challenge}}"),
        )
        .json(json!({})),
    )
    .await;
    t.save("reject_url", |r| r.field("/redirect_to"));
    t.step("flow.login-rejected", get(Public, "{reject_url}"))
        .await;
    t.step(
        "login.reject-twice",
        put(
            Admin,
            &format!("{login}/reject?login_challenge={{login_challenge}}"),
        )
        .json(json!({})),
    )
    .await;
    start_flow(t, "flow.start-reject-login-2", "").await;
    t.step(
        "login.reject-custom",
        put(Admin, &format!("{login}/reject?login_challenge={{login_challenge}}")).json(json!({
            "error": "login_required", "error_description": "no", "error_hint": "hint", "status_code": 401
        })),
    )
    .await;
    t.save("reject_url", |r| r.field("/redirect_to"));
    t.step("flow.login-rejected-custom", get(Public, "{reject_url}"))
        .await;
    start_flow(t, "flow.start-reject-consent", "").await;
    login_to_consent(t, "-4", json!({"subject": "user-3"})).await;
    t.step(
        "consent.reject",
        put(
            Admin,
            &format!("{consent}/reject?consent_challenge={{consent_challenge}}"),
        )
        .json(json!({"error": "access_denied", "error_description": "The user said no."})),
    )
    .await;
    t.save("reject_url", |r| r.field("/redirect_to"));
    t.step("flow.consent-rejected", get(Public, "{reject_url}"))
        .await;
    t.step(
        "consent.reject-twice",
        put(
            Admin,
            &format!("{consent}/reject?consent_challenge={{consent_challenge}}"),
        )
        .json(json!({})),
    )
    .await;
    t.step(
        "consent.reject-unknown",
        put(
            Admin,
            &format!("{consent}/reject?consent_challenge=nonsense"),
        )
        .json(json!({})),
    )
    .await;
}

async fn logout(t: &mut Run) {
    let logout = "/admin/oauth2/auth/requests/logout";
    t.step(
        "logout.start-with-hint",
        get(Public, "/oauth2/sessions/logout?id_token_hint={id_token}&post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fbye&state=bye-123456"),
    )
    .await;
    t.save("logout_challenge", |r| r.location_param("logout_challenge"));
    t.step(
        "logout.get",
        get(
            Admin,
            &format!("{logout}?logout_challenge={{logout_challenge}}"),
        ),
    )
    .await;
    t.step(
        "logout.get-unknown",
        get(Admin, &format!("{logout}?logout_challenge=nonsense")),
    )
    .await;
    t.step(
        "logout.reject",
        put(
            Admin,
            &format!("{logout}/reject?logout_challenge={{logout_challenge}}"),
        ),
    )
    .await;
    t.step(
        "logout.get-after-reject",
        get(
            Admin,
            &format!("{logout}?logout_challenge={{logout_challenge}}"),
        ),
    )
    .await;
    t.step(
        "logout.start-again",
        get(Public, "/oauth2/sessions/logout?id_token_hint={id_token}&post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fbye&state=bye-123456"),
    )
    .await;
    t.save("logout_challenge", |r| r.location_param("logout_challenge"));
    t.step(
        "logout.accept",
        put(
            Admin,
            &format!("{logout}/accept?logout_challenge={{logout_challenge}}"),
        ),
    )
    .await;
    t.step(
        "logout.accept-twice",
        put(
            Admin,
            &format!("{logout}/accept?logout_challenge={{logout_challenge}}"),
        ),
    )
    .await;
    t.step(
        "logout.accept-unknown",
        put(Admin, &format!("{logout}/accept?logout_challenge=nonsense")),
    )
    .await;
    t.step(
        "logout.bad-post-logout-redirect",
        get(Public, "/oauth2/sessions/logout?id_token_hint={id_token}&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F"),
    )
    .await;
    t.new_browser();
    t.step("logout.no-session", get(Public, "/oauth2/sessions/logout"))
        .await;
}

async fn sessions(t: &mut Run) {
    let c = "/admin/oauth2/auth/sessions/consent";
    t.step(
        "sessions.consent-list",
        get(Admin, &format!("{c}?subject=user-1")),
    )
    .await;
    t.step(
        "sessions.consent-list-page",
        get(Admin, &format!("{c}?subject=user-1&page_size=1")),
    )
    .await;
    t.step(
        "sessions.consent-list-nobody",
        get(Admin, &format!("{c}?subject=nobody")),
    )
    .await;
    t.step("sessions.consent-list-no-subject", get(Admin, c))
        .await;
    t.step(
        "sessions.consent-revoke-no-client",
        delete(Admin, &format!("{c}?subject=user-1")),
    )
    .await;
    t.step(
        "sessions.consent-revoke-client",
        delete(Admin, &format!("{c}?subject=user-1&client=full")),
    )
    .await;
    t.step(
        "sessions.consent-revoke-all",
        delete(Admin, &format!("{c}?subject=user-1&all=true")),
    )
    .await;
    t.step("sessions.consent-revoke-no-subject", delete(Admin, c))
        .await;
    let l = "/admin/oauth2/auth/sessions/login";
    t.step(
        "sessions.login-revoke-subject",
        delete(Admin, &format!("{l}?subject=user-1")),
    )
    .await;
    t.step(
        "sessions.login-revoke-sid",
        delete(Admin, &format!("{l}?sid=nonsense")),
    )
    .await;
    t.step("sessions.login-revoke-nothing", delete(Admin, l))
        .await;
}

/// The JWT-bearer grant and its trust relationships: the admin operations, then assertions signed
/// per server (each names that server's token endpoint) exchanged and refused.
async fn jwt_bearer(t: &mut Run) {
    use crate::jwt_bearer::{GRANT, Signer, claims, now};
    let Some(key) = Signer::new("ec", "compat-idp-1") else {
        panic!("openssl is needed to make the JWT-bearer test keys");
    };
    let base = "/admin/trust/grants/jwt-bearer/issuers";
    let idp = "https://compat-idp.example";
    let expires = (chrono::Utc::now() + chrono::Duration::hours(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let trust = |subject: serde_json::Value, any: bool| {
        let mut b = json!({"issuer": idp, "scope": ["read", "write"], "jwk": key.jwk(), "expires_at": expires});
        if !subject.is_null() {
            b["subject"] = subject;
        }
        if any {
            b["allow_any_subject"] = json!(true);
        }
        b
    };
    t.step(
        "trust.create",
        post(Admin, base).json(trust(json!("alice"), false)),
    )
    .await;
    t.save("trust_id", |r| r.field("/id"));
    t.step(
        "trust.create-duplicate",
        post(Admin, base).json(trust(json!("alice"), false)),
    )
    .await;
    t.step(
        "trust.create-no-subject",
        post(Admin, base).json(trust(serde_json::Value::Null, false)),
    )
    .await;
    t.step(
        "trust.create-subject-and-any",
        post(Admin, base).json(trust(json!("alice"), true)),
    )
    .await;
    let mut no_issuer = trust(json!("alice"), false);
    no_issuer["issuer"] = json!("");
    t.step("trust.create-no-issuer", post(Admin, base).json(no_issuer))
        .await;
    t.step("trust.get", get(Admin, &format!("{base}/{{trust_id}}")))
        .await;
    t.step(
        "trust.get-unknown",
        get(Admin, &format!("{base}/{}", uuid::Uuid::new_v4())),
    )
    .await;
    t.step(
        "trust.get-bad-id",
        get(Admin, &format!("{base}/not-a-uuid")),
    )
    .await;
    t.step("trust.list", get(Admin, base)).await;
    t.step(
        "trust.list-by-issuer",
        get(
            Admin,
            &format!("{base}?issuer=https%3A%2F%2Fcompat-idp.example"),
        ),
    )
    .await;
    t.step(
        "trust.list-other-issuer",
        get(
            Admin,
            &format!("{base}?issuer=https%3A%2F%2Fnobody.example"),
        ),
    )
    .await;

    t.quiet(post(Admin, "/admin/clients").json(json!({
        "client_id": "jwt-svc", "client_secret": "jwt-svc-secret-0123",
        "grant_types": [GRANT], "scope": "read write"
    })))
    .await;
    // Each server gets assertions naming its own token endpoint.
    let t_now = now();
    for p in &mut t.peers {
        let aud = format!("{}/oauth2/token", p.public);
        let with = |f: &dyn Fn(&mut serde_json::Value)| {
            let mut c = claims(idp, "alice", &aud);
            f(&mut c);
            key.sign(&c)
        };
        let good = with(&|_| {});
        p.vars.insert("jb_good".into(), good.clone());
        p.vars.insert("jb_replay".into(), good);
        p.vars.insert(
            "jb_expired".into(),
            with(&|c| {
                c["exp"] = json!(t_now - 10);
                c["iat"] = json!(t_now - 60);
            }),
        );
        p.vars.insert(
            "jb_wrong_aud".into(),
            with(&|c| c["aud"] = json!("https://elsewhere.example/token")),
        );
        p.vars.insert(
            "jb_no_jti".into(),
            with(&|c| {
                c.as_object_mut().unwrap().remove("jti");
            }),
        );
        p.vars.insert(
            "jb_no_iat".into(),
            with(&|c| {
                c.as_object_mut().unwrap().remove("iat");
            }),
        );
        p.vars.insert(
            "jb_other_sub".into(),
            with(&|c| c["sub"] = json!("mallory")),
        );
        p.vars.insert("jb_scope".into(), with(&|_| {}));
        p.vars.insert(
            "jb_too_long".into(),
            with(&|c| c["exp"] = json!(t_now + 800 * 3600)),
        );
    }
    let token = "/oauth2/token";
    let exchange = |assertion: &str, scope: &str| {
        let mut form = vec![("grant_type", GRANT), ("assertion", assertion)];
        if !scope.is_empty() {
            form.push(("scope", scope));
        }
        post(Public, token)
            .form(&form)
            .basic("jwt-svc", "jwt-svc-secret-0123")
    };
    t.step("token.jwt-bearer", exchange("{jb_good}", "read"))
        .await;
    t.save("jb_token", |r| r.field("/access_token"));
    t.step(
        "token.jwt-bearer-introspect",
        post(Admin, "/admin/oauth2/introspect").form(&[("token", "{jb_token}")]),
    )
    .await;
    t.step("token.jwt-bearer-replay", exchange("{jb_replay}", "read"))
        .await;
    t.step("token.jwt-bearer-expired", exchange("{jb_expired}", ""))
        .await;
    t.step("token.jwt-bearer-wrong-aud", exchange("{jb_wrong_aud}", ""))
        .await;
    t.step("token.jwt-bearer-no-jti", exchange("{jb_no_jti}", ""))
        .await;
    t.step("token.jwt-bearer-no-iat", exchange("{jb_no_iat}", ""))
        .await;
    t.step(
        "token.jwt-bearer-other-subject",
        exchange("{jb_other_sub}", ""),
    )
    .await;
    t.step("token.jwt-bearer-scope", exchange("{jb_scope}", "admin"))
        .await;
    t.step("token.jwt-bearer-too-long", exchange("{jb_too_long}", ""))
        .await;
    t.step("token.jwt-bearer-not-a-jwt", exchange("not-a-jwt", ""))
        .await;
    t.step(
        "token.jwt-bearer-no-assertion",
        post(Public, token)
            .form(&[("grant_type", GRANT)])
            .basic("jwt-svc", "jwt-svc-secret-0123"),
    )
    .await;
    t.step(
        "token.jwt-bearer-client-without-grant",
        post(Public, token)
            .form(&[("grant_type", GRANT), ("assertion", "{jb_good}")])
            .basic("some-consumer", "some-secret"),
    )
    .await;

    t.step(
        "trust.delete",
        delete(Admin, &format!("{base}/{{trust_id}}")),
    )
    .await;
    t.step(
        "trust.delete-again",
        delete(Admin, &format!("{base}/{{trust_id}}")),
    )
    .await;
    t.step(
        "trust.get-deleted",
        get(Admin, &format!("{base}/{{trust_id}}")),
    )
    .await;
}

/// Pairwise subject identifiers (both servers offer them, with the same salt): the identifier is
/// compared by value, so Latchkey computes what Hydra computes.
async fn pairwise(t: &mut Run) {
    t.step(
        "clients.create-pairwise",
        post(Admin, "/admin/clients").json(json!({
            "client_id": "pw", "client_secret": "pw-secret-0123456789",
            "grant_types": ["authorization_code"], "response_types": ["code"],
            "scope": "openid", "redirect_uris": [CB], "subject_type": "pairwise",
            "token_endpoint_auth_method": "client_secret_post"
        })),
    )
    .await;
    t.step(
        "clients.create-pairwise-two-hosts",
        post(Admin, "/admin/clients").json(json!({
            "client_id": "pw-bad", "redirect_uris": [CB, "https://other.example/cb"],
            "subject_type": "pairwise"
        })),
    )
    .await;
    t.quiet(delete(Admin, "/admin/clients/pw-bad")).await;
    for (n, login) in [
        ("", json!({"subject": "user-pw"})),
        (
            "-forced",
            json!({"subject": "user-pw", "force_subject_identifier": "forced-pw"}),
        ),
    ] {
        t.new_browser();
        t.step(
            &format!("flow.start-pairwise{n}"),
            get(
                Public,
                "/oauth2/auth?client_id=pw&response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&scope=openid&state=state-123456&nonce=nonce-123456",
            ),
        )
        .await;
        t.save("login_challenge", |r| r.location_param("login_challenge"));
        login_to_consent(t, &format!("-pairwise{n}"), login).await;
        consent_to_code(
            t,
            &format!("-pairwise{n}"),
            json!({"grant_scope": ["openid"]}),
        )
        .await;
        t.step(
            &format!("token.pairwise{n}"),
            post(Public, "/oauth2/token").form(&[
                ("grant_type", "authorization_code"),
                ("code", "{code}"),
                ("redirect_uri", CB),
                ("client_id", "pw"),
                ("client_secret", "pw-secret-0123456789"),
            ]),
        )
        .await;
        t.save("pw_token", |r| r.field("/access_token"));
        t.step(
            &format!("token.pairwise{n}-introspect"),
            post(Admin, "/admin/oauth2/introspect").form(&[("token", "{pw_token}")]),
        )
        .await;
        t.step(
            &format!("token.pairwise{n}-userinfo"),
            get(Public, "/userinfo").bearer("{pw_token}"),
        )
        .await;
    }
}

/// Dynamic client registration (both servers have it enabled): the lifecycle with the
/// registration access token, and what a self-registering client may not choose.
async fn dynamic_registration(t: &mut Run) {
    let reg = "/oauth2/register";
    t.step(
        "dcr.create",
        post(Public, reg).json(json!({
            "client_name": "Self-service", "grant_types": ["client_credentials"],
            "redirect_uris": [CB], "scope": "openid"
        })),
    )
    .await;
    t.save("dcr_id", |r| r.field("/client_id"));
    t.save("dcr_token", |r| r.field("/registration_access_token"));
    t.save("dcr_secret", |r| r.field("/client_secret"));
    t.step(
        "dcr.client-credentials",
        post(Public, "/oauth2/token")
            .form(&[("grant_type", "client_credentials")])
            .basic("{dcr_id}", "{dcr_secret}"),
    )
    .await;
    t.step(
        "dcr.get",
        get(Public, "/oauth2/register/{dcr_id}").bearer("{dcr_token}"),
    )
    .await;
    t.step("dcr.get-no-token", get(Public, "/oauth2/register/{dcr_id}"))
        .await;
    t.step(
        "dcr.get-wrong-token",
        get(Public, "/oauth2/register/{dcr_id}").bearer("wrong-token"),
    )
    .await;
    for (step, body) in [
        (
            "dcr.create-with-secret",
            json!({"client_secret": "chosen-secret-123"}),
        ),
        (
            "dcr.create-with-metadata",
            json!({"metadata": {"tier": "gold"}}),
        ),
        (
            "dcr.create-with-strategy",
            json!({"access_token_strategy": "jwt"}),
        ),
        ("dcr.create-skip-consent", json!({"skip_consent": true})),
        (
            "dcr.create-with-lifespan",
            json!({"client_credentials_grant_access_token_lifespan": "8760h"}),
        ),
    ] {
        t.step(step, post(Public, reg).json(body)).await;
    }
    t.step(
        "dcr.update",
        put(Public, "/oauth2/register/{dcr_id}")
            .bearer("{dcr_token}")
            .json(json!({
                "client_name": "Renamed", "grant_types": ["client_credentials"],
                "redirect_uris": [CB], "scope": "openid"
            })),
    )
    .await;
    t.save("dcr_token2", |r| r.field("/registration_access_token"));
    t.step(
        "dcr.get-stale-token",
        get(Public, "/oauth2/register/{dcr_id}").bearer("{dcr_token}"),
    )
    .await;
    t.step(
        "dcr.update-with-secret",
        put(Public, "/oauth2/register/{dcr_id}")
            .bearer("{dcr_token2}")
            .json(json!({"client_secret": "chosen-secret-123"})),
    )
    .await;
    t.step(
        "dcr.delete-wrong-token",
        delete(Public, "/oauth2/register/{dcr_id}").bearer("wrong-token"),
    )
    .await;
    t.step(
        "dcr.delete",
        delete(Public, "/oauth2/register/{dcr_id}").bearer("{dcr_token2}"),
    )
    .await;
    t.step(
        "dcr.get-deleted",
        get(Public, "/oauth2/register/{dcr_id}").bearer("{dcr_token2}"),
    )
    .await;
}

//! The CLI against a running server: current and classic forms, output formats, and errors.

use serde_json::Value;

use crate::support::{TestServer, cli};

async fn cli_against_server(s: TestServer) {
    let e = s.admin.as_str();
    // The classic tutorial's two clients.
    let (ok, out, err) = cli(&[
        "clients",
        "create",
        "--endpoint",
        e,
        "--id",
        "my-client",
        "--secret",
        "secret",
        "-g",
        "client_credentials",
    ])
    .await;
    assert!(ok, "{err}");
    assert!(out.contains("my-client") && out.contains("secret"), "{out}");
    let (ok, _, err) = cli(&[
        "clients",
        "create",
        "--endpoint",
        e,
        "--id",
        "another-client",
        "--secret",
        "another-secret",
        "-g",
        "authorization_code,refresh_token",
        "-r",
        "code,id_token",
        "--scope",
        "openid,offline",
        "--callbacks",
        "http://127.0.0.1:9010/callback",
    ])
    .await;
    assert!(ok, "{err}");
    let got: Value = s
        .get("/admin/clients/another-client")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        got["grant_types"],
        serde_json::json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(
        got["response_types"],
        serde_json::json!(["code", "id_token"])
    );
    assert_eq!(got["scope"], "openid offline");
    assert_eq!(
        got["redirect_uris"],
        serde_json::json!(["http://127.0.0.1:9010/callback"])
    );

    // The current form, JSON output.
    let (ok, out, err) = cli(&[
        "create",
        "client",
        "-e",
        e,
        "--name",
        "Cli App",
        "--grant-type",
        "client_credentials",
        "--audience",
        "https://api.example.com",
        "--format",
        "json",
    ])
    .await;
    assert!(ok, "{err}");
    let created: Value = serde_json::from_str(&out).unwrap();
    let id = created["client_id"].as_str().unwrap().to_owned();
    assert!(created["client_secret"].as_str().unwrap().len() >= 32);
    assert_eq!(
        created["audience"],
        serde_json::json!(["https://api.example.com"])
    );

    let (ok, out, _) = cli(&["get", "client", &id, "-e", e, "--format", "json"]).await;
    assert!(ok);
    let got: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(got["client_name"], "Cli App");
    assert!(got.get("client_secret").is_none());

    let (ok, out, _) = cli(&["get", "client", &id, "-e", e]).await;
    assert!(ok);
    assert!(
        out.contains("CLIENT NAME") && out.contains("Cli App"),
        "{out}"
    );

    let (ok, out, _) = cli(&["list", "clients", "-e", e]).await;
    assert!(ok);
    assert!(
        out.contains("my-client") && out.contains("another-client") && out.contains(&id),
        "{out}"
    );
    let (ok, out, _) = cli(&[
        "list",
        "clients",
        "-e",
        e,
        "--page-size",
        "2",
        "--format",
        "json",
    ])
    .await;
    assert!(ok);
    let page: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let token = page["next_page_token"].as_str().unwrap().to_owned();
    let (ok, out, _) = cli(&[
        "list",
        "clients",
        "-e",
        e,
        "--page-size",
        "2",
        "--page-token",
        &token,
        "-q",
    ])
    .await;
    assert!(ok);
    assert_eq!(out.lines().count(), 1, "{out}");
    let (ok, out, _) = cli(&["clients", "list", "--endpoint", e, "-q"]).await;
    assert!(ok);
    assert_eq!(out.lines().count(), 3, "{out}");

    let (ok, out, err) = cli(&[
        "update",
        "client",
        &id,
        "-e",
        e,
        "--name",
        "Renamed",
        "-g",
        "client_credentials",
        "--format",
        "json",
    ])
    .await;
    assert!(ok, "{err}");
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap()["client_name"],
        "Renamed"
    );

    // The admin URL from the environment.
    let out = crate::support::latchkey()
        .args(["get", "client", "my-client", "--format", "json"])
        .env("HYDRA_ADMIN_URL", e)
        .output()
        .unwrap();
    assert!(out.status.success());

    // Errors: one line on stderr, non-zero exit.
    let (ok, _, err) = cli(&["get", "client", "does-not-exist", "-e", e]).await;
    assert!(!ok);
    assert!(err.contains("404") && err.lines().count() == 1, "{err}");
    let (ok, _, err) = cli(&[
        "create",
        "client",
        "-e",
        e,
        "--redirect-uri",
        "not-absolute",
    ])
    .await;
    assert!(!ok);
    assert!(
        err.contains("redirect_uris") && err.lines().count() == 1,
        "{err}"
    );

    let (ok, out, _) = cli(&["delete", "client", &id, "-e", e]).await;
    assert!(ok);
    assert!(out.contains(&id));
    let (ok, _, _) = cli(&["clients", "delete", "my-client", "--endpoint", e]).await;
    assert!(ok);
    assert_eq!(s.get("/admin/clients/my-client").await.status(), 404);
    let (ok, _, err) = cli(&["clients", "get", "my-client", "--endpoint", e]).await;
    assert!(!ok && err.contains("404"), "{err}");
    s.stop().await;
}

crate::per_database!(server: cli_against_server);

crate::test!(cli_with_no_server_says_so);
async fn cli_with_no_server_says_so() {
    // A port nothing listens on.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    let (ok, _, err) = cli(&["list", "clients", "-e", &url]).await;
    assert!(!ok);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("cannot reach the server"), "{err}");
}

crate::test!(help_lists_both_forms_and_version_prints);
async fn help_lists_both_forms_and_version_prints() {
    let (ok, out, _) = cli(&["help"]).await;
    assert!(ok);
    for cmd in [
        "serve", "migrate", "create", "get", "list", "update", "delete", "clients", "keys",
        "token", "version",
    ] {
        assert!(out.contains(cmd), "help should list {cmd}: {out}");
    }
    let (ok, out, _) = cli(&["clients", "--help"]).await;
    assert!(ok);
    for cmd in ["create", "get", "list", "delete"] {
        assert!(out.contains(cmd), "{out}");
    }
    let (ok, out, _) = cli(&["version"]).await;
    assert!(ok);
    assert!(out.contains(env!("CARGO_PKG_VERSION")));
}

/// `create/get/delete jwk` and the classic `keys create/get/delete`.
async fn cli_keys(s: TestServer) {
    let e = s.admin.as_str();
    let (ok, out, err) = cli(&[
        "create", "jwk", "my-set", "--alg", "ES256", "--kid", "k1", "-e", e,
    ])
    .await;
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["SET", "ID", "KEY", "ID", "ALGORITHM", "USE"]
    );
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>(),
        ["my-set", "k1", "ES256", "sig"]
    );
    let (ok, out, _) = cli(&[
        "create", "jwk", "my-set", "-e", e, "--format", "json", "--public",
    ])
    .await;
    assert!(ok);
    let created: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(created["keys"][0]["alg"], "RS256", "RS256 is the default");
    assert!(
        created["keys"][0].get("d").is_none(),
        "--public prints no private parameter"
    );
    let (ok, out, _) = cli(&["get", "jwk", "my-set", "-e", e, "--format", "json"]).await;
    assert!(ok);
    let set: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(set["keys"].as_array().unwrap().len(), 2);
    assert!(set["keys"][1]["d"].is_string());
    let (ok, out, _) = cli(&["get", "jwk", "my-set", "-e", e, "-q"]).await;
    assert!(ok);
    assert_eq!(out.lines().last(), Some("k1"));
    let (ok, _, err) = cli(&["create", "jwk", "my-set", "--alg", "HS256", "-e", e]).await;
    assert!(!ok && err.contains("HS256"), "{err}");

    // Classic: JSON by default.
    let (ok, out, err) = cli(&[
        "keys",
        "create",
        "classic-set",
        "-a",
        "EdDSA",
        "--endpoint",
        e,
    ])
    .await;
    assert!(ok, "{err}");
    let created: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(created["keys"][0]["crv"], "Ed25519");
    let (ok, out, _) = cli(&["keys", "get", "classic-set", "--endpoint", e]).await;
    assert!(ok);
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap(), created);
    let (ok, out, _) = cli(&["keys", "delete", "classic-set", "--endpoint", e]).await;
    assert!(ok && out.trim() == "classic-set", "{out}");
    let (ok, _, err) = cli(&["keys", "get", "classic-set", "--endpoint", e]).await;
    assert!(!ok && err.contains("404"), "{err}");
    let (ok, _, _) = cli(&["delete", "jwk", "my-set", "-e", e]).await;
    assert!(ok);
    assert_eq!(s.get("/admin/keys/my-set").await.status(), 404);
    s.stop().await;
}

crate::per_database!(server: cli_keys);

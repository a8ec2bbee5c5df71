//! Admin API keys (`serve.admin.auth.api_keys`; Latchkey's own, Hydra has none): every admin route
//! but `/health/*` and `/version` needs `Authorization: Bearer <key>`, any key of the list (so keys
//! rotate); refusals are 401 with `WWW-Authenticate`; the public API is untouched. Checked over raw
//! HTTP, through Hydra's Python and JavaScript SDKs (the key as a default `Authorization` header:
//! Hydra's spec declares no security on admin operations, so the SDKs' `access_token` is not sent
//! there), through the CLI (`--api-key`, `LATCHKEY_ADMIN_API_KEY`), and by `serve ui` (ui.rs).

use std::process::Command;

use serde_json::{Value, json};

use crate::support::{Backend, TestDb, TestServer, cli};

const K1: &str = "admin-key-one-0123456789abcdef01234567";
const K2: &str = "admin-key-two-0123456789abcdef01234567";

async fn server() -> TestServer {
    let db = TestDb::create(Backend::Sqlite).await.unwrap();
    TestServer::start_with(db, |c| {
        c.serve.admin.auth.api_keys = vec![
            latchkey::config::Secret(K1.into()),
            latchkey::config::Secret(K2.into()),
        ];
    })
    .await
}

async fn get(
    s: &TestServer,
    path: &str,
    auth: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut r = s.http.get(format!("{}{path}", s.admin));
    if let Some(a) = auth {
        r = r.header("authorization", a);
    }
    let r = r.send().await.unwrap();
    let (st, h) = (r.status().as_u16(), r.headers().clone());
    (st, h, r.json().await.unwrap_or(Value::Null))
}

crate::test!(every_admin_route_needs_a_key);
async fn every_admin_route_needs_a_key() {
    let s = server().await;
    for (auth, what) in [
        (None, "no key"),
        (Some("Bearer not-the-key".to_owned()), "a wrong key"),
        (
            Some(format!("Bearer {}", &K1[..K1.len() - 1])),
            "a prefix of a key",
        ),
        (Some(format!("Basic {K1}")), "the key as Basic"),
    ] {
        for path in [
            "/admin/clients",
            "/clients",
            "/admin/keys/hydra.openid.id-token",
            "/admin/openapi.json",
            "/admin/trust/grants/jwt-bearer/issuers",
        ] {
            let (st, h, e) = get(&s, path, auth.as_deref()).await;
            assert_eq!(st, 401, "{what} on {path}: {e}");
            assert_eq!(e["error"], "unauthorized");
            assert!(
                h["www-authenticate"]
                    .to_str()
                    .unwrap()
                    .starts_with("Bearer"),
                "{what}"
            );
        }
    }
    let r = s
        .http
        .post(format!("{}/admin/clients", s.admin))
        .json(&json!({"client_id": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "writes too");
    // Either key of the list, as a bearer token (scheme in any case).
    for auth in [format!("Bearer {K1}"), format!("bearer {K2}")] {
        let (st, _, v) = get(&s, "/admin/clients", Some(&auth)).await;
        assert_eq!(st, 200, "{v}");
    }
    // What probes read stays open.
    for path in [
        "/health/alive",
        "/health/ready",
        "/version",
        "/admin/health/alive",
        "/admin/health/ready",
        "/admin/version",
    ] {
        assert_eq!(get(&s, path, None).await.0, 200, "{path}");
    }
    // The public API is not the admin API.
    let r = s
        .http
        .get(format!("{}/.well-known/openid-configuration", s.public))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    s.stop().await;
}

crate::test!(short_keys_are_a_configuration_error);
async fn short_keys_are_a_configuration_error() {
    let db = TestDb::create(Backend::Sqlite).await.unwrap();
    let (ok, _, err) = {
        let mut cmd = crate::support::latchkey();
        cmd.args(["serve", "admin", "--dev"])
            .env("DSN", &db.dsn)
            .env("SERVE_ADMIN_PORT", "0")
            .env("SERVE_ADMIN_AUTH_API_KEYS", "too-short");
        let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert!(!ok);
    assert!(err.contains("serve.admin.auth.api_keys"), "{err}");
}

crate::test!(the_cli_sends_the_key);
async fn the_cli_sends_the_key() {
    let s = server().await;
    let (ok, _, err) = cli(&["list", "clients", "-e", &s.admin]).await;
    assert!(!ok);
    assert!(err.contains("401") && err.contains("API key"), "{err}");
    let (ok, out, err) = cli(&[
        "create",
        "client",
        "--id",
        "cli-made",
        "-g",
        "client_credentials",
        "-e",
        &s.admin,
        "--api-key",
        K1,
    ])
    .await;
    assert!(ok, "{err}");
    assert!(out.contains("cli-made"), "{out}");
    let mut cmd = crate::support::latchkey();
    cmd.args([
        "get", "client", "cli-made", "-e", &s.admin, "--format", "json",
    ])
    .env("LATCHKEY_ADMIN_API_KEY", K2);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(c["client_id"], "cli-made");
    s.stop().await;
}

fn run(mut cmd: Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("ok"),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

crate::test!(hydras_sdks_with_and_without_the_key, needs: [Sdks]);
async fn hydras_sdks_with_and_without_the_key() {
    let s = server().await;
    {
        let dir = crate::sdks::installed("python");
        let mut cmd = Command::new("python3");
        cmd.arg("-c")
            .arg(
                r#"
import sys, ory_hydra_client as hydra
from ory_hydra_client.models import OAuth2Client
admin, key = sys.argv[1], sys.argv[2]
# Hydra's spec declares no security on admin operations, so the SDK's access_token is not sent
# there: the key goes in as a default header, which every generated SDK takes.
keyed = hydra.OAuth2Api(hydra.ApiClient(hydra.Configuration(host=admin), header_name="Authorization", header_value="Bearer " + key))
keyed.create_o_auth2_client(OAuth2Client(client_id="py-keyed", grant_types=["client_credentials"]))
assert any(c.client_id == "py-keyed" for c in keyed.list_o_auth2_clients())
bare = hydra.OAuth2Api(hydra.ApiClient(hydra.Configuration(host=admin)))
try:
    bare.list_o_auth2_clients()
    raise SystemExit("FAILED: no key, yet an answer")
except hydra.exceptions.UnauthorizedException:
    pass
wrong = hydra.OAuth2Api(hydra.ApiClient(hydra.Configuration(host=admin), header_name="Authorization", header_value="Bearer wrong-key"))
try:
    wrong.get_o_auth2_client("py-keyed")
    raise SystemExit("FAILED: a wrong key, yet an answer")
except hydra.exceptions.UnauthorizedException:
    pass
assert hydra.MetadataApi(hydra.ApiClient(hydra.Configuration(host=admin))).is_alive().status == "ok"
print("ok")
"#,
            )
            .arg(&s.admin)
            .arg(K1)
            .env("PYTHONPATH", dir);
        tokio::task::spawn_blocking(move || run(cmd)).await.unwrap();
    }
    {
        let dir = crate::sdks::installed("js");
        let mut cmd = Command::new("node");
        cmd.arg("--input-type=module")
            .arg("-e")
            .arg(
                r#"
import { createRequire } from 'node:module';
const require = createRequire(process.env.NODE_PATH + '/');
const hydra = require('@ory/hydra-client');
const [admin, key] = process.argv.slice(1);
const keyed = new hydra.OAuth2Api(new hydra.Configuration({ basePath: admin, baseOptions: { headers: { Authorization: `Bearer ${key}` } } }));
await keyed.createOAuth2Client({ oAuth2Client: { client_id: 'js-keyed', grant_types: ['client_credentials'] } });
if (!(await keyed.listOAuth2Clients()).data.some((c) => c.client_id === 'js-keyed')) throw new Error('FAILED: list');
const bare = new hydra.OAuth2Api(new hydra.Configuration({ basePath: admin }));
try { await bare.listOAuth2Clients(); throw new Error('FAILED: no key, yet an answer'); }
catch (e) { if (e.response?.status !== 401) throw e; }
console.log('ok');
"#,
            )
            .arg(&s.admin)
            .arg(K2)
            .env("NODE_PATH", dir.join("node_modules"));
        tokio::task::spawn_blocking(move || run(cmd)).await.unwrap();
    }
    s.stop().await;
}

//! Hydra's own SDKs against Latchkey: the Python one (`ory-hydra-client`, whose pydantic models
//! validate every answer), the JavaScript one (`@ory/hydra-client`) and the Go one
//! (`hydra-client-go`, whose models decode strictly) each run a script under `tests/sdk/` that
//! calls every admin operation Latchkey serves and checks what comes back. The SDKs are
//! installed outside the clone by `tests/sdk/install.sh` (CI runs it); without them these tests
//! are skipped, unless `LATCHKEY_REQUIRE_SDKS` is set (CI sets it).

use std::{path::PathBuf, process::Command};

use crate::{
    authcode::free_port,
    support::{Backend, TestDb, TestServer},
};

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sdk")
        .join(name)
}

/// An installed SDK's directory, for a test registered with `needs: [Sdks]`.
pub fn installed(sub: &str) -> PathBuf {
    let dir = crate::harness::sdks_dir().join(sub);
    assert!(
        dir.exists(),
        "{} is missing (tests/sdk/install.sh installs Hydra's SDKs)",
        dir.display()
    );
    dir
}

/// A server as a login/consent app would face it: an external app's URLs (never fetched; the
/// scripts read challenges off the redirects), its issuer at its real address.
async fn server() -> TestServer {
    let db = TestDb::create(Backend::Sqlite).await.unwrap();
    let port = free_port();
    TestServer::start_with(db, |c| {
        c.serve.public.port = port;
        c.urls.self_.issuer = format!("http://127.0.0.1:{port}/");
        c.urls.login = Some("http://127.0.0.1:9/login".into());
        c.urls.consent = Some("http://127.0.0.1:9/consent".into());
        c.urls.logout = Some("http://127.0.0.1:9/logout".into());
        c.oidc.dynamic_client_registration.enabled = true;
    })
    .await
}

fn run(mut cmd: Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.trim_end().ends_with("ok"),
        "{what} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

crate::test!(hydra_python_sdk, needs: [Sdks]);
async fn hydra_python_sdk() {
    let dir = installed("python");
    let s = server().await;
    let mut cmd = Command::new("python3");
    cmd.arg(script("hydra_python.py"))
        .arg(&s.admin)
        .arg(&s.public)
        .env("PYTHONPATH", dir);
    let (admin, public) = (s.admin.clone(), s.public.clone());
    tokio::task::spawn_blocking(move || run(cmd, &format!("hydra_python.py {admin} {public}")))
        .await
        .unwrap();
    s.stop().await;
}

crate::test!(generated_python_client_reads_every_client, needs: [Sdks]);
/// A Python client generated from our own spec (openapi-generator, strict pydantic models) reads
/// every client the server returns: those it creates itself, and ones registered dynamically,
/// whose answers carry null in many fields.
async fn generated_python_client_reads_every_client() {
    let (python, generator) = (
        installed("python"),
        installed("openapi-generator/openapi-generator-cli-7.25.0.jar"),
    );
    let out = tempfile::tempdir().unwrap();
    let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi/admin.json");
    let mut generate = Command::new("java");
    generate
        .arg("-jar")
        .arg(&generator)
        .args([
            "generate",
            "-g",
            "python",
            "--package-name",
            "latchkey_admin",
            "-q",
        ])
        .args([
            "--global-property",
            "modelTests=false,apiTests=false,modelDocs=false,apiDocs=false",
        ])
        .arg("-i")
        .arg(&spec)
        .arg("-o")
        .arg(out.path());
    let done = tokio::task::spawn_blocking(move || generate.output().unwrap())
        .await
        .unwrap();
    assert!(
        done.status.success(),
        "openapi-generator: {}",
        String::from_utf8_lossy(&done.stderr)
    );
    let s = server().await;
    for body in [
        serde_json::json!({"client_name": "registered", "redirect_uris": ["https://dcr.example/cb"]}),
        serde_json::json!({"redirect_uris": ["https://dcr2.example/cb"], "grant_types": ["implicit"], "response_types": ["id_token"]}),
    ] {
        let r = s.register(&body).await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }
    let mut cmd = Command::new("python3");
    cmd.arg(script("generated_python.py")).arg(&s.admin).env(
        "PYTHONPATH",
        format!("{}:{}", out.path().display(), python.display()),
    );
    let admin = s.admin.clone();
    tokio::task::spawn_blocking(move || run(cmd, &format!("generated_python.py {admin}")))
        .await
        .unwrap();
    s.stop().await;
}

crate::test!(hydra_js_sdk, needs: [Sdks]);
async fn hydra_js_sdk() {
    let dir = installed("js");
    let s = server().await;
    let mut cmd = Command::new("node");
    cmd.arg(script("hydra_js.mjs"))
        .arg(&s.admin)
        .arg(&s.public)
        .env("NODE_PATH", dir.join("node_modules"));
    let (admin, public) = (s.admin.clone(), s.public.clone());
    tokio::task::spawn_blocking(move || run(cmd, &format!("hydra_js.mjs {admin} {public}")))
        .await
        .unwrap();
    s.stop().await;
}

crate::test!(hydra_go_sdk_reads_discovery, needs: [Sdks]);
async fn hydra_go_sdk_reads_discovery() {
    let dir = installed("go/discovery");
    let s = server().await;
    let mut cmd = Command::new(dir);
    cmd.arg(&s.public).arg(&s.admin);
    let public = s.public.clone();
    tokio::task::spawn_blocking(move || run(cmd, &format!("go discovery {public}")))
        .await
        .unwrap();
    s.stop().await;
}

//! Configuration errors stop the server at start with one line that names the key.

use crate::support::latchkey;

fn serve_with(env: &[(&str, &str)], files: &[&std::path::Path]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = latchkey();
    cmd.current_dir(dir.path()).args(["serve", "all", "--dev"]);
    for f in files {
        cmd.arg("-c").arg(f);
    }
    cmd.env("SERVE_PUBLIC_PORT", "0")
        .env("SERVE_ADMIN_PORT", "0")
        .env("DSN", "memory");
    for (k, v) in env {
        cmd.env(k, v);
    }
    // A configuration that is wrongly accepted would serve forever: give it 15 s, then kill it.
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

crate::test!(sync config_errors_name_the_key);
fn config_errors_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("unknown.yaml");
    std::fs::write(&yaml, "serve:\n  public:\n    prot: 4444\n").unwrap();
    let toml = dir.path().join("types.toml");
    std::fs::write(&toml, "[ttl]\nauth_code = 5\n").unwrap();
    let cases: Vec<(Vec<(&str, &str)>, Vec<&std::path::Path>, &str)> = vec![
        (
            vec![("SERVE_PUBLIC_PORT", "70000")],
            vec![],
            "serve.public.port",
        ),
        (
            vec![("SERVE_ADMIN_PORT", "many")],
            vec![],
            "serve.admin.port",
        ),
        (vec![("DSN", "oracle://db")], vec![], "`dsn`"),
        (
            vec![("SECRETS_SYSTEM", "too-short")],
            vec![],
            "secrets.system",
        ),
        (
            vec![("TTL_ACCESS_TOKEN", "forever")],
            vec![],
            "ttl.access_token",
        ),
        (vec![("LOG_LEVEL", "chatty")], vec![], "log.level"),
        (
            vec![("URLS_SELF_ISSUER", "not a url")],
            vec![],
            "urls.self.issuer",
        ),
        (
            vec![("OAUTH2_PKCE_ENFORCED", "maybe")],
            vec![],
            "oauth2.pkce.enforced",
        ),
        (vec![], vec![yaml.as_path()], "serve.public.prot"),
        (vec![], vec![toml.as_path()], "ttl.auth_code"),
    ];
    for (env, files, key) in cases {
        let (ok, stderr) = serve_with(&env, &files);
        assert!(!ok, "{env:?} {files:?} should fail");
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(
            lines.len(),
            1,
            "one line expected for {env:?} {files:?}, got: {stderr}"
        );
        assert!(
            lines[0].contains(key),
            "{env:?} {files:?}: {stderr:?} should name {key}"
        );
    }
}

crate::test!(sync production_mode_refuses_plain_http_and_missing_secrets);
fn production_mode_refuses_plain_http_and_missing_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let out = latchkey()
        .current_dir(dir.path())
        .args(["serve", "all"])
        .env("DSN", "memory")
        .env("SECRETS_SYSTEM", "0123456789abcdef0123")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("plain HTTP"));
    let out = latchkey()
        .current_dir(dir.path())
        .args(["serve", "all", "--dangerous-force-http"])
        .env("DSN", "memory")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("secrets.system"));
}

crate::test!(sync config_files_layer_under_the_environment);
fn config_files_layer_under_the_environment() {
    use latchkey::config::Config;
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.yaml");
    std::fs::write(&a, "serve:\n  public:\n    port: 9000\nttl:\n  access_token: 2h\nurls:\n  self:\n    issuer: https://a.example/\n").unwrap();
    let b = dir.path().join("b.toml");
    std::fs::write(
        &b,
        "[ttl]\naccess_token = \"3h\"\n[secrets]\nsystem = [\"0123456789abcdef0\"]\n",
    )
    .unwrap();
    let env = vec![(
        "URLS_SELF_ISSUER".to_string(),
        "https://env.example/".to_string(),
    )];
    let (c, _) = Config::load(&[a, b], env).unwrap();
    assert_eq!(c.serve.public.port, 9000);
    assert_eq!(c.ttl.access_token, "3h");
    assert_eq!(c.urls.self_.issuer, "https://env.example/");
    assert_eq!(c.secrets.system[0].0, "0123456789abcdef0");
}

//! The classic "run your own OAuth2 server" tutorial, as `docs/tutorial.md` prints it: every
//! command below is checked to appear verbatim on that page, then run by `bash` with `latchkey`
//! on the PATH — migrate, `serve all` on the tutorial's ports (9000/9001), the login/consent app
//! on 9020 where `foo@bar.com` / `foobar` signs in, the two clients, the client credentials grant,
//! introspection, and `token user` on 9010 through the sign-in and consent pages. On PostgreSQL
//! (the tutorial's database, a `hydra` user owning a `hydra` database) when the suite has one
//! (`TEST_POSTGRES_URL`), else on SQLite.

use std::{
    collections::HashMap,
    path::Path,
    process::{Command, Stdio},
    time::Duration,
};

use sea_orm::{ConnectionTrait, Database};

use crate::{
    support::KillOnDrop,
    ui::{authorize_link, demo_user_signs_in, exit_status},
};

const PAGE: &str = include_str!("../../docs/tutorial.md");

const SECRET: &str =
    "export SECRETS_SYSTEM='this_needs_to_be_the_same_always_and_also_very_$3cuR3-._'";
const DSN_POSTGRES: &str =
    "export DSN='postgres://hydra:secret@127.0.0.1:5432/hydra?sslmode=disable'";
const DSN_SQLITE: &str = "export DSN='sqlite://tutorial.sqlite?mode=rwc'";
const MIGRATE: &str = "latchkey migrate sql --yes $DSN";
const URLS: &str = "export URLS_SELF_ISSUER=http://127.0.0.1:9000/ URLS_CONSENT=http://127.0.0.1:9020/consent URLS_LOGIN=http://127.0.0.1:9020/login";
const PORTS: &str = "export SERVE_PUBLIC_PORT=9000 SERVE_ADMIN_PORT=9001";
const SERVE: &str = "latchkey serve all --dangerous-force-http &";
const APP: &str = "latchkey serve ui --admin-url http://127.0.0.1:9001 --port 9020 --dev &";
const CLIENT_1: &str = "latchkey clients create --endpoint http://127.0.0.1:9001 --id some-consumer --secret some-secret --grant-types client_credentials --response-types token,code";
const TOKEN: &str = "latchkey token client --client-id some-consumer --client-secret some-secret --endpoint http://127.0.0.1:9000";
const INTROSPECT: &str =
    "latchkey token introspect --endpoint http://127.0.0.1:9001 <the token printed above>";
const CLIENT_2: &str = "latchkey clients create --endpoint http://127.0.0.1:9001 --id another-consumer --secret consumer-secret -g authorization_code,refresh_token -r token,code,id_token --scope openid,offline --callbacks http://127.0.0.1:9010/callback";
const USER: &str = "latchkey token user --port 9010 --auth-url http://127.0.0.1:9000/oauth2/auth --token-url http://127.0.0.1:9000/oauth2/token --client-id another-consumer --client-secret consumer-secret --scope openid,offline --redirect http://127.0.0.1:9010/callback";

/// A shell session: the exported variables, and `latchkey` (and a stand-in browser opener) on
/// the PATH.
struct Shell {
    env: HashMap<String, String>,
    dir: tempfile::TempDir,
}

impl Shell {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let bin = Path::new(env!("CARGO_BIN_EXE_latchkey")).parent().unwrap();
        // `token user` opens the system browser; here the test is the browser.
        for opener in ["xdg-open", "sensible-browser"] {
            let p = dir.path().join(opener);
            std::fs::write(&p, "#!/bin/sh\nexit 0\n").unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let path = format!(
            "{}:{}:{}",
            dir.path().display(),
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut env = HashMap::new();
        env.insert("PATH".to_owned(), path);
        env.insert("LOG_LEVEL".to_owned(), "warn".to_owned());
        Self { env, dir }
    }

    fn command(&self, line: &str) -> Command {
        assert!(
            PAGE.contains(line.trim_end_matches(" &")),
            "not on docs/tutorial.md: {line}"
        );
        self.command_unchecked(line)
    }

    /// A command of the page with its placeholder filled in.
    fn command_unchecked(&self, line: &str) -> Command {
        let mut c = Command::new("bash");
        c.arg("-c")
            .arg(line.trim_end_matches(" &"))
            .current_dir(self.dir.path())
            .envs(&self.env);
        c
    }

    /// `export A=1 B='two'`: as bash would, without running bash (the variables must outlive
    /// the line).
    fn export(&mut self, line: &str) {
        assert!(PAGE.contains(line), "not on docs/tutorial.md: {line}");
        let rest = line.strip_prefix("export ").unwrap();
        let mut chars = rest.chars().peekable();
        while chars.peek().is_some() {
            let name: String = chars.by_ref().take_while(|c| *c != '=').collect();
            let mut value = String::new();
            if chars.peek() == Some(&'\'') {
                chars.next();
                value = chars.by_ref().take_while(|c| *c != '\'').collect();
                chars.next_if_eq(&' ');
            } else {
                value.extend(chars.by_ref().take_while(|c| *c != ' '));
            }
            self.env.insert(name.trim().to_owned(), value);
        }
    }

    /// Runs a command to its end; its standard output.
    fn run(&self, line: &str) -> String {
        assert!(PAGE.contains(line), "not on docs/tutorial.md: {line}");
        self.run_unchecked(line)
    }

    fn run_unchecked(&self, line: &str) -> String {
        let out = self.command_unchecked(line).output().unwrap();
        assert!(
            out.status.success(),
            "{line}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Starts a command that ends in `&`.
    fn start(&self, line: &str) -> KillOnDrop {
        assert!(line.ends_with(" &"));
        let child = self
            .command(line)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        KillOnDrop(child)
    }
}

async fn wait_up(url: &str) {
    for _ in 0..300 {
        if reqwest::get(url)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nothing answered at {url}");
}

/// The tutorial's PostgreSQL database: a `hydra` user owning an empty `hydra` database, on the
/// suite's test server (its address must be the tutorial's 127.0.0.1:5432).
async fn tutorial_database(admin_url: &str) {
    let conn = Database::connect(admin_url).await.unwrap();
    for sql in [
        "DROP DATABASE IF EXISTS hydra WITH (FORCE)",
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hydra') THEN CREATE ROLE hydra LOGIN PASSWORD 'secret'; END IF; END $$",
        "CREATE DATABASE hydra OWNER hydra",
    ] {
        conn.execute_unprepared(sql).await.unwrap();
    }
    conn.close().await.ok();
}

crate::test!(classic_tutorial);
async fn classic_tutorial() {
    let mut sh = Shell::new();
    // 1. The database and the server.
    sh.export(SECRET);
    match std::env::var("TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(url) => {
            assert!(
                url.contains("@127.0.0.1:5432"),
                "the tutorial's DSN is on 127.0.0.1:5432; TEST_POSTGRES_URL is {url}"
            );
            tutorial_database(&url).await;
            sh.export(DSN_POSTGRES);
        }
        None => sh.export(DSN_SQLITE),
    }
    sh.run(MIGRATE);
    sh.export(URLS);
    sh.export(PORTS);
    let _server = sh.start(SERVE);
    wait_up("http://127.0.0.1:9001/health/ready").await;
    // 2. The login and consent app, with the tutorial's user.
    let _app = sh.start(APP);
    wait_up("http://127.0.0.1:9020/signed-out").await;
    // 3. The client credentials grant and introspection.
    let out = sh.run(CLIENT_1);
    assert!(out.contains("some-consumer"), "{out}");
    let token = sh.run(TOKEN);
    let token = token.trim();
    assert!(token.starts_with("ory_at_"), "{token}");
    assert!(PAGE.contains(INTROSPECT));
    let out = sh.run_unchecked(&INTROSPECT.replace("<the token printed above>", token));
    assert!(out.contains("true"), "{out}");
    // 4. The authorization code flow as foo@bar.com.
    let out = sh.run(CLIENT_2);
    assert!(out.contains("another-consumer"), "{out}");
    let user = sh
        .command(USER)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut user = KillOnDrop(user);
    let home = "http://127.0.0.1:9010/";
    wait_up(home).await;
    let body = reqwest::get(home).await.unwrap().text().await.unwrap();
    let done = demo_user_signs_in(&authorize_link(&body), "http://127.0.0.1:9020").await;
    assert!(done.body.contains("Signed in"), "{}", done.body);
    assert!(exit_status(&mut user.0).await.success());
    let mut out = String::new();
    use std::io::Read;
    user.0
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(
        out.contains("ACCESS TOKEN")
            && out.contains("REFRESH TOKEN")
            && out.contains("ID TOKEN CLAIMS"),
        "{out}"
    );
}

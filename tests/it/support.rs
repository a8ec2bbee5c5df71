//! Test harness: a real server on port 0 over a fresh database, on SQLite always and on PostgreSQL
//! and MySQL when `TEST_POSTGRES_URL` / `TEST_MYSQL_URL` are set (each test gets its own database).

#![allow(dead_code)]

use std::{path::PathBuf, sync::Arc};

use latchkey::{
    app,
    clock::SystemClock,
    config::{Config, Secret},
    http::State,
    storage::{Db, migrate},
};
use sea_orm::{ConnectionTrait, Database};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    Mysql,
}

/// A database made for one test, dropped when the test ends.
pub struct TestDb {
    pub dsn: String,
    pub backend: Backend,
    admin_url: Option<String>,
    name: String,
    _dir: Option<tempfile::TempDir>,
}

fn unique_name() -> String {
    format!("lk_test_{}", uuid::Uuid::new_v4().simple())
}

impl TestDb {
    /// A fresh, empty database, or `None` when the backend is not configured here.
    pub async fn create(backend: Backend) -> Option<TestDb> {
        let name = unique_name();
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("tempdir");
                let path = dir.path().join("latchkey.sqlite");
                Some(TestDb {
                    dsn: format!("sqlite://{}?mode=rwc", path.display()),
                    backend,
                    admin_url: None,
                    name,
                    _dir: Some(dir),
                })
            }
            Backend::Postgres | Backend::Mysql => {
                let var = if backend == Backend::Postgres {
                    "TEST_POSTGRES_URL"
                } else {
                    "TEST_MYSQL_URL"
                };
                let admin_url = std::env::var(var).ok().filter(|v| !v.is_empty())?;
                let conn = Database::connect(&admin_url)
                    .await
                    .expect("connect to the test database server");
                conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                conn.close().await.ok();
                let mut url = url::Url::parse(&admin_url).expect("test database URL");
                url.set_path(&format!("/{name}"));
                Some(TestDb {
                    dsn: url.to_string(),
                    backend,
                    admin_url: Some(admin_url),
                    name,
                    _dir: None,
                })
            }
        }
    }

    /// The same database for a second server; the first `TestDb` owns (and drops) it.
    pub fn borrowed(dsn: &str) -> TestDb {
        TestDb {
            dsn: dsn.to_owned(),
            backend: Backend::Sqlite,
            admin_url: None,
            name: unique_name(),
            _dir: None,
        }
    }

    pub fn sqlite_path(&self) -> Option<PathBuf> {
        self._dir.as_ref().map(|d| d.path().join("latchkey.sqlite"))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(admin_url) = self.admin_url.clone() else {
            return;
        };
        let name = self.name.clone();
        // Drop the database from a thread of its own: Drop cannot await, and the test's runtime
        // may be shutting down.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(conn) = Database::connect(&admin_url).await {
                    let force = if admin_url.starts_with("postgres") {
                        " WITH (FORCE)"
                    } else {
                        ""
                    };
                    let _ = conn
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}{force}"))
                        .await;
                    conn.close().await.ok();
                }
            });
        })
        .join();
    }
}

/// A configuration suitable for tests: loopback, ephemeral ports, a fixed secret.
pub fn test_config(dsn: &str) -> Config {
    let mut c = Config {
        dsn: dsn.to_owned(),
        ..Config::default()
    };
    c.secrets.system = vec![Secret("test-secret-0123456789abcdef".into())];
    c.serve.public.host = "127.0.0.1".into();
    c.serve.admin.host = "127.0.0.1".into();
    c
}

/// Where a server answers, for helpers that drive any server (in this process or not).
pub trait Api {
    fn admin(&self) -> &str;
    fn public(&self) -> &str;
    fn http(&self) -> &reqwest::Client;
}

/// Implements [`Api`] for a type with `admin`, `public` and `http` fields.
#[macro_export]
macro_rules! api_by_fields {
    ($t:ty) => {
        impl $crate::support::Api for $t {
            fn admin(&self) -> &str {
                &self.admin
            }
            fn public(&self) -> &str {
                &self.public
            }
            fn http(&self) -> &reqwest::Client {
                &self.http
            }
        }
    };
}

crate::api_by_fields!(TestServer);

/// The redirect URI of the test clients (never fetched: tests read the code off the redirect).
pub const CB: &str = "https://rp.example/cb";

/// A running server over its own database.
pub struct TestServer {
    pub db: TestDb,
    pub state: State,
    pub admin: String,
    pub public: String,
    pub http: reqwest::Client,
    running: Option<app::Running>,
}

impl TestServer {
    pub async fn start(backend: Backend) -> Option<TestServer> {
        let db = TestDb::create(backend).await?;
        Some(Self::start_on(db).await)
    }

    pub async fn start_on(db: TestDb) -> TestServer {
        Self::start_with(db, |_| {}).await
    }

    /// Starts over `db` with a test configuration adjusted by `tweak`.
    pub async fn start_with(db: TestDb, tweak: impl FnOnce(&mut Config)) -> TestServer {
        Self::start_clocked(db, tweak, Arc::new(SystemClock)).await
    }

    /// As [`TestServer::start_with`], reading time from `clock` (a `ManualClock` lets a test
    /// move time forward instead of sleeping).
    pub async fn start_clocked(
        db: TestDb,
        tweak: impl FnOnce(&mut Config),
        clock: Arc<dyn latchkey::clock::Clock>,
    ) -> TestServer {
        let mut config = test_config(&db.dsn);
        tweak(&mut config);
        let conn = Db::connect(&db.dsn).await.expect("connect");
        migrate::up(&conn).await.expect("migrate");
        // Port 0 unless the test chose one (a real browser needs the issuer to be the address).
        let public_port = match config.serve.public.port {
            4444 => 0,
            p => p,
        };
        let state = app::state(config, conn, clock);
        let public = tokio::net::TcpListener::bind(("127.0.0.1", public_port))
            .await
            .expect("bind");
        let admin = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let running = app::start(state.clone(), Some(public), Some(admin), None).expect("start");
        TestServer {
            admin: format!("http://{}", running.admin_addr.expect("admin addr")),
            public: format!("http://{}", running.public_addr.expect("public addr")),
            http: reqwest::Client::new(),
            state,
            db,
            running: Some(running),
        }
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await.expect("clean shutdown");
        }
    }

    /// Stops the server but keeps its database for another one.
    pub async fn stop_keep_db(mut self) -> TestDb {
        if let Some(r) = self.running.take() {
            r.shutdown().await.expect("clean shutdown");
        }
        self.db
    }

    /// POSTs a form to a public path, with HTTP Basic credentials when given.
    /// The discovery document (`/.well-known/openid-configuration`).
    pub async fn discovery(&self) -> serde_json::Value {
        self.http
            .get(format!("{}/.well-known/openid-configuration", self.public))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("JSON")
    }

    /// Dynamic client registration (`POST /oauth2/register`, RFC 7591) of `body`.
    pub async fn register(&self, body: &serde_json::Value) -> reqwest::Response {
        self.http
            .post(format!("{}/oauth2/register", self.public))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// Userinfo for a bearer token: the JSON answer (whatever the status).
    pub async fn userinfo(&self, token: &str) -> serde_json::Value {
        self.http
            .get(format!("{}/userinfo", self.public))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("JSON")
    }

    pub async fn token_request(
        &self,
        basic: Option<(&str, &str)>,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut req = self
            .http
            .post(format!("{}/oauth2/token", self.public))
            .form(form);
        if let Some((id, secret)) = basic {
            req = req.basic_auth(id, Some(secret));
        }
        req.send().await.expect("request")
    }

    /// A token request with basic client authentication: its status and JSON body.
    pub async fn token_json(
        &self,
        id: &str,
        secret: &str,
        form: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        let r = self.token_request(Some((id, secret)), form).await;
        (
            r.status().as_u16(),
            r.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    /// A client credentials access token (the request must succeed); `form` adds parameters.
    pub async fn client_credentials(
        &self,
        id: &str,
        secret: &str,
        form: &[(&str, &str)],
    ) -> String {
        let mut f = vec![("grant_type", "client_credentials")];
        f.extend_from_slice(form);
        let (status, t) = self.token_json(id, secret, &f).await;
        assert_eq!(status, 200, "{t}");
        t["access_token"].as_str().unwrap().to_owned()
    }

    /// Introspects a token through the admin API.
    pub async fn introspect(&self, token: &str) -> serde_json::Value {
        self.introspect_with(token, None).await
    }

    /// Introspects a token, requiring `scope` when given.
    pub async fn introspect_with(&self, token: &str, scope: Option<&str>) -> serde_json::Value {
        let mut form = vec![("token", token)];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        self.http
            .post(format!("{}/admin/oauth2/introspect", self.admin))
            .form(&form)
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json")
    }

    /// POSTs JSON to an admin path.
    pub async fn post(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.admin))
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.admin))
            .send()
            .await
            .expect("request")
    }
}

/// Runs `f` against a fresh server on `backend` (the harness has checked that it is configured).
pub async fn run<F, Fut>(backend: Backend, f: F)
where
    F: FnOnce(TestServer) -> Fut,
    Fut: Future<Output = ()>,
{
    f(TestServer::start(backend).await.expect("the database")).await
}

/// As [`run`], with the server's configuration adjusted by `tweak`.
pub async fn run_with<F, Fut>(backend: Backend, tweak: fn(&mut Config), f: F)
where
    F: FnOnce(TestServer) -> Fut,
    Fut: Future<Output = ()>,
{
    let db = TestDb::create(backend).await.expect("the database");
    f(TestServer::start_with(db, tweak).await).await
}

/// Registers a client through the admin API (it must succeed).
pub async fn make_client(s: &TestServer, body: serde_json::Value) {
    let r = s.post("/admin/clients", body.clone()).await;
    assert_eq!(r.status(), 201, "{body}: {}", r.text().await.unwrap());
}

/// The header of a JWT, unverified.
pub fn jwt_header(jwt: &str) -> serde_json::Value {
    jwt_part(jwt, 0)
}

/// The claims of a JWT, unverified (its payload, base64url-decoded).
pub fn jwt_claims(jwt: &str) -> serde_json::Value {
    jwt_part(jwt, 1)
}

fn jwt_part(jwt: &str, n: usize) -> serde_json::Value {
    use base64::Engine;
    let payload = jwt
        .split('.')
        .nth(n)
        .expect("a JWT has a header and a payload");
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("base64url"),
    )
    .expect("JSON claims")
}

/// The `latchkey` binary built for these tests.
pub fn latchkey() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_latchkey"));
    for var in [
        "LATCHKEY_ADMIN_URL",
        "LATCHKEY_ADMIN_API_KEY",
        "SERVE_ADMIN_AUTH_API_KEYS",
        "HYDRA_ADMIN_URL",
        "ORY_SDK_URL",
        "DSN",
        "SECRETS_SYSTEM",
        "LOG_LEVEL",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Runs the CLI and returns (success, stdout, stderr).
pub async fn cli(args: &[&str]) -> (bool, String, String) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let out =
        tokio::task::spawn_blocking(move || latchkey().args(&args).output().expect("run latchkey"))
            .await
            .expect("join");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Kills a spawned server when the test ends, even if it panicked.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl KillOnDrop {
    /// Sends SIGTERM and waits up to 10 s for the process to exit; returns its status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.0.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM {pid} failed");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            if let Some(status) = self.0.try_wait().expect("wait") {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "SIGTERM did not stop the server"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

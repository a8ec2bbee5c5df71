//! Many nodes, one truth: two real `latchkey serve all` processes on one database (a SQLite file,
//! PostgreSQL, MySQL), and every write that changes what a cache may hold — made on one node —
//! seen by the other within the window the issue sets: 50 ms on PostgreSQL, 100 ms on MySQL and
//! SQLite.
//!
//! The window is measured from the moment the writing node's HTTP answer arrived to the moment
//! the request that got the first stale-free answer from the other node was *sent* (its answer
//! may take longer — an argon2 check, say — but its content was decided after it was sent, so
//! the other node was stale for at most that long). Each is printed:
//! `window <db> <what>: <ms> ms`.
//!
//! The listener-loss test kills the PostgreSQL listener connections (`pg_terminate_backend`)
//! again and again while revoking tokens on one node and introspecting them on the other: no
//! answer may be stale beyond the window, whether the listener is up, down or catching up.

use std::{
    io::{BufRead, BufReader},
    process::Stdio,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

use crate::{
    flows::{App, Browser, admin_get, continue_flow, param},
    support::{Backend, KillOnDrop, TestDb, latchkey},
};

const SECRET: &str = "test-secret-0123456789abcdef";
use crate::support::CB;

/// One `latchkey serve all` process.
struct Node {
    admin: String,
    public: String,
    http: reqwest::Client,
    log: Arc<Mutex<Vec<String>>>,
    process: KillOnDrop,
}

crate::api_by_fields!(Node);

impl Node {
    /// Starts a server process on `dsn` (migrated already) on ports of its own, with an external
    /// login/consent app (the test plays it through the admin API).
    async fn start(dsn: &str) -> Node {
        let mut child = latchkey()
            .args(["serve", "all", "--dangerous-force-http"])
            .env("DSN", dsn)
            .env("SECRETS_SYSTEM", SECRET)
            .env("SERVE_PUBLIC_HOST", "127.0.0.1")
            .env("SERVE_ADMIN_HOST", "127.0.0.1")
            .env("SERVE_PUBLIC_PORT", "0")
            .env("SERVE_ADMIN_PORT", "0")
            .env("URLS_LOGIN", "http://127.0.0.1:9/login")
            .env("URLS_CONSENT", "http://127.0.0.1:9/consent")
            .env("URLS_LOGOUT", "http://127.0.0.1:9/logout")
            .env("LOG_LEVEL", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start latchkey");
        let stderr = child.stderr.take().unwrap();
        let process = KillOnDrop(child);
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                for (what, key) in [
                    ("public", "public API listening"),
                    ("admin", "admin API listening"),
                ] {
                    if line.contains(key)
                        && let Some(addr) = line.split("address=").nth(1)
                    {
                        let addr = addr.split_whitespace().next().unwrap_or_default();
                        let _ = tx.send((what, format!("http://{addr}")));
                    }
                }
                lines.lock().unwrap().push(line);
            }
        });
        let (mut admin, mut public) = (None, None);
        while admin.is_none() || public.is_none() {
            let (what, url) =
                tokio::task::block_in_place(|| rx.recv_timeout(Duration::from_secs(60)))
                    .unwrap_or_else(|_| {
                        panic!("the server did not start: {:?}", log.lock().unwrap())
                    });
            if what == "admin" {
                admin = Some(url);
            } else {
                public = Some(url);
            }
        }
        Node {
            admin: admin.unwrap(),
            public: public.unwrap(),
            http: reqwest::Client::new(),
            log,
            process,
        }
    }

    fn logged(&self, text: &str) -> bool {
        self.log.lock().unwrap().iter().any(|l| l.contains(text))
    }

    async fn admin_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut r = self.http.request(method, format!("{}{path}", self.admin));
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    async fn token(&self, basic: (&str, &str), form: &[(&str, &str)]) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}/oauth2/token", self.public))
            .basic_auth(basic.0, Some(basic.1))
            .form(form)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    async fn introspect(&self, token: &str) -> Value {
        self.http
            .post(format!("{}/admin/oauth2/introspect", self.admin))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn active(&self, token: &str) -> bool {
        self.introspect(token).await["active"] == true
    }
}

/// How long the other node may stay stale.
fn target(backend: Backend) -> Duration {
    match backend {
        Backend::Postgres => Duration::from_millis(50),
        Backend::Mysql | Backend::Sqlite => Duration::from_millis(100),
    }
}

/// Asks `fresh` until it says the other node's answer reflects the write answered at `written`;
/// returns the window (see the module docs), and fails past a few seconds.
async fn window<F, Fut>(what: &str, written: Instant, mut fresh: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let mut stale = 0;
    loop {
        let sent = Instant::now();
        if fresh().await {
            if stale > 0 && std::env::var_os("NODES_DEBUG").is_some() {
                eprintln!(
                    "{what}: {stale} stale answers, fresh one sent after {:?}",
                    sent - written
                );
            }
            return sent.saturating_duration_since(written);
        }
        stale += 1;
        assert!(
            written.elapsed() < Duration::from_secs(5),
            "{what}: the other node still answers from before the write after 5 s"
        );
    }
}

struct Windows {
    backend: Backend,
    seen: Vec<(String, Duration)>,
}

impl Windows {
    fn record(&mut self, what: &str, w: Duration) {
        crate::note!(
            "window {:?} {what}: {:.1} ms",
            self.backend,
            w.as_secs_f64() * 1000.0
        );
        self.seen.push((what.to_owned(), w));
    }

    /// [`window`] for the write answered at `written`, recorded under `what`.
    async fn measure<F, Fut>(&mut self, what: &str, written: Instant, fresh: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        let w = window(what, written, fresh).await;
        self.record(what, w);
    }

    /// The windows over the target.
    fn over(&self) -> Vec<(String, Duration)> {
        let limit = target(self.backend);
        self.seen
            .iter()
            .filter(|(_, w)| *w > limit)
            .cloned()
            .collect()
    }
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// An authorization code for `web`, through node `n` (login remembered when asked).
async fn code(n: &Node, b: &mut Browser, remember: bool) -> String {
    let url = format!(
        "{}/oauth2/auth?client_id=web&response_type=code&scope=openid+offline_access&redirect_uri={}&state=state-123456",
        n.public,
        enc(CB)
    );
    let app = App {
        login: Ok(json!({"subject": "ada", "remember": remember})),
        consent: Ok(json!({"remember": true})),
    };
    let first = b.get(&url).await;
    let (page, _) = continue_flow(n, b, first, &app).await;
    let loc = page.location.expect("redirect to the client");
    param(&loc, "code").unwrap_or_else(|| panic!("no code in {loc}"))
}

async fn exchange(n: &Node, code: &str) -> (u16, Value) {
    n.token(
        ("web", "web-secret"),
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CB),
        ],
    )
    .await
}

/// Whether an authorization request on `n` with this browser's cookies finds a login session.
async fn skips_login(n: &Node, mut br: Browser) -> bool {
    let url = format!(
        "{}/oauth2/auth?client_id=web&response_type=code&scope=openid&redirect_uri={}&state=state-123456",
        n.public,
        enc(CB)
    );
    let page = br.get(&url).await;
    let loc = page.location.expect("to the login app");
    let ch = param(&loc, "login_challenge").expect("a login challenge");
    let (st, req) = admin_get(
        n,
        &format!(
            "/admin/oauth2/auth/requests/login?login_challenge={}",
            enc(&ch)
        ),
    )
    .await;
    assert_eq!(st, 200, "{req}");
    req["skip"] == true
}

/// The key ids `n` publishes.
async fn kids(n: &Node) -> Vec<String> {
    let jwks: Value = n
        .http
        .get(format!("{}/.well-known/jwks.json", n.public))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

/// [`scenario`], run again once when a window was over the target: a window is a timing taken
/// on a shared machine (two cores, the rest of the suite running beside it), and a neighbour's
/// burst of CPU can hold a node's answer back; a regression is over on every run.
async fn two_nodes(backend: Backend) {
    let Some(first) = scenario(backend).await else {
        panic!("{backend:?} is not configured");
    };
    if first.is_empty() {
        return;
    }
    eprintln!("{backend:?}: over the window on the first run: {first:?}; measuring again");
    let second = scenario(backend).await.unwrap();
    assert!(
        second.is_empty(),
        "{backend:?}: over {:?} on two runs: {first:?}, then {second:?}",
        target(backend)
    );
}

/// Every write of the module docs, made on one node and checked on the other; the windows over
/// the target (`None` when the backend is not configured).
async fn scenario(backend: Backend) -> Option<Vec<(String, Duration)>> {
    let db = TestDb::create(backend).await?;
    let conn = latchkey::storage::Db::connect(&db.dsn).await.unwrap();
    latchkey::storage::migrate::up(&conn).await.unwrap();
    let (a, b) = tokio::join!(Node::start(&db.dsn), Node::start(&db.dsn));
    let mut windows = Windows {
        backend,
        seen: Vec::new(),
    };
    use reqwest::Method;

    // A client secret change.
    let svc = json!({"client_id": "svc", "client_secret": "old-secret", "grant_types": ["client_credentials"]});
    assert_eq!(
        a.admin_json(Method::POST, "/admin/clients", Some(svc))
            .await
            .0,
        201
    );
    let cc = [("grant_type", "client_credentials")];
    assert_eq!(
        b.token(("svc", "old-secret"), &cc).await.0,
        200,
        "created on a, works on b"
    );
    let (st, _) = a
        .admin_json(
            Method::PUT,
            "/admin/clients/svc",
            Some(json!({"client_secret": "new-secret", "grant_types": ["client_credentials"]})),
        )
        .await;
    let written = Instant::now();
    assert_eq!(st, 200);
    windows
        .measure("client secret change", written, || async {
            b.token(("svc", "old-secret"), &cc).await.0 == 401
        })
        .await;
    assert_eq!(b.token(("svc", "new-secret"), &cc).await.0, 200);

    // A secret rotation (Hydra's rotateOAuth2ClientSecret): the new secret works on the other
    // node at once, and the old one still does, on both, until the rotated ones are deleted.
    let (st, rotated) = a
        .admin_json(Method::POST, "/admin/clients/svc/secrets/rotate", None)
        .await;
    let written = Instant::now();
    assert_eq!(st, 200, "{rotated}");
    let rotated_secret = rotated["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(rotated_secret, "new-secret");
    // Here a stale answer is the slow one (b refuses the new secret only after an argon2
    // verification, tens of milliseconds under load), so an immediate first probe would turn the
    // window into that probe's duration. The first probe waits 30 ms instead: the window is
    // still counted from the write's answer, so this can only make it longer, never shorter.
    tokio::time::sleep(Duration::from_millis(30)).await;
    windows
        .measure("client secret rotation", written, || async {
            b.token(("svc", &rotated_secret), &cc).await.0 == 200
        })
        .await;
    for n in [&a, &b] {
        assert_eq!(
            n.token(("svc", "new-secret"), &cc).await.0,
            200,
            "the previous secret stays valid"
        );
        assert_eq!(n.token(("svc", &rotated_secret), &cc).await.0, 200);
    }
    let (st, kept) = a
        .admin_json(Method::DELETE, "/admin/clients/svc/secrets/rotate", None)
        .await;
    let written = Instant::now();
    assert_eq!(st, 200, "{kept}");
    assert!(kept.get("client_secret").is_none(), "{kept}");
    windows
        .measure("rotated secrets deleted", written, || async {
            b.token(("svc", "new-secret"), &cc).await.0 == 401
        })
        .await;
    assert_eq!(a.token(("svc", "new-secret"), &cc).await.0, 401);
    assert_eq!(b.token(("svc", &rotated_secret), &cc).await.0, 200);

    // A client deletion.
    let (st, _) = a
        .admin_json(Method::DELETE, "/admin/clients/svc", None)
        .await;
    let written = Instant::now();
    assert_eq!(st, 204);
    windows
        .measure("client deletion", written, || async {
            b.token(("svc", &rotated_secret), &cc).await.0 == 401
        })
        .await;

    // A token revocation.
    let svc2 = json!({"client_id": "svc2", "client_secret": "svc2-secret", "grant_types": ["client_credentials"]});
    assert_eq!(
        a.admin_json(Method::POST, "/admin/clients", Some(svc2))
            .await
            .0,
        201
    );
    let (_, t) = a.token(("svc2", "svc2-secret"), &cc).await;
    let at = t["access_token"].as_str().unwrap().to_owned();
    assert!(b.active(&at).await && b.active(&at).await, "cached on b");
    let r = a
        .http
        .post(format!("{}/oauth2/revoke", a.public))
        .basic_auth("svc2", Some("svc2-secret"))
        .form(&[("token", at.as_str())])
        .send()
        .await
        .unwrap();
    let written = Instant::now();
    assert_eq!(r.status(), 200);
    windows
        .measure("token revocation", written, || async {
            !b.active(&at).await
        })
        .await;

    // A replayed code revokes its family, on both nodes.
    let web = json!({"client_id": "web", "client_secret": "web-secret", "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"], "scope": "openid offline_access", "redirect_uris": [CB]});
    assert_eq!(
        a.admin_json(Method::POST, "/admin/clients", Some(web))
            .await
            .0,
        201
    );
    let mut browser = Browser::new();
    let c = code(&a, &mut browser, false).await;
    let (st, t) = exchange(&a, &c).await;
    assert_eq!(st, 200, "{t}");
    let at = t["access_token"].as_str().unwrap().to_owned();
    assert!(a.active(&at).await && b.active(&at).await, "cached on both");
    let (st, e) = exchange(&b, &c).await;
    let written = Instant::now();
    assert_eq!((st, e["error"].as_str()), (400, Some("invalid_grant")));
    windows
        .measure(
            "replayed code family revocation (replaying node)",
            written,
            || async { !b.active(&at).await },
        )
        .await;
    windows
        .measure(
            "replayed code family revocation (other node)",
            written,
            || async { !a.active(&at).await },
        )
        .await;

    // A refresh rotation, and a reused refresh token revoking its family.
    let c = code(&a, &mut browser, false).await;
    let (_, t) = exchange(&a, &c).await;
    let rt1 = t["refresh_token"].as_str().unwrap().to_owned();
    assert!(b.active(&rt1).await, "cached on b");
    let refresh = |rt: String| {
        let a = &a;
        async move {
            a.token(
                ("web", "web-secret"),
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", rt.as_str()),
                ],
            )
            .await
        }
    };
    let (st, t2) = refresh(rt1.clone()).await;
    let written = Instant::now();
    assert_eq!(st, 200, "{t2}");
    windows
        .measure("refresh rotation (old refresh token)", written, || async {
            !b.active(&rt1).await
        })
        .await;
    let at2 = t2["access_token"].as_str().unwrap().to_owned();
    assert!(b.active(&at2).await, "cached on b");
    let (st, _) = refresh(rt1.clone()).await;
    let written = Instant::now();
    assert_eq!(st, 400);
    windows
        .measure(
            "reused refresh token family revocation",
            written,
            || async { !b.active(&at2).await },
        )
        .await;

    // A consent revocation, with its tokens.
    let c = code(&a, &mut browser, false).await;
    let (_, t) = exchange(&a, &c).await;
    let at = t["access_token"].as_str().unwrap().to_owned();
    assert!(b.active(&at).await, "cached on b");
    let (st, _) = a
        .admin_json(
            Method::DELETE,
            "/admin/oauth2/auth/sessions/consent?subject=ada&client=web",
            None,
        )
        .await;
    let written = Instant::now();
    assert_eq!(st, 204);
    windows
        .measure("consent revocation with its tokens", written, || async {
            !b.active(&at).await
        })
        .await;

    // A logout: the login session ended on a is not remembered by b.
    let mut remembered = Browser::new();
    let _ = code(&a, &mut remembered, true).await;
    assert!(
        skips_login(&b, remembered.clone()).await,
        "the session is known on b"
    );
    let (st, _) = a
        .admin_json(
            Method::DELETE,
            "/admin/oauth2/auth/sessions/login?subject=ada",
            None,
        )
        .await;
    let written = Instant::now();
    assert_eq!(st, 204);
    windows
        .measure("logout (login session ended)", written, || {
            let skips = skips_login(&b, remembered.clone());
            async move { !skips.await }
        })
        .await;

    // A key rotation: a new ID token key made on a is published by b.
    let before = kids(&b).await;
    let (st, made) = a
        .admin_json(
            Method::POST,
            "/admin/keys/hydra.openid.id-token",
            Some(json!({"alg": "RS256", "use": "sig", "kid": "rotated"})),
        )
        .await;
    let written = Instant::now();
    assert_eq!(st, 201, "{made}");
    assert!(!before.contains(&"rotated".to_owned()));
    windows
        .measure("key rotation", written, || async {
            kids(&b).await.contains(&"rotated".to_owned())
        })
        .await;

    let over = windows.over();

    // SIGTERM: requests finished, then the background tasks (writer, listener or poller, …)
    // stopped together, none left behind.
    for mut n in [a, b] {
        let status = tokio::task::block_in_place(|| n.process.terminate());
        assert!(status.success(), "{status}");
        std::thread::sleep(Duration::from_millis(50));
        assert!(n.logged("stopped"), "{:?}", n.log.lock().unwrap());
        assert!(!n.logged("left behind") && !n.logged("panicked"));
    }
    Some(over)
}

crate::per_database!(two_nodes);

crate::test!(losing_the_listener_never_serves_stale_answers, needs: [Postgres]);
/// Kills the PostgreSQL listener connections of both nodes every 50 ms for two seconds while a
/// revocation on one node is checked on the other: never stale beyond the window, listener up or
/// down; both nodes went cold and caught up again.
async fn losing_the_listener_never_serves_stale_answers() {
    let Some(db) = TestDb::create(Backend::Postgres).await else {
        panic!("PostgreSQL is not configured");
    };
    let conn = latchkey::storage::Db::connect(&db.dsn).await.unwrap();
    latchkey::storage::migrate::up(&conn).await.unwrap();
    let (a, b) = tokio::join!(Node::start(&db.dsn), Node::start(&db.dsn));
    let svc = json!({"client_id": "svc", "client_secret": "svc-secret", "grant_types": ["client_credentials"]});
    assert_eq!(
        a.admin_json(reqwest::Method::POST, "/admin/clients", Some(svc))
            .await
            .0,
        201
    );
    let kill = async {
        use sea_orm::ConnectionTrait;
        let mut killed = 0u64;
        let until = Instant::now() + Duration::from_secs(2);
        while Instant::now() < until {
            let r = conn
                .conn
                .execute_unprepared(&format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE application_name = '{}' AND datname = current_database()",
                    latchkey::coherence::postgres::APPLICATION_NAME
                ))
                .await
                .unwrap();
            killed += r.rows_affected();
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        killed
    };
    let check = async {
        let mut worst = Duration::ZERO;
        let mut rounds = 0;
        let until = Instant::now() + Duration::from_millis(2500);
        while Instant::now() < until {
            let (_, t) = a
                .token(
                    ("svc", "svc-secret"),
                    &[("grant_type", "client_credentials")],
                )
                .await;
            let at = t["access_token"].as_str().unwrap().to_owned();
            assert!(b.active(&at).await, "issued on a, active on b");
            let r = a
                .http
                .post(format!("{}/oauth2/revoke", a.public))
                .basic_auth("svc", Some("svc-secret"))
                .form(&[("token", at.as_str())])
                .send()
                .await
                .unwrap();
            let written = Instant::now();
            assert_eq!(r.status(), 200);
            let w = window(
                "revocation while the listener is killed",
                written,
                || async { !b.active(&at).await },
            )
            .await;
            if w > target(Backend::Postgres) && std::env::var_os("NODES_DEBUG").is_some() {
                eprintln!("stale at {:?}", std::time::SystemTime::now());
                for l in b.log.lock().unwrap().iter().rev().take(8) {
                    eprintln!("  b: {l}");
                }
            }
            worst = worst.max(w);
            rounds += 1;
        }
        (worst, rounds)
    };
    let (killed, (worst, rounds)) = tokio::join!(kill, check);
    crate::note!(
        "window Postgres revocation with the listener killed {killed} times: worst of {rounds} {:.1} ms",
        worst.as_secs_f64() * 1000.0
    );
    assert!(killed > 0, "no listener connection was found to kill");
    assert!(worst <= target(Backend::Postgres), "stale for {worst:?}");
    for n in [&a, &b] {
        assert!(
            n.logged("caches cold until caught up"),
            "{:?}",
            n.log.lock().unwrap()
        );
    }
    // Back to normal: both nodes catch up, and events flow again.
    let deadline = Instant::now() + Duration::from_secs(15);
    while !(a
        .log
        .lock()
        .unwrap()
        .iter()
        .rev()
        .take_while(|l| !l.contains("caches cold"))
        .any(|l| l.contains("caught up"))
        && b.log
            .lock()
            .unwrap()
            .iter()
            .rev()
            .take_while(|l| !l.contains("caches cold"))
            .any(|l| l.contains("caught up")))
    {
        assert!(
            Instant::now() < deadline,
            "the nodes did not catch up again"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

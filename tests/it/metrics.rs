//! `GET /admin/metrics/prometheus`, read by the Prometheus project's own parsers (its Python
//! client's classic-text and OpenMetrics parsers, installed by `tests/sdk/install.sh`): the
//! counters move with the traffic a test makes — requests by route and status, tokens by grant
//! and kind, flows started, completed and rejected, sign-in failures, cache hits and misses,
//! group-commit batches — and the pool and build gauges are there. Every server in a process
//! adds to the same series, so the checks are on increases of at least what this test caused.

use std::{
    io::Write,
    process::{Command, Stdio},
};

use serde_json::{Value, json};

use crate::{
    flows::{App, Browser, CB, admin_put, enc, param, run_flow, web_client},
    support::TestServer,
};

/// Every sample as `(name, labels, value)`, from the OpenMetrics parser, after checking that the
/// classic parser reads the same scrape to the same samples.
async fn scrape(s: &TestServer) -> Vec<(String, Value, f64)> {
    let dir = crate::sdks::installed("python/prometheus_client");
    let r = s
        .http
        .get(format!("{}/admin/metrics/prometheus", s.admin))
        .header("accept", "application/openmetrics-text; version=1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text; version=1.0.0")
    );
    let text = r.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"));
    let mut child = Command::new("python3")
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/prometheus_parse.py"))
        .env("PYTHONPATH", dir.parent().unwrap())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the parsers refused the scrape: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let samples = |k: &str| -> Vec<(String, Value, f64)> {
        parsed[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s[0].as_str().unwrap().to_owned(),
                    s[1].clone(),
                    s[2].as_f64().unwrap(),
                )
            })
            .collect()
    };
    let (om, classic) = (samples("openmetrics"), samples("classic"));
    for (name, labels, _) in om.iter().filter(|(n, ..)| n.ends_with("_total")) {
        assert!(
            classic.iter().any(|(n, l, _)| n == name && l == labels),
            "the classic parser lost {name}{labels}"
        );
    }
    om
}

/// The sum of the samples named `name` whose labels include `labels`.
fn value(samples: &[(String, Value, f64)], name: &str, labels: Value) -> f64 {
    samples
        .iter()
        .filter(|(n, l, _)| {
            n == name
                && labels
                    .as_object()
                    .unwrap()
                    .iter()
                    .all(|(k, v)| l.get(k) == Some(v))
        })
        .map(|(.., v)| v)
        .sum()
}

async fn counters_move_with_traffic(s: TestServer) {
    let before = scrape(&s).await;
    let tag = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    // Client credentials, three times, then introspection twice.
    let svc = format!("svc-{tag}");
    let body = json!({"client_id": svc, "client_secret": "svc-secret", "grant_types": ["client_credentials"]});
    assert_eq!(s.post("/admin/clients", body).await.status(), 201);
    let mut last = String::new();
    for _ in 0..3 {
        let r = s
            .token_request(
                Some((&svc, "svc-secret")),
                &[("grant_type", "client_credentials")],
            )
            .await;
        assert_eq!(r.status(), 200);
        last = r.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
    }
    for _ in 0..2 {
        assert_eq!(s.introspect(&last).await["active"], true);
    }
    // A wrong secret, an unknown route.
    let r = s
        .token_request(
            Some((&svc, "wrong")),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(r.status(), 401);
    let r = s
        .http
        .get(format!("{}/nowhere", s.public))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // A browser flow completed and its code redeemed; one whose login is rejected.
    let rp = format!("rp-{tag}");
    web_client(&s, &rp, json!({})).await;
    let auth = format!(
        "{}/oauth2/auth?client_id={rp}&response_type=code&scope=openid&state=st-123456&redirect_uri={}",
        s.public,
        enc(CB)
    );
    let (page, _) = run_flow(&s, &mut Browser::new(), &auth, &App::accept("ada")).await;
    let code = param(page.location.as_deref().unwrap(), "code").unwrap();
    let r = s
        .token_request(
            Some((&rp, "rp-secret")),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CB),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let mut b = Browser::new();
    let first = b.get(&auth).await;
    let challenge = param(first.location.as_deref().unwrap(), "login_challenge").unwrap();
    let (st, _) = admin_put(
        &s,
        &format!(
            "/admin/oauth2/auth/requests/login/reject?login_challenge={}",
            enc(&challenge)
        ),
        json!({"error": "access_denied"}),
    )
    .await;
    assert_eq!(st, 200);
    // A wrong password at the built-in sign-in page.
    s.state
        .users
        .create(&format!("{tag}@example.com"), "correct horse", json!({}))
        .await
        .unwrap();
    let started = b.get(&auth).await;
    let login = crate::ui::follow(&s, &mut b, started).await;
    let r = b
        .post_form(
            &format!("{}/ui/login", s.public),
            &[
                (
                    "login_challenge",
                    &crate::ui::hidden(&login, "login_challenge"),
                ),
                ("csrf_token", &crate::ui::hidden(&login, "csrf_token")),
                ("email", &format!("{tag}@example.com")),
                ("password", "wrong horse"),
            ],
        )
        .await;
    assert_eq!(r.status, 401);

    let after = scrape(&s).await;
    let grew = |name: &str, labels: Value, by: f64| {
        let (b, a) = (
            value(&before, name, labels.clone()),
            value(&after, name, labels.clone()),
        );
        assert!(a - b >= by, "{name}{labels}: {b} → {a}, expected +{by}");
    };
    grew(
        "latchkey_http_requests_total",
        json!({"listener": "public", "route": "/oauth2/token", "status": "200"}),
        4.0,
    );
    grew(
        "latchkey_http_requests_total",
        json!({"listener": "public", "route": "/oauth2/token", "status": "401"}),
        1.0,
    );
    grew(
        "latchkey_http_requests_total",
        json!({"listener": "public", "route": "unmatched", "status": "404"}),
        1.0,
    );
    grew(
        "latchkey_http_requests_total",
        json!({"listener": "admin", "method": "POST", "route": "/admin/oauth2/introspect", "status": "200"}),
        2.0,
    );
    grew(
        "latchkey_http_requests_total",
        json!({"listener": "admin", "route": "/admin/oauth2/auth/requests/login/reject"}),
        1.0,
    );
    grew(
        "latchkey_http_request_duration_seconds_count",
        json!({"listener": "public", "route": "/oauth2/token"}),
        5.0,
    );
    grew(
        "latchkey_tokens_issued_total",
        json!({"grant": "client_credentials", "kind": "access_token"}),
        3.0,
    );
    grew(
        "latchkey_tokens_issued_total",
        json!({"grant": "authorization_code", "kind": "access_token"}),
        1.0,
    );
    grew(
        "latchkey_tokens_issued_total",
        json!({"grant": "authorization_code", "kind": "id_token"}),
        1.0,
    );
    grew(
        "latchkey_tokens_issued_total",
        json!({"grant": "authorization_endpoint", "kind": "authorization_code"}),
        1.0,
    );
    grew(
        "latchkey_flows_total",
        json!({"kind": "browser", "event": "started"}),
        3.0,
    );
    grew(
        "latchkey_flows_total",
        json!({"kind": "browser", "event": "completed"}),
        1.0,
    );
    grew(
        "latchkey_flows_total",
        json!({"kind": "browser", "event": "rejected"}),
        1.0,
    );
    grew("latchkey_sign_in_failures_total", json!({}), 1.0);
    // The secret verified once by argon2, then from the cache; the token read from the cache.
    grew(
        "latchkey_cache_events_total",
        json!({"cache": "client_secrets", "event": "miss"}),
        1.0,
    );
    grew(
        "latchkey_cache_events_total",
        json!({"cache": "client_secrets", "event": "hit"}),
        2.0,
    );
    grew(
        "latchkey_cache_events_total",
        json!({"cache": "clients", "event": "hit"}),
        1.0,
    );
    grew(
        "latchkey_cache_events_total",
        json!({"cache": "tokens", "event": "hit"}),
        2.0,
    );
    grew("latchkey_db_write_batch_size_count", json!({}), 1.0);
    assert!(
        value(
            &after,
            "latchkey_db_pool_connections",
            json!({"state": "open"})
        ) >= 1.0
    );
    assert_eq!(
        value(
            &after,
            "latchkey_build_info",
            json!({"version": env!("CARGO_PKG_VERSION")})
        ),
        1.0
    );
}

crate::per_database!(server, needs: [Sdks]: counters_move_with_traffic);

crate::test!(metrics_behind_the_admin_keys);
/// With admin API keys set, the metrics need one too (Prometheus' `authorization` scrape setting).
async fn metrics_behind_the_admin_keys() {
    let db = crate::support::TestDb::create(crate::support::Backend::Sqlite)
        .await
        .unwrap();
    let key = "k".repeat(40);
    let k2 = key.clone();
    let s = TestServer::start_with(db, move |c| {
        c.serve.admin.auth.api_keys = vec![latchkey::config::Secret(k2)];
    })
    .await;
    let url = format!("{}/admin/metrics/prometheus", s.admin);
    assert_eq!(s.http.get(&url).send().await.unwrap().status(), 401);
    let r = s.http.get(&url).bearer_auth(&key).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    assert!(r.text().await.unwrap().contains("latchkey_build_info"));
}

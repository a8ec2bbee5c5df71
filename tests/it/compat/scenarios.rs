//! The differential suite's request sequences, as data: [`scenarios.jsonl`](scenarios.jsonl) holds
//! one action per line, in order (`step`: send to both servers and compare under the step's name,
//! `area.what`, which `differences.toml` refers to; `quiet`: send without comparing; `save`: keep
//! a value of each server's last answer as its `{var}`; `new_browser`; `code`: an area that
//! computes its requests). `{var}` in a path, header or body is replaced per server when sent.
//! The one area in code is the JWT-bearer grant's: its key is made and its assertions signed at
//! run time, per server.
//!
//! To change a sequence, edit the file; to record it anew from code, set `COMPAT_RECORD` to a path
//! while the suite runs (the runner writes every action it took there).

use serde_json::json;

use super::{Action, On::*, Run, Take, delete, get, post};

/// The sequences, one action per line.
const SCENARIOS: &str = include_str!("scenarios.jsonl");

pub async fn all(t: &mut Run) {
    for (n, line) in SCENARIOS.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let action: Action = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("scenarios.jsonl line {}: {e}", n + 1));
        match action {
            Action::Step { step, req } => {
                t.step(&step, req).await;
            }
            Action::Quiet { req } => t.quiet(req).await,
            Action::Save { var, take } => t.save(&var, take),
            Action::NewBrowser => t.new_browser(),
            Action::Code { area } => match area.as_str() {
                "jwt_bearer" => jwt_bearer(t).await,
                other => panic!("scenarios.jsonl line {}: no area {other:?} in code", n + 1),
            },
        }
    }
}

async fn jwt_bearer(t: &mut Run) {
    let record = t.record.take();
    jwt_bearer_area(t).await;
    t.record = record;
    if let Some(rec) = &mut t.record {
        rec.push(Action::Code {
            area: "jwt_bearer".into(),
        });
    }
}

/// The JWT-bearer grant: its keys are made and its assertions signed at run time, per server
/// (each names its own token endpoint), so this area stays code.
pub async fn jwt_bearer_area(t: &mut Run) {
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
    t.save("trust_id", Take::Field("/id".into()));
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
    t.save("jb_token", Take::Field("/access_token".into()));
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

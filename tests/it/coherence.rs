//! Every write path of the stores, and the cache event it emits: applied in the writing process
//! before the store method returns, and received by another process on the same database (the
//! PostgreSQL listener or the change-log poller). A write that changes what a cache may hold and
//! emits nothing — a missed invalidation — fails here; so does an event emitted for an insert
//! (caches never remember an absence, so inserts need none).

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use latchkey::{
    clock::SystemClock,
    coherence::{Cache, Coherence, Event},
    storage::{
        Db, LoginSession, StoredClient, StoredFlow, StoredKey, StoredToken, StoredUser, migrate,
    },
};
use serde_json::json;

use crate::support::{Backend, TestDb};

#[derive(Default)]
struct Recorder(Mutex<Vec<Event>>);

impl Cache for Recorder {
    fn apply(&self, e: &Event) {
        self.0.lock().unwrap().push(e.clone());
    }
    fn clear(&self) {
        self.0.lock().unwrap().push(Event::Everything);
    }
}

impl Recorder {
    fn take(&self) -> Vec<Event> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// A process's view: its database handle, its caches' owner and what reached them.
async fn process(dsn: &str) -> (Db, Arc<Coherence>, Arc<Recorder>) {
    let db = Db::connect(dsn).await.unwrap();
    let owner = Arc::new(Coherence::new(
        true,
        Arc::new(SystemClock),
        db.changes.node(),
    ));
    let seen = Arc::new(Recorder::default());
    owner.register(seen.clone());
    db.keep_coherent(&owner);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !owner.trusted() {
        assert!(Instant::now() < deadline, "never caught up");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    seen.take();
    (db, owner, seen)
}

fn token(sig: &str, kind: &str, family: &str) -> StoredToken {
    StoredToken {
        signature: sig.into(),
        kind: kind.into(),
        request_id: family.into(),
        client_id: "c1".into(),
        subject: "ada".into(),
        scope: "openid".into(),
        audience: vec![],
        extra: json!({}),
        issued_at: 1,
        expires_at: i64::MAX / 2,
        active: true,
    }
}

fn key(set: &str, kid: &str) -> StoredKey {
    StoredKey {
        set_id: set.into(),
        kid: kid.into(),
        alg: "RS256".into(),
        key_use: "sig".into(),
        sealed: "not-a-real-key".into(),
        created_at: 1,
    }
}

async fn every_write_path_emits_its_event(backend: Backend) {
    let Some(test_db) = TestDb::create(backend).await else {
        panic!("{backend:?} is not configured");
    };
    migrate::up(&Db::connect(&test_db.dsn).await.unwrap())
        .await
        .unwrap();
    let (db, _here, local) = process(&test_db.dsn).await;
    let (_other_db, _there, remote) = process(&test_db.dsn).await;
    let (clients, tokens, flows, keys, users) = (
        db.client_store(),
        db.token_store(),
        db.flow_store(),
        db.key_store(),
        db.user_store(),
    );

    // Each write, and exactly what it must emit.
    let mut step = 0;
    macro_rules! emits {
        ($write:expr, [$($event:expr),* $(,)?]) => {{
            step += 1;
            let _ = $write.await.unwrap();
            let expected: Vec<Event> = vec![$($event),*];
            assert_eq!(local.take(), expected, "step {step}: {}", stringify!($write));
            if !expected.is_empty() {
                let deadline = Instant::now() + Duration::from_secs(5);
                let mut got = Vec::new();
                while got.len() < expected.len() {
                    assert!(Instant::now() < deadline, "step {step}: the other process got {got:?}");
                    got.extend(remote.take());
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                assert_eq!(got, expected, "step {step} (other process): {}", stringify!($write));
            }
        }};
    }

    let client = StoredClient {
        id: "c1".into(),
        secret_hash: None,
        rotated_secret_hashes: Vec::new(),
        registration_token_hash: None,
        client_name: "one".into(),
        owner: String::new(),
        document: json!({}),
        created_at: 1,
        updated_at: 1,
    };
    emits!(clients.create_client(&client), []);
    emits!(
        clients.update_client(&client),
        [Event::ClientChanged { id: "c1".into() }]
    );
    let mut missing = client.clone();
    missing.id = "nobody".into();
    emits!(clients.update_client(&missing), []);

    emits!(tokens.insert_token(&token("a1", "access_token", "f1")), []);
    emits!(tokens.insert_token(&token("r1", "refresh_token", "f1")), []);
    emits!(
        tokens.exchange("r1", Some("f1"), &[token("a2", "access_token", "f1")]),
        [Event::Spent {
            signature: "r1".into(),
            family: Some("f1".into()),
            kept: vec!["a2".into()],
        }]
    );
    emits!(
        tokens.exchange("r1", Some("f1"), &[token("a3", "access_token", "f1")]),
        []
    );
    emits!(
        tokens.revoke_request("f1"),
        [Event::FamilyRevoked {
            family: "f1".into()
        }]
    );
    emits!(
        tokens.delete_client_tokens("c1"),
        [Event::ClientTokensDeleted {
            client: "c1".into()
        }]
    );
    emits!(tokens.remember_jti("jti-1", i64::MAX / 2), []);
    emits!(tokens.delete_expired(i64::MAX / 4), []);

    let flow = StoredFlow {
        id: "f2".into(),
        client_id: "c1".into(),
        subject: "ada".into(),
        login_session_id: Some("ls1".into()),
        consent_skip: false,
        remember: true,
        remember_until: None,
        granted_scope: vec!["openid".into()],
        granted_audience: vec![],
        document: json!({}),
        created_at: 1,
    };
    emits!(
        flows.complete_flow(&flow, &[token("code1", "authorize_code", "f2")]),
        []
    );
    let session = LoginSession {
        id: "ls1".into(),
        subject: "ada".into(),
        authenticated_at: 1,
        expires_at: i64::MAX / 2,
    };
    emits!(flows.put_login_session(&session, "digest"), []);
    emits!(
        flows.revoke_consents("ada", Some("c1")),
        [Event::ConsentsRevoked {
            subject: "ada".into(),
            client: Some("c1".into()),
        }]
    );
    emits!(
        flows.revoke_consents("ada", None),
        [Event::ConsentsRevoked {
            subject: "ada".into(),
            client: None,
        }]
    );
    emits!(
        flows.delete_login_sessions(Some("ada"), None),
        [Event::LoginSessionsEnded {
            subject: Some("ada".into()),
            id: None,
        }]
    );
    emits!(flows.delete_login_sessions(Some("ada"), None), []);
    emits!(flows.delete_finished(i64::MAX / 4), []);

    let set = |s: &str| Event::KeySetChanged { set: s.into() };
    emits!(
        keys.insert_keys(&[key("s1", "k1"), key("s2", "k1")]),
        [set("s1"), set("s2")]
    );
    emits!(keys.put_key(&key("s1", "k2")), [set("s1")]);
    emits!(keys.replace_set("s1", &[key("s1", "k3")]), [set("s1")]);
    emits!(keys.delete_key("s1", "k3"), [set("s1")]);
    emits!(keys.delete_key("s1", "k3"), []);
    emits!(keys.delete_set("s2"), [set("s2")]);
    emits!(keys.delete_set("s2"), []);

    let user = StoredUser {
        id: "u1".into(),
        email: "ada@example.com".into(),
        password_hash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".into(),
        claims: json!({}),
        created_at: 1,
        updated_at: 1,
    };
    emits!(users.create_user(&user), []);
    // Claims are read when a consent is given; no node caches them.
    emits!(
        users.update_user_claims("u1", &json!({"name": "Ada"}), 2),
        []
    );
    emits!(
        users.delete_user("ada@example.com"),
        [Event::UserDeleted {
            email: "ada@example.com".into(),
        }]
    );

    emits!(
        clients.delete_client("c1"),
        [Event::ClientDeleted { id: "c1".into() }]
    );
    emits!(clients.delete_client("c1"), []);
    db.tasks.shutdown().await;
    _other_db.tasks.shutdown().await;
}

crate::per_database!(every_write_path_emits_its_event);

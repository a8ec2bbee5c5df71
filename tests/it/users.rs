//! The built-in login app's users: the user commands on every database, and sign-in checks.

use latchkey::{storage::Db, users::UserService};
use serde_json::{Value, json};

use crate::support::{TestServer, cli};

async fn user_commands(s: TestServer) {
    let dsn = s.db.dsn.clone();
    let (ok, out, err) = cli(&[
        "create",
        "user",
        "--email",
        " Ada@Example.com",
        "--password",
        "correct horse",
        "--name",
        "Ada Lovelace",
        "--dsn",
        &dsn,
    ])
    .await;
    assert!(ok, "{err}");
    assert!(out.contains("Created user ada@example.com"), "{out}");
    for (args, why) in [
        (
            vec!["--email", "ada@example.com", "--password", "another one"],
            "exists already",
        ),
        (
            vec!["--email", "not-an-email", "--password", "long enough"],
            "not an email address",
        ),
        (
            vec!["--email", "bob@example.com", "--password", "short"],
            "8 to 1024 characters",
        ),
    ] {
        let mut a = vec!["create", "user"];
        a.extend(args);
        a.extend(["--dsn", &dsn]);
        let (ok, _, err) = cli(&a).await;
        assert!(!ok && err.contains(why), "{err}");
    }
    let (ok, out, _) = cli(&[
        "create",
        "user",
        "--email",
        "bob@example.com",
        "--password",
        "hunter2hunter2",
        "--dsn",
        &dsn,
        "--format",
        "json",
    ])
    .await;
    assert!(ok);
    let bob: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(bob["email"], "bob@example.com");
    let (ok, out, _) = cli(&["list", "users", "--dsn", &dsn]).await;
    assert!(ok);
    assert!(
        out.contains("ada@example.com")
            && out.contains("Ada Lovelace")
            && out.contains("bob@example.com"),
        "{out}"
    );

    // Sign-in checks: right password, wrong password, unknown account; never the hash in Debug.
    let db = Db::connect(&dsn).await.unwrap();
    let users = UserService::new(
        db.user_store(),
        std::sync::Arc::new(latchkey::clock::SystemClock),
    );
    let ada = users
        .authenticate("ADA@example.com", "correct horse")
        .await
        .unwrap()
        .expect("ada signs in");
    assert_eq!(ada.claims, json!({"name": "Ada Lovelace"}));
    assert!(!format!("{ada:?}").contains("argon2"));
    assert!(
        users
            .authenticate("ada@example.com", "Correct horse")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        users
            .authenticate("nobody@example.com", "correct horse")
            .await
            .unwrap()
            .is_none()
    );
    assert!(users.authenticate("no email", "x").await.unwrap().is_none());

    // Standard claims (OIDC Core §5.1), set by flag, checked by form, changed by update user.
    let (ok, _, err) = cli(&[
        "update",
        "user",
        "bob@example.com",
        "--given-name",
        "Bob",
        "--birthdate",
        "1990-02-30",
        "--dsn",
        &dsn,
    ])
    .await;
    assert!(!ok && err.contains("birthdate must be"), "{err}");
    let (ok, _, err) = cli(&[
        "update",
        "user",
        "bob@example.com",
        "--website",
        "javascript:alert(1)",
        "--dsn",
        &dsn,
    ])
    .await;
    assert!(
        !ok && err.contains("website must be an http(s) URL"),
        "{err}"
    );
    let (ok, out, err) = cli(&[
        "update",
        "user",
        "bob@example.com",
        "--given-name",
        "Bob",
        "--website",
        "https://bob.example",
        "--email-verified",
        "true",
        "--locality",
        "Paris",
        "--country",
        "FR",
        "--dsn",
        &dsn,
        "--format",
        "json",
    ])
    .await;
    assert!(ok, "{err}");
    let bob: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        bob["claims"],
        json!({"given_name": "Bob", "website": "https://bob.example", "email_verified": true,
               "address": {"locality": "Paris", "country": "FR"}})
    );
    let (ok, out, err) = cli(&[
        "update",
        "user",
        "bob@example.com",
        "--unset",
        "website",
        "--dsn",
        &dsn,
        "--format",
        "json",
    ])
    .await;
    assert!(ok, "{err}");
    let bob: Value = serde_json::from_str(&out).unwrap();
    assert!(bob["claims"].get("website").is_none() && bob["claims"]["given_name"] == "Bob");
    let (ok, _, err) = cli(&[
        "update",
        "user",
        "nobody@example.com",
        "--name",
        "X",
        "--dsn",
        &dsn,
    ])
    .await;
    assert!(!ok && err.contains("no user"), "{err}");

    let (ok, out, _) = cli(&["delete", "user", "bob@example.com", "--dsn", &dsn]).await;
    assert!(ok && out.contains("bob@example.com"));
    let (ok, _, err) = cli(&["delete", "user", "bob@example.com", "--dsn", &dsn]).await;
    assert!(!ok && err.contains("no user"), "{err}");
    s.stop().await;
}

crate::per_database!(server: user_commands);

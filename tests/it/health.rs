//! Health and version on both listeners, with and without the `/admin` prefix.

use serde_json::{Value, json};

use crate::support::TestServer;

async fn health(s: TestServer) {
    for base in [&s.public, &s.admin] {
        for path in ["/health/alive", "/health/ready"] {
            let r = s.http.get(format!("{base}{path}")).send().await.unwrap();
            assert_eq!(r.status(), 200, "{base}{path}");
            assert_eq!(r.json::<Value>().await.unwrap(), json!({"status": "ok"}));
        }
        let r = s.http.get(format!("{base}/version")).send().await.unwrap();
        assert_eq!(
            r.json::<Value>().await.unwrap()["version"],
            env!("CARGO_PKG_VERSION")
        );
    }
    for path in ["/admin/health/alive", "/admin/health/ready"] {
        let r = s.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.json::<Value>().await.unwrap(), json!({"status": "ok"}));
    }
    let r = s.get("/admin/version").await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["version"],
        env!("CARGO_PKG_VERSION")
    );
    // Unknown routes answer Hydra's JSON error, not an empty 404.
    let r = s.get("/admin/nope").await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>().await.unwrap()["status_code"], 404);
    s.stop().await;
}

crate::per_database!(server: health);

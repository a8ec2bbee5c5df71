//! The committed OpenAPI spec: valid OpenAPI 3, equal to what the code generates, and equal to what
//! the server serves.

use serde_json::Value;

use crate::support::{Backend, TestServer};

const COMMITTED: &str = include_str!("../../openapi/admin.json");
const REGENERATE: &str = "cargo run -- openapi > openapi/admin.json";

#[test]
fn committed_spec_matches_the_code() {
    let generated = latchkey::http::admin::spec_json();
    assert!(
        generated == COMMITTED,
        "openapi/admin.json is out of date with the code; regenerate it with `{REGENERATE}`"
    );
}

#[test]
fn committed_spec_is_valid_openapi_3() {
    let spec: openapiv3::OpenAPI = serde_json::from_str(COMMITTED).expect("parses as OpenAPI 3");
    assert!(spec.openapi.starts_with("3."));
    let raw: Value = serde_json::from_str(COMMITTED).unwrap();
    // Every operation has a unique id, a tag and a description; every $ref resolves.
    let mut ids = std::collections::HashSet::new();
    for (path, item) in raw["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(ids.insert(id.to_owned()), "duplicate operationId {id}");
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{id} has no tag"
            );
        }
    }
    for id in [
        "createOAuth2Client",
        "listOAuth2Clients",
        "getOAuth2Client",
        "setOAuth2Client",
        "patchOAuth2Client",
        "deleteOAuth2Client",
        "isAlive",
        "isReady",
        "getVersion",
    ] {
        assert!(ids.contains(id), "missing operation {id}");
    }
    let schemas = raw["components"]["schemas"].as_object().unwrap();
    for name in ["oAuth2Client", "errorOAuth2", "jsonPatch"] {
        assert!(schemas.contains_key(name), "missing schema {name}");
    }
    let text = COMMITTED.to_owned();
    for part in text.split("\"$ref\": \"#/components/schemas/").skip(1) {
        let name = part.split('"').next().unwrap();
        assert!(schemas.contains_key(name), "dangling $ref {name}");
    }
}

#[tokio::test]
async fn served_spec_matches_the_committed_one() {
    let s = TestServer::start(Backend::Sqlite).await.unwrap();
    let mut served: Value = s.get("/admin/openapi.json").await.json().await.unwrap();
    served.as_object_mut().unwrap().remove("servers");
    let mut committed: Value = serde_json::from_str(COMMITTED).unwrap();
    committed.as_object_mut().unwrap().remove("servers");
    assert!(
        served == committed,
        "the served spec differs from openapi/admin.json"
    );
    let r = s.get("/admin/docs").await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("<html") && !html.contains("cdn."),
        "docs are served from the binary"
    );
    s.stop().await;
}

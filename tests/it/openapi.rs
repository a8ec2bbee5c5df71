//! The committed OpenAPI spec: valid OpenAPI 3, equal to what the code generates, and equal to what
//! the server serves.

use serde_json::Value;

use crate::support::{Backend, TestServer};

const COMMITTED: &str = include_str!("../../openapi/admin.json");
const REGENERATE: &str = "cargo run -- openapi > openapi/admin.json";

crate::test!(sync committed_spec_matches_the_code);
fn committed_spec_matches_the_code() {
    let generated = latchkey::http::admin::spec_json();
    assert!(
        generated == COMMITTED,
        "openapi/admin.json is out of date with the code; regenerate it with `{REGENERATE}`"
    );
}

crate::test!(sync committed_spec_is_valid_openapi_3);
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

crate::test!(served_spec_matches_the_committed_one);
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

/// Whether `v` is what `schema` (an OpenAPI 3.0 schema of `spec`) allows; the places it is not go
/// to `errors`. Enough of OpenAPI for our spec: `$ref`, `type`, `nullable`, `pattern`, `items`,
/// `properties`, `required`, `allOf` / `anyOf` / `oneOf`; a schema without a type allows anything.
fn conforms(spec: &Value, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        return conforms(spec, &spec["components"]["schemas"][name], v, at, errors);
    }
    for all in schema["allOf"].as_array().into_iter().flatten() {
        conforms(spec, all, v, at, errors);
    }
    let alternatives: Vec<&Value> = ["anyOf", "oneOf"]
        .iter()
        .flat_map(|k| schema[*k].as_array().into_iter().flatten())
        .collect();
    if !alternatives.is_empty()
        && !alternatives.iter().any(|s| {
            let mut e = Vec::new();
            conforms(spec, s, v, at, &mut e);
            e.is_empty()
        })
    {
        errors.push(format!("{at}: {v} matches none of its alternatives"));
    }
    let Some(ty) = schema["type"].as_str() else {
        return;
    };
    if v.is_null() {
        if schema["nullable"] != true {
            errors.push(format!("{at}: null, but the spec says {ty}, not nullable"));
        }
        return;
    }
    let ok = match ty {
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => true,
    };
    if !ok {
        errors.push(format!("{at}: {v} is not a {ty}"));
        return;
    }
    if let (Some(pattern), Some(text)) = (schema["pattern"].as_str(), v.as_str())
        && !regex::Regex::new(pattern).unwrap().is_match(text)
    {
        errors.push(format!("{at}: {text:?} does not match {pattern}"));
    }
    if let (Some(items), Some(a)) = (schema.get("items"), v.as_array()) {
        for (i, x) in a.iter().enumerate() {
            conforms(spec, items, x, &format!("{at}[{i}]"), errors);
        }
    }
    if let Some(o) = v.as_object() {
        for (k, x) in o {
            if let Some(p) = schema["properties"].get(k) {
                conforms(spec, p, x, &format!("{at}.{k}"), errors);
            }
        }
        for k in schema["required"].as_array().into_iter().flatten() {
            let k = k.as_str().unwrap();
            if !o.contains_key(k) {
                errors.push(format!("{at}: required {k} is missing"));
            }
        }
    }
}

crate::test!(answers_conform_to_the_spec);
/// What the server answers conforms to its own spec (the response-schema check schemathesis
/// makes, here for every client operation): a strictly typed SDK generated from the spec reads
/// every client the server returns, the ones whose lifespans and `skip_logout_consent` are null
/// among them.
async fn answers_conform_to_the_spec() {
    let spec: Value = serde_json::from_str(COMMITTED).unwrap();
    let s = TestServer::start(Backend::Sqlite).await.unwrap();
    let schema = |path: &str, method: &str, status: &str| {
        spec["paths"][path][method]["responses"][status]["content"]["application/json; charset=utf-8"]["schema"]
            .clone()
    };
    let mut errors = Vec::new();
    let mut check = |op: &str, schema: Value, body: &Value| {
        assert!(!schema.is_null(), "{op}: no response schema");
        conforms(&spec, &schema, body, op, &mut errors);
    };
    let http = &s.http;
    let admin = &s.admin;
    // An admin request with a JSON body; the answer's JSON.
    let send = async |method: reqwest::Method, path: &str, body: Value| -> Value {
        http.request(method, format!("{admin}{path}"))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    };
    let minimal = s.post("/admin/clients", serde_json::json!({})).await;
    assert_eq!(minimal.status(), 201);
    let minimal: Value = minimal.json().await.unwrap();
    check(
        "createOAuth2Client",
        schema("/admin/clients", "post", "201"),
        &minimal,
    );
    let full = s
        .post(
            "/admin/clients",
            serde_json::json!({"client_id": "full", "client_name": "Full", "grant_types": ["authorization_code", "refresh_token"],
                "redirect_uris": ["https://rp.example/cb"], "skip_logout_consent": true,
                "authorization_code_grant_access_token_lifespan": "1h", "metadata": {"a": 1}}),
        )
        .await;
    assert_eq!(full.status(), 201);
    let full: Value = full.json().await.unwrap();
    check(
        "createOAuth2Client",
        schema("/admin/clients", "post", "201"),
        &full,
    );
    let id = minimal["client_id"].as_str().unwrap().to_owned();
    for c in [id.as_str(), "full"] {
        let got: Value = s
            .get(&format!("/admin/clients/{c}"))
            .await
            .json()
            .await
            .unwrap();
        check(
            "getOAuth2Client",
            schema("/admin/clients/{id}", "get", "200"),
            &got,
        );
    }
    let list: Value = s.get("/admin/clients").await.json().await.unwrap();
    check(
        "listOAuth2Clients",
        schema("/admin/clients", "get", "200"),
        &list,
    );
    let put = send(
        reqwest::Method::PUT,
        &format!("/admin/clients/{id}"),
        serde_json::json!({"client_name": "renamed"}),
    )
    .await;
    check(
        "setOAuth2Client",
        schema("/admin/clients/{id}", "put", "200"),
        &put,
    );
    let patched = send(
        reqwest::Method::PATCH,
        &format!("/admin/clients/{id}"),
        serde_json::json!([{"op": "replace", "path": "/client_name", "value": "patched"}]),
    )
    .await;
    check(
        "patchOAuth2Client",
        schema("/admin/clients/{id}", "patch", "200"),
        &patched,
    );
    let lifespans = send(
        reqwest::Method::PUT,
        "/admin/clients/full/lifespans",
        serde_json::json!({"client_credentials_grant_access_token_lifespan": "2m",
            "authorization_code_grant_id_token_lifespan": "21751h9m27444022061ns",
            "refresh_token_grant_access_token_lifespan": "100us"}),
    )
    .await;
    check(
        "setOAuth2ClientLifespans",
        schema("/admin/clients/{id}/lifespans", "put", "200"),
        &lifespans,
    );
    assert!(list.as_array().is_some_and(|l| l.len() == 2), "{list}");
    // A client read back is accepted again as it is (a generated SDK's read-modify-write): its
    // lifespans in Go's format, fractions of seconds included.
    assert_eq!(
        lifespans["authorization_code_grant_id_token_lifespan"],
        "21751h9m27.444022061s"
    );
    assert_eq!(
        lifespans["refresh_token_grant_access_token_lifespan"],
        "100µs"
    );
    let mut again = lifespans.clone();
    again.as_object_mut().unwrap().remove("client_secret");
    let r = http
        .put(format!("{admin}/admin/clients/full"))
        .json(&again)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert!(
        errors.is_empty(),
        "{} violations:\n{}",
        errors.len(),
        errors.join("\n")
    );
    s.stop().await;
}

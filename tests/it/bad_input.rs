//! Malformed input to the admin API: always a 4xx with Hydra's JSON error body and a useful
//! message, never a 5xx, and nothing stored.

use serde_json::Value;

use crate::support::TestServer;

async fn send(
    s: &TestServer,
    method: reqwest::Method,
    path: &str,
    ct: Option<&str>,
    body: Vec<u8>,
) -> (u16, Value) {
    let mut req = s
        .http
        .request(method, format!("{}{path}", s.admin))
        .body(body);
    if let Some(ct) = ct {
        req = req.header("content-type", ct);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    (status, body)
}

async fn bad_input_is_rejected(s: TestServer) {
    use reqwest::Method;
    let json = Some("application/json");
    let ten_mb = {
        let mut v = b"{\"client_name\":\"".to_vec();
        v.extend(std::iter::repeat_n(b'a', 10 * 1024 * 1024));
        v.extend(b"\"}");
        v
    };
    let cases: Vec<(&str, Method, &str, Option<&str>, Vec<u8>, u16, &str)> = vec![
        (
            "malformed",
            Method::POST,
            "/admin/clients",
            json,
            b"{\"client_name\": ".to_vec(),
            400,
            "EOF",
        ),
        (
            "not an object",
            Method::POST,
            "/admin/clients",
            json,
            b"[1,2]".to_vec(),
            400,
            "invalid",
        ),
        (
            "wrong type",
            Method::POST,
            "/admin/clients",
            json,
            br#"{"client_name": 42}"#.to_vec(),
            400,
            "client_name",
        ),
        (
            "wrong list type",
            Method::POST,
            "/admin/clients",
            json,
            br#"{"grant_types": "client_credentials"}"#.to_vec(),
            400,
            "grant_types",
        ),
        (
            "empty body",
            Method::POST,
            "/admin/clients",
            json,
            Vec::new(),
            400,
            "empty",
        ),
        (
            "not an object",
            Method::POST,
            "/admin/clients",
            json,
            b"[]".to_vec(),
            400,
            "must be an object",
        ),
        (
            "invalid utf-8",
            Method::POST,
            "/admin/clients",
            json,
            b"{\"client_name\": \"\xff\xfe\"}".to_vec(),
            400,
            "client_name",
        ),
        (
            "10 MB",
            Method::POST,
            "/admin/clients",
            json,
            ten_mb,
            413,
            "larger",
        ),
        (
            "wrong content type",
            Method::POST,
            "/admin/clients",
            Some("text/plain"),
            b"{}".to_vec(),
            415,
            "Content-Type",
        ),
        (
            "form body",
            Method::POST,
            "/admin/clients",
            Some("application/x-www-form-urlencoded"),
            b"client_name=x".to_vec(),
            415,
            "",
        ),
        (
            "bad patch",
            Method::PATCH,
            "/admin/clients/x",
            json,
            br#"{"op":"add"}"#.to_vec(),
            400,
            "",
        ),
        (
            "bad patch op",
            Method::PATCH,
            "/admin/clients/x",
            json,
            br#"[{"op":"frobnicate","path":"/a"}]"#.to_vec(),
            400,
            "frobnicate",
        ),
        (
            "wrong method",
            Method::PATCH,
            "/admin/clients",
            json,
            b"[]".to_vec(),
            405,
            "",
        ),
    ];
    for (name, method, path, ct, body, status, needle) in cases {
        let (got, err) = send(&s, method, path, ct, body).await;
        assert_eq!(got, status, "{name}: {err}");
        assert_eq!(err["status_code"], status, "{name}: {err}");
        assert!(err["error"].is_string(), "{name}: {err}");
        let desc = err["error_description"].as_str().unwrap_or_default();
        assert!(
            desc.contains(needle),
            "{name}: {desc:?} should mention {needle:?}"
        );
    }
    // As Hydra: unknown fields are ignored (a newer SDK may send them) and a JSON body without a
    // Content-Type is read — unless a web page sent it (it has an Origin), since a browser may
    // send that cross-site without a CORS preflight.
    let (got, c) = send(
        &s,
        Method::POST,
        "/admin/clients",
        json,
        br#"{"client_id": "newer-sdk", "a_field_from_the_future": {"x": 1}}"#.to_vec(),
    )
    .await;
    assert_eq!(got, 201, "{c}");
    assert!(c.get("a_field_from_the_future").is_none(), "{c}");
    let (got, c) = send(
        &s,
        Method::POST,
        "/admin/clients",
        None,
        br#"{"client_id": "no-content-type"}"#.to_vec(),
    )
    .await;
    assert_eq!(got, 201, "{c}");
    let r = s
        .http
        .post(format!("{}/admin/clients", s.admin))
        .header("origin", "https://evil.example")
        .body(r#"{"client_id": "from-a-page"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    assert_eq!(s.get("/admin/clients/from-a-page").await.status(), 404);
    // A body over the limit sent without Content-Length (chunked) is refused too.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..20).map(|_| Ok(vec![b' '; 100 * 1024])).collect();
    let r = s
        .http
        .post(format!("{}/admin/clients", s.admin))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    // Nothing was stored but the two well-formed clients above.
    let all: Vec<Value> = s.get("/admin/clients").await.json().await.unwrap();
    let ids: Vec<&str> = all
        .iter()
        .map(|c| c["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["newer-sdk", "no-content-type"]);
    s.stop().await;
}

crate::per_database!(server: bad_input_is_rejected);

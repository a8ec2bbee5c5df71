//! Consent and login sessions through the admin API, and logout: RP-initiated, the logout
//! challenge API, front-channel (the page of iframes) and back-channel (signed logout tokens).

use jsonwebtoken::{DecodingKey, Validation, jwk::JwkSet};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::{
    flows::{App, Browser, ISSUER, admin_get, admin_put, local, param, run_flow, web_client},
    support::{TestServer, jwt_claims},
};

pub fn auth_url(s: &TestServer, client: &str, scope: &str) -> String {
    format!(
        "{}/oauth2/auth?client_id={client}&redirect_uri=https%3A%2F%2Frp.example%2Fcb&state=st-123456&response_type=code&scope={scope}",
        s.public
    )
}

/// Runs a flow and exchanges the code: the token response.
pub async fn tokens(s: &TestServer, b: &mut Browser, client: &str, app: &App) -> Value {
    let (page, _) = run_flow(s, b, &auth_url(s, client, "openid+offline_access"), app).await;
    let code = param(&page.location.unwrap(), "code").unwrap();
    let r = s
        .token_request(
            Some((client, "rp-secret")),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "https://rp.example/cb"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

pub fn remembered(subject: &str) -> App {
    App {
        login: Ok(json!({"subject": subject, "remember": true})),
        consent: Ok(json!({"remember": true, "session": {"id_token": {"name": "Ada"}}})),
    }
}

async fn consent_sessions(s: TestServer) {
    web_client(&s, "rp", json!({})).await;
    web_client(&s, "rp2", json!({})).await;
    let mut b = Browser::new();
    let t1 = tokens(&s, &mut b, "rp", &remembered("ada")).await;
    let t2 = tokens(&s, &mut b, "rp2", &remembered("ada")).await;
    let (st, list) = admin_get(&s, "/admin/oauth2/auth/sessions/consent?subject=ada").await;
    assert_eq!(st, 200, "{list}");
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let mut clients: Vec<&str> = list
        .iter()
        .map(|c| {
            c["consent_request"]["client"]["client_id"]
                .as_str()
                .unwrap()
        })
        .collect();
    clients.sort();
    assert_eq!(clients, ["rp", "rp2"]);
    assert_eq!(list[0]["grant_scope"], json!(["openid", "offline_access"]));
    assert_eq!(list[0]["remember"], true);
    assert_eq!(list[0]["session"]["id_token"]["name"], "Ada");
    assert!(list[0]["handled_at"].is_string());
    // Pages.
    let r = s
        .get("/admin/oauth2/auth/sessions/consent?subject=ada&page_size=1")
        .await;
    let link = r.headers()["link"].to_str().unwrap().to_owned();
    assert!(link.contains("rel=\"next\""), "{link}");
    assert_eq!(
        r.json::<Value>().await.unwrap().as_array().unwrap().len(),
        1
    );
    let (_, none) = admin_get(&s, "/admin/oauth2/auth/sessions/consent?subject=nobody").await;
    assert_eq!(none, json!([]));

    // Revoking needs a client or all=true; revoking one client's consent revokes its tokens.
    let del = |q: &str| {
        s.http
            .delete(format!(
                "{}/admin/oauth2/auth/sessions/consent?{q}",
                s.admin
            ))
            .send()
    };
    assert_eq!(del("subject=ada").await.unwrap().status(), 400);
    assert_eq!(del("subject=ada&client=rp").await.unwrap().status(), 204);
    for t in ["access_token", "refresh_token"] {
        assert_eq!(s.introspect(t1[t].as_str().unwrap()).await["active"], false);
        assert_eq!(s.introspect(t2[t].as_str().unwrap()).await["active"], true);
    }
    let (_, list) = admin_get(&s, "/admin/oauth2/auth/sessions/consent?subject=ada").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let r = s
        .token_request(
            Some(("rp", "rp-secret")),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", t1["refresh_token"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(r.status(), 400);
    // Consent to rp is asked again; rp2's is still remembered.
    let (_, seen) = run_flow(
        &s,
        &mut b,
        &auth_url(&s, "rp", "openid"),
        &App::accept("ada"),
    )
    .await;
    assert_eq!(seen.login["skip"], true);
    assert_eq!(seen.consent["skip"], false);
    assert_eq!(del("subject=ada&all=true").await.unwrap().status(), 204);
    assert_eq!(
        s.introspect(t2["access_token"].as_str().unwrap()).await["active"],
        false
    );

    // Ending the subject's login sessions: the next login is not skipped.
    let r = s
        .http
        .delete(format!(
            "{}/admin/oauth2/auth/sessions/login?subject=ada",
            s.admin
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (_, seen) = run_flow(
        &s,
        &mut b,
        &auth_url(&s, "rp", "openid"),
        &App::accept("ada"),
    )
    .await;
    assert_eq!(seen.login["skip"], false);
    s.stop().await;
}

/// A relying party's back-channel logout endpoint: every POST body, in order.
async fn backchannel_receiver() -> (String, mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let ep = poem::endpoint::make(move |mut req: poem::Request| {
        let tx = tx.clone();
        async move {
            let body = req.take_body().into_string().await.unwrap_or_default();
            let _ = tx.send(body);
            poem::http::StatusCode::OK
        }
    });
    tokio::spawn(async move {
        let acceptor = poem::listener::TcpAcceptor::from_tokio(listener).unwrap();
        let _ = poem::Server::new_with_acceptor(acceptor).run(ep).await;
    });
    (format!("http://{addr}/logout"), rx)
}

async fn rp_initiated_logout(s: TestServer) {
    let (bc_uri, mut bc) = backchannel_receiver().await;
    web_client(
        &s,
        "rp",
        json!({
            "frontchannel_logout_uri": "https://rp.example/fc",
            "frontchannel_logout_session_required": true,
            "backchannel_logout_uri": bc_uri,
            "post_logout_redirect_uris": ["https://rp.example/bye"],
        }),
    )
    .await;
    let mut b = Browser::new();
    let t = tokens(&s, &mut b, "rp", &remembered("ada")).await;
    let id_token = t["id_token"].as_str().unwrap();
    let sid = jwt_claims(id_token)["sid"].as_str().unwrap().to_owned();

    // An unregistered post-logout URI is refused on the error page, never redirected to.
    let page = b
        .get(&format!(
            "{}/oauth2/sessions/logout?id_token_hint={id_token}&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F",
            s.public
        ))
        .await;
    assert_eq!(page.status, 400);
    assert!(page.location.is_none());

    let page = b
        .get(&format!(
            "{}/oauth2/sessions/logout?id_token_hint={id_token}&post_logout_redirect_uri=https%3A%2F%2Frp.example%2Fbye&state=bye-1",
            s.public
        ))
        .await;
    let challenge = param(page.location.as_ref().unwrap(), "logout_challenge").unwrap();
    let enc: String = url::form_urlencoded::byte_serialize(challenge.as_bytes()).collect();
    let (st, req) = admin_get(
        &s,
        &format!("/admin/oauth2/auth/requests/logout?logout_challenge={enc}"),
    )
    .await;
    assert_eq!(st, 200, "{req}");
    assert_eq!(req["subject"], "ada");
    assert_eq!(req["sid"], sid.as_str());
    assert_eq!(req["rp_initiated"], true);
    assert_eq!(req["client"]["client_id"], "rp");
    // Rejecting keeps the session; accepting ends it.
    let r = s
        .http
        .put(format!(
            "{}/admin/oauth2/auth/requests/logout/reject?logout_challenge={enc}",
            s.admin
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (st, r) = admin_put(
        &s,
        &format!("/admin/oauth2/auth/requests/logout/accept?logout_challenge={enc}"),
        json!({}),
    )
    .await;
    assert_eq!(st, 200, "{r}");
    let page = b.get(&local(&s, r["redirect_to"].as_str().unwrap())).await;
    assert_eq!(page.status, 200);
    assert!(!b.cookies.contains_key("latchkey_authentication_session"));
    // Front channel: an iframe for the client with iss and sid; then on to the RP's page (the
    // template writes `&` as the character reference `&#38;`).
    let iss_q: String = url::form_urlencoded::byte_serialize(ISSUER.as_bytes()).collect();
    assert!(
        page.body
            .contains(&format!("https://rp.example/fc?iss={iss_q}&#38;sid={sid}")),
        "{}",
        page.body
    );
    assert!(page.body.contains("https://rp.example/bye?state=bye-1"));

    // Back channel: a signed logout token for the session.
    let body = tokio::time::timeout(std::time::Duration::from_secs(10), bc.recv())
        .await
        .expect("a back-channel logout within 10 s")
        .unwrap();
    let token = url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "logout_token")
        .unwrap()
        .1
        .into_owned();
    let jwks: JwkSet = s
        .http
        .get(format!("{}/.well-known/jwks.json", s.public))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("logout+jwt"));
    let jwk = jwks.find(header.kid.as_deref().unwrap()).unwrap();
    let mut v = Validation::new(header.alg);
    v.set_audience(&["rp"]);
    v.set_issuer(&[ISSUER]);
    let claims = jsonwebtoken::decode::<Value>(&token, &DecodingKey::from_jwk(jwk).unwrap(), &v)
        .unwrap()
        .claims;
    assert_eq!(claims["sid"], sid.as_str());
    assert_eq!(claims["sub"], "ada");
    assert!(claims["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object());
    assert!(claims.get("nonce").is_none());

    // The session is over: prompt=none now fails.
    let (page, _) = run_flow(
        &s,
        &mut b,
        &format!("{}&prompt=none", auth_url(&s, "rp", "openid")),
        &App::accept("ada"),
    )
    .await;
    assert_eq!(
        param(page.location.as_ref().unwrap(), "error").unwrap(),
        "login_required"
    );

    // Ending a session by sid through the admin API notifies the clients too.
    // (The sid is the ID token's: the session cookie is a secret of its own, not the sid.)
    let t2 = tokens(&s, &mut b, "rp", &remembered("ada")).await;
    let sid2 = jwt_claims(t2["id_token"].as_str().unwrap())["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(b.cookies["latchkey_authentication_session"], sid2);
    let r = s
        .http
        .delete(format!(
            "{}/admin/oauth2/auth/sessions/login?sid={sid2}",
            s.admin
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let body = tokio::time::timeout(std::time::Duration::from_secs(10), bc.recv())
        .await
        .expect("a second back-channel logout")
        .unwrap();
    assert!(body.starts_with("logout_token="));
    let (_, seen) = run_flow(
        &s,
        &mut b,
        &auth_url(&s, "rp", "openid"),
        &App::accept("ada"),
    )
    .await;
    assert_eq!(seen.login["skip"], false);

    // Logging out without a session goes straight to the post-logout page.
    let page = Browser::new()
        .get(&format!("{}/oauth2/sessions/logout", s.public))
        .await;
    assert_eq!(page.status, 302);
    assert!(page.location.unwrap().ends_with("/ui/signed-out"));
    s.stop().await;
}

/// The janitor deletes flows no token refers to (unless their consent is remembered) and login
/// sessions that expired.
async fn janitor_cleans_flows_and_sessions(s: TestServer) {
    web_client(&s, "rp", json!({})).await;
    web_client(&s, "rp2", json!({})).await;
    let mut b = Browser::new();
    let short = App {
        login: Ok(json!({"subject": "ada", "remember": true, "remember_for": 1})),
        consent: Ok(json!({})),
    };
    let _ = tokens(&s, &mut b, "rp", &short).await;
    let _ = tokens(&s, &mut Browser::new(), "rp2", &remembered("ada")).await;
    let (ok, out, err) = crate::support::cli(&["janitor", &s.db.dsn]).await;
    assert!(ok, "{err}");
    assert!(out.contains("0 finished flows"), "{out}");
    // The one-second session may have expired already (a slow machine): count it in either run.
    let sessions_gone = |out: &str| -> u32 {
        let before = out.split(" expired login sessions").next().unwrap();
        before.rsplit(' ').next().unwrap().parse().unwrap()
    };
    let gone_first = sessions_gone(&out);
    // Without tokens, the unremembered consent goes; the remembered one stays.
    for c in ["rp", "rp2"] {
        let r = s
            .http
            .delete(format!("{}/admin/oauth2/tokens?client_id={c}", s.admin))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (ok, out, err) = crate::support::cli(&["janitor", &s.db.dsn]).await;
    assert!(ok, "{err}");
    assert!(out.contains("1 finished flows"), "{out}");
    assert_eq!(gone_first + sessions_gone(&out), 1, "{out}");
    let (_, list) = admin_get(&s, "/admin/oauth2/auth/sessions/consent?subject=ada").await;
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["consent_request"]["client"]["client_id"], "rp2");
    s.stop().await;
}

crate::per_database!(server:
    consent_sessions,
    rp_initiated_logout,
    janitor_cleans_flows_and_sessions
);

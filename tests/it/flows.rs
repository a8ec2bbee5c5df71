//! The browser flows end to end: a browser (a cookie jar that follows no redirects by itself), a
//! login/consent app that speaks only the admin HTTP API, and the `openidconnect` crate as a
//! strict relying party that validates every ID token.

use std::collections::HashMap;

use openidconnect::{
    AccessTokenHash, AuthUrl, AuthenticationFlow, ClientId, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
    core::{CoreClient, CoreJsonWebKeySet, CoreResponseType, CoreTokenResponse},
};
use serde_json::{Value, json};

use crate::{
    support::make_client,
    support::{Api, TestServer},
};

pub const ISSUER: &str = "http://127.0.0.1:4444/";
pub use crate::support::CB;

/// A browser: keeps cookies, and reports redirects instead of following them.
#[derive(Clone)]
pub struct Browser {
    http: reqwest::Client,
    pub cookies: HashMap<String, String>,
}

/// One browser response.
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl Browser {
    pub fn new() -> Self {
        Self::with(reqwest::Client::builder())
    }

    /// A browser on another machine: its connections come from `ip` (any 127.0.0.0/8 address
    /// reaches the test server over loopback).
    pub fn from_address(ip: &str) -> Self {
        Self::with(reqwest::Client::builder().local_address(ip.parse::<std::net::IpAddr>().ok()))
    }

    fn with(builder: reqwest::ClientBuilder) -> Self {
        Self {
            http: builder
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
        }
    }

    fn absorb(&mut self, r: &reqwest::Response) {
        for v in r.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let (kv, attrs) = v.split_once(';').unwrap_or((v, ""));
            let (k, val) = kv.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), val.to_owned());
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn page(&mut self, r: reqwest::Response) -> Page {
        self.absorb(&r);
        Page {
            status: r.status().as_u16(),
            location: r
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned()),
            body: r.text().await.unwrap(),
        }
    }

    pub async fn get(&mut self, url: &str) -> Page {
        let r = self
            .http
            .get(url)
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.page(r).await
    }

    pub async fn post_form(&mut self, url: &str, form: &[(&str, &str)]) -> Page {
        let r = self
            .http
            .post(url)
            .header("cookie", self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.page(r).await
    }
}

/// Points a URL the server built for its configured issuer at the test server's real address.
pub fn local(s: &impl Api, url: &str) -> String {
    url.replace("http://127.0.0.1:4444", s.public())
}

/// A query or fragment parameter of a URL.
pub fn param(url: &str, name: &str) -> Option<String> {
    let u = url::Url::parse(url).unwrap();
    let from_query = u
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned());
    from_query.or_else(|| {
        url::form_urlencoded::parse(u.fragment().unwrap_or_default().as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    })
}

/// The login/consent app: admin API calls only.
pub async fn admin_put(s: &impl Api, path: &str, body: Value) -> (u16, Value) {
    let r = s
        .http()
        .put(format!("{}{path}", s.admin()))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

pub async fn admin_get(s: &impl Api, path: &str) -> (u16, Value) {
    let r = s
        .http()
        .get(format!("{}{path}", s.admin()))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// What the app does at each step.
#[derive(Clone)]
pub struct App {
    pub login: Result<Value, Value>,
    pub consent: Result<Value, Value>,
}

impl App {
    /// Accept as `subject`, granting everything requested.
    pub fn accept(subject: &str) -> Self {
        Self {
            login: Ok(json!({"subject": subject})),
            consent: Ok(json!({})),
        }
    }
}

/// What the app saw.
#[derive(Debug, Default)]
pub struct Seen {
    pub login: Value,
    pub consent: Value,
}

/// Drives a browser from an authorization URL through the app to the response for the client
/// (the final `Location`, or the form_post page). Consent grants what was requested unless the
/// app's consent body says `grant_scope`.
pub async fn run_flow(s: &impl Api, b: &mut Browser, auth_url: &str, app: &App) -> (Page, Seen) {
    let page = b.get(auth_url).await;
    continue_flow(s, b, page, app).await
}

/// As [`run_flow`], from a response of the authorization endpoint.
pub async fn continue_flow(
    s: &impl Api,
    b: &mut Browser,
    mut page: Page,
    app: &App,
) -> (Page, Seen) {
    let mut seen = Seen::default();
    loop {
        let Some(loc) = page.location.clone() else {
            return (page, seen);
        };
        if let Some(ch) = param(&loc, "login_challenge") {
            let (st, req) = admin_get(
                s,
                &format!(
                    "/admin/oauth2/auth/requests/login?login_challenge={}",
                    enc(&ch)
                ),
            )
            .await;
            assert_eq!(st, 200, "{req}");
            seen.login = req;
            let (path, body) = match &app.login {
                Ok(b) => ("accept", b.clone()),
                Err(b) => ("reject", b.clone()),
            };
            let (st, r) = admin_put(
                s,
                &format!(
                    "/admin/oauth2/auth/requests/login/{path}?login_challenge={}",
                    enc(&ch)
                ),
                body,
            )
            .await;
            assert_eq!(st, 200, "{r}");
            page = b.get(&local(s, r["redirect_to"].as_str().unwrap())).await;
        } else if let Some(ch) = param(&loc, "consent_challenge") {
            let (st, req) = admin_get(
                s,
                &format!(
                    "/admin/oauth2/auth/requests/consent?consent_challenge={}",
                    enc(&ch)
                ),
            )
            .await;
            assert_eq!(st, 200, "{req}");
            let (path, body) = match &app.consent {
                Ok(b) => {
                    let mut b = b.clone();
                    if b.get("grant_scope").is_none() {
                        b["grant_scope"] = req["requested_scope"].clone();
                    }
                    if b.get("grant_access_token_audience").is_none() {
                        b["grant_access_token_audience"] =
                            req["requested_access_token_audience"].clone();
                    }
                    ("accept", b)
                }
                Err(b) => ("reject", b.clone()),
            };
            seen.consent = req;
            let (st, r) = admin_put(
                s,
                &format!(
                    "/admin/oauth2/auth/requests/consent/{path}?consent_challenge={}",
                    enc(&ch)
                ),
                body,
            )
            .await;
            assert_eq!(st, 200, "{r}");
            page = b.get(&local(s, r["redirect_to"].as_str().unwrap())).await;
        } else {
            return (page, seen);
        }
    }
}

pub async fn web_client(s: &TestServer, id: &str, extra: Value) {
    let mut body = json!({
        "client_id": id,
        "client_secret": "rp-secret",
        "grant_types": ["authorization_code", "refresh_token", "implicit"],
        "response_types": ["code", "id_token", "token id_token", "code id_token", "code token", "code id_token token"],
        "scope": "openid offline_access profile email",
        "redirect_uris": [CB],
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    make_client(s, body).await;
}

pub async fn jwks(s: &TestServer) -> CoreJsonWebKeySet {
    s.http
        .get(format!("{}/.well-known/jwks.json", s.public))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The relying party, as `openidconnect` builds it.
async fn rp(
    s: &TestServer,
    id: &str,
) -> openidconnect::core::CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
> {
    CoreClient::new(
        ClientId::new(id.into()),
        IssuerUrl::new(ISSUER.into()).unwrap(),
        jwks(s).await,
    )
    .set_client_secret(openidconnect::ClientSecret::new("rp-secret".into()))
    .set_auth_uri(AuthUrl::new(format!("{}/oauth2/auth", s.public)).unwrap())
    .set_redirect_uri(RedirectUrl::new(CB.into()).unwrap())
}

pub async fn exchange(s: &TestServer, id: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let r = s.token_request(Some((id, "rp-secret")), form).await;
    (r.status().as_u16(), r.json().await.unwrap())
}

/// Authorization code + PKCE, checked as a strict relying party: the ID token's signature,
/// issuer, audience, expiry, nonce and at_hash; then userinfo, the consent's session claims in
/// introspection, and code replay revoking what the code gave.
async fn code_flow_with_pkce(s: TestServer) {
    web_client(&s, "rp", json!({})).await;
    let client = rp(&s, "rp").await;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("offline_access".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();
    let mut b = Browser::new();
    let app = App {
        login: Ok(json!({"subject": "user-1", "acr": "urn:pwd", "amr": ["pwd"]})),
        consent: Ok(json!({"session": {
            "id_token": {"email": "ada@example.com", "sub": "forged"},
            "access_token": {"team": "blue"}
        }})),
    };
    let (page, seen) = run_flow(&s, &mut b, url.as_str(), &app).await;
    // What the apps were told.
    assert_eq!(seen.login["skip"], false);
    assert_eq!(seen.login["subject"], "");
    assert_eq!(seen.login["client"]["client_id"], "rp");
    assert!(seen.login["client"].get("client_secret").is_none());
    assert_eq!(
        seen.login["requested_scope"],
        json!(["openid", "offline_access", "email"])
    );
    assert!(
        seen.login["request_url"]
            .as_str()
            .unwrap()
            .contains("/oauth2/auth?")
    );
    assert!(!seen.login["session_id"].as_str().unwrap().is_empty());
    assert_eq!(seen.consent["subject"], "user-1");
    assert_eq!(seen.consent["skip"], false);
    assert_eq!(seen.consent["acr"], "urn:pwd");
    // The response to the client: 303 (RFC 9700 §4.12), as Hydra.
    assert_eq!(page.status, 303);
    let loc = page.location.unwrap();
    assert!(loc.starts_with("https://rp.example/cb?"), "{loc}");
    assert_eq!(param(&loc, "state").unwrap(), *state.secret());
    assert_eq!(param(&loc, "iss").unwrap(), ISSUER);
    let code = param(&loc, "code").unwrap();
    assert!(code.starts_with("ory_ac_"));
    // The CSRF cookies are spent.
    assert!(
        b.cookies.keys().all(|k| !k.contains("csrf")),
        "{:?}",
        b.cookies
    );

    // Without the verifier, with a wrong one, or with another redirect URI: refused, and the
    // code survives these (only a spent code revokes).
    let base = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CB),
    ];
    let (st, e) = exchange(&s, "rp", &base).await;
    assert_eq!((st, e["error"].as_str().unwrap()), (400, "invalid_grant"));
    let wrong = PkceCodeChallenge::new_random_sha256().1;
    let mut f = base.to_vec();
    f.push(("code_verifier", wrong.secret()));
    assert_eq!(exchange(&s, "rp", &f).await.1["error"], "invalid_grant");
    let mut f = vec![
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "https://rp.example/other"),
    ];
    f.push(("code_verifier", verifier.secret()));
    assert_eq!(exchange(&s, "rp", &f).await.1["error"], "invalid_grant");

    let mut f = base.to_vec();
    f.push(("code_verifier", verifier.secret()));
    let (st, body) = exchange(&s, "rp", &f).await;
    assert_eq!(st, 200, "{body}");
    let tokens: CoreTokenResponse = serde_json::from_value(body.clone()).unwrap();
    assert_eq!(body["scope"], "openid offline_access email");
    assert!(tokens.refresh_token().is_some());
    let id_token = tokens.id_token().expect("an ID token");
    let verifier_rp = client.id_token_verifier();
    let claims = id_token
        .claims(&verifier_rp, &nonce)
        .expect("a valid ID token");
    assert_eq!(claims.subject().as_str(), "user-1");
    assert_eq!(claims.auth_context_ref().unwrap().as_str(), "urn:pwd");
    assert!(claims.auth_time().is_some());
    let at_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier_rp).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&at_hash));
    // The raw claims: the session claim is there, the forged `sub` is not.
    let raw = crate::support::jwt_claims(&id_token.to_string());
    assert_eq!(raw["email"], "ada@example.com");
    assert_eq!(raw["sub"], "user-1");
    assert_eq!(raw["azp"], "rp");
    assert_eq!(raw["amr"], json!(["pwd"]));
    assert_eq!(raw["sid"], seen.login["session_id"]);

    // Introspection shows the consent's access token session as `ext`.
    let at = tokens.access_token().secret().clone();
    let i = s.introspect(&at).await;
    assert_eq!(i["active"], true);
    assert_eq!(i["sub"], "user-1");
    assert_eq!(i["ext"], json!({"team": "blue"}));
    assert_eq!(i["client_id"], "rp");

    // Userinfo: bearer header, or the form body; the session claims without forged ones.
    let ui: Value = s
        .http
        .get(format!("{}/userinfo", s.public))
        .bearer_auth(&at)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ui["sub"], "user-1");
    assert_eq!(ui["email"], "ada@example.com");
    // As Hydra, the authentication's standard claims come along.
    assert_eq!(ui["iss"], ISSUER);
    assert_eq!(ui["aud"], json!(["rp"]));
    for c in ["iat", "auth_time", "rat"] {
        assert!(ui[c].is_i64(), "{c}: {ui}");
    }
    let r = s
        .http
        .post(format!("{}/userinfo", s.public))
        .form(&[("access_token", at.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = s
        .http
        .get(format!("{}/userinfo", s.public))
        .bearer_auth("ory_at_nope.nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer error=\"invalid_token\"")
    );

    // The code is spent: a replay fails and revokes every token it gave.
    let (st, e) = exchange(&s, "rp", &f).await;
    assert_eq!((st, e["error"].as_str().unwrap()), (400, "invalid_grant"));
    assert_eq!(s.introspect(&at).await["active"], false);
    let rt = tokens.refresh_token().unwrap().secret().clone();
    assert_eq!(s.introspect(&rt).await["active"], false);
    // And the finished flow's challenges are gone (410 with where to start over).
    let (st, body) = admin_get(
        &s,
        &format!(
            "/admin/oauth2/auth/requests/consent?consent_challenge={}",
            enc(seen.consent["challenge"].as_str().unwrap())
        ),
    )
    .await;
    assert_eq!(st, 410, "{body}");
    assert!(
        body["redirect_to"]
            .as_str()
            .unwrap()
            .contains("/oauth2/auth?")
    );
    let (st, _) = admin_get(
        &s,
        "/admin/oauth2/auth/requests/login?login_challenge=v1.forged",
    )
    .await;
    assert_eq!(st, 404);
    s.stop().await;
}

/// Refresh tokens rotate on every use; presenting a rotated one revokes the whole family.
async fn refresh_rotation_and_reuse(s: TestServer) {
    web_client(&s, "rp", json!({})).await;
    let (page, _) = run_flow(
        &s,
        &mut Browser::new(),
        &format!(
            "{}/oauth2/auth?client_id=rp&response_type=code&scope=openid+offline_access&state=abcdefgh&redirect_uri={}",
            s.public,
            enc(CB)
        ),
        &App::accept("user-2"),
    )
    .await;
    let code = param(&page.location.unwrap(), "code").unwrap();
    let (st, t1) = exchange(
        &s,
        "rp",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
        ],
    )
    .await;
    assert_eq!(st, 200, "{t1}");
    let rt1 = t1["refresh_token"].as_str().unwrap().to_owned();
    let at1 = t1["access_token"].as_str().unwrap().to_owned();
    // Narrower scope is allowed, wider is not.
    let (st, e) = exchange(
        &s,
        "rp",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt1),
            ("scope", "openid profile"),
        ],
    )
    .await;
    assert_eq!((st, e["error"].as_str().unwrap()), (400, "invalid_scope"));
    let (st, t2) = exchange(
        &s,
        "rp",
        &[("grant_type", "refresh_token"), ("refresh_token", &rt1)],
    )
    .await;
    assert_eq!(st, 200, "{t2}");
    let rt2 = t2["refresh_token"].as_str().unwrap().to_owned();
    let at2 = t2["access_token"].as_str().unwrap().to_owned();
    assert_ne!(rt1, rt2);
    assert!(t2["id_token"].is_string());
    // The old access token is replaced, the new pair is active.
    assert_eq!(s.introspect(&at1).await["active"], false);
    assert_eq!(s.introspect(&at2).await["active"], true);
    assert_eq!(s.introspect(&rt2).await["active"], true);
    // Another client cannot use it.
    web_client(&s, "other", json!({})).await;
    let (st, _) = exchange(
        &s,
        "other",
        &[("grant_type", "refresh_token"), ("refresh_token", &rt2)],
    )
    .await;
    assert_eq!(st, 400);
    assert_eq!(s.introspect(&rt2).await["active"], true);
    // Reuse of the rotated token: refused, and the family is revoked.
    let (st, e) = exchange(
        &s,
        "rp",
        &[("grant_type", "refresh_token"), ("refresh_token", &rt1)],
    )
    .await;
    assert_eq!((st, e["error"].as_str().unwrap()), (400, "invalid_grant"));
    assert_eq!(s.introspect(&at2).await["active"], false);
    assert_eq!(s.introspect(&rt2).await["active"], false);
    let (st, _) = exchange(
        &s,
        "rp",
        &[("grant_type", "refresh_token"), ("refresh_token", &rt2)],
    )
    .await;
    assert_eq!(st, 400);
    s.stop().await;
}

/// Concurrent uses of one code (or one refresh token) race through the group-commit writer: exactly
/// one wins, and the others' use counts as a replay, which revokes what the winner got.
async fn concurrent_spending(s: TestServer) {
    web_client(&s, "rp", json!({})).await;
    let url = format!(
        "{}/oauth2/auth?client_id=rp&response_type=code&scope=openid+offline_access&state=abcdefgh&redirect_uri={}",
        s.public,
        enc(CB)
    );
    let (page, _) = run_flow(&s, &mut Browser::new(), &url, &App::accept("u")).await;
    let code = param(&page.location.unwrap(), "code").unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CB),
    ];
    let results = futures_util::future::join_all((0..8).map(|_| exchange(&s, "rp", &form))).await;
    let wins: Vec<&Value> = results
        .iter()
        .filter(|(st, _)| *st == 200)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(wins.len(), 1, "{results:?}");
    assert!(
        results
            .iter()
            .all(|(st, b)| *st == 200 || b["error"] == "invalid_grant")
    );
    assert_eq!(
        s.introspect(wins[0]["access_token"].as_str().unwrap())
            .await["active"],
        false
    );

    let (page, _) = run_flow(&s, &mut Browser::new(), &url, &App::accept("v")).await;
    let code = param(&page.location.unwrap(), "code").unwrap();
    let (_, t) = exchange(
        &s,
        "rp",
        &[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CB),
        ],
    )
    .await;
    let rt = t["refresh_token"].as_str().unwrap().to_owned();
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt.as_str()),
    ];
    let results = futures_util::future::join_all((0..8).map(|_| exchange(&s, "rp", &form))).await;
    let wins: Vec<&Value> = results
        .iter()
        .filter(|(st, _)| *st == 200)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(wins.len(), 1, "{results:?}");
    assert_eq!(
        s.introspect(wins[0]["refresh_token"].as_str().unwrap())
            .await["active"],
        false
    );
    s.stop().await;
}

crate::per_database!(server:
    code_flow_with_pkce,
    refresh_rotation_and_reuse,
    concurrent_spending
);

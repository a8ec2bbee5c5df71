//! The OpenID Foundation conformance suite's OP modules (plans `oidcc-basic`, `-implicit`,
//! `-hybrid`, `-formpost-*`, `-config`, `-dynamic`, and the RP-initiated, front- and back-channel
//! logout plans), each kept as a test of ours: a scenario per module (named after it, in
//! [`modules`]) that checks what the module checks, driven by a relying party built on the
//! `openidconnect` crate against the built-in login and consent app, on every database.
//!
//! The relying party here is strict the way the suite is: discovery parsed as
//! `CoreProviderMetadata`, ID tokens verified by `CoreIdTokenVerifier` (signature, `iss`, `aud`,
//! `exp`, `nonce`) with `at_hash` / `c_hash` checked against what came with them, `iss` and `state`
//! of every authorization response (RFC 9207), userinfo parsed as `CoreUserInfoClaims` and its `sub`
//! compared with the ID token's.

mod dynamic;
mod modules;

/// Runs every module of the basic, implicit and hybrid plans (`form_post`: of the form-post
/// plans) on `backend`, one server with a test clock for all.
async fn plans(backend: crate::support::Backend, form_post: bool) {
    let Some(db) = crate::support::TestDb::create(backend).await else {
        panic!("{backend:?} is not configured (set TEST_POSTGRES_URL / TEST_MYSQL_URL)");
    };
    let clock = std::sync::Arc::new(latchkey::clock::ManualClock::new());
    let s = TestServer::start_clocked(db, |_| {}, clock.clone()).await;
    let mut op = Op::new(s).await;
    for (name, only) in modules::PLANS {
        for rt in only.response_types() {
            let _doing = crate::harness::Doing(format!(
                "module {name} [response_type={rt}] [form_post={form_post}]"
            ));
            modules::run(&mut op, &clock, name, rt, form_post).await;
        }
    }
    op.s.stop().await;
}

async fn basic_implicit_hybrid(backend: crate::support::Backend) {
    plans(backend, false).await
}

async fn formpost(backend: crate::support::Backend) {
    plans(backend, true).await
}

crate::per_database!(basic_implicit_hybrid, formpost);

/// The dynamic, config and logout plans' modules on `backend`, with dynamic registration open.
async fn dynamic_config_logout(backend: crate::support::Backend) {
    let Some(db) = crate::support::TestDb::create(backend).await else {
        panic!("{backend:?} is not configured (set TEST_POSTGRES_URL / TEST_MYSQL_URL)");
    };
    let s = TestServer::start_with(db, |c| {
        c.oidc.dynamic_client_registration.enabled = true;
    })
    .await;
    let mut op = Op::new(s).await;
    for name in dynamic::MODULES {
        let _doing = crate::harness::Doing(format!("module {name}"));
        dynamic::run(&mut op, name).await;
    }
    op.s.stop().await;
}

crate::per_database!(dynamic_config_logout);

use std::collections::HashMap;

use openidconnect::{
    AccessToken, AccessTokenHash, AuthorizationCode, AuthorizationCodeHash, ClientId, ClientSecret,
    IssuerUrl, Nonce,
    core::{
        CoreIdToken, CoreIdTokenClaims, CoreIdTokenVerifier, CoreJsonWebKeySet,
        CoreProviderMetadata, CoreUserInfoClaims,
    },
};
use serde_json::{Value, json};

use crate::{
    flows::{Browser, Page, enc, local},
    support::TestServer,
    ui::hidden,
};

pub use crate::support::CB;
pub const EMAIL: &str = "foo@bar.com";
pub const PASSWORD: &str = "foobar";

/// Every response type of the implicit and hybrid plans, and the code flow.
pub const RESPONSE_TYPES: &[&str] = &[
    "code",
    "id_token",
    "id_token token",
    "code id_token",
    "code token",
    "code id_token token",
];

/// What the relying party asks for.
#[derive(Clone)]
pub struct Ask {
    pub client: String,
    pub response_type: &'static str,
    pub form_post: bool,
    pub scope: String,
    pub nonce: Option<String>,
    /// More parameters, as given.
    pub extra: Vec<(String, String)>,
    /// Sent as a POST form instead of a GET query (oidcc-ensure-post-request-succeeds).
    pub post: bool,
    pub redirect_uri: String,
}

impl Ask {
    pub fn new(response_type: &'static str) -> Self {
        Self {
            client: "rp".into(),
            response_type,
            form_post: false,
            scope: "openid".into(),
            nonce: Some(format!("n-{}", uuid::Uuid::new_v4().simple())),
            extra: vec![],
            post: false,
            redirect_uri: CB.into(),
        }
    }
    pub fn scope(mut self, s: &str) -> Self {
        self.scope = s.into();
        self
    }
    pub fn with(mut self, k: &str, v: &str) -> Self {
        self.extra.push((k.into(), v.into()));
        self
    }
    pub fn no_nonce(mut self) -> Self {
        self.nonce = None;
        self
    }
    fn params(&self, state: &str) -> Vec<(String, String)> {
        let mut p = vec![
            ("client_id".to_owned(), self.client.clone()),
            ("redirect_uri".into(), self.redirect_uri.clone()),
            ("response_type".into(), self.response_type.into()),
            ("scope".into(), self.scope.clone()),
            ("state".into(), state.into()),
        ];
        if let Some(n) = &self.nonce {
            p.push(("nonce".into(), n.clone()));
        }
        if self.form_post {
            p.push(("response_mode".into(), "form_post".into()));
        }
        p.extend(self.extra.iter().cloned());
        p
    }
}

/// How the user answers the built-in app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum User {
    /// Signs in (ticking Remember me) and allows what is asked (remembering the decision).
    SignsIn,
    /// Must not be asked anything: the request ends without a page of the app.
    NotAsked,
}

/// The relying party's view of one authorization.
pub struct Outcome {
    /// The authorization response's parameters, or `None` when the browser stayed at the server
    /// (an error page).
    pub params: Option<HashMap<String, String>>,
    /// The last page (the error page when `params` is `None`).
    #[allow(dead_code)] // read when a scenario fails
    pub page: Page,
    /// The pages of the built-in app the user saw, by path (`/ui/login`, `/ui/consent`).
    pub seen: Vec<String>,
}

impl Outcome {
    pub fn get(&self, k: &str) -> Option<&str> {
        self.params.as_ref()?.get(k).map(String::as_str)
    }
    pub fn error(&self) -> Option<&str> {
        self.get("error")
    }
}

/// The tokens an authorization ended in, checked.
#[derive(Debug, Default)]
pub struct Tokens {
    pub id_token: Option<CoreIdTokenClaims>,
    /// The raw ID token (from the token endpoint when there is one).
    pub id_token_jwt: Option<String>,
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    /// The ID token from the authorization endpoint, when one came.
    pub front_id_token: Option<CoreIdTokenClaims>,
}

/// A server, its discovery document, and a browser with the user's cookies.
pub struct Op {
    pub s: TestServer,
    pub meta: CoreProviderMetadata,
    pub meta_json: Value,
    pub keys: CoreJsonWebKeySet,
    pub browser: Browser,
    /// Secrets of clients registered dynamically (the static ones use `rp-secret`).
    pub secrets: HashMap<String, String>,
}

impl Op {
    /// The server with the demo user (all standard claims) and the clients `rp`, `rp2` (HTTP
    /// Basic) and `rp-post` (`client_secret_post`).
    pub async fn new(s: TestServer) -> Self {
        s.state.users.ensure_demo_user().await.unwrap();
        for (id, method) in [
            ("rp", "client_secret_basic"),
            ("rp2", "client_secret_basic"),
            ("rp-post", "client_secret_post"),
        ] {
            crate::support::make_client(
                &s,
                json!({
                    "client_id": id, "client_secret": "rp-secret",
                    "grant_types": ["authorization_code", "refresh_token", "implicit"],
                    "response_types": RESPONSE_TYPES,
                    "scope": "openid offline_access profile email address phone",
                    "redirect_uris": [CB],
                    "token_endpoint_auth_method": method,
                }),
            )
            .await;
        }
        let meta_json = s.discovery().await;
        let meta: CoreProviderMetadata =
            serde_json::from_value(meta_json.clone()).expect("discovery as the crate reads it");
        let keys = crate::flows::jwks(&s).await;
        Self {
            s,
            meta,
            meta_json,
            keys,
            browser: Browser::new(),
            secrets: HashMap::new(),
        }
    }

    pub fn issuer(&self) -> String {
        self.meta.issuer().as_str().to_owned()
    }

    /// Forgets the user's cookies (another browser).
    pub fn new_browser(&mut self) {
        self.browser = Browser::new();
    }

    /// Runs an authorization request through the browser and the built-in app.
    pub async fn authorize(&mut self, ask: &Ask, user: User) -> Outcome {
        let state = format!("st-{}", uuid::Uuid::new_v4().simple());
        let params = ask.params(&state);
        let endpoint = format!("{}/oauth2/auth", self.s.public);
        let mut page = if ask.post {
            let form: Vec<(&str, &str)> = params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            self.browser.post_form(&endpoint, &form).await
        } else {
            let q: Vec<String> = params
                .iter()
                .map(|(k, v)| format!("{k}={}", enc(v)))
                .collect();
            self.browser
                .get(&format!("{endpoint}?{}", q.join("&")))
                .await
        };
        let mut seen = vec![];
        loop {
            if let Some(loc) = page.location.clone() {
                if loc.starts_with(&ask.redirect_uri) {
                    let p = response_params(&loc);
                    return self.outcome(p, page, seen, &state);
                }
                page = self.browser.get(&local(&self.s, &loc)).await;
                continue;
            }
            // form_post: an auto-submitting form to the client.
            if page
                .body
                .contains(&format!("action=\"{}\"", ask.redirect_uri))
            {
                let p = form_fields(&page.body);
                return self.outcome(p, page, seen, &state);
            }
            if page.body.contains("name=\"login_challenge\"") && page.body.contains("password") {
                assert_eq!(user, User::SignsIn, "the user was asked to sign in");
                seen.push("/ui/login".into());
                page = self
                    .browser
                    .post_form(
                        &format!("{}/ui/login", self.s.public),
                        &[
                            ("login_challenge", &hidden(&page, "login_challenge")),
                            ("csrf_token", &hidden(&page, "csrf_token")),
                            ("email", EMAIL),
                            ("password", PASSWORD),
                            ("remember", "1"),
                        ],
                    )
                    .await;
                continue;
            }
            if page.body.contains("name=\"consent_challenge\"") {
                assert_eq!(user, User::SignsIn, "the user was asked to consent");
                seen.push("/ui/consent".into());
                let scopes: Vec<String> = page
                    .body
                    .split("name=\"grant_scope\" value=\"")
                    .skip(1)
                    .map(|s| s.split('"').next().unwrap().to_owned())
                    .collect();
                let mut form = vec![
                    ("consent_challenge", hidden(&page, "consent_challenge")),
                    ("csrf_token", hidden(&page, "csrf_token")),
                    ("remember", "1".into()),
                    ("action", "allow".into()),
                ];
                form.extend(scopes.into_iter().map(|s| ("grant_scope", s)));
                let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                page = self
                    .browser
                    .post_form(&format!("{}/ui/consent", self.s.public), &form)
                    .await;
                continue;
            }
            return Outcome {
                params: None,
                page,
                seen,
            };
        }
    }

    fn outcome(
        &self,
        params: HashMap<String, String>,
        page: Page,
        seen: Vec<String>,
        state: &str,
    ) -> Outcome {
        // RFC 9207 and RFC 6749 §4.1.2: every response says who sent it and echoes the state.
        assert_eq!(params.get("iss"), Some(&self.issuer()), "{params:?}");
        assert_eq!(
            params.get("state").map(String::as_str),
            Some(state),
            "{params:?}"
        );
        Outcome {
            params: Some(params),
            page,
            seen,
        }
    }

    pub fn secret(&self, client: &str) -> String {
        self.secrets
            .get(client)
            .cloned()
            .unwrap_or_else(|| "rp-secret".into())
    }

    pub fn verifier(&self, client: &str) -> CoreIdTokenVerifier<'static> {
        CoreIdTokenVerifier::new_confidential_client(
            ClientId::new(client.into()),
            ClientSecret::new(self.secret(client)),
            IssuerUrl::new(self.issuer()).unwrap(),
            self.keys.clone(),
        )
    }

    /// Verifies an ID token as the relying party: signature, `iss`, `aud`, `exp`, `nonce`.
    pub fn verify(&self, ask: &Ask, jwt: &str) -> CoreIdTokenClaims {
        let idt: CoreIdToken = jwt.parse().expect("an ID token");
        let nonce = Nonce::new(ask.nonce.clone().unwrap_or_default());
        let v = self.verifier(&ask.client);
        let claims = if ask.nonce.is_some() {
            idt.claims(&v, &nonce)
        } else {
            idt.claims(&v, |n: Option<&Nonce>| match n {
                None => Ok(()),
                Some(_) => Err("a nonce nobody sent".to_owned()),
            })
        };
        claims.expect("a valid ID token").clone()
    }

    /// Checks an authorization response as the relying party and redeems its code.
    pub async fn complete(&self, ask: &Ask, out: &Outcome) -> Tokens {
        assert_eq!(out.error(), None, "{:?}", out.params);
        let rt: Vec<&str> = ask.response_type.split(' ').collect();
        let mut t = Tokens::default();
        for part in ["code", "id_token", "access_token"] {
            let wanted = match part {
                "access_token" => rt.contains(&"token"),
                p => rt.contains(&p),
            };
            assert_eq!(
                out.get(part).is_some(),
                wanted,
                "{part} for {}",
                ask.response_type
            );
        }
        if let Some(jwt) = out.get("id_token") {
            let claims = self.verify(ask, jwt);
            let idt: CoreIdToken = jwt.parse().unwrap();
            let verifier = self.verifier(&ask.client);
            let alg = idt.signing_alg().unwrap();
            let key = idt.signing_key(&verifier).unwrap();
            // OIDC Core §3.3.2.11: c_hash and at_hash when a code or a token came with it.
            if let Some(code) = out.get("code") {
                let h = AuthorizationCodeHash::from_code(
                    &AuthorizationCode::new(code.into()),
                    alg,
                    key,
                )
                .unwrap();
                assert_eq!(claims.code_hash(), Some(&h), "c_hash");
            }
            if let Some(at) = out.get("access_token") {
                let h =
                    AccessTokenHash::from_token(&AccessToken::new(at.into()), alg, key).unwrap();
                assert_eq!(claims.access_token_hash(), Some(&h), "at_hash");
            }
            t.front_id_token = Some(claims.clone());
            t.id_token = Some(claims);
            t.id_token_jwt = Some(jwt.into());
        }
        t.access_token = out.get("access_token").map(str::to_owned);
        if let Some(code) = out.get("code") {
            let (st, body) = self.redeem(&ask.client, &ask.redirect_uri, code).await;
            assert_eq!(st, 200, "{body}");
            let jwt = body["id_token"].as_str().expect("an ID token").to_owned();
            let claims = self.verify(ask, &jwt);
            if let Some(front) = &t.front_id_token {
                // OIDC Core §3.3.3.6: the same subject and issuer at both endpoints.
                assert_eq!(front.subject(), claims.subject());
                assert_eq!(front.issuer(), claims.issuer());
            }
            t.id_token = Some(claims);
            t.id_token_jwt = Some(jwt);
            t.access_token = body["access_token"].as_str().map(str::to_owned);
            t.refresh_token = body["refresh_token"].as_str().map(str::to_owned);
        }
        t
    }

    /// The token endpoint: the code for tokens, with the client's own authentication method.
    pub async fn redeem(&self, client: &str, redirect_uri: &str, code: &str) -> (u16, Value) {
        let secret = self.secret(client);
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
        ];
        let basic = if client == "rp-post" {
            form.extend([("client_id", client), ("client_secret", secret.as_str())]);
            None
        } else {
            Some((client, secret.as_str()))
        };
        let r = self.s.token_request(basic, &form).await;
        (r.status().as_u16(), r.json().await.unwrap())
    }

    /// Userinfo with the token in the header (GET or POST) or the body; parsed as the crate
    /// reads it, its `sub` the ID token's.
    pub async fn userinfo(&self, how: &str, token: &str, sub: &str) -> Value {
        let url = format!("{}/userinfo", self.s.public);
        let http = &self.s.http;
        let r = match how {
            "get" => http.get(&url).bearer_auth(token),
            "post-header" => http.post(&url).bearer_auth(token),
            _ => http.post(&url).form(&[("access_token", token)]),
        }
        .send()
        .await
        .unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        // OIDC Core §5.3.2: the same sub as the ID token.
        CoreUserInfoClaims::from_json::<std::io::Error>(
            body.to_string().as_bytes(),
            Some(&openidconnect::SubjectIdentifier::new(sub.into())),
        )
        .expect("userinfo as the crate reads it");
        body
    }

    /// One full flow as the suite's happy path: authorize, check, redeem, userinfo.
    pub async fn happy(&mut self, ask: &Ask) -> (Outcome, Tokens) {
        let out = self.authorize(ask, User::SignsIn).await;
        let t = self.complete(ask, &out).await;
        (out, t)
    }
}

/// The parameters of a redirect to the client: the query, and the fragment.
pub fn response_params(url: &str) -> HashMap<String, String> {
    let u = url::Url::parse(url).unwrap();
    let mut p: HashMap<String, String> = u.query_pairs().into_owned().collect();
    if let Some(f) = u.fragment() {
        p.extend(url::form_urlencoded::parse(f.as_bytes()).into_owned());
    }
    p
}

/// The hidden fields of a form_post page.
fn form_fields(body: &str) -> HashMap<String, String> {
    body.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .map(|s| {
            let name = s.split('"').next().unwrap().to_owned();
            let value = s
                .split("value=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            (name, html_unescape(value))
        })
        .collect()
}

fn html_unescape(s: &str) -> String {
    let mut out = s.to_owned();
    for (from, to) in [
        ("&#38;", "&"),
        ("&amp;", "&"),
        ("&#34;", "\""),
        ("&quot;", "\""),
        ("&#39;", "'"),
        ("&#x27;", "'"),
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&#43;", "+"),
        ("&#61;", "="),
        ("&#47;", "/"),
    ] {
        out = out.replace(from, to);
    }
    out
}

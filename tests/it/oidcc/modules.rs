//! One scenario per module of the suite's OP plans, by the module's name, run for the response
//! types and response modes the plans run it with. [`PLANS`] is the table; [`run`] is what each
//! module checks.
//!
//! Not here: the request-object modules (`oidcc-unsigned-request-object-*`,
//! `oidcc-request-uri-unsigned-*`, `oidcc-ensure-request-object-with-redirect-uri`, the dynamic
//! plan's `oidcc-request-uri-*` and `oidcc-*-request-object*`) — request objects arrive with the
//! request-objects issue, and their modules with it.

use std::time::Duration;

use serde_json::{Value, json};

use super::{Ask, CB, Op, RESPONSE_TYPES, User};
use crate::flows::enc;

/// The modules of the basic, implicit and hybrid plans (and their form_post twins), with the
/// response types each runs for (`ALL`: every response type of the plan).
pub const PLANS: &[(&str, Only)] = &[
    ("oidcc-server", Only::All),
    ("oidcc-response-type-missing", Only::All),
    ("oidcc-idtoken-signature", Only::All),
    ("oidcc-userinfo-get", Only::AccessToken),
    ("oidcc-userinfo-post-header", Only::AccessToken),
    ("oidcc-userinfo-post-body", Only::AccessToken),
    (
        "oidcc-ensure-request-without-nonce-succeeds-for-code-flow",
        Only::NoFrontIdToken,
    ),
    (
        "oidcc-ensure-request-without-nonce-fails",
        Only::FrontIdToken,
    ),
    ("oidcc-scope-profile", Only::All),
    ("oidcc-scope-email", Only::All),
    ("oidcc-scope-address", Only::All),
    ("oidcc-scope-phone", Only::All),
    ("oidcc-scope-all", Only::All),
    ("oidcc-ensure-other-scope-order-succeeds", Only::All),
    ("oidcc-display-page", Only::All),
    ("oidcc-display-popup", Only::All),
    ("oidcc-prompt-login", Only::All),
    ("oidcc-prompt-none-not-logged-in", Only::All),
    ("oidcc-prompt-none-logged-in", Only::All),
    ("oidcc-max-age-1", Only::All),
    ("oidcc-max-age-10000", Only::All),
    (
        "oidcc-ensure-request-with-unknown-parameter-succeeds",
        Only::All,
    ),
    ("oidcc-id-token-hint", Only::All),
    ("oidcc-login-hint", Only::All),
    ("oidcc-ui-locales", Only::All),
    ("oidcc-claims-locales", Only::All),
    ("oidcc-ensure-request-with-acr-values-succeeds", Only::All),
    ("oidcc-codereuse", Only::Code),
    ("oidcc-codereuse-30seconds", Only::Code),
    ("oidcc-ensure-registered-redirect-uri", Only::All),
    ("oidcc-ensure-post-request-succeeds", Only::All),
    ("oidcc-server-client-secret-post", Only::Code),
    ("oidcc-claims-essential", Only::All),
    ("oidcc-refresh-token", Only::Code),
    ("oidcc-ensure-request-with-valid-pkce-succeeds", Only::Code),
];

/// Which response types a module runs for.
#[derive(Clone, Copy, Debug)]
pub enum Only {
    All,
    /// Those that return an access token.
    AccessToken,
    /// Those with a code.
    Code,
    /// Those with an ID token from the authorization endpoint.
    FrontIdToken,
    /// Those without.
    NoFrontIdToken,
}

impl Only {
    pub fn response_types(self) -> impl Iterator<Item = &'static str> {
        RESPONSE_TYPES.iter().copied().filter(move |rt| {
            let has = |p: &str| rt.split(' ').any(|t| t == p);
            match self {
                Only::All => true,
                Only::AccessToken => has("code") || has("token"),
                Only::Code => has("code"),
                Only::FrontIdToken => has("id_token"),
                Only::NoFrontIdToken => !has("id_token"),
            }
        })
    }
}

/// The claims an ID token may carry when nothing more was asked for it (the suite's
/// EnsureIdTokenDoesNotContainNonRequestedClaims).
const ID_TOKEN_OWN: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "azp",
    "sid",
    "at_hash",
    "c_hash",
    "jti",
];

fn claims_of(jwt: &str) -> Value {
    crate::support::jwt_claims(jwt)
}

fn only_own_claims(jwt: &str) {
    let c = claims_of(jwt);
    for k in c.as_object().unwrap().keys() {
        assert!(ID_TOKEN_OWN.contains(&k.as_str()), "unrequested {k} in {c}");
    }
}

/// The standard claims a scope releases (OIDC Core §5.4), from userinfo when an access token
/// was issued, else in the ID token (the suite's VerifyScopesReturnedInUserInfoClaims /
/// ...InAuthorizationEndpointIdToken, and EnsureIdTokenDoesNotContainEmailForScopeEmail).
async fn scope_claims(op: &mut Op, rt: &'static str, fp: bool, scope: &str, expect: &[&str]) {
    let ask = ask(rt, fp).scope(scope);
    let (_, t) = op.happy(&ask).await;
    let jwt = t.id_token_jwt.clone().unwrap();
    match &t.access_token {
        Some(at) => {
            let sub = t.id_token.as_ref().unwrap().subject().as_str().to_owned();
            let info = op.userinfo("get", at, &sub).await;
            for c in expect {
                assert!(info.get(*c).is_some(), "{scope}: no {c} in {info}");
            }
            only_own_claims(&jwt);
        }
        None => {
            let c = claims_of(&jwt);
            for k in expect {
                assert!(c.get(*k).is_some(), "{scope}: no {k} in {c}");
            }
        }
    }
}

fn ask(rt: &'static str, fp: bool) -> Ask {
    let mut a = Ask::new(rt);
    a.form_post = fp;
    a
}

fn sub_of(t: &super::Tokens) -> String {
    t.id_token.as_ref().unwrap().subject().as_str().to_owned()
}

fn auth_time(t: &super::Tokens) -> i64 {
    t.id_token
        .as_ref()
        .unwrap()
        .auth_time()
        .expect("auth_time")
        .timestamp()
}

/// Runs module `name` for response type `rt` (`fp`: response_mode=form_post).
pub async fn run(
    op: &mut Op,
    clock: &latchkey::clock::ManualClock,
    name: &str,
    rt: &'static str,
    fp: bool,
) {
    op.new_browser();
    match name {
        "oidcc-server" => {
            let a = ask(rt, fp);
            let (out, t) = op.happy(&a).await;
            // A new browser signs in; the consent may be remembered from an earlier module.
            assert_eq!(out.seen[0], "/ui/login");
            only_own_claims(t.id_token_jwt.as_ref().unwrap());
            if let Some(front) = out.get("id_token") {
                only_own_claims(front);
            }
        }
        "oidcc-response-type-missing" => {
            // RFC 6749 §4.1.2.1: the redirect URI is known, so the error goes to the client.
            let page = op
                .browser
                .get(&format!(
                    "{}/oauth2/auth?client_id=rp&redirect_uri={}&scope=openid&state=s1&nonce=n1",
                    op.s.public,
                    enc(CB)
                ))
                .await;
            let loc = page.location.expect("an error for the client");
            let p = super::response_params(&loc);
            assert_eq!(
                p.get("error").map(String::as_str),
                Some("invalid_request"),
                "{loc}"
            );
            assert_eq!(p.get("state").map(String::as_str), Some("s1"), "{loc}");
        }
        "oidcc-idtoken-signature" => {
            let (_, t) = op.happy(&ask(rt, fp)).await;
            // The verifier checked the signature against the published key its kid names.
            let header = crate::support::jwt_header(t.id_token_jwt.as_ref().unwrap());
            assert!(header["kid"].is_string(), "{header}");
            let algs = op.meta_json["id_token_signing_alg_values_supported"].clone();
            assert!(
                algs.as_array().unwrap().contains(&header["alg"]),
                "{header} {algs}"
            );
            assert!(!algs.as_array().unwrap().contains(&json!("none")));
        }
        "oidcc-userinfo-get" | "oidcc-userinfo-post-header" | "oidcc-userinfo-post-body" => {
            let (_, t) = op.happy(&ask(rt, fp)).await;
            let how = name.trim_start_matches("oidcc-userinfo-");
            op.userinfo(how, t.access_token.as_ref().unwrap(), &sub_of(&t))
                .await;
        }
        "oidcc-ensure-request-without-nonce-succeeds-for-code-flow" => {
            let a = ask(rt, fp).no_nonce();
            let (_, t) = op.happy(&a).await;
            assert!(t.id_token.unwrap().nonce().is_none());
        }
        "oidcc-ensure-request-without-nonce-fails" => {
            // OIDC Core §3.2.2.1: nonce is required when an ID token comes from the endpoint.
            let out = op.authorize(&ask(rt, fp).no_nonce(), User::NotAsked).await;
            assert_eq!(out.error(), Some("invalid_request"), "{:?}", out.params);
        }
        "oidcc-scope-profile" => {
            scope_claims(
                op,
                rt,
                fp,
                "openid profile",
                &["name", "given_name", "family_name", "updated_at"],
            )
            .await
        }
        "oidcc-scope-email" => {
            scope_claims(op, rt, fp, "openid email", &["email", "email_verified"]).await
        }
        "oidcc-scope-address" => scope_claims(op, rt, fp, "openid address", &["address"]).await,
        "oidcc-scope-phone" => {
            scope_claims(
                op,
                rt,
                fp,
                "openid phone",
                &["phone_number", "phone_number_verified"],
            )
            .await
        }
        "oidcc-scope-all" => {
            scope_claims(
                op,
                rt,
                fp,
                "openid profile email address phone",
                &["name", "email", "address", "phone_number"],
            )
            .await
        }
        "oidcc-ensure-other-scope-order-succeeds" => {
            scope_claims(op, rt, fp, "email openid", &["email"]).await;
            op.new_browser();
            scope_claims(op, rt, fp, "openid email", &["email"]).await;
        }
        "oidcc-display-page" | "oidcc-display-popup" => {
            let d = name.trim_start_matches("oidcc-display-");
            op.happy(&ask(rt, fp).with("display", d)).await;
        }
        "oidcc-prompt-login" => {
            let (_, first) = op.happy(&ask(rt, fp)).await;
            clock.advance(Duration::from_secs(2));
            let a = ask(rt, fp).with("prompt", "login");
            let (out, second) = op.happy(&a).await;
            assert!(
                out.seen.contains(&"/ui/login".to_owned()),
                "signed in again"
            );
            assert_eq!(sub_of(&first), sub_of(&second));
            assert!(auth_time(&second) > auth_time(&first));
        }
        "oidcc-prompt-none-not-logged-in" => {
            let out = op
                .authorize(&ask(rt, fp).with("prompt", "none"), User::NotAsked)
                .await;
            assert_eq!(out.error(), Some("login_required"), "{:?}", out.params);
        }
        "oidcc-prompt-none-logged-in" | "oidcc-id-token-hint" => {
            let (_, first) = op.happy(&ask(rt, fp)).await;
            let mut a = ask(rt, fp).with("prompt", "none");
            if name == "oidcc-id-token-hint" {
                a = a.with("id_token_hint", first.id_token_jwt.as_ref().unwrap());
            }
            let out = op.authorize(&a, User::NotAsked).await;
            assert!(out.seen.is_empty());
            let second = op.complete(&a, &out).await;
            assert_eq!(sub_of(&first), sub_of(&second));
        }
        "oidcc-max-age-1" => {
            let (_, first) = op.happy(&ask(rt, fp)).await;
            clock.advance(Duration::from_secs(2));
            let (out, second) = op.happy(&ask(rt, fp).with("max_age", "1")).await;
            assert!(
                out.seen.contains(&"/ui/login".to_owned()),
                "signed in again"
            );
            assert!(auth_time(&second) > auth_time(&first));
        }
        "oidcc-max-age-10000" => {
            let (_, first) = op.happy(&ask(rt, fp)).await;
            clock.advance(Duration::from_secs(2));
            let a = ask(rt, fp).with("max_age", "10000");
            let out = op.authorize(&a, User::NotAsked).await;
            let second = op.complete(&a, &out).await;
            assert_eq!(auth_time(&second), auth_time(&first));
        }
        "oidcc-ensure-request-with-unknown-parameter-succeeds" => {
            op.happy(&ask(rt, fp).with("extra", "foobar")).await;
        }
        "oidcc-login-hint" => {
            let a = ask(rt, fp).with("login_hint", super::EMAIL);
            let page = op
                .browser
                .get(&format!(
                    "{}/oauth2/auth?client_id=rp&redirect_uri={}&response_type={}&scope=openid&state=s&nonce=n&login_hint={}",
                    op.s.public,
                    enc(CB),
                    enc(rt),
                    enc(super::EMAIL)
                ))
                .await;
            let login = crate::ui::follow(&op.s, &mut op.browser, page).await;
            assert!(login.body.contains(&format!("value=\"{}\"", super::EMAIL)));
            op.new_browser();
            op.happy(&a).await;
        }
        "oidcc-ui-locales" => {
            op.happy(&ask(rt, fp).with("ui_locales", "se")).await;
        }
        "oidcc-claims-locales" => {
            op.happy(&ask(rt, fp).with("claims_locales", "se")).await;
        }
        "oidcc-ensure-request-with-acr-values-succeeds" => {
            let supported: Vec<String> = op.meta_json["acr_values_supported"]
                .as_array()
                .expect("acr_values_supported")
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect();
            let (_, t) = op
                .happy(&ask(rt, fp).with("acr_values", &supported.join(" ")))
                .await;
            let acr = t
                .id_token
                .unwrap()
                .auth_context_ref()
                .expect("acr")
                .to_string();
            assert!(supported.contains(&acr), "{acr} of {supported:?}");
            // Remembered now, the login is level "0"; asked for "1" alone, the user signs in
            // again (the request's other prompt replaced, not repeated) and gets it.
            let a = ask(rt, fp)
                .with("acr_values", "1")
                .with("prompt", "consent");
            let (out, t) = op.happy(&a).await;
            assert!(out.seen.contains(&"/ui/login".to_owned()), "{:?}", out.seen);
            assert_eq!(
                t.id_token.unwrap().auth_context_ref().unwrap().as_str(),
                "1"
            );
            let (out, t) = op.happy(&ask(rt, fp).with("acr_values", "0 1")).await;
            assert!(out.seen.is_empty(), "{:?}", out.seen);
            assert_eq!(
                t.id_token.unwrap().auth_context_ref().unwrap().as_str(),
                "0"
            );
            // OIDC Core §5.5.1.1: an essential acr the app cannot meet fails the request.
            op.new_browser();
            let claims = json!({"id_token": {"acr": {"essential": true, "values": ["urn:mfa"]}}});
            let out = op
                .authorize(
                    &ask(rt, fp).with("claims", &claims.to_string()),
                    User::NotAsked,
                )
                .await;
            assert_eq!(
                out.error(),
                Some("unmet_authentication_requirements"),
                "{:?}",
                out.params
            );
        }
        "oidcc-codereuse" | "oidcc-codereuse-30seconds" => {
            let a = ask(rt, fp);
            let out = op.authorize(&a, User::SignsIn).await;
            let code = out.get("code").unwrap().to_owned();
            let (st, first) = op.redeem("rp", CB, &code).await;
            assert_eq!(st, 200);
            if name.ends_with("30seconds") {
                clock.advance(Duration::from_secs(30));
            }
            let (st, again) = op.redeem("rp", CB, &code).await;
            assert_eq!((st, again["error"].as_str()), (400, Some("invalid_grant")));
            // RFC 6749 §4.1.2: what the code gave is revoked.
            let r =
                op.s.http
                    .get(format!("{}/userinfo", op.s.public))
                    .bearer_auth(first["access_token"].as_str().unwrap())
                    .send()
                    .await
                    .unwrap();
            assert_eq!(r.status(), 401);
        }
        "oidcc-ensure-registered-redirect-uri" => {
            // RFC 6749 §3.1.2.4: never redirect to an unregistered URI; the user sees an error.
            let page = op
                .browser
                .get(&format!(
                    "{}/oauth2/auth?client_id=rp&redirect_uri={}&response_type={}&scope=openid&state=s&nonce=n",
                    op.s.public,
                    enc("https://attacker.example/cb"),
                    enc(rt)
                ))
                .await;
            assert_eq!(page.location, None);
            assert_eq!(page.status, 400);
            assert!(
                page.body.contains("could not be completed"),
                "{}",
                page.body
            );
        }
        "oidcc-ensure-post-request-succeeds" => {
            let mut a = ask(rt, fp);
            a.post = true;
            op.happy(&a).await;
        }
        "oidcc-server-client-secret-post" => {
            let mut a = ask(rt, fp);
            a.client = "rp-post".into();
            op.happy(&a).await;
        }
        "oidcc-claims-essential" => {
            let target = if rt == "id_token" {
                "id_token"
            } else {
                "userinfo"
            };
            let claims = json!({ target: {"name": {"essential": true}} }).to_string();
            let (_, t) = op.happy(&ask(rt, fp).with("claims", &claims)).await;
            let jwt = t.id_token_jwt.clone().unwrap();
            if target == "id_token" {
                assert_eq!(claims_of(&jwt)["name"], "Foo Bar");
            } else {
                let info = op
                    .userinfo("get", t.access_token.as_ref().unwrap(), &sub_of(&t))
                    .await;
                assert_eq!(info["name"], "Foo Bar", "{info}");
                // Asked for from userinfo only: not in the ID token.
                only_own_claims(&jwt);
            }
        }
        "oidcc-refresh-token" => {
            let a = ask(rt, fp)
                .scope("openid offline_access")
                .with("prompt", "consent");
            let (_, t) = op.happy(&a).await;
            let rt1 = t.refresh_token.clone().expect("a refresh token");
            let refresh = |token: String| {
                let op = &*op;
                async move {
                    let r =
                        op.s.token_request(
                            Some(("rp", "rp-secret")),
                            &[("grant_type", "refresh_token"), ("refresh_token", &token)],
                        )
                        .await;
                    (r.status().as_u16(), r.json::<Value>().await.unwrap())
                }
            };
            let (st, next) = refresh(rt1.clone()).await;
            assert_eq!(st, 200, "{next}");
            // OIDC Core §12.2: the same subject; a nonce, if any, the original one.
            let idt = op.verify(&a, next["id_token"].as_str().unwrap());
            assert_eq!(idt.subject().as_str(), sub_of(&t));
            // Another client cannot use it; nor can anyone use it twice (RFC 9700 §4.14.2).
            let r =
                op.s.token_request(
                    Some(("rp2", "rp-secret")),
                    &[("grant_type", "refresh_token"), ("refresh_token", &rt1)],
                )
                .await;
            assert_eq!(r.status(), 400);
            let (st, _) = refresh(rt1).await;
            assert_eq!(st, 400);
        }
        "oidcc-ensure-request-with-valid-pkce-succeeds" => {
            let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
            let a = ask(rt, fp)
                .with(
                    "code_challenge",
                    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                )
                .with("code_challenge_method", "S256");
            let out = op.authorize(&a, User::SignsIn).await;
            let r =
                op.s.token_request(
                    Some(("rp", "rp-secret")),
                    &[
                        ("grant_type", "authorization_code"),
                        ("code", out.get("code").unwrap()),
                        ("redirect_uri", CB),
                        ("code_verifier", verifier),
                    ],
                )
                .await;
            assert_eq!(r.status(), 200);
        }
        other => panic!("no scenario for {other}"),
    }
}

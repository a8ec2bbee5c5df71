//! The modules of the dynamic (`oidcc-dynamic-certification-test-plan`), config and logout plans
//! (RP-initiated, front-channel, back-channel), each a scenario by the module's name, with clients
//! registered through `/oauth2/register` as the suite registers them.
//!
//! Covered elsewhere, by tests that name the module: oidcc-registration-sector-uri and
//! oidcc-registration-sector-bad (`tests/it/sector.rs`), oidcc-registration-jwks-uri,
//! oidcc-ensure-client-assertion-with-iss-aud-succeeds and oidcc-refresh-token-rp-key-rotation
//! (`tests/it/assertion.rs`), oidcc-userinfo-rs256 (refused at registration:
//! `tests/it/conformance.rs`; signed userinfo arrives with request objects), and the
//! backchannel logout token checks (`tests/it/logout.rs`).

use serde_json::{Value, json};

use super::{Ask, CB, Op, User};
use crate::{flows::enc, ui::hidden};

/// The modules, in the plans' order.
pub const MODULES: &[&str] = &[
    "oidcc-discovery-endpoint-verification",
    "oidcc-idtoken-rs256",
    "oidcc-idtoken-unsigned",
    "oidcc-ensure-redirect-uri-in-authorization-request",
    "oidcc-redirect-uri-query-OK",
    "oidcc-redirect-uri-query-mismatch",
    "oidcc-redirect-uri-query-added",
    "oidcc-redirect-uri-regfrag",
    "oidcc-server",
    "oidcc-registration-logo-uri",
    "oidcc-registration-policy-uri",
    "oidcc-registration-tos-uri",
    "oidcc-server-rotate-keys",
    "oidcc-rp-initiated-logout",
    "oidcc-rp-initiated-logout-bad-post-logout-redirect-uri",
    "oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri",
    "oidcc-rp-initiated-logout-modified-id-token-hint",
    "oidcc-rp-initiated-logout-bad-id-token-hint",
    "oidcc-rp-initiated-logout-no-id-token-hint",
    "oidcc-rp-initiated-logout-no-params",
    "oidcc-rp-initiated-logout-no-post-logout-redirect-uri",
    "oidcc-rp-initiated-logout-only-state",
    "oidcc-rp-initiated-logout-no-state",
    "oidcc-frontchannel-rp-initiated-logout",
];

const BYE: &str = "https://rp.example/post_logout_redirect";

/// Registers a client as the suite does (RFC 7591); its id, its secret kept by `op`.
async fn register(op: &mut Op, extra: Value) -> Result<String, (u16, Value)> {
    let mut body = json!({
        "client_name": "suite client",
        "redirect_uris": [CB],
        "grant_types": ["authorization_code", "implicit", "refresh_token"],
        "response_types": ["code", "id_token", "code id_token"],
        "post_logout_redirect_uris": [BYE],
        "scope": "openid offline_access profile email",
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = op.s.register(&body).await;
    let status = r.status().as_u16();
    let v: Value = r.json().await.unwrap();
    if status != 201 {
        return Err((status, v));
    }
    let id = v["client_id"].as_str().unwrap().to_owned();
    op.secrets
        .insert(id.clone(), v["client_secret"].as_str().unwrap().to_owned());
    Ok(id)
}

fn ask_for(client: &str) -> Ask {
    let mut a = Ask::new("code");
    a.client = client.into();
    a
}

/// An authorization request the user never gets past: the error page, never a redirect.
async fn error_page(op: &mut Op, url: &str) -> String {
    let page = op.browser.get(url).await;
    assert_eq!(page.location, None, "redirected: {url}");
    assert_eq!(page.status, 400);
    page.body
}

/// RP-initiated logout in the browser: the end-session request, the built-in confirmation
/// answered "yes"; the last page or redirect.
async fn end_session(op: &mut Op, query: &str) -> crate::flows::Page {
    let mut page = op
        .browser
        .get(&format!("{}/oauth2/sessions/logout?{query}", op.s.public))
        .await;
    loop {
        if let Some(loc) = page.location.clone() {
            if !loc.contains("/oauth2/sessions/logout") && !loc.contains("/ui/") {
                return page;
            }
            page = op.browser.get(&crate::flows::local(&op.s, &loc)).await;
        } else if page.body.contains("name=\"logout_challenge\"") {
            page = op
                .browser
                .post_form(
                    &format!("{}/ui/logout", op.s.public),
                    &[
                        ("logout_challenge", &hidden(&page, "logout_challenge")),
                        ("csrf_token", &hidden(&page, "csrf_token")),
                        ("action", "yes"),
                    ],
                )
                .await;
        } else {
            return page;
        }
    }
}

/// Signs in with a fresh client: its id and ID token.
async fn signed_in(op: &mut Op, extra: Value) -> (String, String) {
    let id = register(op, extra).await.unwrap();
    let (_, t) = op.happy(&ask_for(&id)).await;
    (id, t.id_token_jwt.unwrap())
}

/// After a logout, the next request finds nobody signed in (the suite's final prompt=none).
async fn nobody_signed_in(op: &mut Op, client: &str) {
    let out = op
        .authorize(&ask_for(client).with("prompt", "none"), User::NotAsked)
        .await;
    assert_eq!(out.error(), Some("login_required"), "{:?}", out.params);
}

pub async fn run(op: &mut Op, name: &str) {
    op.new_browser();
    match name {
        "oidcc-discovery-endpoint-verification" => {
            // Parsed as the crate reads it (Op::new); the issuer is the one it is served for, and
            // what the plans need is there.
            let m = &op.meta_json;
            assert_eq!(m["issuer"], op.s.state.config.urls.self_.issuer);
            for (k, v) in [
                ("response_types_supported", "code"),
                ("response_types_supported", "id_token"),
                ("response_types_supported", "token id_token"),
                ("subject_types_supported", "public"),
                ("id_token_signing_alg_values_supported", "RS256"),
                ("scopes_supported", "openid"),
                ("claims_supported", "sub"),
            ] {
                assert!(m[k].as_array().unwrap().contains(&json!(v)), "{k}: {v}");
            }
            assert!(m["registration_endpoint"].is_string());
            assert!(m["end_session_endpoint"].is_string());
            assert_eq!(m["frontchannel_logout_supported"], true);
            assert_eq!(m["backchannel_logout_supported"], true);
        }
        "oidcc-idtoken-rs256" => {
            let (_, jwt) = signed_in(op, json!({"id_token_signed_response_alg": "RS256"})).await;
            assert_eq!(crate::support::jwt_header(&jwt)["alg"], "RS256");
        }
        "oidcc-idtoken-unsigned" => {
            // Unsigned ID tokens are not offered (the suite skips the module); a client that asks
            // for them anyway is not told they are coming (RFC 7591 §2: metadata not understood is
            // ignored) and gets signed ones.
            let algs = op.meta_json["id_token_signing_alg_values_supported"].clone();
            assert!(!algs.as_array().unwrap().contains(&json!("none")));
            let (_, jwt) = signed_in(op, json!({"id_token_signed_response_alg": "none"})).await;
            assert_eq!(crate::support::jwt_header(&jwt)["alg"], "RS256");
        }
        "oidcc-ensure-redirect-uri-in-authorization-request" => {
            // OIDC Core §3.1.2.1: redirect_uri is required, even with one registered.
            let id = register(op, json!({})).await.unwrap();
            let url = format!(
                "{}/oauth2/auth?client_id={id}&response_type=code&scope=openid&state=s&nonce=n",
                op.s.public
            );
            error_page(op, &url).await;
        }
        "oidcc-redirect-uri-query-OK" => {
            let cb = format!("{CB}?foo=bar");
            let id = register(op, json!({"redirect_uris": [cb]})).await.unwrap();
            let mut a = ask_for(&id);
            a.redirect_uri = cb;
            let (out, _) = op.happy(&a).await;
            assert_eq!(out.get("foo"), Some("bar"), "the registered query is kept");
        }
        "oidcc-redirect-uri-query-mismatch" | "oidcc-redirect-uri-query-added" => {
            let registered = if name.ends_with("mismatch") {
                format!("{CB}?foo=bar")
            } else {
                CB.to_owned()
            };
            let id = register(op, json!({"redirect_uris": [registered]}))
                .await
                .unwrap();
            let url = format!(
                "{}/oauth2/auth?client_id={id}&redirect_uri={}&response_type=code&scope=openid&state=s&nonce=n",
                op.s.public,
                enc(&format!("{CB}?foo=baz"))
            );
            error_page(op, &url).await;
        }
        "oidcc-redirect-uri-regfrag" => {
            // RFC 6749 §3.1.2: a redirect URI has no fragment.
            let (st, e) = register(op, json!({"redirect_uris": [format!("{CB}#frag")]}))
                .await
                .unwrap_err();
            assert_eq!(
                (st, e["error"].as_str()),
                (400, Some("invalid_redirect_uri"))
            );
        }
        "oidcc-server" => {
            signed_in(op, json!({})).await;
        }
        "oidcc-registration-logo-uri"
        | "oidcc-registration-policy-uri"
        | "oidcc-registration-tos-uri" => {
            let (field, url) = match name {
                "oidcc-registration-logo-uri" => ("logo_uri", "https://rp.example/logo.png"),
                "oidcc-registration-policy-uri" => ("policy_uri", "https://rp.example/policy"),
                _ => ("tos_uri", "https://rp.example/tos"),
            };
            let id = register(op, json!({ field: url })).await.unwrap();
            let page = op
                .browser
                .get(&format!(
                    "{}/oauth2/auth?client_id={id}&redirect_uri={}&response_type=code&scope=openid&state=s&nonce=n",
                    op.s.public,
                    enc(CB)
                ))
                .await;
            let login = crate::ui::follow(&op.s, &mut op.browser, page).await;
            let consent = op
                .browser
                .post_form(
                    &format!("{}/ui/login", op.s.public),
                    &[
                        ("login_challenge", &hidden(&login, "login_challenge")),
                        ("csrf_token", &hidden(&login, "csrf_token")),
                        ("email", super::EMAIL),
                        ("password", super::PASSWORD),
                    ],
                )
                .await;
            let consent = crate::ui::follow(&op.s, &mut op.browser, consent).await;
            assert!(
                consent.body.contains(url),
                "{field} shown: {}",
                consent.body
            );
        }
        "oidcc-server-rotate-keys" => {
            // A new signing key is published beside the old one, and signs from then on.
            let before = op.keys.keys().len();
            let r =
                op.s.post(
                    "/admin/keys/hydra.openid.id-token",
                    json!({"alg": "RS256", "use": "sig", "kid": "rotated"}),
                )
                .await;
            assert_eq!(r.status(), 201);
            op.keys = crate::flows::jwks(&op.s).await;
            assert!(op.keys.keys().len() > before);
            let (_, jwt) = signed_in(op, json!({})).await;
            assert_eq!(crate::support::jwt_header(&jwt)["kid"], "rotated");
        }
        "oidcc-rp-initiated-logout" | "oidcc-rp-initiated-logout-only-state" => {
            let (id, idt) = signed_in(op, json!({})).await;
            let q = if name.ends_with("only-state") {
                "state=bye-1".to_owned()
            } else {
                format!(
                    "id_token_hint={idt}&post_logout_redirect_uri={}&state=bye-1",
                    enc(BYE)
                )
            };
            let page = end_session(op, &q).await;
            if name.ends_with("only-state") {
                // No redirect without a verified URI: the signed-out page.
                assert!(
                    page.location.is_none()
                        || page.location.as_deref().unwrap().contains("signed-out")
                );
            } else {
                let loc = page.location.expect("back to the client");
                assert!(loc.starts_with(BYE), "{loc}");
                assert_eq!(crate::flows::param(&loc, "state").as_deref(), Some("bye-1"));
            }
            nobody_signed_in(op, &id).await;
        }
        "oidcc-rp-initiated-logout-no-state"
        | "oidcc-rp-initiated-logout-no-post-logout-redirect-uri" => {
            let (id, idt) = signed_in(op, json!({})).await;
            let q = if name.ends_with("no-state") {
                format!("id_token_hint={idt}&post_logout_redirect_uri={}", enc(BYE))
            } else {
                format!("id_token_hint={idt}&state=bye-1")
            };
            let page = end_session(op, &q).await;
            if let Some(loc) = &page.location {
                if name.ends_with("no-state") {
                    assert!(loc.starts_with(BYE) && !loc.contains("state="), "{loc}");
                } else {
                    assert!(!loc.starts_with(BYE), "{loc}");
                }
            }
            nobody_signed_in(op, &id).await;
        }
        "oidcc-rp-initiated-logout-no-params" => {
            let (id, _) = signed_in(op, json!({})).await;
            end_session(op, "").await;
            nobody_signed_in(op, &id).await;
        }
        "oidcc-rp-initiated-logout-bad-post-logout-redirect-uri"
        | "oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri"
        | "oidcc-rp-initiated-logout-modified-id-token-hint"
        | "oidcc-rp-initiated-logout-bad-id-token-hint"
        | "oidcc-rp-initiated-logout-no-id-token-hint" => {
            let (_, idt) = signed_in(op, json!({})).await;
            let (hint, uri) = match name {
                "oidcc-rp-initiated-logout-bad-post-logout-redirect-uri" => {
                    (idt.clone(), "https://rp.example/elsewhere".to_owned())
                }
                "oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri" => {
                    (idt.clone(), format!("{BYE}?x=1"))
                }
                "oidcc-rp-initiated-logout-modified-id-token-hint" => {
                    // The signature no longer matches: one character of it changed.
                    let mut t = idt.clone().into_bytes();
                    let i = t.len() - 5;
                    t[i] = if t[i] == b'A' { b'B' } else { b'A' };
                    (String::from_utf8(t).unwrap(), BYE.to_owned())
                }
                "oidcc-rp-initiated-logout-bad-id-token-hint" => {
                    ("not-a-jwt".to_owned(), BYE.to_owned())
                }
                _ => (String::new(), BYE.to_owned()),
            };
            let mut q = format!("post_logout_redirect_uri={}&state=bye-1", enc(&uri));
            if !hint.is_empty() {
                q.push_str(&format!("&id_token_hint={hint}"));
            }
            let page = op
                .browser
                .get(&format!("{}/oauth2/sessions/logout?{q}", op.s.public))
                .await;
            // RP-Initiated Logout 1.0 §3: never to an unverified URI; the user sees an error.
            assert_eq!(page.location, None, "{name}");
            assert_eq!(page.status, 400, "{name}");
            assert!(
                page.body.contains("<title>Sign-out error</title>"),
                "{}",
                page.body
            );
        }
        "oidcc-frontchannel-rp-initiated-logout" => {
            let fc = "https://rp.example/frontchannel_logout";
            let (id, idt) = signed_in(
                op,
                json!({"frontchannel_logout_uri": fc, "frontchannel_logout_session_required": true}),
            )
            .await;
            let sid = crate::support::jwt_claims(&idt)["sid"]
                .as_str()
                .unwrap()
                .to_owned();
            let page = end_session(
                op,
                &format!(
                    "id_token_hint={idt}&post_logout_redirect_uri={}&state=bye-1",
                    enc(BYE)
                ),
            )
            .await;
            // OIDC Front-Channel Logout 1.0 §2: the page loads the client's URI with iss and sid.
            let body = page.body.replace("&amp;", "&").replace("&#38;", "&");
            assert!(body.contains(fc), "{}", page.body);
            assert!(body.contains(&format!("sid={sid}")), "{}", page.body);
            assert!(
                body.contains(&format!("iss={}", enc(&op.issuer()))),
                "{}",
                page.body
            );
            nobody_signed_in(op, &id).await;
        }
        other => panic!("no scenario for {other}"),
    }
}

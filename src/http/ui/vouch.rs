//! What the built-in app vouches for: the `acr` of a sign-in (OIDC Core §2, §3.1.2.1, §5.5.1.1)
//! and the claims a consent releases (§5.4, §5.5). Like an external app, it reads the request's
//! `prompt`, `acr_values` and `claims` from the challenge's `request_url`.
//!
//! The app asserts the levels of [`crate::users::ACR_VALUES`]; a higher level meets a request for
//! a lower one.

use poem::Response;
use serde_json::{Map, Value};

use crate::oidc::claims::{ClaimsRequest, release};

use crate::users::ACR_VALUES;

/// A password sign-in during this request.
pub const FRESH: &str = crate::users::ACR_PASSWORD;

/// The parameters of the authorization request behind a challenge.
pub struct Asked {
    params: Vec<(String, String)>,
    /// The `claims` parameter, parsed once (already checked by the authorization endpoint).
    claims: Option<ClaimsRequest>,
}

impl Asked {
    pub fn of(request_url: Option<&str>) -> Self {
        let params: Vec<(String, String)> = request_url
            .and_then(|u| url::Url::parse(u).ok())
            .map(|u| u.query_pairs().into_owned().collect())
            .unwrap_or_default();
        let claims = params
            .iter()
            .find(|(k, _)| k == "claims")
            .and_then(|(_, c)| ClaimsRequest::parse(c).ok());
        Self { params, claims }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn claims(&self) -> Option<&ClaimsRequest> {
        self.claims.as_ref()
    }

    /// Whether the request gets an access token: any `response_type` but `id_token` alone (a
    /// device flow has none in its request, and gets one).
    pub fn access_token_issued(&self) -> bool {
        self.get("response_type")
            .is_none_or(|r| r.split(' ').any(|t| t == "code" || t == "token"))
    }

    fn prompt_none(&self) -> bool {
        self.get("prompt")
            .is_some_and(|p| p.split(' ').any(|v| v == "none"))
    }

    /// The `acr` values asked for, and whether they are essential: an essential `acr` claim of
    /// the ID token (§5.5.1.1) decides; else `acr_values` and any voluntary `acr` claim request.
    fn acr_wanted(&self) -> (Vec<String>, bool) {
        let claim = self.claims().and_then(|c| c.for_id_token("acr").cloned());
        let claim_values: Vec<String> = claim
            .as_ref()
            .map(|c| {
                c.values
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if claim.as_ref().is_some_and(|c| c.essential) && !claim_values.is_empty() {
            return (claim_values, true);
        }
        let mut wanted: Vec<String> = self
            .get("acr_values")
            .map(|v| {
                v.split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        wanted.extend(claim_values);
        (wanted, false)
    }
}

fn level(acr: &str) -> Option<u8> {
    ACR_VALUES.iter().position(|a| *a == acr).map(|p| p as u8)
}

/// What to do with a login request.
#[derive(Debug, PartialEq, Eq)]
pub enum Acr {
    /// Accept with this `acr`.
    Accept(&'static str),
    /// A remembered login does not meet what is asked: sign in again.
    SignInAgain,
    /// What is asked cannot be met: reject with `unmet_authentication_requirements`, or
    /// `login_required` when `prompt=none` forbids signing in again.
    Unmet { login_required: bool },
}

/// The `acr` for an authentication at `met` (a level): the highest requested value it meets, else
/// its own — unless the request is essential and none is met.
fn decide(asked: &Asked, met: u8) -> Acr {
    let (wanted, essential) = asked.acr_wanted();
    let own = ACR_VALUES[met as usize];
    if wanted.is_empty() {
        return Acr::Accept(own);
    }
    let levels: Vec<u8> = wanted.iter().filter_map(|w| level(w)).collect();
    if let Some(best) = levels.iter().copied().filter(|l| *l <= met).max() {
        return Acr::Accept(ACR_VALUES[best as usize]);
    }
    let higher = levels.iter().any(|l| *l > met);
    match (higher, asked.prompt_none()) {
        (true, false) => Acr::SignInAgain,
        (_, none) if essential => Acr::Unmet {
            login_required: higher && none,
        },
        _ => Acr::Accept(own),
    }
}

/// A remembered login (`skip`).
pub fn remembered(asked: &Asked) -> Acr {
    decide(asked, 0)
}

/// A password sign-in now.
pub fn fresh(asked: &Asked) -> Acr {
    decide(asked, 1)
}

/// What the consent releases of the user's standard claims: by granted scope, and as the
/// `claims` parameter asks.
pub fn consent_session(
    user: &Map<String, Value>,
    granted: &[String],
    asked: &Asked,
) -> crate::wire::ConsentSessionData {
    let r = release(user, granted, asked.claims(), asked.access_token_issued());
    crate::wire::ConsentSessionData {
        access_token: None,
        id_token: Some(Value::Object(r.id_token)),
        userinfo: (!r.userinfo.is_empty()).then_some(Value::Object(r.userinfo)),
    }
}

/// Names of claims the `claims` parameter asks for beyond the requested scopes, to show on the
/// consent page.
pub fn extra_claims(asked: &Asked, scopes: &[String]) -> Vec<String> {
    let Some(c) = asked.claims() else {
        return vec![];
    };
    let by_scope: Vec<&str> = scopes
        .iter()
        .flat_map(|s| crate::oidc::claims::claims_of_scope(s).iter().copied())
        .collect();
    let mut out: Vec<String> = c
        .names()
        .filter(|n| crate::oidc::claims::standard_claims().any(|s| s == *n))
        .filter(|n| !by_scope.contains(n))
        .map(str::to_owned)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// OIDC Core §5.5.1.1: an essential `acr` that cannot be met fails the request.
pub(super) async fn unmet(state: &super::State, challenge: &str, login_required: bool) -> Response {
    let (error, description) = if login_required {
        (
            "login_required",
            "prompt=none was requested, but the authentication asked for needs a new sign-in.",
        )
    } else {
        (
            "unmet_authentication_requirements",
            "The authentication context class asked for as essential is not one this app offers.",
        )
    };
    let reject = crate::wire::RejectOAuth2Request {
        error: Some(error.into()),
        error_description: Some(description.into()),
        ..Default::default()
    };
    match state.api.reject_login(challenge, reject).await {
        Ok(r) => super::redirect(&r.redirect_to),
        Err(e) => super::challenge_error(state.base, e),
    }
}

/// What the consent releases of the user's standard claims (OIDC Core §5.4, §5.5).
pub(super) async fn consent_session_of(
    state: &super::State,
    subject: &str,
    scopes: &[String],
    asked: &Asked,
) -> crate::wire::ConsentSessionData {
    let user = match state.users.by_id(subject).await {
        Ok(Some(u)) => crate::users::profile::standard_claims_of(&u),
        _ => Map::new(),
    };
    consent_session(&user, scopes, asked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(q: &str) -> Asked {
        Asked::of(Some(&format!("https://op.example/oauth2/auth?{q}")))
    }

    #[test]
    fn acr_follows_what_is_asked() {
        assert_eq!(fresh(&asked("")), Acr::Accept("1"));
        assert_eq!(remembered(&asked("")), Acr::Accept("0"));
        assert_eq!(remembered(&asked("acr_values=0+1")), Acr::Accept("0"));
        assert_eq!(fresh(&asked("acr_values=0+1")), Acr::Accept("1"));
        assert_eq!(fresh(&asked("acr_values=0")), Acr::Accept("0"));
        assert_eq!(remembered(&asked("acr_values=1")), Acr::SignInAgain);
        // Voluntary and not met: the app says what it did.
        assert_eq!(
            remembered(&asked("acr_values=1&prompt=none")),
            Acr::Accept("0")
        );
        assert_eq!(fresh(&asked("acr_values=urn:mfa")), Acr::Accept("1"));
        let essential = |v: &str| {
            asked(&format!(
                "claims={}",
                url::form_urlencoded::byte_serialize(
                    format!(r#"{{"id_token":{{"acr":{{"essential":true,"values":{v}}}}}}}"#)
                        .as_bytes()
                )
                .collect::<String>()
            ))
        };
        assert_eq!(
            fresh(&essential(r#"["urn:mfa"]"#)),
            Acr::Unmet {
                login_required: false
            }
        );
        assert_eq!(fresh(&essential(r#"["urn:mfa","1"]"#)), Acr::Accept("1"));
        assert_eq!(remembered(&essential(r#"["1"]"#)), Acr::SignInAgain);
    }
}

//! The consent page: the scopes a client asks for, granted or refused, remembered on request.

use super::*;

pub(super) struct ScopeItem {
    name: String,
    description: String,
}

#[derive(Template)]
#[template(path = "consent.html")]
pub(super) struct ConsentPage<'a> {
    base: &'a str,
    challenge: &'a str,
    csrf: String,
    client_name: String,
    logo_uri: Option<String>,
    policy_uri: Option<String>,
    tos_uri: Option<String>,
    subject_label: String,
    scopes: Vec<ScopeItem>,
    /// Claims the `claims` parameter asks for beyond the scopes, as words ("" for none).
    claims: String,
    /// The flow was started on a device (RFC 8628 §5.2: say so, and warn against codes from
    /// anyone else).
    device: bool,
}

/// A human description of the standard scopes (OIDC Core §5.4).
pub(super) fn describe(scope: &str) -> String {
    match scope {
        "openid" => "Sign you in with your account".into(),
        "profile" => "See your name and profile".into(),
        "email" => "See your email address".into(),
        "address" => "See your postal address".into(),
        "phone" => "See your phone number".into(),
        "offline" | "offline_access" => "Stay connected when you are not using it".into(),
        other => format!("Use the permission “{other}”"),
    }
}

#[derive(Deserialize)]
pub struct ConsentQuery {
    consent_challenge: Option<String>,
}

pub(super) async fn accept_consent(
    state: &State,
    challenge: &str,
    subject: &str,
    scopes: Vec<String>,
    audience: Vec<String>,
    remember: bool,
    asked: &vouch::Asked,
) -> Response {
    let session = vouch::consent_session_of(state, subject, &scopes, asked).await;
    let body = AcceptOAuth2ConsentRequest {
        grant_scope: Some(scopes),
        grant_access_token_audience: Some(audience),
        remember,
        session: Some(session),
        ..Default::default()
    };
    match state.api.accept_consent(challenge, body).await {
        Ok(r) => redirect(&r.redirect_to),
        Err(e) => challenge_error(state.base, e),
    }
}

/// `GET /ui/consent`: accept a remembered consent at once, otherwise ask.
#[handler]
pub async fn consent_page(req: &Request, state: Data<&State>, q: Query<ConsentQuery>) -> Response {
    let Some(challenge) = q.0.consent_challenge.filter(|c| !c.is_empty()) else {
        return message(
            state.base,
            StatusCode::BAD_REQUEST,
            "Nothing to allow",
            "Open this page from an application's sign-in link.",
        );
    };
    let cr = match state.api.consent_request(&challenge).await {
        Ok(cr) => cr,
        Err(e) => return challenge_error(state.base, e),
    };
    let asked = vouch::Asked::of(cr.request_url.as_deref());
    if cr.skip {
        return accept_consent(
            &state,
            &challenge,
            &cr.subject,
            cr.requested_scope,
            cr.requested_access_token_audience,
            false,
            &asked,
        )
        .await;
    }
    let client = cr.client.unwrap_or_default();
    let subject_label = cr
        .context
        .as_ref()
        .and_then(|c| c.get("email"))
        .and_then(Value::as_str)
        .unwrap_or(&cr.subject)
        .to_owned();
    let (csrf, cookie) = csrf_token(&state, req, &challenge).await;
    let https = |u: Option<String>| u.filter(|u| u.starts_with("https://"));
    render(
        &ConsentPage {
            base: state.base,
            challenge: &challenge,
            csrf,
            client_name: client
                .client_name
                .clone()
                .filter(|n| !n.is_empty())
                .or(client.client_id.clone())
                .unwrap_or_default(),
            logo_uri: https(client.logo_uri),
            policy_uri: https(client.policy_uri),
            tos_uri: https(client.tos_uri),
            subject_label,
            device: cr
                .request_url
                .as_deref()
                .and_then(|u| url::Url::parse(u).ok())
                .is_some_and(|u| u.path().ends_with(crate::oauth::device::VERIFY_PATH)),
            claims: vouch::extra_claims(&asked, &cr.requested_scope)
                .iter()
                .map(|c| c.replace('_', " "))
                .collect::<Vec<_>>()
                .join(", "),
            scopes: cr
                .requested_scope
                .iter()
                .map(|s| ScopeItem {
                    name: s.clone(),
                    description: describe(s),
                })
                .collect(),
        },
        StatusCode::OK,
        cookie,
    )
}

/// `POST /ui/consent`: allow the checked scopes, or deny.
#[handler]
pub async fn consent_submit(req: &Request, body: Body, state: Data<&State>) -> Response {
    let (f, challenge) = match submitted(&state, req, body, "consent_challenge").await {
        Ok(ok) => ok,
        Err(page) => return page,
    };
    if field(&f, "action") == "deny" {
        let reject = RejectOAuth2Request {
            error: Some("access_denied".into()),
            error_description: Some("The user denied the request.".into()),
            ..Default::default()
        };
        return match state.api.reject_consent(&challenge, reject).await {
            Ok(r) => redirect(&r.redirect_to),
            Err(e) => challenge_error(state.base, e),
        };
    }
    let cr = match state.api.consent_request(&challenge).await {
        Ok(cr) => cr,
        Err(e) => return challenge_error(state.base, e),
    };
    let checked: Vec<String> = f
        .iter()
        .filter(|(k, _)| k == "grant_scope")
        .map(|(_, v)| v.clone())
        .filter(|s| cr.requested_scope.contains(s))
        .collect();
    accept_consent(
        &state,
        &challenge,
        &cr.subject,
        checked,
        cr.requested_access_token_audience,
        field(&f, "remember") == "1",
        &vouch::Asked::of(cr.request_url.as_deref()),
    )
    .await
}

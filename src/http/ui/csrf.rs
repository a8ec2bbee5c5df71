//! CSRF on every form: a token that is an HMAC (under `secrets.cookie`) of the session's secret and
//! the form's challenge, good for one browser session and one flow; and reading submitted forms.

use super::*;

pub(super) fn csrf_mac(key: &[u8], browser: &str, challenge: &str) -> Option<Vec<u8>> {
    let mut m = <Hmac<Sha256>>::new_from_slice(key).ok()?;
    m.update(b"latchkey/ui/csrf\0");
    m.update(browser.as_bytes());
    m.update(b"\0");
    m.update(challenge.as_bytes());
    Some(m.finalize().into_bytes().to_vec())
}

/// The form's token for this browser's session and this challenge (the session gets its CSRF
/// secret on first use).
pub(super) async fn csrf_token(
    state: &State,
    req: &Request,
    challenge: &str,
) -> (String, Option<String>) {
    let Some(session) = session_of(req) else {
        return (String::new(), None);
    };
    let secret = match session.get::<String>("csrf").await {
        Ok(Some(s)) => s,
        _ => {
            let s = crate::flows::random_hex();
            if session.insert("csrf", &s).await.is_err() {
                return (String::new(), None);
            }
            s
        }
    };
    let token = state
        .csrf_keys
        .first()
        .and_then(|k| csrf_mac(k, &secret, challenge))
        .map(|m| URL_SAFE_NO_PAD.encode(m))
        .unwrap_or_default();
    (token, None)
}

pub(super) async fn csrf_ok(state: &State, req: &Request, challenge: &str, token: &str) -> bool {
    let Some(session) = session_of(req) else {
        return false;
    };
    let Ok(Some(browser)) = session.get::<String>("csrf").await else {
        return false;
    };
    let Ok(presented) = URL_SAFE_NO_PAD.decode(token) else {
        return false;
    };
    state.csrf_keys.iter().any(|k| {
        csrf_mac(k, &browser, challenge).is_some_and(|m| {
            bool::from(subtle::ConstantTimeEq::ct_eq(
                m.as_slice(),
                presented.as_slice(),
            ))
        })
    })
}

pub(super) async fn form(req: &Request, body: Body) -> Option<Vec<(String, String)>> {
    let ct = req.content_type().unwrap_or_default();
    if !ct.starts_with("application/x-www-form-urlencoded") {
        return None;
    }
    let bytes = body.into_bytes_limit(64 * 1024).await.ok()?;
    Some(
        url::form_urlencoded::parse(&bytes)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    )
}

/// A posted form of the app, with its challenge (in the field `challenge_field`) once the form's
/// CSRF token checks out; otherwise the page to answer with.
pub(super) async fn submitted(
    state: &State,
    req: &Request,
    body: Body,
    challenge_field: &str,
) -> Result<(Vec<(String, String)>, String), Response> {
    let Some(f) = form(req, body).await else {
        return Err(message(
            state.base,
            StatusCode::BAD_REQUEST,
            "Something is wrong",
            "The form could not be read.",
        ));
    };
    let challenge = field(&f, challenge_field).to_owned();
    if !csrf_ok(state, req, &challenge, field(&f, "csrf_token")).await {
        return Err(forbidden(state.base));
    }
    Ok((f, challenge))
}

pub(super) fn field<'a>(f: &'a [(String, String)], name: &str) -> &'a str {
    f.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_default()
}

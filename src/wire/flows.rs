//! Hydra's login, consent and logout request shapes (`oAuth2LoginRequest`,
//! `acceptOAuth2LoginRequest`, `oAuth2ConsentRequest`, `acceptOAuth2ConsentRequest`,
//! `rejectOAuth2Request`, `oAuth2RedirectTo`, `oAuth2ConsentSession`, `oAuth2LogoutRequest`).
//! Field names, optionality and meanings are Hydra's, so its SDKs and example apps decode them.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use serde::{Deserialize, Serialize};

use super::OAuth2Client;

/// What the OpenID Connect authorization request said about how to authenticate.
#[derive(Clone, Debug, Default, Object, Serialize, Deserialize, PartialEq)]
#[oai(rename = "oAuth2ConsentRequestOpenIDConnectContext")]
pub struct OidcContext {
    /// `acr_values` of the request, most preferred first.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr_values: Option<Vec<String>>,
    /// `display`: `page`, `popup`, `touch` or `wap`.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// The claims of the `id_token_hint` the client sent, once its signature was checked.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_hint_claims: Option<serde_json::Value>,
    /// `login_hint`: the identifier the user may log in with.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_hint: Option<String>,
    /// `ui_locales`, most preferred first.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ui_locales: Option<Vec<String>>,
}

/// A login request, as the login app sees it.
#[derive(Clone, Debug, Object, Serialize, Deserialize, PartialEq)]
#[oai(rename = "oAuth2LoginRequest")]
pub struct OAuth2LoginRequest {
    /// The login challenge: pass it back to accept or reject this request.
    pub challenge: String,
    /// `true` when the user is already authenticated (a remembered login): the app should accept
    /// at once, with this `subject`, without showing a form.
    pub skip: bool,
    /// The authenticated user when `skip` is true; otherwise empty.
    pub subject: String,
    /// The client asking (its secret is never included).
    pub client: OAuth2Client,
    /// The authorization URL the client sent the browser to.
    pub request_url: String,
    /// The scopes the client asked for.
    pub requested_scope: Vec<String>,
    /// The access token audiences the client asked for.
    pub requested_access_token_audience: Vec<String>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_context: Option<OidcContext>,
    /// The login session this request belongs to (the `sid` of the ID token).
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
}

/// Accepting a login request: who the user is and how they authenticated.
#[derive(Clone, Debug, Default, Object, Serialize, Deserialize, PartialEq)]
#[oai(rename = "acceptOAuth2LoginRequest")]
pub struct AcceptOAuth2LoginRequest {
    /// The user's id. Required.
    pub subject: String,
    /// Remember this login in the browser, so that later requests skip the login screen.
    #[oai(default)]
    #[serde(default)]
    pub remember: bool,
    /// How long to remember it, in seconds; 0 or absent: `ttl.authentication_session`.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remember_for: Option<i64>,
    /// Authentication context class reference (`acr` of the ID token).
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// Authentication methods references (`amr` of the ID token), e.g. `["pwd"]`.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    /// Any JSON; shown to the consent app as `context`.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<serde_json::Value>,
    /// On a skipped login, restart the remembered session's lifespan.
    #[oai(default)]
    #[serde(default)]
    pub extend_session_lifespan: bool,
    /// The subject identifier to use for a client with `subject_type` `pairwise`.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_subject_identifier: Option<String>,
    /// The session id at the identity provider, if any (kept for logout).
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_provider_session_id: Option<String>,
}

/// Rejecting a login or consent request: the OAuth 2.0 error the client will receive.
#[derive(Clone, Debug, Default, Object, Serialize, Deserialize, PartialEq)]
#[oai(rename = "rejectOAuth2Request")]
pub struct RejectOAuth2Request {
    /// An OAuth 2.0 error code, e.g. `access_denied` (the default) or `login_required`.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A description for the client's developer.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// A hint at how to resolve the problem.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_hint: Option<String>,
    /// Debug information (only passed on when `oauth2.expose_internal_errors` is on).
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_debug: Option<String>,
    /// The HTTP status of the error; defaults to 400.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<i64>,
}

/// Where the app must send the browser next.
#[derive(Clone, Debug, Object, Serialize, Deserialize, PartialEq)]
#[oai(rename = "oAuth2RedirectTo")]
pub struct OAuth2RedirectTo {
    /// The URL to redirect the browser to.
    pub redirect_to: String,
}

/// The user code a device verification app read from the user (Hydra's
/// `acceptDeviceUserCodeRequest`).
#[derive(Clone, Debug, Default, Object, Serialize, Deserialize, PartialEq)]
#[oai(rename = "acceptDeviceUserCodeRequest")]
pub struct AcceptDeviceUserCodeRequest {
    /// The code as the user typed it; case, dashes and spaces do not matter.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_code: Option<String>,
}

/// A consent request, as the consent app sees it.
#[derive(Clone, Debug, Object, Serialize, Deserialize, PartialEq)]
#[oai(rename = "oAuth2ConsentRequest")]
pub struct OAuth2ConsentRequest {
    /// The consent challenge: pass it back to accept or reject this request.
    pub challenge: String,
    /// The id of this consent request; also the id of the consent session it creates.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_request_id: Option<String>,
    /// `true` when the user granted this client these scopes before and asked to remember it (or
    /// the client skips consent): the app should accept at once.
    #[serde(default)]
    #[oai(default)]
    pub skip: bool,
    /// The authenticated user.
    #[serde(default)]
    #[oai(default)]
    pub subject: String,
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<OAuth2Client>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_url: Option<String>,
    #[serde(default)]
    #[oai(default)]
    pub requested_scope: Vec<String>,
    #[serde(default)]
    #[oai(default)]
    pub requested_access_token_audience: Vec<String>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_context: Option<OidcContext>,
    /// The `context` the login app set when accepting the login.
    #[serde(default)]
    pub context: Option<serde_json::Value>,
    /// The login challenge of this flow.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_challenge: Option<String>,
    /// The login session of this flow (the `sid` of the ID token).
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_session_id: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
}

/// Session data set at consent: claims for the tokens of this grant.
#[derive(Clone, Debug, Default, Object, Serialize, Deserialize, PartialEq)]
#[oai(rename = "acceptOAuth2ConsentRequestSession")]
pub struct ConsentSessionData {
    /// Extra claims of access tokens: `ext` in introspection, top-level claims of JWT access
    /// tokens.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<serde_json::Value>,
    /// Extra claims of the ID token, also returned by userinfo.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<serde_json::Value>,
    /// Latchkey's: claims returned by userinfo alone, never put in the ID token — for claims the
    /// `claims` request parameter asks for from userinfo only (OIDC Core §5.5). Hydra has no such
    /// member; a consent app that leaves it out gets Hydra's behaviour.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo: Option<serde_json::Value>,
}

/// Accepting a consent request: what the user granted.
#[derive(Clone, Debug, Default, Object, Serialize, Deserialize, PartialEq)]
#[oai(rename = "acceptOAuth2ConsentRequest")]
pub struct AcceptOAuth2ConsentRequest {
    /// The scopes granted; a subset of `requested_scope`.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_scope: Option<Vec<String>>,
    /// The audiences granted; a subset of `requested_access_token_audience`.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_access_token_audience: Option<Vec<String>>,
    /// Remember this grant, so later requests for the same scopes skip the consent screen.
    #[oai(default)]
    #[serde(default)]
    pub remember: bool,
    /// How long to remember it, in seconds; 0 or absent: forever.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remember_for: Option<i64>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<ConsentSessionData>,
    /// Any JSON, kept with the consent session.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<serde_json::Value>,
}

/// A consent the user gave, as listed for revocation.
#[derive(Clone, Debug, Object, Serialize, Deserialize, PartialEq)]
#[oai(rename = "oAuth2ConsentSession")]
pub struct OAuth2ConsentSession {
    pub consent_request_id: String,
    pub consent_request: OAuth2ConsentRequest,
    pub grant_scope: Vec<String>,
    pub grant_access_token_audience: Vec<String>,
    pub remember: bool,
    pub remember_for: i64,
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handled_at: Option<DateTime<Utc>>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<ConsentSessionData>,
    /// The consent app's `context`; `null` when it set none (as Hydra).
    #[serde(default)]
    pub context: Option<serde_json::Value>,
}

/// A logout request, as the logout app sees it.
#[derive(Clone, Debug, Object, Serialize, Deserialize, PartialEq)]
#[oai(rename = "oAuth2LogoutRequest")]
pub struct OAuth2LogoutRequest {
    /// The logout challenge: pass it back to accept or reject this request.
    pub challenge: String,
    /// The user being logged out.
    pub subject: String,
    /// The login session being ended.
    pub sid: String,
    /// The logout URL the browser was sent to.
    pub request_url: String,
    /// `true` when a relying party started the logout (with `id_token_hint`).
    pub rp_initiated: bool,
    /// The relying party that asked, if one did.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<OAuth2Client>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_at: Option<DateTime<Utc>>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

//! Hydra's `oAuth2Client`: every field is accepted, stored and returned, including those that later
//! features act on. Field names and meanings are Hydra's (and RFC 7591's / OIDC Registration's).

use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object, types::Example};
use serde::{Deserialize, Serialize};

/// An OAuth 2.0 client: an application that may ask for tokens.
#[derive(Clone, Debug, Default, Object, Serialize, Deserialize, PartialEq)]
#[oai(rename = "oAuth2Client", example)]
pub struct OAuth2Client {
    /// OAuth 2.0 access token strategy for this client: `jwt` or `opaque`. Overrides `strategies.access_token`.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_strategy: Option<String>,
    /// Origins (scheme://host[:port]) allowed to make CORS requests to the token endpoint.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_cors_origins: Option<Vec<String>>,
    /// The audiences this client may request access tokens for.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<Vec<String>>,
    /// Access token lifespan for the authorization code grant, e.g. `1h`.
    #[oai(
        nullable,
        validator(pattern = r"^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$")
    )]
    #[serde(default)]
    pub authorization_code_grant_access_token_lifespan: Option<String>,
    /// ID token lifespan for the authorization code grant.
    #[oai(
        nullable,
        validator(pattern = r"^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$")
    )]
    #[serde(default)]
    pub authorization_code_grant_id_token_lifespan: Option<String>,
    /// Refresh token lifespan for the authorization code grant.
    #[oai(
        nullable,
        validator(pattern = r"^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$")
    )]
    #[serde(default)]
    pub authorization_code_grant_refresh_token_lifespan: Option<String>,
    /// Whether the logout token sent by back-channel logout must carry the `sid` claim.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_session_required: Option<bool>,
    /// URL the server POSTs a logout token to when the user signs out (OIDC Back-Channel Logout).
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_uri: Option<String>,
    /// Access token lifespan for the client credentials grant.
    #[oai(
        nullable,
        validator(pattern = r"^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$")
    )]
    #[serde(default)]
    pub client_credentials_grant_access_token_lifespan: Option<String>,
    /// The client's identifier. Generated (a UUID) when absent on create; cannot be changed.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Human-readable name of the client, shown to users on the consent page.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    /// The client secret. Only returned in clear when it was just set or generated; stored hashed.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// When the secret expires, in seconds since the epoch; 0 means never.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret_expires_at: Option<i64>,
    /// URL of the client's home page.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    /// Ways to reach the people responsible for this client, usually e-mail addresses.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Vec<String>>,
    /// When the client was created.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// Access token lifespan for the device authorization grant.
    #[oai(
        skip_serializing_if_is_none,
        validator(pattern = r"^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$")
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_authorization_grant_access_token_lifespan: Option<String>,
    /// ID token lifespan for the device authorization grant.
    #[oai(
        skip_serializing_if_is_none,
        validator(pattern = r"^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$")
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_authorization_grant_id_token_lifespan: Option<String>,
    /// Refresh token lifespan for the device authorization grant.
    #[oai(
        skip_serializing_if_is_none,
        validator(pattern = r"^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$")
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_authorization_grant_refresh_token_lifespan: Option<String>,
    /// Whether the front-channel logout URL receives the `iss` and `sid` query parameters.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frontchannel_logout_session_required: Option<bool>,
    /// URL rendered in an iframe when the user signs out (OIDC Front-Channel Logout).
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frontchannel_logout_uri: Option<String>,
    /// Grant types the client may use: `authorization_code`, `refresh_token`, `client_credentials`, `implicit`, `urn:ietf:params:oauth:grant-type:jwt-bearer`, `urn:ietf:params:oauth:grant-type:device_code`.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_types: Option<Vec<String>>,
    /// Access token lifespan for the implicit grant.
    #[oai(
        nullable,
        validator(pattern = r"^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$")
    )]
    #[serde(default)]
    pub implicit_grant_access_token_lifespan: Option<String>,
    /// ID token lifespan for the implicit grant.
    #[oai(
        nullable,
        validator(pattern = r"^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$")
    )]
    #[serde(default)]
    pub implicit_grant_id_token_lifespan: Option<String>,
    /// The client's JSON Web Key Set, given by value (RFC 7591). Mutually exclusive with `jwks_uri`.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<serde_json::Value>,
    /// URL of the client's JSON Web Key Set. Mutually exclusive with `jwks`.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// Access token lifespan for the JWT bearer grant.
    #[oai(
        nullable,
        validator(pattern = r"^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$")
    )]
    #[serde(default)]
    pub jwt_bearer_grant_access_token_lifespan: Option<String>,
    /// URL of the client's logo, shown on the consent page.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_uri: Option<String>,
    /// Free-form JSON kept with the client and returned as is.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
    /// Who owns the client, free text used for filtering.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// URL of the client's privacy policy.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_uri: Option<String>,
    /// URLs the user may be sent to after RP-initiated logout.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_logout_redirect_uris: Option<Vec<String>>,
    /// Absolute redirect URIs, matched exactly. No fragments.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uris: Option<Vec<String>>,
    /// Access token lifespan for the refresh token grant.
    #[oai(
        nullable,
        validator(pattern = r"^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$")
    )]
    #[serde(default)]
    pub refresh_token_grant_access_token_lifespan: Option<String>,
    /// ID token lifespan for the refresh token grant.
    #[oai(
        nullable,
        validator(pattern = r"^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$")
    )]
    #[serde(default)]
    pub refresh_token_grant_id_token_lifespan: Option<String>,
    /// Refresh token lifespan for the refresh token grant.
    #[oai(
        nullable,
        validator(pattern = r"^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$")
    )]
    #[serde(default)]
    pub refresh_token_grant_refresh_token_lifespan: Option<String>,
    /// Dynamic client registration access token (RFC 7592); only returned on dynamic registration.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_access_token: Option<String>,
    /// Dynamic client registration management URL (RFC 7592).
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_client_uri: Option<String>,
    /// JWS algorithm that request objects from this client must be signed with.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_object_signing_alg: Option<String>,
    /// Pre-registered `request_uri` values.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_uris: Option<Vec<String>>,
    /// Response types the client may use: `code`, `id_token`, `token` and their combinations.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_types: Option<Vec<String>>,
    /// Space-separated scopes the client may request.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// URL of a JSON array of redirect URIs, used to compute pairwise subject identifiers.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector_identifier_uri: Option<String>,
    /// Skip the consent screen for this client (trusted first-party clients only).
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_consent: Option<bool>,
    /// Skip the logout confirmation for this client; `null` when never set.
    #[serde(default)]
    #[oai(nullable)]
    pub skip_logout_consent: Option<bool>,
    /// Subject identifier type: `public` or `pairwise`.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_type: Option<String>,
    /// How the client authenticates at the token endpoint: `client_secret_basic` (default), `client_secret_post`, `private_key_jwt` or `none`.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_method: Option<String>,
    /// JWS algorithm of client assertions when `private_key_jwt` is used.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_signing_alg: Option<String>,
    /// URL of the client's terms of service.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tos_uri: Option<String>,
    /// When the client was last changed.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    /// JWS algorithm for signed userinfo responses; `none` for plain JSON.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo_signed_response_alg: Option<String>,
}

impl OAuth2Client {
    /// The grant types the client may use; none registered means `authorization_code` (as
    /// Hydra's fosite reads an empty list).
    pub fn grants(&self) -> impl Iterator<Item = &str> {
        match self.grant_types.as_deref() {
            Some(g) if !g.is_empty() => g.iter().map(String::as_str).collect::<Vec<_>>(),
            _ => vec!["authorization_code"],
        }
        .into_iter()
    }

    pub fn has_grant(&self, grant: &str) -> bool {
        self.grants().any(|g| g == grant)
    }

    /// The response types the client may use; none registered means `code`.
    pub fn response_types_or_default(&self) -> Vec<&str> {
        match self.response_types.as_deref() {
            Some(r) if !r.is_empty() => r.iter().map(String::as_str).collect(),
            _ => vec!["code"],
        }
    }
}

impl Example for OAuth2Client {
    fn example() -> Self {
        Self {
            client_id: Some("my-client".into()),
            client_name: Some("My App".into()),
            grant_types: Some(vec!["authorization_code".into(), "refresh_token".into()]),
            response_types: Some(vec!["code".into()]),
            redirect_uris: Some(vec!["https://app.example.com/callback".into()]),
            scope: Some("openid offline_access profile email".into()),
            token_endpoint_auth_method: Some("client_secret_basic".into()),
            ..Self::default()
        }
    }
}

/// A JSON Patch operation code (RFC 6902 §4).
#[derive(Clone, Copy, Debug, Enum, Serialize, Deserialize, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum JsonPatchOpKind {
    Add,
    Remove,
    Replace,
    Move,
    Copy,
    Test,
}

/// One operation of an RFC 6902 JSON Patch document.
#[derive(Clone, Debug, Object, Serialize, Deserialize, PartialEq)]
#[oai(rename = "jsonPatch")]
pub struct JsonPatchOp {
    /// The operation to perform.
    pub op: JsonPatchOpKind,
    /// A JSON Pointer (RFC 6901) to the member the operation applies to, e.g. `/client_name`.
    #[oai(validator(max_length = 1024))]
    pub path: String,
    /// The value to add, replace or test.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
    /// The source pointer of `move` and `copy`.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

/// A client's token lifespans, one per grant and token (Hydra's `oAuth2ClientTokenLifespans`):
/// `setOAuth2ClientLifespans` replaces all of them (a missing one falls back to `ttl.*`).
#[derive(
    Clone, Debug, Default, PartialEq, poem_openapi::Object, serde::Serialize, serde::Deserialize,
)]
#[oai(rename = "oAuth2ClientTokenLifespans")]
pub struct OAuth2ClientTokenLifespans {
    #[oai(
        nullable,
        validator(pattern = r"^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$")
    )]
    #[serde(default)]
    pub authorization_code_grant_access_token_lifespan: Option<String>,
    #[oai(
        nullable,
        validator(pattern = r"^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$")
    )]
    #[serde(default)]
    pub authorization_code_grant_id_token_lifespan: Option<String>,
    #[oai(
        nullable,
        validator(pattern = r"^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$")
    )]
    #[serde(default)]
    pub authorization_code_grant_refresh_token_lifespan: Option<String>,
    #[oai(
        nullable,
        validator(pattern = r"^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$")
    )]
    #[serde(default)]
    pub client_credentials_grant_access_token_lifespan: Option<String>,
    #[oai(
        nullable,
        validator(pattern = r"^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$")
    )]
    #[serde(default)]
    pub device_authorization_grant_access_token_lifespan: Option<String>,
    #[oai(
        nullable,
        validator(pattern = r"^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$")
    )]
    #[serde(default)]
    pub device_authorization_grant_id_token_lifespan: Option<String>,
    #[oai(
        nullable,
        validator(pattern = r"^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$")
    )]
    #[serde(default)]
    pub device_authorization_grant_refresh_token_lifespan: Option<String>,
    #[oai(
        nullable,
        validator(pattern = r"^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$")
    )]
    #[serde(default)]
    pub implicit_grant_access_token_lifespan: Option<String>,
    #[oai(
        nullable,
        validator(pattern = r"^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$")
    )]
    #[serde(default)]
    pub implicit_grant_id_token_lifespan: Option<String>,
    #[oai(
        nullable,
        validator(pattern = r"^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$")
    )]
    #[serde(default)]
    pub jwt_bearer_grant_access_token_lifespan: Option<String>,
    #[oai(
        nullable,
        validator(pattern = r"^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$")
    )]
    #[serde(default)]
    pub refresh_token_grant_access_token_lifespan: Option<String>,
    #[oai(
        nullable,
        validator(pattern = r"^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$")
    )]
    #[serde(default)]
    pub refresh_token_grant_id_token_lifespan: Option<String>,
    #[oai(
        nullable,
        validator(pattern = r"^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$")
    )]
    #[serde(default)]
    pub refresh_token_grant_refresh_token_lifespan: Option<String>,
}

impl OAuth2ClientTokenLifespans {
    /// Sets these lifespans on a client, every one of them.
    pub fn apply(self, c: &mut OAuth2Client) {
        c.authorization_code_grant_access_token_lifespan =
            self.authorization_code_grant_access_token_lifespan;
        c.authorization_code_grant_id_token_lifespan =
            self.authorization_code_grant_id_token_lifespan;
        c.authorization_code_grant_refresh_token_lifespan =
            self.authorization_code_grant_refresh_token_lifespan;
        c.client_credentials_grant_access_token_lifespan =
            self.client_credentials_grant_access_token_lifespan;
        c.device_authorization_grant_access_token_lifespan =
            self.device_authorization_grant_access_token_lifespan;
        c.device_authorization_grant_id_token_lifespan =
            self.device_authorization_grant_id_token_lifespan;
        c.device_authorization_grant_refresh_token_lifespan =
            self.device_authorization_grant_refresh_token_lifespan;
        c.implicit_grant_access_token_lifespan = self.implicit_grant_access_token_lifespan;
        c.implicit_grant_id_token_lifespan = self.implicit_grant_id_token_lifespan;
        c.jwt_bearer_grant_access_token_lifespan = self.jwt_bearer_grant_access_token_lifespan;
        c.refresh_token_grant_access_token_lifespan =
            self.refresh_token_grant_access_token_lifespan;
        c.refresh_token_grant_id_token_lifespan = self.refresh_token_grant_id_token_lifespan;
        c.refresh_token_grant_refresh_token_lifespan =
            self.refresh_token_grant_refresh_token_lifespan;
    }
}

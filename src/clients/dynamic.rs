//! OpenID Connect Dynamic Client Registration (RFC 7591, RFC 7592, OIDC Registration 1.0), behind
//! `oidc.dynamic_client_registration.enabled`: a client registers itself and gets its id, its
//! secret and a registration access token, with which — and only with which — it reads, replaces
//! and deletes its own registration. No HTTP types here.
//!
//! What a self-registered client cannot choose (as Hydra, and its lifespans too): its
//! `client_id` (one is generated; a given one is ignored) and `client_secret` (generated),
//! `metadata`, `access_token_strategy`, `skip_consent`, `skip_logout_consent` and the
//! `*_grant_*_lifespan` fields — those are the operator's, through the admin API.
//!
//! The registration access token is 256 random bits; only its SHA-256 digest is stored (a digest
//! of that much entropy needs no key or salt), compared in constant time. It is replaced on every
//! update (RFC 7592 §2.2 allows it; Hydra does it).

use sha2::{Digest, Sha256};

use super::{ClientService, OAuth2Client};
use crate::{
    crypto::{constant_time_eq, hex, random_token},
    error::AdminError,
};

/// Why a registration request failed: an admin-style error, or the token's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DynamicError {
    Admin(AdminError),
    /// 401: no registration access token, a wrong one, or no such client (never told apart).
    Unauthorized,
    /// 403: the request is understood but not allowed (choosing a secret on update, as Hydra).
    Forbidden(String),
}

impl From<AdminError> for DynamicError {
    fn from(e: AdminError) -> Self {
        Self::Admin(e)
    }
}

fn digest(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Refuses what only the admin API may set.
fn check_reserved(c: &mut OAuth2Client) -> Result<(), AdminError> {
    if c.metadata.as_ref().is_some_and(|m| !m.is_null()) {
        return Err(AdminError::invalid(
            "invalid_client_metadata",
            "\"metadata\" cannot be set for dynamic client registration",
        ));
    }
    if c.access_token_strategy
        .as_deref()
        .is_some_and(|s| !s.is_empty())
    {
        return Err(AdminError::bad_request(
            "It is not allowed to choose your own access token strategy.",
        ));
    }
    if c.skip_consent == Some(true) {
        return Err(AdminError::bad_request(
            "\"skip_consent\" cannot be set for dynamic client registration",
        ));
    }
    if c.skip_logout_consent == Some(true) {
        return Err(AdminError::bad_request(
            "\"skip_logout_consent\" cannot be set for dynamic client registration",
        ));
    }
    if let Some((name, _)) = super::validate::lifespans_mut(c)
        .into_iter()
        .find(|(_, v)| v.as_deref().is_some_and(|v| !v.is_empty()))
    {
        return Err(AdminError::invalid(
            "invalid_client_metadata",
            format!(
                "\"{name}\" cannot be set for dynamic client registration: token lifespans are set by the server's operator"
            ),
        ));
    }
    // Metadata this server does not honour is refused rather than stored and ignored (OIDC
    // Registration §3.2: the server may reject values it does not support): userinfo answers are
    // plain JSON, and request objects are not read.
    for (name, value) in [
        (
            "userinfo_signed_response_alg",
            &c.userinfo_signed_response_alg,
        ),
        ("request_object_signing_alg", &c.request_object_signing_alg),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty() && *v != "none") {
            return Err(AdminError::invalid(
                "invalid_client_metadata",
                format!("\"{name}\" {v:?} is not supported by this server"),
            ));
        }
    }
    // Never taken from the request: the registration's own fields.
    c.registration_access_token = None;
    c.registration_client_uri = None;
    c.client_secret_expires_at = None;
    Ok(())
}

impl ClientService {
    /// `POST /oauth2/register` (RFC 7591 §3): registers a client; its id and secret are
    /// generated. Returns it with its secret, its registration access token and
    /// `registration_client_uri` (under `public_base`).
    pub async fn register(
        &self,
        mut c: OAuth2Client,
        public_base: &str,
    ) -> Result<OAuth2Client, DynamicError> {
        if c.client_secret.as_deref().is_some_and(|s| !s.is_empty()) {
            return Err(AdminError::bad_request(
                "It is not allowed to choose your own OAuth2 Client secret.",
            )
            .into());
        }
        c.client_secret = None;
        check_reserved(&mut c)?;
        c.client_id = Some(uuid::Uuid::new_v4().to_string());
        let token = random_token(32);
        let mut out = self.create_with(c, Some(digest(&token))).await?;
        out.registration_access_token = Some(token);
        out.registration_client_uri = Some(registration_uri(public_base, &out));
        Ok(out)
    }

    /// The client a registration access token is for (RFC 7592 §3: a wrong token, no token and
    /// an unknown client all answer 401, so that ids cannot be probed).
    async fn authorised(&self, id: &str, token: Option<&str>) -> Result<(), DynamicError> {
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or(DynamicError::Unauthorized)?;
        let stored = self
            .store
            .get_client(id)
            .await
            .map_err(AdminError::from)?
            .ok_or(DynamicError::Unauthorized)?;
        let expected = stored
            .registration_token_hash
            .ok_or(DynamicError::Unauthorized)?;
        if constant_time_eq(expected.as_bytes(), digest(token).as_bytes()) {
            Ok(())
        } else {
            Err(DynamicError::Unauthorized)
        }
    }

    /// `GET /oauth2/register/{id}` (RFC 7592 §2.1): the registration, without its secret.
    pub async fn read_registration(
        &self,
        id: &str,
        token: Option<&str>,
        public_base: &str,
    ) -> Result<OAuth2Client, DynamicError> {
        self.authorised(id, token).await?;
        let mut c = self.get(id).await?;
        c.client_secret = None;
        c.metadata = None;
        c.registration_client_uri = Some(registration_uri(public_base, &c));
        Ok(c)
    }

    /// `PUT /oauth2/register/{id}` (RFC 7592 §2.2): replaces the registration; the secret stays
    /// (choosing one is forbidden), the registration access token is replaced by a new one,
    /// returned here.
    pub async fn update_registration(
        &self,
        id: &str,
        token: Option<&str>,
        mut c: OAuth2Client,
        public_base: &str,
    ) -> Result<OAuth2Client, DynamicError> {
        self.authorised(id, token).await?;
        if c.client_secret.as_deref().is_some_and(|s| !s.is_empty()) {
            return Err(DynamicError::Forbidden(
                "It is not allowed to choose your own OAuth2 Client secret.".into(),
            ));
        }
        c.client_secret = None;
        check_reserved(&mut c)?;
        let token = random_token(32);
        let mut out = self.replace_with(id, c, Some(digest(&token))).await?;
        out.registration_access_token = Some(token);
        out.registration_client_uri = Some(registration_uri(public_base, &out));
        Ok(out)
    }

    /// `DELETE /oauth2/register/{id}` (RFC 7592 §2.3): the client and its tokens go.
    pub async fn delete_registration(
        &self,
        id: &str,
        token: Option<&str>,
    ) -> Result<(), DynamicError> {
        self.authorised(id, token).await?;
        Ok(self.delete(id).await?)
    }
}

fn registration_uri(public_base: &str, c: &OAuth2Client) -> String {
    let id: String =
        url::form_urlencoded::byte_serialize(c.client_id.as_deref().unwrap_or_default().as_bytes())
            .collect();
    format!("{public_base}/oauth2/register/{id}")
}

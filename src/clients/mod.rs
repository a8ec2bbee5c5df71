//! The OAuth 2.0 client registry behind the admin API: create, read, list, replace, patch (RFC 6902)
//! and delete, with validation, secret generation and argon2id hashing. No HTTP types here.
//!
//! A secret is returned in clear only in the response that set or generated it; at rest only its
//! argon2id hash exists, outside the stored metadata document.

pub mod cache;
pub mod dynamic;
mod validate;

use std::sync::Arc;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, TimeZone, Utc};

pub use validate::{AUTH_METHODS, GRANT_TYPES, MIN_SECRET_LEN, validate};

/// A client as the admin API returns it, in Hydra's shape (see [`validate::present`]); `jwks` is
/// `{}` when the client has none, as Hydra shows it (and [`validate`] reads it back as none).
pub fn on_the_wire(mut c: OAuth2Client) -> OAuth2Client {
    validate::present(&mut c);
    c.jwks.get_or_insert_with(|| serde_json::json!({}));
    c
}

use crate::{
    clock::Clock,
    crypto::{hash::hash_secret, random_token},
    error::AdminError,
    outbound::Owner,
    storage::{ClientFilter, ClientStore, StoredClient},
    wire::{JsonPatchOp, OAuth2Client},
};

/// Hydra's page size bounds for listing clients.
pub const DEFAULT_PAGE_SIZE: u64 = 250;
pub const MAX_PAGE_SIZE: u64 = 500;

/// One page of clients and the token of the next page, if there is one.
#[derive(Debug)]
pub struct ClientPage {
    pub clients: Vec<OAuth2Client>,
    /// The page size used (the requested one, capped as Hydra caps it).
    pub page_size: u64,
    pub next_page_token: Option<String>,
}

/// The client registry.
#[derive(Clone, Debug)]
pub struct ClientService {
    store: Arc<dyn ClientStore>,
    clock: Arc<dyn Clock>,
    registration: Arc<Registration>,
}

/// What registering a client checks beyond its document: the subject types this server offers,
/// and the sector document a client names (OIDC Core §8.1, OIDC Registration §5).
#[derive(Debug)]
pub struct Registration {
    subject_types: Vec<&'static str>,
    /// `strategies.access_token` is `jwt`: a client's own strategy falls back to it.
    jwt_access_tokens: bool,
    /// `oidc.dynamic_client_registration.default_scope`, space-separated.
    default_scope: String,
    outbound: Arc<crate::outbound::Outbound>,
}

impl Registration {
    pub fn of(config: &crate::config::Config, outbound: Arc<crate::outbound::Outbound>) -> Self {
        Self {
            subject_types: config.oidc.subject_identifiers.supported(),
            jwt_access_tokens: config.strategies.access_token == "jwt",
            default_scope: config
                .oidc
                .dynamic_client_registration
                .default_scope
                .join(" "),
            outbound,
        }
    }

    /// Before [`validate`], as Hydra: a client without a scope gets
    /// `oidc.dynamic_client_registration.default_scope`; one that names no subject type gets
    /// `public`, or the first type offered when `public` is not.
    fn defaults(&self, c: &mut OAuth2Client) {
        if c.scope.as_deref().is_none_or(|s| s.trim().is_empty()) {
            c.scope = Some(self.default_scope.clone());
        }
        if c.subject_type.as_deref().is_none_or(str::is_empty) {
            let first = if self.subject_types.contains(&"public") {
                "public"
            } else {
                self.subject_types.first().copied().unwrap_or("public")
            };
            c.subject_type = Some(first.into());
        }
    }

    /// After [`validate`]: the subject type is offered, a pairwise client has a sector and no JWT
    /// access tokens (they would carry the real subject), and the `sector_identifier_uri`, when
    /// set, lists every redirect URI.
    ///
    /// A client that registers itself (`owner` anonymous) is checked under the SSRF guard
    /// whatever its setting, and is told nothing of what a refused or failed URL met.
    async fn check(&self, c: &OAuth2Client, owner: Owner) -> Result<(), AdminError> {
        let invalid = |d: String| AdminError::invalid("invalid_client_metadata", d);
        let fetch_failed = |field: &str, e: crate::outbound::FetchError| {
            if owner == Owner::Operator {
                return invalid(format!("{field}: {e}"));
            }
            tracing::info!(field, error = %e, "a self-registering client's URL was refused");
            invalid(format!(
                "{field}: the URL may not be used: it leads to an internal address, does not resolve, or {}",
                crate::outbound::FetchError::PUBLIC
            ))
        };
        let subject_type = c.subject_type.as_deref().unwrap_or("public");
        if !self.subject_types.contains(&subject_type) {
            return Err(invalid(format!(
                "Subject type {subject_type} is not supported by server, only {:?} are allowed.",
                self.subject_types
            )));
        }
        if subject_type == "pairwise" {
            let jwt = match c.access_token_strategy.as_deref() {
                Some("jwt") => true,
                Some("opaque") => false,
                _ => self.jwt_access_tokens,
            };
            if jwt {
                return Err(invalid(
                    "A pairwise client cannot use JWT access tokens: they carry the real subject. Use access_token_strategy opaque.".into(),
                ));
            }
            crate::oidc::subject::sector_of(c).map_err(|e| invalid(e.0))?;
        }
        // The SSRF guard (clients.http.disallow_private_ip_ranges): the URLs this server fetches
        // or posts to must not lead inside (checked again at every fetch).
        let guard = self.outbound.guard();
        let fetched = [
            ("jwks_uri", c.jwks_uri.as_deref()),
            (
                "backchannel_logout_uri",
                c.backchannel_logout_uri.as_deref(),
            ),
            ("sector_identifier_uri", c.sector_identifier_uri.as_deref()),
        ]
        .into_iter()
        .chain(
            c.request_uris
                .iter()
                .flatten()
                .map(|u| ("request_uris", Some(u.as_str()))),
        );
        for (field, uri) in fetched {
            if let Some(uri) = uri.filter(|u| !u.is_empty()) {
                guard
                    .check_registered(uri, owner)
                    .await
                    .map_err(|e| fetch_failed(field, e))?;
            }
        }
        if let Some(uri) = c.sector_identifier_uri.as_deref().filter(|u| !u.is_empty()) {
            let listed: Vec<String> = self
                .outbound
                .get_json(uri, owner)
                .await
                .map_err(|e| fetch_failed("sector_identifier_uri", e))?;
            if listed.is_empty() {
                return Err(invalid(
                    "The sector_identifier_uri lists no redirect URIs.".into(),
                ));
            }
            if let Some(missing) = c
                .redirect_uris
                .iter()
                .flatten()
                .find(|r| !listed.contains(r))
            {
                return Err(invalid(format!(
                    "The redirect URI {missing:?} is not listed at the sector_identifier_uri."
                )));
            }
        }
        Ok(())
    }
}

impl std::fmt::Debug for dyn ClientStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientStore")
    }
}

fn not_found() -> AdminError {
    AdminError::NotFound("The requested OAuth 2.0 client does not exist.".into())
}

pub(crate) fn millis_to_time(ms: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_millis_opt(ms).single()
}

/// Rebuilds the wire shape from a stored row (never with the secret).
fn from_stored(s: StoredClient) -> Result<OAuth2Client, AdminError> {
    let mut c: OAuth2Client = serde_json::from_value(s.document).map_err(|e| {
        AdminError::Internal(format!("client {} has a corrupt document: {e}", s.id))
    })?;
    c.client_id = Some(s.id);
    c.client_secret = None;
    c.created_at = millis_to_time(s.created_at);
    c.updated_at = millis_to_time(s.updated_at);
    Ok(on_the_wire(c))
}

/// The hashes a client proves itself with, kept beside its document: the secret's, those of the
/// secrets rotated out (newest first) and the registration access token's (RFC 7592).
#[derive(Debug, Default)]
struct Credentials {
    secret_hash: Option<String>,
    rotated: Vec<String>,
    registration: Option<String>,
}

impl Credentials {
    fn secret(secret_hash: Option<String>) -> Self {
        Self {
            secret_hash,
            ..Self::default()
        }
    }
}

/// At most this many rotated secrets stay valid beside the current one (as Hydra keeps them).
pub const MAX_ROTATED_SECRETS: usize = 5;

/// What a validated client becomes in storage.
fn to_stored(
    c: &OAuth2Client,
    id: &str,
    creds: Credentials,
    created: i64,
    updated: i64,
) -> Result<StoredClient, AdminError> {
    let mut doc = c.clone();
    doc.client_id = None;
    doc.client_secret = None;
    doc.created_at = None;
    doc.updated_at = None;
    Ok(StoredClient {
        id: id.to_owned(),
        secret_hash: creds.secret_hash,
        rotated_secret_hashes: creds.rotated,
        registration_token_hash: creds.registration,
        client_name: c.client_name.clone().unwrap_or_default(),
        owner: c.owner.clone().unwrap_or_default(),
        document: serde_json::to_value(&doc).map_err(|e| AdminError::Internal(e.to_string()))?,
        created_at: created,
        updated_at: updated,
    })
}

/// argon2id-hashes a secret; a hashing failure is an internal error.
async fn hash(secret: String) -> Result<String, AdminError> {
    hash_secret(secret).await.map_err(AdminError::Internal)
}

/// Who registers a client: itself when it gets a registration access token (RFC 7592).
fn owner_of(registration: &Option<String>) -> Owner {
    match registration {
        Some(_) => Owner::Anonymous,
        None => Owner::Operator,
    }
}

fn uses_secret(c: &OAuth2Client) -> bool {
    matches!(
        c.token_endpoint_auth_method.as_deref(),
        Some("client_secret_basic" | "client_secret_post")
    )
}

impl ClientService {
    pub fn new(
        store: Arc<dyn ClientStore>,
        clock: Arc<dyn Clock>,
        registration: Registration,
    ) -> Self {
        Self {
            store,
            clock,
            registration: Arc::new(registration),
        }
    }

    /// Registers a client. A missing id becomes a UUID; a missing secret is generated when the
    /// authentication method needs one. The returned client carries the secret in clear.
    pub async fn create(&self, c: OAuth2Client) -> Result<OAuth2Client, AdminError> {
        self.create_with(c, None).await
    }

    /// [`Self::create`], with the digest of a registration access token (RFC 7592) when the
    /// client registers itself.
    async fn create_with(
        &self,
        mut c: OAuth2Client,
        registration: Option<String>,
    ) -> Result<OAuth2Client, AdminError> {
        self.registration.defaults(&mut c);
        validate(&mut c)?;
        self.registration.check(&c, owner_of(&registration)).await?;
        let id = c
            .client_id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        if uses_secret(&c) && c.client_secret.is_none() {
            c.client_secret = Some(random_token(32));
        }
        let hash = match &c.client_secret {
            Some(s) => Some(hash(s.clone()).await?),
            None => None,
        };
        let now = self.clock.now().timestamp_millis();
        self.store
            .create_client(&to_stored(
                &c,
                &id,
                Credentials {
                    registration,
                    ..Credentials::secret(hash)
                },
                now,
                now,
            )?)
            .await?;
        let secret = c.client_secret.take();
        let mut out = from_stored(to_stored(&c, &id, Credentials::default(), now, now)?)?;
        out.client_secret = secret;
        Ok(out)
    }

    pub async fn get(&self, id: &str) -> Result<OAuth2Client, AdminError> {
        from_stored(self.store.get_client(id).await?.ok_or_else(not_found)?)
    }

    /// Lists clients in id order, `page_size` at a time, after the position in `page_token`.
    pub async fn list(
        &self,
        filter: &ClientFilter,
        page_size: Option<u64>,
        page_token: Option<&str>,
    ) -> Result<ClientPage, AdminError> {
        let (size, after) = page_params(page_size, page_token)?;
        let mut rows = self
            .store
            .list_clients(filter, after.as_deref(), size + 1)
            .await?;
        let next_page_token = next_page(&mut rows, size, |r| &r.id);
        let clients = rows
            .into_iter()
            .map(from_stored)
            .collect::<Result<_, _>>()?;
        Ok(ClientPage {
            clients,
            page_size: size,
            next_page_token,
        })
    }

    /// Replaces a client's metadata (Hydra's `setOAuth2Client`). The secret is kept unless a new
    /// one is given (then it is returned in clear), dropped when the method no longer uses one,
    /// and generated when the method now needs one and none exists.
    pub async fn replace(&self, id: &str, c: OAuth2Client) -> Result<OAuth2Client, AdminError> {
        self.replace_with(id, c, None).await
    }

    /// [`Self::replace`], giving the client a new registration access token's digest when
    /// `registration` is set (RFC 7592 §2.2 rotates it on update).
    async fn replace_with(
        &self,
        id: &str,
        mut c: OAuth2Client,
        registration: Option<String>,
    ) -> Result<OAuth2Client, AdminError> {
        // As Hydra: the id in the path is the client's; one in the body is ignored (a client id
        // cannot change).
        c.client_id = Some(id.to_owned());
        self.registration.defaults(&mut c);
        validate(&mut c)?;
        self.registration.check(&c, owner_of(&registration)).await?;
        let existing = self.store.get_client(id).await?.ok_or_else(not_found)?;
        // Rotated secrets stay only while the current one does: a new secret, or a method
        // without one, ends them (as Hydra clears them).
        let (secret_hash, rotated) = if !uses_secret(&c) {
            (None, Vec::new())
        } else if let Some(s) = &c.client_secret {
            (Some(hash(s.clone()).await?), Vec::new())
        } else if let Some(h) = existing.secret_hash {
            (Some(h), existing.rotated_secret_hashes)
        } else {
            let s = random_token(32);
            c.client_secret = Some(s.clone());
            (Some(hash(s).await?), Vec::new())
        };
        let creds = Credentials {
            secret_hash,
            rotated,
            registration: registration.or(existing.registration_token_hash),
        };
        let secret = c.client_secret.take();
        let mut out = self
            .store_updated(id, &c, creds, existing.created_at)
            .await?;
        out.client_secret = secret;
        Ok(out)
    }

    /// Stores a client's new document and credentials (its creation time kept); returns it as
    /// the admin API shows it.
    async fn store_updated(
        &self,
        id: &str,
        c: &OAuth2Client,
        creds: Credentials,
        created_at: i64,
    ) -> Result<OAuth2Client, AdminError> {
        let now = self.clock.now().timestamp_millis();
        let stored = to_stored(c, id, creds, created_at, now)?;
        if !self.store.update_client(&stored).await? {
            return Err(not_found());
        }
        from_stored(stored)
    }

    /// Replaces a client's token lifespans (Hydra's `setOAuth2ClientLifespans`); the rest of the
    /// client, its secret included, stays. Every node sees the change at once (the write emits
    /// the client-changed cache event).
    pub async fn set_lifespans(
        &self,
        id: &str,
        lifespans: crate::wire::OAuth2ClientTokenLifespans,
    ) -> Result<OAuth2Client, AdminError> {
        let mut c = self.get(id).await?;
        lifespans.apply(&mut c);
        c.client_secret = None;
        self.replace(id, c).await
    }

    /// Rotates a client's secret (Hydra's `rotateOAuth2ClientSecret`): a new secret is generated
    /// and returned once, in clear; the previous one stays valid beside it, with up to
    /// [`MAX_ROTATED_SECRETS`] in all, newest first, until [`Self::delete_rotated_secrets`]. Every
    /// node sees the change at once (the client-changed cache event).
    pub async fn rotate_secret(&self, id: &str) -> Result<OAuth2Client, AdminError> {
        let (existing, c) = self.rotatable(id).await?;
        let mut rotated = existing.rotated_secret_hashes;
        if let Some(current) = existing.secret_hash {
            rotated.insert(0, current);
        }
        rotated.truncate(MAX_ROTATED_SECRETS);
        let secret = random_token(32);
        let creds = Credentials {
            secret_hash: Some(hash(secret.clone()).await?),
            rotated,
            registration: existing.registration_token_hash,
        };
        let mut out = self
            .store_updated(id, &c, creds, existing.created_at)
            .await?;
        out.client_secret = Some(secret);
        Ok(out)
    }

    /// Drops every rotated secret of a client (Hydra's `deleteRotatedOAuth2ClientSecrets`); the
    /// current one stays. Every node refuses them at once.
    pub async fn delete_rotated_secrets(&self, id: &str) -> Result<OAuth2Client, AdminError> {
        let (existing, c) = self.rotatable(id).await?;
        let creds = Credentials {
            secret_hash: existing.secret_hash,
            rotated: Vec::new(),
            registration: existing.registration_token_hash,
        };
        self.store_updated(id, &c, creds, existing.created_at).await
    }

    /// A client whose secret can be rotated (it authenticates with one), as stored and as shown.
    async fn rotatable(&self, id: &str) -> Result<(StoredClient, OAuth2Client), AdminError> {
        let existing = self.store.get_client(id).await?.ok_or_else(not_found)?;
        let c = from_stored(existing.clone())?;
        if !uses_secret(&c) {
            return Err(AdminError::bad_request(format!(
                "The client is configured to use the {:?} authentication method, which does not support client secret rotation.",
                c.token_endpoint_auth_method.as_deref().unwrap_or_default()
            )));
        }
        Ok((existing, c))
    }

    /// Applies an RFC 6902 JSON Patch to the client as GET shows it, then replaces it.
    pub async fn patch(&self, id: &str, ops: Vec<JsonPatchOp>) -> Result<OAuth2Client, AdminError> {
        let current = self.get(id).await?;
        let mut doc =
            serde_json::to_value(&current).map_err(|e| AdminError::Internal(e.to_string()))?;
        let patch: json_patch::Patch = serde_json::to_value(&ops)
            .and_then(serde_json::from_value)
            .map_err(|e| {
                AdminError::invalid("invalid_request", format!("invalid JSON Patch: {e}"))
            })?;
        json_patch::patch(&mut doc, &patch).map_err(|e| {
            AdminError::invalid(
                "invalid_request",
                format!("the JSON Patch could not be applied: {e}"),
            )
        })?;
        let patched: OAuth2Client = serde_json::from_value(doc).map_err(|e| {
            AdminError::invalid(
                "invalid_client_metadata",
                format!("the patched client is not valid: {e}"),
            )
        })?;
        if patched.client_id.as_deref() != Some(id) {
            return Err(AdminError::invalid(
                "invalid_request",
                "client_id cannot be changed or removed",
            ));
        }
        self.replace(id, patched).await
    }

    pub async fn delete(&self, id: &str) -> Result<(), AdminError> {
        if self.store.delete_client(id).await? {
            Ok(())
        } else {
            Err(not_found())
        }
    }
}

/// The page size and the position after which a page starts, from Hydra's `page_size` and
/// `page_token` query parameters (keyset pagination by id). As Hydra, a size of 0 means the
/// default and sizes above the maximum are capped.
pub fn page_params(
    page_size: Option<u64>,
    page_token: Option<&str>,
) -> Result<(u64, Option<String>), AdminError> {
    let size = match page_size {
        None | Some(0) => DEFAULT_PAGE_SIZE,
        Some(n) => n.min(MAX_PAGE_SIZE),
    };
    let after = match page_token.filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => Some(decode_page_token(t).ok_or_else(|| {
            AdminError::invalid(
                "invalid_request",
                "page_token is malformed; use the token from the Link header",
            )
        })?),
    };
    Ok((size, after))
}

/// Cuts `rows` (fetched `size + 1` at a time) to a page of `size`, and returns the token of the
/// next page when there is one.
pub fn next_page<T>(rows: &mut Vec<T>, size: u64, id: impl Fn(&T) -> &str) -> Option<String> {
    if rows.len() as u64 > size {
        rows.truncate(size as usize);
        rows.last().map(|r| page_token_of(id(r)))
    } else {
        None
    }
}

/// The opaque page token that starts a page after the item `id`.
pub fn page_token_of(id: &str) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

fn decode_page_token(t: &str) -> Option<String> {
    URL_SAFE_NO_PAD
        .decode(t)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
}

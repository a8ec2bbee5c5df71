//! The JWT-bearer grant's trust relationships (RFC 7523 §2.1, Hydra's
//! `/admin/trust/grants/jwt-bearer/issuers`): which issuers' assertions the token endpoint
//! accepts, for which subjects and scopes, verified with which key, until when. No HTTP types.
//!
//! Only a key's public parameters are kept; an `oct` key, a key for encryption or one whose
//! algorithm does not fit its type is refused, so an assertion can only be verified with the
//! algorithm its relationship names (RFC 8725 §3.1).

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};

use crate::{
    clients::{next_page, page_params},
    clock::Clock,
    crypto::jwk,
    error::AdminError,
    storage::{StoredTrust, TrustStore},
    wire::{
        JsonWebKey, TrustOAuth2JwtGrantIssuer, TrustedOAuth2JwtGrantIssuer,
        TrustedOAuth2JwtGrantJsonWebKey,
    },
};

/// One page of relationships and the token of the next page, if there is one.
#[derive(Debug)]
pub struct TrustPage {
    pub trusts: Vec<TrustedOAuth2JwtGrantIssuer>,
    pub page_size: u64,
    pub next_page_token: Option<String>,
}

/// The trust relationship registry.
#[derive(Clone)]
pub struct TrustService {
    store: Arc<dyn TrustStore>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for TrustService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TrustService")
    }
}

/// Hydra's error for a missing or contradictory field of a relationship.
fn missing(description: &str) -> AdminError {
    AdminError::invalid(
        "missing_required_parameter",
        format!("One of the required parameters is missing. {description}"),
    )
}

fn not_found() -> AdminError {
    AdminError::NotFound("The requested trust relationship does not exist.".into())
}

/// Relationship ids are UUIDs; anything else names no relationship (404, as Hydra v2.3).
fn check_id(id: &str) -> Result<(), AdminError> {
    uuid::Uuid::parse_str(id)
        .map(|_| ())
        .map_err(|_| not_found())
}

fn time(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// The stored relationship as the admin API shows it.
pub fn on_the_wire(t: StoredTrust) -> TrustedOAuth2JwtGrantIssuer {
    TrustedOAuth2JwtGrantIssuer {
        public_key: TrustedOAuth2JwtGrantJsonWebKey {
            set: t.issuer.clone(),
            kid: t.key_id,
        },
        id: t.id,
        issuer: t.issuer,
        subject: t.subject,
        allow_any_subject: t.allow_any_subject,
        scope: t.scope,
        created_at: time(t.created_at),
        expires_at: time(t.expires_at),
    }
}

/// Checks a relationship to create and reduces its key to the public parameters.
fn validate(req: &TrustOAuth2JwtGrantIssuer) -> Result<JsonWebKey, AdminError> {
    if req.issuer.is_empty() {
        return Err(missing("Field 'issuer' is required."));
    }
    let subject = req.subject.as_deref().unwrap_or_default();
    if subject.is_empty() && !req.allow_any_subject {
        return Err(missing(
            "One of 'subject' or 'allow_any_subject' field must be set.",
        ));
    }
    if !subject.is_empty() && req.allow_any_subject {
        return Err(missing(
            "Both 'subject' and 'allow_any_subject' fields cannot be set at the same time.",
        ));
    }
    if req.jwk.kid.is_empty() {
        return Err(missing("Field 'jwk' must contain JWK with kid header."));
    }
    for (name, v) in [("issuer", &req.issuer), ("jwk.kid", &req.jwk.kid)] {
        if v.len() > 255 {
            return Err(AdminError::bad_request(format!(
                "'{name}' is longer than 255 characters."
            )));
        }
    }
    if subject.len() > 255 {
        return Err(AdminError::bad_request(
            "'subject' is longer than 255 characters.",
        ));
    }
    if let Some(bad) = req
        .scope
        .iter()
        .find(|s| s.is_empty() || s.contains(char::is_whitespace))
    {
        return Err(AdminError::bad_request(format!(
            "The scope {bad:?} is not a valid scope value (RFC 6749 §3.3)."
        )));
    }
    if req.jwk.use_ != "sig" {
        return Err(AdminError::bad_request(
            "The key must be a signature key (\"use\": \"sig\").",
        ));
    }
    jwk::check(&req.jwk).map_err(|e| {
        AdminError::bad_request(format!("The key cannot verify assertions: {}", e.0))
    })?;
    Ok(jwk::public_part(&req.jwk))
}

impl TrustService {
    pub fn new(store: Arc<dyn TrustStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Trusts an issuer (Hydra's `trustOAuth2JwtGrantIssuer`). One relationship per issuer,
    /// subject and key id: a second is a conflict.
    pub async fn create(
        &self,
        req: TrustOAuth2JwtGrantIssuer,
    ) -> Result<TrustedOAuth2JwtGrantIssuer, AdminError> {
        let key = validate(&req)?;
        // As Hydra: times to the second.
        let now = self.clock.now().timestamp() * 1000;
        let stored = StoredTrust {
            id: uuid::Uuid::new_v4().to_string(),
            issuer: req.issuer,
            subject: req.subject.unwrap_or_default(),
            allow_any_subject: req.allow_any_subject,
            scope: req.scope,
            key_id: key.kid.clone(),
            jwk: serde_json::to_value(&key).map_err(|e| AdminError::Internal(e.to_string()))?,
            created_at: now,
            expires_at: req.expires_at.timestamp() * 1000,
        };
        self.store.create_trust(&stored).await?;
        Ok(on_the_wire(stored))
    }

    pub async fn get(&self, id: &str) -> Result<TrustedOAuth2JwtGrantIssuer, AdminError> {
        check_id(id)?;
        let t = self.store.get_trust(id).await?.ok_or_else(not_found)?;
        Ok(on_the_wire(t))
    }

    /// Lists relationships in id order, of one issuer when given (keyset pagination, as clients).
    pub async fn list(
        &self,
        issuer: Option<&str>,
        page_size: Option<u64>,
        page_token: Option<&str>,
    ) -> Result<TrustPage, AdminError> {
        let (size, after) = page_params(page_size, page_token)?;
        let mut rows = self
            .store
            .list_trusts(issuer.filter(|i| !i.is_empty()), after.as_deref(), size + 1)
            .await?;
        let next_page_token = next_page(&mut rows, size, |r| &r.id);
        Ok(TrustPage {
            trusts: rows.into_iter().map(on_the_wire).collect(),
            page_size: size,
            next_page_token,
        })
    }

    /// Ends a relationship: its assertions are refused from the next request on, on every node
    /// (the grant reads relationships from the database, never from a cache).
    pub async fn delete(&self, id: &str) -> Result<(), AdminError> {
        check_id(id)?;
        if self.store.delete_trust(id).await? {
            Ok(())
        } else {
            Err(not_found())
        }
    }
}

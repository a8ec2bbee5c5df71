//! JSON Web Key sets: the admin API's operations, `/.well-known/jwks.json`, and the signing keys
//! of ID tokens and JWT access tokens.
//!
//! Every key is stored sealed (see [`crate::crypto::seal`]), bound to its set and kid. The newest
//! key of a set with private parameters and `use: sig` signs; every key stays published, and keeps
//! verifying, until it is deleted, so rotating is: add a key, wait until relying parties have
//! refreshed their key cache, delete the old key.
//!
//! Loaded sets are cached (at most [`CACHE_TTL`]); a set changed on any node reaches the cache as
//! an event (see [`crate::coherence`]), so a rotation is seen everywhere at once.

use std::{sync::Arc, time::Duration};

use jsonwebtoken::{Algorithm, DecodingKey};

use crate::{
    clock::Clock,
    coherence::{
        Coherence, Event,
        map::{CoherentMap, Touched},
    },
    crypto::{
        jwk::{self, KeyAlg, SigningKey},
        seal::Sealer,
    },
    error::AdminError,
    storage::{KeyStore, StoreError, StoredKey},
    wire::{CreateJsonWebKeySet, JsonWebKey, JsonWebKeySet},
};

/// The set whose keys sign ID tokens.
pub const ID_TOKEN_SET: &str = "hydra.openid.id-token";
/// The set whose keys sign JWT access tokens.
pub const ACCESS_TOKEN_SET: &str = "hydra.jwt.access-token";
/// How long a loaded set is kept at most.
pub const CACHE_TTL: Duration = Duration::from_secs(60);

/// A set as loaded: its keys (private parameters included), the signer, and the verifiers.
pub struct LoadedSet {
    pub keys: Vec<JsonWebKey>,
    pub signer: Option<SigningKey>,
    verifiers: Vec<(String, Algorithm, DecodingKey)>,
}

impl Touched for LoadedSet {
    fn touched_by(&self, key: &str, event: &Event) -> bool {
        matches!(event, Event::KeySetChanged { set } if set == key)
    }
}

impl LoadedSet {
    /// The verifying key for a JWS header's `kid`.
    pub fn verifier(&self, kid: &str) -> Option<(Algorithm, &DecodingKey)> {
        self.verifiers
            .iter()
            .find(|(k, _, _)| k == kid)
            .map(|(_, a, d)| (*a, d))
    }
}

pub struct KeyService {
    store: Arc<dyn KeyStore>,
    sealer: Sealer,
    clock: Arc<dyn Clock>,
    cache: Arc<CoherentMap<LoadedSet>>,
    /// One first-use creation at a time in this process.
    creating: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for KeyService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyService")
    }
}

/// What a key operation fails with. The admin API answers it as [`AdminError`]; the protocol
/// core, which only reads signing keys, as a `server_error`.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// No such set, or no such key in it.
    #[error("{0}")]
    NotFound(String),
    /// The input is invalid (a set name, an algorithm, a key).
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A key could not be sealed, opened, parsed or generated.
    #[error("{0}")]
    Internal(String),
}

impl From<KeyError> for AdminError {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::NotFound(d) => Self::NotFound(d),
            KeyError::Invalid(d) => Self::invalid("invalid_request", d),
            KeyError::Store(e) => e.into(),
            KeyError::Internal(d) => Self::Internal(d),
        }
    }
}

impl From<KeyError> for crate::error::OAuthError {
    fn from(e: KeyError) -> Self {
        Self::server(e)
    }
}

fn not_found(set: &str) -> KeyError {
    KeyError::NotFound(format!("The JSON Web Key Set {set:?} was not found."))
}

fn invalid(e: impl std::fmt::Display) -> KeyError {
    KeyError::Invalid(e.to_string())
}

fn context(set: &str, kid: &str) -> Vec<u8> {
    [set.as_bytes(), b"\0", kid.as_bytes()].concat()
}

/// Set names are path segments; keep them to what a URL carries without escaping surprises.
fn check_set_name(set: &str) -> Result<(), KeyError> {
    if set.is_empty()
        || set.len() > 255
        || !set
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-:".contains(c))
    {
        return Err(invalid(
            "set names are 1 to 255 characters of letters, digits, '.', '_', '-' and ':'",
        ));
    }
    Ok(())
}

impl KeyService {
    pub fn new(
        store: Arc<dyn KeyStore>,
        sealer: Sealer,
        clock: Arc<dyn Clock>,
        owner: Arc<Coherence>,
    ) -> Self {
        Self {
            store,
            sealer,
            clock,
            cache: CoherentMap::new("key_sets", owner, CACHE_TTL, 1024),
            creating: tokio::sync::Mutex::new(()),
        }
    }

    fn seal(&self, set: &str, key: &JsonWebKey) -> Result<StoredKey, KeyError> {
        let json = serde_json::to_vec(key).map_err(|e| KeyError::Internal(e.to_string()))?;
        let sealed = self
            .sealer
            .seal(&context(set, &key.kid), &json)
            .map_err(|e| KeyError::Internal(e.to_string()))?;
        Ok(StoredKey {
            set_id: set.to_owned(),
            kid: key.kid.clone(),
            alg: key.alg.clone(),
            key_use: key.use_.clone(),
            sealed,
            created_at: self.clock.now().timestamp_millis(),
        })
    }

    fn open(&self, stored: &StoredKey) -> Result<JsonWebKey, KeyError> {
        let plain = self
            .sealer
            .open(&context(&stored.set_id, &stored.kid), &stored.sealed)
            .map_err(|e| {
                KeyError::Internal(format!(
                    "key {:?} of set {:?}: {e}",
                    stored.kid, stored.set_id
                ))
            })?;
        serde_json::from_slice(&plain).map_err(|e| KeyError::Internal(e.to_string()))
    }

    /// Reads a set from storage, opens and parses its keys.
    async fn load(&self, set: &str) -> Result<Arc<LoadedSet>, KeyError> {
        let ticket = self.cache.ticket();
        let stored = self.store.list_set(set).await?;
        let keys = stored
            .iter()
            .map(|s| self.open(s))
            .collect::<Result<Vec<_>, _>>()?;
        let signer = keys
            .iter()
            .filter(|k| k.use_ == "sig" && jwk::is_private(k))
            .find_map(|k| jwk::signing_key(k).ok());
        let verifiers = keys
            .iter()
            .filter_map(|k| {
                jwk::decoding_key(k)
                    .ok()
                    .map(|(a, d)| (k.kid.clone(), a, d))
            })
            .collect();
        let loaded = Arc::new(LoadedSet {
            keys,
            signer,
            verifiers,
        });
        self.cache.admit(ticket, set, loaded.clone());
        Ok(loaded)
    }

    /// A set, from the cache while it is fresh.
    pub async fn loaded(&self, set: &str) -> Result<Arc<LoadedSet>, KeyError> {
        match self.cache.get(set) {
            Some(l) => Ok(l),
            None => self.load(set).await,
        }
    }

    /// A reserved set with a signing key in it, generating an RS256 key on first use.
    pub async fn signing_set(&self, set: &str) -> Result<Arc<LoadedSet>, KeyError> {
        let loaded = self.loaded(set).await?;
        if loaded.signer.is_some() {
            return Ok(loaded);
        }
        let _guard = self.creating.lock().await;
        // Another task (or node) may have created one meanwhile.
        let loaded = self.load(set).await?;
        if loaded.signer.is_some() {
            return Ok(loaded);
        }
        let key = generate(
            KeyAlg::Rs256,
            uuid::Uuid::new_v4().to_string(),
            "sig".into(),
        )
        .await?;
        tracing::info!(set, kid = %key.kid, "generated a signing key on first use");
        self.store.insert_keys(&[self.seal(set, &key)?]).await?;
        self.load(set).await
    }

    /// The distinct algorithms of a reserved set's signing keys, newest first (creating its
    /// first key if needed): what discovery lists as supported for that set's tokens.
    pub async fn signing_algs(&self, set: &str) -> Result<Vec<String>, KeyError> {
        let loaded = self.signing_set(set).await?;
        let mut algs: Vec<String> = Vec::new();
        for k in &loaded.keys {
            if k.use_ == "sig" && jwk::is_private(k) && !algs.contains(&k.alg) {
                algs.push(k.alg.clone());
            }
        }
        Ok(algs)
    }

    /// Generates a key into a set (created if needed); returns it with its private parameters.
    pub async fn create(
        &self,
        set: &str,
        req: CreateJsonWebKeySet,
    ) -> Result<JsonWebKeySet, KeyError> {
        check_set_name(set)?;
        let alg = KeyAlg::parse(&req.alg).map_err(invalid)?;
        if !matches!(req.use_.as_str(), "sig" | "enc") {
            return Err(invalid("\"use\" must be \"sig\" or \"enc\""));
        }
        let kid = if req.kid.is_empty() {
            uuid::Uuid::new_v4().to_string()
        } else {
            req.kid
        };
        let key = generate(alg, kid, req.use_).await?;
        self.store.insert_keys(&[self.seal(set, &key)?]).await?;
        Ok(JsonWebKeySet { keys: vec![key] })
    }

    /// Every key of a set, private parameters included, newest first.
    pub async fn get_set(&self, set: &str) -> Result<JsonWebKeySet, KeyError> {
        let loaded = self.load(set).await?;
        if loaded.keys.is_empty() {
            return Err(not_found(set));
        }
        Ok(JsonWebKeySet {
            keys: loaded.keys.clone(),
        })
    }

    pub async fn get_key(&self, set: &str, kid: &str) -> Result<JsonWebKeySet, KeyError> {
        let loaded = self.load(set).await?;
        let key = loaded
            .keys
            .iter()
            .find(|k| k.kid == kid)
            .cloned()
            .ok_or_else(|| {
                KeyError::NotFound(format!(
                    "The JSON Web Key {kid:?} of set {set:?} was not found."
                ))
            })?;
        Ok(JsonWebKeySet { keys: vec![key] })
    }

    /// Stores a given key under `kid`, replacing the key with that id.
    pub async fn put_key(
        &self,
        set: &str,
        kid: &str,
        key: JsonWebKey,
    ) -> Result<JsonWebKey, KeyError> {
        check_set_name(set)?;
        if key.kid != kid {
            return Err(invalid(format!(
                "the key's kid {:?} differs from the kid in the path {kid:?}",
                key.kid
            )));
        }
        jwk::check(&key).map_err(invalid)?;
        self.store.put_key(&self.seal(set, &key)?).await?;
        Ok(key)
    }

    /// Replaces a whole set with the given keys.
    pub async fn put_set(&self, set: &str, keys: JsonWebKeySet) -> Result<JsonWebKeySet, KeyError> {
        check_set_name(set)?;
        let mut seen = std::collections::HashSet::new();
        for k in &keys.keys {
            jwk::check(k).map_err(|e| invalid(format!("key {:?}: {e}", k.kid)))?;
            if !seen.insert(k.kid.as_str()) {
                return Err(invalid(format!("kid {:?} appears twice", k.kid)));
            }
        }
        // Stored oldest first, so the first key of the request is the newest (it signs).
        let stored = keys
            .keys
            .iter()
            .rev()
            .map(|k| self.seal(set, k))
            .collect::<Result<Vec<_>, _>>()?;
        self.store.replace_set(set, &stored).await?;
        Ok(keys)
    }

    /// Deletes one key; a key that is not there is already deleted (Hydra answers 204 too).
    pub async fn delete_key(&self, set: &str, kid: &str) -> Result<(), KeyError> {
        self.store.delete_key(set, kid).await?;
        Ok(())
    }

    /// Deletes a set and its keys; an empty or unknown set is already deleted (as in Hydra).
    pub async fn delete_set(&self, set: &str) -> Result<(), KeyError> {
        self.store.delete_set(set).await?;
        Ok(())
    }

    /// The public keys of both reserved sets (`/.well-known/jwks.json`), creating them on first
    /// use; ID token keys first, each set newest first.
    pub async fn public_jwks(&self) -> Result<JsonWebKeySet, KeyError> {
        let mut keys = Vec::new();
        for set in [ID_TOKEN_SET, ACCESS_TOKEN_SET] {
            let loaded = self.signing_set(set).await?;
            keys.extend(
                loaded
                    .keys
                    .iter()
                    .filter(|k| k.use_ == "sig")
                    .map(jwk::public_part),
            );
        }
        Ok(JsonWebKeySet { keys })
    }
}

/// Key generation off the async workers: RSA-2048 takes tens of milliseconds.
async fn generate(alg: KeyAlg, kid: String, use_: String) -> Result<JsonWebKey, KeyError> {
    tokio::task::spawn_blocking(move || jwk::generate(alg, kid, use_))
        .await
        .map_err(|e| KeyError::Internal(e.to_string()))?
        .map_err(|e| KeyError::Internal(e.to_string()))
}

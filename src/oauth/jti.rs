//! The `jti`s this server has seen, each in its scope until it expires: a client assertion's
//! (RFC 7523 §3 point 7, per client) and a JWT-bearer grant's (per issuer). Kept in the token
//! store, so a replay is refused on every node.

use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::OAuthError;
use crate::storage::TokenStore;

#[derive(Clone, Debug)]
pub struct Jtis {
    store: Arc<dyn TokenStore>,
}

impl Jtis {
    pub fn new(store: Arc<dyn TokenStore>) -> Self {
        Self { store }
    }

    /// Records a `jti` in its scope (`parts`, the last one the `jti`; stored as the SHA-256 of
    /// the parts joined by NUL bytes) until `expires_at_ms`; `false` when it was seen before. The
    /// check and the record are one atomic insert, so a replay racing the first use loses.
    pub async fn first_use(&self, parts: &[&str], expires_at_ms: i64) -> Result<bool, OAuthError> {
        let mut h = Sha256::new();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                h.update([0u8]);
            }
            h.update(p.as_bytes());
        }
        let key = crate::crypto::hex(&h.finalize());
        Ok(self.store.remember_jti(&key, expires_at_ms).await?)
    }
}

//! Sealing data at rest (private keys, later login sessions' secrets): AES-256-GCM under a key
//! derived from each entry of `secrets.system`. The first entry seals; every entry is tried when
//! opening, so a new secret can be prepended while data sealed under the old one stays readable.
//!
//! A sealed value is `v1.` followed by base64url(nonce ‖ ciphertext ‖ tag). The 96-bit nonce is
//! random: sealing happens a few times per key, far below the 2^32 messages per key that NIST SP
//! 800-38D §8.3 allows for random nonces. The caller passes associated data that names what is
//! sealed (for keys: set and kid), so a sealed value copied to another row does not open there.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use sha2::Sha256;

use crate::config::Secret;

const PREFIX: &str = "v1.";

/// AEAD keys derived from the system secrets, first one sealing.
pub struct Sealer {
    keys: Vec<LessSafeKey>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealer({} keys)", self.keys.len())
    }
}

/// Sealing or opening failed; deliberately without detail.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("no system secret is configured")]
    NoSecret,
    #[error("the sealed value does not open under any entry of secrets.system")]
    Unopenable,
}

impl Sealer {
    pub fn new(secrets: &[Secret]) -> Self {
        let keys = secrets
            .iter()
            .filter_map(|s| {
                // HMAC as a PRF: a 256-bit key for this purpose only (domain-separated).
                let mut d = <Hmac<Sha256>>::new_from_slice(s.0.as_bytes()).ok()?;
                d.update(b"latchkey/seal/v1");
                let raw = d.finalize().into_bytes();
                UnboundKey::new(&AES_256_GCM, &raw)
                    .ok()
                    .map(LessSafeKey::new)
            })
            .collect();
        Self { keys }
    }

    /// Seals `plaintext`, binding it to `context`.
    pub fn seal(&self, context: &[u8], plaintext: &[u8]) -> Result<String, SealError> {
        let key = self.keys.first().ok_or(SealError::NoSecret)?;
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| SealError::NoSecret)?;
        let mut buf = plaintext.to_vec();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(context),
            &mut buf,
        )
        .map_err(|_| SealError::Unopenable)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(out)))
    }

    /// Opens a value sealed under any of the secrets with the same `context`.
    pub fn open(&self, context: &[u8], sealed: &str) -> Result<Vec<u8>, SealError> {
        let raw = sealed
            .strip_prefix(PREFIX)
            .and_then(|b| URL_SAFE_NO_PAD.decode(b).ok())
            .filter(|r| r.len() > NONCE_LEN)
            .ok_or(SealError::Unopenable)?;
        let (nonce, ct) = raw.split_at(NONCE_LEN);
        for key in &self.keys {
            let mut buf = ct.to_vec();
            let nonce =
                Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Unopenable)?;
            if let Ok(plain) = key.open_in_place(nonce, Aad::from(context), &mut buf) {
                return Ok(plain.to_vec());
            }
        }
        Err(SealError::Unopenable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> Secret {
        Secret(s.to_owned())
    }

    #[test]
    fn opens_under_any_secret_and_only_in_its_context() {
        let old = Sealer::new(&[secret("an-old-secret-of-32-bytes-length")]);
        let sealed = old.seal(b"set\0kid", b"private key").unwrap();
        assert!(!sealed.contains("private"));
        let rotated = Sealer::new(&[
            secret("a-new-secret-of-32-bytes-length!"),
            secret("an-old-secret-of-32-bytes-length"),
        ]);
        assert_eq!(rotated.open(b"set\0kid", &sealed).unwrap(), b"private key");
        assert!(rotated.open(b"set\0other", &sealed).is_err());
        let other = Sealer::new(&[secret("a-new-secret-of-32-bytes-length!")]);
        assert!(other.open(b"set\0kid", &sealed).is_err());
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(rotated.open(b"set\0kid", &tampered).is_err());
        assert!(rotated.open(b"set\0kid", "v1.").is_err());
        assert!(rotated.open(b"set\0kid", "garbage").is_err());
    }
}

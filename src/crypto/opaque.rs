//! Opaque tokens, as Hydra makes them: `<prefix><key>.<signature>`, where `key` is 32 random bytes
//! and `signature` is HMAC-SHA256 over the key under a key derived from the first entry of
//! `secrets.system`. Only the signature is stored. Any entry of `secrets.system` verifies, so a new
//! secret can be prepended without invalidating tokens already issued (rotation).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::config::Secret;

type HmacSha256 = Hmac<Sha256>;

/// Token kinds and their Hydra prefixes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    AccessToken,
    RefreshToken,
    AuthorizeCode,
    /// RFC 8628 §3.2 `device_code`.
    DeviceCode,
}

impl TokenKind {
    pub fn prefix(self) -> &'static str {
        match self {
            Self::AccessToken => "ory_at_",
            Self::RefreshToken => "ory_rt_",
            Self::AuthorizeCode => "ory_ac_",
            Self::DeviceCode => "ory_dc_",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccessToken => "access_token",
            Self::RefreshToken => "refresh_token",
            Self::AuthorizeCode => "authorize_code",
            Self::DeviceCode => "device_code",
        }
    }
}

/// HMAC keys derived from the system secrets, first one signing.
#[derive(Clone)]
pub struct OpaqueSigner {
    keys: Vec<HmacSha256>,
}

impl std::fmt::Debug for OpaqueSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OpaqueSigner({} keys)", self.keys.len())
    }
}

/// A freshly minted token and the signature to store for it.
pub struct Minted {
    pub token: String,
    pub signature: String,
}

impl OpaqueSigner {
    /// Derives one HMAC key per secret (domain-separated, so these keys serve nothing else).
    pub fn new(secrets: &[Secret]) -> Self {
        let keys = secrets
            .iter()
            .filter_map(|s| {
                let mut d = HmacSha256::new_from_slice(s.0.as_bytes()).ok()?;
                d.update(b"latchkey/opaque-token/v1");
                HmacSha256::new_from_slice(&d.finalize().into_bytes()).ok()
            })
            .collect();
        Self { keys }
    }

    fn sign_with(key: &HmacSha256, data: &[u8]) -> Vec<u8> {
        let mut mac = key.clone();
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }

    /// Mints a token of `kind`; `None` only when no secret is configured.
    pub fn mint(&self, kind: TokenKind) -> Option<Minted> {
        let key = self.keys.first()?;
        let random = super::random_token(32);
        let signature = URL_SAFE_NO_PAD.encode(Self::sign_with(key, random.as_bytes()));
        Some(Minted {
            token: format!("{}{random}.{signature}", kind.prefix()),
            signature,
        })
    }

    /// Keyed digests of a short secret (a device flow's user code) under every secret, the
    /// signing one first: what is stored is the first, and a lookup tries each (rotation). A
    /// stolen database does not reveal the codes, and a lookup by digest compares no secret
    /// byte by byte.
    pub fn digests(&self, context: &str, value: &str) -> Vec<String> {
        self.keys
            .iter()
            .map(|key| {
                let mut mac = key.clone();
                mac.update(context.as_bytes());
                mac.update(&[0]);
                mac.update(value.as_bytes());
                URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
            })
            .collect()
    }

    /// Checks a presented token's HMAC against every secret and returns the signature to look up.
    /// Malformed or foreign tokens give `None`. The comparison is constant-time.
    pub fn verify(&self, kind: TokenKind, token: &str) -> Option<String> {
        let rest = token.strip_prefix(kind.prefix())?;
        let (random, sig) = rest.split_once('.')?;
        if random.len() != 43 || sig.len() != 43 {
            return None;
        }
        let sig_bytes = URL_SAFE_NO_PAD.decode(sig).ok()?;
        self.keys.iter().find_map(|key| {
            let mut mac = key.clone();
            mac.update(random.as_bytes());
            mac.verify_slice(&sig_bytes).ok().map(|()| sig.to_owned())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> Secret {
        Secret(s.into())
    }

    #[test]
    fn mint_verify_and_rotate() {
        let old = OpaqueSigner::new(&[secret("old-secret-0123456789")]);
        let t = old.mint(TokenKind::AccessToken).unwrap();
        assert!(t.token.starts_with("ory_at_"));
        assert_eq!(
            old.verify(TokenKind::AccessToken, &t.token),
            Some(t.signature.clone())
        );
        // A new secret prepended: old tokens still verify, new ones are signed by the new key.
        let rotated = OpaqueSigner::new(&[
            secret("new-secret-0123456789"),
            secret("old-secret-0123456789"),
        ]);
        assert_eq!(
            rotated.verify(TokenKind::AccessToken, &t.token),
            Some(t.signature)
        );
        let n = rotated.mint(TokenKind::AccessToken).unwrap();
        assert!(old.verify(TokenKind::AccessToken, &n.token).is_none());
        // Wrong kind, tampering, garbage.
        assert!(rotated.verify(TokenKind::RefreshToken, &n.token).is_none());
        let mut tampered = n.token.clone();
        tampered.replace_range(10..11, if &tampered[10..11] == "A" { "B" } else { "A" });
        assert!(rotated.verify(TokenKind::AccessToken, &tampered).is_none());
        assert!(
            rotated
                .verify(TokenKind::AccessToken, "ory_at_garbage")
                .is_none()
        );
        assert!(rotated.verify(TokenKind::AccessToken, "").is_none());
    }
}

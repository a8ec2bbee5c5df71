//! Cryptographic building blocks: randomness, secret hashing, opaque tokens, sealing, JSON Web Keys.

pub mod hash;
pub mod jwk;
pub mod opaque;
pub mod seal;
pub mod secret_cache;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

/// `n` bytes from the operating system's CSPRNG, base64url-encoded without padding.
pub fn random_token(n: usize) -> String {
    let mut buf = vec![0u8; n];
    // The OS generator failing is unrecoverable and vanishingly rare; a weaker fallback would be worse.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut buf).expect("the operating system's random number generator failed");
    URL_SAFE_NO_PAD.encode(buf)
}

//! Cryptographic building blocks: randomness, secret hashing, opaque tokens, sealing, JSON Web Keys.

pub mod hash;
pub mod jwk;
pub mod opaque;
pub mod seal;
pub mod secret_cache;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `a` and `b` are equal, in time that depends on their lengths only.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// `n` bytes from the operating system's CSPRNG, base64url-encoded without padding.
pub fn random_token(n: usize) -> String {
    let mut buf = vec![0u8; n];
    // The OS generator failing is unrecoverable and vanishingly rare; a weaker fallback would be worse.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut buf).expect("the operating system's random number generator failed");
    URL_SAFE_NO_PAD.encode(buf)
}

/// `n` characters drawn uniformly from `alphabet` (rejection sampling: no modulo bias).
pub fn random_chars(alphabet: &[char], n: usize) -> String {
    let len = alphabet.len().clamp(1, 256);
    // The largest multiple of `len` that fits a byte: bytes at or above it are drawn again.
    let limit = 256 - 256 % len;
    let mut out = String::with_capacity(n);
    let mut buf = [0u8; 64];
    while out.chars().count() < n {
        #[allow(clippy::expect_used)]
        getrandom::fill(&mut buf).expect("the operating system's random number generator failed");
        for b in buf {
            if (b as usize) < limit && out.chars().count() < n {
                out.push(alphabet[b as usize % len]);
            }
        }
    }
    out
}

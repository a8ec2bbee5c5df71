//! Client secrets at rest: argon2id (v19, m=19456 KiB, t=2, p=1), PHC strings. Hashing and
//! verification are CPU-bound (tens of milliseconds), so they run on tokio's blocking pool.

use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};

/// Hashes a secret into a PHC string.
pub async fn hash_secret(secret: String) -> Result<String, String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(secret.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| format!("argon2 hashing failed: {e}"))
    })
    .await
    .map_err(|e| format!("hashing task failed: {e}"))?
}

/// Checks a secret against a PHC string. The comparison inside argon2 is constant-time.
pub async fn verify_secret(secret: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&phc)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(secret.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn hash_then_verify() {
        let h = super::hash_secret("a secret".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(super::verify_secret("a secret".into(), h.clone()).await);
        assert!(!super::verify_secret("another".into(), h).await);
    }
}

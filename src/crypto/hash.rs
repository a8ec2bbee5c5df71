//! Client secrets at rest: argon2id (v19, m=19456 KiB, t=2, p=1), PHC strings.
//!
//! Hashing and verification are CPU- and memory-bound (~19 MiB and tens of milliseconds each), so
//! they run on a small fixed pool of threads, one per core, rather than on tokio's blocking pool:
//! the blocking pool grows to hundreds of threads under a flood, and each thread's allocator
//! arena keeps its argon2 memory, which drove RSS to ~500 MB in a wrong-secret flood. With a fixed
//! pool the memory high-water mark is bounded by the number of cores.

use std::sync::{Arc, Mutex, OnceLock, mpsc};

use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};

type Job = Box<dyn FnOnce() + Send>;

fn pool() -> &'static mpsc::Sender<Job> {
    static POOL: OnceLock<mpsc::Sender<Job>> = OnceLock::new();
    POOL.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let workers = std::thread::available_parallelism().map_or(2, usize::from);
        for i in 0..workers {
            let rx = rx.clone();
            let _ = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    loop {
                        let job = match rx.lock() {
                            Ok(guard) => guard.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
        }
        tx
    })
}

/// Runs `f` on the hashing pool and awaits its result.
async fn on_pool<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    pool()
        .send(Box::new(move || {
            let _ = tx.send(f());
        }))
        .map_err(|_| "the hashing pool is gone".to_owned())?;
    rx.await
        .map_err(|_| "the hashing job was dropped".to_owned())
}

/// Hashes a secret into a PHC string.
pub async fn hash_secret(secret: String) -> Result<String, String> {
    on_pool(move || {
        Argon2::default()
            .hash_password(secret.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| format!("argon2 hashing failed: {e}"))
    })
    .await?
}

/// Checks a secret against a PHC string. The comparison inside argon2 is constant-time.
pub async fn verify_secret(secret: String, phc: String) -> bool {
    on_pool(move || {
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

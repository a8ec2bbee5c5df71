//! Scope matching under `strategies.scope` (Hydra's semantics).
//!
//! - `exact`: a requested scope is allowed when the client lists exactly that string.
//! - `wildcard`: as `exact`, and a client scope with `*` segments (dot-separated) allows any
//!   requested scope with the same number of segments whose other segments are equal:
//!   `photos.*` allows `photos.read` but neither `photos` nor `photos.read.all`.

/// Whether `requested` is allowed by one of the client's `allowed` scopes.
pub fn allowed(strategy: &str, allowed: &[&str], requested: &str) -> bool {
    allowed.iter().any(|a| {
        if *a == requested {
            return true;
        }
        if strategy != "wildcard" || !a.contains('*') {
            return false;
        }
        let (pa, pr): (Vec<&str>, Vec<&str>) =
            (a.split('.').collect(), requested.split('.').collect());
        pa.len() == pr.len() && pa.iter().zip(&pr).all(|(x, y)| *x == "*" || x == y)
    })
}

#[cfg(test)]
mod tests {
    use super::allowed;

    #[test]
    fn strategies() {
        let client = ["openid", "photos.*", "api.read"];
        assert!(allowed("exact", &client, "api.read"));
        assert!(!allowed("exact", &client, "photos.read"));
        assert!(allowed("wildcard", &client, "photos.read"));
        assert!(!allowed("wildcard", &client, "photos"));
        assert!(!allowed("wildcard", &client, "photos.read.all"));
        assert!(!allowed("wildcard", &client, "api.write"));
    }
}

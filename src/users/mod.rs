//! The built-in login app's users: creating them (checked email, argon2id-hashed password),
//! listing and deleting them, the demo user of `serve all --dev`, and checking a sign-in.
//!
//! A sign-in takes the same time whether or not the account exists: an unknown email is checked
//! against a fixed hash, so response times do not reveal which emails have accounts.

pub mod throttle;

use std::sync::Arc;

use serde_json::{Value, json};

use crate::{
    crypto::hash::{hash_secret, verify_secret},
    error::AdminError,
    storage::{StoreError, StoredUser, UserStore},
};

/// The demo user that `serve all --dev` creates.
pub const DEMO_EMAIL: &str = "foo@bar.com";
pub const DEMO_PASSWORD: &str = "foobar";

/// Passwords shorter than this are refused (NIST SP 800-63B §5.1.1.2 asks for at least 8).
pub const MIN_PASSWORD: usize = 8;
/// Longer ones too: hashing is bounded work.
pub const MAX_PASSWORD: usize = 1024;

/// A normalised email: trimmed, lower-case, one `@` between a non-empty local part and domain.
pub fn normalise_email(email: &str) -> Result<String, AdminError> {
    let e = email.trim().to_lowercase();
    let bad = || {
        AdminError::invalid(
            "invalid_request",
            format!("{email:?} is not an email address"),
        )
    };
    let (local, domain) = e.split_once('@').ok_or_else(bad)?;
    if local.is_empty()
        || domain.is_empty()
        || domain.contains('@')
        || e.len() > 254
        || e.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(bad());
    }
    Ok(e)
}

pub struct UserService {
    store: Arc<dyn UserStore>,
    clock: Arc<dyn crate::clock::Clock>,
    /// Failed sign-ins per account and per address.
    pub throttle: throttle::Throttle,
}

impl std::fmt::Debug for UserService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UserService")
    }
}

impl UserService {
    pub fn new(store: Arc<dyn UserStore>, clock: Arc<dyn crate::clock::Clock>) -> Self {
        Self {
            store,
            throttle: throttle::Throttle::new(clock.clone()),
            clock,
        }
    }

    /// Creates a user; [`AdminError::Conflict`] when the email is taken.
    pub async fn create(
        &self,
        email: &str,
        password: &str,
        claims: Value,
    ) -> Result<StoredUser, AdminError> {
        let n = password.chars().count();
        if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&n) {
            return Err(AdminError::invalid(
                "invalid_request",
                format!("the password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long"),
            ));
        }
        self.insert(&normalise_email(email)?, password, claims)
            .await
    }

    async fn insert(
        &self,
        email: &str,
        password: &str,
        claims: Value,
    ) -> Result<StoredUser, AdminError> {
        let now = self.clock.now().timestamp_millis();
        let user = StoredUser {
            id: uuid::Uuid::new_v4().to_string(),
            email: email.to_owned(),
            password_hash: hash_secret(password.to_owned())
                .await
                .map_err(AdminError::Internal)?,
            claims,
            created_at: now,
            updated_at: now,
        };
        match self.store.create_user(&user).await {
            Ok(()) => Ok(user),
            Err(StoreError::Conflict) => Err(AdminError::Conflict(format!(
                "a user with the email {email} exists already"
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// Creates the demo user unless it exists; `true` when it was created.
    pub async fn ensure_demo_user(&self) -> Result<bool, AdminError> {
        if self.store.user_by_email(DEMO_EMAIL).await?.is_some() {
            return Ok(false);
        }
        let claims = json!({"name": "Foo Bar", "given_name": "Foo", "family_name": "Bar"});
        match self.insert(DEMO_EMAIL, DEMO_PASSWORD, claims).await {
            Ok(_) => Ok(true),
            // Another process created it meanwhile.
            Err(AdminError::Conflict(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The user with this email and password, or `None` — in the same time either way.
    pub async fn authenticate(
        &self,
        email: &str,
        password: &str,
    ) -> Result<Option<StoredUser>, AdminError> {
        static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
        let found = match normalise_email(email) {
            Ok(e) if password.len() <= MAX_PASSWORD * 4 => self.store.user_by_email(&e).await?,
            _ => None,
        };
        let phc = match &found {
            Some(u) => u.password_hash.clone(),
            None => DUMMY
                .get_or_try_init(|| hash_secret("not a password of anyone".into()))
                .await
                .map_err(AdminError::Internal)?
                .clone(),
        };
        let ok = verify_secret(password.to_owned(), phc).await;
        Ok(found.filter(|_| ok))
    }

    pub async fn by_id(&self, id: &str) -> Result<Option<StoredUser>, AdminError> {
        Ok(self.store.user_by_id(id).await?)
    }

    pub async fn list(&self) -> Result<Vec<StoredUser>, AdminError> {
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self.store.list_users(after.as_deref(), 500).await?;
            let done = page.len() < 500;
            after = page.last().map(|u| u.email.clone());
            all.extend(page);
            if done {
                return Ok(all);
            }
        }
    }

    /// Deletes a user by email; [`AdminError::NotFound`] when there is none.
    pub async fn delete(&self, email: &str) -> Result<(), AdminError> {
        let e = normalise_email(email)?;
        if self.store.delete_user(&e).await? {
            Ok(())
        } else {
            Err(AdminError::NotFound(format!("no user has the email {e}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::normalise_email;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(normalise_email("  Foo@Bar.COM ").unwrap(), "foo@bar.com");
        for bad in ["", "foo", "@bar.com", "foo@", "a@b@c", "a b@c.d"] {
            assert!(normalise_email(bad).is_err(), "{bad}");
        }
    }
}

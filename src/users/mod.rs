//! The built-in login app's users: creating them (checked email, argon2id-hashed password),
//! listing and deleting them, the demo user of `serve all --dev`, and checking a sign-in.
//!
//! A sign-in takes the same time whether or not the account exists: an unknown email is checked
//! against a fixed hash, so response times do not reveal which emails have accounts.

pub mod profile;
pub mod throttle;

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::{
    crypto::hash::{hash_secret, verify_secret},
    error::AdminError,
    storage::{StoreError, StoredUser, UserStore},
};

/// The demo user that `serve all --dev` creates.
pub const DEMO_EMAIL: &str = "foo@bar.com";
pub const DEMO_PASSWORD: &str = "foobar";

/// The authentication context classes (`acr`) the built-in app asserts, as levels: `"1"` for a
/// password sign-in during the request (single-factor, ISO/IEC 29115 level 1), `"0"` for a
/// remembered login (OIDC Core §2 names "a long-lived browser cookie" as the example of level 0).
pub const ACR_REMEMBERED: &str = "0";
pub const ACR_PASSWORD: &str = "1";
/// In level order: `acr_values_supported` while the built-in app signs users in.
pub const ACR_VALUES: &[&str] = &[ACR_REMEMBERED, ACR_PASSWORD];

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
        profile::check_claims(claims.as_object().ok_or_else(|| {
            AdminError::invalid("invalid_request", "a user's claims are a JSON object")
        })?)?;
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

    /// Creates the demo user unless it exists; `true` when it was created. A demo user made by
    /// an older version gets the standard claims it lacks.
    pub async fn ensure_demo_user(&self) -> Result<bool, AdminError> {
        let demo = profile::demo_claims();
        if let Some(u) = self.store.user_by_email(DEMO_EMAIL).await? {
            let mut claims = u.claims.as_object().cloned().unwrap_or_default();
            let before = claims.len();
            for (k, v) in demo.as_object().into_iter().flatten() {
                claims.entry(k.clone()).or_insert_with(|| v.clone());
            }
            if claims.len() > before {
                let now = self.clock.now().timestamp_millis();
                self.store
                    .update_user_claims(&u.id, &Value::Object(claims), now)
                    .await?;
            }
            return Ok(false);
        }
        match self.insert(DEMO_EMAIL, DEMO_PASSWORD, demo).await {
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

    /// Changes a user's claims: `set` ones are added or replaced, `unset` ones removed; every
    /// claim is checked first. The user as it is now.
    pub async fn update_claims(
        &self,
        email: &str,
        set: Map<String, Value>,
        unset: &[String],
    ) -> Result<StoredUser, AdminError> {
        profile::check_claims(&set)?;
        let e = normalise_email(email)?;
        let mut user = self
            .store
            .user_by_email(&e)
            .await?
            .ok_or_else(|| AdminError::NotFound(format!("no user has the email {e}")))?;
        let mut claims = user.claims.as_object().cloned().unwrap_or_default();
        for k in unset {
            claims.remove(k);
        }
        claims.extend(set);
        user.claims = Value::Object(claims);
        user.updated_at = self.clock.now().timestamp_millis();
        if !self
            .store
            .update_user_claims(&user.id, &user.claims, user.updated_at)
            .await?
        {
            return Err(AdminError::NotFound(format!("no user has the email {e}")));
        }
        Ok(user)
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

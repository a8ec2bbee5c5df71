//! [`UserStore`] on sea-orm.

use async_trait::async_trait;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
    sea_query::Expr,
};

use crate::coherence::Event;

use super::{SqlStore, StoreError, StoredUser, UserStore, entities::user};

fn from_model(m: user::Model) -> Result<StoredUser, StoreError> {
    let claims = serde_json::from_str(&m.claims)
        .map_err(|e| StoreError::Corrupt(format!("user {}: {e}", m.id)))?;
    Ok(StoredUser {
        id: m.id,
        email: m.email,
        password_hash: m.password_hash,
        claims,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

#[async_trait]
impl UserStore for SqlStore {
    async fn create_user(&self, u: &StoredUser) -> Result<(), StoreError> {
        let am = user::ActiveModel {
            id: Set(u.id.clone()),
            email: Set(u.email.clone()),
            password_hash: Set(u.password_hash.clone()),
            claims: Set(u.claims.to_string()),
            created_at: Set(u.created_at),
            updated_at: Set(u.updated_at),
        };
        match user::Entity::insert(am)
            .exec_without_returning(&self.db.conn)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                Err(StoreError::Conflict)
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<StoredUser>, StoreError> {
        user::Entity::find()
            .filter(user::Column::Email.eq(email))
            .all(&self.db.conn)
            .await?
            .into_iter()
            .next()
            .map(from_model)
            .transpose()
    }

    async fn user_by_id(&self, id: &str) -> Result<Option<StoredUser>, StoreError> {
        user::Entity::find_by_id(id.to_owned())
            .all(&self.db.conn)
            .await?
            .into_iter()
            .next()
            .map(from_model)
            .transpose()
    }

    async fn list_users(
        &self,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<StoredUser>, StoreError> {
        let mut q = user::Entity::find();
        if let Some(a) = after {
            q = q.filter(user::Column::Email.gt(a));
        }
        q.order_by_asc(user::Column::Email)
            .limit(limit)
            .all(&self.db.conn)
            .await?
            .into_iter()
            .map(from_model)
            .collect()
    }

    async fn update_user_claims(
        &self,
        id: &str,
        claims: &serde_json::Value,
        updated_at: i64,
    ) -> Result<bool, StoreError> {
        // Nothing caches users: their claims are read when a consent is given.
        let res = user::Entity::update_many()
            .col_expr(user::Column::Claims, Expr::value(claims.to_string()))
            .col_expr(user::Column::UpdatedAt, Expr::value(updated_at))
            .filter(user::Column::Id.eq(id))
            .exec(&self.db.conn)
            .await?;
        Ok(res.rows_affected > 0)
    }

    async fn delete_user(&self, email: &str) -> Result<bool, StoreError> {
        let txn = self.db.begin_write().await?;
        let res = user::Entity::delete_many()
            .filter(user::Column::Email.eq(email))
            .exec(&txn)
            .await?;
        let deleted = res.rows_affected > 0;
        let events = deleted.then(|| Event::UserDeleted {
            email: email.to_owned(),
        });
        self.db.commit_with(txn, events.as_slice()).await?;
        Ok(deleted)
    }
}

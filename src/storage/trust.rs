//! [`TrustStore`] on sea-orm.

use async_trait::async_trait;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    SqlErr,
};

use super::{SqlStore, StoreError, StoredTrust, TrustStore, entities::trusted_issuer as t};

fn to_active(s: &StoredTrust) -> t::ActiveModel {
    t::ActiveModel {
        id: Set(s.id.clone()),
        issuer: Set(s.issuer.clone()),
        subject: Set(s.subject.clone()),
        allow_any_subject: Set(s.allow_any_subject),
        scope: Set(s.scope.join(" ")),
        key_id: Set(s.key_id.clone()),
        jwk: Set(s.jwk.to_string()),
        created_at: Set(s.created_at),
        expires_at: Set(s.expires_at),
    }
}

fn from_model(m: t::Model) -> Result<StoredTrust, StoreError> {
    Ok(StoredTrust {
        jwk: serde_json::from_str(&m.jwk)
            .map_err(|e| StoreError::Corrupt(format!("trust {}: {e}", m.id)))?,
        id: m.id,
        issuer: m.issuer,
        subject: m.subject,
        allow_any_subject: m.allow_any_subject,
        scope: m
            .scope
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        key_id: m.key_id,
        created_at: m.created_at,
        expires_at: m.expires_at,
    })
}

fn all(rows: Vec<t::Model>) -> Result<Vec<StoredTrust>, StoreError> {
    rows.into_iter().map(from_model).collect()
}

#[async_trait]
impl TrustStore for SqlStore {
    async fn create_trust(&self, trust: &StoredTrust) -> Result<(), StoreError> {
        match t::Entity::insert(to_active(trust))
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

    async fn get_trust(&self, id: &str) -> Result<Option<StoredTrust>, StoreError> {
        // `.all()` on the primary key, not `.one()`: see `super::one_by_key`.
        let rows = t::Entity::find_by_id(id.to_owned())
            .all(&self.db.conn)
            .await?;
        rows.into_iter().next().map(from_model).transpose()
    }

    async fn list_trusts(
        &self,
        issuer: Option<&str>,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<StoredTrust>, StoreError> {
        let mut q = t::Entity::find().order_by_asc(t::Column::Id).limit(limit);
        if let Some(after) = after {
            q = q.filter(t::Column::Id.gt(after.to_owned()));
        }
        if let Some(issuer) = issuer {
            q = q.filter(t::Column::Issuer.eq(issuer.to_owned()));
        }
        all(q.all(&self.db.conn).await?)
    }

    async fn delete_trust(&self, id: &str) -> Result<bool, StoreError> {
        let res = t::Entity::delete_by_id(id.to_owned())
            .exec(&self.db.conn)
            .await?;
        Ok(res.rows_affected > 0)
    }

    async fn trusted_keys(
        &self,
        issuer: &str,
        subject: &str,
        key_id: Option<&str>,
        now_ms: i64,
    ) -> Result<Vec<StoredTrust>, StoreError> {
        let mut q = t::Entity::find()
            .filter(t::Column::Issuer.eq(issuer.to_owned()))
            .filter(
                Condition::any()
                    .add(t::Column::Subject.eq(subject.to_owned()))
                    .add(t::Column::AllowAnySubject.eq(true)),
            )
            .filter(t::Column::ExpiresAt.gt(now_ms))
            .order_by_desc(t::Column::CreatedAt)
            .limit(100);
        if let Some(kid) = key_id {
            q = q.filter(t::Column::KeyId.eq(kid.to_owned()));
        }
        all(q.all(&self.db.conn).await?)
    }

    async fn delete_expired_trusts(&self, before_ms: i64) -> Result<u64, StoreError> {
        let res = t::Entity::delete_many()
            .filter(t::Column::ExpiresAt.lt(before_ms))
            .exec(&self.db.conn)
            .await?;
        Ok(res.rows_affected)
    }
}

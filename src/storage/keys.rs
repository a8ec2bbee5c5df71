//! [`KeyStore`] on sea-orm.

use async_trait::async_trait;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, SqlErr,
};

use crate::coherence::Event;

use super::{KeyStore, SqlStore, StoreError, StoredKey, entities::jwk};

fn to_active(k: &StoredKey) -> jwk::ActiveModel {
    jwk::ActiveModel {
        seq: NotSet,
        set_id: Set(k.set_id.clone()),
        kid: Set(k.kid.clone()),
        alg: Set(k.alg.clone()),
        key_use: Set(k.key_use.clone()),
        sealed: Set(k.sealed.clone()),
        created_at: Set(k.created_at),
    }
}

fn from_model(m: jwk::Model) -> StoredKey {
    StoredKey {
        set_id: m.set_id,
        kid: m.kid,
        alg: m.alg,
        key_use: m.key_use,
        sealed: m.sealed,
        created_at: m.created_at,
    }
}

fn conflict(e: sea_orm::DbErr) -> StoreError {
    if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
        StoreError::Conflict
    } else {
        e.into()
    }
}

async fn upsert(conn: &impl ConnectionTrait, k: &StoredKey) -> Result<(), StoreError> {
    let res = jwk::Entity::update_many()
        .col_expr(jwk::Column::Alg, k.alg.clone().into())
        .col_expr(jwk::Column::KeyUse, k.key_use.clone().into())
        .col_expr(jwk::Column::Sealed, k.sealed.clone().into())
        .filter(jwk::Column::SetId.eq(k.set_id.clone()))
        .filter(jwk::Column::Kid.eq(k.kid.clone()))
        .exec(conn)
        .await?;
    if res.rows_affected == 0 {
        jwk::Entity::insert(to_active(k))
            .exec_without_returning(conn)
            .await
            .map_err(conflict)?;
    }
    Ok(())
}

async fn insert_all(conn: &impl ConnectionTrait, keys: &[StoredKey]) -> Result<(), StoreError> {
    for k in keys {
        jwk::Entity::insert(to_active(k))
            .exec_without_returning(conn)
            .await
            .map_err(conflict)?;
    }
    Ok(())
}

fn changed(set: &str) -> Event {
    Event::KeySetChanged {
        set: set.to_owned(),
    }
}

#[async_trait]
impl KeyStore for SqlStore {
    async fn insert_keys(&self, keys: &[StoredKey]) -> Result<(), StoreError> {
        let tx = self.db.begin_write().await?;
        insert_all(&tx, keys).await?;
        let mut sets: Vec<&str> = keys.iter().map(|k| k.set_id.as_str()).collect();
        sets.sort_unstable();
        sets.dedup();
        let events: Vec<Event> = sets.into_iter().map(changed).collect();
        self.db.commit_with(tx, &events).await?;
        Ok(())
    }

    async fn put_key(&self, key: &StoredKey) -> Result<(), StoreError> {
        let tx = self.db.begin_write().await?;
        upsert(&tx, key).await?;
        self.db.commit_with(tx, &[changed(&key.set_id)]).await?;
        Ok(())
    }

    async fn replace_set(&self, set_id: &str, keys: &[StoredKey]) -> Result<(), StoreError> {
        let tx = self.db.begin_write().await?;
        jwk::Entity::delete_many()
            .filter(jwk::Column::SetId.eq(set_id.to_owned()))
            .exec(&tx)
            .await?;
        insert_all(&tx, keys).await?;
        self.db.commit_with(tx, &[changed(set_id)]).await?;
        Ok(())
    }

    async fn list_set(&self, set_id: &str) -> Result<Vec<StoredKey>, StoreError> {
        Ok(jwk::Entity::find()
            .filter(jwk::Column::SetId.eq(set_id.to_owned()))
            .order_by_desc(jwk::Column::Seq)
            .all(&self.db.conn)
            .await?
            .into_iter()
            .map(from_model)
            .collect())
    }

    async fn delete_key(&self, set_id: &str, kid: &str) -> Result<bool, StoreError> {
        let tx = self.db.begin_write().await?;
        let res = jwk::Entity::delete_many()
            .filter(jwk::Column::SetId.eq(set_id.to_owned()))
            .filter(jwk::Column::Kid.eq(kid.to_owned()))
            .exec(&tx)
            .await?;
        let deleted = res.rows_affected > 0;
        let events = deleted.then(|| changed(set_id));
        self.db.commit_with(tx, events.as_slice()).await?;
        Ok(deleted)
    }

    async fn delete_set(&self, set_id: &str) -> Result<u64, StoreError> {
        let tx = self.db.begin_write().await?;
        let res = jwk::Entity::delete_many()
            .filter(jwk::Column::SetId.eq(set_id.to_owned()))
            .exec(&tx)
            .await?;
        let events = (res.rows_affected > 0).then(|| changed(set_id));
        self.db.commit_with(tx, events.as_slice()).await?;
        Ok(res.rows_affected)
    }
}

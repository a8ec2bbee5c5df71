//! [`ClientStore`] on sea-orm.

use async_trait::async_trait;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};

use crate::coherence::Event;

use super::{
    ClientFilter, ClientStore, SqlStore, StoreError, StoredClient,
    entities::{client, token},
};

fn to_active(c: &StoredClient) -> client::ActiveModel {
    client::ActiveModel {
        id: Set(c.id.clone()),
        secret_hash: Set(c.secret_hash.clone()),
        rotated_secret_hashes: Set((!c.rotated_secret_hashes.is_empty())
            .then(|| serde_json::to_string(&c.rotated_secret_hashes).unwrap_or_default())),
        registration_token_hash: Set(c.registration_token_hash.clone()),
        client_name: Set(c.client_name.clone()),
        owner: Set(c.owner.clone()),
        document: Set(c.document.clone()),
        created_at: Set(c.created_at),
        updated_at: Set(c.updated_at),
    }
}

fn from_model(m: client::Model) -> StoredClient {
    StoredClient {
        id: m.id,
        secret_hash: m.secret_hash,
        rotated_secret_hashes: m
            .rotated_secret_hashes
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default(),
        registration_token_hash: m.registration_token_hash,
        client_name: m.client_name,
        owner: m.owner,
        document: m.document,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

#[async_trait]
impl ClientStore for SqlStore {
    async fn create_client(&self, c: &StoredClient) -> Result<(), StoreError> {
        match client::Entity::insert(to_active(c))
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

    async fn get_client(&self, id: &str) -> Result<Option<StoredClient>, StoreError> {
        // `.all()` on the primary key, not `.one()`: see `super::one_by_key`.
        Ok(client::Entity::find_by_id(id.to_owned())
            .all(&self.db.conn)
            .await?
            .into_iter()
            .next()
            .map(from_model))
    }

    async fn update_client(&self, c: &StoredClient) -> Result<bool, StoreError> {
        let mut am = to_active(c);
        am.created_at = sea_orm::ActiveValue::NotSet;
        let txn = self.db.begin_write().await?;
        let res = client::Entity::update_many()
            .set(am)
            .filter(client::Column::Id.eq(c.id.clone()))
            .exec(&txn)
            .await?;
        let changed = res.rows_affected > 0;
        let events = changed.then(|| Event::ClientChanged { id: c.id.clone() });
        self.db.commit_with(txn, events.as_slice()).await?;
        Ok(changed)
    }

    /// Deletes the client and, in the same transaction, every token issued to it (as Hydra's
    /// foreign keys cascade): a deleted client's tokens must not stay active.
    async fn delete_client(&self, id: &str) -> Result<bool, StoreError> {
        let tx = self.db.begin_write().await?;
        let res = client::Entity::delete_by_id(id.to_owned())
            .exec(&tx)
            .await?;
        let deleted = res.rows_affected > 0;
        if deleted {
            token::Entity::delete_many()
                .filter(token::Column::ClientId.eq(id.to_owned()))
                .exec(&tx)
                .await?;
        }
        let events = deleted.then(|| Event::ClientDeleted { id: id.to_owned() });
        self.db.commit_with(tx, events.as_slice()).await?;
        Ok(deleted)
    }

    async fn list_clients(
        &self,
        filter: &ClientFilter,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<StoredClient>, StoreError> {
        let mut q = client::Entity::find()
            .order_by_asc(client::Column::Id)
            .limit(limit);
        if let Some(after) = after {
            q = q.filter(client::Column::Id.gt(after.to_owned()));
        }
        if let Some(name) = &filter.client_name {
            q = q.filter(client::Column::ClientName.eq(name.clone()));
        }
        if let Some(owner) = &filter.owner {
            q = q.filter(client::Column::Owner.eq(owner.clone()));
        }
        Ok(q.all(&self.db.conn)
            .await?
            .into_iter()
            .map(from_model)
            .collect())
    }
}

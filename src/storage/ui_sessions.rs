//! tower-sessions' [`SessionStore`] on our database, for the built-in login app: records as JSON,
//! expired ones never loaded (and deleted by the janitor).

use async_trait::async_trait;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use tower_sessions_core::{
    SessionStore,
    session::{Id, Record},
    session_store::{Error, Result},
};

use super::{Db, entities::ui_session};

#[derive(Clone, Debug)]
pub struct UiSessionStore {
    db: Db,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
}

impl UiSessionStore {
    pub fn new(db: Db, clock: std::sync::Arc<dyn crate::clock::Clock>) -> Self {
        Self { db, clock }
    }

    /// Deletes expired sessions; returns how many.
    pub async fn delete_expired(&self, now_ms: i64) -> std::result::Result<u64, sea_orm::DbErr> {
        Ok(ui_session::Entity::delete_many()
            .filter(ui_session::Column::ExpiresAt.lt(now_ms))
            .exec(&self.db.conn)
            .await?
            .rows_affected)
    }
}

fn backend(e: impl std::fmt::Display) -> Error {
    Error::Backend(e.to_string())
}

fn millis(t: time::OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

#[async_trait]
impl SessionStore for UiSessionStore {
    async fn save(&self, record: &Record) -> Result<()> {
        let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        let am = ui_session::ActiveModel {
            id: Set(record.id.to_string()),
            data: Set(data),
            expires_at: Set(millis(record.expiry_date)),
        };
        let txn = self.db.begin_write().await.map_err(backend)?;
        ui_session::Entity::delete_by_id(record.id.to_string())
            .exec(&txn)
            .await
            .map_err(backend)?;
        ui_session::Entity::insert(am)
            .exec_without_returning(&txn)
            .await
            .map_err(backend)?;
        txn.commit().await.map_err(backend)
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let now = self.clock.now().timestamp_millis();
        let Some(m) = ui_session::Entity::find_by_id(id.to_string())
            .all(&self.db.conn)
            .await
            .map_err(backend)?
            .into_iter()
            .next()
            .filter(|m| m.expires_at > now)
        else {
            return Ok(None);
        };
        let data = serde_json::from_str(&m.data).map_err(|e| Error::Decode(e.to_string()))?;
        let expiry_date =
            time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(m.expires_at) * 1_000_000)
                .map_err(|e| Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        let txn = self.db.conn.begin().await.map_err(backend)?;
        ui_session::Entity::delete_by_id(id.to_string())
            .exec(&txn)
            .await
            .map_err(backend)?;
        txn.commit().await.map_err(backend)
    }
}

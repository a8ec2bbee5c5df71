//! [`TokenStore`] on sea-orm: rows keyed by token signature.
//!
//! Inserting and spending tokens are the writes on the issuing hot path: they go through the
//! group-commit writer (see [`super::writer`]).

use async_trait::async_trait;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};

use crate::coherence::Event;

use super::{
    SqlStore, StoreError, StoredToken, TokenStore,
    entities::{assertion_jti, token},
    writer::{Op, WriteError},
};

/// A writer failure as a store error.
pub(super) fn write_error(e: WriteError) -> StoreError {
    match e {
        WriteError::Conflict => StoreError::Conflict,
        WriteError::Db(m) => StoreError::Db(sea_orm::DbErr::Custom(m)),
    }
}

fn from_model(m: token::Model) -> Result<StoredToken, StoreError> {
    let corrupt =
        |e: serde_json::Error| StoreError::Corrupt(format!("token {}: {e}", m.request_id));
    Ok(StoredToken {
        audience: serde_json::from_str(&m.audience).map_err(corrupt)?,
        extra: serde_json::from_str(&m.extra).map_err(corrupt)?,
        signature: m.signature,
        kind: m.kind,
        request_id: m.request_id,
        client_id: m.client_id,
        subject: m.subject,
        scope: m.scope,
        issued_at: m.issued_at,
        expires_at: m.expires_at,
        active: m.active,
    })
}

pub(super) fn to_active(t: &StoredToken) -> Result<token::ActiveModel, StoreError> {
    Ok(token::ActiveModel {
        signature: Set(t.signature.clone()),
        kind: Set(t.kind.clone()),
        request_id: Set(t.request_id.clone()),
        client_id: Set(t.client_id.clone()),
        subject: Set(t.subject.clone()),
        scope: Set(t.scope.clone()),
        audience: Set(
            serde_json::to_string(&t.audience).map_err(|e| StoreError::Corrupt(e.to_string()))?
        ),
        extra: Set(t.extra.to_string()),
        issued_at: Set(t.issued_at),
        expires_at: Set(t.expires_at),
        active: Set(t.active),
    })
}

#[async_trait]
impl TokenStore for SqlStore {
    async fn insert_token(&self, t: &StoredToken) -> Result<(), StoreError> {
        self.db
            .writer()
            .write(Op::Insert(to_active(t)?))
            .await
            .map(|_| ())
            .map_err(write_error)
    }

    async fn get_token(&self, signature: &str) -> Result<Option<StoredToken>, StoreError> {
        // `.all()` on the primary key, not `.one()`: see `super::one_by_key`.
        token::Entity::find_by_id(signature.to_owned())
            .all(&self.db.conn)
            .await?
            .into_iter()
            .next()
            .map(from_model)
            .transpose()
    }

    async fn revoke_request(&self, request_id: &str) -> Result<u64, StoreError> {
        let txn = self.db.begin_write().await?;
        let res = token::Entity::update_many()
            .col_expr(token::Column::Active, Expr::value(false))
            .filter(token::Column::RequestId.eq(request_id.to_owned()))
            .exec(&txn)
            .await?;
        // Emitted even when no row changed here: a node holding a stale record must drop it.
        let events = [Event::FamilyRevoked {
            family: request_id.to_owned(),
        }];
        self.db.commit_with(txn, &events).await?;
        Ok(res.rows_affected)
    }

    async fn delete_client_tokens(&self, client_id: &str) -> Result<u64, StoreError> {
        let txn = self.db.begin_write().await?;
        let res = token::Entity::delete_many()
            .filter(token::Column::ClientId.eq(client_id.to_owned()))
            .exec(&txn)
            .await?;
        let events = [Event::ClientTokensDeleted {
            client: client_id.to_owned(),
        }];
        self.db.commit_with(txn, &events).await?;
        Ok(res.rows_affected)
    }

    async fn remember_jti(&self, id: &str, expires_at_ms: i64) -> Result<bool, StoreError> {
        let am = assertion_jti::ActiveModel {
            id: Set(id.to_owned()),
            expires_at: Set(expires_at_ms),
        };
        match assertion_jti::Entity::insert(am)
            .exec_without_returning(&self.db.conn)
            .await
        {
            Ok(_) => Ok(true),
            Err(e)
                if matches!(
                    e.sql_err(),
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn exchange(
        &self,
        spend: &str,
        revoke_access_of: Option<&str>,
        issue: &[StoredToken],
    ) -> Result<bool, StoreError> {
        let rows = issue.iter().map(to_active).collect::<Result<Vec<_>, _>>()?;
        self.db
            .writer()
            .write(Op::Exchange {
                spend: spend.to_owned(),
                revoke_access_of: revoke_access_of.map(str::to_owned),
                issue: rows,
            })
            .await
            .map_err(write_error)
    }

    /// No event: every reader checks expiry itself, so a cached expired record says nothing
    /// wrong.
    async fn delete_expired(&self, before_ms: i64) -> Result<u64, StoreError> {
        assertion_jti::Entity::delete_many()
            .filter(assertion_jti::Column::ExpiresAt.lt(before_ms))
            .exec(&self.db.conn)
            .await?;
        super::entities::device_code::Entity::delete_many()
            .filter(super::entities::device_code::Column::ExpiresAt.lt(before_ms))
            .exec(&self.db.conn)
            .await?;
        let res = token::Entity::delete_many()
            .filter(token::Column::ExpiresAt.lt(before_ms))
            .exec(&self.db.conn)
            .await?;
        Ok(res.rows_affected)
    }
}

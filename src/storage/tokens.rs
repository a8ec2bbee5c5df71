//! [`TokenStore`] on sea-orm: rows keyed by token signature.

use async_trait::async_trait;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};

use super::{SqlStore, StoreError, StoredToken, TokenStore, entities::token};

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

#[async_trait]
impl TokenStore for SqlStore {
    async fn insert_token(&self, t: &StoredToken) -> Result<(), StoreError> {
        let am = token::ActiveModel {
            signature: Set(t.signature.clone()),
            kind: Set(t.kind.clone()),
            request_id: Set(t.request_id.clone()),
            client_id: Set(t.client_id.clone()),
            subject: Set(t.subject.clone()),
            scope: Set(t.scope.clone()),
            audience: Set(serde_json::to_string(&t.audience)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?),
            extra: Set(t.extra.to_string()),
            issued_at: Set(t.issued_at),
            expires_at: Set(t.expires_at),
            active: Set(t.active),
        };
        token::Entity::insert(am)
            .exec_without_returning(&self.db.conn)
            .await?;
        Ok(())
    }

    async fn get_token(&self, signature: &str) -> Result<Option<StoredToken>, StoreError> {
        token::Entity::find_by_id(signature.to_owned())
            .one(&self.db.conn)
            .await?
            .map(from_model)
            .transpose()
    }

    async fn revoke_request(&self, request_id: &str) -> Result<u64, StoreError> {
        let res = token::Entity::update_many()
            .col_expr(token::Column::Active, Expr::value(false))
            .filter(token::Column::RequestId.eq(request_id.to_owned()))
            .exec(&self.db.conn)
            .await?;
        Ok(res.rows_affected)
    }

    async fn delete_client_tokens(&self, client_id: &str) -> Result<u64, StoreError> {
        let res = token::Entity::delete_many()
            .filter(token::Column::ClientId.eq(client_id.to_owned()))
            .exec(&self.db.conn)
            .await?;
        Ok(res.rows_affected)
    }

    async fn delete_expired(&self, before_ms: i64) -> Result<u64, StoreError> {
        let res = token::Entity::delete_many()
            .filter(token::Column::ExpiresAt.lt(before_ms))
            .exec(&self.db.conn)
            .await?;
        Ok(res.rows_affected)
    }
}

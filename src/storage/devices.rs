//! [`DeviceStore`] on sea-orm: RFC 8628 device authorizations. Every change of state is one
//! conditional `UPDATE` (pending → accepted or denied, accepted → spent), so a device code is
//! redeemed once and a user code completes one flow, whichever nodes the requests reach. Nothing
//! here is cached, so no write emits a cache event.

use async_trait::async_trait;
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, EntityTrait, QueryFilter, SqlErr,
    sea_query::{Expr, ExprTrait},
};

use super::{
    DeviceState, DeviceStore, SqlStore, StoreError, StoredDevice, StoredFlow, StoredToken,
    entities::{device_code, flow, token},
};

fn from_model(m: device_code::Model) -> Result<StoredDevice, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("device {}: {what}", m.request_id));
    Ok(StoredDevice {
        state: DeviceState::of(m.state).ok_or_else(|| corrupt("unknown state"))?,
        audience: serde_json::from_str(&m.audience).map_err(|e| corrupt(&e.to_string()))?,
        scope: m
            .scope
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        signature: m.signature,
        user_code: m.user_code,
        request_id: m.request_id,
        client_id: m.client_id,
        interval_ms: m.interval_ms,
        polled_at: m.polled_at,
        requested_at: m.requested_at,
        expires_at: m.expires_at,
    })
}

fn first(found: Vec<device_code::Model>) -> Result<Option<StoredDevice>, StoreError> {
    found.into_iter().next().map(from_model).transpose()
}

fn unique_violation(e: &sea_orm::DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

impl SqlStore {
    /// Moves a device authorization from one state to another if it is in `from`; `true` when
    /// this call did it.
    async fn transition(
        conn: &impl sea_orm::ConnectionTrait,
        column: device_code::Column,
        key: &str,
        from: DeviceState,
        to: DeviceState,
        unexpired_at: Option<i64>,
    ) -> Result<bool, StoreError> {
        let mut update = device_code::Entity::update_many()
            .col_expr(device_code::Column::State, Expr::value(to.code()))
            .filter(column.eq(key))
            .filter(device_code::Column::State.eq(from.code()));
        if let Some(now) = unexpired_at {
            update = update.filter(device_code::Column::ExpiresAt.gt(now));
        }
        Ok(update.exec(conn).await?.rows_affected == 1)
    }
}

#[async_trait]
impl DeviceStore for SqlStore {
    async fn create_device(&self, d: &StoredDevice) -> Result<(), StoreError> {
        let row = device_code::ActiveModel {
            signature: Set(d.signature.clone()),
            user_code: Set(d.user_code.clone()),
            request_id: Set(d.request_id.clone()),
            client_id: Set(d.client_id.clone()),
            scope: Set(d.scope.join(" ")),
            audience: Set(serde_json::to_string(&d.audience)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?),
            state: Set(d.state.code()),
            interval_ms: Set(d.interval_ms),
            polled_at: Set(d.polled_at),
            requested_at: Set(d.requested_at),
            expires_at: Set(d.expires_at),
        };
        match device_code::Entity::insert(row)
            .exec_without_returning(&self.db.conn)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if unique_violation(&e) => Err(StoreError::Conflict),
            Err(e) => Err(e.into()),
        }
    }

    async fn device_by_user_code(
        &self,
        digests: &[String],
    ) -> Result<Option<StoredDevice>, StoreError> {
        first(
            device_code::Entity::find()
                .filter(device_code::Column::UserCode.is_in(digests.iter().cloned()))
                .all(&self.db.conn)
                .await?,
        )
    }

    async fn device_by_request(
        &self,
        request_id: &str,
    ) -> Result<Option<StoredDevice>, StoreError> {
        first(
            device_code::Entity::find()
                .filter(device_code::Column::RequestId.eq(request_id))
                .all(&self.db.conn)
                .await?,
        )
    }

    async fn device_by_code(&self, signature: &str) -> Result<Option<StoredDevice>, StoreError> {
        // `.all()` on the primary key: see `super::one_by_key`.
        first(
            device_code::Entity::find_by_id(signature.to_owned())
                .all(&self.db.conn)
                .await?,
        )
    }

    async fn poll_device(
        &self,
        signature: &str,
        now_ms: i64,
        slow_down_ms: i64,
    ) -> Result<bool, StoreError> {
        let in_time = device_code::Entity::update_many()
            .col_expr(device_code::Column::PolledAt, Expr::value(now_ms))
            .filter(device_code::Column::Signature.eq(signature))
            .filter(
                Expr::col(device_code::Column::PolledAt)
                    .add(Expr::col(device_code::Column::IntervalMs))
                    .lte(now_ms),
            )
            .exec(&self.db.conn)
            .await?
            .rows_affected
            == 1;
        if !in_time {
            device_code::Entity::update_many()
                .col_expr(device_code::Column::PolledAt, Expr::value(now_ms))
                .col_expr(
                    device_code::Column::IntervalMs,
                    Expr::col(device_code::Column::IntervalMs).add(slow_down_ms),
                )
                .filter(device_code::Column::Signature.eq(signature))
                .exec(&self.db.conn)
                .await?;
        }
        Ok(in_time)
    }

    async fn accept_device(&self, f: &StoredFlow, now_ms: i64) -> Result<bool, StoreError> {
        let row = super::flows::to_active(f)?;
        let txn = self.db.begin_write().await?;
        let accepted = Self::transition(
            &txn,
            device_code::Column::RequestId,
            &f.id,
            DeviceState::Pending,
            DeviceState::Accepted,
            Some(now_ms),
        )
        .await?;
        if !accepted {
            txn.rollback().await?;
            return Ok(false);
        }
        match flow::Entity::insert(row).exec_without_returning(&txn).await {
            Ok(_) => {}
            Err(e) if unique_violation(&e) => return Err(StoreError::Conflict),
            Err(e) => return Err(e.into()),
        }
        self.db.commit_with(txn, &[]).await?;
        Ok(true)
    }

    async fn deny_device(&self, request_id: &str) -> Result<bool, StoreError> {
        Self::transition(
            &self.db.conn,
            device_code::Column::RequestId,
            request_id,
            DeviceState::Pending,
            DeviceState::Denied,
            None,
        )
        .await
    }

    async fn redeem_device(
        &self,
        signature: &str,
        tokens: &[StoredToken],
    ) -> Result<bool, StoreError> {
        let rows = tokens
            .iter()
            .map(super::tokens::to_active)
            .collect::<Result<Vec<_>, _>>()?;
        let txn = self.db.begin_write().await?;
        let spent = Self::transition(
            &txn,
            device_code::Column::Signature,
            signature,
            DeviceState::Accepted,
            DeviceState::Spent,
            None,
        )
        .await?;
        if !spent {
            txn.rollback().await?;
            return Ok(false);
        }
        if !rows.is_empty() {
            token::Entity::insert_many(rows)
                .exec_without_returning(&txn)
                .await?;
        }
        self.db.commit_with(txn, &[]).await?;
        Ok(true)
    }
}

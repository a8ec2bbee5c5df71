//! [`FlowStore`] on sea-orm: completed flows (consent sessions) and remembered login sessions.

use async_trait::async_trait;
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
    sea_query::{Expr, ExprTrait, Query},
};

use crate::coherence::Event;

use super::{
    FlowStore, LoginSession, SqlStore, StoreError, StoredFlow, StoredToken,
    entities::{flow, login_session, token},
    tokens::{to_active as token_row, write_error},
    writer::Op,
};

fn corrupt(id: &str) -> impl Fn(serde_json::Error) -> StoreError + '_ {
    move |e| StoreError::Corrupt(format!("flow {id}: {e}"))
}

fn to_json<T: serde::Serialize>(id: &str, v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(corrupt(id))
}

pub(super) fn to_active(f: &StoredFlow) -> Result<flow::ActiveModel, StoreError> {
    Ok(flow::ActiveModel {
        id: Set(f.id.clone()),
        client_id: Set(f.client_id.clone()),
        subject: Set(f.subject.clone()),
        login_session_id: Set(f.login_session_id.clone()),
        consent_skip: Set(f.consent_skip),
        remember: Set(f.remember),
        remember_until: Set(f.remember_until),
        granted_scope: Set(f.granted_scope.join(" ")),
        granted_audience: Set(to_json(&f.id, &f.granted_audience)?),
        document: Set(to_json(&f.id, &f.document)?),
        created_at: Set(f.created_at),
    })
}

fn from_model(m: flow::Model) -> Result<StoredFlow, StoreError> {
    let granted_audience = serde_json::from_str(&m.granted_audience).map_err(corrupt(&m.id))?;
    let document = serde_json::from_str(&m.document).map_err(corrupt(&m.id))?;
    Ok(StoredFlow {
        granted_scope: m
            .granted_scope
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        granted_audience,
        document,
        id: m.id,
        client_id: m.client_id,
        subject: m.subject,
        login_session_id: m.login_session_id,
        consent_skip: m.consent_skip,
        remember: m.remember,
        remember_until: m.remember_until,
        created_at: m.created_at,
    })
}

fn all(models: Vec<flow::Model>) -> Result<Vec<StoredFlow>, StoreError> {
    models.into_iter().map(from_model).collect()
}

#[async_trait]
impl FlowStore for SqlStore {
    async fn complete_flow(
        &self,
        f: &StoredFlow,
        tokens: &[StoredToken],
    ) -> Result<(), StoreError> {
        let row = to_active(f)?;
        let tokens = tokens.iter().map(token_row).collect::<Result<_, _>>()?;
        self.db
            .writer()
            .write(Op::Complete(Box::new(row), tokens))
            .await
            .map(|_| ())
            .map_err(write_error)
    }

    async fn get_flow(&self, id: &str) -> Result<Option<StoredFlow>, StoreError> {
        // `.all()` on the primary key: see `super::one_by_key`.
        flow::Entity::find_by_id(id.to_owned())
            .all(&self.db.conn)
            .await?
            .into_iter()
            .next()
            .map(from_model)
            .transpose()
    }

    async fn remembered_consent(
        &self,
        subject: &str,
        client_id: &str,
        now_ms: i64,
    ) -> Result<Option<StoredFlow>, StoreError> {
        let found = flow::Entity::find()
            .filter(flow::Column::Subject.eq(subject))
            .filter(flow::Column::ClientId.eq(client_id))
            .filter(flow::Column::Remember.eq(true))
            .filter(flow::Column::ConsentSkip.eq(false))
            .filter(
                Condition::any()
                    .add(flow::Column::RememberUntil.is_null())
                    .add(flow::Column::RememberUntil.gt(now_ms)),
            )
            .order_by_desc(flow::Column::CreatedAt)
            .limit(1)
            .all(&self.db.conn)
            .await?;
        found.into_iter().next().map(from_model).transpose()
    }

    async fn list_consents(
        &self,
        subject: &str,
        login_session_id: Option<&str>,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<StoredFlow>, StoreError> {
        let mut q = flow::Entity::find()
            .filter(flow::Column::Subject.eq(subject))
            .filter(flow::Column::ConsentSkip.eq(false));
        if let Some(sid) = login_session_id {
            q = q.filter(flow::Column::LoginSessionId.eq(sid));
        }
        if let Some(after) = after {
            q = q.filter(flow::Column::Id.gt(after));
        }
        all(q
            .order_by_asc(flow::Column::Id)
            .limit(limit)
            .all(&self.db.conn)
            .await?)
    }

    async fn revoke_consents(
        &self,
        subject: &str,
        client_id: Option<&str>,
    ) -> Result<u64, StoreError> {
        let mut which = Condition::all().add(flow::Column::Subject.eq(subject));
        if let Some(c) = client_id {
            which = which.add(flow::Column::ClientId.eq(c));
        }
        let txn = self.db.begin_write().await?;
        // Tokens first: their request id is the flow id (RFC 7009 §2.1 — revoking a grant
        // revokes the tokens issued from it).
        token::Entity::delete_many()
            .filter(
                token::Column::RequestId.in_subquery(
                    Query::select()
                        .column(flow::Column::Id)
                        .from(flow::Entity)
                        .cond_where(which.clone())
                        .to_owned(),
                ),
            )
            .exec(&txn)
            .await?;
        let res = flow::Entity::delete_many().filter(which).exec(&txn).await?;
        let events = [Event::ConsentsRevoked {
            subject: subject.to_owned(),
            client: client_id.map(str::to_owned),
        }];
        self.db.commit_with(txn, &events).await?;
        Ok(res.rows_affected)
    }

    async fn session_flows(&self, login_session_id: &str) -> Result<Vec<StoredFlow>, StoreError> {
        all(flow::Entity::find()
            .filter(flow::Column::LoginSessionId.eq(login_session_id))
            .all(&self.db.conn)
            .await?)
    }

    /// No event: it inserts a new session or extends one (a new `authenticated_at`); nothing
    /// caches login sessions, and a future cache would read a missing or older session as
    /// "log in again", never as a login that did not happen.
    async fn put_login_session(
        &self,
        s: &LoginSession,
        cookie_digest: &str,
    ) -> Result<(), StoreError> {
        let am = login_session::ActiveModel {
            id: Set(s.id.clone()),
            subject: Set(s.subject.clone()),
            authenticated_at: Set(s.authenticated_at),
            expires_at: Set(s.expires_at),
            cookie_digest: Set(Some(cookie_digest.to_owned())),
        };
        let txn = self.db.conn.begin().await?;
        login_session::Entity::delete_by_id(s.id.clone())
            .exec(&txn)
            .await?;
        login_session::Entity::insert(am)
            .exec_without_returning(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    async fn get_login_session(&self, id: &str) -> Result<Option<LoginSession>, StoreError> {
        Ok(login_session::Entity::find_by_id(id.to_owned())
            .all(&self.db.conn)
            .await?
            .into_iter()
            .next()
            .map(login_session_of))
    }

    async fn login_session_by_cookie(
        &self,
        cookie_digest: &str,
    ) -> Result<Option<LoginSession>, StoreError> {
        Ok(login_session::Entity::find()
            .filter(login_session::Column::CookieDigest.eq(cookie_digest))
            .all(&self.db.conn)
            .await?
            .into_iter()
            .next()
            .map(login_session_of))
    }

    async fn delete_login_sessions(
        &self,
        subject: Option<&str>,
        id: Option<&str>,
    ) -> Result<u64, StoreError> {
        let mut q = login_session::Entity::delete_many();
        if let Some(s) = subject {
            q = q.filter(login_session::Column::Subject.eq(s));
        }
        if let Some(id) = id {
            q = q.filter(login_session::Column::Id.eq(id));
        }
        let txn = self.db.begin_write().await?;
        let n = q.exec(&txn).await?.rows_affected;
        let events = (n > 0).then(|| Event::LoginSessionsEnded {
            subject: subject.map(str::to_owned),
            id: id.map(str::to_owned),
        });
        self.db.commit_with(txn, events.as_slice()).await?;
        Ok(n)
    }

    /// No event: expired sessions are refused on read, and the flows deleted have no token left
    /// that could be presented with them.
    async fn delete_finished(&self, now_ms: i64) -> Result<(u64, u64), StoreError> {
        let sessions = login_session::Entity::delete_many()
            .filter(login_session::Column::ExpiresAt.lt(now_ms))
            .exec(&self.db.conn)
            .await?
            .rows_affected;
        let tokens_left = Query::select()
            .expr(Expr::val(1))
            .from(token::Entity)
            .and_where(
                Expr::col((token::Entity, token::Column::RequestId))
                    .equals((flow::Entity, flow::Column::Id)),
            )
            .to_owned();
        // A device flow waits for its device's poll with no token yet.
        let device_waiting = Query::select()
            .expr(Expr::val(1))
            .from(super::entities::device_code::Entity)
            .and_where(
                Expr::col((
                    super::entities::device_code::Entity,
                    super::entities::device_code::Column::RequestId,
                ))
                .equals((flow::Entity, flow::Column::Id)),
            )
            .to_owned();
        let flows = flow::Entity::delete_many()
            .filter(Expr::exists(tokens_left).not())
            .filter(Expr::exists(device_waiting).not())
            .filter(
                Condition::any()
                    .add(flow::Column::Remember.eq(false))
                    .add(flow::Column::RememberUntil.lt(now_ms)),
            )
            .exec(&self.db.conn)
            .await?
            .rows_affected;
        Ok((flows, sessions))
    }
}

fn login_session_of(m: login_session::Model) -> LoginSession {
    LoginSession {
        id: m.id,
        subject: m.subject,
        authenticated_at: m.authenticated_at,
        expires_at: m.expires_at,
    }
}

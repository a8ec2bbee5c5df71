//! Group commit for the hot-path writes: token inserts, completed flows (with their codes) and
//! spending a code or refresh token. One writer task takes every write waiting at that moment and
//! commits them together — one statement for the token rows, one transaction for everything — so
//! under load one commit (one fsync on SQLite) carries dozens of writes. Each caller gets its
//! answer only after its write is committed, so durability is unchanged.
//!
//! If a batch fails as a whole (say a replayed consent verifier hits the primary key of its flow),
//! its writes are applied again one by one, so one bad write never fails the others.
//!
//! On a SQLite file the writer has a connection of its own (`writer_opts`), whose page cache no
//! other writer invalidates, and a second task runs WAL checkpoints off the write path once a
//! second (PASSIVE: it never blocks the writer; SQLite's automatic checkpoint would run inside a
//! commit and stall every waiting request). A background pass can never backfill the frames
//! appended while it runs, and SQLite only starts the WAL file over once every frame is
//! backfilled, so under sustained load the WAL would grow without bound (1.4 GB after 176k tokens,
//! measured). So after each background pass the writer runs one more PASSIVE checkpoint itself,
//! between two batches: it only has the few frames written since, it completes, and the next
//! write starts the WAL over.

use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicU64, Ordering},
};

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, SqlErr,
    TransactionTrait, sea_query::Expr,
};
use tokio::sync::{mpsc, oneshot};

use super::entities::{flow, token};
use crate::{
    coherence::Event,
    coherence::Publisher,
    tasks::{Stop, Tasks, stopped},
};

/// One write.
// Insert, the hot path's write, stays unboxed: one allocation fewer per token.
#[allow(clippy::large_enum_variant)]
pub(super) enum Op {
    /// Insert a token row.
    Insert(token::ActiveModel),
    /// Insert a completed flow and its tokens; conflicts when the flow exists.
    Complete(Box<flow::ActiveModel>, Vec<token::ActiveModel>),
    /// Mark an active token inactive; if this write did it (`true`), also revoke the access tokens
    /// of a request and insert new tokens.
    Exchange {
        spend: String,
        revoke_access_of: Option<String>,
        issue: Vec<token::ActiveModel>,
    },
}

/// Why a write failed.
#[derive(Clone, Debug)]
pub(super) enum WriteError {
    Conflict,
    Db(String),
}

type Reply = oneshot::Sender<Result<bool, WriteError>>;

/// The most writes one batch carries (token rows have 11 columns: well under every bind limit).
const MAX_BATCH: usize = 256;

/// Handle to the writer task.
#[derive(Debug)]
pub struct Writer {
    tx: mpsc::UnboundedSender<(Op, Reply)>,
}

impl Writer {
    /// Starts the writer task (see the module docs) among `tasks`; at their shutdown it commits
    /// what is queued and stops.
    pub(super) fn start(
        conn: DatabaseConnection,
        writer_opts: Option<sea_orm::ConnectOptions>,
        kind: super::DsnKind,
        changes: Arc<Publisher>,
        tasks: &Tasks,
    ) -> Self {
        let dialect = Dialect {
            sqlite: matches!(kind, super::DsnKind::Sqlite | super::DsnKind::Memory),
            // MySQL/MariaDB have no `UPDATE … RETURNING`.
            returning: kind != super::DsnKind::Mysql,
        };
        let (tx, mut rx) = mpsc::unbounded_channel::<(Op, Reply)>();
        let written = Arc::new(AtomicU64::new(0));
        let pass_done = Arc::new(AtomicBool::new(false));
        if writer_opts.is_some() {
            let (conn, written, pass_done) = (conn.clone(), written.clone(), pass_done.clone());
            tasks.supervise("wal-checkpointer", move |stop| {
                checkpointer(conn.clone(), written.clone(), pass_done.clone(), stop)
            });
        }
        let mut stop = tasks.stop_signal();
        tasks.spawn("writer", async move {
            let wconn = match writer_opts {
                Some(o) => match sea_orm::Database::connect(o).await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(error = %e, "writer: own connection failed, using the pool");
                        conn.clone()
                    }
                },
                None => conn.clone(),
            };
            let mut stopping = false;
            loop {
                let first = if stopping {
                    rx.recv().await
                } else {
                    tokio::select! {
                        p = rx.recv() => p,
                        () = stopped(&mut stop) => {
                            // No new writes; those queued are committed below.
                            stopping = true;
                            rx.close();
                            continue;
                        }
                    }
                };
                let Some(first) = first else { break };
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(p) => batch.push(p),
                        Err(_) => break,
                    }
                }
                written.fetch_add(batch.len() as u64, Ordering::Relaxed);
                crate::metrics::metrics().write_batch(batch.len());
                let (ops, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
                let results = match apply_batch(&wconn, &ops, dialect, &changes).await {
                    Ok(r) => r,
                    Err(e) if ops.len() == 1 => vec![Err(e)],
                    Err(_) => {
                        let mut r = Vec::with_capacity(ops.len());
                        for op in &ops {
                            let one =
                                apply_batch(&wconn, std::slice::from_ref(op), dialect, &changes)
                                    .await;
                            r.push(match one {
                                Ok(mut v) => v
                                    .pop()
                                    .unwrap_or_else(|| Err(WriteError::Db("no result".into()))),
                                Err(e) => Err(e),
                            });
                        }
                        r
                    }
                };
                for (reply, result) in replies.into_iter().zip(results) {
                    let _ = reply.send(result);
                }
                if pass_done.swap(false, Ordering::Relaxed)
                    && let Err(e) = wconn
                        .execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
                        .await
                {
                    tracing::warn!(error = %e, "WAL checkpoint failed");
                }
            }
        });
        Self { tx }
    }

    /// Queues a write and waits until it is committed.
    pub(super) async fn write(&self, op: Op) -> Result<bool, WriteError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send((op, done))
            .map_err(|_| WriteError::Db("the writer stopped".into()))?;
        wait.await
            .unwrap_or_else(|_| Err(WriteError::Db("the writer stopped".into())))
    }
}

fn db(e: sea_orm::DbErr) -> WriteError {
    if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
        WriteError::Conflict
    } else {
        WriteError::Db(e.to_string())
    }
}

/// What the batch statements may use.
#[derive(Clone, Copy, Debug)]
struct Dialect {
    sqlite: bool,
    returning: bool,
}

/// Applies a batch: all of it, or nothing (then the error).
async fn apply_batch(
    conn: &DatabaseConnection,
    ops: &[Op],
    dialect: Dialect,
    changes: &Publisher,
) -> Result<Vec<Result<bool, WriteError>>, WriteError> {
    let mut tokens = Vec::new();
    let mut flows = Vec::new();
    let mut consumes = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        match op {
            Op::Insert(t) => tokens.push(t.clone()),
            Op::Complete(f, issued) => {
                flows.push(f.as_ref().clone());
                tokens.extend(issued.iter().cloned());
            }
            Op::Exchange { spend, .. } => consumes.push((i, spend.clone())),
        }
    }
    // The common case, tokens only: one statement is its own transaction.
    if flows.is_empty() && consumes.is_empty() {
        token::Entity::insert_many(tokens)
            .exec_without_returning(conn)
            .await
            .map_err(db)?;
        return Ok(ops.iter().map(|_| Ok(true)).collect());
    }
    let txn = if dialect.sqlite {
        conn.begin_with_options(sea_orm::TransactionOptions {
            sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await
    } else {
        conn.begin().await
    }
    .map_err(db)?;
    let mut results: Vec<Result<bool, WriteError>> = ops.iter().map(|_| Ok(true)).collect();
    if dialect.returning && consumes.len() > 1 {
        // One statement spends them all and says which it spent.
        let mut spent: std::collections::HashSet<String> = token::Entity::update_many()
            .col_expr(token::Column::Active, Expr::value(false))
            .filter(token::Column::Signature.is_in(consumes.iter().map(|(_, s)| s.clone())))
            .filter(token::Column::Active.eq(true))
            .exec_with_returning(&txn)
            .await
            .map_err(db)?
            .into_iter()
            .map(|m| m.signature)
            .collect();
        // The same token twice in one batch (a replay racing its first use): only the first
        // write spent it.
        for (i, sig) in consumes {
            results[i] = Ok(spent.remove(&sig));
        }
    } else {
        for (i, sig) in consumes {
            let res = token::Entity::update_many()
                .col_expr(token::Column::Active, Expr::value(false))
                .filter(token::Column::Signature.eq(sig))
                .filter(token::Column::Active.eq(true))
                .exec(&txn)
                .await
                .map_err(db)?;
            results[i] = Ok(res.rows_affected == 1);
        }
    }
    // What the winners of the spending buy: first their families' old access tokens go, then
    // their new tokens are inserted with the rest.
    let mut revoke = Vec::new();
    let mut events = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        if let (
            Op::Exchange {
                spend,
                revoke_access_of,
                issue,
            },
            Ok(true),
        ) = (op, &results[i])
        {
            revoke.extend(revoke_access_of.clone());
            tokens.extend(issue.iter().cloned());
            events.push(Event::Spent {
                signature: spend.clone(),
                family: revoke_access_of.clone(),
                kept: issue
                    .iter()
                    .filter_map(|t| t.signature.try_as_ref().cloned())
                    .collect(),
            });
        }
    }
    if !revoke.is_empty() {
        token::Entity::update_many()
            .col_expr(token::Column::Active, Expr::value(false))
            .filter(token::Column::RequestId.is_in(revoke))
            .filter(token::Column::Kind.eq("access_token"))
            .filter(token::Column::Active.eq(true))
            .exec(&txn)
            .await
            .map_err(db)?;
    }
    if !flows.is_empty() {
        flow::Entity::insert_many(flows)
            .exec_without_returning(&txn)
            .await
            .map_err(db)?;
    }
    if !tokens.is_empty() {
        token::Entity::insert_many(tokens)
            .exec_without_returning(&txn)
            .await
            .map_err(db)?;
    }
    changes.publish(&txn, &events).await.map_err(db)?;
    txn.commit().await.map_err(db)?;
    changes.applied(&events);
    Ok(results)
}

/// Checkpoints the WAL once a second while writes happen, until the stop signal. The WAL file then
/// stays at about a second of writes (~190 MB at 20 k tokens/s, measured).
async fn checkpointer(
    conn: DatabaseConnection,
    written: Arc<AtomicU64>,
    pass_done: Arc<AtomicBool>,
    mut stop: Stop,
) -> anyhow::Result<()> {
    let mut seen = 0;
    loop {
        tokio::select! {
            () = stopped(&mut stop) => return Ok(()),
            _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
        }
        let now = written.load(Ordering::Relaxed);
        if now != seen {
            seen = now;
            if let Err(e) = conn
                .execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
                .await
            {
                tracing::warn!(error = %e, "WAL checkpoint failed");
            }
            pass_done.store(true, Ordering::Relaxed);
        }
    }
}

//! Publishing cache events from the writing transaction (see [`crate::coherence`]): on PostgreSQL
//! a `NOTIFY` on [`CHANNEL`], delivered to every listening node when the transaction commits;
//! on MySQL/MariaDB and SQLite files a row of the `cache_events` change log, numbered from the
//! `cache_counter` row that the transaction locks until it commits; on `memory` nothing (no other
//! process can see that database). After the commit the events are applied to this process's
//! caches, before the store method returns.

use std::sync::{Arc, OnceLock};

use sea_orm::{ConnectionTrait, DbErr, Statement};

use super::DsnKind;
use crate::coherence::{Coherence, Envelope, Event};

/// The PostgreSQL notification channel.
pub const CHANNEL: &str = "latchkey_cache";
/// PostgreSQL refuses payloads of 8000 bytes and more.
const MAX_PAYLOAD: usize = 7900;

/// How this process publishes and applies events.
#[derive(Debug)]
pub struct Publisher {
    kind: DsnKind,
    node: String,
    owner: OnceLock<Arc<Coherence>>,
}

impl Publisher {
    pub(super) fn new(kind: DsnKind) -> Self {
        Self {
            kind,
            node: uuid::Uuid::new_v4().to_string(),
            owner: OnceLock::new(),
        }
    }

    /// This process's node id in envelopes.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// From now on, committed events are applied to `owner`'s caches.
    pub fn attach(&self, owner: Arc<Coherence>) {
        let _ = self.owner.set(owner);
    }

    fn now_ms(&self) -> i64 {
        match self.owner.get() {
            Some(o) => o.now_ms(),
            None => crate::clock::Clock::now(&crate::clock::SystemClock).timestamp_millis(),
        }
    }

    /// The envelopes that carry `events`: as few as fit the payload limit; an event too large
    /// alone travels as [`Event::Everything`].
    fn envelopes(&self, events: &[Event]) -> Vec<String> {
        let wrap = |events: Vec<Event>| {
            serde_json::to_string(&Envelope {
                node: self.node.clone(),
                events,
            })
            .unwrap_or_default()
        };
        let mut out = Vec::new();
        let mut batch: Vec<Event> = Vec::new();
        for e in events {
            let mut candidate = batch.clone();
            candidate.push(e.clone());
            if wrap(candidate.clone()).len() <= MAX_PAYLOAD {
                batch = candidate;
                continue;
            }
            if !batch.is_empty() {
                out.push(wrap(std::mem::take(&mut batch)));
            }
            if wrap(vec![e.clone()]).len() <= MAX_PAYLOAD {
                batch.push(e.clone());
            } else {
                batch.push(Event::Everything);
            }
        }
        if !batch.is_empty() {
            out.push(wrap(batch));
        }
        out
    }

    /// Publishes `events` inside the transaction `txn` (call it last, just before the commit:
    /// on the change log it takes the counter's row lock until the commit).
    pub async fn publish(&self, txn: &impl ConnectionTrait, events: &[Event]) -> Result<(), DbErr> {
        if events.is_empty() {
            return Ok(());
        }
        let backend = txn.get_database_backend();
        match self.kind {
            DsnKind::Memory => Ok(()),
            DsnKind::Postgres => {
                for payload in self.envelopes(events) {
                    txn.execute_raw(Statement::from_sql_and_values(
                        backend,
                        "SELECT pg_notify($1, $2)",
                        [CHANNEL.into(), payload.into()],
                    ))
                    .await?;
                }
                Ok(())
            }
            DsnKind::Sqlite | DsnKind::Mysql => {
                let events = serde_json::to_string(events)
                    .map_err(|e| DbErr::Custom(format!("cache events: {e}")))?;
                txn.execute_unprepared("UPDATE cache_counter SET seq = seq + 1 WHERE id = 1")
                    .await?;
                txn.execute_raw(Statement::from_sql_and_values(
                    backend,
                    "INSERT INTO cache_events (seq, node, events, created_at) \
                     SELECT seq, ?, ?, ? FROM cache_counter WHERE id = 1",
                    [
                        self.node.clone().into(),
                        events.into(),
                        self.now_ms().into(),
                    ],
                ))
                .await?;
                Ok(())
            }
        }
    }

    /// Applies committed events to this process's caches.
    pub fn applied(&self, events: &[Event]) {
        if let Some(o) = self.owner.get() {
            o.apply(events);
        }
    }
}

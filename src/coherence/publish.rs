//! Publishing cache events from the writing transaction, and the one message format they travel
//! in ([`Envelope`], written here and parsed by the receivers in `postgres` and `changelog`): on PostgreSQL
//! a `NOTIFY` on [`CHANNEL`], delivered to every listening node when the transaction commits;
//! on MySQL/MariaDB and SQLite files a row of the `cache_events` change log, numbered from the
//! `cache_counter` row that the transaction locks until it commits; on `memory` nothing (no other
//! process can see that database). After the commit the events are applied to this process's
//! caches, before the store method returns.

use std::sync::{Arc, OnceLock};

use sea_orm::{ConnectionTrait, DbErr, Statement};

use serde::{Deserialize, Serialize};

use super::{Coherence, Event};
use crate::config::DsnKind;

/// The PostgreSQL notification channel.
pub const CHANNEL: &str = "latchkey_cache";
/// PostgreSQL refuses payloads of 8000 bytes and more.
const MAX_PAYLOAD: usize = 7900;

/// The events of one transaction as they travel between nodes.
#[derive(Debug, Serialize, Deserialize)]
pub struct Envelope {
    /// The node that wrote them (it applied them already).
    pub node: String,
    pub events: Vec<Event>,
}

/// How this process publishes and applies events.
#[derive(Debug)]
pub struct Publisher {
    kind: DsnKind,
    node: String,
    owner: OnceLock<Arc<Coherence>>,
}

impl Publisher {
    pub fn new(kind: DsnKind) -> Self {
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
        // Each event is serialised once; envelopes are filled in order, in the JSON shape of
        // [`Envelope`] (which the receivers parse).
        let open = format!("{{\"node\":{},\"events\":[", json(&self.node));
        const CLOSE: &str = "]}";
        let mut out = Vec::new();
        let mut payload = open.clone();
        for e in events {
            let mut one = json(e);
            if open.len() + one.len() + CLOSE.len() > MAX_PAYLOAD {
                one = json(&Event::Everything);
            }
            let first = payload.len() == open.len();
            if !first && payload.len() + 1 + one.len() + CLOSE.len() > MAX_PAYLOAD {
                payload.push_str(CLOSE);
                out.push(std::mem::replace(&mut payload, open.clone()));
            } else if !first {
                payload.push(',');
            }
            payload.push_str(&one);
        }
        if payload.len() > open.len() {
            payload.push_str(CLOSE);
            out.push(payload);
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

/// An event or the node id as JSON; neither can fail to serialise.
fn json<T: serde::Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_fit_the_payload_limit_and_keep_every_event_in_order() {
        let p = Publisher::new(DsnKind::Postgres);
        let events: Vec<Event> = (0..400)
            .map(|i| Event::FamilyRevoked {
                family: format!("family-{i:04}"),
            })
            .collect();
        let sent = p.envelopes(&events);
        assert!(sent.len() > 1, "400 events do not fit one notification");
        let mut back = Vec::new();
        for s in &sent {
            assert!(s.len() <= MAX_PAYLOAD, "{}", s.len());
            let env: Envelope = serde_json::from_str(s).unwrap();
            assert_eq!(env.node, p.node());
            back.extend(env.events);
        }
        assert_eq!(back, events);
        let huge = Event::ClientChanged {
            id: "x".repeat(MAX_PAYLOAD),
        };
        let sent = p.envelopes(&[huge, Event::ClientChanged { id: "a".into() }]);
        let env: Envelope = serde_json::from_str(&sent[0]).unwrap();
        assert_eq!(
            env.events,
            [Event::Everything, Event::ClientChanged { id: "a".into() }],
            "too large alone: everything"
        );
    }
}

//! Cache events between nodes on MySQL/MariaDB and SQLite files: writers append a row to the
//! `cache_events` change log inside their transactions (numbered in commit order, see the
//! migration), and every node polls for rows after the last it applied, every [`POLL`].
//!
//! Chosen for these databases because they have no notifications; SQLite's `data_version` says
//! only that *some* other connection wrote, which on a busy node is every token issued, so it
//! cannot tell a revocation from an insert. One indexed query per interval costs nothing
//! measurable (see the README), and the interval bounds the window: at most [`POLL`] plus a query.
//!
//! Caught up means: the last poll succeeded and started less than [`LEASE`] ago (a poll started
//! at *s* has read every event committed before *s*, so this bounds how stale a node can be by
//! [`LEASE`], even when the database stalls). A failed poll
//! makes the node cold at once; the task then fails and its supervisor starts it again from the
//! current end of the log (the caches having been emptied). A node that finds the rows after its
//! cursor pruned away (it was stopped for longer than [`KEEP`]) empties its caches too.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use super::{Coherence, Envelope, Event};
use crate::tasks::{Stop, stopped};

/// How often the change log is read.
pub const POLL: Duration = Duration::from_millis(20);
/// How long after it started a successful poll keeps the caches trusted: the most a node can be
/// stale (the target on MySQL and SQLite is 100 ms).
pub const LEASE: Duration = Duration::from_millis(80);
/// How long rows stay in the change log before the janitor prunes them.
pub const KEEP: Duration = Duration::from_secs(600);
/// Rows read per query at most.
const BATCH: usize = 1000;

/// Polls until `stop`; returns an error when the database does not answer (the node is cold then).
pub async fn poll(
    conn: DatabaseConnection,
    owner: Arc<Coherence>,
    mut stop: Stop,
) -> anyhow::Result<()> {
    let result = run(&conn, &owner, &mut stop).await;
    if result.is_err() {
        owner.go_cold("the change log could not be read");
    }
    result
}

async fn run(conn: &DatabaseConnection, owner: &Coherence, stop: &mut Stop) -> anyhow::Result<()> {
    let started = owner.instant();
    let mut cursor = end_of_log(conn).await?;
    owner.caught_up(started, LEASE);
    loop {
        tokio::select! {
            () = stopped(stop) => return Ok(()),
            () = tokio::time::sleep(POLL) => {}
        }
        loop {
            let started = owner.instant();
            let rows = after(conn, cursor).await?;
            let full = rows.len() == BATCH;
            if let Some((first, _, _)) = rows.first()
                && *first != cursor + 1
            {
                // Rows after the cursor were pruned before this node read them.
                owner.apply(&[Event::Everything]);
            }
            for (seq, node, events) in rows {
                cursor = seq;
                match serde_json::from_str::<Vec<Event>>(&events) {
                    Ok(events) => owner.receive(&Envelope { node, events }),
                    Err(e) => {
                        tracing::warn!(seq, error = %e, "cache events: unreadable change-log row; dropping every cache");
                        owner.apply(&[Event::Everything]);
                    }
                }
            }
            if !full {
                owner.renew(started, LEASE);
                break;
            }
        }
    }
}

/// The number of the last committed change-log row.
async fn end_of_log(conn: &DatabaseConnection) -> anyhow::Result<i64> {
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT seq FROM cache_counter WHERE id = 1",
        ))
        .await
        .context("reading the change log's counter")?
        .context("the change log's counter row is missing (run `latchkey migrate sql up`)")?;
    Ok(row.try_get::<i64>("", "seq")?)
}

async fn after(
    conn: &DatabaseConnection,
    cursor: i64,
) -> anyhow::Result<Vec<(i64, String, String)>> {
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            conn.get_database_backend(),
            format!(
                "SELECT seq, node, events FROM cache_events WHERE seq > ? ORDER BY seq LIMIT {BATCH}"
            ),
            [cursor.into()],
        ))
        .await
        .context("reading the change log")?;
    rows.into_iter()
        .map(|r| {
            Ok((
                r.try_get::<i64>("", "seq")?,
                r.try_get::<String>("", "node")?,
                r.try_get::<String>("", "events")?,
            ))
        })
        .collect()
}

/// Deletes change-log rows older than [`KEEP`]; returns how many.
pub async fn prune(conn: &DatabaseConnection, now_ms: i64) -> anyhow::Result<u64> {
    let before = now_ms - i64::try_from(KEEP.as_millis()).unwrap_or(i64::MAX);
    let backend = conn.get_database_backend();
    let placeholder = match backend {
        sea_orm::DatabaseBackend::Postgres => "$1",
        _ => "?",
    };
    let res = conn
        .execute_raw(Statement::from_sql_and_values(
            backend,
            format!("DELETE FROM cache_events WHERE created_at < {placeholder}"),
            [before.into()],
        ))
        .await
        .context("pruning the change log")?;
    Ok(res.rows_affected())
}

//! Cache events between nodes on PostgreSQL: each node `LISTEN`s on
//! [`CHANNEL`](super::publish::CHANNEL) over a connection of its own (application name
//! [`APPLICATION_NAME`]); writers `NOTIFY` inside their transactions, so an event is delivered
//! exactly when its write commits, in commit order.
//!
//! Chosen over polling a change log here because delivery costs nothing between writes and takes
//! about a millisecond after the commit (measured by `tests/it/nodes.rs`), where a poll costs a
//! query per interval and adds half an interval on average.
//!
//! Caught up means: `LISTEN` has returned (every commit after it will be delivered), and a
//! heartbeat this node sent through the database less than [`LEASE`] ago has come back over the
//! listener. Notifications reach a listener in commit order, so a heartbeat sent at time *s* that
//! came back proves every event committed before *s* has been applied; trusting the caches only
//! until *s* + [`LEASE`] bounds how stale a node can be by [`LEASE`], whatever happens to the
//! connection — even when a dead connection is noticed late (a terminated backend was noticed
//! ~90 ms after its death in `tests/it/nodes.rs`, a silent network failure may take minutes).
//! Heartbeats cost one `NOTIFY` per [`HEARTBEAT`] per node. A lost connection makes the node
//! cold; the task then fails and is restarted by its supervisor, which listens again and so
//! catches up.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use sea_orm::sqlx::{
    self,
    postgres::{PgListener, PgPool, PgPoolOptions},
};

use super::{Coherence, Envelope, publish::CHANNEL};
use crate::tasks::{Stop, stopped};

/// The listener connection's `application_name` (to find it in `pg_stat_activity`).
pub const APPLICATION_NAME: &str = "latchkey-cache-listener";
/// How often a heartbeat is sent.
pub const HEARTBEAT: Duration = Duration::from_millis(10);
/// How long after it was sent a returned heartbeat keeps the caches trusted: the most a node can
/// be stale (the target on PostgreSQL is 50 ms).
pub const LEASE: Duration = Duration::from_millis(40);

const HEARTBEAT_PREFIX: &str = "hb:";

/// Listens until `stop`; returns an error when the connection is lost (the node is cold then).
pub async fn listen(pool: PgPool, owner: Arc<Coherence>, mut stop: Stop) -> anyhow::Result<()> {
    let result = run(&pool, &owner, &mut stop).await;
    if result.is_err() {
        owner.go_cold("the PostgreSQL listener connection was lost");
    }
    result
}

async fn run(pool: &PgPool, owner: &Arc<Coherence>, stop: &mut Stop) -> anyhow::Result<()> {
    let options = pool
        .connect_options()
        .as_ref()
        .clone()
        .application_name(APPLICATION_NAME);
    let own = PgPoolOptions::new()
        .max_connections(1)
        .connect_lazy_with(options);
    let mut listener = PgListener::connect_with(&own)
        .await
        .context("connecting the cache-event listener")?;
    listener
        .listen(CHANNEL)
        .await
        .context("LISTEN for cache events")?;
    owner.caught_up(owner.instant(), LEASE);
    let beats = tokio::spawn(heartbeats(pool.clone(), owner.clone()));
    let _stop_beats = AbortOnDrop(beats);
    loop {
        tokio::select! {
            () = stopped(stop) => return Ok(()),
            got = listener.try_recv() => match got {
                Ok(Some(n)) => receive(owner, n.payload()),
                Ok(None) => anyhow::bail!("the listener connection was closed"),
                Err(e) => return Err(e).context("receiving cache events"),
            },
        }
    }
}

fn receive(owner: &Coherence, payload: &str) {
    if let Some(beat) = payload.strip_prefix(HEARTBEAT_PREFIX) {
        if let Some((node, stamp)) = beat.rsplit_once(':')
            && node == owner.node()
            && let Ok(stamp) = stamp.parse::<u64>()
        {
            owner.renew_stamp(stamp, LEASE);
        }
        return;
    }
    match serde_json::from_str::<Envelope>(payload) {
        Ok(envelope) => owner.receive(&envelope),
        Err(e) => {
            tracing::warn!(error = %e, "cache events: unreadable notification; dropping every cache");
            owner.apply(&[super::Event::Everything]);
        }
    }
}

/// Sends a heartbeat through the database every [`HEARTBEAT`]; the listener renews the lease
/// when it comes back. Each is sent by a task of its own, so one slow round trip (a busy pool or
/// database) does not hold back the next.
async fn heartbeats(pool: PgPool, owner: Arc<Coherence>) {
    let mut tick = tokio::time::interval(HEARTBEAT);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let payload = format!("{HEARTBEAT_PREFIX}{}:{}", owner.node(), owner.stamp());
        let pool = pool.clone();
        tokio::spawn(async move {
            let sent = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(payload)
                .execute(&pool);
            // Past the lease it could renew nothing.
            match tokio::time::timeout(LEASE, sent).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::debug!(error = %e, "cache heartbeat not sent"),
                Err(_) => tracing::debug!("cache heartbeat timed out"),
            }
        });
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

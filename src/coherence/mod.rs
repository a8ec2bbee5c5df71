//! Cache coherence: one vocabulary of events for everything an in-process cache may hold, and one
//! owner, [`Coherence`], that applies them to every cache of this process — whether the write
//! happened here or on another node sharing the database.
//!
//! # How a write reaches every cache
//!
//! 1. The store method that makes the write (the one place it happens, in `storage/`) names what
//!    it changed as [`Event`]s and publishes them *inside the writing transaction*
//!    (`storage::changes`): a PostgreSQL `NOTIFY`, delivered to every listening node exactly when
//!    the transaction commits; elsewhere a row of the `cache_events` change log.
//! 2. After the commit, and before the store method returns (so before any HTTP answer about the
//!    write), the events are applied to this process's caches.
//! 3. Other nodes apply them when the notification arrives ([`postgres`]) or when they poll the
//!    change log ([`changelog`]), and skip their own.
//!
//! Inserts need no event: a cache never remembers that something is absent, so a new row is seen
//! at once everywhere (this is why completing a flow, issuing a token or creating a client emit
//! nothing).
//!
//! # Never stale because an event was missed
//!
//! Caches are *trusted* only while this node knows it has every event up to now: a lease, renewed
//! by each successful poll of the change log or by each heartbeat that comes back over the
//! PostgreSQL listener. When the listener connection drops, a poll fails, or the lease runs out,
//! the node goes cold: caches are emptied and every read goes to the database until the
//! node has caught up again (the listener is back, a poll succeeded). A read that raced an event —
//! read from the database before the write committed, stored in the cache after the event was
//! applied — is refused by [`Coherence::admits`]: a cache takes a [`Ticket`] before reading and
//! stores the value only if no event since the ticket touches it.
//!
//! With `cache.enabled: false` nothing is cached at all: every read is exact, at the cost measured
//! in the README.

pub mod changelog;
pub mod map;
pub mod postgres;
pub mod publish;

pub use publish::{Envelope, Publisher};

use std::{
    collections::VecDeque,
    sync::{
        Arc, Mutex, RwLock, Weak,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use serde::{Deserialize, Serialize};

use crate::clock::Clock;

/// Something that changed what a cache may hold. Each is emitted by the one store method that
/// makes the write (see the table in `tests/it/coherence.rs`, which drives every write path and
/// checks what it emits).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "e", rename_all = "snake_case")]
pub enum Event {
    /// A client was replaced (new metadata, a rotated secret).
    ClientChanged { id: String },
    /// A client was deleted, and with it every token issued to it.
    ClientDeleted { id: String },
    /// Every token of a grant (a family: one request id) was marked inactive: revoked (RFC 7009),
    /// or a replayed code or refresh token was detected (RFC 6749 §4.1.2, RFC 9700 §4.14.2).
    FamilyRevoked { family: String },
    /// A code or refresh token was spent; with `family`, the family's other access tokens were
    /// revoked too, except the `kept` ones just issued (refresh rotation).
    Spent {
        signature: String,
        family: Option<String>,
        kept: Vec<String>,
    },
    /// Every token of a client was deleted (`DELETE /admin/oauth2/tokens?client_id=`).
    ClientTokensDeleted { client: String },
    /// A subject's consents (to one client, or all) were deleted with every token issued from
    /// them.
    ConsentsRevoked {
        subject: String,
        client: Option<String>,
    },
    /// Login sessions ended (by subject, by id, or both).
    LoginSessionsEnded {
        subject: Option<String>,
        id: Option<String>,
    },
    /// A JSON Web Key set gained, replaced or lost keys.
    KeySetChanged { set: String },
    /// A user of the built-in login app was deleted.
    UserDeleted { email: String },
    /// Anything may have changed: caches drop everything (an event too large to send, or a node
    /// that may have missed some).
    Everything,
}

/// Keeps this process's caches coherent with the other nodes sharing the database on `conn`:
/// attaches `owner` to the database's `publisher` and starts the transport for its kind among
/// `tasks` (with the change log, also the janitor that prunes it).
pub fn start(
    conn: &sea_orm::DatabaseConnection,
    kind: crate::config::DsnKind,
    tasks: &crate::tasks::Tasks,
    publisher: &Publisher,
    owner: &Arc<Coherence>,
) {
    use crate::config::DsnKind;
    publisher.attach(owner.clone());
    if !owner.enabled() {
        // Nothing cached here; this node still publishes for the others.
        return;
    }
    match kind {
        DsnKind::Memory => owner.single_process(),
        DsnKind::Postgres => {
            let pool = conn.get_postgres_connection_pool().clone();
            let owner = owner.clone();
            tasks.supervise("cache-listener", move |stop| {
                postgres::listen(pool.clone(), owner.clone(), stop)
            });
        }
        DsnKind::Sqlite | DsnKind::Mysql => {
            let (c, o) = (conn.clone(), owner.clone());
            tasks.supervise("cache-poller", move |stop| {
                changelog::poll(c.clone(), o.clone(), stop)
            });
            let (c, o) = (conn.clone(), owner.clone());
            tasks.supervise("janitor", move |stop| janitor(c.clone(), o.clone(), stop));
        }
    }
}

/// Prunes the change log once a minute.
async fn janitor(
    conn: sea_orm::DatabaseConnection,
    owner: Arc<Coherence>,
    mut stop: crate::tasks::Stop,
) -> anyhow::Result<()> {
    loop {
        tokio::select! {
            () = crate::tasks::stopped(&mut stop) => return Ok(()),
            () = tokio::time::sleep(Duration::from_secs(60)) => {}
        }
        let n = changelog::prune(&conn, owner.now_ms()).await?;
        tracing::debug!(rows = n, "janitor: pruned the cache change log");
    }
}

/// A cache the owner applies events to.
pub trait Cache: Send + Sync {
    /// Drops every entry the event touches.
    fn apply(&self, event: &Event);
    /// Drops everything.
    fn clear(&self);
}

/// Taken before a read from the database; see [`Coherence::admits`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket(u64);

/// How many recent events are kept for [`Coherence::admits`]; a read that raced more than this
/// many events is simply not cached.
const RECENT: usize = 4096;

/// The owner of every cache of this process; see the module docs.
pub struct Coherence {
    enabled: bool,
    clock: Arc<dyn Clock>,
    base: Instant,
    node: String,
    caches: RwLock<Vec<Weak<dyn Cache>>>,
    /// How many events have been applied; the number of the last one.
    seq: AtomicU64,
    recent: Mutex<VecDeque<(u64, Event)>>,
    /// Caught up with the other nodes (see the module docs).
    warm: AtomicBool,
    /// Nanoseconds after `base` until which being warm is trusted; `u64::MAX`: always.
    lease: AtomicU64,
}

impl std::fmt::Debug for Coherence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Coherence")
            .field("enabled", &self.enabled)
            .field("node", &self.node)
            .field("warm", &self.warm.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Coherence {
    /// An owner whose caches start cold: a transport (or [`Coherence::single_process`]) makes
    /// them warm.
    pub fn new(enabled: bool, clock: Arc<dyn Clock>, node: &str) -> Self {
        let base = clock.instant();
        Self {
            enabled,
            clock,
            base,
            node: node.to_owned(),
            caches: RwLock::default(),
            seq: AtomicU64::new(0),
            recent: Mutex::default(),
            warm: AtomicBool::new(false),
            lease: AtomicU64::new(0),
        }
    }

    /// This process's id in envelopes.
    pub fn node(&self) -> &str {
        &self.node
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Registers a cache; it is applied every event from now on.
    pub fn register(&self, cache: Arc<dyn Cache>) {
        if let Ok(mut c) = self.caches.write() {
            c.retain(|w| w.strong_count() > 0);
            c.push(Arc::downgrade(&cache));
        }
    }

    /// `at` as nanoseconds after `base`, the unit of the lease (`u64::MAX` is kept for "always").
    fn nanos(&self, at: Instant, plus: Duration) -> u64 {
        let d = at.saturating_duration_since(self.base).saturating_add(plus);
        u64::try_from(d.as_nanos()).unwrap_or(u64::MAX - 1)
    }

    /// Whether caches may answer now.
    pub fn trusted(&self) -> bool {
        self.trusted_at(self.clock.instant())
    }

    /// Whether caches may answer at `now`, a reading of [`Coherence::instant`] (one clock read
    /// serves both this and an entry's age).
    pub fn trusted_at(&self, now: Instant) -> bool {
        self.enabled
            && self.warm.load(Ordering::Acquire)
            && self.nanos(now, Duration::ZERO) < self.lease.load(Ordering::Acquire)
    }

    /// No other process shares this database (`memory`): always warm.
    pub fn single_process(&self) {
        self.lease.store(u64::MAX, Ordering::Release);
        self.warm.store(true, Ordering::Release);
    }

    /// Extends trust until `valid` after `from` (a reading of this owner's clock taken when the
    /// proof of being caught up was started: a poll, a heartbeat sent).
    pub fn renew(&self, from: Instant, valid: Duration) {
        self.lease
            .fetch_max(self.nanos(from, valid), Ordering::AcqRel);
    }

    /// A reading of this owner's clock as a number (nanoseconds since it was made), to travel in
    /// a heartbeat and come back to [`Coherence::renew_stamp`].
    pub fn stamp(&self) -> u64 {
        self.nanos(self.clock.instant(), Duration::ZERO)
    }

    /// [`Coherence::renew`] from a [`Coherence::stamp`].
    pub fn renew_stamp(&self, stamp: u64, valid: Duration) {
        self.renew(self.base + Duration::from_nanos(stamp), valid);
    }

    /// Wall-clock milliseconds since the epoch, from the injected clock.
    pub fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// A reading of the clock this owner measures leases with.
    pub fn instant(&self) -> Instant {
        self.clock.instant()
    }

    /// This node may have missed events: empty the caches and read through until
    /// [`Coherence::caught_up`].
    pub fn go_cold(&self, why: &str) {
        if self.warm.swap(false, Ordering::AcqRel) {
            tracing::warn!(reason = why, "cache events: caches cold until caught up");
        }
        self.apply(&[Event::Everything]);
    }

    /// Every event committed from now on will be applied: caches may fill again. Reads that
    /// started before now are not admitted (their ticket predates this).
    pub fn caught_up(&self, from: Instant, valid: Duration) {
        self.apply(&[Event::Everything]);
        self.renew(from, valid);
        if !self.warm.swap(true, Ordering::AcqRel) {
            tracing::info!("cache events: caught up, caches warm");
        }
    }

    /// A ticket for a read about to go to the database, or `None` when nothing may be cached.
    pub fn ticket(&self) -> Option<Ticket> {
        self.trusted()
            .then(|| Ticket(self.seq.load(Ordering::Acquire)))
    }

    /// Whether a value read after `ticket` was taken may be cached: no event applied since touches
    /// it. Call it holding the cache's write lock, and insert under the same lock (events are
    /// recorded before they are applied to caches, so an event either is seen here or removes
    /// the inserted value afterwards).
    pub fn admits(&self, ticket: Ticket, touches: impl Fn(&Event) -> bool) -> bool {
        if !self.trusted() {
            return false;
        }
        if self.seq.load(Ordering::Acquire) == ticket.0 {
            return true;
        }
        let Ok(recent) = self.recent.lock() else {
            return false;
        };
        match recent.front() {
            Some((first, _)) if *first <= ticket.0 + 1 => {}
            _ => return false,
        }
        !recent
            .iter()
            .filter(|(n, _)| *n > ticket.0)
            .any(|(_, e)| *e == Event::Everything || touches(e))
    }

    /// Applies events to every registered cache: this process's own writes (after they commit),
    /// and other nodes' as they arrive.
    pub fn apply(&self, events: &[Event]) {
        if events.is_empty() {
            return;
        }
        if let Ok(mut recent) = self.recent.lock() {
            for e in events {
                let n = self.seq.load(Ordering::Relaxed) + 1;
                recent.push_back((n, e.clone()));
                if recent.len() > RECENT {
                    recent.pop_front();
                }
                self.seq.store(n, Ordering::Release);
            }
        }
        let caches: Vec<Arc<dyn Cache>> = self
            .caches
            .read()
            .map(|c| c.iter().filter_map(Weak::upgrade).collect())
            .unwrap_or_default();
        for cache in caches {
            for e in events {
                if *e == Event::Everything {
                    cache.clear();
                } else {
                    cache.apply(e);
                }
            }
        }
    }

    /// Applies what arrived from another node; this node's own envelopes were applied already.
    pub fn receive(&self, envelope: &Envelope) {
        if envelope.node != self.node {
            self.apply(&envelope.events);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn owner() -> (Arc<ManualClock>, Coherence) {
        let clock = Arc::new(ManualClock::new());
        let c = Coherence::new(true, clock.clone(), "test");
        (clock, c)
    }

    #[test]
    fn nothing_is_trusted_before_caught_up_or_after_the_lease() {
        let (clock, c) = owner();
        assert!(c.ticket().is_none(), "cold at start");
        c.caught_up(clock.instant(), Duration::from_secs(1));
        assert!(c.ticket().is_some());
        clock.advance(Duration::from_millis(999));
        assert!(c.trusted());
        clock.advance(Duration::from_millis(1));
        assert!(!c.trusted(), "the lease ran out");
        c.renew(clock.instant(), Duration::from_secs(1));
        assert!(c.trusted());
        c.go_cold("test");
        assert!(!c.trusted());
    }

    #[test]
    fn a_read_that_raced_an_event_touching_it_is_not_admitted() {
        let (clock, c) = owner();
        c.caught_up(clock.instant(), Duration::from_secs(60));
        let t = c.ticket().unwrap();
        assert!(c.admits(t, |_| true), "no event since");
        c.apply(&[Event::ClientChanged { id: "a".into() }]);
        let touches_a = |e: &Event| *e == Event::ClientChanged { id: "a".into() };
        assert!(!c.admits(t, touches_a));
        assert!(
            c.admits(t, |_| false),
            "an event that touches something else"
        );
        let later = c.ticket().unwrap();
        assert!(c.admits(later, touches_a));
        c.apply(&[Event::Everything]);
        assert!(!c.admits(later, |_| false), "everything touches everything");
    }

    #[test]
    fn a_read_older_than_the_recent_events_is_not_admitted() {
        let (clock, c) = owner();
        c.caught_up(clock.instant(), Duration::from_secs(60));
        let t = c.ticket().unwrap();
        for i in 0..RECENT + 1 {
            c.apply(&[Event::ClientChanged { id: i.to_string() }]);
        }
        assert!(!c.admits(t, |_| false));
    }

    #[test]
    fn caught_up_refuses_reads_begun_while_cold() {
        let (clock, c) = owner();
        c.caught_up(clock.instant(), Duration::from_secs(60));
        let t = c.ticket().unwrap();
        c.go_cold("test");
        c.caught_up(clock.instant(), Duration::from_secs(60));
        assert!(!c.admits(t, |_| false));
    }

    #[test]
    fn envelopes_travel_as_json_and_own_ones_are_skipped() {
        let (clock, c) = owner();
        c.caught_up(clock.instant(), Duration::from_secs(60));
        let env = Envelope {
            node: "other".into(),
            events: vec![Event::Spent {
                signature: "s".into(),
                family: Some("f".into()),
                kept: vec!["k".into()],
            }],
        };
        let json = serde_json::to_string(&env).unwrap();
        let back: Envelope = serde_json::from_str(&json).unwrap();
        assert_eq!(back.events, env.events);
        let t = c.ticket().unwrap();
        c.receive(&Envelope {
            node: c.node().to_owned(),
            events: vec![Event::Everything],
        });
        assert!(c.admits(t, |_| true), "own envelope: applied already");
        c.receive(&back);
        assert!(!c.admits(t, |_| true));
    }
}

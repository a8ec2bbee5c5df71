//! The map behind the keyed in-process caches (clients, flows, key sets): entries kept for at most
//! a lifetime, at most so many of them (past the bound, stale entries go first, then everything),
//! dropped by the [`Event`]s that touch them, and answering only while the owner trusts its caches
//! (see [`super`]).

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use super::{Cache, Coherence, Event, Ticket};

/// What a cached value says about the events that make it stale.
pub trait Touched: Send + Sync {
    /// Whether `event` changes the value cached under `key`.
    fn touched_by(&self, key: &str, event: &Event) -> bool;
}

pub struct CoherentMap<V> {
    /// Its hit, miss and invalidation counters (`cache` label: the name it was made with).
    counters: crate::metrics::CacheCounters,
    owner: Arc<Coherence>,
    ttl: Duration,
    max: usize,
    entries: RwLock<HashMap<String, (Instant, Arc<V>)>>,
}

impl<V: Touched + 'static> CoherentMap<V> {
    /// A map registered with its owner.
    pub fn new(name: &'static str, owner: Arc<Coherence>, ttl: Duration, max: usize) -> Arc<Self> {
        let map = Arc::new(Self {
            counters: crate::metrics::metrics().cache_counters(name),
            owner: owner.clone(),
            ttl,
            max,
            entries: RwLock::default(),
        });
        owner.register(map.clone());
        map
    }

    fn fresh(&self, at: Instant, now: Instant) -> bool {
        now.saturating_duration_since(at) < self.ttl
    }

    /// The entry for `key` if it is younger than the lifetime and caches are trusted.
    pub fn get(&self, key: &str) -> Option<Arc<V>> {
        let now = self.owner.instant();
        if !self.owner.trusted_at(now) {
            return None;
        }
        let entries = self.entries.read().ok()?;
        let found = entries
            .get(key)
            .filter(|(at, _)| self.fresh(*at, now))
            .map(|(_, v)| v.clone());
        if found.is_some() {
            self.counters.hit.inc();
        } else {
            self.counters.miss.inc();
        }
        found
    }

    /// Taken before reading what [`CoherentMap::admit`] will store.
    pub fn ticket(&self) -> Option<Ticket> {
        self.owner.ticket()
    }

    /// Stores a value read from the database after `ticket` was taken, unless an event since then
    /// touches it.
    pub fn admit(&self, ticket: Option<Ticket>, key: &str, value: Arc<V>) {
        let Some(ticket) = ticket else { return };
        let now = self.owner.instant();
        if let Ok(mut entries) = self.entries.write() {
            if !self.owner.admits(ticket, |e| value.touched_by(key, e)) {
                return;
            }
            if entries.len() >= self.max {
                entries.retain(|_, (at, _)| now.saturating_duration_since(*at) < self.ttl);
                if entries.len() >= self.max {
                    entries.clear();
                }
            }
            entries.insert(key.to_owned(), (now, value));
        }
    }

    pub fn remove(&self, key: &str) {
        if let Ok(mut entries) = self.entries.write() {
            entries.remove(key);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.read().map(|e| e.len()).unwrap_or(0)
    }
}

impl<V: Touched> Cache for CoherentMap<V> {
    fn apply(&self, event: &Event) {
        if let Ok(mut entries) = self.entries.write() {
            let before = entries.len();
            entries.retain(|k, (_, v)| !v.touched_by(k, event));
            if entries.len() < before {
                self.counters.invalidation.inc();
            }
        }
    }

    fn clear(&self) {
        if let Ok(mut entries) = self.entries.write() {
            entries.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    struct V(&'static str);
    impl Touched for V {
        fn touched_by(&self, key: &str, e: &Event) -> bool {
            matches!(e, Event::ClientChanged { id } if id == key)
        }
    }

    fn map() -> (Arc<ManualClock>, Arc<Coherence>, Arc<CoherentMap<V>>) {
        let clock = Arc::new(ManualClock::new());
        let owner = Arc::new(Coherence::new(true, clock.clone(), "test"));
        owner.single_process();
        let m = CoherentMap::new("test", owner.clone(), Duration::from_secs(2), 3);
        (clock, owner, m)
    }

    #[test]
    fn entries_live_for_the_lifetime_and_die_by_their_events() {
        let (clock, owner, m) = map();
        m.admit(m.ticket(), "a", Arc::new(V("1")));
        m.admit(m.ticket(), "b", Arc::new(V("1")));
        assert_eq!(m.get("a").unwrap().0, "1");
        owner.apply(&[Event::ClientChanged { id: "a".into() }]);
        assert!(m.get("a").is_none(), "dropped by its event");
        assert!(m.get("b").is_some(), "others stay");
        clock.advance(Duration::from_secs(2));
        assert!(m.get("b").is_none(), "past its lifetime");
    }

    #[test]
    fn a_value_read_before_its_event_is_not_stored() {
        let (_, owner, m) = map();
        let ticket = m.ticket();
        owner.apply(&[Event::ClientChanged { id: "a".into() }]);
        m.admit(ticket, "a", Arc::new(V("old")));
        assert!(m.get("a").is_none());
        m.admit(ticket, "b", Arc::new(V("other")));
        assert!(m.get("b").is_some(), "the event touched a only");
    }

    #[test]
    fn the_bound_holds() {
        let (clock, _, m) = map();
        for k in ["a", "b", "c"] {
            m.admit(m.ticket(), k, Arc::new(V("1")));
        }
        clock.advance(Duration::from_secs(3));
        m.admit(m.ticket(), "d", Arc::new(V("1")));
        assert_eq!(m.len(), 1, "stale entries went first");
    }
}

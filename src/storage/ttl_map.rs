//! The map behind the in-process caches: entries trusted for a fixed time, at most so many of
//! them (past the bound, stale entries go first, then everything).

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

pub struct TtlMap<V> {
    ttl: Duration,
    max: usize,
    entries: RwLock<HashMap<String, (Instant, Arc<V>)>>,
}

impl<V> TtlMap<V> {
    pub fn new(ttl: Duration, max: usize) -> Self {
        Self {
            ttl,
            max,
            entries: RwLock::default(),
        }
    }

    /// The entry for `key` if it is younger than the lifetime.
    pub fn get(&self, key: &str) -> Option<Arc<V>> {
        let entries = self.entries.read().ok()?;
        let (at, v) = entries.get(key)?;
        (at.elapsed() < self.ttl).then(|| v.clone())
    }

    pub fn insert(&self, key: &str, value: Arc<V>) {
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= self.max {
                entries.retain(|_, (at, _)| at.elapsed() < self.ttl);
                if entries.len() >= self.max {
                    entries.clear();
                }
            }
            entries.insert(key.to_owned(), (Instant::now(), value));
        }
    }

    pub fn remove(&self, key: &str) {
        if let Ok(mut entries) = self.entries.write() {
            entries.remove(key);
        }
    }

    /// Drops every entry whose value matches `drop`.
    pub fn remove_where(&self, drop: impl Fn(&V) -> bool) {
        if let Ok(mut entries) = self.entries.write() {
            entries.retain(|_, (_, v)| !drop(v));
        }
    }
}

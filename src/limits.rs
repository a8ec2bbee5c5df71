//! Counting failures within a window: how sign-ins (`users::throttle`) and device user codes
//! (`flows::device`) are slowed down. A key's count starts at its first failure and is forgotten
//! once the window has passed; the counts live in this process, are bounded in number, and shed
//! finished windows when full.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use crate::clock::Clock;

const MAX_ENTRIES: usize = 100_000;

/// The key a client address is counted under: an IPv4 address as it is, an IPv6 address by its
/// /64 (one subscriber's usual allocation, so one sender cannot spread over 2^64 keys), an
/// IPv4-mapped IPv6 address as its IPv4 address.
pub fn address_key(ip: std::net::IpAddr) -> String {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

pub struct Failures {
    clock: Arc<dyn Clock>,
    window: Duration,
    counts: Mutex<HashMap<String, (u32, Instant)>>,
}

impl std::fmt::Debug for Failures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Failures")
    }
}

impl Failures {
    pub fn new(clock: Arc<dyn Clock>, window: Duration) -> Self {
        Self {
            clock,
            window,
            counts: Mutex::default(),
        }
    }

    /// How long until every `(key, limit)` is under its limit again; `None`: now.
    pub fn wait(&self, keys: &[(&str, u32)]) -> Option<Duration> {
        let now = self.clock.instant();
        let map = self.counts.lock().ok()?;
        keys.iter()
            .filter_map(|(k, limit)| {
                let (n, since) = map.get(*k)?;
                let left = self
                    .window
                    .checked_sub(now.saturating_duration_since(*since))
                    .filter(|l| !l.is_zero())?;
                (*n >= *limit).then_some(left)
            })
            .max()
    }

    /// Counts a failure against each key.
    pub fn failed(&self, keys: &[&str]) {
        let now = self.clock.instant();
        let Ok(mut map) = self.counts.lock() else {
            return;
        };
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, (_, since)| now.saturating_duration_since(*since) < self.window);
        }
        for k in keys {
            let e = map.entry((*k).to_owned()).or_insert((0, now));
            if now.saturating_duration_since(e.1) >= self.window {
                *e = (0, now);
            }
            e.0 += 1;
        }
    }

    /// Forgets a key's failures.
    pub fn forget(&self, key: &str) {
        if let Ok(mut map) = self.counts.lock() {
            map.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::address_key;

    #[test]
    fn addresses_are_keyed_by_host_or_slash_64() {
        let key = |s: &str| address_key(s.parse().unwrap());
        assert_eq!(key("192.0.2.7"), "192.0.2.7");
        assert_eq!(key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:bbbb::9"), key("2001:db8:1:2:aaaa::1"));
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
    }
}

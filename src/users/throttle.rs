//! Slowing down password guessing at the built-in sign-in page: after too many failed sign-ins
//! for one account, or from one address, within a window, further attempts are refused until the
//! window has passed — whether or not the account exists, so the refusal reveals nothing.
//!
//! Counts live in this process (a cluster of N nodes allows up to N times as many guesses); they
//! are bounded in number and forget entries once their window is over.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use crate::clock::Clock;

/// Failures per account within [`WINDOW`] before sign-ins to it are refused.
pub const PER_ACCOUNT: u32 = 5;
/// Failures per address within [`WINDOW`] (higher: many people may share one address).
pub const PER_ADDRESS: u32 = 20;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
const MAX_ENTRIES: usize = 100_000;

pub struct Throttle {
    clock: Arc<dyn Clock>,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl std::fmt::Debug for Throttle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Throttle")
    }
}

fn account_key(email: &str) -> String {
    format!("a:{}", email.trim().to_lowercase())
}

fn address_key(address: &str) -> String {
    format!("ip:{address}")
}

impl Throttle {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            failures: Mutex::default(),
        }
    }

    /// How long until a sign-in for `email` from `address` may be tried again; `None`: now.
    pub fn wait(&self, email: &str, address: &str) -> Option<Duration> {
        let now = self.clock.instant();
        let map = self.failures.lock().ok()?;
        [
            (account_key(email), PER_ACCOUNT),
            (address_key(address), PER_ADDRESS),
        ]
        .iter()
        .filter_map(|(k, limit)| {
            let (n, since) = map.get(k)?;
            let left = WINDOW
                .checked_sub(now.saturating_duration_since(*since))
                .filter(|l| !l.is_zero())?;
            (*n >= *limit).then_some(left)
        })
        .max()
    }

    /// Counts a failed sign-in.
    pub fn failed(&self, email: &str, address: &str) {
        let now = self.clock.instant();
        let Ok(mut map) = self.failures.lock() else {
            return;
        };
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, (_, since)| now.saturating_duration_since(*since) < WINDOW);
        }
        for k in [account_key(email), address_key(address)] {
            let e = map.entry(k).or_insert((0, now));
            if now.saturating_duration_since(e.1) >= WINDOW {
                *e = (0, now);
            }
            e.0 += 1;
        }
    }

    /// A successful sign-in clears the account's count.
    pub fn succeeded(&self, email: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&account_key(email));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_and_addresses_are_limited() {
        let t = Throttle::new(Arc::new(crate::clock::SystemClock));
        for _ in 0..PER_ACCOUNT {
            assert!(t.wait("ada@example.com", "10.0.0.1").is_none());
            t.failed("Ada@example.com", "10.0.0.1");
        }
        assert!(t.wait("ada@example.com", "10.0.0.2").is_some());
        assert!(t.wait("bob@example.com", "10.0.0.1").is_none());
        for i in 0..PER_ADDRESS {
            t.failed(&format!("u{i}@example.com"), "10.0.0.3");
        }
        assert!(t.wait("new@example.com", "10.0.0.3").is_some());
        t.succeeded("ada@example.com");
        assert!(t.wait("ada@example.com", "10.0.0.2").is_none());
    }

    #[test]
    fn a_refusal_lasts_the_window_and_no_longer() {
        let clock = Arc::new(crate::clock::ManualClock::new());
        let t = Throttle::new(clock.clone());
        for _ in 0..PER_ACCOUNT {
            t.failed("ada@example.com", "10.0.0.1");
        }
        clock.advance(WINDOW - Duration::from_secs(60));
        assert_eq!(
            t.wait("ada@example.com", "10.0.0.2"),
            Some(Duration::from_secs(60))
        );
        clock.advance(Duration::from_secs(60));
        assert!(t.wait("ada@example.com", "10.0.0.2").is_none());
        t.failed("ada@example.com", "10.0.0.1");
        assert!(
            t.wait("ada@example.com", "10.0.0.2").is_none(),
            "counting starts over"
        );
    }
}

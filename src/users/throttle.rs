//! Slowing down password guessing at the built-in sign-in page: after too many failed sign-ins
//! for one account, or from one address, within a window, further attempts are refused until the
//! window has passed — whether or not the account exists, so the refusal reveals nothing.
//!
//! Counts live in this process (a cluster of N nodes allows up to N times as many guesses); they
//! are bounded in number and forget entries once their window is over.

use std::{sync::Arc, time::Duration};

use crate::{clock::Clock, limits::Failures};

/// Failures per account within [`WINDOW`] before sign-ins to it are refused.
pub const PER_ACCOUNT: u32 = 5;
/// Failures per address within [`WINDOW`] (higher: many people may share one address).
pub const PER_ADDRESS: u32 = 20;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(Debug)]
pub struct Throttle {
    failures: Failures,
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
            failures: Failures::new(clock, WINDOW),
        }
    }

    /// How long until a sign-in for `email` from `address` may be tried again; `None`: now.
    pub fn wait(&self, email: &str, address: &str) -> Option<Duration> {
        self.failures.wait(&[
            (&account_key(email), PER_ACCOUNT),
            (&address_key(address), PER_ADDRESS),
        ])
    }

    /// Counts a failed sign-in.
    pub fn failed(&self, email: &str, address: &str) {
        self.failures
            .failed(&[&account_key(email), &address_key(address)]);
    }

    /// A successful sign-in clears the account's count.
    pub fn succeeded(&self, email: &str) {
        self.failures.forget(&account_key(email));
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

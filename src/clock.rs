//! Time is injected so that expiry, cache lifetimes and timestamps are testable without sleeping.
//!
//! This is the one file allowed to read the system clocks (`clippy.toml` disallows
//! `Utc::now`, `SystemTime::now`, `OffsetDateTime::now_utc` and `Instant::now` elsewhere). Wall
//! time (`now`) stamps tokens and decides their expiry; monotonic time (`instant`) measures how
//! long an in-process cache entry or a sign-in throttle window has lived, and never jumps when the
//! wall clock is set.

#![allow(clippy::disallowed_methods)] // the one place that reads the clocks

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Wall-clock time.
    fn now(&self) -> DateTime<Utc>;
    /// Monotonic time, for measuring how long something has lived in this process.
    fn instant(&self) -> Instant;
}

/// The system's clocks.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    fn instant(&self) -> Instant {
        Instant::now()
    }
}

/// Monotonic time where no [`Clock`] is at hand and the reading decides nothing (how long a
/// request or a hash took, for the logs).
pub fn stopwatch() -> Instant {
    Instant::now()
}

/// A clock that always says the same time, for tests.
#[derive(Clone, Copy, Debug)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
    fn instant(&self) -> Instant {
        // Fixed too: one reading taken once per process.
        static BASE: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        *BASE.get_or_init(Instant::now)
    }
}

/// A clock that stands still until a test moves it forward: both readings advance together.
#[derive(Debug)]
pub struct ManualClock {
    wall: DateTime<Utc>,
    mono: Instant,
    offset: Mutex<Duration>,
}

impl ManualClock {
    /// Starts at the current system time.
    pub fn new() -> Self {
        Self {
            wall: Utc::now(),
            mono: Instant::now(),
            offset: Mutex::default(),
        }
    }

    /// Moves both readings forward by `by`.
    pub fn advance(&self, by: Duration) {
        if let Ok(mut o) = self.offset.lock() {
            *o += by;
        }
    }

    fn offset(&self) -> Duration {
        self.offset.lock().map(|o| *o).unwrap_or_default()
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.wall + chrono::Duration::from_std(self.offset()).unwrap_or_default()
    }
    fn instant(&self) -> Instant {
        self.mono + self.offset()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let c = ManualClock::new();
        let (w, m) = (c.now(), c.instant());
        assert_eq!((c.now(), c.instant()), (w, m));
        c.advance(Duration::from_secs(90));
        assert_eq!(c.now() - w, chrono::Duration::seconds(90));
        assert_eq!(c.instant() - m, Duration::from_secs(90));
    }
}

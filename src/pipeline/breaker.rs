//! The circuit breaker (SPEC §3): opens after N consecutive failed requests;
//! while open, batches go straight to the spool instead of piling up retries
//! against a target that is down; after the reset time one probe request
//! decides whether it closes again or stays open for another period.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What a caller may do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Send.
    Pass,
    /// Send: this request is the probe that decides.
    Probe,
    /// Do not send; the breaker is open.
    Open,
}

#[derive(Debug)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
    },
    /// A probe is in flight; everyone else waits for its answer.
    HalfOpen,
}

#[derive(Debug)]
pub struct Breaker {
    threshold: u32,
    reset: Duration,
    state: Mutex<State>,
}

impl Breaker {
    /// A threshold of 0 turns the breaker off.
    pub fn new(threshold: u32, reset: Duration) -> Self {
        Breaker {
            threshold,
            reset,
            state: Mutex::new(State::Closed { failures: 0 }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Asks to send one request.
    pub fn gate(&self) -> Gate {
        let mut s = self.lock();
        match *s {
            State::Closed { .. } => Gate::Pass,
            State::Open { until } if Instant::now() >= until => {
                *s = State::HalfOpen;
                Gate::Probe
            }
            State::Open { .. } | State::HalfOpen => Gate::Open,
        }
    }

    /// Whether sending now would be refused (without taking the probe).
    pub fn is_open(&self) -> bool {
        match *self.lock() {
            State::Closed { .. } => false,
            State::Open { until } => Instant::now() < until,
            State::HalfOpen => true,
        }
    }

    /// Closed, and the last request did not fail: the target is keeping up
    /// or merely slow, not failing.
    pub fn is_healthy(&self) -> bool {
        matches!(*self.lock(), State::Closed { failures: 0 })
    }

    /// When the breaker will let a probe through (None when closed).
    pub fn reopens_at(&self) -> Option<Instant> {
        match *self.lock() {
            State::Open { until } => Some(until),
            _ => None,
        }
    }

    /// The target answered (even with a refusal: it is up).
    pub fn success(&self) {
        *self.lock() = State::Closed { failures: 0 };
    }

    /// A request failed in a retryable way. Returns true when this failure
    /// opened the breaker (a trip).
    pub fn failure(&self) -> bool {
        if self.threshold == 0 {
            return false;
        }
        let mut s = self.lock();
        match *s {
            State::Closed { failures } if failures + 1 >= self.threshold => {
                *s = State::Open {
                    until: Instant::now() + self.reset,
                };
                true
            }
            State::Closed { failures } => {
                *s = State::Closed {
                    failures: failures + 1,
                };
                false
            }
            // The probe (or a request sent before the trip) failed: stay open.
            State::HalfOpen | State::Open { .. } => {
                *s = State::Open {
                    until: Instant::now() + self.reset,
                };
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_probes_and_closes() {
        let b = Breaker::new(2, Duration::ZERO);
        assert_eq!(b.gate(), Gate::Pass);
        assert!(!b.failure());
        assert!(b.failure(), "the second consecutive failure trips");
        // Reset time zero: the next caller is the probe, the others wait.
        assert_eq!(b.gate(), Gate::Probe);
        assert_eq!(b.gate(), Gate::Open);
        assert!(!b.failure(), "a failed probe is not a new trip");
        assert_eq!(b.gate(), Gate::Probe);
        b.success();
        assert_eq!(b.gate(), Gate::Pass);
    }

    #[test]
    fn stays_open_until_reset() {
        let b = Breaker::new(1, Duration::from_secs(3600));
        assert!(b.failure());
        assert_eq!(b.gate(), Gate::Open);
        assert!(b.is_open());
    }
}

//! Retry policy (SPEC §3): exponential backoff with full jitter, 250 ms → 30 s,
//! `Retry-After` honoured.

use std::time::Duration;

/// The delay before retry number `attempt` (1-based): a random duration in
/// `[0, min(cap, base * 2^(attempt-1))]`, or the server's `Retry-After` when
/// it gave one (capped at `cap` × 4 so a hostile server cannot park us).
pub fn backoff(attempt: u32, retry_after: Option<Duration>) -> Duration {
    const BASE: Duration = Duration::from_millis(250);
    const CAP: Duration = Duration::from_secs(30);
    if let Some(ra) = retry_after {
        return ra.min(CAP * 4);
    }
    let exp = BASE
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
        .min(CAP);
    Duration::from_micros(rand::random_range(0..=exp.as_micros() as u64))
}

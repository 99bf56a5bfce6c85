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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_jitter_stays_within_the_exponential_bound() {
        for attempt in 1..=20u32 {
            let bound = Duration::from_millis(250)
                .saturating_mul(1 << (attempt - 1).min(16))
                .min(Duration::from_secs(30));
            for _ in 0..50 {
                assert!(backoff(attempt, None) <= bound, "attempt {attempt}");
            }
        }
    }

    #[test]
    fn retry_after_wins_but_is_capped() {
        let d = Duration::from_secs(3);
        assert_eq!(backoff(1, Some(d)), d);
        assert_eq!(
            backoff(1, Some(Duration::from_secs(3600))),
            Duration::from_secs(120)
        );
    }
}

//! `total` of `GET /api/v1/logs`: the number of matches, not the number
//! shown. On the last page it is what was skipped and shown; otherwise the
//! backend counts the matches over the query's whole time range (its
//! `stats`, which the store answers from rollups where the filters allow)
//! within [`COUNT_BUDGET`]. Past the budget the answer says
//! `"totalEstimated": true` and `total` is a lower bound (what was skipped
//! and shown, plus one for the page that follows), so a client never takes
//! a guess for a count.

use std::time::Duration;

use super::AppState;
use crate::query::{Query, StatsQuery};
use crate::record::TIME_RANGE;

/// How long a request may spend counting its matches.
pub const COUNT_BUDGET: Duration = Duration::from_secs(2);

/// `(total, estimated)` for a page that showed `shown` records after
/// skipping `offset`, with more to come when `more`.
pub async fn total(st: &AppState, q: &Query, offset: u64, shown: u64, more: bool) -> (u64, bool) {
    let seen = offset + shown;
    if !more {
        return (seen, false);
    }
    let since = q.since.unwrap_or(*TIME_RANGE.start());
    let until = q.until.unwrap_or(TIME_RANGE.end() + 1);
    // One bucket over the whole range (a whole number of minutes, so the
    // store may answer from its rollups).
    let span = ((until - since) / 1_000_000 / 60 + 1) * 60;
    let sq = StatsQuery {
        query: Query {
            since: Some(since),
            until: Some(until),
            ..q.clone()
        },
        interval: Some(span),
        top: 0,
    };
    match tokio::time::timeout(COUNT_BUDGET, st.backend.stats(&sq)).await {
        Ok(Ok(s)) if s.total >= seen => (s.total, false),
        Ok(Err(e)) => {
            tracing::debug!("counting matches failed: {e:#}");
            (seen + 1, true)
        }
        _ => (seen + 1, true),
    }
}

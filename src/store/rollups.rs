//! `stats` from the rollup tables: whole minutes of the range come from
//! `rollup_hour` (whole hours, for hourly or wider buckets), `rollup_minute`
//! and `rollup_errors` (a few rows per minute, whatever the record count);
//! the partial minutes at either edge are counted from the blocks that hold
//! them, so the numbers are exact for any `since`/`until`.
//!
//! Top errors are grouped by pattern (SPEC §10): `rollup_errors` rows of
//! new records carry the pattern id where older ones carry a fingerprint.
//!
//! Rollups know time, service and level only. A query that also filters on
//! text, host, trace or metadata (or asks for buckets that are not whole
//! minutes) is counted from the matching records instead: exact, but its
//! cost grows with the number of matches.

use std::collections::HashMap;

use rusqlite::Connection;
use rusqlite::types::Value;

use std::ops::ControlFlow;

use super::Store;
use super::block::{self, Filter};
use super::search::{self, Range, scan};
use crate::query::{Bucket, Query, Stats, StatsQuery, TopError, default_interval};
use crate::record::{Level, Micros};

const MINUTE: i64 = 60_000_000;

/// Most empty buckets filled in between the first and the last.
const MAX_BUCKETS: i64 = 100_000;

/// WHERE clauses over a rollup table and their parameters.
#[derive(Default)]
struct Where {
    clauses: Vec<String>,
    params: Vec<Value>,
}

/// Where a top error's sample message comes from.
enum Sample {
    Text(String),
    /// The id of a record in the group.
    Record(i64),
}

/// Counts gathered before they become [`Stats`].
#[derive(Default)]
struct Tally {
    buckets: HashMap<i64, [u64; 5]>,
    services: HashMap<String, u64>,
    /// (fingerprint, service) → (count, last seen, sample)
    errors: HashMap<(String, String), (u64, Micros, Option<Sample>)>,
}

impl Tally {
    fn add(&mut self, bucket: i64, level: usize, service: &str, n: u64) {
        self.buckets.entry(bucket).or_default()[level.min(4)] += n;
        *self.services.entry(service.to_string()).or_default() += n;
    }

    fn add_error(
        &mut self,
        fp: String,
        service: &str,
        n: u64,
        last: Micros,
        sample: Option<Sample>,
    ) {
        let e = self
            .errors
            .entry((fp, service.to_string()))
            .or_insert((0, last, None));
        e.0 += n;
        e.1 = e.1.max(last);
        if e.2.is_none() {
            e.2 = sample;
        }
    }
}

impl Store {
    /// Aggregated counts for `sq` (see the module docs). `now` is the end
    /// of an open range.
    pub fn stats(&self, sq: &StatsQuery, now: Micros) -> anyhow::Result<Stats> {
        self.with_reader(|conn| {
            let tx = conn.transaction()?;
            let q = &super::patterns::widen(&tx, &sq.query)?;
            let since = match q.since {
                Some(s) => s,
                None => tx
                    .query_row("SELECT min(minute) FROM rollup_minute", [], |r| {
                        r.get::<_, Option<i64>>(0)
                    })?
                    .map_or(now, |m| m * MINUTE),
            };
            let until = q.until.unwrap_or(now.max(since + 1));
            let interval = sq
                .interval
                .filter(|i| *i > 0)
                .unwrap_or_else(|| default_interval(((until - since) / 1_000_000).max(1)));
            let width = interval * 1_000_000;
            let mut tally = Tally::default();
            let by_rollup = q.text.is_empty()
                && q.hosts.is_empty()
                && q.trace_id.is_none()
                && q.trace_prefix.is_none()
                && q.metadata.is_empty()
                && q.compare.is_empty()
                && q.patterns.is_empty()
                && interval % 60 == 0;
            if by_rollup {
                // Whole minutes [a, b); edges [since, a·M) and [b·M, until).
                let a = since.div_euclid(MINUTE) + i64::from(since.rem_euclid(MINUTE) != 0);
                let b = if q.until.is_some() {
                    until.div_euclid(MINUTE)
                } else {
                    i64::MAX / MINUTE
                };
                if a < b {
                    from_rollups(&tx, q, a, b, interval / 60, &mut tally, sq.top)?;
                    from_logs(&tx, q, since, a * MINUTE, width, &mut tally)?;
                    if q.until.is_some() {
                        from_logs(&tx, q, b * MINUTE, until, width, &mut tally)?;
                    }
                } else {
                    from_logs(&tx, q, since, until, width, &mut tally)?;
                }
            } else {
                let (lo, hi) = (since, q.until.unwrap_or(Micros::MAX));
                from_logs(&tx, q, lo, hi, width, &mut tally)?;
            }
            let stats = finish(&tx, tally, since, until, interval, sq.top)?;
            tx.commit()?;
            Ok(stats)
        })
    }
}

/// Adds whole minutes `[a, b)` from the rollups; buckets are `per` minutes.
fn from_rollups(
    conn: &Connection,
    q: &Query,
    a: i64,
    b: i64,
    per: i64,
    tally: &mut Tally,
    top: usize,
) -> rusqlite::Result<()> {
    // Whole hours from `rollup_hour` when buckets are whole hours.
    let (ha, hb) = (a + (60 - a.rem_euclid(60)) % 60, b - b.rem_euclid(60));
    if per % 60 == 0 && ha < hb {
        counts(conn, q, "rollup_hour", ha, hb, per, tally)?;
        counts(conn, q, "rollup_minute", a, ha, per, tally)?;
        counts(conn, q, "rollup_minute", hb, b, per, tally)?;
    } else {
        counts(conn, q, "rollup_minute", a, b, per, tally)?;
    }
    let mut w = Where::default();
    w.clauses.push("minute >= ? AND minute < ?".into());
    w.params.extend([Value::Integer(a), Value::Integer(b)]);
    level_service(&mut w, q);
    let sql = format!(
        "SELECT fingerprint, service, sum(count) AS c, max(last_seen), max(sample_id) FROM rollup_errors \
         WHERE {} GROUP BY fingerprint, service ORDER BY c DESC LIMIT {}",
        w.clauses.join(" AND "),
        top.max(1) * 4 + 20
    );
    let mut st = conn.prepare_cached(&sql)?;
    let mut rows = st.query(rusqlite::params_from_iter(w.params.iter()))?;
    while let Some(r) = rows.next()? {
        let (fp, service, n, last): (String, String, i64, i64) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        let sample = r.get::<_, Option<i64>>(4)?.map(Sample::Record);
        tally.add_error(fp, &service, n as u64, last, sample);
    }
    Ok(())
}

/// Adds counts of minutes `[a, b)` from a rollup table, in buckets of
/// `per` minutes.
fn counts(
    conn: &Connection,
    q: &Query,
    table: &str,
    a: i64,
    b: i64,
    per: i64,
    tally: &mut Tally,
) -> rusqlite::Result<()> {
    if a >= b {
        return Ok(());
    }
    let mut w = Where::default();
    w.clauses.push("minute >= ? AND minute < ?".into());
    w.params.extend([Value::Integer(a), Value::Integer(b)]);
    level_service(&mut w, q);
    let sql = format!(
        "SELECT (minute - (minute % ?1 + ?1) % ?1), level, service, sum(count) FROM {table} \
         WHERE {} GROUP BY 1, 2, 3",
        w.clauses.join(" AND ")
    );
    // ?1 is the bucket width in minutes; SQLite numbers each later bare `?`
    // after the largest number seen, so the filters bind as ?2, ?3, ….
    let mut params = vec![Value::Integer(per)];
    params.extend(w.params);
    let mut st = conn.prepare_cached(&sql)?;
    let mut rows = st.query(rusqlite::params_from_iter(params.iter()))?;
    while let Some(r) = rows.next()? {
        let minute: i64 = r.get(0)?;
        let level: i64 = r.get(1)?;
        let service: String = r.get(2)?;
        let n: i64 = r.get(3)?;
        tally.add(minute * MINUTE, level as usize, &service, n as u64);
    }
    Ok(())
}

fn level_service(w: &mut Where, q: &Query) {
    if !q.levels.is_empty() {
        let marks = vec!["?"; q.levels.len()].join(",");
        w.clauses.push(format!("level IN ({marks})"));
        w.params
            .extend(q.levels.iter().map(|l| Value::Integer(l.index() as i64)));
    }
    if !q.services.is_empty() {
        let marks = vec!["?"; q.services.len()].join(",");
        w.clauses.push(format!("service IN ({marks})"));
        w.params
            .extend(q.services.iter().map(|s| Value::Text(s.clone())));
    }
}

/// Adds the records of `[lo, hi)` matching `q`, counted one by one.
fn from_logs(
    conn: &Connection,
    q: &Query,
    lo: Micros,
    hi: Micros,
    width: i64,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    if lo >= hi {
        return Ok(());
    }
    let mut bounded = q.clone();
    bounded.since = Some(q.since.map_or(lo, |s| s.max(lo)));
    bounded.until = Some(q.until.map_or(hi, |u| u.min(hi)));
    let filter = Filter::new(&bounded);
    let fts = block::block_match(&bounded);
    let bloom = block::bloom_groups(&bounded);
    let range = Range {
        first_id: i64::MIN,
        last_id: i64::MAX,
        t_lo: bounded.since.unwrap_or(lo),
        t_hi: bounded.until.unwrap_or(hi),
        fts: fts.as_deref(),
        bloom: &bloom,
        descending: false,
    };
    scan(conn, &range, |v| {
        if filter.matches(v) {
            let time = v.time;
            tally.add(time - time.rem_euclid(width), v.level.index(), v.service, 1);
            if v.level >= Level::Error {
                tally.add_error(
                    v.pattern.to_string(),
                    v.service,
                    1,
                    time,
                    Some(Sample::Text(v.message.to_string())),
                );
            }
        }
        ControlFlow::Continue(())
    })
}

/// Sorts and trims the tally into [`Stats`], with samples for top errors.
fn finish(
    conn: &Connection,
    tally: Tally,
    since: Micros,
    until: Micros,
    interval: i64,
    top: usize,
) -> anyhow::Result<Stats> {
    let width = interval * 1_000_000;
    let mut stats = Stats {
        interval,
        since,
        until,
        ..Stats::default()
    };
    let first = since - since.rem_euclid(width);
    let span = (until - first) / width;
    let mut buckets = tally.buckets;
    if span <= MAX_BUCKETS {
        let mut t = first;
        while t < until {
            buckets.entry(t).or_default();
            t += width;
        }
    }
    let mut buckets: Vec<Bucket> = buckets
        .into_iter()
        .map(|(start, by_level)| Bucket {
            start,
            total: by_level.iter().sum(),
            by_level,
        })
        .collect();
    buckets.sort_by_key(|b| b.start);
    for b in &buckets {
        stats.total += b.total;
        for (t, n) in stats.by_level.iter_mut().zip(b.by_level) {
            *t += n;
        }
    }
    stats.buckets = buckets;
    let mut services: Vec<(String, u64)> = tally.services.into_iter().collect();
    services.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    services.truncate(top);
    stats.top_services = services;
    // Top errors group by pattern (SPEC §10): rows keep the id of ingest
    // time, so fold them by their template's current id. Rows written
    // before patterns keep their regex fingerprint.
    let map = super::patterns::aliases(conn)?;
    let mut grouped: HashMap<(String, String), (u64, Micros, Option<Sample>)> = HashMap::new();
    for ((fp, service), (n, last, sample)) in tally.errors {
        let fp = match crate::pattern::PatternId::parse(&fp) {
            Some(p) => crate::pattern::resolve(&map, p).to_string(),
            None => fp,
        };
        let e = grouped.entry((fp, service)).or_insert((0, last, None));
        e.0 += n;
        e.1 = e.1.max(last);
        if e.2.is_none() {
            e.2 = sample;
        }
    }
    let mut errors: Vec<_> = grouped.into_iter().collect();
    errors.sort_by(|a, b| b.1.0.cmp(&a.1.0).then_with(|| a.0.cmp(&b.0)));
    errors.truncate(top);
    let mut st = conn.prepare_cached("SELECT sample FROM fingerprints WHERE fingerprint = ?1")?;
    for ((fp, service), (count, last_seen, sample)) in errors {
        let text = match sample {
            Some(Sample::Text(s)) => Some(s),
            Some(Sample::Record(id)) => search::message_of(conn, id)?,
            None => None,
        };
        // Stores from before schema 3 kept samples by fingerprint.
        let sample = match text {
            Some(s) => shorten(s),
            None => st
                .query_row([&fp], |r| r.get::<_, String>(0))
                .unwrap_or_default(),
        };
        stats.top_errors.push(TopError {
            fingerprint: fp,
            sample,
            count,
            service,
            last_seen,
        });
    }
    Ok(stats)
}

/// A sample is for display: at most 1000 bytes.
fn shorten(mut s: String) -> String {
    let mut end = s.len().min(1000);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s
}

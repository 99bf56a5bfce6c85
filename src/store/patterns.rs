//! Reading patterns (SPEC §10): the alias map that takes a stored pattern
//! id to its template's current id (`crate::pattern` explains why records
//! keep the id of ingest time), the widening of `pattern=ID` to every
//! stored id of that template, and the list of `loghub patterns`.
//!
//! The list comes from `rollup_patterns` (a few rows per minute and
//! pattern, whatever the record count) when the query filters on time,
//! service, level and pattern only, at minute precision; any other term
//! (text, host, trace, metadata) counts the matching records themselves.

use std::collections::HashMap;
use std::ops::ControlFlow;

use rusqlite::Connection;
use rusqlite::types::Value;

use super::Store;
use super::block::{self, Filter};
use super::search::{self, Range, scan};
use crate::pattern::{PatternId, resolve};
use crate::query::{PatternRow, Query};
use crate::record::{Micros, Record};

const MINUTE: i64 = 60_000_000;

/// Slices of the window in a trend.
pub const TREND_SLICES: usize = 24;

/// Stored id → the id it generalised to.
pub(crate) fn aliases(conn: &Connection) -> rusqlite::Result<HashMap<PatternId, PatternId>> {
    let mut st = conn.prepare_cached("SELECT id, target FROM pattern_alias")?;
    let rows = st.query_map([], |r| {
        Ok((
            PatternId::from_i64(r.get(0)?),
            PatternId::from_i64(r.get(1)?),
        ))
    })?;
    rows.collect()
}

/// `q` with each `pattern=` id widened to every id that maps to the same
/// current template (the id given may itself be an earlier form).
pub(crate) fn widen(conn: &Connection, q: &Query) -> rusqlite::Result<Query> {
    let mut q = q.clone();
    if q.patterns.is_empty() {
        return Ok(q);
    }
    let map = aliases(conn)?;
    let finals: Vec<PatternId> = q.patterns.iter().map(|p| resolve(&map, *p)).collect();
    let mut all = finals.clone();
    all.extend(q.patterns.iter().copied());
    for from in map.keys() {
        if finals.contains(&resolve(&map, *from)) {
            all.push(*from);
        }
    }
    all.sort_unstable();
    all.dedup();
    q.patterns = all;
    Ok(q)
}

/// Gives records their template's current id.
pub(crate) fn resolve_records(conn: &Connection, records: &mut [Record]) -> rusqlite::Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    let map = aliases(conn)?;
    for r in records {
        r.pattern = r.pattern.map(|p| resolve(&map, p));
    }
    Ok(())
}

/// (count, first, last, sample record id or message, trend)
#[derive(Default)]
struct Tally {
    count: u64,
    first: Micros,
    last: Micros,
    sample_id: Option<i64>,
    sample: Option<String>,
    trend: Vec<u64>,
}

impl Store {
    /// The templates of the records matching `q`, most frequent first, at
    /// most `limit` (0: all). `now` ends an open window.
    pub fn patterns(
        &self,
        q: &Query,
        limit: usize,
        now: Micros,
    ) -> anyhow::Result<Vec<PatternRow>> {
        self.with_reader(|conn| {
            let tx = conn.transaction()?;
            let q = widen(&tx, q)?;
            let map = aliases(&tx)?;
            let until = q.until.unwrap_or(now + 1);
            let since = match q.since {
                Some(s) => s,
                None => tx
                    .query_row("SELECT min(minute) FROM rollup_patterns", [], |r| {
                        r.get::<_, Option<i64>>(0)
                    })?
                    .map_or(now, |m| m * MINUTE),
            };
            let span = (until - since).max(1);
            let slice = |t: Micros| {
                (((t - since).max(0) as i128 * TREND_SLICES as i128 / span as i128) as usize)
                    .min(TREND_SLICES - 1)
            };
            let mut tally: HashMap<PatternId, Tally> = HashMap::new();
            fn add<'t>(
                tally: &'t mut HashMap<PatternId, Tally>,
                map: &HashMap<PatternId, PatternId>,
                slice: &dyn Fn(Micros) -> usize,
                (p, n, t_first, t): (PatternId, u64, Micros, Micros),
            ) -> &'t mut Tally {
                let e = tally.entry(resolve(map, p)).or_insert_with(|| Tally {
                    first: Micros::MAX,
                    last: Micros::MIN,
                    trend: vec![0; TREND_SLICES],
                    ..Tally::default()
                });
                e.count += n;
                e.first = e.first.min(t_first);
                e.last = e.last.max(t);
                e.trend[slice(t_first)] += n;
                e
            }
            let by_rollup = q.text.is_empty()
                && q.hosts.is_empty()
                && q.trace_id.is_none()
                && q.metadata.is_empty();
            if by_rollup {
                let mut clauses = vec!["minute >= ?".to_string(), "minute < ?".to_string()];
                let mut params = vec![
                    Value::Integer(since.div_euclid(MINUTE)),
                    Value::Integer((until - 1).div_euclid(MINUTE) + 1),
                ];
                if !q.levels.is_empty() {
                    clauses.push(format!(
                        "level IN ({})",
                        vec!["?"; q.levels.len()].join(",")
                    ));
                    params.extend(q.levels.iter().map(|l| Value::Integer(l.index() as i64)));
                }
                if !q.services.is_empty() {
                    clauses.push(format!(
                        "service IN ({})",
                        vec!["?"; q.services.len()].join(",")
                    ));
                    params.extend(q.services.iter().map(|s| Value::Text(s.clone())));
                }
                if !q.patterns.is_empty() {
                    clauses.push(format!(
                        "pattern IN ({})",
                        vec!["?"; q.patterns.len()].join(",")
                    ));
                    params.extend(q.patterns.iter().map(|p| Value::Integer(p.as_i64())));
                }
                let sql = format!(
                    "SELECT minute, pattern, sum(count), max(last_seen), min(sample_id) \
                     FROM rollup_patterns WHERE {} GROUP BY minute, pattern",
                    clauses.join(" AND ")
                );
                let mut st = tx.prepare(&sql)?;
                let mut rows = st.query(rusqlite::params_from_iter(params.iter()))?;
                while let Some(r) = rows.next()? {
                    let (minute, p, n, last): (i64, i64, i64, i64) =
                        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
                    let sample: Option<i64> = r.get(4)?;
                    let e = add(
                        &mut tally,
                        &map,
                        &slice,
                        (PatternId::from_i64(p), n as u64, minute * MINUTE, last),
                    );
                    if e.sample_id.is_none() {
                        e.sample_id = sample;
                    }
                }
            } else {
                let mut bounded = q.clone();
                bounded.since = Some(since);
                bounded.until = Some(until);
                let filter = Filter::new(&bounded);
                let fts = block::block_match(&bounded);
                let bloom = block::bloom_groups(&bounded);
                let range = Range {
                    first_id: i64::MIN,
                    last_id: i64::MAX,
                    t_lo: since,
                    t_hi: until,
                    fts: fts.as_deref(),
                    bloom: &bloom,
                    descending: false,
                };
                scan(&tx, &range, |v| {
                    if filter.matches(v) {
                        let e = add(&mut tally, &map, &slice, (v.pattern, 1, v.time, v.time));
                        if e.sample.is_none() {
                            e.sample = Some(v.message.to_string());
                        }
                    }
                    ControlFlow::Continue(())
                })?;
            }
            let total: u64 = tally.values().map(|t| t.count).sum();
            let mut rows: Vec<(PatternId, Tally)> = tally.into_iter().collect();
            rows.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(&b.0)));
            if limit > 0 {
                rows.truncate(limit);
            }
            let mut st = tx.prepare_cached("SELECT template FROM patterns WHERE id = ?1")?;
            let mut out = Vec::with_capacity(rows.len());
            for (id, t) in rows {
                let example = match (t.sample, t.sample_id) {
                    (Some(s), _) => s,
                    (None, Some(sid)) => search::message_of(&tx, sid)?.unwrap_or_default(),
                    _ => String::new(),
                };
                let template = st
                    .query_row([id.as_i64()], |r| r.get::<_, String>(0))
                    .ok()
                    .unwrap_or_else(|| crate::pattern::Signature::of(&example).text());
                out.push(PatternRow {
                    id: id.to_string(),
                    template,
                    count: t.count,
                    share: t.count as f64 / total.max(1) as f64,
                    first_seen: crate::record::format_time(t.first),
                    last_seen: crate::record::format_time(t.last),
                    example,
                    trend: t.trend,
                });
            }
            drop(st);
            tx.commit()?;
            Ok(out)
        })
    }
}

/// (minute, pattern, service, level) of a `rollup_patterns` row.
type RollupKey<'a> = (i64, i64, &'a str, u8);

/// Gives the records of a store written before patterns their pattern, once
/// (inside the caller's transaction, on the writer's first open): each
/// block of format 1 is encoded again with each record's pattern (mined
/// in id order, as ingest would have), so that `pattern=` finds it through the block's document,
/// and `rollup_patterns` gains its counts, so `loghub patterns` lists it.
pub(crate) fn backfill(conn: &Connection) -> anyhow::Result<()> {
    let done: bool = conn
        .query_row(
            "SELECT 1 FROM meta WHERE key = 'patterns_backfilled'",
            [],
            |_| Ok(()),
        )
        .is_ok();
    if done {
        return Ok(());
    }
    let ids: Vec<i64> = {
        let mut st = conn.prepare("SELECT id FROM blocks ORDER BY id")?;
        st.query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    let mut raw = Vec::new();
    let mut miner = crate::pattern::Miner::new();
    for id in ids {
        if !search::read(conn, id, &mut raw)? || raw.first() != Some(&1) {
            continue;
        }
        let views = block::views(id, &raw)?;
        let mut b = block::Builder::new(id);
        let mut counts: HashMap<RollupKey<'_>, (i64, Micros, i64)> = HashMap::new();
        for v in &views {
            let mut v = v.clone();
            v.pattern = miner.mine(v.message).id;
            b.push(&v, None);
            let e = counts
                .entry((
                    super::ingest::minute_of(v.time),
                    v.pattern.as_i64(),
                    v.service,
                    v.level.index() as u8,
                ))
                .or_insert((0, v.time, v.id));
            e.0 += 1;
            e.1 = e.1.max(v.time);
        }
        let (data, terms, _) = b.finish();
        conn.execute(
            "UPDATE block_data SET data = ?2 WHERE id = ?1",
            rusqlite::params![id, data],
        )?;
        conn.execute("DELETE FROM blocks_fts WHERE rowid = ?1", [id])?;
        conn.execute(
            "INSERT INTO blocks_fts(rowid, terms) VALUES(?1, ?2)",
            rusqlite::params![id, terms],
        )?;
        let mut up = conn.prepare_cached(
            "INSERT INTO rollup_patterns(minute, pattern, service, level, count, last_seen, sample_id)
             VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT(minute, pattern, service, level) DO UPDATE SET
                count = count + excluded.count, last_seen = max(last_seen, excluded.last_seen)",
        )?;
        for ((minute, p, service, level), (n, last, sample)) in counts {
            up.execute(rusqlite::params![
                minute, p, service, level, n, last, sample
            ])?;
        }
    }
    let (aliases, templates) = miner.take_changes();
    for t in templates {
        conn.execute(
            "INSERT INTO patterns(id, template, count) VALUES(?1, ?2, 0) ON CONFLICT(id) DO NOTHING",
            rusqlite::params![t.id.as_i64(), t.text],
        )?;
    }
    for a in aliases.iter().filter(|a| a.from != a.to) {
        conn.execute(
            "INSERT INTO pattern_alias(id, target) VALUES(?1, ?2)
             ON CONFLICT(id) DO UPDATE SET target = excluded.target",
            rusqlite::params![a.from.as_i64(), a.to.as_i64()],
        )?;
    }
    conn.execute(
        "INSERT OR IGNORE INTO meta(key, value) VALUES('patterns_backfilled', 1)",
        [],
    )?;
    Ok(())
}

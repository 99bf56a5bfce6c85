//! Reading: `query` (newest first, cursors), `trace` (oldest first) and the
//! polling reads behind `tail` and the server's stream.
//!
//! **Order and cursor.** Newest first means by `(time, id)` descending: a
//! record's time is when it happened, so a late replay of old records sorts
//! where it belongs, and the id breaks ties. The cursor is that pair of the
//! last record returned (`c<time>.<id>`, opaque to callers); the next page
//! is everything strictly older, so pages never overlap or skip, even while
//! new records arrive.
//!
//! **Full text.** Each text term goes to FTS5 as one quoted string (a
//! phrase), with `"` doubled: whatever the user typed (`*`, `OR`, `NEAR(`,
//! `-`, `:`) is data, never syntax. A term matches when its words occur as
//! whole words, in order, in the message, ignoring case (`timeout` finds
//! `Timeout:` but not `timeouts`; `connection refused` is a phrase). A term
//! without any letter or digit (`***`) is dropped. This is token semantics,
//! narrower than the substring rule of [`crate::query::Query::matches`].
//!
//! **Newest matches fast.** Sorting every match of a common word by time
//! would read millions of rows. Instead the search walks id ranges from the
//! newest down (growing each step), asks FTS5 for matches within the range
//! (a rowid range is a seek in FTS5), and stops as soon as it holds `limit`
//! matches all at least as new as anything older ranges can hold — known
//! from the per-chunk time bounds in `id_chunks`. Ids roughly follow time,
//! so this reads a chunk or two; out-of-order times only make it read more,
//! never return a wrong order. When a service or host filter (or a trace)
//! leaves only a few thousand records, those are walked newest first through
//! their index instead, each checked against the full-text index.

use rusqlite::types::Value;
use rusqlite::{Connection, Row, params_from_iter};

use super::Store;
use super::schema::{CHUNK_SHIFT, TRACE_HOURS};
use crate::query::{Query, QueryPage};
use crate::record::{Level, Micros, Record};

/// The columns every read selects, in [`row_record`]'s order.
pub(crate) const COLS: &str = "logs.id, logs.time, logs.level, logs.service, logs.host, logs.message, logs.trace_id, logs.span_id, logs.metadata";

/// Most records one page may hold.
pub const MAX_PAGE: usize = 10_000;

/// One poll of new records.
#[derive(Debug, Clone, Default)]
pub struct TailPage {
    /// Matching records, by id ascending.
    pub records: Vec<Record>,
    /// The id to poll after next time (every id up to it has been looked at).
    pub next_after: i64,
}

pub(crate) fn row_record(r: &Row<'_>) -> rusqlite::Result<Record> {
    let level: i64 = r.get(2)?;
    let meta: Option<String> = r.get(8)?;
    Ok(Record {
        id: Some(r.get(0)?),
        time: r.get(1)?,
        level: Level::ALL[level.clamp(0, 4) as usize],
        service: r.get(3)?,
        host: r.get(4)?,
        message: r.get(5)?,
        trace_id: r.get(6)?,
        span_id: r.get(7)?,
        metadata: meta
            .and_then(|m| serde_json::from_str(&m).ok())
            .unwrap_or_default(),
    })
}

/// The FTS5 expression for a query's text terms, `None` when there are none
/// (or none with a word in them).
pub(crate) fn fts_match(q: &Query) -> Option<String> {
    let phrases: Vec<String> = q
        .text
        .iter()
        .filter(|t| t.chars().any(|c| c.is_alphanumeric()))
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect();
    (!phrases.is_empty()).then(|| phrases.join(" AND "))
}

/// WHERE clauses and their parameters, built from a query's filters.
#[derive(Default)]
pub(crate) struct Where {
    pub clauses: Vec<String>,
    pub params: Vec<Value>,
}

impl Where {
    fn push(&mut self, clause: String, params: impl IntoIterator<Item = Value>) {
        self.clauses.push(clause);
        self.params.extend(params);
    }

    fn list(&mut self, col: &str, values: Vec<Value>) {
        if values.len() == 1 {
            self.push(format!("{col} = ?"), values);
        } else {
            let marks = vec!["?"; values.len()].join(",");
            self.push(format!("{col} IN ({marks})"), values);
        }
    }

    /// Filters of `q` other than text. `noindex` writes `+col` so SQLite
    /// does not pick a column index (for reads that must walk ids).
    pub fn filters(q: &Query, noindex: bool) -> Where {
        let p = if noindex { "+" } else { "" };
        let mut w = Where::default();
        if !q.levels.is_empty() {
            let v = q.levels.iter().map(|l| Value::Integer(l.index() as i64));
            w.list(&format!("{p}logs.level"), v.collect());
        }
        if !q.services.is_empty() {
            let v = q.services.iter().map(|s| Value::Text(s.clone()));
            w.list(&format!("{p}logs.service"), v.collect());
        }
        if !q.hosts.is_empty() {
            let v = q.hosts.iter().map(|s| Value::Text(s.clone()));
            w.list(&format!("{p}logs.host"), v.collect());
        }
        if let Some(t) = &q.trace_id {
            w.push(format!("{p}logs.trace_id = ?"), [Value::Text(t.clone())]);
            if !noindex {
                w.clauses.push(TRACE_HOURS.into());
            }
        }
        if let Some(s) = q.since {
            w.push(format!("{p}logs.time >= ?"), [Value::Integer(s)]);
        }
        if let Some(u) = q.until {
            w.push(format!("{p}logs.time < ?"), [Value::Integer(u)]);
        }
        for (key, value) in &q.metadata {
            w.metadata(key, value);
        }
        w
    }

    /// `key` is a top-level key or a dotted path; the value compares as
    /// text, like [`crate::query::metadata_value`]: a JSON string by its
    /// content, any other value by its JSON form.
    fn metadata(&mut self, key: &str, value: &str) {
        if key.contains('"') {
            // Not expressible as a JSON path; no stored key can match it.
            self.clauses.push("0".into());
            return;
        }
        let literal = format!("$.\"{key}\"");
        let nested = format!(
            "$.{}",
            key.split('.')
                .map(|p| format!("\"{p}\""))
                .collect::<Vec<_>>()
                .join(".")
        );
        self.push(
            "coalesce(logs.metadata -> ?, logs.metadata -> ?) IN (json_quote(?), ?)".into(),
            [
                Value::Text(literal),
                Value::Text(nested),
                Value::Text(value.into()),
                Value::Text(value.into()),
            ],
        );
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            "1".into()
        } else {
            self.clauses.join(" AND ")
        }
    }
}

/// `(time, id)` of the last record of a page.
fn encode_cursor(r: &Record) -> String {
    format!("c{}.{}", r.time, r.id.unwrap_or(0))
}

fn decode_cursor(c: &str) -> anyhow::Result<(Micros, i64)> {
    let bad = || anyhow::anyhow!("invalid cursor '{c}'");
    let (t, id) = c
        .strip_prefix('c')
        .ok_or_else(bad)?
        .split_once('.')
        .ok_or_else(bad)?;
    Ok((
        t.parse().map_err(|_| bad())?,
        id.parse().map_err(|_| bad())?,
    ))
}

fn collect(conn: &Connection, sql: &str, params: &[Value]) -> rusqlite::Result<Vec<Record>> {
    let mut st = conn.prepare_cached(sql)?;
    let rows = st.query_map(params_from_iter(params.iter()), row_record)?;
    rows.collect()
}

impl Store {
    /// One page of matches, newest first (by time, then id), strictly older
    /// than `cursor`. `limit` is clamped to 1..=[`MAX_PAGE`].
    pub fn query(
        &self,
        q: &Query,
        cursor: Option<&str>,
        limit: usize,
    ) -> anyhow::Result<QueryPage> {
        let limit = limit.clamp(1, MAX_PAGE);
        let cursor = cursor.map(decode_cursor).transpose()?;
        self.with_reader(|conn| {
            let tx = conn.transaction()?;
            let mut records = match fts_match(q) {
                Some(m) if q.trace_id.is_none() && !few_candidates(&tx, q)? => {
                    newest_text(&tx, q, &m, cursor, limit + 1)?
                }
                m => newest_plain(&tx, q, m.as_deref(), cursor, limit + 1)?,
            };
            tx.commit()?;
            let more = records.len() > limit;
            records.truncate(limit);
            let next_cursor = if more {
                records.last().map(encode_cursor)
            } else {
                None
            };
            Ok(QueryPage {
                records,
                total: None,
                next_cursor,
            })
        })
    }

    /// Every record of one trace, oldest first.
    pub fn trace(&self, trace_id: &str) -> anyhow::Result<Vec<Record>> {
        self.with_reader(|conn| {
            let sql = format!(
                "SELECT {COLS} FROM logs WHERE logs.trace_id = ?1 AND {TRACE_HOURS} \
                 ORDER BY logs.time, logs.id LIMIT {MAX_TRACE}"
            );
            Ok(collect(conn, &sql, &[Value::Text(trace_id.into())])?)
        })
    }

    /// The highest id stored so far (0 when empty).
    pub fn last_id(&self) -> anyhow::Result<i64> {
        self.with_reader(|conn| {
            Ok(conn.query_row(
                "SELECT value - 1 FROM meta WHERE key = 'next_id'",
                [],
                |r| r.get(0),
            )?)
        })
    }

    /// Up to `limit` records with ids above `after_id`, by id ascending,
    /// unfiltered: what a server polls to feed its live streams. Ids are
    /// committed in order (see the module docs of `store`), so the last id
    /// returned is a safe place to resume: no id below it can appear later.
    pub fn records_after(&self, after_id: i64, limit: usize) -> anyhow::Result<Vec<Record>> {
        self.with_reader(|conn| {
            let sql = format!("SELECT {COLS} FROM logs WHERE id > ?1 ORDER BY id LIMIT ?2");
            Ok(collect(
                conn,
                &sql,
                &[
                    Value::Integer(after_id),
                    Value::Integer(limit.clamp(1, MAX_PAGE) as i64),
                ],
            )?)
        })
    }

    /// One poll for `tail`: matching records with ids above `after_id`, by id
    /// ascending, and the id to resume after. The scan is bounded by the
    /// newest id of the same snapshot (and at most 100,000 ids), so a poll
    /// that finds nothing still moves past every id it looked at. A caller
    /// that gets fewer than `limit` records and a `next_after` below
    /// [`Store::last_id`] should poll again at once.
    pub fn tail_page(&self, q: &Query, after_id: i64, limit: usize) -> anyhow::Result<TailPage> {
        let limit = limit.clamp(1, MAX_PAGE);
        self.with_reader(|conn| {
            let tx = conn.transaction()?;
            let top: i64 = tx.query_row(
                "SELECT value - 1 FROM meta WHERE key = 'next_id'",
                [],
                |r| r.get(0),
            )?;
            if top <= after_id {
                return Ok(TailPage {
                    records: Vec::new(),
                    next_after: after_id,
                });
            }
            // One poll looks at a bounded window of ids, so a resume from far
            // back costs many cheap polls rather than one that grows.
            let top = top.min(after_id.saturating_add(TAIL_WINDOW));
            let mut w = Where::filters(q, true);
            let mut params = vec![Value::Integer(after_id), Value::Integer(top)];
            let mut text = String::new();
            if let Some(m) = fts_match(q) {
                text = " AND logs.id IN (SELECT rowid FROM logs_fts WHERE logs_fts MATCH ? \
                        AND rowid > ? AND rowid <= ?)"
                    .into();
                w.params.extend([
                    Value::Text(m),
                    Value::Integer(after_id),
                    Value::Integer(top),
                ]);
            }
            params.append(&mut w.params);
            params.push(Value::Integer(limit as i64));
            let sql = format!(
                "SELECT {COLS} FROM logs WHERE logs.id > ? AND logs.id <= ? AND {}{text} \
                 ORDER BY logs.id LIMIT ?",
                w.sql()
            );
            let records = collect(&tx, &sql, &params)?;
            tx.commit()?;
            let next_after = if records.len() == limit {
                records.last().and_then(|r| r.id).unwrap_or(top)
            } else {
                top
            };
            Ok(TailPage {
                records,
                next_after,
            })
        })
    }

    /// A page of the backfill of `tail --since`: matches with ids up to
    /// `upto_id`, oldest first by (time, id), strictly after `after`.
    pub fn backfill_page(
        &self,
        q: &Query,
        upto_id: i64,
        after: Option<(Micros, i64)>,
        limit: usize,
    ) -> anyhow::Result<Vec<Record>> {
        let limit = limit.clamp(1, MAX_PAGE);
        self.with_reader(|conn| {
            let mut w = Where::filters(q, false);
            w.push("logs.id <= ?".into(), [Value::Integer(upto_id)]);
            if let Some((t, id)) = after {
                w.push(
                    "logs.time >= ? AND (logs.time > ? OR logs.id > ?)".into(),
                    [Value::Integer(t), Value::Integer(t), Value::Integer(id)],
                );
            }
            if let Some(m) = fts_match(q) {
                w.push(
                    "EXISTS (SELECT 1 FROM logs_fts WHERE logs_fts MATCH ? AND rowid = logs.id)"
                        .into(),
                    [Value::Text(m)],
                );
            }
            w.params.push(Value::Integer(limit as i64));
            let sql = format!(
                "SELECT {COLS} FROM logs WHERE {} ORDER BY logs.time, logs.id LIMIT ?",
                w.sql()
            );
            Ok(collect(conn, &sql, &w.params)?)
        })
    }
}

/// Below this many records matching the other filters, a full-text query
/// checks those records one by one instead of walking full-text matches.
/// Each is checked against the full-text index (a probe of ~20 µs), so
/// this bounds that path at ~20 ms; a walk of the matches reads a chunk or
/// two when the filters are not rarer than this.
const FEW: i64 = 1_000;

/// How far [`narrowest_index`] counts each candidate.
const PROBE: i64 = 5_000;

/// Whether the filters other than text (service or host, with level and
/// time) leave so few
/// records that checking each against the full-text index is cheaper than
/// walking the full-text matches (e.g. a rare or misspelt service: the walk
/// would visit every match of the words). Counted through the index, at
/// most [`FEW`] entries.
fn few_candidates(conn: &Connection, q: &Query) -> rusqlite::Result<bool> {
    // Levels alone are never that selective; services and hosts can be.
    if q.services.is_empty() && q.hosts.is_empty() {
        return Ok(false);
    }
    let only = Query {
        services: q.services.clone(),
        hosts: q.hosts.clone(),
        levels: q.levels.clone(),
        since: q.since,
        until: q.until,
        ..Query::default()
    };
    Ok(count_upto(conn, &only, "", FEW)? < FEW)
}

/// How many records match the filters of `only` (text ignored), counted
/// through `hint`'s index and at most `cap`.
fn count_upto(conn: &Connection, only: &Query, hint: &str, cap: i64) -> rusqlite::Result<i64> {
    let mut w = Where::filters(only, false);
    w.params.push(Value::Integer(cap));
    let sql = format!(
        "SELECT count(*) FROM (SELECT 1 FROM logs{hint} WHERE {} LIMIT ?)",
        w.sql()
    );
    conn.prepare_cached(&sql)?
        .query_row(params_from_iter(w.params.iter()), |r| r.get(0))
}

/// With more than one single-value filter among service, level and host,
/// the index whose value has the fewest records (counted up to [`PROBE`]), so
/// that the newest-first walk is short: SQLite, without statistics, would
/// walk `level = error` through every error to find a service that has none.
/// Empty when there is nothing to choose.
fn narrowest_index(conn: &Connection, q: &Query) -> rusqlite::Result<&'static str> {
    let single = |n: usize| n == 1;
    let candidates: Vec<(&'static str, Query)> = [
        (
            single(q.services.len()),
            " INDEXED BY logs_service",
            Query {
                services: q.services.clone(),
                ..Query::default()
            },
        ),
        (
            single(q.levels.len()),
            " INDEXED BY logs_level",
            Query {
                levels: q.levels.clone(),
                ..Query::default()
            },
        ),
        (
            single(q.hosts.len()),
            " INDEXED BY logs_host",
            Query {
                hosts: q.hosts.clone(),
                ..Query::default()
            },
        ),
    ]
    .into_iter()
    .filter(|c| c.0)
    .map(|c| (c.1, c.2))
    .collect();
    if candidates.len() < 2 {
        return Ok("");
    }
    let mut best = ("", i64::MAX);
    for (hint, only) in candidates {
        let n = count_upto(conn, &only, hint, PROBE)?;
        if n < best.1 {
            best = (hint, n);
        }
    }
    Ok(best.0)
}

/// Most ids one `tail_page` call looks at.
const TAIL_WINDOW: i64 = 100_000;

/// Most records `trace` returns.
const MAX_TRACE: usize = 100_000;

/// Adds the "strictly older than the cursor" condition.
fn older_than(w: &mut Where, cursor: Option<(Micros, i64)>) {
    if let Some((t, id)) = cursor {
        w.push(
            "logs.time <= ? AND (logs.time < ? OR logs.id < ?)".into(),
            [Value::Integer(t), Value::Integer(t), Value::Integer(id)],
        );
    }
}

/// Newest matches without a full-text walk: an index walk in (time, id)
/// order. A list of services (else levels, else hosts) becomes one walk per
/// value, merged, because an `IN` list cannot be walked in time order.
fn newest_plain(
    conn: &Connection,
    q: &Query,
    text: Option<&str>,
    cursor: Option<(Micros, i64)>,
    n: usize,
) -> rusqlite::Result<Vec<Record>> {
    let mut parts: Vec<(Query, &str)> = Vec::new();
    if q.trace_id.is_some() {
        parts.push((q.clone(), ""));
    } else if q.services.len() > 1 {
        for s in &q.services {
            let mut one = q.clone();
            one.services = vec![s.clone()];
            parts.push((one, " INDEXED BY logs_service"));
        }
    } else if q.services.is_empty() && q.levels.len() > 1 {
        for l in &q.levels {
            let mut one = q.clone();
            one.levels = vec![*l];
            parts.push((one, " INDEXED BY logs_level"));
        }
    } else if q.services.is_empty() && q.levels.is_empty() && q.hosts.len() > 1 {
        for h in &q.hosts {
            let mut one = q.clone();
            one.hosts = vec![h.clone()];
            parts.push((one, " INDEXED BY logs_host"));
        }
    } else {
        parts.push((q.clone(), narrowest_index(conn, q)?));
    }
    let mut all = Vec::new();
    for (part, hint) in parts {
        let mut w = Where::filters(&part, false);
        older_than(&mut w, cursor);
        if let Some(m) = text {
            w.push(
                "EXISTS (SELECT 1 FROM logs_fts WHERE logs_fts MATCH ? AND rowid = logs.id)".into(),
                [Value::Text(m.into())],
            );
        }
        w.params.push(Value::Integer(n as i64));
        let sql = format!(
            "SELECT {COLS} FROM logs{hint} WHERE {} ORDER BY logs.time DESC, logs.id DESC LIMIT ?",
            w.sql()
        );
        all.extend(collect(conn, &sql, &w.params)?);
    }
    sort_newest(&mut all);
    all.truncate(n);
    Ok(all)
}

fn sort_newest(v: &mut [Record]) {
    v.sort_unstable_by_key(|r| std::cmp::Reverse((r.time, r.id)));
}

/// Newest full-text matches by walking id ranges downward (module docs).
fn newest_text(
    conn: &Connection,
    q: &Query,
    fts: &str,
    cursor: Option<(Micros, i64)>,
    n: usize,
) -> rusqlite::Result<Vec<Record>> {
    // Chunks that can hold a match of the time bounds, by id ascending.
    let mut chunks: Vec<(i64, Micros, Micros)> = Vec::new();
    {
        let mut st =
            conn.prepare_cached("SELECT chunk, min_time, max_time FROM id_chunks ORDER BY chunk")?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let (chunk, lo, hi): (i64, Micros, Micros) = (r.get(0)?, r.get(1)?, r.get(2)?);
            let too_new = cursor.is_some_and(|(t, _)| lo > t) || q.until.is_some_and(|u| lo >= u);
            let too_old = q.since.is_some_and(|s| hi < s);
            if !too_new && !too_old {
                chunks.push((chunk, lo, hi));
            }
        }
    }
    // prefix_max[i]: the newest time any chunk at or below index i may hold.
    let mut prefix_max = Vec::with_capacity(chunks.len());
    let mut m = Micros::MIN;
    for c in &chunks {
        m = m.max(c.2);
        prefix_max.push(m);
    }
    let mut w = Where::filters(q, true);
    older_than(&mut w, cursor);
    let sql = format!(
        "SELECT {COLS} FROM logs_fts CROSS JOIN logs ON logs.id = logs_fts.rowid \
         WHERE logs_fts MATCH ? AND logs_fts.rowid >= ? AND logs_fts.rowid <= ? AND {} \
         ORDER BY logs.time DESC, logs.id DESC LIMIT ?",
        w.sql()
    );
    let mut found: Vec<Record> = Vec::new();
    let mut hi = chunks.len();
    let mut step = 1usize;
    while hi > 0 {
        let lo = hi.saturating_sub(step);
        let first_id = chunks[lo].0 << CHUNK_SHIFT;
        let last_id = ((chunks[hi - 1].0 + 1) << CHUNK_SHIFT) - 1;
        let mut params = vec![
            Value::Text(fts.into()),
            Value::Integer(first_id),
            Value::Integer(last_id),
        ];
        params.extend(w.params.iter().cloned());
        params.push(Value::Integer(n as i64));
        found.extend(collect(conn, &sql, &params)?);
        sort_newest(&mut found);
        found.truncate(n);
        hi = lo;
        if hi == 0 {
            break;
        }
        let below = prefix_max[hi - 1];
        if q.since.is_some_and(|s| below < s) {
            break;
        }
        if found.len() >= n && found.last().is_some_and(|r| r.time >= below) {
            break;
        }
        step = (step * 2).min(1 << 12);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_terms_become_quoted_phrases() {
        let q = Query {
            text: vec![
                "say \"hi\"".into(),
                "***".into(),
                "NEAR(x".into(),
                "a OR b".into(),
            ],
            ..Query::default()
        };
        assert_eq!(
            fts_match(&q).unwrap(),
            r#""say ""hi""" AND "NEAR(x" AND "a OR b""#
        );
        let only_symbols = Query {
            text: vec!["*".into(), "-".into()],
            ..Query::default()
        };
        assert_eq!(fts_match(&only_symbols), None);
    }

    /// The trace index is keyed by hour, so a lookup by trace id only
    /// seeks it if the hour probe is written the way the index is.
    #[test]
    fn trace_lookups_seek_the_trace_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).unwrap();
        let q = Query {
            trace_id: Some("abc".into()),
            ..Query::default()
        };
        let w = Where::filters(&q, false);
        let plan = store
            .with_reader(|conn| {
                let sql = format!(
                    "EXPLAIN QUERY PLAN SELECT {COLS} FROM logs WHERE {}",
                    w.sql()
                );
                let mut st = conn.prepare(&sql)?;
                let rows =
                    st.query_map(params_from_iter(w.params.iter()), |r| r.get::<_, String>(3))?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?.join("\n"))
            })
            .unwrap();
        assert!(plan.contains("USING INDEX logs_trace"), "{plan}");
    }

    /// `level=error service=X` with X rare walks X's records, not every
    /// error; with X common and the level rare, the other way round.
    #[test]
    fn the_walk_takes_the_index_of_the_rarest_value() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).unwrap();
        let mut records = Vec::new();
        for i in 0..300 {
            records.push(Record {
                time: 1_700_000_000_000_000 + i,
                level: if i == 0 {
                    Level::Critical
                } else {
                    Level::Error
                },
                service: if i < 2 { "rare" } else { "common" }.into(),
                host: "h".into(),
                message: format!("m {i}"),
                ..Record::default()
            });
        }
        store.ingest(&crate::backend::Batch::new(records)).unwrap();
        let pick = |levels: Vec<Level>, service: &str| {
            let q = Query {
                levels,
                services: vec![service.into()],
                ..Query::default()
            };
            store
                .with_reader(|conn| Ok(narrowest_index(conn, &q)?))
                .unwrap()
        };
        assert_eq!(pick(vec![Level::Error], "rare"), " INDEXED BY logs_service");
        assert_eq!(
            pick(vec![Level::Critical], "common"),
            " INDEXED BY logs_level"
        );
        assert_eq!(pick(vec![Level::Error, Level::Critical], "rare"), "");
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let r = Record {
            id: Some(42),
            time: -5,
            ..Record::default()
        };
        assert_eq!(decode_cursor(&encode_cursor(&r)).unwrap(), (-5, 42));
        for bad in ["", "c", "c1", "x1.2", "c1.x"] {
            assert!(decode_cursor(bad).is_err(), "{bad}");
        }
    }
}

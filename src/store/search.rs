//! Reading: `query` (newest first, cursors), `trace` (oldest first) and the
//! polling reads behind `tail` and the server's stream.
//!
//! Every read is a walk over blocks (see `block`): FTS5 names the blocks
//! that can hold a match ([`block::block_match`]), their time bounds prune
//! the rest, and the records of each block read are checked exactly
//! ([`Filter`]).
//!
//! **Order and cursor.** Newest first means by `(time, id)` descending: a
//! record's time is when it happened, so a late replay of old records sorts
//! where it belongs, and the id breaks ties. The cursor is that pair of the
//! last record returned (`c<time>.<id>`, opaque to callers); the next page
//! is everything strictly older, so pages never overlap or skip, even while
//! new records arrive.
//!
//! **Full text.** A term matches when its words occur as whole words, in
//! order, in the message, ignoring case and accents (`timeout` finds
//! `Timeout:` but not `timeouts`; `connection refused` is a phrase). A term
//! without any letter or digit (`***`) is dropped. What a user types is
//! data, never FTS syntax. This is token semantics, narrower than the
//! substring rule of [`crate::query::Query::matches`].
//!
//! **Newest matches fast.** Sorting every match of a common word by time
//! would read millions of records. Newest first is a merge of the blocks by
//! their time bounds (`merge`): a block is read only when it can hold a
//! match newer than those already held, so a page reads a block or two when
//! times follow the write order, and the blocks that overlap in time when
//! they do not; an export of every match is the same merge, run to the end.
//! The backfill of `tail --since` and `trace` walk id ranges upward instead,
//! stopping as soon as no later range can hold an older record — known from
//! the per-chunk time bounds in `id_chunks`.

use std::ops::ControlFlow;

use rusqlite::Connection;
use rusqlite::types::Value;

use super::Store;
use super::block::{self, Bloom, Filter, Key, View};
use super::schema::CHUNK_SHIFT;
use crate::query::{Query, QueryPage};
use crate::record::{Micros, Record};

/// Most records one page may hold.
pub const MAX_PAGE: usize = 10_000;

/// Most ids one `tail_page` call looks at.
const TAIL_WINDOW: i64 = 100_000;
/// Bytes of records one poll of `tail` returns, at most (and at least one
/// record), so 500 records of 1 MiB each are not one page of 500 MiB.
pub const TAIL_BYTES: usize = 4 << 20;

/// Page cache of a reader while it exports (KiB).
const EXPORT_CACHE_KIB: i64 = 4 * 1024;

/// Most records `trace` returns.
const MAX_TRACE: usize = 100_000;

/// One poll of new records.
#[derive(Debug, Clone, Default)]
pub struct TailPage {
    /// Matching records, by id ascending.
    pub records: Vec<Record>,
    /// The id to poll after next time (every id up to it has been looked at).
    pub next_after: i64,
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

/// Which blocks a walk reads: ids, time bounds, the full-text filter and
/// the Bloom filter keys.
pub(crate) struct Range<'a> {
    pub first_id: i64,
    pub last_id: i64,
    /// Inclusive lower bound on time.
    pub t_lo: Micros,
    /// Exclusive upper bound on time.
    pub t_hi: Micros,
    pub fts: Option<&'a str>,
    pub bloom: &'a [Vec<Key>],
    pub descending: bool,
}

/// A block a walk reads: its id and time bounds.
#[derive(Clone, Copy)]
pub(crate) struct Listed {
    pub id: i64,
    pub min_time: Micros,
}

/// The blocks of `range` that its bounds, full-text and Bloom filters
/// leave, in id order.
pub(crate) fn list(conn: &Connection, range: &Range<'_>) -> anyhow::Result<Vec<Listed>> {
    let text = if range.fts.is_some() {
        " AND b.id IN (SELECT rowid FROM blocks_fts WHERE blocks_fts MATCH ?5 \
         AND rowid BETWEEN ?1 AND ?2)"
    } else {
        ""
    };
    let (bloom, join) = if range.bloom.is_empty() {
        ("NULL", "")
    } else {
        ("k.bloom", " JOIN block_keys k ON k.id = b.id")
    };
    let order = if range.descending { "DESC" } else { "" };
    let sql = format!(
        "SELECT b.id, b.min_time, {bloom} FROM blocks b{join} \
         WHERE b.id BETWEEN ?1 AND ?2 AND b.max_time >= ?3 AND b.min_time < ?4{text} \
         ORDER BY b.id {order}"
    );
    let mut params = vec![
        Value::Integer(range.first_id),
        Value::Integer(range.last_id),
        Value::Integer(range.t_lo),
        Value::Integer(range.t_hi),
    ];
    if let Some(m) = range.fts {
        params.push(Value::Text(m.into()));
    }
    let mut out = Vec::new();
    let mut st = conn.prepare_cached(&sql)?;
    let mut rows = st.query(rusqlite::params_from_iter(params))?;
    while let Some(r) = rows.next()? {
        let keep = match r.get_ref(2)? {
            rusqlite::types::ValueRef::Blob(b) => Bloom::new(b).admits(range.bloom),
            _ => true,
        };
        if keep {
            out.push(Listed {
                id: r.get(0)?,
                min_time: r.get(1)?,
            });
        }
    }
    Ok(out)
}

/// Decompresses block `id` into `raw`; false when it is gone (retention).
pub(crate) fn read(conn: &Connection, id: i64, raw: &mut Vec<u8>) -> anyhow::Result<bool> {
    let mut st = conn.prepare_cached("SELECT data FROM block_data WHERE id = ?1")?;
    let mut rows = st.query([id])?;
    let Some(r) = rows.next()? else {
        return Ok(false);
    };
    block::decode(id, r.get_ref(0)?.as_blob()?, raw)?;
    Ok(true)
}

/// Calls `f` on every record of the blocks in `range` (blocks in id order,
/// records by id within a block) until it breaks. `f` sees every record of
/// each block read; filtering is the caller's.
pub(crate) fn scan(
    conn: &Connection,
    range: &Range<'_>,
    mut f: impl FnMut(&View<'_>) -> ControlFlow<()>,
) -> anyhow::Result<()> {
    let mut raw = Vec::new();
    for b in list(conn, range)? {
        if !read(conn, b.id, &mut raw)? {
            continue;
        }
        for v in block::views(b.id, &raw)? {
            if f(&v).is_break() {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// `(chunk, min_time, max_time)` of the id chunks that can hold a record
/// in `[t_lo, t_hi)`, by chunk ascending.
fn chunks(
    conn: &Connection,
    t_lo: Micros,
    t_hi: Micros,
) -> rusqlite::Result<Vec<(i64, Micros, Micros)>> {
    let mut st = conn.prepare_cached(
        "SELECT chunk, min_time, max_time FROM id_chunks \
         WHERE max_time >= ?1 AND min_time < ?2 ORDER BY chunk",
    )?;
    let rows = st.query_map([t_lo, t_hi], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

/// The ids of a run of chunks.
fn chunk_ids(first: i64, last: i64) -> (i64, i64) {
    (first << CHUNK_SHIFT, ((last + 1) << CHUNK_SHIFT) - 1)
}

fn sort_newest(v: &mut [Record]) {
    v.sort_unstable_by_key(|r| std::cmp::Reverse((r.time, r.id)));
}

fn sort_oldest(v: &mut [Record]) {
    v.sort_unstable_by_key(|r| (r.time, r.id));
}

/// Keeps the `n` first of `found` in the walk's order (newest or oldest
/// first) and returns the (time, id) of the last one kept once there are
/// `n`: a record not before it cannot make the cut.
fn keep_best(found: &mut Vec<Record>, n: usize, newest: bool) -> Option<(Micros, i64)> {
    if newest {
        sort_newest(found);
    } else {
        sort_oldest(found);
    }
    found.truncate(n);
    (found.len() >= n).then(|| {
        let r = found.last().expect("n >= 1");
        (r.time, r.id.unwrap_or(0))
    })
}

/// The oldest `n` matches of `q` with ids up to `upto_id`, strictly after
/// `after` by (time, id): the same walk as [`newest`], upward.
fn oldest(
    conn: &Connection,
    q: &Query,
    upto_id: i64,
    after: Option<(Micros, i64)>,
    n: usize,
) -> anyhow::Result<Vec<Record>> {
    let filter = Filter::new(q);
    let fts = block::block_match(q);
    let bloom = block::bloom_groups(q);
    let mut t_lo = q.since.unwrap_or(Micros::MIN);
    if let Some((t, _)) = after {
        t_lo = t_lo.max(t);
    }
    let t_hi = q.until.unwrap_or(Micros::MAX);
    let chunks = chunks(conn, t_lo, t_hi)?;
    // suffix_min[i]: the oldest time any chunk at or above index i may hold.
    let mut suffix_min = vec![Micros::MAX; chunks.len() + 1];
    for (i, c) in chunks.iter().enumerate().rev() {
        suffix_min[i] = suffix_min[i + 1].min(c.1);
    }
    let newer = |v: &View<'_>| after.is_none_or(|(t, id)| (v.time, v.id) > (t, id));
    let mut found: Vec<Record> = Vec::new();
    let mut ceiling: Option<(Micros, i64)> = None;
    let mut raw = Vec::new();
    let mut lo = 0;
    let mut step = 1usize;
    'walk: while lo < chunks.len() {
        let hi = (lo + step).min(chunks.len());
        let (first_id, last_id) = chunk_ids(chunks[lo].0, chunks[hi - 1].0);
        if first_id > upto_id {
            break;
        }
        let range = Range {
            first_id,
            last_id: last_id.min(upto_id),
            t_lo,
            t_hi,
            fts: fts.as_deref(),
            bloom: &bloom,
            descending: false,
        };
        let blocks = list(conn, &range)?;
        let above = suffix_min[hi];
        // rest_min[i]: the oldest time blocks i.. of this range or any later
        // range may hold.
        let mut rest_min = vec![above; blocks.len() + 1];
        for i in (0..blocks.len()).rev() {
            rest_min[i] = rest_min[i + 1].min(blocks[i].min_time);
        }
        for (i, b) in blocks.iter().enumerate() {
            if ceiling.is_some_and(|(t, _)| t <= rest_min[i]) {
                break 'walk;
            }
            if !read(conn, b.id, &mut raw)? {
                continue;
            }
            for v in block::views(b.id, &raw)? {
                if ceiling.is_some_and(|c| (v.time, v.id) >= c) {
                    continue;
                }
                if v.id <= upto_id && filter.matches(&v) && newer(&v) {
                    found.push(v.to_record());
                }
            }
            if found.len() >= n {
                ceiling = keep_best(&mut found, n, false);
            }
        }
        lo = hi;
        if ceiling.is_some_and(|(t, _)| t <= above) {
            break;
        }
        step = (step * 2).min(1 << 12);
    }
    keep_best(&mut found, n, false);
    Ok(found)
}

/// The id of the block that holds `id` or the nearest below it.
fn block_at(conn: &Connection, id: i64) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT coalesce(max(id), ?1) FROM blocks WHERE id <= ?1")?
        .query_row([id], |r| r.get(0))
}

/// The message of record `id`, if it is still stored.
pub(crate) fn message_of(conn: &Connection, id: i64) -> anyhow::Result<Option<String>> {
    let range = Range {
        first_id: block_at(conn, id)?,
        last_id: id,
        t_lo: Micros::MIN,
        t_hi: Micros::MAX,
        fts: None,
        bloom: &[],
        descending: false,
    };
    let mut found = None;
    scan(conn, &range, |v| {
        if v.id == id {
            found = Some(v.message.to_string());
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    })?;
    Ok(found)
}

fn top_id(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT value - 1 FROM meta WHERE key = 'next_id'",
        [],
        |r| r.get(0),
    )
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
            let q = &super::patterns::widen(&tx, q)?;
            let mut records = Vec::with_capacity(limit + 1);
            super::merge::newest(&tx, q, cursor, |v| {
                records.push(v.to_record());
                if records.len() > limit {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            })?;
            super::patterns::resolve_records(&tx, &mut records)?;
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

    /// Every match of `q`, newest first (by time, then id), handed to `f` one
    /// at a time until it breaks: one pass over the matching blocks in one
    /// snapshot, each block decoded once as long as the merge's memory bound
    /// allows (see `merge`), records made as they are given out.
    pub fn export(
        &self,
        q: &Query,
        mut f: impl FnMut(Record) -> ControlFlow<()>,
    ) -> anyhow::Result<()> {
        self.with_reader(|conn| {
            // Block data is read once: a small page cache keeps the reader's
            // memory down without slowing it.
            conn.execute_batch(&format!("PRAGMA cache_size=-{EXPORT_CACHE_KIB}"))?;
            let tx = conn.transaction()?;
            let q = &super::patterns::widen(&tx, q)?;
            let aliases = super::patterns::aliases(&tx)?;
            let out = super::merge::newest(&tx, q, None, |v| {
                let mut r = v.to_record();
                r.pattern = r.pattern.map(|p| crate::pattern::resolve(&aliases, p));
                f(r)
            });
            tx.commit()?;
            conn.execute_batch(&format!(
                "PRAGMA cache_size=-{}",
                super::schema::READER_CACHE_KIB
            ))?;
            out
        })
    }

    /// Every record of one trace, oldest first.
    pub fn trace(&self, trace_id: &str) -> anyhow::Result<Vec<Record>> {
        let q = Query {
            trace_id: Some(trace_id.into()),
            ..Query::default()
        };
        self.with_reader(|conn| {
            let tx = conn.transaction()?;
            let mut out = oldest(&tx, &q, i64::MAX, None, MAX_TRACE)?;
            super::patterns::resolve_records(&tx, &mut out)?;
            tx.commit()?;
            Ok(out)
        })
    }

    /// The highest id stored so far (0 when empty).
    pub fn last_id(&self) -> anyhow::Result<i64> {
        self.with_reader(|conn| Ok(top_id(conn)?))
    }

    /// Up to `limit` records with ids above `after_id`, by id ascending,
    /// unfiltered: what a server polls to feed its live streams. Ids are
    /// committed in order (see the module docs of `store`), so the last id
    /// returned is a safe place to resume: no id below it can appear later.
    pub fn records_after(&self, after_id: i64, limit: usize) -> anyhow::Result<Vec<Record>> {
        let limit = limit.clamp(1, MAX_PAGE);
        self.with_reader(|conn| {
            let tx = conn.transaction()?;
            let range = Range {
                first_id: block_at(&tx, after_id)?,
                last_id: i64::MAX,
                t_lo: Micros::MIN,
                t_hi: Micros::MAX,
                fts: None,
                bloom: &[],
                descending: false,
            };
            let mut out = Vec::new();
            scan(&tx, &range, |v| {
                if v.id > after_id {
                    out.push(v.to_record());
                }
                if out.len() >= limit {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            })?;
            super::patterns::resolve_records(&tx, &mut out)?;
            tx.commit()?;
            Ok(out)
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
            let top = top_id(&tx)?;
            if top <= after_id {
                return Ok(TailPage {
                    records: Vec::new(),
                    next_after: after_id,
                });
            }
            // One poll looks at a bounded window of ids, so a resume from far
            // back costs many cheap polls rather than one that grows.
            let top = top.min(after_id.saturating_add(TAIL_WINDOW));
            let q = &super::patterns::widen(&tx, q)?;
            let filter = Filter::new(q);
            let fts = block::block_match(q);
            let bloom = block::bloom_groups(q);
            let range = Range {
                first_id: block_at(&tx, after_id)?,
                last_id: top,
                t_lo: q.since.unwrap_or(Micros::MIN),
                t_hi: q.until.unwrap_or(Micros::MAX),
                fts: fts.as_deref(),
                bloom: &bloom,
                descending: false,
            };
            let mut records = Vec::new();
            let mut bytes = 0;
            let mut next_after = top;
            scan(&tx, &range, |v| {
                if v.id <= after_id || v.id > top || !filter.matches(v) {
                    return ControlFlow::Continue(());
                }
                let r = v.to_record();
                bytes += r.mem_bytes();
                records.push(r);
                if records.len() == limit || bytes >= TAIL_BYTES {
                    next_after = v.id;
                    return ControlFlow::Break(());
                }
                ControlFlow::Continue(())
            })?;
            super::patterns::resolve_records(&tx, &mut records)?;
            tx.commit()?;
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
            let tx = conn.transaction()?;
            let q = &super::patterns::widen(&tx, q)?;
            let mut out = oldest(&tx, q, upto_id, after, limit)?;
            super::patterns::resolve_records(&tx, &mut out)?;
            tx.commit()?;
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let r = Record {
            pattern: None,
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

//! Newest first over any number of blocks: the read behind a page of
//! `query` and behind an export of everything that matches.
//!
//! Blocks are listed by their newest time, descending (`blocks_max_time`),
//! and a block is opened — its Bloom filter checked, its data decoded once,
//! its matches kept, oldest to newest — only when its newest time could beat
//! the newest match held. The records come out of a k-way merge of the open
//! blocks by `(time, id)` descending: a record is given out once no block
//! left unopened can hold a newer one. When times follow the write order,
//! one or two blocks are open at a time; when they do not (several hosts
//! shipping at once, a file read from its start after newer logs, a late DLQ
//! replay), the blocks whose time ranges overlap are open together.
//!
//! **Memory.** The matches held are bounded by [`BUDGET`] bytes whatever the
//! overlap. Past it, the older half of what is held is dropped and each
//! block that lost records is read again, from where it was cut, when the
//! merge gets there: stores whose blocks all span the same times cost more
//! decoding, never more memory.
//!
//! The caller sees each record as a [`View`] borrowing the merge's buffers
//! and may stop at any record (a page is full, the reader went away).

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::collections::binary_heap::PeekMut;
use std::ops::ControlFlow;

use rusqlite::Connection;
use rusqlite::types::Value;

use super::block::{self, Bloom, Filter, Key, View};
use crate::query::Query;
use crate::record::Micros;

/// Bytes of matches held at most (record bytes plus their keys).
pub(crate) const BUDGET: usize = 16 << 20;

/// The order of the merge: time, then id.
type Pos = (Micros, i64);

/// A block the merge holds matches of, or must read again.
struct Entry {
    /// The newest record it can still give (for a block to read again, a
    /// bound just above it).
    head: Pos,
    block: i64,
    /// Matches not given out yet, oldest first: `(time, id, start, end)`
    /// into `bytes`.
    keys: Vec<(Micros, i64, u32, u32)>,
    bytes: Vec<u8>,
    /// Matches older than every key held were dropped (see [`BUDGET`]):
    /// read the block again for those strictly older than this.
    resume: Option<Pos>,
    /// What this entry counts for in `Merge::held`.
    held: usize,
}

impl Entry {
    fn size(&self) -> usize {
        self.bytes.len() + self.keys.len() * std::mem::size_of::<(Micros, i64, u32, u32)>()
    }
}

impl PartialEq for Entry {
    fn eq(&self, o: &Self) -> bool {
        self.head == o.head
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry {
    fn cmp(&self, o: &Self) -> Ordering {
        self.head.cmp(&o.head)
    }
}

/// The state of one merge.
struct Merge<'c> {
    conn: &'c Connection,
    filter: Filter,
    bloom: Vec<Vec<Key>>,
    /// Only records strictly older than this (a cursor).
    before: Option<Pos>,
    heap: BinaryHeap<Entry>,
    held: usize,
    budget: usize,
    raw: Vec<u8>,
}

/// Calls `f` on every match of `q` strictly older than `before`, newest
/// first by `(time, id)`, until it breaks.
pub(crate) fn newest(
    conn: &Connection,
    q: &Query,
    before: Option<Pos>,
    f: impl FnMut(&View<'_>) -> ControlFlow<()>,
) -> anyhow::Result<()> {
    newest_within(conn, q, before, BUDGET, f)
}

/// [`newest`] holding at most `budget` bytes of matches.
pub(crate) fn newest_within(
    conn: &Connection,
    q: &Query,
    before: Option<Pos>,
    budget: usize,
    mut f: impl FnMut(&View<'_>) -> ControlFlow<()>,
) -> anyhow::Result<()> {
    let t_lo = q.since.unwrap_or(Micros::MIN);
    let mut t_hi = q.until.unwrap_or(Micros::MAX);
    if let Some((t, _)) = before {
        t_hi = t_hi.min(t.saturating_add(1));
    }
    if t_lo >= t_hi {
        return Ok(());
    }
    let fts = block::block_match(q);
    let text = if fts.is_some() {
        " AND id IN (SELECT rowid FROM blocks_fts WHERE blocks_fts MATCH ?3)"
    } else {
        ""
    };
    let sql = format!(
        "SELECT id, max_time FROM blocks WHERE max_time >= ?1 AND min_time < ?2{text} \
         ORDER BY max_time DESC"
    );
    let mut params = vec![Value::Integer(t_lo), Value::Integer(t_hi)];
    if let Some(m) = fts {
        params.push(Value::Text(m));
    }
    let mut st = conn.prepare_cached(&sql)?;
    let mut listed = st.query(rusqlite::params_from_iter(params))?;
    let mut m = Merge {
        conn,
        filter: Filter::new(q),
        bloom: block::bloom_groups(q),
        before,
        heap: BinaryHeap::new(),
        held: 0,
        budget,
        raw: Vec::new(),
    };
    // The next listed block not yet opened: (id, max_time).
    let mut next: Option<(i64, Micros)> = match listed.next()? {
        Some(r) => Some((r.get(0)?, r.get(1)?)),
        None => None,
    };
    loop {
        // A block whose newest time is not below the newest match held may
        // hold a newer one (or an equal time with a higher id): open it.
        if let Some((id, max_time)) = next
            && m.heap.peek().is_none_or(|e| max_time >= e.head.0)
        {
            m.open(id, None)?;
            next = match listed.next()? {
                Some(r) => Some((r.get(0)?, r.get(1)?)),
                None => None,
            };
            continue;
        }
        let Some(mut top) = m.heap.peek_mut() else {
            return Ok(());
        };
        let Some(&(time, id, start, end)) = top.keys.last() else {
            // A block to read again (see `shed`): its turn has come.
            let e = PeekMut::pop(top);
            m.open(e.block, e.resume)?;
            continue;
        };
        let v = block::view_at(id, time, &top.bytes[start as usize..end as usize])
            .ok_or_else(|| anyhow::anyhow!("block {} is corrupt", top.block))?;
        if f(&v).is_break() {
            return Ok(());
        }
        top.keys.pop();
        if let Some(&(t, i, _, _)) = top.keys.last() {
            top.head = (t, i);
        } else if let Some(resume) = top.resume {
            top.head = resume;
            top.bytes = Vec::new();
            m.held -= top.held;
            top.held = 0;
        } else {
            m.held -= PeekMut::pop(top).held;
        }
    }
}

impl Merge<'_> {
    /// Opens block `id`: its matches (strictly older than `upto` when it is
    /// read again) go on the heap.
    fn open(&mut self, id: i64, upto: Option<Pos>) -> anyhow::Result<()> {
        if !self.bloom.is_empty() && !self.admits(id)? {
            return Ok(());
        }
        if !super::search::read(self.conn, id, &mut self.raw)? {
            return Ok(());
        }
        let bound = match (upto, self.before) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let mut e = Entry {
            head: (Micros::MIN, i64::MIN),
            block: id,
            keys: Vec::new(),
            bytes: Vec::new(),
            resume: None,
            held: 0,
        };
        for (v, span) in block::spans(id, &self.raw)? {
            if bound.is_some_and(|b| (v.time, v.id) >= b) || !self.filter.matches(&v) {
                continue;
            }
            let start = e.bytes.len() as u32;
            e.bytes.extend_from_slice(&self.raw[span]);
            e.keys.push((v.time, v.id, start, e.bytes.len() as u32));
        }
        let Some(&(t, i, _, _)) = e.keys.iter().max_by_key(|k| (k.0, k.1)) else {
            return Ok(());
        };
        e.keys.sort_unstable_by_key(|k| (k.0, k.1));
        e.head = (t, i);
        e.held = e.size();
        self.held += e.held;
        self.heap.push(e);
        if self.held > self.budget {
            self.shed();
        }
        Ok(())
    }

    /// Whether the Bloom filter of block `id` admits the query's keys (a
    /// block without one has no trace ids or metadata).
    fn admits(&self, id: i64) -> anyhow::Result<bool> {
        let mut st = self
            .conn
            .prepare_cached("SELECT bloom FROM block_keys WHERE id = ?1")?;
        let mut rows = st.query([id])?;
        Ok(match rows.next()? {
            Some(r) => Bloom::new(r.get_ref(0)?.as_blob()?).admits(&self.bloom),
            None => false,
        })
    }

    /// Drops the older half of the matches held; each block that lost some
    /// is read again from where it was cut.
    fn shed(&mut self) {
        let mut all: Vec<Pos> = self
            .heap
            .iter()
            .flat_map(|e| e.keys.iter().map(|k| (k.0, k.1)))
            .collect();
        if all.len() < 2 {
            return;
        }
        // Keep the newest `keep` keys: those at or above `cut`.
        let keep = (all.len() / 2).max(1);
        let at = all.len() - keep;
        let (_, &mut cut, _) = all.select_nth_unstable(at);
        let mut entries = std::mem::take(&mut self.heap).into_vec();
        self.held = 0;
        for e in &mut entries {
            let drop = e.keys.partition_point(|k| (k.0, k.1) < cut);
            if drop > 0 {
                let first_kept = e.keys.get(drop).map(|k| (k.0, k.1));
                // Records strictly older than the oldest kept one (or, with
                // none kept, than just above the newest dropped one).
                let (t, i, _, _) = e.keys[drop - 1];
                let resume = first_kept.unwrap_or((t, i + 1));
                // Anything dropped before is older still, so one bound
                // covers both.
                e.resume = Some(resume);
                let mut bytes = Vec::new();
                let kept: Vec<_> = e.keys[drop..]
                    .iter()
                    .map(|&(t, i, s, end)| {
                        let start = bytes.len() as u32;
                        bytes.extend_from_slice(&e.bytes[s as usize..end as usize]);
                        (t, i, start, bytes.len() as u32)
                    })
                    .collect();
                e.keys = kept;
                e.bytes = bytes;
                if e.keys.is_empty() {
                    e.head = resume;
                }
            }
            e.held = e.size();
            self.held += e.held;
        }
        self.heap = entries.into();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Batch;
    use crate::record::{Level, Record};

    /// Blocks whose times all overlap (times cycle within each batch), read
    /// with a budget of a few records: the same records in the same order as
    /// with room to spare, and as a sort of what was written.
    #[test]
    fn a_tight_budget_changes_the_work_not_the_result() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::super::Store::open(&dir.path().join("s.db")).unwrap();
        let mut written = Vec::new();
        for b in 0..20i64 {
            let batch: Vec<Record> = (0..50i64)
                .map(|i| Record {
                    time: 1_000_000 * ((i * 37 + b * 11) % 300),
                    level: Level::ALL[(i % 5) as usize],
                    service: "api".into(),
                    host: "h".into(),
                    message: format!("batch {b} record {i}"),
                    ..Record::default()
                })
                .collect();
            written.extend(batch.clone());
            store.ingest(&Batch::new(batch)).unwrap();
        }
        let read = |q: &Query, budget: usize| {
            store
                .with_reader(|conn| {
                    let mut out = Vec::new();
                    newest_within(conn, q, None, budget, |v| {
                        out.push((v.time, v.id, v.message.to_string()));
                        ControlFlow::Continue(())
                    })?;
                    Ok(out)
                })
                .unwrap()
        };
        for q in [
            Query::default(),
            Query {
                levels: vec![Level::Error],
                ..Query::default()
            },
        ] {
            let roomy = read(&q, BUDGET);
            let tight = read(&q, 2_000);
            let mut expect: Vec<(Micros, String)> = written
                .iter()
                .filter(|r| q.matches(r))
                .map(|r| (r.time, r.message.clone()))
                .collect();
            assert_eq!(tight, roomy);
            let mut got: Vec<(Micros, String)> = roomy.iter().map(|r| (r.0, r.2.clone())).collect();
            got.sort();
            expect.sort();
            assert_eq!(got, expect);
            let keys: Vec<(Micros, i64)> = roomy.iter().map(|r| (r.0, r.1)).collect();
            assert!(keys.windows(2).all(|w| w[0] > w[1]), "newest first");
        }
    }
}

//! Writing a batch: one `BEGIN IMMEDIATE` transaction that checks the batch id
//! (idempotency), inserts the records and their full-text entries with cached
//! prepared statements, and updates the rollups, the id-chunk time bounds and
//! the id counter. Either all of it commits or none of it does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

use super::Store;
use super::block::{Builder, MAX_RECORDS, View};
use super::schema::CHUNK_SHIFT;
use crate::backend::{Batch, DeliveryError, IngestOutcome};
use crate::pattern::{Alias, PatternId, Signature, Template};
use crate::record::{Level, Micros, Record, now_micros};

/// The outcome as kept in `batches.outcome`.
#[derive(Serialize, Deserialize)]
struct StoredOutcome {
    accepted: usize,
    rejected: Vec<(usize, String)>,
}

/// Whether ingest mines patterns: always, except when `LOGHUB_PATTERNS=off`
/// (a benchmark knob: `bench/patterns.sh` compares the two).
fn mining_on() -> bool {
    static ON: std::sync::LazyLock<bool> =
        std::sync::LazyLock::new(|| std::env::var("LOGHUB_PATTERNS").as_deref() != Ok("off"));
    *ON
}

/// Why a record cannot be stored (SPEC §2), if it cannot.
fn invalid(r: &Record) -> Option<String> {
    if r.message.is_empty() {
        return Some("message is empty".into());
    }
    let n = r.service.chars().count();
    if n == 0 || n > 100 {
        return Some(format!("service must be 1-100 characters, not {n}"));
    }
    None
}

pub(crate) fn minute_of(t: Micros) -> i64 {
    t.div_euclid(60_000_000)
}

/// (minute, fingerprint, service, level) of a `rollup_errors` row.
type ErrorKey = (i64, String, String, u8);

/// (count, last seen, offset of the first record's id from the batch's
/// first id) of a `rollup_errors` row.
type ErrorCount = (i64, Micros, i64);

/// A batch encoded for the store: its blocks, which records it rejects and
/// what it adds to the rollups. Building it is most of the CPU work of a
/// write, and needs nothing from the store, so callers do it before taking
/// the writer ([`Store::prepare`]); the transaction then only inserts rows.
pub struct Prepared {
    /// Records given, rejected ones included.
    records: usize,
    blocks: Vec<Encoded>,
    accepted: usize,
    rejected: Vec<(usize, String)>,
    minutes: HashMap<(i64, String, u8), i64>,
    errors: HashMap<ErrorKey, ErrorCount>,
    /// (minute, pattern, service, level) → (count, last seen, first offset).
    patterns: HashMap<(i64, PatternId, String, u8), ErrorCount>,
    templates: Vec<Template>,
    aliases: Vec<Alias>,
}

impl Prepared {
    /// How many records it was made from, rejected ones included.
    pub fn records(&self) -> usize {
        self.records
    }
}

/// One encoded block, its ids still relative to the batch's first id.
pub(crate) struct Encoded {
    /// Offsets of its first and last records' ids from the batch's first id.
    offset: i64,
    last: i64,
    count: usize,
    min_time: Micros,
    max_time: Micros,
    data: Vec<u8>,
    terms: String,
    bloom: Option<Vec<u8>>,
}

/// A batch waiting in the group-commit queue, and where its answer goes.
pub(crate) struct Pending {
    id: String,
    pieces: Vec<Arc<Prepared>>,
    done: Arc<Done>,
}

type Done = Mutex<Option<Result<IngestOutcome, DeliveryError>>>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Encodes a run of views (ids ascending) into blocks.
pub(crate) fn encode<'a>(
    views: impl IntoIterator<
        Item = (
            View<'a>,
            Option<&'a serde_json::Map<String, serde_json::Value>>,
        ),
    >,
    base: i64,
) -> Vec<Encoded> {
    let mut out = Vec::new();
    let mut builder: Option<(i64, Builder)> = None;
    let mut last = base;
    for (v, meta) in views {
        if builder.as_ref().is_some_and(|(_, b)| b.is_full()) {
            let (offset, b) = builder.take().expect("checked");
            out.push(finish(offset, last - base, b));
        }
        let (_, b) = builder.get_or_insert_with(|| (v.id - base, Builder::new(v.id)));
        last = v.id;
        b.push(&v, meta);
    }
    if let Some((offset, b)) = builder {
        out.push(finish(offset, last - base, b));
    }
    out
}

/// Encodes records (ids ascending: `id(i)` is the id of `records[i]`) into
/// blocks with ids relative to `base`.
fn encode_records(
    records: &[&Record],
    patterns: &[PatternId],
    id: impl Fn(usize) -> i64,
    base: i64,
) -> Vec<Encoded> {
    let metas: Vec<String> = records.iter().map(|r| metadata_text(r)).collect();
    let views = records
        .iter()
        .zip(&metas)
        .enumerate()
        .map(|(i, (r, meta))| {
            (
                view_of(r, id(i), meta, patterns[i]),
                // Already parsed: the block's index reads the map, not the text.
                (!r.metadata.is_empty()).then_some(&r.metadata),
            )
        });
    encode(views, base)
}

/// A record as a view, with its metadata as JSON text and the given id.
pub(crate) fn view_of<'a>(
    r: &'a Record,
    id: i64,
    metadata: &'a str,
    pattern: PatternId,
) -> View<'a> {
    View {
        id,
        time: r.time,
        level: r.level,
        service: &r.service,
        host: &r.host,
        message: &r.message,
        trace_id: r.trace_id.as_deref(),
        span_id: r.span_id.as_deref(),
        metadata,
        pattern,
    }
}

/// Metadata as stored: JSON text, empty when there is none.
pub(crate) fn metadata_text(r: &Record) -> String {
    if r.metadata.is_empty() {
        String::new()
    } else {
        serde_json::to_string(&r.metadata).expect("a JSON map always serializes")
    }
}

fn finish(offset: i64, last: i64, b: Builder) -> Encoded {
    let (count, min_time, max_time) = (b.count, b.min_time, b.max_time);
    let (data, terms, bloom) = b.finish();
    Encoded {
        offset,
        last,
        count,
        min_time,
        max_time,
        data,
        terms,
        bloom,
    }
}

impl Store {
    /// Validates, mines (SPEC §10) and encodes a batch (see [`Prepared`]).
    pub fn prepare(&self, records: &[Record]) -> Prepared {
        let mut rejected = Vec::new();
        let mut valid: Vec<&Record> = Vec::with_capacity(records.len());
        for (i, r) in records.iter().enumerate() {
            match invalid(r) {
                Some(reason) => rejected.push((i, reason)),
                None => valid.push(r),
            }
        }
        let (ids, templates, aliases) = self.mine(&valid);
        // Keyed by the records' own service names: owned once per key below,
        // not once per record.
        let mut minutes: HashMap<(i64, &str, u8), i64> = HashMap::new();
        let mut errors: HashMap<(i64, String, &str, u8), ErrorCount> = HashMap::new();
        let mut patterns: HashMap<(i64, PatternId, &str, u8), ErrorCount> = HashMap::new();
        for (offset, (r, p)) in valid.iter().zip(&ids).enumerate() {
            let offset = offset as i64;
            let minute = minute_of(r.time);
            let level = r.level.index() as u8;
            *minutes.entry((minute, &r.service, level)).or_default() += 1;
            let e = patterns
                .entry((minute, *p, &r.service, level))
                .or_insert((0, r.time, offset));
            e.0 += 1;
            e.1 = e.1.max(r.time);
            if r.level >= Level::Error {
                // Top errors group by pattern (SPEC §10).
                let e = errors
                    .entry((minute, p.to_string(), &r.service, level))
                    .or_insert((0, r.time, offset));
                e.0 += 1;
                e.1 = e.1.max(r.time);
            }
        }
        Prepared {
            records: records.len(),
            blocks: encode_records(&valid, &ids, |i| i as i64, 0),
            accepted: valid.len(),
            rejected,
            minutes: minutes
                .into_iter()
                .map(|((m, s, l), n)| ((m, s.to_string(), l), n))
                .collect(),
            errors: errors
                .into_iter()
                .map(|((m, fp, s, l), v)| ((m, fp, s.to_string(), l), v))
                .collect(),
            patterns: patterns
                .into_iter()
                .map(|((m, p, s, l), v)| ((m, p, s.to_string(), l), v))
                .collect(),
            templates,
            aliases,
        }
    }

    /// The pattern id of each record, and the templates and aliases mining
    /// them made. Lines are masked before the miner's lock is taken.
    fn mine(&self, records: &[&Record]) -> (Vec<PatternId>, Vec<Template>, Vec<Alias>) {
        if !mining_on() {
            return (vec![PatternId(0); records.len()], Vec::new(), Vec::new());
        }
        let sigs: Vec<Signature> = records.iter().map(|r| Signature::of(&r.message)).collect();
        let mut miner = lock(&self.miner);
        if !self
            .miner_loaded
            .swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            // The templates this store already knows, most used first, so
            // lines of them keep their ids across processes and runs.
            let known = self.with_reader(|conn| {
                let mut st = conn.prepare(
                    "SELECT p.template FROM patterns p \
                     WHERE NOT EXISTS (SELECT 1 FROM pattern_alias a WHERE a.id = p.id) \
                     ORDER BY p.count DESC LIMIT ?1",
                )?;
                let rows = st
                    .query_map([crate::pattern::MAX_TEMPLATES as i64], |r| {
                        r.get::<_, String>(0)
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            });
            for t in known.unwrap_or_default() {
                miner.learn(&t);
            }
        }
        let ids = sigs.iter().map(|s| miner.mine_signature(s).id).collect();
        let (aliases, templates) = miner.take_changes();
        (ids, templates, aliases)
    }

    /// Stores a batch in its own transaction. A batch whose id was stored
    /// before returns the first outcome and stores nothing (the check and the
    /// insert share one transaction, so two processes racing on one id store
    /// it once).
    pub fn ingest(&self, batch: &Batch) -> Result<IngestOutcome, DeliveryError> {
        let pieces = [Arc::new(self.prepare(&batch.records))];
        self.with_writer(|conn| {
            let out = (|| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let outcome = ingest_in(&tx, &batch.id, &pieces)?;
                tx.commit()?;
                Ok(outcome)
            })();
            out.map_err(|e| self.delivery_error(&e))
        })
    }

    /// [`Store::ingest_prepared`] of a batch prepared on this thread.
    pub fn ingest_shared(&self, batch: Arc<Batch>) -> Result<IngestOutcome, DeliveryError> {
        self.ingest_prepared(
            batch.id.clone(),
            vec![Arc::new(self.prepare(&batch.records))],
        )
    }

    /// Like [`Store::ingest`] for a batch prepared in runs (`pieces`, in
    /// record order), with group commit:
    /// batches that arrive from several threads while a transaction is being
    /// written are stored together in the next one, each still answered only
    /// once that transaction has committed. Every commit pays a fixed cost
    /// (flushing the full-text segment, writing touched pages to the WAL),
    /// so concurrent writers (the pipeline's in-flight batches, the server's
    /// clients) share it. A failed transaction fails every batch in it.
    pub fn ingest_prepared(
        &self,
        batch_id: String,
        pieces: Vec<Arc<Prepared>>,
    ) -> Result<IngestOutcome, DeliveryError> {
        let done: Arc<Done> = Arc::new(Mutex::new(None));
        lock(&self.queue).push(Pending {
            id: batch_id,
            pieces,
            done: done.clone(),
        });
        // Whoever holds the writer stores everything queued, ours included
        // if it was queued in time; otherwise we take the writer next.
        self.with_writer(|conn| {
            if let Some(r) = lock(&done).take() {
                return r;
            }
            let group = std::mem::take(&mut *lock(&self.queue));
            let result = (|| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let mut outs = Vec::with_capacity(group.len());
                for p in &group {
                    outs.push(ingest_in(&tx, &p.id, &p.pieces)?);
                }
                tx.commit()?;
                Ok(outs)
            })();
            match result {
                Ok(outs) => {
                    for (p, out) in group.iter().zip(outs) {
                        *lock(&p.done) = Some(Ok(out));
                    }
                }
                Err(e) => {
                    let err = self.delivery_error(&e);
                    for p in &group {
                        *lock(&p.done) = Some(Err(err.clone()));
                    }
                }
            }
            lock(&done)
                .take()
                .expect("the group held this batch, so its answer is set")
        })
    }
}

/// Checks one batch's id and stores it, inside the caller's transaction.
fn ingest_in(
    tx: &rusqlite::Transaction<'_>,
    batch_id: &str,
    pieces: &[Arc<Prepared>],
) -> rusqlite::Result<IngestOutcome> {
    if !batch_id.is_empty()
        && let Some(text) = tx
            .prepare_cached("SELECT outcome FROM batches WHERE id = ?1")?
            .query_row([batch_id], |r| r.get::<_, String>(0))
            .optional()?
    {
        let stored: StoredOutcome = serde_json::from_str(&text).unwrap_or(StoredOutcome {
            accepted: 0,
            rejected: Vec::new(),
        });
        return Ok(IngestOutcome {
            accepted: stored.accepted,
            rejected: stored.rejected,
            wire_bytes: 0,
        });
    }
    let mut outcome = IngestOutcome::default();
    let mut offset = 0;
    for p in pieces {
        insert(tx, p)?;
        outcome.accepted += p.accepted;
        outcome
            .rejected
            .extend(p.rejected.iter().map(|(i, why)| (offset + i, why.clone())));
        offset += p.records;
    }
    if !batch_id.is_empty() {
        let stored = StoredOutcome {
            accepted: outcome.accepted,
            rejected: outcome.rejected.clone(),
        };
        tx.prepare_cached("INSERT INTO batches(id, outcome, created) VALUES(?1, ?2, ?3)")?
            .execute(params![
                batch_id,
                serde_json::to_string(&stored).expect("outcome serializes"),
                now_micros()
            ])?;
    }
    Ok(outcome)
}

/// Writes one block's rows (ids relative to `base`): its bounds, its data,
/// its full-text document and its Bloom filter, and widens its id chunk's time bounds.
pub(crate) fn insert_block(
    tx: &rusqlite::Connection,
    base: i64,
    b: &Encoded,
) -> rusqlite::Result<()> {
    let (first_id, last_id) = (base + b.offset, base + b.last);
    tx.prepare_cached(
        "INSERT INTO blocks(id, last_id, count, min_time, max_time) VALUES(?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        first_id,
        last_id,
        b.count as i64,
        b.min_time,
        b.max_time
    ])?;
    tx.prepare_cached("INSERT INTO block_data(id, data) VALUES(?1, ?2)")?
        .execute(params![first_id, b.data])?;
    tx.prepare_cached("INSERT INTO blocks_fts(rowid, terms) VALUES(?1, ?2)")?
        .execute(params![first_id, b.terms])?;
    if let Some(bloom) = &b.bloom {
        tx.prepare_cached("INSERT INTO block_keys(id, bloom) VALUES(?1, ?2)")?
            .execute(params![first_id, bloom])?;
    }
    tx.prepare_cached(
        "INSERT INTO id_chunks(chunk, min_time, max_time) VALUES(?1, ?2, ?3)
         ON CONFLICT(chunk) DO UPDATE SET
            min_time = min(min_time, excluded.min_time),
            max_time = max(max_time, excluded.max_time)",
    )?
    .execute(params![first_id >> CHUNK_SHIFT, b.min_time, b.max_time])?;
    Ok(())
}

/// Inserts a prepared batch's blocks and adds it to the rollups.
fn insert(tx: &rusqlite::Transaction<'_>, p: &Prepared) -> rusqlite::Result<()> {
    if p.accepted == 0 {
        return Ok(());
    }
    let first: i64 = tx.query_row("SELECT value FROM meta WHERE key = 'next_id'", [], |r| {
        r.get(0)
    })?;
    for b in &p.blocks {
        insert_block(tx, first, b)?;
    }
    let mut up = tx.prepare_cached(
        "INSERT INTO rollup_minute(minute, service, level, count) VALUES(?1, ?2, ?3, ?4)
         ON CONFLICT(minute, service, level) DO UPDATE SET count = count + excluded.count",
    )?;
    let mut hours: HashMap<(i64, &str, u8), i64> = HashMap::new();
    for ((minute, service, level), n) in &p.minutes {
        up.execute(params![minute, service, level, n])?;
        *hours
            .entry((minute - minute.rem_euclid(60), service, *level))
            .or_default() += n;
    }
    let mut up = tx.prepare_cached(
        "INSERT INTO rollup_hour(minute, service, level, count) VALUES(?1, ?2, ?3, ?4)
         ON CONFLICT(minute, service, level) DO UPDATE SET count = count + excluded.count",
    )?;
    for ((hour, service, level), n) in hours {
        up.execute(params![hour, service, level, n])?;
    }
    let mut up = tx.prepare_cached(
        "INSERT INTO rollup_errors(minute, fingerprint, service, level, count, last_seen, sample_id)
         VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(minute, fingerprint, service, level) DO UPDATE SET
            count = count + excluded.count, last_seen = max(last_seen, excluded.last_seen),
            sample_id = coalesce(sample_id, excluded.sample_id)",
    )?;
    for ((minute, fp, service, level), (n, last, offset)) in &p.errors {
        up.execute(params![minute, fp, service, level, n, last, first + offset])?;
    }
    let mut up = tx.prepare_cached(
        "INSERT INTO rollup_patterns(minute, pattern, service, level, count, last_seen, sample_id)
         VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(minute, pattern, service, level) DO UPDATE SET
            count = count + excluded.count, last_seen = max(last_seen, excluded.last_seen)",
    )?;
    let mut counts: HashMap<PatternId, i64> = HashMap::new();
    for ((minute, pat, service, level), (n, last, offset)) in &p.patterns {
        up.execute(params![
            minute,
            pat.as_i64(),
            service,
            level,
            n,
            last,
            first + offset
        ])?;
        *counts.entry(*pat).or_default() += n;
    }
    let mut up = tx.prepare_cached(
        "INSERT INTO patterns(id, template, count) VALUES(?1, ?2, 0) ON CONFLICT(id) DO NOTHING",
    )?;
    for t in &p.templates {
        up.execute(params![t.id.as_i64(), t.text])?;
    }
    let mut up = tx.prepare_cached("UPDATE patterns SET count = count + ?2 WHERE id = ?1")?;
    for (pat, n) in counts {
        up.execute(params![pat.as_i64(), n])?;
    }
    let mut up = tx.prepare_cached(
        "INSERT INTO pattern_alias(id, target) VALUES(?1, ?2)
         ON CONFLICT(id) DO UPDATE SET target = excluded.target",
    )?;
    for a in &p.aliases {
        if a.from != a.to {
            up.execute(params![a.from.as_i64(), a.to.as_i64()])?;
        }
    }
    tx.prepare_cached("UPDATE meta SET value = ?1 WHERE key = 'next_id'")?
        .execute([first + p.accepted as i64])?;
    Ok(())
}

/// Converts a store of schema 1 or 2 (a `logs` row per record, with FTS5 and
/// indexes per record) to blocks, inside the caller's transaction (one
/// transaction: a conversion cut short leaves the old store as it was). Ids,
/// rollups and idempotency keys stay as they are.
pub(crate) fn convert_rows(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    conn.execute_batch("ALTER TABLE rollup_errors ADD COLUMN sample_id INTEGER")?;
    conn.execute_batch("DELETE FROM id_chunks")?;
    let mut after = i64::MIN;
    loop {
        let rows: Vec<Record> = {
            let mut st = conn.prepare(
                "SELECT id, time, level, service, host, message, trace_id, span_id, metadata \
                 FROM logs WHERE id > ?1 ORDER BY id LIMIT ?2",
            )?;
            st.query_map(params![after, MAX_RECORDS as i64], |r| {
                let level: i64 = r.get(2)?;
                let meta: Option<String> = r.get(8)?;
                Ok(Record {
                    pattern: None,
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
            })?
            .collect::<rusqlite::Result<_>>()?
        };
        let Some(last) = rows.last() else { break };
        after = last.id.expect("read with its id");
        let first = rows[0].id.expect("read with its id");
        let refs: Vec<&Record> = rows.iter().collect();
        let pats: Vec<PatternId> = rows
            .iter()
            .map(|r| PatternId::of(&Signature::of(&r.message).text()))
            .collect();
        let id = |i: usize| rows[i].id.expect("read with its id");
        for b in encode_records(&refs, &pats, id, first) {
            insert_block(conn, first, &b)?;
        }
    }
    conn.execute_batch(
        "DROP TABLE IF EXISTS logs_fts; DROP TABLE IF EXISTS logs; \
         INSERT INTO blocks_fts(blocks_fts) VALUES('optimize');",
    )?;
    Ok(())
}

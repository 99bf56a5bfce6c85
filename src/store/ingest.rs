//! Writing a batch: one `BEGIN IMMEDIATE` transaction that checks the batch id
//! (idempotency), inserts the records and their full-text entries with cached
//! prepared statements, and updates the rollups, the id-chunk time bounds and
//! the id counter. Either all of it commits or none of it does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

use super::Store;
use super::schema::CHUNK_SHIFT;
use crate::backend::{Batch, DeliveryError, IngestOutcome};
use crate::query::fingerprint;
use crate::record::{Level, Micros, Record, now_micros};

/// The outcome as kept in `batches.outcome`.
#[derive(Serialize, Deserialize)]
struct StoredOutcome {
    accepted: usize,
    rejected: Vec<(usize, String)>,
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

/// A batch waiting in the group-commit queue, and where its answer goes.
pub(crate) struct Pending {
    batch: Arc<Batch>,
    done: Arc<Done>,
}

type Done = Mutex<Option<Result<IngestOutcome, DeliveryError>>>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Store {
    /// Stores a batch in its own transaction. A batch whose id was stored
    /// before returns the first outcome and stores nothing (the check and the
    /// insert share one transaction, so two processes racing on one id store
    /// it once).
    pub fn ingest(&self, batch: &Batch) -> Result<IngestOutcome, DeliveryError> {
        self.with_writer(|conn| {
            let out = (|| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let outcome = ingest_in(&tx, batch)?;
                tx.commit()?;
                Ok(outcome)
            })();
            out.map_err(|e| self.delivery_error(&e))
        })
    }

    /// Like [`Store::ingest`], with group commit: batches that arrive from
    /// several threads while a transaction is being written are stored
    /// together in the next one, each still answered only once that
    /// transaction has committed. Every commit pays a fixed cost (flushing
    /// the full-text segment, writing touched index pages to the WAL), so
    /// concurrent writers (the pipeline's in-flight batches, the server's
    /// clients) share it. A failed transaction fails every batch in it.
    pub fn ingest_shared(&self, batch: Arc<Batch>) -> Result<IngestOutcome, DeliveryError> {
        let done: Arc<Done> = Arc::new(Mutex::new(None));
        lock(&self.queue).push(Pending {
            batch,
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
                    outs.push(ingest_in(&tx, &p.batch)?);
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
fn ingest_in(tx: &rusqlite::Transaction<'_>, batch: &Batch) -> rusqlite::Result<IngestOutcome> {
    if !batch.id.is_empty()
        && let Some(text) = tx
            .prepare_cached("SELECT outcome FROM batches WHERE id = ?1")?
            .query_row([&batch.id], |r| r.get::<_, String>(0))
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
    let outcome = insert_records(tx, &batch.records)?;
    if !batch.id.is_empty() {
        let stored = StoredOutcome {
            accepted: outcome.accepted,
            rejected: outcome.rejected.clone(),
        };
        tx.prepare_cached("INSERT INTO batches(id, outcome, created) VALUES(?1, ?2, ?3)")?
            .execute(params![
                batch.id,
                serde_json::to_string(&stored).expect("outcome serializes"),
                now_micros()
            ])?;
    }
    Ok(outcome)
}

/// Inserts the valid records of a batch and updates every derived table.
fn insert_records(
    tx: &rusqlite::Transaction<'_>,
    records: &[Record],
) -> rusqlite::Result<IngestOutcome> {
    let mut next_id: i64 =
        tx.query_row("SELECT value FROM meta WHERE key = 'next_id'", [], |r| {
            r.get(0)
        })?;
    let mut outcome = IngestOutcome::default();
    let mut minutes: HashMap<(i64, &str, u8), i64> = HashMap::new();
    let mut errors: HashMap<(i64, String, &str, u8), (i64, Micros)> = HashMap::new();
    let mut samples: HashMap<String, &str> = HashMap::new();
    let mut chunks: HashMap<i64, (Micros, Micros)> = HashMap::new();
    let mut meta_buf = String::new();
    {
        let mut ins = tx.prepare_cached(
            "INSERT INTO logs(id, time, level, service, host, message, trace_id, span_id, metadata)
             VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        let mut fts = tx.prepare_cached("INSERT INTO logs_fts(rowid, message) VALUES(?1, ?2)")?;
        for (i, r) in records.iter().enumerate() {
            if let Some(reason) = invalid(r) {
                outcome.rejected.push((i, reason));
                continue;
            }
            let id = next_id;
            next_id += 1;
            let meta = if r.metadata.is_empty() {
                None
            } else {
                meta_buf.clear();
                meta_buf.push_str(
                    &serde_json::to_string(&r.metadata).expect("a JSON map always serializes"),
                );
                Some(meta_buf.as_str())
            };
            let level = r.level.index() as u8;
            ins.execute(params![
                id, r.time, level, r.service, r.host, r.message, r.trace_id, r.span_id, meta
            ])?;
            fts.execute(params![id, r.message])?;
            let minute = minute_of(r.time);
            *minutes.entry((minute, &r.service, level)).or_default() += 1;
            if r.level >= Level::Error {
                let fp = fingerprint::fingerprint(&r.message);
                samples.entry(fp.clone()).or_insert(&r.message);
                let e = errors
                    .entry((minute, fp, &r.service, level))
                    .or_insert((0, r.time));
                e.0 += 1;
                e.1 = e.1.max(r.time);
            }
            let c = chunks.entry(id >> CHUNK_SHIFT).or_insert((r.time, r.time));
            c.0 = c.0.min(r.time);
            c.1 = c.1.max(r.time);
            outcome.accepted += 1;
        }
    }
    if outcome.accepted == 0 {
        return Ok(outcome);
    }
    let mut up = tx.prepare_cached(
        "INSERT INTO rollup_minute(minute, service, level, count) VALUES(?1, ?2, ?3, ?4)
         ON CONFLICT(minute, service, level) DO UPDATE SET count = count + excluded.count",
    )?;
    let mut hours: HashMap<(i64, &str, u8), i64> = HashMap::new();
    for ((minute, service, level), n) in minutes {
        up.execute(params![minute, service, level, n])?;
        *hours
            .entry((minute - minute.rem_euclid(60), service, level))
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
        "INSERT INTO rollup_errors(minute, fingerprint, service, level, count, last_seen)
         VALUES(?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(minute, fingerprint, service, level) DO UPDATE SET
            count = count + excluded.count, last_seen = max(last_seen, excluded.last_seen)",
    )?;
    for ((minute, fp, service, level), (n, last)) in errors {
        up.execute(params![minute, fp, service, level, n, last])?;
    }
    let mut up = tx
        .prepare_cached("INSERT OR IGNORE INTO fingerprints(fingerprint, sample) VALUES(?1, ?2)")?;
    for (fp, sample) in samples {
        // A sample is for display: keep it short.
        let mut end = sample.len().min(1000);
        while !sample.is_char_boundary(end) {
            end -= 1;
        }
        up.execute(params![fp, &sample[..end]])?;
    }
    let mut up = tx.prepare_cached(
        "INSERT INTO id_chunks(chunk, min_time, max_time) VALUES(?1, ?2, ?3)
         ON CONFLICT(chunk) DO UPDATE SET
            min_time = min(min_time, excluded.min_time),
            max_time = max(max_time, excluded.max_time)",
    )?;
    for (chunk, (lo, hi)) in chunks {
        up.execute(params![chunk, lo, hi])?;
    }
    tx.prepare_cached("UPDATE meta SET value = ?1 WHERE key = 'next_id'")?
        .execute([next_id])?;
    Ok(outcome)
}

//! Retention: deletes the oldest records (by time) beyond an age or a size,
//! a bounded chunk per transaction so writers and readers never wait long,
//! taking each deleted record out of the full-text index and the rollups in
//! the same transaction; then prunes old idempotency keys (kept at least
//! 24 h) and gives free pages back to the file system.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use rusqlite::{TransactionBehavior, params};

use super::Store;
use super::ingest::minute_of;
use super::schema::CHUNK_SHIFT;
use crate::query::fingerprint;
use crate::record::{Level, Micros, now_micros};

/// Records deleted per transaction.
const CHUNK: usize = 5_000;

/// Idempotency keys are kept at least this long.
const MIN_BATCH_AGE: Duration = Duration::from_secs(24 * 3600);

/// What one retention pass did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RetainReport {
    /// Records deleted.
    pub deleted: u64,
    /// Idempotency keys forgotten.
    pub batches_pruned: u64,
    /// Store size after the pass ([`Store::storage_bytes`]).
    pub bytes_after: u64,
}

impl Store {
    /// Deletes records older than `max_age`, then the oldest records until
    /// the data fits in `max_bytes` ([`Store::data_bytes`]; the file shrinks
    /// as free pages are released, the WAL is bounded separately).
    pub fn retain(
        &self,
        max_age: Option<Duration>,
        max_bytes: Option<u64>,
    ) -> anyhow::Result<RetainReport> {
        let mut report = RetainReport::default();
        let now = now_micros();
        if let Some(age) = max_age {
            let cutoff = now.saturating_sub(micros(age));
            loop {
                let n = self.delete_oldest(Some(cutoff), CHUNK)?;
                report.deleted += n as u64;
                if n < CHUNK {
                    break;
                }
            }
        }
        if let Some(max) = max_bytes {
            // Deleting rows frees pages only partly at once (full-text
            // segments shrink when merged), so the share of rows to drop is
            // estimated from the excess, and re-measured for at most a few
            // rounds: never "delete until the file shrinks", which could
            // empty the store.
            for _ in 0..3 {
                let (used, rows) = self.used_bytes_and_rows()?;
                if used <= max || rows == 0 {
                    break;
                }
                let mut want =
                    (rows as u128 * u128::from(used - max)).div_ceil(u128::from(used)) as u64;
                while want > 0 {
                    let n = self.delete_oldest(None, (want as usize).min(CHUNK))?;
                    report.deleted += n as u64;
                    want = want.saturating_sub(n as u64);
                    if n == 0 {
                        break;
                    }
                }
            }
        }
        let keep = max_age.unwrap_or(MIN_BATCH_AGE).max(MIN_BATCH_AGE);
        let deleted = report.deleted;
        report.batches_pruned = self
            .with_writer(|conn| -> rusqlite::Result<u64> {
                let n = conn.execute(
                    "DELETE FROM batches WHERE created < ?1",
                    [now.saturating_sub(micros(keep))],
                )?;
                if deleted > 0 {
                    conn.execute(
                        "DELETE FROM fingerprints WHERE fingerprint NOT IN \
                         (SELECT fingerprint FROM rollup_errors)",
                        [],
                    )?;
                    conn.execute_batch("PRAGMA incremental_vacuum")?;
                }
                Ok(n as u64)
            })
            .map_err(|e| anyhow::anyhow!("{}", self.delivery_error(&e)))?;
        report.bytes_after = self.storage_bytes();
        Ok(report)
    }

    /// Bytes of data: the database's pages in use (free pages and the WAL
    /// not counted). This is what `retain`'s `max_bytes` limits.
    pub fn data_bytes(&self) -> anyhow::Result<u64> {
        self.with_reader(|conn| Ok(used_pages_bytes(conn)?))
    }

    /// Pages in use (file pages minus free pages) in bytes, and the record
    /// count (an index scan: fine for retention, which runs now and then).
    fn used_bytes_and_rows(&self) -> anyhow::Result<(u64, u64)> {
        self.with_reader(|conn| {
            let used = used_pages_bytes(conn)?;
            let rows: i64 = conn.query_row("SELECT count(*) FROM logs", [], |r| r.get(0))?;
            Ok((used, rows as u64))
        })
    }

    /// Deletes up to `limit` of the oldest records (older than `before` if
    /// given) in one transaction; returns how many.
    fn delete_oldest(&self, before: Option<Micros>, limit: usize) -> anyhow::Result<usize> {
        self.with_writer(|conn| -> rusqlite::Result<usize> {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let rows: Vec<(i64, Micros, i64, String, Option<String>)> = {
                let mut st = tx.prepare_cached(
                    "SELECT id, time, level, service, CASE WHEN level >= ?3 THEN message END \
                     FROM logs WHERE time < ?1 ORDER BY time, id LIMIT ?2",
                )?;
                st.query_map(
                    params![
                        before.unwrap_or(Micros::MAX),
                        limit as i64,
                        Level::Error.index() as i64
                    ],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )?
                .collect::<rusqlite::Result<_>>()?
            };
            let mut minutes: HashMap<(i64, &str, i64), i64> = HashMap::new();
            let mut errors: HashMap<(i64, String, &str, i64), i64> = HashMap::new();
            let mut chunks = HashSet::new();
            {
                let mut del = tx.prepare_cached("DELETE FROM logs WHERE id = ?1")?;
                let mut del_fts = tx.prepare_cached("DELETE FROM logs_fts WHERE rowid = ?1")?;
                for (id, time, level, service, message) in &rows {
                    del.execute([id])?;
                    del_fts.execute([id])?;
                    let minute = minute_of(*time);
                    *minutes.entry((minute, service, *level)).or_default() += 1;
                    if let Some(m) = message {
                        *errors
                            .entry((minute, fingerprint::fingerprint(m), service, *level))
                            .or_default() += 1;
                    }
                    chunks.insert(id >> CHUNK_SHIFT);
                }
            }
            {
                let mut up = tx.prepare_cached(
                    "UPDATE rollup_minute SET count = count - ?4 \
                 WHERE minute = ?1 AND service = ?2 AND level = ?3",
                )?;
                let mut empty = tx.prepare_cached(
                    "DELETE FROM rollup_minute \
                 WHERE minute = ?1 AND service = ?2 AND level = ?3 AND count <= 0",
                )?;
                let mut up_h = tx.prepare_cached(
                    "UPDATE rollup_hour SET count = count - ?4 \
                 WHERE minute = ?1 AND service = ?2 AND level = ?3",
                )?;
                let mut empty_h = tx.prepare_cached(
                    "DELETE FROM rollup_hour \
                 WHERE minute = ?1 AND service = ?2 AND level = ?3 AND count <= 0",
                )?;
                for ((minute, service, level), n) in minutes {
                    up.execute(params![minute, service, level, n])?;
                    empty.execute(params![minute, service, level])?;
                    let hour = minute - minute.rem_euclid(60);
                    up_h.execute(params![hour, service, level, n])?;
                    empty_h.execute(params![hour, service, level])?;
                }
                let mut up = tx.prepare_cached(
                    "UPDATE rollup_errors SET count = count - ?5 \
                 WHERE minute = ?1 AND fingerprint = ?2 AND service = ?3 AND level = ?4",
                )?;
                let mut empty = tx.prepare_cached(
                    "DELETE FROM rollup_errors WHERE minute = ?1 AND fingerprint = ?2 \
                 AND service = ?3 AND level = ?4 AND count <= 0",
                )?;
                for ((minute, fp, service, level), n) in errors {
                    up.execute(params![minute, &fp, service, level, n])?;
                    empty.execute(params![minute, fp, service, level])?;
                }
                let mut gone = tx.prepare_cached(
                    "DELETE FROM id_chunks WHERE chunk = ?1 AND NOT EXISTS \
                 (SELECT 1 FROM logs WHERE id >= ?2 AND id < ?3)",
                )?;
                for c in chunks {
                    gone.execute(params![c, c << CHUNK_SHIFT, (c + 1) << CHUNK_SHIFT])?;
                }
            }
            tx.commit()?;
            Ok(rows.len())
        })
        .map_err(|e| anyhow::anyhow!("{}", self.delivery_error(&e)))
    }
}

fn used_pages_bytes(conn: &rusqlite::Connection) -> rusqlite::Result<u64> {
    let pages: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    let free: i64 = conn.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
    let size: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    Ok(((pages - free) * size) as u64)
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

//! Retention: deletes the oldest records (by time) beyond an age or a size,
//! a few blocks per transaction so writers and readers never wait long,
//! taking the deleted records out of the rollups in the same transaction.
//! A block with records on both sides of the cutoff is written again with
//! the ones that stay. A size limit becomes an age: the rollups say how
//! many records each minute holds, so the cutoff is the first minute that
//! leaves enough out. Then old idempotency keys are pruned (kept at least
//! 24 h) and free pages go back to the file system.

use std::collections::HashMap;
use std::time::Duration;

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::Store;
use super::block::{self, View};
use super::ingest::{encode, insert_block, minute_of};
use super::schema::CHUNK_SHIFT;
use crate::record::{Level, Micros, now_micros};

/// Blocks handled per transaction.
const BLOCKS_PER_TX: usize = 16;

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
            report.deleted += self.delete_before(now.saturating_sub(micros(age)))?;
        }
        if let Some(max) = max_bytes {
            // Deleting frees pages only partly at once (full-text segments
            // shrink when merged, and a small store is mostly fixed
            // overhead), so the share of records to drop is estimated from
            // the excess, and another round only follows one that freed at
            // least half of what it aimed at: never "delete until the file
            // shrinks", which could empty the store.
            for _ in 0..3 {
                let (used, rows) = self.used_bytes_and_rows()?;
                if used <= max || rows == 0 {
                    break;
                }
                let want =
                    (rows as u128 * u128::from(used - max)).div_ceil(u128::from(used)) as i64;
                let Some(cutoff) = self.cutoff_for(want)? else {
                    break;
                };
                let n = self.delete_before(cutoff)?;
                report.deleted += n;
                let (after, _) = self.used_bytes_and_rows()?;
                if n == 0 || used.saturating_sub(after) < (used - max) / 2 {
                    break;
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
    /// count.
    fn used_bytes_and_rows(&self) -> anyhow::Result<(u64, u64)> {
        self.with_reader(|conn| {
            let used = used_pages_bytes(conn)?;
            let rows: i64 =
                conn.query_row("SELECT coalesce(sum(count), 0) FROM blocks", [], |r| {
                    r.get(0)
                })?;
            Ok((used, rows as u64))
        })
    }

    /// The time before which at least `want` records lie (the end of the
    /// first minute that reaches it), from the minute rollups.
    fn cutoff_for(&self, want: i64) -> anyhow::Result<Option<Micros>> {
        self.with_reader(|conn| {
            let minute: Option<i64> = conn
                .query_row(
                    "SELECT minute FROM (SELECT minute, sum(sum(count)) OVER (ORDER BY minute) AS upto \
                     FROM rollup_minute GROUP BY minute) WHERE upto >= ?1 ORDER BY minute LIMIT 1",
                    [want],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(minute.map(|m| (m + 1).saturating_mul(60_000_000)))
        })
    }

    /// Deletes every record older than `cutoff`, a few blocks per
    /// transaction; returns how many.
    fn delete_before(&self, cutoff: Micros) -> anyhow::Result<u64> {
        let mut deleted = 0;
        loop {
            let (n, blocks) = self
                .with_writer(|conn| delete_in_blocks(conn, cutoff))
                .map_err(|e| match e.downcast_ref::<rusqlite::Error>() {
                    Some(e) => anyhow::anyhow!("{}", self.delivery_error(e)),
                    None => e,
                })?;
            deleted += n;
            if blocks < BLOCKS_PER_TX {
                return Ok(deleted);
            }
        }
    }
}

/// One transaction of [`Store::delete_before`]: the oldest blocks with a
/// record before `cutoff`; returns the records deleted and blocks handled.
fn delete_in_blocks(
    conn: &mut rusqlite::Connection,
    cutoff: Micros,
) -> anyhow::Result<(u64, usize)> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let blocks: Vec<(i64, Vec<u8>)> = {
        let mut st = tx.prepare_cached(
            "SELECT b.id, d.data FROM blocks b JOIN block_data d ON d.id = b.id \
             WHERE b.min_time < ?1 ORDER BY b.min_time LIMIT ?2",
        )?;
        st.query_map(params![cutoff, BLOCKS_PER_TX as i64], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<rusqlite::Result<_>>()?
    };
    let mut minutes: HashMap<(i64, String, i64), i64> = HashMap::new();
    let mut errors: HashMap<(i64, String, String, i64), i64> = HashMap::new();
    let mut deleted = 0u64;
    let mut raw = Vec::new();
    for (id, data) in &blocks {
        block::decode(*id, data, &mut raw)?;
        let views = block::views(*id, &raw)?;
        let (gone, kept): (Vec<View<'_>>, Vec<View<'_>>) =
            views.into_iter().partition(|v| v.time < cutoff);
        for v in &gone {
            let minute = minute_of(v.time);
            let level = v.level.index() as i64;
            *minutes
                .entry((minute, v.service.to_string(), level))
                .or_default() += 1;
            if v.level >= Level::Error {
                *errors
                    .entry((
                        minute,
                        // Top-error rows are keyed by the stored pattern.
                        v.pattern.to_string(),
                        v.service.to_string(),
                        level,
                    ))
                    .or_default() += 1;
            }
        }
        deleted += gone.len() as u64;
        tx.prepare_cached("DELETE FROM blocks WHERE id = ?1")?
            .execute([id])?;
        tx.prepare_cached("DELETE FROM block_data WHERE id = ?1")?
            .execute([id])?;
        tx.prepare_cached("DELETE FROM blocks_fts WHERE rowid = ?1")?
            .execute([id])?;
        tx.prepare_cached("DELETE FROM block_keys WHERE id = ?1")?
            .execute([id])?;
        if let Some(first) = kept.first().map(|v| v.id) {
            for b in encode(kept.iter().map(|v| (v.clone(), None)), first) {
                insert_block(&tx, first, &b)?;
            }
        }
        let c = id >> CHUNK_SHIFT;
        tx.prepare_cached(
            "DELETE FROM id_chunks WHERE chunk = ?1 AND NOT EXISTS \
             (SELECT 1 FROM blocks WHERE id >= ?2 AND id < ?3)",
        )?
        .execute(params![c, c << CHUNK_SHIFT, (c + 1) << CHUNK_SHIFT])?;
    }
    {
        // The same counts leave the minute rows and their hours' rows.
        for (table, hourly) in [("rollup_minute", false), ("rollup_hour", true)] {
            let mut up = tx.prepare_cached(&format!(
                "UPDATE {table} SET count = count - ?4 \
                 WHERE minute = ?1 AND service = ?2 AND level = ?3"
            ))?;
            let mut empty = tx.prepare_cached(&format!(
                "DELETE FROM {table} \
                 WHERE minute = ?1 AND service = ?2 AND level = ?3 AND count <= 0"
            ))?;
            for ((minute, service, level), n) in &minutes {
                let at = if hourly {
                    minute - minute.rem_euclid(60)
                } else {
                    *minute
                };
                up.execute(params![at, service, level, n])?;
                empty.execute(params![at, service, level])?;
            }
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
    }
    tx.commit()?;
    Ok((deleted, blocks.len()))
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

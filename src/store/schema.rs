//! The store's tables and connection settings, and why each is there.
//!
//! - `logs`: one row per record; `id` is the record id (rowid, so lookups by
//!   id and id ranges are B-tree seeks). Levels are stored as 0..4.
//!   `metadata` is JSON text, NULL when empty.
//! - `logs_fts`: FTS5 over `message`, contentless (the text lives once, in
//!   `logs`) with `contentless_delete=1` so retention can delete by rowid.
//!   Tokenizer: `unicode61` with `_` as a token character, so `user_id` and
//!   `ERR_TIMEOUT` are one token, while `-`, `.`, `/`, `:` split words as a
//!   reader expects (`db-1` finds `db 1`). Case and diacritics are folded.
//! - Indexes on `time`, `(service,time)`, `(level,time)`, `(host,time)`.
//!   Each also carries the rowid, so `ORDER BY time DESC, id DESC` is an
//!   index walk. These insert near their right edge (times mostly grow), so
//!   a commit touches a few leaf pages of each.
//! - `logs_trace` on `(time/3600000000, trace_id)`, partial (most records
//!   have no trace). Keyed by hour first because trace ids are random: an
//!   index on `trace_id` alone takes each insert to a random leaf, and once
//!   it outgrows the page cache (a few million traced records) every commit
//!   rewrites hundreds of scattered pages into the WAL and reads them back
//!   from disk; that was the largest cost of ingest into a big store. By
//!   hour, a commit touches only the current hour's slice. A lookup by trace
//!   id probes each hour that holds records ([`TRACE_HOURS`]), a seek apiece.
//! - `rollup_minute` (minute × service × level → count) and `rollup_errors`
//!   (minute × fingerprint × service × level → count, last seen; error and
//!   critical only), kept in the insert's transaction; `rollup_hour` is
//!   `rollup_minute` by hour (its `minute` is the hour's first minute), so
//!   a day of hourly buckets reads 24 rows per service and level: `stats` reads these,
//!   so its cost depends on the time range, not on how many records exist.
//!   `fingerprints` keeps one sample message per fingerprint.
//! - `id_chunks`: for every 8192 ids, the min and max `time`. Full-text search
//!   walks ids newest first and uses these bounds to know when no older id
//!   can hold a newer record (see `search`).
//! - `batches`: idempotency keys with their first outcome.
//! - `meta`: the next record id (see the module docs of `store`).
//!
//! Settings: WAL (readers never block the writer), `synchronous=NORMAL` (a
//! commit is in the WAL before the ack, so a killed process loses nothing
//! acknowledged; only power loss may drop the last commits), a 64 MiB page
//! cache, `auto_vacuum=INCREMENTAL` so retention can give space back.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::BUSY_TIMEOUT;

/// ids per `id_chunks` row, as a shift.
pub(crate) const CHUNK_SHIFT: u32 = 13;

/// Schema version in `PRAGMA user_version`. 2: `logs_trace` keyed by hour.
const VERSION: i64 = 2;

/// The trace index (module docs). The expression in reads must be written
/// exactly like this for SQLite to use the index.
const TRACE_INDEX: &str = "CREATE INDEX IF NOT EXISTS logs_trace \
    ON logs(time/3600000000, trace_id) WHERE trace_id IS NOT NULL;";

/// A WHERE clause that, beside `trace_id = ?`, lets a read seek the trace
/// index: every value `time/3600000000` takes in an hour that holds records.
/// `rollup_hour` has a row for each such hour (its `minute` is the hour's
/// first minute, rounded down, so `minute/60` is exact); integer division
/// rounds toward zero, so an hour before 1970 also yields the next value.
pub(crate) const TRACE_HOURS: &str = "logs.time/3600000000 IN \
    (SELECT minute/60 FROM rollup_hour UNION SELECT minute/60 + 1 FROM rollup_hour WHERE minute < 0)";

const DDL: &str = r#"
CREATE TABLE IF NOT EXISTS logs(
    id INTEGER PRIMARY KEY,
    time INTEGER NOT NULL,
    level INTEGER NOT NULL,
    service TEXT NOT NULL,
    host TEXT NOT NULL,
    message TEXT NOT NULL,
    trace_id TEXT,
    span_id TEXT,
    metadata TEXT
);
CREATE INDEX IF NOT EXISTS logs_time ON logs(time);
CREATE INDEX IF NOT EXISTS logs_service ON logs(service, time);
CREATE INDEX IF NOT EXISTS logs_level ON logs(level, time);
CREATE INDEX IF NOT EXISTS logs_host ON logs(host, time);
CREATE VIRTUAL TABLE IF NOT EXISTS logs_fts USING fts5(
    message,
    content='',
    contentless_delete=1,
    tokenize="unicode61 tokenchars '_'"
);
CREATE TABLE IF NOT EXISTS rollup_minute(
    minute INTEGER NOT NULL,
    service TEXT NOT NULL,
    level INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY(minute, service, level)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_hour(
    minute INTEGER NOT NULL,
    service TEXT NOT NULL,
    level INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY(minute, service, level)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_errors(
    minute INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    service TEXT NOT NULL,
    level INTEGER NOT NULL,
    count INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    PRIMARY KEY(minute, fingerprint, service, level)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fingerprints(
    fingerprint TEXT PRIMARY KEY,
    sample TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS id_chunks(
    chunk INTEGER PRIMARY KEY,
    min_time INTEGER NOT NULL,
    max_time INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS batches(
    id TEXT PRIMARY KEY,
    outcome TEXT NOT NULL,
    created INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS batches_created ON batches(created);
CREATE TABLE IF NOT EXISTS meta(
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO meta(key, value) VALUES('next_id', 1);
"#;

/// Page cache of the writer: `send` into the store must stay within its
/// memory bound whatever the store's size. Measured on 1M records: 8 MiB
/// gives the same ingest speed as 32 MiB with ~40 MiB less peak RSS.
const WRITER_CACHE_KIB: i64 = 8 * 1024;
/// Page cache of each reader: searches at 10M records keep their hot FTS and
/// index pages cached.
const READER_CACHE_KIB: i64 = 32 * 1024;

/// Settings every connection gets; the cache size is per connection.
fn configure(conn: &Connection, cache_kib: i64) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.execute_batch(&format!(
        "PRAGMA synchronous=NORMAL;
         PRAGMA cache_size=-{cache_kib};
         PRAGMA temp_store=FILE;"
    ))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// Opens the writer connection and creates or checks the schema.
pub(crate) fn open_writer(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&conn, WRITER_CACHE_KIB)?;
    // Page size and auto-vacuum only take effect before the file has tables.
    conn.execute_batch("PRAGMA page_size=8192; PRAGMA auto_vacuum=INCREMENTAL;")?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        // e.g. a read-only file: SQLite keeps the old mode. Writes will fail
        // with a clear read-only error; reading still works.
        tracing::debug!(mode, "store not in WAL mode");
    }
    // A bigger auto-checkpoint: fewer, larger checkpoints during bulk ingest.
    // The WAL file is cut back to 64 MiB after a checkpoint.
    conn.execute_batch("PRAGMA wal_autocheckpoint=10000; PRAGMA journal_size_limit=67108864;")?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version < VERSION {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let created = (|| {
            // Another process may have created it while we waited.
            let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if version < 1 {
                conn.execute_batch(DDL)?;
                // Fewer, larger segment merges: cheaper bulk indexing; FTS
                // leaves sized to the 8 KiB page (the default suits 4 KiB).
                conn.execute_batch(
                    "INSERT INTO logs_fts(logs_fts, rank) VALUES('pgsz', 8000);
                     INSERT INTO logs_fts(logs_fts, rank) VALUES('automerge', 8);
                     INSERT INTO logs_fts(logs_fts, rank) VALUES('crisismerge', 32);",
                )?;
            }
            if version < 2 {
                // Version 1 indexed `trace_id` alone.
                conn.execute_batch("DROP INDEX IF EXISTS logs_trace;")?;
                conn.execute_batch(TRACE_INDEX)?;
            }
            if version < VERSION {
                conn.execute_batch(&format!("PRAGMA user_version={VERSION}"))?;
            }
            Ok(())
        })();
        match created {
            Ok(()) => conn.execute_batch("COMMIT")?,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
    }
    Ok(conn)
}

/// Opens a connection for reads.
pub(crate) fn open_reader(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&conn, READER_CACHE_KIB)?;
    Ok(conn)
}

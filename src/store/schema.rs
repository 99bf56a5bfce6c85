//! The store's tables and connection settings, and why each is there.
//!
//! - `blocks`: one row per block of records (see `block`): the id range
//!   `id..=last_id` (`id` is at most the id of its first record, and ranges
//!   never overlap), how many records it holds and their time bounds.
//!   `blocks_min_time` lets retention take the oldest first;
//!   `blocks_max_time` lets a search take the newest first (`merge`).
//! - `block_data`: the compressed records of each block, apart from
//!   `blocks` so that walking the bounds never reads record bytes.
//! - `block_keys`: the Bloom filter of a block's trace ids and metadata
//!   values (`block` module docs), for blocks that have any.
//! - `blocks_fts`: FTS5, one document per block (rowid = block id): its
//!   distinct words and its service, host and level tokens. Contentless, with
//!   `detail=none` (a read asks only which blocks hold every token) and the
//!   `ascii` tokenizer with `_` as a token character (documents and queries
//!   hold only ASCII words that `block` already split and folded).
//!   `contentless_delete=1` so retention can drop a block's document.
//! - `rollup_minute` (minute × service × level → count) and `rollup_errors`
//!   (minute × fingerprint × service × level → count, last seen; error and
//!   critical only), kept in the insert's transaction; `rollup_hour` is
//!   `rollup_minute` by hour (its `minute` is the hour's first minute), so
//!   a day of hourly buckets reads 24 rows per service and level: `stats` reads these,
//!   so its cost depends on the time range, not on how many records exist.
//!   Each `rollup_errors` row names one record of its group (`sample_id`),
//!   whose message `stats` shows as the sample. Stores written before
//!   schema 3 kept a sample per fingerprint in `fingerprints`, still read
//!   for their rows; a table keyed by fingerprint takes each insert to a
//!   random page, which cost more than all the rest of a write.
//! - `id_chunks`: for every 8192 ids, the min and max `time` of the
//!   blocks whose id falls in it. Searches walk ids newest first and use
//!   these bounds to know when no older block can hold a newer record.
//! - `patterns` (template id → text, records stored under it),
//!   `pattern_alias` (a stored id → the id its template generalised to;
//!   see `crate::pattern`) and `rollup_patterns` (minute × pattern ×
//!   service × level → count, last seen, a sample record): `loghub
//!   patterns` reads these. Created on open for stores of any version.
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

/// Schema version in `PRAGMA user_version`. 3: records in blocks; 1 and
/// 2 kept a row per record (`logs`) and are converted on open.
const VERSION: i64 = 3;

const DDL: &str = r#"
CREATE TABLE IF NOT EXISTS blocks(
    id INTEGER PRIMARY KEY,
    last_id INTEGER NOT NULL,
    count INTEGER NOT NULL,
    min_time INTEGER NOT NULL,
    max_time INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS blocks_min_time ON blocks(min_time);
CREATE INDEX IF NOT EXISTS blocks_max_time ON blocks(max_time);
CREATE TABLE IF NOT EXISTS block_data(
    id INTEGER PRIMARY KEY,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS block_keys(
    id INTEGER PRIMARY KEY,
    bloom BLOB NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS blocks_fts USING fts5(
    terms,
    content='',
    contentless_delete=1,
    detail=none,
    tokenize="ascii tokenchars '_'"
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
    sample_id INTEGER,
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

/// The pattern tables (module docs), made on every writer open: stores
/// written before patterns gain them there.
const PATTERN_DDL: &str = r#"
CREATE TABLE IF NOT EXISTS patterns(
    id INTEGER PRIMARY KEY,
    template TEXT NOT NULL,
    count INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pattern_alias(
    id INTEGER PRIMARY KEY,
    target INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rollup_patterns(
    minute INTEGER NOT NULL,
    pattern INTEGER NOT NULL,
    service TEXT NOT NULL,
    level INTEGER NOT NULL,
    count INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    sample_id INTEGER,
    PRIMARY KEY(minute, pattern, service, level)
) WITHOUT ROWID;
"#;

/// Page cache of the writer: `send` into the store must stay within its
/// memory bound whatever the store's size. Measured on 1M records: 8 MiB
/// gives the same ingest speed as 32 MiB with ~40 MiB less peak RSS.
const WRITER_CACHE_KIB: i64 = 8 * 1024;
/// Page cache of each reader: searches at 10M records keep their hot FTS and
/// index pages cached.
pub(crate) const READER_CACHE_KIB: i64 = 32 * 1024;

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
    conn.execute_batch(PATTERN_DDL)?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    backfill_patterns(&conn)?;
    if version < VERSION {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let created = (|| {
            // Another process may have created it while we waited.
            let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if version < VERSION {
                conn.execute_batch(DDL)?;
                // Fewer, larger segment merges: cheaper bulk indexing; FTS
                // leaves sized to the 8 KiB page (the default suits 4 KiB).
                conn.execute_batch(
                    "INSERT INTO blocks_fts(blocks_fts, rank) VALUES('pgsz', 8000);
                     INSERT INTO blocks_fts(blocks_fts, rank) VALUES('automerge', 8);
                     INSERT INTO blocks_fts(blocks_fts, rank) VALUES('crisismerge', 32);",
                )?;
            }
            if (1..VERSION).contains(&version) {
                super::ingest::convert_rows(&conn)?;
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
    // Stores made before the index existed get it on their next open (a
    // read-only file cannot, and searches only get slower without it).
    if let Err(e) =
        conn.execute_batch("CREATE INDEX IF NOT EXISTS blocks_max_time ON blocks(max_time)")
    {
        tracing::debug!("cannot add the blocks_max_time index: {e}");
    }
    Ok(conn)
}

/// Runs the one-time pattern backfill of a store written before patterns
/// (`store::patterns::backfill`) in its own transaction.
fn backfill_patterns(conn: &Connection) -> rusqlite::Result<()> {
    let pending = conn
        .query_row(
            "SELECT 1 FROM meta WHERE key = 'patterns_backfilled'",
            [],
            |_| Ok(()),
        )
        .is_err();
    let has_meta = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE name = 'meta'",
            [],
            |_| Ok(()),
        )
        .is_ok();
    if !pending || !has_meta {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE")?;
    match super::patterns::backfill(conn) {
        Ok(()) => conn.execute_batch("COMMIT"),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(rusqlite::Error::ToSqlConversionFailure(
                e.context("giving stored records their patterns").into(),
            ))
        }
    }
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

//! The embedded store (SPEC §7): SQLite in WAL mode; records in compressed
//! blocks with an FTS5 document per block that indexes their words,
//! services, levels, hosts, trace ids and metadata; rollups for stats;
//! retention.
//!
//! One [`Store`] is one open store file. Several processes may open the same
//! file at once: SQLite's WAL lets readers run beside the one writer, and
//! `busy_timeout` makes writers wait their turn instead of failing. Within a
//! process, writes go through one connection behind a mutex; reads take a
//! connection from a small pool.
//!
//! The submodules split the work: `schema` (tables, pragmas, why each),
//! `block` (the record encoding, words, filters), `ingest` (batched inserts,
//! idempotency, rollup upkeep), `search` (query,
//! trace, tail polling), `rollups` (stats), `retention` (age and size).
//!
//! Record ids come from a counter in the `meta` table, read and bumped inside
//! the same `BEGIN IMMEDIATE` transaction that inserts the batch. SQLite lets
//! one write transaction run at a time (across processes too), so ids become
//! visible in id order: a reader that sees id N sees every id below N that
//! was ever committed. That is what makes `tail` and SSE gap-free without any
//! look-back (see [`Store::tail_page`]).

mod block;
mod ingest;
mod merge;
mod patterns;
mod retention;
mod rollups;
mod schema;
mod search;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Context, Result};
use rusqlite::{Connection, ErrorCode};

use crate::backend::DeliveryError;

pub use ingest::Prepared;
pub use retention::RetainReport;
pub use search::{TAIL_BYTES, TailPage};

/// How long a connection waits for another one's lock before giving up
/// (`SQLITE_BUSY`, reported as retryable).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections kept for reads beyond the one in use.
const MAX_IDLE_READERS: usize = 4;

/// An open embedded store.
pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// Batches waiting for the next group commit ([`Store::ingest_prepared`]).
    queue: Mutex<Vec<ingest::Pending>>,
    /// The pattern miner of this process's writes (SPEC §10), seeded from
    /// the store's templates on first use.
    miner: Mutex<crate::pattern::Miner>,
    miner_loaded: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens the store at `path`, creating the file, its directory and the
    /// schema on first use. Errors name the path.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).with_context(|| {
                format!(
                    "cannot create the directory of store {}: {}",
                    path.display(),
                    dir.display()
                )
            })?;
        }
        let conn = schema::open_writer(path).map_err(|e| open_error(path, e))?;
        Ok(Store {
            path: path.to_path_buf(),
            writer: Mutex::new(conn),
            readers: Mutex::new(Vec::new()),
            queue: Mutex::new(Vec::new()),
            miner: Mutex::new(crate::pattern::Miner::new()),
            miner_loaded: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes the store takes on disk: the database file plus its WAL.
    pub fn storage_bytes(&self) -> u64 {
        let size = |p: PathBuf| std::fs::metadata(p).map_or(0, |m| m.len());
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        size(self.path.clone()) + size(PathBuf::from(wal))
    }

    /// Runs `f` on the writer connection.
    fn with_writer<T>(&self, f: impl FnOnce(&mut Connection) -> T) -> T {
        let mut conn = self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut conn)
    }

    /// Runs `f` on a pooled read connection.
    fn with_reader<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let pooled = self
            .readers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        let mut conn = match pooled {
            Some(c) => c,
            None => schema::open_reader(&self.path).map_err(|e| open_error(&self.path, e))?,
        };
        let out = f(&mut conn).with_context(|| format!("store {}", self.path.display()));
        let mut pool = self
            .readers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if pool.len() < MAX_IDLE_READERS {
            pool.push(conn);
        }
        out
    }

    /// Maps a SQLite error on a write to the pipeline's error kinds.
    fn delivery_error(&self, e: &rusqlite::Error) -> DeliveryError {
        classify(&self.path, e)
    }
}

/// An error opening the store, naming the path and saying what to do.
fn open_error(path: &Path, e: rusqlite::Error) -> anyhow::Error {
    anyhow::anyhow!("{}", classify(path, &e))
}

/// Sorts a SQLite error into retryable (busy/locked) and fatal (read-only,
/// full disk, corrupt, cannot open, I/O), with a message naming the store.
pub(crate) fn classify(path: &Path, e: &rusqlite::Error) -> DeliveryError {
    let p = path.display();
    let code = e.sqlite_error_code();
    match code {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => DeliveryError::Retryable {
            reason: format!(
                "store {p} is busy (locked by another writer for over {}s)",
                BUSY_TIMEOUT.as_secs()
            ),
            retry_after: None,
        },
        Some(ErrorCode::ReadOnly) => DeliveryError::Fatal(format!(
            "store {p} is read-only (check the permissions of the file and its directory): {e}"
        )),
        Some(ErrorCode::DiskFull) => {
            DeliveryError::Fatal(format!("store {p}: the disk is full: {e}"))
        }
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
            DeliveryError::Fatal(format!("store {p} is corrupt or not a loghub store: {e}"))
        }
        Some(ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => DeliveryError::Fatal(format!(
            "cannot open store {p} (check that its directory is writable): {e}"
        )),
        Some(ErrorCode::SystemIoFailure) => {
            DeliveryError::Fatal(format!("store {p}: disk I/O error: {e}"))
        }
        _ => DeliveryError::Fatal(format!("store {p}: {e}")),
    }
}

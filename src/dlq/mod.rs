//! The dead-letter queue (SPEC §6): the on-disk spool of batches that were not
//! delivered, its file format (`format.rs`), the replay lock and per-file
//! claims (`lock.rs`), and the `rejected/` and `corrupt/` areas.
//!
//! Layout of `<dlq dir>`:
//! ```text
//! <unix-ms>-<batch-id>.ndjson.gz     a batch waiting for (re-)delivery
//! .<name>.tmp                        being written (ignored; left by a crash)
//! .replay.lock                       held by a running `dlq replay`
//! rejected/<unix-ms>-<id>.ndjson.gz  records refused for good, with reasons
//! corrupt/<name>                     files that failed to read, quarantined,
//! corrupt/<name>.reason.txt          and why
//! ```
//! Every writer goes through [`Dlq`], so a full disk or an unwritable
//! directory always gives one error naming the directory.

pub mod format;
pub mod lock;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::backend::Batch;
pub use format::{Header, Kind};

/// One DLQ directory.
#[derive(Debug, Clone)]
pub struct Dlq {
    dir: PathBuf,
}

/// A file found in the DLQ, oldest first by name.
#[derive(Debug)]
pub struct Entry {
    pub path: PathBuf,
    pub name: String,
    /// The header, or why it could not be read.
    pub header: Result<Header, String>,
}

pub fn unix_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Dlq {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Dlq { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn rejected_dir(&self) -> PathBuf {
        self.dir.join("rejected")
    }

    pub fn corrupt_dir(&self) -> PathBuf {
        self.dir.join("corrupt")
    }

    fn ensure(dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the DLQ directory {}", dir.display()))
    }

    /// Spools a batch for later delivery, durably. Returns the file's path
    /// and header.
    pub fn spool(
        &self,
        target: &str,
        batch: &Batch,
        attempts: u32,
        last_error: Option<String>,
    ) -> Result<(PathBuf, Header)> {
        self.spool_with(target, batch, attempts, last_error, true)
    }

    /// [`Dlq::spool`]; without the fsyncs when `sync` is false (see
    /// [`format::write_file`]).
    pub fn spool_with(
        &self,
        target: &str,
        batch: &Batch,
        attempts: u32,
        last_error: Option<String>,
        sync: bool,
    ) -> Result<(PathBuf, Header)> {
        let (path, header, _) =
            self.spool_file(target, batch, attempts, last_error, sync, false)?;
        Ok((path, header))
    }

    /// [`Dlq::spool_with`]; with `claim`, the file comes back claimed by this
    /// process (see [`format::write_file_claimed`]): a `send --durable` holds
    /// its queued files so that a concurrent `dlq replay` leaves them alone.
    pub fn spool_file(
        &self,
        target: &str,
        batch: &Batch,
        attempts: u32,
        last_error: Option<String>,
        sync: bool,
        claim: bool,
    ) -> Result<(PathBuf, Header, Option<lock::Claim>)> {
        Self::ensure(&self.dir)?;
        let created_ms = unix_ms();
        let header = self.header(target, batch, created_ms, attempts, last_error);
        let name = format::file_name(created_ms, &batch.id);
        let body = batch.ndjson();
        let (path, claim) = if claim {
            let (path, c) = format::write_file_claimed(&self.dir, &name, &header, &body, sync)?;
            (path, Some(c))
        } else {
            (
                format::write_file(&self.dir, &name, &header, &body, sync)?,
                None,
            )
        };
        Ok((path, header, claim))
    }

    fn header(
        &self,
        target: &str,
        batch: &Batch,
        created_ms: i64,
        attempts: u32,
        last_error: Option<String>,
    ) -> Header {
        Header {
            loghub_dlq: format::VERSION,
            kind: Kind::Batch,
            target: target.to_string(),
            batch_id: batch.id.clone(),
            created_ms,
            attempts,
            last_error,
            records: batch.len(),
        }
    }

    /// Rewrites a spooled file in place with a new header (attempts, last
    /// error); the name, and so the file's place in the queue, stays.
    pub fn rewrite(&self, path: &Path, header: &Header, batch: &Batch) -> Result<()> {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .context("DLQ file without a name")?;
        format::write_atomic(&self.dir, name, header, &batch.ndjson())?;
        Ok(())
    }

    /// Writes records a target refused for good to `rejected/`, one line per
    /// record: `{"index":i,"reason":"…","record":{…}}`. `items` holds the
    /// index in the batch, the record's JSON line and the reason.
    pub fn reject(
        &self,
        target: &str,
        batch_id: &str,
        items: &[(usize, &[u8], String)],
    ) -> Result<PathBuf> {
        let dir = self.rejected_dir();
        Self::ensure(&dir)?;
        let mut body = Vec::new();
        for (index, line, reason) in items {
            let record: serde_json::Value = serde_json::from_slice(line).unwrap_or_else(|_| {
                serde_json::Value::String(String::from_utf8_lossy(line).into())
            });
            serde_json::to_writer(
                &mut body,
                &serde_json::json!({"index": index, "reason": reason, "record": record}),
            )?;
            body.push(b'\n');
        }
        let created_ms = unix_ms();
        let header = Header {
            loghub_dlq: format::VERSION,
            kind: Kind::Rejected,
            target: target.to_string(),
            batch_id: batch_id.to_string(),
            created_ms,
            attempts: 1,
            last_error: items.first().map(|i| i.2.clone()),
            records: items.len(),
        };
        // Several parts of one batch may be rejected: keep the names unique.
        let name = format::file_name(
            created_ms,
            &format!("{batch_id}.{}", uuid::Uuid::new_v4().simple()),
        );
        format::write_atomic(&dir, &name, &header, &body)
    }

    /// The spooled batches (not `rejected/` or `corrupt/`), oldest first.
    /// A missing directory is an empty queue.
    pub fn entries(&self) -> Result<Vec<Entry>> {
        list_dir(&self.dir, true)
    }

    /// The files of `rejected/`, oldest first.
    pub fn rejected_entries(&self) -> Result<Vec<Entry>> {
        list_dir(&self.rejected_dir(), true)
    }

    /// The files of `corrupt/` (headers not read).
    pub fn corrupt_entries(&self) -> Result<Vec<Entry>> {
        let mut v = list_dir(&self.corrupt_dir(), false)?;
        v.retain(|e| !e.name.ends_with(".reason.txt"));
        Ok(v)
    }

    /// Moves a file that fails to read to `corrupt/`, with a `.reason.txt`
    /// beside it. Never deletes it.
    pub fn quarantine(&self, path: &Path, reason: &str) -> Result<PathBuf> {
        let dir = self.corrupt_dir();
        Self::ensure(&dir)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "unnamed".into());
        let dest = dir.join(&name);
        std::fs::write(
            dir.join(format!("{name}.reason.txt")),
            format!("{reason}\n"),
        )
        .with_context(|| format!("cannot write to {}", dir.display()))?;
        std::fs::rename(path, &dest)
            .with_context(|| format!("cannot move {} to {}", path.display(), dir.display()))?;
        let _ = format::sync_dir(&dir);
        let _ = format::sync_dir(&self.dir);
        Ok(dest)
    }

    /// Deletes a delivered file. A file already gone is fine.
    pub fn remove(&self, path: &Path) -> Result<()> {
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e).with_context(|| format!("cannot delete {}", path.display())),
        }
        let _ = format::sync_dir(path.parent().unwrap_or(&self.dir));
        Ok(())
    }
}

fn list_dir(dir: &Path, headers: bool) -> Result<Vec<Entry>> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot read the DLQ directory {}", dir.display()));
        }
    };
    let mut out = Vec::new();
    for ent in rd {
        let ent = ent.with_context(|| format!("reading {}", dir.display()))?;
        let name = ent.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !ent.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        if headers && !name.ends_with(".ndjson.gz") {
            continue;
        }
        let path = ent.path();
        let header = if headers {
            format::read_header(&path).map_err(|e| format!("{e:#}"))
        } else {
            Err("not read".into())
        };
        out.push(Entry { path, name, header });
    }
    // Names start with zero-padded unix milliseconds: name order is age order.
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

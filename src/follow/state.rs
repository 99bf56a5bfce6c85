//! The follower's checkpoints (SPEC §9), kept so that they never run ahead
//! of delivery: the [`Book`] knows every followed file (identity, where
//! reading resumes) and every batch cut from them that is not settled yet.
//!
//! On disk, in the state directory (one per target):
//!
//! ```text
//! state.json   a snapshot: {"version":1,"next_id":N,"files":[…],"pending":[…]}
//! journal      what happened since, one JSON object a line:
//!                {"f":ID,"dev":…,"ino":…,"fp":…,"fl":…,"path":…}  a file (or its new identity/path)
//!                {"b":"UUID","s":[[ID,START,END],…]}            a batch cut, before it is sent
//!                {"d":"UUID"}                                     that batch settled
//!                {"g":ID}                                         a file gone, forgotten
//! lock         held (flock) by the running follower
//! ```
//!
//! A batch is journaled before it is submitted, so after a `kill -9` the
//! next run reads the same byte ranges again and sends them under the same
//! id (`Idempotency-Key`); reading resumes after the last journaled range.
//! The snapshot is rewritten (temp file, fsync, rename) and the journal
//! emptied every few thousand entries and at the end of the run.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::backend::{Batch, Receipt};
use crate::pipeline::source::{Ledger, Span};

/// Journal entries between two snapshots.
const COMPACT_EVERY: usize = 4096;
/// How often a failing state directory is tried again.
const RETRY_FAILING: Duration = Duration::from_secs(10);

/// A followed file as the book keeps it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileEntry {
    pub id: u64,
    pub dev: u64,
    pub ino: u64,
    /// Fingerprint of the first `fl` bytes.
    pub fp: u64,
    pub fl: u32,
    pub path: String,
    /// Reading resumes here: the end of the last journaled range.
    pub read_to: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingBatch {
    pub id: String,
    pub spans: Vec<(u64, u64, u64)>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Snapshot {
    version: u32,
    next_id: u64,
    files: Vec<FileEntry>,
    pending: Vec<PendingBatch>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
enum Entry {
    File {
        f: u64,
        dev: u64,
        ino: u64,
        fp: u64,
        fl: u32,
        path: String,
    },
    Batch {
        b: String,
        s: Vec<(u64, u64, u64)>,
    },
    Done {
        d: String,
    },
    Gone {
        g: u64,
    },
}

struct Inner {
    dir: Option<PathBuf>,
    journal: Option<std::fs::File>,
    entries: usize,
    next_id: u64,
    files: BTreeMap<u64, FileEntry>,
    /// Batches cut and not settled, in cut order (by sequence number).
    pending: BTreeMap<u64, PendingBatch>,
    by_id: HashMap<String, u64>,
    next_seq: u64,
    /// The state directory failed; said once, tried again at the next snapshot.
    failing: Option<String>,
    unsynced: bool,
    last_sync: Instant,
    /// Batches that settled in this run (for the summary).
    settled: u64,
}

/// The shared book of checkpoints; also the pipeline's [`Ledger`].
#[derive(Clone)]
pub struct Book {
    inner: Arc<Mutex<Inner>>,
    _lock: Option<Arc<std::fs::File>>,
}

impl Book {
    /// Opens (or creates) the state in `dir`, replaying its journal. A
    /// directory that cannot be written leaves a book in memory, with a
    /// warning naming it; another follower holding it is an error.
    pub fn open(dir: &Path) -> Result<Book> {
        let mut inner = Inner {
            dir: Some(dir.to_path_buf()),
            journal: None,
            entries: 0,
            next_id: 1,
            files: BTreeMap::new(),
            pending: BTreeMap::new(),
            by_id: HashMap::new(),
            next_seq: 0,
            failing: None,
            unsynced: false,
            last_sync: Instant::now(),
            settled: 0,
        };
        let lock = match std::fs::create_dir_all(dir) {
            Ok(()) => {
                let path = dir.join("lock");
                match std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&path)
                {
                    Ok(f) => {
                        if !fs4::fs_std::FileExt::try_lock_exclusive(&f)
                            .with_context(|| format!("locking {}", path.display()))?
                        {
                            anyhow::bail!(
                                "another `loghub send --follow` uses the state directory {} (same target); \
                                 give this one its own --state-dir",
                                dir.display()
                            );
                        }
                        Some(Arc::new(f))
                    }
                    Err(e) => {
                        inner.fail(format!("{}: {e}", path.display()));
                        None
                    }
                }
            }
            Err(e) => {
                inner.fail(format!("{}: {e}", dir.display()));
                None
            }
        };
        if inner.failing.is_none() {
            inner.load(dir)?;
            // Start clean: the replayed state as a snapshot, an empty journal.
            inner.snapshot();
        }
        Ok(Book {
            inner: Arc::new(Mutex::new(inner)),
            _lock: lock,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn files(&self) -> Vec<FileEntry> {
        self.lock().files.values().cloned().collect()
    }

    /// Batches recorded and not settled, oldest first.
    pub fn pending(&self) -> Vec<PendingBatch> {
        self.lock().pending.values().cloned().collect()
    }

    /// A new id for a file (never reused).
    pub fn new_id(&self) -> u64 {
        let mut g = self.lock();
        let id = g.next_id;
        g.next_id += 1;
        id
    }

    /// Records a file's identity and path (new, or changed).
    pub fn put_file(&self, e: FileEntry) {
        let mut g = self.lock();
        if g.files.get(&e.id) == Some(&e) {
            return;
        }
        g.next_id = g.next_id.max(e.id + 1);
        g.append(&Entry::File {
            f: e.id,
            dev: e.dev,
            ino: e.ino,
            fp: e.fp,
            fl: e.fl,
            path: e.path.clone(),
        });
        let read_to = g.files.get(&e.id).map_or(e.read_to, |old| old.read_to);
        g.files.insert(e.id, FileEntry { read_to, ..e });
    }

    /// Forgets a file that is gone (its checkpoint must never serve a new
    /// file that reuses the inode). Batches still pending keep their spans.
    pub fn forget(&self, id: u64) {
        let mut g = self.lock();
        if g.files.remove(&id).is_some() {
            g.append(&Entry::Gone { g: id });
        }
    }

    /// Drops batches that can never be sent again (their files are gone).
    pub fn drop_pending(&self, id: &str) {
        let mut g = self.lock();
        if let Some(seq) = g.by_id.remove(id) {
            g.pending.remove(&seq);
            g.append(&Entry::Done { d: id.to_string() });
        }
    }

    /// Where a file's delivery stands: everything before this offset is
    /// acknowledged or spooled.
    pub fn acked(&self, id: u64) -> Option<u64> {
        let g = self.lock();
        let e = g.files.get(&id)?;
        let pending = g
            .pending
            .values()
            .flat_map(|p| p.spans.iter())
            .filter(|s| s.0 == id)
            .map(|s| s.1)
            .min();
        Some(pending.map_or(e.read_to, |p| p.min(e.read_to)))
    }

    pub fn settled(&self) -> u64 {
        self.lock().settled
    }

    /// Syncs the journal when it has unsynced entries older than `every`.
    pub fn sync(&self, every: Duration) {
        let mut g = self.lock();
        if g.failing.is_some() && g.last_sync.elapsed() >= RETRY_FAILING {
            // A full or read-only state directory may have recovered.
            g.last_sync = Instant::now();
            g.snapshot();
            return;
        }
        if g.unsynced && g.last_sync.elapsed() >= every {
            if let Some(j) = &g.journal {
                let _ = j.sync_data();
            }
            g.unsynced = false;
            g.last_sync = Instant::now();
        }
    }

    /// The end of the run: a final snapshot.
    pub fn close(&self) {
        self.lock().snapshot();
    }

    fn settle(&self, id: &str) {
        let mut g = self.lock();
        if let Some(seq) = g.by_id.remove(id) {
            g.pending.remove(&seq);
            g.settled += 1;
            g.append(&Entry::Done { d: id.to_string() });
        }
    }
}

impl Ledger for Book {
    fn cut(&self, batch: &mut Batch, spans: Vec<Span>) {
        {
            let mut g = self.lock();
            if !g.by_id.contains_key(&batch.id) {
                let s: Vec<(u64, u64, u64)> =
                    spans.iter().map(|s| (s.file, s.start, s.end)).collect();
                g.append(&Entry::Batch {
                    b: batch.id.clone(),
                    s: s.clone(),
                });
                g.add_pending(PendingBatch {
                    id: batch.id.clone(),
                    spans: s,
                });
            }
        }
        let book = self.clone();
        let id = batch.id.clone();
        batch.receipt = Some(Receipt::new(move || book.settle(&id)));
    }
}

impl Inner {
    fn fail(&mut self, why: String) {
        if self.failing.is_none() {
            tracing::warn!(
                "cannot write follow checkpoints: {why}; following goes on, but a restart \
                 reads these files again from their last saved checkpoint"
            );
        }
        self.failing = Some(why);
        self.journal = None;
    }

    fn add_pending(&mut self, p: PendingBatch) {
        for &(f, _, end) in &p.spans {
            if let Some(e) = self.files.get_mut(&f) {
                e.read_to = e.read_to.max(end);
            }
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.by_id.insert(p.id.clone(), seq);
        self.pending.insert(seq, p);
    }

    fn apply(&mut self, e: Entry) {
        match e {
            Entry::File {
                f,
                dev,
                ino,
                fp,
                fl,
                path,
            } => {
                let read_to = self.files.get(&f).map_or(0, |o| o.read_to);
                self.next_id = self.next_id.max(f + 1);
                self.files.insert(
                    f,
                    FileEntry {
                        id: f,
                        dev,
                        ino,
                        fp,
                        fl,
                        path,
                        read_to,
                    },
                );
            }
            Entry::Batch { b, s } => self.add_pending(PendingBatch { id: b, spans: s }),
            Entry::Done { d } => {
                if let Some(seq) = self.by_id.remove(&d) {
                    self.pending.remove(&seq);
                }
            }
            Entry::Gone { g } => {
                self.files.remove(&g);
            }
        }
    }

    fn load(&mut self, dir: &Path) -> Result<()> {
        let snap = dir.join("state.json");
        match std::fs::read(&snap) {
            Ok(bytes) => {
                let s: Snapshot = serde_json::from_slice(&bytes)
                    .with_context(|| format!("{}: not a follow state file", snap.display()))?;
                self.next_id = s.next_id.max(1);
                for f in s.files {
                    self.next_id = self.next_id.max(f.id + 1);
                    self.files.insert(f.id, f);
                }
                for p in s.pending {
                    self.add_pending(p);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("reading {}", snap.display())),
        }
        match std::fs::read(dir.join("journal")) {
            Ok(bytes) => {
                for line in bytes.split(|&b| b == b'\n') {
                    // A torn last line (a crash mid-write) is skipped: the
                    // batch it named was not submitted yet.
                    if let Ok(e) = serde_json::from_slice::<Entry>(line) {
                        self.apply(e);
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("reading {}", dir.join("journal").display()));
            }
        }
        Ok(())
    }

    fn append(&mut self, e: &Entry) {
        self.entries += 1;
        if self.entries >= COMPACT_EVERY {
            // The snapshot holds this entry's effect once applied by the
            // caller; write it after, at the next call.
            self.snapshot();
        }
        let Some(j) = &mut self.journal else {
            return;
        };
        let mut line = serde_json::to_vec(e).expect("journal entry");
        line.push(b'\n');
        if let Err(err) = j.write_all(&line) {
            let why = format!(
                "{}: {err}",
                self.dir
                    .as_deref()
                    .unwrap_or(Path::new(""))
                    .join("journal")
                    .display()
            );
            self.fail(why);
        } else {
            self.unsynced = true;
        }
    }

    /// Writes the whole state as a snapshot and starts an empty journal.
    fn snapshot(&mut self) {
        self.entries = 0;
        let Some(dir) = self.dir.clone() else {
            return;
        };
        let snap = Snapshot {
            version: 1,
            next_id: self.next_id,
            files: self.files.values().cloned().collect(),
            pending: self.pending.values().cloned().collect(),
        };
        let res = (|| -> Result<std::fs::File> {
            let tmp = dir.join("state.json.tmp");
            let mut f =
                std::fs::File::create(&tmp).with_context(|| format!("{}", tmp.display()))?;
            f.write_all(&serde_json::to_vec(&snap)?)
                .and_then(|_| f.sync_all())
                .with_context(|| format!("{}", tmp.display()))?;
            std::fs::rename(&tmp, dir.join("state.json"))
                .with_context(|| format!("{}", dir.join("state.json").display()))?;
            crate::dlq::format::sync_dir(&dir).with_context(|| format!("{}", dir.display()))?;
            let j = dir.join("journal");
            std::fs::File::create(&j).with_context(|| format!("{}", j.display()))
        })();
        match res {
            Ok(j) => {
                if self.failing.take().is_some() {
                    tracing::warn!("follow checkpoints are written again in {}", dir.display());
                }
                self.journal = Some(j);
                self.unsynced = false;
            }
            Err(e) => self.fail(format!("{e:#}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: u64) -> FileEntry {
        FileEntry {
            id,
            dev: 1,
            ino: 10 + id,
            fp: 7,
            fl: 256,
            path: format!("/x/{id}.log"),
            read_to: 0,
        }
    }

    #[test]
    fn a_crash_leaves_unsettled_batches_pending_with_their_ranges() {
        let dir = tempfile::tempdir().unwrap();
        {
            let book = Book::open(dir.path()).unwrap();
            book.put_file(entry(1));
            let mut a = Batch::new(vec![]);
            book.cut(
                &mut a,
                vec![Span {
                    file: 1,
                    start: 0,
                    end: 100,
                }],
            );
            let mut b = Batch::new(vec![]);
            book.cut(
                &mut b,
                vec![Span {
                    file: 1,
                    start: 100,
                    end: 250,
                }],
            );
            drop(a); // settled
            // b is never settled: the process dies with it in flight.
            std::mem::forget(b);
            // No close(): a kill -9 leaves only the journal.
            std::mem::forget(book);
        }
        // The lock went with the process in real life; here, drop it by hand.
        let _ = std::fs::remove_file(dir.path().join("lock"));
        let book = Book::open(dir.path()).unwrap();
        let p = book.pending();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].spans, vec![(1, 100, 250)]);
        assert_eq!(book.files()[0].read_to, 250);
        assert_eq!(book.acked(1), Some(100));
    }

    #[test]
    fn a_forgotten_file_is_gone_after_a_restart_and_ids_are_never_reused() {
        let dir = tempfile::tempdir().unwrap();
        {
            let book = Book::open(dir.path()).unwrap();
            book.put_file(entry(1));
            book.put_file(entry(2));
            book.forget(1);
            book.close();
        }
        let book = Book::open(dir.path()).unwrap();
        let ids: Vec<u64> = book.files().iter().map(|f| f.id).collect();
        assert_eq!(ids, vec![2]);
        assert_eq!(book.new_id(), 3);
    }
}

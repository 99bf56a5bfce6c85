//! `loghub send --follow` (SPEC §9): a [`Source`] for the send pipeline that
//! follows files the way an agent does — paths and globs expanded by loghub
//! and expanded again as files appear, every file read to its current end
//! as it grows, rotation followed, and checkpoints that never run ahead of
//! delivery.
//!
//! ```text
//!  inotify (notify crate) ─┐                ┌─▶ tails: one per file (identity, offsets, joiner)
//!  or a 1 s poll ──────────┴─▶ follow thread ┤
//!                                            └─▶ chunks (events, metadata.file, byte spans) ─▶ pipeline
//!  Book (state.rs) ◀── batches cut (journaled before they are sent), receipts when settled
//! ```
//!
//! Identity is device+inode plus a fingerprint of the first bytes
//! ([`identity`]). Offsets of a tail: `pos` (bytes consumed, always at a line
//! start unless inside a huge line), `covered` (every byte before it is in an
//! event handed on, or blank), `spanned` (handed to the pipeline as a span).
//! A partial last line is never consumed: it stays in the file until its
//! newline comes, so memory does not grow with the number of files.
//!
//! Rotation: a file renamed within the patterns keeps its identity (its
//! path changes); one renamed away or deleted is read to its end through
//! the handle held open, then closed after a quiet period. A size below the
//! read offset (or different first bytes) is a truncation: the copy that
//! copytruncate made, when a pattern matches it, has the old fingerprint and
//! is read on from the saved offset; the truncated file starts again as a new
//! identity (a checkpoint is never reused for other content).

pub mod identity;
pub mod state;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;
use serde::Serialize;

use crate::parse::multiline::{Joiner, MultilineMode};
use crate::pipeline::metrics::Metrics;
use crate::pipeline::source::{ChunkSink, Source, SourceChunk, Span};
use crate::pipeline::{Signals, join_line};
use identity::{FP_BYTES, Id, fingerprint, fp_len};
use state::{Book, FileEntry};

/// One read from a file (grown up to `--max-line-bytes` for a long line).
const READ_BLOCK: usize = 256 * 1024;
/// Bytes read from one file before the others get their turn.
const FAIR_SHARE: u64 = 4 << 20;
/// How often the follow thread looks at the signal flag and its timers.
const TICK: Duration = Duration::from_millis(250);
/// Without inotify: how often the patterns are expanded and files looked at.
const POLL: Duration = Duration::from_secs(1);
/// With inotify: the same, as a safety net for missed events.
const SAFETY_SCAN: Duration = Duration::from_secs(10);
/// A file rotated away or deleted is closed once it has been read to its
/// end and stayed quiet this long (its writer may still be finishing).
const ROTATE_QUIET: Duration = Duration::from_secs(5);
/// How long a new file shorter than a fingerprint waits before it is read.
const YOUNG_GRACE: Duration = Duration::from_millis(500);
/// At shutdown, a partial last line this quiet is a line (else it waits).
const PARTIAL_QUIET: Duration = Duration::from_secs(1);
/// How long the first bytes of a truncated file are remembered, so a copy
/// that appears later is read on from the saved offset.
const RETIRED_FOR: Duration = Duration::from_secs(60);

/// What `send --follow` was asked to do.
pub struct Options {
    pub patterns: Vec<String>,
    /// Files found at start without a checkpoint are read from their end.
    pub start_at_end: bool,
    pub multiline: MultilineMode,
    pub max_line_bytes: usize,
    /// Chunk limits (a chunk is never cut across batches: at most a batch).
    pub chunk_events: usize,
    pub chunk_bytes: usize,
    /// Silence that closes a pending multiline event.
    pub silence: Duration,
    pub max_open: usize,
    /// Poll instead of inotify.
    pub poll: bool,
}

/// One file's line in the end-of-run summary (`--stats-json`).
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: String,
    /// following, rotated, deleted, closed, skipped: REASON, error: REASON
    pub status: String,
    /// Offset read up to.
    pub read: u64,
    /// Offset up to which everything is acknowledged or spooled.
    pub checkpoint: Option<u64>,
    pub lines: u64,
    pub rotations: u32,
    pub truncations: u32,
    #[serde(skip)]
    pub id: Option<u64>,
}

/// The follower: made by [`Follower::new`], run by the pipeline.
pub struct Follower {
    opts: Options,
    book: Book,
    metrics: Arc<Metrics>,
    report: Arc<Mutex<Vec<FileReport>>>,
}

impl Follower {
    pub fn new(
        opts: Options,
        book: Book,
        metrics: Arc<Metrics>,
    ) -> (Follower, Arc<Mutex<Vec<FileReport>>>) {
        let report = Arc::new(Mutex::new(Vec::new()));
        (
            Follower {
                opts,
                book,
                metrics,
                report: report.clone(),
            },
            report,
        )
    }
}

impl Source for Follower {
    fn run(self: Box<Self>, mut out: ChunkSink, signals: Arc<Signals>) {
        let Follower {
            opts,
            book,
            metrics,
            report,
        } = *self;
        let mut run = Run::new(opts, book, metrics);
        let alive = run.start(&mut out);
        if alive {
            run.follow(&mut out, &signals);
        }
        run.finish(&mut out);
        *report.lock().unwrap_or_else(|p| p.into_inner()) = run.report();
    }
}

struct Tail {
    id: u64,
    path: PathBuf,
    /// `path` with symlinks resolved (how inotify events name it).
    real: PathBuf,
    label: Arc<str>,
    ident: Id,
    fp: u64,
    fl: u64,
    file: Option<File>,
    /// LRU clock of the last read.
    used: u64,
    pos: u64,
    covered: u64,
    spanned: u64,
    pending_start: u64,
    joiner: Joiner,
    last_data: Instant,
    /// At the size seen at the last read.
    at_end: bool,
    skipping: bool,
    /// No longer at its path (rotated away or deleted): since when.
    gone: Option<Instant>,
    lines: u64,
    rotations: u32,
    truncations: u32,
}

/// A copy of a live file (copytruncate in progress): not read; when that
/// file is truncated, the copy carries on from its offset.
struct Shadow {
    path: PathBuf,
    ident: Id,
    of: u64,
}

/// The first bytes of content that left its file (truncated), or a
/// checkpoint whose file was not found at start: a file that appears with
/// that fingerprint carries on from `pos` under the same id.
struct Retired {
    id: u64,
    /// Where the checkpoint's file was (a saved checkpoint): preferred.
    ident: Option<Id>,
    fp: u64,
    fl: u64,
    pos: u64,
    since: Instant,
}

struct Run {
    opts: Options,
    /// The last part of each pattern (file names that may match).
    names: Vec<glob::Pattern>,
    book: Book,
    metrics: Arc<Metrics>,
    tails: BTreeMap<u64, Tail>,
    by_ident: HashMap<Id, u64>,
    shadows: Vec<Shadow>,
    retired: Vec<Retired>,
    /// New files waiting for a whole fingerprint (see [`YOUNG_GRACE`]).
    young: HashMap<Id, Instant>,
    /// Paths warned about, with the reason (said once, until it changes).
    warned: HashMap<PathBuf, String>,
    waiting: HashSet<String>,
    done: Vec<FileReport>,
    dirty: HashSet<u64>,
    rescan: bool,
    last_scan: Instant,
    last_full: Instant,
    watcher: Option<notify::RecommendedWatcher>,
    watched: HashSet<PathBuf>,
    events: Receiver<notify::Result<notify::Event>>,
    overflow: Arc<AtomicBool>,
    event_tx: SyncSender<notify::Result<notify::Event>>,
    chunk: SourceChunk,
    chunk_bytes: usize,
    touched: Vec<u64>,
    buf: Vec<u8>,
    clock: u64,
    open: usize,
    first_scan: bool,
}

impl Run {
    fn new(opts: Options, book: Book, metrics: Arc<Metrics>) -> Run {
        let (event_tx, events) = sync_channel(4096);
        let names = opts
            .patterns
            .iter()
            .filter_map(|p| Path::new(p).file_name()?.to_str())
            .filter_map(|n| glob::Pattern::new(n).ok())
            .collect();
        Run {
            names,
            opts,
            book,
            metrics,
            tails: BTreeMap::new(),
            by_ident: HashMap::new(),
            shadows: Vec::new(),
            retired: Vec::new(),
            young: HashMap::new(),
            warned: HashMap::new(),
            waiting: HashSet::new(),
            done: Vec::new(),
            dirty: HashSet::new(),
            rescan: true,
            last_scan: Instant::now(),
            last_full: Instant::now(),
            watcher: None,
            watched: HashSet::new(),
            events,
            overflow: Arc::new(AtomicBool::new(false)),
            event_tx,
            chunk: SourceChunk::default(),
            chunk_bytes: 0,
            touched: Vec::new(),
            buf: Vec::new(),
            clock: 0,
            open: 0,
            first_scan: true,
        }
    }

    /// Start-up: the watcher, the first scan matched against the saved
    /// checkpoints, and the batches that were journaled but not settled
    /// sent again under their ids. False when the pipeline is gone.
    fn start(&mut self, out: &mut ChunkSink) -> bool {
        if !self.opts.poll {
            let tx = self.event_tx.clone();
            let overflow = self.overflow.clone();
            match notify::recommended_watcher(move |ev| {
                if tx.try_send(ev).is_err() {
                    overflow.store(true, Ordering::Relaxed);
                }
            }) {
                Ok(w) => self.watcher = Some(w),
                Err(e) => tracing::warn!("inotify is not available ({e}); polling every second"),
            }
        }
        // Checkpoints of files not found now may still be found by their
        // first bytes (renamed or copied while the follower was down).
        for e in self.book.files() {
            self.retired.push(Retired {
                id: e.id,
                ident: Some(Id {
                    dev: e.dev,
                    ino: e.ino,
                }),
                fp: e.fp,
                fl: u64::from(e.fl),
                pos: e.read_to,
                since: Instant::now(),
            });
        }
        self.scan();
        self.first_scan = false;
        // Checkpoints still unmatched belong to files that are gone.
        let unmatched: Vec<u64> = self.retired.drain(..).map(|r| r.id).collect();
        let mut lost = HashSet::new();
        for id in unmatched {
            lost.insert(id);
        }
        for p in self.book.pending() {
            let mut chunk = SourceChunk {
                batch: Some(p.id.clone()),
                ..SourceChunk::default()
            };
            let mut any = false;
            for &(file, start, end) in &p.spans {
                let span = Span { file, start, end };
                chunk.spans.push(span);
                if self.reread(span, &mut chunk) {
                    any = true;
                } else {
                    tracing::warn!(
                        "bytes {start}–{end} of a followed file ({}) cannot be sent again: the file is gone",
                        self.book
                            .files()
                            .iter()
                            .find(|f| f.id == file)
                            .map_or("forgotten".to_string(), |f| f.path.clone())
                    );
                }
            }
            if !any {
                self.book.drop_pending(&p.id);
                continue;
            }
            tracing::info!(
                "sending again batch {} ({} records) journaled before the last run ended",
                p.id,
                chunk.events.len()
            );
            if !out.send(chunk) {
                return false;
            }
        }
        for id in lost {
            self.book.forget(id);
        }
        true
    }

    /// Reads one journaled span again into `chunk`. False when its file is
    /// not here.
    fn reread(&mut self, span: Span, chunk: &mut SourceChunk) -> bool {
        let Some(t) = self.tails.get(&span.file) else {
            return false;
        };
        let Ok(file) = File::open(&t.path) else {
            return false;
        };
        let label = t.label.clone();
        let mut joiner = Joiner::new(self.opts.multiline.clone());
        chunk.files.push((chunk.events.len(), label));
        let mut pos = span.start;
        let mut buf = vec![0u8; READ_BLOCK.max(self.opts.max_line_bytes + 1)];
        let mut skipping = false;
        while pos < span.end {
            let want = ((span.end - pos) as usize).min(buf.len());
            let n = match file.read_at(&mut buf[..want], pos) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let data = &buf[..n];
            let mut start = 0;
            for nl in memchr::memchr_iter(b'\n', data) {
                if !skipping {
                    let line = &data[start..nl];
                    let cut = line.len() > self.opts.max_line_bytes;
                    let line = &line[..line.len().min(self.opts.max_line_bytes)];
                    join_line(&self.metrics, &mut joiner, line, cut, &mut chunk.events);
                }
                skipping = false;
                start = nl + 1;
            }
            if start == 0 && n == want && pos + n as u64 >= span.end {
                // The span ends inside a huge line that was cut.
                let line = &data[..n.min(self.opts.max_line_bytes)];
                join_line(&self.metrics, &mut joiner, line, true, &mut chunk.events);
                break;
            }
            if start == 0 {
                // A huge line: its first part, then skip to its newline.
                let line = &data[..n.min(self.opts.max_line_bytes)];
                join_line(&self.metrics, &mut joiner, line, true, &mut chunk.events);
                skipping = true;
                start = n;
            }
            pos += start as u64;
        }
        joiner.flush(&mut chunk.events);
        true
    }

    fn follow(&mut self, out: &mut ChunkSink, signals: &Signals) {
        loop {
            if signals.stop.load(Ordering::Relaxed) {
                return;
            }
            let timeout = if self.dirty.is_empty() {
                TICK
            } else {
                Duration::ZERO
            };
            match self.events.recv_timeout(timeout) {
                Ok(ev) => {
                    self.note(ev);
                    while let Ok(ev) = self.events.try_recv() {
                        self.note(ev);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {}
            }
            if self.overflow.swap(false, Ordering::Relaxed) {
                self.rescan = true;
                self.dirty.extend(self.tails.keys().copied());
            }
            let every = if self.watcher.is_some() {
                SAFETY_SCAN
            } else {
                POLL
            };
            let young_due = !self.young.is_empty() && self.last_scan.elapsed() >= YOUNG_GRACE / 2;
            if self.rescan || young_due || self.last_scan.elapsed() >= every {
                self.scan();
            }
            if self.last_full.elapsed() >= every {
                self.last_full = Instant::now();
                self.dirty.extend(self.tails.keys().copied());
            }
            // Files rotated away or deleted get no events: look at them.
            let gone: Vec<u64> = self
                .tails
                .values()
                .filter(|t| t.gone.is_some())
                .map(|t| t.id)
                .collect();
            self.dirty.extend(gone);
            if !self.read_dirty(out) {
                return;
            }
            self.close_quiet_gone();
            self.flush_silent();
            self.retired.retain(|r| r.since.elapsed() < RETIRED_FOR);
            if !self.send_chunk(out) {
                return;
            }
            self.book.sync(Duration::from_secs(1));
        }
    }

    /// An inotify event: a known file grew, or something in a watched
    /// directory changed (expand the patterns again).
    fn note(&mut self, ev: notify::Result<notify::Event>) {
        use notify::EventKind;
        let Ok(ev) = ev else {
            self.rescan = true;
            return;
        };
        let grew = matches!(
            ev.kind,
            EventKind::Modify(notify::event::ModifyKind::Data(_))
        ) || matches!(ev.kind, EventKind::Access(_));
        for p in &ev.paths {
            let tail = self.tails.values().find(|t| &t.real == p || &t.path == p);
            match tail.map(|t| t.id) {
                Some(id) => {
                    self.dirty.insert(id);
                    if !grew {
                        self.rescan = true;
                    }
                }
                // Other files in a watched directory (syslog next to the
                // app's logs) cost nothing; a new directory may be one a
                // pattern looks into.
                None if self.may_match(p) || p.is_dir() => self.rescan = true,
                None => {}
            }
        }
        if ev.paths.is_empty() {
            self.rescan = true;
        }
    }

    /// Whether a file's name matches the last part of some pattern.
    fn may_match(&self, p: &Path) -> bool {
        let Some(name) = p.file_name().and_then(|n| n.to_str()) else {
            return true;
        };
        self.names.iter().any(|pat| pat.matches(name))
    }

    /// Expands the patterns: new files are taken up, moved ones get their
    /// new path, ones no longer at their path are marked gone.
    fn scan(&mut self) {
        self.rescan = false;
        self.last_scan = Instant::now();
        self.watch_dirs();
        let mut seen: HashSet<u64> = HashSet::new();
        let patterns = self.opts.patterns.clone();
        for pat in &patterns {
            let mut any = false;
            let paths = match glob::glob(pat) {
                Ok(p) => p,
                Err(e) => {
                    self.warn_once(Path::new(pat), format!("bad pattern {pat}: {e}"));
                    continue;
                }
            };
            for entry in paths {
                let path = match entry {
                    Ok(p) => p,
                    Err(e) => {
                        let p = e.path().to_path_buf();
                        self.warn_once(&p, format!("cannot read {}: {}", p.display(), e.error()));
                        continue;
                    }
                };
                any = true;
                if let Some(id) = self.consider(&path) {
                    seen.insert(id);
                }
            }
            if !any && self.waiting.insert(pat.clone()) {
                tracing::info!("waiting for files matching {pat}");
            } else if any {
                self.waiting.remove(pat);
            }
        }
        // Tails not found at their path any more.
        let ids: Vec<u64> = self.tails.keys().copied().collect();
        for id in ids {
            if seen.contains(&id) {
                continue;
            }
            let t = self.tails.get_mut(&id).expect("tail");
            let here = std::fs::metadata(&t.path).is_ok_and(|m| Id::of(&m) == t.ident);
            if !here && t.gone.is_none() {
                if t.file.is_none() {
                    // Not held open (the LRU closed it at its end): nothing
                    // more can be read of it.
                    tracing::info!("{}: gone", t.path.display());
                    self.close_tail(id, "gone");
                    continue;
                }
                t.gone = Some(Instant::now());
                t.rotations += 1;
                tracing::info!(
                    "{}: rotated away or deleted; reading it to its end",
                    t.path.display()
                );
            }
        }
        self.young
            .retain(|_, since| since.elapsed() < YOUNG_GRACE * 4);
        self.shadows
            .retain(|s| std::fs::metadata(&s.path).is_ok_and(|m| Id::of(&m) == s.ident));
    }

    /// Watches the directories the patterns look in (the nearest existing
    /// ancestor of one that does not exist yet).
    fn watch_dirs(&mut self) {
        use notify::Watcher;
        let Some(w) = &mut self.watcher else {
            return;
        };
        let mut want: Vec<(PathBuf, bool)> = Vec::new();
        for pat in &self.opts.patterns {
            let (base, recursive) = glob_base(pat);
            let mut dir = base;
            while !dir.is_dir() {
                match dir.parent() {
                    Some(p) if !p.as_os_str().is_empty() => dir = p.to_path_buf(),
                    _ => {
                        dir = PathBuf::from(".");
                        break;
                    }
                }
            }
            want.push((dir, recursive));
        }
        // Symlinked files: their targets' directories too.
        for t in self.tails.values() {
            if let Ok(c) = std::fs::canonicalize(&t.path)
                && let Some(p) = c.parent()
            {
                want.push((p.to_path_buf(), false));
            }
        }
        for (dir, recursive) in want {
            // Watched once by its real path (inotify has one watch per
            // directory), and events name files by it.
            let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
            if self.watched.contains(&dir) {
                continue;
            }
            let mode = if recursive {
                notify::RecursiveMode::Recursive
            } else {
                notify::RecursiveMode::NonRecursive
            };
            match w.watch(&dir, mode) {
                Ok(()) => {
                    tracing::debug!("watching {}", dir.display());
                    self.watched.insert(dir);
                }
                Err(e) => {
                    tracing::warn!(
                        "cannot watch {} ({e}); polling every second instead",
                        dir.display()
                    );
                    self.watcher = None;
                    return;
                }
            }
        }
    }

    fn warn_once(&mut self, path: &Path, msg: String) {
        if self.warned.get(path) != Some(&msg) {
            tracing::warn!("{msg}");
            self.warned.insert(path.to_path_buf(), msg);
        }
    }

    /// A path a pattern matched: the tail it is (by identity), a new tail,
    /// or nothing (skipped, with the reason said once).
    fn consider(&mut self, path: &Path) -> Option<u64> {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                let why = if e.raw_os_error() == Some(libc::ELOOP) {
                    "a symlink loop".to_string()
                } else {
                    e.to_string()
                };
                if e.kind() != std::io::ErrorKind::NotFound {
                    self.warn_once(path, format!("skipped {}: {why}", path.display()));
                }
                return None;
            }
        };
        if meta.is_dir() {
            self.warn_once(path, format!("skipped {}: a directory", path.display()));
            return None;
        }
        if !meta.is_file() {
            self.warn_once(
                path,
                format!("skipped {}: not a regular file", path.display()),
            );
            return None;
        }
        let ident = Id::of(&meta);
        if let Some(&id) = self.by_ident.get(&ident) {
            let t = self.tails.get_mut(&id).expect("tail");
            if t.path != path {
                let old_here = std::fs::metadata(&t.path).is_ok_and(|m| Id::of(&m) == ident);
                if !old_here {
                    tracing::info!("{}: rotated to {}", t.path.display(), path.display());
                    t.rotations += 1;
                    t.path = path.to_path_buf();
                    t.real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
                    t.label = path.to_string_lossy().into();
                    t.gone = None;
                    self.book.put_file(entry_of(t));
                    self.dirty.insert(id);
                }
            } else if t.gone.is_some() {
                t.gone = None;
            }
            return Some(id);
        }
        if self.shadows.iter().any(|s| s.ident == ident) {
            return None;
        }
        if identity::not_text(path, b"").is_some() {
            // A compressed rotation (by its name): expected, said with -v.
            let msg = format!("skipped {}: compressed", path.display());
            if self.warned.insert(path.to_path_buf(), msg.clone()) != Some(msg.clone()) {
                tracing::info!("{msg}");
                self.done.push(skipped(path, "compressed"));
            }
            return None;
        }
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) => {
                self.warn_once(path, format!("cannot read {}: {e}", path.display()));
                return None;
            }
        };
        let size = meta.len();
        let mut head = vec![0u8; size.min(512) as usize];
        let n = file.read_at(&mut head, 0).unwrap_or(0);
        if let Some(why) = identity::not_text(path, &head[..n]) {
            let msg = format!("skipped {}: {why}, not read as text", path.display());
            if self.warned.get(path) != Some(&msg) {
                self.warn_once(path, msg);
                self.done.push(skipped(path, why));
            }
            return None;
        }
        self.warned.remove(path);
        if !self.first_scan && size < FP_BYTES {
            // A new file shorter than a fingerprint may be a copy still
            // being written (copytruncate): it is taken up once it has a
            // whole fingerprint or after a short grace.
            let since = *self.young.entry(ident).or_insert_with(Instant::now);
            if since.elapsed() < YOUNG_GRACE {
                return None;
            }
        }
        self.young.remove(&ident);
        let fl = fp_len(size);
        let fp = fingerprint(&file, fl).unwrap_or(0);
        // Content seen before (a checkpoint, or a truncated file's copy):
        // carry on from its offset under its id.
        let same = |r: &Retired| r.fl > 0 && size >= r.fl && fingerprint(&file, r.fl) == Some(r.fp);
        let found = self
            .retired
            .iter()
            .position(|r| r.ident == Some(ident) && same(r))
            .or_else(|| {
                // Another inode: only with a whole fingerprint (a renamed
                // or copied file), so short files with a common first line
                // are not taken for each other.
                self.retired
                    .iter()
                    .position(|r| r.fl == FP_BYTES && same(r))
            });
        if let Some(i) = found {
            let r = self.retired.remove(i);
            let id = r.id;
            let mut t = self.tail(id, path, ident, file, r.pos);
            (t.fp, t.fl) = (r.fp, r.fl);
            if r.fl < fl {
                t.fl = fl;
                t.fp = fp;
            }
            tracing::info!("following {} from offset {}", path.display(), r.pos);
            self.insert_tail(t);
            return Some(id);
        }
        // A copy of a live file (copytruncate, before the truncation).
        if fl == FP_BYTES {
            let copy_of = self
                .tails
                .values()
                .find(|t| t.fl == FP_BYTES && fingerprint(&file, t.fl) == Some(t.fp))
                .map(|t| t.id);
            if let Some(of) = copy_of {
                tracing::info!(
                    "{}: a copy of {}; read on from its offset if that file is truncated",
                    path.display(),
                    self.tails[&of].path.display()
                );
                self.shadows.push(Shadow {
                    path: path.to_path_buf(),
                    ident,
                    of,
                });
                return None;
            }
        }
        let start = if self.first_scan && self.opts.start_at_end {
            // From the end: after its last complete line.
            last_line_end(&file, size)
        } else {
            0
        };
        let id = self.book.new_id();
        let mut t = self.tail(id, path, ident, file, start);
        (t.fp, t.fl) = (fp, fl);
        tracing::info!("following {} from offset {start}", path.display());
        self.insert_tail(t);
        Some(id)
    }

    fn tail(&mut self, id: u64, path: &Path, ident: Id, file: File, pos: u64) -> Tail {
        self.open += 1;
        Tail {
            id,
            path: path.to_path_buf(),
            real: std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
            label: path.to_string_lossy().into(),
            ident,
            fp: 0,
            fl: 0,
            file: Some(file),
            used: 0,
            pos,
            covered: pos,
            spanned: pos,
            pending_start: pos,
            joiner: Joiner::new(self.opts.multiline.clone()),
            last_data: Instant::now(),
            at_end: false,
            skipping: false,
            gone: None,
            lines: 0,
            rotations: 0,
            truncations: 0,
        }
    }

    fn insert_tail(&mut self, t: Tail) {
        self.book.put_file(entry_of(&t));
        self.by_ident.insert(t.ident, t.id);
        self.dirty.insert(t.id);
        self.tails.insert(t.id, t);
        self.evict();
    }

    /// Keeps at most `max_open` handles: the least recently read tails that
    /// are at their end and still at their path are closed (and opened
    /// again by path when they grow). Tails rotated away are never closed
    /// before they are read.
    fn evict(&mut self) {
        while self.open > self.opts.max_open {
            let victim = self
                .tails
                .values()
                .filter(|t| t.file.is_some() && t.gone.is_none() && t.at_end)
                .min_by_key(|t| t.used)
                .map(|t| t.id);
            let Some(id) = victim else { return };
            if let Some(t) = self.tails.get_mut(&id) {
                t.file = None;
                self.open -= 1;
            }
        }
    }

    fn read_dirty(&mut self, out: &mut ChunkSink) -> bool {
        let ids: Vec<u64> = self.dirty.drain().collect();
        for id in ids {
            if !self.read_tail(id, out) {
                return false;
            }
        }
        true
    }

    /// Reads a tail up to its current end (or its fair share: it stays dirty).
    fn read_tail(&mut self, id: u64, out: &mut ChunkSink) -> bool {
        self.clock += 1;
        let clock = self.clock;
        let Some(t) = self.tails.get_mut(&id) else {
            return true;
        };
        if t.file.is_none() {
            match File::open(&t.path) {
                Ok(f) if f.metadata().is_ok_and(|m| Id::of(&m) == t.ident) => {
                    t.file = Some(f);
                    self.open += 1;
                }
                _ => {
                    self.rescan = true;
                    return true;
                }
            }
        }
        t.used = clock;
        let file = t.file.as_ref().expect("open");
        let size = match file.metadata() {
            Ok(m) => m.len(),
            Err(e) => {
                tracing::warn!("{}: {e}", t.path.display());
                return true;
            }
        };
        let replaced = t.fl > 0 && size >= t.fl && fingerprint(file, t.fl) != Some(t.fp);
        if size < t.pos || replaced {
            let new_id = self.truncated(id);
            return self.read_tail(new_id, out);
        }
        if t.fl < FP_BYTES && size > t.fl {
            // The fingerprint grows with a short file, up to FP_BYTES.
            t.fl = fp_len(size);
            t.fp = fingerprint(file, t.fl).unwrap_or(0);
            self.book.put_file(entry_of(t));
        }
        let mut budget = FAIR_SHARE;
        let mut window = READ_BLOCK;
        let max_line = self.opts.max_line_bytes;
        while t.pos < size && budget > 0 {
            if self.buf.len() < window {
                self.buf.resize(window, 0);
            }
            let file = t.file.as_ref().expect("open");
            let n = match file.read_at(&mut self.buf[..window], t.pos) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    tracing::warn!("reading {}: {e}", t.path.display());
                    break;
                }
            };
            t.last_data = Instant::now();
            let data = &self.buf[..n];
            if t.skipping {
                let step = match memchr::memchr(b'\n', data) {
                    Some(nl) => {
                        t.skipping = false;
                        nl + 1
                    }
                    None => n,
                };
                t.pos += step as u64;
                if !t.joiner.has_pending() {
                    t.covered = t.pos;
                }
                Metrics::add(&self.metrics.bytes_in, step as u64);
                budget = budget.saturating_sub(step as u64);
                touch(&mut self.touched, id);
                continue;
            }
            let mut start = 0;
            for nl in memchr::memchr_iter(b'\n', data) {
                let line = &data[start..nl];
                let s = t.pos + start as u64;
                let e = t.pos + nl as u64 + 1;
                let cut = line.len() > max_line;
                let line = &line[..line.len().min(max_line)];
                push_line(
                    t,
                    &self.metrics,
                    &mut self.chunk,
                    &mut self.chunk_bytes,
                    line,
                    cut,
                    s,
                    e,
                );
                start = nl + 1;
            }
            if start == 0 {
                if n < window {
                    // A partial last line: it waits for its newline.
                    break;
                }
                if window <= max_line {
                    window = (window * 2).min(max_line + 1);
                    continue;
                }
                // A line longer than --max-line-bytes: its first part, and
                // the rest skipped up to its newline.
                let s = t.pos;
                let line = &data[..max_line];
                push_line(
                    t,
                    &self.metrics,
                    &mut self.chunk,
                    &mut self.chunk_bytes,
                    line,
                    true,
                    s,
                    s + n as u64,
                );
                t.skipping = true;
                start = n;
            }
            t.pos += start as u64;
            Metrics::add(&self.metrics.bytes_in, start as u64);
            budget = budget.saturating_sub(start as u64);
            window = READ_BLOCK;
            touch(&mut self.touched, id);
            if self.chunk.events.len() >= self.opts.chunk_events
                || self.chunk_bytes >= self.opts.chunk_bytes
            {
                // The rest on the next turn, after the chunk is handed on.
                self.dirty.insert(id);
                return self.send_chunk(out);
            }
        }
        let t = self.tails.get_mut(&id).expect("tail");
        if t.pos < size && budget == 0 {
            self.dirty.insert(id);
        }
        t.at_end = t.pos >= size || !t.skipping && size - t.pos < READ_BLOCK as u64;
        self.evict();
        true
    }

    /// The file got shorter than what was read (or its first bytes
    /// changed): copytruncate, or a writer that truncates. What was read
    /// of the old content is handed on under the old id; a copy of it
    /// (seen now or later) carries on from the old offset; the file starts
    /// again from 0 as a new identity.
    fn truncated(&mut self, id: u64) -> u64 {
        let Some(mut t) = self.tails.remove(&id) else {
            return id;
        };
        flush_tail(&mut t, &mut self.chunk, &mut self.chunk_bytes);
        if t.covered > t.spanned {
            self.chunk.spans.push(Span {
                file: t.id,
                start: t.spanned,
                end: t.covered,
            });
        }
        self.touched.retain(|&x| x != id);
        tracing::info!(
            "{}: truncated; reading it again from the start",
            t.path.display()
        );
        let (old_id, old_pos, old_fp, old_fl) = (t.id, t.pos, t.fp, t.fl);
        if let Some(i) = self.shadows.iter().position(|s| s.of == old_id) {
            let s = self.shadows.remove(i);
            if let Ok(f) = File::open(&s.path) {
                tracing::info!(
                    "{}: the copy of {}; reading it on from offset {old_pos}",
                    s.path.display(),
                    t.path.display()
                );
                let mut c = self.tail(old_id, &s.path, s.ident, f, old_pos);
                (c.fp, c.fl) = (old_fp, old_fl);
                self.insert_tail(c);
            }
        } else {
            self.retired.push(Retired {
                id: old_id,
                ident: None,
                fp: old_fp,
                fl: old_fl,
                pos: old_pos,
                since: Instant::now(),
            });
        }
        let new_id = self.book.new_id();
        t.id = new_id;
        (t.pos, t.covered, t.spanned, t.pending_start) = (0, 0, 0, 0);
        t.skipping = false;
        t.truncations += 1;
        let file = t.file.as_ref().expect("open");
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        t.fl = fp_len(size);
        t.fp = fingerprint(file, t.fl).unwrap_or(0);
        self.by_ident.insert(t.ident, new_id);
        self.book.put_file(entry_of(&t));
        self.tails.insert(new_id, t);
        new_id
    }

    /// Multiline events that have been quiet for the silence are closed.
    fn flush_silent(&mut self) {
        let silence = self.opts.silence;
        for t in self.tails.values_mut() {
            if t.joiner.has_pending() && t.last_data.elapsed() >= silence {
                flush_tail(t, &mut self.chunk, &mut self.chunk_bytes);
                touch(&mut self.touched, t.id);
            }
        }
    }

    /// Files rotated away or deleted, read to their end and quiet, are
    /// closed (a partial last line is a line then: nobody will end it).
    fn close_quiet_gone(&mut self) {
        let ids: Vec<u64> = self
            .tails
            .values()
            .filter(|t| {
                t.gone.is_some_and(|g| g.elapsed() >= ROTATE_QUIET)
                    && t.last_data.elapsed() >= ROTATE_QUIET
                    && !self.dirty.contains(&t.id)
            })
            .map(|t| t.id)
            .collect();
        for id in ids {
            self.take_partial(id);
            let deleted = self
                .tails
                .get(&id)
                .and_then(|t| t.file.as_ref())
                .and_then(|f| f.metadata().ok())
                .is_some_and(|m| std::os::unix::fs::MetadataExt::nlink(&m) == 0);
            self.close_tail(id, if deleted { "deleted" } else { "rotated" });
        }
    }

    /// Reads a partial last line as a line.
    fn take_partial(&mut self, id: u64) {
        let Some(t) = self.tails.get_mut(&id) else {
            return;
        };
        let Some(file) = &t.file else { return };
        let size = file.metadata().map(|m| m.len()).unwrap_or(t.pos);
        if size <= t.pos || t.skipping {
            return;
        }
        let n = ((size - t.pos) as usize).min(self.opts.max_line_bytes);
        let mut line = vec![0u8; n];
        let Ok(got) = file.read_at(&mut line, t.pos) else {
            return;
        };
        let s = t.pos;
        let truncated = size - t.pos > n as u64;
        push_line(
            t,
            &self.metrics,
            &mut self.chunk,
            &mut self.chunk_bytes,
            &line[..got],
            truncated,
            s,
            size,
        );
        Metrics::add(&self.metrics.bytes_in, size - t.pos);
        t.pos = size;
        flush_tail(t, &mut self.chunk, &mut self.chunk_bytes);
        touch(&mut self.touched, id);
    }

    /// A tail is done with: its last span is handed on, its checkpoint
    /// forgotten once that span is settled (see [`Run::finish`]).
    fn close_tail(&mut self, id: u64, status: &str) {
        let Some(mut t) = self.tails.remove(&id) else {
            return;
        };
        flush_tail(&mut t, &mut self.chunk, &mut self.chunk_bytes);
        if t.covered > t.spanned {
            self.chunk.spans.push(Span {
                file: t.id,
                start: t.spanned,
                end: t.covered,
            });
            t.spanned = t.covered;
        }
        self.touched.retain(|&x| x != id);
        if self.by_ident.get(&t.ident) == Some(&id) {
            self.by_ident.remove(&t.ident);
        }
        if t.file.take().is_some() {
            self.open -= 1;
        }
        tracing::info!(
            "{}: {status}, closed after reading it to its end",
            t.path.display()
        );
        let mut r = report_of(&t, status);
        r.id = Some(id);
        self.done.push(r);
        // Its checkpoint goes: a new file on the same inode is new.
        self.book.forget(id);
    }

    /// Hands the chunk on with the spans of the tails it touched.
    fn send_chunk(&mut self, out: &mut ChunkSink) -> bool {
        for id in std::mem::take(&mut self.touched) {
            if let Some(t) = self.tails.get_mut(&id)
                && t.covered > t.spanned
            {
                self.chunk.spans.push(Span {
                    file: id,
                    start: t.spanned,
                    end: t.covered,
                });
                t.spanned = t.covered;
            }
        }
        if self.chunk.is_empty() {
            return true;
        }
        self.chunk_bytes = 0;
        out.send(std::mem::take(&mut self.chunk))
    }

    /// Shutdown: what is read goes on; partial lines quiet for a second are
    /// lines; pending multiline events are closed.
    fn finish(&mut self, out: &mut ChunkSink) {
        let ids: Vec<u64> = self.tails.keys().copied().collect();
        for id in ids {
            let quiet = self
                .tails
                .get(&id)
                .is_some_and(|t| t.last_data.elapsed() >= PARTIAL_QUIET);
            if quiet {
                self.take_partial(id);
            }
            if let Some(t) = self.tails.get_mut(&id) {
                flush_tail(t, &mut self.chunk, &mut self.chunk_bytes);
                touch(&mut self.touched, id);
            }
        }
        let _ = self.send_chunk(out);
    }

    fn report(&mut self) -> Vec<FileReport> {
        let mut r = std::mem::take(&mut self.done);
        for t in self.tails.values() {
            let status = if t.gone.is_some() {
                "rotated"
            } else {
                "following"
            };
            let mut f = report_of(t, status);
            f.id = Some(t.id);
            r.push(f);
        }
        r
    }
}

fn skipped(path: &Path, why: &str) -> FileReport {
    FileReport {
        path: path.to_string_lossy().into_owned(),
        status: format!("skipped: {why}"),
        read: 0,
        checkpoint: None,
        lines: 0,
        rotations: 0,
        truncations: 0,
        id: None,
    }
}

fn report_of(t: &Tail, status: &str) -> FileReport {
    FileReport {
        path: t.path.to_string_lossy().into_owned(),
        status: status.to_string(),
        read: t.pos,
        checkpoint: None,
        lines: t.lines,
        rotations: t.rotations,
        truncations: t.truncations,
        id: None,
    }
}

fn entry_of(t: &Tail) -> FileEntry {
    FileEntry {
        id: t.id,
        dev: t.ident.dev,
        ino: t.ident.ino,
        fp: t.fp,
        fl: t.fl as u32,
        path: t.path.to_string_lossy().into_owned(),
        read_to: t.spanned,
    }
}

fn touch(touched: &mut Vec<u64>, id: u64) {
    if touched.last() != Some(&id) && !touched.contains(&id) {
        touched.push(id);
    }
}

/// One line `s..e` of a tail into the chunk, keeping `covered` at the start
/// of the event still pending in the joiner (or at `e` when none is).
#[allow(clippy::too_many_arguments)]
fn push_line(
    t: &mut Tail,
    metrics: &Metrics,
    chunk: &mut SourceChunk,
    chunk_bytes: &mut usize,
    line: &[u8],
    truncated: bool,
    s: u64,
    e: u64,
) {
    Metrics::add(&metrics.lines, 1);
    t.lines += 1;
    let had = t.joiner.has_pending();
    let before = begin_run(chunk, &t.label);
    join_line(metrics, &mut t.joiner, line, truncated, &mut chunk.events);
    let grew = chunk.events.len() > before;
    end_run(chunk, before, chunk_bytes);
    if t.joiner.has_pending() {
        if grew || !had {
            t.pending_start = s;
        }
        t.covered = t.pending_start;
    } else {
        t.covered = e;
    }
}

/// Closes a tail's pending multiline event: all it consumed is covered.
fn flush_tail(t: &mut Tail, chunk: &mut SourceChunk, chunk_bytes: &mut usize) {
    let before = begin_run(chunk, &t.label);
    t.joiner.flush(&mut chunk.events);
    end_run(chunk, before, chunk_bytes);
    t.covered = t.pos;
}

/// Starts a run of events from the file `label` (unless the last run is
/// from it); returns the number of events before.
fn begin_run(chunk: &mut SourceChunk, label: &Arc<str>) -> usize {
    let n = chunk.events.len();
    if chunk
        .files
        .last()
        .is_none_or(|(_, l)| !Arc::ptr_eq(l, label))
    {
        chunk.files.push((n, label.clone()));
    }
    n
}

/// Drops a run that got no event; counts the bytes of the new events.
fn end_run(chunk: &mut SourceChunk, before: usize, chunk_bytes: &mut usize) {
    if chunk.events.len() == before {
        if chunk
            .files
            .last()
            .is_some_and(|(first, _)| *first == before)
        {
            chunk.files.pop();
        }
    } else {
        *chunk_bytes += chunk.events[before..]
            .iter()
            .map(|e| e.text.len())
            .sum::<usize>();
    }
}

/// The offset after the last complete line of a file of `size` bytes.
fn last_line_end(f: &File, size: u64) -> u64 {
    let mut end = size;
    let mut buf = vec![0u8; 64 * 1024];
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let n = (end - start) as usize;
        if f.read_at(&mut buf[..n], start).is_err() {
            return size;
        }
        if let Some(i) = memchr::memrchr(b'\n', &buf[..n]) {
            return start + i as u64 + 1;
        }
        end = start;
    }
    0
}

/// The directory a pattern's matches live under, and whether they may be
/// deeper than its first level (a glob character in a directory part).
pub fn glob_base(pat: &str) -> (PathBuf, bool) {
    let is_glob = |s: &str| s.contains(['*', '?', '[', '{']);
    let path = Path::new(pat);
    let mut base = PathBuf::new();
    let comps: Vec<_> = path.components().collect();
    let mut recursive = false;
    for (i, c) in comps.iter().enumerate() {
        let s = c.as_os_str().to_string_lossy();
        if is_glob(&s) {
            recursive = i + 1 < comps.len();
            break;
        }
        if i + 1 == comps.len() {
            break;
        }
        base.push(c);
    }
    if base.as_os_str().is_empty() {
        base.push(".");
    }
    (base, recursive)
}

/// Checks the patterns (usage errors) before anything starts.
pub fn check_patterns(patterns: &[String]) -> Result<()> {
    for p in patterns {
        glob::Pattern::new(p).map_err(|e| anyhow::anyhow!("--follow pattern {p:?}: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pattern_is_watched_from_its_last_literal_directory() {
        assert_eq!(
            glob_base("/var/log/app/*.log"),
            ("/var/log/app".into(), false)
        );
        assert_eq!(glob_base("/var/log/*/x.log"), ("/var/log".into(), true));
        assert_eq!(
            glob_base("/var/log/nginx/access.log"),
            ("/var/log/nginx".into(), false)
        );
        assert_eq!(glob_base("app.log"), (".".into(), false));
    }
}

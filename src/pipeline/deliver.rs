//! Delivery: batches in, acknowledgements out. Owns the in-flight limit
//! (`--concurrency` requests, retries count inside it; a batch waiting out
//! its backoff holds no request slot, and stops waiting as soon as another
//! request succeeds), retries with backoff, the
//! circuit breaker, 413 splitting, per-record rejects, the bounded buffer and
//! its `--on-full` policy, and the spool for what cannot be delivered now.
//!
//! ```text
//!  submit ──▶ queue (≤ max_buffer records, queued + in flight) ──▶ N workers ──▶ Backend
//!     │ full: spill / block / drop                                  │   ▲
//!     ▼                                                             ▼   │ (queue empty,
//!  spool files (DLQ dir) ◀── failed after retries / breaker open ───┘   │  breaker closed)
//!     └───────────────────────── pending files ─────────────────────────┘
//! ```
//!
//! The spool is the running send's disk buffer: every file this run wrote
//! (and older files of the same target) is re-sent once the target answers
//! again, and deleted only after its ack. With `--durable` every batch is
//! written to the spool before it is sent, so a `kill -9` loses nothing that
//! was batched. A file is sent only under a claim (a `flock`), so a replay
//! running at the same time never sends it too.
//!
//! Targets that are not remote (stdout, the embedded store) get one request
//! in flight, which keeps their output in input order.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;
use tokio::sync::Notify;
use tokio::task::JoinSet;

use super::breaker::{Breaker, Gate};
use super::metrics::Metrics;
use super::retry::backoff;
use crate::backend::{Backend, Batch, DeliveryError, IngestOutcome};
use crate::config::{DeliveryConfig, OnFull};
use crate::dlq::{Dlq, Header, format, lock};

/// How often a failing target is announced at most.
const FAILING_NOTICE_EVERY: std::time::Duration = std::time::Duration::from_secs(5);
/// What the deliverer needs besides the backend.
#[derive(Debug, Clone)]
pub struct Context {
    /// The target's key, written into spooled files.
    pub target_key: String,
    pub dlq_dir: PathBuf,
}

/// Why the pipeline must stop feeding batches.
#[derive(Debug, Clone, PartialEq)]
pub enum Stop {
    /// The run cannot go on; the message says why.
    Fatal(String),
    /// The output went away quietly (stdout closed).
    Closed,
}

/// What `dlq replay` learns from one pass over its files.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ReplayReport {
    /// Files delivered (and deleted).
    pub delivered_files: usize,
    /// Files kept because their batch could not be delivered.
    pub failed_files: usize,
    /// Files that failed to read, moved to `corrupt/`.
    pub quarantined: usize,
    /// Files another process was sending (left alone).
    pub busy: usize,
    /// The run stopped for this reason (401, full disk …).
    pub fatal: Option<String>,
}

/// A batch waiting in memory or being sent.
struct Job {
    batch: Arc<Batch>,
    /// `batch.len()`, counted once.
    records: usize,
    /// Its spool file when it has one (`--durable`).
    file: Option<SpoolFile>,
}

#[derive(Clone)]
struct SpoolFile {
    path: PathBuf,
    header: Header,
    /// Written by this run (counted in `spooled`).
    own: bool,
    /// Held while the batch waits in memory and is sent from there
    /// (`--durable`), so a concurrent `dlq replay` skips the file.
    _claim: Option<Arc<lock::Claim>>,
}

/// A spool file waiting to be (re-)sent.
struct Pending {
    path: PathBuf,
    records: usize,
    own: bool,
    not_before: Instant,
    /// Sending it failed in this run already.
    failed: bool,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Job>,
    queued_records: usize,
    inflight_records: usize,
    /// Batches being sent, by job number: spooled if the run ends first.
    inflight: HashMap<u64, Job>,
    pending: VecDeque<Pending>,
    /// Workers busy with a pending file.
    busy_files: usize,
    stop: Option<Stop>,
}

/// How a batch (or some parts of it) failed.
struct Failure {
    /// The parts not delivered; `None` means the whole batch.
    parts: Option<Vec<Batch>>,
    error: String,
    attempts: u32,
    closed: bool,
}

impl Failure {
    fn whole(error: String, attempts: u32) -> Self {
        Failure {
            parts: None,
            error,
            attempts,
            closed: false,
        }
    }
}

struct Inner {
    backend: Arc<dyn Backend>,
    cfg: DeliveryConfig,
    ctx: Context,
    dlq: Dlq,
    metrics: Arc<Metrics>,
    breaker: Breaker,
    state: Mutex<State>,
    /// New work for the workers.
    work: Notify,
    /// Progress (room in the buffer, a job done) for `submit` and `finish`.
    progress: Notify,
    /// A request succeeded: batches waiting out a backoff retry now.
    succeeded: Notify,
    /// `dlq replay`: one pass, a failed file is not tried again in this run.
    replay: bool,
    /// Whether a spool makes sense (not for stdout).
    spooling: bool,
    next_job: AtomicU64,
    /// Records that could be kept nowhere (the DLQ could not be written).
    lost: AtomicU64,
    /// Serialises spool writes.
    spool_writer: Mutex<()>,
    /// `--concurrency` (1 for targets that are not remote).
    concurrency: usize,
    /// Spool files written without fsync, synced when the run ends.
    unsynced: Mutex<Vec<PathBuf>>,
    /// Requests in flight (`--concurrency`).
    slots: tokio::sync::Semaphore,
    /// Records of earlier runs' files that this run delivered.
    resent: AtomicU64,
    /// When the user was last told that the target fails (at most every
    /// [`FAILING_NOTICE_EVERY`], so a dead target is not a silent 30 s).
    failing_said: Mutex<Option<std::time::Instant>>,
    report: Mutex<ReplayReport>,
    /// The latest delivery error, for the spool header and the final warning.
    last_error: Mutex<Option<String>>,
    buffers: Option<Arc<super::Buffers>>,
}

/// Runs blocking file work without stalling the async threads.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

impl Inner {
    /// A batch is done with: its JSON buffer goes back for the next one.
    fn recycle(&self, batch: Arc<Batch>) {
        if let Some(b) = &self.buffers
            && let Ok(batch) = Arc::try_unwrap(batch)
        {
            b.give(batch.ndjson);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn stopped(&self) -> Option<Stop> {
        self.lock().stop.clone()
    }

    fn set_stop(&self, s: Stop) {
        let mut st = self.lock();
        if st.stop.is_none() {
            st.stop = Some(s);
        }
        drop(st);
        self.work.notify_waiters();
        self.progress.notify_waiters();
    }

    fn retry_delay(&self) -> Duration {
        self.cfg.breaker_reset.max(Duration::from_millis(50))
    }

    /// Writes a batch to the spool. On failure the run stops: the records
    /// can be kept nowhere and are counted as lost.
    fn spool(&self, batch: &Batch, attempts: u32, last_error: Option<String>) -> Option<SpoolFile> {
        self.spool_file(batch, attempts, last_error, false)
    }

    /// [`Inner::spool`]; with `claim`, the file comes back claimed by this
    /// process (a `--durable` batch about to be sent from memory).
    fn spool_file(
        &self,
        batch: &Batch,
        attempts: u32,
        last_error: Option<String>,
        claim: bool,
    ) -> Option<SpoolFile> {
        // Durable runs sync every file; others sync what is left at the end.
        let sync = self.cfg.durable;
        // One writer at a time: the disk is one, and many threads each
        // compressing a batch at once only inflate the peak memory.
        // (Waited for inside `blocking`, never on an async thread.)
        match blocking(|| {
            let _writer = self.spool_writer.lock().unwrap_or_else(|p| p.into_inner());
            self.dlq
                .spool_file(
                    &self.ctx.target_key,
                    batch,
                    attempts,
                    last_error.clone(),
                    sync,
                    claim,
                )
                .map(|(path, header, c)| (path, header, c.map(Arc::new)))
        }) {
            Ok((path, header, claim)) => {
                if !sync {
                    self.unsynced
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(path.clone());
                }
                Metrics::add(&self.metrics.spooled, batch.len() as u64);
                Some(SpoolFile {
                    path,
                    header,
                    own: true,
                    _claim: claim,
                })
            }
            Err(e) => {
                batch.void_receipt();
                self.lose(batch.len(), &format!("{e:#}"));
                None
            }
        }
    }

    /// Records that can be kept nowhere: counted, and the run stops (the
    /// count is added to the message at the end).
    fn lose(&self, n: usize, why: &str) {
        self.lost.fetch_add(n as u64, Ordering::Relaxed);
        // Lost is dropped, as far as the user is concerned (exit code 4).
        Metrics::add(&self.metrics.dropped, n as u64);
        self.set_stop(Stop::Fatal(why.to_string()));
    }

    /// Spools a batch (fresh, never written) and queues its file for
    /// re-sending: at once (a spill) or after a pause (it just failed).
    fn spool_and_queue(&self, batch: &Batch, attempts: u32, last_error: Option<String>) {
        if !self.spooling {
            batch.void_receipt();
            return;
        }
        let failed = last_error.is_some();
        if let Some(f) = self.spool(batch, attempts, last_error) {
            self.queue_file(f.path, batch.len(), true, failed);
        }
    }

    fn queue_file(&self, path: PathBuf, records: usize, own: bool, failed: bool) {
        let not_before = if failed {
            Instant::now() + self.retry_delay()
        } else {
            Instant::now()
        };
        self.lock().pending.push_back(Pending {
            path,
            records,
            own,
            not_before,
            failed,
        });
        self.work.notify_one();
    }

    /// Records the refused records in `rejected/`.
    fn reject(&self, batch: &Batch, items: &[(usize, String)]) {
        if items.is_empty() {
            return;
        }
        Metrics::add(&self.metrics.rejected, items.len() as u64);
        let nd = batch.ndjson();
        let lines: Vec<&[u8]> = nd.split(|&b| b == b'\n').collect();
        let rows: Vec<(usize, &[u8], String)> = items
            .iter()
            .map(|(i, r)| (*i, lines.get(*i).copied().unwrap_or(b""), r.clone()))
            .collect();
        match blocking(|| self.dlq.reject(&self.ctx.target_key, &batch.id, &rows)) {
            Ok(p) => tracing::warn!(
                "{} records refused by {}: {} (kept in {})",
                items.len(),
                self.ctx.target_key,
                items[0].1,
                p.display()
            ),
            Err(e) => {
                batch.void_receipt();
                self.lose(items.len(), &format!("{e:#}"))
            }
        }
    }

    /// Tells the user, once and then every few seconds at most, that the
    /// target fails and that nothing read is lost meanwhile.
    fn say_failing(&self, reason: &str) {
        if self.replay {
            return;
        }
        let mut said = self.failing_said.lock().unwrap_or_else(|p| p.into_inner());
        if said.is_some_and(|t| t.elapsed() < FAILING_NOTICE_EVERY) {
            return;
        }
        *said = Some(std::time::Instant::now());
        tracing::warn!(
            "{} is unreachable or failing ({reason}); retrying, and spooling records to disk meanwhile",
            self.ctx.target_key
        );
    }

    fn account(&self, batch: &Batch, out: &IngestOutcome, count: bool) {
        let m = &self.metrics;
        if count {
            Metrics::add(&m.delivered, out.accepted as u64);
            Metrics::add(&m.batches, 1);
        } else {
            self.resent
                .fetch_add(out.accepted as u64, Ordering::Relaxed);
            Metrics::add(&m.resent, out.accepted as u64);
        }
        let raw = if batch.ndjson.is_empty() {
            batch.records.iter().map(|r| r.approx_size()).sum::<usize>()
        } else {
            batch.ndjson.len()
        };
        Metrics::add(&m.bytes_raw, raw as u64);
        Metrics::add(&m.bytes_wire, out.wire_bytes);
    }

    /// Delivers one batch: retries, the breaker, 413 splits, rejects.
    /// `count`: whether its records count as this run's deliveries.
    async fn deliver(&self, batch: &Batch, count: bool) -> Result<(), Failure> {
        let mut attempt = 0u32;
        let mut last_error = String::new();
        loop {
            if let Some(s) = self.stopped() {
                let mut f = Failure::whole(
                    if last_error.is_empty() {
                        "the run stopped before delivery".into()
                    } else {
                        last_error
                    },
                    attempt,
                );
                f.closed = s == Stop::Closed;
                return Err(f);
            }
            // A request slot is held only while a request is out: a batch
            // waiting out its backoff leaves the slot to others.
            let slot = self.slots.acquire().await.expect("never closed");
            let gate = self.breaker.gate();
            if gate == Gate::Open {
                if last_error.is_empty() {
                    last_error = "circuit breaker open".into();
                }
                return Err(Failure::whole(last_error, attempt));
            }
            Metrics::add(&self.metrics.requests, 1);
            let t0 = Instant::now();
            let res = self.backend.ingest(batch).await;
            self.metrics.observe_latency(t0.elapsed());
            drop(slot);
            match res {
                Ok(out) => {
                    self.breaker.success();
                    self.succeeded.notify_waiters();
                    self.account(batch, &out, count);
                    self.reject(batch, &out.rejected);
                    return Ok(());
                }
                Err(DeliveryError::Retryable {
                    reason,
                    retry_after,
                }) => {
                    // Armed before anything else can run, so no success
                    // after this failure is missed.
                    let succeeded = self.succeeded.notified();
                    tokio::pin!(succeeded);
                    succeeded.as_mut().enable();
                    attempt += 1;
                    if self.breaker.failure() {
                        Metrics::add(&self.metrics.breaker_trips, 1);
                        tracing::warn!(
                            "{reason}; circuit breaker open for {}: batches go to the spool",
                            humantime::format_duration(self.cfg.breaker_reset)
                        );
                    } else {
                        tracing::info!("batch {}: {reason}", batch.id);
                    }
                    self.say_failing(&reason);
                    *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) =
                        Some(reason.clone());
                    last_error = reason;
                    if attempt > self.cfg.max_retries || gate == Gate::Probe {
                        return Err(Failure::whole(last_error, attempt));
                    }
                    Metrics::add(&self.metrics.retries, 1);
                    let wait = tokio::time::sleep(backoff(attempt, retry_after));
                    if retry_after.is_some() {
                        // The server said when: no sooner.
                        wait.await;
                    } else {
                        // The backoff is for a target that is failing. When
                        // another request succeeds after this failure, the
                        // target is answering and this one was a stray
                        // failure: retry now (still within the request slots)
                        // rather than hold the batch, and the buffer room it
                        // takes, for the rest of the backoff.
                        tokio::select! {
                            _ = wait => {}
                            _ = succeeded => {}
                        }
                    }
                }
                Err(DeliveryError::TooLarge(msg)) => {
                    self.breaker.success();
                    attempt += 1;
                    if batch.len() <= 1 {
                        let reason = format!("record too large for the server (413): {msg}");
                        self.reject(batch, &[(0, reason)]);
                        return Ok(());
                    }
                    let (a, b) = split(batch);
                    tracing::info!(
                        "batch {} too large (413): split into {} + {} records",
                        batch.id,
                        a.len(),
                        b.len()
                    );
                    let ra = Box::pin(self.deliver(&a, count)).await;
                    let rb = Box::pin(self.deliver(&b, count)).await;
                    return match (ra, rb) {
                        (Ok(()), Ok(())) => Ok(()),
                        (ra, rb) => {
                            let mut parts = Vec::new();
                            let mut err = Failure::whole(String::new(), attempt);
                            for (r, half) in [(ra, a), (rb, b)] {
                                if let Err(f) = r {
                                    parts.extend(f.parts.unwrap_or_else(|| vec![half]));
                                    err.error = f.error;
                                    err.closed |= f.closed;
                                    err.attempts = err.attempts.max(f.attempts);
                                }
                            }
                            err.parts = Some(parts);
                            Err(err)
                        }
                    };
                }
                Err(DeliveryError::Permanent(msg)) => {
                    self.breaker.success();
                    let items: Vec<(usize, String)> =
                        (0..batch.len()).map(|i| (i, msg.clone())).collect();
                    self.reject(batch, &items);
                    return Ok(());
                }
                Err(DeliveryError::Fatal(msg)) => {
                    self.set_stop(Stop::Fatal(msg.clone()));
                    return Err(Failure::whole(msg, attempt + 1));
                }
                Err(DeliveryError::Closed) => {
                    self.set_stop(Stop::Closed);
                    let mut f = Failure::whole("output closed".into(), attempt + 1);
                    f.closed = true;
                    return Err(f);
                }
            }
        }
    }

    /// Sends a batch from memory; what fails goes to the spool.
    async fn run_job(&self, job: &Job) {
        let batch = &job.batch;
        let res = self.deliver(batch, true).await;
        match (res, &job.file) {
            (Ok(()), None) => {}
            (Ok(()), Some(f)) => self.delivered_file(f, job.records),
            (Err(fail), None) => {
                if fail.closed {
                    batch.void_receipt();
                    return;
                }
                match fail.parts {
                    None => self.spool_and_queue(batch, fail.attempts, Some(fail.error)),
                    Some(parts) => {
                        for p in &parts {
                            self.spool_and_queue(p, fail.attempts, Some(fail.error.clone()));
                        }
                    }
                }
            }
            (Err(fail), Some(f)) => self.failed_file(f, batch, fail),
        }
    }

    fn delivered_file(&self, f: &SpoolFile, records: usize) {
        if let Err(e) = blocking(|| self.dlq.remove(&f.path)) {
            tracing::warn!("{e:#}");
        }
        if f.own {
            Metrics::add(&self.metrics.unspooled, records as u64);
        }
        self.report
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .delivered_files += 1;
    }

    /// A batch read from (or written to) a spool file was not delivered:
    /// keep the file with its new attempt count, or, when only some parts
    /// failed, replace it by files of those parts.
    fn failed_file(&self, f: &SpoolFile, batch: &Batch, fail: Failure) {
        if fail.closed {
            return;
        }
        self.report
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .failed_files += 1;
        match fail.parts {
            None => {
                let mut h = f.header.clone();
                h.attempts += fail.attempts;
                h.last_error = Some(fail.error);
                if fail.attempts > 0
                    && let Err(e) = blocking(|| self.dlq.rewrite(&f.path, &h, batch))
                {
                    tracing::warn!("{e:#}");
                }
                let retry = !self.replay && self.stopped().is_none();
                if retry {
                    self.queue_file(f.path.clone(), batch.len(), f.own, true);
                }
            }
            Some(parts) => {
                for p in &parts {
                    if let Some(nf) = self.spool(
                        p,
                        f.header.attempts + fail.attempts,
                        Some(fail.error.clone()),
                    ) {
                        if !self.replay && self.stopped().is_none() {
                            self.queue_file(nf.path, p.len(), true, true);
                        }
                    } else {
                        // The DLQ cannot be written: keep the original file.
                        return;
                    }
                }
                if let Err(e) = blocking(|| self.dlq.remove(&f.path)) {
                    tracing::warn!("{e:#}");
                }
                if f.own {
                    Metrics::add(&self.metrics.unspooled, batch.len() as u64);
                }
            }
        }
    }

    /// Sends one pending spool file under a claim.
    async fn run_file(&self, p: Pending) {
        let claim = match blocking(|| lock::claim(&p.path)) {
            Ok(Some(c)) => c,
            Ok(None) => {
                if p.path.exists() {
                    // Another process is sending it; look again later.
                    self.report.lock().unwrap_or_else(|p| p.into_inner()).busy += 1;
                    if !self.replay {
                        self.queue_file(p.path, p.records, p.own, true);
                    }
                } else if p.own {
                    // Delivered by someone else (a concurrent replay).
                    Metrics::add(&self.metrics.unspooled, p.records as u64);
                }
                return;
            }
            Err(e) => {
                tracing::warn!("{e:#}");
                return;
            }
        };
        let lines_only = !self.backend.needs_records();
        let read = || {
            if lines_only {
                format::read_batch_lines(&claim.path)
            } else {
                format::read_batch(&claim.path)
            }
        };
        let (header, batch) = match blocking(read) {
            Ok(x) => x,
            // Gone between the claim and the read: whoever removed it had
            // claimed it before us and delivered it; nothing to quarantine.
            Err(e) if crate::exit::has_io_error(&e, std::io::ErrorKind::NotFound) => return,
            Err(e) => {
                self.quarantine(&claim.path, &format!("{e:#}"));
                return;
            }
        };
        let file = SpoolFile {
            path: claim.path.clone(),
            header,
            own: p.own,
            _claim: None,
        };
        let count = p.own || self.replay;
        match self.deliver(&batch, count).await {
            Ok(()) => self.delivered_file(&file, batch.len()),
            Err(fail) => self.failed_file(&file, &batch, fail),
        }
        drop(claim);
    }

    fn quarantine(&self, path: &std::path::Path, reason: &str) {
        self.report
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .quarantined += 1;
        match blocking(|| self.dlq.quarantine(path, reason)) {
            Ok(dest) => eprintln!(
                "loghub: warning: {reason}; moved to {}",
                dest.parent().unwrap_or(&dest).display()
            ),
            Err(e) => {
                eprintln!("loghub: warning: {reason}; and it could not be quarantined: {e:#}")
            }
        }
    }
}

/// Splits a batch in halves; the halves get ids derived from the batch's, so
/// a retry or replay of a half is still de-duplicated by the server.
fn split(batch: &Batch) -> (Batch, Batch) {
    let n = batch.len();
    let (a, b) = cut(batch, n / 2);
    (
        Batch {
            id: format!("{}.0", batch.id),
            ..a
        },
        Batch {
            id: format!("{}.1", batch.id),
            ..b
        },
    )
}

/// The first `at` records of a batch and the rest (records when it carries
/// them, and its JSON lines when it has them). The parts keep the batch's id.
fn cut(batch: &Batch, at: usize) -> (Batch, Batch) {
    let nd: &[u8] = &batch.ndjson;
    let pos = match at {
        0 => 0,
        _ => memchr::memchr_iter(b'\n', nd)
            .nth(at - 1)
            .map_or(nd.len(), |i| i + 1),
    };
    let at_records = at.min(batch.records.len());
    let part = |records: &[crate::record::Record], ndjson: &[u8]| Batch {
        id: batch.id.clone(),
        records: records.to_vec(),
        ndjson: ndjson.to_vec(),
        pre: Vec::new(),
        receipt: batch.receipt.clone(),
    };
    (
        part(&batch.records[..at_records], &nd[..pos]),
        part(&batch.records[at_records..], &nd[pos..]),
    )
}

/// Cuts a batch into batches of at most `max` records, each with a new id
/// (they are new batches, never sent under the old one).
pub(crate) fn split_every(batch: Batch, max: usize) -> Vec<Batch> {
    let max = max.max(1);
    let mut out = Vec::new();
    let mut rest = batch;
    while rest.len() > max {
        let (a, b) = cut(&rest, max);
        out.push(Batch {
            id: uuid::Uuid::new_v4().to_string(),
            ..a
        });
        rest = b;
    }
    if !rest.is_empty() {
        out.push(Batch {
            id: uuid::Uuid::new_v4().to_string(),
            ..rest
        });
    }
    out
}

async fn worker(inner: Arc<Inner>) {
    enum Next {
        Job(u64),
        File(Pending),
        Wait(Option<Instant>),
    }
    loop {
        let notified = inner.work.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let next = {
            let mut st = inner.lock();
            if st.stop.is_some() {
                return;
            }
            if let Some(job) = st.queue.pop_front() {
                let n = job.records;
                st.queued_records -= n;
                st.inflight_records += n;
                let id = inner.next_job.fetch_add(1, Ordering::Relaxed);
                st.inflight.insert(id, job);
                Next::Job(id)
            } else if !inner.breaker.is_open() && st.busy_files < inner.concurrency {
                // A file read back counts against the memory bound like any
                // batch, and at most `--concurrency` files are read at once.
                let now = Instant::now();
                let used = st.queued_records + st.inflight_records;
                match st.pending.iter().position(|p| {
                    p.not_before <= now
                        && !(inner.replay && p.failed)
                        && (used == 0 || used + p.records <= inner.cfg.max_buffer)
                }) {
                    Some(i) => {
                        let p = st.pending.remove(i).expect("index in range");
                        st.busy_files += 1;
                        st.inflight_records += p.records;
                        Next::File(p)
                    }
                    None => Next::Wait(st.pending.iter().map(|p| p.not_before).min()),
                }
            } else if !inner.breaker.is_open() {
                Next::Wait(None)
            } else {
                Next::Wait(inner.breaker.reopens_at())
            }
        };
        match next {
            Next::Job(id) => {
                let batch = {
                    let st = inner.lock();
                    st.inflight
                        .get(&id)
                        .map(|j| (j.batch.clone(), j.file.clone(), j.records))
                };
                if let Some((batch, file, records)) = batch {
                    let job = Job {
                        batch,
                        records,
                        file,
                    };
                    inner.run_job(&job).await;
                    let done = {
                        let mut st = inner.lock();
                        st.inflight_records -= job.records;
                        st.inflight.remove(&id)
                    };
                    drop(job);
                    if let Some(done) = done {
                        inner.recycle(done.batch);
                    }
                }
                inner.progress.notify_waiters();
            }
            Next::File(p) => {
                let n = p.records;
                inner.run_file(p).await;
                let mut st = inner.lock();
                st.busy_files -= 1;
                st.inflight_records -= n;
                drop(st);
                inner.progress.notify_waiters();
            }
            Next::Wait(until) => {
                // A periodic look as well, so a wake-up can never be missed.
                let cap = Instant::now() + Duration::from_millis(200);
                let until = until.map_or(cap, |u| u.min(cap));
                tokio::select! {
                    _ = notified => {}
                    _ = tokio::time::sleep_until(until.into()) => {}
                }
            }
        }
    }
}

pub struct Deliverer {
    inner: Arc<Inner>,
    workers: JoinSet<()>,
}

impl Deliverer {
    /// Starts the workers. `buffers`: where a batch's JSON buffer goes once
    /// the batch is done with (delivered or spooled), for the next batch.
    pub async fn start(
        backend: Arc<dyn Backend>,
        cfg: &DeliveryConfig,
        ctx: Context,
        metrics: Arc<Metrics>,
        buffers: Option<Arc<super::Buffers>>,
    ) -> Result<Self> {
        let d = Self::new(backend, cfg, ctx, metrics, false, buffers);
        if d.inner.spooling {
            d.adopt_earlier_files();
        }
        Ok(d)
    }

    fn new(
        backend: Arc<dyn Backend>,
        cfg: &DeliveryConfig,
        ctx: Context,
        metrics: Arc<Metrics>,
        replay: bool,
        buffers: Option<Arc<super::Buffers>>,
    ) -> Self {
        // `--concurrency` requests in flight (retries included) for remote
        // targets; more workers than that, so that batches waiting out a
        // backoff do not keep the others from being sent. One for the rest,
        // which keeps their order.
        let (slots, workers) = if backend.is_remote() {
            let c = cfg.concurrency.max(1);
            (c, (c * 2).min(512))
        } else {
            (1, 1)
        };
        let spooling = ctx.target_key != "-";
        let mut cfg = cfg.clone();
        cfg.durable &= spooling;
        let inner = Arc::new(Inner {
            breaker: Breaker::new(cfg.breaker_threshold, cfg.breaker_reset),
            slots: tokio::sync::Semaphore::new(slots),
            concurrency: slots,
            spool_writer: Mutex::new(()),
            unsynced: Mutex::new(Vec::new()),
            dlq: Dlq::new(&ctx.dlq_dir),
            backend,
            cfg,
            ctx,
            metrics,
            state: Mutex::new(State::default()),
            work: Notify::new(),
            progress: Notify::new(),
            succeeded: Notify::new(),
            replay,
            spooling,
            next_job: AtomicU64::new(0),
            lost: AtomicU64::new(0),
            resent: AtomicU64::new(0),
            failing_said: Mutex::new(None),
            report: Mutex::new(ReplayReport::default()),
            last_error: Mutex::new(None),
            buffers,
        });
        let mut tasks = JoinSet::new();
        for _ in 0..workers {
            tasks.spawn(worker(inner.clone()));
        }
        Deliverer {
            inner,
            workers: tasks,
        }
    }

    /// Queues what earlier runs left in the spool for this target, so this
    /// run delivers it once the target answers.
    fn adopt_earlier_files(&self) {
        let entries = match self.inner.dlq.entries() {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!("{e:#}");
                return;
            }
        };
        let mut n = 0;
        for e in entries {
            match &e.header {
                Ok(h)
                    if h.target == self.inner.ctx.target_key
                        && h.kind == crate::dlq::Kind::Batch =>
                {
                    n += 1;
                    self.inner.queue_file(e.path, h.records, false, false);
                }
                Ok(_) => {}
                Err(why) => self.inner.quarantine(&e.path, why),
            }
        }
        if n > 0 {
            tracing::info!("{n} spooled batches of earlier runs will be re-sent");
        }
    }

    /// Hands a batch over. Applies `--on-full` when `max_buffer` records
    /// already wait in memory (queued + in flight).
    pub async fn submit(&mut self, batch: Batch) -> Result<(), Stop> {
        let inner = &self.inner;
        let n = batch.len();
        if let Some(s) = inner.stopped() {
            // Read but not deliverable in this run: keep it.
            if s != Stop::Closed && n > 0 {
                inner.spool_and_queue(&batch, 0, Some("the run stopped early".into()));
            } else {
                batch.void_receipt();
            }
            return Err(s);
        }
        if n == 0 {
            return Ok(());
        }
        let file = if inner.cfg.durable {
            match inner.spool_file(&batch, 0, None, true) {
                Some(f) => Some(f),
                None => return Err(inner.stopped().unwrap_or(Stop::Closed)),
            }
        } else {
            None
        };
        let mut job = Some(Job {
            batch: Arc::new(batch),
            records: n,
            file,
        });
        loop {
            let notified = inner.progress.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut st = inner.lock();
                if let Some(s) = &st.stop {
                    let s = s.clone();
                    drop(st);
                    if let Some(j) = job.take()
                        && j.file.is_none()
                    {
                        if s == Stop::Closed {
                            j.batch.void_receipt();
                        } else {
                            inner.spool_and_queue(&j.batch, 0, None);
                        }
                    }
                    return Err(s);
                }
                let used = st.queued_records + st.inflight_records;
                if used + n <= inner.cfg.max_buffer || used == 0 {
                    st.queued_records += n;
                    st.queue.push_back(job.take().expect("job"));
                    drop(st);
                    inner.work.notify_one();
                    return Ok(());
                }
                let j = job.as_ref().expect("job");
                if let Some(f) = &j.file {
                    // Durable: the batch is on disk already; let it wait there.
                    drop(st);
                    inner.queue_file(f.path.clone(), n, true, false);
                    return Ok(());
                }
                match inner.cfg.on_full {
                    // A healthy target that is merely slower than the input
                    // is not an outage: spilling would move every record to
                    // disk and back, and leave the rest in the DLQ when the
                    // drain time runs out. Wait for it instead (backpressure);
                    // spill once requests fail or the breaker is open.
                    OnFull::Spill if inner.breaker.is_healthy() => {}
                    OnFull::Spill => {
                        drop(st);
                        let j = job.take().expect("job");
                        inner.spool_and_queue(&j.batch, 0, None);
                        inner.recycle(j.batch);
                        return Ok(());
                    }
                    OnFull::Block => {}
                    OnFull::DropNewest => {
                        Metrics::add(&inner.metrics.dropped, n as u64);
                        return Ok(());
                    }
                    OnFull::DropOldest => {
                        let mut used = used;
                        while used + n > inner.cfg.max_buffer
                            && let Some(old) = st.queue.pop_front()
                        {
                            let m = old.records;
                            st.queued_records -= m;
                            used -= m;
                            Metrics::add(&inner.metrics.dropped, m as u64);
                        }
                        if used + n <= inner.cfg.max_buffer || used == 0 {
                            st.queued_records += n;
                            st.queue.push_back(job.take().expect("job"));
                            drop(st);
                            inner.work.notify_one();
                        } else {
                            Metrics::add(&inner.metrics.dropped, n as u64);
                        }
                        return Ok(());
                    }
                }
            }
            // Block: wait for room; the input waits with us (backpressure).
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
        }
    }

    /// Spools batches without trying to send them (the run is stopping).
    pub async fn spool_now(&mut self, batches: Vec<Batch>) {
        for b in batches {
            if !b.is_empty() {
                self.inner
                    .spool_and_queue(&b, 0, Some("the run stopped early".into()));
            }
        }
    }

    /// Waits up to `drain` for the queue, the batches in flight and this
    /// run's spool files to be delivered (a second signal cuts it short),
    /// then spools whatever is still in memory.
    pub async fn finish(mut self, drain: Duration, second: Arc<Notify>) -> Result<(), Stop> {
        let inner = self.inner.clone();
        let deadline = Instant::now()
            .checked_add(drain)
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400 * 365));
        let second = second.notified();
        tokio::pin!(second);
        loop {
            let notified = inner.progress.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.idle() {
                break;
            }
            tokio::select! {
                _ = notified => {}
                _ = &mut second => break,
                _ = tokio::time::sleep_until(deadline.into()) => break,
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
        }
        self.workers.abort_all();
        while self.workers.join_next().await.is_some() {}

        // Whatever is still in memory goes to the spool.
        let (queue, inflight) = {
            let mut st = inner.lock();
            let q: Vec<Job> = st.queue.drain(..).collect();
            let f: Vec<Job> = st.inflight.drain().map(|(_, j)| j).collect();
            st.queued_records = 0;
            st.inflight_records = 0;
            (q, f)
        };
        let closed = inner.stopped() == Some(Stop::Closed);
        let last_error = inner
            .last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        for j in queue.iter().chain(inflight.iter()) {
            if j.file.is_none() && inner.spooling && !closed {
                let why = last_error
                    .clone()
                    .unwrap_or_else(|| "not delivered before the end of the run".into());
                let _ = inner.spool(&j.batch, 0, Some(why));
            } else if j.file.is_none() {
                j.batch.void_receipt();
            }
        }
        let unsynced =
            std::mem::take(&mut *inner.unsynced.lock().unwrap_or_else(|p| p.into_inner()));
        if !unsynced.is_empty() {
            let synced = blocking(|| -> std::io::Result<()> {
                for p in &unsynced {
                    format::sync_file(p)?;
                }
                format::sync_dir(inner.dlq.dir())
            });
            if let Err(e) = synced {
                tracing::warn!(
                    "syncing the DLQ directory {}: {e}",
                    inner.dlq.dir().display()
                );
            }
        }
        let m = &inner.metrics;
        let kept = m.spooled.load(Ordering::Relaxed) > m.unspooled.load(Ordering::Relaxed);
        if kept
            && !inner.replay
            && let Some(e) = &last_error
        {
            eprintln!("loghub: warning: last delivery error: {e}");
        }
        let lost = inner.lost.load(Ordering::Relaxed);
        match inner.stopped() {
            Some(Stop::Fatal(m)) if lost > 0 => Err(Stop::Fatal(format!(
                "{m}; {lost} records could not be kept anywhere and are lost"
            ))),
            Some(Stop::Fatal(m)) => Err(Stop::Fatal(m)),
            _ => Ok(()),
        }
    }

    /// Nothing left to do in this run.
    fn idle(&self) -> bool {
        let inner = &self.inner;
        let st = inner.lock();
        let working = st.inflight_records > 0 || st.busy_files > 0;
        if st.stop.is_some() {
            return !working;
        }
        if working || !st.queue.is_empty() {
            return false;
        }
        if inner.replay {
            // One pass: done when every file was tried, or the target is down.
            inner.breaker.is_open() || st.pending.iter().all(|p| p.failed)
        } else {
            st.pending.is_empty()
        }
    }

    /// `dlq replay`: sends `files` (oldest first) through the same delivery
    /// code, deleting each after its ack, keeping failures with their attempt
    /// count and last error.
    pub async fn replay(
        backend: Arc<dyn Backend>,
        cfg: &DeliveryConfig,
        ctx: Context,
        metrics: Arc<Metrics>,
        files: Vec<(PathBuf, usize)>,
    ) -> ReplayReport {
        let mut cfg = cfg.clone();
        cfg.durable = false;
        let d = Self::new(backend, &cfg, ctx, metrics, true, None);
        for (path, records) in files {
            d.inner.queue_file(path, records, false, false);
        }
        let inner = d.inner.clone();
        let res = d.finish(Duration::MAX, Arc::new(Notify::new())).await;
        let mut report = inner
            .report
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Err(Stop::Fatal(m)) = res {
            report.fatal = Some(m);
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(n: usize) -> Batch {
        let mut b = Batch::new(Vec::new());
        for i in 0..n {
            b.ndjson
                .extend_from_slice(format!("{{\"message\":\"m{i}\"}}\n").as_bytes());
        }
        b
    }

    #[test]
    fn batches_of_json_lines_split_and_cut_on_line_ends() {
        let b = lines(5);
        assert_eq!(b.len(), 5);
        let (x, y) = split(&b);
        assert_eq!((x.len(), y.len()), (2, 3));
        assert_eq!([x.ndjson.clone(), y.ndjson.clone()].concat(), b.ndjson);
        assert_eq!(x.id, format!("{}.0", b.id));
        let parts = split_every(lines(7), 3);
        assert_eq!(
            parts.iter().map(Batch::len).collect::<Vec<_>>(),
            vec![3, 3, 1]
        );
        assert!(parts.iter().all(|p| p.ndjson.ends_with(b"\n")));
        let ids: std::collections::HashSet<&String> = parts.iter().map(|p| &p.id).collect();
        assert_eq!(ids.len(), 3, "each part is a batch of its own");
        assert!(split_every(lines(0), 3).is_empty());
    }
}

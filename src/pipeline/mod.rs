//! The shipping pipeline of `send` (SPEC §3): input → lines → multiline events
//! → parse, enrich, redact, filter (on worker threads) → batches → delivery.
//!
//! ```text
//!  reader thread ──blocks──▶ line thread ──chunks──▶ N parse workers
//!   (blocking read)          (split, UTF-8, tee,       (parse, enrich, redact,
//!                             multiline, silence)        filter, encode JSON)
//!                                                              │ (seq, records)
//!                                   deliver::Deliverer ◀──batches── batcher task
//!                                   (concurrency, retry,        (reorders by seq,
//!                                    breaker, spool)             size/bytes/interval)
//! ```
//!
//! Every channel is bounded, so memory is bounded whatever the input size:
//! a slow target backs up into the deliverer's buffer, whose `--on-full`
//! policy decides whether to spill, block, or drop. The pipeline never knows
//! which target it feeds: it hands batches to an `Arc<dyn Backend>`.

pub mod breaker;
pub mod deliver;
pub mod enrich;
pub mod metrics;
pub mod redact;
pub mod retry;
pub mod source;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::backend::{Backend, Batch, PreEncoded};
use crate::config::DeliveryConfig;
use crate::parse::multiline::{Joiner, MultilineMode};
use crate::parse::{Event, Parser};
use crate::record::{Level, Record, now_micros};
use deliver::{Deliverer, Stop};
use enrich::Enricher;
use metrics::Metrics;

/// Where `send` reads from.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

/// Everything `send` needs, resolved from the config and flags.
pub struct SendPlan {
    pub inputs: Vec<Input>,
    pub parser: Parser,
    pub multiline: MultilineMode,
    pub enricher: Enricher,
    pub redactor: redact::Redactor,
    pub min_level: Option<Level>,
    pub tee: bool,
    pub max_line_bytes: usize,
    pub delivery: DeliveryConfig,
    /// Encode records to JSON on the workers (for targets that send JSON).
    pub encode: bool,
    pub deliver_ctx: deliver::Context,
    /// An input that brings its own events (`--follow`) instead of `inputs`,
    /// and the ledger that hears of the batches cut from them.
    pub source: Option<(Box<dyn source::Source>, Arc<dyn source::Ledger>)>,
}

/// How the run ended.
#[derive(Debug)]
pub struct Outcome {
    pub summary: metrics::Summary,
    /// Interrupted by SIGINT/SIGTERM.
    pub interrupted: bool,
    /// The run stopped early for this reason (401, read-only store …).
    pub fatal: Option<String>,
    /// The output went away (stdout's reader closed the pipe): not an error.
    pub closed: bool,
}

/// Events per chunk handed to a worker, and the byte size that also closes one.
const CHUNK_EVENTS: usize = 512;
const CHUNK_BYTES: usize = 256 * 1024;
/// Size of one read from the input.
const READ_BLOCK: usize = 256 * 1024;
/// Silence that closes a pending multiline event (SPEC §3).
const SILENCE: Duration = Duration::from_millis(250);

struct Chunk {
    seq: u64,
    read_time: i64,
    events: Vec<Event>,
    /// Where the events came from, for a [`source::Source`]'s chunks.
    origin: Option<Box<Origin>>,
}

/// A source chunk's files and spans (see [`source::SourceChunk`]).
struct Origin {
    files: Vec<(usize, Arc<str>)>,
    spans: Vec<source::Span>,
    batch: Option<String>,
}

struct Parsed {
    seq: u64,
    /// The records (empty when only their JSON form is kept).
    records: Vec<Record>,
    /// One JSON line per record (when encoding), with `ends[i]` the end offset
    /// of record i.
    ndjson: Vec<u8>,
    ends: Vec<usize>,
    /// The target's work on `records` done ahead ([`Backend::pre_encode`]).
    pre: Option<PreEncoded>,
    origin: Option<Box<Origin>>,
}

enum Block {
    /// A read buffer and how much of it the read filled.
    Data(Vec<u8>, usize),
    /// The end of one input: a partial last line is a line.
    EndOfInput,
    Error(String),
}

/// Runs `send` to the end. `stop` is set by the signal handler: reading stops
/// and what was read is delivered or spooled.
pub async fn run(
    plan: SendPlan,
    backend: Arc<dyn Backend>,
    metrics: Arc<Metrics>,
    signals: Arc<Signals>,
) -> Result<Outcome> {
    let SendPlan {
        inputs,
        parser,
        multiline,
        enricher,
        redactor,
        min_level,
        tee,
        max_line_bytes,
        delivery,
        encode,
        deliver_ctx,
        source,
    } = plan;

    tune_malloc();
    // A target that only sends the JSON form gets batches without records:
    // each worker drops a record once encoded (see `Backend::needs_records`).
    let keep_records = !encode || backend.needs_records();
    let buffers = Arc::new(Buffers::default());
    // Pre-encoded chunks are batched whole (see `BatchBuilder::push`), so
    // only where a batch may hold a whole chunk.
    let encoder = (delivery.batch_size >= CHUNK_EVENTS && delivery.batch_bytes >= CHUNK_BYTES)
        .then(|| backend.clone());
    let mut deliverer = Deliverer::start(
        backend,
        &delivery,
        deliver_ctx,
        metrics.clone(),
        Some(buffers.clone()),
    )
    .await?;

    // Reader thread: blocking reads of every input in turn (none with a
    // source: the reader and line threads then end at once).
    let (block_tx, block_rx) = sync_channel::<Block>(4);
    // Read buffers go back to the reader once split, so a read does not
    // allocate and zero a fresh block (pipes fill a quarter of one per read).
    let (spare_tx, spare_rx) = sync_channel::<Vec<u8>>(8);
    let reader_metrics = metrics.clone();
    let reader_stop = signals.clone();
    std::thread::Builder::new()
        .name("loghub-read".into())
        .spawn(move || read_inputs(inputs, block_tx, &spare_rx, &reader_metrics, &reader_stop))
        .context("starting the reader thread")?;

    // Line thread: lines, tee, multiline, chunks.
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 8);
    let (chunk_tx, chunk_rx) = sync_channel::<Chunk>(workers * 2);
    let ledger = match source {
        Some((src, ledger)) => {
            let sink = source::ChunkSink {
                tx: chunk_tx.clone(),
                seq: 0,
            };
            let stop = signals.clone();
            std::thread::Builder::new()
                .name("loghub-source".into())
                .spawn(move || src.run(sink, stop))
                .context("starting the source thread")?;
            Some(ledger)
        }
        None => None,
    };
    let line_metrics = metrics.clone();
    let line_stop = signals.clone();
    let silence = SILENCE.min(delivery.flush_interval);
    std::thread::Builder::new()
        .name("loghub-lines".into())
        .spawn(move || {
            let mut lines = LineSplitter {
                joiner: Joiner::new(multiline),
                max_line_bytes,
                tee: tee.then(|| std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout())),
                metrics: line_metrics,
                chunk: Vec::new(),
                chunk_bytes: 0,
                seq: 0,
                out: chunk_tx,
                carry: Vec::new(),
                skipping: false,
            };
            lines.run(block_rx, &spare_tx, &line_stop, silence)
        })
        .context("starting the line thread")?;

    // Parse workers.
    let (parsed_tx, mut parsed_rx) = tokio::sync::mpsc::channel::<Parsed>(workers * 2);
    let chunk_rx = Arc::new(Mutex::new(chunk_rx));
    let shared = Arc::new((parser, enricher, redactor, encoder));
    for i in 0..workers {
        let rx = chunk_rx.clone();
        let tx = parsed_tx.clone();
        let shared = shared.clone();
        let m = metrics.clone();
        let buffers = buffers.clone();
        std::thread::Builder::new()
            .name(format!("loghub-parse-{i}"))
            .spawn(move || {
                let (parser, enricher, redactor, backend) = &*shared;
                loop {
                    let chunk = match rx.lock().unwrap_or_else(|p| p.into_inner()).recv() {
                        Ok(c) => c,
                        Err(_) => return,
                    };
                    let mut parsed = parse_chunk(
                        chunk,
                        parser,
                        enricher,
                        redactor,
                        min_level,
                        encode,
                        keep_records,
                        &buffers,
                        &m,
                    );
                    if let Some(backend) = backend
                        && !parsed.records.is_empty()
                    {
                        parsed.pre = backend.pre_encode(&parsed.records);
                    }
                    if tx.blocking_send(parsed).is_err() {
                        return;
                    }
                }
            })
            .context("starting a parse worker")?;
    }
    drop(parsed_tx);

    // Batcher: reorder, cut batches, hand them to the deliverer.
    let mut pending: BTreeMap<u64, Parsed> = BTreeMap::new();
    let mut next_seq = 0u64;
    let mut cur = BatchBuilder::new(&delivery, buffers);
    cur.ledger = ledger;
    let mut tick = tokio::time::interval(
        delivery
            .flush_interval
            .min(Duration::from_millis(100))
            .max(Duration::from_millis(10)),
    );
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut fatal: Option<String> = None;
    let mut closed = false;
    // Batches cut from one chunk after the one whose submit ended the run.
    let mut unsent: Vec<Batch> = Vec::new();
    'outer: loop {
        tokio::select! {
            biased;
            _ = signals.first.notified(), if !signals.stop.load(Ordering::Relaxed) => {
                // Handled by the flag: the line thread sees it and closes the input.
                signals.stop.store(true, Ordering::Relaxed);
            }
            msg = parsed_rx.recv() => {
                let Some(p) = msg else { break 'outer };
                pending.insert(p.seq, p);
                while let Some(p) = pending.remove(&next_seq) {
                    next_seq += 1;
                    let mut batches = cur.push(p).into_iter();
                    while let Some(batch) = batches.next() {
                        if let Err(stop) = deliverer.submit(batch).await {
                            match stop {
                                Stop::Fatal(m) => fatal = Some(m),
                                Stop::Closed => closed = true,
                            }
                            unsent.extend(batches);
                            break 'outer;
                        }
                    }
                }
            }
            _ = tick.tick() => {
                if cur.due()
                    && let Err(stop) = deliverer.submit(cur.take()).await
                {
                    match stop {
                        Stop::Fatal(m) => fatal = Some(m),
                        Stop::Closed => closed = true,
                    }
                    break 'outer;
                }
            }
        }
    }

    if fatal.is_some() || closed {
        // Stop reading; whatever was read but not yet delivered is spooled
        // below. The channel is drained, not closed: the line thread ends its
        // input at the flag and the workers finish what they hold, so every
        // line read reaches the spool.
        signals.stop.store(true, Ordering::Relaxed);
        while let Some(p) = parsed_rx.recv().await {
            pending.insert(p.seq, p);
        }
        for (_, p) in std::mem::take(&mut pending) {
            cur.push_all(p);
        }
        if !closed {
            unsent.extend(cur.take_all());
            deliverer.spool_now(unsent).await;
        } else {
            unsent.iter().for_each(Batch::void_receipt);
        }
    } else if !cur.is_empty()
        && let Err(stop) = deliverer.submit(cur.take()).await
    {
        match stop {
            Stop::Fatal(m) => fatal = Some(m),
            Stop::Closed => closed = true,
        }
    }

    let finish = deliverer.finish(delivery.drain_timeout, signals.second.clone());
    if let Err(Stop::Fatal(m)) = finish.await {
        // The deliverer's final word is the fullest (it adds records lost).
        fatal = Some(m);
    }
    Ok(Outcome {
        summary: metrics.summary(),
        interrupted: signals.stop.load(Ordering::Relaxed)
            && signals.signalled.load(Ordering::Relaxed),
        fatal,
        closed,
    })
}

/// Big byte buffers (a chunk's or a batch's JSON lines) given back after use
/// and taken again, so the steady stream of them does not go through the
/// allocator: with glibc, buffers of varying sizes freed on other threads
/// fragmented the heap until peak RSS grew with the input.
#[derive(Default)]
pub struct Buffers {
    free: Mutex<Vec<Vec<u8>>>,
}

impl Buffers {
    /// At most this many wait here (a few MiB).
    const KEEP: usize = 12;

    /// An empty buffer with room for at least `min` bytes.
    pub fn take(&self, min: usize) -> Vec<u8> {
        let spare = self.free.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match spare {
            Some(mut v) => {
                v.reserve(min);
                v
            }
            None => Vec::with_capacity(min),
        }
    }

    /// Gives a buffer back (its contents are dropped).
    pub fn give(&self, mut v: Vec<u8>) {
        // Small ones are cheap to allocate; huge ones are not kept.
        if v.capacity() < 64 * 1024 || v.capacity() > 8 << 20 {
            return;
        }
        v.clear();
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        if free.len() < Self::KEEP {
            free.push(v);
        }
    }
}

/// glibc's malloc, tuned for the pipeline's threads: two arenas (glibc gives
/// every thread that meets a busy arena one of its own, up to 8 per core),
/// and a fixed mmap threshold, so big transient buffers go back to the
/// system when freed instead of fragmenting the heap. The `loghub` binary
/// allocates through jemalloc (src/main.rs); what still comes here is what
/// the C libraries allocate (SQLite's page cache, zstd's contexts), and all
/// of it where the library is used without that binary. Under glibc's
/// defaults, peak RSS of the same run (a 503 phase of `bench/ship.sh`) once
/// varied from 35 to 250 MiB.
fn tune_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it is thread-safe.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}

/// Signal state shared by the pipeline stages.
#[derive(Default)]
pub struct Signals {
    /// Reading must stop (a signal came, or the run is ending early).
    pub stop: AtomicBool,
    /// A real signal came (for exit code 130).
    pub signalled: AtomicBool,
    pub first: tokio::sync::Notify,
    /// A second signal: spool at once.
    pub second: Arc<tokio::sync::Notify>,
}

impl Signals {
    /// Installs SIGINT/SIGTERM handlers: the first stops reading, the second
    /// spools at once.
    pub fn install() -> Arc<Signals> {
        let s = Arc::new(Signals::default());
        let s2 = s.clone();
        tokio::spawn(async move {
            use tokio::signal::unix::{SignalKind, signal};
            let (Ok(mut int), Ok(mut term)) = (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
            ) else {
                return;
            };
            let mut count = 0;
            loop {
                tokio::select! {
                    _ = int.recv() => {},
                    _ = term.recv() => {},
                }
                count += 1;
                s2.signalled.store(true, Ordering::Relaxed);
                s2.stop.store(true, Ordering::Relaxed);
                if count == 1 {
                    tracing::info!("signal: stopping input, draining");
                    s2.first.notify_one();
                } else {
                    tracing::info!("second signal: spooling at once");
                    s2.second.notify_one();
                    s2.second.notify_waiters();
                }
            }
        });
        s
    }
}

fn read_inputs(
    inputs: Vec<Input>,
    tx: SyncSender<Block>,
    spare: &Receiver<Vec<u8>>,
    metrics: &Metrics,
    signals: &Signals,
) {
    for input in inputs {
        let mut reader: Box<dyn Read> = match &input {
            Input::Stdin => Box::new(std::io::stdin().lock()),
            Input::File(p) => match std::fs::File::open(p) {
                Ok(f) => Box::new(f),
                Err(e) => {
                    let _ = tx.send(Block::Error(format!("cannot read {}: {e}", p.display())));
                    continue;
                }
            },
        };
        loop {
            if signals.stop.load(Ordering::Relaxed) {
                return;
            }
            let mut buf = spare.try_recv().unwrap_or_else(|_| vec![0u8; READ_BLOCK]);
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    Metrics::add(&metrics.bytes_in, n as u64);
                    if tx.send(Block::Data(buf, n)).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let name = match &input {
                        Input::Stdin => "stdin".to_string(),
                        Input::File(p) => p.display().to_string(),
                    };
                    let _ = tx.send(Block::Error(format!("reading {name}: {e}")));
                    break;
                }
            }
        }
        if tx.send(Block::EndOfInput).is_err() {
            return;
        }
    }
}

struct LineSplitter {
    joiner: Joiner,
    max_line_bytes: usize,
    tee: Option<std::io::BufWriter<std::io::Stdout>>,
    metrics: Arc<Metrics>,
    chunk: Vec<Event>,
    chunk_bytes: usize,
    seq: u64,
    out: SyncSender<Chunk>,
    /// The start of a line whose end has not been read yet (at most
    /// `max_line_bytes`: the rest of a huge line is skipped, not kept).
    carry: Vec<u8>,
    /// Inside a huge line: drop bytes until its newline.
    skipping: bool,
}

impl LineSplitter {
    fn run(
        &mut self,
        rx: Receiver<Block>,
        spare: &SyncSender<Vec<u8>>,
        signals: &Signals,
        silence: Duration,
    ) {
        let mut last_data = Instant::now();
        loop {
            if signals.stop.load(Ordering::Relaxed) {
                break;
            }
            match rx.recv_timeout(silence) {
                Ok(Block::Data(buf, n)) => {
                    last_data = Instant::now();
                    if !self.feed(&buf[..n]) {
                        return;
                    }
                    let _ = spare.try_send(buf);
                }
                Ok(Block::EndOfInput) => {
                    if !self.end_line() || !self.flush_all() {
                        return;
                    }
                }
                Ok(Block::Error(msg)) => {
                    eprintln!("loghub: error: {msg}");
                }
                Err(RecvTimeoutError::Timeout) => {
                    // Silence: close a pending multiline event and hand over
                    // what we have, so slow inputs still flow.
                    if last_data.elapsed() >= silence && !self.flush_all() {
                        return;
                    }
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        let _ = self.end_line() && self.flush_all();
    }

    /// Splits a block into lines. Returns false when the workers are gone.
    fn feed(&mut self, buf: &[u8]) -> bool {
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', buf) {
            let piece = &buf[start..nl];
            start = nl + 1;
            if self.skipping {
                self.skipping = false;
                continue;
            }
            let ok = if self.carry.is_empty() {
                // A huge line within one block is cut like one spanning blocks.
                let over = piece.len() > self.max_line_bytes;
                self.line(&piece[..piece.len().min(self.max_line_bytes)], over)
            } else {
                let room = self.max_line_bytes.saturating_sub(self.carry.len());
                let over = piece.len() > room;
                let mut carry = std::mem::take(&mut self.carry);
                carry.extend_from_slice(&piece[..piece.len().min(room)]);
                let ok = self.line(&carry, over);
                carry.clear();
                self.carry = carry;
                ok
            };
            if !ok {
                return false;
            }
        }
        let rest = &buf[start..];
        if !self.skipping && !rest.is_empty() {
            let room = self.max_line_bytes.saturating_sub(self.carry.len());
            if rest.len() > room {
                // A huge line: keep its first max_line_bytes, skip to its end.
                self.carry.extend_from_slice(&rest[..room]);
                let mut carry = std::mem::take(&mut self.carry);
                let ok = self.line(&carry, true);
                carry.clear();
                self.carry = carry;
                self.skipping = true;
                return ok;
            }
            self.carry.extend_from_slice(rest);
        }
        true
    }

    /// The end of an input: a partial last line is a line.
    fn end_line(&mut self) -> bool {
        self.skipping = false;
        if self.carry.is_empty() {
            return true;
        }
        let carry = std::mem::take(&mut self.carry);
        self.line(&carry, false)
    }

    fn line(&mut self, raw: &[u8], truncated: bool) -> bool {
        Metrics::add(&self.metrics.lines, 1);
        if let Some(tee) = &mut self.tee {
            // The input line exactly as it came (the part we kept of a huge one).
            let _ = tee.write_all(raw).and_then(|_| tee.write_all(b"\n"));
        }
        let before = self.chunk.len();
        join_line(
            &self.metrics,
            &mut self.joiner,
            raw,
            truncated,
            &mut self.chunk,
        );
        if self.chunk.len() > before {
            self.chunk_bytes += self.chunk[before..]
                .iter()
                .map(|e| e.text.len())
                .sum::<usize>();
        }
        if self.chunk.len() >= CHUNK_EVENTS || self.chunk_bytes >= CHUNK_BYTES {
            return self.send_chunk();
        }
        true
    }

    fn flush_all(&mut self) -> bool {
        self.joiner.flush(&mut self.chunk);
        if let Some(tee) = &mut self.tee {
            let _ = tee.flush();
        }
        self.send_chunk()
    }

    fn send_chunk(&mut self) -> bool {
        if self.chunk.is_empty() {
            return true;
        }
        let events = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK_EVENTS));
        self.chunk_bytes = 0;
        let chunk = Chunk {
            seq: self.seq,
            read_time: now_micros(),
            events,
            origin: None,
        };
        self.seq += 1;
        self.out.send(chunk).is_ok()
    }
}

/// One input line (without its `\n`) into the joiner: `\r` stripped, blank
/// lines skipped, invalid UTF-8 replaced; each counted.
pub(crate) fn join_line(
    metrics: &Metrics,
    joiner: &mut Joiner,
    raw: &[u8],
    truncated: bool,
    out: &mut Vec<Event>,
) {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    if raw.iter().all(u8::is_ascii_whitespace) {
        Metrics::add(&metrics.blank_lines, 1);
        return;
    }
    if truncated {
        Metrics::add(&metrics.truncated_lines, 1);
    }
    let (text, invalid) = match std::str::from_utf8(raw) {
        Ok(s) => (std::borrow::Cow::Borrowed(s), false),
        Err(_) => {
            Metrics::add(&metrics.invalid_utf8_lines, 1);
            (String::from_utf8_lossy(raw), true)
        }
    };
    joiner.push(&text, truncated, invalid, out);
}

#[allow(clippy::too_many_arguments)]
fn parse_chunk(
    chunk: Chunk,
    parser: &Parser,
    enricher: &Enricher,
    redactor: &redact::Redactor,
    min_level: Option<Level>,
    encode: bool,
    keep_records: bool,
    buffers: &Buffers,
    metrics: &Metrics,
) -> Parsed {
    let mut records = Vec::with_capacity(if keep_records { chunk.events.len() } else { 0 });
    let (mut ndjson, mut ends) = (Vec::new(), Vec::new());
    if encode {
        // Sized once for the whole chunk (input plus the record's fixed keys):
        // growing a chunk-sized buffer by doubling copies it several times.
        let text: usize = chunk.events.iter().map(|e| e.text.len()).sum();
        ndjson = buffers.take(text + text / 4 + 160 * chunk.events.len());
        ends.reserve(chunk.events.len());
    }
    let mut filtered = 0;
    let mut kept = 0;
    let files = chunk.origin.as_ref().map_or(&[][..], |o| &o.files[..]);
    let mut file = files.iter().peekable();
    let mut path: Option<&Arc<str>> = None;
    for (i, ev) in chunk.events.into_iter().enumerate() {
        while let Some((_, p)) = file.next_if(|(first, _)| *first <= i) {
            path = Some(p);
        }
        let mut r = parser.parse(&ev.text, chunk.read_time);
        if min_level.is_some_and(|m| r.level < m) {
            filtered += 1;
            continue;
        }
        enricher.apply(&mut r, &ev);
        if let Some(p) = path {
            r.metadata
                .insert("file".into(), serde_json::Value::String(p.to_string()));
        }
        redactor.apply(&mut r);
        if encode {
            r.write_json(&mut ndjson);
            ndjson.push(b'\n');
            ends.push(ndjson.len());
        }
        kept += 1;
        if keep_records {
            records.push(r);
        }
    }
    Metrics::add(&metrics.records, kept + filtered);
    Metrics::add(&metrics.filtered, filtered);
    Parsed {
        seq: chunk.seq,
        records,
        ndjson,
        ends,
        pre: None,
        origin: chunk.origin,
    }
}

/// Cuts the ordered record stream into batches by count, bytes and age.
struct BatchBuilder {
    max_records: usize,
    max_bytes: usize,
    interval: Duration,
    records: Vec<Record>,
    ndjson: Vec<u8>,
    /// The target's pre-encoded runs of `records` (see `push`).
    pre: Vec<PreEncoded>,
    /// Records in the open batch (kept in `records`, or only in `ndjson`).
    count: usize,
    bytes: usize,
    opened: Instant,
    buffers: Arc<Buffers>,
    /// The spans of a source's chunks in the open batch, told to the ledger
    /// when the batch is cut (see [`source`]).
    spans: Vec<source::Span>,
    /// The id the open batch must have (a source's re-sent batch).
    id: Option<String>,
    ledger: Option<Arc<dyn source::Ledger>>,
}

impl BatchBuilder {
    fn new(d: &DeliveryConfig, buffers: Arc<Buffers>) -> Self {
        BatchBuilder {
            max_records: d.batch_size,
            max_bytes: d.batch_bytes,
            interval: d.flush_interval,
            records: Vec::new(),
            ndjson: Vec::new(),
            pre: Vec::new(),
            count: 0,
            bytes: 0,
            opened: Instant::now(),
            buffers,
            spans: Vec::new(),
            id: None,
            ledger: None,
        }
    }

    fn is_empty(&self) -> bool {
        self.count == 0 && self.spans.is_empty()
    }

    fn due(&self) -> bool {
        !self.is_empty() && self.opened.elapsed() >= self.interval
    }

    /// Adds a parsed chunk; returns the batches it completed.
    fn push(&mut self, p: Parsed) -> Vec<Batch> {
        if p.origin.is_some() {
            return self.push_whole(p);
        }
        let mut done = Vec::new();
        if let Some(pre) = p.pre {
            // A pre-encoded chunk is not cut: the batch takes it whole and
            // closes once full, so it holds up to a chunk more than the
            // batch size.
            if self.count == 0 {
                self.opened = Instant::now();
            }
            self.count += p.records.len();
            self.bytes += p.records.iter().map(Record::approx_size).sum::<usize>();
            self.records.extend(p.records);
            self.pre.push(pre);
            if self.count >= self.max_records || self.bytes >= self.max_bytes {
                done.push(self.take());
            }
            return done;
        }
        let encoded = !p.ends.is_empty();
        let n = if encoded {
            p.ends.len()
        } else {
            p.records.len()
        };
        let mut records = p.records.into_iter();
        let mut start = 0;
        for i in 0..n {
            if self.count == 0 {
                self.opened = Instant::now();
            }
            let r = records.next();
            let size = match &r {
                _ if encoded => p.ends[i] - start,
                Some(r) => r.approx_size(),
                None => 0,
            };
            if self.count > 0 && self.bytes + size > self.max_bytes {
                done.push(self.take());
                self.opened = Instant::now();
            }
            if encoded {
                if self.ndjson.capacity() == 0 {
                    // One buffer per batch, not a doubling series.
                    self.ndjson = self
                        .buffers
                        .take(self.max_bytes.min(size * self.max_records) + size);
                }
                self.ndjson.extend_from_slice(&p.ndjson[start..p.ends[i]]);
                start = p.ends[i];
            }
            self.bytes += size;
            self.count += 1;
            if let Some(r) = r {
                self.records.push(r);
            }
            if self.count >= self.max_records {
                done.push(self.take());
            }
        }
        self.buffers.give(p.ndjson);
        done
    }

    /// A source's chunk, never cut (its spans must be whole in one batch):
    /// the open batch closes first when the chunk would overflow it, and a
    /// re-sent batch's chunk is a batch of its own.
    fn push_whole(&mut self, p: Parsed) -> Vec<Batch> {
        let mut done = Vec::new();
        let n = if p.ends.is_empty() {
            p.records.len()
        } else {
            p.ends.len()
        };
        let size = if p.ndjson.is_empty() {
            p.records.iter().map(Record::approx_size).sum()
        } else {
            p.ndjson.len()
        };
        let own = p.origin.as_ref().and_then(|o| o.batch.clone());
        let over = self.count + n > self.max_records || self.bytes + size > self.max_bytes;
        if !self.is_empty() && (own.is_some() || over) {
            done.push(self.take());
        }
        if self.is_empty() {
            self.opened = Instant::now();
        }
        self.bytes += size;
        self.push_all(p);
        self.id = own;
        if self.id.is_some() || self.count >= self.max_records || self.bytes >= self.max_bytes {
            done.push(self.take());
        }
        done
    }

    fn push_all(&mut self, p: Parsed) {
        self.count += if p.ends.is_empty() {
            p.records.len()
        } else {
            p.ends.len()
        };
        self.records.extend(p.records);
        self.ndjson.extend_from_slice(&p.ndjson);
        self.pre.extend(p.pre);
        if let Some(o) = p.origin {
            self.spans.extend(o.spans);
        }
    }

    fn take(&mut self) -> Batch {
        self.bytes = 0;
        self.count = 0;
        let mut b = Batch::new(std::mem::take(&mut self.records));
        b.ndjson = std::mem::take(&mut self.ndjson);
        b.pre = std::mem::take(&mut self.pre);
        if b.ndjson.capacity() > 2 * b.ndjson.len() + 4096 {
            // A batch cut early (flush interval) gives back what was reserved
            // for a full one: the buffer bounds records, not reservations.
            b.ndjson.shrink_to_fit();
        }
        if let Some(id) = self.id.take() {
            b.id = id;
        }
        if let Some(ledger) = &self.ledger
            && !self.spans.is_empty()
        {
            ledger.cut(&mut b, std::mem::take(&mut self.spans));
        }
        b
    }

    /// Everything left, in batches of the usual size.
    fn take_all(&mut self) -> Vec<Batch> {
        if self.is_empty() {
            return vec![];
        }
        if !self.spans.is_empty() {
            // One batch: its spans are recorded whole.
            return vec![self.take()];
        }
        deliver::split_every(self.take(), self.max_records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Spans(Mutex<Vec<(String, Vec<source::Span>)>>);

    impl source::Ledger for Spans {
        fn cut(&self, batch: &mut Batch, spans: Vec<source::Span>) {
            self.0.lock().unwrap().push((batch.id.clone(), spans));
        }
    }

    fn parsed(n: usize, span: (u64, u64), batch: Option<&str>) -> Parsed {
        Parsed {
            seq: 0,
            records: (0..n)
                .map(|i| Record {
                    message: format!("m{i}"),
                    ..Record::default()
                })
                .collect(),
            ndjson: Vec::new(),
            ends: Vec::new(),
            pre: None,
            origin: Some(Box::new(Origin {
                files: Vec::new(),
                spans: vec![source::Span {
                    file: 1,
                    start: span.0,
                    end: span.1,
                }],
                batch: batch.map(str::to_string),
            })),
        }
    }

    #[test]
    fn a_source_chunk_is_never_cut_and_its_spans_reach_the_ledger_with_the_batch() {
        let d = DeliveryConfig {
            batch_size: 10,
            ..DeliveryConfig::default()
        };
        let mut b = BatchBuilder::new(&d, Arc::new(Buffers::default()));
        let ledger = Arc::new(Spans(Mutex::new(Vec::new())));
        b.ledger = Some(ledger.clone());
        assert!(b.push(parsed(6, (0, 60), None)).is_empty());
        // 6 + 6 > 10: the open batch closes before the chunk, not inside it.
        let done = b.push(parsed(6, (60, 120), None));
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].len(), 6);
        // A re-sent batch is a batch of its own, under its id.
        let done = b.push(parsed(3, (120, 150), Some("again")));
        assert_eq!(done.iter().map(Batch::len).collect::<Vec<_>>(), vec![6, 3]);
        assert_eq!(done[1].id, "again");
        let cut = ledger.0.lock().unwrap();
        let spans: Vec<(u64, u64)> = cut
            .iter()
            .map(|(_, s)| (s[0].start, s.last().unwrap().end))
            .collect();
        assert_eq!(spans, vec![(0, 60), (60, 120), (120, 150)]);
        assert_eq!(cut[2].0, "again");
    }

    #[test]
    fn buffers_come_back_empty_with_room_and_stay_bounded() {
        let b = Buffers::default();
        let mut v = b.take(100 * 1024);
        v.extend_from_slice(b"abc");
        let cap = v.capacity();
        b.give(v);
        let w = b.take(10);
        assert!(w.is_empty());
        assert_eq!(w.capacity(), cap, "the same buffer is reused");
        for _ in 0..Buffers::KEEP + 5 {
            b.give(Vec::with_capacity(128 * 1024));
        }
        assert_eq!(b.free.lock().unwrap().len(), Buffers::KEEP);
        // Small buffers are not worth keeping.
        b.give(Vec::with_capacity(10));
        assert_eq!(b.free.lock().unwrap().len(), Buffers::KEEP);
    }
}

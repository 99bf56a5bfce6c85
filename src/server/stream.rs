//! Live tail over SSE: `GET /api/v1/logs/stream` (SPEC §4).
//!
//! One [`Hub`] per server runs the only `Backend::tail` of unfiltered new
//! records (the store's tail polls its file, so records written by other
//! processes arrive too) and fans them out through a tokio broadcast channel
//! in pages (what the tail had ready at once); each stream filters with
//! `Query::matches`. 500 streams cost one poller, not 500. An ingest that
//! this server committed wakes the hub, which then reads the embedded store
//! at once instead of at its next poll, so the frame follows the ack by
//! milliseconds. A record's frame is encoded once and shared by every stream
//! that sends it, and a stream writes every frame it has ready in one chunk.
//!
//! Resume without gap or duplicate: every event carries `id:` (the record
//! id). The hub keeps the last [`RING`] records and knows its `floor`: every
//! record with an id above it is in the ring or still to come. A client
//! resuming after id X ≥ floor is replayed from the ring and joins the
//! broadcast under one lock, so nothing slips between the two. A client
//! further behind (or asking for a `since` backfill) first reads its own
//! `Backend::tail` from X, and joins the hub as soon as that catch-up reaches
//! the floor — so the dedicated poller lives only while it is behind.
//!
//! With no stream open and its position known, the hub reads no records:
//! it only follows the store's newest id (on each wake, at most every
//! [`WAKE_GAP`], and every [`IDLE_POLL`]), moving its floor there with an
//! empty ring. The first stream to open (counted before it joins or
//! subscribes, so under the hub's lock either the skip happened first and
//! the stream starts from it, or the hub sees the stream and skips nothing)
//! starts the hub reading again from that floor. A server that only ingests
//! thus never reads back what it writes.
//!
//! Memory is bounded by bytes whatever the clients and the records do: the
//! ring holds at most [`RING`] records and [`RING_BYTES`]; the broadcast
//! channel holds [`CHANNEL`] shared pages of at most [`PAGE`] records and
//! [`PAGE_BYTES`]; a record larger than [`BIG`] is held by id (with its small
//! fields, so filters on service, level, host or trace skip it for free) and
//! read from the store by each stream that may want it, [`BIG_FETCHES`] at a
//! time — delivered in order like any other, never dropped. A client that falls further behind gets
//! `Lagged`, is disconnected and resumes with `Last-Event-ID` (from the ring,
//! or by catching up from the store). A stream's body is pulled by hyper only
//! as fast as the socket drains, so nothing queues per client beyond that.
//!
//! Auth: a full key in `X-API-Key` / `Authorization: Bearer`, or in the
//! `token` query parameter. The parameter is accepted on this route only,
//! because the browser `EventSource` API cannot set headers and the LogTide
//! SDK's `stream()` sends `?token=`; the server never logs request URLs, so
//! the key does not end up in its logs. A write key is refused (403).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use tokio::sync::Notify;
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};

use super::auth::Access;
use super::error::ApiError;
use super::read::pairs;
use super::{AppState, query_from_params};
use crate::backend::{Backend, RecordStream, TailStart};
use crate::query::Query;
use crate::record::Record;

/// Records the hub remembers for resuming clients.
pub const RING: usize = 16384;
/// Bytes of records the ring holds, at most (whichever cap comes first).
pub const RING_BYTES: usize = 32 << 20;
/// Most records in one page of the broadcast: what the hub's tail had ready
/// at once.
pub const PAGE: usize = 256;
/// Bytes of records in one page, at most (a page holds at least one entry).
pub const PAGE_BYTES: usize = 256 << 10;
/// A record larger than this travels through the ring and the broadcast by
/// id alone: each stream that reaches it reads it from the store (see
/// [`Client::fetch`]), so a burst of 1 MiB records costs the hub 60 bytes
/// apiece rather than a megabyte for every slot it sits in.
pub const BIG: usize = 64 << 10;
/// Streams reading a large record from the store at once; the others wait
/// their turn, so 1,000 streams cost at most this many records in memory.
pub const BIG_FETCHES: usize = 4;
/// Pages a live client may fall behind before it is disconnected (so at
/// most `CHANNEL * PAGE` records are held for laggards).
pub const CHANNEL: usize = 128;
/// When a wake comes, how long the current tail must have been quiet (it
/// has handed over what it read and is polling or sleeping) before it is
/// replaced by a fresh one that reads at once.
pub const WAKE_QUIET: Duration = Duration::from_millis(5);
/// How long a fresh tail gets to hand over its first page before a wake may
/// replace it: replacing it sooner would throw its read away, and a storm of
/// small ingests would then keep the hub from ever reading.
pub const WAKE_FRESH: Duration = Duration::from_millis(25);
/// Least time between two wake-prompted re-reads. Every page the hub
/// broadcasts wakes every stream for a write (and its client for a read), so
/// under a steady stream of small ingests this gap, not the ingest rate,
/// sets how often 500 streams wake: at most 25 times a second here, for at
/// most 40 ms added to the ack → frame latency.
pub const WAKE_GAP: Duration = Duration::from_millis(40);
/// With no stream open, how often the hub follows the newest id when no
/// ingest wakes it (records written by other processes).
pub const IDLE_POLL: Duration = Duration::from_millis(200);
/// Bytes of frames a stream writes at once, at most.
const CHUNK: usize = 64 << 10;

/// A record as the hub shares it: its SSE frame is encoded once, by the
/// first stream that sends it, however many streams send it after.
pub struct Shared {
    rec: Record,
    frame: OnceLock<Bytes>,
    /// The record is larger than [`BIG`] and held by id: a stream that may
    /// want it reads it from the store when it gets there.
    by_id: bool,
    /// For a record held by id: whether `rec` kept its small fields (all
    /// but message and metadata), so a stream whose filters on them fail
    /// skips it without reading the store.
    coarse: bool,
}

impl Shared {
    fn new(rec: Record) -> Shared {
        Shared {
            rec,
            frame: OnceLock::new(),
            by_id: false,
            coarse: false,
        }
    }

    /// The hub's form of a record: whole, or its id alone when it is large.
    fn for_hub(rec: Record) -> Shared {
        if rec.mem_bytes() <= BIG {
            return Shared::new(rec);
        }
        let small = Record {
            message: String::new(),
            metadata: Default::default(),
            ..rec
        };
        let coarse = small.mem_bytes() <= BIG;
        let rec = if coarse {
            small
        } else {
            Record {
                id: small.id,
                ..Record::default()
            }
        };
        Shared {
            rec,
            frame: OnceLock::new(),
            by_id: true,
            coarse,
        }
    }

    /// Bytes this entry keeps alive (its record and, once made, its frame).
    fn weight(&self) -> usize {
        self.rec.mem_bytes() * 2
    }

    fn id(&self) -> i64 {
        self.rec.id.unwrap_or(0)
    }

    fn frame(&self) -> &Bytes {
        self.frame.get_or_init(|| log_frame(&self.rec))
    }
}

/// `id: N` and `data: {"type":"log","data":{…}}` (LogTide's frame).
fn log_frame(r: &Record) -> Bytes {
    let mut out = Vec::with_capacity(r.approx_size() + 48);
    if let Some(id) = r.id {
        out.extend_from_slice(format!("id: {id}\n").as_bytes());
    }
    out.extend_from_slice(br#"data: {"type":"log","data":"#);
    r.write_json(&mut out);
    out.extend_from_slice(b"}\n\n");
    Bytes::from(out)
}

/// What the hub broadcasts: the records its tail had ready at once.
type Page = Arc<[Arc<Shared>]>;

/// A live client's end of the broadcast.
type Feed = broadcast::Receiver<Page>;

/// The one tail poller and its fan-out.
pub struct Hub {
    inner: Mutex<Inner>,
    /// `Inner::floor`, readable without the lock (`i64::MAX`: unknown yet).
    floor: AtomicI64,
    /// The newest id the hub has seen or started after (`i64::MIN`: unknown).
    last: AtomicI64,
    tx: broadcast::Sender<Page>,
    /// Rung by ingest once a batch is committed.
    wake: Notify,
    /// Streams open (live or catching up); none: the hub reads nothing.
    clients: AtomicUsize,
    /// Rung when a stream opens.
    joined: Notify,
    /// Turns for reading a large record from the store (see [`BIG`]).
    fetches: Arc<tokio::sync::Semaphore>,
}

/// A stream's place in [`Hub::clients`], given back when it is dropped.
pub struct Interest(Arc<Hub>);

impl Drop for Interest {
    fn drop(&mut self) {
        self.0.clients.fetch_sub(1, Ordering::SeqCst);
    }
}

struct Inner {
    ring: VecDeque<Arc<Shared>>,
    /// The summed [`Shared::weight`] of the ring.
    ring_bytes: usize,
    floor: Option<i64>,
}

impl Hub {
    /// Starts the poller on the current runtime.
    pub fn start(backend: Arc<dyn Backend>) -> Arc<Hub> {
        let (tx, _) = broadcast::channel(CHANNEL);
        let hub = Arc::new(Hub {
            inner: Mutex::new(Inner {
                ring: VecDeque::new(),
                ring_bytes: 0,
                floor: None,
            }),
            floor: AtomicI64::new(i64::MAX),
            last: AtomicI64::new(i64::MIN),
            tx,
            wake: Notify::new(),
            clients: AtomicUsize::new(0),
            joined: Notify::new(),
            fetches: Arc::new(tokio::sync::Semaphore::new(BIG_FETCHES)),
        });
        tokio::spawn(hub.clone().run(backend));
        hub
    }

    /// Tells the hub that this server just committed records: it reads the
    /// store now instead of at its next poll, which is what keeps the
    /// ingest-ack → frame latency at milliseconds rather than a poll
    /// interval. Records from other processes still arrive by polling, and
    /// so do all records of a remote store (see `run`).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Counts a stream in before it joins or subscribes (see the module
    /// docs): from here on the hub reads records.
    pub fn attach(self: &Arc<Self>) -> Interest {
        self.clients.fetch_add(1, Ordering::SeqCst);
        self.joined.notify_one();
        Interest(self.clone())
    }

    /// With no stream open, moves the hub to `id` without reading the
    /// records up to it: the ring empties and the floor becomes `id`. Under
    /// the lock, so a stream that subscribes or joins sees either the old
    /// state or the new one. False (nothing moved) once a stream is open.
    fn skip_to(&self, id: i64) -> bool {
        let mut g = self.lock();
        if self.clients.load(Ordering::SeqCst) != 0 {
            return false;
        }
        g.ring.clear();
        g.ring_bytes = 0;
        g.floor = Some(id);
        self.floor.store(id, Ordering::Release);
        self.last.fetch_max(id, Ordering::AcqRel);
        true
    }

    async fn run(self: Arc<Self>, backend: Arc<dyn Backend>) {
        // Start from a known id where the backend has one, so new streams can
        // be told their position (see `subscribe`).
        let mut after: Option<i64> = match backend.last_id().await {
            Ok(id) => id,
            Err(e) => {
                tracing::warn!("cannot read the newest id of {}: {e:#}", backend.describe());
                None
            }
        };
        if let Some(id) = after {
            let _g = self.lock();
            self.last.store(id, Ordering::Release);
        }
        // Re-reading from `after` is only safe where ids become visible in
        // id order (the embedded store). A remote store's tail (ClickHouse)
        // looks back over a window for batches that land late with lower
        // ids; restarting it from `after` would skip those, so it is left
        // to its own polling.
        let restartable = !backend.is_remote();
        let mut delay = Duration::from_millis(250);
        'tail: loop {
            // Idle only from a known position: the first stream then starts
            // the tail from there, not from whatever is newest by then.
            if restartable && after.is_some() && self.clients.load(Ordering::SeqCst) == 0 {
                match backend.last_id().await {
                    Ok(Some(id)) if after.is_some_and(|a| id > a) => {
                        if self.skip_to(id) {
                            after = Some(id);
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!("cannot read the newest id of {}: {e:#}", backend.describe())
                    }
                }
                tokio::select! {
                    _ = self.joined.notified() => {}
                    _ = self.wake.notified() => tokio::time::sleep(WAKE_GAP).await,
                    _ = tokio::time::sleep(IDLE_POLL) => {}
                }
                continue 'tail;
            }
            let start = TailStart {
                after_id: after,
                since: None,
            };
            match backend.tail(&Query::default(), start).await {
                Ok(s) => {
                    let mut pages = s.ready_chunks(PAGE);
                    let started = tokio::time::Instant::now();
                    let mut last_page: Option<tokio::time::Instant> = None;
                    let mut woken = false;
                    loop {
                        // A wake replaces the tail by one that reads the
                        // store now (the current one may be sleeping out its
                        // poll interval); ids are committed in order, so
                        // reading again from `after` skips nothing.
                        let replace_at = match last_page {
                            Some(t) => t + WAKE_QUIET,
                            None => started + WAKE_FRESH,
                        }
                        .max(started + WAKE_GAP);
                        tokio::select! {
                            biased;
                            items = pages.next() => {
                                let Some(items) = items else { break };
                                let mut page = Vec::with_capacity(items.len());
                                let mut failed = None;
                                for item in items {
                                    match item {
                                        Ok(r) => page.push(r),
                                        Err(e) => { failed = Some(e); break; }
                                    }
                                }
                                if let Some(id) = page.last().and_then(|r| r.id) {
                                    after = Some(id);
                                }
                                self.push(page);
                                last_page = Some(tokio::time::Instant::now());
                                delay = Duration::from_millis(250);
                                if let Some(e) = failed {
                                    tracing::warn!("live tail of the store failed: {e:#}");
                                    break;
                                }
                            }
                            _ = self.wake.notified(), if restartable && !woken => woken = true,
                            _ = tokio::time::sleep_until(replace_at), if woken => continue 'tail,
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!("cannot tail {}: {e:#}", backend.describe());
                    delay = Duration::from_secs(10);
                }
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(10));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Broadcasts what the tail read, in pages of at most [`PAGE`] entries
    /// and [`PAGE_BYTES`], so the channel holds at most
    /// `CHANNEL * PAGE_BYTES` however large the records are.
    fn push(&self, records: Vec<Record>) {
        let mut page: Vec<Arc<Shared>> = Vec::new();
        let mut bytes = 0;
        for r in records {
            let r = Arc::new(Shared::for_hub(r));
            if !page.is_empty() && bytes + r.weight() > PAGE_BYTES {
                self.send(std::mem::take(&mut page));
                bytes = 0;
            }
            bytes += r.weight();
            page.push(r);
        }
        self.send(page);
    }

    fn send(&self, page: Vec<Arc<Shared>>) {
        if page.is_empty() {
            return;
        }
        let page: Page = page.into();
        let mut g = self.lock();
        if g.floor.is_none() {
            g.floor = Some(page[0].id() - 1);
        }
        for r in page.iter() {
            self.last.fetch_max(r.id(), Ordering::AcqRel);
            g.ring_bytes += r.weight();
            g.ring.push_back(r.clone());
            while g.ring.len() > RING || g.ring_bytes > RING_BYTES {
                let Some(old) = g.ring.pop_front() else { break };
                g.ring_bytes -= old.weight();
                g.floor = old.rec.id;
            }
        }
        self.floor
            .store(g.floor.unwrap_or(i64::MAX), Ordering::Release);
        // Sent under the lock so `join` sees ring and channel in step.
        let _ = self.tx.send(page);
    }

    /// Joins the live feed after record `after`: the ring's newer records
    /// plus a receiver for what follows, or `None` when the ring does not
    /// reach back that far.
    fn join(&self, after: i64) -> Option<(Page, Feed)> {
        if after < self.floor.load(Ordering::Acquire) {
            return None;
        }
        let g = self.lock();
        if g.floor.is_none_or(|f| after < f) {
            return None;
        }
        let replay = g.ring.iter().filter(|r| r.id() > after).cloned().collect();
        Some((replay, self.tx.subscribe()))
    }

    /// Joins the live feed from now on, with the id it starts after (when
    /// known): every later record comes through the feed.
    fn subscribe(&self) -> (Feed, Option<i64>) {
        let _g = self.lock();
        let last = self.last.load(Ordering::Acquire);
        (self.tx.subscribe(), (last != i64::MIN).then_some(last))
    }
}

enum Phase {
    /// Reading the store from a point the hub no longer remembers.
    CatchUp(RecordStream),
    Live(Feed),
}

struct Client {
    st: AppState,
    q: Query,
    /// `q` without its message and metadata terms: what a record held by
    /// id can be checked against without reading it.
    coarse: Query,
    phase: Phase,
    /// Pages received and not yet sent, and how far into the first one.
    pending: VecDeque<Page>,
    pos: usize,
    last_id: i64,
    /// For a new stream: a first `connected` event whose `id:` is the
    /// stream's position, so that a reconnect before the first record
    /// resumes from there (Last-Event-ID) instead of from "now".
    hello: Option<i64>,
    /// When a heartbeat comment is due if nothing else was sent.
    beat_at: tokio::time::Instant,
    _permit: tokio::sync::OwnedSemaphorePermit,
    _interest: Interest,
    /// Held while this stream reads a large record from the store.
    fetching: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl Drop for Client {
    fn drop(&mut self) {
        self.st.metrics.sse_clients.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What a client does next when it has nothing to send.
enum Wait {
    Record(Arc<Shared>),
    Page(Page),
    Beat,
    End,
}

impl Client {
    /// The next chunk of the body: every matching frame that is ready (up to
    /// [`CHUNK`] bytes) in one write, so a burst of records costs a stream
    /// one write rather than one per record.
    async fn next(mut self) -> Option<(Result<Bytes, Infallible>, Client)> {
        if let Some(id) = self.hello.take() {
            let frame = format!("id: {id}\ndata: {{\"type\":\"connected\"}}\n\n");
            return Some((Ok(Bytes::from(frame)), self.sent()));
        }
        loop {
            if let Phase::Live(rx) = &mut self.phase {
                // Take the pages already waiting, so they go out together;
                // only a few, so a client whose socket is full holds at most
                // that many pages beyond the channel's.
                while self.pending.len() < 2 {
                    match rx.try_recv() {
                        Ok(p) => self.pending.push_back(p),
                        Err(TryRecvError::Lagged(_)) => return self.lagged(),
                        Err(TryRecvError::Empty | TryRecvError::Closed) => break,
                    }
                }
            }
            let out = self.take_ready();
            if !out.is_empty() {
                return Some((Ok(out), self.sent()));
            }
            if let Some(id) = self.next_by_id() {
                if let Err(e) = self.fetch(id).await {
                    tracing::warn!("reading a large record for a live-tail client failed: {e:#}");
                    return None;
                }
                continue;
            }
            let beat_at = self.beat_at;
            let beat = tokio::time::sleep_until(beat_at);
            let wait = match &mut self.phase {
                Phase::CatchUp(s) => tokio::select! {
                    r = s.next() => match r {
                        Some(Ok(r)) => Wait::Record(Arc::new(Shared::new(r))),
                        Some(Err(e)) => {
                            tracing::warn!("catching up a live-tail client failed: {e:#}");
                            Wait::End
                        }
                        None => Wait::End,
                    },
                    _ = beat => Wait::Beat,
                },
                Phase::Live(rx) => tokio::select! {
                    r = rx.recv() => match r {
                        Ok(p) => Wait::Page(p),
                        Err(RecvError::Lagged(_)) => return self.lagged(),
                        Err(RecvError::Closed) => Wait::End,
                    },
                    _ = beat => Wait::Beat,
                },
            };
            match wait {
                Wait::Record(r) => {
                    self.fetching = None;
                    let id = r.id();
                    self.pending.push_back(Arc::from([r]));
                    // Caught up with what the hub remembers: from here on
                    // the hub's ring and feed, not our own store reads.
                    if let Some((replay, rx)) = self.st.hub.join(id) {
                        self.pending.push_back(replay);
                        self.phase = Phase::Live(rx);
                    }
                }
                Wait::Page(p) => self.pending.push_back(p),
                Wait::Beat => {
                    return Some((Ok(Bytes::from_static(b":heartbeat\n\n")), self.sent()));
                }
                Wait::End => return None,
            }
        }
    }

    /// The frames of pending records this client wants, skipping what it
    /// already sent (ids only grow on a stream).
    fn take_ready(&mut self) -> Bytes {
        let mut out: Vec<u8> = Vec::new();
        while let Some(page) = self.pending.front() {
            while self.pos < page.len() && out.len() < CHUNK {
                let r = &page[self.pos];
                let id = r.id();
                if self.must_fetch(r) {
                    // Read from the store by `next`, before anything after it.
                    return Bytes::from(out);
                }
                self.pos += 1;
                if id <= self.last_id {
                    continue;
                }
                self.last_id = id;
                if self.q.matches(&r.rec) {
                    out.extend_from_slice(r.frame());
                }
            }
            if self.pos < page.len() {
                break;
            }
            self.pending.pop_front();
            self.pos = 0;
        }
        Bytes::from(out)
    }

    /// The id of the next entry to send when it is a large record the hub
    /// holds by id alone.
    fn next_by_id(&self) -> Option<i64> {
        let r = self.pending.front()?.get(self.pos)?;
        self.must_fetch(r).then(|| r.id())
    }

    /// Whether `r` is held by id, not sent yet, and possibly wanted.
    fn must_fetch(&self, r: &Shared) -> bool {
        r.by_id && r.id() > self.last_id && (!r.coarse || self.coarse.matches(&r.rec))
    }

    /// Delivers the large record `id` by id: the stream reads the store from
    /// just before it (as a client that fell behind the ring does), and
    /// rejoins the hub's feed right after it. Everything before it in the
    /// feed was handled, so nothing is skipped or sent twice.
    async fn fetch(&mut self, id: i64) -> anyhow::Result<()> {
        let turn = self.st.hub.fetches.clone().acquire_owned().await?;
        let start = TailStart {
            after_id: Some(id - 1),
            since: None,
        };
        let s = self.st.backend.tail(&Query::default(), start).await?;
        self.pending.clear();
        self.pos = 0;
        self.last_id = self.last_id.max(id - 1);
        self.phase = Phase::CatchUp(s);
        self.fetching = Some(turn);
        Ok(())
    }

    fn sent(mut self) -> Client {
        self.beat_at = tokio::time::Instant::now() + self.st.heartbeat;
        self
    }

    /// Too far behind: drop the connection; the client resumes with
    /// Last-Event-ID and loses nothing.
    fn lagged(self) -> Option<(Result<Bytes, Infallible>, Client)> {
        self.st
            .metrics
            .sse_disconnects_lagged
            .fetch_add(1, Ordering::Relaxed);
        None
    }
}

/// `GET /api/v1/logs/stream`.
pub async fn stream(
    State(st): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let params = pairs(raw);
    let token = params
        .iter()
        .rev()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.as_str());
    let caller = st.keys.authorize(&headers, token, Access::Full)?;
    st.limiter.check(caller)?;
    let q = query_from_params(&params)?;

    let last_event_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| super::str_param(&params, "lastEventId").map(String::from))
        .filter(|s| !s.trim().is_empty());
    let after = match last_event_id {
        None => None,
        Some(s) => Some(s.trim().parse::<i64>().map_err(|_| {
            ApiError::bad_request(format!("Last-Event-ID must be a record id, not '{s}'"))
        })?),
    };

    let permit = st.streams.clone().try_acquire_owned().map_err(|_| {
        ApiError::too_many("too many live-tail streams are open; try again later", 5)
    })?;

    // Counted before joining or subscribing, so an idle hub cannot skip
    // past this stream's position.
    let interest = st.hub.attach();
    let mut pending = VecDeque::new();
    let mut hello = None;
    let joined = after.and_then(|a| st.hub.join(a));
    let phase = match (joined, after, q.since) {
        (Some((replay, rx)), _, _) => {
            pending.push_back(replay);
            Phase::Live(rx)
        }
        (None, None, None) => {
            let (feed, position) = st.hub.subscribe();
            hello = position;
            Phase::Live(feed)
        }
        (None, after, since) => {
            // Unfiltered but for `since`, so the catch-up advances through
            // every id and meets the hub's floor; filtering is ours. A
            // `since` backfill also reads in id order (from id 0, filtered by
            // time) rather than the store's time-ordered backfill: event ids
            // then only grow, which resuming and joining the hub rely on.
            let scan = Query {
                since,
                ..Query::default()
            };
            let start = TailStart {
                after_id: Some(after.unwrap_or(0)),
                since: None,
            };
            let s = st
                .backend
                .tail(&scan, start)
                .await
                .map_err(|e| ApiError::internal(&e))?;
            Phase::CatchUp(s)
        }
    };
    st.metrics.sse_clients.fetch_add(1, Ordering::Relaxed);
    let coarse = Query {
        text: Vec::new(),
        metadata: Vec::new(),
        ..q.clone()
    };
    let client = Client {
        st: st.clone(),
        q,
        coarse,
        phase,
        pending,
        pos: 0,
        last_id: after.or(hello).unwrap_or(i64::MIN),
        hello,
        beat_at: tokio::time::Instant::now() + st.heartbeat,
        _permit: permit,
        _interest: interest,
        fetching: None,
    };
    let mut closing = st.closing.subscribe();
    let events = futures::stream::unfold(client, Client::next).take_until(async move {
        let _ = closing.wait_for(|c| *c).await;
    });
    let mut resp = Body::from_stream(events).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(resp)
}

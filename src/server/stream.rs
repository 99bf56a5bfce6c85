//! Live tail over SSE: `GET /api/v1/logs/stream` (SPEC §4).
//!
//! One [`Hub`] per server runs the only `Backend::tail` of unfiltered new
//! records (the store's tail polls its file, so records written by other
//! processes arrive too) and fans them out through a tokio broadcast channel;
//! each stream filters with `Query::matches`. 500 streams cost one poller,
//! not 500.
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
//! Memory is bounded whatever the clients do: the broadcast channel holds
//! [`CHANNEL`] shared records; a client that falls further behind gets
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
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use tokio::sync::broadcast::{self, error::RecvError};

use super::auth::Access;
use super::error::ApiError;
use super::read::pairs;
use super::{AppState, query_from_params};
use crate::backend::{Backend, RecordStream, TailStart};
use crate::query::Query;
use crate::record::Record;

/// Records the hub remembers for resuming clients.
pub const RING: usize = 8192;
/// Records a live client may fall behind before it is disconnected.
pub const CHANNEL: usize = 2048;

/// A live client's end of the broadcast.
type Feed = broadcast::Receiver<Arc<Record>>;

/// The one tail poller and its fan-out.
pub struct Hub {
    inner: Mutex<Inner>,
    /// `Inner::floor`, readable without the lock (`i64::MAX`: unknown yet).
    floor: AtomicI64,
    /// The newest id the hub has seen or started after (`i64::MIN`: unknown).
    last: AtomicI64,
    tx: broadcast::Sender<Arc<Record>>,
}

struct Inner {
    ring: VecDeque<Arc<Record>>,
    floor: Option<i64>,
}

impl Hub {
    /// Starts the poller on the current runtime.
    pub fn start(backend: Arc<dyn Backend>) -> Arc<Hub> {
        let (tx, _) = broadcast::channel(CHANNEL);
        let hub = Arc::new(Hub {
            inner: Mutex::new(Inner {
                ring: VecDeque::with_capacity(RING),
                floor: None,
            }),
            floor: AtomicI64::new(i64::MAX),
            last: AtomicI64::new(i64::MIN),
            tx,
        });
        tokio::spawn(hub.clone().run(backend));
        hub
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
        let mut delay = Duration::from_millis(250);
        loop {
            let start = TailStart {
                after_id: after,
                since: None,
            };
            match backend.tail(&Query::default(), start).await {
                Ok(mut s) => {
                    while let Some(item) = s.next().await {
                        match item {
                            Ok(r) => {
                                if let Some(id) = r.id {
                                    after = Some(id);
                                }
                                self.push(r);
                                delay = Duration::from_millis(250);
                            }
                            Err(e) => {
                                tracing::warn!("live tail of the store failed: {e:#}");
                                break;
                            }
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

    fn push(&self, r: Record) {
        let r = Arc::new(r);
        let id = r.id.unwrap_or(0);
        let mut g = self.lock();
        if g.floor.is_none() {
            g.floor = Some(id - 1);
        }
        self.last.fetch_max(id, Ordering::AcqRel);
        g.ring.push_back(r.clone());
        if g.ring.len() > RING
            && let Some(old) = g.ring.pop_front()
        {
            g.floor = old.id;
        }
        self.floor
            .store(g.floor.unwrap_or(i64::MAX), Ordering::Release);
        // Sent under the lock so `join` sees ring and channel in step.
        let _ = self.tx.send(r);
    }

    /// Joins the live feed after record `after`: the ring's newer records
    /// plus a receiver for what follows, or `None` when the ring does not
    /// reach back that far.
    fn join(&self, after: i64) -> Option<(Vec<Arc<Record>>, Feed)> {
        if after < self.floor.load(Ordering::Acquire) {
            return None;
        }
        let g = self.lock();
        if g.floor.is_none_or(|f| after < f) {
            return None;
        }
        let replay = g
            .ring
            .iter()
            .filter(|r| r.id.unwrap_or(0) > after)
            .cloned()
            .collect();
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
    phase: Phase,
    pending: VecDeque<Arc<Record>>,
    last_id: i64,
    /// For a new stream: a first `connected` event whose `id:` is the
    /// stream's position, so that a reconnect before the first record
    /// resumes from there (Last-Event-ID) instead of from "now".
    hello: Option<i64>,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl Drop for Client {
    fn drop(&mut self) {
        self.st.metrics.sse_clients.fetch_sub(1, Ordering::Relaxed);
    }
}

fn event(r: &Record) -> Event {
    let data = serde_json::json!({"type": "log", "data": r}).to_string();
    let ev = Event::default().data(data);
    match r.id {
        Some(id) => ev.id(id.to_string()),
        None => ev,
    }
}

impl Client {
    async fn next(mut self) -> Option<(Result<Event, Infallible>, Client)> {
        if let Some(id) = self.hello.take() {
            let ev = Event::default()
                .id(id.to_string())
                .data(r#"{"type":"connected"}"#);
            return Some((Ok(ev), self));
        }
        loop {
            while let Some(r) = self.pending.pop_front() {
                let id = r.id.unwrap_or(0);
                if id <= self.last_id {
                    continue;
                }
                self.last_id = id;
                if self.q.matches(&r) {
                    return Some((Ok(event(&r)), self));
                }
            }
            match &mut self.phase {
                Phase::CatchUp(s) => match s.next().await {
                    Some(Ok(r)) => {
                        let id = r.id.unwrap_or(0);
                        let emit = id > self.last_id && self.q.matches(&r);
                        self.last_id = self.last_id.max(id);
                        if let Some((replay, rx)) = self.st.hub.join(self.last_id) {
                            self.pending.extend(replay);
                            self.phase = Phase::Live(rx);
                        }
                        if emit {
                            return Some((Ok(event(&r)), self));
                        }
                    }
                    Some(Err(e)) => {
                        tracing::warn!("catching up a live-tail client failed: {e:#}");
                        return None;
                    }
                    None => return None,
                },
                Phase::Live(rx) => match rx.recv().await {
                    Ok(r) => self.pending.push_back(r),
                    Err(RecvError::Lagged(_)) => {
                        // Too far behind: drop the connection; the client
                        // resumes with Last-Event-ID and loses nothing.
                        self.st
                            .metrics
                            .sse_disconnects_lagged
                            .fetch_add(1, Ordering::Relaxed);
                        return None;
                    }
                    Err(RecvError::Closed) => return None,
                },
            }
        }
    }
}

/// `GET /api/v1/logs/stream`.
pub async fn stream(
    State(st): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
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

    let mut pending = VecDeque::new();
    let mut hello = None;
    let joined = after.and_then(|a| st.hub.join(a));
    let phase = match (joined, after, q.since) {
        (Some((replay, rx)), _, _) => {
            pending.extend(replay);
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
    let client = Client {
        st: st.clone(),
        q,
        phase,
        pending,
        last_id: after.or(hello).unwrap_or(i64::MIN),
        hello,
        _permit: permit,
    };
    let mut closing = st.closing.subscribe();
    let events = futures::stream::unfold(client, Client::next).take_until(async move {
        let _ = closing.wait_for(|c| *c).await;
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(st.heartbeat).text("heartbeat")))
}

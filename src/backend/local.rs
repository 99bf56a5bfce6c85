//! The embedded store as a target (`local`, `local:PATH`): the [`Backend`]
//! methods over [`Store`], each run on tokio's blocking pool because SQLite
//! calls block. `tail` polls the store, so records written by other
//! processes show up; see [`Store::tail_page`] for why polling by id is
//! gap-free and duplicate-free.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use async_trait::async_trait;
use futures::StreamExt;

use super::{
    Backend, Batch, DeliveryError, IngestOutcome, PreEncoded, RecordStream, RetentionAbility,
    RetentionPolicy, TailStart,
};
use crate::query::{Query, QueryPage, Stats, StatsQuery};
use crate::record::{Record, now_micros};
use crate::store::{Prepared, Store};

/// How often `tail` looks for new records when it has caught up.
pub const DEFAULT_POLL: Duration = Duration::from_millis(200);

/// Records per message from an export's reading thread to its stream.
const EXPORT_CHUNK: usize = 256;

/// Chunks an export's reading thread may run ahead of its reader: what
/// bounds the memory between them.
const EXPORT_AHEAD: usize = 4;

/// A stream of the records a blocking producer sends in chunks; the producer
/// runs on the blocking pool and sees its sends fail once the stream is
/// dropped.
fn blocking_stream(
    produce: impl FnOnce(tokio::sync::mpsc::Sender<Result<Vec<Record>>>) + Send + 'static,
) -> RecordStream {
    let (tx, rx) = tokio::sync::mpsc::channel(EXPORT_AHEAD);
    tokio::task::spawn_blocking(move || produce(tx));
    super::flatten(tokio_stream::wrappers::ReceiverStream::new(rx).boxed())
}

/// Records per poll or backfill page of `tail`.
const TAIL_PAGE: usize = 500;

pub struct LocalBackend {
    path: PathBuf,
    store: Arc<Store>,
    poll: Duration,
}

impl LocalBackend {
    /// Opens (creating on first use) the store at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        Ok(LocalBackend {
            path: path.to_path_buf(),
            store: Arc::new(Store::open(path)?),
            poll: DEFAULT_POLL,
        })
    }

    /// A backend over an already open store (the server shares one).
    pub fn from_store(store: Arc<Store>) -> Self {
        LocalBackend {
            path: store.path().to_path_buf(),
            store,
            poll: DEFAULT_POLL,
        }
    }

    /// Sets how often `tail` polls once caught up.
    pub fn with_poll_interval(mut self, poll: Duration) -> Self {
        self.poll = poll.max(Duration::from_millis(10));
        self
    }

    /// The store underneath.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Runs a read on the blocking pool.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .context("store read task failed")?
    }
}

#[async_trait]
impl Backend for LocalBackend {
    fn describe(&self) -> String {
        format!("local:{}", self.path.display())
    }

    async fn ingest(&self, batch: &Batch) -> Result<IngestOutcome, DeliveryError> {
        let store = self.store.clone();
        // The send pipeline's workers encoded the batch's runs of records
        // (`pre_encode`); anything else is encoded here, on the caller's
        // thread. The blocking pool only waits for the writer.
        let pieces: Vec<Arc<Prepared>> = batch
            .pre
            .iter()
            .filter_map(|p| p.clone().downcast::<Prepared>().ok())
            .collect();
        let covered: usize = pieces.iter().map(|p| p.records()).sum();
        let pieces = if pieces.len() == batch.pre.len() && covered == batch.records.len() {
            pieces
        } else {
            vec![Arc::new(self.store.prepare(&batch.records))]
        };
        let id = batch.id.clone();
        tokio::task::spawn_blocking(move || store.ingest_prepared(id, pieces))
            .await
            .map_err(|e| DeliveryError::Fatal(format!("store write task failed: {e}")))?
    }

    fn pre_encode(&self, records: &[Record]) -> Option<PreEncoded> {
        Some(Arc::new(self.store.prepare(records)))
    }

    async fn query(&self, q: &Query, cursor: Option<&str>, limit: usize) -> Result<QueryPage> {
        let (q, cursor) = (q.clone(), cursor.map(str::to_string));
        self.read(move |s| s.query(&q, cursor.as_deref(), limit))
            .await
    }

    async fn export(&self, q: &Query, limit: Option<usize>) -> Result<RecordStream> {
        let (store, q) = (self.store.clone(), q.clone());
        Ok(blocking_stream(move |tx| {
            let mut chunk = Vec::with_capacity(EXPORT_CHUNK);
            let mut left = limit.unwrap_or(usize::MAX);
            let mut gone = false;
            let out = store.export(&q, |r| {
                chunk.push(r);
                left -= 1;
                if chunk.len() == EXPORT_CHUNK || left == 0 {
                    gone = tx.blocking_send(Ok(std::mem::take(&mut chunk))).is_err();
                    chunk.reserve(EXPORT_CHUNK);
                }
                if gone || left == 0 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            });
            match out {
                Ok(()) if !chunk.is_empty() => {
                    let _ = tx.blocking_send(Ok(chunk));
                }
                Ok(()) => {}
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                }
            }
        }))
    }

    async fn stats(&self, q: &StatsQuery) -> Result<Stats> {
        let q = q.clone();
        self.read(move |s| s.stats(&q, now_micros())).await
    }

    async fn patterns(&self, q: &Query, limit: usize) -> Result<Vec<crate::query::PatternRow>> {
        let q = q.clone();
        self.read(move |s| s.patterns(&q, limit, crate::record::now_micros()))
            .await
    }

    async fn trace(&self, trace_id: &str) -> Result<Vec<Record>> {
        let id = trace_id.to_string();
        self.read(move |s| s.trace(&id)).await
    }

    async fn last_id(&self) -> Result<Option<i64>> {
        Ok(Some(self.read(|s| s.last_id()).await?))
    }

    fn retention(&self) -> RetentionAbility {
        RetentionAbility {
            by_age: true,
            by_size: true,
        }
    }

    async fn retain(&self, policy: &RetentionPolicy) -> Result<u64> {
        let p = *policy;
        let report = self.read(move |s| s.retain(p.max_age, p.max_bytes)).await?;
        Ok(report.deleted)
    }

    async fn tail(&self, q: &Query, start: TailStart) -> Result<RecordStream> {
        // Where "new" begins is fixed now, before this returns, so a record
        // written right after `tail` is called is seen.
        let top = self.read(|s| s.last_id()).await?;
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<(Record, u32)>>(TAIL_PAGE);
        // What waits in the channel is bounded by bytes too: a record takes
        // its size in permits (at most all of them) until it is read.
        let room = Arc::new(tokio::sync::Semaphore::new(crate::store::TAIL_BYTES));
        let give_back = room.clone();
        let store = self.store.clone();
        let q = q.clone();
        let poll = self.poll;
        tokio::spawn(async move {
            let run = async {
                let mut after = start.after_id.unwrap_or(top);
                if let (None, Some(since)) = (start.after_id, start.since) {
                    let mut bq = q.clone();
                    bq.since = Some(q.since.map_or(since, |s| s.max(since)));
                    let mut from = None;
                    loop {
                        let (s, bq2) = (store.clone(), bq.clone());
                        let page = tokio::task::spawn_blocking(move || {
                            s.backfill_page(&bq2, top, from, TAIL_PAGE)
                        })
                        .await??;
                        let full = page.len() == TAIL_PAGE;
                        from = page.last().map(|r| (r.time, r.id.unwrap_or(0)));
                        for r in page {
                            if !send_sized(&tx, &room, r).await {
                                return Ok(());
                            }
                        }
                        if !full {
                            break;
                        }
                    }
                }
                loop {
                    let (s, q2) = (store.clone(), q.clone());
                    let page =
                        tokio::task::spawn_blocking(move || s.tail_page(&q2, after, TAIL_PAGE))
                            .await??;
                    let caught_up = page.records.is_empty() && page.next_after == after;
                    after = page.next_after;
                    for r in page.records {
                        if !send_sized(&tx, &room, r).await {
                            return Ok(());
                        }
                    }
                    if caught_up {
                        tokio::select! {
                            _ = tokio::time::sleep(poll) => {}
                            _ = tx.closed() => return Ok(()),
                        }
                    }
                }
            };
            let result: Result<()> = run.await;
            if let Err(e) = result {
                let _ = tx.send(Err(e)).await;
            }
        });
        Ok(tokio_stream::wrappers::ReceiverStream::new(rx)
            .map(move |item| {
                item.map(|(r, n)| {
                    give_back.add_permits(n as usize);
                    r
                })
            })
            .boxed())
    }
}

/// Sends `r` once the channel has room for its bytes; false when the
/// reader is gone.
async fn send_sized(
    tx: &tokio::sync::mpsc::Sender<Result<(Record, u32)>>,
    room: &tokio::sync::Semaphore,
    r: Record,
) -> bool {
    let n = r.mem_bytes().min(crate::store::TAIL_BYTES) as u32;
    match room.acquire_many(n).await {
        Ok(p) => p.forget(),
        Err(_) => return false,
    }
    tx.send(Ok((r, n))).await.is_ok()
}

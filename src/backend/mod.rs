//! The `Backend` trait: the one seam between loghub's commands and where logs
//! go and come from (SPEC §1), and the target URL that picks one.
//!
//! Sink-only targets (stdout) implement `ingest` alone; reading methods then
//! answer [`unsupported`]. The shipping pipeline only ever sees
//! `Arc<dyn Backend>`, and `serve` wraps any storage backend in the HTTP API.

pub mod clickhouse;
pub mod http;
mod http_read;
pub mod local;
pub(crate) mod ndjson_stream;
pub mod stdout;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use async_trait::async_trait;
use futures::stream::BoxStream;

use crate::query::{PatternRow, Query, QueryPage, Stats, StatsQuery};
use crate::record::{Micros, Record};

/// A batch of records on its way to a target. The id travels as the
/// `Idempotency-Key` and is reused by retries and DLQ replays; storage
/// backends remember it so that a repeat stores nothing (a UUID for batches
/// loghub makes; any client-given key on the server).
#[derive(Debug, Clone)]
pub struct Batch {
    pub id: String,
    pub records: Vec<Record>,
    /// The records' JSON form, one line each, when the pipeline's workers
    /// already encoded them (empty otherwise). Lets HTTP, stdout and the DLQ
    /// skip a second, single-threaded encoding.
    pub ndjson: Vec<u8>,
    /// What [`Backend::pre_encode`] made of consecutive runs of `records`,
    /// in order; the target checks that they cover every record before
    /// using them (empty: the target does that work in `ingest`).
    pub pre: Vec<PreEncoded>,
    /// Told when the batch is settled (see [`Receipt`]); shared by the parts
    /// a batch is split into.
    pub receipt: Option<Arc<Receipt>>,
}

/// Reports, once every copy and part of a batch is gone, that the batch is
/// settled: acknowledged, refused for good, dropped by policy, or durably
/// spooled. A batch whose records could be kept nowhere (the spool failed,
/// the output closed) is marked [`Receipt::void`] first, and reports nothing.
pub struct Receipt {
    void: std::sync::atomic::AtomicBool,
    settled: std::sync::Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl Receipt {
    pub fn new(settled: impl FnOnce() + Send + 'static) -> Arc<Self> {
        Arc::new(Receipt {
            void: std::sync::atomic::AtomicBool::new(false),
            settled: std::sync::Mutex::new(Some(Box::new(settled))),
        })
    }

    /// The batch's records were not kept: do not report it settled.
    pub fn void(&self) {
        self.void.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Drop for Receipt {
    fn drop(&mut self) {
        let f = self
            .settled
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(f) = f
            && !self.void.load(std::sync::atomic::Ordering::Relaxed)
        {
            f();
        }
    }
}

impl std::fmt::Debug for Receipt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Receipt")
    }
}

/// Work a target did on a run of records ahead of delivery, on the send
/// pipeline's parse workers (see [`Backend::pre_encode`]); opaque to all but
/// that target.
pub type PreEncoded = Arc<dyn std::any::Any + Send + Sync>;

impl Batch {
    pub fn new(records: Vec<Record>) -> Self {
        Batch {
            id: uuid::Uuid::new_v4().to_string(),
            records,
            ndjson: Vec::new(),
            pre: Vec::new(),
            receipt: None,
        }
    }

    /// The batch's records could be kept nowhere (see [`Receipt::void`]).
    pub fn void_receipt(&self) {
        if let Some(r) = &self.receipt {
            r.void();
        }
    }

    /// How many records the batch holds: `records.len()`, or for a batch
    /// that carries only its JSON form (see [`Backend::needs_records`]) the
    /// number of NDJSON lines (JSON escapes newlines, so one line is one record).
    pub fn len(&self) -> usize {
        if self.records.is_empty() {
            memchr::memchr_iter(b'\n', &self.ndjson).count()
        } else {
            self.records.len()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty() && self.ndjson.is_empty()
    }

    /// The records as NDJSON (one JSON object per line, each ending in `\n`).
    pub fn ndjson(&self) -> std::borrow::Cow<'_, [u8]> {
        if !self.ndjson.is_empty() || self.records.is_empty() {
            return std::borrow::Cow::Borrowed(&self.ndjson);
        }
        let mut out = Vec::with_capacity(self.records.len() * 300);
        for r in &self.records {
            r.write_json(&mut out);
            out.push(b'\n');
        }
        std::borrow::Cow::Owned(out)
    }
}

/// What a target said about a batch it accepted (in whole or in part).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IngestOutcome {
    /// Records stored.
    pub accepted: usize,
    /// Records refused for good: (index in the batch, reason).
    pub rejected: Vec<(usize, String)>,
    /// Bytes sent on the wire for this attempt (after compression).
    pub wire_bytes: u64,
}

/// Why a delivery attempt failed; the pipeline branches on the kind.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DeliveryError {
    /// Worth retrying: connect error, timeout, 408, 429, 5xx but 501, a busy store.
    #[error("{reason}")]
    Retryable {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// 413: the batch is too large; split it.
    #[error("batch too large: {0}")]
    TooLarge(String),
    /// Refused for good (other 4xx): the batch goes to `rejected/`.
    #[error("{0}")]
    Permanent(String),
    /// The run cannot go on (401/403, a read-only store, a full disk): stop
    /// reading, spool what was read, exit non-zero with this message.
    #[error("{0}")]
    Fatal(String),
    /// The target went away without fault (stdout's reader closed the pipe):
    /// stop quietly, exit 0.
    #[error("output closed")]
    Closed,
}

/// Where `tail` starts.
#[derive(Debug, Clone, Copy, Default)]
pub struct TailStart {
    /// Resume after this record id (SSE `Last-Event-ID`).
    pub after_id: Option<i64>,
    /// Backfill records from this time first.
    pub since: Option<Micros>,
}

/// A live stream of records, each with its `id`.
pub type RecordStream = BoxStream<'static, Result<Record>>;

/// A place logs go to and (for storage targets) come from.
#[async_trait]
pub trait Backend: Send + Sync {
    /// A short human name for messages (`local:/path/store.db`, `http://host`).
    fn describe(&self) -> String;

    /// Stores or sends one batch. Called again with the same batch on retry.
    async fn ingest(&self, batch: &Batch) -> Result<IngestOutcome, DeliveryError>;

    /// One page of matches, newest first, starting after `cursor`.
    async fn query(&self, q: &Query, cursor: Option<&str>, limit: usize) -> Result<QueryPage> {
        let _ = (q, cursor, limit);
        Err(unsupported(&self.describe(), "query"))
    }

    /// Every match of `q`, newest first, at most `limit` of them (`None`:
    /// all), as one stream read in one pass: what `query --limit 0` and
    /// large limits use instead of cursor pages. Memory stays bounded
    /// whatever the result; dropping the stream stops the read.
    async fn export(&self, q: &Query, limit: Option<usize>) -> Result<RecordStream> {
        let _ = (q, limit);
        Err(unsupported(&self.describe(), "query"))
    }

    /// Aggregated counts.
    async fn stats(&self, q: &StatsQuery) -> Result<Stats> {
        let _ = q;
        Err(unsupported(&self.describe(), "stats"))
    }

    /// Every record of one trace, oldest first.
    /// The templates of the records matching `q`, most frequent first, at
    /// most `limit` (0: all) (SPEC §10).
    async fn patterns(&self, q: &Query, limit: usize) -> Result<Vec<PatternRow>> {
        let _ = (q, limit);
        Err(unsupported(&self.describe(), "list patterns"))
    }

    async fn trace(&self, trace_id: &str) -> Result<Vec<Record>> {
        let _ = trace_id;
        Err(unsupported(&self.describe(), "trace"))
    }

    /// New matching records as they arrive (after an optional backfill).
    async fn tail(&self, q: &Query, start: TailStart) -> Result<RecordStream> {
        let _ = (q, start);
        Err(unsupported(&self.describe(), "tail"))
    }

    /// What retention this target can apply, declared as data: `serve`
    /// refuses a `--retention` or `--max-store-size` the store cannot honour
    /// instead of accepting it and doing nothing.
    fn retention(&self) -> RetentionAbility;

    /// Applies retention once: records older than `policy.max_age` go and,
    /// with `policy.max_bytes`, the oldest ones until the store fits.
    /// Returns how many records were deleted, where the store can tell
    /// (a ClickHouse TTL deletes in the background: 0). `serve` calls it at
    /// start and then periodically; a target that keeps no data of its own
    /// answers an error.
    async fn retain(&self, policy: &RetentionPolicy) -> Result<u64>;

    /// The id of the newest stored record, where the backend numbers records
    /// in commit order (`None` when it does not know). The server's live tail
    /// starts there and tells new streams, so that a stream that reconnects
    /// before its first record resumes from where it connected.
    async fn last_id(&self) -> Result<Option<i64>> {
        Ok(None)
    }

    /// Whether retries and the spool make sense (false for stdout).
    fn is_remote(&self) -> bool {
        false
    }

    /// Whether `ingest` reads `Batch::records`. Targets that only send the
    /// JSON form say no, and the send pipeline then drops each record on the
    /// worker that encoded it: their batches carry `ndjson` alone (and
    /// [`Batch::len`] counts its lines), which keeps memory and the
    /// allocator's cross-thread work down.
    fn needs_records(&self) -> bool {
        true
    }

    /// CPU work on a run of records that the target would otherwise do in
    /// `ingest` on a single delivery task, done instead by the send
    /// pipeline's parse workers, in parallel, before batching (the store
    /// encodes its blocks here). Batches then carry the results in
    /// [`Batch::pre`]. `None`: nothing to do ahead.
    fn pre_encode(&self, _records: &[Record]) -> Option<PreEncoded> {
        None
    }
}

/// Which retention limits a target can apply (see [`Backend::retention`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionAbility {
    /// Records older than an age can be deleted.
    pub by_age: bool,
    /// The oldest records can be deleted until the store fits a size.
    pub by_size: bool,
}

/// The limits `serve --retention` / `--max-store-size` ask for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionPolicy {
    pub max_age: Option<Duration>,
    pub max_bytes: Option<u64>,
}

impl RetentionPolicy {
    /// Nothing to apply.
    pub fn is_empty(&self) -> bool {
        self.max_age.is_none() && self.max_bytes.is_none()
    }
}

/// The error for retention on a target that keeps no data of its own.
pub fn no_retention(target: &str) -> anyhow::Error {
    anyhow::anyhow!("target {target} keeps no records of its own: it has no retention")
}

/// A stream of records from a stream of chunks of them (how exports travel:
/// one message per chunk, not per record); an error ends it.
pub(crate) fn flatten(chunks: BoxStream<'static, Result<Vec<Record>>>) -> RecordStream {
    use futures::StreamExt;
    chunks
        .flat_map(|chunk| {
            let (records, err) = match chunk {
                Ok(v) => (v, None),
                Err(e) => (Vec::new(), Some(e)),
            };
            futures::stream::iter(records.into_iter().map(Ok).chain(err.map(Err)))
        })
        .boxed()
}

/// [`Backend::export`] by cursor pages of [`Backend::query`], for a target
/// that cannot stream (a server without the export route).
pub(crate) fn paged(backend: Arc<dyn Backend>, q: Query, limit: Option<usize>) -> RecordStream {
    /// Records per page.
    const PAGE: usize = 1000;
    struct Pager {
        backend: Arc<dyn Backend>,
        q: Query,
        cursor: Option<String>,
        left: usize,
        done: bool,
    }
    let state = Pager {
        backend,
        q,
        cursor: None,
        left: limit.unwrap_or(usize::MAX),
        done: false,
    };
    let pages = futures::stream::unfold(state, |mut p| async move {
        if p.done || p.left == 0 {
            return None;
        }
        let page = p
            .backend
            .query(&p.q, p.cursor.as_deref(), p.left.min(PAGE))
            .await;
        match page {
            Ok(page) => {
                p.left = p.left.saturating_sub(page.records.len());
                p.done = page.next_cursor.is_none() || page.records.is_empty();
                p.cursor = page.next_cursor;
                Some((Ok(page.records), p))
            }
            Err(e) => {
                p.done = true;
                Some((Err(e), p))
            }
        }
    });
    flatten(Box::pin(pages))
}

/// The error for a reading method a target does not have.
pub fn unsupported(target: &str, what: &str) -> anyhow::Error {
    anyhow::anyhow!("target {target} is a sink only: it cannot {what}")
}

/// A parsed `--to` value (SPEC §1).
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// The embedded store; `None` means the default path.
    Local(Option<PathBuf>),
    /// A loghub server (or anything speaking SPEC §4).
    Http(String),
    /// Records as NDJSON on stdout (dry run).
    Stdout,
    /// ClickHouse over its HTTP interface.
    ClickHouse(String),
}

impl Target {
    pub fn parse(s: &str) -> Result<Target> {
        let s = s.trim();
        Ok(match s {
            "" | "local" => Target::Local(None),
            "-" => Target::Stdout,
            _ if s.starts_with("local:") => Target::Local(Some(PathBuf::from(&s[6..]))),
            _ if s.starts_with("http://") || s.starts_with("https://") => {
                let url =
                    reqwest::Url::parse(s).with_context(|| format!("invalid target URL '{s}'"))?;
                if url.host_str().is_none_or(str::is_empty) {
                    bail!("invalid target URL '{s}': no host");
                }
                Target::Http(s.trim_end_matches('/').to_string())
            }
            _ if s.starts_with("clickhouse://") || s.starts_with("clickhouses://") => {
                Target::ClickHouse(s.to_string())
            }
            _ => return Err(unknown_target(s).into()),
        })
    }

    /// The store path of a local target, with the default applied.
    pub fn local_path(p: &Option<PathBuf>) -> Result<PathBuf> {
        match p {
            Some(p) => Ok(p.clone()),
            None => Ok(crate::config::data_dir()?.join("store.db")),
        }
    }

    /// A stable text form, used as the DLQ's target key.
    pub fn key(&self) -> String {
        match self {
            Target::Local(p) => match Target::local_path(p) {
                Ok(p) => format!("local:{}", p.display()),
                Err(_) => "local".into(),
            },
            Target::Http(u) | Target::ClickHouse(u) => u.clone(),
            Target::Stdout => "-".into(),
        }
    }
}

/// A `--to` value that names no target: a usage error, with the URL the
/// user probably meant when it looks like `HOST:PORT` or a bare host.
fn unknown_target(s: &str) -> crate::exit::UsageError {
    let mut msg = format!(
        "unknown target '{s}': expected local, local:PATH, -, http://HOST[:PORT], https://… or clickhouse://…"
    );
    let hostish = !s.is_empty()
        && !s.contains("://")
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if hostish {
        msg.push_str(&format!("\nhint: did you mean http://{s}?"));
    }
    crate::exit::UsageError(msg)
}

/// Options every backend may need to open.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    pub api_key: Option<String>,
    pub compression: Option<crate::config::Compression>,
    pub timeout: Option<Duration>,
}

/// Opens the backend for a target.
pub fn open(target: &Target, opts: &OpenOptions) -> Result<Arc<dyn Backend>> {
    Ok(match target {
        Target::Local(p) => Arc::new(local::LocalBackend::open(&Target::local_path(p)?)?),
        Target::Http(url) => Arc::new(http::HttpBackend::new(url, opts)?),
        Target::Stdout => Arc::new(stdout::StdoutBackend::new()),
        Target::ClickHouse(url) => Arc::new(clickhouse::ClickHouseBackend::new(url, opts)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        assert_eq!(Target::parse("").unwrap(), Target::Local(None));
        assert_eq!(Target::parse("-").unwrap(), Target::Stdout);
        assert_eq!(
            Target::parse("local:/tmp/x.db").unwrap(),
            Target::Local(Some("/tmp/x.db".into()))
        );
        assert_eq!(
            Target::parse("http://127.0.0.1:8431/").unwrap(),
            Target::Http("http://127.0.0.1:8431".into())
        );
        let e = Target::parse("example.com:8431").unwrap_err().to_string();
        assert!(e.contains("unknown target 'example.com:8431'"), "{e}");
    }
}

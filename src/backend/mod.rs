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

    /// Retention: deletes records older than `before` and, with `max_bytes`,
    /// the oldest ones until the store fits. Returns how many were deleted,
    /// or `None` when the backend keeps no data of its own (the default).
    /// `serve --retention` calls it periodically.
    async fn retain(&self, before: Micros, max_bytes: Option<u64>) -> Result<Option<u64>> {
        let _ = (before, max_bytes);
        Ok(None)
    }

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
            _ => bail!(
                "unknown target '{s}': expected local, local:PATH, -, http://HOST[:PORT], https://… or clickhouse://…"
            ),
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

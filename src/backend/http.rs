//! A loghub server (or anything speaking SPEC §4) as a target. This file holds
//! the client and the ingest side; `http_read.rs` the reading side.
//!
//! Ingest is `POST {base}/api/v1/ingest` with `{"logs":[…]}` compressed
//! straight from the batch's JSON lines (no second encoding, no body-sized
//! copy), with the batch id as `Idempotency-Key` so a retry or a replay of a
//! batch the server already stored stores nothing; a retry reuses the
//! compressed body. Every answer is mapped to
//! a [`DeliveryError`] kind here, in one function, so the pipeline only ever
//! branches on kinds.

use std::time::Duration;

use anyhow::{Context, Result};
use async_trait::async_trait;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_ENCODING, CONTENT_TYPE, HeaderMap, RETRY_AFTER};

use super::{
    Backend, Batch, DeliveryError, IngestOutcome, OpenOptions, RecordStream, RetentionAbility,
    RetentionPolicy, TailStart,
};
use crate::config::Compression;
use crate::query::{Query, QueryPage, Stats, StatsQuery};
use crate::record::Record;

pub struct HttpBackend {
    /// Base URL without a trailing slash.
    pub(crate) base: String,
    pub(crate) api_key: Option<String>,
    pub(crate) client: reqwest::Client,
    compression: Compression,
    timeout: Duration,
    /// `host:port`, for messages.
    host: String,
    retry_bodies: std::sync::Mutex<BodyCache>,
}

impl HttpBackend {
    pub fn new(base: &str, opts: &OpenOptions) -> Result<Self> {
        let base = base.trim_end_matches('/').to_string();
        let url = reqwest::Url::parse(&base).with_context(|| format!("invalid URL '{base}'"))?;
        let host = match (url.host_str(), url.port_or_known_default()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => base.clone(),
        };
        let timeout = opts.timeout.unwrap_or(Duration::from_secs(30));
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .user_agent(concat!("loghub/", env!("CARGO_PKG_VERSION")))
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(64)
            .tcp_nodelay(true)
            .build()
            .context("building the HTTP client")?;
        Ok(HttpBackend {
            base,
            api_key: opts.api_key.clone(),
            client,
            compression: opts.compression.unwrap_or(Compression::Gzip),
            timeout,
            host,
            retry_bodies: Default::default(),
        })
    }

    /// The `Accept-Encoding` of a streamed read: the configured compression.
    pub(crate) fn accept_encoding(&self) -> Option<&'static str> {
        match self.compression {
            Compression::Gzip => Some("gzip"),
            Compression::Zstd => Some("zstd"),
            Compression::None => None,
        }
    }

    /// Another client for the same server, with the same options.
    pub(crate) fn reopen(&self) -> Result<HttpBackend> {
        let opts = OpenOptions {
            api_key: self.api_key.clone(),
            compression: Some(self.compression),
            timeout: Some(self.timeout),
        };
        HttpBackend::new(&self.base, &opts)
    }

    /// Maps a failed request (no response) to a delivery error naming the host.
    fn transport_error(&self, e: &reqwest::Error) -> DeliveryError {
        let mut detail = String::new();
        let mut tls = false;
        let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
        while let Some(s) = src {
            // rustls errors reach us as io::Error(InvalidData), possibly
            // wrapped in another io::Error (whose `source` skips a level).
            let mut io = s.downcast_ref::<std::io::Error>();
            while let Some(e) = io {
                tls |= e.kind() == std::io::ErrorKind::InvalidData;
                io = e.get_ref().and_then(|i| i.downcast_ref::<std::io::Error>());
            }
            detail = s.to_string();
            src = s.source();
        }
        if e.is_timeout() {
            return DeliveryError::Retryable {
                reason: format!(
                    "request to {} timed out after {}",
                    self.host,
                    humantime::format_duration(self.timeout)
                ),
                retry_after: None,
            };
        }
        let lower = detail.to_ascii_lowercase();
        tls |= lower.contains("certificate") || lower.contains("handshake");
        if tls && e.is_connect() {
            // A certificate or handshake failure will not fix itself by retrying.
            return DeliveryError::Fatal(format!(
                "TLS with {} failed: {detail} (check the URL's scheme and the server's certificate)",
                self.host
            ));
        }
        let what = if e.is_connect() {
            "cannot connect to"
        } else {
            "connection failed with"
        };
        let detail = if detail.is_empty() {
            e.to_string()
        } else {
            detail
        };
        DeliveryError::Retryable {
            reason: format!("{what} {}: {detail}", self.host),
            retry_after: None,
        }
    }
}

/// `{"logs":[…]}` from NDJSON lines: the newlines become commas.
pub fn logs_body(ndjson: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(ndjson.len() + 16);
    write_logs_body(ndjson, &mut body).expect("writing to a Vec");
    body
}

/// Writes `{"logs":[…]}` from NDJSON lines to `out` in pieces of a small
/// scratch buffer that stays in cache: no body-sized copy is ever made,
/// whatever the batch size.
fn write_logs_body(ndjson: &[u8], out: &mut impl std::io::Write) -> std::io::Result<()> {
    const PIECE: usize = 32 * 1024;
    let lines = ndjson.strip_suffix(b"\n").unwrap_or(ndjson);
    let mut scratch = Vec::with_capacity(PIECE.min(lines.len()) + 16);
    scratch.extend_from_slice(b"{\"logs\":[");
    for piece in lines.chunks(PIECE) {
        let start = scratch.len();
        scratch.extend_from_slice(piece);
        for nl in memchr::memchr_iter(b'\n', piece) {
            scratch[start + nl] = b',';
        }
        out.write_all(&scratch)?;
        scratch.clear();
    }
    scratch.extend_from_slice(b"]}");
    out.write_all(&scratch)
}

/// The compressed `{"logs":[…]}` body of NDJSON lines (gzip level 1, zstd
/// level 1, or none).
pub fn compress_logs(ndjson: &[u8], c: Compression) -> std::io::Result<Vec<u8>> {
    match c {
        Compression::None => Ok(logs_body(ndjson)),
        Compression::Gzip => gzip_logs(ndjson),
        Compression::Zstd => {
            let mut e = zstd::stream::Encoder::new(Vec::with_capacity(ndjson.len() / 6 + 64), 1)?;
            e.include_contentsize(false)?;
            write_logs_body(ndjson, &mut e)?;
            e.finish()
        }
    }
}

/// gzip (level 1) of the `{"logs":[…]}` body, with one deflate state per
/// thread reused from batch to batch: a fresh one is a few hundred KiB to
/// allocate (and fault in) for every request.
fn gzip_logs(ndjson: &[u8]) -> std::io::Result<Vec<u8>> {
    use flate2::write::DeflateEncoder;
    use std::cell::RefCell;
    thread_local! {
        static DEFLATE: RefCell<Option<DeflateEncoder<Vec<u8>>>> = const { RefCell::new(None) };
    }
    /// RFC 1952: magic, deflate, no flags, no mtime, no extra flags, unknown OS.
    const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    DEFLATE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let enc = slot
            .get_or_insert_with(|| DeflateEncoder::new(Vec::new(), flate2::Compression::fast()));
        let res = (|| {
            // JSON logs shrink 6–10×; sized so the output rarely regrows.
            let mut out = Vec::with_capacity(ndjson.len() / 6 + 64);
            out.extend_from_slice(&HEADER);
            enc.reset(out)?;
            let mut w = flate2::CrcWriter::new(&mut *enc);
            write_logs_body(ndjson, &mut w)?;
            let (crc, len) = (w.crc().sum(), w.crc().amount());
            let mut out = enc.reset(Vec::new())?;
            out.extend_from_slice(&crc.to_le_bytes());
            out.extend_from_slice(&len.to_le_bytes());
            Ok(out)
        })();
        if res.is_err() {
            // Never reuse a state left in the middle of a stream.
            *slot = None;
        }
        res
    })
}

/// Compressed bodies of batches whose last attempt failed and will be
/// retried, so a retry storm does not compress each batch again. Bounded in
/// bytes; the oldest entry goes first.
#[derive(Default)]
struct BodyCache {
    entries: std::collections::VecDeque<(String, Vec<u8>)>,
    bytes: usize,
}

impl BodyCache {
    const MAX_BYTES: usize = 4 << 20;

    fn take(&mut self, id: &str) -> Option<Vec<u8>> {
        let i = self.entries.iter().position(|(k, _)| k == id)?;
        let (_, body) = self.entries.remove(i)?;
        self.bytes -= body.len();
        Some(body)
    }

    fn put(&mut self, id: &str, body: Vec<u8>) {
        if body.len() > Self::MAX_BYTES / 4 {
            return;
        }
        self.bytes += body.len();
        self.entries.push_back((id.to_string(), body));
        while self.bytes > Self::MAX_BYTES
            && let Some((_, old)) = self.entries.pop_front()
        {
            self.bytes -= old.len();
        }
    }
}

/// `Retry-After`: delay-seconds or an HTTP date.
pub fn parse_retry_after(h: &HeaderMap) -> Option<Duration> {
    let v = h.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let ms = when.timestamp_millis() - chrono::Utc::now().timestamp_millis();
    Some(Duration::from_millis(ms.max(0) as u64))
}

#[derive(serde::Deserialize)]
struct IngestReply {
    #[serde(default)]
    rejected: Vec<Rejected>,
}

#[derive(serde::Deserialize)]
struct Rejected {
    index: usize,
    #[serde(default)]
    reason: String,
}

/// The server's error text: its JSON `message` / `error`, or the start of
/// the body.
fn error_text(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        for k in ["message", "error"] {
            if let Some(s) = v.get(k).and_then(|s| s.as_str()) {
                return s.to_string();
            }
        }
    }
    let s = String::from_utf8_lossy(body);
    let s = s.trim();
    if s.is_empty() {
        "no details".into()
    } else {
        s.chars().take(200).collect()
    }
}

/// Maps an HTTP answer to an outcome or an error kind (SPEC §3).
pub fn map_response(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    records: usize,
    wire_bytes: u64,
    has_key: bool,
) -> Result<IngestOutcome, DeliveryError> {
    let code = status.as_u16();
    let rejected = || -> Option<Vec<(usize, String)>> {
        let r: IngestReply = serde_json::from_slice(body).ok()?;
        Some(
            r.rejected
                .into_iter()
                .filter(|r| r.index < records)
                .map(|r| (r.index, r.reason))
                .collect(),
        )
    };
    let outcome = |rej: Vec<(usize, String)>| IngestOutcome {
        accepted: records - rej.len(),
        rejected: rej,
        wire_bytes,
    };
    match code {
        200..=299 => Ok(outcome(rejected().unwrap_or_default())),
        400 => match rejected() {
            Some(rej) if !rej.is_empty() => Ok(outcome(rej)),
            _ => Err(DeliveryError::Permanent(format!(
                "the server refused the batch (400): {}",
                error_text(body)
            ))),
        },
        401 | 403 if has_key => Err(DeliveryError::Fatal(format!(
            "the server refused the API key ({code}): {}; check --api-key / LOGHUB_API_KEY",
            error_text(body)
        ))),
        401 | 403 => Err(DeliveryError::Fatal(format!(
            "the server wants an API key ({code}): {}; set --api-key or LOGHUB_API_KEY",
            error_text(body)
        ))),
        413 => Err(DeliveryError::TooLarge(error_text(body))),
        408 | 429 | 500 | 502..=599 => Err(DeliveryError::Retryable {
            reason: format!("the server answered {status}: {}", error_text(body)),
            retry_after: parse_retry_after(headers),
        }),
        _ => Err(DeliveryError::Permanent(format!(
            "the server refused the batch ({status}): {}",
            error_text(body)
        ))),
    }
}

#[async_trait]
impl Backend for HttpBackend {
    fn describe(&self) -> String {
        self.base.clone()
    }

    // The server behind it applies its own retention.
    fn retention(&self) -> RetentionAbility {
        RetentionAbility::default()
    }

    async fn retain(&self, _policy: &RetentionPolicy) -> Result<u64> {
        Err(super::no_retention(&self.describe()))
    }

    async fn ingest(&self, batch: &Batch) -> Result<IngestOutcome, DeliveryError> {
        let cached = self
            .retry_bodies
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take(&batch.id);
        let body = match cached {
            Some(b) => b,
            None => {
                let compression = self.compression;
                let nd = batch.ndjson();
                // Compression is CPU work: this thread stops serving other
                // tasks meanwhile (the runtime hands them to another), and
                // the batch is read in place, never copied.
                let compress = || compress_logs(&nd, compression);
                let res = match tokio::runtime::Handle::try_current() {
                    Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                        tokio::task::block_in_place(compress)
                    }
                    _ => compress(),
                };
                res.map_err(|e| DeliveryError::Fatal(format!("compressing a batch: {e}")))?
            }
        };
        let wire_bytes = body.len() as u64;
        let mut req = self
            .client
            .post(format!("{}/api/v1/ingest", self.base))
            .header(CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", &batch.id);
        match self.compression {
            Compression::Gzip => req = req.header(CONTENT_ENCODING, "gzip"),
            Compression::Zstd => req = req.header(CONTENT_ENCODING, "zstd"),
            Compression::None => {}
        }
        if let Some(k) = &self.api_key {
            req = req.header("X-API-Key", k);
        }
        // Kept for a retry only when one is likely: a copy of the compressed
        // body (a fraction of the batch) is cheaper than compressing again.
        let keep = body.clone();
        let res = async {
            let resp = req
                .body(body)
                .send()
                .await
                .map_err(|e| self.transport_error(&e))?;
            let status = resp.status();
            let headers = resp.headers().clone();
            let body = resp.bytes().await.map_err(|e| self.transport_error(&e))?;
            map_response(
                status,
                &headers,
                &body,
                batch.len(),
                wire_bytes,
                self.api_key.is_some(),
            )
        }
        .await;
        if matches!(res, Err(DeliveryError::Retryable { .. })) {
            self.retry_bodies
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .put(&batch.id, keep);
        }
        res
    }

    async fn query(&self, q: &Query, cursor: Option<&str>, limit: usize) -> Result<QueryPage> {
        self.http_query(q, cursor, limit).await
    }

    async fn patterns(&self, q: &Query, limit: usize) -> Result<Vec<crate::query::PatternRow>> {
        self.http_patterns(q, limit).await
    }

    async fn export(&self, q: &Query, limit: Option<usize>) -> Result<RecordStream> {
        self.http_export(q, limit).await
    }

    async fn stats(&self, q: &StatsQuery) -> Result<Stats> {
        self.http_stats(q).await
    }

    async fn trace(&self, trace_id: &str) -> Result<Vec<Record>> {
        self.http_trace(trace_id).await
    }

    async fn tail(&self, q: &Query, start: TailStart) -> Result<RecordStream> {
        self.http_tail(q, start).await
    }

    fn is_remote(&self) -> bool {
        true
    }

    fn needs_records(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(code: u16, body: &str) -> Result<IngestOutcome, DeliveryError> {
        map_response(
            StatusCode::from_u16(code).unwrap(),
            &HeaderMap::new(),
            body.as_bytes(),
            3,
            10,
            true,
        )
    }

    #[test]
    fn statuses_map_to_kinds() {
        assert_eq!(map(200, "").unwrap().accepted, 3);
        let o = map(
            200,
            r#"{"received":3,"rejected":[{"index":1,"reason":"bad"}]}"#,
        )
        .unwrap();
        assert_eq!((o.accepted, o.rejected), (2, vec![(1, "bad".to_string())]));
        let o = map(
            400,
            r#"{"received":3,"rejected":[{"index":2,"reason":"x"}]}"#,
        )
        .unwrap();
        assert_eq!(o.accepted, 2);
        assert!(matches!(map(400, "{}"), Err(DeliveryError::Permanent(_))));
        for c in [408, 429, 500, 502, 503, 504] {
            assert!(
                matches!(map(c, ""), Err(DeliveryError::Retryable { .. })),
                "{c}"
            );
        }
        assert!(matches!(map(501, ""), Err(DeliveryError::Permanent(_))));
        assert!(matches!(map(404, ""), Err(DeliveryError::Permanent(_))));
        assert!(matches!(map(413, ""), Err(DeliveryError::TooLarge(_))));
        let Err(DeliveryError::Fatal(m)) =
            map(401, r#"{"error":"unauthorized","message":"bad key"}"#)
        else {
            panic!("401 is fatal")
        };
        assert!(m.contains("refused the API key (401): bad key"), "{m}");
        assert!(m.contains("LOGHUB_API_KEY"), "{m}");
    }

    #[test]
    fn retry_after_seconds_and_date() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(7)));
        let later = chrono::Utc::now() + chrono::Duration::seconds(120);
        h.insert(
            RETRY_AFTER,
            later
                .format("%a, %d %b %Y %H:%M:%S GMT")
                .to_string()
                .parse()
                .unwrap(),
        );
        let d = parse_retry_after(&h).unwrap();
        assert!(
            d > Duration::from_secs(100) && d <= Duration::from_secs(120),
            "{d:?}"
        );
    }

    #[test]
    fn body_from_ndjson() {
        assert_eq!(
            logs_body(b"{\"a\":1}\n{\"b\":2}\n"),
            b"{\"logs\":[{\"a\":1},{\"b\":2}]}"
        );
        assert_eq!(logs_body(b""), b"{\"logs\":[]}");
        // Lines across the scratch buffer's pieces keep their commas.
        let line = format!("{{\"m\":\"{}\"}}\n", "x".repeat(1000));
        let nd = line.repeat(100);
        let body = logs_body(nd.as_bytes());
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["logs"].as_array().unwrap().len(), 100);
        // Gzip twice: the second reuses the thread's deflate state.
        for c in [Compression::Gzip, Compression::Zstd, Compression::Gzip] {
            let z = compress_logs(nd.as_bytes(), c).unwrap();
            let mut out = Vec::new();
            match c {
                Compression::Gzip => {
                    use std::io::Read;
                    flate2::read::GzDecoder::new(&z[..])
                        .read_to_end(&mut out)
                        .unwrap();
                }
                _ => out = zstd::decode_all(&z[..]).unwrap(),
            }
            assert_eq!(out, body, "{c:?}");
        }
    }
}

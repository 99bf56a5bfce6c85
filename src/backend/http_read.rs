//! The reading side of the HTTP target: query, stats, trace and tail (SSE)
//! against a loghub server (the routes of `crate::server`, SPEC §4), so that
//! `loghub query/stats/trace/tail --to http://…` behave as on the local store.
//!
//! A [`Query`] travels as the server's parameters: full-text terms as
//! repeated `term` (exact, unlike LogTide's whitespace-split `q`), lists as
//! repeated `service`/`level`/`hostname`, times as RFC 3339 with µs, metadata
//! as a `metadata_filters` JSON list. `tail` is SSE through
//! `eventsource-client`: reconnects with backoff, sends `Last-Event-ID`, and
//! drops any record it has already yielded, so a dropped connection neither
//! loses nor repeats a record.

use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use eventsource_client as es;
use futures::StreamExt;
use serde_json::Value;

use super::http::HttpBackend;
use super::{RecordStream, TailStart};
use crate::query::{Bucket, Query, QueryPage, Stats, StatsQuery, TopError};
use crate::record::{Level, Record, format_time, parse_rfc3339};

/// The longest an export may take.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(7 * 24 * 3600);

/// The server's page-size cap.
const MAX_LIMIT: usize = 1000;

/// The parameters that carry a query (shared by every reading route).
pub(crate) fn query_params(q: &Query) -> Vec<(String, String)> {
    let mut p: Vec<(String, String)> = Vec::new();
    let mut add = |k: &str, v: String| p.push((k.to_string(), v));
    for t in &q.text {
        add("term", t.clone());
    }
    for s in &q.services {
        add("service", s.clone());
    }
    for l in &q.levels {
        add("level", l.as_str().to_string());
    }
    for h in &q.hosts {
        add("hostname", h.clone());
    }
    if let Some(t) = &q.trace_id {
        add("traceId", t.clone());
    }
    if let Some(t) = &q.trace_prefix {
        add("trace_prefix", t.clone());
    }
    if let Some(s) = q.since {
        add("from", format_time(s));
    }
    if let Some(u) = q.until {
        add("to", format_time(u));
    }
    if !q.patterns.is_empty() {
        let ids: Vec<String> = q.patterns.iter().map(ToString::to_string).collect();
        add("pattern", ids.join(","));
    }
    if !q.metadata.is_empty() {
        let list: Vec<Value> = q
            .metadata
            .iter()
            .map(|(k, v)| serde_json::json!({"key": k, "value": v}))
            .collect();
        add("metadata_filters", Value::Array(list).to_string());
    }
    if !q.compare.is_empty() {
        let list: Vec<Value> = q
            .compare
            .iter()
            .map(|c| serde_json::json!({"key": c.key, "op": c.op.as_str(), "value": c.value}))
            .collect();
        add("metadata_compare", Value::Array(list).to_string());
    }
    p
}

impl HttpBackend {
    fn url(&self, path: &str) -> Result<reqwest::Url> {
        reqwest::Url::parse(&format!("{}{path}", self.base))
            .with_context(|| format!("invalid server URL {}", self.base))
    }

    /// GETs `url` (with the API key), answering whatever the server said.
    async fn get(
        &self,
        url: reqwest::Url,
        timeout: Duration,
        accept_encoding: Option<&str>,
    ) -> Result<reqwest::Response> {
        let mut req = self.client.get(url);
        if let Some(k) = &self.api_key {
            req = req.header("X-API-Key", k);
        }
        if let Some(e) = accept_encoding {
            req = req.header(reqwest::header::ACCEPT_ENCODING, e);
        }
        req.timeout(timeout)
            .send()
            .await
            .map_err(|e| read_error(&e, &self.base))
    }

    /// The error for an answer that is not a success, with a hint where one
    /// helps.
    async fn refusal(&self, resp: reqwest::Response) -> anyhow::Error {
        let status = resp.status();
        let body = resp.bytes().await.unwrap_or_default();
        let msg = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("message").and_then(Value::as_str).map(String::from))
            .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(300).collect());
        let hint = match status.as_u16() {
            401 => {
                "\nhint: set the server's API key with --api-key, LOGHUB_API_KEY or the config file"
            }
            403 => "\nhint: reading needs a full key, not a write-only one",
            _ => "",
        };
        anyhow!("{} answered {status}: {msg}{hint}", self.base)
    }

    /// GETs a JSON answer, turning error answers into clear messages.
    async fn get_json(&self, url: reqwest::Url) -> Result<Value> {
        let resp = self.get(url, Duration::from_secs(60), None).await?;
        if !resp.status().is_success() {
            return Err(self.refusal(resp).await);
        }
        let body = resp
            .bytes()
            .await
            .with_context(|| format!("reading the answer of {}", self.base))?;
        serde_json::from_slice(&body)
            .with_context(|| format!("{} answered with invalid JSON", self.base))
    }

    /// Every match as one NDJSON answer of the export route, read as it
    /// arrives; a server without the route (404) is read by cursor pages.
    pub(crate) async fn http_export(
        &self,
        q: &Query,
        limit: Option<usize>,
    ) -> Result<RecordStream> {
        let mut url = self.url("/api/v1/logs/export")?;
        {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query_params(q) {
                pairs.append_pair(&k, &v);
            }
            if let Some(n) = limit {
                pairs.append_pair("limit", &n.to_string());
            }
        }
        // No deadline for the whole answer (an export takes as long as it
        // takes); a silent body is caught by the stream's idle timeout.
        let resp = self
            .get(url, EXPORT_TIMEOUT, self.accept_encoding())
            .await?;
        if resp.status() == reqwest::StatusCode::NOT_FOUND {
            let again: std::sync::Arc<dyn super::Backend> = std::sync::Arc::new(self.reopen()?);
            return Ok(super::paged(again, q.clone(), limit));
        }
        if !resp.status().is_success() {
            return Err(self.refusal(resp).await);
        }
        super::ndjson_stream::records(resp, self.base.clone(), |line| {
            Ok(serde_json::from_slice(line)?)
        })
    }

    pub(crate) async fn http_query(
        &self,
        q: &Query,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<QueryPage> {
        let mut url = self.url("/api/v1/logs")?;
        {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query_params(q) {
                pairs.append_pair(&k, &v);
            }
            pairs.append_pair("limit", &limit.clamp(1, MAX_LIMIT).to_string());
            if let Some(c) = cursor {
                pairs.append_pair("cursor", c);
            }
        }
        let v = self.get_json(url).await?;
        Ok(QueryPage {
            records: records(&v, "logs")?,
            total: v.get("total").and_then(Value::as_u64),
            next_cursor: v
                .get("nextCursor")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(String::from),
        })
    }

    pub(crate) async fn http_stats(&self, q: &StatsQuery) -> Result<Stats> {
        let mut url = self.url("/api/v1/stats")?;
        {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query_params(&q.query) {
                pairs.append_pair(&k, &v);
            }
            if let Some(i) = q.interval {
                pairs.append_pair("interval", &i.to_string());
            }
            pairs.append_pair("top", &q.top.clamp(1, MAX_LIMIT).to_string());
        }
        let v = self.get_json(url).await?;
        stats_from_json(&v).with_context(|| format!("reading the stats of {}", self.base))
    }

    /// `GET /api/v1/patterns`.
    pub(crate) async fn http_patterns(
        &self,
        q: &Query,
        limit: usize,
    ) -> Result<Vec<crate::query::PatternRow>> {
        let mut url = self.url("/api/v1/patterns")?;
        {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query_params(q) {
                pairs.append_pair(&k, &v);
            }
            pairs.append_pair("limit", &limit.to_string());
        }
        let v = self.get_json(url).await?;
        serde_json::from_value(v.get("patterns").cloned().unwrap_or_default())
            .with_context(|| format!("{} answered with invalid patterns", self.base))
    }

    pub(crate) async fn http_trace(&self, trace_id: &str) -> Result<Vec<Record>> {
        let mut url = self.url("/api/v1/logs/trace")?;
        url.path_segments_mut()
            .map_err(|_| anyhow!("invalid server URL {}", self.base))?
            .push(trace_id);
        let v = self.get_json(url).await?;
        records(&v, "logs")
    }

    pub(crate) async fn http_tail(&self, q: &Query, start: TailStart) -> Result<RecordStream> {
        let mut url = self.url("/api/v1/logs/stream")?;
        {
            let mut pairs = url.query_pairs_mut();
            let mut params = query_params(q);
            // `since` of the start wins over the query's lower bound.
            if let Some(s) = start.since {
                params.retain(|(k, _)| k != "from");
                params.push(("from".into(), format_time(s)));
            }
            for (k, v) in params {
                pairs.append_pair(&k, &v);
            }
        }
        let connector = Connector {
            url: url.to_string(),
            api_key: self.api_key.clone(),
        };
        let resume = start.after_id.map(|id| id.to_string());
        // A malformed URL or key fails here, before anything is streamed.
        let client = connector.connect(resume.as_deref())?;
        let state = TailState {
            events: client.stream(),
            _client: client,
            connector,
            resume,
            last_id: start.after_id.unwrap_or(i64::MIN),
            base: self.base.clone(),
            done: false,
            said: None,
            delay: FIRST_DELAY,
        };
        Ok(futures::stream::unfold(state, TailState::next).boxed())
    }
}

/// The first wait before connecting again; it doubles up to [`MAX_DELAY`]
/// and starts over once a connection is made.
const FIRST_DELAY: Duration = Duration::from_millis(250);
const MAX_DELAY: Duration = Duration::from_secs(30);
/// At most one "cannot reach … retrying" line this often.
const SAY_EVERY: Duration = Duration::from_secs(5);

/// Makes SSE clients for one stream URL. Each connection is a client of its
/// own, made here: reconnecting ourselves (rather than inside the client,
/// which retries silently) is how `tail` can say why it is waiting.
struct Connector {
    url: String,
    api_key: Option<String>,
}

impl Connector {
    fn connect(&self, last_event_id: Option<&str>) -> Result<Box<dyn es::Client>> {
        let mut builder = es::ClientBuilder::for_url(&self.url)
            .map_err(|e| anyhow!("invalid stream URL {}: {e}", self.url))?
            .reconnect(es::ReconnectOptions::reconnect(false).build());
        if let Some(k) = &self.api_key {
            builder = builder
                .header("X-API-Key", k)
                .map_err(|e| anyhow!("invalid API key: {e}"))?;
        }
        if let Some(id) = last_event_id {
            builder = builder.last_event_id(id.to_string());
        }
        let transport = launchdarkly_sdk_transport::HyperTransport::builder()
            .connect_timeout(Duration::from_secs(10))
            // Heartbeats come every 15 s: a silent minute means a dead link.
            .read_timeout(Duration::from_secs(60));
        Ok(if self.url.starts_with("https:") {
            Box::new(
                builder.build_with_transport(
                    transport
                        .build_https()
                        .context("setting up TLS for the stream")?,
                ),
            )
        } else {
            Box::new(
                builder.build_with_transport(
                    transport
                        .build_http()
                        .context("setting up the stream's HTTP client")?,
                ),
            )
        })
    }
}

struct TailState {
    events: es::BoxStream<es::Result<es::SSE>>,
    _client: Box<dyn es::Client>,
    connector: Connector,
    /// The id of the last event seen, sent as `Last-Event-ID` on reconnect.
    resume: Option<String>,
    /// The last record yielded; anything at or below it is a repeat.
    last_id: i64,
    base: String,
    done: bool,
    /// When the last "retrying" line was printed.
    said: Option<std::time::Instant>,
    delay: Duration,
}

impl TailState {
    async fn next(mut self) -> Option<(Result<Record>, TailState)> {
        if self.done {
            return None;
        }
        loop {
            let Some(item) = self.events.next().await else {
                // The connection ended (or never began): wait, then connect
                // again from the last event seen, until the user stops us.
                tokio::time::sleep(self.delay).await;
                self.delay = (self.delay * 2).min(MAX_DELAY);
                match self.connector.connect(self.resume.as_deref()) {
                    Ok(c) => {
                        self.events = c.stream();
                        self._client = c;
                    }
                    Err(e) => {
                        self.done = true;
                        return Some((Err(e), self));
                    }
                }
                continue;
            };
            match item {
                Ok(es::SSE::Event(ev)) => {
                    if ev.id.is_some() {
                        self.resume.clone_from(&ev.id);
                    }
                    let v: Value = match serde_json::from_str(&ev.data) {
                        Ok(v) => v,
                        Err(_) => continue,
                    };
                    if v.get("type").and_then(Value::as_str) != Some("log") {
                        continue;
                    }
                    let Some(data) = v.get("data") else { continue };
                    let mut r: Record = match serde_json::from_value(data.clone()) {
                        Ok(r) => r,
                        Err(e) => {
                            return Some((
                                Err(anyhow!(
                                    "{} sent a record loghub cannot read: {e}",
                                    self.base
                                )),
                                self,
                            ));
                        }
                    };
                    if r.id.is_none() {
                        r.id = ev.id.as_deref().and_then(|s| s.parse().ok());
                    }
                    if let Some(id) = r.id {
                        if id <= self.last_id {
                            continue;
                        }
                        self.last_id = id;
                    }
                    return Some((Ok(r), self));
                }
                Ok(es::SSE::Connected(_)) => {
                    if self.said.take().is_some() {
                        eprintln!("loghub: connected to {}", self.base);
                    }
                    self.delay = FIRST_DELAY;
                }
                Ok(es::SSE::Comment(_)) => {}
                Err(es::Error::UnexpectedResponse(resp, _))
                    if (400..500).contains(&resp.status())
                        && !matches!(resp.status(), 408 | 429) =>
                {
                    self.done = true;
                    let hint = match resp.status() {
                        401 => " (is the API key right?)",
                        403 => " (reading needs a full key)",
                        404 => " (is this a loghub server?)",
                        _ => "",
                    };
                    let e = anyhow!(
                        "{} refused the stream: HTTP {}{hint}",
                        self.base,
                        resp.status()
                    );
                    return Some((Err(e), self));
                }
                Err(e) if is_initial(&e) => {
                    self.done = true;
                    let e = anyhow!("cannot stream from {}: {e}", self.base);
                    return Some((Err(e), self));
                }
                Err(e) => {
                    // Say why the output paused, but not on every attempt.
                    if self.said.is_none_or(|t| t.elapsed() >= SAY_EVERY) {
                        self.said = Some(std::time::Instant::now());
                        eprintln!(
                            "loghub: cannot reach {}: {}; retrying…",
                            self.base,
                            reason(&e)
                        );
                    }
                }
            }
        }
    }
}

/// Why a stream attempt failed, down to the root cause (`connection
/// refused`, `timed out`).
fn reason(e: &es::Error) -> String {
    let mut parts = vec![e.to_string()];
    // es::Error has an inherent `source` (its trait one says nothing).
    let mut src = e.source();
    while let Some(s) = src {
        let t = s.to_string();
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        src = s.source();
    }
    parts.join(": ")
}

/// Errors the client does not retry on its first connection.
fn is_initial(e: &es::Error) -> bool {
    matches!(
        e,
        es::Error::InvalidParameter(_)
            | es::Error::MalformedLocationHeader(_)
            | es::Error::MaxRedirectLimitReached(_)
    )
}

fn records(v: &Value, key: &str) -> Result<Vec<Record>> {
    let list = match v.get(key) {
        Some(Value::Array(a)) => a,
        _ => bail!("the answer has no \"{key}\" list"),
    };
    list.iter()
        .map(|r| serde_json::from_value(r.clone()).context("reading a record of the answer"))
        .collect()
}

fn levels(v: Option<&Value>) -> [u64; 5] {
    let mut out = [0u64; 5];
    if let Some(Value::Object(m)) = v {
        for (k, n) in m {
            if let Some(l) = Level::from_name(k) {
                out[l.index()] += n.as_u64().unwrap_or(0);
            }
        }
    }
    out
}

fn time_of(v: Option<&Value>) -> i64 {
    v.and_then(Value::as_str)
        .and_then(parse_rfc3339)
        .unwrap_or(0)
}

/// Reads the server's stats answer (`server::read::stats_json`) back.
pub(crate) fn stats_from_json(v: &Value) -> Result<Stats> {
    let arr = |k: &str| {
        v.get(k)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    Ok(Stats {
        interval: v
            .get("interval_seconds")
            .and_then(Value::as_i64)
            .unwrap_or(0),
        since: time_of(v.get("from")),
        until: time_of(v.get("to")),
        total: v.get("total").and_then(Value::as_u64).unwrap_or(0),
        by_level: levels(v.get("by_level")),
        buckets: arr("timeseries")
            .iter()
            .map(|b| Bucket {
                start: time_of(b.get("bucket")),
                total: b.get("total").and_then(Value::as_u64).unwrap_or(0),
                by_level: levels(b.get("by_level")),
            })
            .collect(),
        top_services: arr("top_services")
            .iter()
            .map(|s| {
                (
                    s.get("service")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    s.get("count").and_then(Value::as_u64).unwrap_or(0),
                )
            })
            .collect(),
        top_errors: arr("top_errors")
            .iter()
            .map(|e| TopError {
                fingerprint: e
                    .get("fingerprint")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                sample: e
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                count: e.get("count").and_then(Value::as_u64).unwrap_or(0),
                service: e
                    .get("service")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                last_seen: time_of(e.get("last_seen")),
            })
            .collect(),
    })
}

/// A request that got no answer, in one line naming the cause (the caller
/// names the target), with a hint: no URL repeated, no client internals.
fn read_error(e: &reqwest::Error, base: &str) -> anyhow::Error {
    let mut root = e.to_string();
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = src {
        root = s.to_string();
        src = s.source();
    }
    let lower = root.to_ascii_lowercase();
    let plain = base.replacen("https://", "http://", 1);
    let (cause, hint) = if base.starts_with("https://")
        && (lower.contains("invalidcontenttype") || lower.contains("corrupt message"))
    {
        (
            "the server does not speak TLS (https://)".to_string(),
            format!("it answers plain HTTP: use --to {plain}"),
        )
    } else if e.is_timeout() {
        (
            "no answer in time".to_string(),
            "is the server overloaded, or the address wrong?".to_string(),
        )
    } else if e.is_connect() {
        let cause = if lower.contains("refused") {
            "connection refused".to_string()
        } else {
            format!("cannot connect: {root}")
        };
        (cause, "is `loghub serve` running there?".to_string())
    } else {
        (root, "check the URL of --to".to_string())
    };
    anyhow::anyhow!("{cause}\nhint: {hint}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_survive_the_round_trip() {
        let s = Stats {
            interval: 3600,
            since: 1_700_000_000_000_000,
            until: 1_700_003_600_000_000,
            total: 7,
            by_level: [1, 2, 0, 4, 0],
            buckets: vec![Bucket {
                start: 1_700_000_000_000_000,
                total: 7,
                by_level: [1, 2, 0, 4, 0],
            }],
            top_services: vec![("api".into(), 5), ("web".into(), 2)],
            top_errors: vec![TopError {
                fingerprint: "00ff".into(),
                sample: "timeout after 5ms".into(),
                count: 4,
                service: "api".into(),
                last_seen: 1_700_000_000_123_456,
            }],
        };
        let back = stats_from_json(&crate::server::read::stats_json(&s)).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn queries_survive_the_round_trip() {
        let q = Query {
            text: vec!["connection reset".into(), "db".into()],
            levels: vec![Level::Error, Level::Critical],
            services: vec!["api".into()],
            hosts: vec!["h1".into(), "h2".into()],
            trace_id: Some("abc".into()),
            trace_prefix: Some("4bf92f35".into()),
            since: Some(1_700_000_000_000_001),
            until: Some(1_700_000_100_000_000),
            metadata: vec![("user.id".into(), "42".into())],
            compare: vec![crate::query::MetaCompare {
                key: "duration_ms".into(),
                op: crate::query::CmpOp::Ge,
                value: 1000.5,
            }],

            patterns: vec![crate::pattern::PatternId(0x7f3a_09c2_d1e4_b5a6)],
            limit: None,
        };
        let back = crate::server::query_from_params(&query_params(&q)).unwrap();
        assert_eq!(back, q);
    }
}

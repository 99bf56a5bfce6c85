//! `loghub serve`: the HTTP API of SPEC §4 over any storage backend
//! (`Arc<dyn Backend>`): ingest (`ingest.rs`), reading routes (`read.rs`),
//! live tail over SSE (`stream.rs`), API keys and rate limits (`auth.rs`),
//! Prometheus metrics (`metrics.rs`), JSON errors (`error.rs`).
//!
//! The server holds no records of its own: an ingest answer is sent only
//! after `Backend::ingest` returned, i.e. after the store committed, so a
//! `kill -9` loses nothing that was acknowledged.

pub mod auth;
pub mod error;
mod export;
pub mod ingest;
#[cfg(test)]
mod mem_tests;
pub mod metrics;
pub mod read;
pub mod stream;
pub mod total;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{NaiveDateTime, Utc};
use serde_json::Value;

use crate::backend::Backend;
use crate::query::Query;
use crate::record::{Level, Micros, now_micros, parse_rfc3339};
use auth::{Keys, RateLimiter};
use error::ApiError;
use metrics::Metrics;

/// Settings of a server.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub keys: Keys,
    /// Largest request body, before and after decompression.
    pub max_body: usize,
    /// Most concurrent SSE streams.
    pub max_streams: usize,
    /// Requests per second per key (0: no limit).
    pub rate_limit: u32,
    /// The store file, for the size in `/metrics`.
    pub store_path: Option<PathBuf>,
    /// Interval of SSE comment heartbeats.
    pub heartbeat: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            keys: Keys::default(),
            max_body: 16 << 20,
            max_streams: 1000,
            rate_limit: 0,
            store_path: None,
            heartbeat: Duration::from_secs(15),
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub backend: Arc<dyn Backend>,
    pub keys: Arc<Keys>,
    pub limiter: Arc<RateLimiter>,
    pub metrics: Arc<Metrics>,
    pub answers: Arc<ingest::AnswerCache>,
    pub hub: Arc<stream::Hub>,
    pub streams: Arc<tokio::sync::Semaphore>,
    pub max_body: usize,
    pub store_path: Option<PathBuf>,
    pub heartbeat: Duration,
    /// Turns true when the server shuts down: open SSE streams end, so the
    /// graceful shutdown does not wait on them forever.
    pub closing: Arc<tokio::sync::watch::Sender<bool>>,
}

impl AppState {
    /// Builds the state and starts the one tail poller that feeds every SSE
    /// stream (must run inside a tokio runtime).
    pub fn new(backend: Arc<dyn Backend>, opts: ServerOptions) -> AppState {
        let metrics = Arc::new(Metrics::default());
        let hub = stream::Hub::start(backend.clone());
        AppState {
            backend,
            keys: Arc::new(opts.keys),
            limiter: Arc::new(RateLimiter::new(opts.rate_limit)),
            metrics,
            answers: Arc::new(ingest::AnswerCache::default()),
            hub,
            streams: Arc::new(tokio::sync::Semaphore::new(opts.max_streams)),
            max_body: opts.max_body,
            store_path: opts.store_path,
            heartbeat: opts.heartbeat,
            closing: Arc::new(tokio::sync::watch::channel(false).0),
        }
    }
}

/// The whole API as an axum router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/ingest", post(ingest::ingest))
        .route("/api/ingest/{key}", post(ingest::ingest_loggier))
        .route("/api/ingest/{key}/batch", post(ingest::ingest_loggier))
        .route("/api/v1/logs", get(read::logs))
        .route("/api/v1/logs/export", get(read::export))
        .route("/api/v1/logs/trace/{id}", get(read::trace))
        .route("/api/v1/logs/aggregated", get(read::aggregated))
        .route("/api/v1/logs/top-services", get(read::top_services))
        .route("/api/v1/logs/top-errors", get(read::top_errors))
        .route("/api/v1/logs/stream", get(stream::stream))
        .route("/api/v1/stats", get(read::stats))
        .route("/api/v1/patterns", get(read::patterns))
        .route("/health", get(health))
        .route("/metrics", get(metrics_text))
        .fallback(not_found)
        // Bodies are capped by the ingest handler itself (JSON 413s).
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            count_requests,
        ))
        .with_state(state)
}

async fn health() -> impl IntoResponse {
    axum::Json(serde_json::json!({"status": "ok"}))
}

async fn metrics_text(State(st): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        st.metrics.render(st.store_path.as_ref()),
    )
}

async fn not_found(req: Request) -> ApiError {
    ApiError::not_found(format!(
        "no route for {} {}",
        req.method(),
        req.uri().path()
    ))
}

/// Counts requests by route template (never the raw path: the Loggier
/// routes carry a key in it) and status.
async fn count_requests(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched".to_string(), |m| m.as_str().to_string());
    let resp = next.run(req).await;
    st.metrics.count_request(&route, resp.status().as_u16());
    resp
}

/// Binds `addr` and serves until `shutdown` resolves. Calls `on_bound` with
/// the bound address (the port may have been 0).
pub async fn serve(
    state: AppState,
    addr: SocketAddr,
    on_bound: impl FnOnce(SocketAddr),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let bound = listener.local_addr().context("reading the bound address")?;
    on_bound(bound);
    let closing = state.closing.clone();
    let (fired_tx, fired_rx) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        shutdown.await;
        let _ = closing.send(true);
        let _ = fired_tx.send(());
    };
    let server = axum::serve(listener, router(state)).with_graceful_shutdown(shutdown);
    // Requests in flight get a few seconds to finish after the signal.
    let deadline = async {
        if fired_rx.await.is_ok() {
            tokio::time::sleep(Duration::from_secs(5)).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        r = server => r.context("serving HTTP"),
        _ = deadline => Ok(()),
    }
}

/// A time in a record or a query parameter: RFC 3339, a naive ISO time
/// (taken as UTC, as the Loggier and LogTide SDKs send `utcnow()`), or epoch
/// seconds/ms/µs/ns told apart by magnitude, as a number or a numeric string.
/// None for a time outside [`crate::record::TIME_RANGE`] (`1e300`, year 99999):
/// nothing is acknowledged that no read could return.
pub fn parse_time_value(v: &Value) -> Option<Micros> {
    let t = match v {
        Value::Number(n) => epoch(n.as_f64()?),
        Value::String(s) => parse_time_str(s),
        _ => None,
    }?;
    crate::record::TIME_RANGE.contains(&t).then_some(t)
}

fn parse_time_str(s: &str) -> Option<Micros> {
    let s = s.trim();
    if let Some(t) = parse_rfc3339(s) {
        return Some(t);
    }
    if let Ok(n) = s.parse::<f64>() {
        return epoch(n);
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc().timestamp_micros());
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_micros());
    }
    None
}

fn epoch(n: f64) -> Option<Micros> {
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    let us = if n < 1e11 {
        n * 1e6
    } else if n < 1e14 {
        n * 1e3
    } else if n < 1e17 {
        n
    } else {
        n / 1e3
    };
    Some(us as Micros)
}

/// A `from`/`to` parameter: any record time form, or a duration back from
/// now (`15m`, `2h`, `7d`).
pub fn parse_time_param(name: &str, s: &str) -> Result<Micros, ApiError> {
    let t = parse_time_str(s).or_else(|| {
        let d = humantime::parse_duration(s.trim()).ok()?;
        Some(now_micros().saturating_sub(Micros::try_from(d.as_micros()).unwrap_or(Micros::MAX)))
    });
    if let Some(t) = t {
        return crate::query::terms::readable(t, s)
            .map_err(|e| ApiError::bad_request(format!("invalid {name}: {e}")));
    }
    Err(ApiError::bad_request(format!(
        "invalid {name} '{s}': use RFC 3339, epoch seconds or milliseconds, or a duration like 15m"
    )))
}

/// The query parameters every reading route shares, as a [`Query`]:
/// `q` (words, each a full-text term), `term` (one exact full-text term,
/// repeatable), `service`, `level`, `hostname` (comma lists, repeatable),
/// `traceId`, `from`, `to` (exclusive), `pattern` (ids, comma list),
/// `metadata_filters` (a JSON object `{"key":"value"}` or a list of
/// `{"key":…,"value":…}`), `metadata_compare` (a list of
/// `{"key":…,"op":">=","value":1000}`) and `trace_prefix` (loghub's own
/// additions).
pub fn query_from_params(params: &[(String, String)]) -> Result<Query, ApiError> {
    let mut q = Query::default();
    let list = |v: &str| -> Vec<String> {
        v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    };
    for (k, v) in params {
        match k.as_str() {
            "q" | "search" => q.text.extend(v.split_whitespace().map(String::from)),
            "term" if !v.is_empty() => q.text.push(v.clone()),
            "service" => q.services.extend(list(v)),
            "hostname" | "host" => q.hosts.extend(list(v)),
            "level" => {
                for name in list(v) {
                    let l: Level = name.parse().map_err(ApiError::bad_request)?;
                    if !q.levels.contains(&l) {
                        q.levels.push(l);
                    }
                }
            }
            "traceId" | "trace_id" if !v.is_empty() => q.trace_id = Some(v.clone()),
            "trace_prefix" if !v.is_empty() => q.trace_prefix = Some(v.clone()),
            "from" | "since" if !v.is_empty() => q.since = Some(parse_time_param(k, v)?),
            "to" | "until" if !v.is_empty() => q.until = Some(parse_time_param(k, v)?),
            "metadata_filters" if !v.is_empty() => q.metadata.extend(metadata_filters(v)?),
            "metadata_compare" if !v.is_empty() => q.compare.extend(metadata_compare(v)?),

            "pattern" => {
                for id in list(v) {
                    q.patterns
                        .push(crate::pattern::PatternId::parse(&id).ok_or_else(|| {
                            ApiError::bad_request(format!(
                                "invalid pattern '{id}': expected 16 hex digits"
                            ))
                        })?);
                }
            }
            _ => {}
        }
    }
    Ok(q)
}

/// `metadata_compare`: a JSON list of `{"key":…,"op":">"|">="|"<"|"<=","value":NUMBER}`.
fn metadata_compare(v: &str) -> Result<Vec<crate::query::MetaCompare>, ApiError> {
    let bad = || {
        ApiError::bad_request(
            "metadata_compare must be a JSON list of {\"key\":…,\"op\":\">\"|\">=\"|\"<\"|\"<=\",\"value\":NUMBER}",
        )
    };
    let items: Vec<Value> = serde_json::from_str(v).map_err(|_| bad())?;
    items
        .iter()
        .map(|it| {
            Ok(crate::query::MetaCompare {
                key: it
                    .get("key")
                    .and_then(Value::as_str)
                    .ok_or_else(bad)?
                    .to_string(),
                op: it
                    .get("op")
                    .and_then(Value::as_str)
                    .and_then(crate::query::CmpOp::parse)
                    .ok_or_else(bad)?,
                value: it.get("value").and_then(Value::as_f64).ok_or_else(bad)?,
            })
        })
        .collect()
}

fn metadata_filters(v: &str) -> Result<Vec<(String, String)>, ApiError> {
    let bad = || {
        ApiError::bad_request(
            "metadata_filters must be a JSON object {\"key\":\"value\"} or a list of {\"key\":…,\"value\":…}",
        )
    };
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match serde_json::from_str::<Value>(v).map_err(|_| bad())? {
        Value::Object(m) => Ok(m.iter().map(|(k, v)| (k.clone(), text(v))).collect()),
        Value::Array(items) => items
            .iter()
            .map(|it| {
                let key = it.get("key").and_then(Value::as_str).ok_or_else(bad)?;
                let value = it.get("value").ok_or_else(bad)?;
                Ok((key.to_string(), text(value)))
            })
            .collect(),
        _ => Err(bad()),
    }
}

/// Parses an integer parameter.
pub fn int_param(params: &[(String, String)], name: &str) -> Result<Option<i64>, ApiError> {
    match params.iter().rev().find(|(k, _)| k == name) {
        None => Ok(None),
        Some((_, v)) if v.is_empty() => Ok(None),
        Some((_, v)) => v
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| ApiError::bad_request(format!("{name} must be an integer, not '{v}'"))),
    }
}

/// The last value of a parameter.
pub fn str_param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .rev()
        .find(|(k, v)| k == name && !v.is_empty())
        .map(|(_, v)| v.as_str())
}

/// Makes a status a JSON error for routes that build their answers by hand.
pub fn status_error(status: StatusCode, msg: &str) -> ApiError {
    ApiError::new(status, "error", msg)
}

/// The current time, for answers that name it.
pub fn now_rfc3339() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_params_take_common_forms() {
        let p = |s: &str| parse_time_param("from", s).unwrap();
        assert_eq!(p("2024-05-01T10:00:00Z"), 1_714_557_600_000_000);
        assert_eq!(p("2024-05-01T10:00:00"), 1_714_557_600_000_000);
        assert_eq!(p("1714557600"), 1_714_557_600_000_000);
        assert_eq!(p("1714557600000"), 1_714_557_600_000_000);
        let ago = p("15m");
        assert!((now_micros() - ago - 900_000_000).abs() < 5_000_000);
        assert!(parse_time_param("from", "soon").is_err());
    }

    #[test]
    fn params_make_a_query() {
        let params: Vec<(String, String)> = [
            ("q", "payment timeout"),
            ("term", "a b"),
            ("service", "api,web"),
            ("level", "error"),
            ("level", "CRITICAL"),
            ("hostname", "h1"),
            ("traceId", "t"),
            ("metadata_filters", r#"{"user_id":42}"#),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let q = query_from_params(&params).unwrap();
        assert_eq!(q.text, ["payment", "timeout", "a b"]);
        assert_eq!(q.services, ["api", "web"]);
        assert_eq!(q.levels, [Level::Error, Level::Critical]);
        assert_eq!(q.hosts, ["h1"]);
        assert_eq!(q.trace_id.as_deref(), Some("t"));
        assert_eq!(q.metadata, [("user_id".to_string(), "42".to_string())]);
        let bad = vec![("level".to_string(), "loud".to_string())];
        assert_eq!(
            query_from_params(&bad).unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
    }
}

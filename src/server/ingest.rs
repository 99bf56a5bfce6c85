//! The ingest routes: `POST /api/v1/ingest` and the Loggier SDK's
//! `POST /api/ingest/{key}` and `/api/ingest/{key}/batch` (SPEC §4).
//!
//! A request goes: auth → rate limit → body read with a cap (413) →
//! decompression with the same cap on the output, streamed so a gzip bomb
//! stops at the cap (413) → the body's shape (`{"logs":[…]}`, a bare array,
//! one object, or NDJSON) → per-record validation into [`Record`]s (lenient:
//! loghub's wire form, LogTide's, TraceHub's and Loggier's; the real SDKs'
//! bodies are exercised in tests/sdk_compat.rs) → one
//! `Backend::ingest` whose return means committed → the answer
//! `{"received":N,"rejected":[{"index":i,"reason":"…"}]}`.
//!
//! `Idempotency-Key` becomes the batch id, which the store remembers across
//! restarts, so a repeat stores nothing. The first answer is also kept in a
//! bounded in-memory map so a repeat gets the very same answer back.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::sync::Mutex;
use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde_json::{Map, Value, json};

use super::auth::Access;
use super::error::ApiError;
use super::{AppState, parse_time_value};
use crate::backend::{Batch, DeliveryError};
use crate::parse::json::Key;
use crate::record::{Level, Record, now_micros};

/// How many idempotency answers are remembered in memory.
const IDEMPOTENCY_MEMORY: usize = 10_000;
/// Longest accepted `Idempotency-Key`.
const MAX_IDEMPOTENCY_KEY: usize = 200;

/// The first answers to recent `Idempotency-Key`s, oldest evicted first.
#[derive(Default)]
pub struct AnswerCache {
    inner: Mutex<(HashMap<String, Value>, VecDeque<String>)>,
}

impl AnswerCache {
    fn get(&self, key: &str) -> Option<Value> {
        let g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.0.get(key).cloned()
    }

    fn put(&self, key: String, answer: Value) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (map, order) = &mut *g;
        if map.insert(key.clone(), answer).is_none() {
            order.push_back(key);
            while order.len() > IDEMPOTENCY_MEMORY {
                if let Some(old) = order.pop_front() {
                    map.remove(&old);
                }
            }
        }
    }
}

/// `POST /api/v1/ingest`.
pub async fn ingest(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    handle(st, headers, body, None).await
}

/// `POST /api/ingest/{key}` and `/api/ingest/{key}/batch` (Loggier): the key
/// travels in the path, the body is one object or an array.
pub async fn ingest_loggier(
    State(st): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    handle(st, headers, body, Some(key)).await
}

async fn handle(
    st: AppState,
    headers: HeaderMap,
    body: Body,
    path_key: Option<String>,
) -> Result<Response, ApiError> {
    let caller = st
        .keys
        .authorize(&headers, path_key.as_deref(), Access::Write)?;
    st.limiter.check(caller)?;

    let idem = match headers.get("idempotency-key") {
        Some(v) => {
            let s = v
                .to_str()
                .ok()
                .map(str::trim)
                .filter(|s| !s.is_empty() && s.len() <= MAX_IDEMPOTENCY_KEY)
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "Idempotency-Key must be 1–{MAX_IDEMPOTENCY_KEY} visible ASCII characters"
                    ))
                })?;
            Some(s.to_string())
        }
        None => None,
    };
    if let Some(k) = &idem
        && let Some(answer) = st.answers.get(k)
    {
        st.metrics
            .idempotent_replays
            .fetch_add(1, Ordering::Relaxed);
        return Ok(answer_response(answer));
    }

    let raw = read_body(body, st.max_body).await?;
    st.metrics
        .bytes_received
        .fetch_add(raw.len() as u64, Ordering::Relaxed);
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("identity")
        .trim()
        .to_ascii_lowercase();
    let max = st.max_body;
    let decoded = tokio::task::spawn_blocking(move || decode(&encoding, raw, max))
        .await
        .map_err(|e| ApiError::internal(&anyhow::anyhow!("decoder task failed: {e}")))??;
    st.metrics
        .bytes_decoded
        .fetch_add(decoded.len() as u64, Ordering::Relaxed);

    let ndjson = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.contains("ndjson") || ct.contains("jsonlines"));
    let now = now_micros();
    let items = read_items(&decoded, ndjson, now)?;
    drop(decoded);

    let mut records = Vec::with_capacity(items.len());
    // index in `records` → index in the request
    let mut positions = Vec::with_capacity(items.len());
    let mut rejected: Vec<(usize, String)> = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        match item {
            Ok(r) => {
                positions.push(i);
                records.push(r);
            }
            Err(reason) => rejected.push((i, reason)),
        }
    }

    let total = positions.len() + rejected.len();
    let mut received = 0;
    if !records.is_empty() {
        let batch = Batch {
            id: idem
                .clone()
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            records,
            ndjson: Vec::new(),
            pre: Vec::new(),
            receipt: None,
        };
        let outcome = st.backend.ingest(&batch).await.map_err(delivery_error)?;
        received = outcome.accepted;
        if received > 0 {
            st.hub.wake();
        }
        for (i, reason) in outcome.rejected {
            rejected.push((positions.get(i).copied().unwrap_or(i), reason));
        }
    }
    rejected.sort_by_key(|(i, _)| *i);
    st.metrics
        .records_ingested
        .fetch_add(received as u64, Ordering::Relaxed);
    st.metrics
        .records_rejected
        .fetch_add(rejected.len() as u64, Ordering::Relaxed);

    let rejected_json: Vec<Value> = rejected
        .iter()
        .map(|(i, r)| json!({"index": i, "reason": r}))
        .collect();
    if total > 0 && received == 0 && rejected.len() == total {
        // Nothing was good: a 400 with the reasons, so senders that branch on
        // the status (the LogTide SDK, `loghub send`) see a refusal.
        let mut e = ApiError::bad_request(format!("all {total} records were rejected"));
        let mut extra = Map::new();
        extra.insert("received".into(), json!(0));
        extra.insert("rejected".into(), Value::Array(rejected_json));
        e.extra = Some(extra);
        return Err(e);
    }
    let answer = json!({ "received": received, "rejected": rejected_json });
    if let Some(k) = idem {
        st.answers.put(k, answer.clone());
    }
    Ok(answer_response(answer))
}

fn answer_response(answer: Value) -> Response {
    (StatusCode::OK, axum::Json(answer)).into_response()
}

/// Maps a store's refusal to an HTTP answer the sender's retry logic reads.
fn delivery_error(e: DeliveryError) -> ApiError {
    match e {
        DeliveryError::Retryable {
            reason,
            retry_after,
        } => ApiError::unavailable(
            format!("the store is busy: {reason}"),
            retry_after.map_or(1, |d| d.as_secs().max(1)),
        ),
        DeliveryError::TooLarge(m) => ApiError::too_large(m),
        DeliveryError::Permanent(m) => ApiError::bad_request(m),
        DeliveryError::Fatal(m) => {
            tracing::error!("the store refused a batch: {m}");
            ApiError::unavailable(format!("the store cannot take records: {m}"), 30)
        }
        DeliveryError::Closed => ApiError::unavailable("the store is closed", 30),
    }
}

/// Reads the request body, refusing more than `max` bytes as they arrive
/// (a `Content-Length` over the cap is refused before reading).
async fn read_body(body: Body, max: usize) -> Result<Vec<u8>, ApiError> {
    let too_large = || ApiError::too_large(format!("the request body exceeds {max} bytes"));
    // Sized once from `Content-Length` where it is given (already checked
    // against the cap), instead of growing by doubling and copying.
    let hint = axum::body::HttpBody::size_hint(&body).exact().unwrap_or(0);
    let mut out = Vec::with_capacity(usize::try_from(hint).unwrap_or(0).min(max));
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            if e.to_string().contains("length limit") {
                too_large()
            } else {
                ApiError::bad_request(format!("reading the request body: {e}"))
            }
        })?;
        if out.len() + chunk.len() > max {
            return Err(too_large());
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Decompresses `raw` per `Content-Encoding`, stopping with 413 once the
/// output passes `max` bytes: the decoder is read through `take(max + 1)`, so
/// a bomb costs at most `max` bytes of memory.
fn decode(encoding: &str, raw: Vec<u8>, max: usize) -> Result<Vec<u8>, ApiError> {
    // Sized once from the size the body declares (gzip's trailer, zstd's
    // frame header) where it does: only a hint, so capped at `max` and at
    // 64 times the compressed size (a lying 20-byte body reserves about a
    // kilobyte; a real one that expands more just grows past it).
    let declared = match encoding {
        "gzip" | "x-gzip" if raw.len() >= 18 => {
            let t = &raw[raw.len() - 4..];
            u64::from(u32::from_le_bytes([t[0], t[1], t[2], t[3]]))
        }
        "zstd" => zstd::zstd_safe::get_frame_content_size(&raw)
            .ok()
            .flatten()
            .unwrap_or(0),
        _ => 0,
    };
    let cap = max.min(raw.len().saturating_mul(64));
    let mut out = Vec::with_capacity(usize::try_from(declared).unwrap_or(cap).min(cap));
    let limit = max as u64 + 1;
    let res = match encoding {
        "" | "identity" => return Ok(raw),
        "gzip" | "x-gzip" => flate2::read::MultiGzDecoder::new(&raw[..])
            .take(limit)
            .read_to_end(&mut out),
        "deflate" => flate2::read::ZlibDecoder::new(&raw[..])
            .take(limit)
            .read_to_end(&mut out),
        "zstd" => match zstd::stream::read::Decoder::new(&raw[..]) {
            Ok(d) => d.take(limit).read_to_end(&mut out),
            Err(e) => Err(e),
        },
        other => {
            return Err(ApiError::unsupported_media(format!(
                "Content-Encoding '{other}' is not supported (use gzip, zstd or none)"
            )));
        }
    };
    if let Err(e) = res {
        return Err(ApiError::bad_request(format!(
            "the body is not valid {encoding}: {e}"
        )));
    }
    if out.len() > max {
        return Err(ApiError::too_large(format!(
            "the decompressed request body exceeds {max} bytes"
        )));
    }
    Ok(out)
}

/// The records of a body, each or why it cannot be stored. The usual
/// `{"logs":[…]}` is read straight into records (no JSON tree of the whole
/// body first); anything else, or a body that does not read that way, goes
/// through [`split_body`], which also words the errors.
fn read_items(
    body: &[u8],
    ndjson: bool,
    now: i64,
) -> Result<Vec<Result<Record, String>>, ApiError> {
    if !ndjson && body.trim_ascii_start().starts_with(b"{\"logs\"") {
        #[derive(serde::Deserialize)]
        struct Envelope {
            logs: Vec<Direct>,
        }
        if let Ok(env) = serde_json::from_slice::<Envelope>(body) {
            return Ok(env
                .logs
                .into_iter()
                .map(|d| d.0.and_then(|f| fields_to_record(f, now)))
                .collect());
        }
    }
    Ok(split_body(body, ndjson)?
        .into_iter()
        .map(|item| item.and_then(|v| to_record(v, now)))
        .collect())
}

/// One item of `{"logs":[…]}` read as [`Fields`] without an object in
/// between; anything but an object is an item that cannot be stored.
struct Direct(Result<Fields, String>);

impl<'de> serde::Deserialize<'de> for Direct {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DirectVisitor)
    }
}

struct DirectVisitor;

impl DirectVisitor {
    fn not_an_object<E>(self) -> Result<Direct, E> {
        Ok(Direct(Err(NOT_AN_OBJECT.into())))
    }
}

impl<'de> serde::de::Visitor<'de> for DirectVisitor {
    type Value = Direct;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a log record")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Direct, A::Error> {
        let mut fields = Fields::default();
        // Keys borrowed from the body where they have no escapes: only the
        // keys that stay in metadata are copied.
        while let Some(Key(k)) = m.next_key()? {
            let v: Value = m.next_value()?;
            fields.add(k, v);
        }
        Ok(Direct(Ok(fields)))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut s: A) -> Result<Direct, A::Error> {
        while s.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        self.not_an_object()
    }

    fn visit_bool<E>(self, _: bool) -> Result<Direct, E> {
        self.not_an_object()
    }

    fn visit_i64<E>(self, _: i64) -> Result<Direct, E> {
        self.not_an_object()
    }

    fn visit_u64<E>(self, _: u64) -> Result<Direct, E> {
        self.not_an_object()
    }

    fn visit_f64<E>(self, _: f64) -> Result<Direct, E> {
        self.not_an_object()
    }

    fn visit_str<E>(self, _: &str) -> Result<Direct, E> {
        self.not_an_object()
    }

    fn visit_unit<E>(self) -> Result<Direct, E> {
        self.not_an_object()
    }
}

/// One item of a body: a JSON value, or why its line could not be read.
type Item = Result<Value, String>;

/// Splits a body into items: `{"logs":[…]}`, a bare array, a single object,
/// or NDJSON (by content type, or when the body is not one JSON document but
/// its first line is).
fn split_body(body: &[u8], ndjson: bool) -> Result<Vec<Item>, ApiError> {
    if body.trim_ascii().is_empty() {
        return Err(ApiError::bad_request("the request body is empty"));
    }
    if !ndjson {
        let whole = std::str::from_utf8(body)
            .map_err(|e| format!("the body is not valid UTF-8: {e}"))
            .and_then(|text| {
                serde_json::from_str::<Value>(text)
                    .map_err(|e| format!("the body is not valid JSON: {e}"))
            });
        match whole {
            Ok(v) => return shape(v),
            Err(e) if !looks_like_ndjson(body) => return Err(ApiError::bad_request(e)),
            Err(_) => {}
        }
    }
    // Line by line, so one bad line (invalid UTF-8 or JSON) is rejected by
    // its index and the others are stored (SPEC §4: per-record reasons).
    Ok(body
        .split(|&b| b == b'\n')
        .filter(|l| !l.trim_ascii().is_empty())
        .map(|l| {
            let l = std::str::from_utf8(l).map_err(|e| format!("line is not valid UTF-8: {e}"))?;
            serde_json::from_str::<Value>(l).map_err(|e| format!("invalid JSON line: {e}"))
        })
        .collect())
}

/// A body that is not one JSON document but whose first line is an object
/// and has more lines: NDJSON sent without its content type.
fn looks_like_ndjson(body: &[u8]) -> bool {
    let mut lines = body
        .split(|&b| b == b'\n')
        .filter(|l| !l.trim_ascii().is_empty());
    let first = lines.next().unwrap_or_default();
    lines.next().is_some() && serde_json::from_slice::<Map<String, Value>>(first).is_ok()
}

fn shape(v: Value) -> Result<Vec<Item>, ApiError> {
    match v {
        Value::Array(items) => Ok(items.into_iter().map(Ok).collect()),
        Value::Object(mut o) => match o.remove("logs") {
            Some(Value::Array(items)) => Ok(items.into_iter().map(Ok).collect()),
            Some(_) => Err(ApiError::bad_request("\"logs\" must be an array")),
            None => Ok(vec![Ok(Value::Object(o))]),
        },
        _ => Err(ApiError::bad_request(
            "the body must be {\"logs\":[…]}, an array of records, or NDJSON",
        )),
    }
}

const TIME_KEYS: [&str; 5] = ["time", "timestamp", "ts", "@timestamp", "date"];
const LEVEL_KEYS: [&str; 5] = ["level", "severity", "lvl", "levelname", "loglevel"];
const MESSAGE_KEYS: [&str; 4] = ["message", "msg", "@m", "text"];
const SERVICE_KEYS: [&str; 3] = ["service", "service.name", "app"];
const HOST_KEYS: [&str; 2] = ["host", "hostname"];
const TRACE_KEYS: [&str; 2] = ["traceId", "trace_id"];
const SPAN_KEYS: [&str; 2] = ["spanId", "span_id"];
/// Objects whose entries are lifted into metadata rather than nested
/// (loghub/LogTide `metadata`, TraceHub `extra`).
const LIFTED: [&str; 2] = ["metadata", "extra"];

/// Where the Loggier SDK puts the service and host: its formatter sends
/// neither at the top level, only `context.service_name` (from its global
/// context) and `runtime_context.hostname`. Read, not moved: the objects stay
/// in metadata as given.
const LOGGIER_SERVICE: (&str, &str) = ("context", "service_name");
const LOGGIER_HOST: (&str, &str) = ("runtime_context", "hostname");

/// The string at `outer.inner` among the keys left over, if there is one.
fn nested_text(rest: &[(String, Value)], (outer, inner): (&str, &str)) -> Option<String> {
    let (_, v) = rest.iter().find(|(k, _)| k == outer)?;
    v.get(inner)?.as_str().map(str::to_string)
}

fn as_text(v: Value) -> String {
    match v {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

/// The record fields a key names, and the key's rank among that field's
/// names (lower wins when a record has several).
#[derive(Clone, Copy)]
enum Field {
    Time,
    Level,
    Message,
    Service,
    Host,
    Trace,
    Span,
}

const FIELDS: [(Field, &[&str]); 7] = [
    (Field::Time, &TIME_KEYS),
    (Field::Level, &LEVEL_KEYS),
    (Field::Message, &MESSAGE_KEYS),
    (Field::Service, &SERVICE_KEYS),
    (Field::Host, &HOST_KEYS),
    (Field::Trace, &TRACE_KEYS),
    (Field::Span, &SPAN_KEYS),
];

fn field_of(key: &str) -> Option<(Field, usize)> {
    FIELDS
        .iter()
        .find_map(|(f, names)| names.iter().position(|n| *n == key).map(|rank| (*f, rank)))
}

/// An object's entries sorted by what they become: the best value of each
/// field, the lifted objects, and the rest (metadata).
#[derive(Default)]
struct Fields {
    found: [Option<(usize, Value)>; 7],
    lifted: [Option<Value>; 2],
    rest: Vec<(String, Value)>,
}

impl Fields {
    /// Takes one entry: a field's value is the first non-null one in the
    /// order of its names (`message` before `msg`), and every name of a
    /// field is taken out of the metadata.
    fn add(&mut self, k: Cow<'_, str>, v: Value) {
        if k == "id" {
            return;
        }
        if let Some((field, rank)) = field_of(&k) {
            let slot = &mut self.found[field as usize];
            // A repeated key counts once, its last value, as in a JSON map.
            if slot.as_ref().is_some_and(|(r, _)| *r == rank) {
                *slot = None;
            }
            if !v.is_null() && slot.as_ref().is_none_or(|(r, _)| rank < *r) {
                *slot = Some((rank, v));
            }
        } else if let Some(i) = LIFTED.iter().position(|l| *l == k) {
            self.lifted[i] = Some(v);
        } else {
            self.rest.push((k.into_owned(), v));
        }
    }
}

/// Validates one item into a record (the lenient mapping of SPEC §3's JSON
/// keys), or says why not.
pub fn to_record(v: Value, now: i64) -> Result<Record, String> {
    let Value::Object(o) = v else {
        return Err(NOT_AN_OBJECT.into());
    };
    let mut fields = Fields::default();
    for (k, v) in o {
        fields.add(Cow::Owned(k), v);
    }
    fields_to_record(fields, now)
}

const NOT_AN_OBJECT: &str = "a record must be a JSON object";

/// The record an object's sorted entries make, or why not.
fn fields_to_record(fields: Fields, now: i64) -> Result<Record, String> {
    let Fields {
        mut found,
        lifted,
        rest,
    } = fields;
    let mut take = |f: Field| found[f as usize].take().map(|(_, v)| v);
    let message = match take(Field::Message) {
        Some(v) => as_text(v),
        None => return Err("\"message\" is required".into()),
    };
    if message.trim().is_empty() {
        return Err("\"message\" must not be empty".into());
    }
    let time = match take(Field::Time) {
        None => now,
        Some(v) => parse_time_value(&v).ok_or_else(|| {
            format!(
                "invalid time {v}: expected RFC 3339 or epoch s/ms/µs/ns within years 0000–9999"
            )
        })?,
    };
    let level = match take(Field::Level) {
        None => Level::Info,
        Some(Value::Number(n)) => level_number(n.as_f64().unwrap_or(-1.0))
            .ok_or_else(|| format!("unknown level number {n}"))?,
        Some(v) => {
            let name = as_text(v);
            Level::from_name(&name).ok_or_else(|| {
                format!("unknown level '{name}' (expected debug, info, warn, error or critical)")
            })?
        }
    };
    let service = take(Field::Service)
        .map(as_text)
        .or_else(|| nested_text(&rest, LOGGIER_SERVICE))
        .map(|s| {
            if s.trim().len() == s.len() {
                s
            } else {
                s.trim().to_string()
            }
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "default".to_string());
    if service.chars().count() > 100 {
        return Err("\"service\" must be at most 100 characters".into());
    }
    let host = take(Field::Host)
        .map(as_text)
        .or_else(|| nested_text(&rest, LOGGIER_HOST))
        .unwrap_or_default();
    let trace_id = take(Field::Trace).map(as_text).filter(|s| !s.is_empty());
    let span_id = take(Field::Span).map(as_text).filter(|s| !s.is_empty());
    let mut metadata = Map::new();
    for (k, v) in LIFTED.iter().zip(lifted) {
        match v {
            // The first object lifted is taken whole, not rebuilt.
            Some(Value::Object(m)) if metadata.is_empty() => metadata = m,
            Some(Value::Object(m)) => {
                for (k, v) in m {
                    metadata.entry(k).or_insert(v);
                }
            }
            Some(Value::Null) | None => {}
            Some(other) => {
                metadata.insert(k.to_string(), other);
            }
        }
    }
    // Last first: of a repeated key the last value stays, as in a JSON map.
    for (k, v) in rest.into_iter().rev() {
        metadata.entry(k).or_insert(v);
    }
    Ok(Record {
        pattern: None,
        id: None,
        time,
        level,
        service,
        message,
        host,
        trace_id,
        span_id,
        metadata,
    })
}

/// Pino (10–60), OpenTelemetry severity (1–24) and syslog (0–7) numbers.
fn level_number(n: f64) -> Option<Level> {
    let n = n as i64;
    Some(match n {
        10 | 20 => Level::Debug,
        30 => Level::Info,
        40 => Level::Warn,
        50 => Level::Error,
        60 => Level::Critical,
        0..=2 => Level::Critical,
        3 => Level::Error,
        4 => Level::Warn,
        5 | 6 => Level::Info,
        7 => Level::Debug,
        8 => Level::Debug,
        9..=12 => Level::Info,
        13..=16 => Level::Warn,
        17..=20 => Level::Error,
        21..=24 => Level::Critical,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `{"logs":[…]}` read straight into records gives what the JSON-tree
    /// path gives, item by item, rejects included.
    #[test]
    fn the_direct_path_reads_what_the_tree_path_reads() {
        let now = 1_700_000_000_000_000;
        let body = br#" {"logs":[
            {"message":"a","level":"warn","service":"api","user_id":7,"id":3},
            {"msg":"b","message":null,"severity":"ERROR","extra":{"k":"x"},"k":"top"},
            {"@m":"c","metadata":{"deep":{"x":1}},"context":{"service_name":"svc"},
             "runtime_context":{"hostname":"h9"},"traceId":"t1","span_id":"s1"},
            {"message":"d","level":"loud"},
            {"level":"info"},
            "a string",
            [1, 2],
            null,
            {"message":"e","time":"2024-05-01T10:00:00Z","k":1,"k":2}
        ], "other": true}"#;
        let direct = read_items(body, false, now).unwrap();
        let tree: Vec<Result<Record, String>> = split_body(body, false)
            .unwrap()
            .into_iter()
            .map(|item| item.and_then(|v| to_record(v, now)))
            .collect();
        assert_eq!(direct.len(), 9);
        assert_eq!(direct, tree);
        assert_eq!(direct[2].as_ref().unwrap().service, "svc");
        assert_eq!(direct[8].as_ref().unwrap().metadata["k"], json!(2));
        // Not that shape: the tree path, with its error messages.
        let bad = read_items(br#"{"logs": 5}"#, false, now).unwrap_err();
        assert!(format!("{bad:?}").contains("must be an array"), "{bad:?}");
    }

    #[test]
    fn foreign_shapes_map_to_records() {
        let now = 1_700_000_000_000_000;
        // TraceHub: upper-case level, timestamp, extra, error fields.
        let r = to_record(
            json!({"level":"ERROR","message":"boom","timestamp":"2024-05-01T10:00:00.123+00:00",
                   "service":"api","host":"web-1","trace_id":"t1","extra":{"user_id":42},
                   "error_type":"ValueError","stack_trace":"Traceback…"}),
            now,
        )
        .unwrap();
        assert_eq!(r.level, Level::Error);
        assert_eq!(r.time, 1_714_557_600_123_000);
        assert_eq!(r.trace_id.as_deref(), Some("t1"));
        assert_eq!(r.metadata["user_id"], json!(42));
        assert_eq!(r.metadata["error_type"], json!("ValueError"));
        // Loggier: naive timestamp, no service, context nested as given.
        let r = to_record(
            json!({"level":"warning","message":"m","timestamp":"2024-05-01T10:00:00.5",
                   "context":{"a":1}}),
            now,
        )
        .unwrap();
        assert_eq!(r.level, Level::Warn);
        assert_eq!(r.service, "default");
        assert_eq!(r.time, 1_714_557_600_500_000);
        assert_eq!(r.metadata["context"], json!({"a":1}));
        // Loggier's formatted body: the service and host only nested.
        let r = to_record(
            json!({"message":"m","level":"CRITICAL","timestamp":"2024-05-01T10:00:00.5Z",
                   "environment":"prod","tags":["a"],
                   "context":{"service_name":"billing","user_id":7},
                   "runtime_context":{"hostname":"web-2","process_id":1}}),
            now,
        )
        .unwrap();
        assert_eq!(r.level, Level::Critical);
        assert_eq!(r.service, "billing");
        assert_eq!(r.host, "web-2");
        assert_eq!(r.metadata["context"]["user_id"], json!(7));
        assert_eq!(r.metadata["tags"], json!(["a"]));
        // A top-level service still wins over the nested one.
        let r = to_record(
            json!({"message":"m","service":"api","context":{"service_name":"billing"}}),
            now,
        )
        .unwrap();
        assert_eq!(r.service, "api");
        // No time: the receive time.
        assert_eq!(to_record(json!({"message":"x"}), now).unwrap().time, now);
        // Refusals name the field.
        assert!(
            to_record(json!({"level":"info"}), now)
                .unwrap_err()
                .contains("message")
        );
        assert!(
            to_record(json!({"message":"x","level":"loud"}), now)
                .unwrap_err()
                .contains("level")
        );
        assert!(
            to_record(json!({"message":"x","time":"yesterday"}), now)
                .unwrap_err()
                .contains("time")
        );
        assert!(to_record(json!("text"), now).is_err());
    }

    #[test]
    fn bodies_split_by_shape() {
        let n = |b: &str, nd| split_body(b.as_bytes(), nd).unwrap().len();
        assert_eq!(n(r#"{"logs":[{"message":"a"},{"message":"b"}]}"#, false), 2);
        assert_eq!(n(r#"[{"message":"a"}]"#, false), 1);
        assert_eq!(n(r#"{"message":"a"}"#, false), 1);
        assert_eq!(n("{\"message\":\"a\"}\n\n{\"message\":\"b\"}\n", true), 2);
        // NDJSON sent as application/json is still understood.
        assert_eq!(n("{\"message\":\"a\"}\n{\"message\":\"b\"}", false), 2);
        assert!(split_body(b"{\"logs\":[", false).is_err());
        assert!(split_body(b"42", false).is_err());
    }

    #[test]
    fn decompression_stops_at_the_cap() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&vec![b'a'; 10 << 20]).unwrap();
        let bomb = enc.finish().unwrap();
        let e = decode("gzip", bomb.clone(), 1 << 20).unwrap_err();
        assert_eq!(e.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(decode("gzip", bomb, 20 << 20).unwrap().len(), 10 << 20);
        let e = decode("br", vec![1], 100).unwrap_err();
        assert_eq!(e.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
}

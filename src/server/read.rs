//! The reading routes: `GET /api/v1/logs` (search, newest first, cursor or
//! offset pages), `/api/v1/logs/export` (every match as one NDJSON answer), `/api/v1/logs/trace/{id}`, `/api/v1/logs/aggregated`,
//! `/api/v1/logs/top-services`, `/api/v1/logs/top-errors`, `/api/v1/stats`.
//!
//! Every route needs a full key. Bad parameters are 400s; a cursor the store
//! cannot read is a 400 too (told apart from a store failure by asking again
//! without it), so no input makes a 500.

use std::time::Instant;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth::Access;
use super::error::ApiError;
use super::export;
use super::{AppState, int_param, query_from_params, str_param};
use crate::query::{Query, QueryPage, Stats, StatsQuery};
use crate::record::{Level, format_time};

/// Largest page.
pub const MAX_LIMIT: i64 = 1000;
/// Largest `offset` (deeper pages use the cursor, which costs nothing).
pub const MAX_OFFSET: i64 = 100_000;

/// Splits a raw query string into pairs (lenient: never fails).
pub fn pairs(raw: Option<String>) -> Vec<(String, String)> {
    let Some(raw) = raw else { return Vec::new() };
    match reqwest::Url::parse(&format!("http://q/?{raw}")) {
        Ok(u) => u
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn read_access(st: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let caller = st.keys.authorize(headers, None, Access::Full)?;
    st.limiter.check(caller)
}

/// `GET /api/v1/logs`.
///
/// The body is written straight from the records (`Record::write_json`, the
/// encoder the shipping path uses) rather than through `serde_json::Value`,
/// and the answer says in `Server-Timing` how long the store took (`store`)
/// and the encoding (`encode`), so a slow search can be pinned on one or the
/// other from the outside (bench/serve.sh prints both).
pub async fn logs(
    State(st): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    read_access(&st, &headers)?;
    let params = pairs(raw);
    let q = query_from_params(&params)?;
    let limit = int_param(&params, "limit")?.unwrap_or(100);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        )));
    }
    let offset = int_param(&params, "offset")?.unwrap_or(0);
    if !(0..=MAX_OFFSET).contains(&offset) {
        return Err(ApiError::bad_request(format!(
            "offset must be between 0 and {MAX_OFFSET} (use the cursor for deeper pages)"
        )));
    }
    let mut cursor = str_param(&params, "cursor").map(String::from);

    let t_store = Instant::now();
    // Offset pagination walks cursor pages and drops what it skips.
    let mut skip = offset as usize;
    while skip > 0 {
        let n = skip.min(MAX_LIMIT as usize);
        let page = query_page(&st, &q, cursor.as_deref(), n).await?;
        skip = skip.saturating_sub(page.records.len());
        cursor = page.next_cursor;
        if cursor.is_none() || page.records.is_empty() {
            cursor = None;
            skip = usize::MAX;
            break;
        }
    }
    let page = if skip == usize::MAX {
        QueryPage::default()
    } else {
        query_page(&st, &q, cursor.as_deref(), limit as usize).await?
    };
    let store_ms = t_store.elapsed().as_secs_f64() * 1e3;

    let t_encode = Instant::now();
    let shown = page.records.len() as u64;
    let mut body = Vec::with_capacity(
        page.records
            .iter()
            .map(|r| r.approx_size() + 1)
            .sum::<usize>()
            + 128,
    );
    body.extend_from_slice(b"{\"logs\":[");
    for (i, r) in page.records.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        r.write_json(&mut body);
    }
    let (total, estimated) = match page.total {
        Some(t) => (t, false),
        None => {
            super::total::total(&st, &q, offset as u64, shown, page.next_cursor.is_some()).await
        }
    };
    let mut tail = json!({
        "total": total,
        "hasMore": page.next_cursor.is_some(),
        "limit": limit,
        "offset": offset,
        "nextCursor": page.next_cursor,
    });
    if estimated {
        tail["totalEstimated"] = json!(true);
    }
    // `tail` is an object: splice its members after the list.
    let tail = tail.to_string();
    body.extend_from_slice(b"],");
    body.extend_from_slice(&tail.as_bytes()[1..]);
    let encode_ms = t_encode.elapsed().as_secs_f64() * 1e3;

    let timing = format!("store;dur={store_ms:.2}, encode;dur={encode_ms:.2}");
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                HeaderName::from_static("server-timing"),
                HeaderValue::from_str(&timing).expect("ASCII"),
            ),
        ],
        body,
    )
        .into_response())
}

/// `GET /api/v1/logs/export`: every match of the same terms as
/// `/api/v1/logs`, newest first (`limit`: at most that many; 0 or none:
/// all), as one chunked `application/x-ndjson` answer, compressed with zstd
/// or gzip when `Accept-Encoding` asks. Records are encoded as the store
/// gives them out, a few hundred at a time, so memory stays bounded
/// whatever the result. A client that goes away drops the answer, which
/// drops the store's read: nothing goes on (`loghub_exports` in `/metrics`
/// counts the answers being written).
pub async fn export(
    State(st): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    read_access(&st, &headers)?;
    let params = pairs(raw);
    let q = query_from_params(&params)?;
    let limit = match int_param(&params, "limit")? {
        None | Some(0) => None,
        Some(n) if n > 0 => Some(n as usize),
        Some(_) => return Err(ApiError::bad_request("limit must be 0 (all) or more")),
    };
    let encoding = export::Encoding::accepted(&headers);
    let records = st
        .backend
        .export(&q, limit)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let body = export::body(records, encoding, st.metrics.clone());
    let mut resp = axum::body::Body::from_stream(body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    if let Some(name) = encoding.name() {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(name));
    }
    Ok(resp)
}

/// `GET /api/v1/patterns`: the query parameters of `/api/v1/logs` and
/// `limit` (default 50, 0 = all); `{"patterns":[{id, template, count,
/// share, first_seen, last_seen, example, trend}]}`.
pub async fn patterns(
    State(st): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    read_access(&st, &headers)?;
    let params = pairs(raw);
    let q = query_from_params(&params)?;
    let limit = int_param(&params, "limit")?.unwrap_or(50);
    if limit < 0 {
        return Err(ApiError::bad_request("limit must be 0 (all) or more"));
    }
    let rows = st
        .backend
        .patterns(&q, limit as usize)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    Ok(axum::Json(json!({ "patterns": rows })).into_response())
}

/// One page from the backend; a failure with a cursor that goes away
/// without it is the cursor's fault (400), not the store's.
async fn query_page(
    st: &AppState,
    q: &Query,
    cursor: Option<&str>,
    limit: usize,
) -> Result<QueryPage, ApiError> {
    match st.backend.query(q, cursor, limit).await {
        Ok(p) => Ok(p),
        Err(e) => {
            if cursor.is_some() && st.backend.query(q, None, 1).await.is_ok() {
                return Err(ApiError::bad_request(format!("invalid cursor: {e:#}")));
            }
            Err(ApiError::internal(&e))
        }
    }
}

/// `GET /api/v1/logs/trace/{id}`: `{"logs":[…]}` oldest first.
pub async fn trace(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    read_access(&st, &headers)?;
    if id.trim().is_empty() || id.len() > 256 {
        return Err(ApiError::bad_request("a trace id has 1–256 characters"));
    }
    let records = st
        .backend
        .trace(&id)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    Ok(Json(json!({
        "traceId": id,
        "logs": records.iter().map(|r| r.to_json()).collect::<Vec<_>>(),
    })))
}

/// The bucket width of `interval`: `1m`, `5m`, `1h`, `1d` (any duration) or seconds.
fn interval_param(params: &[(String, String)]) -> Result<Option<i64>, ApiError> {
    let Some(v) = str_param(params, "interval") else {
        return Ok(None);
    };
    let secs = match v.parse::<i64>() {
        Ok(n) => n,
        Err(_) => humantime::parse_duration(v)
            .map_err(|_| {
                ApiError::bad_request(format!(
                    "invalid interval '{v}' (use 1m, 5m, 1h, 1d or seconds)"
                ))
            })?
            .as_secs() as i64,
    };
    if secs < 1 {
        return Err(ApiError::bad_request("interval must be at least 1s"));
    }
    Ok(Some(secs))
}

async fn run_stats(st: &AppState, params: &[(String, String)]) -> Result<Stats, ApiError> {
    let query = query_from_params(params)?;
    let top = match int_param(params, "top")?.or(int_param(params, "limit")?) {
        None => 10,
        Some(n) if (1..=MAX_LIMIT).contains(&n) => n as usize,
        Some(_) => {
            return Err(ApiError::bad_request(format!(
                "top must be between 1 and {MAX_LIMIT}"
            )));
        }
    };
    let sq = StatsQuery {
        query,
        interval: interval_param(params)?,
        top,
    };
    st.backend
        .stats(&sq)
        .await
        .map_err(|e| ApiError::internal(&e))
}

fn by_level(counts: &[u64; 5]) -> Value {
    Value::Object(
        Level::ALL
            .iter()
            .map(|l| (l.as_str().to_string(), json!(counts[l.index()])))
            .collect(),
    )
}

/// The JSON form of [`Stats`] (LogTide's keys, with loghub's extras). The
/// HTTP client reads it back into the same `Stats` (`http_read.rs`).
pub fn stats_json(s: &Stats) -> Value {
    json!({
        "from": format_time(s.since),
        "to": format_time(s.until),
        "interval_seconds": s.interval,
        "total": s.total,
        "by_level": by_level(&s.by_level),
        "timeseries": s.buckets.iter().map(|b| json!({
            "bucket": format_time(b.start),
            "total": b.total,
            "by_level": by_level(&b.by_level),
        })).collect::<Vec<_>>(),
        "top_services": top_services_json(s),
        "top_errors": top_errors_json(s),
    })
}

fn top_services_json(s: &Stats) -> Vec<Value> {
    s.top_services
        .iter()
        .map(|(name, n)| json!({"service": name, "count": n}))
        .collect()
}

fn top_errors_json(s: &Stats) -> Vec<Value> {
    s.top_errors
        .iter()
        .map(|e| {
            json!({
                "fingerprint": e.fingerprint,
                "message": e.sample,
                "count": e.count,
                "service": e.service,
                "last_seen": format_time(e.last_seen),
            })
        })
        .collect()
}

/// `GET /api/v1/logs/aggregated`.
pub async fn aggregated(
    State(st): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    read_access(&st, &headers)?;
    let s = run_stats(&st, &pairs(raw)).await?;
    Ok(Json(stats_json(&s)))
}

/// `GET /api/v1/stats`: the same answer as `aggregated`, over every filter.
pub async fn stats(
    State(st): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    aggregated(State(st), headers, RawQuery(raw)).await
}

/// `GET /api/v1/logs/top-services`.
pub async fn top_services(
    State(st): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    read_access(&st, &headers)?;
    let s = run_stats(&st, &pairs(raw)).await?;
    Ok(Json(json!({ "services": top_services_json(&s) })))
}

/// `GET /api/v1/logs/top-errors`.
pub async fn top_errors(
    State(st): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    read_access(&st, &headers)?;
    let s = run_stats(&st, &pairs(raw)).await?;
    Ok(Json(json!({ "errors": top_errors_json(&s) })))
}

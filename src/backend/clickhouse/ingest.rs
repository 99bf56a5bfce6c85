//! Writing a batch: record ids, the row form (JSONEachRow), gzip, one INSERT
//! per batch, and the de-duplication of repeated batch ids.

use std::io::Write;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{LazyLock, Mutex};

use serde::Serialize;
use serde_json::{Map, Value};

use super::ClickHouseBackend;
use super::client::{ChError, MISSING_CODES};
use super::sql::{Sql, secs_floor};
use crate::backend::{Batch, DeliveryError, IngestOutcome};
use crate::record::{Level, Record};

/// Bits below the millisecond in a record id.
pub const ID_SHIFT: u32 = 21;

/// This process's random offset in the low bits, so that two shippers that
/// take an id in the same millisecond rarely take the same one.
static NODE: LazyLock<i64> = LazyLock::new(|| i64::from(rand::random::<u8>()) << 13);
static LAST_ID: AtomicI64 = AtomicI64::new(0);
static RESERVE: Mutex<()> = Mutex::new(());

/// Reserves `n` consecutive ids: `ms << 21 | node << 13 | seq`, strictly
/// increasing within the process. Returns the first.
pub fn reserve_ids(n: usize) -> i64 {
    let _g = RESERVE.lock().unwrap_or_else(|p| p.into_inner());
    let now = (crate::record::now_micros() / 1000) << ID_SHIFT | *NODE;
    let first = now.max(LAST_ID.load(Ordering::Relaxed) + 1);
    LAST_ID.store(first + n as i64 - 1, Ordering::Relaxed);
    first
}

#[derive(Serialize)]
struct Row<'a> {
    id: i64,
    time_us: i64,
    ts: i64,
    level: &'static str,
    service: &'a str,
    host: &'a str,
    message: &'a str,
    trace_id: &'a str,
    span_id: &'a str,
    metadata: String,
    meta_keys: Vec<String>,
    meta_values: Vec<String>,
    fingerprint: String,
    batch_id: &'a str,
}

/// Appends the JSONEachRow form of one record.
pub fn write_row(out: &mut Vec<u8>, r: &Record, id: i64, batch_id: &str) {
    let (meta_keys, meta_values) = flatten(&r.metadata);
    let row = Row {
        id,
        time_us: r.time,
        ts: secs_floor(r.time).clamp(0, i64::from(u32::MAX)),
        level: r.level.as_str(),
        service: &r.service,
        host: &r.host,
        message: &r.message,
        trace_id: r.trace_id.as_deref().unwrap_or(""),
        span_id: r.span_id.as_deref().unwrap_or(""),
        metadata: serde_json::to_string(&r.metadata).expect("a map always serializes"),
        meta_keys,
        meta_values,
        // Only errors are grouped for "top errors"; the regex costs time.
        fingerprint: if r.level >= Level::Error {
            crate::query::fingerprint::fingerprint(&r.message)
        } else {
            String::new()
        },
        batch_id,
    };
    serde_json::to_writer(&mut *out, &row).expect("writing to a Vec cannot fail");
    out.push(b'\n');
}

/// Metadata as (dotted path, text) pairs with the semantics of
/// `query::metadata_value`: top-level keys first (a literal `a.b` key wins
/// over the nested path), strings unquoted, other values as JSON.
pub fn flatten(meta: &Map<String, Value>) -> (Vec<String>, Vec<String>) {
    let mut keys = Vec::new();
    let mut values = Vec::new();
    for (k, v) in meta {
        keys.push(k.clone());
        values.push(text(v));
    }
    fn nested(
        prefix: &str,
        v: &Value,
        depth: usize,
        keys: &mut Vec<String>,
        values: &mut Vec<String>,
    ) {
        if depth > 16 {
            return;
        }
        if let Value::Object(m) = v {
            for (k, v) in m {
                let path = format!("{prefix}.{k}");
                keys.push(path.clone());
                values.push(text(v));
                nested(&path, v, depth + 1, keys, values);
            }
        }
    }
    for (k, v) in meta {
        nested(k, v, 0, &mut keys, &mut values);
    }
    (keys, values)
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl ClickHouseBackend {
    pub(super) async fn ch_ingest(&self, batch: &Batch) -> Result<IngestOutcome, DeliveryError> {
        if batch.records.is_empty() {
            return Ok(IngestOutcome::default());
        }
        let srv = self.server().await.map_err(|e| e.delivery())?;
        if !srv.features.dedup_token
            && let Some(n) = self.stored_count(batch).await.map_err(|e| e.delivery())?
        {
            tracing::debug!(batch = %batch.id, n, "batch already stored; not inserting again");
            return Ok(IngestOutcome {
                accepted: batch.records.len(),
                ..IngestOutcome::default()
            });
        }
        // Ids are taken per attempt: a retried or replayed batch gets fresh
        // ids, so `tail` (which polls recent ids) sees it when it lands.
        let mut body = Vec::with_capacity(batch.records.len() * 400);
        let first = reserve_ids(batch.records.len());
        for (i, r) in batch.records.iter().enumerate() {
            write_row(&mut body, r, first + i as i64, &batch.id);
        }
        let mut gz = flate2::write::GzEncoder::new(
            Vec::with_capacity(body.len() / 4),
            flate2::Compression::fast(),
        );
        gz.write_all(&body)
            .and_then(|_| gz.flush())
            .map_err(|e| DeliveryError::Fatal(format!("compressing a batch: {e}")))?;
        let gz = gz
            .finish()
            .map_err(|e| DeliveryError::Fatal(format!("compressing a batch: {e}")))?;
        let wire_bytes = gz.len() as u64;

        let statement = format!("INSERT INTO {} FORMAT JSONEachRow", self.table());
        let mut settings: Vec<(&str, &str)> = Vec::new();
        if srv.features.dedup_token {
            settings.push(("insert_deduplication_token", &batch.id));
        }
        if srv.distributed {
            // The ack must mean stored on the shard, not queued locally.
            settings.push(("insert_distributed_sync", "1"));
        }
        let mut result = self.client.insert(&statement, &settings, gz.clone()).await;
        if let Err(e) = &result
            && e.code().is_some_and(|c| MISSING_CODES.contains(&c))
        {
            // Dropped under us: create it again and repeat once.
            self.create_schema(&srv.features, self.client.url().cluster.as_deref())
                .await
                .map_err(|e| e.delivery())?;
            result = self.client.insert(&statement, &settings, gz).await;
        }
        result.map_err(|e| e.delivery())?;
        Ok(IngestOutcome {
            accepted: batch.records.len(),
            rejected: Vec::new(),
            wire_bytes,
        })
    }

    /// On servers without insert tokens: how many rows of this batch id are
    /// already stored (`None` if none). The batch's own time range bounds the
    /// scan through the primary key, so this stays cheap on a large table.
    async fn stored_count(&self, batch: &Batch) -> Result<Option<u64>, ChError> {
        let lo = batch.records.iter().map(|r| r.time).min().unwrap_or(0);
        let hi = batch.records.iter().map(|r| r.time).max().unwrap_or(0);
        let mut sql = Sql::new(false);
        sql.push("SELECT count() FROM ")
            .push(&self.table())
            .push(" WHERE ts >= toDateTime(")
            .int(secs_floor(lo).clamp(0, i64::from(u32::MAX)))
            .push(") AND ts <= toDateTime(")
            .int(secs_floor(hi).clamp(0, i64::from(u32::MAX)))
            .push(") AND batch_id = ")
            .str(&batch.id);
        let body = match self.client.exec(&sql, &[]).await {
            Err(e) if e.code().is_some_and(|c| MISSING_CODES.contains(&c)) => return Ok(None),
            other => other?,
        };
        let n: u64 = body.trim().parse().unwrap_or(0);
        Ok((n > 0).then_some(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_increase_and_encode_the_millisecond() {
        let a = reserve_ids(1000);
        let b = reserve_ids(1);
        assert!(b >= a + 1000);
        let now_ms = crate::record::now_micros() / 1000;
        assert!((now_ms - (b >> ID_SHIFT)).abs() < 5_000);
    }

    #[test]
    fn flatten_follows_metadata_value() {
        let meta: Map<String, Value> = serde_json::from_str(
            r#"{"user":{"id":42,"name":"ann"},"a.b":"literal","a":{"b":"nested"},"ok":true}"#,
        )
        .unwrap();
        let (k, v) = flatten(&meta);
        let lookup = |key: &str| k.iter().position(|x| x == key).map(|i| v[i].clone());
        for key in ["user.id", "user.name", "a.b", "ok", "user"] {
            assert_eq!(
                lookup(key),
                crate::query::metadata_value(&meta, key),
                "{key}"
            );
        }
        assert_eq!(lookup("user.id").as_deref(), Some("42"));
        assert_eq!(lookup("a.b").as_deref(), Some("literal"));
    }
}

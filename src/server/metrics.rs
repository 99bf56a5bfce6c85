//! The server's counters and their Prometheus text form (`GET /metrics`):
//! records and bytes ingested, rejected records, requests by route and
//! status, open SSE streams and the store's size on disk.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub struct Metrics {
    pub records_ingested: AtomicU64,
    /// Request body bytes as received (before decompression).
    pub bytes_received: AtomicU64,
    /// Request body bytes after decompression.
    pub bytes_decoded: AtomicU64,
    pub records_rejected: AtomicU64,
    pub idempotent_replays: AtomicU64,
    pub sse_clients: AtomicU64,
    pub sse_disconnects_lagged: AtomicU64,
    /// Export answers being written (`read::export`).
    pub exports: AtomicU64,
    requests: Mutex<BTreeMap<(String, u16), u64>>,
}

impl Metrics {
    pub fn count_request(&self, route: &str, status: u16) {
        let mut m = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        *m.entry((route.to_string(), status)).or_insert(0) += 1;
    }

    /// The Prometheus exposition text. `store` is the store file, whose size
    /// (with its WAL) is reported when known.
    pub fn render(&self, store: Option<&PathBuf>) -> String {
        let mut out = String::with_capacity(2048);
        let counter = |out: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
            );
        };
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        counter(
            &mut out,
            "loghub_records_ingested_total",
            "Records stored through the ingest routes.",
            load(&self.records_ingested),
        );
        counter(
            &mut out,
            "loghub_ingest_bytes_total",
            "Request body bytes received by the ingest routes (on the wire).",
            load(&self.bytes_received),
        );
        counter(
            &mut out,
            "loghub_ingest_decoded_bytes_total",
            "Request body bytes of the ingest routes after decompression.",
            load(&self.bytes_decoded),
        );
        counter(
            &mut out,
            "loghub_records_rejected_total",
            "Records refused by per-record validation.",
            load(&self.records_rejected),
        );
        counter(
            &mut out,
            "loghub_idempotent_replays_total",
            "Ingest requests answered from an earlier request with the same Idempotency-Key.",
            load(&self.idempotent_replays),
        );
        counter(
            &mut out,
            "loghub_sse_lagged_disconnects_total",
            "Live-tail clients disconnected for falling too far behind.",
            load(&self.sse_disconnects_lagged),
        );
        let _ = writeln!(
            out,
            "# HELP loghub_sse_clients Open live-tail streams.\n# TYPE loghub_sse_clients gauge\nloghub_sse_clients {}",
            load(&self.sse_clients)
        );
        let _ = writeln!(
            out,
            "# HELP loghub_exports Export answers being written.\n# TYPE loghub_exports gauge\nloghub_exports {}",
            load(&self.exports)
        );
        let _ = writeln!(
            out,
            "# HELP loghub_http_requests_total HTTP requests by route and status.\n# TYPE loghub_http_requests_total counter"
        );
        for ((route, status), n) in self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "loghub_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        if let Some(path) = store {
            let size: u64 = ["", "-wal", "-shm"]
                .iter()
                .filter_map(|suffix| {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    std::fs::metadata(p).ok().map(|m| m.len())
                })
                .sum();
            let _ = writeln!(
                out,
                "# HELP loghub_store_bytes Size of the store on disk (with its WAL).\n# TYPE loghub_store_bytes gauge\nloghub_store_bytes {size}"
            );
        }
        out
    }
}

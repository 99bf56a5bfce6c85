//! Counters of one `send` (or `dlq replay`) run, shared by every stage, and the
//! end-of-run summary built from them (SPEC §3 "Ending").

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use serde::Serialize;

/// Live counters; every stage adds to them.
#[derive(Debug)]
pub struct Metrics {
    pub started: Instant,
    /// Input lines read (blank ones included).
    pub lines: AtomicU64,
    /// Input bytes read.
    pub bytes_in: AtomicU64,
    pub blank_lines: AtomicU64,
    pub invalid_utf8_lines: AtomicU64,
    pub truncated_lines: AtomicU64,
    /// Records made by the parser.
    pub records: AtomicU64,
    /// Records dropped by `--min-level`.
    pub filtered: AtomicU64,
    /// Records acknowledged by the target.
    pub delivered: AtomicU64,
    /// Batches acknowledged.
    pub batches: AtomicU64,
    /// Uncompressed bytes of delivered batches (JSON form).
    pub bytes_raw: AtomicU64,
    /// Bytes on the wire (after compression), all attempts.
    pub bytes_wire: AtomicU64,
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    /// Records written to the DLQ (not delivered by this run).
    pub spooled: AtomicU64,
    /// Records written to the spool and later delivered by this same run.
    pub unspooled: AtomicU64,
    /// Records that earlier runs had left in the spool, delivered by this run.
    pub resent: AtomicU64,
    /// Records refused for good (in `rejected/`).
    pub rejected: AtomicU64,
    /// Records dropped by `--on-full drop-*`, or that could be kept nowhere
    /// (the target refused them and the DLQ could not be written).
    pub dropped: AtomicU64,
    pub breaker_trips: AtomicU64,
    latencies_us: Mutex<Vec<u32>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Most request latencies kept for percentiles (a reservoir beyond that).
const MAX_SAMPLES: usize = 100_000;

impl Metrics {
    pub fn new() -> Self {
        Metrics {
            started: Instant::now(),
            lines: AtomicU64::new(0),
            bytes_in: AtomicU64::new(0),
            blank_lines: AtomicU64::new(0),
            invalid_utf8_lines: AtomicU64::new(0),
            truncated_lines: AtomicU64::new(0),
            records: AtomicU64::new(0),
            filtered: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            batches: AtomicU64::new(0),
            bytes_raw: AtomicU64::new(0),
            bytes_wire: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            spooled: AtomicU64::new(0),
            unspooled: AtomicU64::new(0),
            resent: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            breaker_trips: AtomicU64::new(0),
            latencies_us: Mutex::new(Vec::new()),
        }
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }

    /// Records one request's latency.
    pub fn observe_latency(&self, d: Duration) {
        let us = d.as_micros().min(u32::MAX as u128) as u32;
        let mut v = self.latencies_us.lock().unwrap_or_else(|p| p.into_inner());
        if v.len() < MAX_SAMPLES {
            v.push(us);
        } else {
            let n = self.requests.load(Relaxed).max(1);
            let i = rand::random_range(0..n) as usize;
            if i < MAX_SAMPLES {
                v[i] = us;
            }
        }
    }

    /// A snapshot for the summary.
    pub fn summary(&self) -> Summary {
        let g = |c: &AtomicU64| c.load(Relaxed);
        let elapsed = self.started.elapsed();
        let mut lat = self
            .latencies_us
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        lat.sort_unstable();
        let pct = |p: f64| -> Option<f64> {
            if lat.is_empty() {
                None
            } else {
                let i = ((lat.len() as f64 - 1.0) * p).round() as usize;
                Some(lat[i] as f64 / 1000.0)
            }
        };
        let secs = elapsed.as_secs_f64().max(1e-9);
        Summary {
            lines: g(&self.lines),
            bytes_in: g(&self.bytes_in),
            blank_lines: g(&self.blank_lines),
            invalid_utf8_lines: g(&self.invalid_utf8_lines),
            truncated_lines: g(&self.truncated_lines),
            records: g(&self.records),
            filtered: g(&self.filtered),
            delivered: g(&self.delivered),
            batches: g(&self.batches),
            bytes_raw: g(&self.bytes_raw),
            bytes_wire: g(&self.bytes_wire),
            requests: g(&self.requests),
            retries: g(&self.retries),
            spooled: g(&self.spooled).saturating_sub(g(&self.unspooled)),
            resent: g(&self.resent),
            rejected: g(&self.rejected),
            dropped: g(&self.dropped),
            breaker_trips: g(&self.breaker_trips),
            elapsed_secs: elapsed.as_secs_f64(),
            records_per_sec: g(&self.records) as f64 / secs,
            mib_per_sec: g(&self.bytes_in) as f64 / secs / 1048576.0,
            latency_p50_ms: pct(0.50),
            latency_p99_ms: pct(0.99),
        }
    }
}

/// The end-of-run summary (also `--stats-json`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    pub lines: u64,
    pub bytes_in: u64,
    pub blank_lines: u64,
    pub invalid_utf8_lines: u64,
    pub truncated_lines: u64,
    pub records: u64,
    pub filtered: u64,
    pub delivered: u64,
    pub batches: u64,
    pub bytes_raw: u64,
    pub bytes_wire: u64,
    pub requests: u64,
    pub retries: u64,
    pub spooled: u64,
    /// Records of earlier runs' spool files delivered by this run.
    pub resent: u64,
    pub rejected: u64,
    pub dropped: u64,
    pub breaker_trips: u64,
    pub elapsed_secs: f64,
    pub records_per_sec: f64,
    pub mib_per_sec: f64,
    pub latency_p50_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
}

impl Summary {
    /// The human form, a few lines for stderr: counts with thousands
    /// separators and plurals that agree.
    pub fn render(&self, target: &str) -> String {
        use crate::output::{count, plural};
        let mut s = format!(
            "loghub: sent {} of {} to {target} in {} ({:.2}s, {} records/s, {:.1} MiB/s)\n",
            count(self.delivered),
            plural(self.records, "record", "records"),
            plural(self.batches, "batch", "batches"),
            self.elapsed_secs,
            count(self.records_per_sec.round() as u64),
            self.mib_per_sec
        );
        if self.resent > 0 {
            s += &format!(
                "  also re-sent {} left by an earlier run\n",
                plural(self.resent, "record", "records")
            );
        }
        s += &format!(
            "  {} (blank {}, invalid UTF-8 {}, truncated {}), {} read, {} delivered as JSON, {} on the wire\n",
            plural(self.lines, "line", "lines"),
            count(self.blank_lines),
            count(self.invalid_utf8_lines),
            count(self.truncated_lines),
            plural(self.bytes_in, "byte", "bytes"),
            plural(self.bytes_raw, "byte", "bytes"),
            plural(self.bytes_wire, "byte", "bytes"),
        );
        s += &format!(
            "  retries {}, spooled {}, rejected {}, dropped {}, below --min-level {}, breaker trips {}",
            count(self.retries),
            count(self.spooled),
            count(self.rejected),
            count(self.dropped),
            count(self.filtered),
            count(self.breaker_trips)
        );
        if let (Some(p50), Some(p99)) = (self.latency_p50_ms, self.latency_p99_ms) {
            s += &format!(", latency p50 {p50:.1} ms p99 {p99:.1} ms");
        }
        s.push('\n');
        s
    }
}

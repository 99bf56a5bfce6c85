//! Reading requests: the `Query` every reading command and route builds, the
//! `key=value` term grammar of SPEC §5 that produces it, and the fingerprints
//! that group top errors.
//!
//! A `Query` is backend-neutral: full-text terms are plain data that each
//! backend quotes for its own engine (never passed through as query syntax).

pub mod fingerprint;
pub mod terms;

use crate::record::{Level, Micros, Record};

/// What to read. Every field is a filter; all given filters must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    /// Full-text terms; every one must occur in the message (case-insensitive,
    /// whole tokens or prefixes as the backend's index allows).
    pub text: Vec<String>,
    /// Allowed levels; empty means all.
    pub levels: Vec<Level>,
    /// Allowed services; empty means all.
    pub services: Vec<String>,
    /// Allowed hosts; empty means all.
    pub hosts: Vec<String>,
    pub trace_id: Option<String>,
    /// Records whose trace id starts with this (`loghub trace 4bf92f35`).
    pub trace_prefix: Option<String>,
    /// Inclusive lower bound on `time`.
    pub since: Option<Micros>,
    /// Exclusive upper bound on `time`.
    pub until: Option<Micros>,
    /// Metadata equality filters: `key` (dotted path for nesting) = `value`
    /// compared as text.
    pub metadata: Vec<(String, String)>,
    /// Numeric comparisons on metadata (`duration_ms>1000`).
    pub compare: Vec<MetaCompare>,

    /// Allowed patterns (`pattern=ID`, SPEC §10); empty means all. A store
    /// widens each id to every stored id that now maps to its template.
    pub patterns: Vec<crate::pattern::PatternId>,
    /// How many records to return in all; `None` for the command's default,
    /// `Some(0)` for all.
    pub limit: Option<usize>,
}

impl Query {
    /// Whether a record satisfies every filter (used where a backend filters in
    /// memory, e.g. live tail fan-out, and by tests as the reference).
    pub fn matches(&self, r: &Record) -> bool {
        if !self.levels.is_empty() && !self.levels.contains(&r.level) {
            return false;
        }
        if !self.services.is_empty() && !self.services.contains(&r.service) {
            return false;
        }
        if !self.hosts.is_empty() && !self.hosts.contains(&r.host) {
            return false;
        }
        if let Some(t) = &self.trace_id
            && r.trace_id.as_deref() != Some(t.as_str())
        {
            return false;
        }
        if let Some(p) = &self.trace_prefix
            && !r
                .trace_id
                .as_deref()
                .is_some_and(|t| t.starts_with(p.as_str()))
        {
            return false;
        }
        if self.since.is_some_and(|s| r.time < s) || self.until.is_some_and(|u| r.time >= u) {
            return false;
        }
        if !self.patterns.is_empty() && !r.pattern.is_some_and(|p| self.patterns.contains(&p)) {
            return false;
        }
        if !self.text.is_empty() {
            let msg = r.message.to_lowercase();
            if !self.text.iter().all(|t| msg.contains(&t.to_lowercase())) {
                return false;
            }
        }
        self.metadata
            .iter()
            .all(|(k, v)| metadata_value(&r.metadata, k).is_some_and(|m| m == *v))
            && self.compare.iter().all(|c| c.holds(&r.metadata))
    }
}

/// `>`, `>=`, `<`, `<=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Gt,
    Ge,
    Lt,
    Le,
}

impl CmpOp {
    /// The operator as written in terms and SQL.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
        }
    }

    pub fn parse(s: &str) -> Option<CmpOp> {
        Some(match s {
            ">" => CmpOp::Gt,
            ">=" => CmpOp::Ge,
            "<" => CmpOp::Lt,
            "<=" => CmpOp::Le,
            _ => return None,
        })
    }
}

/// A numeric comparison on a metadata value (dotted path). A value holds
/// when it is a number, or a string that reads as one (records stored
/// before logfmt values were typed); anything else does not match.
#[derive(Debug, Clone, PartialEq)]
pub struct MetaCompare {
    pub key: String,
    pub op: CmpOp,
    pub value: f64,
}

impl MetaCompare {
    pub fn holds(&self, meta: &serde_json::Map<String, serde_json::Value>) -> bool {
        let Some(text) = metadata_value(meta, &self.key) else {
            return false;
        };
        let Ok(n) = text.parse::<f64>() else {
            return false;
        };
        match self.op {
            CmpOp::Gt => n > self.value,
            CmpOp::Ge => n >= self.value,
            CmpOp::Lt => n < self.value,
            CmpOp::Le => n <= self.value,
        }
    }
}

/// Looks up a dotted path in metadata and renders the value as text
/// (strings unquoted, other scalars in JSON form).
pub fn metadata_value(
    meta: &serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> Option<String> {
    let mut cur = meta.get(key).or_else(|| {
        let (head, _) = key.split_once('.')?;
        meta.get(head)
    })?;
    if meta.get(key).is_none() {
        for part in key.split('.').skip(1) {
            cur = cur.get(part)?;
        }
    }
    Some(match cur {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

/// A page of results, newest first.
#[derive(Debug, Clone, Default)]
pub struct QueryPage {
    pub records: Vec<Record>,
    /// Total matches where the backend knows it cheaply.
    pub total: Option<u64>,
    /// Opaque cursor for the next (older) page; `None` at the end.
    pub next_cursor: Option<String>,
}

/// Aggregation request: the filters of `query`, bucketed by `interval`.
#[derive(Debug, Clone, Default)]
pub struct StatsQuery {
    pub query: Query,
    /// Bucket width in seconds; `None` lets the caller's default apply.
    pub interval: Option<i64>,
    /// How many top services / top errors to return.
    pub top: usize,
}

/// One time bucket.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Bucket {
    /// Bucket start, µs since epoch.
    pub start: Micros,
    pub total: u64,
    /// Counts per level, indexed by `Level::index()`.
    pub by_level: [u64; 5],
}

/// A group of similar error messages.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TopError {
    pub fingerprint: String,
    /// One real message of the group.
    pub sample: String,
    pub count: u64,
    pub service: String,
    pub last_seen: Micros,
}

/// One template in `loghub patterns`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PatternRow {
    /// The template's current id (16 hex digits).
    pub id: String,
    pub template: String,
    pub count: u64,
    /// `count` as a fraction of all matching records.
    pub share: f64,
    pub first_seen: String,
    pub last_seen: String,
    /// One real message of the template.
    pub example: String,
    /// Counts in equal slices of the window, oldest first.
    pub trend: Vec<u64>,
}

/// Aggregated counts.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Stats {
    pub interval: i64,
    pub since: Micros,
    pub until: Micros,
    pub total: u64,
    pub by_level: [u64; 5],
    pub buckets: Vec<Bucket>,
    pub top_services: Vec<(String, u64)>,
    pub top_errors: Vec<TopError>,
}

/// Picks a bucket width (seconds) that gives at most ~60 buckets for a range.
pub fn default_interval(range_secs: i64) -> i64 {
    const STEPS: [i64; 9] = [
        60,
        300,
        900,
        3600,
        3 * 3600,
        6 * 3600,
        12 * 3600,
        86400,
        7 * 86400,
    ];
    STEPS
        .iter()
        .copied()
        .find(|s| range_secs / s <= 60)
        .unwrap_or(7 * 86400)
}

//! The record: loghub's one model of a log event (SPEC §2), its level enum and
//! its JSON form.
//!
//! The JSON form is the one shipped to and served by the HTTP API (SPEC §4):
//! keys `id time service level message host metadata traceId spanId`, `time` as
//! RFC 3339 UTC with microseconds. Times are kept as microseconds since the Unix
//! epoch so that sorting, bucketing and storing never re-parse them.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::{self, Deserializer};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Microseconds since the Unix epoch, UTC.
pub type Micros = i64;

/// Severity, LogTide's five levels, ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Level {
    Debug,
    #[default]
    Info,
    Warn,
    Error,
    Critical,
}

impl Level {
    pub const ALL: [Level; 5] = [
        Level::Debug,
        Level::Info,
        Level::Warn,
        Level::Error,
        Level::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
            Level::Critical => "critical",
        }
    }

    /// Index 0..5, for per-level counters.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Maps any level name seen in the wild (case-insensitive) to a level:
    /// trace/verbose→debug, notice→info, warning→warn, err/severe→error,
    /// fatal/crit/alert/emerg/panic→critical.
    pub fn from_name(name: &str) -> Option<Level> {
        let mut buf = [0u8; 16];
        let bytes = name.trim().as_bytes();
        if bytes.is_empty() || bytes.len() > buf.len() {
            return None;
        }
        for (d, s) in buf.iter_mut().zip(bytes) {
            *d = s.to_ascii_lowercase();
        }
        Some(match &buf[..bytes.len()] {
            b"trace" | b"debug" | b"dbg" | b"verbose" | b"finest" | b"finer" | b"fine" | b"d"
            | b"v" | b"t" => Level::Debug,
            b"info" | b"information" | b"informational" | b"notice" | b"inf" | b"i" | b"n"
            | b"config" => Level::Info,
            b"warn" | b"warning" | b"wrn" | b"w" => Level::Warn,
            b"error" | b"err" | b"severe" | b"e" | b"eror" => Level::Error,
            b"fatal" | b"crit" | b"critical" | b"alert" | b"emerg" | b"emergency" | b"panic"
            | b"f" | b"c" | b"a" => Level::Critical,
            _ => return None,
        })
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Level::from_name(s).ok_or_else(|| {
            format!("unknown level '{s}' (expected debug, info, warn, error or critical)")
        })
    }
}

impl Serialize for Level {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Level {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(de::Error::custom)
    }
}

/// One log event.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Record {
    /// Assigned by a store; monotonically increasing, used by cursors and SSE.
    pub id: Option<i64>,
    pub time: Micros,
    pub level: Level,
    pub service: String,
    pub message: String,
    pub host: String,
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
    pub metadata: Map<String, Value>,
}

/// Formats microseconds as RFC 3339 UTC with exactly six fractional digits.
pub fn format_time(t: Micros) -> String {
    match DateTime::<Utc>::from_timestamp_micros(t) {
        Some(dt) => dt.to_rfc3339_opts(SecondsFormat::Micros, true),
        None => "1970-01-01T00:00:00.000000Z".to_string(),
    }
}

/// Parses an RFC 3339 time into microseconds.
pub fn parse_rfc3339(s: &str) -> Option<Micros> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc).timestamp_micros())
}

/// The current time in microseconds.
pub fn now_micros() -> Micros {
    Utc::now().timestamp_micros()
}

impl Record {
    /// The JSON object of this record (the API's form).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("a record always serializes")
    }

    /// Appends this record as one line of JSON (no newline) to `out`.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        serde_json::to_writer(&mut *out, self).expect("writing to a Vec cannot fail");
    }

    /// Bytes of the record's JSON form, estimated cheaply (for batch sizing).
    pub fn approx_size(&self) -> usize {
        96 + self.message.len()
            + self.service.len()
            + self.host.len()
            + self.trace_id.as_ref().map_or(0, |s| s.len())
            + self.span_id.as_ref().map_or(0, |s| s.len())
            + if self.metadata.is_empty() {
                0
            } else {
                32 * self.metadata.len()
            }
    }
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = 6
            + usize::from(self.id.is_some())
            + usize::from(self.trace_id.is_some())
            + usize::from(self.span_id.is_some());
        let mut m = s.serialize_map(Some(n))?;
        if let Some(id) = self.id {
            m.serialize_entry("id", &id)?;
        }
        m.serialize_entry("time", &format_time(self.time))?;
        m.serialize_entry("service", &self.service)?;
        m.serialize_entry("level", &self.level)?;
        m.serialize_entry("message", &self.message)?;
        m.serialize_entry("host", &self.host)?;
        m.serialize_entry("metadata", &self.metadata)?;
        if let Some(t) = &self.trace_id {
            m.serialize_entry("traceId", t)?;
        }
        if let Some(t) = &self.span_id {
            m.serialize_entry("spanId", t)?;
        }
        m.end()
    }
}

/// The strict wire form: what `loghub send` ships and what stores return.
/// (The lenient mapping of foreign shapes lives in `parse::json`.)
#[derive(Deserialize)]
struct Wire {
    #[serde(default)]
    id: Option<i64>,
    time: String,
    #[serde(default)]
    level: Level,
    service: String,
    message: String,
    #[serde(default)]
    host: String,
    #[serde(default)]
    metadata: Map<String, Value>,
    #[serde(default, alias = "trace_id")]
    #[serde(rename = "traceId")]
    trace_id: Option<String>,
    #[serde(default, alias = "span_id")]
    #[serde(rename = "spanId")]
    span_id: Option<String>,
}

impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = Wire::deserialize(d)?;
        let time = parse_rfc3339(&w.time)
            .ok_or_else(|| de::Error::custom(format!("invalid time '{}'", w.time)))?;
        Ok(Record {
            id: w.id,
            time,
            level: w.level,
            service: w.service,
            message: w.message,
            host: w.host,
            trace_id: w.trace_id,
            span_id: w.span_id,
            metadata: w.metadata,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_keeps_every_field() {
        let mut metadata = Map::new();
        metadata.insert("user_id".into(), Value::from(42));
        let r = Record {
            id: Some(7),
            time: 1_700_000_000_123_456,
            level: Level::Error,
            service: "shop".into(),
            message: "payment timeout".into(),
            host: "web-1".into(),
            trace_id: Some("4bf92f3577b34da6a3ce929d0e0e4736".into()),
            span_id: None,
            metadata,
        };
        let s = serde_json::to_string(&r).unwrap();
        assert!(s.contains(r#""time":"2023-11-14T22:13:20.123456Z""#), "{s}");
        assert!(s.contains(r#""traceId":"4bf92f3577b34da6a3ce929d0e0e4736""#));
        assert!(!s.contains("spanId"));
        let back: Record = serde_json::from_str(&s).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn level_names_map_as_the_spec_says() {
        for (name, level) in [
            ("TRACE", Level::Debug),
            ("verbose", Level::Debug),
            ("notice", Level::Info),
            ("Warning", Level::Warn),
            ("err", Level::Error),
            ("SEVERE", Level::Error),
            ("fatal", Level::Critical),
            ("emerg", Level::Critical),
            ("panic", Level::Critical),
        ] {
            assert_eq!(Level::from_name(name), Some(level), "{name}");
        }
        assert_eq!(Level::from_name("loud"), None);
        assert!(Level::Warn > Level::Info);
    }
}

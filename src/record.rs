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
    /// The record's pattern (SPEC §10), as a store that mined it reports it.
    pub pattern: Option<crate::pattern::PatternId>,
}

/// Formats microseconds as RFC 3339 UTC with exactly six fractional digits.
pub fn format_time(t: Micros) -> String {
    let mut out = Vec::with_capacity(27);
    write_time(&mut out, t);
    String::from_utf8(out).expect("a formatted time is ASCII")
}

/// First and last microsecond of years 0000 … 9999, the years written with
/// four digits (others go through chrono, which signs and widens them).
const FAST_TIME_MIN: Micros = -62_167_219_200_000_000;
const FAST_TIME_MAX: Micros = 253_402_300_799_999_999;

/// The times a record may carry: years 0000 … 9999, what RFC 3339 writes
/// and every store reads back. Ingest rejects a record outside it (an ack
/// means readable), and `since`/`until` outside it are usage errors.
pub const TIME_RANGE: std::ops::RangeInclusive<Micros> = FAST_TIME_MIN..=FAST_TIME_MAX;

/// Appends [`format_time`]'s text to `out`. Hand-written for the years 0–9999
/// because it runs once per shipped record, where chrono's general formatter
/// cost more than the rest of the record's encoding.
pub fn write_time(out: &mut Vec<u8>, t: Micros) {
    if !(FAST_TIME_MIN..=FAST_TIME_MAX).contains(&t) {
        let s = match DateTime::<Utc>::from_timestamp_micros(t) {
            Some(dt) => dt.to_rfc3339_opts(SecondsFormat::Micros, true),
            None => "1970-01-01T00:00:00.000000Z".to_string(),
        };
        out.extend_from_slice(s.as_bytes());
        return;
    }
    let secs = t.div_euclid(1_000_000);
    let micros = t.rem_euclid(1_000_000) as u32;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400) as u32;
    let (y, m, d) = civil_from_days(days);
    let mut b = *b"0000-00-00T00:00:00.000000Z";
    let mut put = |at: usize, width: usize, mut v: u32| {
        for k in (at..at + width).rev() {
            b[k] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, y as u32);
    put(5, 2, m);
    put(8, 2, d);
    put(11, 2, sod / 3600);
    put(14, 2, sod / 60 % 60);
    put(17, 2, sod % 60);
    put(20, 6, micros);
    out.extend_from_slice(&b);
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Hinnant's
/// algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Appends `s` as a JSON string, escaped exactly as serde_json escapes it
/// (`"`, `\\`, and control characters; nothing else).
pub fn write_json_str(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    out.reserve(b.len() + 2);
    out.push(b'"');
    let mut run = 0;
    let mut i = 0;
    // Sixteen, then eight bytes at a time while none needs escaping (most
    // text never does).
    while i + 16 <= b.len() {
        let w1 = u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        let w2 = u64::from_le_bytes(b[i + 8..i + 16].try_into().expect("8 bytes"));
        if escape_bits(w1) | escape_bits(w2) != 0 {
            break;
        }
        i += 16;
    }
    while i + 8 <= b.len() {
        let w = u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        if !needs_escape(w) {
            i += 8;
            continue;
        }
        for k in i..i + 8 {
            if let Some(esc) = escape(b[k]) {
                out.extend_from_slice(&b[run..k]);
                push_escape(out, b[k], esc);
                run = k + 1;
            }
        }
        i += 8;
    }
    for k in i..b.len() {
        if let Some(esc) = escape(b[k]) {
            out.extend_from_slice(&b[run..k]);
            push_escape(out, b[k], esc);
            run = k + 1;
        }
    }
    out.extend_from_slice(&b[run..]);
    out.push(b'"');
}

/// Whether any byte of `w` is a control character, `"` or `\\`.
#[inline]
fn needs_escape(w: u64) -> bool {
    escape_bits(w) != 0
}

/// Non-zero exactly when some byte of `w` needs escaping (the classic exact
/// "has a byte below n" test, for 0x20, and for zero after xor with `"` and
/// `\\`).
#[inline]
fn escape_bits(w: u64) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let below = |v: u64, n: u64| v.wrapping_sub(LO * n) & !v & HI;
    below(w, 0x20) | below(w ^ (LO * u64::from(b'"')), 1) | below(w ^ (LO * u64::from(b'\\')), 1)
}

/// The escape of one byte: its letter (`n` for `\\n` …), `u` for `\\u00XX`.
#[inline]
fn escape(c: u8) -> Option<u8> {
    Some(match c {
        b'"' => b'"',
        b'\\' => b'\\',
        0x08 => b'b',
        0x0c => b'f',
        b'\n' => b'n',
        b'\r' => b'r',
        b'\t' => b't',
        0..=0x1f => b'u',
        _ => return None,
    })
}

fn push_escape(out: &mut Vec<u8>, c: u8, esc: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    if esc == b'u' {
        out.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[usize::from(c >> 4)],
            HEX[usize::from(c & 0xf)],
        ]);
    } else {
        out.extend_from_slice(&[b'\\', esc]);
    }
}

/// Appends a JSON value as serde_json writes it (compact; object keys in the
/// map's order).
pub fn write_json_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            serde_json::to_writer(&mut *out, n).expect("writing to a Vec cannot fail")
        }
        Value::String(s) => write_json_str(out, s),
        Value::Array(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json_value(out, x);
            }
            out.push(b']');
        }
        Value::Object(o) => write_json_map(out, o),
    }
}

fn write_json_map(out: &mut Vec<u8>, m: &Map<String, Value>) {
    out.push(b'{');
    for (i, (k, x)) in m.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_json_str(out, k);
        out.push(b':');
        write_json_value(out, x);
    }
    out.push(b'}');
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

    /// Appends this record as one line of JSON (no newline) to `out`: the
    /// same bytes as its `Serialize` form, written directly because every
    /// shipped record goes through here.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        self.write_json_keys(out, b",\"traceId\":", b",\"spanId\":");
    }

    /// The record as the CLI prints it (`query`, `trace`, `tail` with
    /// `--output json|ndjson`): SPEC §2's snake_case `trace_id` and
    /// `span_id`, like every other field. (The HTTP API keeps `traceId`.)
    pub fn write_cli_json(&self, out: &mut Vec<u8>) {
        self.write_json_keys(out, b",\"trace_id\":", b",\"span_id\":");
    }

    fn write_json_keys(&self, out: &mut Vec<u8>, trace_key: &[u8], span_key: &[u8]) {
        out.reserve(self.approx_size());
        out.push(b'{');
        if let Some(id) = self.id {
            out.extend_from_slice(b"\"id\":");
            out.extend_from_slice(id.to_string().as_bytes());
            out.push(b',');
        }
        out.extend_from_slice(b"\"time\":\"");
        write_time(out, self.time);
        out.extend_from_slice(b"\",\"service\":");
        write_json_str(out, &self.service);
        out.extend_from_slice(b",\"level\":\"");
        out.extend_from_slice(self.level.as_str().as_bytes());
        out.extend_from_slice(b"\",\"message\":");
        write_json_str(out, &self.message);
        out.extend_from_slice(b",\"host\":");
        write_json_str(out, &self.host);
        out.extend_from_slice(b",\"metadata\":");
        write_json_map(out, &self.metadata);
        if let Some(t) = &self.trace_id {
            out.extend_from_slice(trace_key);
            write_json_str(out, t);
        }
        if let Some(t) = &self.span_id {
            out.extend_from_slice(span_key);
            write_json_str(out, t);
        }
        if let Some(p) = self.pattern {
            out.extend_from_slice(b",\"pattern\":\"");
            out.extend_from_slice(p.to_string().as_bytes());
            out.push(b'"');
        }
        out.push(b'}');
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

    /// Bytes the record holds in memory, metadata values included at any
    /// depth (unlike [`Record::approx_size`], which guesses metadata by its
    /// key count): what byte caps on buffers and rings count, so that a
    /// record whose bulk is one 1 MiB metadata value weighs 1 MiB.
    pub fn mem_bytes(&self) -> usize {
        fn value(v: &Value) -> usize {
            24 + match v {
                Value::String(s) => s.len(),
                Value::Array(a) => a.iter().map(value).sum(),
                Value::Object(m) => m.iter().map(|(k, v)| k.len() + value(v)).sum(),
                _ => 0,
            }
        }
        96 + self.message.len()
            + self.service.len()
            + self.host.len()
            + self.trace_id.as_ref().map_or(0, |s| s.len())
            + self.span_id.as_ref().map_or(0, |s| s.len())
            + self
                .metadata
                .iter()
                .map(|(k, v)| k.len() + value(v))
                .sum::<usize>()
    }
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = 6
            + usize::from(self.pattern.is_some())
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
        if let Some(p) = self.pattern {
            m.serialize_entry("pattern", &p.to_string())?;
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
    #[serde(default)]
    pattern: Option<String>,
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
            pattern: w
                .pattern
                .as_deref()
                .and_then(crate::pattern::PatternId::parse),
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
            pattern: None,
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
    fn written_json_is_serdes_json() {
        let mut metadata = Map::new();
        metadata.insert("z".into(), Value::from(-1.5e300));
        metadata.insert(
            "a\u{1}\"".into(),
            Value::from("tab\there \u{7f}é\\ \u{1f}\u{8}\u{c}"),
        );
        metadata.insert(
            "nested".into(),
            serde_json::json!({"b": [1, u64::MAX, null, true, false, 0.1, {"x": []}], "a": {}}),
        );
        let mut r = Record {
            pattern: None,
            id: Some(-3),
            time: -1,
            level: Level::Critical,
            service: "s\"vc".into(),
            message: "line one\nline two \"quoted\" \\ back\r\u{0}end of a long message".into(),
            host: "h".into(),
            trace_id: Some("t".into()),
            span_id: Some("s\n".into()),
            metadata,
        };
        for _ in 0..2 {
            let mut mine = Vec::new();
            r.write_json(&mut mine);
            let serde = serde_json::to_vec(&r).unwrap();
            assert_eq!(
                String::from_utf8(mine).unwrap(),
                String::from_utf8(serde).unwrap()
            );
            (r.id, r.trace_id, r.span_id) = (None, None, None);
            r.metadata.clear();
        }
    }

    #[test]
    fn strings_escape_as_serde_does_at_every_offset() {
        for len in 0..40 {
            for at in 0..len {
                for c in ['"', '\\', '\n', '\u{1}', '\u{7f}', 'é'] {
                    let mut s: String = "abcdefghijklmnopqrstuvwxyz0123456789ABCD"[..len].into();
                    s.replace_range(at..at + 1, &c.to_string());
                    let mut mine = Vec::new();
                    write_json_str(&mut mine, &s);
                    assert_eq!(mine, serde_json::to_vec(&s).unwrap(), "{s:?}");
                }
            }
        }
    }

    #[test]
    fn escape_test_is_exact() {
        for fill in [b'a', b' ', b'!', b'#', b'[', b']', 0xff, 0x80] {
            for c in 0..=255u8 {
                for p in 0..8 {
                    let mut w = [fill; 8];
                    w[p] = c;
                    let want = w.iter().any(|&c| escape(c).is_some());
                    assert_eq!(needs_escape(u64::from_le_bytes(w)), want, "{w:?}");
                }
            }
        }
    }

    #[test]
    fn formatted_times_are_chronos() {
        let chrono = |t: Micros| {
            DateTime::<Utc>::from_timestamp_micros(t)
                .unwrap()
                .to_rfc3339_opts(SecondsFormat::Micros, true)
        };
        let mut t = FAST_TIME_MIN - 5;
        // Every few days across all four-digit years, and the edges.
        while t < FAST_TIME_MAX + 5 {
            assert_eq!(format_time(t), chrono(t), "{t}");
            t += 259_199_999_999;
        }
        for t in [
            FAST_TIME_MIN,
            FAST_TIME_MAX,
            FAST_TIME_MAX + 1,
            -1,
            0,
            951_782_400_000_000, // 2000-02-29
            1_700_000_000_123_456,
        ] {
            assert_eq!(format_time(t), chrono(t), "{t}");
        }
        assert_eq!(format_time(i64::MAX), "1970-01-01T00:00:00.000000Z");
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

//! JSON lines: one object per event, its well-known keys mapped to the record
//! (time, level, message, service, host, trace and span ids) and every other
//! key kept in `metadata` as given.
//!
//! Keys are matched case-insensitively and in a fixed order of preference
//! (`time` before `timestamp` …); a key whose value does not make sense for its
//! field (a time that does not parse, a level name nobody uses) stays in
//! `metadata`, so nothing of the input is lost. serde_json's recursion limit
//! makes absurdly nested input fail here, and the caller then treats it as
//! text.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::{ParseOptions, time};
use crate::record::{Level, Micros, Record};

/// Which record field a key feeds, and its preference (lower wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Time,
    Level,
    Message,
    Service,
    Host,
    TraceId,
    SpanId,
}

/// Maps a key (any case) to the field it feeds and its rank, or None.
/// `logfmt` adds the short keys logfmt loggers use (`t`, `at`).
pub(crate) fn classify(key: &str, logfmt: bool) -> Option<(Field, u8)> {
    let mut buf = [0u8; 24];
    let b = key.as_bytes();
    if b.is_empty() || b.len() > buf.len() {
        return None;
    }
    for (d, s) in buf.iter_mut().zip(b) {
        *d = s.to_ascii_lowercase();
    }
    use Field::*;
    Some(match &buf[..b.len()] {
        b"time" => (Time, 0),
        b"timestamp" => (Time, 1),
        b"ts" => (Time, 2),
        b"@timestamp" => (Time, 3),
        b"date" => (Time, 4),
        b"@t" => (Time, 5),
        b"timeunixnano" | b"time_unix_nano" => (Time, 6),
        b"t" if logfmt => (Time, 7),
        b"level" => (Level, 0),
        b"severity" => (Level, 1),
        b"lvl" => (Level, 2),
        b"levelname" => (Level, 3),
        b"loglevel" | b"log_level" | b"log.level" => (Level, 4),
        b"severitytext" | b"severity_text" => (Level, 5),
        b"@l" => (Level, 6),
        b"severitynumber" | b"severity_number" => (Level, 7),
        b"at" if logfmt => (Level, 8),
        b"message" => (Message, 0),
        b"msg" => (Message, 1),
        b"@m" => (Message, 2),
        b"log" => (Message, 3),
        b"text" => (Message, 4),
        b"body" => (Message, 5),
        b"renderedmessage" => (Message, 6),
        b"@mt" => (Message, 7),
        b"messagetemplate" => (Message, 8),
        b"service" => (Service, 0),
        b"service.name" | b"service_name" => (Service, 1),
        b"app" => (Service, 2),
        b"host" => (Host, 0),
        b"hostname" => (Host, 1),
        b"host.name" => (Host, 2),
        b"trace_id" | b"traceid" => (TraceId, 0),
        b"trace.id" => (TraceId, 1),
        b"span_id" | b"spanid" => (SpanId, 0),
        b"span.id" => (SpanId, 1),
        _ => return None,
    })
}

/// A level from a JSON number: pino 10–60, syslog 0–7, OpenTelemetry 1–24
/// (`otel` when the key says so, e.g. `severityNumber`).
pub fn level_from_number(n: i64, otel: bool) -> Option<Level> {
    if otel {
        return otel_level(n);
    }
    match n {
        10 | 20 => Some(Level::Debug),
        30 => Some(Level::Info),
        40 => Some(Level::Warn),
        50 => Some(Level::Error),
        60 => Some(Level::Critical),
        0..=7 => Some(time::syslog_level(n as u32)),
        8..=24 => otel_level(n),
        _ => None,
    }
}

fn otel_level(n: i64) -> Option<Level> {
    Some(match n {
        1..=8 => Level::Debug,
        9..=12 => Level::Info,
        13..=16 => Level::Warn,
        17..=20 => Level::Error,
        21..=24 => Level::Critical,
        _ => return None,
    })
}

/// A level from a field value (string name, numeric string or number).
pub(crate) fn level_value(v: &Value, otel: bool) -> Option<Level> {
    match v {
        Value::String(s) => Level::from_name(s).or_else(|| {
            let n: i64 = s.trim().parse().ok()?;
            level_from_number(n, otel)
        }),
        Value::Number(n) => level_from_number(n.as_i64()?, otel),
        _ => None,
    }
}

fn time_value(v: &Value, opts: &ParseOptions, now: Micros) -> Option<Micros> {
    match v {
        Value::String(s) => time::parse_value(s, &opts.zone, now),
        Value::Number(n) => match n.as_i64() {
            Some(i) => time::from_epoch_int(i),
            None => n
                .as_u64()
                .and_then(|u| i64::try_from(u).ok())
                .and_then(time::from_epoch_int)
                .or_else(|| n.as_f64().and_then(time::from_epoch_f64)),
        },
        _ => None,
    }
}

/// A string id (trace/span): strings as given, numbers as decimal text.
fn id_value(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Service names are 1–100 characters (SPEC §2).
pub(crate) fn clamp_service(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    Some(match s.char_indices().nth(100) {
        Some((i, _)) => s[..i].to_string(),
        None => s.to_string(),
    })
}

/// One taken field: the rank of its key, what it gave the record, and the
/// key and value as read (kept for `metadata` should a better key come).
/// Keys borrow from the input where they can: most are taken and dropped.
type Slot<'a, T> = Option<(u8, T, Cow<'a, str>, Value)>;

/// The record fields found so far, with the rank of the key each came from.
#[derive(Default)]
pub(crate) struct Picked<'a> {
    pub time: Slot<'a, Micros>,
    pub level: Slot<'a, Level>,
    /// The message is the value's string itself (taken out at the end, not
    /// copied).
    pub message: Slot<'a, ()>,
    pub service: Slot<'a, String>,
    pub host: Slot<'a, String>,
    pub trace_id: Slot<'a, String>,
    pub span_id: Slot<'a, String>,
}

/// Keeps `new` in `slot` when it ranks better; the loser goes to `metadata`.
fn keep<'a, T>(
    slot: &mut Slot<'a, T>,
    new: (u8, T, Cow<'a, str>, Value),
    metadata: &mut Map<String, Value>,
) {
    match slot {
        Some(old) if old.0 <= new.0 => {
            metadata.insert(new.2.into_owned(), new.3);
        }
        _ => {
            if let Some(old) = slot.replace(new) {
                metadata.insert(old.2.into_owned(), old.3);
            }
        }
    }
}

impl<'a> Picked<'a> {
    /// Offers one input field; what is not taken goes to `metadata`.
    pub(crate) fn offer(
        &mut self,
        key: Cow<'a, str>,
        value: Value,
        logfmt: bool,
        opts: &ParseOptions,
        now: Micros,
        metadata: &mut Map<String, Value>,
    ) {
        let Some((field, rank)) = classify(&key, logfmt) else {
            metadata.insert(key.into_owned(), value);
            return;
        };
        match field {
            Field::Time => match time_value(&value, opts, now) {
                Some(t) => keep(&mut self.time, (rank, t, key, value), metadata),
                None => {
                    metadata.insert(key.into_owned(), value);
                }
            },
            Field::Level => match level_value(&value, rank == 7) {
                Some(l) => keep(&mut self.level, (rank, l, key, value), metadata),
                None => {
                    metadata.insert(key.into_owned(), value);
                }
            },
            Field::Message => match &value {
                Value::String(s) if !s.trim().is_empty() => {
                    keep(&mut self.message, (rank, (), key, value), metadata)
                }
                _ => {
                    metadata.insert(key.into_owned(), value);
                }
            },
            Field::Service | Field::Host => {
                let name = match &value {
                    Value::String(s) => clamp_service(s),
                    // ECS: "service": {"name": "api", …}
                    Value::Object(o) => o
                        .get("name")
                        .and_then(Value::as_str)
                        .and_then(clamp_service),
                    _ => None,
                };
                let slot = if field == Field::Service {
                    &mut self.service
                } else {
                    &mut self.host
                };
                match name {
                    Some(n) => keep(slot, (rank, n, key, value), metadata),
                    None => {
                        metadata.insert(key.into_owned(), value);
                    }
                }
            }
            Field::TraceId | Field::SpanId => match id_value(&value) {
                Some(id) => {
                    let slot = if field == Field::TraceId {
                        &mut self.trace_id
                    } else {
                        &mut self.span_id
                    };
                    keep(slot, (rank, id, key, value), metadata)
                }
                None => {
                    metadata.insert(key.into_owned(), value);
                }
            },
        }
    }

    /// Builds the record. `raw` is the input text (the message when no
    /// message key was found); without a level key, the level is looked for
    /// in the message as in text (Docker/Kubernetes wrap text lines in JSON).
    pub(crate) fn into_record(
        self,
        raw: &str,
        metadata: Map<String, Value>,
        opts: &ParseOptions,
        now: Micros,
    ) -> Record {
        let mut metadata = metadata;
        // ECS-style {"name": …, "version": …}: the name is taken, the rest kept.
        let mut named = |slot: Slot<'a, String>, default: &str| match slot {
            Some((_, name, key, value)) => {
                if let Value::Object(mut o) = value {
                    o.remove("name");
                    if !o.is_empty() {
                        metadata.insert(key.into_owned(), Value::Object(o));
                    }
                }
                name
            }
            None => default.to_string(),
        };
        let service = named(self.service, &opts.service);
        let host = named(self.host, &opts.host);
        let message = match self.message {
            Some((_, (), _, Value::String(mut m))) => {
                // Docker's json-file driver keeps the newline in "log".
                if m.ends_with('\n') {
                    m.pop();
                }
                if m.ends_with('\r') {
                    m.pop();
                }
                m
            }
            _ => raw.trim().to_string(),
        };
        let level = match self.level {
            Some((_, l, _, _)) => l,
            None => super::text::scan(&message, &opts.zone, now)
                .level
                .unwrap_or(opts.default_level),
        };
        Record {
            pattern: None,
            id: None,
            time: self.time.map_or(now, |t| t.1),
            level,
            service,
            message,
            host,
            trace_id: self.trace_id.map(|t| t.1),
            span_id: self.span_id.map(|t| t.1),
            metadata,
        }
    }
}

/// Parses a JSON object line; None when the text is not one JSON object.
pub fn parse(text: &str, opts: &ParseOptions, now: Micros) -> Option<Record> {
    let t = text.trim();
    if !t.starts_with('{') || !t.ends_with('}') {
        return None;
    }
    let Entries(entries) = serde_json::from_str(t).ok()?;
    let mut picked = Picked::default();
    let mut metadata = Map::new();
    for (k, v) in entries {
        picked.offer(k, v, false, opts, now, &mut metadata);
    }
    lift_own_metadata(&mut metadata);
    Some(picked.into_record(t, metadata, opts, now))
}

/// loghub's own record form (what `send --to -` and `query --output ndjson`
/// print) round-trips: its `metadata` object is the record's metadata, not
/// a field named `metadata` (keys beside it win), and its store `id` is
/// dropped (the next store gives its own).
fn lift_own_metadata(metadata: &mut Map<String, Value>) {
    if !metadata.get("metadata").is_some_and(Value::is_object) {
        return;
    }
    let Some(Value::Object(inner)) = metadata.remove("metadata") else {
        return;
    };
    if metadata.get("id").is_some_and(Value::is_u64) {
        metadata.remove("id");
    }
    for (k, v) in inner {
        metadata.entry(k).or_insert(v);
    }
}

/// The top-level members of an object in input order, without building a map
/// that would be taken apart again at once. Keys borrow from the input
/// unless they hold escapes.
struct Entries<'de>(Vec<(Cow<'de, str>, Value)>);

impl<'de> serde::Deserialize<'de> for Entries<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<Entries<'de>, A::Error> {
                let mut v = Vec::with_capacity(m.size_hint().unwrap_or(16).min(64));
                while let Some(Key(k)) = m.next_key::<Key<'de>>()? {
                    v.push((k, m.next_value::<Value>()?));
                }
                Ok(Entries(v))
            }
        }
        d.deserialize_map(V)
    }
}

/// An object key, borrowed when the input allows (serde's own `Cow<str>`
/// always copies).
pub(crate) struct Key<'de>(pub(crate) Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s)))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Zone;
    use crate::record::format_time;

    fn opts() -> ParseOptions {
        ParseOptions {
            format: crate::parse::Format::Auto,
            default_level: Level::Info,
            zone: Zone::Utc,
            service: "svc".into(),
            host: "h".into(),
        }
    }

    fn p(s: &str) -> Record {
        parse(s, &opts(), 0).unwrap_or_else(|| panic!("not parsed: {s}"))
    }

    #[test]
    fn pino_lines() {
        let r = p(
            r#"{"level":50,"time":1700000000123,"pid":1,"hostname":"web-1","msg":"boom","req":{"id":7}}"#,
        );
        assert_eq!(r.level, Level::Error);
        assert_eq!(format_time(r.time), "2023-11-14T22:13:20.123000Z");
        assert_eq!(r.message, "boom");
        assert_eq!(r.host, "web-1");
        assert_eq!(r.service, "svc");
        assert_eq!(r.metadata["req"]["id"], 7);
        assert_eq!(r.metadata["pid"], 1);
        assert!(!r.metadata.contains_key("msg"));
        assert_eq!(p(r#"{"level":60,"msg":"x"}"#).level, Level::Critical);
        assert_eq!(p(r#"{"level":10,"msg":"x"}"#).level, Level::Debug);
    }

    #[test]
    fn well_known_keys_in_many_spellings() {
        let r = p(
            r#"{"@timestamp":"2024-01-02T03:04:05.5Z","severity":"WARNING","message":"m","service.name":"api","traceId":"abc","spanId":"def","Host":"h2"}"#,
        );
        assert_eq!(format_time(r.time), "2024-01-02T03:04:05.500000Z");
        assert_eq!(r.level, Level::Warn);
        assert_eq!(r.service, "api");
        assert_eq!(r.trace_id.as_deref(), Some("abc"));
        assert_eq!(r.span_id.as_deref(), Some("def"));
        assert_eq!(r.host, "h2");
        assert!(r.metadata.is_empty(), "{:?}", r.metadata);

        let r = p(r#"{"ts":1700000000.5,"lvl":"err","@m":"x","app":"a"}"#);
        assert_eq!(format_time(r.time), "2023-11-14T22:13:20.500000Z");
        assert_eq!(r.level, Level::Error);
        assert_eq!(r.service, "a");
        let r = p(r#"{"timestamp":"1700000000000000000","levelname":"CRITICAL","msg":"x"}"#);
        assert_eq!(format_time(r.time), "2023-11-14T22:13:20.000000Z");
        assert_eq!(r.level, Level::Critical);
        let r = p(r#"{"date":"1700000000123","loglevel":3,"text":"x"}"#);
        assert_eq!(format_time(r.time), "2023-11-14T22:13:20.123000Z");
        assert_eq!(r.level, Level::Error);
        // OpenTelemetry severity numbers.
        assert_eq!(p(r#"{"severityNumber":17,"body":"x"}"#).level, Level::Error);
        assert_eq!(p(r#"{"severity_number":9,"body":"x"}"#).level, Level::Info);
        assert_eq!(p(r#"{"level":13,"msg":"x"}"#).level, Level::Warn);
        assert_eq!(p(r#"{"level":4,"msg":"x"}"#).level, Level::Warn);
    }

    #[test]
    fn preferred_key_wins_and_the_other_is_kept() {
        let r = p(
            r#"{"timestamp":"2024-01-01T00:00:00Z","time":"2024-02-02T00:00:00Z","msg":"a","message":"b"}"#,
        );
        assert_eq!(format_time(r.time), "2024-02-02T00:00:00.000000Z");
        assert_eq!(r.message, "b");
        assert_eq!(r.metadata["timestamp"], "2024-01-01T00:00:00Z");
        assert_eq!(r.metadata["msg"], "a");
    }

    #[test]
    fn unusable_values_stay_in_metadata() {
        let r = p(r#"{"time":"yesterday","level":"loud","ts":99999999999999999999,"message":"x"}"#);
        assert_eq!(r.time, 0, "read time");
        assert_eq!(r.level, Level::Info);
        assert_eq!(r.metadata["time"], "yesterday");
        assert_eq!(r.metadata["level"], "loud");
        assert!(r.metadata.contains_key("ts"));
        let r = p(r#"{"time":"99999-01-01T00:00:00Z","msg":"x"}"#);
        assert_eq!(r.time, 0);
        assert_eq!(r.metadata["time"], "99999-01-01T00:00:00Z");
    }

    #[test]
    fn no_message_key_means_the_json_is_the_message() {
        let r = p(r#"{"a":1,"b":"x"}"#);
        assert_eq!(r.message, r#"{"a":1,"b":"x"}"#);
        let r = p(r#"{"message":"","a":1}"#);
        assert!(!r.message.is_empty());
        assert_eq!(r.metadata["message"], "");
    }

    #[test]
    fn docker_lines_and_levels_from_the_message() {
        let r = p(
            r#"{"log":"ERROR failed to bind\n","stream":"stderr","time":"2024-01-02T03:04:05.123456789Z"}"#,
        );
        assert_eq!(r.message, "ERROR failed to bind");
        assert_eq!(r.level, Level::Error);
        assert_eq!(format_time(r.time), "2024-01-02T03:04:05.123456Z");
        assert_eq!(r.metadata["stream"], "stderr");
    }

    #[test]
    fn ecs_service_object() {
        let r = p(r#"{"service":{"name":"api","version":"1.2"},"message":"x"}"#);
        assert_eq!(r.service, "api");
        assert_eq!(r.metadata["service"]["version"], "1.2");
    }

    #[test]
    fn not_json_objects() {
        assert!(parse("[1,2]", &opts(), 0).is_none());
        assert!(parse("{broken", &opts(), 0).is_none());
        assert!(parse("{\"a\":1} trailing", &opts(), 0).is_none());
        let deep = format!("{}{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
        assert!(parse(&deep, &opts(), 0).is_none());
    }
}

//! Turning raw input into records (SPEC §3 "Parsing" and "Multiline"): JSON,
//! logfmt and plain text, decided per line under `--format auto`; level and
//! timestamp detection across common real formats; multiline joining.
//!
//! The parser is pure and cheap to share between threads: the pipeline runs one
//! `Parser` on several workers.

pub mod json;
pub mod kv;
pub mod logfmt;
pub mod multiline;
pub mod text;
pub mod time;

use crate::record::{Level, Micros, Record};

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Auto,
    Json,
    Logfmt,
    Text,
}

/// The zone for naive timestamps (`--timezone`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Zone {
    /// The machine's local zone.
    #[default]
    Local,
    Utc,
    Named(chrono_tz::Tz),
}

impl Zone {
    pub fn parse(s: &str) -> Result<Zone, String> {
        match s {
            "" | "local" | "Local" => Ok(Zone::Local),
            "UTC" | "utc" | "Z" | "GMT" => Ok(Zone::Utc),
            _ => s.parse::<chrono_tz::Tz>().map(Zone::Named).map_err(|_| {
                format!("unknown time zone '{s}' (use local, UTC or a name like Europe/Paris)")
            }),
        }
    }
}

/// Settings of the parser.
#[derive(Debug, Clone)]
pub struct ParseOptions {
    pub format: Format,
    /// Level of lines that name none.
    pub default_level: Level,
    pub zone: Zone,
    /// Service of records whose input names none.
    pub service: String,
    /// Host of records whose input names none.
    pub host: String,
}

/// One event to parse: a line, or several joined by the multiline joiner.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Event {
    pub text: String,
    /// Some line of it was cut at `--max-line-bytes`.
    pub truncated: bool,
    /// Some line of it had invalid UTF-8 (replaced lossily).
    pub invalid_utf8: bool,
}

/// Parses events into records. Never fails: what cannot be understood as JSON
/// or logfmt is text, and text always makes a record.
#[derive(Debug, Clone)]
pub struct Parser {
    opts: ParseOptions,
}

impl Parser {
    pub fn new(opts: ParseOptions) -> Self {
        Parser { opts }
    }

    pub fn options(&self) -> &ParseOptions {
        &self.opts
    }

    /// Parses one event read at `read_time` (the time of records whose input
    /// names none). Under `auto`, a line that starts with `{` and is a JSON
    /// object is JSON, a line of `key=value` pairs is logfmt, anything else is
    /// text; a forced format that does not fit falls back to text.
    pub fn parse(&self, text: &str, read_time: Micros) -> Record {
        let o = &self.opts;
        let lead = text.trim_start().as_bytes().first().copied();
        let structured = match o.format {
            Format::Text => None,
            Format::Json => self.json(text, read_time),
            Format::Logfmt => logfmt::parse(text, o, read_time),
            Format::Auto if lead == Some(b'{') => self.json(text, read_time),
            Format::Auto
                if lead.is_some_and(|c| c.is_ascii_alphabetic() || c == b'_' || c == b'@') =>
            {
                logfmt::parse(text, o, read_time)
            }
            Format::Auto => None,
        };
        structured.unwrap_or_else(|| self.text(text, read_time))
    }

    /// JSON, also when continuation lines were joined to a JSON first line:
    /// then the continuation is appended to the message.
    fn json(&self, text: &str, read_time: Micros) -> Option<Record> {
        if let Some(r) = json::parse(text, &self.opts, read_time) {
            return Some(r);
        }
        let nl = memchr::memchr(b'\n', text.as_bytes())?;
        let mut r = json::parse(&text[..nl], &self.opts, read_time)?;
        r.message.push_str(&text[nl..]);
        Some(r)
    }

    fn text(&self, text: &str, read_time: Micros) -> Record {
        let o = &self.opts;
        let info = text::scan(text, &o.zone, read_time);
        let message = if text.trim().is_empty() {
            "(empty line)".to_string()
        } else {
            text.to_string()
        };
        Record {
            pattern: None,
            id: None,
            time: info.time.unwrap_or(read_time),
            level: info.level.unwrap_or(o.default_level),
            service: o.service.clone(),
            message,
            host: o.host.clone(),
            trace_id: None,
            span_id: None,
            metadata: kv::lift(text),
        }
    }
}

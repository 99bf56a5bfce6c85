//! Output of the reading commands. Each format is one [`RecordWriter`] in a
//! file of its own (table, raw, json, ndjson); `colour` styles levels;
//! `progress` is `send`'s bar; `pager` pipes a terminal's output through
//! `$PAGER`. stdout is data: nothing else is written there.

pub mod colour;
pub mod diag;
pub mod json;
pub mod ndjson;
pub mod pager;
pub mod progress;
pub mod raw;
pub mod table;

use std::io::{self, IsTerminal, Write};

use crate::cli::OutputFormat;
use crate::record::{Micros, Record};

/// Writes records one at a time; `finish` closes the output (a JSON array's
/// bracket, a table's last rows).
pub trait RecordWriter {
    fn write(&mut self, r: &Record) -> io::Result<()>;
    fn finish(&mut self) -> io::Result<()>;
    /// A note for people after the records ("100 shown, more with
    /// --limit"); data formats (JSON, NDJSON) leave it out.
    fn footer(&mut self, note: &str) -> io::Result<()>;
}

/// How records are shown.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub colour: bool,
    /// Terminal width for tables.
    pub width: u16,
    /// Show `+offset` from this time (trace).
    pub offset_from: Option<Micros>,
}

/// Writes to stdout and flushes. A closed pipe (`loghub stats | head -1`)
/// comes back as an error that `main` turns into a quiet exit 0, where
/// `print!` would panic: every command prints through this or a
/// [`RecordWriter`] (`clippy::print_stdout` forbids `print!` in the library).
pub fn print(args: std::fmt::Arguments<'_>) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_fmt(args)?;
    out.flush()
}

/// The format to use: the flag, else `tty` on a terminal and ndjson when piped.
pub fn choose(flag: Option<OutputFormat>, tty: OutputFormat) -> OutputFormat {
    flag.unwrap_or_else(|| {
        if io::stdout().is_terminal() {
            tty
        } else {
            OutputFormat::Ndjson
        }
    })
}

/// The terminal width: `COLUMNS`, the terminal's, or 120.
pub fn width() -> u16 {
    if let Some(c) = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()) {
        return c;
    }
    comfy_table::Table::new().width().unwrap_or(120)
}

/// A writer for `format` on stdout. `live` output (tail) is written line by
/// line instead of in large blocks.
pub fn writer(format: OutputFormat, style: Style, live: bool) -> Box<dyn RecordWriter> {
    let out: Box<dyn Write> = if live {
        Box::new(io::stdout())
    } else {
        Box::new(io::BufWriter::with_capacity(64 * 1024, io::stdout()))
    };
    writer_to(format, style, out)
}

/// A writer for `format` through the pager when stdout is a terminal and
/// `page` (see [`pager::open`]); on stdout otherwise.
pub fn paged_writer(format: OutputFormat, style: Style, page: bool) -> Box<dyn RecordWriter> {
    match page.then(pager::open).flatten() {
        Some(p) => writer_to(
            format,
            style,
            Box::new(io::BufWriter::with_capacity(64 * 1024, p)),
        ),
        None => writer(format, style, false),
    }
}

fn writer_to(format: OutputFormat, style: Style, out: Box<dyn Write>) -> Box<dyn RecordWriter> {
    match format {
        OutputFormat::Table => Box::new(table::TableWriter::new(out, style)),
        OutputFormat::Raw => Box::new(raw::RawWriter::new(out, style)),
        OutputFormat::Json => Box::new(json::JsonWriter::new(out)),
        OutputFormat::Ndjson => Box::new(ndjson::NdjsonWriter::new(out)),
    }
}

/// `+1.234s` / `+12.3ms` offset of `t` from `from`.
pub fn offset(t: Micros, from: Micros) -> String {
    let d = t - from;
    if d.abs() < 1_000_000 {
        format!("+{:.1}ms", d as f64 / 1000.0)
    } else {
        format!("+{:.3}s", d as f64 / 1e6)
    }
}

/// The time as shown to people: `2026-01-02 03:04:05.678` (UTC).
pub fn short_time(t: Micros) -> String {
    match chrono::DateTime::from_timestamp_micros(t) {
        Some(d) => d.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
        None => t.to_string(),
    }
}

/// A count with thousands separators: `1,234,567`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1 record`, `2,000 records`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

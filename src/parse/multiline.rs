//! Multiline joining (SPEC §3 "Multiline"): continuation lines of stack traces
//! are joined into the record before them.

use super::Event;

/// `--multiline`.
#[derive(Debug, Clone)]
pub enum MultilineMode {
    /// Built-in rules for Python and Java traces and indented continuations.
    Auto,
    /// Every line is its own record.
    None,
    /// Lines matching the regex start a record; others continue it.
    Start(regex::Regex),
}

/// Feeds lines in, gets events out. An event is closed by the next start
/// line, 500 lines or 1 MiB; the caller closes it after 250 ms of silence by
/// calling [`Joiner::flush`].
#[derive(Debug)]
pub struct Joiner {
    mode: MultilineMode,
}

impl Joiner {
    pub fn new(mode: MultilineMode) -> Self {
        Joiner { mode }
    }

    /// Feeds one line (without its newline); completed events go to `out`.
    pub fn push(&mut self, line: &str, truncated: bool, invalid_utf8: bool, out: &mut Vec<Event>) {
        let _ = (&self.mode, line, truncated, invalid_utf8, out);
        todo!("multiline")
    }

    /// Closes the pending event, if any.
    pub fn flush(&mut self, out: &mut Vec<Event>) {
        let _ = out;
        todo!("multiline")
    }

    /// Whether an event is pending (so the caller knows to flush on silence).
    pub fn has_pending(&self) -> bool {
        false
    }
}

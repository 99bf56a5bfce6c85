//! Multiline joining (SPEC §3 "Multiline"): continuation lines of stack traces
//! are joined into the record before them.
//!
//! `auto` knows the shapes of Java and Python traces: indented lines (`\tat …`,
//! `  File "…"`), `Caused by:`, `... N more`, `Traceback (most recent call
//! last):`, Python's chained-exception sentences, and the closing
//! `SomeError: message` line that ends a Python traceback (recognised only
//! right after traceback frames, so an ordinary `Note: x` line still starts a
//! record). A Java exception head (`java.lang.IllegalStateException: boom`)
//! joins the line before it when that line logged at warn or above, as
//! `log.error("failed", e)` prints it. Joined lines are separated by `\n`.

use super::Event;
use crate::record::Level;

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

/// Lines per event before it is closed.
pub const MAX_LINES: usize = 500;
/// Bytes per event before it is closed.
pub const MAX_BYTES: usize = 1 << 20;

/// Feeds lines in, gets events out. An event is closed by the next start
/// line, 500 lines or 1 MiB; the caller closes it after 250 ms of silence by
/// calling [`Joiner::flush`].
#[derive(Debug)]
pub struct Joiner {
    mode: MultilineMode,
    pending: Option<Event>,
    lines: usize,
    /// Inside a Python traceback: its closing `Error: msg` line still belongs.
    in_traceback: bool,
    /// Whether the first line of the pending event logged at warn or above;
    /// None until asked. Only a Java exception head asks, so ordinary lines
    /// never pay for the level scan on this (single) line thread.
    severe: Option<bool>,
}

impl Joiner {
    pub fn new(mode: MultilineMode) -> Self {
        Joiner {
            mode,
            pending: None,
            lines: 0,
            in_traceback: false,
            severe: None,
        }
    }

    /// Feeds one line (without its newline); completed events go to `out`.
    pub fn push(&mut self, line: &str, truncated: bool, invalid_utf8: bool, out: &mut Vec<Event>) {
        let cont = match &self.mode {
            MultilineMode::None => {
                out.push(Event {
                    text: line.to_string(),
                    truncated,
                    invalid_utf8,
                });
                return;
            }
            MultilineMode::Start(re) => !re.is_match(line),
            MultilineMode::Auto => self.auto_continues(line),
        };
        match &mut self.pending {
            Some(ev)
                if cont
                    && self.lines < MAX_LINES
                    && ev.text.len() + 1 + line.len() <= MAX_BYTES =>
            {
                ev.text.push('\n');
                ev.text.push_str(line);
                ev.truncated |= truncated;
                ev.invalid_utf8 |= invalid_utf8;
                self.lines += 1;
            }
            _ => {
                self.flush(out);
                self.pending = Some(Event {
                    text: line.to_string(),
                    truncated,
                    invalid_utf8,
                });
                self.lines = 1;
                if matches!(self.mode, MultilineMode::Auto) {
                    self.severe = None;
                    self.in_traceback = line.starts_with("Traceback (most recent call last)");
                }
            }
        }
        if self.lines >= MAX_LINES {
            self.flush(out);
        }
    }

    /// Whether `line` continues the pending event under `auto` (and updates
    /// the traceback state).
    fn auto_continues(&mut self, line: &str) -> bool {
        let b = line.as_bytes();
        if matches!(b.first(), Some(b' ' | b'\t')) {
            return true;
        }
        if line.starts_with("Traceback (most recent call last)") {
            self.in_traceback = true;
            return true;
        }
        if line.starts_with("Caused by:")
            || line.starts_with("Suppressed:")
            || line.starts_with("During handling of the above exception")
            || line.starts_with("The above exception was the direct cause")
            || is_more_line(line)
        {
            return true;
        }
        if self.in_traceback {
            self.in_traceback = false;
            if is_exception_line(line) {
                return true;
            }
        }
        is_java_exception_head(line) && self.pending_is_severe()
    }

    /// [`is_severe`] of the pending event's first line, computed once.
    fn pending_is_severe(&mut self) -> bool {
        let Some(ev) = &self.pending else {
            return false;
        };
        *self.severe.get_or_insert_with(|| {
            let first = ev.text.split('\n').next().unwrap_or("");
            is_severe(first)
        })
    }

    /// Closes the pending event, if any.
    pub fn flush(&mut self, out: &mut Vec<Event>) {
        if let Some(ev) = self.pending.take() {
            out.push(ev);
        }
        self.lines = 0;
        self.in_traceback = false;
        self.severe = None;
    }

    /// Whether an event is pending (so the caller knows to flush on silence).
    pub fn has_pending(&self) -> bool {
        self.pending.is_some()
    }
}

/// `... 12 more` (Java's elided frames), indented or not.
fn is_more_line(line: &str) -> bool {
    let t = line.trim_start();
    t.strip_prefix("...")
        .map(|r| r.trim())
        .and_then(|r| r.strip_suffix("more"))
        .is_some_and(|n| {
            let n = n.trim();
            !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit())
        })
}

/// The closing line of a Python traceback: `ValueError: bad`,
/// `pkg.mod.Error: x`, or a bare `KeyboardInterrupt`.
fn is_exception_line(line: &str) -> bool {
    let name_end = line.find(':').unwrap_or(line.len());
    let name = line[..name_end].trim_end();
    let b = name.as_bytes();
    !b.is_empty()
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.'))
        && (name_end < line.len() || b[0].is_ascii_uppercase())
}

/// A Java exception head: a qualified class name ending in Exception, Error
/// or Throwable, alone or followed by `: message`.
fn is_java_exception_head(line: &str) -> bool {
    // The name holds no space, so it ends at the first space (which must
    // then follow a `:`) or at the end: no scan of the whole line for ": ".
    let name = match memchr::memchr(b' ', line.as_bytes()) {
        Some(sp) => match line[..sp].strip_suffix(':') {
            Some(name) => name,
            None => return false,
        },
        None => line,
    };
    name.contains('.')
        && (name.ends_with("Exception") || name.ends_with("Error") || name.ends_with("Throwable"))
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'$'))
}

/// Whether a start line logged at warn or above (by the text rules).
fn is_severe(line: &str) -> bool {
    let head = &line.as_bytes()[..line.len().min(256)];
    super::text::level_word(head, skip_ts(head)).is_some_and(|l| l >= Level::Warn)
        || (line.starts_with('{') && {
            let l = line.to_ascii_lowercase();
            l.contains("\"error\"") || l.contains("\"warn") || l.contains("\"fatal\"")
        })
}

/// The byte range of a leading timestamp (for level scanning).
fn skip_ts(head: &[u8]) -> (usize, usize) {
    // The time zone does not matter for locating the timestamp.
    super::time::find_leading(head, &super::Zone::Utc, 0).map_or((0, 0), |f| (f.start, f.end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join(mode: MultilineMode, input: &str) -> Vec<String> {
        let mut j = Joiner::new(mode);
        let mut out = Vec::new();
        for l in input.lines() {
            j.push(l, false, false, &mut out);
        }
        j.flush(&mut out);
        assert!(!j.has_pending());
        out.into_iter().map(|e| e.text).collect()
    }

    #[test]
    fn python_traceback_is_one_event() {
        let input = "INFO start\nERROR:root:failed\nTraceback (most recent call last):\n  File \"a.py\", line 1, in <module>\n    main()\n  File \"b.py\", line 2, in main\n    raise ValueError(\"bad\")\nValueError: bad\nINFO next\nNote: not part";
        let ev = join(MultilineMode::Auto, input);
        assert_eq!(ev.len(), 4, "{ev:#?}");
        assert!(ev[1].starts_with("ERROR:root:failed\nTraceback"));
        assert!(ev[1].ends_with("\nValueError: bad"));
        assert_eq!(ev[2], "INFO next");
        assert_eq!(ev[3], "Note: not part");
    }

    #[test]
    fn python_chained_and_bare_exceptions() {
        let input = "Traceback (most recent call last):\n  File \"a.py\", line 1\nKeyError: 'x'\nDuring handling of the above exception, another exception occurred:\nTraceback (most recent call last):\n  File \"a.py\", line 3\nmypkg.errors.Boom: y\nTraceback (most recent call last):\n  File \"a.py\", line 9\nKeyboardInterrupt\nafter";
        let ev = join(MultilineMode::Auto, input);
        // A traceback line always continues (SPEC §3), so the three chained
        // tracebacks form one event.
        assert_eq!(ev.len(), 2, "{ev:#?}");
        assert!(ev[0].contains("\nmypkg.errors.Boom: y\n"));
        assert!(ev[0].ends_with("\nKeyboardInterrupt"));
        assert_eq!(ev[1], "after");
    }

    #[test]
    fn java_trace_with_caused_by() {
        let input = "2024-01-01 12:00:00 ERROR [main] App - failed\njava.lang.IllegalStateException: boom\n\tat com.x.App.run(App.java:10)\n\tat com.x.App.main(App.java:5)\nCaused by: java.io.IOException: disk\n\tat com.x.Io.read(Io.java:3)\n\t... 2 more\n2024-01-01 12:00:01 INFO [main] App - next\njava.lang.String: not an exception head";
        let ev = join(MultilineMode::Auto, input);
        assert_eq!(ev.len(), 3, "{ev:#?}");
        assert_eq!(ev[0].lines().count(), 7);
        assert!(ev[0].contains("Caused by: java.io.IOException: disk"));
        assert!(ev[1].starts_with("2024-01-01 12:00:01 INFO"));
    }

    #[test]
    fn exception_head_after_info_line_starts_a_record() {
        let ev = join(
            MultilineMode::Auto,
            "2024-01-01 INFO ok\njava.lang.RuntimeException: x\n\tat a.b(C.java:1)",
        );
        assert_eq!(ev.len(), 2, "{ev:#?}");
    }

    #[test]
    fn none_and_start_modes() {
        assert_eq!(join(MultilineMode::None, "a\n  b\nc").len(), 3);
        let re = regex::Regex::new(r"^\d{4}-").unwrap();
        let ev = join(
            MultilineMode::Start(re),
            "2024- a\nmore\nstill\n2024- b\n2024- c",
        );
        assert_eq!(ev, vec!["2024- a\nmore\nstill", "2024- b", "2024- c"]);
    }

    #[test]
    fn leading_continuation_starts_an_event() {
        assert_eq!(
            join(MultilineMode::Auto, "  indented\nnext"),
            vec!["  indented", "next"]
        );
    }

    #[test]
    fn events_are_bounded() {
        let mut input = String::from("head");
        for _ in 0..1200 {
            input.push_str("\n  frame");
        }
        let ev = join(MultilineMode::Auto, &input);
        assert_eq!(ev.len(), 3);
        assert_eq!(ev[0].lines().count(), MAX_LINES);
        let big = "x".repeat(400 * 1024);
        let input = format!("head\n {big}\n {big}\n {big}");
        let ev = join(MultilineMode::Auto, &input);
        assert!(ev.iter().all(|e| e.len() <= MAX_BYTES));
        assert_eq!(ev.len(), 2);
    }

    #[test]
    fn flags_are_carried() {
        let mut j = Joiner::new(MultilineMode::Auto);
        let mut out = Vec::new();
        j.push("a", false, false, &mut out);
        j.push("  b", true, true, &mut out);
        assert!(out.is_empty());
        assert!(j.has_pending());
        j.flush(&mut out);
        assert_eq!(out.len(), 1);
        assert!(out[0].truncated && out[0].invalid_utf8);
    }
}

//! Plain-text lines: the level is the first level word near the start of the
//! first line, the time its leading timestamp (see [`super::time`]).
//!
//! Level words are judged by how they are written, because real messages are
//! full of words like "error" and "alert": an upper-case word (`ERROR`,
//! `WARN`) counts anywhere in the window; a lower-case or capitalised one
//! (`notice`, `Info`) only when it is set apart like a level — in brackets,
//! followed by `:`, after `level=`, or as the first word after the timestamp.
//! Single letters (`E`, ` W `, `E/Tag`) count only where Android, glog and
//! friends put them. Words inside identifiers (`ErrorHandler`, `error_count`,
//! `log.error`) never count. The window is the first dozen tokens / ~120 bytes
//! after the timestamp (200 bytes for bracketed levels).

use super::Zone;
use super::time::{self, Found};
use crate::record::{Level, Micros};

/// Bytes after the timestamp (or line start) in which a level may appear.
const WINDOW_BYTES: usize = 120;
/// Bracketed levels may come a little later (`[pid] [module] [error]`).
const BRACKET_BYTES: usize = 200;
/// Whitespace-separated tokens after the timestamp in which a level may appear.
const WINDOW_TOKENS: usize = 12;

/// What the text parser found in a line.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TextInfo {
    pub time: Option<Micros>,
    pub level: Option<Level>,
}

/// Scans the first line of `text` for its timestamp and level.
pub fn scan(text: &str, zone: &Zone, now: Micros) -> TextInfo {
    let b = text.as_bytes();
    let first = match memchr::memchr(b'\n', b) {
        Some(n) => &b[..n],
        None => b,
    };
    let found = time::find_leading(first, zone, now);
    let (skip, ts_level, time) = match found {
        Some(Found {
            time,
            start,
            end,
            level,
        }) => ((start, end), level, time),
        None => ((0, 0), None, None),
    };
    let level = ts_level.or_else(|| level_word(first, skip));
    TextInfo { time, level }
}

/// The first level word of `line`, ignoring the byte range `skip` (the
/// timestamp).
pub fn level_word(line: &[u8], skip: (usize, usize)) -> Option<Level> {
    let base = skip.1;
    let hard_end = line.len().min(base + BRACKET_BYTES);
    let soft_end = base + WINDOW_BYTES;
    let mut tokens = 0usize;
    // Words after the timestamp so far, and whether all were numbers (pids).
    let mut words = 0usize;
    let mut all_numeric = true;
    let mut i = 0;
    while i < hard_end {
        let c = line[i];
        if !is_word(c) {
            if i >= base
                && matches!(c, b' ' | b'\t')
                && i > 0
                && !matches!(line[i - 1], b' ' | b'\t')
            {
                tokens += 1;
            }
            i += 1;
            continue;
        }
        let a = i;
        while i < line.len() && is_word(line[i]) {
            i += 1;
        }
        let e = i;
        if a >= skip.0 && e <= skip.1 && skip.1 > skip.0 {
            continue;
        }
        let late = a >= soft_end || tokens >= WINDOW_TOKENS;
        let word = &line[a..e];
        let after_ts = a >= base;
        let first = !after_ts || words == 0;
        if let Some(l) = judge(line, a, e, first, all_numeric, late) {
            return Some(l);
        }
        if after_ts {
            words += 1;
            all_numeric &= word.iter().all(u8::is_ascii_digit);
        }
    }
    None
}

#[inline]
fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

#[inline]
fn at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

/// Whether the word `line[a..e]` is a level, and which.
fn judge(
    line: &[u8],
    a: usize,
    e: usize,
    first: bool,
    all_numeric: bool,
    late: bool,
) -> Option<Level> {
    let w = &line[a..e];
    let prev = if a > 0 { line[a - 1] } else { b' ' };
    let next = at(line, e);
    // Part of an identifier: log.error, non-error, error.log, Foo$Error, /error.
    if a >= 2
        && matches!(prev, b'.' | b'-' | b'$' | b'/' | b'@' | b'\\' | b'#')
        && is_word(line[a - 2])
    {
        return None;
    }
    if matches!(next, b'.' | b'-' | b'$' | b'@') && is_word(at(line, e + 1)) {
        return None;
    }
    if matches!(prev, b'/' | b'\\') {
        return None;
    }
    let bracketed = matches!(prev, b'[' | b'<' | b'(' | b'|' | b'{') && {
        let mut k = e;
        while at(line, k) == b' ' {
            k += 1;
        }
        matches!(at(line, k), b']' | b'>' | b')' | b'|' | b'}')
    };
    if late && !bracketed {
        return None;
    }
    if w.len() == 1 {
        return single_letter(line, w[0], prev, next, e, first, all_numeric, bracketed);
    }
    if w.len() > 13 || w[0].is_ascii_digit() {
        return None;
    }
    let upper = w.iter().all(u8::is_ascii_uppercase);
    let lower = w.iter().all(u8::is_ascii_lowercase);
    let capital = w[0].is_ascii_uppercase() && w[1..].iter().all(u8::is_ascii_lowercase);
    if !(upper || lower || capital) {
        return None;
    }
    let set_apart = upper
        || bracketed
        || first
        || next == b':'
        || (prev == b'=' && after_level_key(line, a - 1));
    if !set_apart {
        return None;
    }
    let level = Level::from_name(std::str::from_utf8(w).ok()?)?;
    // "config" is a Java level but far more often a plain word.
    if w.eq_ignore_ascii_case(b"config") && !bracketed {
        return None;
    }
    Some(level)
}

/// `level=` / `lvl=` / `severity=` before position `eq`.
fn after_level_key(line: &[u8], eq: usize) -> bool {
    let start = line[..eq]
        .iter()
        .rposition(|c| !is_word(*c))
        .map_or(0, |p| p + 1);
    let key = &line[start..eq];
    ["level", "lvl", "severity", "loglevel", "log_level"]
        .iter()
        .any(|k| key.eq_ignore_ascii_case(k.as_bytes()))
}

#[allow(clippy::too_many_arguments)]
fn single_letter(
    line: &[u8],
    c: u8,
    prev: u8,
    next: u8,
    e: usize,
    first: bool,
    all_numeric: bool,
    bracketed: bool,
) -> Option<Level> {
    if !matches!(c, b'V' | b'D' | b'I' | b'W' | b'E' | b'F') {
        return None;
    }
    let level = match c {
        b'V' | b'D' => Level::Debug,
        b'I' => Level::Info,
        b'W' => Level::Warn,
        b'E' => Level::Error,
        _ => Level::Critical,
    };
    if bracketed {
        return Some(level);
    }
    let spaced_before = matches!(prev, b' ' | b'\t') || (first && e == 1);
    // Android brief/time format: E/Tag( 123): or E/Tag: msg
    if next == b'/' && first && at(line, e + 1).is_ascii_alphabetic() {
        let tag_end = line[e + 1..]
            .iter()
            .position(|c| matches!(c, b' ' | b'(' | b':'))
            .map_or(line.len(), |p| e + 1 + p);
        if matches!(at(line, tag_end), b'(' | b':') {
            return Some(level);
        }
        return None;
    }
    // Android threadtime "pid tid D Tag:", or " W " right after the time.
    if spaced_before && matches!(next, b' ' | b'\t') && (first || all_numeric) {
        return Some(level);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lv(s: &str) -> Option<Level> {
        scan(s, &Zone::Utc, 1_718_452_800_000_000).level
    }

    #[test]
    fn level_words_in_real_shapes() {
        use Level::*;
        for (line, want) in [
            (
                "2015-10-18 18:01:47,978 INFO [main] org.x: Created",
                Some(Info),
            ),
            (
                "2015-10-18 18:01:47,978 FATAL [main] org.x: boom",
                Some(Critical),
            ),
            (
                "2015-07-29 17:41:44,747 - WARN  [Send@1] - x error",
                Some(Warn),
            ),
            (
                "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok",
                Some(Info),
            ),
            (
                "[Sun Dec 04 04:47:44 2005] [error] mod_jk child",
                Some(Error),
            ),
            (
                "2016-09-28 04:30:30, Info  CBS  Warning: Unrecognized",
                Some(Info),
            ),
            (
                "2024/01/02 03:04:05 [error] 12#0: *1 open() failed",
                Some(Error),
            ),
            (
                "03-17 16:13:38.811  1702  2395 D WindowManager: x",
                Some(Debug),
            ),
            (
                "03-17 16:13:38.811  1702  2395 E WindowManager: x",
                Some(Error),
            ),
            (
                "E/AndroidRuntime( 1234): FATAL EXCEPTION: main",
                Some(Error),
            ),
            ("W/Tag: something", Some(Warn)),
            ("E0102 15:04:05.123456 1 a.go:1] x", Some(Error)),
            ("<3>Jun 14 15:16:01 host app: x", Some(Error)),
            ("<30>Jun 14 15:16:01 host app: error here", Some(Info)),
            ("ERROR:root:something broke", Some(Error)),
            ("WARNING: disk almost full", Some(Warn)),
            ("SEVERE: bad", Some(Error)),
            ("Jun 14 15:16:01 host kernel: notice: x", Some(Info)),
            ("2024-01-01 12:00:00 level=warn msg=x", Some(Warn)),
            (
                "- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL FATAL data TLB error",
                Some(Critical),
            ),
            (
                "081109 203615 148 INFO dfs.DataNode$PacketResponder: x",
                Some(Info),
            ),
            (
                "2024-01-01 12:00:00.123 ERROR 1234 --- [main] c.e.App : x",
                Some(Error),
            ),
            ("E, [2024-01-02T03:04:05.123 #1] ERROR -- : x", Some(Error)),
            ("I, [2024-01-02T03:04:05.123 #1]  INFO -- : x", Some(Info)),
            ("[ERROR] something", Some(Error)),
            ("[INFO ] something", Some(Info)),
            ("2024-01-01 12:00:00 Connection error: reset", Some(Error)),
        ] {
            assert_eq!(lv(line), want, "{line}");
        }
    }

    #[test]
    fn false_positives_are_avoided() {
        for line in [
            "2024-01-01 12:00:00 user error count 0",
            "2024-01-01 12:00:00 ErrorHandler started",
            "2024-01-01 12:00:00 started error_count=0",
            "2024-01-01 12:00:00 GET /error HTTP/1.1 200",
            "2024-01-01 12:00:00 loaded log.error module",
            "2024-01-01 12:00:00 the non-error path",
            "2024-01-01 12:00:00 A user logged in",
            "2024-01-01 12:00:00 read I/O stats",
            "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure",
            "plain text with no level at all, not even an alert",
            "2024-01-01 12:00:00 a b c d e f g h i j k l m n o p q r s t ERROR late",
        ] {
            assert_eq!(lv(line), None, "{line}");
        }
    }

    #[test]
    fn first_level_word_wins() {
        assert_eq!(lv("2024-01-01 12:00:00 WARN then ERROR"), Some(Level::Warn));
        assert_eq!(
            lv("2016-09-28 04:30:31, Info  CBS  Failed: ERROR_X"),
            Some(Level::Info)
        );
    }

    #[test]
    fn only_the_first_line_counts() {
        let t = scan(
            "2024-01-01 12:00:00 INFO start\n  ERROR deeper\nCaused by: x",
            &Zone::Utc,
            0,
        );
        assert_eq!(t.level, Some(Level::Info));
        assert!(t.time.is_some());
    }
}

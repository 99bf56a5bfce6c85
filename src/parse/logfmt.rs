//! logfmt lines (`time=… level=info msg="hello world" user=42`): recognised
//! when the line starts with a `key=value` pair and is mostly pairs; mapped
//! with the same keys as JSON (plus logfmt's short `t=` and Heroku's `at=`).
//! Unquoted values that JSON would read as numbers or booleans (`2279`,
//! `0.25`, `true`) are typed as JSON keeps them, so a field has one type
//! whatever the line's format; quoted values stay strings; a bare key is
//! `true`. Values of the record's own fields (`level=30`, `msg=42`) stay text.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::ParseOptions;
use super::json::Picked;
use crate::record::{Micros, Record};

/// The pairs of a logfmt line, or None when the line is not logfmt. Keys
/// borrow from the line.
pub fn pairs(text: &str) -> Option<Vec<(Cow<'_, str>, Value)>> {
    let b = text.as_bytes();
    // Cheap rejections: the first token must be key=value.
    let first_end = b
        .iter()
        .position(|c| matches!(c, b' ' | b'\t'))
        .unwrap_or(b.len());
    let eq = memchr::memchr(b'=', &b[..first_end])?;
    if eq == 0 || !is_key(&b[..eq]) {
        return None;
    }
    let mut out = Vec::with_capacity(16);
    let mut tokens = 0usize;
    let mut with_value = 0usize;
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && matches!(b[i], b' ' | b'\t') {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let ks = i;
        while i < b.len() && !matches!(b[i], b' ' | b'\t' | b'=') {
            i += 1;
        }
        let key = &b[ks..i];
        if !is_key(key) {
            return None;
        }
        tokens += 1;
        let key = Cow::Borrowed(&text[ks..i]);
        if i < b.len() && b[i] == b'=' {
            i += 1;
            let value = if i < b.len() && b[i] == b'"' {
                let (v, end) = quoted(text, i)?;
                i = end;
                v
            } else {
                // Up to whitespace; a quote inside a bare value is not logfmt.
                let vs = i;
                i = match memchr::memchr3(b' ', b'\t', b'"', &b[vs..]) {
                    Some(p) if b[vs + p] == b'"' => return None,
                    Some(p) => vs + p,
                    None => b.len(),
                };
                let bare = &text[vs..i];
                with_value += 1;
                out.push((key, typed(bare)));
                if i < b.len() && !matches!(b[i], b' ' | b'\t') {
                    return None;
                }
                continue;
            };
            with_value += 1;
            out.push((key, Value::String(value)));
        } else {
            out.push((key, Value::Bool(true)));
        }
        if i < b.len() && !matches!(b[i], b' ' | b'\t') {
            return None;
        }
    }
    (with_value >= 2 && with_value * 2 >= tokens).then_some(out)
}

/// An unquoted value as JSON would type it: `true`/`false`, an integer,
/// or a number in JSON's grammar with at most 15 significant digits (so
/// no digit is lost to a float); anything else (`007`, `1.2.3`, `0x1f`,
/// long ids) stays a string.
pub fn typed(v: &str) -> Value {
    match v {
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        _ => {}
    }
    let first = v.as_bytes().first().copied().unwrap_or(b'x');
    if !(first.is_ascii_digit() || first == b'-') {
        return Value::String(v.to_string());
    }
    if let Ok(n) = serde_json::from_str::<serde_json::Number>(v) {
        let digits = v.bytes().filter(u8::is_ascii_digit).count();
        if n.is_i64() || n.is_u64() || digits <= 15 {
            return Value::Number(n);
        }
    }
    Value::String(v.to_string())
}

fn is_key(k: &[u8]) -> bool {
    !k.is_empty()
        && (k[0].is_ascii_alphabetic() || k[0] == b'_' || k[0] == b'@')
        && k.iter().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'@' | b'/' | b':')
        })
}

/// A double-quoted value starting at `start` (the quote); returns the
/// unescaped value and the index after the closing quote.
fn quoted(text: &str, start: usize) -> Option<(String, usize)> {
    let b = text.as_bytes();
    let mut out = String::new();
    let mut i = start + 1;
    let mut run = i;
    while i < b.len() {
        // Jump to the next quote or backslash: the bytes between are copied as
        // they are.
        match memchr::memchr2(b'"', b'\\', &b[i..]) {
            Some(p) => i += p,
            None => break,
        }
        match b[i] {
            b'"' => {
                out.push_str(&text[run..i]);
                return Some((out, i + 1));
            }
            b'\\' if i + 1 < b.len() => {
                out.push_str(&text[run..i]);
                match b[i + 1] {
                    b'n' => out.push('\n'),
                    b't' => out.push('\t'),
                    b'r' => out.push('\r'),
                    b'"' => out.push('"'),
                    b'\\' => out.push('\\'),
                    _ => {
                        // Unknown escape: keep it as written.
                        out.push('\\');
                        run = i + 1;
                        i += 1;
                        continue;
                    }
                }
                i += 2;
                run = i;
            }
            _ => i += 1,
        }
    }
    None
}

/// Parses a logfmt line; None when the line is not logfmt.
pub fn parse(text: &str, opts: &ParseOptions, now: Micros) -> Option<Record> {
    let t = text.trim();
    let pairs = pairs(t)?;
    let mut picked = Picked::default();
    let mut metadata = Map::new();
    for (k, v) in pairs {
        // The record's own fields read text, as before typing.
        let v = match v {
            Value::Number(_) | Value::Bool(_)
                if super::json::classify(&k, true).is_some() && v != Value::Bool(true) =>
            {
                Value::String(v.to_string())
            }
            v => v,
        };
        picked.offer(k, v, true, opts, now, &mut metadata);
    }
    Some(picked.into_record(t, metadata, opts, now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Format, Zone};
    use crate::record::{Level, format_time};

    fn opts() -> ParseOptions {
        ParseOptions {
            format: Format::Auto,
            default_level: Level::Info,
            zone: Zone::Utc,
            service: "svc".into(),
            host: "h".into(),
        }
    }

    #[test]
    fn logrus_and_go_kit_lines() {
        let r = parse(
            r#"time="2024-01-02T03:04:05Z" level=warning msg="disk \"sda\" almost full" used=93 service=store"#,
            &opts(),
            0,
        )
        .unwrap();
        assert_eq!(format_time(r.time), "2024-01-02T03:04:05.000000Z");
        assert_eq!(r.level, Level::Warn);
        assert_eq!(r.message, r#"disk "sda" almost full"#);
        assert_eq!(r.service, "store");
        // Typed as JSON would keep it (issue 16).
        assert_eq!(r.metadata["used"], 93);
        let r = parse(
            "ts=1700000000.5 caller=main.go:12 lvl=error msg=boom",
            &opts(),
            0,
        )
        .unwrap();
        assert_eq!(format_time(r.time), "2023-11-14T22:13:20.500000Z");
        assert_eq!(r.level, Level::Error);
        assert_eq!(r.metadata["caller"], "main.go:12");
        let r = parse(
            "at=error code=H12 desc=\"Request timeout\" path=/",
            &opts(),
            0,
        )
        .unwrap();
        assert_eq!(r.level, Level::Error);
        assert_eq!(
            r.message,
            "at=error code=H12 desc=\"Request timeout\" path=/"
        );
    }

    #[test]
    fn what_is_not_logfmt() {
        for s in [
            "just words",
            "2024-01-01 12:00:00 INFO user=42 action=login",
            "a=1 and then a lot of plain words",
            "a=1",
            "a=\"unterminated b=2",
            "=x y=2",
        ] {
            assert!(pairs(s).is_none(), "{s}");
        }
        assert!(pairs("a=1 b=2 flag").is_some());
    }
}

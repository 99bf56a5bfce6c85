//! `key=value` pairs inside plain-text lines (`ERROR payment timeout
//! order=17`, Python logging's `user_id=42`), lifted into metadata so that
//! `query order=17` finds them. The message is not changed.
//!
//! Bounded: the first line only, at most [`MAX_PAIRS`] pairs, keys that look
//! like identifiers (`order`, `user_id`, `http.status`; at most 64 bytes,
//! not starting with a digit) set apart by whitespace (never inside a URL's
//! query string), values up to the next whitespace or a double-quoted
//! string. Values are typed as logfmt's are ([`super::logfmt::typed`]).

use serde_json::{Map, Value};

/// Most pairs lifted from one line.
pub const MAX_PAIRS: usize = 32;
/// Longest key lifted.
const MAX_KEY: usize = 64;

/// The pairs of the first line of `text`.
pub fn lift(text: &str) -> Map<String, Value> {
    let line = text.split('\n').next().unwrap_or("");
    let b = line.as_bytes();
    let mut out = Map::new();
    let mut i = 0;
    while i < b.len() && out.len() < MAX_PAIRS {
        // A key starts a token.
        if i > 0 && !matches!(b[i - 1], b' ' | b'\t') {
            i += 1;
            continue;
        }
        let ks = i;
        if !(b[i].is_ascii_alphabetic() || b[i] == b'_') {
            i += 1;
            continue;
        }
        while i < b.len() && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b'.')) {
            i += 1;
        }
        if i >= b.len() || b[i] != b'=' || i - ks > MAX_KEY || b[i - 1] == b'.' {
            continue;
        }
        let key = &line[ks..i];
        i += 1;
        let value = if i < b.len() && b[i] == b'"' {
            match memchr::memchr(b'"', &b[i + 1..]) {
                Some(end) => {
                    let v = Value::String(line[i + 1..i + 1 + end].to_string());
                    i += end + 2;
                    v
                }
                None => continue,
            }
        } else {
            let vs = i;
            while i < b.len() && !matches!(b[i], b' ' | b'\t') {
                i += 1;
            }
            // Trailing punctuation of prose (`order=17,` `id=4).`) is not the value.
            let v = line[vs..i].trim_end_matches([',', ';', '.', ')', ']']);
            if v.is_empty() {
                continue;
            }
            super::logfmt::typed(v)
        };
        out.entry(key.to_string()).or_insert(value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_in_prose_are_lifted_and_typed() {
        let m = lift(r#"ERROR payment timeout order=17 user_id=42, region="eu west" ok=true"#);
        assert_eq!(m["order"], 17);
        assert_eq!(m["user_id"], 42);
        assert_eq!(m["region"], "eu west");
        assert_eq!(m["ok"], true);
    }

    #[test]
    fn urls_equations_and_later_lines_are_not_pairs() {
        let m = lift("GET /x?a=1&b=2 took 3ms; 1+1=2 =x\n  at frame order=9");
        assert!(m.is_empty(), "{m:?}");
        let many: String = (0..100).map(|i| format!("k{i}={i} ")).collect();
        assert_eq!(lift(&many).len(), MAX_PAIRS);
    }
}

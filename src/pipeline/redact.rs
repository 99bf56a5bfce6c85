//! Masking of sensitive data (SPEC §3): metadata keys at any depth by name,
//! message text by pattern (Luhn-valid card numbers, `Bearer …`, `password=…`).
//!
//! Keys are compared in a normalised form (lower case, `-`, `.` and spaces as
//! `_`, camelCase split), and a sensitive name also matches as the first or
//! last part of a longer key: `X-Api-Key`, `db_password`, `accessToken` and
//! `password_confirmation` are all masked.
//!
//! The built-in message rules are hand-written scanners, so a line with no
//! digit run, no `=`/`:` after a sensitive word and no "bearer" costs a few
//! byte scans and no regex. User patterns (`--redact-pattern`) are regexes
//! (the regex crate's own literal prefilters keep them cheap).

use std::borrow::Cow;

use anyhow::Context;
use serde_json::Value;

use crate::record::Record;

/// The default list of sensitive keys (matched case-insensitively).
pub const DEFAULT_KEYS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "authorization",
    "cookie",
    "credit_card",
    "card_number",
    "cvv",
    "ssn",
];

/// The replacement text.
pub const MASK: &str = "[REDACTED]";

/// Sensitive words that are also plain English: in message text they need
/// `=` (`token=…`), not `:` ("failed to read token: file missing").
const PROSE_WORDS: &[&str] = &["token", "secret", "cookie"];

#[derive(Debug, Clone)]
pub struct Redactor {
    /// Normalised sensitive key names.
    keys: Vec<String>,
    /// First and last bytes of the keys: a cheap test before normalising a
    /// candidate (a key matches whole, by its first part or by its last part).
    first_bytes: [bool; 256],
    last_bytes: [bool; 256],
    bearer: [memchr::memmem::Finder<'static>; 2],
    /// The built-in message rules are on.
    builtin: bool,
    patterns: Vec<regex::Regex>,
}

impl Redactor {
    /// `keys` and `patterns` add to the defaults unless `defaults` is false.
    pub fn new(keys: &[String], patterns: &[String], defaults: bool) -> anyhow::Result<Self> {
        let mut all: Vec<String> = Vec::new();
        if defaults {
            all.extend(DEFAULT_KEYS.iter().map(|k| normalise(k)));
            // Common spellings in message text of the default keys.
            all.extend(["pwd", "passphrase"].map(String::from));
        }
        for k in keys {
            let n = normalise(k.trim());
            if !n.is_empty() && !all.contains(&n) {
                all.push(n);
            }
        }
        let patterns = patterns
            .iter()
            .map(|p| regex::Regex::new(p).with_context(|| format!("invalid regex '{p}'")))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut first_bytes = [false; 256];
        let mut last_bytes = [false; 256];
        for k in &all {
            if let (Some(f), Some(l)) = (k.bytes().next(), k.bytes().last()) {
                first_bytes[usize::from(f)] = true;
                last_bytes[usize::from(l)] = true;
            }
        }
        Ok(Redactor {
            keys: all,
            first_bytes,
            last_bytes,
            bearer: [
                memchr::memmem::Finder::new("earer ").into_owned(),
                memchr::memmem::Finder::new("EARER ").into_owned(),
            ],
            builtin: defaults,
            patterns,
        })
    }

    /// Masks the record in place.
    pub fn apply(&self, r: &mut Record) {
        if !self.keys.is_empty() && !r.metadata.is_empty() {
            for (k, v) in r.metadata.iter_mut() {
                self.mask_value(k, v);
            }
        }
        if let Cow::Owned(m) = self.mask_message(&r.message) {
            r.message = m;
        }
    }

    fn mask_value(&self, key: &str, v: &mut Value) {
        if self.is_sensitive(key) {
            if !matches!(v, Value::Null) {
                *v = Value::String(MASK.to_string());
            }
            return;
        }
        self.mask_nested(v);
    }

    fn mask_nested(&self, v: &mut Value) {
        match v {
            Value::Object(o) => {
                for (k, v) in o.iter_mut() {
                    self.mask_value(k, v);
                }
            }
            Value::Array(a) => {
                for v in a {
                    self.mask_nested(v);
                }
            }
            _ => {}
        }
    }

    /// Whether a metadata key names sensitive data.
    pub fn is_sensitive(&self, key: &str) -> bool {
        let b = key.as_bytes();
        let (Some(&f), Some(&l)) = (b.first(), b.last()) else {
            return false;
        };
        if b.len() > 128
            || !(self.first_bytes[usize::from(f.to_ascii_lowercase())]
                || self.last_bytes[usize::from(l.to_ascii_lowercase())])
        {
            return false;
        }
        let mut buf = [0u8; 160];
        let n = normalise_into(key, &mut buf);
        self.keys.iter().any(|k| part_match(n, k.as_bytes()))
    }

    /// The message with every built-in and user pattern masked.
    pub fn mask_message<'a>(&self, msg: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(msg);
        // Assignments first: `Authorization: Bearer x` masks scheme and token.
        if !self.keys.is_empty()
            && let Some(m) = self.mask_assignments(&out)
        {
            out = Cow::Owned(m);
        }
        if self.builtin {
            if let Some(m) = mask_cards(&out) {
                out = Cow::Owned(m);
            }
            if let Some(m) = mask_bearer(&out, &self.bearer) {
                out = Cow::Owned(m);
            }
        }
        for re in &self.patterns {
            if let Cow::Owned(m) = re.replace_all(&out, MASK) {
                out = Cow::Owned(m);
            }
        }
        out
    }

    /// `password=…`, `password: …`, `"api_key": "…"`: the value after a
    /// sensitive key is masked.
    fn mask_assignments(&self, s: &str) -> Option<String> {
        let b = s.as_bytes();
        let mut out: Option<String> = None;
        let mut copied = 0;
        for pos in memchr::memchr2_iter(b'=', b':', b) {
            if pos < copied {
                continue;
            }
            // The key: the word before the separator (through a closing quote).
            let mut ke = pos;
            while ke > 0 && b[ke - 1] == b' ' {
                ke -= 1;
            }
            if ke > 0 && matches!(b[ke - 1], b'"' | b'\'') {
                ke -= 1;
            }
            let ks = b[..ke]
                .iter()
                .rposition(|c| !(c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.')))
                .map_or(0, |p| p + 1);
            if ks == ke {
                continue;
            }
            let key = &s[ks..ke];
            if !self.is_sensitive(key) {
                continue;
            }
            if b[pos] == b':' && PROSE_WORDS.iter().any(|w| key.eq_ignore_ascii_case(w)) {
                continue;
            }
            // "http://" is not an assignment.
            if b[pos] == b':' && b.get(pos + 1) == Some(&b'/') {
                continue;
            }
            let Some((vs, ve)) = value_span(b, pos + 1) else {
                continue;
            };
            let o = out.get_or_insert_with(|| String::with_capacity(s.len()));
            o.push_str(&s[copied..vs]);
            o.push_str(MASK);
            copied = ve;
        }
        let mut o = out?;
        o.push_str(&s[copied..]);
        Some(o)
    }
}

/// The span of the value after a separator at `i`: a quoted string, or up to
/// whitespace, `&`, `,`, `;`; an auth scheme (`Bearer x`) takes its token too.
fn value_span(b: &[u8], mut i: usize) -> Option<(usize, usize)> {
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    let q = *b.get(i)?;
    if q == b'"' || q == b'\'' {
        let end = memchr::memchr(q, &b[i + 1..])? + i + 1;
        return (end > i + 1).then_some((i + 1, end));
    }
    let stop = |c: &u8| {
        matches!(
            c,
            b' ' | b'\t' | b'&' | b',' | b';' | b'"' | b'\'' | b')' | b']' | b'}'
        )
    };
    let end = b[i..].iter().position(stop).map_or(b.len(), |p| p + i);
    if end == i {
        return None;
    }
    let word = &b[i..end];
    if ["bearer", "basic", "token", "digest"]
        .iter()
        .any(|s| word.eq_ignore_ascii_case(s.as_bytes()))
        && b.get(end) == Some(&b' ')
    {
        let e2 = b[end + 1..]
            .iter()
            .position(stop)
            .map_or(b.len(), |p| p + end + 1);
        return Some((i, e2));
    }
    Some((i, end))
}

/// Lower case; `-`, `.` and spaces as `_`; camelCase split (`apiKey` →
/// `api_key`, `XApiKey` → `x_api_key`).
fn normalise(key: &str) -> String {
    let mut buf = vec![0u8; key.len() * 2];
    let n = normalise_into(key, &mut buf).to_vec();
    String::from_utf8_lossy(&n).into_owned()
}

/// [`normalise`] into `buf` (at least twice the key's length, or the key is
/// cut); returns the normalised bytes.
fn normalise_into<'b>(key: &str, buf: &'b mut [u8]) -> &'b [u8] {
    let b = key.as_bytes();
    let mut n = 0;
    for (i, &c) in b.iter().enumerate() {
        if n + 2 > buf.len() {
            break;
        }
        if c.is_ascii_uppercase() && i > 0 {
            let prev = b[i - 1];
            let next_lower = b.get(i + 1).is_some_and(u8::is_ascii_lowercase);
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                buf[n] = b'_';
                n += 1;
            }
        }
        buf[n] = match c {
            b'-' | b'.' | b' ' => b'_',
            _ => c.to_ascii_lowercase(),
        };
        n += 1;
    }
    &buf[..n]
}

/// `k` is `n`, or its first or last `_`-separated part(s).
fn part_match(n: &[u8], k: &[u8]) -> bool {
    if n.len() <= k.len() {
        return n == k;
    }
    // The `_` test first: it rejects nearly every candidate without a compare.
    (n[n.len() - k.len() - 1] == b'_' && n.ends_with(k)) || (n[k.len()] == b'_' && n.starts_with(k))
}

/// Masks `Bearer <token>` (the scheme word is kept).
fn mask_bearer(s: &str, finders: &[memchr::memmem::Finder<'static>; 2]) -> Option<String> {
    let b = s.as_bytes();
    let [finder, finder_up] = finders;
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut from = 0;
    while from < b.len() {
        let hit = [finder.find(&b[from..]), finder_up.find(&b[from..])]
            .into_iter()
            .flatten()
            .min();
        let Some(h) = hit else { break };
        let p = from + h;
        from = p + 6;
        if p == 0 || !matches!(b[p - 1], b'b' | b'B') {
            continue;
        }
        if p >= 2 && b[p - 2].is_ascii_alphanumeric() {
            continue;
        }
        let ts = p + 6;
        let te = b[ts..]
            .iter()
            .position(|c| {
                !(c.is_ascii_alphanumeric()
                    || matches!(c, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'='))
            })
            .map_or(b.len(), |x| x + ts);
        if te - ts < 8 {
            continue;
        }
        let o = out.get_or_insert_with(|| String::with_capacity(s.len()));
        o.push_str(&s[copied..ts]);
        o.push_str(MASK);
        copied = te;
        from = te;
    }
    let mut o = out?;
    o.push_str(&s[copied..]);
    Some(o)
}

/// Masks Luhn-valid card numbers: 13–19 digits starting with 2–6, alone or
/// in groups separated by single spaces or dashes.
fn mask_cards(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        // Most text has few digits: skip eight bytes at a time to the next one.
        while i + 8 <= b.len()
            && !has_digit(u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes")))
        {
            i += 8;
        }
        if i >= b.len() {
            break;
        }
        // Start of a digit run not glued to a word or a longer number.
        if !b[i].is_ascii_digit()
            || (i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.'))
        {
            i += 1;
            continue;
        }
        // Collect groups: digits, then [ -] + digits, …
        let mut digits = [0u8; 19];
        let mut nd = 0;
        let mut j = i;
        let mut best_end = None;
        let mut too_long = false;
        loop {
            let gs = j;
            while j < b.len() && b[j].is_ascii_digit() {
                if nd == 19 {
                    too_long = true;
                    break;
                }
                digits[nd] = b[j] - b'0';
                nd += 1;
                j += 1;
            }
            if too_long || j == gs {
                break;
            }
            if (13..=19).contains(&nd)
                && (2..=6).contains(&digits[0])
                && !b.get(j).is_some_and(|c| c.is_ascii_alphanumeric())
                && luhn(&digits[..nd])
            {
                best_end = Some(j);
            }
            if j + 1 < b.len() && matches!(b[j], b' ' | b'-') && b[j + 1].is_ascii_digit() {
                j += 1;
            } else {
                break;
            }
        }
        let run_end = j;
        match best_end {
            Some(e) if !too_long || e < run_end => {
                let o = out.get_or_insert_with(|| String::with_capacity(s.len()));
                o.push_str(&s[copied..i]);
                o.push_str(MASK);
                copied = e;
                i = e;
            }
            _ => {
                // Skip this whole run of digits.
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
        }
    }
    let mut o = out?;
    o.push_str(&s[copied..]);
    Some(o)
}

/// Whether any byte of `w` is an ASCII digit (exact: `c ^ b'0'` is below 10
/// only for digits, and the "has a byte below n" test is exact for n ≤ 128).
#[inline]
fn has_digit(w: u64) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    let v = w ^ (LO * u64::from(b'0'));
    v.wrapping_sub(LO * 10) & !v & (LO * 0x80) != 0
}

fn luhn(d: &[u8]) -> bool {
    let mut sum = 0u32;
    for (k, &x) in d.iter().rev().enumerate() {
        let mut v = u32::from(x);
        if k % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum % 10 == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn red() -> Redactor {
        Redactor::new(&[], &[], true).unwrap()
    }

    fn rec(message: &str, metadata: Value) -> Record {
        Record {
            pattern: None,
            message: message.into(),
            metadata: metadata.as_object().unwrap().clone(),
            ..Record::default()
        }
    }

    #[test]
    fn sensitive_keys_at_any_depth() {
        let mut r = rec(
            "x",
            json!({
                "password": "hunter2",
                "user": {"name": "ann", "Api-Key": "k", "creds": [{"accessToken": "t"}]},
                "headers": {"Authorization": "Bearer abc", "X-Api-Key": "z", "Cookie": "s=1"},
                "token_count": 5,
                "db_password": "p",
                "keyboard": "qwerty",
                "ssn_like": null,
            }),
        );
        red().apply(&mut r);
        let m = Value::Object(r.metadata);
        assert_eq!(m["password"], MASK);
        assert_eq!(m["user"]["name"], "ann");
        assert_eq!(m["user"]["Api-Key"], MASK);
        assert_eq!(m["user"]["creds"][0]["accessToken"], MASK);
        assert_eq!(m["headers"]["Authorization"], MASK);
        assert_eq!(m["headers"]["X-Api-Key"], MASK);
        assert_eq!(m["headers"]["Cookie"], MASK);
        assert_eq!(m["db_password"], MASK);
        assert_eq!(m["keyboard"], "qwerty");
    }

    #[test]
    fn user_keys_and_no_defaults() {
        let r = Redactor::new(&["email".into()], &[], false).unwrap();
        let mut x = rec("password=x", json!({"user_email": "a@b", "password": "p"}));
        r.apply(&mut x);
        assert_eq!(x.metadata["user_email"], MASK);
        assert_eq!(x.metadata["password"], "p");
        assert_eq!(x.message, "password=x");
    }

    #[test]
    fn digit_test_is_exact() {
        for fill in [b'a', b'/', b':', 0xff, 0x80, 0] {
            for c in 0..=255u8 {
                for p in 0..8 {
                    let mut w = [fill; 8];
                    w[p] = c;
                    let want = w.iter().any(u8::is_ascii_digit);
                    assert_eq!(has_digit(u64::from_le_bytes(w)), want, "{w:?}");
                }
            }
        }
    }

    #[test]
    fn card_numbers() {
        let r = red();
        for (s, want) in [
            (
                "paid with 4111 1111 1111 1111 today",
                "paid with [REDACTED] today",
            ),
            ("card=4111-1111-1111-1111", "card=[REDACTED]"),
            ("card 4111111111111111.", "card [REDACTED]."),
            ("amex 378282246310005 ok", "amex [REDACTED] ok"),
            // Not Luhn-valid, an epoch in ms, an id glued to letters, too long.
            ("order 4111111111111112 ok", "order 4111111111111112 ok"),
            ("at 1700000000123 ok", "at 1700000000123 ok"),
            ("id x4111111111111111", "id x4111111111111111"),
            (
                "n 41111111111111111111111 ok",
                "n 41111111111111111111111 ok",
            ),
        ] {
            assert_eq!(r.mask_message(s), want, "{s}");
        }
    }

    #[test]
    fn bearer_and_assignments() {
        let r = red();
        for (s, want) in [
            (
                "Authorization: Bearer eyJhbGciOi.abc-def_ghi",
                "Authorization: [REDACTED]",
            ),
            (
                "sent bearer eyJhbGciOi.abc-def_ghi upstream",
                "sent bearer [REDACTED] upstream",
            ),
            (
                "login password=hunter2 user=ann",
                "login password=[REDACTED] user=ann",
            ),
            (
                "login Password: hunter2, user ann",
                "login Password: [REDACTED], user ann",
            ),
            (
                r#"body {"password":"hunter 2","user":"ann"}"#,
                r#"body {"password":"[REDACTED]","user":"ann"}"#,
            ),
            (
                "GET /x?api_key=abc123&page=2",
                "GET /x?api_key=[REDACTED]&page=2",
            ),
            (
                "failed to read token: file missing",
                "failed to read token: file missing",
            ),
            ("token=abc", "token=[REDACTED]"),
            ("nothing to see here", "nothing to see here"),
        ] {
            assert_eq!(r.mask_message(s), want, "{s}");
        }
    }

    #[test]
    fn user_patterns() {
        let r = Redactor::new(&[], &[r"\b\d{3}-\d{2}-\d{4}\b".into()], true).unwrap();
        assert_eq!(r.mask_message("ssn 123-45-6789 x"), "ssn [REDACTED] x");
        assert!(Redactor::new(&[], &["(".into()], true).is_err());
    }

    #[test]
    fn normalised_keys() {
        assert_eq!(normalise("X-Api-Key"), "x_api_key");
        assert_eq!(normalise("apiKey"), "api_key");
        assert_eq!(normalise("XApiKey"), "x_api_key");
        assert_eq!(normalise("creditCard"), "credit_card");
        assert_eq!(normalise("SSN"), "ssn");
    }
}

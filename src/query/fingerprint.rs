//! Fingerprints group similar messages for "top errors": numbers, UUIDs, hex
//! and quoted values are normalised so that `timeout after 31ms for order 17`
//! and `timeout after 5ms for order 9` share one group.
//!
//! Normalisation replaces, in this order of precedence: quoted values
//! (`'…'`, `"…"`, `` `…` ``) → `<str>`, UUIDs → `<uuid>`, e-mail addresses →
//! `<email>`, URLs → `<url>`, IPv4 addresses (with an optional port) → `<ip>`,
//! IPv6-looking groups → `<ip>`, hex runs (`0x…`, or 8+ hex digits with at
//! least one digit) → `<hex>`, and any other run of digits (with decimals) →
//! `<num>`. Whitespace runs collapse to one space. Only the first 2 KiB of a
//! message count, so a long stack trace costs no more than its head.
//!
//! The rules are one regex ([`PATTERN`]). ASCII text that cannot hold a
//! quoted value, an e-mail address or a URL (no quote, `@` or `://`), which
//! is most error messages, is normalised by [`scan`] instead: the remaining
//! alternatives written out as a backtracking matcher with the regex's own
//! priorities, which needs no capture search (the regex's fingerprints took
//! 5% of the server's ingest CPU). A test checks that both give the same
//! result on 100,000 random strings.
//!
//! The hash is FNV-1a 64, stable across builds and platforms (the fingerprint
//! is stored in the embedded store's rollups).

use std::sync::LazyLock;

use regex::Regex;

/// How much of a message is normalised (bytes).
const MAX_LEN: usize = 2048;

static PATTERN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r#"(?P<str>"[^"\n]{0,200}"|'[^'\n]{0,200}'|`[^`\n]{0,200}`)"#,
        r"|(?P<uuid>\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b)",
        r"|(?P<email>\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b)",
        r"|(?P<url>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\x22'<>]+)",
        r"|(?P<ip>\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?::\d{1,5})?\b)",
        r"|(?P<ip6>\b[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{0,4}){3,7}\b)",
        r"|(?P<hex>\b0[xX][0-9a-fA-F]+\b|\b[0-9a-fA-F]{8,}\b)",
        r"|(?P<num>\d+(?:[.,]\d+)*)",
        r"|(?P<ws>\s{2,}|[\t\r\n])",
    ))
    .expect("fingerprint pattern compiles")
});

/// Whether [`PATTERN`] can only match `text` where the replacement is the
/// match itself: every alternative but one needs a digit, a quote, `@`, `:`
/// or `-`, a control character or two whitespace characters in a row; that
/// one (a run of 8+ hex letters without a digit) is kept as it is. Only
/// ASCII text qualifies (`\s` also matches other spaces). Most messages
/// without numbers skip the regex.
fn nothing_to_replace(text: &str) -> bool {
    let b = text.as_bytes();
    b.iter().all(|c| {
        c.is_ascii()
            && !c.is_ascii_digit()
            && !c.is_ascii_control()
            && !matches!(c, b'"' | b'\'' | b'`' | b'@' | b':' | b'-')
    }) && !b.windows(2).any(|w| w == b"  ")
}

/// The normalised form of a message (also its display template).
pub fn normalize(message: &str) -> String {
    let mut end = message.len().min(MAX_LEN);
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    let text = message[..end].trim();
    if nothing_to_replace(text) {
        return text.to_string();
    }
    if scannable(text) {
        return scan(text);
    }
    replace_all(text)
}

/// What an alternative of [`PATTERN`] matched.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Str,
    Uuid,
    Email,
    Url,
    Ip,
    Ip6,
    Hex,
    Num,
    Ws,
}

/// The replacement of a match `m` of kind `k`.
fn token(k: Kind, m: &str) -> &str {
    match k {
        Kind::Str => "<str>",
        Kind::Uuid => "<uuid>",
        Kind::Email => "<email>",
        Kind::Url => "<url>",
        Kind::Ip => "<ip>",
        // `12:30:45:01` also looks like IPv6 groups; all digits is a number.
        Kind::Ip6 if m.bytes().all(|b| b.is_ascii_digit() || b == b':') => "<num>",
        Kind::Ip6 => "<ip>",
        Kind::Hex => {
            if m.starts_with("0x") || m.starts_with("0X") || m.bytes().any(|b| b.is_ascii_digit()) {
                if m.bytes().all(|b| b.is_ascii_digit()) {
                    "<num>"
                } else {
                    "<hex>"
                }
            } else {
                // A word like `deadbeefcafe` without digits is most likely a word.
                m
            }
        }
        Kind::Num => "<num>",
        Kind::Ws => " ",
    }
}

/// Whether [`scan`] gives what the regex gives: ASCII (so `\d`, `\s`,
/// `\w` and `\b` are the ASCII classes) without the characters the
/// alternatives it leaves out need (a quote, `@`, `://`).
fn scannable(text: &str) -> bool {
    text.is_ascii()
        && !text
            .bytes()
            .any(|c| matches!(c, b'"' | b'\'' | b'`' | b'@'))
        && !text.contains("://")
}

/// [`normalize`] without the regex, for [`scannable`] text: at each
/// position, the first alternative of [`PATTERN`] that matches there (uuid,
/// ip, ip6, hex, num, ws; the others cannot occur), each tried the way a
/// backtracking engine tries it (greedy repeats, longest first), which is
/// the regex's leftmost-first match.
fn scan(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut p, mut last) = (0, 0);
    while p < b.len() {
        let found = Scan(b).at(p);
        match found {
            Some((kind, end)) => {
                out.push_str(&text[last..p]);
                out.push_str(token(kind, &text[p..end]));
                last = end;
                p = end;
            }
            None => p += 1,
        }
    }
    out.push_str(&text[last..]);
    out
}

/// The matcher of [`scan`] over ASCII bytes.
#[derive(Clone, Copy)]
struct Scan<'a>(&'a [u8]);

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// `\s` on ASCII.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

impl Scan<'_> {
    /// The alternative that matches at `p` first, and where it ends.
    fn at(self, p: usize) -> Option<(Kind, usize)> {
        let c = self.0[p];
        if c.is_ascii_hexdigit() {
            if let Some(e) = self.uuid(p) {
                return Some((Kind::Uuid, e));
            }
            if let Some(e) = self.ip(p) {
                return Some((Kind::Ip, e));
            }
            if let Some(e) = self.ip6(p) {
                return Some((Kind::Ip6, e));
            }
            if let Some(e) = self.hex(p) {
                return Some((Kind::Hex, e));
            }
            if c.is_ascii_digit() {
                let e = self.run(p, u8::is_ascii_digit, 1, usize::MAX, |q| {
                    Some(self.num_tail(q))
                });
                return e.map(|e| (Kind::Num, e));
            }
            return None;
        }
        if is_space(c) {
            if let Some(e) = self.run(p, |c| is_space(*c), 2, usize::MAX, Some) {
                return Some((Kind::Ws, e));
            }
            if matches!(c, b'\t' | b'\r' | b'\n') {
                return Some((Kind::Ws, p + 1));
            }
        }
        None
    }

    /// `\b` at `p`.
    fn boundary(self, p: usize) -> bool {
        let before = p > 0 && is_word(self.0[p - 1]);
        let after = p < self.0.len() && is_word(self.0[p]);
        before != after
    }

    fn byte_is(self, p: usize, c: u8) -> bool {
        self.0.get(p) == Some(&c)
    }

    /// `[class]{min,max}` greedy at `p`, followed by `rest`: the first
    /// length (longest first) for which `rest` matches.
    fn run(
        self,
        p: usize,
        class: impl Fn(&u8) -> bool,
        min: usize,
        max: usize,
        rest: impl Fn(usize) -> Option<usize>,
    ) -> Option<usize> {
        let n = self.0[p.min(self.0.len())..]
            .iter()
            .take(max)
            .take_while(|c| class(c))
            .count();
        (min..=n).rev().find_map(|l| rest(p + l))
    }

    /// `\b` at `q`, as an end.
    fn end(self, q: usize) -> Option<usize> {
        self.boundary(q).then_some(q)
    }

    /// `\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b`
    fn uuid(self, p: usize) -> Option<usize> {
        if !self.boundary(p) {
            return None;
        }
        let hex = u8::is_ascii_hexdigit;
        self.run(p, hex, 8, 8, |q| {
            self.byte_is(q, b'-').then_some(())?;
            self.run(q + 1, hex, 4, 4, |q| {
                self.byte_is(q, b'-').then_some(())?;
                self.run(q + 1, hex, 4, 4, |q| {
                    self.byte_is(q, b'-').then_some(())?;
                    self.run(q + 1, hex, 4, 4, |q| {
                        self.byte_is(q, b'-').then_some(())?;
                        self.run(q + 1, hex, 12, 12, |q| self.end(q))
                    })
                })
            })
        })
    }

    /// `\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?::\d{1,5})?\b`
    fn ip(self, p: usize) -> Option<usize> {
        if !self.boundary(p) {
            return None;
        }
        let digit = u8::is_ascii_digit;
        let dot_then = |q: usize, rest: &dyn Fn(usize) -> Option<usize>| {
            self.byte_is(q, b'.').then_some(())?;
            self.run(q + 1, digit, 1, 3, rest)
        };
        self.run(p, digit, 1, 3, |q| {
            dot_then(q, &|q| {
                dot_then(q, &|q| {
                    dot_then(q, &|q| {
                        if self.byte_is(q, b':')
                            && let Some(e) = self.run(q + 1, digit, 1, 5, |r| self.end(r))
                        {
                            return Some(e);
                        }
                        self.end(q)
                    })
                })
            })
        })
    }

    /// `\b[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{0,4}){3,7}\b`
    fn ip6(self, p: usize) -> Option<usize> {
        if !self.boundary(p) {
            return None;
        }
        self.run(p, u8::is_ascii_hexdigit, 1, 4, |q| self.ip6_groups(q, 0))
    }

    /// `(?::[0-9a-fA-F]{0,4}){k..=7}` greedy (`k` done), then `\b`.
    fn ip6_groups(self, q: usize, k: usize) -> Option<usize> {
        if k < 7
            && self.byte_is(q, b':')
            && let Some(e) = self.run(q + 1, u8::is_ascii_hexdigit, 0, 4, |r| {
                self.ip6_groups(r, k + 1)
            })
        {
            return Some(e);
        }
        if k >= 3 { self.end(q) } else { None }
    }

    /// `\b0[xX][0-9a-fA-F]+\b|\b[0-9a-fA-F]{8,}\b`
    fn hex(self, p: usize) -> Option<usize> {
        if !self.boundary(p) {
            return None;
        }
        let hex = u8::is_ascii_hexdigit;
        if self.0[p] == b'0'
            && matches!(self.0.get(p + 1), Some(b'x' | b'X'))
            && let Some(e) = self.run(p + 2, hex, 1, usize::MAX, |q| self.end(q))
        {
            return Some(e);
        }
        self.run(p, hex, 8, usize::MAX, |q| self.end(q))
    }

    /// The `(?:[.,]\d+)*` of a number, greedy: where it ends.
    fn num_tail(self, q: usize) -> usize {
        if matches!(self.0.get(q), Some(b'.' | b','))
            && let Some(e) = self.run(q + 1, u8::is_ascii_digit, 1, usize::MAX, |r| {
                Some(self.num_tail(r))
            })
        {
            return e;
        }
        q
    }
}

/// [`normalize`] by the regex, for text that needs it.
fn replace_all(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for caps in PATTERN.captures_iter(text) {
        let m = caps.get(0).expect("group 0 always matches");
        out.push_str(&text[last..m.start()]);
        last = m.end();
        let kind = [
            ("str", Kind::Str),
            ("uuid", Kind::Uuid),
            ("email", Kind::Email),
            ("url", Kind::Url),
            ("ip", Kind::Ip),
            ("ip6", Kind::Ip6),
            ("hex", Kind::Hex),
            ("num", Kind::Num),
        ]
        .into_iter()
        .find(|(name, _)| caps.name(name).is_some())
        .map_or(Kind::Ws, |(_, k)| k);
        out.push_str(token(kind, m.as_str()));
    }
    out.push_str(&text[last..]);
    out
}

/// A short stable id of the normalised message (16 hex digits).
pub fn fingerprint(message: &str) -> String {
    format!("{:016x}", fnv1a(normalize(message).as_bytes()))
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_messages_share_a_fingerprint() {
        assert_eq!(
            fingerprint("timeout after 31ms for order 17"),
            fingerprint("timeout after 5ms for order 9")
        );
        assert_eq!(
            normalize("timeout after 31ms for order 17"),
            "timeout after <num>ms for order <num>"
        );
        assert_ne!(
            fingerprint("timeout after 31ms"),
            fingerprint("connection refused")
        );
        assert_eq!(fingerprint("x").len(), 16);
    }

    #[test]
    fn variable_parts_are_normalised() {
        for (a, b, want) in [
            (
                "user 3f2b8c9e-1d2a-4b5c-8d7e-9f0a1b2c3d4e not found",
                "user 00000000-1111-2222-3333-444444444444 not found",
                "user <uuid> not found",
            ),
            (
                "connect to 10.0.0.12:5432 failed",
                "connect to 192.168.1.1:80 failed",
                "connect to <ip> failed",
            ),
            (
                "bad key 'alpha' for bob@example.com",
                "bad key 'beta-2' for eve@corp.example.org",
                "bad key <str> for <email>",
            ),
            (
                "segfault at 0x7ffd1234 in block deadbeef42",
                "segfault at 0x1 in block 00ff00ff00",
                "segfault at <hex> in block <hex>",
            ),
            (
                "GET https://api.example.com/v1/users/42 failed with \"503\"",
                "GET http://x/y failed with \"500\"",
                "GET <url> failed with <str>",
            ),
        ] {
            assert_eq!(normalize(a), want, "{a}");
            assert_eq!(fingerprint(a), fingerprint(b), "{a} vs {b}");
        }
    }

    #[test]
    fn words_stay_words() {
        assert_eq!(normalize("cafe deadbeef decade"), "cafe deadbeef decade");
        assert_eq!(normalize("at 12:30:45 done"), "at <num>:<num>:<num> done");
    }

    /// Random text built from pieces that make and break every alternative
    /// `scan` handles (hex and decimal runs, `0x`, dots, commas, colons,
    /// dashes, word and non-word characters, every kind of whitespace).
    fn random_texts(n: usize, mut seed: u64) -> impl Iterator<Item = String> {
        const PIECES: &[&str] = &[
            "0",
            "1",
            "7",
            "9",
            "12",
            "255",
            "1234",
            "65535",
            "123456",
            "a",
            "f",
            "e",
            "A",
            "F",
            "c0ffee",
            "deadbeef",
            "g",
            "x",
            "X",
            "z",
            "_",
            "0x",
            "0X",
            ".",
            ",",
            ":",
            "::",
            "-",
            " ",
            "  ",
            "\t",
            "\n",
            "\r",
            "\x0b",
            "\x0c",
            "=",
            "/",
            "[",
            "]",
            "1.2.3.4",
            "10.0.0.1:",
            "fe80",
            "ms",
            "id",
        ];
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        (0..n).map(move |_| {
            let len = 1 + next() % 14;
            (0..len)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect()
        })
    }

    /// The hand-written matcher gives what the regex gives.
    #[test]
    fn the_scanner_agrees_with_the_regex() {
        let mut checked = 0;
        for t in random_texts(100_000, 0x9e37_79b9_7f4a_7c15) {
            if scannable(&t) {
                checked += 1;
                assert_eq!(scan(&t), replace_all(&t), "{t:?}");
            }
        }
        // Only the few with `://` (from `:`, `/`, `/`) are left to the regex.
        assert!(checked > 99_000, "{checked}");
        for t in [
            "2023-11-14 22:13:40,020 ERROR [search-9] id=157ef91444424098 xx",
            "connect to 10.0.0.12:5432 failed",
            "user 3f2b8c9e-1d2a-4b5c-8d7e-9f0a1b2c3d4e not found",
            "segfault at 0x7ffd1234 in block deadbeef42",
            "at 12:30:45 done, fe80::1:2 and 1:2:3: and 1:2:3:x",
            "v1.2.3 or 1,5 or 3.",
        ] {
            assert!(scannable(t), "{t:?}");
            assert_eq!(scan(t), replace_all(t), "{t:?}");
        }
        for t in ["say \"hi\" 1", "a@b.c 1", "see http://x/1", "café 1"] {
            assert!(!scannable(t), "{t:?}");
        }
    }

    /// The shortcut gives what the regex gives, on text it accepts.
    #[test]
    fn the_shortcut_agrees_with_the_regex() {
        let texts = [
            "payment snapshot database miss",
            "deadbeefcafe failed for user",
            "a.b+c x/y z? (w) [v] {u} !;,=",
            "Timeout WAITING for Upstream",
            "tab\there",
            "two  spaces",
            "nbsp\u{a0}\u{a0}here",
            "vt\x0b\x0bhere",
        ];
        let mut taken = 0;
        for t in texts {
            if nothing_to_replace(t) {
                taken += 1;
                assert_eq!(replace_all(t), t, "{t:?}");
            }
            assert_eq!(normalize(t), replace_all(t.trim()), "{t:?}");
        }
        assert_eq!(taken, 4);
    }
}

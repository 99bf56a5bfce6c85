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
    replace_all(text)
}

/// [`normalize`] by the regex, for text that needs it.
fn replace_all(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for caps in PATTERN.captures_iter(text) {
        let m = caps.get(0).expect("group 0 always matches");
        out.push_str(&text[last..m.start()]);
        last = m.end();
        let token = if caps.name("str").is_some() {
            "<str>"
        } else if caps.name("uuid").is_some() {
            "<uuid>"
        } else if caps.name("email").is_some() {
            "<email>"
        } else if caps.name("url").is_some() {
            "<url>"
        } else if caps.name("ip").is_some() {
            "<ip>"
        } else if caps.name("ip6").is_some() {
            // `12:30:45:01` also looks like IPv6 groups; all digits is a number.
            if m.as_str().bytes().all(|b| b.is_ascii_digit() || b == b':') {
                "<num>"
            } else {
                "<ip>"
            }
        } else if caps.name("hex").is_some() {
            let s = m.as_str();
            if s.starts_with("0x") || s.starts_with("0X") || s.bytes().any(|b| b.is_ascii_digit()) {
                if s.bytes().all(|b| b.is_ascii_digit()) {
                    "<num>"
                } else {
                    "<hex>"
                }
            } else {
                // A word like `deadbeefcafe` without digits is most likely a word.
                s
            }
        } else if caps.name("num").is_some() {
            "<num>"
        } else {
            " "
        };
        out.push_str(token);
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

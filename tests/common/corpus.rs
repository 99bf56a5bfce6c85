//! A generated log corpus for the export tests, and the reference they are
//! held to: the records `send --to -` makes of it (exactly what is
//! shipped), filtered by the query's own reference semantics
//! ([`Query::matches`]), newest first.

use loghub::query::Query;
use loghub::record::Record;

use super::Sandbox;

/// Words of the messages: none is part of another, so whole-word (store)
/// and substring (reference) matching agree on them.
const WORDS: [&str; 12] = [
    "payment",
    "timeout",
    "order",
    "checkout",
    "cache",
    "miss",
    "connection",
    "reset",
    "retry",
    "upstream",
    "gateway",
    "invoice",
];
const SERVICES: [&str; 4] = ["api", "web", "worker", "billing"];
const LEVELS: [&str; 6] = ["debug", "info", "info", "warn", "error", "critical"];

/// `n` JSON lines; with `in_order` times grow with the line number, else
/// they cycle through a span many times over (several shippers, a late
/// replay), with equal times on purpose.
pub fn lines(n: usize, in_order: bool) -> String {
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |m: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % m as u64) as usize
    };
    let base: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
    let mut out = String::new();
    for i in 0..n {
        let offset_ms = if in_order {
            i as i64 * 10
        } else {
            ((i * 37) % (n / 2).max(1)) as i64 * 20
        };
        let t = base * 1000 + offset_ms;
        let time = chrono::DateTime::from_timestamp_millis(t)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let msg: Vec<&str> = (0..6).map(|_| WORDS[next(WORDS.len())]).collect();
        let mut line = serde_json::json!({
            "time": time,
            "level": LEVELS[next(LEVELS.len())],
            "service": SERVICES[next(SERVICES.len())],
            "host": format!("h{}", next(3)),
            "message": format!("{} n={i}", msg.join(" ")),
            "user_id": next(60),
        });
        if i % 9 == 0 {
            line["trace_id"] = format!("tr-{}", i % 4).into();
        }
        out.push_str(&line.to_string());
        out.push('\n');
    }
    out
}

/// The records `send` makes of `input`, as shipped.
pub fn shipped(sb: &Sandbox, input: &str) -> Vec<Record> {
    let o = sb.run(&["send", "--to", "-", "-q"], input.as_bytes());
    super::assert_code(&o, 0);
    o.stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("a shipped record"))
        .collect()
}

/// The query of `terms`, as the commands parse them.
pub fn query(terms: &[&str]) -> Query {
    let terms: Vec<String> = terms.iter().map(|t| t.to_string()).collect();
    loghub::query::terms::parse_terms(&terms, loghub::record::now_micros()).unwrap()
}

/// Records without their store ids and patterns, sorted by what they hold: two results
/// are the same set when these are equal.
pub fn contents(records: &[Record]) -> Vec<String> {
    let mut v: Vec<String> = records
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.id = None;
            // The store adds the pattern it mined; the input has none.
            r.pattern = None;
            serde_json::to_string(&r).unwrap()
        })
        .collect();
    v.sort();
    v
}

/// Asserts that `got` (read back from a store) is exactly the records of
/// `input` that match `terms`, newest first by (time, id).
pub fn assert_exact(got: &[Record], input: &[Record], terms: &[&str], what: &str) {
    let q = query(terms);
    let want: Vec<Record> = input.iter().filter(|r| q.matches(r)).cloned().collect();
    assert!(!want.is_empty(), "{what} {terms:?}: the corpus has matches");
    assert_eq!(
        got.len(),
        want.len(),
        "{what} {terms:?}: as many records as match"
    );
    assert_eq!(
        contents(got),
        contents(&want),
        "{what} {terms:?}: the same records"
    );
    assert!(
        got.windows(2)
            .all(|w| (w[0].time, w[0].id) > (w[1].time, w[1].id)),
        "{what} {terms:?}: newest first by (time, id)"
    );
}

/// The terms the export tests run: text, phrases, levels, services,
/// hosts, metadata, traces, time bounds and their mixes.
pub const TERMS: &[&[&str]] = &[
    &[],
    &["timeout"],
    &["connection reset"],
    &["level=error"],
    &["level>=warn", "service=api"],
    &["user_id=42"],
    &["host=h1", "cache"],
    &["trace=tr-1"],
    &["since=2026-01-01T00:00:10Z", "until=2026-01-01T00:00:30Z"],
    &["service=worker,billing", "retry", "level=info"],
];

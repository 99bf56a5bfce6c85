//! The `key=value` term grammar of SPEC §5 (`level>=warn`, `since=15m`,
//! `user_id=42`, bare words as full text) parsed into a [`Query`].
//!
//! Grammar, one command-line argument per term:
//! - `q=TEXT` or a bare word: a full-text term (an argument with spaces, e.g.
//!   `"connection refused"`, is one phrase);
//! - `level=warn,error`, `level>=warn` (also `>`, `<=`, `<`);
//! - `service=a,b`, `host=a,b` (comma lists; repeated keys add to the list);
//! - `trace=ID` (also `trace_id`, `traceId`);
//! - `since=15m|2h|7d|TIME`, `until=…` (relative times count back from now);
//! - `limit=N` (`0` = all);
//! - `pattern=ID` (16 hex digits, as `loghub patterns` shows; comma lists);
//! - any other `key=value`: a metadata filter (`user_id=42`, `http.status=500`);
//!   `key>N`, `>=`, `<`, `<=` compare metadata numbers (`duration_ms>1000`).
//!
//! A term whose "key" is not a plain name (`a b=c`, `=x`) is full text.

use chrono::{Local, NaiveDate, NaiveDateTime, TimeZone};

use super::Query;
use crate::record::{Level, Micros, parse_rfc3339};

/// A term that cannot be understood; the message names the term.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("bad query term '{term}': {reason}")]
pub struct TermError {
    pub term: String,
    pub reason: String,
}

/// Parses command-line terms (each one `key=value`, `key>=value` or a bare
/// word) into a query. `now` anchors relative times like `since=15m`.
pub fn parse_terms(terms: &[String], now: Micros) -> Result<Query, TermError> {
    let mut q = Query::default();
    for term in terms {
        apply_term(&mut q, term, now).map_err(|reason| TermError {
            term: term.clone(),
            reason,
        })?;
    }
    Ok(q)
}

/// The comparison in a term.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Eq,
    Ge,
    Gt,
    Le,
    Lt,
}

/// Splits `key OP value` where key is a plain name; `None` means full text.
fn split_term(term: &str) -> Option<(&str, Op, &str)> {
    let pos = term.find(['=', '>', '<'])?;
    let key = &term[..pos];
    let rest = &term[pos..];
    let (op, value) = if let Some(v) = rest.strip_prefix(">=") {
        (Op::Ge, v)
    } else if let Some(v) = rest.strip_prefix("<=") {
        (Op::Le, v)
    } else if let Some(v) = rest.strip_prefix('>') {
        (Op::Gt, v)
    } else if let Some(v) = rest.strip_prefix('<') {
        (Op::Lt, v)
    } else {
        (Op::Eq, &rest[1..])
    };
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '@' | '/'));
    plain.then_some((key, op, value))
}

fn apply_term(q: &mut Query, term: &str, now: Micros) -> Result<(), String> {
    let Some((key, op, value)) = split_term(term) else {
        if !term.trim().is_empty() {
            q.text.push(term.trim().to_string());
        }
        return Ok(());
    };
    let lkey = key.to_ascii_lowercase();
    if op != Op::Eq && lkey != "level" {
        let sym = &term[key.len()..term.len() - value.len()];
        if matches!(
            lkey.as_str(),
            "q" | "text"
                | "message"
                | "msg"
                | "service"
                | "services"
                | "host"
                | "hostname"
                | "hosts"
                | "trace"
                | "trace_id"
                | "traceid"
                | "since"
                | "from"
                | "until"
                | "to"
                | "limit"
        ) {
            return Err(format!(
                "{key} takes no comparison ({key}{sym}); use {key}=value"
            ));
        }
        let n: f64 = value
            .trim()
            .parse()
            .ok()
            .filter(|n: &f64| n.is_finite())
            .ok_or_else(|| format!("a comparison needs a number, not '{}'", value.trim()))?;
        q.compare.push(super::MetaCompare {
            key: key.to_string(),
            op: super::CmpOp::parse(sym).expect("split_term gives one of > >= < <="),
            value: n,
        });
        return Ok(());
    }
    let value = value.trim();
    if value.is_empty() {
        return Err(format!("no value after '{key}='"));
    }
    match lkey.as_str() {
        "q" | "text" | "message" | "msg" => q.text.push(value.to_string()),
        "level" | "levels" => {
            let levels = parse_levels(op, value)?;
            for l in levels {
                if !q.levels.contains(&l) {
                    q.levels.push(l);
                }
            }
            q.levels.sort();
        }
        "service" | "services" => push_list(&mut q.services, value),
        "host" | "hostname" | "hosts" => push_list(&mut q.hosts, value),
        "trace" | "trace_id" | "traceid" => q.trace_id = Some(value.to_string()),
        "since" | "from" => q.since = Some(readable(parse_time(value, now)?, value)?),
        "until" | "to" => q.until = Some(readable(parse_time(value, now)?, value)?),
        "pattern" | "patterns" => {
            for v in value.split(',').map(str::trim).filter(|v| !v.is_empty()) {
                let id = crate::pattern::PatternId::parse(v).ok_or_else(|| {
                    format!("'{v}' is not a pattern id: expected 16 hex digits, as `loghub patterns` shows")
                })?;
                if !q.patterns.contains(&id) {
                    q.patterns.push(id);
                }
            }
        }
        "limit" => {
            q.limit = Some(
                value
                    .parse::<usize>()
                    .map_err(|_| format!("limit must be a whole number, not '{value}'"))?,
            )
        }
        _ => q.metadata.push((key.to_string(), value.to_string())),
    }
    Ok(())
}

fn push_list(list: &mut Vec<String>, value: &str) {
    for v in value.split(',').map(str::trim).filter(|v| !v.is_empty()) {
        if !list.iter().any(|x| x == v) {
            list.push(v.to_string());
        }
    }
}

fn parse_levels(op: Op, value: &str) -> Result<Vec<Level>, String> {
    let named: Vec<Level> = value
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| v.parse::<Level>())
        .collect::<Result<_, _>>()?;
    if op == Op::Eq {
        return Ok(named);
    }
    let [one] = named[..] else {
        return Err("a level comparison takes one level".into());
    };
    Ok(Level::ALL
        .into_iter()
        .filter(|l| match op {
            Op::Ge => *l >= one,
            Op::Gt => *l > one,
            Op::Le => *l <= one,
            Op::Lt => *l < one,
            Op::Eq => *l == one,
        })
        .collect())
}

/// Parses a time bound: a relative duration back from `now` (`15m`, `2h`, `7d`),
/// an RFC 3339 time, a date `2026-01-31`, or epoch seconds/ms.
///
/// Times without a zone (`2026-01-31`, `2026-01-31 12:00:00`) are local time,
/// as in journalctl; epoch numbers are read as s, ms, µs or ns by magnitude.
pub fn parse_time(value: &str, now: Micros) -> Result<Micros, String> {
    let v = value.trim();
    if v.eq_ignore_ascii_case("now") {
        return Ok(now);
    }
    if let Some(t) = journalctl_words(v, now)? {
        return Ok(t);
    }
    if let Ok(n) = v.parse::<i64>() {
        // Epoch by magnitude: seconds until year 5138, then ms, µs, ns.
        let a = n.unsigned_abs();
        return Ok(if a < 100_000_000_000 {
            n.saturating_mul(1_000_000)
        } else if a < 100_000_000_000_000 {
            n.saturating_mul(1_000)
        } else if a < 100_000_000_000_000_000 {
            n
        } else {
            n / 1_000
        });
    }
    if v.starts_with(|c: char| c.is_ascii_digit())
        && v.ends_with(|c: char| c.is_ascii_alphabetic())
        && let Ok(secs) = parse_duration_secs(v)
    {
        return Ok(now.saturating_sub(secs.saturating_mul(1_000_000)));
    }
    if let Some(t) = parse_rfc3339(v) {
        return Ok(t);
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(v, fmt) {
            return local_micros(naive);
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        return local_micros(d.and_hms_opt(0, 0, 0).expect("midnight exists"));
    }
    Err(format!(
        "'{value}' is not a time: expected a duration back from now (15m, 2h, 7d, \
         \"2 hours ago\", -1h), today, yesterday, an RFC 3339 time (2026-01-31T12:00:00Z), \
         a date (2026-01-31) or epoch seconds"
    ))
}

/// The words journalctl users type: `today`, `yesterday`, `tomorrow`
/// (local midnight of that day), `2 hours ago`, `-1h`, `+30m`, `-2 days`.
/// `None` when `v` is none of these.
fn journalctl_words(v: &str, now: Micros) -> Result<Option<Micros>, String> {
    let lower = v.to_ascii_lowercase();
    let day = match lower.as_str() {
        "today" => Some(0),
        "yesterday" => Some(-1),
        "tomorrow" => Some(1),
        _ => None,
    };
    if let Some(offset) = day {
        let today = chrono::DateTime::from_timestamp_micros(now)
            .ok_or("the clock is out of range")?
            .with_timezone(&Local)
            .date_naive();
        let d = today + chrono::Duration::days(offset);
        return local_micros(d.and_hms_opt(0, 0, 0).expect("midnight exists")).map(Some);
    }
    let (sign, span) = if let Some(rest) = lower.strip_suffix(" ago") {
        (-1, rest)
    } else if let Some(rest) = lower.strip_prefix('-') {
        (-1, rest)
    } else if let Some(rest) = lower.strip_prefix('+') {
        (1, rest)
    } else {
        return Ok(None);
    };
    let span = span.trim();
    if !span.starts_with(|c: char| c.is_ascii_digit()) {
        return Ok(None);
    }
    let secs = parse_duration_secs(span)?;
    Ok(Some(
        now.saturating_add(sign * secs.saturating_mul(1_000_000)),
    ))
}

/// One rule for every store: a `since`/`until` outside the years records
/// may carry ([`crate::record::TIME_RANGE`]) is a usage error, not a search
/// of the whole store here and a failed request there.
pub fn readable(t: Micros, value: &str) -> Result<Micros, String> {
    if crate::record::TIME_RANGE.contains(&t) {
        Ok(t)
    } else {
        Err(format!(
            "'{value}' is out of range: times run from year 0000 to 9999"
        ))
    }
}

fn local_micros(naive: NaiveDateTime) -> Result<Micros, String> {
    Local
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.timestamp_micros())
        .ok_or_else(|| format!("{naive} does not exist in the local time zone"))
}

/// Parses a duration like `30s`, `15m`, `2h`, `7d`, `1w` into seconds
/// (also compound forms such as `1h30m`; a bare number is seconds).
pub fn parse_duration_secs(value: &str) -> Result<i64, String> {
    let v = value.trim();
    if let Ok(n) = v.parse::<i64>()
        && n >= 0
    {
        return Ok(n);
    }
    let d = humantime::parse_duration(v).map_err(|_| {
        format!("'{value}' is not a duration: expected e.g. 30s, 15m, 2h, 7d or 1w")
    })?;
    i64::try_from(d.as_secs()).map_err(|_| format!("'{value}' is too long a duration"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Micros = 1_800_000_000_000_000;

    fn terms(t: &[&str]) -> Result<Query, TermError> {
        let v: Vec<String> = t.iter().map(|s| s.to_string()).collect();
        parse_terms(&v, NOW)
    }

    #[test]
    fn every_key_of_the_spec_is_understood() {
        let q = terms(&[
            "q=timeout",
            "payment",
            "level=warn,error",
            "service=api,shop",
            "host=web-1",
            "trace=4bf92f35",
            "since=15m",
            "until=2026-01-01T00:00:00Z",
            "limit=50",
            "user_id=42",
            "http.status=500",
        ])
        .unwrap();
        assert_eq!(q.text, vec!["timeout", "payment"]);
        assert_eq!(q.levels, vec![Level::Warn, Level::Error]);
        assert_eq!(q.services, vec!["api", "shop"]);
        assert_eq!(q.hosts, vec!["web-1"]);
        assert_eq!(q.trace_id.as_deref(), Some("4bf92f35"));
        assert_eq!(q.since, Some(NOW - 15 * 60 * 1_000_000));
        assert_eq!(q.until, Some(1_767_225_600_000_000));
        assert_eq!(q.limit, Some(50));
        assert_eq!(
            q.metadata,
            vec![
                ("user_id".to_string(), "42".to_string()),
                ("http.status".to_string(), "500".to_string())
            ]
        );
    }

    #[test]
    fn level_comparisons_pick_the_right_levels() {
        assert_eq!(
            terms(&["level>=warn"]).unwrap().levels,
            vec![Level::Warn, Level::Error, Level::Critical]
        );
        assert_eq!(terms(&["level<info"]).unwrap().levels, vec![Level::Debug]);
        assert_eq!(terms(&["level=WARNING"]).unwrap().levels, vec![Level::Warn]);
    }

    #[test]
    fn bad_terms_name_the_term() {
        for bad in [
            "level=loud",
            "since=yesterdayish",
            "limit=many",
            "service=",
            "user_id>=many",
            "since>1h",
            "user_id>=3",
            "pattern=7f3a",
        ] {
            let e = terms(&[bad]).unwrap_err();
            assert_eq!(e.term, bad);
            assert!(e.to_string().contains(bad), "{e}");
        }
    }

    #[test]
    fn phrases_and_odd_words_are_full_text() {
        let q = terms(&["connection refused", "a b=c", "\"quoted\"", "NEAR(x"]).unwrap();
        assert_eq!(
            q.text,
            vec!["connection refused", "a b=c", "\"quoted\"", "NEAR(x"]
        );
    }

    #[test]
    fn times_and_durations_parse() {
        assert_eq!(parse_duration_secs("30s").unwrap(), 30);
        assert_eq!(parse_duration_secs("2h").unwrap(), 7200);
        assert_eq!(parse_duration_secs("7d").unwrap(), 7 * 86400);
        assert_eq!(parse_duration_secs("1w").unwrap(), 7 * 86400);
        assert_eq!(parse_duration_secs("1h30m").unwrap(), 5400);
        assert!(parse_duration_secs("soon").is_err());
        assert_eq!(parse_time("2h", NOW).unwrap(), NOW - 7_200_000_000);
        assert_eq!(
            parse_time("1700000000", NOW).unwrap(),
            1_700_000_000_000_000
        );
        assert_eq!(
            parse_time("1700000000123", NOW).unwrap(),
            1_700_000_000_123_000
        );
        assert_eq!(
            parse_time("2023-11-14T22:13:20Z", NOW).unwrap(),
            1_700_000_000_000_000
        );
        assert!(parse_time("2026-01-31", NOW).is_ok());
        assert!(parse_time("yesterdayish", NOW).is_err());
    }

    #[test]
    fn journalctl_words_are_times() {
        assert_eq!(parse_time("2 hours ago", NOW).unwrap(), NOW - 7_200_000_000);
        assert_eq!(parse_time("-1h", NOW).unwrap(), NOW - 3_600_000_000);
        assert_eq!(parse_time("+30m", NOW).unwrap(), NOW + 1_800_000_000);
        assert_eq!(
            parse_time("-2 days", NOW).unwrap(),
            NOW - 2 * 86_400_000_000
        );
        let today = parse_time("today", NOW).unwrap();
        let yesterday = parse_time("Yesterday", NOW).unwrap();
        assert!(today <= NOW && NOW - today < 86_400_000_000 + 3_600_000_000);
        // One calendar day earlier (23–25 hours across a DST change).
        assert!((today - yesterday - 86_400_000_000).abs() <= 3_600_000_000);
        assert!(parse_time("tomorrow", NOW).unwrap() > NOW);
        assert!(parse_time("soon ago", NOW).is_err());
    }
}

//! Parsing end to end: real `loghub send --to - --timezone UTC` runs on small
//! fixtures of real formats (tests/fixtures/parse/), checking the records a
//! user would see: level, time, message, service, host and metadata.

mod common;

use std::path::PathBuf;

use chrono::{Datelike, TimeZone, Utc};
use common::{Sandbox, assert_code, ndjson};
use serde_json::Value;

fn fixture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/parse")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// `loghub send --to - --timezone UTC ARGS` on `input`; the records.
fn send(args: &[&str], input: &[u8]) -> Vec<Value> {
    let sb = Sandbox::new();
    let mut all = vec![
        "send",
        "--to",
        "-",
        "--timezone",
        "UTC",
        "--host",
        "test-host",
    ];
    all.extend_from_slice(args);
    let out = sb.run(&all, input);
    assert_code(&out, 0);
    ndjson(&out)
}

fn field<'a>(r: &'a Value, k: &str) -> &'a str {
    r[k].as_str().unwrap_or_else(|| panic!("no {k} in {r}"))
}

/// Level and time of every record.
fn levels_times(recs: &[Value]) -> Vec<(String, String)> {
    recs.iter()
        .map(|r| (field(r, "level").to_string(), field(r, "time").to_string()))
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// The year a year-less timestamp (month, day) gets: this year, or the
/// previous one when that would be in the future.
fn inferred_year(month: u32, day: u32) -> i32 {
    let now = Utc::now();
    let this = Utc
        .with_ymd_and_hms(now.year(), month, day, 0, 0, 0)
        .unwrap();
    if this > now + chrono::Duration::days(2) {
        now.year() - 1
    } else {
        now.year()
    }
}

#[test]
fn pino_json() {
    let r = send(&[], &fixture("pino.ndjson"));
    assert_eq!(
        levels_times(&r),
        pairs(&[
            ("info", "2023-11-14T22:13:20.123000Z"),
            ("error", "2023-11-14T22:13:21.000000Z"),
            ("critical", "2023-11-14T22:13:22.000000Z"),
        ])
    );
    assert_eq!(field(&r[0], "message"), "request completed");
    assert_eq!(field(&r[0], "host"), "web-1");
    assert_eq!(field(&r[0], "service"), "default");
    assert_eq!(r[0]["metadata"]["pid"], 4242);
    assert_eq!(r[0]["metadata"]["responseTime"], 12);
    assert_eq!(r[0]["metadata"]["req"]["id"], "r1");
    // The default redaction masks nested credentials.
    assert_eq!(
        r[0]["metadata"]["req"]["headers"]["authorization"],
        "[REDACTED]"
    );
    assert!(r[0]["metadata"].get("msg").is_none());
    assert!(r[0]["metadata"].get("level").is_none());
    assert_eq!(r[1]["metadata"]["err"]["message"], "card declined");
    assert_eq!(field(&r[2], "service"), "checkout");
    assert_eq!(field(&r[2], "host"), "web-2");
}

#[test]
fn json_with_at_timestamp_and_ids() {
    let r = send(&["--service", "fallback"], &fixture("ecs.ndjson"));
    assert_eq!(
        levels_times(&r),
        pairs(&[
            ("warn", "2024-03-01T10:00:00.250000Z"),
            ("error", "2024-03-01T10:00:00.000000Z"),
        ])
    );
    assert_eq!(field(&r[0], "service"), "orders");
    assert_eq!(field(&r[0], "host"), "db-1");
    assert_eq!(field(&r[0], "traceId"), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(field(&r[0], "spanId"), "00f067aa0ba902b7");
    assert_eq!(r[0]["metadata"]["db"]["duration_ms"], 1500);
    assert_eq!(field(&r[1], "host"), "test-host");
    assert_eq!(r[1]["metadata"]["user"]["id"], 42);
    assert_eq!(r[1]["metadata"]["user"]["password"], "[REDACTED]");
}

#[test]
fn logfmt_lines() {
    let r = send(&[], &fixture("logfmt.log"));
    assert_eq!(r.len(), 3);
    assert_eq!(
        levels_times(&r)[..2],
        pairs(&[
            ("info", "2024-03-01T10:00:00.000000Z"),
            ("warn", "2024-03-01T10:00:01.500000Z"),
        ])
    );
    assert_eq!(field(&r[0], "message"), "server started");
    assert_eq!(field(&r[0], "service"), "gateway");
    assert_eq!(r[0]["metadata"]["port"], 8080);
    assert_eq!(r[1]["metadata"]["upstream"], "http://10.0.0.1:9000");
    assert_eq!(r[1]["metadata"]["token"], "[REDACTED]");
    assert_eq!(field(&r[2], "level"), "error");
    assert_eq!(field(&r[2], "message"), "request failed: \"timeout\"");
    assert_eq!(r[2]["metadata"]["path"], "/api/v1/users");
}

#[test]
fn nginx_error_log() {
    let r = send(&[], &fixture("nginx_error.log"));
    assert_eq!(
        levels_times(&r),
        pairs(&[
            ("error", "2024-03-01T10:00:00.000000Z"),
            ("warn", "2024-03-01T10:00:01.000000Z"),
            ("info", "2024-03-01T10:00:02.000000Z"),
            ("critical", "2024-03-01T10:00:03.000000Z"),
        ])
    );
    // The message is the line as written.
    assert!(field(&r[0], "message").starts_with("2024/03/01 10:00:00 [error] 1234#1234"));
}

#[test]
fn apache_error_and_access_logs() {
    let r = send(&[], &fixture("apache.log"));
    assert_eq!(
        levels_times(&r),
        pairs(&[
            ("info", "2005-12-04T04:47:44.000000Z"),
            ("error", "2005-12-04T04:47:44.000000Z"),
            ("info", "2000-10-10T20:55:36.000000Z"),
        ])
    );
}

#[test]
fn hadoop_log() {
    let r = send(&[], &fixture("hadoop.log"));
    assert_eq!(
        levels_times(&r),
        pairs(&[
            ("info", "2015-10-18T18:01:47.978000Z"),
            ("warn", "2015-10-18T18:01:48.963000Z"),
            ("error", "2015-10-18T18:01:49.228000Z"),
            ("critical", "2015-10-18T18:01:50.353000Z"),
        ])
    );
}

#[test]
fn syslog_lines() {
    let r = send(&[], &fixture("syslog.log"));
    let y14 = inferred_year(6, 14);
    let y4 = inferred_year(6, 4);
    assert_eq!(
        levels_times(&r),
        vec![
            ("info".to_string(), format!("{y14}-06-14T15:16:01.000000Z")),
            ("error".to_string(), format!("{y14}-06-14T15:16:02.000000Z")),
            ("warn".to_string(), format!("{y4}-06-04T03:04:05.000000Z")),
        ]
    );
}

#[test]
fn python_traceback_is_one_record() {
    let r = send(&[], &fixture("python_traceback.log"));
    assert_eq!(r.len(), 3, "{r:#?}");
    assert_eq!(
        levels_times(&r),
        pairs(&[
            ("info", "2024-03-01T10:00:00.001000Z"),
            ("error", "2024-03-01T10:00:01.002000Z"),
            ("info", "2024-03-01T10:00:02.003000Z"),
        ])
    );
    let m = field(&r[1], "message");
    assert!(m.starts_with("2024-03-01 10:00:01,002 ERROR worker: job 42 failed\nTraceback"));
    assert!(m.contains("\n  File \"/app/handlers.py\", line 3, in handler\n"));
    assert!(m.ends_with("\nValueError: bad payload"));
}

#[test]
fn java_trace_with_caused_by_is_one_record() {
    let r = send(&[], &fixture("java_trace.log"));
    assert_eq!(r.len(), 2, "{r:#?}");
    assert_eq!(field(&r[0], "level"), "error");
    assert_eq!(field(&r[0], "time"), "2024-03-01T10:00:00.000000Z");
    let m = field(&r[0], "message");
    assert_eq!(m.lines().count(), 7);
    assert!(m.contains("\njava.lang.IllegalStateException: Failed"));
    assert!(m.contains("\nCaused by: java.io.FileNotFoundException"));
    assert!(m.ends_with("\t... 5 more"));
    assert_eq!(field(&r[1], "level"), "info");
}

#[test]
fn multiline_none_and_regex() {
    let input = fixture("java_trace.log");
    assert_eq!(send(&["--multiline", "none"], &input).len(), 8);
    let r = send(&["--multiline", r"^\d{4}-\d{2}-\d{2} "], &input);
    assert_eq!(r.len(), 2);
}

#[test]
fn android_logcat() {
    let r = send(&[], &fixture("android.log"));
    let y = inferred_year(3, 17);
    assert_eq!(r.len(), 4);
    let lt = levels_times(&r);
    assert_eq!(
        lt[..3],
        vec![
            ("debug".to_string(), format!("{y}-03-17T16:13:38.811000Z")),
            ("warn".to_string(), format!("{y}-03-17T16:13:38.819000Z")),
            ("error".to_string(), format!("{y}-03-17T16:13:38.839000Z")),
        ]
    );
    assert_eq!(lt[3].0, "error");
}

#[test]
fn random_bytes_and_nul_make_records() {
    let mut input = Vec::new();
    let mut x: u32 = 0x1234_5678;
    for _ in 0..4096 {
        // xorshift: deterministic "random" bytes, newlines included.
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        input.push((x >> 24) as u8);
    }
    input.extend_from_slice(
        b"\nbefore\0after ERROR x\n\0\0\0\n{\"msg\":\"nul\\u0000inside\",\"level\":\"warn\"}\n",
    );
    let sb = Sandbox::new();
    let out = sb.run(
        &[
            "send",
            "--to",
            "-",
            "--timezone",
            "UTC",
            "--multiline",
            "none",
        ],
        &input,
    );
    assert_code(&out, 0);
    let r = ndjson(&out);
    assert!(r.len() > 3);
    for rec in &r {
        assert!(!field(rec, "message").is_empty());
    }
    let nul = r
        .iter()
        .find(|x| field(x, "message").starts_with("before"))
        .unwrap();
    assert_eq!(field(nul, "message"), "before\0after ERROR x");
    assert_eq!(field(nul, "level"), "error");
    let last = r.last().unwrap();
    assert_eq!(field(last, "message"), "nul\0inside");
    assert_eq!(field(last, "level"), "warn");
}

#[test]
fn hostile_json_falls_back_to_text() {
    let deep = format!("{}{}\n", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    let mut input = deep.into_bytes();
    input.extend_from_slice(b"{\"time\":\"99999-01-01T00:00:00Z\",\"msg\":\"far future\"}\n");
    input.extend_from_slice(b"{\"ts\":1e300,\"msg\":\"absurd epoch\"}\n");
    input.extend_from_slice(b"{\"user\":\"ann\",\"action\":\"login\"}\n");
    let before = chrono::Utc::now().year();
    let r = send(&[], &input);
    assert_eq!(r.len(), 4);
    assert!(field(&r[0], "message").starts_with("{\"a\":{\"a\":"));
    for rec in &r[1..3] {
        // Unusable times: the record gets the read time, the field is kept.
        let year: i32 = field(rec, "time")[..4].parse().unwrap();
        assert!(year >= before, "{rec}");
    }
    assert_eq!(r[1]["metadata"]["time"], "99999-01-01T00:00:00Z");
    assert_eq!(r[2]["metadata"]["ts"], 1e300);
    assert_eq!(
        field(&r[3], "message"),
        "{\"user\":\"ann\",\"action\":\"login\"}"
    );
    assert_eq!(r[3]["metadata"]["user"], "ann");
}

#[test]
fn huge_line_is_truncated_and_marked() {
    let mut input = b"2024-03-01 10:00:00 ERROR ".to_vec();
    input.extend(std::iter::repeat_n(b'x', 5000));
    input.extend_from_slice(b"\nsmall line\n");
    let r = send(&["--max-line-bytes", "1KiB", "--multiline", "none"], &input);
    assert_eq!(r.len(), 2);
    assert_eq!(field(&r[0], "message").len(), 1024);
    assert_eq!(field(&r[0], "level"), "error");
    assert_eq!(r[0]["metadata"]["_truncated"], true);
    assert_eq!(field(&r[1], "message"), "small line");
    assert!(r[1]["metadata"].get("_truncated").is_none());
}

#[test]
fn blank_lines_are_skipped() {
    let r = send(&[], b"\n\n   \nfirst\n\r\n\t\nsecond\n\n");
    let msgs: Vec<&str> = r.iter().map(|x| field(x, "message")).collect();
    assert_eq!(msgs, vec!["first", "second"]);
}

#[test]
fn message_redaction_and_default_level() {
    let input = b"paid with 4111 1111 1111 1111 by ann\nlogin password=hunter2 ok\nAuthorization: Bearer abcdefghijklmnop\nuser id 123-45-6789\n";
    let r = send(
        &[
            "--level",
            "warn",
            "--redact-pattern",
            r"\d{3}-\d{2}-\d{4}",
            "--multiline",
            "none",
        ],
        input,
    );
    let msgs: Vec<&str> = r.iter().map(|x| field(x, "message")).collect();
    assert_eq!(
        msgs,
        vec![
            "paid with [REDACTED] by ann",
            "login password=[REDACTED] ok",
            "Authorization: [REDACTED]",
            "user id [REDACTED]",
        ]
    );
    assert!(r.iter().all(|x| field(x, "level") == "warn"));
}

/// Accuracy on the real-log samples in /work/shared (development only; not
/// part of the normal suite). Run with
/// `cargo test --test parse -- --ignored --nocapture real_log_accuracy`.
#[test]
#[ignore]
fn real_log_accuracy() {
    let dir = PathBuf::from(
        std::env::var("LOGHUB_REAL_LOGS").unwrap_or("/work/shared/fixtures/real-logs".into()),
    );
    for name in ["apache", "hadoop", "windows", "zookeeper"] {
        let log = std::fs::read(dir.join(format!("{name}.log"))).unwrap();
        let truth = std::fs::read_to_string(dir.join(format!("{name}.truth.tsv"))).unwrap();
        let truth: Vec<Vec<&str>> = truth
            .lines()
            .skip(1)
            .map(|l| l.split('\t').collect())
            .collect();
        let r = send(&["--multiline", "none"], &log);
        assert_eq!(r.len(), truth.len(), "{name}");
        let levels = r
            .iter()
            .zip(&truth)
            .filter(|(r, t)| field(r, "level") == t[1])
            .count();
        let times = r
            .iter()
            .zip(&truth)
            .filter(|(r, t)| field(r, "time") == t[2])
            .count();
        println!(
            "{name:<10} levels {levels}/{n} ({:.2}%)  times {times}/{n} ({:.2}%)",
            100.0 * levels as f64 / truth.len() as f64,
            100.0 * times as f64 / truth.len() as f64,
            n = truth.len()
        );
        assert_eq!((levels, times), (truth.len(), truth.len()), "{name}");
    }
}

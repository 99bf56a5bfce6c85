//! `loghub send` to an HTTP target through a fault-injecting server: every
//! line arrives exactly once whatever the server does, the right records end
//! in the DLQ, and the exit code says what happened.

mod common;
#[path = "common/fault_server.rs"]
mod fault_server;

use std::collections::HashMap;
use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Sandbox, Tmpfs, assert_code, stderr};
use fault_server::{Fault, FaultServer, free_port, policy};

/// `n` distinct lines, `line-000042 …`, about 100 bytes each.
fn lines(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                "line-{i:06} payment processed for order {i} in region eu-west after checkout step"
            )
        })
        .collect()
}

fn input(lines: &[String]) -> Vec<u8> {
    let mut v = lines.join("\n").into_bytes();
    v.push(b'\n');
    v
}

/// Asserts that the server stored every line exactly once, nothing else.
fn assert_exactly_once(server: &FaultServer, lines: &[String]) {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for m in server.messages() {
        *counts.entry(m).or_default() += 1;
    }
    let dups: Vec<_> = counts.iter().filter(|(_, c)| **c > 1).take(5).collect();
    assert!(dups.is_empty(), "records stored twice: {dups:?}");
    let missing: Vec<_> = lines
        .iter()
        .filter(|l| !counts.contains_key(*l))
        .take(5)
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} lines never arrived, e.g. {missing:?}",
        lines.iter().filter(|l| !counts.contains_key(*l)).count(),
        lines.len()
    );
    assert_eq!(
        counts.len(),
        lines.len(),
        "the server stored records that were not sent"
    );
}

/// Records waiting in the sandbox's DLQ queue (not rejected/ or corrupt/).
fn dlq_records(sb: &Sandbox) -> usize {
    loghub::dlq::Dlq::new(sb.dlq())
        .entries()
        .unwrap()
        .iter()
        .map(|e| e.header.as_ref().map(|h| h.records).unwrap())
        .sum()
}

fn stats(sb: &Sandbox) -> serde_json::Value {
    let p = sb.path().join("stats.json");
    serde_json::from_slice(&std::fs::read(p).expect("stats json written")).unwrap()
}

fn send_args(url: &str, sb: &Sandbox, extra: &[&str]) -> Vec<String> {
    // Short times keep the tests fast; a flag given in `extra` wins.
    let defaults = [
        ("--flush-interval", "50ms"),
        ("--batch-size", "100"),
        ("--timeout", "2s"),
        ("--breaker-reset", "100ms"),
        ("--drain-timeout", "20s"),
    ];
    let mut v: Vec<String> = vec!["send".into(), "--to".into(), url.into()];
    for (flag, value) in defaults {
        if !extra.contains(&flag) {
            v.extend([flag.to_string(), value.to_string()]);
        }
    }
    v.push("--stats-json".into());
    v.push(sb.path().join("stats.json").display().to_string());
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn run_send(sb: &Sandbox, url: &str, extra: &[&str], data: &[u8]) -> std::process::Output {
    let args = send_args(url, sb, extra);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    sb.run(&args, data)
}

#[test]
fn every_compression_delivers_each_line_once_with_headers() {
    for (comp, enc) in [("gzip", "gzip"), ("zstd", "zstd"), ("none", "")] {
        let server = FaultServer::start(policy(|_| Fault::RequireKey("k3y".into())));
        let sb = Sandbox::new();
        let ls = lines(2500);
        let out = run_send(
            &sb,
            &server.url(),
            &[
                "--compression",
                comp,
                "--api-key",
                "k3y",
                "--concurrency",
                "4",
            ],
            &input(&ls),
        );
        assert_code(&out, 0);
        assert_exactly_once(&server, &ls);
        assert!(
            server.encodings().iter().all(|e| e == enc),
            "{comp}: {:?}",
            server.encodings()
        );
        let keys = server.keys();
        assert!(
            keys.iter().all(|k| uuid::Uuid::parse_str(k).is_ok()),
            "{keys:?}"
        );
        let s = stats(&sb);
        assert_eq!(s["delivered"], 2500);
        // Batches close at 100 records (or earlier on the flush interval);
        // a healthy server needs one request per batch.
        assert!(s["batches"].as_u64().unwrap() >= 25, "{s}");
        assert_eq!(s["requests"], s["batches"]);
        assert_eq!(server.requests() as u64, s["requests"].as_u64().unwrap());
        assert_eq!(dlq_records(&sb), 0);
        if comp != "none" {
            assert!(
                s["bytes_wire"].as_u64().unwrap() * 3 < s["bytes_raw"].as_u64().unwrap(),
                "{s}"
            );
        }
    }
}

#[test]
fn server_errors_and_429_are_retried_until_accepted() {
    // Each batch gets 503, then 502, then 429 with Retry-After, then 200.
    let tries: std::sync::Mutex<HashMap<String, usize>> = Default::default();
    let server = FaultServer::start(policy(move |r| {
        let mut t = tries.lock().unwrap();
        let n = t.entry(r.key.to_string()).or_default();
        *n += 1;
        match *n {
            1 => Fault::Status(503, None),
            2 => Fault::Status(502, None),
            3 => Fault::Status(429, Some("0".into())),
            _ => Fault::Accept,
        }
    }));
    let sb = Sandbox::new();
    let ls = lines(1000);
    let out = run_send(
        &sb,
        &server.url(),
        &["--breaker-threshold", "0", "--concurrency", "2"],
        &input(&ls),
    );
    assert_code(&out, 0);
    assert_exactly_once(&server, &ls);
    let s = stats(&sb);
    assert_eq!(
        s["retries"].as_u64().unwrap(),
        3 * s["batches"].as_u64().unwrap(),
        "{s}"
    );
    assert_eq!(s["spooled"], 0);
}

#[test]
fn timeouts_and_resets_after_storing_are_deduplicated() {
    // The server stores, then answers too late or drops the connection: the
    // client retries with the same Idempotency-Key and nothing is stored twice.
    let tries: std::sync::Mutex<HashMap<String, usize>> = Default::default();
    let server = FaultServer::start(policy(move |r| {
        let mut t = tries.lock().unwrap();
        let kind = t.len() % 4; // by batch, in order of arrival
        let n = t.entry(r.key.to_string()).or_insert(kind * 10);
        *n += 1;
        match *n {
            1 | 12 | 23 => Fault::DelayAccept(Duration::from_millis(1500)),
            11 | 22 | 2 => Fault::ResetAfterStore,
            21 | 3 | 13 => Fault::ResetBeforeStore,
            _ => Fault::Accept,
        }
    }));
    let sb = Sandbox::new();
    let ls = lines(1500);
    let out = run_send(
        &sb,
        &server.url(),
        &["--timeout", "300ms", "--breaker-threshold", "0"],
        &input(&ls),
    );
    assert_code(&out, 0);
    assert_exactly_once(&server, &ls);
    // Some batch was really sent more than once.
    let keys = server.keys();
    let distinct: std::collections::HashSet<_> = keys.iter().collect();
    assert!(keys.len() > distinct.len());
}

#[test]
fn too_large_batches_are_split_and_a_huge_record_is_rejected() {
    let server = FaultServer::start(policy(|_| Fault::MaxBody(4000)));
    let sb = Sandbox::new();
    let mut ls = lines(600);
    let huge = format!("huge-record {}", "x".repeat(6000));
    ls.insert(300, huge.clone());
    let out = run_send(&sb, &server.url(), &["--compression", "none"], &input(&ls));
    assert_code(&out, 0);
    let expected: Vec<String> = ls.iter().filter(|l| **l != huge).cloned().collect();
    assert_exactly_once(&server, &expected);
    let rej = loghub::dlq::Dlq::new(sb.dlq()).rejected_entries().unwrap();
    assert_eq!(rej.len(), 1, "one rejected file");
    let (h, body) = loghub::dlq::format::read_raw(&rej[0].path).unwrap();
    assert_eq!(h.records, 1);
    let row: serde_json::Value = serde_json::from_slice(body.trim_ascii_end()).unwrap();
    assert_eq!(row["record"]["message"], huge.as_str());
    assert!(row["reason"].as_str().unwrap().contains("413"), "{row}");
    assert_eq!(stats(&sb)["rejected"], 1);
}

#[test]
fn records_refused_with_400_go_to_rejected_the_rest_is_delivered() {
    let server = FaultServer::start(policy(|_| Fault::RejectContaining("BAD".into())));
    let sb = Sandbox::new();
    let mut ls = lines(500);
    for i in [3, 150, 420] {
        ls[i] = format!("BAD record {i}");
    }
    let out = run_send(&sb, &server.url(), &[], &input(&ls));
    assert_code(&out, 0);
    let good: Vec<String> = ls.iter().filter(|l| !l.contains("BAD")).cloned().collect();
    assert_exactly_once(&server, &good);
    let dlq = loghub::dlq::Dlq::new(sb.dlq());
    let mut refused = Vec::new();
    for e in dlq.rejected_entries().unwrap() {
        let (_, body) = loghub::dlq::format::read_raw(&e.path).unwrap();
        for l in body.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            let v: serde_json::Value = serde_json::from_slice(l).unwrap();
            assert_eq!(v["reason"], "message contains BAD");
            refused.push(v["record"]["message"].as_str().unwrap().to_string());
        }
    }
    refused.sort();
    assert_eq!(
        refused,
        vec!["BAD record 150", "BAD record 3", "BAD record 420"]
    );
    assert_eq!(dlq_records(&sb), 0);
    assert_eq!(stats(&sb)["rejected"], 3);
}

#[test]
fn a_refused_api_key_stops_the_run_and_keeps_every_record() {
    let server = FaultServer::start(policy(|_| Fault::RequireKey("right".into())));
    let sb = Sandbox::new();
    let ls = lines(800);
    let out = run_send(&sb, &server.url(), &["--api-key", "wrong"], &input(&ls));
    assert_ne!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("refused the API key (401)"), "{err}");
    assert!(err.contains("LOGHUB_API_KEY"), "{err}");
    assert!(server.records().is_empty());
    // Everything read is kept, nothing lost: replay with the right key.
    let read = stats(&sb)["records"].as_u64().unwrap() as usize;
    assert_eq!(dlq_records(&sb), read);
    let out = sb.run(&["dlq", "replay", "--api-key", "right"], b"");
    assert_code(&out, 0);
    let sent: Vec<String> = ls[..read].to_vec();
    assert_exactly_once(&server, &sent);
    assert_eq!(dlq_records(&sb), 0);
}

#[test]
fn an_unreachable_host_is_named_and_the_records_are_spooled() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let sb = Sandbox::new();
    let ls = lines(300);
    let out = run_send(
        &sb,
        &url,
        &[
            "--max-retries",
            "1",
            "--breaker-threshold",
            "2",
            "--drain-timeout",
            "2s",
        ],
        &input(&ls),
    );
    assert_code(&out, 3);
    let err = stderr(&out);
    assert!(
        err.contains(&format!("cannot connect to 127.0.0.1:{port}")),
        "{err}"
    );
    assert_eq!(dlq_records(&sb), 300);
    assert!(stats(&sb)["breaker_trips"].as_u64().unwrap() >= 1);
}

#[test]
fn a_server_down_then_up_gets_everything_from_the_running_send() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let sb = Sandbox::new();
    let ls = lines(2000);
    let args = send_args(
        &url,
        &sb,
        &["--max-retries", "0", "--breaker-threshold", "1"],
    );
    let child = spawn_send(&sb, &args, &ls);
    // The target is down: wait until the run has spooled something.
    let deadline = Instant::now() + Duration::from_secs(20);
    while dlq_records(&sb) == 0 {
        assert!(Instant::now() < deadline, "nothing was spooled");
        std::thread::sleep(Duration::from_millis(20));
    }
    let server = FaultServer::start_on(port, policy(|_| Fault::Accept));
    let out = child.wait_with_output().unwrap();
    assert_code(&out, 0);
    assert_exactly_once(&server, &ls);
    assert_eq!(dlq_records(&sb), 0, "the spool is emptied once delivered");
    let s = stats(&sb);
    assert_eq!(s["delivered"], 2000);
    assert_eq!(s["spooled"], 0);
}

#[test]
fn an_open_breaker_spools_and_replay_delivers_the_rest() {
    let server = FaultServer::start(policy(|_| Fault::Status(503, None)));
    let sb = Sandbox::new();
    let ls = lines(1200);
    let out = run_send(
        &sb,
        &server.url(),
        &[
            "--breaker-threshold",
            "3",
            "--breaker-reset",
            "10s",
            "--drain-timeout",
            "2s",
        ],
        &input(&ls),
    );
    assert_code(&out, 3);
    let s = stats(&sb);
    assert!(s["breaker_trips"].as_u64().unwrap() >= 1, "{s}");
    assert_eq!(s["spooled"], 1200);
    // Far fewer requests than batches × retries: the open breaker spools.
    assert!(server.requests() < 12, "{} requests", server.requests());
    assert_eq!(dlq_records(&sb), 1200);

    let out = sb.run(&["dlq", "replay"], b"");
    assert_code(&out, 3); // still down: files remain
    assert_eq!(dlq_records(&sb), 1200);

    server.set_policy(policy(|_| Fault::Accept));
    let out = sb.run(&["dlq", "replay"], b"");
    assert_code(&out, 0);
    assert_exactly_once(&server, &ls);
    assert_eq!(dlq_records(&sb), 0);
}

#[test]
fn on_full_block_applies_backpressure_and_loses_nothing() {
    let server = FaultServer::start(policy(|_| Fault::DelayAccept(Duration::from_millis(30))));
    let sb = Sandbox::new();
    let ls = lines(3000);
    let out = run_send(
        &sb,
        &server.url(),
        &[
            "--on-full",
            "block",
            "--max-buffer",
            "200",
            "--concurrency",
            "1",
        ],
        &input(&ls),
    );
    assert_code(&out, 0);
    assert_exactly_once(&server, &ls);
    assert_eq!(stats(&sb)["spooled"], 0);
}

#[test]
fn on_full_drop_newest_counts_what_it_drops() {
    let server = FaultServer::start(policy(|_| Fault::DelayAccept(Duration::from_millis(100))));
    let sb = Sandbox::new();
    let ls = lines(3000);
    let out = run_send(
        &sb,
        &server.url(),
        &[
            "--on-full",
            "drop-newest",
            "--max-buffer",
            "200",
            "--concurrency",
            "1",
        ],
        &input(&ls),
    );
    assert_code(&out, 4);
    let s = stats(&sb);
    let dropped = s["dropped"].as_u64().unwrap() as usize;
    assert!(dropped > 0);
    assert_eq!(server.messages().len() + dropped, 3000, "{s}");
}

#[test]
fn on_full_spill_writes_to_the_spool_and_delivers_it_in_the_same_run() {
    let server = FaultServer::start(policy(|_| Fault::DelayAccept(Duration::from_millis(30))));
    let sb = Sandbox::new();
    let ls = lines(3000);
    let out = run_send(
        &sb,
        &server.url(),
        &[
            "--on-full",
            "spill",
            "--max-buffer",
            "200",
            "--concurrency",
            "2",
        ],
        &input(&ls),
    );
    assert_code(&out, 0);
    assert_exactly_once(&server, &ls);
    assert_eq!(dlq_records(&sb), 0);
}

#[test]
fn an_unwritable_dlq_is_named_and_the_loss_is_counted() {
    let sb = Sandbox::new();
    let file = sb.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let dlq = file.join("dlq");
    let url = format!("http://127.0.0.1:{}", free_port());
    let ls = lines(200);
    let out = run_send(
        &sb,
        &url,
        &[
            "--max-retries",
            "0",
            "--dlq-dir",
            dlq.to_str().unwrap(),
            "--drain-timeout",
            "200ms",
        ],
        &input(&ls),
    );
    // Records kept nowhere are dropped records: exit 4, and counted.
    assert_code(&out, 4);
    let err = stderr(&out);
    assert!(err.contains(&dlq.display().to_string()), "{err}");
    assert!(err.contains("lost"), "{err}");
    assert_eq!(stats(&sb)["dropped"], 200);
}

#[test]
fn a_tls_failure_stops_the_run_with_one_line_naming_the_host() {
    // https:// to a plain-HTTP server: the handshake fails.
    let server = FaultServer::start(policy(|_| Fault::Accept));
    let url = format!("https://{}", server.addr);
    let sb = Sandbox::new();
    let ls = lines(150);
    let out = run_send(&sb, &url, &[], &input(&ls));
    assert_code(&out, 3);
    let err = stderr(&out);
    let line = err
        .lines()
        .find(|l| l.starts_with("loghub: error:"))
        .unwrap_or_else(|| panic!("no error line: {err}"));
    assert!(
        line.contains(&format!("TLS with {} failed", server.addr)),
        "{line}"
    );
    assert_eq!(dlq_records(&sb), 150, "what was read is kept");
}

#[test]
fn a_second_signal_spools_at_once_and_exits_130() {
    // The server holds every request far longer than the test waits.
    let server = FaultServer::start(policy(|_| Fault::DelayAccept(Duration::from_secs(60))));
    let sb = Sandbox::new();
    let ls = lines(1000);
    let args = send_args(
        &server.url(),
        &sb,
        &["--timeout", "120s", "--drain-timeout", "120s"],
    );
    let child = spawn_send(&sb, &args, &ls);
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.requests() < 4 {
        assert!(Instant::now() < deadline, "no request arrived");
        std::thread::sleep(Duration::from_millis(10));
    }
    let pid = child.id() as i32;
    let started = Instant::now();
    // Two different signals, so the kernel cannot coalesce them into one.
    unsafe { libc::kill(pid, libc::SIGINT) };
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the second signal did not cut the drain"
    );
    assert_code(&out, 130);
    // Everything that was not acknowledged is in the spool.
    assert_eq!(dlq_records(&sb), 1000);
}

/// Starts `loghub ARGS` in the background, writes the lines to its stdin and
/// closes it.
fn spawn_send(sb: &Sandbox, args: &[String], ls: &[String]) -> std::process::Child {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = sb
        .cmd(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&input(ls)).unwrap();
    child
}

#[test]
fn a_slow_but_healthy_server_gets_backpressure_not_the_dlq() {
    // Every request succeeds, just slowly, and the buffer is tiny: the default
    // `--on-full spill` must wait for the server, not spill to the DLQ (and
    // leave records there when the drain time runs out).
    let server = FaultServer::start(policy(|_| Fault::DelayAccept(Duration::from_millis(5))));
    let sb = Sandbox::new();
    let ls = lines(60_000);
    let out = run_send(
        &sb,
        &server.url(),
        &[
            "--batch-size",
            "50",
            "--max-buffer",
            "100",
            "--drain-timeout",
            "1s",
        ],
        &input(&ls),
    );
    assert_code(&out, 0);
    assert_exactly_once(&server, &ls);
    assert_eq!(dlq_records(&sb), 0);
    assert_eq!(stats(&sb)["spooled"], 0);
}

/// A DLQ on a full disk with the target down: what fits is kept, the rest
/// is reported as lost by count, and the exit code says records were
/// dropped (4), which wins over "some are in the DLQ" (3).
#[test]
fn a_full_dlq_disk_reports_what_is_lost_and_exits_4() {
    let sb = Sandbox::new();
    let Some(disk) = Tmpfs::mount(&sb.path().join("small"), "64k") else {
        return;
    };
    let dlq = disk.0.join("dlq");
    let url = format!("http://127.0.0.1:{}", free_port());
    let out = run_send(
        &sb,
        &url,
        &[
            "--dlq-dir",
            dlq.to_str().unwrap(),
            "--max-retries",
            "0",
            "--batch-size",
            "50",
        ],
        &input(&lines(20_000)),
    );
    assert_code(&out, 4);
    let err = stderr(&out);
    assert!(err.contains("cannot write to the DLQ directory"), "{err}");
    assert!(err.contains(&dlq.display().to_string()), "{err}");
    let s = stats(&sb);
    let (spooled, dropped) = (
        s["spooled"].as_u64().unwrap(),
        s["dropped"].as_u64().unwrap(),
    );
    assert!(spooled > 0, "nothing fitted in the DLQ: {s}");
    assert!(dropped > 0, "everything fitted in the DLQ: {s}");
    // Reading stops at the failure; every record read is accounted for,
    // including the batches cut from the same chunk after the one that
    // failed (the small batches make one chunk give many).
    assert_eq!(spooled + dropped, s["records"].as_u64().unwrap(), "{s}");
    assert!(
        err.contains(&format!("{dropped} records could not be kept anywhere")),
        "{err}"
    );
    let kept: usize = loghub::dlq::Dlq::new(&dlq)
        .entries()
        .unwrap()
        .iter()
        .map(|e| e.header.as_ref().map(|h| h.records).unwrap())
        .sum();
    assert_eq!(kept as u64, spooled, "the DLQ holds what the summary says");
}

//! `loghub dlq` and the spool's crash safety: `kill -9` of `send --durable`
//! loses nothing that was batched, damaged files are quarantined and
//! reported, two replays never send a file twice, and list/show/purge show
//! and clean what a user expects.

mod common;
#[path = "common/fault_server.rs"]
mod fault_server;

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Sandbox, assert_code, stderr, stdout};
use fault_server::{Fault, FaultServer, policy};
use loghub::backend::Batch;
use loghub::dlq::Dlq;
use loghub::record::Record;

fn record(msg: &str) -> Record {
    Record {
        pattern: None,
        time: 1_700_000_000_000_000,
        service: "api".into(),
        host: "h1".into(),
        message: msg.into(),
        ..Default::default()
    }
}

/// Spools `files` batches of `per` records for `target`; returns all messages.
fn spool(sb: &Sandbox, target: &str, files: usize, per: usize) -> Vec<String> {
    let dlq = Dlq::new(sb.dlq());
    let mut all = Vec::new();
    for f in 0..files {
        let msgs: Vec<String> = (0..per)
            .map(|i| format!("file-{f:03} record-{i:04}"))
            .collect();
        let batch = Batch::new(msgs.iter().map(|m| record(m)).collect());
        dlq.spool(target, &batch, 1, Some("503".into())).unwrap();
        all.extend(msgs);
    }
    all
}

fn queued(sb: &Sandbox) -> usize {
    Dlq::new(sb.dlq())
        .entries()
        .unwrap()
        .iter()
        .map(|e| e.header.as_ref().map_or(0, |h| h.records))
        .sum()
}

fn assert_exactly_once(server: &FaultServer, expected: &[String]) {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for m in server.messages() {
        *counts.entry(m).or_default() += 1;
    }
    assert!(counts.values().all(|c| *c == 1), "some record stored twice");
    let missing = expected.iter().filter(|m| !counts.contains_key(*m)).count();
    assert_eq!(
        missing,
        0,
        "{missing} of {} records never arrived",
        expected.len()
    );
    assert_eq!(counts.len(), expected.len());
}

#[test]
fn replay_delivers_oldest_first_deletes_and_exits_0() {
    let server = FaultServer::start(policy(|_| Fault::Accept));
    let sb = Sandbox::new();
    let all = spool(&sb, &server.url(), 5, 40);
    let before: Vec<String> = Dlq::new(sb.dlq())
        .entries()
        .unwrap()
        .iter()
        .map(|e| e.header.as_ref().unwrap().batch_id.clone())
        .collect();
    let out = sb.run(&["dlq", "replay"], b"");
    assert_code(&out, 0);
    assert_exactly_once(&server, &all);
    assert_eq!(queued(&sb), 0);
    // Each batch's id is its Idempotency-Key.
    let mut keys = server.keys();
    keys.sort();
    let mut before = before;
    before.sort();
    assert_eq!(keys, before);
    assert!(
        stderr(&out).contains("replayed 5 files"),
        "{}",
        stderr(&out)
    );
    // An empty queue: still 0.
    assert_code(&sb.run(&["dlq", "replay"], b""), 0);
}

#[test]
fn replay_keeps_failures_with_attempts_and_exits_3() {
    let server = FaultServer::start(policy(|_| Fault::Status(500, None)));
    let sb = Sandbox::new();
    spool(&sb, &server.url(), 2, 10);
    let out = sb.run(&["dlq", "replay"], b"");
    assert_code(&out, 3);
    assert_eq!(queued(&sb), 20);
    let out = sb.run(&["dlq", "list", "--output", "json"], b"");
    assert_code(&out, 0);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(rows.len(), 2);
    for r in &rows {
        assert!(r["attempts"].as_u64().unwrap() > 1, "{r}");
        assert!(r["last_error"].as_str().unwrap().contains("500"), "{r}");
        assert_eq!(r["target"], server.url().as_str());
        assert_eq!(r["records"], 10);
    }
    let table = sb.run(&["dlq", "list"], b"");
    assert_code(&table, 0);
    let t = stdout(&table);
    assert!(t.contains("2 files, 20 records"), "{t}");
    assert!(t.contains("LAST ERROR"), "{t}");
}

#[test]
fn show_prints_the_records_and_purge_removes_old_files() {
    let sb = Sandbox::new();
    let all = spool(&sb, "http://127.0.0.1:1", 2, 3);
    let first = Dlq::new(sb.dlq()).entries().unwrap()[0].name.clone();
    let out = sb.run(&["dlq", "show", &first[..20]], b"");
    assert_code(&out, 0);
    let msgs: Vec<String> = stdout(&out)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["message"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(msgs, all[..3]);
    assert_code(&sb.run(&["dlq", "show", "nope"], b""), 2);

    // Nothing is 7 days old yet.
    assert_code(&sb.run(&["dlq", "purge", "--older-than", "7d"], b""), 0);
    assert_eq!(queued(&sb), 6);
    assert_code(&sb.run(&["dlq", "purge", "--older-than", "0s"], b""), 0);
    assert_eq!(queued(&sb), 0);
}

#[test]
fn damaged_files_are_quarantined_reported_and_never_deleted() {
    let server = FaultServer::start(policy(|_| Fault::Accept));
    let sb = Sandbox::new();
    let good = spool(&sb, &server.url(), 1, 5);
    spool(&sb, &server.url(), 1, 5);
    let dlq = Dlq::new(sb.dlq());
    // Truncate the second (newest) file; add pure garbage.
    let victim = dlq.entries().unwrap()[1].path.clone();
    let bytes = std::fs::read(&victim).unwrap();
    std::fs::write(&victim, &bytes[..bytes.len() / 2]).unwrap();
    let garbage = sb.dlq().join("1700000000000-garbage.ndjson.gz");
    std::fs::write(&garbage, b"this is not gzip").unwrap();

    let out = sb.run(&["dlq", "replay"], b"");
    assert_code(&out, 0);
    let err = stderr(&out);
    assert!(err.contains("2 unreadable files were moved to"), "{err}");
    assert_exactly_once(&server, &good);
    let corrupt = dlq.corrupt_entries().unwrap();
    let names: HashSet<String> = corrupt.iter().map(|e| e.name.clone()).collect();
    assert!(
        names.contains("1700000000000-garbage.ndjson.gz"),
        "{names:?}"
    );
    assert!(
        names.contains(victim.file_name().unwrap().to_str().unwrap()),
        "{names:?}"
    );
    // Kept byte for byte, with the reason beside it.
    assert_eq!(
        std::fs::read(dlq.corrupt_dir().join("1700000000000-garbage.ndjson.gz")).unwrap(),
        b"this is not gzip"
    );
    assert!(
        dlq.corrupt_dir()
            .join("1700000000000-garbage.ndjson.gz.reason.txt")
            .exists()
    );
    let list = stdout(&sb.run(&["dlq", "list"], b""));
    assert!(list.contains("corrupt/: 2 files"), "{list}");
}

#[test]
fn two_concurrent_replays_never_send_a_file_twice() {
    let server = FaultServer::start(policy(|_| Fault::DelayAccept(Duration::from_millis(20))));
    let sb = Sandbox::new();
    let all = spool(&sb, &server.url(), 30, 20);
    let spawn = |wait: bool| {
        let mut args = vec!["dlq", "replay"];
        if wait {
            args.push("--wait");
        }
        sb.cmd(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // One waits for the other; one more finds it busy and exits 0 saying so.
    let a = spawn(false);
    let b = spawn(true);
    let c = spawn(false);
    let (a, b, c) = (
        a.wait_with_output().unwrap(),
        b.wait_with_output().unwrap(),
        c.wait_with_output().unwrap(),
    );
    for o in [&a, &b, &c] {
        assert_code(o, 0);
    }
    // The waiting one never gives up; the others either ran or said why not.
    assert!(!stderr(&b).contains("another `loghub dlq replay`"));
    for o in [&a, &c] {
        let e = stderr(o);
        assert!(
            e.contains("another `loghub dlq replay` is running") || e.contains("replayed"),
            "{e}"
        );
    }
    let keys = server.keys();
    let distinct: HashSet<&String> = keys.iter().collect();
    assert_eq!(keys.len(), distinct.len(), "a batch was sent twice");
    assert_eq!(keys.len(), 30);
    assert_exactly_once(&server, &all);
}

#[test]
fn kill_9_of_a_durable_send_then_replay_loses_nothing() {
    let lines: Vec<String> = (0..3000)
        .map(|i| format!("durable-{i:05} order shipped to customer"))
        .collect();
    let mut data = lines.join("\n").into_bytes();
    data.push(b'\n');
    let mut rng_state = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    for round in 0..3 {
        let server = FaultServer::start(policy(|_| Fault::DelayAccept(Duration::from_millis(40))));
        let sb = Sandbox::new();
        let url = server.url();
        let mut child = sb
            .cmd(&[
                "send",
                "--to",
                &url,
                "--durable",
                "--batch-size",
                "50",
                "--flush-interval",
                "50ms",
                "--concurrency",
                "2",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&data).unwrap();
        // Wait until every line is batched (on the server or in the spool),
        // then kill at a random later point: after k more requests.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mut seen: HashSet<String> = server.messages().into_iter().collect();
            for e in Dlq::new(sb.dlq()).entries().unwrap() {
                if let Ok((_, b)) = loghub::dlq::format::read_batch(&e.path) {
                    seen.extend(b.records.into_iter().map(|r| r.message));
                }
            }
            if seen.len() >= lines.len() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "round {round}: lines never all batched"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        rng_state = rng_state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let k = server.requests() + (rng_state >> 33) as usize % 20;
        while server.requests() < k && child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "round {round}: no progress");
            std::thread::sleep(Duration::from_millis(2));
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();

        let out = sb.run(&["dlq", "replay"], b"");
        assert_code(&out, 0);
        assert_exactly_once(&server, &lines);
        assert_eq!(queued(&sb), 0, "round {round}");
    }
}

#[test]
fn a_durable_send_that_cannot_deliver_leaves_everything_for_replay() {
    let server = FaultServer::start(policy(|_| Fault::Status(503, None)));
    let sb = Sandbox::new();
    let lines: Vec<String> = (0..500).map(|i| format!("d-{i}")).collect();
    let mut data = lines.join("\n").into_bytes();
    data.push(b'\n');
    let out = sb.run(
        &[
            "send",
            "--to",
            &server.url(),
            "--durable",
            "--flush-interval",
            "50ms",
            "--batch-size",
            "100",
            "--max-retries",
            "0",
            "--breaker-reset",
            "10s",
            "--drain-timeout",
            "200ms",
        ],
        &data,
    );
    assert_code(&out, 3);
    assert_eq!(queued(&sb), 500);
    server.set_policy(policy(|_| Fault::Accept));
    // The next send to the same target delivers what the earlier run left.
    let out = sb.run(
        &["send", "--to", &server.url(), "--flush-interval", "50ms"],
        b"last\n",
    );
    assert_code(&out, 0);
    let mut expected = lines.clone();
    expected.push("last".into());
    assert_exactly_once(&server, &expected);
    assert_eq!(queued(&sb), 0);
}

#[test]
fn replay_takes_its_own_timeout_and_max_retries() {
    // --max-retries: one file against a server that always fails gets
    // exactly 1 + 2 requests (the default would be 1 + 8).
    let server = FaultServer::start(policy(|_| Fault::Status(503, None)));
    let sb = Sandbox::new();
    spool(&sb, &server.url(), 1, 5);
    let out = sb.run(&["dlq", "replay", "--max-retries", "2"], b"");
    assert_code(&out, 3);
    assert_eq!(server.requests(), 3);
    let h = Dlq::new(sb.dlq()).entries().unwrap()[0]
        .header
        .clone()
        .unwrap();
    assert_eq!(h.attempts, 1 + 3, "attempts so far are kept in the file");

    // --timeout: a server slower than it is given up on with that timeout.
    let slow = FaultServer::start(policy(|_| Fault::DelayAccept(Duration::from_secs(5))));
    let sb = Sandbox::new();
    spool(&sb, &slow.url(), 1, 5);
    let out = sb.run(
        &["dlq", "replay", "--timeout", "300ms", "--max-retries", "0"],
        b"",
    );
    assert_code(&out, 3);
    let h = Dlq::new(sb.dlq()).entries().unwrap()[0]
        .header
        .clone()
        .unwrap();
    let err = h.last_error.unwrap_or_default();
    assert!(err.contains("timed out after 300ms"), "{err}");

    // A bad value is a usage error naming the flag.
    let out = sb.run(&["dlq", "replay", "--timeout", "soon"], b"");
    assert_code(&out, 2);
    assert!(stderr(&out).contains("--timeout"), "{}", stderr(&out));
}

#[test]
fn a_replay_during_a_durable_send_leaves_the_files_the_send_holds() {
    // A slow server and one request at a time: the durable send's batches
    // wait in its memory queue, each already in the spool, while a replay
    // of the same DLQ runs. Each batch must be sent by one of them only.
    let server = FaultServer::start(policy(|_| Fault::DelayAccept(Duration::from_millis(25))));
    let sb = Sandbox::new();
    let lines: Vec<String> = (0..2000).map(|i| format!("held-{i:05}")).collect();
    let mut data = lines.join("\n").into_bytes();
    data.push(b'\n');
    let mut child = sb
        .cmd(&[
            "send",
            "--to",
            &server.url(),
            "--durable",
            "--batch-size",
            "20",
            "--flush-interval",
            "50ms",
            "--concurrency",
            "1",
            "--max-buffer",
            "100000",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&data).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while queued(&sb) < 500 {
        assert!(
            Instant::now() < deadline,
            "the send never queued its batches"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let replay = sb.run(&["dlq", "replay"], b"");
    let sent = child.wait_with_output().unwrap();
    assert_code(&sent, 0);
    // The files the send held were busy for the replay: kept, not sent.
    assert!([0, 3].contains(&replay.status.code().unwrap()));
    let keys = server.keys();
    let distinct: HashSet<&String> = keys.iter().collect();
    assert_eq!(keys.len(), distinct.len(), "a batch was sent twice");
    assert_exactly_once(&server, &lines);
    assert_eq!(queued(&sb), 0);
}

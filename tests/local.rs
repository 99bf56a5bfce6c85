//! End to end on the embedded store: `send` then `query`, `stats`, `trace`
//! and `tail` with the real binary, as a user would run them.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use common::{Sandbox, Tmpfs, assert_code, ndjson, stderr, stdout};

fn lines(prefix: &str, n: usize) -> Vec<u8> {
    (1..=n)
        .map(|i| format!("{prefix}{i}\n"))
        .collect::<String>()
        .into_bytes()
}

#[test]
fn sent_lines_come_back_from_query_newest_first() {
    let sb = Sandbox::new();
    let o = sb.run(
        &["send", "--service", "shop"],
        &lines("ERROR payment timeout order=", 5),
    );
    assert_code(&o, 0);
    assert!(stderr(&o).contains("sent 5 of 5 records"), "{}", stderr(&o));
    assert!(sb.store().exists(), "the default store was not created");

    let o = sb.run(
        &[
            "query",
            "q=timeout",
            "level=error",
            "since=1h",
            "--output",
            "ndjson",
        ],
        b"",
    );
    assert_code(&o, 0);
    let recs = ndjson(&o);
    assert_eq!(recs.len(), 5);
    for r in &recs {
        assert_eq!(r["service"], "shop");
        assert_eq!(r["level"], "error");
    }
    // Newest first: the last line sent comes first.
    assert_eq!(recs[0]["message"], "ERROR payment timeout order=5");
    assert_eq!(recs[4]["message"], "ERROR payment timeout order=1");

    // The flag forms mean the same as the terms.
    let o2 = sb.run(
        &[
            "query", "--q", "timeout", "--level", "error", "--since", "1h", "--output", "ndjson",
        ],
        b"",
    );
    assert_eq!(ndjson(&o2), recs);

    // Filters that match nothing give nothing.
    let o = sb.run(&["query", "service=other", "--output", "ndjson"], b"");
    assert_code(&o, 0);
    assert!(ndjson(&o).is_empty());
}

#[test]
fn query_follows_cursors_to_the_limit_and_streams_everything_with_limit_0() {
    let sb = Sandbox::new();
    let o = sb.run(
        &["send", "--service", "bulk", "--batch-size", "300"],
        &lines("INFO bulk line number ", 2500),
    );
    assert_code(&o, 0);

    let o = sb.run(&["query", "--output", "ndjson"], b"");
    assert_eq!(ndjson(&o).len(), 100, "the default limit is 100");

    let o = sb.run(&["query", "--limit", "1200", "--output", "ndjson"], b"");
    assert_eq!(ndjson(&o).len(), 1200);

    let o = sb.run(&["query", "--limit", "0", "--output", "ndjson"], b"");
    assert_code(&o, 0);
    let all = ndjson(&o);
    assert_eq!(all.len(), 2500);
    let mut msgs: Vec<String> = all
        .iter()
        .map(|r| r["message"].as_str().unwrap().to_string())
        .collect();
    msgs.sort();
    msgs.dedup();
    assert_eq!(msgs.len(), 2500, "no record twice, none missing");

    let o = sb.run(&["query", "--limit", "0", "--output", "json"], b"");
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2500);
}

#[test]
fn metadata_filters_and_full_text_are_data_not_syntax() {
    let sb = Sandbox::new();
    let input =
        b"{\"level\":\"warn\",\"msg\":\"quota \\\"near\\\" limit OR NOT\",\"user_id\":42}\n\
{\"level\":\"warn\",\"msg\":\"quota fine\",\"user_id\":7}\n";
    assert_code(&sb.run(&["send", "--service", "api"], input), 0);

    let o = sb.run(&["query", "user_id=42", "--output", "ndjson"], b"");
    let recs = ndjson(&o);
    assert_eq!(recs.len(), 1, "{}", stdout(&o));
    assert_eq!(recs[0]["metadata"]["user_id"], 42);

    for q in ["q=\"near\"", "q=OR NOT", "q=NEAR(quota", "q=quota*"] {
        let o = sb.run(&["query", q, "--output", "ndjson"], b"");
        assert_code(&o, 0);
    }
    let o = sb.run(&["query", "q=near", "--output", "ndjson"], b"");
    assert_eq!(ndjson(&o).len(), 1);
}

#[test]
fn bad_query_terms_are_usage_errors_naming_the_term() {
    let sb = Sandbox::new();
    for (term, named) in [
        ("level=loud", "level=loud"),
        ("since=yesterdayish", "since=yesterdayish"),
    ] {
        let o = sb.run(&["query", term], b"");
        assert_code(&o, 2);
        assert!(stderr(&o).contains(named), "{}", stderr(&o));
    }
}

#[test]
fn stats_count_what_was_sent_by_level_and_service() {
    let sb = Sandbox::new();
    let mut input = Vec::new();
    input.extend(lines("ERROR db timeout after 31ms for order ", 7));
    input.extend(lines("WARN slow request ", 3));
    input.extend(lines("INFO ok ", 10));
    assert_code(&sb.run(&["send", "--service", "api"], &input), 0);
    assert_code(
        &sb.run(&["send", "--service", "web"], &lines("INFO page ", 4)),
        0,
    );

    let o = sb.run(&["stats", "--since", "24h", "--output", "json"], b"");
    assert_code(&o, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["total"], 24);
    assert_eq!(v["by_level"]["error"], 7);
    assert_eq!(v["by_level"]["warn"], 3);
    assert_eq!(v["by_level"]["info"], 14);
    let buckets: u64 = v["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["total"].as_u64().unwrap())
        .sum();
    assert_eq!(buckets, 24);
    assert_eq!(v["top_services"][0]["service"], "api");
    assert_eq!(v["top_services"][0]["count"], 20);
    // The seven errors differ only in a number: one group.
    assert_eq!(v["top_errors"][0]["count"], 7);

    let o = sb.run(
        &["stats", "--since", "24h", "service=web", "--output", "json"],
        b"",
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["total"], 4);

    let o = sb.run(&["stats", "--since", "24h", "--output", "table"], b"");
    assert_code(&o, 0);
    let t = stdout(&o);
    assert!(t.contains("24 records"), "{t}");
    assert!(t.contains("TOP ERRORS"), "{t}");
}

#[test]
fn trace_shows_one_request_oldest_first() {
    let sb = Sandbox::new();
    let tid = "4bf92f3577b34da6a3ce929d0e0e4736";
    let input = format!(
        "{{\"time\":\"2026-01-01T00:00:00.000Z\",\"level\":\"info\",\"msg\":\"start\",\"trace_id\":\"{tid}\",\"service\":\"gw\"}}\n\
         {{\"time\":\"2026-01-01T00:00:00.250Z\",\"level\":\"error\",\"msg\":\"db failed\",\"trace_id\":\"{tid}\",\"service\":\"db\"}}\n\
         {{\"time\":\"2026-01-01T00:00:00.100Z\",\"level\":\"info\",\"msg\":\"auth ok\",\"trace_id\":\"{tid}\",\"service\":\"auth\"}}\n\
         {{\"time\":\"2026-01-01T00:00:00.100Z\",\"level\":\"info\",\"msg\":\"other request\",\"trace_id\":\"ffff\"}}\n"
    );
    assert_code(&sb.run(&["send"], input.as_bytes()), 0);
    let o = sb.run(&["trace", tid, "--output", "ndjson"], b"");
    assert_code(&o, 0);
    let recs = ndjson(&o);
    let msgs: Vec<&str> = recs
        .iter()
        .map(|r| r["message"].as_str().unwrap())
        .collect();
    assert_eq!(msgs, ["start", "auth ok", "db failed"]);

    let o = sb.run(&["trace", tid, "--output", "raw"], b"");
    assert!(stdout(&o).contains("+250.0ms"), "{}", stdout(&o));

    let o = sb.run(&["trace", "0000"], b"");
    assert_code(&o, 1);
    assert!(
        stderr(&o).contains("no records with trace id 0000"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn tail_sees_records_written_by_another_process() {
    let sb = Sandbox::new();
    assert_code(&sb.run(&["send"], b"ERROR first\n"), 0);
    let mut tail = sb
        .cmd(&[
            "tail", "--level", "error", "--since", "1h", "--count", "3", "--output", "ndjson",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(tail.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let first: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(first["message"], "ERROR first");

    // Now that tail is following, another process writes.
    assert_code(
        &sb.run(&["send"], b"INFO not shown\nERROR second\nERROR third\n"),
        0,
    );
    let mut rest = String::new();
    for _ in 0..2 {
        line.clear();
        out.read_line(&mut line).unwrap();
        rest.push_str(&line);
    }
    let status = tail.wait().unwrap();
    assert!(status.success());
    assert!(
        rest.contains("ERROR second") && rest.contains("ERROR third"),
        "{rest}"
    );
    assert!(!rest.contains("not shown"));
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let sb = Sandbox::new();
    assert_code(&sb.run(&["send"], &lines("INFO x ", 3000)), 0);
    let mut child = sb
        .cmd(&["query", "--limit", "0", "--output", "ndjson"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    drop(out);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
}

#[test]
fn a_dry_run_into_a_closed_pipe_ends_quietly() {
    let sb = Sandbox::new();
    let mut child = sb
        .cmd(&["send", "--to", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        for i in 0..200_000 {
            if writeln!(stdin, "INFO line {i}").is_err() {
                break;
            }
        }
    });
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert!(line.contains("INFO line 0"), "{line}");
    drop(out);
    let o = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
}

#[test]
fn a_store_slower_than_the_input_gets_backpressure_not_the_dlq() {
    let sb = Sandbox::new();
    // Tiny batches make every commit cost more than parsing its lines, and a
    // tiny buffer fills at once: the default `--on-full spill` must not send a
    // healthy local store's records to the DLQ.
    let o = sb.run(
        &[
            "send",
            "--batch-size",
            "50",
            "--max-buffer",
            "100",
            "--drain-timeout",
            "1s",
        ],
        &lines("INFO steady stream ", 60_000),
    );
    assert_code(&o, 0);
    assert!(
        stderr(&o).contains("sent 60,000 of 60,000 records"),
        "{}",
        stderr(&o)
    );
    assert!(
        !sb.dlq().exists() || std::fs::read_dir(sb.dlq()).unwrap().next().is_none(),
        "records went to the DLQ"
    );
    let o = sb.run(&["query", "--limit", "0", "--output", "ndjson"], b"");
    assert_eq!(ndjson(&o).len(), 60_000);
}

/// A store on a full disk: a clear error naming it, exit 3, and every line
/// that `send` read is either in the store or in the DLQ — none lost, none
/// twice.
#[test]
fn a_full_disk_under_the_store_keeps_every_line_read() {
    let sb = Sandbox::new();
    let Some(disk) = Tmpfs::mount(&sb.path().join("small"), "2m") else {
        return;
    };
    let store = disk.0.join("store.db");
    let target = format!("local:{}", store.display());
    let stats = sb.path().join("stats.json");
    let input = lines("INFO event number ", 40_000);
    let o = sb.run(
        &[
            "send",
            "--to",
            &target,
            "--stats-json",
            stats.to_str().unwrap(),
        ],
        &input,
    );
    assert_code(&o, 3);
    let err = stderr(&o);
    assert!(err.contains("disk is full"), "{err}");
    assert!(err.contains(&store.display().to_string()), "{err}");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
    let read = summary["lines"].as_u64().unwrap();
    assert!(read > 0);

    // Every message kept, from the store and from the DLQ.
    let o = sb.run(
        &[
            "query", "--to", &target, "--limit", "0", "--output", "ndjson",
        ],
        b"",
    );
    assert_code(&o, 0);
    let stored = ndjson(&o);
    assert!(
        !stored.is_empty(),
        "the store took nothing before it filled"
    );
    let mut messages: Vec<String> = stored
        .iter()
        .map(|r| r["message"].as_str().unwrap().to_string())
        .collect();
    let dlq = loghub::dlq::Dlq::new(sb.dlq());
    let entries = dlq.entries().unwrap();
    assert!(!entries.is_empty(), "nothing was spooled");
    for e in &entries {
        let o = sb.run(&["dlq", "show", &e.name], b"");
        assert_code(&o, 0);
        messages.extend(
            ndjson(&o)
                .iter()
                .map(|r| r["message"].as_str().unwrap().to_string()),
        );
    }
    // Reading stops where the failure is seen, possibly inside a line: the
    // start of that line was read, so it is kept too, as it is.
    let mut kept: Vec<u64> = Vec::new();
    let mut partial = Vec::new();
    for m in &messages {
        match m.strip_prefix("INFO event number ").map(str::parse::<u64>) {
            Some(Ok(n)) => kept.push(n),
            _ => partial.push(m.clone()),
        }
    }
    kept.sort_unstable();
    assert!(partial.len() <= 1, "{partial:?}");
    let whole = read - partial.len() as u64;
    if let Some(p) = partial.first() {
        let next = format!("INFO event number {}", whole + 1);
        assert!(
            next.starts_with(p.as_str()),
            "{p:?} is not the start of {next:?}"
        );
    }
    let want: Vec<u64> = (1..=whole).collect();
    assert_eq!(kept.len(), want.len(), "lines read {read}");
    assert_eq!(kept, want, "every line read is kept exactly once");
}

/// Ids follow the input's order whatever the batch size: with batches that
/// take whole pre-encoded chunks (the default) and with batches smaller
/// than a chunk (encoded at delivery), so lines with equal times read back
/// in the order they were written.
#[test]
fn stored_ids_follow_the_input_order_whatever_the_batch_size() {
    for batch in ["1000", "7"] {
        let sb = Sandbox::new();
        let o = sb.run(
            &["send", "--batch-size", batch],
            &lines("INFO ordered line ", 3000),
        );
        assert_code(&o, 0);
        let o = sb.run(&["query", "--limit", "0", "--output", "ndjson"], b"");
        let mut all: Vec<(i64, String)> = ndjson(&o)
            .iter()
            .map(|r| {
                (
                    r["id"].as_i64().unwrap(),
                    r["message"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(all.len(), 3000, "batch size {batch}");
        all.sort();
        let wrong = all
            .iter()
            .enumerate()
            .find(|(i, (_, m))| *m != format!("INFO ordered line {}", i + 1));
        assert_eq!(wrong, None, "batch size {batch}: first record out of order");
    }
}

//! Patterns end to end (SPEC §10) with the real binary: `send` mines the
//! templates into the embedded store; `patterns`, `query pattern=`, `stats`
//! and the HTTP routes read them back.

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};

use common::{Sandbox, Server, assert_code, ndjson, stderr, stdout};
use serde_json::Value;

/// A small log of three templates with whole-line headers: two with
/// numbers, ids and IPs as variables, one (an error) whose variable is a
/// user name. Returns the lines and the true template index of each.
fn log(n: usize, seed: usize) -> (Vec<u8>, Vec<usize>) {
    let users = ["alice", "bob", "carol", "dave"];
    let mut out = String::new();
    let mut truth = Vec::new();
    for i in seed..seed + n {
        let t = i % 3;
        let time = format!(
            "2026-01-02 03:{:02}:{:02},{:03}",
            i % 60,
            (i * 7) % 60,
            i % 1000
        );
        let line = match t {
            0 => format!(
                "{time} INFO [worker-{}] http.Server: GET /api/items/{i} completed in {}ms status=200",
                i % 4,
                i % 97
            ),
            1 => format!(
                "{time} INFO [main] net.Pool: connection to 10.0.{}.{}:5432 opened as conn-{i:x}",
                i % 8,
                i % 250
            ),
            _ => format!(
                "{time} ERROR [main] auth.Login: login failed for user {} from 192.168.1.{}",
                users[i % 4],
                i % 200
            ),
        };
        out.push_str(&line);
        out.push('\n');
        truth.push(t);
    }
    (out.into_bytes(), truth)
}

fn patterns_json(sb: &Sandbox, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["patterns", "--since", "20y", "--output", "json"];
    all.extend_from_slice(args);
    let o = sb.run(&all, b"");
    assert_code(&o, 0);
    serde_json::from_str::<Value>(&stdout(&o))
        .unwrap_or_else(|e| panic!("bad JSON {e}: {}", stdout(&o)))
        .as_array()
        .unwrap()
        .clone()
}

fn send(sb: &Sandbox, input: &[u8], extra: &[&str]) {
    let mut args = vec!["send", "--service", "app", "--timezone", "UTC"];
    args.extend_from_slice(extra);
    let o = sb.run(&args, input);
    assert_code(&o, 0);
}

#[test]
fn each_template_is_one_pattern_and_pattern_finds_exactly_its_records() {
    let sb = Sandbox::new();
    let (input, truth) = log(300, 0);
    send(&sb, &input, &[]);
    let pats = patterns_json(&sb, &[]);
    assert_eq!(pats.len(), 3, "{pats:#?}");
    for p in &pats {
        assert_eq!(p["count"], 100, "{p}");
        assert!(p["template"].as_str().unwrap().contains("<*>"), "{p}");
        assert_eq!(p["trend"].as_array().unwrap().len(), 24);
        assert!(!p["example"].as_str().unwrap().is_empty());
    }
    let error = pats
        .iter()
        .find(|p| {
            p["template"]
                .as_str()
                .unwrap()
                .contains("login failed for user <*>")
        })
        .unwrap_or_else(|| panic!("no login template: {pats:#?}"));
    let id = error["id"].as_str().unwrap();

    // Every record of the template, and no other, carries the id.
    let o = sb.run(
        &[
            "query",
            &format!("pattern={id}"),
            "--limit",
            "0",
            "-o",
            "ndjson",
        ],
        b"",
    );
    assert_code(&o, 0);
    let recs = ndjson(&o);
    assert_eq!(recs.len(), truth.iter().filter(|t| **t == 2).count());
    assert!(
        recs.iter()
            .all(|r| r["pattern"] == id && r["level"] == "error")
    );
    let o = sb.run(&["query", "--limit", "0", "-o", "ndjson"], b"");
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    for r in ndjson(&o) {
        *by.entry(r["pattern"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert_eq!(
        by.values().copied().collect::<Vec<_>>(),
        vec![100, 100, 100]
    );

    // Terms narrow the list.
    let only = patterns_json(&sb, &["level>=warn"]);
    assert_eq!(only.len(), 1);
    assert_eq!(only[0]["id"], id);
    let by_word = patterns_json(&sb, &["opened"]);
    assert_eq!(by_word.len(), 1);
    assert_eq!(by_word[0]["count"], 100);

    // Top errors are grouped by the same pattern.
    let o = sb.run(&["stats", "--since", "20y", "-o", "json"], b"");
    assert_code(&o, 0);
    let stats: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let top = &stats["top_errors"][0];
    assert_eq!(top["count"], 100, "{stats:#}");
    assert_eq!(top["fingerprint"], id, "{stats:#}");

    // The table shows id, count and template.
    let o = sb.run(&["patterns", "--since", "20y", "-o", "table"], b"");
    assert_code(&o, 0);
    let table = stdout(&o);
    assert!(table.starts_with("ID"), "{table}");
    assert!(
        table.contains(id) && table.contains("login failed for user"),
        "{table}"
    );
}

#[test]
fn pattern_ids_are_the_same_in_two_stores_and_across_runs() {
    let (input, _) = log(300, 0);
    let a = Sandbox::new();
    send(&a, &input, &[]);
    let b = Sandbox::new();
    // Two runs into one store: the second half's templates join the first's.
    let half = input.len() / 2;
    let cut = input[..half].iter().rposition(|c| *c == b'\n').unwrap() + 1;
    send(&b, &input[..cut], &[]);
    send(&b, &input[cut..], &[]);
    let ids = |sb: &Sandbox| {
        let mut v: Vec<(String, u64)> = patterns_json(sb, &[])
            .iter()
            .map(|p| {
                (
                    p["id"].as_str().unwrap().to_string(),
                    p["count"].as_u64().unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(ids(&a), ids(&b));
    for (id, n) in ids(&b) {
        let o = b.run(
            &[
                "query",
                &format!("pattern={id}"),
                "--limit",
                "0",
                "-o",
                "ndjson",
            ],
            b"",
        );
        assert_eq!(ndjson(&o).len() as u64, n, "pattern={id}");
    }
}

#[test]
fn malformed_ids_are_usage_errors_and_unknown_ids_match_nothing() {
    let sb = Sandbox::new();
    send(&sb, &log(30, 0).0, &[]);
    let o = sb.run(&["query", "pattern=7f3a"], b"");
    assert_code(&o, 2);
    assert!(stderr(&o).contains("pattern=7f3a"), "{}", stderr(&o));
    let o = sb.run(&["patterns", "pattern=zz"], b"");
    assert_code(&o, 2);
    let o = sb.run(&["query", "pattern=0123456789abcdef", "-o", "ndjson"], b"");
    assert_code(&o, 0);
    assert_eq!(stdout(&o), "");
}

#[test]
fn bad_lines_get_patterns_and_never_crash_the_miner() {
    let sb = Sandbox::new();
    let mut input = Vec::new();
    input.extend_from_slice(b"x\n");
    input.extend_from_slice("w ".repeat(10_000).as_bytes());
    input.push(b'\n');
    input.extend_from_slice(b"12 34 0x1f 2026-01-01\n");
    for i in 0..3000u32 {
        // Every line its own template.
        let w: String = format!("{i:x}")
            .chars()
            .map(|c| (b'g' + c as u8 % 16) as char)
            .collect();
        input.extend_from_slice(format!("{w} unique {w}{w} line\n").as_bytes());
    }
    input.extend_from_slice(&[0xff, 0xfe, b'\n']);
    send(&sb, &input, &[]);
    let o = sb.run(&["query", "--limit", "0", "-o", "ndjson"], b"");
    assert_code(&o, 0);
    let recs = ndjson(&o);
    assert_eq!(recs.len(), 3004);
    assert!(
        recs.iter()
            .all(|r| r["pattern"].as_str().is_some_and(|p| p.len() == 16))
    );
}

/// A GET on the server; the status and the JSON body.
fn get(server: &Server, path: &str) -> (u16, Value) {
    let addr = server.base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status: u16 = resp[9..12].parse().unwrap();
    let body = resp.split_once("\r\n\r\n").unwrap().1;
    // Chunked or not: the JSON object is between the first { and last }.
    let json = &body[body.find('{').unwrap()..=body.rfind('}').unwrap()];
    (status, serde_json::from_str(json).unwrap())
}

#[test]
fn the_server_lists_patterns_and_filters_logs_by_pattern() {
    let sb = Sandbox::new();
    let server = Server::start(&sb, sb.path().join("served.db"), &[]);
    let (input, _) = log(90, 0);
    send(&sb, &input, &["--to", &server.base]);
    let (status, v) = get(
        &server,
        "/api/v1/patterns?from=2000-01-01T00:00:00Z&service=app",
    );
    assert_eq!(status, 200, "{v}");
    let pats = v["patterns"].as_array().unwrap();
    assert_eq!(pats.len(), 3, "{v:#}");
    let id = pats[0]["id"].as_str().unwrap();
    let (status, v) = get(&server, &format!("/api/v1/logs?pattern={id}&limit=1000"));
    assert_eq!(status, 200);
    let logs = v["logs"].as_array().unwrap();
    assert_eq!(logs.len(), 30);
    assert!(logs.iter().all(|r| r["pattern"] == id));
    let (status, _) = get(&server, "/api/v1/logs?pattern=nothex");
    assert_eq!(status, 400);

    // The client over HTTP: the same list and the same drill-down.
    let o = sb.run(
        &[
            "--to",
            &server.base,
            "patterns",
            "--since",
            "20y",
            "-o",
            "ndjson",
        ],
        b"",
    );
    assert_code(&o, 0);
    assert_eq!(ndjson(&o).len(), 3);
    let o = sb.run(
        &[
            "--to",
            &server.base,
            "query",
            &format!("pattern={id}"),
            "--limit",
            "0",
            "-o",
            "ndjson",
        ],
        b"",
    );
    assert_code(&o, 0);
    assert_eq!(ndjson(&o).len(), 30);
}

#[test]
fn records_stored_before_patterns_get_them_on_first_open() {
    // Written by loghub before patterns (schema 3, block format 1): 30
    // "connection … opened" lines and 30 "login failed for user …" errors.
    let sb = Sandbox::new();
    let store = sb.path().join("old.db");
    std::fs::copy("tests/fixtures/store-v3-before-patterns.db", &store).unwrap();
    let to = format!("local:{}", store.display());
    let pats = patterns_json(&sb, &["--to", &to]);
    let mut counts: Vec<u64> = pats.iter().map(|p| p["count"].as_u64().unwrap()).collect();
    counts.sort();
    assert_eq!(counts, vec![30, 30], "{pats:#?}");
    for p in &pats {
        let id = p["id"].as_str().unwrap();
        let o = sb.run(
            &[
                "--to",
                &to,
                "query",
                &format!("pattern={id}"),
                "--limit",
                "0",
                "-o",
                "ndjson",
            ],
            b"",
        );
        assert_code(&o, 0);
        let recs = ndjson(&o);
        assert_eq!(recs.len(), 30, "pattern={id}");
        assert!(recs.iter().all(|r| r["pattern"] == id));
    }
}

// The ClickHouse suite, included by two test targets that each define
// `SERVER: ChServer` and `mod common`: tests/clickhouse.rs (Debian's
// clickhouse-server 18.16) and tests/ch_current/main.rs (ClickHouse 26.9's
// engine behind tests/ch_current/server.py). One suite, so every feature
// loghub picks by version is checked on an old and a current server.
//
// Each test appends its own suffix to the database name of the server's
// base URL, so tests run in parallel.

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Sandbox, Server, assert_code, ndjson, stderr};
use serde_json::Value;

/// Which ClickHouse a test target runs this suite against.
struct ChServer {
    /// How failures and skips name it.
    name: &'static str,
    /// The env var that overrides the base URL.
    env: &'static str,
    default_url: &'static str,
    /// Starts an instance: same interface as `.ci/clickhouse.sh`
    /// (`CH_HTTP_PORT`, `CH_DIR`, pid in `$CH_DIR/server.pid`).
    start_script: &'static str,
    /// First HTTP port of the restart test's own instance (plus pid % 800),
    /// distinct per target so both targets can run at once.
    restart_port_base: u16,
    /// Outside CI, a missing server skips the tests with a message instead
    /// of failing them (a developer may not have installed this one).
    optional: bool,
}

impl ChServer {
    fn base_url(&self) -> String {
        std::env::var(self.env).unwrap_or_else(|_| self.default_url.into())
    }

    /// Whether the tests can run. An unreachable required server (or any
    /// server in CI) fails them, with a hint to run the start script; an
    /// optional one outside CI skips them, saying so on the terminal.
    fn available(&self) -> bool {
        let base = http_base(&self.base_url());
        let answers = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let r = reqwest::Client::new()
                    .post(format!("{base}/"))
                    .body("SELECT 1")
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await;
                matches!(r, Ok(r) if r.status().is_success())
            });
        if answers {
            return true;
        }
        let hint = format!(
            "no {} answering at {base}; run `{}` to start one (or set {})",
            self.name, self.start_script, self.env
        );
        if !self.optional || std::env::var_os("CI").is_some() {
            panic!("{hint}");
        }
        // Straight to the terminal: the test harness captures eprintln!.
        let _ = writeln!(std::io::stderr(), "SKIPPED ({}): {hint}", self.name);
        false
    }
}

/// A fresh database on the test server for one test; dropped at the end.
struct Db {
    url: String,
}

impl Db {
    /// `None` when [`ChServer::available`] says to skip.
    fn new(name: &str) -> Option<Db> {
        if !SERVER.available() {
            return None;
        }
        let base = SERVER.base_url();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let url = format!("{base}_{name}_{}_{nanos}", std::process::id());
        let sb = Sandbox::new();
        let o = sb.run(&["clickhouse", "init", "--to", &url], b"");
        if o.status.code() != Some(0) {
            panic!(
                "{} not usable at {url}: {}\n\
                 hint: run `{}` to start one (or set {})",
                SERVER.name,
                stderr(&o),
                SERVER.start_script,
                SERVER.env
            );
        }
        Some(Db { url })
    }

    fn sql(&self, sql: &str) -> String {
        sql_at(&http_base(&self.url), sql)
    }

    fn database(&self) -> String {
        self.url.rsplit('/').next().unwrap().to_string()
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let _ = std::panic::catch_unwind(|| {
            self.sql(&format!("DROP DATABASE IF EXISTS {}", self.database()))
        });
    }
}

/// `http://host:port` of a `clickhouse://user@host:port/db` URL.
fn http_base(url: &str) -> String {
    let rest = url.trim_start_matches("clickhouse://");
    let hostport = rest.split('/').next().unwrap();
    let hostport = hostport.rsplit('@').next().unwrap();
    format!("http://{hostport}")
}

/// Runs one statement over HTTP (test set-up and checks only).
fn sql_at(base: &str, sql: &str) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let r = reqwest::Client::new()
            .post(format!("{base}/"))
            .body(sql.to_string())
            .send()
            .await
            .expect("ClickHouse reachable");
        let status = r.status();
        let body = r.text().await.unwrap();
        assert!(status.is_success(), "{sql}: {body}");
        body
    })
}

fn line(time: &str, level: &str, service: &str, host: &str, msg: &str, extra: &str) -> String {
    format!(
        r#"{{"time":"{time}","level":"{level}","service":"{service}","host":"{host}","message":{}{extra}}}"#,
        serde_json::to_string(msg).unwrap()
    )
}

/// Sends lines with `loghub send --to URL`; asserts success.
fn send(sb: &Sandbox, url: &str, lines: &[String], extra: &[&str]) {
    let mut input = lines.join("\n");
    input.push('\n');
    let mut args = vec!["send", "--to", url, "-q"];
    args.extend_from_slice(extra);
    let o = sb.run(&args, input.as_bytes());
    assert_code(&o, 0);
}

fn query(sb: &Sandbox, url: &str, terms: &[&str]) -> Vec<Value> {
    let mut args = vec!["query", "--to", url, "--output", "ndjson", "--limit", "0"];
    args.extend_from_slice(terms);
    let o = sb.run(&args, b"");
    assert_code(&o, 0);
    ndjson(&o)
}

fn messages(v: &[Value]) -> Vec<String> {
    v.iter()
        .map(|r| r["message"].as_str().unwrap().to_string())
        .collect()
}

fn fixture() -> Vec<String> {
    vec![
        line(
            "2026-03-01T10:00:00Z",
            "info",
            "api",
            "web-1",
            "GET /health 200",
            r#","user_id":7"#,
        ),
        line(
            "2026-03-01T10:00:01Z",
            "error",
            "api",
            "web-1",
            "upstream TimeOut after 31ms",
            r#","user_id":42,"trace_id":"tr-1""#,
        ),
        line(
            "2026-03-01T10:00:02Z",
            "warn",
            "shop",
            "web-2",
            "cart is 100% full",
            r#","user":{"tier":"gold"},"trace_id":"tr-1""#,
        ),
        line(
            "2026-03-01T10:00:03Z",
            "critical",
            "shop",
            "web-2",
            "it's down: timeout after 5ms",
            r#","trace_id":"tr-1""#,
        ),
        line(
            "2026-03-01T10:05:00Z",
            "debug",
            "worker",
            "web-3",
            "100 jobs queued",
            "",
        ),
        line(
            "2026-03-01T10:06:00Z",
            "error",
            "api",
            "web-1",
            "upstream timeout after 90ms",
            r#","user_id":42"#,
        ),
    ]
}

#[test]
fn send_then_query_with_each_filter() {
    let Some(db) = Db::new("query") else {
        return;
    };
    let sb = Sandbox::new();
    send(&sb, &db.url, &fixture(), &[]);

    let all = query(&sb, &db.url, &[]);
    assert_eq!(
        messages(&all),
        [
            "upstream timeout after 90ms",
            "100 jobs queued",
            "it's down: timeout after 5ms",
            "cart is 100% full",
            "upstream TimeOut after 31ms",
            "GET /health 200"
        ],
        "newest first"
    );
    let ids: std::collections::HashSet<i64> =
        all.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 6, "every record has its own id");

    let m = |terms: &[&str]| {
        let mut v = messages(&query(&sb, &db.url, terms));
        v.sort();
        v
    };
    assert_eq!(
        m(&["level=error"]),
        ["upstream TimeOut after 31ms", "upstream timeout after 90ms"]
    );
    assert_eq!(
        m(&["level>=warn", "service=shop"]),
        ["cart is 100% full", "it's down: timeout after 5ms"]
    );
    assert_eq!(m(&["host=web-3"]), ["100 jobs queued"]);
    assert_eq!(m(&["trace=tr-1"]).len(), 3);
    assert_eq!(
        m(&["since=2026-03-01T10:00:02Z", "until=2026-03-01T10:05:00Z"]),
        ["cart is 100% full", "it's down: timeout after 5ms"]
    );
    assert_eq!(
        m(&["user_id=42"]),
        ["upstream TimeOut after 31ms", "upstream timeout after 90ms"]
    );
    assert_eq!(m(&["user.tier=gold"]), ["cart is 100% full"]);
    // Full text: case-insensitive, and the user's text is data, never SQL or LIKE syntax.
    assert_eq!(
        m(&["TIMEOUT", "upstream"]),
        ["upstream TimeOut after 31ms", "upstream timeout after 90ms"]
    );
    assert_eq!(m(&["it's"]), ["it's down: timeout after 5ms"]);
    assert_eq!(m(&["100%"]), ["cart is 100% full"]);
    assert!(m(&["') OR 1=1 --"]).is_empty());
    assert!(m(&["%"]).len() == 1 && m(&["_"]).is_empty());
}

#[test]
fn query_pages_through_more_than_one_page_without_gaps() {
    let Some(db) = Db::new("pages") else {
        return;
    };
    let sb = Sandbox::new();
    // 2500 records over 5 distinct times: ties in time are broken by id.
    let lines: Vec<String> = (0..2500)
        .map(|i| {
            line(
                &format!("2026-03-01T10:00:0{}Z", i % 5),
                "info",
                "api",
                "h",
                &format!("n{i}"),
                "",
            )
        })
        .collect();
    send(&sb, &db.url, &lines, &["--batch-size", "700"]);
    let all = query(&sb, &db.url, &[]);
    assert_eq!(all.len(), 2500);
    let keys: Vec<(String, i64)> = all
        .iter()
        .map(|r| {
            (
                r["time"].as_str().unwrap().to_string(),
                r["id"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(
        keys.windows(2).all(|w| w[0] > w[1]),
        "strictly newest first"
    );
    let mut got = messages(&all);
    got.sort();
    got.dedup();
    assert_eq!(got.len(), 2500);
}

#[test]
fn stats_count_by_bucket_level_service_and_error_fingerprint() {
    let Some(db) = Db::new("stats") else {
        return;
    };
    let sb = Sandbox::new();
    send(&sb, &db.url, &fixture(), &[]);
    let o = sb.run(
        &[
            "stats",
            "--to",
            &db.url,
            "--output",
            "json",
            "--interval",
            "5m",
            "--since",
            "2026-03-01T10:00:00Z",
            "--until",
            "2026-03-01T10:10:00Z",
        ],
        b"",
    );
    assert_code(&o, 0);
    let s: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s["total"], 6);
    assert_eq!(s["by_level"]["error"], 2);
    assert_eq!(s["by_level"]["critical"], 1);
    let buckets = s["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 2);
    assert_eq!(buckets[0]["start"], "2026-03-01T10:00:00.000000Z");
    assert_eq!(buckets[0]["total"], 4);
    assert_eq!(buckets[1]["total"], 2);
    assert_eq!(buckets[1]["by_level"]["debug"], 1);
    assert_eq!(s["top_services"][0]["service"], "api");
    assert_eq!(s["top_services"][0]["count"], 3);
    // "timeout after 31ms" and "timeout after 90ms" share a fingerprint only
    // if the case matches too: here both say "upstream … timeout/TimeOut".
    let errors = s["top_errors"].as_array().unwrap();
    let total: u64 = errors.iter().map(|e| e["count"].as_u64().unwrap()).sum();
    assert_eq!(total, 3, "error + critical records: {errors:?}");
    assert!(
        errors
            .iter()
            .all(|e| e["fingerprint"].as_str().is_some_and(|f| !f.is_empty()))
    );
}

#[test]
fn trace_is_oldest_first() {
    let Some(db) = Db::new("trace") else {
        return;
    };
    let sb = Sandbox::new();
    send(&sb, &db.url, &fixture(), &[]);
    let o = sb.run(
        &["trace", "--to", &db.url, "--output", "ndjson", "tr-1"],
        b"",
    );
    assert_code(&o, 0);
    assert_eq!(
        messages(&ndjson(&o)),
        [
            "upstream TimeOut after 31ms",
            "cart is 100% full",
            "it's down: timeout after 5ms"
        ]
    );
}

#[test]
fn tail_with_concurrent_shippers_prints_each_record_once() {
    let Some(db) = Db::new("tail") else {
        return;
    };
    let sb = Sandbox::new();
    const PER_SHIPPER: usize = 300;
    let since = chrono::Utc::now().to_rfc3339();
    let tail = sb
        .cmd(&[
            "tail",
            "--to",
            &db.url,
            "--output",
            "ndjson",
            "--since",
            &since,
            "--count",
            &(2 * PER_SHIPPER).to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Two shippers write at once, in many small batches, while tail polls.
    let shippers: Vec<_> = (0..2)
        .map(|s| {
            let mut child = sb
                .cmd(&[
                    "send",
                    "--to",
                    &db.url,
                    "-q",
                    "--batch-size",
                    "7",
                    "--flush-interval",
                    "50ms",
                ])
                .stdin(Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = child.stdin.take().unwrap();
            std::thread::spawn(move || {
                for i in 0..PER_SHIPPER {
                    let now = chrono::Utc::now().to_rfc3339();
                    writeln!(
                        stdin,
                        r#"{{"time":"{now}","level":"info","service":"s{s}","message":"s{s}-{i}"}}"#
                    )
                    .unwrap();
                    if i % 50 == 0 {
                        stdin.flush().unwrap();
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
                drop(stdin);
                child.wait().unwrap()
            })
        })
        .collect();
    for s in shippers {
        assert!(s.join().unwrap().success());
    }
    // Read tail's output while it runs (a full pipe would stall it).
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(tail.wait_with_output().unwrap()));
    let out = rx
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| {
            panic!(
                "tail did not print all {} records within 60 s",
                2 * PER_SHIPPER
            )
        });
    assert_code(&out, 0);
    let mut got = messages(&ndjson(&out));
    got.sort();
    let mut want: Vec<String> = (0..2)
        .flat_map(|s| (0..PER_SHIPPER).map(move |i| format!("s{s}-{i}")))
        .collect();
    want.sort();
    assert_eq!(got, want, "every record exactly once");
}

#[test]
fn repeating_a_batch_id_stores_nothing_twice() {
    let Some(db) = Db::new("dedup") else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use loghub::backend::{Backend, Batch};
        let b = loghub::backend::clickhouse::connect(&db.url).await.unwrap();
        let records: Vec<loghub::record::Record> = (0..50)
            .map(|i| loghub::record::Record {
                pattern: None,
                time: 1_772_000_000_000_000 + i,
                service: "api".into(),
                message: format!("m{i}"),
                host: "h".into(),
                ..Default::default()
            })
            .collect();
        let batch = Batch::new(records);
        // A retry and a DLQ replay send the same batch id again.
        for _ in 0..3 {
            let out = b.ingest(&batch).await.unwrap();
            assert_eq!(out.accepted, 50);
        }
        let other = Batch::new(batch.records.clone());
        b.ingest(&other).await.unwrap();
    });
    let n = db.sql(&format!("SELECT count() FROM {}.logs", db.database()));
    assert_eq!(
        n.trim(),
        "100",
        "the repeated batch stored once, the new batch id once more"
    );
}

#[test]
fn bad_credentials_stop_with_a_clear_error_and_lose_nothing() {
    let Some(db) = Db::new("auth") else {
        return;
    };
    let sb = Sandbox::new();
    let bad = db
        .url
        .replacen("clickhouse://default@", "clickhouse://default:wrong@", 1);
    assert_ne!(bad, db.url, "the test URL names user default");
    let o = sb.run(
        &["send", "--to", &bad],
        (fixture().join("\n") + "\n").as_bytes(),
    );
    assert_ne!(o.status.code(), Some(0));
    let err = stderr(&o);
    assert!(
        err.contains("ClickHouse refused the credentials for user default"),
        "{err}"
    );
    assert!(!err.contains("wrong"), "the password is not printed: {err}");
    let spooled = std::fs::read_dir(sb.dlq()).map(|d| d.count()).unwrap_or(0);
    assert!(spooled > 0, "the records are spooled, not lost: {err}");

    let o = sb.run(&["query", "--to", &bad], b"");
    assert_code(&o, 1);
    assert!(
        stderr(&o).contains("refused the credentials for user default"),
        "{}",
        stderr(&o)
    );
}

/// Depends on the `ship` branch (retries, spool, `dlq replay`).
#[test]
fn clickhouse_restart_mid_send_loses_nothing() {
    if !SERVER.available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = SERVER.restart_port_base + (std::process::id() % 800) as u16;
    let script = format!("{}/{}", env!("CARGO_MANIFEST_DIR"), SERVER.start_script);
    let start = || {
        let o = std::process::Command::new("bash")
            .arg(&script)
            .env("CH_HTTP_PORT", port.to_string())
            .env("CH_TCP_PORT", (port + 1000).to_string())
            .env("CH_DIR", dir.path())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let pid = || {
        std::fs::read_to_string(dir.path().join("server.pid"))
            .unwrap()
            .trim()
            .to_string()
    };
    let stop = |pid: &str| {
        std::process::Command::new("kill")
            .args(["-9", pid])
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::process::Command::new("kill")
            .args(["-0", pid])
            .status()
            .unwrap()
            .success()
        {
            assert!(Instant::now() < deadline, "server did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    start();
    let url = format!("clickhouse://default@127.0.0.1:{port}/loghub_restart");
    let sb = Sandbox::new();
    let mut send = sb
        .cmd(&[
            "send",
            "--to",
            &url,
            "-q",
            "--batch-size",
            "50",
            "--flush-interval",
            "50ms",
            "--max-retries",
            "2",
        ])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = send.stdin.take().unwrap();
    for i in 0..500 {
        writeln!(
            stdin,
            r#"{{"level":"info","service":"api","message":"r{i}"}}"#
        )
        .unwrap();
    }
    stdin.flush().unwrap();
    // The server dies with the first half in flight or delivered.
    stop(&pid());
    for i in 500..1000 {
        writeln!(
            stdin,
            r#"{{"level":"info","service":"api","message":"r{i}"}}"#
        )
        .unwrap();
    }
    drop(stdin);
    let o = send.wait_with_output().unwrap();
    assert!(
        matches!(o.status.code(), Some(0) | Some(3)),
        "{}",
        stderr(&o)
    );

    start();
    let o = sb.run(&["dlq", "replay"], b"");
    assert_code(&o, 0);
    let got = query(&sb, &url, &[]);
    let mut m = messages(&got);
    m.sort();
    m.dedup();
    assert_eq!(got.len(), 1000, "every record once");
    assert_eq!(m.len(), 1000);
    stop(&pid());
}

#[test]
fn two_servers_on_one_clickhouse_share_records_and_live_tails() {
    let Some(db) = Db::new("two_serve") else {
        return;
    };
    let sb = Sandbox::new();
    let a = Server::start(&sb, &db.url, &[]);
    let b = Server::start(&sb, &db.url, &[]);

    // A tail on server B, waiting for two error records.
    let mut tail = sb
        .cmd(&[
            "tail", "--to", &b.base, "--level", "error", "--count", "2", "--output", "ndjson",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // Ship through server A until B's tail has both records (the tail may
    // connect after the first shipment: each round sends fresh records).
    let deadline = Instant::now() + Duration::from_secs(60);
    let out = loop {
        let o = sb.run(
            &["send", "--to", &a.base, "--service", "pay"],
            b"ERROR card declined via a\nINFO not for the tail\nERROR card declined again via a\n",
        );
        assert_code(&o, 0);
        if let Some(status) = tail.try_wait().unwrap() {
            assert!(status.success());
            break tail.wait_with_output().unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "the tail on server B never saw records sent through A"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    let got = ndjson(&out);
    assert_eq!(got.len(), 2, "{got:?}");
    for r in &got {
        assert_eq!(r["level"], "error");
        assert_eq!(r["service"], "pay");
        assert!(r["message"].as_str().unwrap().contains("via a"));
    }
    assert_ne!(got[0]["id"], got[1]["id"], "no record twice");

    // And B answers queries with what A stored.
    let o = sb.run(
        &[
            "query",
            "--to",
            &b.base,
            "service=pay",
            "--limit",
            "0",
            "--output",
            "ndjson",
        ],
        b"",
    );
    assert_code(&o, 0);
    let all = ndjson(&o);
    assert!(all.len() >= 3 && all.len() % 3 == 0, "{}", all.len());
}

/// What an operator checks after `loghub clickhouse init`: the table has what
/// this server version offers (see the version table in the module docs of
/// `backend::clickhouse`), and the full-text predicate loghub sends is one the
/// n-gram index serves.
#[test]
fn schema_uses_what_the_server_version_offers() {
    let Some(db) = Db::new("features") else {
        return;
    };
    let sb = Sandbox::new();
    send(&sb, &db.url, &fixture(), &[]);
    let version = db.sql("SELECT version()").trim().to_string();
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap());
    let v = (parts.next().unwrap(), parts.next().unwrap());
    let d = db.database();

    let types = db.sql(&format!(
        "SELECT name, type FROM system.columns WHERE database = '{d}' AND table = 'logs' \
         AND name IN ('service', 'host') ORDER BY name"
    ));
    let want = if v >= (20, 1) {
        "host\tLowCardinality(String)\nservice\tLowCardinality(String)\n"
    } else {
        "host\tString\nservice\tString\n"
    };
    assert_eq!(types, want, "on {version}");

    let create = db.sql(&format!("SHOW CREATE TABLE {d}.logs"));
    if v >= (20, 3) {
        let indexes = db.sql(&format!(
            "SELECT name, type FROM system.data_skipping_indices WHERE database = '{d}' ORDER BY name"
        ));
        assert_eq!(
            indexes, "idx_id\tminmax\nidx_message\tngrambf_v1\nidx_trace\tbloom_filter\n",
            "on {version}"
        );
        let plan = db.sql(&format!(
            "EXPLAIN indexes = 1 SELECT id FROM {d}.logs WHERE lowerUTF8(message) LIKE '%timeout%'"
        ));
        assert!(plan.contains("idx_message"), "on {version}: {plan}");
    } else {
        assert!(!create.contains("INDEX"), "on {version}: {create}");
    }
    assert_eq!(
        create.contains("non_replicated_deduplication_window = 10000"),
        v >= (22, 2),
        "on {version}: {create}"
    );
}

#[test]
fn numeric_comparisons_on_metadata_work_whatever_the_line_format() {
    let Some(db) = Db::new("compare") else {
        return;
    };
    let sb = Sandbox::new();
    let mut input = String::from("level=info msg=slow duration_ms=2279\n");
    input.push_str("{\"level\":\"info\",\"msg\":\"json\",\"duration_ms\":1500}\n");
    input.push_str("level=info msg=fast duration_ms=20\n");
    let o = sb.run(&["send", "--to", &db.url, "-q"], input.as_bytes());
    assert_code(&o, 0);
    let mut got = messages(&query(&sb, &db.url, &["duration_ms>1000"]));
    got.sort();
    assert_eq!(got, ["json", "slow"]);
    assert_eq!(messages(&query(&sb, &db.url, &["duration_ms<=20"])), ["fast"]);
    assert!(query(&sb, &db.url, &["duration_ms>5000"]).is_empty());
}

#[test]
fn trace_takes_a_unique_prefix() {
    let Some(db) = Db::new("tprefix") else {
        return;
    };
    let sb = Sandbox::new();
    let id = "9c0ffee000000000a3ce929d0e0e4736";
    let input = format!("{{\"message\":\"one\",\"trace_id\":\"{id}\"}}\n{{\"message\":\"other\",\"trace_id\":\"aaaaaaaa00000000\"}}\n");
    assert_code(&sb.run(&["send", "--to", &db.url, "-q"], input.as_bytes()), 0);
    let o = sb.run(&["trace", "9c0ffee0", "--to", &db.url, "--output", "ndjson"], b"");
    assert_code(&o, 0);
    assert_eq!(messages(&ndjson(&o)), ["one"]);
}

#[test]
fn serve_retention_becomes_the_table_ttl_and_old_rows_go() {
    let Some(db) = Db::new("retention") else {
        return;
    };
    let sb = Sandbox::new();
    let at = |ago: chrono::Duration| {
        (chrono::Utc::now() - ago).to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    };
    let mut lines = Vec::new();
    for i in 0..20 {
        let old = at(chrono::Duration::days(30) - chrono::Duration::seconds(i));
        let new = at(chrono::Duration::hours(1) - chrono::Duration::seconds(i));
        lines.push(line(&old, "info", "api", "h", &format!("old {i}"), ""));
        lines.push(line(&new, "info", "api", "h", &format!("new {i}"), ""));
    }
    send(&sb, &db.url, &lines, &[]);
    assert_eq!(query(&sb, &db.url, &[]).len(), 40);
    let version = db.sql("SELECT version()").trim().to_string();
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap());
    let v = (parts.next().unwrap(), parts.next().unwrap());

    let _srv = Server::start(&sb, &db.url, &["--retention", "7d"]);
    let d = db.database();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = messages(&query(&sb, &db.url, &[]));
        let ttl_done = v < (19, 6)
            || db
                .sql(&format!(
                    "SELECT engine_full FROM system.tables WHERE database = '{d}' AND name = 'logs'"
                ))
                .contains("TTL ts + toIntervalSecond(604800)");
        if ttl_done && !left.iter().any(|m| m.starts_with("old ")) {
            assert_eq!(left.len(), 20, "on {version}: records inside the window stay");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "on {version}: old rows still there ({} left) or no TTL",
            left.len()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn clickhouse_init_retention_sets_the_ttl() {
    let Some(db) = Db::new("init_ttl") else {
        return;
    };
    let sb = Sandbox::new();
    let version = db.sql("SELECT version()").trim().to_string();
    let o = sb.run(
        &["clickhouse", "init", "--to", &db.url, "--retention", "14d"],
        b"",
    );
    if version.starts_with("18.") {
        assert_code(&o, 1);
        assert!(stderr(&o).contains("has no table TTL"), "{}", stderr(&o));
        return;
    }
    assert_code(&o, 0);
    let d = db.database();
    let full = db.sql(&format!(
        "SELECT engine_full FROM system.tables WHERE database = '{d}' AND name = 'logs'"
    ));
    assert!(full.contains("TTL ts + toIntervalSecond(1209600)"), "on {version}: {full}");
    // Asking again changes nothing and says so by running no ALTER.
    let again = sb.run(
        &["clickhouse", "init", "--to", &db.url, "--retention", "14d"],
        b"",
    );
    assert_code(&again, 0);
    assert!(!common::stdout(&again).contains("MODIFY TTL"), "{}", common::stdout(&again));
}

#[test]
fn limit_0_is_exactly_what_matches_in_one_stream() {
    let Some(db) = Db::new("export") else {
        return;
    };
    let sb = Sandbox::new();
    let input = common::corpus::lines(3000, false);
    let shipped = common::corpus::shipped(&sb, &input);
    let o = sb.run(
        &["send", "--to", &db.url, "-q", "--batch-size", "500"],
        input.as_bytes(),
    );
    assert_code(&o, 0);
    for terms in common::corpus::TERMS {
        let got: Vec<loghub::record::Record> = query(&sb, &db.url, terms)
            .into_iter()
            .map(|v| serde_json::from_value(v).unwrap())
            .collect();
        common::corpus::assert_exact(&got, &shipped, terms, SERVER.name);
    }
}

//! The real LogTide, TraceHub and Loggier Python SDKs against a real
//! `loghub serve` (SPEC §4 "Also accepted at ingest"): each test starts the
//! server with a full and an ingest-only API key, runs a driver under
//! `tests/sdk/` that logs through the SDK at every level with metadata, trace
//! ids and an exception, then reads the records back with `loghub query`, over HTTP and on the store
//! file, and checks what a user of that SDK would look for.
//!
//! The SDKs live in a venv made by `.ci/sdk-venv.sh` (pinned versions); its
//! python is `$LOGHUB_SDK_PYTHON`, else `$LOGHUB_SDK_VENV/bin/python`, else
//! `target/sdk-venv/bin/python`. A missing venv fails the tests: they never
//! skip silently.

mod common;

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::{Sandbox, Server, assert_code, ndjson};
use serde_json::{Value, json};

/// The server's full key (LogTide's SDK reads back and streams with it).
const KEY: &str = "sdk-compat-key-0123";
/// An ingest-only key, as a shipping app would hold (TraceHub, Loggier).
const WRITE_KEY: &str = "sdk-compat-write-4567";
/// How long a driver or a read-back may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(20);
/// Allowed distance between a record's time and the driver's run.
const CLOCK_SLACK: chrono::TimeDelta = chrono::TimeDelta::seconds(2);

/// `loghub serve` on the sandbox's store with both keys.
fn start_server(sb: &Sandbox) -> Server {
    let write = format!("write:{WRITE_KEY}");
    Server::start(sb, sb.store(), &["--api-key", KEY, "--key", &write])
}

/// The venv's python, or a failure saying how to make it.
fn sdk_python() -> PathBuf {
    let python = match std::env::var_os("LOGHUB_SDK_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => std::env::var_os("LOGHUB_SDK_VENV")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/sdk-venv"))
            .join("bin/python"),
    };
    assert!(
        python.exists(),
        "the SDK venv's python is missing at {}: run `bash .ci/sdk-venv.sh` \
         (or set LOGHUB_SDK_PYTHON to a python with logtide-sdk, tracehub-logger and loggier)",
        python.display()
    );
    python
}

/// What a driver run left: its stdout and the wall-clock window it ran in.
struct Run {
    stdout: String,
    started: DateTime<Utc>,
    ended: DateTime<Utc>,
}

/// Runs `tests/sdk/SCRIPT ARGS` with the venv's python, failing the test if
/// it exits non-zero or outlives [`DEADLINE`].
fn run_driver(sb: &Sandbox, script: &str, args: &[&str]) -> Run {
    let python = sdk_python();
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sdk")
        .join(script);
    let started = Utc::now();
    let mut child = std::process::Command::new(&python)
        .arg(&script)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", sb.path().join("home"))
        // No __pycache__ left in the source tree.
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", python.display()));
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + DEADLINE;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{} did not finish within {DEADLINE:?}; stderr:\n{}",
                script.display(),
                err.join().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let ended = Utc::now();
    let stdout = out.join().unwrap();
    let stderr = err.join().unwrap();
    assert!(
        status.success(),
        "{} failed ({status}); if an SDK is missing, run `bash .ci/sdk-venv.sh`\nstderr:\n{stderr}",
        script.display()
    );
    Run {
        stdout,
        started,
        ended,
    }
}

/// `loghub query --to TARGET --output ndjson --limit 0 service=SERVICE`,
/// polled until `want` records are there (or [`DEADLINE`] passes), newest
/// first as the command prints them.
fn query(sb: &Sandbox, target: &str, service: &str, want: usize) -> Vec<Value> {
    let svc = format!("service={service}");
    let args = [
        "query",
        "--to",
        target,
        "--api-key",
        KEY,
        "--output",
        "ndjson",
        "--limit",
        "0",
        &svc,
    ];
    let deadline = Instant::now() + DEADLINE;
    loop {
        let out = sb.run(&args, b"");
        assert_code(&out, 0);
        let records = ndjson(&out);
        if records.len() >= want || Instant::now() > deadline {
            assert_eq!(records.len(), want, "records of {service} at {target}");
            return records;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The records read back over HTTP, checked to be the very same ones the
/// store file gives `loghub query --to local:PATH`; keyed by message.
fn read_back(sb: &Sandbox, srv: &Server, service: &str, want: usize) -> HashMap<String, Value> {
    let over_http = query(sb, &srv.base, service, want);
    let local = format!("local:{}", sb.store().display());
    assert_eq!(query(sb, &local, service, want), over_http);
    let mut ids: Vec<i64> = over_http
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    let newest_first = ids.windows(2).all(|w| w[0] > w[1]);
    assert!(newest_first, "query is newest first: {ids:?}");
    ids.dedup();
    assert_eq!(ids.len(), want, "no record stored twice");
    over_http
        .into_iter()
        .map(|r| (r["message"].as_str().unwrap().to_string(), r))
        .collect()
}

/// Asserts a record's level, service and that its time lies in the run.
fn assert_record(r: &Value, level: &str, service: &str, run: &Run) {
    assert_eq!(r["level"], json!(level), "{r}");
    assert_eq!(r["service"], json!(service), "{r}");
    let time: DateTime<Utc> = r["time"].as_str().unwrap().parse().unwrap();
    assert!(
        time >= run.started - CLOCK_SLACK && time <= run.ended + CLOCK_SLACK,
        "time {time} outside the run {}..{}: {r}",
        run.started,
        run.ended
    );
}

/// `loghub_http_requests_total{route=ROUTE,status="200"}` of the server.
fn requests_ok(metrics: &str, route: &str) -> u64 {
    metric(
        metrics,
        &format!("loghub_http_requests_total{{route=\"{route}\",status=\"200\"}}"),
    )
}

fn metric(metrics: &str, name: &str) -> u64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or(0)
}

fn metrics(srv: &Server) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let r = reqwest::Client::new()
            .get(srv.url("/metrics"))
            .header("X-API-Key", KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.text().await.unwrap()
    })
}

fn hostname() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

#[test]
fn logtide_sdk_ingests_streams_and_reads_back() {
    let sb = Sandbox::new();
    let srv = start_server(&sb);
    let svc = "logtide-app";
    let run = run_driver(&sb, "logtide_driver.py", &[&srv.base, KEY, svc]);
    let logs = read_back(&sb, &srv, svc, 6);

    // LogTide's own lower-case levels, one per method.
    for (msg, level) in [
        ("cache warmed", "debug"),
        ("user signed in", "info"),
        ("slow query", "warn"),
        ("lookup failed", "error"),
        ("disk full", "critical"),
        ("via logging handler", "warn"),
    ] {
        let r = &logs[msg];
        assert_record(r, level, svc, &run);
        // Global metadata and the SDK's identity stamp on every record.
        assert_eq!(r["metadata"]["env"], json!("sdk-test"), "{r}");
        assert_eq!(r["metadata"]["sdk"]["name"], json!("logtide-python"), "{r}");
    }
    let trace = json!("4bf92f3577b34da6a3ce929d0e0e4736");
    let signed_in = &logs["user signed in"];
    assert_eq!(signed_in["metadata"]["user_id"], json!(42));
    assert_eq!(signed_in["metadata"]["plan"], json!("pro"));
    assert_eq!(signed_in["trace_id"], trace);
    assert_eq!(signed_in["span_id"], json!("00f067aa0ba902b7"));
    assert_eq!(logs["cache warmed"]["metadata"]["entries"], json!(12));
    assert_eq!(logs["cache warmed"].get("trace_id"), None);
    assert_eq!(logs["slow query"]["metadata"]["duration_ms"], json!(1234.5));
    assert_eq!(logs["disk full"]["metadata"]["mount"], json!("/var"));
    let failed = &logs["lookup failed"];
    assert_eq!(failed["trace_id"], trace);
    let exception = &failed["metadata"]["exception"];
    assert_eq!(exception["type"], json!("KeyError"));
    assert!(
        exception["raw"].as_str().unwrap().contains("Traceback"),
        "{exception}"
    );
    let handler = &logs["via logging handler"]["metadata"];
    assert_eq!(handler["logger"], json!("sdk-driver"));

    let out: Value = serde_json::from_str(&run.stdout).expect("the driver's JSON report");
    let mut stored: Vec<&Value> = logs.values().collect();
    stored.sort_by_key(|r| r["id"].as_i64());
    let ids = |v: &[Value]| -> Vec<i64> { v.iter().map(|r| r["id"].as_i64().unwrap()).collect() };
    let stored_ids: Vec<i64> = stored.iter().map(|r| r["id"].as_i64().unwrap()).collect();

    // stream() (key in `?token=`, filtered by service) delivered each stored
    // record once, in order, as the store has it.
    let streamed = out["streamed"].as_array().unwrap();
    assert_eq!(ids(streamed), stored_ids);
    // The HTTP API keeps LogTide's keys; the CLI prints the record's own.
    let api_form = |r: &Value| -> Value {
        let mut r = r.clone();
        let o = r.as_object_mut().unwrap();
        for (cli, api) in [("trace_id", "traceId"), ("span_id", "spanId")] {
            if let Some(v) = o.remove(cli) {
                o.insert(api.into(), v);
            }
        }
        r
    };
    for (s, r) in streamed.iter().zip(&stored) {
        assert_eq!(*s, api_form(r));
    }
    assert_eq!(requests_ok(&metrics(&srv), "/api/v1/logs/stream"), 1);

    // query(): the same records newest first, with the total.
    assert_eq!(out["query"]["total"], json!(6));
    let queried = out["query"]["logs"].as_array().unwrap();
    let newest_first: Vec<i64> = stored_ids.iter().rev().copied().collect();
    assert_eq!(ids(queried), newest_first);
    // query() with level, q and a from/to range.
    assert_eq!(out["query_warn_slow"], json!(["slow query"]));
    // get_by_trace_id(): both records of the trace, oldest first.
    let in_trace: Vec<&str> = out["trace"]["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["message"].as_str().unwrap())
        .collect();
    assert_eq!(in_trace, ["user signed in", "lookup failed"]);
    // get_aggregated_stats(): every record counted once, under its service.
    assert_eq!(out["aggregated_total"], json!(6));
    assert_eq!(out["top_services"], json!([{"service": svc, "count": 6}]));
}

#[test]
fn tracehub_sdk_gzip_array_maps_levels_extra_and_errors() {
    let sb = Sandbox::new();
    let srv = start_server(&sb);
    let svc = "tracehub-app";
    let dlq = sb.path().join("tracehub-dlq");
    let run = run_driver(
        &sb,
        "tracehub_driver.py",
        &[&srv.base, WRITE_KEY, svc, dlq.to_str().unwrap()],
    );
    let logs = read_back(&sb, &srv, svc, 5);

    // Upper-case levels; WARN → warn, FATAL → critical.
    for (msg, level) in [
        ("cache warmed", "debug"),
        ("user signed in", "info"),
        ("slow query", "warn"),
        ("lookup failed", "error"),
        ("disk full", "critical"),
    ] {
        let r = &logs[msg];
        assert_record(r, level, svc, &run);
        assert_eq!(r["host"], json!(hostname()), "{r}");
        assert_eq!(r["metadata"]["environment"], json!("sdk-test"), "{r}");
        assert_eq!(r["metadata"]["sdk_version"], json!("1.2.0"), "{r}");
    }
    // `extra` is lifted into metadata; `module` stays a field of it.
    let signed_in = &logs["user signed in"];
    assert_eq!(signed_in["metadata"]["user_id"], json!(42));
    assert_eq!(signed_in["metadata"]["plan"], json!("pro"));
    assert_eq!(signed_in["metadata"]["module"], json!("auth"));
    assert_eq!(
        signed_in["trace_id"],
        json!("4bf92f3577b34da6a3ce929d0e0e4736")
    );
    assert_eq!(logs["slow query"].get("trace_id"), None);
    assert_eq!(logs["disk full"]["metadata"]["mount"], json!("/var"));
    let failed = &logs["lookup failed"]["metadata"];
    assert_eq!(failed["error_type"], json!("KeyError"));
    assert_eq!(failed["error_message"], json!("'missing'"));
    assert!(
        failed["stack_trace"]
            .as_str()
            .unwrap()
            .contains("Traceback"),
        "{failed}"
    );

    // One gzip-compressed request: fewer bytes on the wire than decoded.
    let m = metrics(&srv);
    assert_eq!(requests_ok(&m, "/api/v1/ingest"), 1);
    let wire = metric(&m, "loghub_ingest_bytes_total");
    let decoded = metric(&m, "loghub_ingest_decoded_bytes_total");
    assert!(wire > 0 && wire < decoded, "wire {wire}, decoded {decoded}");
}

#[test]
fn loggier_sdk_key_in_path_single_and_batch_routes() {
    let sb = Sandbox::new();
    let srv = start_server(&sb);
    let svc = "loggier-app";
    let run = run_driver(&sb, "loggier_driver.py", &[&srv.base, WRITE_KEY, svc]);
    let logs = read_back(&sb, &srv, svc, 6);

    // Upper-case levels; WARNING → warn. The service and host come from
    // where Loggier puts them (`context.service_name`,
    // `runtime_context.hostname`).
    for (msg, level) in [
        ("cache warmed", "debug"),
        ("user signed in", "info"),
        ("slow query", "warn"),
        ("lookup failed", "error"),
        ("disk full", "critical"),
        ("single record", "info"),
    ] {
        let r = &logs[msg];
        assert_record(r, level, svc, &run);
        assert_eq!(r["host"], json!(hostname()), "{r}");
        assert_eq!(r["metadata"]["environment"], json!("sdk-test"), "{r}");
        let tags = r["metadata"]["tags"].as_array().unwrap();
        assert!(tags.contains(&json!("compat")), "{r}");
    }
    let context = |msg: &str| logs[msg]["metadata"]["context"].clone();
    assert_eq!(context("user signed in")["user_id"], json!(42));
    assert_eq!(context("user signed in")["plan"], json!("pro"));
    assert_eq!(context("slow query")["duration_ms"], json!(1234.5));
    assert_eq!(context("single record")["route"], json!("single"));
    assert!(
        logs["disk full"]["metadata"]["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("disk"))
    );
    let exception = &logs["lookup failed"]["metadata"]["exception"];
    assert_eq!(exception["type"], json!("KeyError"));
    assert!(
        exception["traceback"]
            .as_str()
            .unwrap()
            .contains("Traceback"),
        "{exception}"
    );

    // Five queued records in one batch request, then one alone.
    let m = metrics(&srv);
    assert_eq!(requests_ok(&m, "/api/ingest/{key}/batch"), 1);
    assert_eq!(requests_ok(&m, "/api/ingest/{key}"), 1);
}

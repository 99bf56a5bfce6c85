//! `loghub serve` end to end: the real binary on the real store, spoken to
//! over real HTTP on 127.0.0.1 with reqwest (SPEC §4, §7).

mod common;

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Sandbox, Server};
use futures::StreamExt;
use serde_json::{Value, json};

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn rec(service: &str, msg: &str) -> Value {
    json!({"time": "2026-01-05T10:00:00.000001Z", "service": service, "level": "info",
           "message": msg, "host": "h1", "metadata": {}})
}

async fn get_json(http: &reqwest::Client, url: &str, key: Option<&str>) -> (u16, Value) {
    let mut req = http.get(url);
    if let Some(k) = key {
        req = req.header("X-API-Key", k);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Every message of a service, newest first, following cursors.
async fn messages(http: &reqwest::Client, srv: &Server, service: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = reqwest::Url::parse(&srv.url("/api/v1/logs")).unwrap();
        url.query_pairs_mut()
            .append_pair("service", service)
            .append_pair("limit", "1000");
        if let Some(c) = &cursor {
            url.query_pairs_mut().append_pair("cursor", c);
        }
        let (status, v) = get_json(http, url.as_str(), None).await;
        assert_eq!(status, 200, "{v}");
        for r in v["logs"].as_array().unwrap() {
            out.push(r["message"].as_str().unwrap().to_string());
        }
        match v["nextCursor"].as_str() {
            Some(c) if v["hasMore"] == json!(true) => cursor = Some(c.to_string()),
            _ => return out,
        }
    }
}

#[tokio::test]
async fn ingest_takes_every_body_shape_and_reads_back_newest_first() {
    let sb = Sandbox::new();
    let srv = Server::start(&sb, sb.store(), &[]);
    let http = reqwest::Client::new();
    let ingest = srv.url("/api/v1/ingest");

    let wrapped = json!({"logs": [rec("shapes", "wrapped 1"), rec("shapes", "wrapped 2")]});
    let r = http.post(&ingest).json(&wrapped).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"received": 2, "rejected": []})
    );

    // TraceHub's bare array: timestamp, upper-case level, extra, gzip.
    let bare = json!([{"level": "ERROR", "message": "bare gz", "timestamp": "2026-01-05T10:00:01.000+00:00",
                       "service": "shapes", "host": "h2", "trace_id": "t-1", "extra": {"user_id": 42},
                       "error_type": "ValueError"}]);
    let r = http
        .post(&ingest)
        .header("Content-Type", "application/json")
        .header("Content-Encoding", "gzip")
        .body(gzip(bare.to_string().as_bytes()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["received"], 1);

    // NDJSON, zstd, one bad line among good ones.
    let mut nd = String::new();
    nd.push_str(&rec("shapes", "ndjson 1").to_string());
    nd.push_str("\n{not json\n");
    nd.push_str(
        &json!({"service":"shapes","message":"ndjson 2","time":"2026-01-05T10:00:02Z"}).to_string(),
    );
    nd.push('\n');
    let r = http
        .post(&ingest)
        .header("Content-Type", "application/x-ndjson")
        .header("Content-Encoding", "zstd")
        .body(zstd::encode_all(nd.as_bytes(), 3).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["received"], 2, "{v}");
    assert_eq!(v["rejected"][0]["index"], 1, "{v}");

    // Loggier's route: key in the path, one object.
    let r = http
        .post(srv.url("/api/ingest/some-project-key"))
        .json(
            &json!({"level":"warning","message":"loggier one","timestamp":"2026-01-05T10:00:03",
                      "context":{"a":1},"environment":"prod"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let msgs = messages(&http, &srv, "shapes").await;
    assert_eq!(msgs.len(), 5, "{msgs:?}");
    assert_eq!(msgs[0], "ndjson 2", "newest first: {msgs:?}");
    for m in ["wrapped 1", "wrapped 2", "bare gz", "ndjson 1"] {
        assert!(msgs.contains(&m.to_string()), "{m} missing from {msgs:?}");
    }
    let (_, v) = get_json(&http, &srv.url("/api/v1/logs?traceId=t-1"), None).await;
    let r = &v["logs"][0];
    assert_eq!(r["level"], "error");
    assert_eq!(r["metadata"]["user_id"], 42);
    assert_eq!(r["metadata"]["error_type"], "ValueError");
    // The search answer says how long the store took, for telling a slow
    // store from a slow route.
    let r = http
        .get(srv.url("/api/v1/logs?q=loggier"))
        .send()
        .await
        .unwrap();
    let timing = r.headers()["server-timing"].to_str().unwrap().to_string();
    assert!(timing.starts_with("store;dur="), "{timing}");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["logs"][0]["message"], "loggier one", "{v}");
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["hasMore"], false, "{v}");
    let (_, v) = get_json(&http, &srv.url("/api/v1/logs/trace/t-1"), None).await;
    assert_eq!(v["logs"].as_array().unwrap().len(), 1);
    let (_, v) = get_json(&http, &srv.url("/api/v1/logs?service=default"), None).await;
    assert_eq!(v["logs"][0]["message"], "loggier one");
    assert_eq!(v["logs"][0]["level"], "warn");
}

#[tokio::test]
async fn a_repeated_idempotency_key_stores_nothing_even_after_a_restart() {
    let sb = Sandbox::new();
    let http = reqwest::Client::new();
    let body = json!({"logs": [rec("idem", "once a"), rec("idem", "once b")]});
    let post = |srv: &Server| {
        http.post(srv.url("/api/v1/ingest"))
            .header("Idempotency-Key", "0b4f0c1e-batch-1")
            .json(&body)
            .send()
    };
    let srv = Server::start(&sb, sb.store(), &[]);
    let first: Value = post(&srv).await.unwrap().json().await.unwrap();
    assert_eq!(first["received"], 2);
    let again: Value = post(&srv).await.unwrap().json().await.unwrap();
    assert_eq!(again, first, "a repeat returns the first answer");
    assert_eq!(messages(&http, &srv, "idem").await.len(), 2);
    srv.kill9();

    let srv = Server::start(&sb, sb.store(), &[]);
    let r = post(&srv).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        messages(&http, &srv, "idem").await.len(),
        2,
        "the repeat after a restart stored nothing"
    );
}

#[tokio::test]
async fn keys_are_required_and_write_keys_cannot_read() {
    let sb = Sandbox::new();
    let srv = Server::start(
        &sb,
        sb.store(),
        &[
            "--api-key",
            "full-key-0123",
            "--key",
            "write:write-key-0123",
        ],
    );
    let http = reqwest::Client::new();
    let ingest = srv.url("/api/v1/ingest");
    let body = json!([rec("auth", "secret stuff")]);

    let r = http.post(&ingest).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "unauthorized");
    let r = http
        .post(&ingest)
        .header("X-API-Key", "wrong-key-0123")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = http
        .post(&ingest)
        .header("X-API-Key", "write-key-0123")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let logs = srv.url("/api/v1/logs?service=auth");
    assert_eq!(get_json(&http, &logs, None).await.0, 401);
    let (status, v) = get_json(&http, &logs, Some("write-key-0123")).await;
    assert_eq!(status, 403, "{v}");
    assert_eq!(
        get_json(
            &http,
            &srv.url("/api/v1/logs/stream"),
            Some("write-key-0123")
        )
        .await
        .0,
        403
    );
    let r = http
        .get(&logs)
        .header("Authorization", "Bearer full-key-0123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["logs"][0]["message"], "secret stuff");
}

#[test]
fn without_keys_the_server_refuses_to_listen_beyond_loopback() {
    let sb = Sandbox::new();
    let store = sb.store();
    let out = sb.run(
        &[
            "serve",
            "--listen",
            "0.0.0.0:0",
            "--store",
            store.to_str().unwrap(),
        ],
        b"",
    );
    common::assert_code(&out, 2);
    let err = common::stderr(&out);
    assert!(err.contains("without API keys"), "{err}");
    assert!(err.contains("--api-key"), "{err}");
}

#[tokio::test]
async fn bad_input_gets_a_4xx_and_the_server_keeps_serving() {
    let sb = Sandbox::new();
    let srv = Server::start(&sb, sb.store(), &["--max-body", "1MiB"]);
    let http = reqwest::Client::new();
    let ingest = srv.url("/api/v1/ingest");

    // A gzip bomb: 64 MiB of zeros in ~64 KiB.
    let bomb = gzip(&vec![0u8; 64 << 20]);
    assert!(bomb.len() < 1 << 20);
    let r = http
        .post(&ingest)
        .header("Content-Encoding", "gzip")
        .body(bomb)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "payload_too_large"
    );
    // Too large on the wire.
    let r = http.post(&ingest).body(vec![b' '; 2 << 20]).send().await;
    if let Ok(r) = r {
        assert_eq!(r.status(), 413);
    }
    // The server may close that connection before reading the body: a fresh
    // client so the next request does not land on a dead pooled connection.
    let http = reqwest::Client::new();

    let r = http
        .post(&ingest)
        .header("Content-Type", "application/json")
        .body(r#"{"logs": [{"message": "unterminated"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "bad_request");
    assert!(v["message"].as_str().unwrap().contains("JSON"), "{v}");

    let r = http
        .post(&ingest)
        .header("Content-Encoding", "br")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);

    // Every record refused: 400 with the reasons.
    let r = http
        .post(&ingest)
        .json(&json!([{"level": "info"}]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["rejected"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("message"),
        "{v}"
    );

    http.post(&ingest)
        .json(&json!([rec("fts", "quoted \"thing\" AND (paren")]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        get_json(&http, &srv.url("/api/v1/logs?cursor=not-a-cursor"), None)
            .await
            .0,
        400
    );
    assert_eq!(
        get_json(&http, &srv.url("/api/v1/logs?limit=5000"), None)
            .await
            .0,
        400
    );
    assert_eq!(
        get_json(&http, &srv.url("/api/v1/logs?from=yesterday-ish"), None)
            .await
            .0,
        400
    );
    for q in [
        "\"unbalanced",
        "a AND (b",
        "NEAR(x y)",
        "*",
        "col:val",
        "'; DROP TABLE logs; --",
    ] {
        let mut url = reqwest::Url::parse(&srv.url("/api/v1/logs")).unwrap();
        url.query_pairs_mut().append_pair("q", q);
        let (status, v) = get_json(&http, url.as_str(), None).await;
        assert_eq!(status, 200, "q={q}: {v}");
    }
    let mut url = reqwest::Url::parse(&srv.url("/api/v1/logs")).unwrap();
    url.query_pairs_mut().append_pair("q", "(paren");
    let (_, v) = get_json(&http, url.as_str(), None).await;
    assert_eq!(
        v["logs"][0]["message"], "quoted \"thing\" AND (paren",
        "FTS syntax is data"
    );
    assert_eq!(get_json(&http, &srv.url("/nope"), None).await.0, 404);
    let (status, _) = get_json(&http, &srv.url("/health"), None).await;
    assert_eq!(status, 200);
    let metrics = http
        .get(srv.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("loghub_records_ingested_total 1"),
        "{metrics}"
    );
    assert!(metrics.contains("loghub_store_bytes"), "{metrics}");
}

/// Reads SSE frames until `n` log events arrived: (id, message) pairs.
async fn read_events<B: AsRef<[u8]>>(
    body: &mut (impl futures::Stream<Item = reqwest::Result<B>> + Unpin),
    buf: &mut String,
    n: usize,
) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while out.len() < n {
        while let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            let id = frame
                .lines()
                .find_map(|l| l.strip_prefix("id:"))
                .map(|v| v.trim().parse::<i64>().unwrap());
            let data = frame
                .lines()
                .find_map(|l| l.strip_prefix("data:"))
                .map(|v| serde_json::from_str::<Value>(v.trim()).unwrap());
            if let Some(d) = data {
                let id = id.expect("every event has an id");
                if d["type"] == "connected" {
                    // The stream's position, for a resume before any record.
                    continue;
                }
                assert_eq!(d["type"], "log");
                assert_eq!(d["data"]["id"], json!(id));
                out.push((id, d["data"]["message"].as_str().unwrap().to_string()));
                if out.len() == n {
                    return out;
                }
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let chunk = tokio::time::timeout(left, body.next())
            .await
            .unwrap_or_else(|_| panic!("{n} events within 20 s; got {out:?}, pending {buf:?}"))
            .expect("the stream stays open")
            .unwrap();
        buf.push_str(std::str::from_utf8(chunk.as_ref()).unwrap());
    }
    out
}

#[tokio::test]
async fn sse_events_have_ids_and_resume_without_gap_or_duplicate() {
    let sb = Sandbox::new();
    let srv = Server::start(&sb, sb.store(), &[]);
    let http = reqwest::Client::new();
    let send = |msgs: Vec<String>| {
        let logs: Vec<Value> = msgs.iter().map(|m| rec("sse", m)).collect();
        http.post(srv.url("/api/v1/ingest"))
            .json(&json!({ "logs": logs }))
            .send()
    };
    let stream = http
        .get(srv.url("/api/v1/logs/stream?service=sse"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let mut body = stream.bytes_stream();
    let mut buf = String::new();
    send((0..5).map(|i| format!("m{i}")).collect())
        .await
        .unwrap();
    // Another service's record is filtered out.
    http.post(srv.url("/api/v1/ingest"))
        .json(&json!([rec("other", "not for us")]))
        .send()
        .await
        .unwrap();
    let first = read_events(&mut body, &mut buf, 2).await;
    assert_eq!(
        first.iter().map(|e| e.1.as_str()).collect::<Vec<_>>(),
        ["m0", "m1"]
    );
    drop(body); // the client goes away after two events

    send((5..8).map(|i| format!("m{i}")).collect())
        .await
        .unwrap();
    let last = first[1].0;
    let resumed = http
        .get(srv.url("/api/v1/logs/stream?service=sse"))
        .header("Last-Event-ID", last.to_string())
        .send()
        .await
        .unwrap();
    let mut body = resumed.bytes_stream();
    let mut buf = String::new();
    let rest = read_events(&mut body, &mut buf, 6).await;
    assert_eq!(
        rest.iter().map(|e| e.1.as_str()).collect::<Vec<_>>(),
        ["m2", "m3", "m4", "m5", "m6", "m7"]
    );
    let ids: Vec<i64> = rest.iter().map(|e| e.0).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]) && ids[0] > last,
        "{ids:?}"
    );
}

/// The hub reads no records while no stream is open; streams opened or
/// resumed after such a stretch still get every record after their position,
/// in order, once.
#[tokio::test]
async fn streams_opened_after_ingest_with_none_open_miss_nothing() {
    let sb = Sandbox::new();
    let srv = Server::start(&sb, sb.store(), &[]);
    let http = reqwest::Client::new();
    let send = |prefix: &'static str, n: usize| {
        let logs: Vec<Value> = (0..n)
            .map(|i| rec("idle", &format!("{prefix}{i}")))
            .collect();
        let req = http
            .post(srv.url("/api/v1/ingest"))
            .json(&json!({ "logs": logs }))
            .send();
        async move {
            let r = req.await.unwrap();
            assert_eq!(r.status(), 200);
        }
    };
    for _ in 0..3 {
        send("before", 100).await;
    }
    // A new stream: its position comes first, then every later record.
    let stream = http
        .get(srv.url("/api/v1/logs/stream"))
        .send()
        .await
        .unwrap();
    let mut body = stream.bytes_stream();
    let mut buf = String::new();
    let position = loop {
        let chunk = tokio::time::timeout(Duration::from_secs(20), body.next())
            .await
            .expect("the position within 20 s")
            .unwrap()
            .unwrap();
        buf.push_str(std::str::from_utf8(&chunk).unwrap());
        if let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            assert!(frame.contains(r#""type":"connected""#), "{frame}");
            let id = frame.lines().find_map(|l| l.strip_prefix("id:")).unwrap();
            break id.trim().parse::<i64>().unwrap();
        }
    };
    assert!((0..=300).contains(&position), "{position}");
    send("after", 5).await;
    let got = read_events(&mut body, &mut buf, (305 - position) as usize).await;
    let ids: Vec<i64> = got.iter().map(|e| e.0).collect();
    assert_eq!(ids, ((position + 1)..=305).collect::<Vec<_>>());
    assert_eq!(got.last().unwrap().1, "after4");
    drop(body);

    // Closed again; more records; a resume from the middle of the first ones.
    send("later", 100).await;
    let resumed = http
        .get(srv.url("/api/v1/logs/stream"))
        .header("Last-Event-ID", "150")
        .send()
        .await
        .unwrap();
    let mut body = resumed.bytes_stream();
    let mut buf = String::new();
    let got = read_events(&mut body, &mut buf, 255).await;
    let ids: Vec<i64> = got.iter().map(|e| e.0).collect();
    assert_eq!(ids, (151..=405).collect::<Vec<_>>());
    assert_eq!(got[0].1, "before50");
    assert_eq!(got.last().unwrap().1, "later99");
    // And records after the resume arrive live.
    send("live", 2).await;
    let live = read_events(&mut body, &mut buf, 2).await;
    assert_eq!(
        live.iter().map(|e| (e.0, e.1.as_str())).collect::<Vec<_>>(),
        [(406, "live0"), (407, "live1")]
    );
}

#[tokio::test]
async fn records_written_by_other_processes_reach_an_open_stream() {
    let sb = Sandbox::new();
    let srv = Server::start(&sb, sb.store(), &[]);
    let http = reqwest::Client::new();
    let stream = http
        .get(srv.url("/api/v1/logs/stream?service=sse"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let mut body = stream.bytes_stream();
    let mut buf = String::new();
    // A second server on the same store file is another writing process.
    let other = Server::start(&sb, sb.store(), &[]);
    let r = http
        .post(other.url("/api/v1/ingest"))
        .json(&json!([rec("sse", "from another server")]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let ext = read_events(&mut body, &mut buf, 1).await;
    assert_eq!(ext[0].1, "from another server");
    // And `loghub send` straight into the store file.
    let store = format!("local:{}", sb.store().display());
    let out = sb.run(
        &["send", "--to", &store, "--service", "sse", "-q"],
        b"from another process\n",
    );
    common::assert_code(&out, 0);
    let ext2 = read_events(&mut body, &mut buf, 1).await;
    assert_eq!(ext2[0].1, "from another process");
    assert!(ext2[0].0 > ext[0].0);
}

#[tokio::test]
async fn kill_9_during_ingest_loses_nothing_acknowledged() {
    let sb = Sandbox::new();
    let srv = Server::start(&sb, sb.store(), &[]);
    let ingest = srv.url("/api/v1/ingest");
    let (acked_tx, mut acked_rx) = tokio::sync::mpsc::unbounded_channel::<Vec<String>>();
    let mut senders = Vec::new();
    for w in 0..4 {
        let ingest = ingest.clone();
        let acked = acked_tx.clone();
        senders.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            for b in 0.. {
                let msgs: Vec<String> = (0..50).map(|i| format!("w{w} b{b} r{i}")).collect();
                let logs: Vec<Value> = msgs.iter().map(|m| rec("crash", m)).collect();
                match http
                    .post(&ingest)
                    .json(&json!({ "logs": logs }))
                    .send()
                    .await
                {
                    Ok(r) if r.status() == 200 => {
                        let _ = acked.send(msgs);
                    }
                    _ => return,
                }
            }
        }));
    }
    drop(acked_tx);
    // Let some batches through, then pull the plug mid-stream.
    let mut acked: Vec<String> = Vec::new();
    while acked.len() < 2000 {
        acked.extend(acked_rx.recv().await.expect("batches are acknowledged"));
    }
    srv.kill9();
    for s in senders {
        let _ = s.await;
    }
    while let Some(m) = acked_rx.recv().await {
        acked.extend(m);
    }

    let srv = Server::start(&sb, sb.store(), &[]);
    let http = reqwest::Client::new();
    let stored: std::collections::HashSet<String> =
        messages(&http, &srv, "crash").await.into_iter().collect();
    let lost: Vec<&String> = acked.iter().filter(|m| !stored.contains(*m)).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged records lost, e.g. {:?}",
        lost.len(),
        &lost[..lost.len().min(5)]
    );
}

#[tokio::test]
async fn reading_commands_over_http_match_the_local_store() {
    let sb = Sandbox::new();
    let store = sb.store();
    let local = format!("local:{}", store.display());
    let srv = Server::start(&sb, &store, &[]);
    let now = chrono::Utc::now();
    let at = |s: i64| (now - chrono::Duration::seconds(s)).to_rfc3339();
    let logs = json!([
        {"time": at(30), "level": "error", "message": "payment timeout after 31ms", "service": "pay",
         "traceId": "tr-9", "host": "h1", "metadata": {"user_id": 42}},
        {"time": at(20), "level": "info", "message": "order placed", "service": "shop",
         "traceId": "tr-9", "host": "h2", "metadata": {}},
        {"time": at(10), "level": "warn", "message": "slow query", "service": "shop", "host": "h2",
         "metadata": {"user_id": 7}},
    ]);
    let r = reqwest::Client::new()
        .post(srv.url("/api/v1/ingest"))
        .json(&logs)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let base = srv.base.clone();
    tokio::task::spawn_blocking(move || {
        for args in [
            vec!["query", "--output", "ndjson", "since=1h"],
            vec!["query", "--output", "ndjson", "level>=warn"],
            vec!["query", "--output", "ndjson", "timeout"],
            vec!["query", "--output", "ndjson", "user_id=42"],
            vec!["query", "--output", "ndjson", "--limit", "1"],
            vec!["trace", "tr-9", "--output", "ndjson"],
        ] {
            let mut l = args.clone();
            l.extend(["--to", &local]);
            let mut h = args.clone();
            h.extend(["--to", &base]);
            let lo = sb.run(&l, b"");
            let ho = sb.run(&h, b"");
            common::assert_code(&lo, 0);
            common::assert_code(&ho, 0);
            assert!(
                !common::stdout(&lo).trim().is_empty(),
                "{args:?} found nothing"
            );
            assert_eq!(common::stdout(&ho), common::stdout(&lo), "{args:?}");
        }
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn tail_over_http_reconnects_and_neither_loses_nor_repeats() {
    let sb = Sandbox::new();
    let srv = Server::start(&sb, sb.store(), &[]);
    let addr = srv.base.trim_start_matches("http://").to_string();
    let http = reqwest::Client::new();
    let tail = sb
        .cmd(&[
            "tail",
            "--to",
            &srv.base,
            "--service",
            "rc",
            "--count",
            "4",
            "--output",
            "ndjson",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Until the tail is connected, records may land before it: send until
    // the server counts one open stream.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let m = http
            .get(srv.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if m.contains("loghub_sse_clients 1") {
            break;
        }
        assert!(Instant::now() < deadline, "tail never connected");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let post = |base: String, msgs: &[&str]| {
        let logs: Vec<Value> = msgs.iter().map(|m| rec("rc", m)).collect();
        async move {
            // A fresh client: a pooled connection to the killed server is dead.
            let r = reqwest::Client::new()
                .post(format!("{base}/api/v1/ingest"))
                .json(&json!({ "logs": logs }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }
    };
    post(srv.base.clone(), &["one", "two"]).await;
    srv.kill9();
    let srv = Server::start_at(&sb, sb.store(), &addr, &[]);
    post(srv.base.clone(), &["three", "four"]).await;
    // The tail must finish by itself; a deadline keeps a hang from hanging CI.
    let pid = tail.id();
    let mut waiter = tokio::task::spawn_blocking(move || tail.wait_with_output().unwrap());
    let out = match tokio::time::timeout(Duration::from_secs(60), &mut waiter).await {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = std::process::Command::new("kill")
                .arg(pid.to_string())
                .status();
            let out = waiter.await.unwrap();
            panic!(
                "loghub tail did not finish within 60 s; it printed:\n{}\nstderr:\n{}",
                common::stdout(&out),
                common::stderr(&out)
            );
        }
    };
    common::assert_code(&out, 0);
    let got: Vec<String> = common::ndjson(&out)
        .iter()
        .map(|r| r["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, ["one", "two", "three", "four"]);
    // It said that it lost the server and is trying again.
    assert!(
        common::stderr(&out).contains("retrying"),
        "{}",
        common::stderr(&out)
    );
}

/// `time` of a record `ago` before now, RFC 3339.
fn ago(ago: chrono::Duration) -> String {
    (chrono::Utc::now() - ago).to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Every message in the store at `store`, read with the real binary.
fn stored_messages(sb: &Sandbox, store: &std::path::Path) -> Vec<String> {
    let to = format!("local:{}", store.display());
    let o = sb.run(
        &["query", "--to", &to, "--limit", "0", "--output", "ndjson"],
        b"",
    );
    common::assert_code(&o, 0);
    common::ndjson(&o)
        .iter()
        .map(|r| r["message"].as_str().unwrap().to_string())
        .collect()
}

/// Polls `cond` on the store's messages until it holds or 30 s pass.
fn wait_for_store(sb: &Sandbox, what: &str, cond: impl Fn(&[String]) -> bool) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got = stored_messages(sb, &sb.store());
        if cond(&got) {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "{what}; the store holds {} records",
            got.len()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn serve_retention_deletes_records_older_than_the_window() {
    let sb = Sandbox::new();
    let mut input = String::new();
    for i in 0..40 {
        let old = ago(chrono::Duration::days(30) - chrono::Duration::seconds(i));
        let new = ago(chrono::Duration::hours(1) - chrono::Duration::seconds(i));
        input += &format!("{{\"time\":\"{old}\",\"message\":\"old {i}\"}}\n");
        input += &format!("{{\"time\":\"{new}\",\"message\":\"new {i}\"}}\n");
    }
    let to = format!("local:{}", sb.store().display());
    common::assert_code(&sb.run(&["send", "--to", &to, "-q"], input.as_bytes()), 0);
    assert_eq!(stored_messages(&sb, &sb.store()).len(), 80);

    let _srv = Server::start(&sb, sb.store(), &["--retention", "7d"]);
    let mut left = wait_for_store(&sb, "records 30 days old were never deleted", |m| {
        !m.iter().any(|m| m.starts_with("old "))
    });
    left.sort();
    let mut want: Vec<String> = (0..40).map(|i| format!("new {i}")).collect();
    want.sort();
    assert_eq!(left, want, "records inside the window stay");
}

#[test]
fn serve_max_store_size_deletes_the_oldest_records_first() {
    let sb = Sandbox::new();
    let n = 6000;
    let mut input = String::new();
    for i in 0..n {
        // Oldest first: record i is (n - i) minutes old.
        let t = ago(chrono::Duration::minutes(n - i));
        input += &format!(
            "{{\"time\":\"{t}\",\"message\":\"record {i} with some text to take space {}\"}}\n",
            i * 7919
        );
    }
    let to = format!("local:{}", sb.store().display());
    common::assert_code(&sb.run(&["send", "--to", &to, "-q"], input.as_bytes()), 0);
    let size = std::fs::metadata(sb.store()).unwrap().len();
    let limit = (size / 3).to_string();

    let _srv = Server::start(
        &sb,
        sb.store(),
        &["--retention", "off", "--max-store-size", &limit],
    );
    let left = wait_for_store(&sb, "the store was never cut to its size", |m| {
        m.len() < n as usize / 2
    });
    let index = |m: &String| -> i64 { m.split(' ').nth(1).unwrap().parse().unwrap() };
    let oldest_kept = left.iter().map(index).min().unwrap();
    assert_eq!(
        left.len() as i64,
        n - oldest_kept,
        "what is left is exactly the newest records"
    );
}

#[test]
fn serve_refuses_a_limit_the_store_cannot_apply() {
    let sb = Sandbox::new();
    let o = sb.run(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--store",
            "clickhouse://default@127.0.0.1:1/nowhere",
            "--max-store-size",
            "1GiB",
        ],
        b"",
    );
    common::assert_code(&o, 2);
    let e = common::stderr(&o);
    assert!(e.contains("--max-store-size cannot be applied"), "{e}");
}

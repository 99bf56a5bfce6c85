//! Router tests over an in-memory backend (the integration tests in
//! `tests/serve.rs` run the real binary on the real store). The in-memory
//! backend exists so the SSE hand-off logic is checked on its own, with
//! records appended from the side as another process would.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Result;
use async_trait::async_trait;
use futures::StreamExt;
use serde_json::{Value, json};

use super::*;
use crate::backend::{
    Batch, DeliveryError, IngestOutcome, RecordStream, RetentionAbility, RetentionPolicy, TailStart,
};
use crate::query::QueryPage;
use crate::record::Record;

#[derive(Default)]
struct Mem {
    records: Arc<Mutex<Vec<Record>>>,
    batches: Mutex<std::collections::HashSet<String>>,
}

impl Mem {
    fn append(&self, mut r: Record) {
        let mut g = self.records.lock().unwrap();
        r.id = Some(g.len() as i64 + 1);
        g.push(r);
    }
}

#[async_trait]
impl Backend for Mem {
    fn describe(&self) -> String {
        "mem".into()
    }
    fn retention(&self) -> RetentionAbility {
        RetentionAbility::default()
    }
    async fn retain(&self, _policy: &RetentionPolicy) -> Result<u64> {
        Ok(0)
    }
    async fn ingest(&self, batch: &Batch) -> Result<IngestOutcome, DeliveryError> {
        if !self.batches.lock().unwrap().insert(batch.id.clone()) {
            return Ok(IngestOutcome::default());
        }
        for r in &batch.records {
            self.append(r.clone());
        }
        Ok(IngestOutcome {
            accepted: batch.records.len(),
            ..Default::default()
        })
    }
    async fn query(&self, q: &Query, cursor: Option<&str>, limit: usize) -> Result<QueryPage> {
        let before: i64 = match cursor {
            Some(c) => c.parse()?,
            None => i64::MAX,
        };
        let g = self.records.lock().unwrap();
        let mut out: Vec<Record> = g
            .iter()
            .rev()
            .filter(|r| r.id.unwrap() < before && q.matches(r))
            .take(limit + 1)
            .cloned()
            .collect();
        let more = out.len() > limit;
        out.truncate(limit);
        Ok(QueryPage {
            next_cursor: more.then(|| out.last().unwrap().id.unwrap().to_string()),
            total: None,
            records: out,
        })
    }
    async fn tail(&self, q: &Query, start: TailStart) -> Result<RecordStream> {
        let me = self.records.lock().unwrap().len() as i64;
        let after = start
            .after_id
            .unwrap_or(if start.since.is_some() { 0 } else { me });
        let q = q.clone();
        // Polls the shared records, as the store polls its file.
        let recs = self.records.clone();
        Ok(
            futures::stream::unfold((after, recs, q), |(mut after, recs, q)| async move {
                loop {
                    let next = {
                        let g = recs.lock().unwrap();
                        g.iter()
                            .find(|r| r.id.unwrap() > after && q.matches(r))
                            .cloned()
                    };
                    match next {
                        Some(r) => {
                            after = r.id.unwrap();
                            return Some((Ok(r), (after, recs, q)));
                        }
                        None => tokio::time::sleep(Duration::from_millis(10)).await,
                    }
                }
            })
            .boxed(),
        )
    }
}

fn rec(msg: &str) -> Record {
    Record {
        pattern: None,
        time: crate::record::now_micros(),
        service: "svc".into(),
        message: msg.into(),
        ..Default::default()
    }
}

async fn start(keys: Keys, mem: Arc<Mem>) -> (String, Arc<Mem>) {
    let opts = ServerOptions {
        keys,
        max_body: 1 << 20,
        ..ServerOptions::default()
    };
    (start_with(mem.clone(), opts).await, mem)
}

/// Serves `mem` on a free loopback port; returns the base URL.
async fn start_with(mem: Arc<Mem>, opts: ServerOptions) -> String {
    let state = AppState::new(mem, opts);
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(serve(
        state,
        "127.0.0.1:0".parse().unwrap(),
        move |a| {
            let _ = tx.send(a);
        },
        std::future::pending(),
    ));
    format!("http://{}", rx.await.unwrap())
}

/// Reads SSE frames until `n` events arrived; returns (id, message) pairs.
async fn read_events(resp: reqwest::Response, n: usize) -> Vec<(i64, String)> {
    let mut body = resp.bytes_stream();
    let mut buf = String::new();
    let mut out = Vec::new();
    while out.len() < n {
        let chunk = tokio::time::timeout(Duration::from_secs(10), body.next())
            .await
            .expect("an event within 10 s")
            .expect("stream open")
            .unwrap();
        buf.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            let mut id = None;
            let mut data = None;
            for line in frame.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = Some(v.trim().parse::<i64>().unwrap());
                }
                if let Some(v) = line.strip_prefix("data:") {
                    data = Some(serde_json::from_str::<Value>(v.trim()).unwrap());
                }
            }
            if let (Some(id), Some(d)) = (id, data) {
                assert_eq!(d["type"], "log");
                assert_eq!(d["data"]["id"], json!(id));
                out.push((id, d["data"]["message"].as_str().unwrap().to_string()));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_resumes_from_the_ring_and_from_the_store_without_gap_or_duplicate() {
    // Records from before the server started are only in the "store".
    let mem = Arc::new(Mem::default());
    for i in 0..5 {
        mem.append(rec(&format!("old {i}")));
    }
    let (base, mem) = start(Keys::default(), mem).await;
    let http = reqwest::Client::new();
    let live = http
        .get(format!("{base}/api/v1/logs/stream?service=svc"))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200);
    for i in 0..3 {
        mem.append(rec(&format!("new {i}")));
    }
    let got = read_events(live, 3).await;
    assert_eq!(
        got.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>(),
        ["new 0", "new 1", "new 2"]
    );

    // Resume after id 2: ids 3..=8 come from the store, then the hub.
    let resumed = http
        .get(format!("{base}/api/v1/logs/stream"))
        .header("Last-Event-ID", "2")
        .send()
        .await
        .unwrap();
    mem.append(rec("after resume"));
    let got = read_events(resumed, 7).await;
    let ids: Vec<i64> = got.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, [3, 4, 5, 6, 7, 8, 9]);

    // Resume inside the ring: straight from memory.
    let resumed = http
        .get(format!("{base}/api/v1/logs/stream"))
        .header("Last-Event-ID", "7")
        .send()
        .await
        .unwrap();
    let got = read_events(resumed, 2).await;
    assert_eq!(got.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [8, 9]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_answers_and_repeats() {
    let keys = Keys::load(
        &["full-key-123".into(), "write:write-key-1".into()],
        None,
        None,
    )
    .unwrap();
    let (base, _mem) = start(keys, Arc::default()).await;
    let http = reqwest::Client::new();
    let body = json!({"logs":[{"message":"a","service":"x"},{"level":"info"}]});
    let post = |key: &'static str| {
        http.post(format!("{base}/api/v1/ingest"))
            .header("X-API-Key", key)
            .header("Idempotency-Key", "batch-1")
            .json(&body)
    };
    let r = post("write-key-1").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let first: Value = r.json().await.unwrap();
    assert_eq!(first["received"], 1);
    assert_eq!(first["rejected"][0]["index"], 1);
    let again: Value = post("write-key-1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again, first);
    assert_eq!(post("nope-nope-nope").send().await.unwrap().status(), 401);
    let r = http
        .get(format!("{base}/api/v1/logs"))
        .header("X-API-Key", "write-key-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r: Value = http
        .get(format!("{base}/api/v1/logs?limit=1"))
        .header("Authorization", "Bearer full-key-123")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["logs"].as_array().unwrap().len(), 1);
    let r = http
        .get(format!("{base}/api/v1/logs?cursor=zzz"))
        .header("X-API-Key", "full-key-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let m = http.get(format!("{base}/metrics")).send().await.unwrap();
    let text = m.text().await.unwrap();
    assert!(text.contains("loghub_records_ingested_total 1"), "{text}");
    assert!(
        text.contains(r#"loghub_http_requests_total{route="/api/v1/ingest",status="401"} 1"#),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_stream_gets_heartbeats_and_a_busy_one_gets_every_record_once() {
    let mem = Arc::new(Mem::default());
    let opts = ServerOptions {
        heartbeat: Duration::from_millis(50),
        ..ServerOptions::default()
    };
    let base = start_with(mem.clone(), opts).await;
    let http = reqwest::Client::new();
    let resp = http
        .get(format!("{base}/api/v1/logs/stream"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut body = resp.bytes_stream();
    let mut text = String::new();
    while !text.contains(":heartbeat\n\n") {
        let chunk = tokio::time::timeout(Duration::from_secs(10), body.next())
            .await
            .expect("a heartbeat within 10 s")
            .expect("stream open")
            .unwrap();
        text.push_str(std::str::from_utf8(&chunk).unwrap());
    }

    // A burst larger than a page, posted through the server (which wakes
    // the hub), of two services: a stream gets each of its records exactly
    // once, in id order, whether it filters by service or not.
    let svc = |i: i64| if i % 3 == 0 { "other" } else { "svc" };
    let logs: Vec<Value> = (0..600)
        .map(|i| json!({"message": format!("burst {i}"), "service": svc(i)}))
        .collect();
    let r = http
        .post(format!("{base}/api/v1/ingest"))
        .json(&json!({ "logs": logs }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    for filter in ["", "service=other", "service=svc", "service=svc,other"] {
        let resp = http
            .get(format!("{base}/api/v1/logs/stream?{filter}"))
            .header("Last-Event-ID", "0")
            .send()
            .await
            .unwrap();
        let want: Vec<(i64, String)> = (0..600)
            .filter(|&i| filter.is_empty() || filter.contains(svc(i)))
            .map(|i| (i + 1, format!("burst {i}")))
            .collect();
        let got = read_events(resp, want.len()).await;
        assert_eq!(got, want, "{filter}");
    }
}

//! The load generator of `bench/streams.sh`: N concurrent live-tail streams
//! (`GET /api/v1/logs/stream`) against a running `loghub serve` while
//! batches are posted to `/api/v1/ingest` at a fixed rate.
//!
//! Every record carries a unique `seq=N` in its message and one of
//! `--services` service names; 1 in 50 is an error. Stream `i` filters
//! `service=svc-(i mod services)`, except every 25th stream, which filters
//! `level=error`, so each stream knows exactly which records it must get.
//! A stream that is disconnected (a lagging client is) reconnects with
//! `Last-Event-ID`, as `loghub tail` does, and the reconnects are counted.
//!
//! Latency is from the moment the ingest answer (the ack) arrived to the
//! moment the frame of that record arrived on a stream, both measured in this
//! process (one clock). A frame that arrives before its batch's ack counts
//! as 0.
//!
//! ```text
//! sse_load --url http://127.0.0.1:PORT [--streams 500] [--rate 10000]
//!          [--seconds 20] [--batch 100] [--services 50]
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::json;

struct Args {
    url: String,
    streams: usize,
    rate: usize,
    seconds: u64,
    batch: usize,
    services: usize,
}

fn parse_args() -> Args {
    let mut a = Args {
        url: String::new(),
        streams: 500,
        rate: 10_000,
        seconds: 20,
        batch: 100,
        services: 50,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut it = argv.iter();
    while let Some(flag) = it.next() {
        let val = it.next().unwrap_or_else(|| usage());
        let num = || val.parse::<usize>().unwrap_or_else(|_| usage());
        match flag.as_str() {
            "--url" => a.url = val.trim_end_matches('/').to_string(),
            "--streams" => a.streams = num(),
            "--rate" => a.rate = num(),
            "--seconds" => a.seconds = num() as u64,
            "--batch" => a.batch = num().max(1),
            "--services" => a.services = num().max(1),
            _ => usage(),
        }
    }
    if a.url.is_empty() {
        usage();
    }
    a
}

fn usage() -> ! {
    eprintln!(
        "usage: sse_load --url http://HOST:PORT [--streams N] [--rate RECORDS_PER_S] \
         [--seconds S] [--batch N] [--services N]"
    );
    std::process::exit(2);
}

/// What a record is, from its sequence number alone (both sides agree).
fn service_of(seq: u64, services: usize) -> usize {
    (seq % services as u64) as usize
}
fn is_error(seq: u64) -> bool {
    seq % 50 == 7
}

#[derive(Clone, Copy)]
enum Filter {
    Service(usize),
    Errors,
}

impl Filter {
    fn of_stream(i: usize, services: usize) -> Filter {
        if i % 25 == 24 {
            Filter::Errors
        } else {
            Filter::Service(i % services)
        }
    }
    fn query(self) -> String {
        match self {
            Filter::Service(s) => format!("service=svc-{s:02}"),
            Filter::Errors => "level=error".to_string(),
        }
    }
    fn wants(self, seq: u64, services: usize) -> bool {
        match self {
            Filter::Service(s) => service_of(seq, services) == s,
            Filter::Errors => is_error(seq),
        }
    }
}

/// One stream's findings: (seq, µs since the start when its frame arrived).
#[derive(Default)]
struct Seen {
    frames: Vec<(u64, u64)>,
    reconnects: u64,
    errors: Vec<String>,
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.streams + 16)
        .tcp_nodelay(true)
        .build()
        .expect("http client");
    let t0 = Instant::now();
    let frames_total = Arc::new(AtomicU64::new(0));
    let connected = Arc::new(AtomicUsize::new(0));
    let stopping = Arc::new(std::sync::atomic::AtomicBool::new(false));

    // Open every stream and wait until each has its answer head (the server
    // subscribes the stream before it answers, so from then on nothing is
    // missed).
    let mut tasks = Vec::new();
    for i in 0..args.streams {
        let filter = Filter::of_stream(i, args.services);
        let url = format!("{}/api/v1/logs/stream?{}", args.url, filter.query());
        let (http, frames_total, connected, stopping) = (
            http.clone(),
            frames_total.clone(),
            connected.clone(),
            stopping.clone(),
        );
        tasks.push(tokio::spawn(async move {
            run_stream(http, url, t0, frames_total, connected, stopping).await
        }));
    }
    let open_deadline = Instant::now() + Duration::from_secs(60);
    while connected.load(Ordering::Acquire) < args.streams {
        if Instant::now() > open_deadline {
            eprintln!(
                "only {} of {} streams connected within 60 s",
                connected.load(Ordering::Acquire),
                args.streams
            );
            std::process::exit(1);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!(
        "{} streams open in {:.1} s; ingesting {} records/s for {} s",
        args.streams,
        t0.elapsed().as_secs_f64(),
        args.rate,
        args.seconds
    );

    // Ingest: one batch every `batch / rate` seconds, each POST its own task
    // (at most 8 in flight) so a slow answer does not lower the rate.
    let total_batches = (args.rate as u64 * args.seconds) / args.batch as u64;
    let ack_us: Arc<Vec<AtomicU64>> =
        Arc::new((0..total_batches).map(|_| AtomicU64::new(0)).collect());
    let inflight = Arc::new(tokio::sync::Semaphore::new(8));
    let mut tick = tokio::time::interval(Duration::from_secs_f64(
        args.batch as f64 / args.rate as f64,
    ));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let ingest_start = Instant::now();
    let failed = Arc::new(AtomicU64::new(0));
    let mut posts = Vec::with_capacity(total_batches as usize);
    for b in 0..total_batches {
        tick.tick().await;
        let permit = inflight.clone().acquire_owned().await.unwrap();
        let first = b * args.batch as u64;
        let logs: Vec<_> = (first..first + args.batch as u64)
            .map(|seq| {
                json!({
                    "service": format!("svc-{:02}", service_of(seq, args.services)),
                    "level": if is_error(seq) { "error" } else { "info" },
                    "message": format!("sse-load seq={seq} payment accepted for order"),
                    "metadata": {"bench": "sse_load"},
                })
            })
            .collect();
        let body = serde_json::to_vec(&json!({ "logs": logs })).unwrap();
        let (http, url, ack_us, failed) = (
            http.clone(),
            format!("{}/api/v1/ingest", args.url),
            ack_us.clone(),
            failed.clone(),
        );
        posts.push(tokio::spawn(async move {
            let r = http
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await;
            let at = t0.elapsed().as_micros() as u64;
            match r {
                Ok(r) if r.status().is_success() => ack_us[b as usize].store(at, Ordering::Release),
                Ok(r) => {
                    eprintln!("ingest batch {b}: HTTP {}", r.status());
                    failed.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    eprintln!("ingest batch {b}: {e}");
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
            drop(permit);
        }));
    }
    for p in posts {
        let _ = p.await;
    }
    let ingest_secs = ingest_start.elapsed().as_secs_f64();
    let total_records = total_batches * args.batch as u64;

    // Wait for the streams to drain: until every expected frame arrived or
    // nothing new came for 5 s.
    let expected: u64 = (0..args.streams)
        .map(|i| {
            let f = Filter::of_stream(i, args.services);
            (0..total_records)
                .filter(|&s| f.wants(s, args.services))
                .count() as u64
        })
        .sum();
    let mut last = (frames_total.load(Ordering::Acquire), Instant::now());
    loop {
        let now = frames_total.load(Ordering::Acquire);
        if now >= expected {
            break;
        }
        if now != last.0 {
            last = (now, Instant::now());
        } else if last.1.elapsed() > Duration::from_secs(5) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stopping.store(true, Ordering::Release);

    // Check every stream against what it should have had.
    let mut lat: Vec<u64> = Vec::with_capacity(expected as usize);
    let (mut complete, mut missing, mut dups, mut unexpected, mut reconnects) =
        (0usize, 0u64, 0u64, 0u64, 0u64);
    let mut stream_errors = Vec::new();
    // Each stream ends within 100 ms of `stopping` and hands back its findings.
    for (i, t) in tasks.into_iter().enumerate() {
        let seen = t.await.expect("stream task");
        let f = Filter::of_stream(i, args.services);
        reconnects += seen.reconnects;
        stream_errors.extend(seen.errors.iter().take(2).cloned());
        let mut got = vec![false; total_records as usize];
        let mut ok = true;
        for &(seq, at) in &seen.frames {
            if seq >= total_records || !f.wants(seq, args.services) {
                unexpected += 1;
                ok = false;
                continue;
            }
            if std::mem::replace(&mut got[seq as usize], true) {
                dups += 1;
                ok = false;
                continue;
            }
            let ack = ack_us[(seq / args.batch as u64) as usize].load(Ordering::Acquire);
            if ack > 0 {
                lat.push(at.saturating_sub(ack));
            }
        }
        let miss = (0..total_records)
            .filter(|&s| f.wants(s, args.services) && !got[s as usize])
            .count() as u64;
        missing += miss;
        if ok && miss == 0 {
            complete += 1;
        }
    }
    lat.sort_unstable();
    let pct = |p: f64| -> f64 {
        if lat.is_empty() {
            return f64::NAN;
        }
        let i = ((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1;
        lat[i] as f64 / 1000.0
    };
    println!(
        "ingest: {total_records} records in {total_batches} batches of {} over {ingest_secs:.1} s = {:.0} records/s (target {}), failed batches {}",
        args.batch,
        total_records as f64 / ingest_secs,
        args.rate,
        failed.load(Ordering::Relaxed)
    );
    println!(
        "streams: {complete}/{} got every matching record; frames expected {expected}, missing {missing}, duplicates {dups}, unexpected {unexpected}, reconnects {reconnects}",
        args.streams
    );
    println!(
        "ack → SSE frame latency over {} frames: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (target p99 ≤ 250 ms)",
        lat.len(),
        pct(0.50),
        pct(0.99),
        lat.last().map_or(f64::NAN, |m| *m as f64 / 1000.0)
    );
    // SAFETY: getrusage only writes the struct it is given.
    let cpu = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut u);
        (u.ru_utime.tv_sec + u.ru_stime.tv_sec) as f64
            + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) as f64 / 1e6
    };
    println!("load generator CPU: {cpu:.1} s");
    for e in stream_errors.iter().take(5) {
        eprintln!("stream error: {e}");
    }
    let pass =
        complete == args.streams && pct(0.99) <= 250.0 && failed.load(Ordering::Relaxed) == 0;
    println!("result: {}", if pass { "PASS" } else { "FAIL" });
}

/// Reads one stream until `stopping`, reconnecting with `Last-Event-ID`
/// when the server drops it.
async fn run_stream(
    http: reqwest::Client,
    url: String,
    t0: Instant,
    frames_total: Arc<AtomicU64>,
    connected: Arc<AtomicUsize>,
    stopping: Arc<std::sync::atomic::AtomicBool>,
) -> Seen {
    let mut seen = Seen::default();
    let mut last_id: Option<String> = None;
    let mut first = true;
    while !stopping.load(Ordering::Acquire) {
        let mut req = http.get(&url).header("accept", "text/event-stream");
        if let Some(id) = &last_id {
            req = req.header("last-event-id", id.as_str());
        }
        let resp = match req.send().await {
            Ok(r) if r.status().is_success() => r,
            Ok(r) => {
                seen.errors.push(format!("HTTP {}", r.status()));
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
            Err(e) => {
                seen.errors.push(e.to_string());
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        if first {
            connected.fetch_add(1, Ordering::AcqRel);
            first = false;
        } else {
            seen.reconnects += 1;
        }
        let mut body = resp.bytes_stream();
        let mut buf: Vec<u8> = Vec::with_capacity(16 << 10);
        // The fields of the event being read.
        let mut ev_id: Option<String> = None;
        let mut ev_seq: Option<u64> = None;
        let stop_check = tokio::time::interval(Duration::from_millis(100));
        tokio::pin!(stop_check);
        loop {
            let chunk = tokio::select! {
                c = body.next() => c,
                _ = stop_check.tick() => {
                    if stopping.load(Ordering::Acquire) { return seen; }
                    continue;
                }
            };
            let chunk = match chunk {
                Some(Ok(c)) => c,
                Some(Err(e)) => {
                    seen.errors.push(e.to_string());
                    break;
                }
                None => break,
            };
            let at = t0.elapsed().as_micros() as u64;
            buf.extend_from_slice(&chunk);
            let mut start = 0;
            while let Some(nl) = memchr::memchr(b'\n', &buf[start..]) {
                let line = &buf[start..start + nl];
                start += nl + 1;
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if line.is_empty() {
                    // End of an event.
                    if let Some(id) = ev_id.take() {
                        last_id = Some(id);
                    }
                    if let Some(seq) = ev_seq.take() {
                        seen.frames.push((seq, at));
                        frames_total.fetch_add(1, Ordering::Relaxed);
                    }
                } else if let Some(v) = line.strip_prefix(b"id:") {
                    ev_id = Some(String::from_utf8_lossy(v).trim().to_string());
                } else if let Some(v) = line.strip_prefix(b"data:") {
                    ev_seq = memchr::memmem::find(v, b"seq=").and_then(|p| {
                        let digits = &v[p + 4..];
                        let end = digits
                            .iter()
                            .position(|b| !b.is_ascii_digit())
                            .unwrap_or(digits.len());
                        std::str::from_utf8(&digits[..end]).ok()?.parse().ok()
                    });
                }
            }
            buf.drain(..start);
        }
    }
    seen
}

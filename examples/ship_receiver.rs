//! The benchmark's helper for `bench/ship.sh`: a local ingest receiver that
//! decompresses and discards (optionally failing a share of requests or
//! answering 503 for a while), and a generator of a mixed log corpus.
//!
//! ```text
//! ship_receiver gen BYTES                      # ~250-byte mixed lines on stdout
//! ship_receiver serve PORT_FILE [--fail-percent N] [--fail-for SECS]
//! ```

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("gen") => generate(
            args.get(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(100 << 20),
        ),
        Some("serve") => serve(&args[1..]),
        _ => {
            eprintln!(
                "usage: ship_receiver gen BYTES | serve PORT_FILE [--fail-percent N] [--fail-for SECS]"
            );
            std::process::exit(2);
        }
    }
}

/// Mixed JSON, logfmt and text lines of about 250 bytes.
fn generate(total: u64) {
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, out.lock());
    let levels = ["INFO", "WARN", "ERROR", "DEBUG", "info", "error"];
    let services = ["api", "billing", "auth", "search", "worker"];
    let mut written = 0u64;
    let mut i = 0u64;
    let pad = "abcdefghijklmnopqrstuvwxyz0123456789".repeat(4);
    while written < total {
        let lvl = levels[(i % 6) as usize];
        let svc = services[(i % 5) as usize];
        let sec = i % 60;
        let ms = i % 1000;
        let line = match i % 3 {
            0 => format!(
                r#"{{"ts":"2024-05-01T12:00:{sec:02}.{ms:03}Z","level":"{lvl}","msg":"request {i} handled in {}ms","service":"{svc}","user_id":{},"path":"/v1/orders/{i}","pad":"{}"}}"#,
                i % 997,
                i % 5000,
                &pad[..(i % 60) as usize + 40]
            ),
            1 => format!(
                "ts=2024-05-01T12:00:{sec:02}.{ms:03}Z level={lvl} service={svc} msg=\"cache miss for key user:{i}\" latency_ms={} region=eu-west-1 trace_id={:016x} extra={}",
                i % 300,
                i.wrapping_mul(0x9e3779b97f4a7c15),
                &pad[..(i % 60) as usize + 30]
            ),
            _ => format!(
                "2024-05-01 12:00:{sec:02},{ms:03} {lvl} [{svc}] connection to db-{} timed out after {}ms; retrying (attempt {}) {}",
                i % 7,
                i % 5000,
                i % 5,
                &pad[..(i % 60) as usize + 60]
            ),
        };
        out.write_all(line.as_bytes()).unwrap();
        out.write_all(b"\n").unwrap();
        written += line.len() as u64 + 1;
        i += 1;
    }
    out.flush().unwrap();
}

struct Rcv {
    requests: AtomicU64,
    bytes: AtomicU64,
    fail_percent: u64,
    fail_until: Instant,
}

fn serve(args: &[String]) {
    let port_file = args.first().expect("PORT_FILE").clone();
    let mut fail_percent = 0;
    let mut fail_for = 0.0f64;
    let mut it = args[1..].iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--fail-percent" => fail_percent = it.next().unwrap().parse().unwrap(),
            "--fail-for" => fail_for = it.next().unwrap().parse().unwrap(),
            other => panic!("unknown flag {other}"),
        }
    }
    let state = Arc::new(Rcv {
        requests: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
        fail_percent,
        fail_until: Instant::now() + Duration::from_secs_f64(fail_for),
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        std::fs::write(&port_file, l.local_addr().unwrap().port().to_string()).unwrap();
        let app = axum::Router::new()
            .route("/api/v1/ingest", axum::routing::post(ingest))
            .layer(axum::extract::DefaultBodyLimit::max(64 << 20))
            .with_state(state);
        axum::serve(l, app).await.unwrap();
    });
}

async fn ingest(
    State(s): State<Arc<Rcv>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let n = s.requests.fetch_add(1, Ordering::Relaxed);
    if Instant::now() < s.fail_until || (n * 37) % 100 < s.fail_percent {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            r#"{"error":"unavailable"}"#,
        );
    }
    let enc = headers
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let n = tokio::task::spawn_blocking(move || -> std::io::Result<u64> {
        let mut sink = std::io::sink();
        match enc.as_str() {
            "gzip" => std::io::copy(&mut flate2::read::GzDecoder::new(&body[..]), &mut sink),
            "zstd" => std::io::copy(&mut zstd::Decoder::new(&body[..])?, &mut sink),
            _ => std::io::copy(&mut (&body[..]).take(u64::MAX), &mut sink),
        }
    })
    .await
    .unwrap();
    match n {
        Ok(n) => {
            s.bytes.fetch_add(n, Ordering::Relaxed);
            (StatusCode::OK, "{}")
        }
        Err(_) => (StatusCode::BAD_REQUEST, r#"{"error":"bad body"}"#),
    }
}

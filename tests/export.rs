//! `query --limit 0` (and large limits) as one stream: on the embedded
//! store, with times in write order and not, and over HTTP from `loghub
//! serve`, held to a filtered walk over the input; the export route's
//! compression, auth and clean stop when its client goes away.

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::corpus::{self, TERMS};
use common::{Sandbox, Server, assert_code, stderr};
use loghub::record::Record;

fn records(out: &[u8]) -> Vec<Record> {
    out.split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("an NDJSON record"))
        .collect()
}

fn query(sb: &Sandbox, to: &str, limit: &str, terms: &[&str]) -> Vec<u8> {
    let mut args = vec!["query", "--to", to, "--output", "ndjson", "--limit", limit];
    args.extend_from_slice(terms);
    let o = sb.run(&args, b"");
    assert_code(&o, 0);
    o.stdout
}

fn filled(in_order: bool) -> (Sandbox, Vec<Record>) {
    let sb = Sandbox::new();
    let input = corpus::lines(6000, in_order);
    let shipped = corpus::shipped(&sb, &input);
    let store = format!("local:{}", sb.store().display());
    // Small batches: many blocks, whose time ranges overlap when the times
    // are not in write order.
    let o = sb.run(
        &["send", "--to", &store, "-q", "--batch-size", "300"],
        input.as_bytes(),
    );
    assert_code(&o, 0);
    (sb, shipped)
}

#[test]
fn limit_0_is_exactly_what_matches_on_the_store_and_over_http() {
    for in_order in [true, false] {
        let what = if in_order { "in order" } else { "out of order" };
        let (sb, shipped) = filled(in_order);
        let store = format!("local:{}", sb.store().display());
        let server = Server::start(&sb, sb.store(), &[]);
        for terms in TERMS {
            let local = query(&sb, &store, "0", terms);
            corpus::assert_exact(&records(&local), &shipped, terms, what);
            // The same bytes over HTTP: same records, same ids, same order.
            let http = query(&sb, &server.base, "0", terms);
            assert!(
                local == http,
                "{what} {terms:?}: HTTP differs from the store"
            );
        }
        // A large limit is the newest that many of the same stream.
        let all = records(&query(&sb, &store, "0", &[]));
        for to in [store.as_str(), server.base.as_str()] {
            let first = records(&query(&sb, to, "1500", &[]));
            assert_eq!(first, all[..1500], "{what}: --limit 1500 from {to}");
        }
    }
}

/// GETs `path` of the server with `headers`, returning the status, the
/// headers and the body.
fn get(server: &Server, path: &str, headers: &[(&str, &str)]) -> (u16, String, Vec<u8>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut req = reqwest::Client::new().get(server.url(path));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let encoding = resp
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let body = resp.bytes().await.unwrap().to_vec();
        (status, encoding, body)
    })
}

#[test]
fn the_export_route_compresses_when_asked_and_needs_a_full_key() {
    let (sb, _) = filled(false);
    let server = Server::start(&sb, sb.store(), &["--api-key", "sekret-key-1"]);
    let key = ("X-API-Key", "sekret-key-1");
    let path = "/api/v1/logs/export?level=error";
    let (status, enc, plain) = get(&server, path, &[key]);
    assert_eq!((status, enc.as_str()), (200, ""));
    let (status, enc, gz) = get(&server, path, &[key, ("Accept-Encoding", "gzip")]);
    assert_eq!((status, enc.as_str()), (200, "gzip"));
    let mut unzipped = Vec::new();
    flate2::read::MultiGzDecoder::new(&gz[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert!(unzipped == plain, "gzip holds the same lines");
    let (status, enc, zs) = get(&server, path, &[key, ("Accept-Encoding", "zstd, gzip")]);
    assert_eq!((status, enc.as_str()), (200, "zstd"));
    assert!(zstd::decode_all(&zs[..]).unwrap() == plain, "zstd too");
    assert!(records(&plain).len() > 100);
    let (status, _, body) = get(&server, path, &[]);
    assert_eq!(status, 401, "{}", String::from_utf8_lossy(&body));
    // The CLI says what to do about it.
    let o = sb.run(&["query", "--to", &server.base, "--limit", "0"], b"");
    assert_code(&o, 1);
    assert!(stderr(&o).contains("401"), "{}", stderr(&o));
}

/// The value of a gauge in the server's /metrics.
fn gauge(server: &Server, name: &str) -> i64 {
    let (_, _, body) = get(server, "/metrics", &[]);
    let text = String::from_utf8(body).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} in /metrics:\n{text}"))
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn a_client_that_goes_away_mid_export_leaves_nothing_running() {
    let (sb, shipped) = filled(false);
    let server = Server::start(&sb, sb.store(), &[]);
    let addr = server.base.trim_start_matches("http://").to_string();
    for _ in 0..10 {
        let mut conn = std::net::TcpStream::connect(&addr).unwrap();
        conn.write_all(
            format!("GET /api/v1/logs/export HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes(),
        )
        .unwrap();
        // Read the head and the first chunk, then hang up mid-answer.
        let mut buf = [0u8; 4096];
        let n = conn.read(&mut buf).unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        drop(conn);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let open = gauge(&server, "loghub_exports");
        if open == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{open} exports still running after their clients left"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The server still answers, writes and exports in full.
    let o = sb.run(
        &["send", "--to", &server.base, "-q"],
        br#"{"message":"after the hang-ups","level":"info"}"#,
    );
    assert_code(&o, 0);
    let all = records(&query(&sb, &server.base, "0", &[]));
    assert_eq!(all.len(), shipped.len() + 1);
}

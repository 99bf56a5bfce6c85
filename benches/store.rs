//! Benchmark of the embedded store: ingest speed with full-text indexing, and
//! the read paths a user waits on (newest matches of a two-word full-text
//! query, a level+service filter, a metadata filter, a trace, `stats
//! --since 24h`).
//!
//! `BENCH_RECORDS` (default 10,000,000) records spread over the last 7 days,
//! 12 services, 60 hosts, realistic levels, ~250-byte messages built from
//! templates and a Zipf-skewed vocabulary so that words have realistic
//! selectivity; ingested in batches of 1000 through `Store::ingest_shared`
//! (encoding included).
//! `BENCH_DIR` picks where the temporary store goes.
//!
//! Run: `cargo bench --bench store` (or `BENCH_RECORDS=1000000 cargo bench --bench store`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use loghub::backend::Batch;
use loghub::query::{Query, StatsQuery};
use loghub::record::{Level, Record, now_micros};
use loghub::store::Store;
use serde_json::{Map, Value};

const SERVICES: [&str; 12] = [
    "api",
    "web",
    "auth",
    "billing",
    "search",
    "worker",
    "gateway",
    "cart",
    "mailer",
    "db-proxy",
    "scheduler",
    "ledger",
];

const TEMPLATES: [&str; 16] = [
    "GET /api/v1/users/{n} returned {n} in {n}ms",
    "POST /api/v1/orders created order {n} for customer {n}",
    "connection refused by upstream {host}:{n} after {n} attempts",
    "request timeout after {n}ms waiting for {host}",
    "cache miss for key session:{hex} falling back to database",
    "user {n} logged in from {ip} using password authentication",
    "payment declined for order {n}: insufficient funds",
    "scheduled job {word} finished in {n}ms with {n} items",
    "slow query took {n}ms: SELECT * FROM {word} WHERE id = {n}",
    "retrying message {hex} on queue {word} attempt {n}",
    "disk usage at {n} percent on volume {word}",
    "worker {n} picked task {hex} from queue {word}",
    "TLS handshake failed with {ip}: certificate expired",
    "health check ok for {host} latency {n}ms",
    "rate limit exceeded for api key {hex} on route {word}",
    "NullPointerException in {word}Service.handle at line {n}",
];

/// A small, fast, deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Roughly Zipf: small indexes are much more likely.
    fn zipf(&mut self, n: u64) -> u64 {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((n as f64).powf(u) - 1.0) as u64 % n
    }
}

/// A vocabulary of pronounceable words, some 2000 of them.
fn vocabulary() -> Vec<String> {
    let syll = [
        "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "po", "qua", "ber", "dan", "fel",
        "gor", "hin", "jet", "kip", "lum", "mor", "nix", "pel", "rin", "sol", "tor", "ul", "ven",
        "wex", "yar", "zin",
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut words = Vec::new();
    while words.len() < 2000 {
        let n = 2 + rng.below(2);
        let w: String = (0..n)
            .map(|_| syll[rng.below(syll.len() as u64) as usize])
            .collect();
        if !words.contains(&w) {
            words.push(w);
        }
    }
    words
}

fn generate(rng: &mut Rng, vocab: &[String], i: u64, n: u64, end: i64) -> Record {
    let span = 7 * 86_400_000_000i64;
    let base = end - span + (span / n as i64) * i as i64;
    let time = base + rng.below(10_000_000) as i64 - 5_000_000;
    let level = match rng.below(1000) {
        0..200 => Level::Debug,
        200..850 => Level::Info,
        850..950 => Level::Warn,
        950..995 => Level::Error,
        _ => Level::Critical,
    };
    let service = SERVICES[rng.zipf(SERVICES.len() as u64) as usize];
    let host = format!("{service}-{}", rng.below(5));
    let tpl = TEMPLATES[rng.below(TEMPLATES.len() as u64) as usize];
    let mut message = String::with_capacity(300);
    let mut rest = tpl;
    while let Some(p) = rest.find('{') {
        message.push_str(&rest[..p]);
        let q = rest[p..].find('}').unwrap() + p;
        match &rest[p + 1..q] {
            "n" => message.push_str(&rng.below(100_000).to_string()),
            "hex" => message.push_str(&format!("{:012x}", rng.next() >> 16)),
            "ip" => message.push_str(&format!(
                "10.{}.{}.{}",
                rng.below(256),
                rng.below(256),
                rng.below(256)
            )),
            "host" => message.push_str(&format!("node-{}", rng.below(40))),
            _ => message.push_str(&vocab[rng.zipf(vocab.len() as u64) as usize]),
        }
        rest = &rest[q + 1..];
    }
    message.push_str(rest);
    message.push_str(" |");
    while message.len() < 240 {
        message.push(' ');
        message.push_str(&vocab[rng.zipf(vocab.len() as u64) as usize]);
    }
    let mut metadata = Map::new();
    if rng.below(2) == 0 {
        metadata.insert("user_id".into(), Value::from(rng.below(50_000)));
        metadata.insert(
            "region".into(),
            Value::from(["eu-west-1", "us-east-1", "ap-south-1"][rng.below(3) as usize]),
        );
    }
    Record {
        pattern: None,
        id: None,
        time,
        level,
        service: service.into(),
        message,
        host,
        trace_id: (rng.below(10) < 3).then(|| format!("{:016x}{:016x}", rng.next(), rng.next())),
        span_id: None,
        metadata,
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time_it<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        last = Some(f());
        times.push(t.elapsed());
    }
    (median(times), last.unwrap())
}

fn main() {
    let n: u64 = std::env::var("BENCH_RECORDS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(10_000_000);
    let dir = match std::env::var_os("BENCH_DIR") {
        Some(d) => tempfile::tempdir_in(d),
        None => tempfile::tempdir(),
    }
    .expect("temp dir");
    let path = dir.path().join("store.db");
    let store = Store::open(&path).expect("open store");
    let end = now_micros();
    println!("store benchmark: {n} records into {}", path.display());

    // Records are generated on another thread so the figure is the store's.
    let (tx, rx) = mpsc::sync_channel::<Batch>(8);
    let generator = std::thread::spawn(move || {
        let vocab = vocabulary();
        let mut rng = Rng(42);
        let mut i = 0;
        while i < n {
            let len = std::env::var("BATCH")
                .ok()
                .and_then(|b| b.parse().ok())
                .unwrap_or(1000u64)
                .min(n - i);
            let records = (i..i + len)
                .map(|k| generate(&mut rng, &vocab, k, n, end))
                .collect();
            i += len;
            if tx.send(Batch::new(records)).is_err() {
                break;
            }
        }
    });
    // Like `send` (4 batches in flight by default): several threads ingest
    // at once and share commits. BENCH_CONCURRENCY=1 is one batch at a time.
    let concurrency: usize = std::env::var("BENCH_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let store = Arc::new(store);
    let rx = Arc::new(Mutex::new(rx));
    let t = Instant::now();
    let done = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..concurrency.max(1))
        .map(|_| {
            let (store, rx, done) = (store.clone(), rx.clone(), done.clone());
            std::thread::spawn(move || {
                loop {
                    let Ok(batch) = rx.lock().unwrap().recv() else {
                        return;
                    };
                    let out = if concurrency <= 1 {
                        store.ingest(&batch)
                    } else {
                        store.ingest_shared(Arc::new(batch))
                    }
                    .expect("ingest");
                    done.fetch_add(out.accepted as u64, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let mut last_report = Instant::now();
    while workers.iter().any(|w| !w.is_finished()) {
        std::thread::sleep(Duration::from_millis(100));
        if last_report.elapsed() > Duration::from_secs(30) {
            let d = done.load(Ordering::Relaxed);
            println!(
                "  … {d} records, {:.0} records/s so far",
                d as f64 / t.elapsed().as_secs_f64()
            );
            last_report = Instant::now();
        }
    }
    for w in workers {
        w.join().unwrap();
    }
    generator.join().unwrap();
    let done = done.load(Ordering::Relaxed);
    let wall = t.elapsed();
    println!(
        "ingest: {done} records in {:.1}s: {:.0} records/s ({concurrency} writer threads, batches of 1000)",
        wall.as_secs_f64(),
        done as f64 / wall.as_secs_f64(),
    );
    println!(
        "store size: {:.1} MiB ({:.0} bytes/record)",
        store.storage_bytes() as f64 / 1048576.0,
        store.storage_bytes() as f64 / done as f64
    );

    let runs = 5;
    let text = Query {
        text: vec!["connection".into(), "refused".into()],
        ..Query::default()
    };
    let (d, page) = time_it(runs, || store.query(&text, None, 100).unwrap());
    println!(
        "query 'connection refused', newest 100: median {:.1} ms ({} records)",
        d.as_secs_f64() * 1e3,
        page.records.len()
    );
    let cursor = page.next_cursor.clone();
    let (d, page2) = time_it(runs, || store.query(&text, cursor.as_deref(), 100).unwrap());
    println!(
        "  … its second page: median {:.1} ms ({} records)",
        d.as_secs_f64() * 1e3,
        page2.records.len()
    );
    let rare = Query {
        text: vec!["certificate expired".into(), "tls".into()],
        services: vec!["ledger".into()],
        ..Query::default()
    };
    let (d, page) = time_it(runs, || store.query(&rare, None, 100).unwrap());
    println!(
        "query 'certificate expired' tls service=ledger (a service with no records), newest 100: median {:.1} ms ({} records)",
        d.as_secs_f64() * 1e3,
        page.records.len()
    );
    let filtered = Query {
        levels: vec![Level::Error],
        services: vec!["billing".into()],
        ..Query::default()
    };
    let (d, page) = time_it(runs, || store.query(&filtered, None, 100).unwrap());
    println!(
        "query level=error service=billing, newest 100: median {:.1} ms ({} records)",
        d.as_secs_f64() * 1e3,
        page.records.len()
    );
    let warn_up = Query {
        levels: vec![Level::Warn, Level::Error, Level::Critical],
        services: vec!["api".into(), "auth".into()],
        ..Query::default()
    };
    let (d, page) = time_it(runs, || store.query(&warn_up, None, 100).unwrap());
    println!(
        "query level>=warn service=api,auth, newest 100: median {:.1} ms ({} records)",
        d.as_secs_f64() * 1e3,
        page.records.len()
    );
    let by_user = Query {
        text: vec!["timeout".into()],
        metadata: vec![("user_id".into(), "42".into())],
        ..Query::default()
    };
    let (d, page) = time_it(runs, || store.query(&by_user, None, 100).unwrap());
    println!(
        "query timeout user_id=42, newest 100: median {:.1} ms ({} records)",
        d.as_secs_f64() * 1e3,
        page.records.len()
    );
    let some_trace = store
        .query(&Query::default(), None, 1000)
        .unwrap()
        .records
        .into_iter()
        .find_map(|r| r.trace_id)
        .expect("a recent record with a trace id");
    let (d, records) = time_it(runs, || store.trace(&some_trace).unwrap());
    println!(
        "trace of a recent trace id: median {:.1} ms ({} records)",
        d.as_secs_f64() * 1e3,
        records.len()
    );
    let sq = StatsQuery {
        query: Query {
            since: Some(now_micros() - 86_400_000_000),
            ..Query::default()
        },
        interval: None,
        top: 10,
    };
    let (d, stats) = time_it(runs, || store.stats(&sq, now_micros()).unwrap());
    println!(
        "stats --since 24h: median {:.1} ms ({} records, {} buckets, {} top errors)",
        d.as_secs_f64() * 1e3,
        stats.total,
        stats.buckets.len(),
        stats.top_errors.len()
    );
    let t = Instant::now();
    let tail = store
        .tail_page(&Query::default(), store.last_id().unwrap() - 1000, 1000)
        .unwrap();
    println!(
        "tail poll of the last 1000 ids: {:.1} ms ({} records)",
        t.elapsed().as_secs_f64() * 1e3,
        tail.records.len()
    );
}

//! The embedded store through its public API (`Store`, `LocalBackend`), on a
//! real SQLite file per test: every filter against the reference semantics
//! of `Query::matches`, cursor paging, full-text input that looks like FTS
//! syntax, stats against a count by hand, trace order, tail across
//! connections, idempotent re-ingest, retention and unwritable stores.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use loghub::backend::local::LocalBackend;
use loghub::backend::{Backend, Batch, DeliveryError, TailStart};
use loghub::query::{Query, StatsQuery, fingerprint};
use loghub::record::{Level, Micros, Record, now_micros};
use loghub::store::Store;
use serde_json::{Map, json};

const MIN: Micros = 60_000_000;

fn rec(time: Micros, level: Level, service: &str, host: &str, message: &str) -> Record {
    Record {
        pattern: None,
        id: None,
        time,
        level,
        service: service.into(),
        host: host.into(),
        message: message.into(),
        ..Record::default()
    }
}

fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("sub/dir/store.db")).unwrap();
    (dir, store)
}

/// A varied set: services, hosts, levels, traces, metadata, equal and
/// out-of-order times, words that recur.
fn sample(base: Micros) -> Vec<Record> {
    let services = ["api", "web", "billing"];
    let hosts = ["h1", "h2"];
    let words = ["timeout", "refused", "ok", "retry", "payment"];
    (0..240)
        .map(|i: i64| {
            // Every 7th record arrives late with an older time; some share a time.
            let time = if i % 7 == 0 {
                base + (i - 50) * 1_000_000
            } else {
                base + (i / 2) * 1_000_000
            };
            let mut r = rec(
                time,
                Level::ALL[(i % 5) as usize],
                services[(i % 3) as usize],
                hosts[(i % 2) as usize],
                &format!(
                    "request {i} {} after {}ms {}",
                    words[(i % 5) as usize],
                    i * 3,
                    words[(i % 4) as usize]
                ),
            );
            if i % 10 < 3 {
                r.trace_id = Some(format!("trace-{}", i % 10));
            }
            let mut m = Map::new();
            m.insert("user_id".into(), json!(i % 6));
            m.insert(
                "http".into(),
                json!({"status": if i % 4 == 0 { 500 } else { 200 }}),
            );
            if i % 5 == 0 {
                m.insert("region".into(), json!("eu"));
            }
            r.metadata = m;
            r
        })
        .collect()
}

fn ingest_all(store: &Store, records: &[Record]) -> Vec<Record> {
    let mut stored = Vec::new();
    let mut next = store.last_id().unwrap() + 1;
    for chunk in records.chunks(50) {
        let out = store.ingest(&Batch::new(chunk.to_vec())).unwrap();
        assert_eq!(out.accepted, chunk.len());
        for r in chunk {
            let mut r = r.clone();
            r.id = Some(next);
            next += 1;
            stored.push(r);
        }
    }
    stored
}

/// Every page of a query, following cursors.
fn all_pages(store: &Store, q: &Query, page: usize) -> Vec<Record> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let p = store.query(q, cursor.as_deref(), page).unwrap();
        assert!(p.records.len() <= page);
        out.extend(p.records);
        match p.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

fn newest_first(mut v: Vec<Record>) -> Vec<Record> {
    v.sort_by_key(|r| std::cmp::Reverse((r.time, r.id)));
    v
}

fn ids(v: &[Record]) -> Vec<i64> {
    v.iter().map(|r| r.id.unwrap()).collect()
}

#[test]
fn every_filter_returns_what_the_reference_semantics_say() {
    let (_dir, store) = temp_store();
    let base = 1_700_000_000_000_000;
    let stored = ingest_all(&store, &sample(base));
    let queries = vec![
        Query::default(),
        Query {
            levels: vec![Level::Error, Level::Critical],
            ..Query::default()
        },
        Query {
            services: vec!["api".into()],
            levels: vec![Level::Warn],
            ..Query::default()
        },
        Query {
            services: vec!["api".into(), "billing".into()],
            ..Query::default()
        },
        Query {
            hosts: vec!["h2".into()],
            ..Query::default()
        },
        Query {
            trace_id: Some("trace-1".into()),
            ..Query::default()
        },
        Query {
            since: Some(base + 30_000_000),
            until: Some(base + 80_000_000),
            ..Query::default()
        },
        Query {
            metadata: vec![("user_id".into(), "3".into())],
            ..Query::default()
        },
        Query {
            metadata: vec![
                ("http.status".into(), "500".into()),
                ("region".into(), "eu".into()),
            ],
            ..Query::default()
        },
        Query {
            text: vec!["timeout".into()],
            ..Query::default()
        },
        Query {
            text: vec!["TIMEOUT".into(), "retry".into()],
            services: vec!["web".into()],
            ..Query::default()
        },
        Query {
            text: vec!["timeout".into()],
            trace_id: Some("trace-0".into()),
            ..Query::default()
        },
        Query {
            text: vec!["refused".into()],
            since: Some(base + 20_000_000),
            levels: vec![Level::Info, Level::Debug],
            ..Query::default()
        },
    ];
    for q in &queries {
        let want = newest_first(stored.iter().filter(|r| q.matches(r)).cloned().collect());
        assert!(!want.is_empty(), "query {q:?} should match something");
        let got = all_pages(&store, q, 1000);
        assert_eq!(ids(&got), ids(&want), "query {q:?}");
        assert_eq!(got, want, "records read back whole, query {q:?}");
    }
    let none = Query {
        services: vec!["nope".into()],
        ..Query::default()
    };
    assert!(store.query(&none, None, 10).unwrap().records.is_empty());
}

#[test]
fn cursor_pages_have_no_duplicates_and_no_gaps() {
    let (_dir, store) = temp_store();
    let stored = ingest_all(&store, &sample(1_700_000_000_000_000));
    for q in [
        Query::default(),
        Query {
            text: vec!["ok".into()],
            ..Query::default()
        },
        Query {
            levels: vec![Level::Debug, Level::Warn],
            ..Query::default()
        },
    ] {
        let want = newest_first(stored.iter().filter(|r| q.matches(r)).cloned().collect());
        let got = all_pages(&store, &q, 7);
        assert_eq!(ids(&got), ids(&want), "query {q:?}");
        let unique: HashSet<i64> = ids(&got).into_iter().collect();
        assert_eq!(unique.len(), got.len());
    }
    // New records arriving between pages do not shift older pages.
    let q = Query::default();
    let first = store.query(&q, None, 10).unwrap();
    ingest_all(&store, &sample(1_800_000_000_000_000)[..20]);
    let second = store.query(&q, first.next_cursor.as_deref(), 10).unwrap();
    let want = newest_first(stored);
    assert_eq!(ids(&second.records), ids(&want[10..20]));
    assert!(store.query(&q, Some("garbage"), 10).is_err());
}

#[test]
fn fts_syntax_in_the_text_is_data() {
    let (_dir, store) = temp_store();
    let t = 1_700_000_000_000_000;
    let messages = [
        "this OR that happened",
        "say \"hello\" to the user",
        "NEAR(disk, full) is not a function",
        "wildcard * expansion failed",
        "minus -flag given",
        "column: name missing",
        "plain message",
    ];
    let stored = ingest_all(
        &store,
        &messages
            .iter()
            .enumerate()
            .map(|(i, m)| rec(t + i as i64, Level::Info, "api", "h", m))
            .collect::<Vec<_>>(),
    );
    let find = |text: &str| -> Vec<String> {
        let q = Query {
            text: vec![text.into()],
            ..Query::default()
        };
        store
            .query(&q, None, 100)
            .unwrap_or_else(|e| panic!("query {text:?} failed: {e:#}"))
            .records
            .into_iter()
            .map(|r| r.message)
            .collect()
    };
    assert_eq!(find("OR"), vec![messages[0]]);
    assert_eq!(find("\"hello\""), vec![messages[1]]);
    assert_eq!(find("\"hello"), vec![messages[1]]);
    assert_eq!(find("NEAR(disk"), vec![messages[2]]);
    assert_eq!(find("-flag"), vec![messages[4]]);
    assert_eq!(find("column:"), vec![messages[5]]);
    assert_eq!(find("name missing"), vec![messages[5]]);
    assert!(find("missing name").is_empty(), "a term is a phrase");
    // Nothing searchable in the term: dropped, so everything matches.
    assert_eq!(find("*").len(), stored.len());
    assert_eq!(find("\"").len(), stored.len());
    for weird in [
        "AND", "NOT", "a:b", "(", ")", "^x", "x*", "\"\"\"", "NEAR", "{a b}",
    ] {
        find(weird);
    }
}

#[test]
fn stats_equal_a_count_by_hand() {
    let (_dir, store) = temp_store();
    let now = 1_700_000_000_000_000 - 1_700_000_000_000_000 % (60 * MIN) + 37 * MIN + 12_345;
    let services = ["api", "web", "billing", "auth"];
    let errors = [
        "timeout after 31ms for order 17",
        "timeout after 5ms for order 9",
        "connection refused by 10.0.0.1:5432",
        "disk full on /dev/sda1",
    ];
    let mut records = Vec::new();
    for i in 0..600i64 {
        let time = now - (i * 7_919_111) % (3 * 3600 * 1_000_000);
        let level = Level::ALL[(i % 5) as usize];
        let msg = if level >= Level::Error {
            errors[(i % 4) as usize].to_string()
        } else {
            format!("fine {i}")
        };
        records.push(rec(time, level, services[(i % 7 % 4) as usize], "h", &msg));
    }
    ingest_all(&store, &records);
    for (since, until, services, levels, interval) in [
        (
            now - 2 * 3600 * 1_000_000 + 123_456,
            None,
            vec![],
            vec![],
            900,
        ),
        (now - 3 * 3600 * 1_000_000 + 7, None, vec![], vec![], 3600),
        (
            now - 150 * MIN - 9,
            Some(now - 20 * MIN),
            vec!["web".to_string()],
            vec![],
            3600,
        ),
        (
            now - 3 * 3600 * 1_000_000,
            Some(now - 1_000_000_000),
            vec!["api".to_string()],
            vec![],
            900,
        ),
        (
            now - 90 * MIN - 7,
            Some(now - 5 * MIN + 3),
            vec![],
            vec![Level::Error, Level::Critical],
            900,
        ),
        (now - 30_000_000, Some(now - 10_000_000), vec![], vec![], 60),
    ] {
        let q = Query {
            since: Some(since),
            until,
            services: services.clone(),
            levels: levels.clone(),
            ..Query::default()
        };
        let stats = store
            .stats(
                &StatsQuery {
                    query: q.clone(),
                    interval: Some(interval),
                    top: 10,
                },
                now,
            )
            .unwrap();
        let end = until.unwrap_or(now + 1);
        let matching: Vec<&Record> = records
            .iter()
            .filter(|r| q.matches(r) && r.time < end)
            .collect();
        assert_eq!(stats.total, matching.len() as u64, "{q:?}");
        let mut by_level = [0u64; 5];
        let mut buckets: BTreeMap<Micros, u64> = BTreeMap::new();
        let mut by_service: BTreeMap<&str, u64> = BTreeMap::new();
        let mut by_fp: BTreeMap<(String, &str), u64> = BTreeMap::new();
        let width = interval * 1_000_000;
        for r in &matching {
            by_level[r.level.index()] += 1;
            *buckets
                .entry(r.time - r.time.rem_euclid(width))
                .or_default() += 1;
            *by_service.entry(&r.service).or_default() += 1;
            if r.level >= Level::Error {
                *by_fp
                    .entry((fingerprint::fingerprint(&r.message), &r.service))
                    .or_default() += 1;
            }
        }
        assert_eq!(stats.by_level, by_level, "{q:?}");
        let got: BTreeMap<Micros, u64> = stats
            .buckets
            .iter()
            .filter(|b| b.total > 0)
            .map(|b| (b.start, b.total))
            .collect();
        assert_eq!(got, buckets, "{q:?}");
        for b in &stats.buckets {
            assert_eq!(b.total, b.by_level.iter().sum::<u64>());
        }
        for (s, n) in &stats.top_services {
            assert_eq!(by_service.get(s.as_str()), Some(n), "{q:?}");
        }
        assert_eq!(stats.top_services.len(), by_service.len().min(10));
        for e in &stats.top_errors {
            assert_eq!(
                by_fp.get(&(e.fingerprint.clone(), e.service.as_str())),
                Some(&e.count),
                "{q:?} {e:?}"
            );
            assert_eq!(fingerprint::fingerprint(&e.sample), e.fingerprint);
        }
        assert_eq!(stats.top_errors.len(), by_fp.len().min(10), "{q:?}");
    }
    // "timeout after 31ms…" and "timeout after 5ms…" are one group.
    let all = store
        .stats(
            &StatsQuery {
                query: Query::default(),
                interval: None,
                top: 10,
            },
            now,
        )
        .unwrap();
    assert!(
        all.top_errors
            .iter()
            .any(|e| e.sample.starts_with("timeout after"))
    );
    let groups: HashSet<&str> = all
        .top_errors
        .iter()
        .map(|e| e.fingerprint.as_str())
        .collect();
    assert_eq!(groups.len(), 3);
}

#[test]
fn trace_is_oldest_first() {
    let (_dir, store) = temp_store();
    let t = 1_700_000_000_000_000;
    let mut records = Vec::new();
    for (i, dt) in [5i64, 1, 3, 2, 4].iter().enumerate() {
        let mut r = rec(
            t + dt * 1000,
            Level::Info,
            ["a", "b"][i % 2],
            "h",
            &format!("step {dt}"),
        );
        r.trace_id = Some("4bf92f3577b34da6a3ce929d0e0e4736".into());
        records.push(r);
    }
    records.push(rec(t, Level::Info, "a", "h", "not in the trace"));
    ingest_all(&store, &records);
    let trace = store.trace("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
    let msgs: Vec<&str> = trace.iter().map(|r| r.message.as_str()).collect();
    assert_eq!(msgs, ["step 1", "step 2", "step 3", "step 4", "step 5"]);
    assert!(store.trace("unknown").unwrap().is_empty());
}

/// Waits for `n` records from a stream, with a deadline.
async fn take(stream: &mut loghub::backend::RecordStream, n: usize) -> Vec<Record> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while out.len() < n {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(r)) => out.push(r.unwrap()),
            Ok(None) => panic!("stream ended"),
            Err(_) => panic!("only {} of {n} records arrived", out.len()),
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_sees_records_from_another_connection_without_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let backend = LocalBackend::open(&path)
        .unwrap()
        .with_poll_interval(Duration::from_millis(20));
    let now = now_micros();
    let old = rec(
        now - 3600 * 1_000_000,
        Level::Error,
        "api",
        "h",
        "old error",
    );
    let recent = rec(
        now - 60 * 1_000_000,
        Level::Error,
        "api",
        "h",
        "recent error",
    );
    backend
        .ingest(&Batch::new(vec![old, recent]))
        .await
        .unwrap();

    let q = Query {
        levels: vec![Level::Error],
        ..Query::default()
    };
    let mut live = backend
        .tail(
            &q,
            TailStart {
                after_id: None,
                since: Some(now - 600 * 1_000_000),
            },
        )
        .await
        .unwrap();
    // Another writer: its own connection on the same file, from other threads.
    let other = Arc::new(Store::open(&path).unwrap());
    let writer = {
        let other = other.clone();
        std::thread::spawn(move || {
            for i in 0..30 {
                let level = if i % 2 == 0 {
                    Level::Error
                } else {
                    Level::Info
                };
                let batch = Batch::new(vec![rec(
                    now_micros(),
                    level,
                    "web",
                    "h2",
                    &format!("live {i}"),
                )]);
                other.ingest_shared(Arc::new(batch)).unwrap();
            }
        })
    };
    let got = take(&mut live, 16).await;
    writer.join().unwrap();
    assert_eq!(got[0].message, "recent error", "since backfills first");
    let live_msgs: Vec<String> = got[1..].iter().map(|r| r.message.clone()).collect();
    let want: Vec<String> = (0..30).step_by(2).map(|i| format!("live {i}")).collect();
    assert_eq!(live_msgs, want, "every matching record once, in order");
    let ids: Vec<i64> = got[1..].iter().map(|r| r.id.unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));

    // Resuming after an id (SSE Last-Event-ID) repeats nothing and misses nothing.
    let mut resumed = backend
        .tail(
            &q,
            TailStart {
                after_id: Some(ids[7]),
                since: None,
            },
        )
        .await
        .unwrap();
    let again = take(&mut resumed, 7).await;
    assert_eq!(
        again.iter().map(|r| r.id.unwrap()).collect::<Vec<_>>(),
        ids[8..].to_vec()
    );
    // The server's unfiltered poll.
    let after = other.records_after(ids[0], 1000).unwrap();
    assert_eq!(after.len() as i64, other.last_id().unwrap() - ids[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_batch_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let backend = LocalBackend::open(&path).unwrap();
    let t = now_micros();
    let mut batch = Batch::new(vec![
        rec(t, Level::Info, "api", "h", "one"),
        rec(t, Level::Info, "", "h", "no service"),
        rec(t, Level::Info, "api", "h", "two"),
    ]);
    batch.id = "f0e1d2c3-key".into();
    let first = backend.ingest(&batch).await.unwrap();
    assert_eq!(first.accepted, 2);
    assert_eq!(first.rejected.len(), 1);
    assert_eq!(first.rejected[0].0, 1);
    // The same key again, even with other records, from another process's view.
    let again = Store::open(&path).unwrap();
    let mut retry = batch.clone();
    retry.records.push(rec(t, Level::Info, "api", "h", "three"));
    assert_eq!(again.ingest(&retry).unwrap(), first);
    assert_eq!(backend.ingest(&batch).await.unwrap(), first);
    // Concurrent repeats through group commit store it once too.
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (s, b) = (backend.store().clone(), Arc::new(batch.clone()));
            std::thread::spawn(move || s.ingest_shared(b).unwrap())
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), first);
    }
    let all = again.query(&Query::default(), None, 100).unwrap();
    assert_eq!(all.records.len(), 2);
}

#[test]
fn retention_deletes_oldest_and_keeps_stats_consistent() {
    let (_dir, store) = temp_store();
    let now = now_micros();
    let day = 86_400_000_000i64;
    let mut records = Vec::new();
    for i in 0..3000i64 {
        let age = (i % 10) * day / 2 + i * 1000;
        let level = if i % 9 == 0 {
            Level::Error
        } else {
            Level::Info
        };
        records.push(rec(
            now - age,
            level,
            ["a", "b"][(i % 2) as usize],
            "h",
            &format!("message number {i} with some text to take space"),
        ));
    }
    let stored = ingest_all(&store, &records);
    let report = store
        .retain(Some(Duration::from_secs(2 * 86400)), None)
        .unwrap();
    let cutoff = now - 2 * day;
    let kept: Vec<&Record> = stored.iter().filter(|r| r.time >= cutoff).collect();
    assert!(report.deleted > 0);
    // Allow for the seconds between `now` here and inside `retain`.
    let left = all_pages(&store, &Query::default(), 1000);
    assert!(left.iter().all(|r| r.time >= cutoff - 60_000_000));
    assert_eq!(left.len() as u64 + report.deleted, stored.len() as u64);
    assert!(left.len() >= kept.len() - 10);
    // Full-text and rollups forgot the deleted records too.
    let q = Query {
        text: vec!["message".into()],
        ..Query::default()
    };
    assert_eq!(all_pages(&store, &q, 1000).len(), left.len());
    let stats = store
        .stats(
            &StatsQuery {
                query: Query {
                    since: Some(now - 10 * day),
                    ..Query::default()
                },
                interval: Some(3600),
                top: 5,
            },
            now + 1,
        )
        .unwrap();
    assert_eq!(stats.total, left.len() as u64);
    let errors: u64 = stats.top_errors.iter().map(|e| e.count).sum();
    assert_eq!(
        errors,
        left.iter().filter(|r| r.level == Level::Error).count() as u64
    );

    // By size: oldest go first until it fits.
    let before = left.len();
    let size = store.data_bytes().unwrap();
    let report = store.retain(None, Some(size / 3)).unwrap();
    assert!(report.deleted > 0, "{report:?}");
    assert!(store.data_bytes().unwrap() < size, "{report:?}");
    assert!(report.deleted as usize >= before / 2, "{report:?}");
    let rest = newest_first(all_pages(&store, &Query::default(), 1000));
    assert_eq!(rest.len() + report.deleted as usize, before);
    let oldest_kept = rest.iter().map(|r| r.time).min().unwrap();
    let gone: Vec<&Record> = left
        .iter()
        .filter(|r| !rest.iter().any(|k| k.id == r.id))
        .collect();
    assert!(gone.iter().all(|r| r.time <= oldest_kept), "oldest first");
}

#[test]
fn opening_errors_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let bad = file.join("store.db");
    let e = format!("{:#}", Store::open(&bad).unwrap_err());
    assert!(e.contains(&bad.display().to_string()), "{e}");

    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![0x5au8; 8192]).unwrap();
    let e = format!("{:#}", Store::open(&garbage).unwrap_err());
    assert!(e.contains(&garbage.display().to_string()), "{e}");
    assert!(e.contains("not a loghub store"), "{e}");
}

/// Makes a file unwritable even for root (chmod, then `chattr +i` when the
/// mode alone does not stop this user). Returns whether `chattr` was used.
fn make_read_only(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o444)).unwrap();
    if std::fs::OpenOptions::new().write(true).open(path).is_err() {
        return false;
    }
    let ok = std::process::Command::new("chattr")
        .arg("+i")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "cannot make {} read-only here", path.display());
    assert!(std::fs::OpenOptions::new().write(true).open(path).is_err());
    true
}

#[tokio::test]
async fn a_read_only_store_is_a_fatal_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    {
        let s = Store::open(&path).unwrap();
        s.ingest(&Batch::new(vec![rec(
            now_micros(),
            Level::Info,
            "a",
            "h",
            "before",
        )]))
        .unwrap();
    }
    let chattr = make_read_only(&path);
    let result = match LocalBackend::open(&path) {
        Err(e) => Err(format!("{e:#}")),
        Ok(b) => match b
            .ingest(&Batch::new(vec![rec(
                now_micros(),
                Level::Info,
                "a",
                "h",
                "after",
            )]))
            .await
        {
            Err(DeliveryError::Fatal(m)) => Err(m),
            other => Ok(format!("{other:?}")),
        },
    };
    if chattr {
        let _ = std::process::Command::new("chattr")
            .arg("-i")
            .arg(&path)
            .status();
    }
    let msg = result.expect_err("writing a read-only store must fail");
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(
        msg.contains("read-only") || msg.contains("cannot open"),
        "{msg}"
    );
}

/// A store written by loghub before schema 3 (a row per record in `logs`,
/// FTS5 per record, samples by fingerprint) opens as blocks: same ids,
/// same answers, same stats and samples.
#[test]
fn a_store_from_schema_2_is_converted_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let t0 = now_micros() - 3600 * 1_000_000;
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE logs(id INTEGER PRIMARY KEY, time INTEGER NOT NULL,
                level INTEGER NOT NULL, service TEXT NOT NULL, host TEXT NOT NULL,
                message TEXT NOT NULL, trace_id TEXT, span_id TEXT, metadata TEXT);
             CREATE INDEX logs_time ON logs(time);
             CREATE VIRTUAL TABLE logs_fts USING fts5(message, content='',
                contentless_delete=1, tokenize=\"unicode61 tokenchars '_'\");
             CREATE TABLE rollup_minute(minute INTEGER NOT NULL, service TEXT NOT NULL,
                level INTEGER NOT NULL, count INTEGER NOT NULL,
                PRIMARY KEY(minute, service, level)) WITHOUT ROWID;
             CREATE TABLE rollup_hour(minute INTEGER NOT NULL, service TEXT NOT NULL,
                level INTEGER NOT NULL, count INTEGER NOT NULL,
                PRIMARY KEY(minute, service, level)) WITHOUT ROWID;
             CREATE TABLE rollup_errors(minute INTEGER NOT NULL, fingerprint TEXT NOT NULL,
                service TEXT NOT NULL, level INTEGER NOT NULL, count INTEGER NOT NULL,
                last_seen INTEGER NOT NULL,
                PRIMARY KEY(minute, fingerprint, service, level)) WITHOUT ROWID;
             CREATE TABLE fingerprints(fingerprint TEXT PRIMARY KEY, sample TEXT NOT NULL)
                WITHOUT ROWID;
             CREATE TABLE id_chunks(chunk INTEGER PRIMARY KEY, min_time INTEGER NOT NULL,
                max_time INTEGER NOT NULL);
             CREATE TABLE batches(id TEXT PRIMARY KEY, outcome TEXT NOT NULL,
                created INTEGER NOT NULL) WITHOUT ROWID;
             CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
             PRAGMA user_version=2;",
        )
        .unwrap();
        // Ids with a gap (retention had deleted 3001..=3100), 5000 records.
        c.execute_batch("BEGIN").unwrap();
        let mut id = 0;
        for i in 0..5000i64 {
            id += if i == 3000 { 101 } else { 1 };
            let t = t0 + i * 100_000;
            let level = if i % 10 == 0 { 3 } else { 1 };
            let msg = format!("request {i} took {}ms", i % 7);
            let trace = (i % 100 == 0).then(|| format!("trace{i}"));
            let meta = (i % 2 == 0).then(|| format!("{{\"user_id\":{}}}", i % 50));
            c.execute(
                "INSERT INTO logs VALUES(?1, ?2, ?3, 'api', 'h1', ?4, ?5, NULL, ?6)",
                rusqlite::params![id, t, level, msg, trace, meta],
            )
            .unwrap();
            c.execute(
                "INSERT INTO logs_fts(rowid, message) VALUES(?1, ?2)",
                rusqlite::params![id, msg],
            )
            .unwrap();
            let minute = t.div_euclid(MIN);
            c.execute(
                "INSERT INTO rollup_minute VALUES(?1, 'api', ?2, 1)
                 ON CONFLICT DO UPDATE SET count = count + 1",
                rusqlite::params![minute, level],
            )
            .unwrap();
            c.execute(
                "INSERT INTO rollup_hour VALUES(?1, 'api', ?2, 1)
                 ON CONFLICT DO UPDATE SET count = count + 1",
                rusqlite::params![minute - minute.rem_euclid(60), level],
            )
            .unwrap();
            if level == 3 {
                let fp = fingerprint::fingerprint(&msg);
                c.execute(
                    "INSERT INTO rollup_errors VALUES(?1, ?2, 'api', 3, 1, ?3)
                     ON CONFLICT DO UPDATE SET count = count + 1",
                    rusqlite::params![minute, fp, t],
                )
                .unwrap();
                c.execute(
                    "INSERT OR IGNORE INTO fingerprints VALUES(?1, ?2)",
                    rusqlite::params![fp, msg],
                )
                .unwrap();
            }
        }
        c.execute("INSERT INTO meta VALUES('next_id', ?1)", [id + 1])
            .unwrap();
        c.execute_batch("COMMIT").unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.last_id().unwrap(), 5100);
    let all = all_pages(&store, &Query::default(), 1000);
    assert_eq!(all.len(), 5000);
    assert_eq!(all[0].id, Some(5100));
    assert_eq!(all[0].message, "request 4999 took 1ms");
    assert!(!all.iter().any(|r| (3001..3101).contains(&r.id.unwrap())));
    let q = Query {
        text: vec!["request 4998".into()],
        ..Query::default()
    };
    let found = all_pages(&store, &q, 100);
    assert_eq!(ids(&found), vec![5099]);
    let q = Query {
        metadata: vec![("user_id".into(), "7".into())],
        ..Query::default()
    };
    assert_eq!(all_pages(&store, &q, 1000).len(), 0, "odd ids have none");
    let q = Query {
        metadata: vec![("user_id".into(), "8".into())],
        ..Query::default()
    };
    assert_eq!(all_pages(&store, &q, 1000).len(), 100);
    let trace = store.trace("trace4900").unwrap();
    assert_eq!(ids(&trace), vec![5001]);
    let stats = store
        .stats(
            &StatsQuery {
                query: Query {
                    since: Some(t0 - MIN),
                    ..Query::default()
                },
                interval: Some(3600),
                top: 3,
            },
            now_micros(),
        )
        .unwrap();
    assert_eq!(stats.total, 5000);
    assert_eq!(stats.by_level[3], 500);
    // Every error message is its own fingerprint up to its numbers: one
    // group, with its sample from the old table.
    assert_eq!(stats.top_errors.len(), 1, "{:?}", stats.top_errors);
    assert!(stats.top_errors[0].sample.starts_with("request "));
    // It stays converted: new records go after the old ones.
    let out = store
        .ingest(&Batch::new(vec![rec(
            now_micros(),
            Level::Info,
            "api",
            "h1",
            "new one",
        )]))
        .unwrap();
    assert_eq!(out.accepted, 1);
    drop(store);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.last_id().unwrap(), 5101);
    assert_eq!(all_pages(&store, &Query::default(), 1000).len(), 5001);
}

/// Batches bigger than a block, read back whole through every path.
#[test]
fn a_batch_bigger_than_a_block_reads_back_whole() {
    let (_dir, store) = temp_store();
    let t0 = now_micros() - 600 * 1_000_000;
    let records: Vec<Record> = (0..7000i64)
        .map(|i| {
            let mut r = rec(
                t0 + (i % 1000) * 1000 + i,
                Level::Info,
                ["a", "b", "c"][(i % 3) as usize],
                "h",
                &format!("line {i} of a big batch"),
            );
            r.trace_id = (i % 700 == 0).then(|| "t-big".to_string());
            r
        })
        .collect();
    let out = store.ingest(&Batch::new(records.clone())).unwrap();
    assert_eq!(out.accepted, 7000);
    let all = all_pages(&store, &Query::default(), 333);
    assert_eq!(all.len(), 7000);
    let set: HashSet<i64> = ids(&all).into_iter().collect();
    assert_eq!(set.len(), 7000);
    assert_eq!(all, newest_first(all.clone()));
    let q = Query {
        services: vec!["b".into()],
        text: vec!["big batch".into()],
        ..Query::default()
    };
    let expect = records.iter().filter(|r| q.matches(r)).count();
    assert_eq!(all_pages(&store, &q, 500).len(), expect);
    assert_eq!(store.trace("t-big").unwrap().len(), 10);
    let tail = store.tail_page(&Query::default(), 0, 10_000).unwrap();
    assert_eq!(tail.records.len(), 7000);
    assert_eq!(tail.next_after, 7000);
    assert_eq!(store.records_after(6990, 100).unwrap().len(), 10);
}

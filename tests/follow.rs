//! `loghub send --follow` (SPEC §9) end to end: the real binary follows
//! files that a real writer process (tests/fixtures/follow_writer.py)
//! appends to and rotates; a real `loghub serve` (which de-duplicates by
//! Idempotency-Key) stores what arrives, and each test counts the distinct
//! sequence numbers it stored: every line exactly once.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Sandbox, Server};

const WRITER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/follow_writer.py"
);

/// A running `loghub send --follow`, its stderr (and stdout) collected.
struct Follow {
    child: Child,
    stderr: Arc<Mutex<String>>,
    stdout: Arc<Mutex<String>>,
}

impl Follow {
    fn start(sb: &Sandbox, args: &[&str]) -> Follow {
        let mut all = vec!["send", "--follow", "-v", "--flush-interval", "100ms"];
        all.extend_from_slice(args);
        let mut child = sb
            .cmd(&all)
            .current_dir(sb.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn loghub send --follow");
        let stderr = Arc::new(Mutex::new(String::new()));
        let stdout = Arc::new(Mutex::new(String::new()));
        drain(child.stderr.take().unwrap(), stderr.clone());
        drain(child.stdout.take().unwrap(), stdout.clone());
        Follow {
            child,
            stderr,
            stdout,
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// SIGTERM, then waits for the exit code; (code, stderr, stdout).
    fn term(mut self) -> (Option<i32>, String, String) {
        signal(&self.child, libc::SIGTERM);
        let code = wait_exit(&mut self.child, Duration::from_secs(60));
        // Let the drain threads reach the end of the summary.
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && !self.stderr().contains("loghub: followed") {
            std::thread::sleep(Duration::from_millis(20));
        }
        (code, self.stderr(), self.stdout())
    }

    fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Follow {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn drain(r: impl std::io::Read + Send + 'static, into: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        let mut r = BufReader::new(r);
        let mut line = String::new();
        while r.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
            into.lock().unwrap().push_str(&line);
            line.clear();
        }
    });
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id() as i32, sig);
    }
}

fn wait_exit(child: &mut Child, within: Duration) -> Option<i32> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s.code();
        }
        assert!(Instant::now() < deadline, "process did not exit in time");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts the writer: lines `first..=last` at `rate` per second into `path`,
/// rotating every `every` lines by `mode`.
fn writer(path: &Path, first: u64, last: u64, rate: u64, every: u64, mode: &str) -> Child {
    std::process::Command::new("python3")
        .arg(WRITER)
        .arg(path)
        .args([first, last, rate, every].map(|n| n.to_string()))
        .arg(mode)
        .stdout(Stdio::null())
        .spawn()
        .expect("python3 for the writer")
}

fn finish_writer(mut w: Child) {
    assert_eq!(
        wait_exit(&mut w, Duration::from_secs(120)),
        Some(0),
        "writer failed"
    );
}

/// Polls `cond` until it holds, or fails after `within` with `what`.
fn wait_for(within: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// How often each sequence number is stored by the server.
fn stored(sb: &Sandbox, server: &Server) -> BTreeMap<u64, usize> {
    let out = sb
        .cmd(&[
            "query",
            "--to",
            &server.base,
            "--limit",
            "0",
            "--output",
            "ndjson",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    seqs_of(&String::from_utf8_lossy(&out.stdout))
}

/// Sequence numbers (`hello-N` messages) in NDJSON records, with counts.
fn seqs_of(ndjson: &str) -> BTreeMap<u64, usize> {
    let mut m = BTreeMap::new();
    for l in ndjson.lines().filter(|l| l.starts_with('{')) {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        let msg = v["message"].as_str().unwrap_or_default();
        if let Some(n) = msg.strip_prefix("hello-").and_then(|n| n.parse().ok()) {
            *m.entry(n).or_insert(0) += 1;
        }
    }
    m
}

/// Every number of `1..=n` exactly once.
fn assert_exactly_once(m: &BTreeMap<u64, usize>, n: u64, log: &str) {
    let missing: Vec<u64> = (1..=n).filter(|i| !m.contains_key(i)).collect();
    let dup: Vec<(&u64, &usize)> = m.iter().filter(|(_, c)| **c > 1).collect();
    assert!(
        missing.is_empty() && dup.is_empty() && m.len() as u64 == n,
        "lost {} (first {:?}), duplicated {} (first {:?}), distinct {} of {n}\nfollower log:\n{}",
        missing.len(),
        missing.iter().take(10).collect::<Vec<_>>(),
        dup.len(),
        dup.iter().take(10).collect::<Vec<_>>(),
        m.len(),
        log.chars()
            .rev()
            .take(6000)
            .collect::<String>()
            .chars()
            .rev()
            .collect::<String>()
    );
}

fn logs_dir(sb: &Sandbox) -> PathBuf {
    let d = sb.path().join("logs");
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn follows_growth_and_new_files_with_metadata_file_and_multiline_per_file() {
    let sb = Sandbox::new();
    let dir = logs_dir(&sb);
    std::fs::write(dir.join("a.log"), "hello-1\n").unwrap();
    let f = Follow::start(&sb, &["logs/*.log", "--to", "-"]);
    wait_for(Duration::from_secs(10), "the first line", || {
        f.stdout().contains("hello-1")
    });
    // A file that appears later, and a stack trace in each file written in
    // interleaved pieces: joined per file.
    std::fs::write(dir.join("b.log"), "").unwrap();
    wait_for(Duration::from_secs(10), "b.log taken up", || {
        f.stderr().contains("following logs/b.log")
    });
    for (name, s) in [
        ("a.log", "ERROR boom-a\n"),
        ("b.log", "ERROR boom-b\n"),
        ("a.log", "  at frame.a(A.java:1)\n"),
        ("b.log", "  at frame.b(B.java:2)\n"),
        ("b.log", "hello-2\n"),
    ] {
        append(&dir.join(name), s);
    }
    wait_for(Duration::from_secs(10), "the records of both files", || {
        f.stdout().contains("hello-2") && f.stdout().contains("boom-a")
    });
    let (code, log, out) = f.term();
    assert_eq!(code, Some(0), "{log}");
    let recs: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let by_msg = |m: &str| {
        recs.iter()
            .find(|r| r["message"].as_str().unwrap().starts_with(m))
            .unwrap_or_else(|| panic!("no record {m} in {out}"))
            .clone()
    };
    assert_eq!(by_msg("hello-1")["metadata"]["file"], "logs/a.log");
    assert_eq!(by_msg("hello-2")["metadata"]["file"], "logs/b.log");
    let a = by_msg("ERROR boom-a");
    assert_eq!(a["message"], "ERROR boom-a\n  at frame.a(A.java:1)");
    assert_eq!(a["level"], "error");
    assert_eq!(
        by_msg("ERROR boom-b")["message"],
        "ERROR boom-b\n  at frame.b(B.java:2)"
    );
    assert!(log.contains("loghub: followed 2 files"), "{log}");
}

fn append(path: &Path, s: &str) {
    use std::io::Write;
    let mut h = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    h.write_all(s.as_bytes()).unwrap();
}

/// Rename+create and copytruncate under load: every line once.
fn rotation_under_load(mode: &str) {
    let sb = Sandbox::new();
    let server = Server::start(&sb, sb.path().join("srv.db"), &[]);
    let dir = logs_dir(&sb);
    let path = dir.join("app.log");
    std::fs::write(&path, "").unwrap();
    let f = Follow::start(&sb, &["logs/app.log*", "--to", &server.base]);
    wait_for(Duration::from_secs(10), "the follower to start", || {
        f.stderr().contains("following logs/app.log")
    });
    let n = 6000;
    finish_writer(writer(&path, 1, n, 4000, 1000, mode));
    wait_for(Duration::from_secs(30), "every line at the server", || {
        stored(&sb, &server).len() as u64 >= n
    });
    let (code, log, _) = f.term();
    assert_eq!(code, Some(0), "{log}");
    assert_exactly_once(&stored(&sb, &server), n, &log);
}

#[test]
fn rename_and_create_rotation_under_load_delivers_every_line_once() {
    rotation_under_load("rename");
}

#[test]
fn copytruncate_rotation_under_load_delivers_every_line_once() {
    rotation_under_load("copytruncate");
}

/// `kill -9` of the follower at three points while the writer rotates, and
/// a restart each time: the batches journaled before the kill go again
/// under their ids, and the server stores each line once.
#[test]
fn kill_9_and_restart_during_rotation_store_every_line_once() {
    let sb = Sandbox::new();
    let server = Server::start(&sb, sb.path().join("srv.db"), &[]);
    let dir = logs_dir(&sb);
    let path = dir.join("app.log");
    std::fs::write(&path, "").unwrap();
    let n = 8000;
    let w = writer(&path, 1, n, 2000, 1500, "rename");
    let args = ["logs/app.log*", "--to", &server.base];
    // Some jitter from the clock, so the kills land at varying points.
    let jitter = || {
        let ns = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        Duration::from_millis(u64::from(ns % 300))
    };
    let mut log = String::new();
    for at in [1000, 3000, 5000] {
        let f = Follow::start(&sb, &args);
        wait_for(Duration::from_secs(30), "records to arrive", || {
            stored(&sb, &server).len() >= at
        });
        std::thread::sleep(jitter());
        log += &f.stderr();
        f.kill9();
    }
    let f = Follow::start(&sb, &args);
    finish_writer(w);
    wait_for(Duration::from_secs(30), "every line at the server", || {
        stored(&sb, &server).len() as u64 >= n
    });
    let (code, last, _) = f.term();
    log += &last;
    assert_eq!(code, Some(0), "{log}");
    assert_exactly_once(&stored(&sb, &server), n, &log);
}

/// A file deleted while the writer still writes to it is read to its end;
/// a new file that then reuses the freed inode is read from its start (its
/// first bytes differ), not from the old file's checkpoint (Vector #23076).
#[test]
fn delete_while_open_is_read_to_the_end_and_a_reused_inode_is_a_new_file() {
    use std::os::unix::fs::MetadataExt;
    let sb = Sandbox::new();
    let server = Server::start(&sb, sb.path().join("srv.db"), &[]);
    let dir = logs_dir(&sb);
    let path = dir.join("app.log");
    std::fs::write(&path, "").unwrap();
    let f = Follow::start(&sb, &["logs/app.log", "--to", &server.base]);
    wait_for(Duration::from_secs(10), "the follower to start", || {
        f.stderr().contains("following logs/app.log")
    });
    // Lines 1–1000, then the file is unlinked and 1001–2000 go into it.
    finish_writer(writer(&path, 1, 2000, 4000, 1000, "delete"));
    wait_for(Duration::from_secs(30), "the deleted file's lines", || {
        stored(&sb, &server).len() >= 2000
    });
    let (code, log, _) = f.term();
    assert_eq!(code, Some(0), "{log}");
    assert_exactly_once(&stored(&sb, &server), 2000, &log);

    // The checkpoint of a file followed to offset X, then deleted while
    // the follower is down; a new, longer file on (likely) the same inode.
    std::fs::write(&path, "").unwrap();
    let f = Follow::start(&sb, &["logs/app.log", "--to", &server.base]);
    finish_writer(writer(&path, 2001, 2500, 0, 0, "none"));
    wait_for(Duration::from_secs(30), "the first file", || {
        stored(&sb, &server).len() >= 2500
    });
    let (code, log, _) = f.term();
    assert_eq!(code, Some(0), "{log}");
    let old_ino = std::fs::metadata(&path).unwrap().ino();
    std::fs::remove_file(&path).unwrap();
    let mut body = String::new();
    for i in 2501..=4000 {
        body += &format!("seq={i} msg=hello-{i}\n");
    }
    std::fs::write(&path, body).unwrap();
    let reused = std::fs::metadata(&path).unwrap().ino() == old_ino;
    eprintln!("inode reused: {reused}");
    let f = Follow::start(&sb, &["logs/app.log", "--to", &server.base]);
    wait_for(Duration::from_secs(30), "the new file", || {
        stored(&sb, &server).len() >= 4000
    });
    let (code, log, _) = f.term();
    assert_eq!(code, Some(0), "{log}");
    assert_exactly_once(&stored(&sb, &server), 4000, &log);
}

/// The target is down for longer than a rotation (rotated files leave the
/// pattern): what was read goes to the spool, which the running follower
/// re-sends once the server is back; nothing is lost or doubled.
#[test]
fn target_down_longer_than_a_rotation_loses_nothing() {
    let sb = Sandbox::new();
    let server = Server::start(&sb, sb.path().join("srv.db"), &[]);
    let addr = server.base.trim_start_matches("http://").to_string();
    let base = server.base.clone();
    server.kill9();
    let dir = logs_dir(&sb);
    let path = dir.join("app.log");
    std::fs::write(&path, "").unwrap();
    let f = Follow::start(
        &sb,
        &[
            "logs/app.log",
            "--to",
            &base,
            "--max-retries",
            "1",
            "--breaker-threshold",
            "2",
            "--breaker-reset",
            "500ms",
        ],
    );
    // Two rotations while the server is down; the rotated files are gone
    // from the pattern (read to their end through the open handle).
    finish_writer(writer(&path, 1, 3000, 3000, 1000, "rename"));
    wait_for(Duration::from_secs(30), "batches spooled", || {
        std::fs::read_dir(sb.dlq())
            .map(|d| {
                d.filter_map(Result::ok)
                    .any(|e| e.path().extension().is_some_and(|x| x == "gz"))
            })
            .unwrap_or(false)
    });
    let server = Server::start_at(&sb, sb.path().join("srv.db"), &addr, &[]);
    wait_for(
        Duration::from_secs(60),
        "every line once the server is back",
        || stored(&sb, &server).len() >= 3000,
    );
    let (code, log, _) = f.term();
    assert_eq!(code, Some(0), "{log}");
    assert_exactly_once(&stored(&sb, &server), 3000, &log);
}

/// SIGTERM: what was read is delivered, checkpoints are saved, exit 0 with
/// a per-file summary; a restart sends only what came after.
#[test]
fn sigterm_saves_checkpoints_and_a_restart_sends_only_new_lines() {
    let sb = Sandbox::new();
    let server = Server::start(&sb, sb.path().join("srv.db"), &[]);
    let dir = logs_dir(&sb);
    let path = dir.join("app.log");
    finish_writer(writer(&path, 1, 500, 0, 0, "none"));
    let stats = sb.path().join("stats.json");
    let stats_arg = stats.to_str().unwrap();
    let args = [
        "logs/*.log",
        "--to",
        &server.base,
        "--stats-json",
        stats_arg,
    ];
    let f = Follow::start(&sb, &args);
    wait_for(Duration::from_secs(30), "the file's lines", || {
        stored(&sb, &server).len() >= 500
    });
    let (code, log, _) = f.term();
    assert_eq!(code, Some(0), "{log}");
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
    let files = s["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{s}");
    let size = std::fs::metadata(&path).unwrap().len();
    assert_eq!(files[0]["path"], "logs/app.log");
    assert_eq!(files[0]["lines"], 500);
    assert_eq!(files[0]["read"], size);
    assert_eq!(
        files[0]["checkpoint"], size,
        "the checkpoint is at the end: all delivered"
    );

    // While it is down: more lines. The restart sends those alone.
    finish_writer(writer(&path, 501, 700, 0, 0, "none"));
    let f = Follow::start(&sb, &args);
    wait_for(Duration::from_secs(30), "the new lines", || {
        stored(&sb, &server).len() >= 700
    });
    let (code, log, _) = f.term();
    assert_eq!(code, Some(0), "{log}");
    assert_exactly_once(&stored(&sb, &server), 700, &log);
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
    assert_eq!(
        s["files"][0]["lines"], 200,
        "only the new lines were read: {s}"
    );
}

/// Bad input: each gets a message naming its path, and the good file keeps
/// flowing.
#[test]
fn bad_input_is_named_and_the_other_files_keep_flowing() {
    let sb = Sandbox::new();
    let dir = logs_dir(&sb);
    std::fs::create_dir(dir.join("adir.log")).unwrap();
    std::fs::write(dir.join("old.log.gz"), b"\x1f\x8b\x08\x00rest").unwrap();
    std::fs::write(dir.join("gzip.log"), b"\x1f\x8b\x08\x00rest").unwrap();
    std::fs::write(dir.join("bin.log"), b"ELF\x00\x01\x02").unwrap();
    std::os::unix::fs::symlink("loop2.log", dir.join("loop1.log")).unwrap();
    std::os::unix::fs::symlink("loop1.log", dir.join("loop2.log")).unwrap();
    // A 3 MiB line (cut at --max-line-bytes 1MiB), then ordinary lines.
    let mut big = "x".repeat(3 << 20);
    big += "\nhello-1\n";
    std::fs::write(dir.join("good.log"), big).unwrap();
    // A state directory that cannot be made (a file is in the way).
    std::fs::write(sb.path().join("state-file"), "").unwrap();
    let f = Follow::start(
        &sb,
        &[
            "logs/*.log*",
            "later/*.log",
            "--to",
            "-",
            "--state-dir",
            sb.path().join("state-file").to_str().unwrap(),
        ],
    );
    wait_for(Duration::from_secs(10), "the good file", || {
        f.stdout().contains("hello-1")
    });
    // A glob that matched nothing yet: its directory and file appear.
    let later = sb.path().join("later");
    std::fs::create_dir(&later).unwrap();
    std::fs::write(later.join("x.log"), "hello-2\n").unwrap();
    wait_for(
        Duration::from_secs(10),
        "the file that appeared later",
        || f.stdout().contains("hello-2"),
    );
    // Truncated to zero, then written again: read again from the start.
    std::fs::write(dir.join("good.log"), "hello-3\n").unwrap();
    wait_for(
        Duration::from_secs(10),
        "the truncated file's new line",
        || f.stdout().contains("hello-3"),
    );
    let (code, log, out) = f.term();
    assert_eq!(code, Some(0), "{log}");
    for want in [
        "skipped logs/adir.log: a directory",
        "skipped logs/gzip.log: compressed",
        "skipped logs/bin.log: binary",
        "skipped logs/loop1.log: a symlink loop",
        "skipped logs/old.log.gz: compressed",
        "waiting for files matching later/*.log",
        "cannot write follow checkpoints",
        "state-file",
        "logs/good.log: truncated",
    ] {
        assert!(log.contains(want), "no {want:?} in:\n{log}");
    }
    let seqs = seqs_of(&out);
    assert_eq!(seqs.keys().copied().collect::<Vec<_>>(), vec![1, 2, 3]);
    let cut: Vec<&str> = out.lines().filter(|l| l.contains("_truncated")).collect();
    assert_eq!(cut.len(), 1, "the huge line is one truncated record");
}

/// The embedded store as the target (it de-duplicates by batch id too):
/// a `kill -9` and a restart, and every line is stored once.
#[test]
fn follows_into_the_embedded_store_across_kill_9() {
    let sb = Sandbox::new();
    let dir = logs_dir(&sb);
    let path = dir.join("app.log");
    finish_writer(writer(&path, 1, 3000, 0, 0, "none"));
    let query = |sb: &Sandbox| {
        let out = sb
            .cmd(&["query", "--limit", "0", "--output", "ndjson"])
            .output()
            .unwrap();
        seqs_of(&String::from_utf8_lossy(&out.stdout))
    };
    let f = Follow::start(&sb, &["logs/app.log"]);
    wait_for(Duration::from_secs(30), "some records in the store", || {
        !query(&sb).is_empty()
    });
    f.kill9();
    finish_writer(writer(&path, 3001, 4000, 0, 0, "none"));
    let f = Follow::start(&sb, &["logs/app.log"]);
    wait_for(Duration::from_secs(30), "every record in the store", || {
        query(&sb).len() >= 4000
    });
    let (code, log, _) = f.term();
    assert_eq!(code, Some(0), "{log}");
    assert_exactly_once(&query(&sb), 4000, &log);
}

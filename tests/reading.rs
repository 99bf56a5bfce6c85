//! The reading commands around their output and their server: a closed
//! stdout pipe ends each of them quietly with exit 0, and `tail` waits for a
//! server that is not there (saying why) but stops on a refusal.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Sandbox, Server, assert_code, stderr};

/// Runs `loghub ARGS` with stdout a pipe whose reading end is already
/// closed, so the first write fails with EPIPE.
fn closed_pipe(sb: &Sandbox, args: &[&str]) -> std::process::Output {
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    // SAFETY: `pipe` fills both descriptors; the reading one is closed at
    // once and the writing one owned by the File from here on.
    let writer = unsafe {
        assert_eq!(libc::pipe(fds.as_mut_ptr()), 0);
        libc::close(fds[0]);
        std::fs::File::from_raw_fd(fds[1])
    };
    sb.cmd(args)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

#[test]
fn every_reading_command_exits_0_on_a_closed_pipe() {
    let sb = Sandbox::new();
    let input: String = (0..50)
        .map(|i| {
            format!(
                r#"{{"message":"request {i} timeout","level":"error","trace_id":"t-1","service":"api"}}"#
            ) + "\n"
        })
        .collect();
    assert_code(&sb.run(&["send", "-q"], input.as_bytes()), 0);
    let cases: &[&[&str]] = &[
        &["query", "--output", "ndjson"],
        &["query", "--output", "table", "--limit", "0"],
        &["query", "--output", "json"],
        &["trace", "t-1"],
        &["stats", "--since", "30d"],
        &["stats", "--since", "30d", "--output", "json"],
        &["tail", "--since", "30d"],
        &["dlq", "list", "--output", "json"],
        &["config"],
        &["config", "--json"],
    ];
    for args in cases {
        let o = closed_pipe(&sb, args);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{args:?} on a closed pipe; stderr:\n{}",
            stderr(&o)
        );
        assert_eq!(stderr(&o), "", "{args:?} says nothing");
    }
}

/// A port nothing listens on (bound, then released).
fn dead_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Reads `tail`'s stderr lines into a channel.
fn lines_of(stream: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

#[test]
fn tail_waits_for_a_server_that_is_not_there_and_then_follows_it() {
    let sb = Sandbox::new();
    let port = dead_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut tail = sb
        .cmd(&["tail", "--to", &base, "--output", "ndjson", "--count", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let err = lines_of(tail.stderr.take().unwrap());
    let out = lines_of(tail.stdout.take().unwrap());
    let said = err
        .recv_timeout(Duration::from_secs(10))
        .expect("tail says why it waits");
    assert!(
        said.contains(&base) && said.contains("Connection refused") && said.contains("retrying"),
        "{said}"
    );
    assert!(tail.try_wait().unwrap().is_none(), "tail keeps running");
    // The server comes up where tail looks: tail connects and follows it.
    let server = Server::start_at(&sb, sb.store(), &format!("127.0.0.1:{port}"), &[]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let line = loop {
        // Records sent before tail connects are not "new": keep sending
        // until one arrives.
        let o = sb.run(
            &["send", "--to", &server.base, "-q"],
            br#"{"message":"hello again","level":"info"}"#,
        );
        assert_code(&o, 0);
        if let Ok(l) = out.recv_timeout(Duration::from_millis(500)) {
            break l;
        }
        assert!(Instant::now() < deadline, "tail never followed the server");
    };
    assert!(line.contains("hello again"), "{line}");
    let status = tail.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn tail_against_a_refusing_server_exits_with_the_reason() {
    let sb = Sandbox::new();
    let server = Server::start(&sb, sb.store(), &["--api-key", "right-key-1"]);
    let o = sb.run(
        &["tail", "--to", &server.base, "--api-key", "wrong-key-1"],
        b"",
    );
    assert_code(&o, 1);
    let e = stderr(&o);
    assert!(e.contains("401") && e.contains("API key"), "{e}");
    let o = sb.run(&["tail", "--to", "http://[::1"], b"");
    assert_ne!(o.status.code(), Some(0), "a malformed URL: {}", stderr(&o));
}

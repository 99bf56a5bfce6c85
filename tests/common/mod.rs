//! Helpers shared by the integration tests: a fresh sandbox per test (its own
//! HOME, data, config and DLQ directories) and a command on the real binary
//! with deterministic output (no colour, no progress).

#![allow(dead_code)]

pub mod corpus;
pub mod tmux;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A per-test sandbox; everything lives under a temp dir removed on drop.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        for d in ["home", "data", "config"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        Sandbox { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The default embedded store of this sandbox.
    pub fn store(&self) -> PathBuf {
        self.path().join("data/loghub/store.db")
    }

    /// The default DLQ directory of this sandbox.
    pub fn dlq(&self) -> PathBuf {
        self.path().join("data/loghub/dlq")
    }

    /// The config file path of this sandbox.
    pub fn config_file(&self) -> PathBuf {
        self.path().join("config/loghub/config.toml")
    }

    /// `loghub ARGS` with this sandbox's environment.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_loghub"));
        c.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path().join("home"))
            .env("XDG_DATA_HOME", self.path().join("data"))
            .env("XDG_CONFIG_HOME", self.path().join("config"))
            .env("NO_COLOR", "1")
            .env("TZ", "UTC")
            .env("COLUMNS", "120")
            .stdin(Stdio::null());
        c
    }

    /// Runs `loghub ARGS` with `input` on stdin.
    pub fn run(&self, args: &[&str], input: &[u8]) -> Output {
        use std::io::Write;
        let mut child = self
            .cmd(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn loghub");
        let mut stdin = child.stdin.take().unwrap();
        let data = input.to_vec();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&data);
        });
        let out = child.wait_with_output().expect("wait loghub");
        writer.join().unwrap();
        out
    }
}

/// stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Parses NDJSON stdout into JSON values.
pub fn ndjson(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

/// Asserts the exit code, showing stderr when it differs.
pub fn assert_code(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "exit code; stderr:\n{}\nstdout:\n{}",
        stderr(o),
        stdout(o).chars().take(2000).collect::<String>()
    );
}

/// A running `loghub serve`, by default on 127.0.0.1 with an ephemeral port;
/// killed on drop. Start-up waits for the `loghub: listening on http://ADDR`
/// line, then keeps draining stderr.
pub struct Server {
    pub child: std::process::Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
}

impl Server {
    /// Starts `loghub serve --listen 127.0.0.1:0 --store STORE ARGS` (STORE a
    /// path or a URL such as `clickhouse://…`).
    pub fn start(sb: &Sandbox, store: impl AsRef<Path>, args: &[&str]) -> Server {
        Server::start_at(sb, store, "127.0.0.1:0", args)
    }

    /// The same on a given address (to restart a server where it was).
    pub fn start_at(sb: &Sandbox, store: impl AsRef<Path>, listen: &str, args: &[&str]) -> Server {
        use std::io::{BufRead, BufReader};
        let store = store.as_ref().to_str().unwrap();
        let mut all = vec!["serve", "--listen", listen, "--store", store];
        all.extend_from_slice(args);
        let mut child = sb
            .cmd(&all)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn loghub serve");
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        let mut seen = String::new();
        let base = loop {
            line.clear();
            if stderr.read_line(&mut line).unwrap() == 0 {
                let _ = child.wait();
                panic!("loghub serve exited before listening; stderr:\n{seen}");
            }
            seen.push_str(&line);
            if let Some(rest) = line.trim().strip_prefix("loghub: listening on ") {
                break rest.to_string();
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while stderr.read_line(&mut sink).map(|n| n > 0).unwrap_or(false) {
                eprint!("[serve] {sink}");
                sink.clear();
            }
        });
        Server { child, base }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A tmpfs of `size` mounted for one test, unmounted on drop. `None` (the
/// test says it is skipped) where this machine does not let the test mount:
/// not root, or no CAP_SYS_ADMIN in a container.
pub struct Tmpfs(pub std::path::PathBuf);

impl Tmpfs {
    pub fn mount(at: &std::path::Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(at).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("SKIPPED: cannot mount a tmpfs here (needs root)");
            return None;
        }
        Some(Tmpfs(at.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

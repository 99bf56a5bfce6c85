//! A real terminal for tests of what people see: a private tmux server
//! (its own socket in the sandbox) with one pane of a given size, running
//! `sh` in the sandbox's environment. Commands are typed with `send-keys`;
//! the screen is read with `capture-pane`, polled until the expected text
//! appears (never a fixed sleep).

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use super::Sandbox;

/// How long a screen may take to show what a test waits for.
const DEADLINE: Duration = Duration::from_secs(20);

pub struct Tmux {
    socket: PathBuf,
    /// Counts commands, so each one's end marker is unique.
    runs: std::cell::Cell<u32>,
}

impl Tmux {
    /// A `width` × `height` terminal running `sh` with the sandbox's HOME,
    /// data and config directories, `TZ=UTC`, `LANG=C.UTF-8`, `TERM=xterm-256color`, and
    /// `extra_env` (`NO_COLOR` is not set: colour is on, as for a person).
    pub fn start(sb: &Sandbox, width: u16, height: u16, extra_env: &[(&str, &str)]) -> Tmux {
        let socket = sb.path().join("tmux.sock");
        let mut env = vec![
            format!("PATH={}", std::env::var("PATH").unwrap_or_default()),
            format!("HOME={}", sb.path().join("home").display()),
            format!("XDG_DATA_HOME={}", sb.path().join("data").display()),
            format!("XDG_CONFIG_HOME={}", sb.path().join("config").display()),
            "TZ=UTC".to_string(),
            "LANG=C.UTF-8".to_string(),
            "TERM=xterm-256color".to_string(),
            "PS1=$ ".to_string(),
        ];
        env.extend(extra_env.iter().map(|(k, v)| format!("{k}={v}")));
        let mut shell = vec!["env".to_string(), "-i".to_string()];
        shell.extend(env);
        shell.extend(["sh".to_string()]);
        let t = Tmux {
            socket,
            runs: std::cell::Cell::new(0),
        };
        let (w, h) = (width.to_string(), height.to_string());
        let mut args = vec!["new-session", "-d", "-x", w.as_str(), "-y", h.as_str()];
        let shell_refs: Vec<&str> = shell.iter().map(String::as_str).collect();
        args.extend(shell_refs);
        let ok = t.tmux(&args).status.success();
        assert!(
            ok,
            "tmux new-session failed (is tmux installed? .ci/setup.sh installs it)"
        );
        t.wait_for(|s| s.contains('$'), false);
        t
    }

    fn tmux(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("running tmux (install it: .ci/setup.sh does)")
    }

    /// Types keys (tmux key names: `q`, `Enter`, `Space`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "0"];
        args.extend_from_slice(keys);
        assert!(self.tmux(&args).status.success(), "tmux send-keys");
    }

    /// Clears the screen, then types `cmd` and Enter; `loghub` is the binary
    /// under test. Returns the marker printed when the command ends (see
    /// [`Tmux::wait_done`]).
    pub fn run(&self, cmd: &str) -> String {
        let n = self.runs.get() + 1;
        self.runs.set(n);
        let bin = env!("CARGO_BIN_EXE_loghub");
        // The typed line never contains "[done " itself (printf builds it).
        let line = format!(
            "clear; {}; printf '[%s %s %s]\\n' done $? {n}",
            cmd.replacen("loghub", bin, 1)
        );
        assert!(
            self.tmux(&["send-keys", "-t", "0", "-l", &line])
                .status
                .success()
        );
        self.keys(&["Enter"]);
        format!(" {n}]")
    }

    /// Waits for a command started by [`Tmux::run`] to end; its exit code and
    /// the screen (without the marker line, with escape codes if `escapes`).
    pub fn wait_done(&self, marker: &str, escapes: bool) -> (i32, String) {
        let screen = self.wait_for(|s| s.contains(marker), escapes);
        let line = screen
            .lines()
            .find(|l| l.contains(marker) && l.contains("[done "))
            .expect("marker line");
        let code: i32 = line
            .split("[done ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|c| c.parse().ok())
            .expect("exit code in the marker");
        let text = screen
            .lines()
            .take_while(|l| !l.contains("[done "))
            .collect::<Vec<_>>()
            .join("\n");
        (code, text)
    }

    /// The visible screen (with escape codes when `escapes`).
    pub fn capture(&self, escapes: bool) -> String {
        let mut args = vec!["capture-pane", "-p", "-t", "0"];
        if escapes {
            args.push("-e");
        }
        String::from_utf8_lossy(&self.tmux(&args).stdout).into_owned()
    }

    /// Polls the screen until `ready` holds; panics with the last screen
    /// after the deadline.
    pub fn wait_for(&self, ready: impl Fn(&str) -> bool, escapes: bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.capture(escapes);
            if ready(&s) {
                return s;
            }
            if start.elapsed() > DEADLINE {
                panic!("the terminal never showed what was expected; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

/// The width in characters of a screen line (escape codes excluded).
pub fn visible_width(line: &str) -> usize {
    strip_escapes(line).trim_end().chars().count()
}

/// A line without ANSI escape sequences.
pub fn strip_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // CSI: ESC [ params final-byte
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

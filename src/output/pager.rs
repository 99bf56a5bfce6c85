//! The pager of `query` on a terminal, as `git log` and `journalctl` do it:
//! `$PAGER` when set (empty or `cat`: none), else `less -FRX` (quit when
//! the output fits one screen, keep colours, leave the text on screen).
//! Never when stdout is not a terminal.

use std::io::{self, IsTerminal, Write};
use std::process::{Child, ChildStdin, Command, Stdio};

/// A running pager; written like stdout. Dropping it closes its input and
/// waits until the user quits it.
pub struct Pager {
    child: Child,
    stdin: Option<ChildStdin>,
}

/// Starts the pager, or `None` (write to stdout) when stdout is not a
/// terminal, the pager is turned off, or it cannot be started.
pub fn open() -> Option<Pager> {
    if !io::stdout().is_terminal() {
        return None;
    }
    let mut cmd = match std::env::var("PAGER") {
        Ok(p) if p.trim().is_empty() || p.trim() == "cat" => return None,
        Ok(p) => {
            let mut c = Command::new("sh");
            c.arg("-c").arg(p);
            c
        }
        Err(_) => {
            let mut c = Command::new("less");
            c.arg("-FRX");
            c
        }
    };
    // loghub writes UTF-8 whatever the locale says (the table rules too).
    if std::env::var_os("LESSCHARSET").is_none() {
        cmd.env("LESSCHARSET", "utf-8");
    }
    let mut child = cmd.stdin(Stdio::piped()).spawn().ok()?;
    let stdin = child.stdin.take();
    Some(Pager { child, stdin })
}

impl Write for Pager {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.stdin {
            Some(s) => s.write(buf),
            None => Err(io::ErrorKind::BrokenPipe.into()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.stdin {
            Some(s) => s.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for Pager {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

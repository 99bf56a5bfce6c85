//! Locks on the DLQ: the replay lock (one `dlq replay` at a time) and a
//! claim on each file being sent, so that two processes (a replay and a
//! `send` re-sending its target's spool, or two replays) never send the same
//! file at once. Both are advisory `flock`s (fs4): the kernel drops them when
//! the process dies, so a `kill -9` never leaves a stale lock behind.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use fs4::fs_std::FileExt;

/// Held while a `dlq replay` runs.
pub struct ReplayLock {
    _file: File,
}

/// Takes the replay lock of `dir`. `Ok(None)` when another replay holds it
/// and `wait` is false.
pub fn replay_lock(dir: &Path, wait: bool) -> Result<Option<ReplayLock>> {
    let path = dir.join(".replay.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open the replay lock {}", path.display()))?;
    if wait {
        file.lock_exclusive()
            .with_context(|| format!("locking {}", path.display()))?;
    } else if !file
        .try_lock_exclusive()
        .with_context(|| format!("locking {}", path.display()))?
    {
        return Ok(None);
    }
    Ok(Some(ReplayLock { _file: file }))
}

/// This process's right to send (and then delete) one DLQ file.
pub struct Claim {
    _file: File,
    pub path: PathBuf,
}

impl Claim {
    /// A claim on a file this process just wrote and locked (see
    /// `format::write_file_claimed`).
    pub(crate) fn held(file: File, path: PathBuf) -> Claim {
        Claim { _file: file, path }
    }
}

/// Claims `path`. `Ok(None)` when another process holds it, or when the file
/// is gone (delivered and deleted by whoever held it before us).
pub fn claim(path: &Path) -> Result<Option<Claim>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot open {}", path.display())),
    };
    if !file
        .try_lock_exclusive()
        .with_context(|| format!("locking {}", path.display()))?
    {
        return Ok(None);
    }
    // The holder before us may have deleted or replaced the file while we
    // waited for the lock: only the inode still at `path` counts.
    use std::os::unix::fs::MetadataExt;
    let ours = file.metadata()?.ino();
    match std::fs::metadata(path) {
        Ok(m) if m.ino() == ours => Ok(Some(Claim {
            _file: file,
            path: path.to_path_buf(),
        })),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_replay_lock_and_one_claim_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let a = replay_lock(dir.path(), false).unwrap();
        assert!(a.is_some());
        assert!(replay_lock(dir.path(), false).unwrap().is_none());
        drop(a);
        assert!(replay_lock(dir.path(), false).unwrap().is_some());

        let f = dir.path().join("x");
        std::fs::write(&f, b"x").unwrap();
        let c = claim(&f).unwrap();
        assert!(c.is_some());
        assert!(claim(&f).unwrap().is_none());
        drop(c);
        std::fs::remove_file(&f).unwrap();
        assert!(claim(&f).unwrap().is_none());
    }
}

//! Exit codes of every command (SPEC §3), in one place.

use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything went as asked.
    Ok = 0,
    /// An error (printed once on stderr).
    Error = 1,
    /// Bad usage: unknown flag, bad query term.
    Usage = 2,
    /// Some records are in the DLQ: not lost, not delivered.
    Spooled = 3,
    /// Some records were dropped (`--on-full drop-*`, or kept nowhere because
    /// the DLQ could not be written; `--min-level` does not count). Wins over
    /// [`Exit::Spooled`].
    Dropped = 4,
    /// Interrupted by a signal.
    Interrupted = 130,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

/// An error that should exit with a usage code (2) rather than 1.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Maps an error to its exit code: usage errors to 2, all else to 1.
pub fn code_for(err: &anyhow::Error) -> Exit {
    if err
        .chain()
        .any(|e| e.is::<UsageError>() || e.is::<crate::query::terms::TermError>())
    {
        Exit::Usage
    } else {
        Exit::Error
    }
}

/// Whether an I/O error of this kind is somewhere in the error's chain
/// (a broken stdout pipe is not an error for a CLI; a spool file removed by
/// another worker is not corrupt).
pub fn has_io_error(err: &anyhow::Error, kind: std::io::ErrorKind) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == kind)
    })
}

//! `send --follow` (SPEC §9): the flags turned into the follower's options,
//! its checkpoint directory (one per target), and the per-file summary at
//! the end. The following itself is `crate::follow`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Result;

use crate::cli::{SendArgs, StartAt};
use crate::config::{self, Config};
use crate::exit::UsageError;
use crate::follow::state::Book;
use crate::follow::{self, FileReport, Follower};
use crate::pipeline::SendPlan;
use crate::pipeline::metrics::Metrics;

/// Multiline silence (SPEC §3), as the line thread of `send` has it.
const SILENCE: Duration = Duration::from_millis(250);
/// Chunk limits of the send pipeline's line thread.
const CHUNK_EVENTS: usize = 512;
const CHUNK_BYTES: usize = 256 * 1024;

/// A follower attached to a send plan.
pub struct Session {
    book: Book,
    report: Arc<Mutex<Vec<FileReport>>>,
    pub dir: PathBuf,
}

/// Makes `plan` follow `args.files` (patterns) instead of reading them once.
pub fn attach(
    cfg: &Config,
    args: &SendArgs,
    plan: &mut SendPlan,
    metrics: Arc<Metrics>,
) -> Result<Session> {
    let usage = |m: String| anyhow::Error::new(UsageError(m));
    if args.tee {
        return Err(usage("--tee does not go with --follow".into()));
    }
    let patterns: Vec<String> = args
        .files
        .iter()
        .map(|f| f.to_string_lossy().into_owned())
        .collect();
    if patterns.is_empty() || patterns.iter().any(|p| p == "-") {
        return Err(usage(
            "--follow needs files or quoted globs to follow (not stdin)".into(),
        ));
    }
    follow::check_patterns(&patterns).map_err(|e| usage(format!("{e:#}")))?;
    let base = match &args.follow.state_dir {
        Some(d) => d.clone(),
        None => config::data_dir()?.join("follow"),
    };
    // One directory per target: a file followed into two targets has two
    // checkpoints.
    let key = cfg.parsed_target.key();
    let slug: String = key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(48)
        .collect();
    let dir = base.join(format!(
        "{slug}-{:08x}",
        follow::identity::fnv1a(key.as_bytes()) as u32
    ));
    let book = Book::open(&dir)?;
    let d = &cfg.delivery;
    let opts = follow::Options {
        patterns,
        start_at_end: args.follow.start_at == StartAt::End,
        multiline: plan.multiline.clone(),
        max_line_bytes: plan.max_line_bytes,
        chunk_events: CHUNK_EVENTS.min(d.batch_size).max(1),
        chunk_bytes: CHUNK_BYTES.min(d.batch_bytes / 2).max(1),
        silence: SILENCE.min(d.flush_interval),
        max_open: args.follow.max_open_files.max(1),
        poll: args.follow.poll,
    };
    let (follower, report) = Follower::new(opts, book.clone(), metrics);
    plan.inputs.clear();
    plan.source = Some((Box::new(follower), Arc::new(book.clone())));
    Ok(Session { book, report, dir })
}

impl Session {
    /// After the pipeline ended (every batch settled or spooled): the final
    /// checkpoints saved, and each file's summary.
    pub fn finish(self) -> Vec<FileReport> {
        self.book.close();
        let mut files = std::mem::take(&mut *self.report.lock().unwrap_or_else(|p| p.into_inner()));
        for f in &mut files {
            f.checkpoint = f.id.and_then(|id| self.book.acked(id));
        }
        files
    }
}

/// The per-file lines of the summary on stderr (the first few).
pub fn render(files: &[FileReport], dir: &std::path::Path) -> String {
    const SHOWN: usize = 20;
    let mut s = format!(
        "loghub: followed {} files (checkpoints in {})\n",
        files.len(),
        dir.display()
    );
    for f in files.iter().take(SHOWN) {
        s += &format!(
            "  {}: {}, {} lines, read to {}",
            f.path, f.status, f.lines, f.read
        );
        if let Some(c) = f.checkpoint {
            s += &format!(", checkpoint {c}");
        }
        if f.rotations > 0 || f.truncations > 0 {
            s += &format!(", rotated {}, truncated {}", f.rotations, f.truncations);
        }
        s.push('\n');
    }
    if files.len() > SHOWN {
        s += &format!("  … and {} more (see --stats-json)\n", files.len() - SHOWN);
    }
    s
}

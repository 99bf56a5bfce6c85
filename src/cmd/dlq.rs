//! `loghub dlq list|show|replay|purge` (SPEC §6): look into the spool,
//! re-send it (from cron: exit 0 when empty, 3 when files remain) and clean it.
//! Replay goes through the same delivery code as `send`
//! (`pipeline::deliver`), reusing each batch's id as its `Idempotency-Key`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::backend::{self, Target};
use crate::cli::{DlqArgs, DlqCommand, OutputFormat};
use crate::config::{self, Config};
use crate::dlq::{Dlq, Entry, format, lock, unix_ms};
use crate::exit::{Exit, UsageError};
use crate::pipeline::deliver::{self, Deliverer};
use crate::pipeline::metrics::Metrics;

pub async fn run(mut cfg: Config, args: DlqArgs) -> Result<Exit> {
    if let Some(d) = args.dlq_dir {
        cfg.dlq_dir = d;
    }
    let dlq = Dlq::new(&cfg.dlq_dir);
    match args.command {
        DlqCommand::List { output } => list(&dlq, output),
        DlqCommand::Show { file } => show(&dlq, &file, cfg.quiet),
        DlqCommand::Replay {
            wait,
            all_to,
            timeout,
            max_retries,
        } => {
            // Each file goes to the target it was spooled for; a global
            // `--to` silently doing nothing here misled users into thinking
            // they had redirected the queue.
            if cfg.target_source == "flag --to" {
                return Err(UsageError(format!(
                    "dlq replay sends each file to the target it was spooled for and ignores --to {}; \
                     use --all-to {} to send every file there instead",
                    cfg.target, cfg.target
                ))
                .into());
            }
            // The replay's own limits: a cron job may want a short timeout and
            // few retries, the next run tries again anyway.
            if let Some(t) = timeout {
                cfg.delivery.timeout = config::parse_duration(&t)
                    .map_err(|e| UsageError(format!("--timeout: {e:#}")))?;
            }
            if let Some(n) = max_retries {
                cfg.delivery.max_retries = n;
            }
            replay(&cfg, &dlq, wait, all_to).await
        }
        DlqCommand::Purge {
            older_than,
            all,
            dry_run,
        } => purge(&dlq, older_than.as_deref(), all, dry_run, cfg.quiet),
    }
}

/// `3s`, `5m`, `2h`, `4d`.
fn age(ms: i64) -> String {
    let s = ((unix_ms() - ms).max(0) / 1000) as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// File names as the table shows them: `<unix-ms>-<8 hex>` (a prefix that
/// `dlq show` takes) when that is unique, else whole.
fn short_names(entries: &[Entry]) -> Vec<String> {
    let short = |n: &str| n.chars().take(22).collect::<String>();
    entries
        .iter()
        .map(|e| {
            let s = short(&e.name);
            let unique = entries.iter().filter(|o| short(&o.name) == s).count() == 1;
            if unique { s } else { e.name.clone() }
        })
        .collect()
}

/// The unix-ms prefix of a DLQ file name.
fn name_ms(name: &str) -> Option<i64> {
    name.split('-').next()?.parse().ok()
}

fn list(dlq: &Dlq, output: Option<OutputFormat>) -> Result<Exit> {
    let entries = dlq.entries()?;
    let rejected = dlq.rejected_entries()?;
    let corrupt = dlq.corrupt_entries()?;
    if output == Some(OutputFormat::Json) || output == Some(OutputFormat::Ndjson) {
        let rows: Vec<serde_json::Value> = entries
            .iter()
            .map(|e| match &e.header {
                Ok(h) => serde_json::json!({
                    "file": e.name, "path": e.path, "target": h.target, "batch_id": h.batch_id,
                    "records": h.records, "created_ms": h.created_ms,
                    "age_secs": (unix_ms() - h.created_ms).max(0) / 1000,
                    "attempts": h.attempts, "last_error": h.last_error,
                }),
                Err(why) => serde_json::json!({"file": e.name, "path": e.path, "error": why}),
            })
            .collect();
        let mut out = std::io::stdout().lock();
        if output == Some(OutputFormat::Json) {
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        } else {
            for r in rows {
                serde_json::to_writer(&mut out, &r)?;
                writeln!(out)?;
            }
        }
        return Ok(Exit::Ok);
    }
    if entries.is_empty() {
        eprintln!("loghub: the DLQ {} is empty", dlq.dir().display());
    } else {
        use crate::output::table::{align_right, ellipsis, keep_whole, new_table, room_left};
        let width = crate::output::width();
        let mut total = 0;
        let names = short_names(&entries);
        // Rows without the last error, which takes what they leave.
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut errors = Vec::new();
        for (e, name) in entries.iter().zip(names) {
            match &e.header {
                Ok(h) => {
                    total += h.records;
                    rows.push(vec![
                        name,
                        h.target.clone(),
                        h.records.to_string(),
                        age(h.created_ms),
                        h.attempts.to_string(),
                    ]);
                    errors.push(h.last_error.clone().unwrap_or_default());
                }
                Err(why) => {
                    rows.push(vec![
                        name,
                        "(unreadable)".into(),
                        "?".into(),
                        name_ms(&e.name).map(age).unwrap_or_default(),
                        "?".into(),
                    ]);
                    errors.push(why.clone());
                }
            }
        }
        let mut header = vec!["FILE", "TARGET", "RECORDS", "AGE", "ATTEMPTS"];
        // One target for all: named once under the table, not on every row.
        let one_target = rows
            .iter()
            .all(|r| r[1] == rows[0][1])
            .then(|| rows[0][1].clone());
        if one_target.is_some() {
            header.remove(1);
            rows.iter_mut().for_each(|r| drop(r.remove(1)));
        }
        let mut t = new_table(width, false);
        t.set_header(header.clone());
        for r in &rows {
            t.add_row(r.clone());
        }
        let room = room_left(&t, width).max(20);
        let mut shown = new_table(width, false);
        header.push("LAST ERROR");
        shown.set_header(header);
        for (mut row, err) in rows.into_iter().zip(&errors) {
            row.push(ellipsis(err, room));
            shown.add_row(row);
        }
        let n = shown.column_count();
        keep_whole(&mut shown, &(0..n - 1).collect::<Vec<_>>());
        align_right(&mut shown, [n - 4, n - 2]);
        crate::output::print(format_args!("{shown}\n"))?;
        if let Some(target) = one_target {
            crate::output::print(format_args!("target: {target}\n"))?;
        }
        crate::output::print(format_args!(
            "{} files, {total} records in {}\n",
            entries.len(),
            dlq.dir().display()
        ))?;
    }
    if !rejected.is_empty() {
        let n: usize = rejected
            .iter()
            .filter_map(|e| e.header.as_ref().ok())
            .map(|h| h.records)
            .sum();
        crate::output::print(format_args!(
            "rejected/: {} files, {n} records refused for good\n",
            rejected.len()
        ))?;
    }
    if !corrupt.is_empty() {
        crate::output::print(format_args!(
            "corrupt/: {} files quarantined (unreadable)\n",
            corrupt.len()
        ))?;
    }
    Ok(Exit::Ok)
}

/// Finds a file of the DLQ (queue, rejected/ or corrupt/) by name or unique prefix.
fn find(dlq: &Dlq, file: &str) -> Result<PathBuf> {
    let direct = PathBuf::from(file);
    if direct.is_file() {
        // Only the DLQ's own files: `dlq show /etc/…` is not a file reader.
        let parent = direct
            .canonicalize()
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf));
        let inside = [
            dlq.dir().to_path_buf(),
            dlq.rejected_dir(),
            dlq.corrupt_dir(),
        ]
        .iter()
        .any(|d| d.canonicalize().ok() == parent);
        if !inside {
            return Err(UsageError(format!(
                "{file} is not a file of the DLQ {} (its queue, rejected/ or corrupt/); \
                 dlq show reads only those",
                dlq.dir().display()
            ))
            .into());
        }
        return Ok(direct);
    }
    let mut hits = Vec::new();
    for dir in [
        dlq.dir().to_path_buf(),
        dlq.rejected_dir(),
        dlq.corrupt_dir(),
    ] {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for ent in rd.flatten() {
            let name = ent.file_name().to_string_lossy().into_owned();
            let rel = file
                .strip_prefix("rejected/")
                .or_else(|| file.strip_prefix("corrupt/"))
                .unwrap_or(file);
            if !name.starts_with('.') && name.starts_with(rel) && ent.path().is_file() {
                hits.push(ent.path());
            }
        }
    }
    match hits.len() {
        0 => Err(UsageError(format!(
            "no file '{file}' in the DLQ {}",
            dlq.dir().display()
        ))
        .into()),
        1 => Ok(hits.remove(0)),
        n => Err(UsageError(format!(
            "'{file}' matches {n} files in the DLQ; give more of the name"
        ))
        .into()),
    }
}

fn show(dlq: &Dlq, file: &str, quiet: bool) -> Result<Exit> {
    let path = find(dlq, file)?;
    let mut reader = format::Reader::open(&path)?;
    let h = reader.header.clone();
    if !quiet {
        eprintln!(
            "{}: {:?} for {}, batch {}, {} records, {} attempts, created {} ago{}",
            path.display(),
            h.kind,
            h.target,
            h.batch_id,
            h.records,
            h.attempts,
            age(h.created_ms),
            h.last_error
                .map(|e| format!(", last error: {e}"))
                .unwrap_or_default()
        );
    }
    // Line by line, so a large (or hostile) file is never held whole.
    let mut out = std::io::stdout().lock();
    let mut line = Vec::new();
    while reader.next_line(&mut line)? {
        out.write_all(&line)?;
        line.clear();
    }
    out.flush()?;
    reader.finish()?;
    Ok(Exit::Ok)
}

async fn replay(cfg: &Config, dlq: &Dlq, wait: bool, all_to: Option<String>) -> Result<Exit> {
    std::fs::create_dir_all(dlq.dir())
        .with_context(|| format!("cannot create the DLQ directory {}", dlq.dir().display()))?;
    let dir = dlq.dir().to_path_buf();
    let guard = tokio::task::spawn_blocking(move || lock::replay_lock(&dir, wait)).await??;
    let Some(_guard) = guard else {
        eprintln!(
            "loghub: another `loghub dlq replay` is running on {}; nothing to do (use --wait to wait for it)",
            dlq.dir().display()
        );
        return Ok(Exit::Ok);
    };
    let all_to = all_to
        .map(|t| Target::parse(&t))
        .transpose()
        .map_err(|e| UsageError(format!("--all-to: {e:#}")))?;

    // Group the readable files by target, oldest first; quarantine the rest.
    let mut groups: Vec<(String, Vec<(PathBuf, usize)>)> = Vec::new();
    let mut quarantined = 0;
    for e in dlq.entries()? {
        let Entry { path, header, .. } = e;
        match header {
            Ok(h) => {
                let key = match &all_to {
                    Some(t) => t.key(),
                    None => h.target.clone(),
                };
                match groups.iter_mut().find(|g| g.0 == key) {
                    Some(g) => g.1.push((path, h.records)),
                    None => groups.push((key, vec![(path, h.records)])),
                }
            }
            // Gone since it was listed: a running send delivered it.
            Err(_) if !path.exists() => {}
            Err(why) => {
                quarantined += 1;
                let dest = dlq.quarantine(&path, &why)?;
                eprintln!(
                    "loghub: warning: {why}; moved to {}",
                    dest.parent().unwrap_or(&dest).display()
                );
            }
        }
    }

    let metrics = Arc::new(Metrics::new());
    let opts = cfg.open_options();
    let mut report = deliver::ReplayReport::default();
    let mut errors = Vec::new();
    for (key, files) in groups {
        let backend = match Target::parse(&key).and_then(|t| {
            if t == Target::Stdout {
                bail!("the stdout target cannot be replayed");
            }
            backend::open(&t, &opts)
        }) {
            Ok(b) => b,
            Err(e) => {
                errors.push(format!("{key}: {e:#}"));
                report.failed_files += files.len();
                continue;
            }
        };
        let ctx = deliver::Context {
            target_key: key.clone(),
            dlq_dir: dlq.dir().to_path_buf(),
        };
        let r = Deliverer::replay(backend, &cfg.delivery, ctx, metrics.clone(), files).await;
        report.delivered_files += r.delivered_files;
        report.failed_files += r.failed_files;
        report.quarantined += r.quarantined;
        report.busy += r.busy;
        if let Some(f) = r.fatal {
            errors.push(format!("{key}: {f}"));
        }
    }
    report.quarantined += quarantined;

    let remaining = dlq.entries()?;
    let remaining_records: usize = remaining
        .iter()
        .filter_map(|e| e.header.as_ref().ok())
        .map(|h| h.records)
        .sum();
    let s = metrics.summary();
    if !cfg.quiet {
        eprintln!(
            "loghub: replayed {} files ({} records delivered, {} rejected, {} retries); {} files ({remaining_records} records) remain in {}",
            report.delivered_files,
            s.delivered,
            s.rejected,
            s.retries,
            remaining.len(),
            dlq.dir().display()
        );
        if report.quarantined > 0 {
            eprintln!(
                "loghub: {} unreadable files were moved to {}",
                report.quarantined,
                dlq.corrupt_dir().display()
            );
        }
    }
    for e in &errors {
        eprintln!("loghub: error: {e}");
    }
    Ok(if !remaining.is_empty() {
        Exit::Spooled
    } else if !errors.is_empty() {
        Exit::Error
    } else {
        Exit::Ok
    })
}

fn purge(
    dlq: &Dlq,
    older_than: Option<&str>,
    all: bool,
    dry_run: bool,
    quiet: bool,
) -> Result<Exit> {
    if older_than.is_none() && !all {
        return Err(UsageError(
            "dlq purge deletes spooled batches for good: choose them with --older-than DURATION, \
             or --all for every one (add --dry-run to see what would go)"
                .into(),
        )
        .into());
    }
    let min_age = older_than
        .map(|s| config::parse_duration(s).map_err(|e| UsageError(format!("--older-than: {e:#}"))))
        .transpose()?
        .unwrap_or(Duration::ZERO);
    let cutoff = unix_ms() - min_age.as_millis() as i64;
    let mut entries = dlq.entries()?;
    if all {
        entries.extend(dlq.rejected_entries()?);
        entries.extend(dlq.corrupt_entries()?);
    }
    let (mut files, mut records, mut busy) = (0, 0, 0);
    for e in entries {
        let created = match &e.header {
            Ok(h) => Some(h.created_ms),
            Err(_) => name_ms(&e.name),
        };
        if created.is_some_and(|c| c > cutoff) {
            continue;
        }
        if dry_run {
            crate::output::print(format_args!("{}\n", e.path.display()))?;
            files += 1;
            records += e.header.as_ref().map_or(0, |h| h.records);
            continue;
        }
        // Never pull a file from under a replay that is sending it.
        let Some(claim) = lock::claim(&e.path)? else {
            busy += 1;
            continue;
        };
        dlq.remove(&e.path)?;
        let reason = e.path.with_file_name(format!("{}.reason.txt", e.name));
        let _ = std::fs::remove_file(reason);
        drop(claim);
        files += 1;
        records += e.header.as_ref().map_or(0, |h| h.records);
    }
    if !quiet {
        eprintln!(
            "loghub: {} {} ({}) from {}{}",
            if dry_run { "would purge" } else { "purged" },
            crate::output::plural(files, "file", "files"),
            crate::output::plural(records as u64, "record", "records"),
            dlq.dir().display(),
            if busy > 0 {
                format!("; {busy} files in use were kept")
            } else {
                String::new()
            }
        );
    }
    Ok(Exit::Ok)
}

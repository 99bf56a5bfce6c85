//! `loghub query`: search, newest first (`--reverse`: oldest first),
//! following cursors up to `--limit` (0 = everything, streamed page by page).
//! On a terminal the output goes through the pager and ends with a note when
//! more records match than were shown.

use anyhow::{Context, Result};

use super::{filter_query, open_target, style};
use crate::cli::{OutputFormat, QueryArgs};
use crate::config::Config;
use crate::exit::{Exit, UsageError};
use crate::output;
use crate::record::Record;

/// Records per request.
const PAGE: usize = 1000;

pub async fn run(cfg: Config, args: QueryArgs) -> Result<Exit> {
    let q = filter_query(&args.filter)?;
    let limit = args.limit.or(q.limit).unwrap_or(100);
    if args.reverse && limit == 0 {
        return Err(UsageError(
            "--reverse needs a --limit: oldest first means holding the records until the last one is read"
                .into(),
        )
        .into());
    }
    let backend = open_target(&cfg)?;
    let format = output::choose(args.output, OutputFormat::Table);
    let mut cursor: Option<String> = None;
    let mut shown = 0usize;
    let mut more = false;
    // Records held for `--reverse` (at most `limit`); otherwise written as read.
    let mut held: Vec<Record> = Vec::new();
    let mut out: Option<Box<dyn output::RecordWriter>> = None;
    loop {
        let remaining = if limit == 0 {
            usize::MAX
        } else {
            limit - shown
        };
        if remaining == 0 {
            break;
        }
        // One record past the limit says whether more exist.
        let want = remaining.saturating_add(1).min(PAGE);
        let page = backend
            .query(&q, cursor.as_deref(), want)
            .await
            .with_context(|| format!("querying {}", backend.describe()))?;
        let n = page.records.len();
        for r in page.records.into_iter().take(remaining) {
            if args.reverse {
                held.push(r);
            } else {
                // The pager starts with the first record, once the query worked.
                out.get_or_insert_with(|| {
                    output::paged_writer(format, style(&cfg), !args.no_pager)
                })
                .write(&r)?;
            }
            shown += 1;
        }
        if n > remaining {
            more = true;
            break;
        }
        match page.next_cursor {
            Some(c) if n > 0 => cursor = Some(c),
            _ => break,
        }
    }
    let mut out = out.unwrap_or_else(|| output::paged_writer(format, style(&cfg), !args.no_pager));
    for r in held.iter().rev() {
        out.write(r)?;
    }
    if more {
        out.footer(&format!(
            "{} shown, more with --limit",
            crate::output::count(shown as u64)
        ))?;
    }
    out.finish()?;
    Ok(Exit::Ok)
}

//! `loghub query`: search, newest first (`--reverse`: oldest first). Up to
//! a page it asks for pages; `--limit 0` (everything) and larger limits read
//! one stream from the target ([`crate::backend::Backend::export`]), written
//! out as it arrives. On a terminal the output goes through the pager and
//! ends with a note when more records match than were shown.

use anyhow::{Context, Result};
use futures::StreamExt;

use super::{filter_query, open_target, style};
use crate::cli::{OutputFormat, QueryArgs};
use crate::config::Config;
use crate::exit::{Exit, UsageError};
use crate::output;
use crate::record::Record;

/// Records per request; limits above this (and 0) read one stream.
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
    let mut shown = 0usize;
    let mut more = false;
    // Records held for `--reverse` (at most `limit`); otherwise written as read.
    let mut held: Vec<Record> = Vec::new();
    let mut out: Option<Box<dyn output::RecordWriter>> = None;
    let mut emit = |r: Record| -> Result<()> {
        if args.reverse {
            held.push(r);
        } else {
            // The pager starts with the first record, once the query worked.
            out.get_or_insert_with(|| output::paged_writer(format, style(&cfg), !args.no_pager))
                .write(&r)?;
        }
        Ok(())
    };
    let context = || format!("querying {}", backend.describe());
    // One record past the limit says whether more exist.
    let want = (limit > 0).then(|| limit + 1);
    let mut records = if limit == 0 || limit > PAGE {
        backend.export(&q, want).await.with_context(context)?
    } else {
        crate::backend::paged(backend.clone(), q.clone(), want)
    };
    while let Some(r) = records.next().await {
        let r = r.with_context(context)?;
        if limit > 0 && shown == limit {
            more = true;
            break;
        }
        emit(r)?;
        shown += 1;
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

//! `loghub query`: search, newest first, following cursors up to `--limit`
//! (0 = everything, streamed page by page).

use anyhow::{Context, Result};

use super::{filter_query, open_target, style};
use crate::cli::{OutputFormat, QueryArgs};
use crate::config::Config;
use crate::exit::Exit;
use crate::output;

/// Records per request.
const PAGE: usize = 1000;

pub async fn run(cfg: Config, args: QueryArgs) -> Result<Exit> {
    let q = filter_query(&args.filter)?;
    let limit = args.limit.or(q.limit).unwrap_or(100);
    let backend = open_target(&cfg)?;
    let format = output::choose(args.output, OutputFormat::Table);
    let mut out = output::writer(format, style(&cfg), false);
    let mut cursor: Option<String> = None;
    let mut shown = 0usize;
    loop {
        let want = if limit == 0 {
            PAGE
        } else {
            (limit - shown).min(PAGE)
        };
        if want == 0 {
            break;
        }
        let page = backend
            .query(&q, cursor.as_deref(), want)
            .await
            .with_context(|| format!("querying {}", backend.describe()))?;
        for r in &page.records {
            out.write(r)?;
        }
        shown += page.records.len();
        match page.next_cursor {
            Some(c) if !page.records.is_empty() => cursor = Some(c),
            _ => break,
        }
    }
    out.finish()?;
    Ok(Exit::Ok)
}

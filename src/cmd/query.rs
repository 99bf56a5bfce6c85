//! `loghub query`: search, newest first. Up to a page it asks for one page;
//! `--limit 0` (everything) and larger limits read one stream from the
//! target ([`crate::backend::Backend::export`]), written out as it arrives.

use anyhow::{Context, Result};
use futures::StreamExt;

use super::{filter_query, open_target, style};
use crate::cli::{OutputFormat, QueryArgs};
use crate::config::Config;
use crate::exit::Exit;
use crate::output;

/// Limits up to this are one page; above, a stream.
const PAGE: usize = 1000;

pub async fn run(cfg: Config, args: QueryArgs) -> Result<Exit> {
    let q = filter_query(&args.filter)?;
    let limit = args.limit.or(q.limit).unwrap_or(100);
    let backend = open_target(&cfg)?;
    let format = output::choose(args.output, OutputFormat::Table);
    let mut out = output::writer(format, style(&cfg), false);
    let context = || format!("querying {}", backend.describe());
    if limit == 0 || limit > PAGE {
        let mut records = backend
            .export(&q, (limit > 0).then_some(limit))
            .await
            .with_context(context)?;
        while let Some(r) = records.next().await {
            out.write(&r.with_context(context)?)?;
        }
    } else {
        let page = backend.query(&q, None, limit).await.with_context(context)?;
        for r in &page.records {
            out.write(r)?;
        }
    }
    out.finish()?;
    Ok(Exit::Ok)
}

//! `loghub tail`: new matching records as they arrive; `--since` backfills
//! first, `--count N` exits after N.

use anyhow::{Context, Result};
use futures::StreamExt;

use super::{filter_query, open_target, style};
use crate::backend::TailStart;
use crate::cli::{OutputFormat, TailArgs};
use crate::config::Config;
use crate::exit::Exit;
use crate::output;

pub async fn run(cfg: Config, args: TailArgs) -> Result<Exit> {
    let q = filter_query(&args.filter)?;
    let backend = open_target(&cfg)?;
    let start = TailStart {
        after_id: None,
        since: q.since,
    };
    let mut stream = backend
        .tail(&q, start)
        .await
        .with_context(|| format!("tailing {}", backend.describe()))?;
    let format = output::choose(args.output, OutputFormat::Raw);
    let mut out = output::writer(format, style(&cfg), true);
    let mut seen = 0usize;
    if args.count == Some(0) {
        return Ok(Exit::Ok);
    }
    while let Some(item) = stream.next().await {
        let r = item.with_context(|| format!("tailing {}", backend.describe()))?;
        out.write(&r)?;
        seen += 1;
        if args.count.is_some_and(|n| seen >= n) {
            break;
        }
    }
    out.finish()?;
    Ok(Exit::Ok)
}

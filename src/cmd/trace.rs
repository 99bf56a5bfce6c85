//! `loghub trace ID`: one request across services, oldest first, with the
//! offset of each record from the first.

use anyhow::{Context, Result, bail};

use super::{open_target, style};
use crate::cli::{OutputFormat, TraceArgs};
use crate::config::Config;
use crate::exit::Exit;
use crate::output;

pub async fn run(cfg: Config, args: TraceArgs) -> Result<Exit> {
    let id = args.trace_id.trim();
    if id.is_empty() {
        return Err(crate::exit::UsageError("the trace id is empty".into()).into());
    }
    let backend = open_target(&cfg)?;
    let records = backend
        .trace(id)
        .await
        .with_context(|| format!("reading trace {id} from {}", backend.describe()))?;
    let Some(first) = records.first() else {
        bail!("no records with trace id {id} in {}", backend.describe());
    };
    let mut st = style(&cfg);
    st.offset_from = Some(first.time);
    let format = output::choose(args.output, OutputFormat::Table);
    let mut out = output::writer(format, st, false);
    for r in &records {
        out.write(r)?;
    }
    out.finish()?;
    Ok(Exit::Ok)
}

//! `loghub trace ID`: one request across services, oldest first, with the
//! offset of each record from the first. `ID` may be a unique prefix of at
//! least [`MIN_PREFIX`] hex characters (as the README shows `4bf92f35…`).

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
    let mut records = backend
        .trace(id)
        .await
        .with_context(|| format!("reading trace {id} from {}", backend.describe()))?;
    if records.is_empty()
        && let Some(full) = unique_trace_with_prefix(&*backend, id).await?
    {
        records = backend
            .trace(&full)
            .await
            .with_context(|| format!("reading trace {full} from {}", backend.describe()))?;
    }
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

/// Shortest trace id prefix looked up.
const MIN_PREFIX: usize = 8;
/// Records read at most to tell the traces a prefix names apart.
const PREFIX_SCAN: usize = 10_000;

/// The one trace id that starts with `prefix`, when `prefix` is at least
/// [`MIN_PREFIX`] hex characters; `None` when no trace does. Several: an
/// error listing them (the user types more characters).
async fn unique_trace_with_prefix(
    backend: &dyn crate::backend::Backend,
    prefix: &str,
) -> Result<Option<String>> {
    if prefix.len() < MIN_PREFIX || !prefix.chars().all(|c| c.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let q = crate::query::Query {
        trace_prefix: Some(prefix.to_string()),
        ..Default::default()
    };
    let mut ids: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut read = 0usize;
    loop {
        let page = backend
            .query(&q, cursor.as_deref(), 1000)
            .await
            .with_context(|| format!("looking up trace {prefix}… in {}", backend.describe()))?;
        read += page.records.len();
        for r in &page.records {
            if let Some(t) = &r.trace_id
                && !ids.contains(t)
            {
                ids.push(t.clone());
            }
        }
        if ids.len() > 1 {
            bail!(
                "trace id prefix {prefix} is not unique: {} …; type more of it",
                ids.join(", ")
            );
        }
        match page.next_cursor {
            Some(c) if !page.records.is_empty() && read < PREFIX_SCAN => cursor = Some(c),
            _ => break,
        }
    }
    Ok(ids.pop())
}

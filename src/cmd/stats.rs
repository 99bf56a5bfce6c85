//! `loghub stats`: counts per time bucket with a bar each, by level (or by the
//! top services), then top services and top errors grouped by fingerprint.

use anyhow::{Context, Result};
use comfy_table::CellAlignment;

use super::{filter_query, open_target};
use crate::cli::{OutputFormat, StatsArgs, StatsBy};
use crate::config::Config;
use crate::exit::{Exit, UsageError};
use crate::output::table::new_table;
use crate::output::{self, colour, short_time};
use crate::query::{Stats, StatsQuery, default_interval, terms::parse_duration_secs};
use crate::record::{Level, now_micros};

/// The range when no `since` is given.
const DEFAULT_RANGE_SECS: i64 = 24 * 3600;

pub async fn run(cfg: Config, args: StatsArgs) -> Result<Exit> {
    let mut q = filter_query(&args.filter)?;
    let now = now_micros();
    let since = *q.since.get_or_insert(now - DEFAULT_RANGE_SECS * 1_000_000);
    let until = q.until.unwrap_or(now);
    let interval = match &args.interval {
        Some(s) => parse_duration_secs(s).map_err(|e| UsageError(format!("--interval: {e}")))?,
        None => default_interval((until - since) / 1_000_000),
    };
    if interval <= 0 {
        return Err(UsageError("--interval must be at least 1s".into()).into());
    }
    let backend = open_target(&cfg)?;
    let sq = StatsQuery {
        query: q.clone(),
        interval: Some(interval),
        top: args.top,
    };
    let stats = backend
        .stats(&sq)
        .await
        .with_context(|| format!("reading stats from {}", backend.describe()))?;

    let format = output::choose(args.output, OutputFormat::Table);
    if matches!(format, OutputFormat::Json | OutputFormat::Ndjson) {
        output::print(format_args!(
            "{}\n",
            serde_json::to_string_pretty(&stats_json(&stats))?
        ))?;
        return Ok(Exit::Ok);
    }

    // Per-service columns: one more (cheap, rollup-backed) stats call per top service.
    let mut columns: Vec<(String, Vec<u64>)> = Vec::new();
    match args.by {
        StatsBy::Level => {
            for l in Level::ALL {
                columns.push((
                    l.as_str().to_string(),
                    stats
                        .buckets
                        .iter()
                        .map(|b| b.by_level[l.index()])
                        .collect(),
                ));
            }
        }
        StatsBy::Service => {
            for (svc, _) in stats.top_services.iter().take(5) {
                let mut one = sq.clone();
                one.query.services = vec![svc.clone()];
                one.top = 0;
                let s = backend.stats(&one).await?;
                let counts = stats
                    .buckets
                    .iter()
                    .map(|b| {
                        s.buckets
                            .iter()
                            .find(|x| x.start == b.start)
                            .map_or(0, |x| x.total)
                    })
                    .collect();
                columns.push((svc.clone(), counts));
            }
        }
    }
    output::print(format_args!(
        "{}",
        render(&stats, &columns, cfg.color, output::width())
    ))?;
    Ok(Exit::Ok)
}

fn stats_json(s: &Stats) -> serde_json::Value {
    let by_level = |c: &[u64; 5]| -> serde_json::Value {
        Level::ALL
            .iter()
            .map(|l| {
                (
                    l.as_str().to_string(),
                    serde_json::Value::from(c[l.index()]),
                )
            })
            .collect()
    };
    serde_json::json!({
        "since": crate::record::format_time(s.since),
        "until": crate::record::format_time(s.until),
        "interval_secs": s.interval,
        "total": s.total,
        "by_level": by_level(&s.by_level),
        "buckets": s.buckets.iter().map(|b| serde_json::json!({
            "start": crate::record::format_time(b.start),
            "total": b.total,
            "by_level": by_level(&b.by_level),
        })).collect::<Vec<_>>(),
        "top_services": s.top_services.iter().map(|(n, c)| serde_json::json!({"service": n, "count": c})).collect::<Vec<_>>(),
        "top_errors": s.top_errors.iter().map(|e| serde_json::json!({
            "fingerprint": e.fingerprint, "sample": e.sample, "count": e.count,
            "service": e.service, "last_seen": crate::record::format_time(e.last_seen),
        })).collect::<Vec<_>>(),
    })
}

fn bar(n: u64, max: u64, width: usize) -> String {
    if max == 0 || n == 0 {
        return String::new();
    }
    let cells = ((n as f64 / max as f64) * width as f64).ceil() as usize;
    "█".repeat(cells.clamp(1, width))
}

fn render(s: &Stats, columns: &[(String, Vec<u64>)], colour: bool, width: u16) -> String {
    let mut out = format!(
        "{} records from {} to {} (UTC), buckets of {}\n",
        s.total,
        short_time(s.since),
        short_time(s.until),
        humantime::format_duration(std::time::Duration::from_secs(s.interval as u64))
    );
    let mut t = new_table(width);
    let mut header = vec!["BUCKET".to_string(), "TOTAL".to_string()];
    header.extend(columns.iter().map(|(n, _)| n.to_uppercase()));
    header.push(String::new());
    t.set_header(header);
    let max = s.buckets.iter().map(|b| b.total).max().unwrap_or(0);
    for (i, b) in s.buckets.iter().enumerate() {
        let mut row = vec![short_time(b.start)[..16].to_string(), b.total.to_string()];
        row.extend(
            columns
                .iter()
                .map(|(_, v)| v.get(i).copied().unwrap_or(0).to_string()),
        );
        let mut bar = bar(b.total, max, 30);
        if colour && b.by_level[Level::Error.index()] + b.by_level[Level::Critical.index()] > 0 {
            bar = format!("\x1b[31m{bar}\x1b[0m");
        }
        row.push(bar);
        t.add_row(row);
    }
    for c in 1..columns.len() + 2 {
        if let Some(col) = t.column_mut(c) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    out += &format!("{t}\n");
    let levels: Vec<String> = Level::ALL
        .iter()
        .map(|l| format!("{} {}", colour::level(*l, colour, 0), s.by_level[l.index()]))
        .collect();
    out += &format!("levels: {}\n", levels.join("  "));
    if !s.top_services.is_empty() {
        let mut t = new_table(width);
        t.set_header(vec!["TOP SERVICES", "RECORDS", ""]);
        let max = s.top_services.first().map_or(0, |x| x.1);
        for (name, n) in &s.top_services {
            t.add_row(vec![name.clone(), n.to_string(), bar(*n, max, 20)]);
        }
        out += &format!("\n{t}\n");
    }
    if !s.top_errors.is_empty() {
        let mut t = new_table(width);
        t.set_header(vec![
            "TOP ERRORS",
            "COUNT",
            "SERVICE",
            "LAST SEEN",
            "FINGERPRINT",
        ]);
        for e in &s.top_errors {
            let sample: String = e
                .sample
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(200)
                .collect();
            t.add_row(vec![
                sample,
                e.count.to_string(),
                e.service.clone(),
                short_time(e.last_seen),
                e.fingerprint.clone(),
            ]);
        }
        out += &format!("\n{t}\n");
    }
    out
}

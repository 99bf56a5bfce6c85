//! `loghub stats`: counts per time bucket with a bar each, by level (or by the
//! top services), then top services and top errors grouped by fingerprint.

use anyhow::{Context, Result};

use super::{filter_query, open_target};
use crate::cli::{StatsArgs, StatsBy, StatsOutput};
use crate::config::Config;
use crate::exit::{Exit, UsageError};
use crate::output::table::{align_right, keep_whole, new_table, room_left};
use crate::output::{self, colour, short_time};
use crate::query::{Stats, StatsQuery, default_interval, terms::parse_duration_secs};
use crate::record::{Level, now_micros};

/// The range when no `since` is given.
const DEFAULT_RANGE_SECS: i64 = 24 * 3600;

pub async fn run(cfg: Config, args: StatsArgs) -> Result<Exit> {
    let mut q = filter_query(&args.filter)?;
    let now = now_micros();
    q.since.get_or_insert(now - DEFAULT_RANGE_SECS * 1_000_000);
    let asked = match &args.interval {
        Some(s) => {
            Some(parse_duration_secs(s).map_err(|e| UsageError(format!("--interval: {e}")))?)
        }
        None => None,
    };
    if asked.is_some_and(|i| i <= 0) {
        return Err(UsageError("--interval must be at least 1s".into()).into());
    }
    let backend = open_target(&cfg)?;
    clamp_to_data(&*backend, &mut q, now).await?;
    let (since, until) = (q.since.unwrap_or(now), q.until.unwrap_or(now));
    let interval = asked.unwrap_or_else(|| default_interval((until - since) / 1_000_000));
    let sq = StatsQuery {
        query: q.clone(),
        interval: Some(interval),
        top: args.top,
    };
    let stats = backend
        .stats(&sq)
        .await
        .with_context(|| format!("reading stats from {}", backend.describe()))?;

    let format = args.output.unwrap_or_else(|| {
        if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
            StatsOutput::Table
        } else {
            StatsOutput::Json
        }
    });
    match format {
        StatsOutput::Json => {
            output::print(format_args!(
                "{}\n",
                serde_json::to_string_pretty(&stats_json(&stats))?
            ))?;
            return Ok(Exit::Ok);
        }
        StatsOutput::Ndjson => {
            output::print(format_args!(
                "{}\n",
                serde_json::to_string(&stats_json(&stats))?
            ))?;
            return Ok(Exit::Ok);
        }
        StatsOutput::Table => {}
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

/// Most buckets of the probe that finds where the data is.
const PROBE_BUCKETS: i64 = 5000;

/// Narrows the query's range to the buckets that hold matching records, so
/// that `--since 30000d` over a week of data shows that week, in buckets
/// chosen for it, not 4,000 empty weeks. One coarse stats call finds them
/// (rollup-backed where the store has rollups); no match keeps the range.
async fn clamp_to_data(
    backend: &dyn crate::backend::Backend,
    q: &mut crate::query::Query,
    now: crate::record::Micros,
) -> Result<()> {
    let since = q.since.unwrap_or(now);
    let until = q.until.unwrap_or(now);
    let range = ((until - since) / 1_000_000).max(1);
    let week = 7 * 86_400;
    let mut probe = default_interval(range);
    if range / probe > PROBE_BUCKETS {
        probe = (range / PROBE_BUCKETS / week + 1) * week;
    }
    let sq = StatsQuery {
        query: q.clone(),
        interval: Some(probe),
        top: 0,
    };
    let stats = backend
        .stats(&sq)
        .await
        .with_context(|| format!("reading stats from {}", backend.describe()))?;
    let busy: Vec<_> = stats.buckets.iter().filter(|b| b.total > 0).collect();
    if let (Some(first), Some(last)) = (busy.first(), busy.last()) {
        q.since = Some(first.start.max(since));
        q.until = Some((last.start + probe * 1_000_000).min(until));
    }
    Ok(())
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

/// A bucket width as people write it: `1m`, `15m`, `6h`, `1d`, `7d`.
fn interval_text(secs: i64) -> String {
    for (unit, n) in [("d", 86_400), ("h", 3600), ("m", 60)] {
        if secs >= n && secs % n == 0 {
            return format!("{}{unit}", secs / n);
        }
    }
    format!("{secs}s")
}

/// A time to the minute: `2026-01-02 03:04`.
fn minute(t: crate::record::Micros) -> String {
    short_time(t).chars().take(16).collect()
}

/// Words of `text` on lines of at most `width` characters.
fn wrap_words(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0usize;
    for w in text.split(' ') {
        let n = w.chars().count();
        if line > 0 && line + 1 + n > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(w);
        line += n;
    }
    out.push('\n');
    out
}

fn render(s: &Stats, columns: &[(String, Vec<u64>)], colour: bool, width: u16) -> String {
    let mut out = wrap_words(
        &format!(
            "{} records from {} to {} UTC, {} buckets",
            output::count(s.total),
            minute(s.since),
            minute(s.until),
            interval_text(s.interval)
        ),
        width as usize,
    );
    let mut t = new_table(width, colour);
    let mut header = vec!["BUCKET".to_string(), "TOTAL".to_string()];
    header.extend(columns.iter().map(|(n, _)| n.to_uppercase()));
    t.set_header(header);
    let max = s.buckets.iter().map(|b| b.total).max().unwrap_or(0);
    for (i, b) in s.buckets.iter().enumerate() {
        let mut row = vec![minute(b.start), b.total.to_string()];
        row.extend(
            columns
                .iter()
                .map(|(_, v)| v.get(i).copied().unwrap_or(0).to_string()),
        );
        t.add_row(row);
    }
    // The bar takes what the counts leave of the width.
    let room = room_left(&t, width).clamp(4, 40);
    let mut with_bars = new_table(width, colour);
    if let Some(h) = t.header() {
        let mut h: Vec<comfy_table::Cell> = h.cell_iter().cloned().collect();
        h.push(comfy_table::Cell::new(""));
        with_bars.set_header(h);
    }
    for (row, b) in t.row_iter().zip(&s.buckets) {
        let mut cells: Vec<comfy_table::Cell> = row.cell_iter().cloned().collect();
        let mut cell = comfy_table::Cell::new(bar(b.total, max, room));
        if b.by_level[Level::Error.index()] + b.by_level[Level::Critical.index()] > 0 {
            cell = cell.fg(comfy_table::Color::Red);
        }
        cells.push(cell);
        with_bars.add_row(cells);
    }
    let ncols = columns.len() + 3;
    keep_whole(&mut with_bars, &(0..ncols).collect::<Vec<_>>());
    align_right(&mut with_bars, 1..columns.len() + 2);
    out += &format!("{with_bars}\n");
    let levels: Vec<String> = Level::ALL
        .iter()
        .map(|l| format!("{} {}", colour::level(*l, colour, 0), s.by_level[l.index()]))
        .collect();
    out += &format!("levels: {}\n", levels.join("  "));
    if !s.top_services.is_empty() {
        let mut t = new_table(width, colour);
        t.set_header(vec!["TOP SERVICES", "RECORDS"]);
        for (name, n) in &s.top_services {
            t.add_row(vec![name.clone(), n.to_string()]);
        }
        let room = room_left(&t, width).clamp(4, 20);
        let max = s.top_services.first().map_or(0, |x| x.1);
        let mut with_bars = new_table(width, colour);
        with_bars.set_header(vec!["TOP SERVICES", "RECORDS", ""]);
        for (name, n) in &s.top_services {
            with_bars.add_row(vec![name.clone(), n.to_string(), bar(*n, max, room)]);
        }
        keep_whole(&mut with_bars, &[1, 2]);
        align_right(&mut with_bars, [1]);
        out += &format!("\n{with_bars}\n");
    }
    if !s.top_errors.is_empty() {
        let mut t = new_table(width, colour);
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
                minute(e.last_seen),
                e.fingerprint.clone(),
            ]);
        }
        keep_whole(&mut t, &[1, 3]);
        align_right(&mut t, [1]);
        out += &format!("\n{t}\n");
    }
    out
}

//! `loghub patterns`: the templates of the matching records, most frequent
//! first (SPEC §10), as a table with a sparkline trend, a JSON array or
//! NDJSON.

use std::io::Write;

use anyhow::{Context, Result};

use super::{filter_query, open_target};
use crate::cli::{OutputFormat, PatternsArgs};
use crate::config::Config;
use crate::exit::Exit;
use crate::output;
use crate::query::PatternRow;

pub async fn run(cfg: Config, args: PatternsArgs) -> Result<Exit> {
    let q = filter_query(&args.filter)?;
    let limit = q.limit.unwrap_or(args.limit);
    let backend = open_target(&cfg)?;
    let rows = backend
        .patterns(&q, limit)
        .await
        .with_context(|| format!("listing patterns of {}", backend.describe()))?;
    let mut out = std::io::stdout().lock();
    match output::choose(args.output, OutputFormat::Table) {
        OutputFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?,
        OutputFormat::Ndjson => {
            for r in &rows {
                writeln!(out, "{}", serde_json::to_string(r)?)?;
            }
        }
        OutputFormat::Table | OutputFormat::Raw => {
            write!(out, "{}", table(&rows, output::width() as usize))?
        }
    }
    out.flush()?;
    Ok(Exit::Ok)
}

/// The trend as a sparkline, one block character per slice.
pub fn sparkline(trend: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = trend.iter().copied().max().unwrap_or(0);
    trend
        .iter()
        .map(|&n| {
            if n == 0 {
                ' '
            } else {
                BARS[((n * 7) / max.max(1)) as usize]
            }
        })
        .collect()
}

/// Columns: id, count, share, trend, template (cut to the width).
fn table(rows: &[PatternRow], width: usize) -> String {
    if rows.is_empty() {
        return "no patterns in this range\n".into();
    }
    let mut s = format!(
        "{:<16}  {:>9}  {:>6}  {:<24}  TEMPLATE\n",
        "ID", "COUNT", "SHARE", "TREND"
    );
    let fixed = 16 + 2 + 9 + 2 + 6 + 2 + 24 + 2;
    let room = width.saturating_sub(fixed).max(20);
    for r in rows {
        let mut t: String = r.template.chars().take(room).collect();
        if r.template.chars().count() > room {
            t.pop();
            t.push('…');
        }
        s.push_str(&format!(
            "{:<16}  {:>9}  {:>5.1}%  {:<24}  {t}\n",
            r.id,
            r.count,
            r.share * 100.0,
            sparkline(&r.trend)
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparklines_scale_to_the_largest_slice() {
        assert_eq!(sparkline(&[0, 1, 7, 14]), " ▁▄█");
    }
}

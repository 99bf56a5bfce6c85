//! One file per subcommand. `run` resolves the configuration once and
//! dispatches; each command returns the exit code it earned.

pub mod clickhouse;
pub mod config;
pub mod dlq;
pub mod docs;
pub mod follow;
pub mod patterns;
pub mod query;
pub mod send;
pub mod serve;
pub mod stats;
pub mod tail;
pub mod trace;

use anyhow::{Context, Result};

use crate::cli::{Cli, Command};
use crate::config::Config;
use crate::exit::Exit;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<Exit> {
    if let Command::GenerateDocs(a) = &cli.command {
        return docs::run(a);
    }
    // These work on the file itself, even one that does not load.
    if let Command::Config(crate::cli::ConfigArgs {
        command: Some(c), ..
    }) = &cli.command
    {
        return config::file_command(c, cli.global.config.as_deref());
    }
    let cfg = Config::resolve(&cli.global)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("loghub-rt")
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async move {
        match cli.command {
            Command::Send(a) => send::run(cfg, *a).await,
            Command::Query(a) => query::run(cfg, a).await,
            Command::Patterns(a) => patterns::run(cfg, a).await,
            Command::Stats(a) => stats::run(cfg, a).await,
            Command::Trace(a) => trace::run(cfg, a).await,
            Command::Tail(a) => tail::run(cfg, a).await,
            Command::Dlq(a) => dlq::run(cfg, a).await,
            Command::Serve(a) => serve::run(cfg, a).await,
            Command::Config(a) => config::run(cfg, a),
            Command::Clickhouse(a) => clickhouse::run(cfg, a).await,
            Command::GenerateDocs(_) => unreachable!("handled above"),
        }
    })
}

/// The query of a reading command: its flag forms turned into terms, then
/// the terms parsed (so `--level error` and `level=error` mean the same).
pub fn filter_query(f: &crate::cli::FilterArgs) -> Result<crate::query::Query> {
    let mut terms = Vec::new();
    let flags = [
        ("level", &f.level),
        ("service", &f.service),
        ("host", &f.host),
        ("since", &f.since),
        ("until", &f.until),
        ("q", &f.q),
    ];
    for (k, v) in flags {
        if let Some(v) = v {
            // `--level '>=warn'` is `level>=warn`.
            if let Some(rest) = v.strip_prefix(">=") {
                terms.push(format!("{k}>={rest}"));
            } else {
                terms.push(format!("{k}={v}"));
            }
        }
    }
    terms.extend(f.terms.iter().cloned());
    Ok(crate::query::terms::parse_terms(
        &terms,
        crate::record::now_micros(),
    )?)
}

/// Opens the configured target for reading. Reading never creates a store:
/// a local path with no store there is an error naming it.
pub fn open_target(cfg: &Config) -> Result<std::sync::Arc<dyn crate::backend::Backend>> {
    if let crate::backend::Target::Local(p) = &cfg.parsed_target {
        let path = crate::backend::Target::local_path(p)?;
        if !path.exists() {
            anyhow::bail!(
                "there is no store at {}\nhint: `loghub send` creates it; check --to, LOGHUB_URL or the config file",
                path.display()
            );
        }
    }
    crate::backend::open(&cfg.parsed_target, &cfg.open_options())
}

/// The style of record output for this config.
pub fn style(cfg: &Config) -> crate::output::Style {
    crate::output::Style {
        colour: cfg.color,
        width: crate::output::width(),
        offset_from: None,
    }
}

//! One file per subcommand. `run` resolves the configuration once and
//! dispatches; each command returns the exit code it earned.

pub mod config;
pub mod dlq;
pub mod docs;
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
            Command::Stats(a) => stats::run(cfg, a).await,
            Command::Trace(a) => trace::run(cfg, a).await,
            Command::Tail(a) => tail::run(cfg, a).await,
            Command::Dlq(a) => dlq::run(cfg, a).await,
            Command::Serve(a) => serve::run(cfg, a).await,
            Command::Config(a) => config::run(cfg, a),
            Command::GenerateDocs(_) => unreachable!("handled above"),
        }
    })
}

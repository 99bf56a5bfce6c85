//! `loghub trace`.

use anyhow::{Result, bail};

use crate::cli::TraceArgs;
use crate::config::Config;
use crate::exit::Exit;

pub async fn run(cfg: Config, args: TraceArgs) -> Result<Exit> {
    let _ = (cfg, args);
    bail!("loghub trace is not built yet")
}

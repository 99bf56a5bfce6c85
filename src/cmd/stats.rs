//! `loghub stats`.

use anyhow::{Result, bail};

use crate::cli::StatsArgs;
use crate::config::Config;
use crate::exit::Exit;

pub async fn run(cfg: Config, args: StatsArgs) -> Result<Exit> {
    let _ = (cfg, args);
    bail!("loghub stats is not built yet")
}

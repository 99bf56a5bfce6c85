//! `loghub query`.

use anyhow::{Result, bail};

use crate::cli::QueryArgs;
use crate::config::Config;
use crate::exit::Exit;

pub async fn run(cfg: Config, args: QueryArgs) -> Result<Exit> {
    let _ = (cfg, args);
    bail!("loghub query is not built yet")
}

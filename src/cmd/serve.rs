//! `loghub serve`.

use anyhow::{Result, bail};

use crate::cli::ServeArgs;
use crate::config::Config;
use crate::exit::Exit;

pub async fn run(cfg: Config, args: ServeArgs) -> Result<Exit> {
    let _ = (cfg, args);
    bail!("loghub serve is not built yet")
}

//! `loghub tail`.

use anyhow::{Result, bail};

use crate::cli::TailArgs;
use crate::config::Config;
use crate::exit::Exit;

pub async fn run(cfg: Config, args: TailArgs) -> Result<Exit> {
    let _ = (cfg, args);
    bail!("loghub tail is not built yet")
}

//! `loghub dlq`.

use anyhow::{Result, bail};

use crate::cli::DlqArgs;
use crate::config::Config;
use crate::exit::Exit;

pub async fn run(cfg: Config, args: DlqArgs) -> Result<Exit> {
    let _ = (cfg, args);
    bail!("loghub dlq is not built yet")
}

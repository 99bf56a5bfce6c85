//! The hidden `generate-docs` command: shell completions and man pages from
//! the clap tree, committed under `completions/` and `man/` (SPEC §8).

use std::path::Path;

use anyhow::{Context, Result};
use clap_complete::Shell;

use crate::cli::GenerateDocsArgs;
use crate::exit::Exit;

pub fn run(args: &GenerateDocsArgs) -> Result<Exit> {
    generate(&args.dir)?;
    Ok(Exit::Ok)
}

/// Writes `completions/` and `man/` under `dir`.
pub fn generate(dir: &Path) -> Result<()> {
    let comp = dir.join("completions");
    std::fs::create_dir_all(&comp).with_context(|| format!("creating {}", comp.display()))?;
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::PowerShell,
        Shell::Elvish,
    ] {
        let mut cmd = crate::cli::command();
        clap_complete::generate_to(shell, &mut cmd, "loghub", &comp)
            .with_context(|| format!("writing {shell} completions"))?;
    }
    let man = dir.join("man");
    std::fs::create_dir_all(&man).with_context(|| format!("creating {}", man.display()))?;
    let cmd = crate::cli::command();
    clap_mangen::generate_to(cmd, &man).context("writing man pages")?;
    Ok(())
}

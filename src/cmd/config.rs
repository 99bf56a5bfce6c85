//! `loghub config`: the resolved configuration, secrets masked; `config
//! path` (where the file is looked for) and `config init` (a commented
//! starter file).

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::cli::{ConfigArgs, ConfigCommand};
use crate::config::Config;
use crate::exit::Exit;

/// The starter file of `config init`: every key, commented out.
const STARTER: &str = r#"# loghub's configuration. Flags override LOGHUB_* env vars, which override
# this file. `loghub config` prints what is in effect (secrets masked).

[default]
# url = "http://127.0.0.1:8431"   # or local, local:PATH, clickhouse://…
# api_key = "…"
# service = "my-app"
# environment = "prod"
# timezone = "local"              # for timestamps without a zone: local, UTC, Europe/Paris
# compression = "gzip"            # gzip, zstd, none
# concurrency = 4
# max_retries = 8
# timeout = "30s"
# max_buffer = 10000
# on_full = "spill"               # spill, block, drop-newest, drop-oldest
# dlq_dir = "/var/lib/loghub/dlq"

# [default.tags]
# region = "eu"

# [default.batch]
# size = 1000
# bytes = "1MiB"
# flush_interval = "1s"

# A profile, chosen with --profile prod or LOGHUB_PROFILE=prod:
# [profile.prod]
# url = "https://logs.example.com"
# api_key = "…"
"#;

/// `config path` and `config init`.
pub fn file_command(c: &ConfigCommand, explicit: Option<&Path>) -> Result<Exit> {
    let Some(path) = crate::config::config_path(explicit) else {
        bail!("no config directory: set HOME or XDG_CONFIG_HOME, or pass --config PATH");
    };
    match c {
        ConfigCommand::Path => {
            crate::output::print(format_args!("{}\n", path.display()))?;
        }
        ConfigCommand::Init => {
            if path.exists() {
                bail!(
                    "{} exists already; edit it, or move it away first",
                    path.display()
                );
            }
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
            std::fs::write(&path, STARTER)
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!("loghub: wrote {}", path.display());
        }
    }
    Ok(Exit::Ok)
}

pub fn run(cfg: Config, args: ConfigArgs) -> Result<Exit> {
    let v = cfg.masked_json();
    if args.json {
        crate::output::print(format_args!("{}\n", serde_json::to_string_pretty(&v)?))?;
        return Ok(Exit::Ok);
    }
    let mut out = String::new();
    out += &format!(
        "config file: {}\n",
        cfg.config_file.as_ref().map_or_else(
            || match crate::config::config_path(None) {
                Some(p) => format!(
                    "(none: no file at {}; `loghub config init` writes one)",
                    p.display()
                ),
                None => "(none)".to_string(),
            },
            |p| p.display().to_string()
        )
    );
    out += &format!(
        "profile:     {}\n",
        cfg.profile.as_deref().unwrap_or("(default)")
    );
    out += &format!(
        "target:      {} (from {})\n",
        v["target"].as_str().unwrap_or(""),
        cfg.target_source
    );
    out += &format!(
        "api key:     {}\n",
        v["api_key"].as_str().unwrap_or("(none)")
    );
    out += &format!(
        "service:     {}\n",
        cfg.service.as_deref().unwrap_or("default")
    );
    out += &format!(
        "environment: {}\n",
        cfg.environment.as_deref().unwrap_or("(none)")
    );
    if !cfg.tags.is_empty() {
        let tags: Vec<String> = cfg.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out += &format!("tags:        {}\n", tags.join(" "));
    }
    out += &format!("dlq dir:     {}\n", cfg.dlq_dir.display());
    let d = &v["delivery"];
    out += &format!(
        "delivery:    batch {} records / {} bytes / {}, compression {}, concurrency {}, max retries {}, timeout {}, max buffer {} ({})\n",
        d["batch_size"],
        d["batch_bytes"],
        d["flush_interval"].as_str().unwrap_or(""),
        d["compression"].as_str().unwrap_or(""),
        d["concurrency"],
        d["max_retries"],
        d["timeout"].as_str().unwrap_or(""),
        d["max_buffer"],
        d["on_full"].as_str().unwrap_or("")
    );
    crate::output::print(format_args!("{out}"))?;
    Ok(Exit::Ok)
}

//! `loghub config`: the resolved configuration, secrets masked.

use anyhow::Result;

use crate::cli::ConfigArgs;
use crate::config::Config;
use crate::exit::Exit;

pub fn run(cfg: Config, args: ConfigArgs) -> Result<Exit> {
    let v = cfg.masked_json();
    if args.json {
        crate::output::print(format_args!("{}\n", serde_json::to_string_pretty(&v)?))?;
        return Ok(Exit::Ok);
    }
    let mut out = String::new();
    out += &format!(
        "config file: {}\n",
        cfg.config_file
            .as_ref()
            .map_or("(none)".to_string(), |p| p.display().to_string())
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

//! `loghub clickhouse init [--cluster NAME] [--retention D]`: creates the
//! schema of the ClickHouse target ahead of the first `send` (which would
//! create it too, but without a cluster unless the URL names one), and sets
//! the table's TTL when a retention is given.

use anyhow::{Context, Result};

use crate::backend::Target;
use crate::backend::clickhouse::{ClickHouseBackend, url::check_ident};
use crate::cli::{ClickhouseArgs, ClickhouseCommand};
use crate::config::{Config, parse_duration};
use crate::exit::{Exit, UsageError};

pub async fn run(cfg: Config, args: ClickhouseArgs) -> Result<Exit> {
    let Target::ClickHouse(url) = &cfg.parsed_target else {
        return Err(UsageError(format!(
            "the target is {}, not ClickHouse: pass --to clickhouse://HOST/DATABASE",
            cfg.parsed_target.key()
        ))
        .into());
    };
    match args.command {
        ClickhouseCommand::Init { cluster, retention } => {
            if let Some(c) = &cluster {
                check_ident("cluster", c).map_err(|e| UsageError(e.to_string()))?;
            }
            let retention = retention
                .as_deref()
                .map(parse_duration)
                .transpose()
                .map_err(|e| UsageError(format!("in --retention: {e:#}")))?;
            let backend = ClickHouseBackend::new(url, &cfg.open_options())?;
            let describe = crate::backend::Backend::describe(&backend);
            let (version, statements) = backend
                .init(cluster.as_deref(), retention)
                .await
                .with_context(|| format!("creating the schema in {describe}"))?;
            for s in &statements {
                crate::output::print(format_args!("{s};\n\n"))?;
            }
            eprintln!("loghub: schema ready in {describe} (ClickHouse {version})");
            Ok(Exit::Ok)
        }
    }
}

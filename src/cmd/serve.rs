//! `loghub serve`: opens the store, resolves keys and limits, refuses to
//! listen beyond loopback without keys, runs retention periodically and
//! serves the HTTP API (`crate::server`) until SIGINT/SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::backend::{self, Backend, RetentionPolicy, Target};
use crate::cli::ServeArgs;
use crate::config::{Config, parse_duration, parse_size};
use crate::exit::{Exit, UsageError};
use crate::server::auth::Keys;
use crate::server::{AppState, ServerOptions, serve};

pub async fn run(cfg: Config, args: ServeArgs) -> Result<Exit> {
    let target = match args.store.as_deref() {
        None => Target::Local(None),
        Some(s) if s == "local" || s.starts_with("local:") => Target::parse(s)?,
        Some(s) if s.contains("://") => Target::parse(s)?,
        Some(path) => Target::Local(Some(PathBuf::from(path))),
    };
    if matches!(target, Target::Stdout) {
        return Err(UsageError("serve needs a store to keep records in, not stdout".into()).into());
    }
    let store_path = match &target {
        Target::Local(p) => Some(Target::local_path(p)?),
        _ => None,
    };
    // The global --api-key (also LOGHUB_API_KEY or the profile's api_key)
    // is a key of the server too; --key adds more.
    let flag_keys: Vec<String> = cfg.api_key.iter().chain(&args.api_keys).cloned().collect();
    let keys = Keys::load(
        &flag_keys,
        args.keys_file.as_deref(),
        std::env::var("LOGHUB_SERVER_API_KEYS").ok().as_deref(),
    )?;
    let addr = resolve(&args.listen).await?;
    if keys.is_empty() && !addr.ip().is_loopback() {
        return Err(UsageError(format!(
            "refusing to listen on {addr} without API keys: anyone who can reach it could read and write logs.\n\
             hint: add --api-key KEY (or --key, --keys-file, LOGHUB_SERVER_API_KEYS), or listen on 127.0.0.1"
        ))
        .into());
    }
    let max_body = parse_size(&args.max_body).context("in --max-body")?;
    // Nothing is deleted unless asked (as Loki and Elasticsearch do): a
    // store that silently drops what it acknowledged would surprise more.
    let retention = match args.retention.as_deref().map(str::trim) {
        None | Some("0" | "off" | "none") => None,
        Some(r) => Some(parse_duration(r).context("in --retention")?),
    };
    let max_store = args
        .max_store_size
        .as_deref()
        .map(parse_size)
        .transpose()
        .context("in --max-store-size")?
        .map(|n| n as u64);
    let policy = RetentionPolicy {
        max_age: retention,
        max_bytes: max_store,
    };

    let backend = backend::open(&target, &cfg.open_options())?;
    let opts = ServerOptions {
        keys,
        max_body,
        max_streams: args.max_streams.max(1),
        rate_limit: args.rate_limit,
        store_path,
        ..ServerOptions::default()
    };
    let no_keys = opts.keys.is_empty();
    check_retention(backend.as_ref(), &policy)?;
    let state = AppState::new(backend.clone(), opts);
    if !policy.is_empty() {
        tokio::spawn(retention_loop(backend.clone(), policy));
    }
    let quiet = cfg.quiet;
    serve(
        state,
        addr,
        move |bound| {
            // Tests and scripts read this line to find the port.
            eprintln!("loghub: listening on http://{bound}");
            if no_keys && !quiet {
                eprintln!("loghub: no API keys configured: only this machine can connect");
            }
        },
        shutdown_signal(),
    )
    .await?;
    Ok(Exit::Ok)
}

/// `host:port` to one address (the first the resolver gives).
async fn resolve(listen: &str) -> Result<SocketAddr> {
    if let Ok(a) = listen.parse() {
        return Ok(a);
    }
    tokio::net::lookup_host(listen)
        .await
        .with_context(|| format!("cannot resolve --listen '{listen}' (expected HOST:PORT)"))?
        .next()
        .with_context(|| format!("--listen '{listen}' resolves to no address"))
}

/// Refuses limits the store cannot honour, naming the flag.
fn check_retention(backend: &dyn Backend, policy: &RetentionPolicy) -> Result<()> {
    let can = backend.retention();
    let store = backend.describe();
    if policy.max_age.is_some() && !can.by_age {
        return Err(UsageError(format!(
            "{store} cannot delete records by age: --retention cannot be applied\n\
             hint: pass --retention off"
        ))
        .into());
    }
    if policy.max_bytes.is_some() && !can.by_size {
        return Err(UsageError(format!(
            "{store} cannot keep itself under a size: --max-store-size cannot be applied\n\
             hint: use --retention (on ClickHouse, a table TTL)"
        ))
        .into());
    }
    Ok(())
}

/// One retention pass, logged when it deleted anything.
async fn apply_retention(backend: &dyn Backend, policy: &RetentionPolicy) -> Result<()> {
    let n = backend.retain(policy).await?;
    if n > 0 {
        tracing::info!("retention deleted {n} records");
    }
    Ok(())
}

/// Applies retention at start (in the background: a long backlog of old
/// records does not hold up the server), then every tenth of the retention
/// period (between one minute and one hour).
async fn retention_loop(backend: Arc<dyn Backend>, policy: RetentionPolicy) {
    let every = policy
        .max_age
        .map(|d| d / 10)
        .unwrap_or(Duration::from_secs(600))
        .clamp(Duration::from_secs(60), Duration::from_secs(3600));
    loop {
        if let Err(e) = apply_retention(backend.as_ref(), &policy).await {
            tracing::warn!("retention on {} failed: {e:#}", backend.describe());
        }
        tokio::time::sleep(every).await;
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

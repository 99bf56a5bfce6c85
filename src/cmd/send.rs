//! `loghub send`: ship stdin or files through the pipeline to the target.

use std::sync::Arc;

use anyhow::{Context, Result};

use crate::backend::{self, Target};
use crate::cli::{self, SendArgs};
use crate::config::{self, Config};
use crate::exit::{Exit, UsageError};
use crate::parse::multiline::MultilineMode;
use crate::parse::{self, ParseOptions, Parser, Zone};
use crate::pipeline::enrich::{Enricher, parse_traceparent};
use crate::pipeline::metrics::Metrics;
use crate::pipeline::{self, Input, SendPlan, Signals, deliver, redact};
use crate::record::Level;

pub async fn run(mut cfg: Config, args: SendArgs) -> Result<Exit> {
    cfg.apply_send(&args)
        .map_err(|e| UsageError(format!("{e:#}")))?;
    let mut plan = plan(&cfg, &args)?;
    let backend = backend::open(&cfg.parsed_target, &cfg.open_options())?;
    let target_name = backend.describe();
    let metrics = Arc::new(Metrics::new());
    let following = args
        .follow
        .follow
        .then(|| super::follow::attach(&cfg, &args, &mut plan, metrics.clone()))
        .transpose()?;
    let signals = Signals::install();
    let progress = crate::output::progress::start(
        &plan.inputs,
        metrics.clone(),
        cfg.quiet || following.is_some(),
    );
    let outcome = pipeline::run(plan, backend, metrics, signals).await?;
    progress.finish();
    let followed = following.map(|f| (f.dir.clone(), f.finish()));
    if outcome.closed {
        // `loghub send --to - | head`: the reader has what it wanted.
        return Ok(Exit::Ok);
    }

    let s = &outcome.summary;
    if let Some(path) = &args.stats_json {
        let mut json = serde_json::to_value(s)?;
        if let Some((_, files)) = &followed {
            json["files"] = serde_json::to_value(files)?;
        }
        let json = serde_json::to_vec_pretty(&json)?;
        std::fs::write(path, json)
            .with_context(|| format!("writing --stats-json {}", path.display()))?;
    }
    if !cfg.quiet {
        eprint!("{}", s.render(&target_name));
        if let Some((dir, files)) = &followed {
            eprint!("{}", super::follow::render(files, dir));
        }
    }
    if let Some(msg) = &outcome.fatal {
        eprintln!("loghub: error: {msg}");
        if s.spooled > 0 {
            eprintln!(
                "loghub: {} {} kept in {}; run `loghub dlq replay` once the target is fixed",
                crate::output::plural(s.spooled, "record", "records"),
                if s.spooled == 1 { "is" } else { "are" },
                cfg.dlq_dir.display()
            );
        }
    } else if s.spooled > 0 && !cfg.quiet {
        eprintln!(
            "loghub: {} {} not delivered and {} in {} for `loghub dlq replay`",
            crate::output::plural(s.spooled, "record", "records"),
            if s.spooled == 1 { "was" } else { "were" },
            if s.spooled == 1 { "waits" } else { "wait" },
            cfg.dlq_dir.display()
        );
    }
    // Losing records is the worse news: it wins over records kept in the DLQ.
    // A follower's normal end is a signal, and its spool is re-sent by the
    // next run: exit 0 (SPEC §9).
    let following = followed.is_some();
    Ok(if following && s.dropped == 0 && outcome.fatal.is_none() {
        Exit::Ok
    } else if outcome.interrupted {
        Exit::Interrupted
    } else if s.dropped > 0 {
        Exit::Dropped
    } else if s.spooled > 0 {
        Exit::Spooled
    } else if outcome.fatal.is_some() {
        Exit::Error
    } else {
        Exit::Ok
    })
}

/// Turns the config and flags into the pipeline's plan, validating every
/// value (a bad one is a usage error naming it).
pub fn plan(cfg: &Config, args: &SendArgs) -> Result<SendPlan> {
    let usage = |m: String| anyhow::Error::new(UsageError(m));
    let inputs = if args.follow.follow {
        // Patterns, expanded by the follower (they may match nothing yet).
        Vec::new()
    } else if args.files.is_empty() || args.files.iter().all(|f| f.as_os_str() == "-") {
        vec![Input::Stdin]
    } else {
        for f in &args.files {
            if f.as_os_str() != "-" {
                std::fs::metadata(f).with_context(|| format!("cannot read {}", f.display()))?;
            }
        }
        args.files
            .iter()
            .map(|f| {
                if f.as_os_str() == "-" {
                    Input::Stdin
                } else {
                    Input::File(f.clone())
                }
            })
            .collect()
    };
    let zone_name = if args.timezone == "local" {
        cfg.timezone.clone().unwrap_or_else(|| "local".into())
    } else {
        args.timezone.clone()
    };
    let zone = Zone::parse(&zone_name).map_err(|e| usage(format!("--timezone: {e}")))?;
    let default_level: Level = args
        .level
        .parse()
        .map_err(|e| usage(format!("--level: {e}")))?;
    let min_level = args
        .min_level
        .as_deref()
        .map(|s| {
            s.parse::<Level>()
                .map_err(|e| usage(format!("--min-level: {e}")))
        })
        .transpose()?;
    let multiline = match args.multiline.as_str() {
        "auto" => MultilineMode::Auto,
        "none" => MultilineMode::None,
        re => MultilineMode::Start(
            regex::Regex::new(re).map_err(|e| usage(format!("--multiline: invalid regex: {e}")))?,
        ),
    };
    let format = match args.format {
        cli::Format::Auto => parse::Format::Auto,
        cli::Format::Json => parse::Format::Json,
        cli::Format::Logfmt => parse::Format::Logfmt,
        cli::Format::Text => parse::Format::Text,
    };
    let host = match &args.host {
        Some(h) => h.clone(),
        None => gethostname::gethostname().to_string_lossy().into_owned(),
    };
    let max_line_bytes = config::parse_size(&args.max_line_bytes)
        .map_err(|e| usage(format!("--max-line-bytes: {e:#}")))?
        .max(64);
    let (trace_id, span_id) = match &args.trace_id {
        Some(t) => (Some(t.clone()), None),
        None => match std::env::var("TRACEPARENT")
            .ok()
            .as_deref()
            .and_then(parse_traceparent)
        {
            Some((t, s)) => (Some(t), Some(s)),
            None => (None, None),
        },
    };
    let redactor =
        redact::Redactor::new(&args.redact, &args.redact_pattern, !args.no_default_redact)
            .map_err(|e| usage(format!("--redact-pattern: {e:#}")))?;
    let encode = !matches!(cfg.parsed_target, Target::Local(_));
    Ok(SendPlan {
        inputs,
        parser: Parser::new(ParseOptions {
            format,
            default_level,
            zone,
            service: cfg.service_or_default(),
            host,
        }),
        multiline,
        enricher: Enricher::new(cfg.tags.clone(), cfg.environment.clone(), trace_id, span_id),
        redactor,
        min_level,
        tee: args.tee,
        max_line_bytes,
        delivery: cfg.delivery.clone(),
        encode,
        deliver_ctx: deliver::Context {
            target_key: cfg.parsed_target.key(),
            dlq_dir: cfg.dlq_dir.clone(),
        },
        source: None,
    })
}

//! Configuration: the config file's `[default]` and `[profile.NAME]` tables,
//! `LOGHUB_*` environment variables and command-line flags, resolved once, in
//! that order of precedence (flags win), into a validated [`Config`].
//! Code below the commands never sees clap types or raw strings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::backend::Target;
use crate::cli::{self, GlobalArgs};

/// Body compression towards HTTP targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    Gzip,
    Zstd,
    None,
}

impl std::str::FromStr for Compression {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "gzip" => Ok(Compression::Gzip),
            "zstd" => Ok(Compression::Zstd),
            "none" => Ok(Compression::None),
            _ => Err(format!("unknown compression '{s}' (gzip, zstd or none)")),
        }
    }
}

/// What `send` does when `max_buffer` records already wait in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnFull {
    Spill,
    Block,
    DropNewest,
    DropOldest,
}

/// The `[batch]` table of a profile.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileBatch {
    pub size: Option<usize>,
    pub bytes: Option<String>,
    pub flush_interval: Option<String>,
}

/// One table of the config file; every key optional.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileProfile {
    pub url: Option<String>,
    pub api_key: Option<String>,
    pub service: Option<String>,
    pub environment: Option<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    pub batch: Option<FileBatch>,
    pub compression: Option<Compression>,
    pub concurrency: Option<usize>,
    pub max_retries: Option<u32>,
    pub timeout: Option<String>,
    pub max_buffer: Option<usize>,
    pub on_full: Option<OnFull>,
    pub dlq_dir: Option<PathBuf>,
    pub timezone: Option<String>,
}

/// The config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default)]
    pub default: FileProfile,
    #[serde(default)]
    pub profile: BTreeMap<String, FileProfile>,
}

impl FileProfile {
    /// `over`'s keys win over `self`'s.
    fn merged(mut self, over: FileProfile) -> FileProfile {
        macro_rules! take {
            ($($f:ident),*) => { $( if over.$f.is_some() { self.$f = over.$f; } )* };
        }
        take!(
            url,
            api_key,
            service,
            environment,
            batch,
            compression,
            concurrency,
            max_retries,
            timeout,
            max_buffer,
            on_full,
            dlq_dir,
            timezone
        );
        self.tags.extend(over.tags);
        self
    }
}

/// Delivery settings of `send` and `dlq replay` (SPEC §3).
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryConfig {
    pub batch_size: usize,
    pub batch_bytes: usize,
    #[serde(with = "humantime_serde_compat")]
    pub flush_interval: Duration,
    pub compression: Compression,
    pub concurrency: usize,
    pub max_retries: u32,
    #[serde(with = "humantime_serde_compat")]
    pub timeout: Duration,
    pub breaker_threshold: u32,
    #[serde(with = "humantime_serde_compat")]
    pub breaker_reset: Duration,
    pub max_buffer: usize,
    pub on_full: OnFull,
    pub durable: bool,
    #[serde(with = "humantime_serde_compat")]
    pub drain_timeout: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            batch_size: 1000,
            batch_bytes: 1 << 20,
            flush_interval: Duration::from_secs(1),
            compression: Compression::Gzip,
            concurrency: 4,
            max_retries: 8,
            timeout: Duration::from_secs(30),
            breaker_threshold: 5,
            breaker_reset: Duration::from_secs(30),
            max_buffer: 10_000,
            on_full: OnFull::Spill,
            durable: false,
            drain_timeout: Duration::from_secs(30),
        }
    }
}

mod humantime_serde_compat {
    use std::time::Duration;
    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }
}

/// Everything every command needs, resolved.
#[derive(Debug, Clone, Serialize)]
pub struct Config {
    pub target: String,
    /// Where the target came from: flag, env, config file, default.
    pub target_source: &'static str,
    #[serde(skip)]
    pub parsed_target: Target,
    pub api_key: Option<String>,
    pub service: Option<String>,
    pub environment: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub dlq_dir: PathBuf,
    pub timezone: Option<String>,
    pub profile: Option<String>,
    pub config_file: Option<PathBuf>,
    pub delivery: DeliveryConfig,
    #[serde(skip)]
    pub color: bool,
    #[serde(skip)]
    pub quiet: bool,
}

/// `<data dir>/loghub` (XDG_DATA_HOME on Linux).
pub fn data_dir() -> Result<PathBuf> {
    let base =
        dirs::data_dir().context("cannot find a data directory: set HOME or XDG_DATA_HOME")?;
    Ok(base.join("loghub"))
}

/// `<config dir>/loghub/config.toml`.
pub fn default_config_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("loghub").join("config.toml"))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Parses a size: `1048576`, `512KiB`, `1MiB`, `16MB`, `2GiB`.
pub fn parse_size(s: &str) -> Result<usize> {
    let t = s.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .with_context(|| format!("invalid size '{s}' (examples: 1048576, 512KiB, 16MiB)"))?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "kib" => 1024.0,
        "m" | "mb" => 1e6,
        "mib" => 1048576.0,
        "g" | "gb" => 1e9,
        "gib" => 1073741824.0,
        _ => bail!("invalid size '{s}': unknown unit '{unit}' (use B, KiB, MiB, GiB, KB, MB, GB)"),
    };
    Ok((n * mult) as usize)
}

/// Parses a duration: `250ms`, `30s`, `5m`, `7d`.
pub fn parse_duration(s: &str) -> Result<Duration> {
    humantime::parse_duration(s.trim())
        .with_context(|| format!("invalid duration '{s}' (examples: 250ms, 30s, 5m, 2h, 7d)"))
}

/// `; did you mean `url`?` for toml's "unknown field `urll`, expected one
/// of `url`, …" when one known key is close to the unknown one.
fn did_you_mean(msg: &str) -> String {
    let Some(rest) = msg.strip_prefix("unknown field `") else {
        return String::new();
    };
    let Some((unknown, expected)) = rest.split_once('`') else {
        return String::new();
    };
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|k| (strsim::jaro_winkler(unknown, k), k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map_or(String::new(), |(_, k)| {
            format!("\nhint: did you mean `{k}`?")
        })
}

/// Where the config file is looked for: `--config`, `LOGHUB_CONFIG`, else
/// the default path.
pub fn config_path(explicit: Option<&Path>) -> Option<PathBuf> {
    explicit
        .map(Path::to_path_buf)
        .or_else(|| env("LOGHUB_CONFIG").map(PathBuf::from))
        .or_else(default_config_path)
}

/// Loads the config file: an explicit path must exist; the default one may not.
pub fn load_file(explicit: Option<&Path>) -> Result<(Option<PathBuf>, FileConfig)> {
    let (path, must) = match explicit {
        Some(p) => (Some(p.to_path_buf()), true),
        None => match env("LOGHUB_CONFIG") {
            Some(p) => (Some(PathBuf::from(p)), true),
            None => (default_config_path(), false),
        },
    };
    let Some(path) = path else {
        return Ok((None, FileConfig::default()));
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must => {
            return Ok((None, FileConfig::default()));
        }
        Err(e) => return Err(e).with_context(|| format!("reading config file {}", path.display())),
    };
    let file: FileConfig = toml::from_str(&text).map_err(|e| {
        // One line: the place and the message, not toml's multi-line excerpt.
        let line = e.span().map_or(0, |s| {
            text[..s.start.min(text.len())].matches('\n').count() + 1
        });
        anyhow::anyhow!(
            "config file {} line {line}: {}{}",
            path.display(),
            e.message().trim(),
            did_you_mean(e.message())
        )
    })?;
    Ok((Some(path), file))
}

impl Config {
    /// Resolves file, env and global flags. Command flags are applied by the
    /// command (see [`Config::apply_send`]).
    pub fn resolve(g: &GlobalArgs) -> Result<Config> {
        let (config_file, file) = load_file(g.config.as_deref())?;
        let profile_name = g.profile.clone().or_else(|| env("LOGHUB_PROFILE"));
        let mut p = file.default.clone();
        if let Some(name) = &profile_name {
            let Some(over) = file.profile.get(name) else {
                let known: Vec<_> = file.profile.keys().cloned().collect();
                bail!(
                    "no profile '{name}' in {} (profiles: {})",
                    config_file
                        .as_ref()
                        .map_or("the config file".into(), |p| p.display().to_string()),
                    if known.is_empty() {
                        "none".into()
                    } else {
                        known.join(", ")
                    }
                );
            };
            p = p.merged(over.clone());
        }

        let (target, target_source) = if let Some(t) = &g.to {
            (t.clone(), "flag --to")
        } else if let Some(t) = env("LOGHUB_URL") {
            (t, "env LOGHUB_URL")
        } else if let Some(t) = &p.url {
            (t.clone(), "config file")
        } else {
            ("local".to_string(), "default")
        };
        let parsed_target = Target::parse(&target)?;
        // A bad zone is the file's (or the env's) fault, said where it is set.
        let timezone = match env("LOGHUB_TIMEZONE") {
            Some(z) => {
                crate::parse::Zone::parse(&z)
                    .map_err(|e| anyhow::anyhow!("LOGHUB_TIMEZONE: {e}"))?;
                Some(z)
            }
            None => {
                if let Some(z) = &p.timezone {
                    crate::parse::Zone::parse(z).map_err(|e| {
                        anyhow::anyhow!(
                            "config file {}: timezone: {e}",
                            config_file
                                .as_ref()
                                .map_or("?".into(), |p| p.display().to_string())
                        )
                    })?;
                }
                p.timezone.clone()
            }
        };

        let mut d = DeliveryConfig::default();
        if let Some(b) = &p.batch {
            if let Some(n) = b.size {
                d.batch_size = n;
            }
            if let Some(s) = &b.bytes {
                d.batch_bytes = parse_size(s).context("config batch.bytes")?;
            }
            if let Some(s) = &b.flush_interval {
                d.flush_interval = parse_duration(s).context("config batch.flush_interval")?;
            }
        }
        if let Some(c) = p.compression {
            d.compression = c;
        }
        if let Some(n) = p.concurrency {
            d.concurrency = n;
        }
        if let Some(n) = p.max_retries {
            d.max_retries = n;
        }
        if let Some(s) = &p.timeout {
            d.timeout = parse_duration(s).context("config timeout")?;
        }
        if let Some(n) = p.max_buffer {
            d.max_buffer = n;
        }
        if let Some(o) = p.on_full {
            d.on_full = o;
        }
        if let Some(n) = env("LOGHUB_BATCH_SIZE") {
            d.batch_size = n.parse().context("LOGHUB_BATCH_SIZE")?;
        }

        let dlq_dir = match env("LOGHUB_DLQ_DIR")
            .map(PathBuf::from)
            .or(p.dlq_dir.clone())
        {
            Some(d) => d,
            None => data_dir()?.join("dlq"),
        };
        let mut tags = p.tags.clone();
        if let Some(t) = env("LOGHUB_TAGS") {
            for kv in t.split(',').filter(|s| !s.is_empty()) {
                let (k, v) = parse_tag(kv)?;
                tags.insert(k, v);
            }
        }
        let color = match g.color {
            cli::ColorChoice::Always => true,
            cli::ColorChoice::Never => false,
            cli::ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::IsTerminal::is_terminal(&std::io::stdout())
            }
        };
        Ok(Config {
            target,
            target_source,
            parsed_target,
            api_key: g
                .api_key
                .clone()
                .or_else(|| env("LOGHUB_API_KEY"))
                .or(p.api_key),
            service: env("LOGHUB_SERVICE").or(p.service),
            environment: env("LOGHUB_ENV").or(p.environment),
            tags,
            dlq_dir,
            timezone,
            profile: profile_name,
            config_file,
            delivery: d,
            color,
            quiet: g.quiet,
        })
    }

    /// Applies `send`'s delivery flags on top of file and env.
    pub fn apply_send(&mut self, a: &cli::SendArgs) -> Result<()> {
        let d = &mut self.delivery;
        if let Some(n) = a.batch_size {
            d.batch_size = n;
        }
        if let Some(s) = &a.batch_bytes {
            d.batch_bytes = parse_size(s).context("--batch-bytes")?;
        }
        if let Some(s) = &a.flush_interval {
            d.flush_interval = parse_duration(s).context("--flush-interval")?;
        }
        if let Some(c) = a.compression {
            d.compression = match c {
                cli::CompressionArg::Gzip => Compression::Gzip,
                cli::CompressionArg::Zstd => Compression::Zstd,
                cli::CompressionArg::None => Compression::None,
            };
        }
        if let Some(n) = a.concurrency {
            d.concurrency = n;
        }
        if let Some(n) = a.max_retries {
            d.max_retries = n;
        }
        if let Some(s) = &a.timeout {
            d.timeout = parse_duration(s).context("--timeout")?;
        }
        if let Some(n) = a.breaker_threshold {
            d.breaker_threshold = n;
        }
        if let Some(s) = &a.breaker_reset {
            d.breaker_reset = parse_duration(s).context("--breaker-reset")?;
        }
        if let Some(n) = a.max_buffer {
            d.max_buffer = n;
        }
        if let Some(o) = a.on_full {
            d.on_full = match o {
                cli::OnFull::Spill => OnFull::Spill,
                cli::OnFull::Block => OnFull::Block,
                cli::OnFull::DropNewest => OnFull::DropNewest,
                cli::OnFull::DropOldest => OnFull::DropOldest,
            };
        }
        d.durable |= a.durable;
        if let Some(s) = &a.drain_timeout {
            d.drain_timeout = parse_duration(s).context("--drain-timeout")?;
        }
        if let Some(dir) = &a.dlq_dir {
            self.dlq_dir = dir.clone();
        }
        if let Some(s) = &a.service {
            self.service = Some(s.clone());
        }
        if let Some(e) = &a.environment {
            self.environment = Some(e.clone());
        }
        for kv in &a.tags {
            let (k, v) = parse_tag(kv)?;
            self.tags.insert(k, v);
        }
        self.validate()
    }

    /// Checks ranges once, so that code below can trust the values.
    pub fn validate(&self) -> Result<()> {
        let d = &self.delivery;
        if d.batch_size == 0 {
            bail!("batch size must be at least 1");
        }
        if d.batch_bytes < 1024 {
            bail!("batch bytes must be at least 1KiB");
        }
        if d.concurrency == 0 || d.concurrency > 256 {
            bail!("concurrency must be between 1 and 256");
        }
        if d.max_buffer < d.batch_size.min(1000) {
            bail!("max buffer must be at least the batch size (or 1000)");
        }
        if d.flush_interval.is_zero() {
            bail!("flush interval must be above zero");
        }
        if let Some(s) = &self.service
            && (s.is_empty() || s.chars().count() > 100)
        {
            bail!(
                "service name must be 1 to 100 characters, got {} characters",
                s.chars().count()
            );
        }
        Ok(())
    }

    /// The service of records that name none.
    pub fn service_or_default(&self) -> String {
        self.service.clone().unwrap_or_else(|| "default".into())
    }

    /// The backend's open options.
    pub fn open_options(&self) -> crate::backend::OpenOptions {
        crate::backend::OpenOptions {
            api_key: self.api_key.clone(),
            compression: Some(self.delivery.compression),
            timeout: Some(self.delivery.timeout),
        }
    }

    /// The resolved config as pretty JSON with secrets masked.
    pub fn masked_json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).expect("config serializes");
        if let Some(k) = v.get_mut("api_key")
            && let Some(s) = k.as_str()
        {
            *k = serde_json::Value::String(mask_secret(s));
        }
        if let Some(t) = v.get_mut("target")
            && let Some(s) = t.as_str()
        {
            *t = serde_json::Value::String(mask_url_password(s));
        }
        v
    }
}

/// `abcd…` with the rest hidden.
pub fn mask_secret(s: &str) -> String {
    if s.chars().count() <= 8 {
        "****".into()
    } else {
        format!("{}****", s.chars().take(4).collect::<String>())
    }
}

/// Hides the password of `scheme://user:password@host`.
pub fn mask_url_password(s: &str) -> String {
    if let Some((scheme, rest)) = s.split_once("://")
        && let Some((auth, host)) = rest.split_once('@')
        && let Some((user, _)) = auth.split_once(':')
    {
        return format!("{scheme}://{user}:****@{host}");
    }
    s.to_string()
}

/// `k=v` → (k, v); the key must be non-empty.
pub fn parse_tag(kv: &str) -> Result<(String, String)> {
    match kv.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => bail!("invalid tag '{kv}': expected KEY=VALUE"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations_parse() {
        assert_eq!(parse_size("1MiB").unwrap(), 1 << 20);
        assert_eq!(parse_size("16MiB").unwrap(), 16 << 20);
        assert_eq!(parse_size("1000").unwrap(), 1000);
        assert!(parse_size("12 parsecs").is_err());
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(
            parse_duration("7d").unwrap(),
            Duration::from_secs(7 * 86400)
        );
    }

    #[test]
    fn unknown_config_keys_are_refused() {
        let e = toml::from_str::<FileConfig>("[default]\nurll = \"x\"\n").unwrap_err();
        assert!(e.to_string().contains("urll"), "{e}");
    }

    #[test]
    fn profile_keys_win_over_default() {
        let f: FileConfig = toml::from_str(
            "[default]\nservice='a'\nurl='local'\n[default.tags]\nteam='x'\n[profile.prod]\nurl='http://h'\n[profile.prod.tags]\nregion='eu'\n",
        )
        .unwrap();
        let m = f.default.clone().merged(f.profile["prod"].clone());
        assert_eq!(m.url.as_deref(), Some("http://h"));
        assert_eq!(m.service.as_deref(), Some("a"));
        assert_eq!(m.tags.len(), 2);
    }

    #[test]
    fn secrets_are_masked() {
        assert_eq!(mask_secret("supersecretkey"), "supe****");
        assert_eq!(
            mask_url_password("clickhouse://u:pw@h:8123/db"),
            "clickhouse://u:****@h:8123/db"
        );
    }
}

//! The clap tree: one `Args` struct per command. The doc comment of a field is
//! its `--help`. Nothing below `config` sees these types: they are resolved
//! once into a validated [`crate::config::Config`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "loghub",
    version,
    about = "Ship logs and read them back",
    long_about = "loghub ships logs and reads them back: pipe an app's output through batching, \
retries and a disk dead-letter queue into the embedded store or a loghub server, then query, \
aggregate and live-tail them.\n\nWith no --to, every command works on the embedded store \
(<data dir>/loghub/store.db): no server needed.",
    after_help = "Examples:\n  app | loghub send --service app\n  loghub query q=timeout level=error since=1h\n  \
loghub stats --since 24h\n  loghub tail --level error\n  loghub dlq replay\n  loghub serve",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Global flags that `serve` does not use, hidden from its help (it takes
/// `--store`, not `--to`, and writes no coloured output).
const NOT_FOR_SERVE: [&str; 2] = ["to", "color"];

/// The clap tree as the binary uses it (parsing, help, completions, man
/// pages): the derive's, with the global flags a command does not use
/// hidden from that command's help.
pub fn command() -> clap::Command {
    let cmd = <Cli as clap::CommandFactory>::command();
    // A subcommand's own arg of the same id stops clap from propagating the
    // global one there: serve gets a hidden copy (accepted, unused).
    let hidden: Vec<clap::Arg> = cmd
        .get_arguments()
        .filter(|a| NOT_FOR_SERVE.contains(&a.get_id().as_str()))
        .map(|a| a.clone().global(false).hide(true))
        .collect();
    cmd.mut_subcommand("serve", |s| s.args(hidden))
}

/// Parses the process's arguments with [`command`].
pub fn parse() -> Cli {
    let matches = command().get_matches();
    <Cli as clap::FromArgMatches>::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]
    #[arg(long = "to", visible_alias = "url", global = true, value_name = "URL")]
    pub to: Option<String>,
    /// API key for an HTTP target [env: LOGHUB_API_KEY]
    #[arg(long, global = true, value_name = "KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Profile of the config file to use [env: LOGHUB_PROFILE]
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// No summary or progress on stderr; errors still print
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// When to colour output (NO_COLOR turns it off under auto)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ship logs from stdin or files: parse, enrich, batch, deliver, spool on failure
    #[command(after_help = "Examples:\n  app | loghub send --service app\n  \
python3 app.py 2>&1 | loghub send --service app --tee\n  \
loghub send --service web /var/log/nginx/error.log\n  \
loghub send --to - < app.log            # dry run: parsed records as NDJSON\n  \
loghub send --to http://127.0.0.1:8431 --durable < app.log\n  \
loghub send --follow '/var/log/app/*.log*' --to http://logs:8431 --service app\n  \
loghub send --follow 'logs/*.log' --start-at end --state-dir /var/lib/loghub")]
    Send(Box<SendArgs>),
    /// Search logs, newest first (terms: key=value, bare words are full text)
    #[command(
        after_help = "Terms: q=TEXT level=error level>=warn service=api host=web-1 trace=ID \
since=15m until=2026-01-01T00:00:00Z limit=50 pattern=ID (from `loghub patterns`); any other key=value filters metadata (user_id=42).\n\n\
Examples:\n  loghub query q=timeout level=error since=1h\n  \
loghub query service=shop --output ndjson --limit 0 | jq .\n  loghub query payment failed --since 2h"
    )]
    Query(QueryArgs),
    /// The log's message templates, most frequent first, with a trend (SPEC §10)
    #[command(
        after_help = "Templates are mined at ingest from whole lines: numbers, times, ids, hex, IPs, \
paths, hosts and quoted values become <*>. Every id is stable: the same template has the same id \
in every run and store, and pattern=ID finds its records with query, tail and stats.\n\n\
Examples:\n  loghub patterns --since 1h\n  loghub patterns level>=warn service=api\n  \
loghub query pattern=7f3a09c2d1e4b5a6 --since 1h\n  \
loghub patterns --since 24h --output json | jq '.[] | select(.count > 1000)'"
    )]
    Patterns(PatternsArgs),
    /// Aggregate counts by time bucket and level, top services and top errors
    #[command(after_help = "Examples:\n  loghub stats --since 24h\n  \
loghub stats --since 7d --interval 1d --by service\n  loghub stats service=api --output json")]
    Stats(StatsArgs),
    /// Show one request across services, oldest first, with offsets
    #[command(after_help = "Example:\n  loghub trace 4bf92f3577b34da6a3ce929d0e0e4736")]
    Trace(TraceArgs),
    /// Follow new matching records as they arrive. Over HTTP a server that is
    /// not there (yet) is waited for, with backoff and a line on stderr at most
    /// every 5 s saying why; a refusal (401, 403, 404) exits 1 with the reason
    #[command(after_help = "Examples:\n  loghub tail --level error\n  \
loghub tail service=api --since 10m\n  loghub tail --to http://127.0.0.1:8431 --count 10")]
    Tail(TailArgs),
    /// Inspect and replay the dead-letter queue of batches that were not delivered
    #[command(
        after_help = "Examples:\n  loghub dlq list\n  loghub dlq replay        # from cron: exit 0 when empty, 3 when files remain\n  \
loghub dlq purge --older-than 7d"
    )]
    Dlq(DlqArgs),
    /// Run the loghub HTTP server on the embedded store
    #[command(after_help = "Examples:\n  loghub serve\n  \
loghub serve --listen 0.0.0.0:8431 --api-key \"$KEY\" --key write:\"$SHIPPER_KEY\" --retention 14d")]
    Serve(ServeArgs),
    /// Print the resolved configuration (secrets masked); `config path`, `config init`
    #[command(after_help = "Examples:\n  loghub config\n  loghub config path\n  \
loghub config init      # a commented starter file\n  loghub --profile prod config --json")]
    Config(ConfigArgs),
    /// Manage a ClickHouse target (create its schema)
    #[command(
        after_help = "Examples:\n  loghub clickhouse init --to clickhouse://default@127.0.0.1:8123/logs\n  \
loghub clickhouse init --to clickhouse://loghub:secret@ch1:8123/logs --cluster main"
    )]
    Clickhouse(ClickhouseArgs),
    /// Write shell completions and man pages (for packaging)
    #[command(hide = true)]
    GenerateDocs(GenerateDocsArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Auto,
    Json,
    Logfmt,
    Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnFull {
    Spill,
    Block,
    DropNewest,
    DropOldest,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompressionArg {
    Gzip,
    Zstd,
    None,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// Files to read (default: stdin)
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// How to parse each line (auto decides per line)
    #[arg(long, value_enum, default_value_t = Format::Auto)]
    pub format: Format,
    /// Join continuation lines (stack traces): auto, none, or a REGEX that matches start lines
    #[arg(long, default_value = "auto", value_name = "auto|none|REGEX")]
    pub multiline: String,
    /// Zone for timestamps without one: local, UTC, or a name like Europe/Paris
    #[arg(long, default_value = "local", value_name = "ZONE")]
    pub timezone: String,
    /// Service name of the records (1–100 chars) [env: LOGHUB_SERVICE]
    #[arg(long)]
    pub service: Option<String>,
    /// Environment, stored as metadata.environment [env: LOGHUB_ENV]
    #[arg(long = "env", value_name = "ENV")]
    pub environment: Option<String>,
    /// Extra metadata, repeatable: --tag region=eu --tag team=pay
    #[arg(long = "tag", value_name = "K=V")]
    pub tags: Vec<String>,
    /// Trace id for every record (default: from TRACEPARENT)
    #[arg(long)]
    pub trace_id: Option<String>,
    /// Host name (default: this machine's)
    #[arg(long)]
    pub host: Option<String>,
    /// Level of lines that name none
    #[arg(long, default_value = "info")]
    pub level: String,
    /// Drop records below this level (counted)
    #[arg(long)]
    pub min_level: Option<String>,
    /// Metadata key to mask at any depth, repeatable (adds to the default list)
    #[arg(long = "redact", value_name = "KEY")]
    pub redact: Vec<String>,
    /// Regex whose matches in messages are masked, repeatable (adds to the built-ins)
    #[arg(long = "redact-pattern", value_name = "REGEX")]
    pub redact_pattern: Vec<String>,
    /// Turn off the default redaction list and built-in patterns
    #[arg(long)]
    pub no_default_redact: bool,
    /// Copy every input line to stdout unchanged
    #[arg(long)]
    pub tee: bool,
    /// Longer lines are truncated and marked metadata._truncated
    #[arg(long, default_value = "1MiB", value_name = "SIZE")]
    pub max_line_bytes: String,
    /// Records per batch
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Uncompressed bytes per batch
    #[arg(long, value_name = "SIZE")]
    pub batch_bytes: Option<String>,
    /// Close a batch after this long
    #[arg(long, value_name = "DURATION")]
    pub flush_interval: Option<String>,
    /// Body compression for HTTP targets
    #[arg(long, value_enum)]
    pub compression: Option<CompressionArg>,
    /// Requests in flight (retries count inside it)
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Retries per batch before it is spooled
    #[arg(long)]
    pub max_retries: Option<u32>,
    /// Timeout of one request
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// Consecutive failed requests that open the circuit breaker
    #[arg(long)]
    pub breaker_threshold: Option<u32>,
    /// How long the breaker stays open before one probe request
    #[arg(long, value_name = "DURATION")]
    pub breaker_reset: Option<String>,
    /// Records that may wait in memory
    #[arg(long)]
    pub max_buffer: Option<usize>,
    /// What to do when the buffer is full [default: spill: to the spool while the target fails; a slow but healthy target is waited for]
    #[arg(long, value_enum)]
    pub on_full: Option<OnFull>,
    /// Spool every record to disk as it is read; it leaves the spool only when acknowledged
    #[arg(long)]
    pub durable: bool,
    /// At the end, wait this long for deliveries before spooling the rest
    #[arg(long, value_name = "DURATION")]
    pub drain_timeout: Option<String>,
    /// Dead-letter queue directory [env: LOGHUB_DLQ_DIR]
    #[arg(long, value_name = "DIR")]
    pub dlq_dir: Option<PathBuf>,
    /// Write the end-of-run summary as JSON to this file
    #[arg(long, value_name = "FILE")]
    pub stats_json: Option<PathBuf>,
    #[command(flatten)]
    pub follow: FollowArgs,
}

/// `send --follow`: follow files like an agent (SPEC §9).
#[derive(Debug, Args, Default, Clone)]
#[command(next_help_heading = "Following files")]
pub struct FollowArgs {
    /// Keep following the FILEs (paths, or quoted globs expanded by loghub) as they grow, appear and rotate, until SIGINT/SIGTERM; checkpoints move only past delivered or spooled records
    #[arg(long, short = 'F')]
    pub follow: bool,
    /// Where files found at start without a checkpoint are read from (files that appear later are read from their beginning)
    #[arg(long, value_enum, default_value_t = StartAt::Beginning, requires = "follow")]
    pub start_at: StartAt,
    /// Checkpoint directory (default: <data dir>/loghub/follow; one subdirectory per target)
    #[arg(long, value_name = "DIR", requires = "follow")]
    pub state_dir: Option<PathBuf>,
    /// Open file handles kept at most; idle files beyond are opened again when they grow
    #[arg(long, default_value_t = 512, value_name = "N", requires = "follow")]
    pub max_open_files: usize,
    /// Look for changes every second instead of using inotify
    #[arg(long, requires = "follow")]
    pub poll: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum StartAt {
    #[default]
    Beginning,
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Raw,
    Json,
    Ndjson,
}

/// The filter flags shared by the reading commands (flag forms of the terms).
#[derive(Debug, Args, Default, Clone)]
pub struct FilterArgs {
    /// Query terms: key=value (level>=warn, service=api, since=1h, user_id=42) or full-text words
    #[arg(value_name = "TERM")]
    pub terms: Vec<String>,
    /// Level filter: error, a list warn,error, or >=warn
    #[arg(long)]
    pub level: Option<String>,
    /// Service filter (comma list)
    #[arg(long)]
    pub service: Option<String>,
    /// Host filter (comma list)
    #[arg(long)]
    pub host: Option<String>,
    /// From this time: 15m, 2h, 7d, "2 hours ago", -1h, today, yesterday, or a time
    #[arg(long, allow_hyphen_values = true)]
    pub since: Option<String>,
    /// Up to this time (the same forms)
    #[arg(long, allow_hyphen_values = true)]
    pub until: Option<String>,
    /// Full-text search (the term form is q=TEXT)
    #[arg(long = "text", alias = "q", value_name = "TEXT")]
    pub q: Option<String>,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// How many records in all (0 = all) [default: 100]. Above 1000 the
    /// target sends one stream, written out as it arrives, in bounded memory
    #[arg(long, short = 'n', value_name = "N")]
    pub limit: Option<usize>,
    /// Oldest first (the newest N records, in the order they happened)
    #[arg(long, short = 'r')]
    pub reverse: bool,
    /// Do not page the output on a terminal ($PAGER, else `less -FRX`)
    #[arg(long)]
    pub no_pager: bool,
    /// Output format (default: table on a terminal, ndjson when piped)
    #[arg(long, short, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Args)]
pub struct PatternsArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// How many templates to show (0 = all)
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Output format: table (default on a terminal), json (one array) or ndjson
    #[arg(long, short, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatsBy {
    Level,
    Service,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Bucket width: 1m, 5m, 1h, 1d … (default: chosen from the range)
    #[arg(long)]
    pub interval: Option<String>,
    /// What the columns of the bucket table count
    #[arg(long, value_enum, default_value_t = StatsBy::Level)]
    pub by: StatsBy,
    /// How many top services and top errors to show
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Output format: table, json (pretty) or ndjson (one line) [default: table on a terminal, json when piped]
    #[arg(long, short, value_enum)]
    pub output: Option<StatsOutput>,
}

/// What `stats` can print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatsOutput {
    Table,
    Json,
    Ndjson,
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// The trace id
    pub trace_id: String,
    /// Output format (default: table on a terminal, ndjson when piped)
    #[arg(long, short, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Args)]
pub struct TailArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Exit after this many records
    #[arg(long)]
    pub count: Option<usize>,
    /// Output format (default: raw lines on a terminal, ndjson when piped)
    #[arg(long, short, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Args)]
pub struct DlqArgs {
    /// Dead-letter queue directory [env: LOGHUB_DLQ_DIR]
    #[arg(long, global = true, value_name = "DIR")]
    pub dlq_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: DlqCommand,
}

#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// List spooled batches: file, target, records, age, attempts, last error
    List {
        #[arg(long, short, value_enum)]
        output: Option<OutputFormat>,
    },
    /// Print the records of one spooled file as NDJSON
    Show {
        /// File name (or a unique prefix of it) in the DLQ
        file: String,
    },
    /// Re-send spooled batches, oldest first; exit 0 when empty, 3 when files remain
    ///
    /// Each file goes to the target it was spooled for; `--to` is refused
    /// here (a usage error): `--all-to URL` sends every file to URL.
    Replay {
        /// Wait for another replay to finish instead of exiting
        #[arg(long)]
        wait: bool,
        /// Replay towards this target instead of each file's own
        #[arg(long)]
        all_to: Option<String>,
        /// Timeout of one request (default: the config's `timeout`, else 30s)
        #[arg(long, value_name = "DURATION")]
        timeout: Option<String>,
        /// Retries per batch before its file is kept for the next replay (default: the config's `max_retries`, else 8)
        #[arg(long)]
        max_retries: Option<u32>,
    },
    /// Delete spooled batches: those older than --older-than, or --all
    #[command(after_help = "Examples:\n  loghub dlq purge --older-than 7d\n  \
loghub dlq purge --all --dry-run     # what would go\n  loghub dlq purge --all")]
    Purge {
        /// Only files older than this (7d, 12h …)
        #[arg(long, value_name = "DURATION")]
        older_than: Option<String>,
        /// Every file, also in rejected/ and corrupt/ (with --older-than: only the older ones there too)
        #[arg(long)]
        all: bool,
        /// Say what would be deleted, delete nothing
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1:8431")]
    pub listen: String,
    /// Store: local:PATH or a path (default: the embedded store's default path)
    #[arg(long)]
    pub store: Option<String>,
    /// Another API key, repeatable: `KEY` or `full:KEY` for full access, `write:KEY` for ingest only (the global --api-key is a full key too) [env: LOGHUB_SERVER_API_KEYS, comma separated]
    #[arg(long = "key", value_name = "KEY", hide_env_values = true)]
    pub api_keys: Vec<String>,
    /// File with one key per line (`full:KEY` or `write:KEY`)
    #[arg(long, value_name = "FILE")]
    pub keys_file: Option<PathBuf>,
    /// Delete records older than this, by their time (default: keep everything). On ClickHouse it becomes the table's TTL
    #[arg(long, value_name = "DURATION")]
    pub retention: Option<String>,
    /// Keep the store under this size, oldest records first (embedded store only)
    #[arg(long, value_name = "SIZE")]
    pub max_store_size: Option<String>,
    /// Largest request body, before and after decompression
    #[arg(long, default_value = "16MiB", value_name = "SIZE")]
    pub max_body: String,
    /// Most concurrent live-tail streams
    #[arg(long, default_value_t = 1000)]
    pub max_streams: usize,
    /// Requests per second per API key (0 = no limit)
    #[arg(long, default_value_t = 0)]
    pub rate_limit: u32,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Print as JSON
    #[arg(long)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Option<ConfigCommand>,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print where the config file is looked for (--config, LOGHUB_CONFIG, else the default)
    Path,
    /// Write a commented starter config file there (never over an existing one)
    Init,
}

#[derive(Debug, Args)]
pub struct ClickhouseArgs {
    #[command(subcommand)]
    pub command: ClickhouseCommand,
}

#[derive(Debug, Subcommand)]
pub enum ClickhouseCommand {
    /// Create the database and table of the target (`--to clickhouse://…`) if missing
    Init {
        /// Create them ON CLUSTER: ReplicatedMergeTree shards behind a Distributed table
        #[arg(long, value_name = "NAME")]
        cluster: Option<String>,
        /// Give the table a TTL: ClickHouse deletes rows older than this as it merges (19.6+)
        #[arg(long, value_name = "DURATION")]
        retention: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct GenerateDocsArgs {
    /// Directory to write completions/ and man/ into
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_tree_is_valid() {
        Cli::command().debug_assert();
        command().debug_assert();
    }
}

# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_loghub_global_optspecs
    string join \n to= api-key= profile= config= v/verbose q/quiet color= h/help V/version
end

function __fish_loghub_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_loghub_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_loghub_using_subcommand
    set -l cmd (__fish_loghub_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c loghub -n "__fish_loghub_needs_command" -l to -l url -d 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]' -r
complete -c loghub -n "__fish_loghub_needs_command" -l api-key -d 'API key for an HTTP target [env: LOGHUB_API_KEY]' -r
complete -c loghub -n "__fish_loghub_needs_command" -l profile -d 'Profile of the config file to use [env: LOGHUB_PROFILE]' -r
complete -c loghub -n "__fish_loghub_needs_command" -l config -d 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]' -r -F
complete -c loghub -n "__fish_loghub_needs_command" -l color -d 'When to colour output (NO_COLOR turns it off under auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c loghub -n "__fish_loghub_needs_command" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
complete -c loghub -n "__fish_loghub_needs_command" -s q -l quiet -d 'No summary or progress on stderr; errors still print'
complete -c loghub -n "__fish_loghub_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c loghub -n "__fish_loghub_needs_command" -s V -l version -d 'Print version'
complete -c loghub -n "__fish_loghub_needs_command" -f -a "send" -d 'Ship logs from stdin or files: parse, enrich, batch, deliver, spool on failure'
complete -c loghub -n "__fish_loghub_needs_command" -f -a "query" -d 'Search logs, newest first (terms: key=value, bare words are full text)'
complete -c loghub -n "__fish_loghub_needs_command" -f -a "patterns" -d 'The log\'s message templates, most frequent first, with a trend (SPEC §10)'
complete -c loghub -n "__fish_loghub_needs_command" -f -a "stats" -d 'Aggregate counts by time bucket and level, top services and top errors'
complete -c loghub -n "__fish_loghub_needs_command" -f -a "trace" -d 'Show one request across services, oldest first, with offsets'
complete -c loghub -n "__fish_loghub_needs_command" -f -a "tail" -d 'Follow new matching records as they arrive. Over HTTP a server that is not there (yet) is waited for, with backoff and a line on stderr at most every 5 s saying why; a refusal (401, 403, 404) exits 1 with the reason'
complete -c loghub -n "__fish_loghub_needs_command" -f -a "dlq" -d 'Inspect and replay the dead-letter queue of batches that were not delivered'
complete -c loghub -n "__fish_loghub_needs_command" -f -a "config" -d 'Print the resolved configuration (secrets masked); `config path`, `config init`'
complete -c loghub -n "__fish_loghub_needs_command" -f -a "clickhouse" -d 'Manage a ClickHouse target (create its schema)'
complete -c loghub -n "__fish_loghub_needs_command" -f -a "generate-docs" -d 'Write shell completions and man pages (for packaging)'
complete -c loghub -n "__fish_loghub_needs_command" -f -a "serve" -d 'Run the loghub HTTP server on the embedded store'
complete -c loghub -n "__fish_loghub_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c loghub -n "__fish_loghub_using_subcommand send" -l format -d 'How to parse each line (auto decides per line)' -r -f -a "auto\t''
json\t''
logfmt\t''
text\t''"
complete -c loghub -n "__fish_loghub_using_subcommand send" -l multiline -d 'Join continuation lines (stack traces): auto, none, or a REGEX that matches start lines' -r
complete -c loghub -n "__fish_loghub_using_subcommand send" -l timezone -d 'Zone for timestamps without one: local, UTC, or a name like Europe/Paris' -r
complete -c loghub -n "__fish_loghub_using_subcommand send" -l service -d 'Service name of the records (1–100 chars) [env: LOGHUB_SERVICE]' -r
complete -c loghub -n "__fish_loghub_using_subcommand send" -l env -d 'Environment, stored as metadata.environment [env: LOGHUB_ENV]' -r
complete -c loghub -n "__fish_loghub_using_subcommand send" -l tag -d 'Extra metadata, repeatable: --tag region=eu --tag team=pay' -r
complete -c loghub -n "__fish_loghub_using_subcommand send" -l trace-id -d 'Trace id for every record (default: from TRACEPARENT)' -r
complete -c loghub -n "__fish_loghub_using_subcommand send" -l host -d 'Host name (default: this machine\'s)' -r
complete -c loghub -n "__fish_loghub_using_subcommand send" -l level -d 'Level of lines that name none' -r
complete -c loghub -n "__fish_loghub_using_subcommand send" -l min-level -d 'Drop records below this level (counted)' -r
complete -c loghub -n "__fish_loghub_using_subcommand send" -l redact -d 'Metadata key to mask at any depth, repeatable (adds to the default list)' -r
complete -c loghub -n "__fish_loghub_using_subcommand send" -l redact-pattern -d 'Regex whose matches in messages are masked, repeatable (adds to the built-ins)' -r
complete -c loghub -n "__fish_loghub_using_subcommand send" -l max-line-bytes -d 'Longer lines are truncated and marked metadata._truncated' -r
complete -c loghub -n "__fish_loghub_using_subcommand send" -l batch-size -d 'Records per batch' -r
complete -c loghub -n "__fish_loghub_using_subcommand send" -l batch-bytes -d 'Uncompressed bytes per batch' -r
complete -c loghub -n "__fish_loghub_using_subcommand send" -l flush-interval -d 'Close a batch after this long' -r
complete -c loghub -n "__fish_loghub_using_subcommand send" -l compression -d 'Body compression for HTTP targets' -r -f -a "gzip\t''
zstd\t''
none\t''"
complete -c loghub -n "__fish_loghub_using_subcommand send" -l concurrency -d 'Requests in flight (retries count inside it)' -r
complete -c loghub -n "__fish_loghub_using_subcommand send" -l max-retries -d 'Retries per batch before it is spooled' -r
complete -c loghub -n "__fish_loghub_using_subcommand send" -l timeout -d 'Timeout of one request' -r
complete -c loghub -n "__fish_loghub_using_subcommand send" -l breaker-threshold -d 'Consecutive failed requests that open the circuit breaker' -r
complete -c loghub -n "__fish_loghub_using_subcommand send" -l breaker-reset -d 'How long the breaker stays open before one probe request' -r
complete -c loghub -n "__fish_loghub_using_subcommand send" -l max-buffer -d 'Records that may wait in memory' -r
complete -c loghub -n "__fish_loghub_using_subcommand send" -l on-full -d 'What to do when the buffer is full [default: spill: to the spool while the target fails; a slow but healthy target is waited for]' -r -f -a "spill\t''
block\t''
drop-newest\t''
drop-oldest\t''"
complete -c loghub -n "__fish_loghub_using_subcommand send" -l drain-timeout -d 'At the end, wait this long for deliveries before spooling the rest' -r
complete -c loghub -n "__fish_loghub_using_subcommand send" -l dlq-dir -d 'Dead-letter queue directory [env: LOGHUB_DLQ_DIR]' -r -F
complete -c loghub -n "__fish_loghub_using_subcommand send" -l stats-json -d 'Write the end-of-run summary as JSON to this file' -r -F
complete -c loghub -n "__fish_loghub_using_subcommand send" -l start-at -d 'Where files found at start without a checkpoint are read from (files that appear later are read from their beginning)' -r -f -a "beginning\t''
end\t''"
complete -c loghub -n "__fish_loghub_using_subcommand send" -l state-dir -d 'Checkpoint directory (default: <data dir>/loghub/follow; one subdirectory per target)' -r -F
complete -c loghub -n "__fish_loghub_using_subcommand send" -l max-open-files -d 'Open file handles kept at most; idle files beyond are opened again when they grow' -r
complete -c loghub -n "__fish_loghub_using_subcommand send" -l to -l url -d 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]' -r
complete -c loghub -n "__fish_loghub_using_subcommand send" -l api-key -d 'API key for an HTTP target [env: LOGHUB_API_KEY]' -r
complete -c loghub -n "__fish_loghub_using_subcommand send" -l profile -d 'Profile of the config file to use [env: LOGHUB_PROFILE]' -r
complete -c loghub -n "__fish_loghub_using_subcommand send" -l config -d 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]' -r -F
complete -c loghub -n "__fish_loghub_using_subcommand send" -l color -d 'When to colour output (NO_COLOR turns it off under auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c loghub -n "__fish_loghub_using_subcommand send" -l no-default-redact -d 'Turn off the default redaction list and built-in patterns'
complete -c loghub -n "__fish_loghub_using_subcommand send" -l tee -d 'Copy every input line to stdout unchanged'
complete -c loghub -n "__fish_loghub_using_subcommand send" -l durable -d 'Spool every record to disk as it is read; it leaves the spool only when acknowledged'
complete -c loghub -n "__fish_loghub_using_subcommand send" -s F -l follow -d 'Keep following the FILEs (paths, or quoted globs expanded by loghub) as they grow, appear and rotate, until SIGINT/SIGTERM; checkpoints move only past delivered or spooled records'
complete -c loghub -n "__fish_loghub_using_subcommand send" -l poll -d 'Look for changes every second instead of using inotify'
complete -c loghub -n "__fish_loghub_using_subcommand send" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
complete -c loghub -n "__fish_loghub_using_subcommand send" -s q -l quiet -d 'No summary or progress on stderr; errors still print'
complete -c loghub -n "__fish_loghub_using_subcommand send" -s h -l help -d 'Print help'
complete -c loghub -n "__fish_loghub_using_subcommand send" -s V -l version -d 'Print version'
complete -c loghub -n "__fish_loghub_using_subcommand query" -l level -d 'Level filter: error, a list warn,error, or >=warn' -r
complete -c loghub -n "__fish_loghub_using_subcommand query" -l service -d 'Service filter (comma list)' -r
complete -c loghub -n "__fish_loghub_using_subcommand query" -l host -d 'Host filter (comma list)' -r
complete -c loghub -n "__fish_loghub_using_subcommand query" -l since -d 'From this time: 15m, 2h, 7d, "2 hours ago", -1h, today, yesterday, or a time' -r
complete -c loghub -n "__fish_loghub_using_subcommand query" -l until -d 'Up to this time (the same forms)' -r
complete -c loghub -n "__fish_loghub_using_subcommand query" -l text -d 'Full-text search (the term form is q=TEXT)' -r
complete -c loghub -n "__fish_loghub_using_subcommand query" -s n -l limit -d 'How many records in all (0 = all) [default: 100]. Above 1000 the target sends one stream, written out as it arrives, in bounded memory' -r
complete -c loghub -n "__fish_loghub_using_subcommand query" -s o -l output -d 'Output format (default: table on a terminal, ndjson when piped)' -r -f -a "table\t''
raw\t''
json\t''
ndjson\t''"
complete -c loghub -n "__fish_loghub_using_subcommand query" -l to -l url -d 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]' -r
complete -c loghub -n "__fish_loghub_using_subcommand query" -l api-key -d 'API key for an HTTP target [env: LOGHUB_API_KEY]' -r
complete -c loghub -n "__fish_loghub_using_subcommand query" -l profile -d 'Profile of the config file to use [env: LOGHUB_PROFILE]' -r
complete -c loghub -n "__fish_loghub_using_subcommand query" -l config -d 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]' -r -F
complete -c loghub -n "__fish_loghub_using_subcommand query" -l color -d 'When to colour output (NO_COLOR turns it off under auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c loghub -n "__fish_loghub_using_subcommand query" -s r -l reverse -d 'Oldest first (the newest N records, in the order they happened)'
complete -c loghub -n "__fish_loghub_using_subcommand query" -l no-pager -d 'Do not page the output on a terminal ($PAGER, else `less -FRX`)'
complete -c loghub -n "__fish_loghub_using_subcommand query" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
complete -c loghub -n "__fish_loghub_using_subcommand query" -s q -l quiet -d 'No summary or progress on stderr; errors still print'
complete -c loghub -n "__fish_loghub_using_subcommand query" -s h -l help -d 'Print help'
complete -c loghub -n "__fish_loghub_using_subcommand query" -s V -l version -d 'Print version'
complete -c loghub -n "__fish_loghub_using_subcommand patterns" -l level -d 'Level filter: error, a list warn,error, or >=warn' -r
complete -c loghub -n "__fish_loghub_using_subcommand patterns" -l service -d 'Service filter (comma list)' -r
complete -c loghub -n "__fish_loghub_using_subcommand patterns" -l host -d 'Host filter (comma list)' -r
complete -c loghub -n "__fish_loghub_using_subcommand patterns" -l since -d 'From this time: 15m, 2h, 7d, "2 hours ago", -1h, today, yesterday, or a time' -r
complete -c loghub -n "__fish_loghub_using_subcommand patterns" -l until -d 'Up to this time (the same forms)' -r
complete -c loghub -n "__fish_loghub_using_subcommand patterns" -l text -d 'Full-text search (the term form is q=TEXT)' -r
complete -c loghub -n "__fish_loghub_using_subcommand patterns" -l limit -d 'How many templates to show (0 = all)' -r
complete -c loghub -n "__fish_loghub_using_subcommand patterns" -s o -l output -d 'Output format: table (default on a terminal), json (one array) or ndjson' -r -f -a "table\t''
raw\t''
json\t''
ndjson\t''"
complete -c loghub -n "__fish_loghub_using_subcommand patterns" -l to -l url -d 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]' -r
complete -c loghub -n "__fish_loghub_using_subcommand patterns" -l api-key -d 'API key for an HTTP target [env: LOGHUB_API_KEY]' -r
complete -c loghub -n "__fish_loghub_using_subcommand patterns" -l profile -d 'Profile of the config file to use [env: LOGHUB_PROFILE]' -r
complete -c loghub -n "__fish_loghub_using_subcommand patterns" -l config -d 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]' -r -F
complete -c loghub -n "__fish_loghub_using_subcommand patterns" -l color -d 'When to colour output (NO_COLOR turns it off under auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c loghub -n "__fish_loghub_using_subcommand patterns" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
complete -c loghub -n "__fish_loghub_using_subcommand patterns" -s q -l quiet -d 'No summary or progress on stderr; errors still print'
complete -c loghub -n "__fish_loghub_using_subcommand patterns" -s h -l help -d 'Print help'
complete -c loghub -n "__fish_loghub_using_subcommand patterns" -s V -l version -d 'Print version'
complete -c loghub -n "__fish_loghub_using_subcommand stats" -l level -d 'Level filter: error, a list warn,error, or >=warn' -r
complete -c loghub -n "__fish_loghub_using_subcommand stats" -l service -d 'Service filter (comma list)' -r
complete -c loghub -n "__fish_loghub_using_subcommand stats" -l host -d 'Host filter (comma list)' -r
complete -c loghub -n "__fish_loghub_using_subcommand stats" -l since -d 'From this time: 15m, 2h, 7d, "2 hours ago", -1h, today, yesterday, or a time' -r
complete -c loghub -n "__fish_loghub_using_subcommand stats" -l until -d 'Up to this time (the same forms)' -r
complete -c loghub -n "__fish_loghub_using_subcommand stats" -l text -d 'Full-text search (the term form is q=TEXT)' -r
complete -c loghub -n "__fish_loghub_using_subcommand stats" -l interval -d 'Bucket width: 1m, 5m, 1h, 1d … (default: chosen from the range)' -r
complete -c loghub -n "__fish_loghub_using_subcommand stats" -l by -d 'What the columns of the bucket table count' -r -f -a "level\t''
service\t''"
complete -c loghub -n "__fish_loghub_using_subcommand stats" -l top -d 'How many top services and top errors to show' -r
complete -c loghub -n "__fish_loghub_using_subcommand stats" -s o -l output -d 'Output format: table, json (pretty) or ndjson (one line) [default: table on a terminal, json when piped]' -r -f -a "table\t''
json\t''
ndjson\t''"
complete -c loghub -n "__fish_loghub_using_subcommand stats" -l to -l url -d 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]' -r
complete -c loghub -n "__fish_loghub_using_subcommand stats" -l api-key -d 'API key for an HTTP target [env: LOGHUB_API_KEY]' -r
complete -c loghub -n "__fish_loghub_using_subcommand stats" -l profile -d 'Profile of the config file to use [env: LOGHUB_PROFILE]' -r
complete -c loghub -n "__fish_loghub_using_subcommand stats" -l config -d 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]' -r -F
complete -c loghub -n "__fish_loghub_using_subcommand stats" -l color -d 'When to colour output (NO_COLOR turns it off under auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c loghub -n "__fish_loghub_using_subcommand stats" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
complete -c loghub -n "__fish_loghub_using_subcommand stats" -s q -l quiet -d 'No summary or progress on stderr; errors still print'
complete -c loghub -n "__fish_loghub_using_subcommand stats" -s h -l help -d 'Print help'
complete -c loghub -n "__fish_loghub_using_subcommand stats" -s V -l version -d 'Print version'
complete -c loghub -n "__fish_loghub_using_subcommand trace" -s o -l output -d 'Output format (default: table on a terminal, ndjson when piped)' -r -f -a "table\t''
raw\t''
json\t''
ndjson\t''"
complete -c loghub -n "__fish_loghub_using_subcommand trace" -l to -l url -d 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]' -r
complete -c loghub -n "__fish_loghub_using_subcommand trace" -l api-key -d 'API key for an HTTP target [env: LOGHUB_API_KEY]' -r
complete -c loghub -n "__fish_loghub_using_subcommand trace" -l profile -d 'Profile of the config file to use [env: LOGHUB_PROFILE]' -r
complete -c loghub -n "__fish_loghub_using_subcommand trace" -l config -d 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]' -r -F
complete -c loghub -n "__fish_loghub_using_subcommand trace" -l color -d 'When to colour output (NO_COLOR turns it off under auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c loghub -n "__fish_loghub_using_subcommand trace" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
complete -c loghub -n "__fish_loghub_using_subcommand trace" -s q -l quiet -d 'No summary or progress on stderr; errors still print'
complete -c loghub -n "__fish_loghub_using_subcommand trace" -s h -l help -d 'Print help'
complete -c loghub -n "__fish_loghub_using_subcommand trace" -s V -l version -d 'Print version'
complete -c loghub -n "__fish_loghub_using_subcommand tail" -l level -d 'Level filter: error, a list warn,error, or >=warn' -r
complete -c loghub -n "__fish_loghub_using_subcommand tail" -l service -d 'Service filter (comma list)' -r
complete -c loghub -n "__fish_loghub_using_subcommand tail" -l host -d 'Host filter (comma list)' -r
complete -c loghub -n "__fish_loghub_using_subcommand tail" -l since -d 'From this time: 15m, 2h, 7d, "2 hours ago", -1h, today, yesterday, or a time' -r
complete -c loghub -n "__fish_loghub_using_subcommand tail" -l until -d 'Up to this time (the same forms)' -r
complete -c loghub -n "__fish_loghub_using_subcommand tail" -l text -d 'Full-text search (the term form is q=TEXT)' -r
complete -c loghub -n "__fish_loghub_using_subcommand tail" -l count -d 'Exit after this many records' -r
complete -c loghub -n "__fish_loghub_using_subcommand tail" -s o -l output -d 'Output format (default: raw lines on a terminal, ndjson when piped)' -r -f -a "table\t''
raw\t''
json\t''
ndjson\t''"
complete -c loghub -n "__fish_loghub_using_subcommand tail" -l to -l url -d 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]' -r
complete -c loghub -n "__fish_loghub_using_subcommand tail" -l api-key -d 'API key for an HTTP target [env: LOGHUB_API_KEY]' -r
complete -c loghub -n "__fish_loghub_using_subcommand tail" -l profile -d 'Profile of the config file to use [env: LOGHUB_PROFILE]' -r
complete -c loghub -n "__fish_loghub_using_subcommand tail" -l config -d 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]' -r -F
complete -c loghub -n "__fish_loghub_using_subcommand tail" -l color -d 'When to colour output (NO_COLOR turns it off under auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c loghub -n "__fish_loghub_using_subcommand tail" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
complete -c loghub -n "__fish_loghub_using_subcommand tail" -s q -l quiet -d 'No summary or progress on stderr; errors still print'
complete -c loghub -n "__fish_loghub_using_subcommand tail" -s h -l help -d 'Print help'
complete -c loghub -n "__fish_loghub_using_subcommand tail" -s V -l version -d 'Print version'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -l dlq-dir -d 'Dead-letter queue directory [env: LOGHUB_DLQ_DIR]' -r -F
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -l to -l url -d 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]' -r
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -l api-key -d 'API key for an HTTP target [env: LOGHUB_API_KEY]' -r
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -l profile -d 'Profile of the config file to use [env: LOGHUB_PROFILE]' -r
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -l config -d 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]' -r -F
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -l color -d 'When to colour output (NO_COLOR turns it off under auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -s q -l quiet -d 'No summary or progress on stderr; errors still print'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -s h -l help -d 'Print help'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -s V -l version -d 'Print version'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -f -a "list" -d 'List spooled batches: file, target, records, age, attempts, last error'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -f -a "show" -d 'Print the records of one spooled file as NDJSON'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -f -a "replay" -d 'Re-send spooled batches, oldest first; exit 0 when empty, 3 when files remain'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -f -a "purge" -d 'Delete spooled batches: those older than --older-than, or --all'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from list" -s o -l output -r -f -a "table\t''
raw\t''
json\t''
ndjson\t''"
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from list" -l dlq-dir -d 'Dead-letter queue directory [env: LOGHUB_DLQ_DIR]' -r -F
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from list" -l to -l url -d 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]' -r
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from list" -l api-key -d 'API key for an HTTP target [env: LOGHUB_API_KEY]' -r
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from list" -l profile -d 'Profile of the config file to use [env: LOGHUB_PROFILE]' -r
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from list" -l config -d 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]' -r -F
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from list" -l color -d 'When to colour output (NO_COLOR turns it off under auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from list" -s q -l quiet -d 'No summary or progress on stderr; errors still print'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from show" -l dlq-dir -d 'Dead-letter queue directory [env: LOGHUB_DLQ_DIR]' -r -F
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from show" -l to -l url -d 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]' -r
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from show" -l api-key -d 'API key for an HTTP target [env: LOGHUB_API_KEY]' -r
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from show" -l profile -d 'Profile of the config file to use [env: LOGHUB_PROFILE]' -r
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from show" -l config -d 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]' -r -F
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from show" -l color -d 'When to colour output (NO_COLOR turns it off under auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from show" -s q -l quiet -d 'No summary or progress on stderr; errors still print'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from replay" -l all-to -d 'Replay towards this target instead of each file\'s own' -r
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from replay" -l timeout -d 'Timeout of one request (default: the config\'s `timeout`, else 30s)' -r
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from replay" -l max-retries -d 'Retries per batch before its file is kept for the next replay (default: the config\'s `max_retries`, else 8)' -r
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from replay" -l dlq-dir -d 'Dead-letter queue directory [env: LOGHUB_DLQ_DIR]' -r -F
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from replay" -l to -l url -d 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]' -r
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from replay" -l api-key -d 'API key for an HTTP target [env: LOGHUB_API_KEY]' -r
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from replay" -l profile -d 'Profile of the config file to use [env: LOGHUB_PROFILE]' -r
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from replay" -l config -d 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]' -r -F
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from replay" -l color -d 'When to colour output (NO_COLOR turns it off under auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from replay" -l wait -d 'Wait for another replay to finish instead of exiting'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from replay" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from replay" -s q -l quiet -d 'No summary or progress on stderr; errors still print'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from replay" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from replay" -s V -l version -d 'Print version'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l older-than -d 'Only files older than this (7d, 12h …)' -r
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l dlq-dir -d 'Dead-letter queue directory [env: LOGHUB_DLQ_DIR]' -r -F
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l to -l url -d 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]' -r
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l api-key -d 'API key for an HTTP target [env: LOGHUB_API_KEY]' -r
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l profile -d 'Profile of the config file to use [env: LOGHUB_PROFILE]' -r
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l config -d 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]' -r -F
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l color -d 'When to colour output (NO_COLOR turns it off under auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l all -d 'Every file, also in rejected/ and corrupt/ (with --older-than: only the older ones there too)'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l dry-run -d 'Say what would be deleted, delete nothing'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from purge" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from purge" -s q -l quiet -d 'No summary or progress on stderr; errors still print'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from purge" -s h -l help -d 'Print help'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from purge" -s V -l version -d 'Print version'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from help" -f -a "list" -d 'List spooled batches: file, target, records, age, attempts, last error'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print the records of one spooled file as NDJSON'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from help" -f -a "replay" -d 'Re-send spooled batches, oldest first; exit 0 when empty, 3 when files remain'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from help" -f -a "purge" -d 'Delete spooled batches: those older than --older-than, or --all'
complete -c loghub -n "__fish_loghub_using_subcommand dlq; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c loghub -n "__fish_loghub_using_subcommand config; and not __fish_seen_subcommand_from path init help" -l to -l url -d 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]' -r
complete -c loghub -n "__fish_loghub_using_subcommand config; and not __fish_seen_subcommand_from path init help" -l api-key -d 'API key for an HTTP target [env: LOGHUB_API_KEY]' -r
complete -c loghub -n "__fish_loghub_using_subcommand config; and not __fish_seen_subcommand_from path init help" -l profile -d 'Profile of the config file to use [env: LOGHUB_PROFILE]' -r
complete -c loghub -n "__fish_loghub_using_subcommand config; and not __fish_seen_subcommand_from path init help" -l config -d 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]' -r -F
complete -c loghub -n "__fish_loghub_using_subcommand config; and not __fish_seen_subcommand_from path init help" -l color -d 'When to colour output (NO_COLOR turns it off under auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c loghub -n "__fish_loghub_using_subcommand config; and not __fish_seen_subcommand_from path init help" -l json -d 'Print as JSON'
complete -c loghub -n "__fish_loghub_using_subcommand config; and not __fish_seen_subcommand_from path init help" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
complete -c loghub -n "__fish_loghub_using_subcommand config; and not __fish_seen_subcommand_from path init help" -s q -l quiet -d 'No summary or progress on stderr; errors still print'
complete -c loghub -n "__fish_loghub_using_subcommand config; and not __fish_seen_subcommand_from path init help" -s h -l help -d 'Print help'
complete -c loghub -n "__fish_loghub_using_subcommand config; and not __fish_seen_subcommand_from path init help" -s V -l version -d 'Print version'
complete -c loghub -n "__fish_loghub_using_subcommand config; and not __fish_seen_subcommand_from path init help" -f -a "path" -d 'Print where the config file is looked for (--config, LOGHUB_CONFIG, else the default)'
complete -c loghub -n "__fish_loghub_using_subcommand config; and not __fish_seen_subcommand_from path init help" -f -a "init" -d 'Write a commented starter config file there (never over an existing one)'
complete -c loghub -n "__fish_loghub_using_subcommand config; and not __fish_seen_subcommand_from path init help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c loghub -n "__fish_loghub_using_subcommand config; and __fish_seen_subcommand_from path" -l to -l url -d 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]' -r
complete -c loghub -n "__fish_loghub_using_subcommand config; and __fish_seen_subcommand_from path" -l api-key -d 'API key for an HTTP target [env: LOGHUB_API_KEY]' -r
complete -c loghub -n "__fish_loghub_using_subcommand config; and __fish_seen_subcommand_from path" -l profile -d 'Profile of the config file to use [env: LOGHUB_PROFILE]' -r
complete -c loghub -n "__fish_loghub_using_subcommand config; and __fish_seen_subcommand_from path" -l config -d 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]' -r -F
complete -c loghub -n "__fish_loghub_using_subcommand config; and __fish_seen_subcommand_from path" -l color -d 'When to colour output (NO_COLOR turns it off under auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c loghub -n "__fish_loghub_using_subcommand config; and __fish_seen_subcommand_from path" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
complete -c loghub -n "__fish_loghub_using_subcommand config; and __fish_seen_subcommand_from path" -s q -l quiet -d 'No summary or progress on stderr; errors still print'
complete -c loghub -n "__fish_loghub_using_subcommand config; and __fish_seen_subcommand_from path" -s h -l help -d 'Print help'
complete -c loghub -n "__fish_loghub_using_subcommand config; and __fish_seen_subcommand_from path" -s V -l version -d 'Print version'
complete -c loghub -n "__fish_loghub_using_subcommand config; and __fish_seen_subcommand_from init" -l to -l url -d 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]' -r
complete -c loghub -n "__fish_loghub_using_subcommand config; and __fish_seen_subcommand_from init" -l api-key -d 'API key for an HTTP target [env: LOGHUB_API_KEY]' -r
complete -c loghub -n "__fish_loghub_using_subcommand config; and __fish_seen_subcommand_from init" -l profile -d 'Profile of the config file to use [env: LOGHUB_PROFILE]' -r
complete -c loghub -n "__fish_loghub_using_subcommand config; and __fish_seen_subcommand_from init" -l config -d 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]' -r -F
complete -c loghub -n "__fish_loghub_using_subcommand config; and __fish_seen_subcommand_from init" -l color -d 'When to colour output (NO_COLOR turns it off under auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c loghub -n "__fish_loghub_using_subcommand config; and __fish_seen_subcommand_from init" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
complete -c loghub -n "__fish_loghub_using_subcommand config; and __fish_seen_subcommand_from init" -s q -l quiet -d 'No summary or progress on stderr; errors still print'
complete -c loghub -n "__fish_loghub_using_subcommand config; and __fish_seen_subcommand_from init" -s h -l help -d 'Print help'
complete -c loghub -n "__fish_loghub_using_subcommand config; and __fish_seen_subcommand_from init" -s V -l version -d 'Print version'
complete -c loghub -n "__fish_loghub_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "path" -d 'Print where the config file is looked for (--config, LOGHUB_CONFIG, else the default)'
complete -c loghub -n "__fish_loghub_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "init" -d 'Write a commented starter config file there (never over an existing one)'
complete -c loghub -n "__fish_loghub_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c loghub -n "__fish_loghub_using_subcommand clickhouse; and not __fish_seen_subcommand_from init help" -l to -l url -d 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]' -r
complete -c loghub -n "__fish_loghub_using_subcommand clickhouse; and not __fish_seen_subcommand_from init help" -l api-key -d 'API key for an HTTP target [env: LOGHUB_API_KEY]' -r
complete -c loghub -n "__fish_loghub_using_subcommand clickhouse; and not __fish_seen_subcommand_from init help" -l profile -d 'Profile of the config file to use [env: LOGHUB_PROFILE]' -r
complete -c loghub -n "__fish_loghub_using_subcommand clickhouse; and not __fish_seen_subcommand_from init help" -l config -d 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]' -r -F
complete -c loghub -n "__fish_loghub_using_subcommand clickhouse; and not __fish_seen_subcommand_from init help" -l color -d 'When to colour output (NO_COLOR turns it off under auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c loghub -n "__fish_loghub_using_subcommand clickhouse; and not __fish_seen_subcommand_from init help" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
complete -c loghub -n "__fish_loghub_using_subcommand clickhouse; and not __fish_seen_subcommand_from init help" -s q -l quiet -d 'No summary or progress on stderr; errors still print'
complete -c loghub -n "__fish_loghub_using_subcommand clickhouse; and not __fish_seen_subcommand_from init help" -s h -l help -d 'Print help'
complete -c loghub -n "__fish_loghub_using_subcommand clickhouse; and not __fish_seen_subcommand_from init help" -s V -l version -d 'Print version'
complete -c loghub -n "__fish_loghub_using_subcommand clickhouse; and not __fish_seen_subcommand_from init help" -f -a "init" -d 'Create the database and table of the target (`--to clickhouse://…`) if missing'
complete -c loghub -n "__fish_loghub_using_subcommand clickhouse; and not __fish_seen_subcommand_from init help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c loghub -n "__fish_loghub_using_subcommand clickhouse; and __fish_seen_subcommand_from init" -l cluster -d 'Create them ON CLUSTER: ReplicatedMergeTree shards behind a Distributed table' -r
complete -c loghub -n "__fish_loghub_using_subcommand clickhouse; and __fish_seen_subcommand_from init" -l retention -d 'Give the table a TTL: ClickHouse deletes rows older than this as it merges (19.6+)' -r
complete -c loghub -n "__fish_loghub_using_subcommand clickhouse; and __fish_seen_subcommand_from init" -l to -l url -d 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]' -r
complete -c loghub -n "__fish_loghub_using_subcommand clickhouse; and __fish_seen_subcommand_from init" -l api-key -d 'API key for an HTTP target [env: LOGHUB_API_KEY]' -r
complete -c loghub -n "__fish_loghub_using_subcommand clickhouse; and __fish_seen_subcommand_from init" -l profile -d 'Profile of the config file to use [env: LOGHUB_PROFILE]' -r
complete -c loghub -n "__fish_loghub_using_subcommand clickhouse; and __fish_seen_subcommand_from init" -l config -d 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]' -r -F
complete -c loghub -n "__fish_loghub_using_subcommand clickhouse; and __fish_seen_subcommand_from init" -l color -d 'When to colour output (NO_COLOR turns it off under auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c loghub -n "__fish_loghub_using_subcommand clickhouse; and __fish_seen_subcommand_from init" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
complete -c loghub -n "__fish_loghub_using_subcommand clickhouse; and __fish_seen_subcommand_from init" -s q -l quiet -d 'No summary or progress on stderr; errors still print'
complete -c loghub -n "__fish_loghub_using_subcommand clickhouse; and __fish_seen_subcommand_from init" -s h -l help -d 'Print help'
complete -c loghub -n "__fish_loghub_using_subcommand clickhouse; and __fish_seen_subcommand_from init" -s V -l version -d 'Print version'
complete -c loghub -n "__fish_loghub_using_subcommand clickhouse; and __fish_seen_subcommand_from help" -f -a "init" -d 'Create the database and table of the target (`--to clickhouse://…`) if missing'
complete -c loghub -n "__fish_loghub_using_subcommand clickhouse; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c loghub -n "__fish_loghub_using_subcommand generate-docs" -l to -l url -d 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]' -r
complete -c loghub -n "__fish_loghub_using_subcommand generate-docs" -l api-key -d 'API key for an HTTP target [env: LOGHUB_API_KEY]' -r
complete -c loghub -n "__fish_loghub_using_subcommand generate-docs" -l profile -d 'Profile of the config file to use [env: LOGHUB_PROFILE]' -r
complete -c loghub -n "__fish_loghub_using_subcommand generate-docs" -l config -d 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]' -r -F
complete -c loghub -n "__fish_loghub_using_subcommand generate-docs" -l color -d 'When to colour output (NO_COLOR turns it off under auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c loghub -n "__fish_loghub_using_subcommand generate-docs" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
complete -c loghub -n "__fish_loghub_using_subcommand generate-docs" -s q -l quiet -d 'No summary or progress on stderr; errors still print'
complete -c loghub -n "__fish_loghub_using_subcommand generate-docs" -s h -l help -d 'Print help'
complete -c loghub -n "__fish_loghub_using_subcommand generate-docs" -s V -l version -d 'Print version'
complete -c loghub -n "__fish_loghub_using_subcommand serve" -l listen -d 'Address to listen on' -r
complete -c loghub -n "__fish_loghub_using_subcommand serve" -l store -d 'Store: local:PATH or a path (default: the embedded store\'s default path)' -r
complete -c loghub -n "__fish_loghub_using_subcommand serve" -l key -d 'Another API key, repeatable: `KEY` or `full:KEY` for full access, `write:KEY` for ingest only (the global --api-key is a full key too) [env: LOGHUB_SERVER_API_KEYS, comma separated]' -r
complete -c loghub -n "__fish_loghub_using_subcommand serve" -l keys-file -d 'File with one key per line (`full:KEY` or `write:KEY`)' -r -F
complete -c loghub -n "__fish_loghub_using_subcommand serve" -l retention -d 'Delete records older than this, by their time (default: keep everything). On ClickHouse it becomes the table\'s TTL' -r
complete -c loghub -n "__fish_loghub_using_subcommand serve" -l max-store-size -d 'Keep the store under this size, oldest records first (embedded store only)' -r
complete -c loghub -n "__fish_loghub_using_subcommand serve" -l max-body -d 'Largest request body, before and after decompression' -r
complete -c loghub -n "__fish_loghub_using_subcommand serve" -l max-streams -d 'Most concurrent live-tail streams' -r
complete -c loghub -n "__fish_loghub_using_subcommand serve" -l rate-limit -d 'Requests per second per API key (0 = no limit)' -r
complete -c loghub -n "__fish_loghub_using_subcommand serve" -l to -l url -d 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]' -r
complete -c loghub -n "__fish_loghub_using_subcommand serve" -l color -d 'When to colour output (NO_COLOR turns it off under auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c loghub -n "__fish_loghub_using_subcommand serve" -l api-key -d 'API key for an HTTP target [env: LOGHUB_API_KEY]' -r
complete -c loghub -n "__fish_loghub_using_subcommand serve" -l profile -d 'Profile of the config file to use [env: LOGHUB_PROFILE]' -r
complete -c loghub -n "__fish_loghub_using_subcommand serve" -l config -d 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]' -r -F
complete -c loghub -n "__fish_loghub_using_subcommand serve" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
complete -c loghub -n "__fish_loghub_using_subcommand serve" -s q -l quiet -d 'No summary or progress on stderr; errors still print'
complete -c loghub -n "__fish_loghub_using_subcommand serve" -s h -l help -d 'Print help'
complete -c loghub -n "__fish_loghub_using_subcommand serve" -s V -l version -d 'Print version'
complete -c loghub -n "__fish_loghub_using_subcommand help; and not __fish_seen_subcommand_from send query patterns stats trace tail dlq config clickhouse generate-docs serve help" -f -a "send" -d 'Ship logs from stdin or files: parse, enrich, batch, deliver, spool on failure'
complete -c loghub -n "__fish_loghub_using_subcommand help; and not __fish_seen_subcommand_from send query patterns stats trace tail dlq config clickhouse generate-docs serve help" -f -a "query" -d 'Search logs, newest first (terms: key=value, bare words are full text)'
complete -c loghub -n "__fish_loghub_using_subcommand help; and not __fish_seen_subcommand_from send query patterns stats trace tail dlq config clickhouse generate-docs serve help" -f -a "patterns" -d 'The log\'s message templates, most frequent first, with a trend (SPEC §10)'
complete -c loghub -n "__fish_loghub_using_subcommand help; and not __fish_seen_subcommand_from send query patterns stats trace tail dlq config clickhouse generate-docs serve help" -f -a "stats" -d 'Aggregate counts by time bucket and level, top services and top errors'
complete -c loghub -n "__fish_loghub_using_subcommand help; and not __fish_seen_subcommand_from send query patterns stats trace tail dlq config clickhouse generate-docs serve help" -f -a "trace" -d 'Show one request across services, oldest first, with offsets'
complete -c loghub -n "__fish_loghub_using_subcommand help; and not __fish_seen_subcommand_from send query patterns stats trace tail dlq config clickhouse generate-docs serve help" -f -a "tail" -d 'Follow new matching records as they arrive. Over HTTP a server that is not there (yet) is waited for, with backoff and a line on stderr at most every 5 s saying why; a refusal (401, 403, 404) exits 1 with the reason'
complete -c loghub -n "__fish_loghub_using_subcommand help; and not __fish_seen_subcommand_from send query patterns stats trace tail dlq config clickhouse generate-docs serve help" -f -a "dlq" -d 'Inspect and replay the dead-letter queue of batches that were not delivered'
complete -c loghub -n "__fish_loghub_using_subcommand help; and not __fish_seen_subcommand_from send query patterns stats trace tail dlq config clickhouse generate-docs serve help" -f -a "config" -d 'Print the resolved configuration (secrets masked); `config path`, `config init`'
complete -c loghub -n "__fish_loghub_using_subcommand help; and not __fish_seen_subcommand_from send query patterns stats trace tail dlq config clickhouse generate-docs serve help" -f -a "clickhouse" -d 'Manage a ClickHouse target (create its schema)'
complete -c loghub -n "__fish_loghub_using_subcommand help; and not __fish_seen_subcommand_from send query patterns stats trace tail dlq config clickhouse generate-docs serve help" -f -a "generate-docs" -d 'Write shell completions and man pages (for packaging)'
complete -c loghub -n "__fish_loghub_using_subcommand help; and not __fish_seen_subcommand_from send query patterns stats trace tail dlq config clickhouse generate-docs serve help" -f -a "serve" -d 'Run the loghub HTTP server on the embedded store'
complete -c loghub -n "__fish_loghub_using_subcommand help; and not __fish_seen_subcommand_from send query patterns stats trace tail dlq config clickhouse generate-docs serve help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c loghub -n "__fish_loghub_using_subcommand help; and __fish_seen_subcommand_from dlq" -f -a "list" -d 'List spooled batches: file, target, records, age, attempts, last error'
complete -c loghub -n "__fish_loghub_using_subcommand help; and __fish_seen_subcommand_from dlq" -f -a "show" -d 'Print the records of one spooled file as NDJSON'
complete -c loghub -n "__fish_loghub_using_subcommand help; and __fish_seen_subcommand_from dlq" -f -a "replay" -d 'Re-send spooled batches, oldest first; exit 0 when empty, 3 when files remain'
complete -c loghub -n "__fish_loghub_using_subcommand help; and __fish_seen_subcommand_from dlq" -f -a "purge" -d 'Delete spooled batches: those older than --older-than, or --all'
complete -c loghub -n "__fish_loghub_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "path" -d 'Print where the config file is looked for (--config, LOGHUB_CONFIG, else the default)'
complete -c loghub -n "__fish_loghub_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "init" -d 'Write a commented starter config file there (never over an existing one)'
complete -c loghub -n "__fish_loghub_using_subcommand help; and __fish_seen_subcommand_from clickhouse" -f -a "init" -d 'Create the database and table of the target (`--to clickhouse://…`) if missing'


using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'loghub' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'loghub'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'loghub' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--api-key', '--api-key', [CompletionResultType]::ParameterName, 'API key for an HTTP target [env: LOGHUB_API_KEY]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: LOGHUB_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR turns it off under auto)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Ship logs from stdin or files: parse, enrich, batch, deliver, spool on failure')
            [CompletionResult]::new('query', 'query', [CompletionResultType]::ParameterValue, 'Search logs, newest first (terms: key=value, bare words are full text)')
            [CompletionResult]::new('patterns', 'patterns', [CompletionResultType]::ParameterValue, 'The log''s message templates, most frequent first, with a trend (SPEC §10)')
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Aggregate counts by time bucket and level, top services and top errors')
            [CompletionResult]::new('trace', 'trace', [CompletionResultType]::ParameterValue, 'Show one request across services, oldest first, with offsets')
            [CompletionResult]::new('tail', 'tail', [CompletionResultType]::ParameterValue, 'Follow new matching records as they arrive. Over HTTP a server that is not there (yet) is waited for, with backoff and a line on stderr at most every 5 s saying why; a refusal (401, 403, 404) exits 1 with the reason')
            [CompletionResult]::new('dlq', 'dlq', [CompletionResultType]::ParameterValue, 'Inspect and replay the dead-letter queue of batches that were not delivered')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Print the resolved configuration (secrets masked); `config path`, `config init`')
            [CompletionResult]::new('clickhouse', 'clickhouse', [CompletionResultType]::ParameterValue, 'Manage a ClickHouse target (create its schema)')
            [CompletionResult]::new('generate-docs', 'generate-docs', [CompletionResultType]::ParameterValue, 'Write shell completions and man pages (for packaging)')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the loghub HTTP server on the embedded store')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'loghub;send' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to parse each line (auto decides per line)')
            [CompletionResult]::new('--multiline', '--multiline', [CompletionResultType]::ParameterName, 'Join continuation lines (stack traces): auto, none, or a REGEX that matches start lines')
            [CompletionResult]::new('--timezone', '--timezone', [CompletionResultType]::ParameterName, 'Zone for timestamps without one: local, UTC, or a name like Europe/Paris')
            [CompletionResult]::new('--service', '--service', [CompletionResultType]::ParameterName, 'Service name of the records (1–100 chars) [env: LOGHUB_SERVICE]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment, stored as metadata.environment [env: LOGHUB_ENV]')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'Extra metadata, repeatable: --tag region=eu --tag team=pay')
            [CompletionResult]::new('--trace-id', '--trace-id', [CompletionResultType]::ParameterName, 'Trace id for every record (default: from TRACEPARENT)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Host name (default: this machine''s)')
            [CompletionResult]::new('--level', '--level', [CompletionResultType]::ParameterName, 'Level of lines that name none')
            [CompletionResult]::new('--min-level', '--min-level', [CompletionResultType]::ParameterName, 'Drop records below this level (counted)')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Metadata key to mask at any depth, repeatable (adds to the default list)')
            [CompletionResult]::new('--redact-pattern', '--redact-pattern', [CompletionResultType]::ParameterName, 'Regex whose matches in messages are masked, repeatable (adds to the built-ins)')
            [CompletionResult]::new('--max-line-bytes', '--max-line-bytes', [CompletionResultType]::ParameterName, 'Longer lines are truncated and marked metadata._truncated')
            [CompletionResult]::new('--batch-size', '--batch-size', [CompletionResultType]::ParameterName, 'Records per batch')
            [CompletionResult]::new('--batch-bytes', '--batch-bytes', [CompletionResultType]::ParameterName, 'Uncompressed bytes per batch')
            [CompletionResult]::new('--flush-interval', '--flush-interval', [CompletionResultType]::ParameterName, 'Close a batch after this long')
            [CompletionResult]::new('--compression', '--compression', [CompletionResultType]::ParameterName, 'Body compression for HTTP targets')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Requests in flight (retries count inside it)')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries per batch before it is spooled')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request')
            [CompletionResult]::new('--breaker-threshold', '--breaker-threshold', [CompletionResultType]::ParameterName, 'Consecutive failed requests that open the circuit breaker')
            [CompletionResult]::new('--breaker-reset', '--breaker-reset', [CompletionResultType]::ParameterName, 'How long the breaker stays open before one probe request')
            [CompletionResult]::new('--max-buffer', '--max-buffer', [CompletionResultType]::ParameterName, 'Records that may wait in memory')
            [CompletionResult]::new('--on-full', '--on-full', [CompletionResultType]::ParameterName, 'What to do when the buffer is full [default: spill: to the spool while the target fails; a slow but healthy target is waited for]')
            [CompletionResult]::new('--drain-timeout', '--drain-timeout', [CompletionResultType]::ParameterName, 'At the end, wait this long for deliveries before spooling the rest')
            [CompletionResult]::new('--dlq-dir', '--dlq-dir', [CompletionResultType]::ParameterName, 'Dead-letter queue directory [env: LOGHUB_DLQ_DIR]')
            [CompletionResult]::new('--stats-json', '--stats-json', [CompletionResultType]::ParameterName, 'Write the end-of-run summary as JSON to this file')
            [CompletionResult]::new('--start-at', '--start-at', [CompletionResultType]::ParameterName, 'Where files found at start without a checkpoint are read from (files that appear later are read from their beginning)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Checkpoint directory (default: <data dir>/loghub/follow; one subdirectory per target)')
            [CompletionResult]::new('--max-open-files', '--max-open-files', [CompletionResultType]::ParameterName, 'Open file handles kept at most; idle files beyond are opened again when they grow')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--api-key', '--api-key', [CompletionResultType]::ParameterName, 'API key for an HTTP target [env: LOGHUB_API_KEY]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: LOGHUB_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR turns it off under auto)')
            [CompletionResult]::new('--no-default-redact', '--no-default-redact', [CompletionResultType]::ParameterName, 'Turn off the default redaction list and built-in patterns')
            [CompletionResult]::new('--tee', '--tee', [CompletionResultType]::ParameterName, 'Copy every input line to stdout unchanged')
            [CompletionResult]::new('--durable', '--durable', [CompletionResultType]::ParameterName, 'Spool every record to disk as it is read; it leaves the spool only when acknowledged')
            [CompletionResult]::new('-F', '-F ', [CompletionResultType]::ParameterName, 'Keep following the FILEs (paths, or quoted globs expanded by loghub) as they grow, appear and rotate, until SIGINT/SIGTERM; checkpoints move only past delivered or spooled records')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Keep following the FILEs (paths, or quoted globs expanded by loghub) as they grow, appear and rotate, until SIGINT/SIGTERM; checkpoints move only past delivered or spooled records')
            [CompletionResult]::new('--poll', '--poll', [CompletionResultType]::ParameterName, 'Look for changes every second instead of using inotify')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'loghub;query' {
            [CompletionResult]::new('--level', '--level', [CompletionResultType]::ParameterName, 'Level filter: error, a list warn,error, or >=warn')
            [CompletionResult]::new('--service', '--service', [CompletionResultType]::ParameterName, 'Service filter (comma list)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Host filter (comma list)')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'From this time: 15m, 2h, 7d, "2 hours ago", -1h, today, yesterday, or a time')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Up to this time (the same forms)')
            [CompletionResult]::new('--text', '--text', [CompletionResultType]::ParameterName, 'Full-text search (the term form is q=TEXT)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'How many records in all (0 = all) [default: 100]. Above 1000 the target sends one stream, written out as it arrives, in bounded memory')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'How many records in all (0 = all) [default: 100]. Above 1000 the target sends one stream, written out as it arrives, in bounded memory')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format (default: table on a terminal, ndjson when piped)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format (default: table on a terminal, ndjson when piped)')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--api-key', '--api-key', [CompletionResultType]::ParameterName, 'API key for an HTTP target [env: LOGHUB_API_KEY]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: LOGHUB_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR turns it off under auto)')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Oldest first (the newest N records, in the order they happened)')
            [CompletionResult]::new('--reverse', '--reverse', [CompletionResultType]::ParameterName, 'Oldest first (the newest N records, in the order they happened)')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Do not page the output on a terminal ($PAGER, else `less -FRX`)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'loghub;patterns' {
            [CompletionResult]::new('--level', '--level', [CompletionResultType]::ParameterName, 'Level filter: error, a list warn,error, or >=warn')
            [CompletionResult]::new('--service', '--service', [CompletionResultType]::ParameterName, 'Service filter (comma list)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Host filter (comma list)')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'From this time: 15m, 2h, 7d, "2 hours ago", -1h, today, yesterday, or a time')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Up to this time (the same forms)')
            [CompletionResult]::new('--text', '--text', [CompletionResultType]::ParameterName, 'Full-text search (the term form is q=TEXT)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'How many templates to show (0 = all)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: table (default on a terminal), json (one array) or ndjson')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: table (default on a terminal), json (one array) or ndjson')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--api-key', '--api-key', [CompletionResultType]::ParameterName, 'API key for an HTTP target [env: LOGHUB_API_KEY]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: LOGHUB_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR turns it off under auto)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'loghub;stats' {
            [CompletionResult]::new('--level', '--level', [CompletionResultType]::ParameterName, 'Level filter: error, a list warn,error, or >=warn')
            [CompletionResult]::new('--service', '--service', [CompletionResultType]::ParameterName, 'Service filter (comma list)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Host filter (comma list)')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'From this time: 15m, 2h, 7d, "2 hours ago", -1h, today, yesterday, or a time')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Up to this time (the same forms)')
            [CompletionResult]::new('--text', '--text', [CompletionResultType]::ParameterName, 'Full-text search (the term form is q=TEXT)')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Bucket width: 1m, 5m, 1h, 1d … (default: chosen from the range)')
            [CompletionResult]::new('--by', '--by', [CompletionResultType]::ParameterName, 'What the columns of the bucket table count')
            [CompletionResult]::new('--top', '--top', [CompletionResultType]::ParameterName, 'How many top services and top errors to show')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: table, json (pretty) or ndjson (one line) [default: table on a terminal, json when piped]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: table, json (pretty) or ndjson (one line) [default: table on a terminal, json when piped]')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--api-key', '--api-key', [CompletionResultType]::ParameterName, 'API key for an HTTP target [env: LOGHUB_API_KEY]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: LOGHUB_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR turns it off under auto)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'loghub;trace' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format (default: table on a terminal, ndjson when piped)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format (default: table on a terminal, ndjson when piped)')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--api-key', '--api-key', [CompletionResultType]::ParameterName, 'API key for an HTTP target [env: LOGHUB_API_KEY]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: LOGHUB_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR turns it off under auto)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'loghub;tail' {
            [CompletionResult]::new('--level', '--level', [CompletionResultType]::ParameterName, 'Level filter: error, a list warn,error, or >=warn')
            [CompletionResult]::new('--service', '--service', [CompletionResultType]::ParameterName, 'Service filter (comma list)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Host filter (comma list)')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'From this time: 15m, 2h, 7d, "2 hours ago", -1h, today, yesterday, or a time')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Up to this time (the same forms)')
            [CompletionResult]::new('--text', '--text', [CompletionResultType]::ParameterName, 'Full-text search (the term form is q=TEXT)')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Exit after this many records')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format (default: raw lines on a terminal, ndjson when piped)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format (default: raw lines on a terminal, ndjson when piped)')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--api-key', '--api-key', [CompletionResultType]::ParameterName, 'API key for an HTTP target [env: LOGHUB_API_KEY]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: LOGHUB_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR turns it off under auto)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'loghub;dlq' {
            [CompletionResult]::new('--dlq-dir', '--dlq-dir', [CompletionResultType]::ParameterName, 'Dead-letter queue directory [env: LOGHUB_DLQ_DIR]')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--api-key', '--api-key', [CompletionResultType]::ParameterName, 'API key for an HTTP target [env: LOGHUB_API_KEY]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: LOGHUB_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR turns it off under auto)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List spooled batches: file, target, records, age, attempts, last error')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the records of one spooled file as NDJSON')
            [CompletionResult]::new('replay', 'replay', [CompletionResultType]::ParameterValue, 'Re-send spooled batches, oldest first; exit 0 when empty, 3 when files remain')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Delete spooled batches: those older than --older-than, or --all')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'loghub;dlq;list' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'o')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'output')
            [CompletionResult]::new('--dlq-dir', '--dlq-dir', [CompletionResultType]::ParameterName, 'Dead-letter queue directory [env: LOGHUB_DLQ_DIR]')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--api-key', '--api-key', [CompletionResultType]::ParameterName, 'API key for an HTTP target [env: LOGHUB_API_KEY]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: LOGHUB_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR turns it off under auto)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'loghub;dlq;show' {
            [CompletionResult]::new('--dlq-dir', '--dlq-dir', [CompletionResultType]::ParameterName, 'Dead-letter queue directory [env: LOGHUB_DLQ_DIR]')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--api-key', '--api-key', [CompletionResultType]::ParameterName, 'API key for an HTTP target [env: LOGHUB_API_KEY]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: LOGHUB_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR turns it off under auto)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'loghub;dlq;replay' {
            [CompletionResult]::new('--all-to', '--all-to', [CompletionResultType]::ParameterName, 'Replay towards this target instead of each file''s own')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request (default: the config''s `timeout`, else 30s)')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries per batch before its file is kept for the next replay (default: the config''s `max_retries`, else 8)')
            [CompletionResult]::new('--dlq-dir', '--dlq-dir', [CompletionResultType]::ParameterName, 'Dead-letter queue directory [env: LOGHUB_DLQ_DIR]')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--api-key', '--api-key', [CompletionResultType]::ParameterName, 'API key for an HTTP target [env: LOGHUB_API_KEY]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: LOGHUB_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR turns it off under auto)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for another replay to finish instead of exiting')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'loghub;dlq;purge' {
            [CompletionResult]::new('--older-than', '--older-than', [CompletionResultType]::ParameterName, 'Only files older than this (7d, 12h …)')
            [CompletionResult]::new('--dlq-dir', '--dlq-dir', [CompletionResultType]::ParameterName, 'Dead-letter queue directory [env: LOGHUB_DLQ_DIR]')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--api-key', '--api-key', [CompletionResultType]::ParameterName, 'API key for an HTTP target [env: LOGHUB_API_KEY]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: LOGHUB_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR turns it off under auto)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Every file, also in rejected/ and corrupt/ (with --older-than: only the older ones there too)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Say what would be deleted, delete nothing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'loghub;dlq;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List spooled batches: file, target, records, age, attempts, last error')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the records of one spooled file as NDJSON')
            [CompletionResult]::new('replay', 'replay', [CompletionResultType]::ParameterValue, 'Re-send spooled batches, oldest first; exit 0 when empty, 3 when files remain')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Delete spooled batches: those older than --older-than, or --all')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'loghub;dlq;help;list' {
            break
        }
        'loghub;dlq;help;show' {
            break
        }
        'loghub;dlq;help;replay' {
            break
        }
        'loghub;dlq;help;purge' {
            break
        }
        'loghub;dlq;help;help' {
            break
        }
        'loghub;config' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--api-key', '--api-key', [CompletionResultType]::ParameterName, 'API key for an HTTP target [env: LOGHUB_API_KEY]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: LOGHUB_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR turns it off under auto)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print as JSON')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print where the config file is looked for (--config, LOGHUB_CONFIG, else the default)')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a commented starter config file there (never over an existing one)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'loghub;config;path' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--api-key', '--api-key', [CompletionResultType]::ParameterName, 'API key for an HTTP target [env: LOGHUB_API_KEY]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: LOGHUB_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR turns it off under auto)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'loghub;config;init' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--api-key', '--api-key', [CompletionResultType]::ParameterName, 'API key for an HTTP target [env: LOGHUB_API_KEY]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: LOGHUB_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR turns it off under auto)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'loghub;config;help' {
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print where the config file is looked for (--config, LOGHUB_CONFIG, else the default)')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a commented starter config file there (never over an existing one)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'loghub;config;help;path' {
            break
        }
        'loghub;config;help;init' {
            break
        }
        'loghub;config;help;help' {
            break
        }
        'loghub;clickhouse' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--api-key', '--api-key', [CompletionResultType]::ParameterName, 'API key for an HTTP target [env: LOGHUB_API_KEY]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: LOGHUB_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR turns it off under auto)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create the database and table of the target (`--to clickhouse://…`) if missing')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'loghub;clickhouse;init' {
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'Create them ON CLUSTER: ReplicatedMergeTree shards behind a Distributed table')
            [CompletionResult]::new('--retention', '--retention', [CompletionResultType]::ParameterName, 'Give the table a TTL: ClickHouse deletes rows older than this as it merges (19.6+)')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--api-key', '--api-key', [CompletionResultType]::ParameterName, 'API key for an HTTP target [env: LOGHUB_API_KEY]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: LOGHUB_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR turns it off under auto)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'loghub;clickhouse;help' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create the database and table of the target (`--to clickhouse://…`) if missing')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'loghub;clickhouse;help;init' {
            break
        }
        'loghub;clickhouse;help;help' {
            break
        }
        'loghub;generate-docs' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--api-key', '--api-key', [CompletionResultType]::ParameterName, 'API key for an HTTP target [env: LOGHUB_API_KEY]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: LOGHUB_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR turns it off under auto)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'loghub;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store: local:PATH or a path (default: the embedded store''s default path)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Another API key, repeatable: `KEY` or `full:KEY` for full access, `write:KEY` for ingest only (the global --api-key is a full key too) [env: LOGHUB_SERVER_API_KEYS, comma separated]')
            [CompletionResult]::new('--keys-file', '--keys-file', [CompletionResultType]::ParameterName, 'File with one key per line (`full:KEY` or `write:KEY`)')
            [CompletionResult]::new('--retention', '--retention', [CompletionResultType]::ParameterName, 'Delete records older than this, by their time (default: keep everything). On ClickHouse it becomes the table''s TTL')
            [CompletionResult]::new('--max-store-size', '--max-store-size', [CompletionResultType]::ParameterName, 'Keep the store under this size, oldest records first (embedded store only)')
            [CompletionResult]::new('--max-body', '--max-body', [CompletionResultType]::ParameterName, 'Largest request body, before and after decompression')
            [CompletionResult]::new('--max-streams', '--max-streams', [CompletionResultType]::ParameterName, 'Most concurrent live-tail streams')
            [CompletionResult]::new('--rate-limit', '--rate-limit', [CompletionResultType]::ParameterName, 'Requests per second per API key (0 = no limit)')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR turns it off under auto)')
            [CompletionResult]::new('--api-key', '--api-key', [CompletionResultType]::ParameterName, 'API key for an HTTP target [env: LOGHUB_API_KEY]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: LOGHUB_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No summary or progress on stderr; errors still print')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'loghub;help' {
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Ship logs from stdin or files: parse, enrich, batch, deliver, spool on failure')
            [CompletionResult]::new('query', 'query', [CompletionResultType]::ParameterValue, 'Search logs, newest first (terms: key=value, bare words are full text)')
            [CompletionResult]::new('patterns', 'patterns', [CompletionResultType]::ParameterValue, 'The log''s message templates, most frequent first, with a trend (SPEC §10)')
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Aggregate counts by time bucket and level, top services and top errors')
            [CompletionResult]::new('trace', 'trace', [CompletionResultType]::ParameterValue, 'Show one request across services, oldest first, with offsets')
            [CompletionResult]::new('tail', 'tail', [CompletionResultType]::ParameterValue, 'Follow new matching records as they arrive. Over HTTP a server that is not there (yet) is waited for, with backoff and a line on stderr at most every 5 s saying why; a refusal (401, 403, 404) exits 1 with the reason')
            [CompletionResult]::new('dlq', 'dlq', [CompletionResultType]::ParameterValue, 'Inspect and replay the dead-letter queue of batches that were not delivered')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Print the resolved configuration (secrets masked); `config path`, `config init`')
            [CompletionResult]::new('clickhouse', 'clickhouse', [CompletionResultType]::ParameterValue, 'Manage a ClickHouse target (create its schema)')
            [CompletionResult]::new('generate-docs', 'generate-docs', [CompletionResultType]::ParameterValue, 'Write shell completions and man pages (for packaging)')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the loghub HTTP server on the embedded store')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'loghub;help;send' {
            break
        }
        'loghub;help;query' {
            break
        }
        'loghub;help;patterns' {
            break
        }
        'loghub;help;stats' {
            break
        }
        'loghub;help;trace' {
            break
        }
        'loghub;help;tail' {
            break
        }
        'loghub;help;dlq' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List spooled batches: file, target, records, age, attempts, last error')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the records of one spooled file as NDJSON')
            [CompletionResult]::new('replay', 'replay', [CompletionResultType]::ParameterValue, 'Re-send spooled batches, oldest first; exit 0 when empty, 3 when files remain')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Delete spooled batches: those older than --older-than, or --all')
            break
        }
        'loghub;help;dlq;list' {
            break
        }
        'loghub;help;dlq;show' {
            break
        }
        'loghub;help;dlq;replay' {
            break
        }
        'loghub;help;dlq;purge' {
            break
        }
        'loghub;help;config' {
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print where the config file is looked for (--config, LOGHUB_CONFIG, else the default)')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a commented starter config file there (never over an existing one)')
            break
        }
        'loghub;help;config;path' {
            break
        }
        'loghub;help;config;init' {
            break
        }
        'loghub;help;clickhouse' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create the database and table of the target (`--to clickhouse://…`) if missing')
            break
        }
        'loghub;help;clickhouse;init' {
            break
        }
        'loghub;help;generate-docs' {
            break
        }
        'loghub;help;serve' {
            break
        }
        'loghub;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}

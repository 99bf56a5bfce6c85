
use builtin;
use str;

set edit:completion:arg-completer[loghub] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'loghub'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'loghub'= {
            cand --to 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --url 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --api-key 'API key for an HTTP target [env: LOGHUB_API_KEY]'
            cand --profile 'Profile of the config file to use [env: LOGHUB_PROFILE]'
            cand --config 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]'
            cand --color 'When to colour output (NO_COLOR turns it off under auto)'
            cand -v 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand --verbose 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand -q 'No summary or progress on stderr; errors still print'
            cand --quiet 'No summary or progress on stderr; errors still print'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand send 'Ship logs from stdin or files: parse, enrich, batch, deliver, spool on failure'
            cand query 'Search logs, newest first (terms: key=value, bare words are full text)'
            cand patterns 'The log''s message templates, most frequent first, with a trend (SPEC §10)'
            cand stats 'Aggregate counts by time bucket and level, top services and top errors'
            cand trace 'Show one request across services, oldest first, with offsets'
            cand tail 'Follow new matching records as they arrive. Over HTTP a server that is not there (yet) is waited for, with backoff and a line on stderr at most every 5 s saying why; a refusal (401, 403, 404) exits 1 with the reason'
            cand dlq 'Inspect and replay the dead-letter queue of batches that were not delivered'
            cand config 'Print the resolved configuration (secrets masked); `config path`, `config init`'
            cand clickhouse 'Manage a ClickHouse target (create its schema)'
            cand generate-docs 'Write shell completions and man pages (for packaging)'
            cand serve 'Run the loghub HTTP server on the embedded store'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'loghub;send'= {
            cand --format 'How to parse each line (auto decides per line)'
            cand --multiline 'Join continuation lines (stack traces): auto, none, or a REGEX that matches start lines'
            cand --timezone 'Zone for timestamps without one: local, UTC, or a name like Europe/Paris'
            cand --service 'Service name of the records (1–100 chars) [env: LOGHUB_SERVICE]'
            cand --env 'Environment, stored as metadata.environment [env: LOGHUB_ENV]'
            cand --tag 'Extra metadata, repeatable: --tag region=eu --tag team=pay'
            cand --trace-id 'Trace id for every record (default: from TRACEPARENT)'
            cand --host 'Host name (default: this machine''s)'
            cand --level 'Level of lines that name none'
            cand --min-level 'Drop records below this level (counted)'
            cand --redact 'Metadata key to mask at any depth, repeatable (adds to the default list)'
            cand --redact-pattern 'Regex whose matches in messages are masked, repeatable (adds to the built-ins)'
            cand --max-line-bytes 'Longer lines are truncated and marked metadata._truncated'
            cand --batch-size 'Records per batch'
            cand --batch-bytes 'Uncompressed bytes per batch'
            cand --flush-interval 'Close a batch after this long'
            cand --compression 'Body compression for HTTP targets'
            cand --concurrency 'Requests in flight (retries count inside it)'
            cand --max-retries 'Retries per batch before it is spooled'
            cand --timeout 'Timeout of one request'
            cand --breaker-threshold 'Consecutive failed requests that open the circuit breaker'
            cand --breaker-reset 'How long the breaker stays open before one probe request'
            cand --max-buffer 'Records that may wait in memory'
            cand --on-full 'What to do when the buffer is full [default: spill: to the spool while the target fails; a slow but healthy target is waited for]'
            cand --drain-timeout 'At the end, wait this long for deliveries before spooling the rest'
            cand --dlq-dir 'Dead-letter queue directory [env: LOGHUB_DLQ_DIR]'
            cand --stats-json 'Write the end-of-run summary as JSON to this file'
            cand --start-at 'Where files found at start without a checkpoint are read from (files that appear later are read from their beginning)'
            cand --state-dir 'Checkpoint directory (default: <data dir>/loghub/follow; one subdirectory per target)'
            cand --max-open-files 'Open file handles kept at most; idle files beyond are opened again when they grow'
            cand --to 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --url 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --api-key 'API key for an HTTP target [env: LOGHUB_API_KEY]'
            cand --profile 'Profile of the config file to use [env: LOGHUB_PROFILE]'
            cand --config 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]'
            cand --color 'When to colour output (NO_COLOR turns it off under auto)'
            cand --no-default-redact 'Turn off the default redaction list and built-in patterns'
            cand --tee 'Copy every input line to stdout unchanged'
            cand --durable 'Spool every record to disk as it is read; it leaves the spool only when acknowledged'
            cand -F 'Keep following the FILEs (paths, or quoted globs expanded by loghub) as they grow, appear and rotate, until SIGINT/SIGTERM; checkpoints move only past delivered or spooled records'
            cand --follow 'Keep following the FILEs (paths, or quoted globs expanded by loghub) as they grow, appear and rotate, until SIGINT/SIGTERM; checkpoints move only past delivered or spooled records'
            cand --poll 'Look for changes every second instead of using inotify'
            cand -v 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand --verbose 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand -q 'No summary or progress on stderr; errors still print'
            cand --quiet 'No summary or progress on stderr; errors still print'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'loghub;query'= {
            cand --level 'Level filter: error, a list warn,error, or >=warn'
            cand --service 'Service filter (comma list)'
            cand --host 'Host filter (comma list)'
            cand --since 'From this time: 15m, 2h, 7d, "2 hours ago", -1h, today, yesterday, or a time'
            cand --until 'Up to this time (the same forms)'
            cand --text 'Full-text search (the term form is q=TEXT)'
            cand -n 'How many records in all (0 = all) [default: 100]. Above 1000 the target sends one stream, written out as it arrives, in bounded memory'
            cand --limit 'How many records in all (0 = all) [default: 100]. Above 1000 the target sends one stream, written out as it arrives, in bounded memory'
            cand -o 'Output format (default: table on a terminal, ndjson when piped)'
            cand --output 'Output format (default: table on a terminal, ndjson when piped)'
            cand --to 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --url 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --api-key 'API key for an HTTP target [env: LOGHUB_API_KEY]'
            cand --profile 'Profile of the config file to use [env: LOGHUB_PROFILE]'
            cand --config 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]'
            cand --color 'When to colour output (NO_COLOR turns it off under auto)'
            cand -r 'Oldest first (the newest N records, in the order they happened)'
            cand --reverse 'Oldest first (the newest N records, in the order they happened)'
            cand --no-pager 'Do not page the output on a terminal ($PAGER, else `less -FRX`)'
            cand -v 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand --verbose 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand -q 'No summary or progress on stderr; errors still print'
            cand --quiet 'No summary or progress on stderr; errors still print'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'loghub;patterns'= {
            cand --level 'Level filter: error, a list warn,error, or >=warn'
            cand --service 'Service filter (comma list)'
            cand --host 'Host filter (comma list)'
            cand --since 'From this time: 15m, 2h, 7d, "2 hours ago", -1h, today, yesterday, or a time'
            cand --until 'Up to this time (the same forms)'
            cand --text 'Full-text search (the term form is q=TEXT)'
            cand --limit 'How many templates to show (0 = all)'
            cand -o 'Output format: table (default on a terminal), json (one array) or ndjson'
            cand --output 'Output format: table (default on a terminal), json (one array) or ndjson'
            cand --to 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --url 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --api-key 'API key for an HTTP target [env: LOGHUB_API_KEY]'
            cand --profile 'Profile of the config file to use [env: LOGHUB_PROFILE]'
            cand --config 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]'
            cand --color 'When to colour output (NO_COLOR turns it off under auto)'
            cand -v 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand --verbose 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand -q 'No summary or progress on stderr; errors still print'
            cand --quiet 'No summary or progress on stderr; errors still print'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'loghub;stats'= {
            cand --level 'Level filter: error, a list warn,error, or >=warn'
            cand --service 'Service filter (comma list)'
            cand --host 'Host filter (comma list)'
            cand --since 'From this time: 15m, 2h, 7d, "2 hours ago", -1h, today, yesterday, or a time'
            cand --until 'Up to this time (the same forms)'
            cand --text 'Full-text search (the term form is q=TEXT)'
            cand --interval 'Bucket width: 1m, 5m, 1h, 1d … (default: chosen from the range)'
            cand --by 'What the columns of the bucket table count'
            cand --top 'How many top services and top errors to show'
            cand -o 'Output format: table, json (pretty) or ndjson (one line) [default: table on a terminal, json when piped]'
            cand --output 'Output format: table, json (pretty) or ndjson (one line) [default: table on a terminal, json when piped]'
            cand --to 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --url 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --api-key 'API key for an HTTP target [env: LOGHUB_API_KEY]'
            cand --profile 'Profile of the config file to use [env: LOGHUB_PROFILE]'
            cand --config 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]'
            cand --color 'When to colour output (NO_COLOR turns it off under auto)'
            cand -v 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand --verbose 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand -q 'No summary or progress on stderr; errors still print'
            cand --quiet 'No summary or progress on stderr; errors still print'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'loghub;trace'= {
            cand -o 'Output format (default: table on a terminal, ndjson when piped)'
            cand --output 'Output format (default: table on a terminal, ndjson when piped)'
            cand --to 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --url 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --api-key 'API key for an HTTP target [env: LOGHUB_API_KEY]'
            cand --profile 'Profile of the config file to use [env: LOGHUB_PROFILE]'
            cand --config 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]'
            cand --color 'When to colour output (NO_COLOR turns it off under auto)'
            cand -v 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand --verbose 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand -q 'No summary or progress on stderr; errors still print'
            cand --quiet 'No summary or progress on stderr; errors still print'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'loghub;tail'= {
            cand --level 'Level filter: error, a list warn,error, or >=warn'
            cand --service 'Service filter (comma list)'
            cand --host 'Host filter (comma list)'
            cand --since 'From this time: 15m, 2h, 7d, "2 hours ago", -1h, today, yesterday, or a time'
            cand --until 'Up to this time (the same forms)'
            cand --text 'Full-text search (the term form is q=TEXT)'
            cand --count 'Exit after this many records'
            cand -o 'Output format (default: raw lines on a terminal, ndjson when piped)'
            cand --output 'Output format (default: raw lines on a terminal, ndjson when piped)'
            cand --to 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --url 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --api-key 'API key for an HTTP target [env: LOGHUB_API_KEY]'
            cand --profile 'Profile of the config file to use [env: LOGHUB_PROFILE]'
            cand --config 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]'
            cand --color 'When to colour output (NO_COLOR turns it off under auto)'
            cand -v 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand --verbose 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand -q 'No summary or progress on stderr; errors still print'
            cand --quiet 'No summary or progress on stderr; errors still print'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'loghub;dlq'= {
            cand --dlq-dir 'Dead-letter queue directory [env: LOGHUB_DLQ_DIR]'
            cand --to 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --url 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --api-key 'API key for an HTTP target [env: LOGHUB_API_KEY]'
            cand --profile 'Profile of the config file to use [env: LOGHUB_PROFILE]'
            cand --config 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]'
            cand --color 'When to colour output (NO_COLOR turns it off under auto)'
            cand -v 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand --verbose 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand -q 'No summary or progress on stderr; errors still print'
            cand --quiet 'No summary or progress on stderr; errors still print'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'List spooled batches: file, target, records, age, attempts, last error'
            cand show 'Print the records of one spooled file as NDJSON'
            cand replay 'Re-send spooled batches, oldest first; exit 0 when empty, 3 when files remain'
            cand purge 'Delete spooled batches: those older than --older-than, or --all'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'loghub;dlq;list'= {
            cand -o 'o'
            cand --output 'output'
            cand --dlq-dir 'Dead-letter queue directory [env: LOGHUB_DLQ_DIR]'
            cand --to 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --url 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --api-key 'API key for an HTTP target [env: LOGHUB_API_KEY]'
            cand --profile 'Profile of the config file to use [env: LOGHUB_PROFILE]'
            cand --config 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]'
            cand --color 'When to colour output (NO_COLOR turns it off under auto)'
            cand -v 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand --verbose 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand -q 'No summary or progress on stderr; errors still print'
            cand --quiet 'No summary or progress on stderr; errors still print'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'loghub;dlq;show'= {
            cand --dlq-dir 'Dead-letter queue directory [env: LOGHUB_DLQ_DIR]'
            cand --to 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --url 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --api-key 'API key for an HTTP target [env: LOGHUB_API_KEY]'
            cand --profile 'Profile of the config file to use [env: LOGHUB_PROFILE]'
            cand --config 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]'
            cand --color 'When to colour output (NO_COLOR turns it off under auto)'
            cand -v 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand --verbose 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand -q 'No summary or progress on stderr; errors still print'
            cand --quiet 'No summary or progress on stderr; errors still print'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'loghub;dlq;replay'= {
            cand --all-to 'Replay towards this target instead of each file''s own'
            cand --timeout 'Timeout of one request (default: the config''s `timeout`, else 30s)'
            cand --max-retries 'Retries per batch before its file is kept for the next replay (default: the config''s `max_retries`, else 8)'
            cand --dlq-dir 'Dead-letter queue directory [env: LOGHUB_DLQ_DIR]'
            cand --to 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --url 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --api-key 'API key for an HTTP target [env: LOGHUB_API_KEY]'
            cand --profile 'Profile of the config file to use [env: LOGHUB_PROFILE]'
            cand --config 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]'
            cand --color 'When to colour output (NO_COLOR turns it off under auto)'
            cand --wait 'Wait for another replay to finish instead of exiting'
            cand -v 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand --verbose 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand -q 'No summary or progress on stderr; errors still print'
            cand --quiet 'No summary or progress on stderr; errors still print'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'loghub;dlq;purge'= {
            cand --older-than 'Only files older than this (7d, 12h …)'
            cand --dlq-dir 'Dead-letter queue directory [env: LOGHUB_DLQ_DIR]'
            cand --to 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --url 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --api-key 'API key for an HTTP target [env: LOGHUB_API_KEY]'
            cand --profile 'Profile of the config file to use [env: LOGHUB_PROFILE]'
            cand --config 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]'
            cand --color 'When to colour output (NO_COLOR turns it off under auto)'
            cand --all 'Every file, also in rejected/ and corrupt/ (with --older-than: only the older ones there too)'
            cand --dry-run 'Say what would be deleted, delete nothing'
            cand -v 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand --verbose 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand -q 'No summary or progress on stderr; errors still print'
            cand --quiet 'No summary or progress on stderr; errors still print'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'loghub;dlq;help'= {
            cand list 'List spooled batches: file, target, records, age, attempts, last error'
            cand show 'Print the records of one spooled file as NDJSON'
            cand replay 'Re-send spooled batches, oldest first; exit 0 when empty, 3 when files remain'
            cand purge 'Delete spooled batches: those older than --older-than, or --all'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'loghub;dlq;help;list'= {
        }
        &'loghub;dlq;help;show'= {
        }
        &'loghub;dlq;help;replay'= {
        }
        &'loghub;dlq;help;purge'= {
        }
        &'loghub;dlq;help;help'= {
        }
        &'loghub;config'= {
            cand --to 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --url 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --api-key 'API key for an HTTP target [env: LOGHUB_API_KEY]'
            cand --profile 'Profile of the config file to use [env: LOGHUB_PROFILE]'
            cand --config 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]'
            cand --color 'When to colour output (NO_COLOR turns it off under auto)'
            cand --json 'Print as JSON'
            cand -v 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand --verbose 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand -q 'No summary or progress on stderr; errors still print'
            cand --quiet 'No summary or progress on stderr; errors still print'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand path 'Print where the config file is looked for (--config, LOGHUB_CONFIG, else the default)'
            cand init 'Write a commented starter config file there (never over an existing one)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'loghub;config;path'= {
            cand --to 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --url 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --api-key 'API key for an HTTP target [env: LOGHUB_API_KEY]'
            cand --profile 'Profile of the config file to use [env: LOGHUB_PROFILE]'
            cand --config 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]'
            cand --color 'When to colour output (NO_COLOR turns it off under auto)'
            cand -v 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand --verbose 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand -q 'No summary or progress on stderr; errors still print'
            cand --quiet 'No summary or progress on stderr; errors still print'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'loghub;config;init'= {
            cand --to 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --url 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --api-key 'API key for an HTTP target [env: LOGHUB_API_KEY]'
            cand --profile 'Profile of the config file to use [env: LOGHUB_PROFILE]'
            cand --config 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]'
            cand --color 'When to colour output (NO_COLOR turns it off under auto)'
            cand -v 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand --verbose 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand -q 'No summary or progress on stderr; errors still print'
            cand --quiet 'No summary or progress on stderr; errors still print'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'loghub;config;help'= {
            cand path 'Print where the config file is looked for (--config, LOGHUB_CONFIG, else the default)'
            cand init 'Write a commented starter config file there (never over an existing one)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'loghub;config;help;path'= {
        }
        &'loghub;config;help;init'= {
        }
        &'loghub;config;help;help'= {
        }
        &'loghub;clickhouse'= {
            cand --to 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --url 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --api-key 'API key for an HTTP target [env: LOGHUB_API_KEY]'
            cand --profile 'Profile of the config file to use [env: LOGHUB_PROFILE]'
            cand --config 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]'
            cand --color 'When to colour output (NO_COLOR turns it off under auto)'
            cand -v 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand --verbose 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand -q 'No summary or progress on stderr; errors still print'
            cand --quiet 'No summary or progress on stderr; errors still print'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand init 'Create the database and table of the target (`--to clickhouse://…`) if missing'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'loghub;clickhouse;init'= {
            cand --cluster 'Create them ON CLUSTER: ReplicatedMergeTree shards behind a Distributed table'
            cand --retention 'Give the table a TTL: ClickHouse deletes rows older than this as it merges (19.6+)'
            cand --to 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --url 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --api-key 'API key for an HTTP target [env: LOGHUB_API_KEY]'
            cand --profile 'Profile of the config file to use [env: LOGHUB_PROFILE]'
            cand --config 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]'
            cand --color 'When to colour output (NO_COLOR turns it off under auto)'
            cand -v 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand --verbose 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand -q 'No summary or progress on stderr; errors still print'
            cand --quiet 'No summary or progress on stderr; errors still print'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'loghub;clickhouse;help'= {
            cand init 'Create the database and table of the target (`--to clickhouse://…`) if missing'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'loghub;clickhouse;help;init'= {
        }
        &'loghub;clickhouse;help;help'= {
        }
        &'loghub;generate-docs'= {
            cand --to 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --url 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --api-key 'API key for an HTTP target [env: LOGHUB_API_KEY]'
            cand --profile 'Profile of the config file to use [env: LOGHUB_PROFILE]'
            cand --config 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]'
            cand --color 'When to colour output (NO_COLOR turns it off under auto)'
            cand -v 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand --verbose 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand -q 'No summary or progress on stderr; errors still print'
            cand --quiet 'No summary or progress on stderr; errors still print'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'loghub;serve'= {
            cand --listen 'Address to listen on'
            cand --store 'Store: local:PATH or a path (default: the embedded store''s default path)'
            cand --key 'Another API key, repeatable: `KEY` or `full:KEY` for full access, `write:KEY` for ingest only (the global --api-key is a full key too) [env: LOGHUB_SERVER_API_KEYS, comma separated]'
            cand --keys-file 'File with one key per line (`full:KEY` or `write:KEY`)'
            cand --retention 'Delete records older than this, by their time (default: keep everything). On ClickHouse it becomes the table''s TTL'
            cand --max-store-size 'Keep the store under this size, oldest records first (embedded store only)'
            cand --max-body 'Largest request body, before and after decompression'
            cand --max-streams 'Most concurrent live-tail streams'
            cand --rate-limit 'Requests per second per API key (0 = no limit)'
            cand --to 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --url 'Target: local, local:PATH, -, http(s)://HOST:PORT, clickhouse://USER@HOST:8123/DB [env: LOGHUB_URL]'
            cand --color 'When to colour output (NO_COLOR turns it off under auto)'
            cand --api-key 'API key for an HTTP target [env: LOGHUB_API_KEY]'
            cand --profile 'Profile of the config file to use [env: LOGHUB_PROFILE]'
            cand --config 'Config file (default: <config dir>/loghub/config.toml) [env: LOGHUB_CONFIG]'
            cand -v 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand --verbose 'More diagnostics on stderr (-v info, -vv debug); RUST_LOG also works'
            cand -q 'No summary or progress on stderr; errors still print'
            cand --quiet 'No summary or progress on stderr; errors still print'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'loghub;help'= {
            cand send 'Ship logs from stdin or files: parse, enrich, batch, deliver, spool on failure'
            cand query 'Search logs, newest first (terms: key=value, bare words are full text)'
            cand patterns 'The log''s message templates, most frequent first, with a trend (SPEC §10)'
            cand stats 'Aggregate counts by time bucket and level, top services and top errors'
            cand trace 'Show one request across services, oldest first, with offsets'
            cand tail 'Follow new matching records as they arrive. Over HTTP a server that is not there (yet) is waited for, with backoff and a line on stderr at most every 5 s saying why; a refusal (401, 403, 404) exits 1 with the reason'
            cand dlq 'Inspect and replay the dead-letter queue of batches that were not delivered'
            cand config 'Print the resolved configuration (secrets masked); `config path`, `config init`'
            cand clickhouse 'Manage a ClickHouse target (create its schema)'
            cand generate-docs 'Write shell completions and man pages (for packaging)'
            cand serve 'Run the loghub HTTP server on the embedded store'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'loghub;help;send'= {
        }
        &'loghub;help;query'= {
        }
        &'loghub;help;patterns'= {
        }
        &'loghub;help;stats'= {
        }
        &'loghub;help;trace'= {
        }
        &'loghub;help;tail'= {
        }
        &'loghub;help;dlq'= {
            cand list 'List spooled batches: file, target, records, age, attempts, last error'
            cand show 'Print the records of one spooled file as NDJSON'
            cand replay 'Re-send spooled batches, oldest first; exit 0 when empty, 3 when files remain'
            cand purge 'Delete spooled batches: those older than --older-than, or --all'
        }
        &'loghub;help;dlq;list'= {
        }
        &'loghub;help;dlq;show'= {
        }
        &'loghub;help;dlq;replay'= {
        }
        &'loghub;help;dlq;purge'= {
        }
        &'loghub;help;config'= {
            cand path 'Print where the config file is looked for (--config, LOGHUB_CONFIG, else the default)'
            cand init 'Write a commented starter config file there (never over an existing one)'
        }
        &'loghub;help;config;path'= {
        }
        &'loghub;help;config;init'= {
        }
        &'loghub;help;clickhouse'= {
            cand init 'Create the database and table of the target (`--to clickhouse://…`) if missing'
        }
        &'loghub;help;clickhouse;init'= {
        }
        &'loghub;help;generate-docs'= {
        }
        &'loghub;help;serve'= {
        }
        &'loghub;help;help'= {
        }
    ]
    $completions[$command]
}

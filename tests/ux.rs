//! What a newcomer trips on (issue 16), checked as they would see it from a
//! shell: messages, exit codes, flags that journalctl, logcli and ripgrep
//! users expect. Terminal rendering itself is in `terminal.rs`.

mod common;

use common::{Sandbox, assert_code, ndjson, stderr, stdout};

fn send(sb: &Sandbox, args: &[&str], input: &str) {
    let mut all = vec!["send"];
    all.extend_from_slice(args);
    assert_code(&sb.run(&all, input.as_bytes()), 0);
}

#[test]
fn reading_commands_never_create_a_store() {
    let sb = Sandbox::new();
    let typo = sb.path().join("typo/store.db");
    let to = format!("local:{}", typo.display());
    for cmd in [
        vec!["query"],
        vec!["stats"],
        vec!["trace", "4bf92f3577b34da6"],
        vec!["tail", "--count", "1"],
    ] {
        let mut args = cmd.clone();
        args.extend(["--to", &to]);
        let o = sb.run(&args, b"");
        assert_code(&o, 1);
        assert!(
            stderr(&o).contains(&format!("there is no store at {}", typo.display())),
            "{cmd:?}: {}",
            stderr(&o)
        );
        assert!(
            !typo.parent().unwrap().exists(),
            "{cmd:?} created the directory"
        );
    }
}

#[test]
fn reverse_and_n_show_the_newest_records_oldest_first() {
    let sb = Sandbox::new();
    let input: String = (0..5)
        .map(|i| format!("2026-12-07T10:00:0{i}Z INFO step {i}\n"))
        .collect();
    send(&sb, &[], &input);
    let o = sb.run(&["query", "-n", "3", "--since", "30000d"], b"");
    let newest: Vec<String> = ndjson(&o)
        .iter()
        .map(|r| r["message"].to_string())
        .collect();
    assert_eq!(newest.len(), 3);
    assert!(newest[0].contains("step 4"), "{newest:?}");
    let o = sb.run(&["query", "-n", "3", "--reverse", "--since", "30000d"], b"");
    let msgs: Vec<String> = ndjson(&o)
        .iter()
        .map(|r| r["message"].to_string())
        .collect();
    let mut expected = newest.clone();
    expected.reverse();
    assert_eq!(msgs, expected);
    // Piped output is data: no footer, no pager.
    assert!(!stdout(&o).contains("more with --limit"));
    let o = sb.run(&["query", "--reverse", "--limit", "0"], b"");
    assert_code(&o, 2);
}

#[test]
fn cli_json_output_uses_snake_case_ids() {
    let sb = Sandbox::new();
    send(
        &sb,
        &[],
        r#"{"message":"m","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7"}"#,
    );
    for args in [
        vec!["query", "--output", "ndjson"],
        vec![
            "trace",
            "4bf92f3577b34da6a3ce929d0e0e4736",
            "--output",
            "ndjson",
        ],
    ] {
        let o = sb.run(&args, b"");
        assert_code(&o, 0);
        let r = &ndjson(&o)[0];
        assert_eq!(
            r["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736",
            "{args:?}: {r}"
        );
        assert_eq!(r["span_id"], "00f067aa0ba902b7");
        assert!(r.get("traceId").is_none(), "{r}");
    }
    let o = sb.run(&["query", "--output", "json"], b"");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
}

#[test]
fn a_host_and_port_without_scheme_is_a_usage_error_with_the_url_meant() {
    let sb = Sandbox::new();
    let o = sb.run(&["query", "--to", "localhost:8431"], b"");
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("did you mean http://localhost:8431?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn dlq_purge_needs_all_or_older_than_and_dry_run_deletes_nothing() {
    let sb = Sandbox::new();
    let o = sb.run(
        &[
            "send",
            "--to",
            "http://127.0.0.1:9",
            "--max-retries",
            "0",
            "--drain-timeout",
            "0s",
            "-q",
        ],
        b"one\ntwo\n",
    );
    assert_code(&o, 3);
    let files = || {
        std::fs::read_dir(sb.dlq())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "gz")
            })
            .count()
    };
    assert_eq!(files(), 1);
    let o = sb.run(&["dlq", "purge"], b"");
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("--older-than") && stderr(&o).contains("--all"),
        "{}",
        stderr(&o)
    );
    assert_eq!(files(), 1);
    let o = sb.run(&["dlq", "purge", "--all", "--dry-run"], b"");
    assert_code(&o, 0);
    assert!(
        stdout(&o).contains(".ndjson.gz"),
        "lists the file: {}",
        stdout(&o)
    );
    assert!(
        stderr(&o).contains("would purge 1 file (2 records)"),
        "{}",
        stderr(&o)
    );
    assert_eq!(files(), 1);
    let o = sb.run(&["dlq", "purge", "--all"], b"");
    assert_code(&o, 0);
    assert!(
        stderr(&o).contains("purged 1 file (2 records)"),
        "{}",
        stderr(&o)
    );
    assert_eq!(files(), 0);
}

#[test]
fn since_takes_the_words_journalctl_users_type() {
    let sb = Sandbox::new();
    let now = chrono::Utc::now();
    let old = (now - chrono::Duration::hours(5)).to_rfc3339();
    let recent = (now - chrono::Duration::minutes(30)).to_rfc3339();
    send(
        &sb,
        &[],
        &format!(
            "{{\"time\":\"{old}\",\"message\":\"old\"}}\n{{\"time\":\"{recent}\",\"message\":\"recent\"}}\n"
        ),
    );
    for since in ["2 hours ago", "-2h", "-1h"] {
        let o = sb.run(&["query", "--since", since], b"");
        assert_code(&o, 0);
        let msgs: Vec<_> = ndjson(&o).iter().map(|r| r["message"].clone()).collect();
        assert_eq!(msgs, vec!["recent"], "--since {since}");
    }
    let o = sb.run(&["query", "since=yesterday"], b"");
    assert_code(&o, 0);
    assert_eq!(ndjson(&o).len(), 2);
    let o = sb.run(&["query", "--since", "today", "--until", "tomorrow"], b"");
    assert_code(&o, 0);
    assert!(!ndjson(&o).is_empty());
}

#[test]
fn key_value_pairs_in_text_lines_are_metadata_and_the_message_is_unchanged() {
    let sb = Sandbox::new();
    let line = "2026-12-07 10:00:00,001 ERROR payment timeout order=17 user_id=42";
    send(&sb, &[], &format!("{line}\nERROR other order=18\n"));
    let o = sb.run(&["query", "order=17", "--since", "30000d"], b"");
    assert_code(&o, 0);
    let r = ndjson(&o);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["message"], line);
    assert_eq!(r[0]["metadata"]["user_id"], 42);
}

#[test]
fn logfmt_numbers_and_booleans_are_typed_as_in_json() {
    let sb = Sandbox::new();
    let o = sb.run(
        &["send", "--to", "-"],
        b"level=info msg=done duration_ms=2279 ok=true ratio=0.25 id=007 name=\"42\"\n\
          {\"level\":\"info\",\"msg\":\"done\",\"duration_ms\":2279,\"ok\":true}\n",
    );
    assert_code(&o, 0);
    let r = ndjson(&o);
    for rec in &r {
        assert_eq!(rec["metadata"]["duration_ms"], 2279, "{rec}");
        assert_eq!(rec["metadata"]["ok"], true, "{rec}");
    }
    assert_eq!(r[0]["metadata"]["ratio"], 0.25);
    assert_eq!(r[0]["metadata"]["id"], "007");
    assert_eq!(r[0]["metadata"]["name"], "42");
}

#[test]
fn loghubs_own_record_form_round_trips_through_send() {
    let sb = Sandbox::new();
    let input = "{\"message\":\"m\",\"level\":\"warn\",\"service\":\"api\",\"user\":{\"id\":7},\"n\":1,\"trace_id\":\"t1\"}\n";
    let first = sb.run(&["send", "--to", "-"], input.as_bytes());
    assert_code(&first, 0);
    let second = sb.run(&["send", "--to", "-"], &first.stdout);
    assert_code(&second, 0);
    assert_eq!(ndjson(&first), ndjson(&second));
    assert_eq!(ndjson(&second)[0]["metadata"]["user"]["id"], 7);
    // query's output (with the store's id) goes back in as the same record.
    send(&sb, &[], input);
    let q = sb.run(&["query", "--output", "ndjson"], b"");
    let again = sb.run(&["send", "--to", "-"], &q.stdout);
    let r = &ndjson(&again)[0];
    assert_eq!(r["metadata"], ndjson(&first)[0]["metadata"], "{r}");
}

#[test]
fn the_release_build_is_lean_and_a_profiling_profile_keeps_debug_info() {
    let manifest: toml::Table =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
            .unwrap()
            .parse()
            .unwrap();
    let profiles = manifest["profile"].as_table().unwrap();
    let release = profiles["release"].as_table().unwrap();
    assert!(
        release
            .get("debug")
            .is_none_or(|d| d.as_bool() == Some(false) || d.as_integer() == Some(0)),
        "release carries debug info: {release:?}"
    );
    assert_eq!(
        release.get("strip").and_then(|s| s.as_str()),
        Some("symbols")
    );
    let profiling = profiles["profiling"].as_table().unwrap();
    assert_eq!(profiling["inherits"].as_str(), Some("release"));
    assert!(profiling.contains_key("debug"));
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(
        readme.contains("share/man/man1"),
        "README says where man pages go"
    );
    assert!(
        readme.contains("bash-completion/completions"),
        "README says where completions go"
    );
}

#[test]
fn stats_prints_the_formats_it_accepts_and_refuses_the_others() {
    let sb = Sandbox::new();
    send(&sb, &[], "ERROR a\nINFO b\n");
    let o = sb.run(&["stats", "--output", "ndjson"], b"");
    assert_code(&o, 0);
    let text = stdout(&o);
    assert_eq!(text.lines().count(), 1, "one line: {text}");
    let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(v["total"], 2);
    let o = sb.run(&["stats", "--output", "raw"], b"");
    assert_code(&o, 2);
}

#[test]
fn connection_errors_name_the_target_once_with_a_hint() {
    let sb = Sandbox::new();
    let o = sb.run(&["query", "--to", "http://127.0.0.1:9"], b"");
    assert_code(&o, 1);
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert_eq!(
        lines[0],
        "loghub: error: querying http://127.0.0.1:9: connection refused"
    );
    assert_eq!(lines[1], "hint: is `loghub serve` running there?");
    // https:// against a server speaking plain HTTP says so.
    let server = common::Server::start(&sb, sb.store(), &[]);
    let tls = server.base.replacen("http://", "https://", 1);
    let o = sb.run(&["query", "--to", &tls], b"");
    assert_code(&o, 1);
    let err = stderr(&o);
    assert!(err.contains("does not speak TLS"), "{err}");
    assert!(err.contains(&format!("use --to {}", server.base)), "{err}");
}

#[test]
fn help_names_text_for_full_text_and_serve_lists_only_what_it_uses() {
    let sb = Sandbox::new();
    let o = sb.run(&["query", "--help"], b"");
    let help = stdout(&o);
    assert!(help.contains("--text <TEXT>"), "{help}");
    assert!(!help.contains("--q "), "{help}");
    let o = sb.run(&["serve", "--help"], b"");
    let help = stdout(&o);
    assert!(
        help.contains("--store") && help.contains("--api-key"),
        "{help}"
    );
    assert!(
        !help.contains("--to ") && !help.contains("--color"),
        "{help}"
    );
    // The old spelling still works.
    send(&sb, &[], "ERROR disk full\nINFO fine\n");
    let o = sb.run(&["query", "--q", "disk"], b"");
    assert_eq!(ndjson(&o).len(), 1);
    let o = sb.run(&["query", "--text", "disk"], b"");
    assert_eq!(ndjson(&o).len(), 1);
}

#[test]
fn numeric_comparisons_on_metadata_in_the_store_and_over_http() {
    let sb = Sandbox::new();
    let input = "level=info msg=slow duration_ms=2279\n\
                 {\"level\":\"info\",\"msg\":\"json\",\"duration_ms\":1500}\n\
                 ERROR text line duration_ms=1200\n\
                 level=info msg=fast duration_ms=20\n\
                 level=info msg=none other=1\n";
    send(&sb, &[], input);
    let server = common::Server::start(&sb, sb.store(), &[]);
    for to in ["local", server.base.as_str()] {
        let m = |term: &str| -> Vec<String> {
            let o = sb.run(&["query", "--to", to, term, "--output", "ndjson"], b"");
            assert_code(&o, 0);
            let mut v: Vec<String> = ndjson(&o)
                .iter()
                .map(|r| r["message"].as_str().unwrap().to_string())
                .collect();
            v.sort();
            // The same through the export stream (`--limit 0`).
            let o = sb.run(&["query", "--to", to, term, "--limit", "0"], b"");
            assert_code(&o, 0);
            assert_eq!(ndjson(&o).len(), v.len(), "{to} {term} exported");
            v
        };
        assert_eq!(
            m("duration_ms>1000"),
            ["ERROR text line duration_ms=1200", "json", "slow"],
            "{to}"
        );
        assert_eq!(m("duration_ms>=1500"), ["json", "slow"], "{to}");
        assert_eq!(
            m("duration_ms<1500"),
            ["ERROR text line duration_ms=1200", "fast"],
            "{to}"
        );
        assert_eq!(m("duration_ms<=20"), ["fast"], "{to}");
        let o = sb.run(
            &["stats", "--to", to, "duration_ms>1000", "--output", "json"],
            b"",
        );
        assert_code(&o, 0);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["total"], 3, "{to}: {v}");
    }
    let o = sb.run(&["query", "duration_ms>slow"], b"");
    assert_code(&o, 2);
    assert!(stderr(&o).contains("needs a number"), "{}", stderr(&o));
}

#[test]
fn stats_over_a_huge_range_shows_the_range_of_the_data() {
    let sb = Sandbox::new();
    send(
        &sb,
        &[],
        "2026-12-07T10:00:00Z ERROR a\n2026-12-07T11:30:00Z INFO b\n2026-12-07T12:59:00Z INFO c\n",
    );
    let o = sb.run(&["stats", "--since", "30000d", "--output", "json"], b"");
    assert_code(&o, 0);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["total"], 3);
    let buckets = v["buckets"].as_array().unwrap();
    assert!(buckets.len() <= 60, "{} buckets", buckets.len());
    assert!(v["since"].as_str().unwrap() >= "2026-12-01", "{v}");
    assert!(v["until"].as_str().unwrap() <= "2026-12-15", "{v}");
    let counted: u64 = buckets.iter().map(|b| b["total"].as_u64().unwrap()).sum();
    assert_eq!(counted, 3);
    // An explicit interval over the clamped range.
    let o = sb.run(
        &[
            "stats",
            "--since",
            "30000d",
            "--interval",
            "1h",
            "--output",
            "json",
        ],
        b"",
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["interval_secs"], 3600);
    assert!(v["buckets"].as_array().unwrap().len() <= 200, "{v}");
}

#[test]
fn config_mistakes_are_named_where_they_are_and_init_writes_a_starter_file() {
    let sb = Sandbox::new();
    // No file: `config` says where it looked.
    let o = sb.run(&["config"], b"");
    assert_code(&o, 0);
    let path = sb.config_file();
    assert!(
        stdout(&o).contains(&format!("no file at {}", path.display())),
        "{}",
        stdout(&o)
    );
    let o = sb.run(&["config", "path"], b"");
    assert_eq!(stdout(&o).trim(), path.display().to_string());
    // init writes a file that loads, and never overwrites one.
    assert_code(&sb.run(&["config", "init"], b""), 0);
    assert!(std::fs::read_to_string(&path).unwrap().contains("# url = "));
    assert_code(&sb.run(&["config"], b""), 0);
    assert_code(&sb.run(&["config", "init"], b""), 1);
    // An unknown key gets a suggestion.
    std::fs::write(&path, "[default]\nurll = \"http://x\"\n").unwrap();
    let o = sb.run(&["config"], b"");
    assert_code(&o, 1);
    assert!(stderr(&o).contains("did you mean `url`?"), "{}", stderr(&o));
    // A bad timezone is blamed on the file, by `config` already.
    std::fs::write(&path, "[default]\ntimezone = \"Mars/Base\"\n").unwrap();
    let o = sb.run(&["config"], b"");
    assert_code(&o, 1);
    let err = stderr(&o);
    assert!(
        err.contains(&format!("config file {}: timezone", path.display())),
        "{err}"
    );
    assert!(!err.contains("--timezone"), "{err}");
}

#[test]
fn send_says_when_the_target_fails_and_counts_leftovers_apart() {
    let sb = Sandbox::new();
    let server = common::Server::start(&sb, sb.store(), &[]);
    let base = server.base.clone();
    let listen = base.trim_start_matches("http://").to_string();
    server.kill9();
    let o = sb.run(
        &[
            "send",
            "--to",
            &base,
            "--max-retries",
            "1",
            "--drain-timeout",
            "1s",
        ],
        b"one\n",
    );
    assert_code(&o, 3);
    let err = stderr(&o);
    assert_eq!(err.matches("is unreachable or failing").count(), 1, "{err}");
    assert!(
        err.contains("1 record was not delivered and waits in"),
        "{err}"
    );
    assert!(err.contains("4 bytes read"), "the bytes read, not 0: {err}");

    let _server = common::Server::start_at(&sb, sb.store(), &listen, &[]);
    let o = sb.run(&["send", "--to", &base], b"two\n");
    assert_code(&o, 0);
    let err = stderr(&o);
    assert!(
        err.contains(&format!("sent 1 of 1 record to {base} in 1 batch ")),
        "{err}"
    );
    assert!(
        err.contains("also re-sent 1 record left by an earlier run"),
        "{err}"
    );
    let o = sb.run(&["query", "--to", &base, "--output", "ndjson"], b"");
    assert_eq!(ndjson(&o).len(), 2);
}

#[test]
fn trace_takes_a_unique_prefix_of_eight_hex_characters() {
    let sb = Sandbox::new();
    let a = "4bf92f3577b34da6a3ce929d0e0e4736";
    let b = "4bf92f35aaaa4da6a3ce929d0e0e4736";
    let c = "9c0ffee000000000a3ce929d0e0e4736";
    send(
        &sb,
        &[],
        &format!(
            "{{\"message\":\"first\",\"trace_id\":\"{c}\"}}\n{{\"message\":\"second\",\"trace_id\":\"{c}\"}}\n\
             {{\"message\":\"a\",\"trace_id\":\"{a}\"}}\n{{\"message\":\"b\",\"trace_id\":\"{b}\"}}\n"
        ),
    );
    let server = common::Server::start(&sb, sb.store(), &[]);
    for to in ["local", server.base.as_str()] {
        let o = sb.run(
            &["trace", "9c0ffee0", "--to", to, "--output", "ndjson"],
            b"",
        );
        assert_code(&o, 0);
        let r = ndjson(&o);
        assert_eq!(r.len(), 2, "{to}");
        assert_eq!(r[0]["message"], "first");
        assert_eq!(r[0]["trace_id"], c);
        // Two traces share this prefix: say so, name them.
        let o = sb.run(&["trace", "4bf92f35", "--to", to], b"");
        assert_code(&o, 1);
        assert!(
            stderr(&o).contains("not unique") && stderr(&o).contains(a) && stderr(&o).contains(b),
            "{}",
            stderr(&o)
        );
        assert_code(
            &sb.run(
                &["trace", "4bf92f3577", "--to", to, "--output", "ndjson"],
                b"",
            ),
            0,
        );
        // Shorter than 8: no guessing.
        assert_code(&sb.run(&["trace", "9c0ffee", "--to", to], b""), 1);
    }
}

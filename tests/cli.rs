//! The CLI surface: help with examples, config resolution and masking, usage
//! errors, and the committed completions/man pages matching the clap tree.

mod common;

use common::{Sandbox, assert_code, stderr, stdout};

#[test]
fn every_command_has_help_with_examples() {
    let sb = Sandbox::new();
    for cmd in ["send", "query", "stats", "trace", "tail", "dlq", "serve"] {
        let o = sb.run(&[cmd, "--help"], b"");
        assert_code(&o, 0);
        let text = stdout(&o);
        assert!(
            text.contains("Example"),
            "{cmd} --help has no examples:\n{text}"
        );
        assert!(text.contains("Usage: loghub"), "{cmd} --help:\n{text}");
    }
}

#[test]
fn committed_completions_and_man_pages_match_the_cli() {
    let sb = Sandbox::new();
    let out = sb.path().join("gen");
    let o = sb.run(&["generate-docs", out.to_str().unwrap()], b"");
    assert_code(&o, 0);
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["completions", "man"] {
        let mut generated: Vec<_> = std::fs::read_dir(out.join(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        generated.sort();
        assert!(!generated.is_empty());
        for name in generated {
            let fresh = std::fs::read(out.join(dir).join(&name)).unwrap();
            let committed = std::fs::read(repo.join(dir).join(&name)).unwrap_or_default();
            assert!(
                fresh == committed,
                "{dir}/{} is stale: run `cargo run -- generate-docs .` and commit",
                name.to_string_lossy()
            );
        }
    }
}

#[test]
fn config_shows_file_env_and_flags_in_order_with_secrets_masked() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.config_file().parent().unwrap()).unwrap();
    std::fs::write(
        sb.config_file(),
        "[default]\nurl = \"http://127.0.0.1:9\"\napi_key = \"file-secret-key-123\"\nservice = \"from-file\"\n\
         [default.batch]\nsize = 250\n[profile.prod]\nurl = \"https://logs.example.invalid\"\nservice = \"prod-svc\"\n",
    )
    .unwrap();

    let o = sb.run(&["config", "--json"], b"");
    assert_code(&o, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["target"], "http://127.0.0.1:9");
    assert_eq!(v["service"], "from-file");
    assert_eq!(v["delivery"]["batch_size"], 250);
    assert_eq!(v["api_key"], "file****");
    assert!(!stdout(&o).contains("file-secret-key-123"));

    let o = sb.run(&["config", "--json", "--profile", "prod"], b"");
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["target"], "https://logs.example.invalid");
    assert_eq!(v["service"], "prod-svc");

    // env beats the file, the flag beats env
    let o = sb
        .cmd(&["config", "--json"])
        .env("LOGHUB_URL", "local:/tmp/x.db")
        .env("LOGHUB_SERVICE", "from-env")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["target"], "local:/tmp/x.db");
    assert_eq!(v["service"], "from-env");
    let o = sb
        .cmd(&["config", "--json", "--to", "-"])
        .env("LOGHUB_URL", "local:/tmp/x.db")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["target"], "-");
}

#[test]
fn a_config_with_an_unknown_key_is_a_clear_error() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.config_file().parent().unwrap()).unwrap();
    std::fs::write(sb.config_file(), "[default]\nurll = \"http://x\"\n").unwrap();
    let o = sb.run(&["config"], b"");
    assert_code(&o, 1);
    let e = stderr(&o);
    assert!(e.starts_with("loghub: error: config file"), "{e}");
    assert!(e.contains("unknown field `urll`"), "{e}");
    // One line of error, one of hint (issue 16).
    assert_eq!(e.lines().count(), 2, "{e}");
    assert_eq!(e.lines().nth(1), Some("hint: did you mean `url`?"), "{e}");
}

#[test]
fn bad_targets_and_flags_are_usage_errors() {
    let sb = Sandbox::new();
    let o = sb.run(&["send", "--to", "example.com:80"], b"x\n");
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("did you mean http://example.com:80?"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("unknown target 'example.com:80'"),
        "{}",
        stderr(&o)
    );

    let o = sb.run(&["send", "--to", "-", "--min-level", "loud"], b"x\n");
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("--min-level: unknown level 'loud'"),
        "{}",
        stderr(&o)
    );

    let o = sb.run(&["send", "--to", "-", "--timezone", "Mars/Olympus"], b"x\n");
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("unknown time zone 'Mars/Olympus'"),
        "{}",
        stderr(&o)
    );

    let o = sb.run(&["query", "--no-such-flag"], b"");
    assert_code(&o, 2);
}

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
        assert!(!typo.parent().unwrap().exists(), "{cmd:?} created the directory");
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
    let newest: Vec<String> = ndjson(&o).iter().map(|r| r["message"].to_string()).collect();
    assert_eq!(newest.len(), 3);
    assert!(newest[0].contains("step 4"), "{newest:?}");
    let o = sb.run(&["query", "-n", "3", "--reverse", "--since", "30000d"], b"");
    let msgs: Vec<String> = ndjson(&o).iter().map(|r| r["message"].to_string()).collect();
    let mut expected = newest.clone();
    expected.reverse();
    assert_eq!(msgs, expected);
    // Piped output is data: no footer, no pager.
    assert!(!stdout(&o).contains("more with --limit"));
    let o = sb.run(&["query", "--reverse", "--limit", "0"], b"");
    assert_code(&o, 2);
}

//! What a person sees in a terminal: tables, colour and widths at 80 and 200
//! columns, the pager, stats bars, the DLQ table and warnings, checked on a
//! real tmux screen (`capture-pane`, `-e` for the escape codes).

mod common;

use common::tmux::{Tmux, strip_escapes, visible_width};
use common::{Sandbox, assert_code};

/// `n` text lines as an app prints them: a timestamp, a level word, a message.
fn app_lines(n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| {
            format!(
                "2026-12-07 10:{:02}:{:02},123 ERROR payment timeout order={i} for customer {i}\n",
                i / 60 % 60,
                i % 60
            )
        })
        .collect::<String>()
        .into_bytes()
}

/// The column at which `word` starts in `line` (visible characters).
fn column_of(line: &str, word: &str) -> Option<usize> {
    let plain = strip_escapes(line);
    plain.find(word).map(|b| plain[..b].chars().count())
}

#[test]
fn query_table_at_80_columns_keeps_one_line_per_row_and_columns_aligned_in_colour() {
    let sb = Sandbox::new();
    assert_code(&sb.run(&["send", "--service", "shop"], &app_lines(3)), 0);
    let t = Tmux::start(&sb, 80, 40, &[]);
    let done = t.run("loghub query --no-pager --since 30000d");
    let (code, screen) = t.wait_done(&done, true);
    assert_eq!(code, 0, "{screen}");
    let lines: Vec<&str> = screen.lines().collect();
    assert!(
        screen.contains("\x1b["),
        "levels are coloured on a terminal:\n{screen}"
    );
    let header = lines.iter().find(|l| l.contains("LEVEL")).expect("header");
    let rows: Vec<&&str> = lines.iter().filter(|l| l.contains("ERROR")).collect();
    assert_eq!(rows.len(), 3, "one line per record:\n{screen}");
    for row in &rows {
        // The header sits over the data, whatever the escape codes.
        assert_eq!(
            column_of(header, "LEVEL"),
            column_of(row, "ERROR"),
            "{screen}"
        );
        assert_eq!(
            column_of(header, "MESSAGE"),
            column_of(row, "payment"),
            "{screen}"
        );
        // A compact time that fits, and no repeat of the line's own time and level.
        assert!(strip_escapes(row).starts_with(" 12-07 10:00:0"), "{row}");
        assert!(
            !row.contains(",123") && row.matches("ERROR").count() == 1,
            "{row}"
        );
    }
    for l in &lines {
        assert!(visible_width(l) <= 80, "wider than the terminal: {l}");
    }
}

#[test]
fn query_table_at_200_columns_shows_the_full_time() {
    let sb = Sandbox::new();
    assert_code(&sb.run(&["send", "--service", "shop"], &app_lines(2)), 0);
    let t = Tmux::start(&sb, 200, 40, &[]);
    let done = t.run("loghub query --no-pager --since 30000d");
    let (code, screen) = t.wait_done(&done, false);
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains(" 2026-12-07 10:00:01.123 "), "{screen}");
    let row = screen.lines().find(|l| l.contains("order=1 ")).unwrap();
    assert!(
        row.trim_end()
            .ends_with("payment timeout order=1 for customer 1"),
        "{row}"
    );
}

#[test]
fn query_on_a_terminal_pages_through_less_with_the_header_on_top() {
    let sb = Sandbox::new();
    assert_code(&sb.run(&["send", "--service", "shop"], &app_lines(150)), 0);
    let t = Tmux::start(&sb, 80, 40, &[]);
    let done = t.run("loghub query --since 30000d");
    // less waits at its prompt with the first screen: the header is on top.
    let screen = t.wait_for(
        |s| s.lines().last().is_some_and(|l| l.starts_with(':')),
        false,
    );
    let first = screen.lines().find(|l| !l.trim().is_empty()).unwrap();
    assert!(!screen.contains("more with --limit"), "{screen}");
    let header = screen.lines().nth(1).unwrap_or("");
    assert!(
        first.starts_with('─') && header.contains("TIME"),
        "{screen}"
    );
    t.keys(&["G"]);
    t.wait_for(|s| s.contains("100 shown, more with --limit"), false);
    t.keys(&["q"]);
    let (code, _) = t.wait_done(&done, false);
    assert_eq!(code, 0);
}

#[test]
fn no_pager_prints_everything_and_says_that_more_exist() {
    let sb = Sandbox::new();
    assert_code(&sb.run(&["send", "--service", "shop"], &app_lines(12)), 0);
    let t = Tmux::start(&sb, 80, 40, &[]);
    let done = t.run("loghub query --no-pager -n 10 --since 30000d");
    let (code, screen) = t.wait_done(&done, false);
    assert_eq!(code, 0);
    assert_eq!(screen.matches("payment timeout").count(), 10, "{screen}");
    assert!(screen.contains("10 shown, more with --limit"), "{screen}");
    // Exactly the limit: nothing more to say.
    let done = t.run("loghub query --no-pager -n 12 --since 30000d");
    let (_, screen) = t.wait_done(&done, false);
    assert!(!screen.contains("more with --limit"), "{screen}");
}

#[test]
fn stats_at_80_columns_fit_the_width() {
    let sb = Sandbox::new();
    assert_code(&sb.run(&["send", "--service", "shop"], &app_lines(90)), 0);
    let t = Tmux::start(&sb, 80, 60, &[]);
    let done = t.run(
        "loghub stats --since 2026-12-05T00:00:00Z --until 2026-12-08T00:00:00Z --interval 1d",
    );
    let (code, screen) = t.wait_done(&done, true);
    assert_eq!(code, 0, "{screen}");
    for l in screen.lines() {
        assert!(visible_width(l) <= 80, "wider than the terminal: {l}");
    }
    let plain = strip_escapes(&screen);
    let title = plain.lines().next().unwrap();
    assert!(
        title.starts_with("90 records from 2026-12-07 09:00"),
        "{plain}"
    );
    assert!(title.contains("1d buckets"), "{plain}");
    // The bar of the one busy bucket is on its row, not wrapped under it.
    let bar_rows: Vec<&str> = plain.lines().filter(|l| l.contains('█')).collect();
    assert!(
        bar_rows.iter().any(|l| l.starts_with(" 2026-12-07 00:00")),
        "{plain}"
    );
    assert!(
        bar_rows
            .iter()
            .all(|l| l.starts_with(' ') && !l.trim_start().starts_with('█')),
        "{plain}"
    );
}

#[test]
fn dlq_list_uses_the_house_table_and_keeps_rows_on_one_line_at_80_columns() {
    let sb = Sandbox::new();
    // Nothing listens on port 9 of loopback: the batches are spooled.
    for _ in 0..2 {
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
            &app_lines(5),
        );
        assert_code(&o, 3);
    }
    let t = Tmux::start(&sb, 80, 40, &[]);
    let done = t.run("loghub dlq list");
    let (code, screen) = t.wait_done(&done, false);
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains(" FILE ") && screen.contains("LAST ERROR"),
        "{screen}"
    );
    assert!(
        !screen.contains('│') && !screen.contains('┆'),
        "no boxes:\n{screen}"
    );
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("cannot connect"))
        .collect();
    assert!(
        screen.contains("http://127.0.0.1:9"),
        "the target is named:\n{screen}"
    );
    assert_eq!(rows.len(), 2, "{screen}");
    for r in &rows {
        let file = r.split_whitespace().next().unwrap();
        // The shown name is a prefix `dlq show` takes.
        let o = sb.run(&["dlq", "show", file], b"");
        assert_code(&o, 0);
        assert_eq!(common::ndjson(&o).len(), 5);
    }
    for l in screen.lines() {
        assert!(visible_width(l) <= 80, "wider than the terminal: {l}");
    }
}

/// A send that warns (the circuit breaker opens) and ends at once.
const WARNING_SEND: &str = "echo x | loghub send --to http://127.0.0.1:9 --max-retries 0 --breaker-threshold 1 --drain-timeout 1s -q";

#[test]
fn warnings_have_one_style_and_colour_only_on_a_terminal_that_allows_it() {
    let sb = Sandbox::new();
    // stderr to a pipe: plain text in the `loghub: warning:` style.
    let o = sb.run(
        &[
            "send",
            "--to",
            "http://127.0.0.1:9",
            "--max-retries",
            "0",
            "--breaker-threshold",
            "1",
            "--drain-timeout",
            "1s",
            "--color",
            "always",
        ],
        b"x\n",
    );
    let err = common::stderr(&o);
    assert!(
        err.contains("loghub: warning: ") && err.contains("circuit breaker open"),
        "{err}"
    );
    assert!(!err.contains(" WARN "), "{err}");
    let o = sb.run(
        &[
            "send",
            "--to",
            "http://127.0.0.1:9",
            "--max-retries",
            "0",
            "--breaker-threshold",
            "1",
            "--drain-timeout",
            "1s",
        ],
        b"x\n",
    );
    assert!(
        !common::stderr(&o).contains('\x1b'),
        "{}",
        common::stderr(&o)
    );

    let t = Tmux::start(&sb, 200, 40, &[]);
    let (_, screen) = t.wait_done(&t.run(WARNING_SEND), true);
    let line = screen
        .lines()
        .find(|l| l.contains("circuit breaker"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(line.starts_with("loghub: \x1b[33mwarning\x1b["), "{line:?}");
    for variant in [
        WARNING_SEND.replace("-q", "-q --color never"),
        format!("NO_COLOR=1 {WARNING_SEND}")
            .replacen("echo x | ", "", 1)
            .replacen("NO_COLOR=1 loghub", "echo x | NO_COLOR=1 loghub", 1),
    ] {
        let (_, screen) = t.wait_done(&t.run(&variant), true);
        let line = screen
            .lines()
            .find(|l| l.contains("circuit breaker"))
            .unwrap_or_else(|| panic!("{variant}:\n{screen}"));
        assert!(
            strip_escapes(line) == line && line.starts_with("loghub: warning: "),
            "{variant}: {line:?}"
        );
    }
}

//! Micro benchmark of the parser and the redactor: a mixed corpus of JSON,
//! logfmt and text lines of ~250 bytes, generated in memory, parsed on one
//! thread. Prints MB/s and ns/line for parse alone and parse + redact, per
//! format and overall.
//!
//! `cargo bench --bench parse` (the `send --to -` target of 200 MB/s on two
//! cores needs parse well under 2 µs per line).

use std::hint::black_box;
use std::time::Instant;

use loghub::parse::{Format, ParseOptions, Parser, Zone};
use loghub::pipeline::redact::Redactor;
use loghub::record::Level;

fn corpus(kind: &str, n: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let ms = 1_700_000_000_000u64 + i as u64 * 7;
        let lvl = ["info", "warn", "error", "debug"][i % 4];
        let line = match kind {
            "json" => format!(
                r#"{{"level":{},"time":{ms},"pid":4242,"hostname":"web-{}","msg":"request completed in {} ms for user {}","req":{{"id":"{i:08x}","method":"GET","url":"/api/v1/items/{i}?page=2"}},"res":{{"statusCode":200}},"trace_id":"4bf92f3577b34da6a3ce929d0e0e{:04x}"}}"#,
                [30, 40, 50, 20][i % 4],
                i % 8,
                i % 997,
                i % 10_000,
                i % 65_536
            ),
            "logfmt" => format!(
                r#"time="2024-01-02T03:04:{:02}.{:06}Z" level={lvl} msg="finished handling request number {i} for tenant acme" method=GET path=/api/v1/orders/{i} status=200 duration_ms={} user_id={} region=eu-west-1"#,
                i % 60,
                i % 1_000_000,
                i % 997,
                i % 10_000
            ),
            "text" => match i % 4 {
                0 => format!(
                    "2015-10-18 18:01:{:02},{:03} INFO [RMCommunicator Allocator] org.apache.hadoop.mapreduce.v2.app.rm.RMContainerAllocator: Recalculating schedule, headroom=<memory:{i}, vCores:-27> attempt_{i}",
                    i % 60,
                    i % 1000
                ),
                1 => format!(
                    "[Sun Dec 04 04:{:02}:44 2005] [error] mod_jk child workerEnv in error state {} while serving /index.html for client 10.0.{}.{} and more text to fill",
                    i % 60,
                    i % 10,
                    i % 255,
                    i % 255
                ),
                2 => format!(
                    "Jun 14 15:16:{:02} combo sshd(pam_unix)[{}]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 user=root attempt {i}",
                    i % 60,
                    19_000 + i % 1000
                ),
                _ => format!(
                    "2015-07-29 19:04:{:02},{:03} - WARN  [SendWorker:188978561024:QuorumCnxManager$SendWorker@688] - Send worker leaving thread number {i} after connection reset by peer",
                    i % 60,
                    i % 1000
                ),
            },
            _ => unreachable!(),
        };
        out.push(line);
    }
    out
}

fn run(name: &str, lines: &[String], parser: &Parser, redactor: Option<&Redactor>) {
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    // Warm up, then time a few passes and keep the best.
    let mut best = f64::MAX;
    for pass in 0..4 {
        let t = Instant::now();
        for l in lines {
            let mut r = parser.parse(l, 1_700_000_000_000_000);
            if let Some(red) = redactor {
                red.apply(&mut r);
            }
            black_box(&r);
        }
        let s = t.elapsed().as_secs_f64();
        if pass > 0 {
            best = best.min(s);
        }
    }
    println!(
        "{name:<22} {:>8.1} MB/s {:>7.0} ns/line  ({} lines, {:.0} B/line)",
        bytes as f64 / best / 1e6,
        best * 1e9 / lines.len() as f64,
        lines.len(),
        bytes as f64 / lines.len() as f64
    );
}

fn main() {
    let n = 100_000;
    let parser = Parser::new(ParseOptions {
        format: Format::Auto,
        default_level: Level::Info,
        zone: Zone::Utc,
        service: "bench".into(),
        host: "bench-host".into(),
    });
    let redactor = Redactor::new(&[], &[], true).expect("default redactor");
    let mut mixed = Vec::new();
    for kind in ["json", "logfmt", "text"] {
        let lines = corpus(kind, n);
        run(&format!("parse {kind}"), &lines, &parser, None);
        run(
            &format!("parse+redact {kind}"),
            &lines,
            &parser,
            Some(&redactor),
        );
        mixed.extend(lines);
    }
    // Interleave so the mix is realistic for branch predictors.
    let mut inter = Vec::with_capacity(mixed.len());
    for i in 0..n {
        for k in 0..3 {
            inter.push(mixed[k * n + i].clone());
        }
    }
    run("parse mixed", &inter, &parser, None);
    run("parse+redact mixed", &inter, &parser, Some(&redactor));
}

//! Progress of `send`: an indicatif bar over the bytes of files, or a spinner
//! with the rate for stdin — only when stderr is a terminal, never otherwise.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::pipeline::Input;
use crate::pipeline::metrics::Metrics;

/// A running progress display; `finish` clears it.
pub struct Progress {
    bar: ProgressBar,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Progress {
    pub fn finish(self) {
        if let Some(t) = self.task {
            t.abort();
        }
        self.bar.finish_and_clear();
    }
}

/// Starts the bar (files) or spinner (stdin); hidden when stderr is not a
/// terminal or `quiet`.
pub fn start(inputs: &[Input], metrics: Arc<Metrics>, quiet: bool) -> Progress {
    if quiet || !std::io::stderr().is_terminal() {
        return Progress {
            bar: ProgressBar::hidden(),
            task: None,
        };
    }
    let total: Option<u64> = inputs
        .iter()
        .map(|i| match i {
            Input::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
            Input::Stdin => None,
        })
        .sum();
    let bar = match total {
        Some(t) => {
            let b = ProgressBar::new(t);
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {msg}",
                )
                .expect("static template")
                .progress_chars("=> "),
            );
            b
        }
        None => {
            let b = ProgressBar::new_spinner();
            b.set_style(
                ProgressStyle::with_template("{spinner} {bytes} read {bytes_per_sec} {msg}")
                    .expect("static template"),
            );
            b
        }
    };
    let b2 = bar.clone();
    let task = tokio::spawn(async move {
        loop {
            b2.set_position(metrics.bytes_in.load(Relaxed));
            b2.set_message(format!(
                "{} records, {} delivered",
                metrics.records.load(Relaxed),
                metrics.delivered.load(Relaxed)
            ));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    Progress {
        bar,
        task: Some(task),
    }
}

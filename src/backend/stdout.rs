//! The `-` target: records exactly as they would be shipped, one JSON object
//! per line on stdout. A dry run, and how parsing is tested.

use std::io::Write;

use anyhow::Result;
use async_trait::async_trait;

use super::{Backend, Batch, DeliveryError, IngestOutcome, RetentionAbility, RetentionPolicy};

pub struct StdoutBackend {
    out: std::sync::Mutex<std::io::BufWriter<std::io::Stdout>>,
}

impl StdoutBackend {
    pub fn new() -> Self {
        StdoutBackend {
            out: std::sync::Mutex::new(std::io::BufWriter::with_capacity(
                256 * 1024,
                std::io::stdout(),
            )),
        }
    }
}

impl Default for StdoutBackend {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl Backend for StdoutBackend {
    fn describe(&self) -> String {
        "stdout".into()
    }

    fn retention(&self) -> RetentionAbility {
        RetentionAbility::default()
    }

    async fn retain(&self, _policy: &RetentionPolicy) -> Result<u64> {
        Err(super::no_retention(&self.describe()))
    }

    async fn ingest(&self, batch: &Batch) -> Result<IngestOutcome, DeliveryError> {
        let buf = batch.ndjson();
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        // Flush per batch: batches close on the flush interval, so a slow input
        // still shows its records promptly.
        match out.write_all(&buf).and_then(|_| out.flush()) {
            Ok(()) => Ok(IngestOutcome {
                accepted: batch.len(),
                rejected: vec![],
                wire_bytes: buf.len() as u64,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(DeliveryError::Closed),
            Err(e) => Err(DeliveryError::Fatal(format!("writing to stdout: {e}"))),
        }
    }

    fn needs_records(&self) -> bool {
        false
    }
}

//! A loghub server (or anything speaking SPEC §4) as a target.

use anyhow::Result;
use async_trait::async_trait;

use super::{Backend, Batch, DeliveryError, IngestOutcome, OpenOptions};

pub struct HttpBackend {
    base: String,
}

impl HttpBackend {
    pub fn new(base: &str, opts: &OpenOptions) -> Result<Self> {
        let _ = opts;
        Ok(HttpBackend {
            base: base.to_string(),
        })
    }
}

#[async_trait]
impl Backend for HttpBackend {
    fn describe(&self) -> String {
        self.base.clone()
    }

    async fn ingest(&self, batch: &Batch) -> Result<IngestOutcome, DeliveryError> {
        let _ = batch;
        Err(DeliveryError::Fatal(
            "HTTP targets are not built yet".into(),
        ))
    }

    fn is_remote(&self) -> bool {
        true
    }
}

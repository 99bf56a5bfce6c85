//! The embedded store as a target (`local`, `local:PATH`).

use std::path::Path;

use anyhow::Result;
use async_trait::async_trait;

use super::{Backend, Batch, DeliveryError, IngestOutcome};

pub struct LocalBackend {
    path: std::path::PathBuf,
}

impl LocalBackend {
    pub fn open(path: &Path) -> Result<Self> {
        Ok(LocalBackend {
            path: path.to_path_buf(),
        })
    }
}

#[async_trait]
impl Backend for LocalBackend {
    fn describe(&self) -> String {
        format!("local:{}", self.path.display())
    }

    async fn ingest(&self, batch: &Batch) -> Result<IngestOutcome, DeliveryError> {
        let _ = batch;
        Err(DeliveryError::Fatal(
            "the embedded store is not built yet".into(),
        ))
    }
}

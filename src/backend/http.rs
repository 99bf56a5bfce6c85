//! A loghub server (or anything speaking SPEC §4) as a target. This file holds
//! the client and the ingest side; `http_read.rs` the reading side.

use anyhow::Result;
use async_trait::async_trait;

use super::{Backend, Batch, DeliveryError, IngestOutcome, OpenOptions, RecordStream, TailStart};
use crate::query::{Query, QueryPage, Stats, StatsQuery};
use crate::record::Record;

pub struct HttpBackend {
    /// Base URL without a trailing slash.
    pub(crate) base: String,
    pub(crate) api_key: Option<String>,
    pub(crate) client: reqwest::Client,
}

impl HttpBackend {
    pub fn new(base: &str, opts: &OpenOptions) -> Result<Self> {
        Ok(HttpBackend {
            base: base.trim_end_matches('/').to_string(),
            api_key: opts.api_key.clone(),
            client: reqwest::Client::new(),
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

    async fn query(&self, q: &Query, cursor: Option<&str>, limit: usize) -> Result<QueryPage> {
        self.http_query(q, cursor, limit).await
    }

    async fn stats(&self, q: &StatsQuery) -> Result<Stats> {
        self.http_stats(q).await
    }

    async fn trace(&self, trace_id: &str) -> Result<Vec<Record>> {
        self.http_trace(trace_id).await
    }

    async fn tail(&self, q: &Query, start: TailStart) -> Result<RecordStream> {
        self.http_tail(q, start).await
    }

    fn is_remote(&self) -> bool {
        true
    }
}

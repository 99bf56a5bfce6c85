//! The reading side of the HTTP target: query, stats, trace and tail (SSE)
//! against a loghub server.

use anyhow::{Result, bail};

use super::http::HttpBackend;
use super::{RecordStream, TailStart};
use crate::query::{Query, QueryPage, Stats, StatsQuery};
use crate::record::Record;

impl HttpBackend {
    pub(crate) async fn http_query(
        &self,
        q: &Query,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<QueryPage> {
        let _ = (q, cursor, limit, &self.client, &self.api_key);
        bail!("reading from {} is not built yet", self.base)
    }

    pub(crate) async fn http_stats(&self, q: &StatsQuery) -> Result<Stats> {
        let _ = q;
        bail!("reading from {} is not built yet", self.base)
    }

    pub(crate) async fn http_trace(&self, trace_id: &str) -> Result<Vec<Record>> {
        let _ = trace_id;
        bail!("reading from {} is not built yet", self.base)
    }

    pub(crate) async fn http_tail(&self, q: &Query, start: TailStart) -> Result<RecordStream> {
        let _ = (q, start);
        bail!("reading from {} is not built yet", self.base)
    }
}

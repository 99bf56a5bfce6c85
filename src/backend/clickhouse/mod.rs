//! ClickHouse as a loghub target: `clickhouse://[user[:password]@]host[:port]/database[?table=logs]`
//! (`clickhouses://` for TLS; `&cluster=NAME` makes lazily created tables
//! `ON CLUSTER`), over ClickHouse's HTTP interface (port 8123, 8443 for TLS).
//! It stores and reads back, so `send`, `query`, `stats`, `trace`, `tail` and
//! `serve --store` all work on it; several shippers and servers may share one.
//!
//! **Schema.** Created if missing on first use (and by `loghub clickhouse
//! init [--cluster NAME]`): one MergeTree table partitioned by month of `ts`,
//! ordered by `(ts, id)`. Time is `time_us Int64` (µs, exact on every
//! version) plus `ts DateTime` (seconds) for partitioning and the primary key.
//! Metadata is kept as a JSON string and, for filters, flattened at insert into
//! `meta_keys`/`meta_values` arrays of dotted paths (exactly the semantics of
//! `Query::matches`, on every version; 18.16 has no JSONExtract*).
//! The fingerprint of error and critical messages is computed in Rust at
//! insert (`query::fingerprint`) and stored, so "top errors" is a GROUP BY.
//! With a cluster: `<table>_local` is ReplicatedMergeTree on every shard and
//! `<table>` a Distributed table over it, sharded by `cityHash64(batch_id)` so
//! a retried batch meets its first copy; inserts use `insert_distributed_sync`.
//!
//! **Record ids** are made by the shipper, ClickHouse having no
//! autoincrement: `ms << 21 | node << 13 | seq` — the insert time in
//! milliseconds, a random per-process byte, and a sequence; strictly
//! increasing within a process, unique across processes with high
//! probability (readers key on id *and* batch). Ids are taken per insert
//! attempt, so a batch retried or replayed from the DLQ gets fresh ids.
//!
//! **Idempotency.** Each batch is one `INSERT … FORMAT JSONEachRow` with a
//! gzip body, and each row carries its `batch_id`. On 22.2+ the insert sends
//! `insert_deduplication_token = batch id` and the table keeps
//! `non_replicated_deduplication_window = 10000`, so a repeat stores nothing.
//! Older servers have no token (and no de-duplication at all for plain
//! MergeTree), so before inserting loghub counts rows with that `batch_id`
//! within the batch's own time range (pruned by the primary key) and skips
//! the insert if any exist. The gap: two concurrent attempts of one batch
//! could both pass the check; the pipeline never runs those.
//!
//! **Reads.** Search is newest first by `(time_us, id)` with an opaque
//! `time:id` cursor; full-text terms are case-insensitive substrings. User
//! text is always data: a `{pN:String}` query parameter on 19.11+, else a
//! literal escaped by `sql::quote`. Stats are plain GROUP BYs on the filtered
//! rows (no rollup table: ClickHouse scans the two narrow columns involved at
//! hundreds of millions of rows per second, see `bench/clickhouse.sh`).
//! `tail` polls every 400 ms for ids taken in the last 10 s, printing each
//! (id, batch) once, so a batch whose INSERT took a while, from any shipper,
//! is neither missed nor printed twice.
//!
//! **Versions** (read with `SELECT version()` on connect):
//!
//! | server  | what loghub uses |
//! |---------|------------------|
//! | 18.16+  | escaped literals, String columns, batch-id check before insert, `positionCaseInsensitiveUTF8` |
//! | 19.11+  | query parameters for all user text |
//! | 20.1+   | `LowCardinality(String)` for service and host |
//! | 20.3+   | skip indexes: minmax on id (tail), bloom_filter on trace_id, ngrambf_v1 on `lowerUTF8(message)` (search uses `LIKE` so the index applies) |
//! | 22.2+   | `insert_deduplication_token` instead of the batch-id check |
//!
//! DateTime64 is not used on any version: `time_us` already keeps
//! microseconds and sorts exactly, and one column layout keeps one code path.
//! Nor are `tokenbf_v1`/`hasToken` (whole tokens, where loghub's terms are
//! substrings) or async inserts (one INSERT per batch is already large).
//!
//! Both ends of the table are tested by the same suite: Debian's 18.16
//! (tests/clickhouse.rs) and ClickHouse 26.9's engine behind an HTTP shim
//! (tests/ch_current/), which also checks that the n-gram index serves the
//! search predicate.
//!
//! **Errors.** Connection errors, timeouts and 5xx are retryable; the
//! exception codes for refused credentials (192, 193, 194, 516, or 401/403
//! without a code) are fatal with "ClickHouse refused the credentials for
//! user X"; malformed requests (parse/syntax/type codes, other 4xx) are
//! permanent.

mod client;
mod ingest;
mod read;
mod retention;
pub mod schema;
pub mod sql;
pub mod url;

use std::sync::Arc;

use anyhow::Result;
use async_trait::async_trait;

use self::client::{ChError, Client};
use self::schema::{Features, Version};
use self::url::ChUrl;
use super::{
    Backend, Batch, DeliveryError, IngestOutcome, OpenOptions, RecordStream, RetentionAbility,
    RetentionPolicy, TailStart,
};
use crate::query::{Query, QueryPage, Stats, StatsQuery};
use crate::record::Record;

pub use self::client::ChError as ClickHouseError;

/// What loghub learnt about the server on first contact.
#[derive(Debug, Clone)]
pub struct ServerInfo {
    /// `SELECT version()`, e.g. `18.16.1`.
    pub version: String,
    pub features: Features,
    /// The table is Distributed (created with `--cluster`).
    pub distributed: bool,
}

/// A ClickHouse target. Cheap to clone (shares the connection pool and what
/// was learnt about the server).
#[derive(Clone)]
pub struct ClickHouseBackend {
    client: Client,
    server: Arc<tokio::sync::OnceCell<ServerInfo>>,
}

/// Opens a ClickHouse target and checks it at once: connects, reads the
/// version and creates the schema if missing. For `serve --store`.
pub async fn connect(url: &str) -> Result<ClickHouseBackend> {
    let b = ClickHouseBackend::new(url, &OpenOptions::default())?;
    b.server().await?;
    Ok(b)
}

impl ClickHouseBackend {
    /// Parses the URL; the first request connects (commands that never touch
    /// the target, like a dry `send` to a spool, never need the server).
    pub fn new(url: &str, opts: &OpenOptions) -> Result<Self> {
        let url = ChUrl::parse(url)?;
        Ok(ClickHouseBackend {
            client: Client::new(url, opts.timeout)?,
            server: Arc::new(tokio::sync::OnceCell::new()),
        })
    }

    /// `` `db`.`table` ``.
    fn table(&self) -> String {
        let u = self.client.url();
        format!("{}.{}", schema::ident(&u.database), schema::ident(&u.table))
    }

    fn features(&self) -> Features {
        self.server.get().map_or_else(
            || {
                Features::of(Version {
                    major: 18,
                    minor: 16,
                })
            },
            |s| s.features,
        )
    }

    /// Connects once: version, schema, engine. A failure is not remembered,
    /// so the next call tries again.
    pub async fn server(&self) -> Result<ServerInfo, ChError> {
        self.server
            .get_or_try_init(|| async {
                let version = self.version().await?;
                let v = Version::parse(&version).unwrap_or(Version {
                    major: 18,
                    minor: 16,
                });
                let features = Features::of(v);
                self.create_schema(&features, self.client.url().cluster.as_deref())
                    .await?;
                let distributed = self.engine().await?.as_deref() == Some("Distributed");
                tracing::debug!(%version, ?features, distributed, "connected to ClickHouse");
                Ok(ServerInfo {
                    version,
                    features,
                    distributed,
                })
            })
            .await
            .cloned()
    }

    /// `SELECT version()`.
    pub async fn version(&self) -> Result<String, ChError> {
        let mut sql = sql::Sql::new(false);
        sql.push("SELECT version()");
        Ok(self.client.exec(&sql, &[]).await?.trim().to_string())
    }

    async fn engine(&self) -> Result<Option<String>, ChError> {
        let u = self.client.url();
        let mut sql = sql::Sql::new(false);
        sql.push("SELECT engine FROM system.tables WHERE database = ")
            .str(&u.database)
            .push(" AND name = ")
            .str(&u.table);
        let body = self.client.exec(&sql, &[]).await?;
        Ok(body.lines().next().map(|s| s.trim().to_string()))
    }

    /// Runs the DDL for this server's features; returns the statements run.
    async fn create_schema(
        &self,
        features: &Features,
        cluster: Option<&str>,
    ) -> Result<Vec<String>, ChError> {
        let u = self.client.url();
        let statements = schema::ddl(features, &u.database, &u.table, cluster);
        for s in &statements {
            let mut sql = sql::Sql::new(false);
            sql.push(s);
            self.client.exec(&sql, &[]).await?;
        }
        Ok(statements)
    }

    /// `loghub clickhouse init`: creates the schema (with `ON CLUSTER` when a
    /// cluster is named here or in the URL) and returns the server version
    /// and the statements run.
    pub async fn init(
        &self,
        cluster: Option<&str>,
        retention: Option<std::time::Duration>,
    ) -> Result<(String, Vec<String>)> {
        let version = self.version().await?;
        let features = Features::of(Version::parse(&version).unwrap_or(Version {
            major: 18,
            minor: 16,
        }));
        let cluster = cluster.or(self.client.url().cluster.as_deref());
        let mut statements = self.create_schema(&features, cluster).await?;
        if let Some(age) = retention {
            statements.extend(self.set_ttl(age).await?);
        }
        Ok((version, statements))
    }
}

#[async_trait]
impl Backend for ClickHouseBackend {
    fn describe(&self) -> String {
        self.client.url().describe()
    }

    async fn ingest(&self, batch: &Batch) -> Result<IngestOutcome, DeliveryError> {
        self.ch_ingest(batch).await
    }

    async fn query(&self, q: &Query, cursor: Option<&str>, limit: usize) -> Result<QueryPage> {
        no_patterns(q)?;
        self.ch_query(q, cursor, limit).await
    }

    async fn export(&self, q: &Query, limit: Option<usize>) -> Result<RecordStream> {
        self.ch_export(q, limit).await
    }

    async fn stats(&self, q: &StatsQuery) -> Result<Stats> {
        no_patterns(&q.query)?;
        self.ch_stats(q).await
    }

    async fn trace(&self, trace_id: &str) -> Result<Vec<Record>> {
        self.ch_trace(trace_id).await
    }

    async fn tail(&self, q: &Query, start: TailStart) -> Result<RecordStream> {
        no_patterns(q)?;
        self.ch_tail(q, start).await
    }

    fn is_remote(&self) -> bool {
        true
    }

    fn retention(&self) -> RetentionAbility {
        RetentionAbility {
            by_age: true,
            by_size: false,
        }
    }

    async fn retain(&self, policy: &RetentionPolicy) -> Result<u64> {
        self.ch_retain(policy).await
    }
}

/// ClickHouse does not keep patterns yet: a `pattern=` term is refused
/// rather than ignored (which would return every record).
fn no_patterns(q: &Query) -> Result<()> {
    if q.patterns.is_empty() {
        Ok(())
    } else {
        anyhow::bail!(
            "pattern= is not supported on ClickHouse targets yet (the embedded store and loghub serve have it)"
        )
    }
}

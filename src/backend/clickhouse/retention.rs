//! Retention on ClickHouse. By age only: a size limit has no meaning a
//! shared cluster could honour per writer, so `serve --max-store-size` on a
//! ClickHouse store is refused (see `Backend::retention`).
//!
//! On 19.6+ the table gets a `TTL ts + toIntervalSecond(N)` (set by
//! `loghub clickhouse init --retention` or `serve --retention`, changed only
//! when it differs, so a pass costs one look at `system.tables`); ClickHouse
//! then deletes expired rows itself as it merges parts. Older servers have
//! no TTL, so each pass runs an `ALTER TABLE … DELETE WHERE ts < cutoff`
//! mutation when there is anything to delete. With a cluster both go to the
//! `<table>_local` shards, `ON CLUSTER`.

use std::time::Duration;

use anyhow::{Context, Result};

use super::ClickHouseBackend;
use super::schema::{ident, ttl_expr};
use super::sql::Sql;
use crate::backend::RetentionPolicy;
use crate::record::now_micros;

impl ClickHouseBackend {
    /// The data table's name (the shards' `<table>_local` behind a
    /// Distributed one) and the `ON CLUSTER` clause for DDL on it.
    async fn data_table(&self) -> Result<DataTable> {
        let srv = self.server().await?;
        let u = self.client.url();
        Ok(match (&u.cluster, srv.distributed) {
            (Some(c), true) => DataTable {
                name: format!("{}_local", u.table),
                on: format!(" ON CLUSTER {}", ident(c)),
            },
            _ => DataTable {
                name: u.table.clone(),
                on: String::new(),
            },
        })
    }

    /// `` `db`.`name` `` of the data table.
    fn qualified(&self, t: &DataTable) -> String {
        format!("{}.{}", ident(&self.client.url().database), ident(&t.name))
    }

    /// Gives the table a TTL of `max_age` unless it has that one already;
    /// returns the statement run, or `None` when nothing changed. Servers
    /// before 19.6 have no TTL: an error says so.
    pub async fn set_ttl(&self, max_age: Duration) -> Result<Option<String>> {
        let srv = self.server().await?;
        if !srv.features.ttl {
            anyhow::bail!(
                "ClickHouse {} has no table TTL (19.6+); `loghub serve --retention` deletes old rows there instead",
                srv.version
            );
        }
        let data = self.data_table().await?;
        let expr = ttl_expr(max_age.as_secs().max(1));
        if self
            .engine_full(&data)
            .await?
            .is_some_and(|e| has_ttl(&e, &expr))
        {
            return Ok(None);
        }
        let table = self.qualified(&data);
        let stmt = format!("ALTER TABLE {table}{} MODIFY TTL {expr}", data.on);
        let mut sql = Sql::new(false);
        sql.push(&stmt);
        self.client
            .exec(&sql, &[])
            .await
            .with_context(|| format!("setting the TTL of {table}"))?;
        Ok(Some(stmt))
    }

    /// `engine_full` of the data table, where the TTL shows.
    async fn engine_full(&self, data: &DataTable) -> Result<Option<String>> {
        let u = self.client.url();
        let mut sql = Sql::new(false);
        sql.push("SELECT engine_full FROM system.tables WHERE database = ")
            .str(&u.database)
            .push(" AND name = ")
            .str(&data.name);
        let body = self.client.exec(&sql, &[]).await?;
        Ok(body.lines().next().map(str::to_string))
    }

    pub(super) async fn ch_retain(&self, policy: &RetentionPolicy) -> Result<u64> {
        if policy.max_bytes.is_some() {
            anyhow::bail!("ClickHouse has no size limit here; use --retention (a table TTL)");
        }
        let Some(age) = policy.max_age else {
            return Ok(0);
        };
        let srv = self.server().await?;
        if srv.features.ttl {
            if let Some(stmt) = self.set_ttl(age).await? {
                tracing::info!("{stmt}");
            }
            return Ok(0);
        }
        let cutoff = (now_micros() / 1_000_000).saturating_sub(age.as_secs() as i64);
        let data = self.data_table().await?;
        let table = self.qualified(&data);
        let mut count = Sql::new(srv.features.query_params);
        count
            .push("SELECT count() FROM ")
            .push(&self.table())
            .push(" WHERE ts < toDateTime(")
            .int(cutoff)
            .push(")");
        let old: u64 = self
            .client
            .exec(&count, &[])
            .await?
            .trim()
            .parse()
            .context("reading a row count from ClickHouse")?;
        if old == 0 {
            return Ok(0);
        }
        let mut del = Sql::new(false);
        del.push(&format!(
            "ALTER TABLE {table}{} DELETE WHERE ts < toDateTime(",
            data.on
        ))
        .int(cutoff)
        .push(")");
        self.client
            .exec(&del, &[])
            .await
            .with_context(|| format!("deleting rows older than the retention from {table}"))?;
        Ok(old)
    }
}

/// Where the rows live, for DDL ([`ClickHouseBackend::data_table`]).
struct DataTable {
    /// Unquoted table name.
    name: String,
    /// ` ON CLUSTER …`, or empty.
    on: String,
}

/// Whether `engine_full` carries exactly the TTL `expr` (not one that merely
/// starts with the same digits).
fn has_ttl(engine_full: &str, expr: &str) -> bool {
    let want = format!("TTL {expr}");
    engine_full.match_indices(&want).any(|(i, m)| {
        engine_full[i + m.len()..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_is_matched_exactly() {
        let e = "MergeTree PARTITION BY toYYYYMM(ts) ORDER BY (ts, id) TTL ts + toIntervalSecond(604800) SETTINGS index_granularity = 8192";
        assert!(has_ttl(e, &ttl_expr(604_800)));
        assert!(!has_ttl(e, &ttl_expr(60_480)));
        assert!(!has_ttl("MergeTree ORDER BY (ts, id)", &ttl_expr(604_800)));
    }
}

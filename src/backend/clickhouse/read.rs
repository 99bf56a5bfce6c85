//! Reading: search pages newest first with a `(time, id)` cursor, stats by
//! interval and level with top services and top errors, traces oldest first,
//! and `tail` by polling recent ids with a look-back window.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use super::ClickHouseBackend;
use super::ingest::ID_SHIFT;
use super::sql::{Sql, filters};
use crate::backend::{RecordStream, TailStart};
use crate::query::{Bucket, Query, QueryPage, Stats, StatsQuery, TopError};
use crate::record::{Level, Record, now_micros};

const COLUMNS: &str =
    "id, time_us, level, service, host, message, trace_id, span_id, metadata, batch_id";
/// Settings for every read: 64-bit integers as JSON numbers.
const READ: [(&str, &str); 1] = [("output_format_json_quote_64bit_integers", "0")];
/// How far back (by insert time, i.e. id) each tail poll looks, so that a
/// batch another shipper took its ids for a while ago, but whose INSERT
/// finished only now, is still seen.
pub const TAIL_LOOKBACK_MS: i64 = 10_000;
const TAIL_POLL: Duration = Duration::from_millis(400);
const TAIL_PAGE: usize = 5000;
/// Give up tailing after the server has failed for this long in a row.
const TAIL_GIVE_UP: Duration = Duration::from_secs(60);
/// A trace longer than this is cut (a trace is one request, not a table scan).
const MAX_TRACE: usize = 100_000;
/// Dense buckets up to this many; beyond, only non-empty buckets.
const MAX_DENSE_BUCKETS: i64 = 10_000;

#[derive(Deserialize)]
struct Row {
    id: i64,
    time_us: i64,
    level: String,
    service: String,
    host: String,
    message: String,
    trace_id: String,
    span_id: String,
    metadata: String,
    batch_id: String,
}

impl Row {
    fn into_record(self) -> (Record, String) {
        let record = Record {
            pattern: None,
            id: Some(self.id),
            time: self.time_us,
            level: Level::from_name(&self.level).unwrap_or_default(),
            service: self.service,
            host: self.host,
            message: self.message,
            trace_id: (!self.trace_id.is_empty()).then_some(self.trace_id),
            span_id: (!self.span_id.is_empty()).then_some(self.span_id),
            metadata: serde_json::from_str(&self.metadata).unwrap_or_default(),
        };
        (record, self.batch_id)
    }
}

fn parse_rows<T: for<'de> Deserialize<'de>>(body: &str) -> Result<Vec<T>> {
    body.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l).with_context(|| {
                format!("unexpected row from ClickHouse: {}", &l[..l.len().min(200)])
            })
        })
        .collect()
}

fn parse_cursor(c: &str) -> Result<(i64, i64)> {
    let bad = || anyhow::anyhow!("invalid cursor '{c}'");
    let (t, id) = c.split_once(':').ok_or_else(bad)?;
    Ok((
        t.parse().map_err(|_| bad())?,
        id.parse().map_err(|_| bad())?,
    ))
}

impl ClickHouseBackend {
    fn select(&self, q: &Query) -> Sql {
        let f = self.features();
        let mut sql = Sql::new(f.query_params);
        sql.push("SELECT ")
            .push(COLUMNS)
            .push(" FROM ")
            .push(&self.table())
            .push(" WHERE 1");
        filters(&mut sql, q, f.skip_indexes);
        sql
    }

    async fn rows(&self, sql: &Sql) -> Result<Vec<(Record, String)>> {
        let body = self.client.exec(sql, &READ).await?;
        Ok(parse_rows::<Row>(&body)?
            .into_iter()
            .map(Row::into_record)
            .collect())
    }

    pub(super) async fn ch_query(
        &self,
        q: &Query,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<QueryPage> {
        self.server().await?;
        let limit = limit.clamp(1, 10_000);
        let mut sql = self.select(q);
        if let Some(c) = cursor {
            let (t, id) = parse_cursor(c)?;
            sql.push(" AND ts <= toDateTime(")
                .int(super::sql::secs_floor(t).max(0))
                .push(") AND (time_us < ")
                .int(t)
                .push(" OR (time_us = ")
                .int(t)
                .push(" AND id < ")
                .int(id)
                .push("))");
        }
        sql.push(" ORDER BY time_us DESC, id DESC LIMIT ")
            .int(limit as i64)
            .push(" FORMAT JSONEachRow");
        let records: Vec<Record> = self.rows(&sql).await?.into_iter().map(|x| x.0).collect();
        let next_cursor = (records.len() == limit)
            .then(|| records.last())
            .flatten()
            .map(|r| format!("{}:{}", r.time, r.id.unwrap_or(0)));
        Ok(QueryPage {
            records,
            total: None,
            next_cursor,
        })
    }

    /// Every match, newest first, as one `SELECT … FORMAT JSONEachRow`
    /// read as ClickHouse sends it.
    pub(super) async fn ch_export(&self, q: &Query, limit: Option<usize>) -> Result<RecordStream> {
        self.server().await?;
        let mut sql = self.select(q);
        sql.push(" ORDER BY time_us DESC, id DESC");
        if let Some(n) = limit {
            sql.push(" LIMIT ").int(n as i64);
        }
        sql.push(" FORMAT JSONEachRow");
        let resp = self.client.exec_stream(&sql, &READ).await?;
        crate::backend::ndjson_stream::records(resp, self.client.url().describe(), |line| {
            Ok(serde_json::from_slice::<Row>(line)?.into_record().0)
        })
    }

    pub(super) async fn ch_trace(&self, trace_id: &str) -> Result<Vec<Record>> {
        self.server().await?;
        let q = Query {
            trace_id: Some(trace_id.to_string()),
            ..Query::default()
        };
        let mut sql = self.select(&q);
        sql.push(" ORDER BY time_us, id LIMIT ")
            .int(MAX_TRACE as i64)
            .push(" FORMAT JSONEachRow");
        Ok(self.rows(&sql).await?.into_iter().map(|x| x.0).collect())
    }

    pub(super) async fn ch_stats(&self, sq: &StatsQuery) -> Result<Stats> {
        self.server().await?;
        let f = self.features();
        let q = &sq.query;
        let now = now_micros();
        let interval = sq.interval.unwrap_or(3600).max(1);
        let step = interval * 1_000_000;
        let from = |sql: &mut Sql| {
            sql.push(" FROM ").push(&self.table()).push(" WHERE 1");
            filters(sql, q, f.skip_indexes);
        };

        // Plain GROUP BY over the filtered rows (see the module docs for why
        // no rollup table): bucket × level.
        let mut sql = Sql::new(f.query_params);
        sql.push("SELECT intDiv(time_us, ")
            .int(step)
            .push(") AS b, toString(level) AS l, count() AS n");
        from(&mut sql);
        sql.push(" GROUP BY b, l ORDER BY b FORMAT JSONEachRow");
        #[derive(Deserialize)]
        struct B {
            b: i64,
            l: String,
            n: u64,
        }
        let rows: Vec<B> = parse_rows(&self.client.exec(&sql, &READ).await?)?;
        let mut buckets: BTreeMap<i64, Bucket> = BTreeMap::new();
        let mut stats = Stats {
            interval,
            since: q.since.unwrap_or(now - 24 * 3600 * 1_000_000),
            until: q.until.unwrap_or(now),
            ..Stats::default()
        };
        for r in rows {
            let level = Level::from_name(&r.l).unwrap_or_default().index();
            let b = buckets.entry(r.b * step).or_insert_with(|| Bucket {
                start: r.b * step,
                ..Bucket::default()
            });
            b.total += r.n;
            b.by_level[level] += r.n;
            stats.total += r.n;
            stats.by_level[level] += r.n;
        }
        // Dense buckets over the range, so gaps show as zero rows.
        let first = stats.since.div_euclid(step);
        let last = (stats.until - 1).div_euclid(step);
        if last >= first && last - first < MAX_DENSE_BUCKETS {
            for b in first..=last {
                buckets.entry(b * step).or_insert_with(|| Bucket {
                    start: b * step,
                    ..Bucket::default()
                });
            }
        }
        stats.buckets = buckets.into_values().collect();

        if sq.top > 0 {
            let mut sql = Sql::new(f.query_params);
            sql.push("SELECT toString(service) AS s, count() AS n");
            from(&mut sql);
            sql.push(" GROUP BY s ORDER BY n DESC, s LIMIT ")
                .int(sq.top as i64)
                .push(" FORMAT JSONEachRow");
            #[derive(Deserialize)]
            struct S {
                s: String,
                n: u64,
            }
            let rows: Vec<S> = parse_rows(&self.client.exec(&sql, &READ).await?)?;
            stats.top_services = rows.into_iter().map(|r| (r.s, r.n)).collect();

            // Fingerprints were computed in Rust at insert time.
            let mut sql = Sql::new(f.query_params);
            sql.push(
                "SELECT fingerprint AS f, any(message) AS m, count() AS n, \
                 toString(any(service)) AS s, max(time_us) AS t",
            );
            from(&mut sql);
            sql.push(" AND level IN ('error', 'critical') AND fingerprint != ''")
                .push(" GROUP BY f ORDER BY n DESC, t DESC LIMIT ")
                .int(sq.top as i64)
                .push(" FORMAT JSONEachRow");
            #[derive(Deserialize)]
            struct E {
                f: String,
                m: String,
                n: u64,
                s: String,
                t: i64,
            }
            let rows: Vec<E> = parse_rows(&self.client.exec(&sql, &READ).await?)?;
            stats.top_errors = rows
                .into_iter()
                .map(|e| TopError {
                    fingerprint: e.f,
                    sample: e.m,
                    count: e.n,
                    service: e.s,
                    last_seen: e.t,
                })
                .collect();
        }
        Ok(stats)
    }

    pub(super) async fn ch_tail(&self, q: &Query, start: TailStart) -> Result<RecordStream> {
        self.server().await?;
        let me = self.clone();
        let q = q.clone();
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Record>>(TAIL_PAGE);
        tokio::spawn(async move {
            if let Err(e) = me.tail_loop(q, start, &tx).await {
                let _ = tx.send(Err(e)).await;
            }
        });
        Ok(Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx)))
    }

    /// Backfill (oldest first) from `since`, then poll ids taken in the last
    /// [`TAIL_LOOKBACK_MS`]: anything not yet printed (by id and batch) is
    /// printed in id order. Ends when the receiver goes away.
    async fn tail_loop(
        &self,
        q: Query,
        start: TailStart,
        tx: &tokio::sync::mpsc::Sender<Result<Record>>,
    ) -> Result<()> {
        let mut seen: HashSet<(i64, String)> = HashSet::new();
        // Ids at or below the floor were taken before this tail began (or
        // were delivered before a resume).
        // With a backfill, the live part also looks back over the window
        // before it (a batch whose ids were taken before the backfill query
        // but which landed after it); the seen-set drops what was backfilled.
        let now_ms = now_micros() / 1000;
        let floor = match (start.after_id, start.since) {
            (Some(id), _) => id,
            (None, Some(_)) => ((now_ms - TAIL_LOOKBACK_MS) << ID_SHIFT) - 1,
            (None, None) => (now_ms << ID_SHIFT) - 1,
        };
        if let Some(since) = start.since.filter(|_| start.after_id.is_none()) {
            let mut after: Option<(i64, i64)> = None;
            let q = Query {
                since: Some(since),
                ..q.clone()
            };
            loop {
                let mut sql = self.select(&q);
                if let Some((t, id)) = after {
                    sql.push(" AND (time_us > ")
                        .int(t)
                        .push(" OR (time_us = ")
                        .int(t)
                        .push(" AND id > ")
                        .int(id)
                        .push("))");
                }
                sql.push(" ORDER BY time_us, id LIMIT ")
                    .int(TAIL_PAGE as i64)
                    .push(" FORMAT JSONEachRow");
                let rows = self.rows(&sql).await?;
                let n = rows.len();
                for (r, batch) in rows {
                    after = Some((r.time, r.id.unwrap_or(0)));
                    if r.id.unwrap_or(0) > floor {
                        seen.insert((r.id.unwrap_or(0), batch));
                    }
                    if tx.send(Ok(r)).await.is_err() {
                        return Ok(());
                    }
                }
                if n < TAIL_PAGE {
                    break;
                }
            }
        }
        // New records may carry any event time: the live part filters on
        // everything but the time range (except a backfill's `since`, which
        // keeps holding for the records of the look-back window).
        let live = Query {
            since: start.since.filter(|_| start.after_id.is_none()),
            until: None,
            ..q
        };
        let mut failing_since: Option<std::time::Instant> = None;
        loop {
            let low = floor.max(((now_micros() / 1000 - TAIL_LOOKBACK_MS) << ID_SHIFT) - 1);
            seen.retain(|(id, _)| *id > low);
            let mut after = low;
            loop {
                let mut sql = self.select(&live);
                sql.push(" AND id > ")
                    .int(after)
                    .push(" ORDER BY id LIMIT ")
                    .int(TAIL_PAGE as i64)
                    .push(" FORMAT JSONEachRow");
                let rows = match self.rows(&sql).await {
                    Ok(r) => {
                        failing_since = None;
                        r
                    }
                    Err(e) => {
                        let since = *failing_since.get_or_insert_with(std::time::Instant::now);
                        if since.elapsed() > TAIL_GIVE_UP {
                            bail!("{e:#} (for more than {}s)", TAIL_GIVE_UP.as_secs());
                        }
                        tracing::warn!("tail: {e:#}; retrying");
                        break;
                    }
                };
                let n = rows.len();
                for (r, batch) in rows {
                    let id = r.id.unwrap_or(0);
                    after = after.max(id);
                    if seen.insert((id, batch)) && tx.send(Ok(r)).await.is_err() {
                        return Ok(());
                    }
                }
                if n < TAIL_PAGE {
                    break;
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(TAIL_POLL) => {}
                _ = tx.closed() => return Ok(()),
            }
        }
    }
}

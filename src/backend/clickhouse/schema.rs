//! The server's version, the features it implies, and the DDL of loghub's
//! table for that version (single server, or `ON CLUSTER` with
//! ReplicatedMergeTree shards behind a Distributed table).

/// `major.minor` of `SELECT version()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
}

impl Version {
    pub fn parse(s: &str) -> Option<Version> {
        let mut it = s.trim().split('.');
        let major = it.next()?.parse().ok()?;
        let minor = it.next()?.parse().ok()?;
        Some(Version { major, minor })
    }

    const fn at_least(self, major: u32, minor: u32) -> bool {
        self.major > major || (self.major == major && self.minor >= minor)
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// What loghub uses of a server version (see the module docs of
/// `backend::clickhouse` for the table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Features {
    /// `{name:Type}` query parameters over HTTP (19.11+); else rigorous escaping.
    pub query_params: bool,
    /// `LowCardinality(String)` without an experimental setting (20.1+).
    pub low_cardinality: bool,
    /// Data-skipping indexes (minmax, bloom_filter, ngrambf_v1) without an
    /// experimental setting (20.3+).
    pub skip_indexes: bool,
    /// `insert_deduplication_token` with `non_replicated_deduplication_window`
    /// (22.2+); else a `batch_id` column checked before each insert.
    pub dedup_token: bool,
    /// A table `TTL` (19.6+); older servers get retention as an
    /// `ALTER TABLE … DELETE` mutation on each pass instead.
    pub ttl: bool,
}

impl Features {
    pub fn of(v: Version) -> Features {
        Features {
            query_params: v.at_least(19, 11),
            low_cardinality: v.at_least(20, 1),
            skip_indexes: v.at_least(20, 3),
            dedup_token: v.at_least(22, 2),
            ttl: v.at_least(19, 6),
        }
    }
}

/// How many recent insert tokens a non-replicated table remembers.
pub const DEDUP_WINDOW: u32 = 10_000;

/// Backquotes an identifier already checked by `url::check_ident`.
pub fn ident(name: &str) -> String {
    format!("`{name}`")
}

/// The columns; `ts` is `time_us` to the second, for partitioning and the
/// primary key (Int64 µs keeps full precision on every version, DateTime64
/// would need 20.1+). `meta_keys`/`meta_values` hold the metadata flattened
/// to dotted paths, computed at insert, so metadata filters are exact array
/// look-ups on every version.
fn columns(f: &Features) -> String {
    let lc = if f.low_cardinality {
        "LowCardinality(String)"
    } else {
        "String"
    };
    let mut cols = vec![
        "id Int64".to_string(),
        "time_us Int64".to_string(),
        "ts DateTime".to_string(),
        "level Enum8('debug' = 0, 'info' = 1, 'warn' = 2, 'error' = 3, 'critical' = 4)".to_string(),
        format!("service {lc}"),
        format!("host {lc}"),
        "message String".to_string(),
        "trace_id String".to_string(),
        "span_id String".to_string(),
        "metadata String".to_string(),
        "meta_keys Array(String)".to_string(),
        "meta_values Array(String)".to_string(),
        "fingerprint String".to_string(),
        "batch_id String".to_string(),
    ];
    if f.skip_indexes {
        cols.extend([
            "INDEX idx_id id TYPE minmax GRANULARITY 4".to_string(),
            "INDEX idx_trace trace_id TYPE bloom_filter(0.01) GRANULARITY 4".to_string(),
            "INDEX idx_message lowerUTF8(message) TYPE ngrambf_v1(4, 8192, 3, 0) GRANULARITY 4"
                .to_string(),
        ]);
    }
    format!("(\n    {}\n)", cols.join(",\n    "))
}

const LAYOUT: &str = "PARTITION BY toYYYYMM(ts)\nORDER BY (ts, id)";

/// The TTL expression of a retention of `secs` seconds, as the server
/// writes it back in `system.tables.engine_full`.
pub fn ttl_expr(secs: u64) -> String {
    format!("ts + toIntervalSecond({secs})")
}

/// The statements that create loghub's schema if missing, in order.
pub fn ddl(f: &Features, database: &str, table: &str, cluster: Option<&str>) -> Vec<String> {
    let db = ident(database);
    match cluster {
        None => {
            let settings = if f.dedup_token {
                format!("\nSETTINGS non_replicated_deduplication_window = {DEDUP_WINDOW}")
            } else {
                String::new()
            };
            vec![
                format!("CREATE DATABASE IF NOT EXISTS {db}"),
                format!(
                    "CREATE TABLE IF NOT EXISTS {db}.{} {}\nENGINE = MergeTree()\n{LAYOUT}{settings}",
                    ident(table),
                    columns(f)
                ),
            ]
        }
        Some(c) => {
            let local = format!("{table}_local");
            let on = format!("ON CLUSTER {}", ident(c));
            vec![
                format!("CREATE DATABASE IF NOT EXISTS {db} {on}"),
                // Replicas de-duplicate inserts by block (or by token on 22.2+).
                format!(
                    "CREATE TABLE IF NOT EXISTS {db}.{} {on} {}\n\
                     ENGINE = ReplicatedMergeTree('/clickhouse/tables/{{shard}}/{database}/{local}', '{{replica}}')\n{LAYOUT}",
                    ident(&local),
                    columns(f)
                ),
                // Sharding by batch: a retried batch lands on the shard that
                // may already hold it, so its de-duplication can work.
                format!(
                    "CREATE TABLE IF NOT EXISTS {db}.{} {on} AS {db}.{}\n\
                     ENGINE = Distributed({}, {db}, {}, cityHash64(batch_id))",
                    ident(table),
                    ident(&local),
                    ident(c),
                    ident(&local)
                ),
            ]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: Version = Version {
        major: 18,
        minor: 16,
    };
    const NEW: Version = Version {
        major: 24,
        minor: 3,
    };

    #[test]
    fn versions_parse_and_pick_features() {
        assert_eq!(Version::parse("18.16.1"), Some(OLD));
        assert_eq!(Version::parse("24.3.2.23"), Some(NEW));
        assert_eq!(Version::parse("nonsense"), None);
        let old = Features::of(OLD);
        assert!(!old.query_params && !old.low_cardinality && !old.skip_indexes && !old.dedup_token);
        let new = Features::of(NEW);
        assert!(new.query_params && new.low_cardinality && new.skip_indexes && new.dedup_token);
        assert!(Features::of(Version::parse("19.11.3").unwrap()).query_params);
        assert!(!Features::of(Version::parse("22.1.1").unwrap()).dedup_token);
    }

    #[test]
    fn single_server_ddl_for_old_and_new() {
        let old = ddl(&Features::of(OLD), "db", "logs", None);
        assert_eq!(old.len(), 2);
        assert_eq!(old[0], "CREATE DATABASE IF NOT EXISTS `db`");
        assert!(
            old[1].starts_with("CREATE TABLE IF NOT EXISTS `db`.`logs` ("),
            "{}",
            old[1]
        );
        assert!(
            old[1].contains("ENGINE = MergeTree()\nPARTITION BY toYYYYMM(ts)\nORDER BY (ts, id)")
        );
        assert!(old[1].contains("service String,") && !old[1].contains("LowCardinality"));
        assert!(!old[1].contains("INDEX") && !old[1].contains("SETTINGS"));

        let new = ddl(&Features::of(NEW), "db", "logs", None);
        assert!(
            new[1].contains("service LowCardinality(String),"),
            "{}",
            new[1]
        );
        assert!(new[1].contains("INDEX idx_message lowerUTF8(message) TYPE ngrambf_v1"));
        assert!(new[1].ends_with("SETTINGS non_replicated_deduplication_window = 10000"));
    }

    #[test]
    fn cluster_ddl_is_replicated_behind_distributed() {
        let d = ddl(&Features::of(NEW), "db", "logs", Some("main"));
        assert_eq!(d.len(), 3);
        assert_eq!(d[0], "CREATE DATABASE IF NOT EXISTS `db` ON CLUSTER `main`");
        assert!(
            d[1].starts_with("CREATE TABLE IF NOT EXISTS `db`.`logs_local` ON CLUSTER `main` ("),
            "{}",
            d[1]
        );
        assert!(d[1].contains(
            "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/db/logs_local', '{replica}')\nPARTITION BY"
        ));
        assert!(!d[1].contains("non_replicated_deduplication_window"));
        assert_eq!(
            d[2],
            "CREATE TABLE IF NOT EXISTS `db`.`logs` ON CLUSTER `main` AS `db`.`logs_local`\n\
             ENGINE = Distributed(`main`, `db`, `logs_local`, cityHash64(batch_id))"
        );
    }
}

//! The ClickHouse suite (`suite.rs`) against a current ClickHouse: 26.9's
//! engine from the `chdb-core` wheel behind `server.py`, ClickHouse's HTTP
//! interface, started by `.ci/chdb.sh` (URL in
//! `LOGHUB_TEST_CLICKHOUSE_CURRENT`, default
//! `clickhouse://default@127.0.0.1:8124/loghub_test`). This is where the
//! newer-server code paths run: query parameters, LowCardinality, skip
//! indexes, insert de-duplication tokens. In CI a missing server fails the
//! tests; elsewhere they are skipped with a message on the terminal.

#[path = "../common/mod.rs"]
mod common;

const SERVER: ChServer = ChServer {
    name: "ClickHouse 26.9 (chDB shim)",
    env: "LOGHUB_TEST_CLICKHOUSE_CURRENT",
    default_url: "clickhouse://default@127.0.0.1:8124/loghub_test",
    start_script: ".ci/chdb.sh",
    restart_port_base: 17_100,
    optional: true,
};

include!("suite.rs");

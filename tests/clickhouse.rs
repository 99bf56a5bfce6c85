//! `clickhouse://` targets against Debian's clickhouse-server 18.16, the one
//! started by `.ci/clickhouse.sh` (URL in `LOGHUB_TEST_CLICKHOUSE`, default
//! `clickhouse://default@127.0.0.1:8123/loghub_test`). The tests are in
//! `ch_current/suite.rs`, shared with `ch_current/main.rs`, which runs them
//! against ClickHouse 26.9. An unreachable server fails the tests, with a
//! hint to run the script.

mod common;

const SERVER: ChServer = ChServer {
    name: "ClickHouse 18.16 test server",
    env: "LOGHUB_TEST_CLICKHOUSE",
    default_url: "clickhouse://default@127.0.0.1:8123/loghub_test",
    start_script: ".ci/clickhouse.sh",
    restart_port_base: 18_100,
    optional: false,
};

include!("ch_current/suite.rs");

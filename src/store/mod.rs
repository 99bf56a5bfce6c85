//! The embedded store (SPEC §7): SQLite in WAL mode, FTS5 on messages, indexes
//! for time, service, level, host and trace, rollups for stats, retention.

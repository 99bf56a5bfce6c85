//! Output of the reading commands: table, raw, json, ndjson; progress; colour.

pub mod progress;

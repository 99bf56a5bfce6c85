//! loghub: one binary that ships logs and reads them back.
//!
//! The library holds everything; `main.rs` only parses, sets up logging and a
//! runtime, dispatches and maps the result to an exit code.

pub mod backend;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod dlq;
pub mod exit;
pub mod follow;
pub mod output;
pub mod parse;
pub mod pattern;
pub mod pipeline;
pub mod query;
pub mod record;
pub mod server;
pub mod store;

//! loghub: one binary that ships logs and reads them back.
//!
//! The library holds everything; `main.rs` only parses, sets up logging and a
//! runtime, dispatches and maps the result to an exit code.
//!
//! A closed stdout pipe (`loghub stats | head -1`) must end a command
//! quietly with exit 0, never a panic: `print!` panics on it, so the library
//! prints through `output::print` or a `RecordWriter`, which return the
//! error for `main` to map (the lint below keeps it so for new commands).

#![deny(clippy::print_stdout)]

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

//! Inputs that bring their own lines (`send --follow`, SPEC §9). A [`Source`]
//! takes the place of the reader and line threads: it hands the parse
//! workers chunks of events that say where they came from — the file of
//! each run of events (`metadata.file`) and the byte [`Span`]s the chunk
//! covers. Batches are then cut only between such chunks, so every batch
//! covers whole spans, and a [`Ledger`] hears of each batch (its id and
//! spans) before it is submitted. The batch's [`Receipt`] tells the ledger
//! when the batch is settled: acknowledged, refused for good, dropped by
//! `--on-full`, or durably in the spool.

use std::sync::Arc;
use std::sync::mpsc::SyncSender;

use crate::backend::Batch;
use crate::parse::Event;
use crate::record::now_micros;

use super::{Chunk, Signals};

/// Bytes `start..end` of one input file (known to the source by `file`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub file: u64,
    pub start: u64,
    pub end: u64,
}

/// Hears of every batch cut from a source's chunks before it is sent.
pub trait Ledger: Send + Sync {
    /// `batch` covers `spans` and is about to be submitted: record that (a
    /// batch that already has a record keeps it, see [`ChunkSink::send`]),
    /// and give the batch a receipt that reports when it is settled.
    fn cut(&self, batch: &mut Batch, spans: Vec<Span>);
}

/// An input that produces events itself, on its own thread.
pub trait Source: Send {
    /// Runs until `signals.stop` is set (or the pipeline goes away), handing
    /// events to `out`.
    fn run(self: Box<Self>, out: ChunkSink, signals: Arc<Signals>);
}

/// Where a [`Source`] hands its events.
pub struct ChunkSink {
    pub(super) tx: SyncSender<Chunk>,
    pub(super) seq: u64,
}

/// One chunk from a source: its events, the file of each run of them, and
/// the spans they cover.
#[derive(Debug, Default)]
pub struct SourceChunk {
    pub events: Vec<Event>,
    /// `(index of the first event, file path)` for each run of events from one file.
    pub files: Vec<(usize, Arc<str>)>,
    pub spans: Vec<Span>,
    /// These events are one batch of their own with this id (a batch that
    /// was recorded but not settled before a crash, sent again).
    pub batch: Option<String>,
}

impl SourceChunk {
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.spans.is_empty()
    }
}

impl ChunkSink {
    /// Hands a chunk over (never cut across batches). False when the
    /// pipeline is gone.
    pub fn send(&mut self, c: SourceChunk) -> bool {
        let chunk = Chunk {
            seq: self.seq,
            read_time: now_micros(),
            events: c.events,
            origin: Some(Box::new(super::Origin {
                files: c.files,
                spans: c.spans,
                batch: c.batch,
            })),
        };
        self.seq += 1;
        self.tx.send(chunk).is_ok()
    }
}

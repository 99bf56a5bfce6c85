//! One JSON array of records, streamed (never held in memory whole).

use std::io::{self, Write};

use super::RecordWriter;
use crate::record::Record;

pub struct JsonWriter {
    out: Box<dyn Write>,
    first: bool,
    buf: Vec<u8>,
}

impl JsonWriter {
    pub fn new(out: Box<dyn Write>) -> Self {
        JsonWriter {
            out,
            first: true,
            buf: Vec::new(),
        }
    }
}

impl RecordWriter for JsonWriter {
    fn write(&mut self, r: &Record) -> io::Result<()> {
        self.buf.clear();
        self.buf
            .extend_from_slice(if self.first { b"[\n  " } else { b",\n  " });
        self.first = false;
        r.write_cli_json(&mut self.buf);
        self.out.write_all(&self.buf)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out
            .write_all(if self.first { b"[]\n" } else { b"\n]\n" })?;
        self.out.flush()
    }

    fn footer(&mut self, _note: &str) -> io::Result<()> {
        // Data, not prose: a footer would break the JSON.
        Ok(())
    }
}

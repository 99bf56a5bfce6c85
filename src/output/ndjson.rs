//! One JSON record per line: for pipes and `jq`.

use std::io::{self, Write};

use super::RecordWriter;
use crate::record::Record;

pub struct NdjsonWriter {
    out: Box<dyn Write>,
    buf: Vec<u8>,
}

impl NdjsonWriter {
    pub fn new(out: Box<dyn Write>) -> Self {
        NdjsonWriter {
            out,
            buf: Vec::with_capacity(1024),
        }
    }
}

impl RecordWriter for NdjsonWriter {
    fn write(&mut self, r: &Record) -> io::Result<()> {
        self.buf.clear();
        r.write_cli_json(&mut self.buf);
        self.buf.push(b'\n');
        self.out.write_all(&self.buf)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn footer(&mut self, _note: &str) -> io::Result<()> {
        // Data, not prose: a footer would break `jq`.
        Ok(())
    }
}

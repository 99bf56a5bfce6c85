//! One line per record, like `journalctl`: `TIME LEVEL service host: message`.
//! Continuation lines of multi-line messages are indented.

use std::io::{self, Write};

use super::{RecordWriter, Style, colour, offset, short_time};
use crate::record::Record;

pub struct RawWriter {
    out: Box<dyn Write>,
    style: Style,
}

impl RawWriter {
    pub fn new(out: Box<dyn Write>, style: Style) -> Self {
        RawWriter { out, style }
    }
}

impl RecordWriter for RawWriter {
    fn write(&mut self, r: &Record) -> io::Result<()> {
        let c = self.style.colour;
        let when = match self.style.offset_from {
            Some(from) => format!("{:>10}", offset(r.time, from)),
            None => short_time(r.time),
        };
        let msg = r.message.replace('\n', "\n    ");
        writeln!(
            self.out,
            "{} {} {} {}: {}",
            colour::dim(&when, c),
            colour::level(r.level, c, 8),
            r.service,
            r.host,
            msg
        )
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn footer(&mut self, note: &str) -> io::Result<()> {
        writeln!(self.out, "{note}")
    }
}

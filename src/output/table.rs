//! Records as a table that fits the terminal width. Rows are printed in
//! tables of at most `PAGE` rows so that `--limit 0` never holds everything.

use std::io::{self, Write};

use comfy_table::{ContentArrangement, Table, TableComponent, presets};

use super::{RecordWriter, Style, colour, offset, short_time};
use crate::record::Record;

const PAGE: usize = 500;

pub struct TableWriter {
    out: Box<dyn Write>,
    style: Style,
    rows: Vec<Record>,
    printed: usize,
}

impl TableWriter {
    pub fn new(out: Box<dyn Write>, style: Style) -> Self {
        TableWriter {
            out,
            style,
            rows: Vec::new(),
            printed: 0,
        }
    }

    fn flush_rows(&mut self) -> io::Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let c = self.style.colour;
        let mut t = new_table(self.style.width);
        let first_col = if self.style.offset_from.is_some() {
            "OFFSET"
        } else {
            "TIME"
        };
        t.set_header(vec![first_col, "LEVEL", "SERVICE", "HOST", "MESSAGE"]);
        for r in self.rows.drain(..) {
            let when = match self.style.offset_from {
                Some(from) => offset(r.time, from),
                None => short_time(r.time),
            };
            t.add_row(vec![
                when,
                colour::level(r.level, c, 0),
                r.service,
                r.host,
                r.message,
            ]);
        }
        self.printed += 1;
        writeln!(self.out, "{t}")
    }
}

impl RecordWriter for TableWriter {
    fn write(&mut self, r: &Record) -> io::Result<()> {
        self.rows.push(r.clone());
        if self.rows.len() >= PAGE {
            self.flush_rows()?;
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.rows.is_empty() && self.printed == 0 {
            writeln!(self.out, "(no matching records)")?;
        }
        self.flush_rows()?;
        self.out.flush()
    }
}

/// A table in the house style: a rule above, under the header and below,
/// none between rows; columns shrink to fit `width`.
pub fn new_table(width: u16) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_HORIZONTAL_ONLY)
        .remove_style(TableComponent::HorizontalLines)
        .remove_style(TableComponent::LeftBorderIntersections)
        .remove_style(TableComponent::RightBorderIntersections)
        .remove_style(TableComponent::MiddleIntersections)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    t
}

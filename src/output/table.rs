//! Records as a table that fits the terminal width. Rows are printed in
//! tables of at most `PAGE` rows so that `--limit 0` never holds everything.
//!
//! Widths are measured on visible characters: levels are coloured by
//! comfy-table after it has laid the table out (never by escape codes inside
//! the cell text, which it would count as text). The time and level columns
//! never wrap; at narrow widths the time is compact (`12-31 23:59:59`). A
//! text line's own leading timestamp and level are not repeated in the
//! MESSAGE column (raw and JSON output keep the whole line).

use std::io::{self, Write};

use comfy_table::{
    Cell, CellAlignment, ColumnConstraint, ContentArrangement, Table, TableComponent, presets,
};

use super::{RecordWriter, Style, colour, offset, short_time};
use crate::record::{Micros, Record};

const PAGE: usize = 500;

/// Below this width the TIME column shows `MM-DD HH:MM:SS`.
const COMPACT_BELOW: u16 = 120;

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
        let st = self.style;
        let mut t = new_table(st.width, st.colour);
        let first_col = if st.offset_from.is_some() {
            "OFFSET"
        } else {
            "TIME"
        };
        t.set_header(vec![first_col, "LEVEL", "SERVICE", "HOST", "MESSAGE"]);
        for r in self.rows.drain(..) {
            let when = match st.offset_from {
                Some(from) => offset(r.time, from),
                None => table_time(r.time, st.width),
            };
            let message = display_message(&r).to_string();
            t.add_row(vec![
                Cell::new(when),
                colour::level_cell(r.level),
                Cell::new(r.service),
                Cell::new(r.host),
                Cell::new(message),
            ]);
        }
        keep_whole(&mut t, &[0, 1]);
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

    fn footer(&mut self, note: &str) -> io::Result<()> {
        self.flush_rows()?;
        writeln!(self.out, "{note}")
    }
}

/// The time of a table row: full below `COMPACT_BELOW` columns, compact above.
pub fn table_time(t: Micros, width: u16) -> String {
    if width >= COMPACT_BELOW {
        return short_time(t);
    }
    match chrono::DateTime::from_timestamp_micros(t) {
        Some(d) => d.format("%m-%d %H:%M:%S").to_string(),
        None => t.to_string(),
    }
}

/// The message without the leading timestamp and level word that the text
/// parser already lifted into the TIME and LEVEL columns.
pub fn display_message(r: &Record) -> &str {
    let msg = r.message.as_str();
    let first = msg.split('\n').next().unwrap_or("");
    let Some(found) =
        crate::parse::time::find_leading(first.as_bytes(), &crate::parse::Zone::Utc, r.time)
    else {
        return msg;
    };
    if found.time.is_none() || found.start > 2 {
        return msg;
    }
    let mut rest = msg[found.end..].trim_start_matches([' ', '\t', '-', '|']);
    // The level word right after the time, as written: `ERROR`, `[warn]`, `INFO:`.
    let word_end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
    let word = rest[..word_end]
        .trim_matches(|c: char| matches!(c, '[' | ']' | '(' | ')' | ':' | '<' | '>'));
    if word.parse::<crate::record::Level>().ok() == Some(r.level) {
        rest = rest[word_end..].trim_start_matches([' ', '\t', ':', '-', '|']);
    }
    if rest.trim().is_empty() { msg } else { rest }
}

/// Columns that never wrap (they take the width of their widest cell).
pub fn keep_whole(t: &mut Table, columns: &[usize]) {
    for &c in columns {
        if let Some(col) = t.column_mut(c) {
            col.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
}

/// Characters left for one more column after the columns of `t` (their
/// widest cell, one space of padding either side, one separator each, the
/// borders) and that column's own padding and separator.
pub fn room_left(t: &Table, width: u16) -> usize {
    let used: usize = t
        .column_max_content_widths()
        .iter()
        .map(|w| *w as usize + 3)
        .sum::<usize>()
        + 1;
    (width as usize).saturating_sub(used + 3)
}

/// `text` cut to `max` characters, with `…` when cut.
pub fn ellipsis(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// Right-aligns the given columns (counts).
pub fn align_right(t: &mut Table, columns: impl IntoIterator<Item = usize>) {
    for c in columns {
        if let Some(col) = t.column_mut(c) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
}

/// A table in the house style: a rule above, under the header and below,
/// none between rows; columns shrink to fit `width`; cells styled by
/// comfy-table (colours) only when `colour`.
pub fn new_table(width: u16, colour: bool) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_HORIZONTAL_ONLY)
        .remove_style(TableComponent::HorizontalLines)
        .remove_style(TableComponent::LeftBorderIntersections)
        .remove_style(TableComponent::RightBorderIntersections)
        .remove_style(TableComponent::MiddleIntersections)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    if colour {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    t
}

//! Level colours (ANSI), used only when colour is on (`--color`, `NO_COLOR`).
//! Text written line by line gets escape codes here; table cells get a
//! comfy-table colour instead, applied after the layout so widths stay right.

use comfy_table::{Attribute, Cell, Color};

use crate::record::Level;

fn code(l: Level) -> &'static str {
    match l {
        Level::Debug => "2",
        Level::Info => "32",
        Level::Warn => "33",
        Level::Error => "31",
        Level::Critical => "1;35",
    }
}

/// The level name, padded to `width` (visible characters), coloured when `on`.
pub fn level(l: Level, on: bool, width: usize) -> String {
    let name = format!("{:<width$}", l.as_str().to_uppercase());
    if !on {
        return name;
    }
    format!("\x1b[{}m{name}\x1b[0m", code(l))
}

/// The level name as a table cell, coloured when the table styles cells.
pub fn level_cell(l: Level) -> Cell {
    let c = Cell::new(l.as_str().to_uppercase());
    match l {
        Level::Debug => c.add_attribute(Attribute::Dim),
        Level::Info => c.fg(Color::Green),
        Level::Warn => c.fg(Color::Yellow),
        Level::Error => c.fg(Color::Red),
        Level::Critical => c.fg(Color::Magenta).add_attribute(Attribute::Bold),
    }
}

/// Dim text (times, offsets) when `on`.
pub fn dim(s: &str, on: bool) -> String {
    if on {
        format!("\x1b[2m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

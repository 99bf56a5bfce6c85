//! Level colours (ANSI), used only when colour is on (`--color`, `NO_COLOR`).

use crate::record::Level;

/// The level name, padded to `width`, coloured when `on`.
pub fn level(l: Level, on: bool, width: usize) -> String {
    let name = format!("{:<width$}", l.as_str().to_uppercase());
    if !on {
        return name;
    }
    let code = match l {
        Level::Debug => "2",
        Level::Info => "32",
        Level::Warn => "33",
        Level::Error => "31",
        Level::Critical => "1;35",
    };
    format!("\x1b[{code}m{name}\x1b[0m")
}

/// Dim text (times, offsets) when `on`.
pub fn dim(s: &str, on: bool) -> String {
    if on {
        format!("\x1b[2m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

//! How `tracing` diagnostics look on stderr: the same `loghub: warning: …`
//! lines as the messages commands print themselves, coloured only when
//! stderr is a terminal and `--color`/`NO_COLOR` allow it.

use std::fmt;
use std::io::IsTerminal;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::cli::ColorChoice;

/// Whether diagnostics on stderr are coloured.
pub fn stderr_colour(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stderr().is_terminal()
        }
    }
}

/// `loghub: LEVEL: message key=value …`, one line per event.
pub struct Diag {
    pub colour: bool,
}

impl<S, N> FormatEvent<S, N> for Diag
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let (word, code) = match *event.metadata().level() {
            Level::ERROR => ("error", "31"),
            Level::WARN => ("warning", "33"),
            Level::INFO => ("info", "32"),
            Level::DEBUG => ("debug", "2"),
            Level::TRACE => ("trace", "2"),
        };
        if self.colour {
            write!(writer, "loghub: \x1b[{code}m{word}\x1b[0m: ")?;
        } else {
            write!(writer, "loghub: {word}: ")?;
        }
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

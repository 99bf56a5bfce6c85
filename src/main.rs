//! `loghub`: parse the command line, set up logging and the runtime, dispatch,
//! map the result to an exit code. Errors print once, as `loghub: error: …`.

use std::process::ExitCode;

use loghub::exit::{self, Exit};

/// jemalloc rather than glibc's malloc: records are many small allocations
/// made on one thread and freed on another, in batches, which glibc's
/// malloc pays for by splitting and merging chunks (about a fifth of the
/// server's CPU on ingest; `bench/serve.sh` and `bench/send.sh` show the
/// difference).
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read when it starts: freed pages go back to the
/// system within a second (`dirty_decay_ms`) and at once from the lazy
/// state (`muzzy_decay_ms`), instead of after ten seconds, which keeps the
/// peak RSS of `send` and `serve` where glibc's malloc kept it.
#[unsafe(export_name = "_rjem_malloc_conf")]
static MALLOC_CONF: MallocConf = MallocConf(c"dirty_decay_ms:1000,muzzy_decay_ms:0".as_ptr());

/// A C string pointer that may live in a static (jemalloc only reads it).
#[repr(transparent)]
struct MallocConf(*const std::ffi::c_char);

// SAFETY: the pointer is to a string literal, never written.
unsafe impl Sync for MallocConf {}

fn main() -> ExitCode {
    let cli = loghub::cli::parse();
    init_logging(cli.global.verbose, cli.global.color);
    match loghub::cmd::run(cli) {
        Ok(code) => code.into(),
        Err(err) if exit::has_io_error(&err, std::io::ErrorKind::BrokenPipe) => Exit::Ok.into(),
        Err(err) => {
            eprintln!("loghub: error: {}", chain(&err));
            exit::code_for(&err).into()
        }
    }
}

/// `outer: cause: root cause` on one line.
fn chain(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let s = cause.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
    }
    parts.join(": ")
}

fn init_logging(verbose: u8, color: loghub::cli::ColorChoice) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        // The SSE client logs each failed reconnect at warn; `tail` already
        // says `reconnecting…` once per drop.
        0 => "warn,eventsource_client=error",
        1 => "loghub=info,warn",
        _ => "loghub=debug,info",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let colour = loghub::output::diag::stderr_colour(color);
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .event_format(loghub::output::diag::Diag { colour })
        .init();
}

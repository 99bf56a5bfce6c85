//! Records read from a streamed NDJSON body (an export from a loghub server,
//! a `SELECT … FORMAT JSONEachRow` from ClickHouse): decompressed and split
//! into lines as the bytes arrive, each line parsed into a record, so memory
//! holds one network chunk and its records, never the whole answer.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use futures::StreamExt;

use super::RecordStream;
use crate::record::Record;

/// A stream body gone silent this long is a dead connection.
pub const IDLE: Duration = Duration::from_secs(60);

/// How a body is encoded (its `Content-Encoding`).
enum Decoder {
    Plain,
    Gzip(Box<flate2::write::MultiGzDecoder<Vec<u8>>>),
    Zstd(Box<zstd::stream::write::Decoder<'static, Vec<u8>>>),
}

impl Decoder {
    fn new(encoding: Option<&str>) -> Result<Decoder> {
        Ok(match encoding.map(str::trim) {
            None | Some("") | Some("identity") => Decoder::Plain,
            Some("gzip") | Some("x-gzip") => {
                Decoder::Gzip(Box::new(flate2::write::MultiGzDecoder::new(Vec::new())))
            }
            Some("zstd") => Decoder::Zstd(Box::new(
                zstd::stream::write::Decoder::new(Vec::new()).context("starting zstd")?,
            )),
            Some(other) => anyhow::bail!("the answer has an unknown Content-Encoding '{other}'"),
        })
    }

    /// Appends what `chunk` decodes to onto `out`.
    fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> std::io::Result<()> {
        let inner = match self {
            Decoder::Plain => {
                out.extend_from_slice(chunk);
                return Ok(());
            }
            Decoder::Gzip(d) => {
                d.write_all(chunk)?;
                d.flush()?;
                d.get_mut()
            }
            Decoder::Zstd(d) => {
                d.write_all(chunk)?;
                d.flush()?;
                d.get_mut()
            }
        };
        out.append(inner);
        Ok(())
    }
}

/// The records of a streamed NDJSON answer, parsed by `parse` line by line.
/// `what` names the source in errors.
pub fn records(
    resp: reqwest::Response,
    what: String,
    parse: fn(&[u8]) -> Result<Record>,
) -> Result<RecordStream> {
    let encoding = resp
        .headers()
        .get(reqwest::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase);
    let decoder = Decoder::new(encoding.as_deref())?;
    let state = State {
        body: resp.bytes_stream().boxed(),
        decoder,
        buf: Vec::new(),
        what,
        parse,
        done: false,
    };
    Ok(super::flatten(
        futures::stream::unfold(state, State::next).boxed(),
    ))
}

struct State {
    body: futures::stream::BoxStream<'static, reqwest::Result<axum::body::Bytes>>,
    decoder: Decoder,
    /// Decoded bytes not yet ending in a newline.
    buf: Vec<u8>,
    what: String,
    parse: fn(&[u8]) -> Result<Record>,
    done: bool,
}

impl State {
    async fn next(mut self) -> Option<(Result<Vec<Record>>, State)> {
        if self.done {
            return None;
        }
        loop {
            let chunk = match tokio::time::timeout(IDLE, self.body.next()).await {
                Err(_) => Err(anyhow!(
                    "{} sent nothing for {}s",
                    self.what,
                    IDLE.as_secs()
                )),
                Ok(None) => {
                    self.done = true;
                    let rest = std::mem::take(&mut self.buf);
                    if rest.iter().all(u8::is_ascii_whitespace) {
                        return None;
                    }
                    return Some((self.parse_lines(&rest), self));
                }
                Ok(Some(c)) => c.with_context(|| format!("reading the answer of {}", self.what)),
            };
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    self.done = true;
                    return Some((Err(e), self));
                }
            };
            let mut buf = std::mem::take(&mut self.buf);
            if let Err(e) = self.decoder.feed(&chunk, &mut buf) {
                self.done = true;
                let e = anyhow!("the answer of {} does not decompress: {e}", self.what);
                return Some((Err(e), self));
            }
            let Some(end) = memchr::memrchr(b'\n', &buf) else {
                self.buf = buf;
                continue;
            };
            self.buf = buf.split_off(end + 1);
            match self.parse_lines(&buf) {
                Ok(v) if v.is_empty() => continue,
                Ok(v) => return Some((Ok(v), self)),
                Err(e) => {
                    self.done = true;
                    return Some((Err(e), self));
                }
            }
        }
    }

    fn parse_lines(&self, text: &[u8]) -> Result<Vec<Record>> {
        let mut out = Vec::new();
        for line in text.split(|b| *b == b'\n') {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            out.push((self.parse)(line).with_context(|| {
                let shown = String::from_utf8_lossy(&line[..line.len().min(200)]).into_owned();
                format!("{} sent a line loghub cannot read: {shown}", self.what)
            })?);
        }
        Ok(out)
    }
}

//! The body of an export answer (`read::export`): records from the store's
//! stream, encoded as NDJSON a chunk at a time and compressed as the client
//! asked, each chunk flushed so the client can read it at once.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::http::{HeaderMap, header};
use futures::{Stream, StreamExt};

use super::metrics::Metrics;
use crate::backend::RecordStream;

/// Records encoded per chunk of the answer.
const CHUNK: usize = 512;

/// The compression of an answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Encoding {
    Identity,
    Gzip,
    Zstd,
}

impl Encoding {
    /// What `Accept-Encoding` allows: zstd (cheapest) over gzip over none.
    pub fn accepted(headers: &HeaderMap) -> Encoding {
        let accept = headers
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",")
            .to_ascii_lowercase();
        let offered = |name: &str| {
            accept.split(',').any(|part| {
                let mut it = part.split(';');
                let token = it.next().unwrap_or("").trim();
                let refused = it.any(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q == 0.0))
                });
                token == name && !refused
            })
        };
        if offered("zstd") {
            Encoding::Zstd
        } else if offered("gzip") {
            Encoding::Gzip
        } else {
            Encoding::Identity
        }
    }

    /// The `Content-Encoding` of an answer in this encoding.
    pub fn name(self) -> Option<&'static str> {
        match self {
            Encoding::Identity => None,
            Encoding::Gzip => Some("gzip"),
            Encoding::Zstd => Some("zstd"),
        }
    }
}

enum Encoder {
    Identity,
    Gzip(flate2::write::GzEncoder<Vec<u8>>),
    Zstd(zstd::stream::write::Encoder<'static, Vec<u8>>),
}

impl Encoder {
    fn new(e: Encoding) -> std::io::Result<Encoder> {
        Ok(match e {
            Encoding::Identity => Encoder::Identity,
            Encoding::Gzip => Encoder::Gzip(flate2::write::GzEncoder::new(
                Vec::new(),
                flate2::Compression::fast(),
            )),
            Encoding::Zstd => Encoder::Zstd(zstd::stream::write::Encoder::new(Vec::new(), 1)?),
        })
    }

    /// `data` as it goes on the wire, flushed.
    fn chunk(&mut self, data: Vec<u8>) -> std::io::Result<Vec<u8>> {
        match self {
            Encoder::Identity => Ok(data),
            Encoder::Gzip(e) => {
                e.write_all(&data)?;
                e.flush()?;
                Ok(std::mem::take(e.get_mut()))
            }
            Encoder::Zstd(e) => {
                e.write_all(&data)?;
                e.flush()?;
                Ok(std::mem::take(e.get_mut()))
            }
        }
    }

    /// The end of the compressed stream.
    fn finish(self) -> std::io::Result<Vec<u8>> {
        match self {
            Encoder::Identity => Ok(Vec::new()),
            Encoder::Gzip(e) => e.finish(),
            Encoder::Zstd(e) => e.finish(),
        }
    }
}

/// Counts an answer in `loghub_exports` while it lives.
struct Open(Arc<Metrics>);

impl Open {
    fn new(m: Arc<Metrics>) -> Open {
        m.exports.fetch_add(1, Ordering::Relaxed);
        Open(m)
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.exports.fetch_sub(1, Ordering::Relaxed);
    }
}

struct State {
    records: futures::stream::ReadyChunks<RecordStream>,
    encoder: Option<Encoder>,
    _open: Open,
}

/// The answer's body. A store error midway ends the body with an error, so
/// the client sees a broken answer rather than a short one.
pub fn body(
    records: RecordStream,
    encoding: Encoding,
    metrics: Arc<Metrics>,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    let state = State {
        records: records.ready_chunks(CHUNK),
        encoder: Encoder::new(encoding).ok(),
        _open: Open::new(metrics),
    };
    futures::stream::unfold(state, |mut st| async move {
        let encoder = st.encoder.as_mut()?;
        let out = match st.records.next().await {
            Some(batch) => {
                let mut buf = Vec::with_capacity(batch.len() * 320);
                let mut failed = None;
                for r in batch {
                    match r {
                        Ok(r) => {
                            r.write_json(&mut buf);
                            buf.push(b'\n');
                        }
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
                match failed {
                    None => encoder.chunk(buf),
                    Some(e) => {
                        tracing::warn!("export stopped: {e:#}");
                        st.encoder = None;
                        Err(std::io::Error::other(format!("{e:#}")))
                    }
                }
            }
            None => st.encoder.take().expect("checked above").finish(),
        };
        if out.is_err() {
            st.encoder = None;
        }
        Some((out.map(Bytes::from), st))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_encoding_picks_zstd_then_gzip_and_honours_q0() {
        let pick = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_ENCODING, v.parse().unwrap());
            Encoding::accepted(&h)
        };
        assert_eq!(pick("gzip, deflate"), Encoding::Gzip);
        assert_eq!(pick("gzip, zstd"), Encoding::Zstd);
        assert_eq!(pick("zstd;q=0, gzip"), Encoding::Gzip);
        assert_eq!(pick("br"), Encoding::Identity);
        assert_eq!(Encoding::accepted(&HeaderMap::new()), Encoding::Identity);
    }
}

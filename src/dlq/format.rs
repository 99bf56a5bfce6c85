//! The on-disk format of one spooled batch (SPEC §6), version 1.
//!
//! A file is `<unix-ms>-<batch-id>.ndjson.gz`: one gzip stream whose first
//! line is a JSON [`Header`] and whose other lines are the records, one JSON
//! object each (for `rejected/` files: `{"index":i,"reason":"…","record":{…}}`).
//! The file is written under a temporary name (a leading `.`), fsynced,
//! renamed into place and the directory fsynced, so a crash leaves either the
//! whole file or a temporary one that readers ignore. Reading checks the gzip
//! trailer (CRC and length) and the record count, so a truncated or damaged
//! file is detected, never half-replayed.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::backend::Batch;
use crate::record::Record;

/// The format version written into every header.
pub const VERSION: u32 = 1;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A batch waiting to be (re-)sent.
    Batch,
    /// Records a target refused for good, each with its reason.
    Rejected,
}

/// The first line of every DLQ file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Format version ([`VERSION`]).
    pub loghub_dlq: u32,
    pub kind: Kind,
    /// The target key (`Target::key`) the batch was meant for.
    pub target: String,
    /// The batch id, reused as `Idempotency-Key` on replay.
    pub batch_id: String,
    /// Unix milliseconds when the batch was first spooled.
    pub created_ms: i64,
    /// Delivery attempts so far.
    pub attempts: u32,
    pub last_error: Option<String>,
    /// Number of record lines after the header.
    pub records: usize,
}

/// The file name of a batch spooled at `created_ms`.
pub fn file_name(created_ms: i64, batch_id: &str) -> String {
    // Ids are UUIDs (or UUID-derived for split halves); keep names safe anyway.
    let id: String = batch_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{created_ms:013}-{id}.ndjson.gz")
}

/// Writes `header` and `body` (NDJSON lines, each ending in `\n`) to
/// `dir/name` atomically and durably. Returns the final path.
pub fn write_atomic(dir: &Path, name: &str, header: &Header, body: &[u8]) -> Result<PathBuf> {
    write_file(dir, name, header, body, true)
}

/// [`write_atomic`], with the fsyncs only when `sync`. A running `send`
/// spilling a memory overflow skips them (a `kill -9` keeps the page cache;
/// only a machine crash would not, and that loses the memory anyway) and
/// syncs the files still there when it ends, with [`sync_file`].
pub fn write_file(
    dir: &Path,
    name: &str,
    header: &Header,
    body: &[u8],
    sync: bool,
) -> Result<PathBuf> {
    Ok(write(dir, name, header, body, sync, false)?.0)
}

/// [`write_file`], and the file comes back claimed by this process: the
/// claim is taken on the temporary file, before the rename makes it visible,
/// so no other process (a `dlq replay`) can ever claim it first.
pub fn write_file_claimed(
    dir: &Path,
    name: &str,
    header: &Header,
    body: &[u8],
    sync: bool,
) -> Result<(PathBuf, super::lock::Claim)> {
    let (path, file) = write(dir, name, header, body, sync, true)?;
    let file = file.expect("claimed on request");
    Ok((path.clone(), super::lock::Claim::held(file, path)))
}

fn write(
    dir: &Path,
    name: &str,
    header: &Header,
    body: &[u8],
    sync: bool,
    claim: bool,
) -> Result<(PathBuf, Option<File>)> {
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    let res = (|| -> std::io::Result<Option<File>> {
        let f = File::create(&tmp)?;
        if claim {
            // A fresh file nobody else has open: this cannot be contended.
            fs4::fs_std::FileExt::lock_exclusive(&f)?;
        }
        let mut gz = flate2::write::GzEncoder::new(
            std::io::BufWriter::with_capacity(256 * 1024, &f),
            flate2::Compression::fast(),
        );
        serde_json::to_writer(&mut gz, header)?;
        gz.write_all(b"\n")?;
        gz.write_all(body)?;
        gz.finish()?.into_inner().map_err(|e| e.into_error())?;
        if sync {
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &path)?;
        if sync {
            sync_dir(dir)?;
        }
        // The lock lives with the open file, which the rename keeps.
        Ok(claim.then_some(f))
    })();
    match res {
        Ok(f) => Ok((path, f)),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e).with_context(|| format!("cannot write to the DLQ directory {}", dir.display()))
        }
    }
}

/// fsyncs a file written without sync. A file already gone is fine.
pub fn sync_file(path: &Path) -> std::io::Result<()> {
    match File::open(path) {
        Ok(f) => f.sync_all(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// fsyncs a directory so that a rename or unlink in it survives a crash.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Longest header line read (a header is a few hundred bytes).
pub const MAX_HEADER: usize = 64 << 10;
/// Longest record line read, decoded: a file whose line is longer is not
/// one loghub wrote (a record is at most `--max-line-bytes` plus its JSON
/// escapes) and is quarantined with this reason rather than read into memory.
pub const MAX_LINE: usize = 8 << 20;

/// A DLQ file read as a stream: the header, then record lines one at a
/// time, each within [`MAX_LINE`] decoded bytes and no more of them than the
/// header counts, so a gzip bomb costs a bounded read, not its inflated size.
pub struct Reader {
    path: PathBuf,
    inner: BufReader<flate2::read::GzDecoder<File>>,
    pub header: Header,
    lines: usize,
}

impl Reader {
    pub fn open(path: &Path) -> Result<Reader> {
        let f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let mut inner = BufReader::new(flate2::read::GzDecoder::new(f));
        let mut line = Vec::new();
        let n = (&mut inner)
            .take(MAX_HEADER as u64)
            .read_until(b'\n', &mut line)
            .with_context(|| format!("{}: not a readable gzip file", path.display()))?;
        if n == 0 {
            bail!("{}: no header line", path.display());
        }
        if !line.ends_with(b"\n") && n == MAX_HEADER {
            bail!(
                "{}: the header line is over {MAX_HEADER} bytes",
                path.display()
            );
        }
        let header = parse_header(path, &String::from_utf8_lossy(&line))?;
        Ok(Reader {
            path: path.to_path_buf(),
            inner,
            header,
            lines: 0,
        })
    }

    /// Appends the next record line (with its `\n`) to `out`; false at the
    /// end. Fails on a damaged gzip stream, a line over [`MAX_LINE`], or
    /// more lines than the header says.
    pub fn next_line(&mut self, out: &mut Vec<u8>) -> Result<bool> {
        let path = self.path.display();
        let start = out.len();
        let n = (&mut self.inner)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', out)
            .with_context(|| format!("{path}: damaged or truncated gzip data"))?;
        if n == 0 {
            return Ok(false);
        }
        if !out.ends_with(b"\n") {
            if n > MAX_LINE {
                out.truncate(start);
                bail!(
                    "{path}: record {} is over {} MiB decoded",
                    self.lines + 1,
                    MAX_LINE >> 20
                );
            }
            out.push(b'\n');
        }
        self.lines += 1;
        if self.lines > self.header.records {
            bail!(
                "{path}: header says {} records, the file holds more",
                self.header.records
            );
        }
        Ok(true)
    }

    /// Checks, at the end, that the file held as many records as it says.
    pub fn finish(&self) -> Result<()> {
        if self.lines != self.header.records {
            bail!(
                "{}: header says {} records, the file holds {}",
                self.path.display(),
                self.header.records,
                self.lines
            );
        }
        Ok(())
    }
}

/// Reads only the header of a file (cheap: `dlq list`, target matching).
pub fn read_header(path: &Path) -> Result<Header> {
    Ok(Reader::open(path)?.header)
}

fn parse_header(path: &Path, line: &str) -> Result<Header> {
    let h: Header = serde_json::from_str(line.trim_end())
        .with_context(|| format!("{}: bad DLQ header", path.display()))?;
    if h.loghub_dlq != VERSION {
        bail!(
            "{}: DLQ format version {} is not supported (this loghub reads {VERSION})",
            path.display(),
            h.loghub_dlq
        );
    }
    Ok(h)
}

/// Reads a whole file: the header and the raw record lines (each ending in
/// `\n`), streaming (see [`Reader`]). Fails on a damaged gzip stream, an
/// over-long line or a record count that disagrees.
pub fn read_raw(path: &Path) -> Result<(Header, Vec<u8>)> {
    let mut r = Reader::open(path)?;
    let mut body = Vec::new();
    while r.next_line(&mut body)? {}
    r.finish()?;
    Ok((r.header, body))
}

/// Reads a spooled batch back: its header and a [`Batch`] with the same id,
/// its records and their JSON lines.
pub fn read_batch(path: &Path) -> Result<(Header, Batch)> {
    let (header, body) = read_raw(path)?;
    if header.kind != Kind::Batch {
        bail!("{}: not a spooled batch", path.display());
    }
    let mut records = Vec::with_capacity(header.records);
    for (i, line) in body.split(|&b| b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let r: Record = serde_json::from_slice(line)
            .with_context(|| format!("{}: record {} is not valid JSON", path.display(), i + 1))?;
        records.push(r);
    }
    let batch = Batch {
        id: header.batch_id.clone(),
        records,
        ndjson: body,
        pre: Vec::new(),
        receipt: None,
    };
    Ok((header, batch))
}

/// [`read_batch`] for targets that send the JSON lines only (see
/// `Backend::needs_records`): every line is still checked to be a JSON
/// object, without building records.
pub fn read_batch_lines(path: &Path) -> Result<(Header, Batch)> {
    let (header, body) = read_raw(path)?;
    if header.kind != Kind::Batch {
        bail!("{}: not a spooled batch", path.display());
    }
    for (i, line) in body.split(|&b| b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        if line.first() != Some(&b'{') {
            bail!("{}: record {} is not a JSON object", path.display(), i + 1);
        }
        serde_json::from_slice::<serde::de::IgnoredAny>(line)
            .with_context(|| format!("{}: record {} is not valid JSON", path.display(), i + 1))?;
    }
    let batch = Batch {
        id: header.batch_id.clone(),
        records: Vec::new(),
        ndjson: body,
        pre: Vec::new(),
        receipt: None,
    };
    Ok((header, batch))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(records: usize) -> Header {
        Header {
            loghub_dlq: VERSION,
            kind: Kind::Batch,
            target: "http://x".into(),
            batch_id: "b1".into(),
            created_ms: 1,
            attempts: 2,
            last_error: Some("503".into()),
            records,
        }
    }

    #[test]
    fn round_trip_and_truncation() {
        let dir = tempfile::tempdir().unwrap();
        let r = Record {
            pattern: None,
            message: "hello".into(),
            service: "s".into(),
            host: "h".into(),
            ..Default::default()
        };
        let mut body = Vec::new();
        r.write_json(&mut body);
        body.push(b'\n');
        let p = write_atomic(dir.path(), "a.ndjson.gz", &header(1), &body).unwrap();
        let (h, b) = read_batch(&p).unwrap();
        assert_eq!(h, header(1));
        assert_eq!(b.records[0].message, "hello");
        assert_eq!(b.ndjson, body);
        let (h, b) = read_batch_lines(&p).unwrap();
        assert_eq!(h, header(1));
        assert_eq!((b.records.len(), b.len(), &b.ndjson), (0, 1, &body));

        // Lines that are not JSON objects are refused like a damaged file.
        for bad in [&b"not json\n"[..], b"[1]\n", b"{\"a\":\n"] {
            let q = write_atomic(dir.path(), "b.ndjson.gz", &header(1), bad).unwrap();
            assert!(read_batch_lines(&q).is_err(), "{bad:?}");
        }

        let bytes = std::fs::read(&p).unwrap();
        std::fs::write(&p, &bytes[..bytes.len() - 6]).unwrap();
        assert!(read_batch(&p).is_err(), "a truncated file must not read");
    }

    #[test]
    fn count_mismatch_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = write_atomic(dir.path(), "a.ndjson.gz", &header(3), b"{}\n").unwrap();
        let e = read_raw(&p).unwrap_err().to_string();
        assert!(e.contains("header says 3 records"), "{e}");
    }
}

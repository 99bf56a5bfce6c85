//! Blocks: how the store keeps records, and how reads find and filter them.
//!
//! A block is the records of one batch (at most [`MAX_RECORDS`] of them, or
//! about [`MAX_BYTES`] of text), encoded one after another and compressed
//! with zstd into one row. Writing a record is then a few hundred bytes of
//! compression instead of a row in a table, five index entries and a
//! full-text document: the per-record B-tree and full-text work was most of
//! the cost of ingest, and the WAL carried every byte twice.
//!
//! Each block also gets one full-text document (FTS5, rowid = block id):
//! the distinct words of its messages and a token per distinct service,
//! host and level. Trace ids and metadata values, nearly one of a kind per
//! record, would make most of that document and most of the cost of
//! indexing it, so they go to a Bloom filter of the block instead
//! ([`Bloom`], about 10 bits per distinct value, 1% false positives). A
//! read asks FTS5 which blocks can hold a match, skips those whose filter
//! rules them out, then decodes the rest and checks each record exactly
//! ([`Filter`]). Both are supersets: a block they name may hold no match,
//! but a block they leave out never holds one.
//!
//! **Words.** A word is a run of letters, digits and `_`; case and
//! diacritics are folded (`Timeout:` holds the word `timeout`, `café` the
//! word `cafe`). A text term matches when its words occur in the message as
//! whole words, consecutively, in order (`connection refused` is a phrase;
//! `db-1` finds `db 1`). Terms are data: `*`, `OR`, `"`, `NEAR(` are only
//! separators or letters, never syntax. Only ASCII words go into the
//! full-text index (a word with other letters is checked on the records).
//!
//! **Layout of a block** (before compression): a format byte, then per
//! record: the id as a varint step from the previous id (the first from the
//! block id), the time as a zigzag varint step from the previous time, the
//! level (0..4), then service, host, message, trace id, span id and the
//! metadata JSON as length-prefixed strings (for trace and span ids the
//! length is stored plus one, 0 meaning none); format 2 adds, after the
//! level, the record's pattern id as stored at ingest (8 bytes, little
//! endian), and a `p` key token per distinct pattern to the block's
//! document. Records of format 1 blocks (written before patterns) get the
//! id of their masked line ([`crate::pattern::Signature`]) when read. The
//! compressed row starts with the decoded length (u32, little endian).

use std::borrow::Cow;
use std::collections::HashSet;

use anyhow::{Context, bail};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::pattern::{PatternId, Signature};
use crate::query::{Query, metadata_value};
use crate::record::{Level, Micros, Record};

/// Most records per block.
pub(crate) const MAX_RECORDS: usize = 2048;
/// A block is closed once its text passes this many bytes.
pub(crate) const MAX_BYTES: usize = 1 << 20;

/// Format byte of the block layout above.
const FORMAT: u8 = 2;
/// The layout before patterns, still read.
const FORMAT_1: u8 = 1;
/// zstd level: the fastest regular level; logs still shrink 5-10×.
const ZSTD_LEVEL: i32 = 1;

/// Metadata paths indexed per record; a record with more (or nested deeper
/// than [`META_DEPTH`]) marks its block with [`META_ALL`] instead, so a
/// metadata filter still finds it.
const META_PATHS: usize = 64;
const META_DEPTH: usize = 4;
/// The key of [`META_ALL`]: "this block has metadata not indexed".
const META_ALL: Key = Key(b'a', 0);

type FastSet<T> = HashSet<T, foldhash::fast::FixedState>;

/// A record as decoded from a block, borrowing its text from the block.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct View<'a> {
    pub id: i64,
    pub time: Micros,
    pub level: Level,
    pub service: &'a str,
    pub host: &'a str,
    pub message: &'a str,
    pub trace_id: Option<&'a str>,
    pub span_id: Option<&'a str>,
    /// Metadata as JSON text; empty when there is none.
    pub metadata: &'a str,
    /// The pattern id stored with the record (its template at ingest).
    pub pattern: PatternId,
}

impl View<'_> {
    pub fn to_record(&self) -> Record {
        Record {
            id: Some(self.id),
            time: self.time,
            level: self.level,
            service: self.service.into(),
            host: self.host.into(),
            message: self.message.into(),
            trace_id: self.trace_id.map(Into::into),
            span_id: self.span_id.map(Into::into),
            metadata: if self.metadata.is_empty() {
                Default::default()
            } else {
                serde_json::from_str(self.metadata).unwrap_or_default()
            },
            pattern: Some(self.pattern),
        }
    }
}

/// Builds one block from records in id order.
pub(crate) struct Builder {
    raw: Vec<u8>,
    prev_id: i64,
    prev_time: Micros,
    pub count: usize,
    pub min_time: Micros,
    pub max_time: Micros,
    words: FastSet<String>,
    keys: FastSet<Key>,
    /// Keys for the Bloom filter: trace ids and metadata.
    probes: FastSet<Key>,
    /// Scratch text for metadata values.
    scratch: String,
}

impl Builder {
    /// A block whose first record has id `first_id`.
    pub fn new(first_id: i64) -> Builder {
        Builder {
            raw: vec![FORMAT],
            prev_id: first_id,
            prev_time: 0,
            count: 0,
            min_time: Micros::MAX,
            max_time: Micros::MIN,
            words: FastSet::default(),
            keys: FastSet::default(),
            probes: FastSet::default(),
            scratch: String::new(),
        }
    }

    /// Whether the block should be closed before another record.
    pub fn is_full(&self) -> bool {
        self.count >= MAX_RECORDS || self.raw.len() >= MAX_BYTES
    }

    /// Appends a record; `v.id` must be above the previous one's. `meta` is
    /// `v.metadata` parsed, when the caller has it.
    pub fn push(
        &mut self,
        v: &View<'_>,
        meta: Option<&serde_json::Map<String, serde_json::Value>>,
    ) {
        put_varint(&mut self.raw, (v.id - self.prev_id) as u64);
        put_varint(&mut self.raw, zigzag(v.time.wrapping_sub(self.prev_time)));
        self.prev_id = v.id;
        self.prev_time = v.time;
        self.raw.push(v.level.index() as u8);
        self.raw.extend_from_slice(&v.pattern.0.to_le_bytes());
        for s in [v.service, v.host, v.message] {
            put_str(&mut self.raw, s);
        }
        for s in [v.trace_id, v.span_id] {
            match s {
                None => put_varint(&mut self.raw, 0),
                Some(s) => {
                    put_varint(&mut self.raw, s.len() as u64 + 1);
                    self.raw.extend_from_slice(s.as_bytes());
                }
            }
        }
        put_str(&mut self.raw, v.metadata);
        self.count += 1;
        self.min_time = self.min_time.min(v.time);
        self.max_time = self.max_time.max(v.time);
        self.index(v, meta);
    }

    fn index(&mut self, v: &View<'_>, meta: Option<&serde_json::Map<String, serde_json::Value>>) {
        for w in words(v.message) {
            let f = fold(w);
            if f.is_ascii() && !self.words.contains(f.as_ref()) {
                self.words.insert(f.into_owned());
            }
        }
        self.keys.insert(Key::of(b's', v.service));
        self.keys.insert(Key::of(b'h', v.host));
        self.keys.insert(Key::level(v.level));
        self.keys.insert(Key::pattern(v.pattern));
        if let Some(t) = v.trace_id {
            self.probes.insert(Key::of(b't', t));
        }
        if !v.metadata.is_empty() {
            let parsed = match meta {
                Some(m) => Ok(Cow::Borrowed(m)),
                None => serde_json::from_str(v.metadata).map(Cow::Owned),
            };
            let complete = match parsed {
                Ok(map) => {
                    let mut budget = META_PATHS;
                    meta_keys(
                        &map,
                        None,
                        1,
                        &mut budget,
                        &mut self.scratch,
                        &mut self.probes,
                    )
                }
                Err(_) => false,
            };
            if !complete {
                self.probes.insert(META_ALL);
            }
        }
    }

    /// The compressed block, its full-text document and its Bloom filter
    /// (none when no record has a trace id or metadata).
    pub fn finish(self) -> (Vec<u8>, String, Option<Vec<u8>>) {
        let mut out = Vec::with_capacity(self.raw.len() / 4 + 16);
        out.extend_from_slice(&(self.raw.len() as u32).to_le_bytes());
        COMPRESSOR.with_borrow_mut(|c| {
            let c = c.get_or_insert_with(|| {
                zstd::bulk::Compressor::new(ZSTD_LEVEL).expect("a zstd context")
            });
            out.extend_from_slice(&c.compress(&self.raw).expect("zstd compresses to memory"));
        });
        let mut doc = String::with_capacity(self.words.len() * 8 + self.keys.len() * 20);
        for w in &self.words {
            doc.push_str(w);
            doc.push(' ');
        }
        for k in &self.keys {
            k.write(&mut doc);
            doc.push(' ');
        }
        let bloom = (!self.probes.is_empty()).then(|| Bloom::build(&self.probes));
        (out, doc, bloom)
    }
}

thread_local! {
    /// One zstd context per thread: making one per block costs more than
    /// compressing a small block.
    static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

/// Every record of a stored block, by id ascending.
pub(crate) fn decode(first_id: i64, data: &[u8], raw: &mut Vec<u8>) -> anyhow::Result<()> {
    if data.len() < 4 {
        bail!("block {first_id} is truncated");
    }
    let n = u32::from_le_bytes(data[..4].try_into().expect("4 bytes")) as usize;
    *raw = zstd::bulk::decompress(&data[4..], n)
        .with_context(|| format!("block {first_id} does not decompress"))?;
    Ok(())
}

/// The records of a decompressed block (see [`decode`]).
pub(crate) fn views(first_id: i64, raw: &[u8]) -> anyhow::Result<Vec<View<'_>>> {
    Ok(spans(first_id, raw)?.into_iter().map(|(v, _)| v).collect())
}

/// The records of a decompressed block, each with the byte range of its
/// fields after the id and time: what [`view_at`] reads back, so a reader
/// can keep a few records of a block without keeping the block.
pub(crate) fn spans(
    first_id: i64,
    raw: &[u8],
) -> anyhow::Result<Vec<(View<'_>, std::ops::Range<usize>)>> {
    let bad = || anyhow::anyhow!("block {first_id} is corrupt");
    let mut r = Reader { buf: raw, pos: 0 };
    let format = r.byte().ok_or_else(bad)?;
    if format != FORMAT && format != FORMAT_1 {
        bail!("block {first_id} has an unknown format");
    }
    let mut out = Vec::new();
    let (mut id, mut time) = (first_id, 0i64);
    while r.pos < raw.len() {
        id += r.varint().ok_or_else(bad)? as i64;
        time = time.wrapping_add(unzigzag(r.varint().ok_or_else(bad)?));
        let start = r.pos;
        let v = r.fields(id, time, format == FORMAT).ok_or_else(bad)?;
        out.push((v, start..r.pos));
    }
    Ok(out)
}

/// One record from the bytes of its fields (a range [`spans`] gave) of a
/// block of the current format (a store's writer converts older blocks
/// when it first opens the store: `store::patterns::backfill`).
pub(crate) fn view_at(id: i64, time: Micros, fields: &[u8]) -> Option<View<'_>> {
    Reader {
        buf: fields,
        pos: 0,
    }
    .fields(id, time, true)
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// The fields of a record after its id and time.
    /// `with_pattern`: format 2; a record of format 1 gets the id of its
    /// masked line.
    fn fields(&mut self, id: i64, time: Micros, with_pattern: bool) -> Option<View<'a>> {
        let level = *Level::ALL.get(self.byte()? as usize)?;
        let pattern = if with_pattern {
            let b = self.bytes_raw(8)?;
            Some(PatternId(u64::from_le_bytes(b.try_into().ok()?)))
        } else {
            None
        };
        let service = self.str()?;
        let host = self.str()?;
        let message = self.str()?;
        Some(View {
            id,
            time,
            level,
            service,
            host,
            message,
            trace_id: self.opt_str()?,
            span_id: self.opt_str()?,
            metadata: self.str()?,
            pattern: pattern.unwrap_or_else(|| PatternId::of(&Signature::of(message).text())),
        })
    }

    fn byte(&mut self) -> Option<u8> {
        let b = *self.buf.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    fn bytes_raw(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let b = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(b)
    }

    fn bytes(&mut self, n: usize) -> Option<&'a str> {
        let end = self.pos.checked_add(n)?;
        let s = std::str::from_utf8(self.buf.get(self.pos..end)?).ok()?;
        self.pos = end;
        Some(s)
    }

    fn str(&mut self) -> Option<&'a str> {
        let n = self.varint()? as usize;
        self.bytes(n)
    }

    fn opt_str(&mut self) -> Option<Option<&'a str>> {
        match self.varint()? as usize {
            0 => Some(None),
            n => self.bytes(n - 1).map(Some),
        }
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// The words of a text (module docs), as written.
pub(crate) fn words(s: &str) -> Words<'_> {
    Words { s, pos: 0 }
}

/// Iterator of [`words`]: bytes for ASCII, chars only beyond it.
#[derive(Clone)]
pub(crate) struct Words<'a> {
    s: &'a str,
    pos: usize,
}

impl Words<'_> {
    /// Whether the char at byte `i` is part of a word, and its length.
    fn class(&self, i: usize) -> (bool, usize) {
        let b = self.s.as_bytes()[i];
        if b < 0x80 {
            (b.is_ascii_alphanumeric() || b == b'_', 1)
        } else {
            let c = self.s[i..].chars().next().expect("i is a char boundary");
            (c.is_alphanumeric(), c.len_utf8())
        }
    }
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let n = self.s.len();
        let mut i = self.pos;
        while i < n {
            let (word, len) = self.class(i);
            if word {
                break;
            }
            i += len;
        }
        let start = i;
        while i < n {
            let (word, len) = self.class(i);
            if !word {
                break;
            }
            i += len;
        }
        self.pos = i;
        (start < n).then(|| &self.s[start..i])
    }
}

/// A word with case and diacritics folded.
pub(crate) fn fold(w: &str) -> Cow<'_, str> {
    if w.is_ascii() {
        if w.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(w.to_ascii_lowercase())
        } else {
            Cow::Borrowed(w)
        }
    } else {
        Cow::Owned(
            w.nfd()
                .filter(|c| !is_combining_mark(*c))
                .flat_map(char::to_lowercase)
                .collect(),
        )
    }
}

/// Whether a word as written folds to `folded`.
fn fold_eq(raw: &str, folded: &str) -> bool {
    if raw.is_ascii() {
        raw.eq_ignore_ascii_case(folded)
    } else {
        fold(raw) == folded
    }
}

/// Whether `phrase` (folded words) occurs in `text` as consecutive words.
pub(crate) fn has_phrase(text: &str, phrase: &[String]) -> bool {
    let Some((first, rest)) = phrase.split_first() else {
        return true;
    };
    let mut it = words(text);
    while let Some(w) = it.next() {
        if fold_eq(w, first) {
            let mut after = it.clone();
            if rest
                .iter()
                .all(|t| after.next().is_some_and(|w| fold_eq(w, t)))
            {
                return true;
            }
        }
    }
    false
}

/// A stable 64-bit hash (FNV-1a) for key tokens: tokens are stored, so the
/// hash must not change between builds.
#[derive(Clone, Copy)]
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn write(mut self, bytes: &[u8]) -> Fnv {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x100_0000_01b3);
        }
        self
    }
}

/// A key token of a block's document: a kind (`s`ervice, `h`ost, `l`evel,
/// `t`race, `m`etadata path and value, `a`: unindexed metadata) and a hash
/// of the value, written `k<kind><16 hex digits>` — one ASCII word that no
/// message word is likely to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Key(u8, u64);

impl Key {
    fn of(kind: u8, value: &str) -> Key {
        Key(kind, Fnv::new().write(value.as_bytes()).0)
    }

    fn level(l: Level) -> Key {
        Key(b'l', l.index() as u64)
    }

    fn pattern(p: PatternId) -> Key {
        Key(b'p', p.0)
    }

    /// A metadata path (dotted) and its value's text, as
    /// [`metadata_value`] gives it.
    fn meta(path: Fnv, value: &str) -> Key {
        Key(b'm', path.write(&[0xff]).write(value.as_bytes()).0)
    }

    fn write(&self, out: &mut String) {
        use std::fmt::Write;
        let _ = write!(out, "k{}{:016x}", self.0 as char, self.1);
    }

    fn token(&self) -> String {
        let mut s = String::with_capacity(18);
        self.write(&mut s);
        s
    }
}

/// A Bloom filter over a block's trace ids and metadata values: a power of
/// two of bits (about 10 per key, at least 64), little-endian u64 words,
/// [`PROBES`] bits per key from one 64-bit hash (double hashing).
pub(crate) struct Bloom<'a>(&'a [u8]);

const PROBES: u64 = 7;

impl Bloom<'_> {
    fn build(keys: &FastSet<Key>) -> Vec<u8> {
        let bits = (keys.len() * 10).next_power_of_two().max(64);
        let mut words = vec![0u64; bits / 64];
        for k in keys {
            for bit in k.bits(bits as u64) {
                words[(bit / 64) as usize] |= 1 << (bit % 64);
            }
        }
        words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    pub fn new(bytes: &[u8]) -> Bloom<'_> {
        Bloom(bytes)
    }

    fn contains(&self, k: &Key) -> bool {
        let bits = (self.0.len() * 8) as u64;
        if bits < 64 || !bits.is_power_of_two() {
            return true;
        }
        k.bits(bits).all(|bit| {
            let byte = self.0[(bit / 8) as usize];
            byte & (1 << (bit % 8)) != 0
        })
    }

    /// Whether every group has a key the filter may hold.
    pub fn admits(&self, groups: &[Vec<Key>]) -> bool {
        groups.iter().all(|g| g.iter().any(|k| self.contains(k)))
    }
}

impl Key {
    /// The filter bits of this key in a filter of `bits` bits.
    fn bits(&self, bits: u64) -> impl Iterator<Item = u64> {
        // splitmix64 of the value hash and the kind: FNV's low bits are weak.
        let mut z = self.1 ^ (u64::from(self.0) << 56);
        z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        let (h1, h2) = (z & 0xffff_ffff, (z >> 32) | 1);
        (0..PROBES).map(move |i| h1.wrapping_add(i.wrapping_mul(h2)) & (bits - 1))
    }
}

/// The Bloom filter keys a query needs: every group must have a key in a
/// block's filter for the block to be read. Empty: no filter needed.
pub(crate) fn bloom_groups(q: &Query) -> Vec<Vec<Key>> {
    let mut groups = Vec::new();
    if let Some(t) = &q.trace_id {
        groups.push(vec![Key::of(b't', t)]);
    }
    for (k, v) in &q.metadata {
        groups.push(vec![Key::meta(Fnv::new().write(k.as_bytes()), v), META_ALL]);
    }
    groups
}

/// Adds a key per metadata path (dotted, as [`metadata_value`] takes it)
/// and its text, depth first; false when some were left out (more than
/// `budget` paths, or deeper than [`META_DEPTH`]).
fn meta_keys(
    map: &serde_json::Map<String, serde_json::Value>,
    prefix: Option<Fnv>,
    depth: usize,
    budget: &mut usize,
    scratch: &mut String,
    out: &mut FastSet<Key>,
) -> bool {
    let mut complete = true;
    for (k, v) in map {
        if *budget == 0 {
            return false;
        }
        *budget -= 1;
        let path = match prefix {
            None => Fnv::new().write(k.as_bytes()),
            Some(p) => p.write(b".").write(k.as_bytes()),
        };
        match v {
            serde_json::Value::String(s) => {
                out.insert(Key::meta(path, s));
            }
            other => {
                use std::fmt::Write;
                scratch.clear();
                let _ = write!(scratch, "{other}");
                out.insert(Key::meta(path, scratch));
            }
        }
        if let serde_json::Value::Object(inner) = v {
            if depth >= META_DEPTH {
                complete = false;
            } else {
                complete &= meta_keys(inner, Some(path), depth + 1, budget, scratch, out);
            }
        }
    }
    complete
}

/// A query compiled for checking decoded records.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filter {
    levels: Vec<Level>,
    services: Vec<String>,
    hosts: Vec<String>,
    trace_id: Option<String>,
    trace_prefix: Option<String>,
    pub since: Option<Micros>,
    pub until: Option<Micros>,
    metadata: Vec<(String, String)>,
    compare: Vec<crate::query::MetaCompare>,
    phrases: Vec<Vec<String>>,
    patterns: Vec<PatternId>,
}

impl Filter {
    pub fn new(q: &Query) -> Filter {
        Filter {
            levels: q.levels.clone(),
            services: q.services.clone(),
            hosts: q.hosts.clone(),
            trace_id: q.trace_id.clone(),
            trace_prefix: q.trace_prefix.clone(),
            since: q.since,
            until: q.until,
            metadata: q.metadata.clone(),
            compare: q.compare.clone(),
            phrases: phrases(q),
            patterns: q.patterns.clone(),
        }
    }

    pub fn matches(&self, v: &View<'_>) -> bool {
        if !self.levels.is_empty() && !self.levels.contains(&v.level) {
            return false;
        }
        if !self.services.is_empty() && !self.services.iter().any(|s| s == v.service) {
            return false;
        }
        if !self.hosts.is_empty() && !self.hosts.iter().any(|s| s == v.host) {
            return false;
        }
        if let Some(t) = &self.trace_id
            && v.trace_id != Some(t.as_str())
        {
            return false;
        }
        if let Some(p) = &self.trace_prefix
            && !v.trace_id.is_some_and(|t| t.starts_with(p.as_str()))
        {
            return false;
        }
        if self.since.is_some_and(|s| v.time < s) || self.until.is_some_and(|u| v.time >= u) {
            return false;
        }
        if !self.patterns.is_empty() && !self.patterns.contains(&v.pattern) {
            return false;
        }
        if !self.phrases.iter().all(|p| has_phrase(v.message, p)) {
            return false;
        }
        if !self.metadata.is_empty() || !self.compare.is_empty() {
            let Ok(map) = serde_json::from_str(v.metadata) else {
                return false;
            };
            return self
                .metadata
                .iter()
                .all(|(k, want)| metadata_value(&map, k).is_some_and(|m| m == *want))
                && self.compare.iter().all(|c| c.holds(&map));
        }
        true
    }
}

/// The folded words of each text term; terms without a word are dropped.
fn phrases(q: &Query) -> Vec<Vec<String>> {
    q.text
        .iter()
        .map(|t| words(t).map(|w| fold(w).into_owned()).collect::<Vec<_>>())
        .filter(|p| !p.is_empty())
        .collect()
}

/// The FTS5 expression naming the blocks that can hold a match of `q`'s
/// words, services, hosts and levels, or `None` when every block can. Every token is quoted and made of ASCII
/// letters, digits and `_` only, so nothing a user typed is FTS syntax.
pub(crate) fn block_match(q: &Query) -> Option<String> {
    let mut groups: Vec<String> = Vec::new();
    for p in phrases(q) {
        for w in p {
            if w.is_ascii() {
                groups.push(format!("\"{w}\""));
            }
        }
    }
    let any = |keys: Vec<Key>| -> String {
        let quoted: Vec<String> = keys.iter().map(|k| format!("\"{}\"", k.token())).collect();
        format!("({})", quoted.join(" OR "))
    };
    if !q.services.is_empty() {
        groups.push(any(q.services.iter().map(|s| Key::of(b's', s)).collect()));
    }
    if !q.hosts.is_empty() {
        groups.push(any(q.hosts.iter().map(|s| Key::of(b'h', s)).collect()));
    }
    if !q.patterns.is_empty() {
        groups.push(any(q.patterns.iter().map(|p| Key::pattern(*p)).collect()));
    }
    if !q.levels.is_empty() && q.levels.len() < Level::ALL.len() {
        groups.push(any(q.levels.iter().map(|l| Key::level(*l)).collect()));
    }
    (!groups.is_empty()).then(|| groups.join(" AND "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(id: i64, time: Micros, message: &str, metadata: &str) -> View<'static> {
        let message: &'static str = Box::leak(message.to_string().into_boxed_str());
        let metadata: &'static str = Box::leak(metadata.to_string().into_boxed_str());
        View {
            id,
            time,
            level: Level::Warn,
            service: "api",
            host: "h1",
            message,
            trace_id: (id % 2 == 0).then_some("abc"),
            span_id: None,
            metadata,
            pattern: PatternId(id as u64),
        }
    }

    #[test]
    fn a_block_decodes_to_what_was_written() {
        let written = vec![
            view(10, -5, "first", ""),
            view(11, 1_700_000_000_000_000, "ünïcödé ✓", r#"{"a":1}"#),
            view(15, 1_600_000_000_000_000, "", ""),
        ];
        let mut b = Builder::new(10);
        for v in &written {
            b.push(v, None);
        }
        assert_eq!((b.min_time, b.max_time), (-5, 1_700_000_000_000_000));
        let (data, doc, bloom) = b.finish();
        let bloom = bloom.unwrap();
        let has = |q: &Query| Bloom::new(&bloom).admits(&bloom_groups(q));
        let trace = |t: &str| Query {
            trace_id: Some(t.into()),
            ..Query::default()
        };
        let meta = |k: &str, v: &str| Query {
            metadata: vec![(k.into(), v.into())],
            ..Query::default()
        };
        assert!(has(&trace("abc")) && has(&meta("a", "1")));
        let misses = (0..1000)
            .filter(|i| has(&trace(&format!("t{i}"))) || has(&meta("a", &format!("{i}x"))))
            .count();
        assert!(misses < 50, "{misses} false positives in 2000");
        let mut raw = Vec::new();
        decode(10, &data, &mut raw).unwrap();
        assert_eq!(views(10, &raw).unwrap(), written);
        assert!(doc.split(' ').any(|w| w == "first"), "{doc}");
        assert!(doc.split(' ').any(|w| w == "unicode"), "{doc}");
        // Corruption is an error, not a panic.
        assert!(decode(10, &data[..3], &mut raw).is_err());
        let mut raw = Vec::new();
        decode(10, &data, &mut raw).unwrap();
        raw.truncate(raw.len() - 2);
        assert!(views(10, &raw).is_err());
    }

    #[test]
    fn phrases_match_whole_words_in_order_ignoring_case_and_accents() {
        let p = |t: &str| {
            words(t)
                .map(|w| fold(w).into_owned())
                .collect::<Vec<String>>()
        };
        let msg = "ERROR: Connection refused by db-1 (Café) user_id=42";
        assert!(has_phrase(msg, &p("connection refused")));
        assert!(has_phrase(msg, &p("db 1")));
        assert!(has_phrase(msg, &p("cafe")));
        assert!(has_phrase(msg, &p("USER_ID")));
        assert!(!has_phrase(msg, &p("refused connection")));
        assert!(!has_phrase(msg, &p("connect")));
        assert!(!has_phrase(msg, &p("user")));
    }

    #[test]
    fn the_block_match_quotes_every_token() {
        let q = Query {
            text: vec!["say \"hi\" OR".into(), "***".into(), "NEAR(x".into()],
            levels: vec![Level::Error],
            metadata: vec![("user_id".into(), "42".into())],
            ..Query::default()
        };
        let m = block_match(&q).unwrap();
        assert_eq!(
            m,
            r#""say" AND "hi" AND "or" AND "near" AND "x" AND ("kl0000000000000003")"#
        );
        assert_eq!(block_match(&Query::default()), None);
    }

    #[test]
    fn metadata_keys_reach_what_metadata_value_reads() {
        let map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(r#"{"a":{"b":{"c":1}},"x.y":"z","n":null}"#).unwrap();
        let mut keys = FastSet::default();
        let mut budget = META_PATHS;
        assert!(meta_keys(
            &map,
            None,
            1,
            &mut budget,
            &mut String::new(),
            &mut keys
        ));
        for (k, v) in [("a.b.c", "1"), ("x.y", "z"), ("n", "null")] {
            assert_eq!(metadata_value(&map, k).as_deref(), Some(v));
            let q = Query {
                metadata: vec![(k.into(), v.into())],
                ..Query::default()
            };
            let key = Key::meta(Fnv::new().write(k.as_bytes()), v);
            assert!(keys.contains(&key), "{k}");
            assert!(bloom_groups(&q)[0].contains(&key), "{k}");
        }
        let mut budget = 2;
        assert!(!meta_keys(
            &map,
            None,
            1,
            &mut budget,
            &mut String::new(),
            &mut keys
        ));
    }
}

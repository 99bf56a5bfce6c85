//! Patterns (SPEC §10): the message templates of a log, mined online from
//! whole lines with no per-format set-up.
//!
//! **Masking.** A line is split on whitespace (and `|`) into tokens (a bracketed run
//! such as `[IPC Server handler 5]` is one token). A token is a variable
//! when it looks like one: it holds a digit (numbers, times, dates, ids,
//! IPs, versions, hex with digits, durations like `31ms`), it is a path or
//! URL, a quoted value, a long hex run, a weekday or month name next to a
//! date, or the value of `key=value` (the key stays). Runs of variables
//! collapse into one `<*>`, so `Sun Dec 04 04:47:44 2005` and a stack of
//! six or seven addresses are each one variable. What is left is the line's
//! *signature*: a pure function of the line.
//!
//! **Clustering** (after Drain): signatures with the same number of tokens
//! are compared position by position; a line joins the most similar
//! template when the similarity passes [`THRESHOLD`], and the positions
//! where they differ become `<*>`. Similarity weighs each literal token by
//! how rare it is among templates, so the tokens every line of a log
//! shares (its level, its thread, its logger) count for little and the
//! words of the message decide. That is what lets whole lines, headers
//! included, group well.
//!
//! **Stable ids.** A template's id is a hash (FNV-1a 64, stable across
//! builds) of its text, so the same template has the same id in every
//! process, run and store. A template generalises as lines arrive
//! (`user alice logged in` becomes `user <*> logged in`), which changes its
//! text and so its id. Records therefore keep the id their template had
//! when they were stored (which never changes), and the miner reports each
//! change as an *alias* `old id → new id`; stores keep the aliases, and a
//! read maps a stored id to the current template by following them
//! ([`resolve`]). `pattern=ID` of the current template thus finds every
//! record stored under any of its earlier forms, today and tomorrow.
//!
//! **Bounds.** At most [`MAX_TEMPLATES`] templates are kept; when full, the
//! least recently seen templates that matched only once are evicted, and if
//! none can be, a line that matches nothing gets the catch-all template
//! `<*>` ([`CATCH_ALL`]) instead of growing the set. A flood of unique
//! lines (most lines of a window founding templates) also goes to the
//! catch-all, bar a few new templates per window. A line is compared with
//! at most [`MAX_SCAN`] templates. Lines keep at most
//! [`MAX_TOKENS`] tokens and literal tokens at most [`MAX_TOKEN_LEN`]
//! bytes (longer ones are variables), so no input costs more than a bounded
//! amount of memory or time.

use std::collections::HashMap;
use std::fmt;

/// Most templates kept in memory.
pub const MAX_TEMPLATES: usize = 10_000;
/// Tokens of a line considered (after collapsing variables); the rest is one `<*>`.
pub const MAX_TOKENS: usize = 80;
/// Lines per window of flood control, and how many of them may found
/// templates before the next window counts as a flood.
const FLOOD_WINDOW: u64 = 2048;
const FLOOD_NEW: u64 = 512;
/// Templates of one length compared with a line that matches no signature seen.
pub const MAX_SCAN: usize = 128;
/// A literal longer than this is a variable.
pub const MAX_TOKEN_LEN: usize = 64;
/// Weighted similarity from which a line joins a template. Measured with
/// `examples/patterns_ga.rs`: grouping accuracy is flat from 0.75 to 0.82
/// and falls off on both sides; the low end merges more of what no mask
/// catches (user names, file names without digits).
pub const THRESHOLD: f64 = 0.75;

/// The text of a variable part in a template.
pub const VAR: &str = "<*>";

/// A template's id: FNV-1a 64 of its text, shown as 16 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct PatternId(pub u64);

/// The id of the catch-all template `<*>`.
pub const CATCH_ALL: PatternId = PatternId(fnv_str(VAR));

impl PatternId {
    /// The id of a template text.
    pub fn of(template: &str) -> PatternId {
        PatternId(fnv_str(template))
    }

    /// Parses 16 hex digits; `None` for anything else.
    pub fn parse(s: &str) -> Option<PatternId> {
        (s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| u64::from_str_radix(s, 16).ok().map(PatternId))
            .flatten()
    }

    /// The id as stored in SQL integer columns (same bits).
    pub fn as_i64(self) -> i64 {
        self.0 as i64
    }

    pub fn from_i64(v: i64) -> PatternId {
        PatternId(v as u64)
    }
}

impl fmt::Display for PatternId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

const fn fnv_str(s: &str) -> u64 {
    let b = s.as_bytes();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < b.len() {
        h ^= b[i] as u64;
        h = h.wrapping_mul(0x100_0000_01b3);
        i += 1;
    }
    h
}

/// A token of a signature or template: a literal, or `None` for `<*>`.
type Tok = Option<Box<str>>;

/// The masked tokens of a line (see the module docs) and their hash.
#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    toks: Vec<Tok>,
    hash: u64,
}

impl Signature {
    /// Masks a line.
    pub fn of(line: &str) -> Signature {
        let mut toks: Vec<Tok> = Vec::new();
        let raw = split(line);
        let n = raw.len();
        for (i, t) in raw.iter().enumerate() {
            if toks.len() >= MAX_TOKENS {
                if toks.last().is_some_and(|t| t.is_some()) {
                    toks.push(None);
                }
                break;
            }
            let near_digit = |j: Option<usize>| {
                j.and_then(|j| raw.get(j))
                    .is_some_and(|t| t.bytes().any(|b| b.is_ascii_digit()))
            };
            let var = match mask(t) {
                Masked::Var => None,
                Masked::Lit(s) => Some(s),
                Masked::DateWord => {
                    if near_digit(i.checked_sub(1)) || near_digit((i + 1 < n).then_some(i + 1)) {
                        None
                    } else {
                        Some(t.to_string())
                    }
                }
            };
            match var {
                None => {
                    if toks.last().is_none_or(|t| t.is_some()) {
                        toks.push(None);
                    }
                }
                Some(s) => toks.push(Some(s.into_boxed_str())),
            }
        }
        let hash = hash_toks(&toks);
        Signature { toks, hash }
    }

    /// The signature as template text.
    pub fn text(&self) -> String {
        template_text(&self.toks)
    }
}

fn hash_toks(toks: &[Tok]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for t in toks {
        let bytes = t.as_deref().unwrap_or("\u{0}").as_bytes();
        for b in bytes.iter().chain(b" ") {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x100_0000_01b3);
        }
    }
    h
}

fn template_text(toks: &[Tok]) -> String {
    let mut s = String::new();
    for (i, t) in toks.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(t.as_deref().unwrap_or(VAR));
    }
    s
}

/// Splits on whitespace and `|`, keeping a bracketed run (`[`…`]`, up to 8 words)
/// as one token.
fn split(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    // `|` separates fields in some formats (`time|component|pid|message`).
    let mut it = line
        .split(|c: char| c.is_ascii_whitespace() || c == '|')
        .filter(|t| !t.is_empty())
        .peekable();
    let base = line.as_ptr() as usize;
    while let Some(t) = it.next() {
        if t.starts_with('[') && !closes(t) {
            let start = t.as_ptr() as usize - base;
            let mut end = start + t.len();
            let mut joined = false;
            let mut look = it.clone();
            for _ in 0..8 {
                match look.next() {
                    Some(n) => {
                        end = n.as_ptr() as usize - base + n.len();
                        if closes(n) {
                            joined = true;
                            break;
                        }
                    }
                    None => break,
                }
            }
            if joined {
                let tok = &line[start..end];
                while let Some(n) = it.peek() {
                    if n.as_ptr() as usize - base >= end {
                        break;
                    }
                    it.next();
                }
                out.push(tok);
                continue;
            }
        }
        out.push(t);
    }
    out
}

/// Whether a token closes a bracket opened before it.
fn closes(t: &str) -> bool {
    let opens = t.bytes().filter(|&b| b == b'[').count();
    let shuts = t.bytes().filter(|&b| b == b']').count();
    shuts > opens
        || (t.starts_with('[')
            && shuts >= opens
            && t.trim_end_matches([':', ',', ';']).ends_with(']'))
}

enum Masked {
    Var,
    Lit(String),
    /// A weekday or month name: a variable next to a number.
    DateWord,
}

const DATE_WORDS: [&str; 19] = [
    "mon", "tue", "wed", "thu", "fri", "sat", "sun", "jan", "feb", "mar", "apr", "may", "jun",
    "jul", "aug", "sep", "oct", "nov", "dec",
];

fn mask(t: &str) -> Masked {
    // key=value: the key stays, the value is a variable.
    if let Some(eq) = t.find('=')
        && eq > 0
        && t[..eq]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    {
        let key = t[..eq].trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
        if key.is_empty() {
            return Masked::Var;
        }
        return Masked::Lit(format!("{key}={VAR}"));
    }
    let core = t
        .trim_start_matches(['(', '[', '{', '"', '\'', '<', '`'])
        .trim_end_matches([')', ']', '}', '"', '\'', ',', ';', ':', '.', '>', '`']);
    if core.is_empty() {
        return Masked::Lit(t.to_string());
    }
    let b = core.as_bytes();
    if b.iter().any(u8::is_ascii_digit)
        || t.len() > MAX_TOKEN_LEN
        || b[0] == b'/'
        || core.contains("://")
        || core.contains('\\')
        || is_quoted(t)
        || (b.len() >= 16 && b.iter().all(u8::is_ascii_hexdigit))
        || is_host(core)
    {
        return Masked::Var;
    }
    let lower = core.to_ascii_lowercase();
    if DATE_WORDS.iter().any(|w| lower.starts_with(w))
        && (lower.len() == 3
            || matches!(
                lower.as_str(),
                "monday"
                    | "tuesday"
                    | "wednesday"
                    | "thursday"
                    | "friday"
                    | "saturday"
                    | "sunday"
                    | "january"
                    | "february"
                    | "march"
                    | "april"
                    | "june"
                    | "july"
                    | "august"
                    | "september"
                    | "october"
                    | "november"
                    | "december"
            ))
    {
        return Masked::DateWord;
    }
    Masked::Lit(t.to_string())
}

/// A host name: dotted lower-case labels ending in a common top-level
/// domain (`db.example.com`; not `org.apache.Foo`, a class name).
fn is_host(core: &str) -> bool {
    const TLDS: [&str; 12] = [
        "com", "net", "org", "edu", "gov", "io", "local", "internal", "lan", "cn", "de", "uk",
    ];
    let mut labels = core.split('.');
    let Some(last) = core.rsplit('.').next() else {
        return false;
    };
    core.contains('.')
        && TLDS.contains(&last)
        && labels.all(|l| {
            !l.is_empty()
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

fn is_quoted(t: &str) -> bool {
    let t = t.trim_end_matches([',', ';', ':', '.', ')']);
    t.len() >= 2
        && ((t.starts_with('"') && t.ends_with('"'))
            || (t.starts_with('\'') && t.ends_with('\''))
            || (t.starts_with('`') && t.ends_with('`')))
}

/// One template and its bookkeeping.
#[derive(Debug, Clone)]
struct Cluster {
    toks: Vec<Tok>,
    id: PatternId,
    count: u64,
    last: u64,
    /// Unique per cluster ever made: a `seen` entry holds it, so an entry
    /// whose cluster was merged away or evicted (its slot perhaps reused)
    /// is recognised as stale without rewriting the map.
    born: u64,
}

/// The miner's maps hash with foldhash: SipHash was most of its time.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// What mining one line gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mined {
    /// The line's template id now (kept with the record).
    pub id: PatternId,
}

/// A template's text changed: records stored under `from` now belong to `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    pub from: PatternId,
    pub to: PatternId,
}

/// A template as the miner knows it (for stores to keep).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub id: PatternId,
    pub text: String,
}

/// The online miner (module docs). Not thread-safe by itself; stores keep
/// one behind a mutex and mask lines ([`Signature::of`]) outside it.
#[derive(Debug, Default)]
pub struct Miner {
    clusters: Vec<Option<Cluster>>,
    free: Vec<usize>,
    by_len: FastMap<usize, Vec<usize>>,
    /// Exact signatures seen, to their cluster and its `born`: most lines
    /// stop here.
    seen: FastMap<u64, (usize, u64)>,
    /// Literal token → how many templates hold it at some position.
    df: FastMap<Box<str>, u32>,
    births: u64,
    live: usize,
    tick: u64,
    /// Flood control ([`Miner::flood_budget`]).
    window_end: u64,
    window_new: u64,
    flooding: bool,
    /// Changes since the last [`Miner::take_changes`].
    aliases: Vec<Alias>,
    new_templates: Vec<Template>,
}

impl Miner {
    pub fn new() -> Miner {
        Miner::default()
    }

    /// Templates held.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Mines one line.
    pub fn mine(&mut self, line: &str) -> Mined {
        let sig = Signature::of(line);
        self.mine_signature(&sig)
    }

    /// Mines a masked line.
    pub fn mine_signature(&mut self, sig: &Signature) -> Mined {
        self.tick += 1;
        if let Some(&(ci, born)) = self.seen.get(&sig.hash)
            && let Some(c) = self.clusters[ci].as_mut()
            && c.born == born
            && c.toks.len() == sig.toks.len()
        {
            c.count += 1;
            c.last = self.tick;
            let id = c.id;
            // A signature maps to the template it joined; a template only
            // generalises, so it still covers the signature.
            return Mined { id };
        }
        if sig.toks.iter().all(Option::is_none) {
            return Mined { id: CATCH_ALL };
        }
        let best = self.best_match(&sig.toks, None, false);
        let ci = match best {
            Some(ci) => {
                self.generalise(ci, &sig.toks);
                self.merge_into(ci);
                ci
            }
            None if self.flood_budget() => match self.insert(sig.toks.clone()) {
                Some(ci) => ci,
                None => return Mined { id: CATCH_ALL },
            },
            None => return Mined { id: CATCH_ALL },
        };
        if self.seen.len() >= MAX_TEMPLATES * 8 {
            self.seen.clear();
        }
        let c = self.clusters[ci].as_mut().expect("live cluster");
        self.seen.insert(sig.hash, (ci, c.born));
        c.count += 1;
        c.last = self.tick;
        Mined { id: c.id }
    }

    /// Whether a line that matches nothing may found a template. Counted
    /// per window of [`FLOOD_WINDOW`] lines: once more than
    /// [`FLOOD_NEW`] of a window's lines founded templates, the rest of
    /// the next window may found only [`FLOOD_NEW`]/8 more (new templates still
    /// appear in a flood, just slowly), and the others get [`CATCH_ALL`].
    fn flood_budget(&mut self) -> bool {
        if self.tick >= self.window_end {
            self.flooding = self.window_new > FLOOD_NEW;
            self.window_new = 0;
            self.window_end = self.tick + FLOOD_WINDOW;
        }
        let cap = if self.flooding {
            FLOOD_NEW / 8
        } else {
            u64::MAX
        };
        if self.window_new >= cap {
            return false;
        }
        self.window_new += 1;
        true
    }

    fn weight(&self, tok: &str) -> f64 {
        let df = self.df.get(tok).copied().unwrap_or(0);
        1.0 / (1.0 + f64::from(df).ln_1p())
    }

    /// Weighted similarity of a template and a line (or another template,
    /// `both`): literals count by rarity; `<*>` against a literal is a match
    /// for a line, half a match between templates.
    fn similarity(&self, tmpl: &[Tok], line: &[Tok], line_w: &[f64], both: bool) -> f64 {
        let (mut hit, mut all) = (0.0, 0.0);
        for ((a, b), &wb) in tmpl.iter().zip(line).zip(line_w) {
            match (a, b) {
                (None, None) => {}
                (None, Some(_)) => {
                    all += wb;
                    hit += if both { wb * 0.5 } else { wb };
                }
                (Some(t), None) => {
                    let w = self.weight(t);
                    all += w;
                    if both {
                        hit += w * 0.5;
                    }
                }
                (Some(x), Some(y)) => {
                    if x == y {
                        hit += wb;
                        all += wb;
                    } else {
                        all += self.weight(x).max(wb);
                    }
                }
            }
        }
        if all == 0.0 { 1.0 } else { hit / all }
    }

    /// The most similar template of the same length passing the threshold.
    fn best_match(&self, toks: &[Tok], skip: Option<usize>, both: bool) -> Option<usize> {
        let cands = self.by_len.get(&toks.len())?;
        let mut best: Option<(f64, usize)> = None;
        // The line's weights once, not once per candidate.
        let line_w: Vec<f64> = toks
            .iter()
            .map(|t| t.as_deref().map_or(0.0, |t| self.weight(t)))
            .collect();
        // The newest templates of this length: a flood of unique lines must
        // not cost a comparison with every template kept.
        for &ci in cands.iter().rev().take(MAX_SCAN) {
            if Some(ci) == skip {
                continue;
            }
            let Some(c) = self.clusters[ci].as_ref() else {
                continue;
            };
            let sim = self.similarity(&c.toks, toks, &line_w, both);
            if sim >= THRESHOLD && best.is_none_or(|(s, _)| sim > s) {
                best = Some((sim, ci));
            }
        }
        best.map(|(_, ci)| ci)
    }

    /// Widens template `ci` to cover `toks` (positions that differ become `<*>`).
    fn generalise(&mut self, ci: usize, toks: &[Tok]) {
        let c = self.clusters[ci].as_ref().expect("live cluster");
        if c.toks.iter().zip(toks).all(|(a, b)| a.is_none() || a == b) {
            return;
        }
        let old = c.id;
        let merged: Vec<Tok> = c
            .toks
            .iter()
            .zip(toks)
            .map(|(a, b)| if a == b { a.clone() } else { None })
            .collect();
        let dropped: Vec<Box<str>> = c
            .toks
            .iter()
            .flatten()
            .filter(|t| !merged.iter().flatten().any(|m| m == *t))
            .cloned()
            .collect();
        for t in &dropped {
            self.df_dec(t);
        }
        let text = template_text(&merged);
        let id = PatternId::of(&text);
        let c = self.clusters[ci].as_mut().expect("live cluster");
        c.toks = merged;
        c.id = id;
        self.aliases.push(Alias { from: old, to: id });
        self.new_templates.push(Template { id, text });
    }

    /// Folds into `ci` every other template now similar to it (templates
    /// made apart early can meet once both have generalised).
    fn merge_into(&mut self, ci: usize) {
        for _ in 0..4 {
            let toks = self.clusters[ci]
                .as_ref()
                .expect("live cluster")
                .toks
                .clone();
            let Some(cj) = self.best_match(&toks, Some(ci), true) else {
                return;
            };
            let other = self.remove(cj);
            self.generalise(ci, &other.toks);
            let c = self.clusters[ci].as_mut().expect("live cluster");
            c.count += other.count;
            c.last = c.last.max(other.last);
            let id = c.id;
            self.aliases.push(Alias {
                from: other.id,
                to: id,
            });
            // `seen` entries of `cj` are now stale (see `Cluster::born`):
            // their lines find `ci` again through `best_match`.
        }
    }

    /// Takes a template out of the index.
    fn remove(&mut self, ci: usize) -> Cluster {
        let c = self.clusters[ci].take().expect("live cluster");
        let mut distinct: Vec<&str> = c.toks.iter().flatten().map(|t| &**t).collect();
        distinct.sort_unstable();
        distinct.dedup();
        for t in distinct {
            self.df_dec(t);
        }
        if let Some(v) = self.by_len.get_mut(&c.toks.len()) {
            v.retain(|&x| x != ci);
        }
        self.free.push(ci);
        self.live -= 1;
        c
    }

    fn df_dec(&mut self, t: &str) {
        if let Some(n) = self.df.get_mut(t) {
            *n -= 1;
            if *n == 0 {
                self.df.remove(t);
            }
        }
    }

    fn insert(&mut self, toks: Vec<Tok>) -> Option<usize> {
        if self.live >= MAX_TEMPLATES && !self.evict() {
            return None;
        }
        let text = template_text(&toks);
        let id = PatternId::of(&text);
        let mut distinct: Vec<&str> = toks.iter().flatten().map(|t| &**t).collect();
        distinct.sort_unstable();
        distinct.dedup();
        for t in distinct {
            *self.df.entry(t.into()).or_default() += 1;
        }
        let len = toks.len();
        self.births += 1;
        let c = Cluster {
            toks,
            id,
            count: 0,
            last: self.tick,
            born: self.births,
        };
        let ci = match self.free.pop() {
            Some(i) => {
                self.clusters[i] = Some(c);
                i
            }
            None => {
                self.clusters.push(Some(c));
                self.clusters.len() - 1
            }
        };
        self.by_len.entry(len).or_default().push(ci);
        self.live += 1;
        self.new_templates.push(Template { id, text });
        Some(ci)
    }

    /// Drops the least recently seen eighth of the templates seen once;
    /// false when there are none.
    fn evict(&mut self) -> bool {
        let mut once: Vec<(u64, usize)> = self
            .clusters
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.as_ref().filter(|c| c.count <= 1).map(|c| (c.last, i)))
            .collect();
        if once.is_empty() {
            return false;
        }
        once.sort_unstable();
        once.truncate((MAX_TEMPLATES / 8).max(1));
        for (_, ci) in once {
            self.remove(ci);
        }
        true
    }

    /// Seeds the miner with a known template (e.g. from a store), so that
    /// lines of it keep its id.
    pub fn learn(&mut self, text: &str) {
        let toks: Vec<Tok> = text
            .split(' ')
            .map(|t| (t != VAR).then(|| t.into()))
            .collect();
        if toks.is_empty() || self.live >= MAX_TEMPLATES {
            return;
        }
        let before = self.new_templates.len();
        if self.insert(toks).is_some() {
            self.new_templates.truncate(before);
        }
    }

    /// The aliases and new templates made since the last call.
    pub fn take_changes(&mut self) -> (Vec<Alias>, Vec<Template>) {
        (
            std::mem::take(&mut self.aliases),
            std::mem::take(&mut self.new_templates),
        )
    }
}

/// Follows aliases from a stored id to the current template's id (at most
/// 64 steps, so a cycle written by two processes cannot hang a read).
pub fn resolve(aliases: &HashMap<PatternId, PatternId>, mut id: PatternId) -> PatternId {
    for _ in 0..64 {
        match aliases.get(&id) {
            Some(&next) if next != id => id = next,
            _ => break,
        }
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_turns_variable_parts_into_one_placeholder() {
        let s = Signature::of(
            "[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6",
        );
        assert_eq!(
            s.text(),
            "<*> [error] mod_jk child workerEnv in error state <*>"
        );
        let s = Signature::of("GET /api/v1/items status=200 took 31ms user='bob' from 10.0.0.1:80");
        assert_eq!(s.text(), "GET <*> status=<*> took <*> user=<*> from <*>");
        assert_eq!(Signature::of("May I come in").text(), "May I come in");
    }

    #[test]
    fn similar_lines_converge_and_ids_follow_aliases() {
        let mut m = Miner::new();
        let a = m.mine("2024-01-01 INFO [main] user alice logged in from web");
        let b = m.mine("2024-01-01 INFO [main] user bob logged in from web");
        assert_ne!(a.id, b.id);
        let (aliases, _) = m.take_changes();
        let map: HashMap<_, _> = aliases.iter().map(|a| (a.from, a.to)).collect();
        assert_eq!(resolve(&map, a.id), b.id);
        assert_eq!(
            b.id,
            PatternId::of("<*> INFO [main] user <*> logged in from web")
        );
        let c = m.mine("2024-01-02 INFO [main] disk full on volume data");
        assert_ne!(c.id, b.id);
    }

    #[test]
    fn ids_parse_and_print_as_16_hex_digits() {
        let id = PatternId::of("x <*>");
        assert_eq!(PatternId::parse(&id.to_string()), Some(id));
        assert_eq!(PatternId::parse("xyz"), None);
        assert_eq!(PatternId::parse("0123456789abcdefg"), None);
    }

    #[test]
    fn bad_input_is_bounded() {
        let mut m = Miner::new();
        let long = "w ".repeat(10_000);
        m.mine(&long);
        m.mine("one");
        m.mine("");
        assert_eq!(m.mine("1 2 3").id, CATCH_ALL);
        for i in 0..(MAX_TEMPLATES + MAX_TEMPLATES / 2) {
            // Every line its own template: letters only, so nothing is masked.
            let w: String = format!("{i:x}")
                .bytes()
                .map(|b| (b'g' + (b % 16)) as char)
                .collect();
            m.mine(&format!("{w} {w}{w} q{w}"));
        }
        assert!(m.len() <= MAX_TEMPLATES);
    }
}

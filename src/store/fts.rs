//! The full-text index, kept in a database file of its own beside the store
//! (`<store>.fts`) and filled by a background thread, so that indexing runs
//! on the other core while the store commits the next batch.
//!
//! **Why a second file.** SQLite lets one write transaction run per file.
//! With FTS5 in the store file, every batch paid for its full-text entries
//! inside the one write lock, and FTS5 is the larger half of the cost of a
//! record (see `bench/` and the CHANGELOG). In its own file, the index has
//! its own write lock: the store's writer and the indexer write in parallel.
//!
//! **What is indexed.** `fts_meta.indexed_upto` is the id up to which every
//! record of the store is in `logs_fts` (ids are committed in order, see the
//! module docs of `store`). Reads use the index for ids up to it and check
//! the messages of newer ids themselves with `loghub_text(message, terms)`
//! ([`message_matches`]), so a record is found the moment its batch is
//! acknowledged, indexed or not. The indexer keeps up within
//! [`MAX_LAG`] ids: a writer that gets further ahead waits for it, which
//! bounds what a read has to check one by one.
//!
//! **Who indexes.** Any process that writes to the store starts an indexer
//! thread on its first batch. Each step takes the index file's write lock,
//! reads `indexed_upto`, indexes up to [`STEP`] newer records and moves the
//! mark in the same transaction, so several writer processes share the work
//! without indexing a record twice. A process finishes indexing what it
//! wrote before it ends; whatever a killed process left is picked up by the
//! next writer. Read-only commands never index.
//!
//! **Which store.** Both files carry the store's random `uid`; an index whose
//! uid differs (the store file was replaced) is emptied and rebuilt.
//!
//! **Matching.** Both paths follow FTS5's `unicode61` tokenizer with `_` as a
//! word character: words are runs of letters, digits and `_`, compared
//! without case; a term matches when its words occur in order, adjacent.
//! FTS5 also folds diacritics on Latin letters (`café` finds `cafe`);
//! [`message_matches`] folds case only, so for at most [`MAX_LAG`] of the
//! newest records such a query is stricter.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::functions::FunctionFlags;
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, TransactionBehavior, params};

use crate::query::Query;

/// Records indexed per transaction of the index file. Larger transactions
/// flush fewer, larger FTS5 segments, which merge less later.
const STEP: i64 = 20_000;

/// How far (in ids) the store may run ahead of the index before writers
/// wait for the indexer.
pub(crate) const MAX_LAG: i64 = 100_000;

/// The index file of the store at `store`.
pub(crate) fn fts_path(store: &Path) -> PathBuf {
    let mut p = store.as_os_str().to_owned();
    p.push(".fts");
    PathBuf::from(p)
}

const DDL: &str = r#"
CREATE VIRTUAL TABLE IF NOT EXISTS logs_fts USING fts5(
    message,
    content='',
    contentless_delete=1,
    tokenize="unicode61 tokenchars '_'"
);
CREATE TABLE IF NOT EXISTS fts_meta(
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
"#;

/// Opens the index file for writing, creating it on first use, and empties
/// it if it belongs to another store than `uid`.
pub(crate) fn open_writer(store: &Path, uid: i64) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        fts_path(store),
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(super::BUSY_TIMEOUT)?;
    conn.execute_batch(
        "PRAGMA page_size=8192; PRAGMA auto_vacuum=INCREMENTAL; \
         PRAGMA synchronous=NORMAL; PRAGMA cache_size=-2048;",
    )?;
    conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))?;
    conn.execute_batch("PRAGMA wal_autocheckpoint=10000; PRAGMA journal_size_limit=67108864;")?;
    let tx = rusqlite::Transaction::new_unchecked(&conn, TransactionBehavior::Immediate)?;
    let fresh: bool = tx.query_row(
        "SELECT count(*) = 0 FROM sqlite_schema WHERE name = 'fts_meta'",
        [],
        |r| r.get(0),
    )?;
    tx.execute_batch(DDL)?;
    if fresh {
        // Fewer, larger segment merges: cheaper bulk indexing; leaves sized
        // to the 8 KiB page.
        tx.execute_batch(
            "INSERT INTO logs_fts(logs_fts, rank) VALUES('pgsz', 8000);
             INSERT INTO logs_fts(logs_fts, rank) VALUES('automerge', 16);
             INSERT INTO logs_fts(logs_fts, rank) VALUES('crisismerge', 64);",
        )?;
    }
    let theirs: Option<i64> = tx
        .query_row("SELECT value FROM fts_meta WHERE key = 'uid'", [], |r| {
            r.get(0)
        })
        .ok();
    if theirs != Some(uid) {
        if theirs.is_some() {
            tracing::info!("the full-text index belongs to another store; rebuilding it");
        }
        tx.execute_batch("INSERT INTO logs_fts(logs_fts) VALUES('delete-all');")?;
        tx.execute(
            "INSERT OR REPLACE INTO fts_meta(key, value) VALUES('uid', ?1), ('indexed_upto', 0)",
            [uid],
        )?;
    }
    tx.commit()?;
    Ok(conn)
}

/// Makes the index readable from `conn` as schema `fts` and registers
/// `loghub_text`.
pub(crate) fn attach(conn: &Connection, store: &Path) -> rusqlite::Result<()> {
    let file = fts_path(store);
    if file.exists() {
        conn.execute("ATTACH DATABASE ?1 AS fts", [file.to_string_lossy()])?;
    } else {
        // No index file (it could not be created, e.g. a read-only
        // directory): an empty one, so every message is checked instead.
        conn.execute_batch(
            "ATTACH DATABASE ':memory:' AS fts;
             CREATE VIRTUAL TABLE fts.logs_fts USING fts5(message, content='');
             CREATE TABLE fts.fts_meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
             INSERT INTO fts.fts_meta VALUES('indexed_upto', 0);",
        )?;
    }
    conn.create_scalar_function(
        "loghub_text",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let terms = ctx.get_or_create_aux(1, |v| -> rusqlite::Result<Vec<Vec<String>>> {
                Ok(decode_terms(v.as_str()?))
            })?;
            let msg = ctx.get_raw(0).as_str().unwrap_or("");
            Ok(message_matches(msg, &terms))
        },
    )
}

/// `indexed_upto` as seen by `conn`'s current read (schema `fts`).
pub(crate) fn indexed_upto(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT value FROM fts.fts_meta WHERE key = 'indexed_upto'",
        [],
        |r| r.get(0),
    )
}

/// A query's text terms that hold a word, the ones both paths search for.
fn searchable(q: &Query) -> impl Iterator<Item = &String> {
    q.text
        .iter()
        .filter(|t| t.chars().any(|c| c.is_alphanumeric()))
}

/// The FTS5 expression for a query's text terms, `None` when there are none
/// (or none with a word in them). Each term is one quoted string (a phrase)
/// with `"` doubled, so whatever the user typed is data, never syntax.
pub(crate) fn fts_match(q: &Query) -> Option<String> {
    let phrases: Vec<String> = searchable(q)
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect();
    (!phrases.is_empty()).then(|| phrases.join(" AND "))
}

/// Separates terms in the argument of `loghub_text`.
const SEP: char = '\u{1f}';

/// How a query's terms travel to `loghub_text`, `None` without terms.
fn encode_terms(q: &Query) -> Option<String> {
    let terms: Vec<&str> = searchable(q).map(String::as_str).collect();
    (!terms.is_empty()).then(|| terms.join(&SEP.to_string()))
}

fn decode_terms(s: &str) -> Vec<Vec<String>> {
    s.split(SEP).map(words).collect()
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The words of `s`, lowercased.
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether every term (a list of words) occurs in `msg` as adjacent words,
/// in order, ignoring case.
pub(crate) fn message_matches(msg: &str, terms: &[Vec<String>]) -> bool {
    let lower;
    let msg = if msg.chars().any(char::is_uppercase) {
        lower = msg.to_lowercase();
        lower.as_str()
    } else {
        msg
    };
    let have: Vec<&str> = msg
        .split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
        .collect();
    terms.iter().all(|t| {
        t.is_empty()
            || have
                .windows(t.len())
                .any(|w| w.iter().zip(t).all(|(a, b)| *a == b))
    })
}

/// A query's text condition on `logs`, with its parameters: the index for
/// ids up to `upto` (the caller's `indexed_upto`), the messages themselves
/// beyond. `None` without text terms.
pub(crate) fn text_clause(q: &Query, upto: i64) -> Option<(String, Vec<Value>)> {
    let m = fts_match(q)?;
    let terms = encode_terms(q)?;
    Some((
        "((logs.id <= ? AND EXISTS (SELECT 1 FROM fts.logs_fts WHERE logs_fts MATCH ? \
         AND rowid = logs.id)) OR (logs.id > ? AND loghub_text(logs.message, ?)))"
            .into(),
        vec![
            Value::Integer(upto),
            Value::Text(m),
            Value::Integer(upto),
            Value::Text(terms),
        ],
    ))
}

/// The condition and parameter for records not yet indexed: `loghub_text`.
pub(crate) fn scan_clause(q: &Query) -> Option<(String, Value)> {
    encode_terms(q).map(|t| ("loghub_text(logs.message, ?)".to_string(), Value::Text(t)))
}

/// The background indexer of one process (module docs).
pub(crate) struct Indexer {
    store: PathBuf,
    uid: i64,
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    /// The highest id this process committed.
    wanted: i64,
    /// Every id up to here is indexed.
    indexed: i64,
    stop: bool,
    /// The last failure, cleared by the next step that works.
    error: Option<String>,
    /// The thread has ended.
    ended: bool,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Indexer {
    pub(crate) fn new(store: &Path, uid: i64) -> Self {
        Indexer {
            store: store.to_path_buf(),
            uid,
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                changed: Condvar::new(),
            }),
            thread: Mutex::new(None),
        }
    }

    /// Records that this process committed ids up to `last_id`, starting the
    /// thread on first use.
    pub(crate) fn committed(&self, last_id: i64) {
        let mut thread = self
            .thread
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let start = {
            let mut st = lock(&self.shared.state);
            st.wanted = st.wanted.max(last_id);
            let start = thread.is_none() || st.ended;
            if start {
                st.stop = false;
                st.ended = false;
            }
            start
        };
        self.shared.changed.notify_all();
        if start {
            if let Some(old) = thread.take() {
                let _ = old.join();
            }
            let (store, uid, shared) = (self.store.clone(), self.uid, self.shared.clone());
            let spawned = std::thread::Builder::new()
                .name("loghub-fts".into())
                .spawn(move || run(&store, uid, &shared));
            match spawned {
                Ok(h) => *thread = Some(h),
                Err(e) => {
                    tracing::warn!("cannot start the full-text indexer: {e}");
                    lock(&self.shared.state).ended = true;
                }
            }
        }
    }

    /// The highest id this process committed.
    pub(crate) fn wanted(&self) -> i64 {
        lock(&self.shared.state).wanted
    }

    /// Waits while the index is more than [`MAX_LAG`] ids behind `last_id`,
    /// unless the indexer is failing (then reads check more records
    /// themselves, and nothing is lost).
    pub(crate) fn wait_lag(&self, last_id: i64) {
        let mut st = lock(&self.shared.state);
        while last_id - st.indexed > MAX_LAG && st.error.is_none() && !st.ended {
            st = self
                .shared
                .changed
                .wait_timeout(st, Duration::from_secs(1))
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }

    /// Indexes what this process wrote, then stops the thread.
    pub(crate) fn finish(&self) {
        let mut thread = self
            .thread
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        lock(&self.shared.state).stop = true;
        self.shared.changed.notify_all();
        if let Some(h) = thread.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Indexer {
    fn drop(&mut self) {
        self.finish();
    }
}

fn run(store: &Path, uid: i64, shared: &Shared) {
    let opened = (|| {
        let fts = open_writer(store, uid)?;
        let reader = Connection::open_with_flags(
            store,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        reader.busy_timeout(super::BUSY_TIMEOUT)?;
        reader.execute_batch("PRAGMA cache_size=-1024;")?;
        Ok::<_, rusqlite::Error>((fts, reader))
    })();
    let (mut fts, reader) = match opened {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!("cannot open the full-text index: {e}");
            let mut st = lock(&shared.state);
            st.error = Some(e.to_string());
            st.ended = true;
            shared.changed.notify_all();
            return;
        }
    };
    loop {
        let wanted = {
            let mut st = lock(&shared.state);
            while st.indexed >= st.wanted && !st.stop {
                st = shared
                    .changed
                    .wait(st)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            if st.indexed >= st.wanted {
                st.ended = true;
                shared.changed.notify_all();
                return;
            }
            st.wanted
        };
        let result = step(&mut fts, &reader);
        let mut st = lock(&shared.state);
        match result {
            Ok((upto, n)) => {
                st.error = None;
                // A short step saw every committed id, `wanted` included.
                st.indexed = if n < STEP { upto.max(wanted) } else { upto };
            }
            Err(e) => {
                tracing::warn!("full-text indexing failed (will retry): {e}");
                st.error = Some(e.to_string());
                if st.stop {
                    st.ended = true;
                    shared.changed.notify_all();
                    return;
                }
                shared.changed.notify_all();
                let _ = shared.changed.wait_timeout(st, Duration::from_secs(1));
                continue;
            }
        }
        shared.changed.notify_all();
    }
}

/// Indexes up to [`STEP`] records past the mark; returns the new mark and
/// how many records it indexed.
fn step(fts: &mut Connection, reader: &Connection) -> rusqlite::Result<(i64, i64)> {
    let tx = fts.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let from: i64 = tx.query_row(
        "SELECT value FROM fts_meta WHERE key = 'indexed_upto'",
        [],
        |r| r.get(0),
    )?;
    let mut last = from;
    let mut n = 0;
    {
        let mut read = reader
            .prepare_cached("SELECT id, message FROM logs WHERE id > ?1 ORDER BY id LIMIT ?2")?;
        let mut rows = read.query(params![from, STEP])?;
        let mut ins = tx.prepare_cached("INSERT INTO logs_fts(rowid, message) VALUES(?1, ?2)")?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            ins.execute(params![id, r.get_ref(1)?.as_str()?])?;
            last = id;
            n += 1;
        }
    }
    tx.execute(
        "UPDATE fts_meta SET value = ?1 WHERE key = 'indexed_upto'",
        [last],
    )?;
    tx.commit()?;
    Ok((last, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &[&str]) -> Vec<Vec<String>> {
        s.iter().map(|x| words(x)).collect()
    }

    #[test]
    fn terms_match_whole_words_in_order_ignoring_case() {
        let m = "GET /api failed: Connection refused by db-1 (user_id=42)";
        assert!(message_matches(m, &t(&["connection refused"])));
        assert!(message_matches(m, &t(&["db-1", "USER_ID"])));
        assert!(message_matches(m, &t(&["DB 1"])));
        assert!(!message_matches(m, &t(&["refused connection"])));
        assert!(!message_matches(m, &t(&["user"])), "user_id is one word");
        assert!(!message_matches(m, &t(&["refuse"])), "whole words only");
        assert!(!message_matches(m, &t(&["connection", "timeout"])));
    }

    #[test]
    fn encoded_terms_round_trip() {
        let q = Query {
            text: vec!["a b".into(), "***".into(), "C".into()],
            ..Query::default()
        };
        let enc = encode_terms(&q).unwrap();
        assert_eq!(decode_terms(&enc), t(&["a b", "c"]));
        assert_eq!(fts_match(&q).unwrap(), r#""a b" AND "C""#);
    }
}

//! API keys and per-key rate limits of `serve` (SPEC §4 "Auth").
//!
//! A key is `full` (every route) or `write` (ingest only). Keys come from
//! `--api-key` and `--key` (a `write:` prefix makes an ingest-only key,
//! `full:` is accepted too), `--keys-file` (one per line, `#` comments) and
//! `LOGHUB_SERVER_API_KEYS` (comma separated). They are compared in constant
//! time and never logged: a key is only ever named by its index.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use axum::http::HeaderMap;

use super::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Ingest only.
    Write,
    /// Ingest and read.
    Full,
}

/// Who made a request: the index of the key (for rate limits), or nobody
/// when the server runs without keys (loopback only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Caller {
    Anonymous,
    Key(usize),
}

#[derive(Clone, Default)]
pub struct Keys {
    keys: Vec<(Vec<u8>, Access)>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keys({} configured)", self.keys.len())
    }
}

impl Keys {
    /// Collects keys from flags, a keys file and the environment value.
    pub fn load(flags: &[String], file: Option<&Path>, env: Option<&str>) -> Result<Keys> {
        let mut keys = Keys::default();
        for k in flags {
            keys.add(k).context("in --api-key/--key")?;
        }
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading keys file {}", path.display()))?;
            for (n, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                keys.add(line)
                    .with_context(|| format!("{}: line {}", path.display(), n + 1))?;
            }
        }
        if let Some(env) = env {
            for k in env.split(',').map(str::trim).filter(|k| !k.is_empty()) {
                keys.add(k).context("in LOGHUB_SERVER_API_KEYS")?;
            }
        }
        Ok(keys)
    }

    fn add(&mut self, spec: &str) -> Result<()> {
        let spec = spec.trim();
        let (access, key) = if let Some(k) = spec.strip_prefix("write:") {
            (Access::Write, k)
        } else if let Some(k) = spec.strip_prefix("full:") {
            (Access::Full, k)
        } else {
            (Access::Full, spec)
        };
        if key.len() < 8 {
            bail!("an API key must have at least 8 characters");
        }
        if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
            bail!("an API key cannot contain spaces or control characters");
        }
        self.keys.push((key.as_bytes().to_vec(), access));
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Checks a presented key against every configured key. Every key is
    /// compared (no early exit) so timing reveals neither which key matched
    /// nor how much of one did.
    pub fn lookup(&self, presented: &[u8]) -> Option<(usize, Access)> {
        let mut found = None;
        for (i, (k, access)) in self.keys.iter().enumerate() {
            if constant_time_eq(k, presented) && found.is_none() {
                found = Some((i, *access));
            }
        }
        found
    }

    /// Authorises a request needing `need`. `path_key` is a key carried in the
    /// URL (the Loggier routes, `?token=` on the stream route).
    pub fn authorize(
        &self,
        headers: &HeaderMap,
        path_key: Option<&str>,
        need: Access,
    ) -> Result<Caller, ApiError> {
        if self.is_empty() {
            return Ok(Caller::Anonymous);
        }
        let presented = presented_key(headers).or(path_key.map(str::as_bytes));
        let Some(presented) = presented else {
            return Err(ApiError::unauthorized());
        };
        match self.lookup(presented) {
            None => Err(ApiError::unauthorized()),
            Some((_, Access::Write)) if need == Access::Full => Err(ApiError::forbidden(
                "this API key may only ingest; reading needs a full key",
            )),
            Some((i, _)) => Ok(Caller::Key(i)),
        }
    }
}

/// The key of `X-API-Key`, `Authorization: Bearer …` or `X-Loggier-Key`.
fn presented_key(headers: &HeaderMap) -> Option<&[u8]> {
    if let Some(v) = headers.get("x-api-key") {
        return Some(v.as_bytes());
    }
    if let Some(v) = headers.get(axum::http::header::AUTHORIZATION) {
        let b = v.as_bytes();
        if b.len() > 7 && b[..7].eq_ignore_ascii_case(b"bearer ") {
            return Some(b[7..].trim_ascii());
        }
    }
    headers.get("x-loggier-key").map(|v| v.as_bytes())
}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    // Fold over the longer one so a short guess costs as much as a long one.
    let n = a.len().max(b.len());
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..n {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= x ^ y;
    }
    std::hint::black_box(diff) == 0
}

/// A token bucket per caller: `rate` requests per second, bursts up to
/// `rate` (at least one second's worth).
pub struct RateLimiter {
    rate: f64,
    buckets: Mutex<HashMap<Caller, (f64, Instant)>>,
}

impl RateLimiter {
    /// `rate` 0 means no limit.
    pub fn new(rate: u32) -> Self {
        RateLimiter {
            rate: f64::from(rate),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token, or answers 429 with the seconds until one is free.
    pub fn check(&self, caller: Caller) -> Result<(), ApiError> {
        if self.rate <= 0.0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let (tokens, last) = buckets.entry(caller).or_insert((self.rate, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.rate).min(self.rate);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - *tokens) / self.rate).ceil().max(1.0) as u64;
            Err(ApiError::too_many(
                format!(
                    "rate limit of {} requests per second exceeded",
                    self.rate as u64
                ),
                wait,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_access_levels() {
        let keys = Keys::load(
            &["write:ingest-only-key".into(), "full-access-key".into()],
            None,
            Some("full:another-full-key, "),
        )
        .unwrap();
        assert_eq!(keys.len(), 3);
        assert_eq!(keys.lookup(b"ingest-only-key"), Some((0, Access::Write)));
        assert_eq!(keys.lookup(b"full-access-key"), Some((1, Access::Full)));
        assert_eq!(keys.lookup(b"another-full-key"), Some((2, Access::Full)));
        assert_eq!(keys.lookup(b"full-access-ke"), None);
        assert_eq!(keys.lookup(b"full-access-keyy"), None);
        assert!(Keys::load(&["short".into()], None, None).is_err());
    }

    #[test]
    fn constant_time_eq_is_equality() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!constant_time_eq(b"", b"a"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn rate_limit_answers_429_with_retry_after() {
        let rl = RateLimiter::new(2);
        let c = Caller::Key(0);
        assert!(rl.check(c).is_ok());
        assert!(rl.check(c).is_ok());
        let e = rl.check(c).unwrap_err();
        assert_eq!(e.status, axum::http::StatusCode::TOO_MANY_REQUESTS);
        assert!(e.retry_after.is_some_and(|s| s >= 1));
        // Another caller has its own bucket.
        assert!(rl.check(Caller::Key(1)).is_ok());
    }
}

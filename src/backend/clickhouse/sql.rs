//! Building SQL in which user text is always data: a bound `{pN:String}`
//! query parameter on servers that have them (19.11+), else a string literal
//! escaped by [`quote`]. Numbers are formatted from integers, never from text.
//! Also: the WHERE clause of a [`Query`].

use crate::query::Query;

/// A statement under construction with its parameters.
#[derive(Debug, Clone)]
pub struct Sql {
    pub text: String,
    pub params: Vec<(String, String)>,
    use_params: bool,
}

impl Sql {
    pub fn new(use_params: bool) -> Sql {
        Sql {
            text: String::with_capacity(256),
            params: Vec::new(),
            use_params,
        }
    }

    /// Appends SQL written by loghub (never user text).
    pub fn push(&mut self, s: &str) -> &mut Sql {
        self.text.push_str(s);
        self
    }

    /// Appends a user string as data.
    pub fn str(&mut self, v: &str) -> &mut Sql {
        if self.use_params {
            let name = format!("p{}", self.params.len());
            self.text.push_str(&format!("{{{name}:String}}"));
            self.params.push((name, v.to_string()));
        } else {
            self.text.push_str(&quote(v));
        }
        self
    }

    /// Appends an integer literal.
    pub fn int(&mut self, v: i64) -> &mut Sql {
        self.text.push_str(&v.to_string());
        self
    }
}

/// A ClickHouse string literal: every byte that could end or bend the literal
/// (quote, backslash, control characters) is escaped, so the result is one
/// literal whatever `s` holds.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if (c as u32) < 0x20 || c == '\x7f' => {
                out.push_str(&format!("\\x{:02X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// `s` as a LIKE pattern that matches it literally anywhere.
pub fn like_contains(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('%');
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Appends ` AND …` for every filter of `q`. `ngram_text` picks the
/// full-text predicate that an `ngrambf_v1` index on `lowerUTF8(message)` can
/// serve (newer servers); otherwise `positionCaseInsensitiveUTF8`. Both match
/// a case-insensitive substring, as `Query::matches` does.
pub fn filters(sql: &mut Sql, q: &Query, ngram_text: bool) {
    if !q.levels.is_empty() {
        sql.push(" AND level IN (");
        for (i, l) in q.levels.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push(&quote(l.as_str()));
        }
        sql.push(")");
    }
    for (col, values) in [("service", &q.services), ("host", &q.hosts)] {
        if values.is_empty() {
            continue;
        }
        sql.push(" AND ").push(col).push(" IN (");
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.str(v);
        }
        sql.push(")");
    }
    if let Some(p) = &q.trace_prefix {
        sql.push(" AND startsWith(trace_id, ").str(p).push(")");
    }
    if let Some(t) = &q.trace_id {
        sql.push(" AND trace_id = ").str(t);
    }
    // `ts` (seconds, the primary key) prunes parts and granules; `time_us`
    // gives the exact bound.
    if let Some(s) = q.since {
        sql.push(" AND ts >= toDateTime(")
            .int(secs_floor(s).max(0))
            .push(") AND time_us >= ")
            .int(s);
    }
    if let Some(u) = q.until {
        sql.push(" AND ts <= toDateTime(")
            .int(secs_floor(u).max(0))
            .push(") AND time_us < ")
            .int(u);
    }
    for t in &q.text {
        if ngram_text {
            sql.push(" AND lowerUTF8(message) LIKE ")
                .str(&like_contains(&t.to_lowercase()));
        } else {
            sql.push(" AND positionCaseInsensitiveUTF8(message, ")
                .str(t)
                .push(") > 0");
        }
    }
    for (k, v) in &q.metadata {
        sql.push(" AND indexOf(meta_keys, ")
            .str(k)
            .push(") > 0 AND meta_values[indexOf(meta_keys, ")
            .str(k)
            .push(")] = ")
            .str(v);
    }
    for c in &q.compare {
        // meta_values holds each value's text; numbers read back as Float64.
        sql.push(" AND toFloat64OrNull(meta_values[indexOf(meta_keys, ")
            .str(&c.key)
            .push(")]) ")
            .push(c.op.as_str())
            .push(&format!(" {:?}", c.value));
    }
}

/// Seconds, rounded towards minus infinity.
pub fn secs_floor(us: i64) -> i64 {
    us.div_euclid(1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Level;

    #[test]
    fn quoting_keeps_any_text_inside_one_literal() {
        assert_eq!(quote("plain"), "'plain'");
        assert_eq!(quote(r"it's \ done"), r"'it\'s \\ done'");
        assert_eq!(quote("a\nb\0c\x01"), r"'a\nb\0c\x01'");
        assert_eq!(quote("') OR 1=1 --"), r"'\') OR 1=1 --'");
        assert_eq!(like_contains("50%_a\\b"), r"%50\%\_a\\b%");
    }

    #[test]
    fn filters_bind_user_text() {
        let q = Query {
            text: vec!["Time'out".into()],
            levels: vec![Level::Error, Level::Critical],
            services: vec!["api".into()],
            trace_id: Some("t1".into()),
            since: Some(1_700_000_000_500_000),
            metadata: vec![("user.id".into(), "42".into())],
            ..Query::default()
        };
        let mut s = Sql::new(true);
        filters(&mut s, &q, false);
        assert_eq!(
            s.text,
            " AND level IN ('error', 'critical') AND service IN ({p0:String}) AND trace_id = {p1:String} \
             AND ts >= toDateTime(1700000000) AND time_us >= 1700000000500000 \
             AND positionCaseInsensitiveUTF8(message, {p2:String}) > 0 \
             AND indexOf(meta_keys, {p3:String}) > 0 AND meta_values[indexOf(meta_keys, {p4:String})] = {p5:String}"
        );
        assert_eq!(s.params[2], ("p2".to_string(), "Time'out".to_string()));

        let mut s = Sql::new(false);
        filters(&mut s, &q, true);
        assert!(s.params.is_empty());
        assert!(
            s.text
                .contains(r"AND lowerUTF8(message) LIKE '%time\'out%'"),
            "{}",
            s.text
        );
        assert!(s.text.contains("service IN ('api')"));
    }
}

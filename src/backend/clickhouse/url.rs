//! The target URL `clickhouse://[user[:password]@]host[:port]/database[?table=logs&cluster=NAME]`
//! (`clickhouses://` for TLS) turned into what the HTTP client needs.

use anyhow::{Context, Result, bail};

/// A parsed ClickHouse target.
#[derive(Debug, Clone, PartialEq)]
pub struct ChUrl {
    /// `http://host:port` or `https://host:port`, no trailing slash.
    pub base: String,
    pub user: String,
    pub password: Option<String>,
    pub database: String,
    pub table: String,
    /// Cluster for `ON CLUSTER` DDL when the schema is created lazily.
    pub cluster: Option<String>,
}

impl ChUrl {
    pub fn parse(s: &str) -> Result<ChUrl> {
        let s = s.trim();
        let (tls, rest) = if let Some(r) = s.strip_prefix("clickhouses://") {
            (true, r)
        } else if let Some(r) = s.strip_prefix("clickhouse://") {
            (false, r)
        } else {
            bail!("invalid ClickHouse URL '{s}': expected clickhouse://… or clickhouses://…");
        };
        let scheme = if tls { "https" } else { "http" };
        let url = reqwest::Url::parse(&format!("{scheme}://{rest}"))
            .with_context(|| format!("invalid ClickHouse URL '{}'", mask(s)))?;
        let host = match url.host_str() {
            Some(h) if !h.is_empty() => h.to_string(),
            _ => bail!("invalid ClickHouse URL '{}': no host", mask(s)),
        };
        let port = url.port().unwrap_or(if tls { 8443 } else { 8123 });
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host
        };
        let user = match percent_decode(url.username()) {
            u if u.is_empty() => "default".to_string(),
            u => u,
        };
        let password = url.password().map(percent_decode);
        let database = match url.path().trim_matches('/') {
            "" => "default".to_string(),
            d => d.to_string(),
        };
        let mut table = "logs".to_string();
        let mut cluster = None;
        for (k, v) in url.query_pairs() {
            match &*k {
                "table" => table = v.into_owned(),
                "cluster" => cluster = Some(v.into_owned()),
                other => bail!(
                    "invalid ClickHouse URL '{}': unknown parameter '{other}' (expected table or cluster)",
                    mask(s)
                ),
            }
        }
        for (what, name) in [("database", &database), ("table", &table)] {
            check_ident(what, name)?;
        }
        if let Some(c) = &cluster {
            check_ident("cluster", c)?;
        }
        Ok(ChUrl {
            base: format!("{scheme}://{host}:{port}"),
            user,
            password,
            database,
            table,
            cluster,
        })
    }

    /// The URL for messages, without the password.
    pub fn describe(&self) -> String {
        let scheme = if self.base.starts_with("https") {
            "clickhouses"
        } else {
            "clickhouse"
        };
        let hostport = self.base.split_once("://").map_or("", |x| x.1);
        format!(
            "{scheme}://{}@{hostport}/{}?table={}",
            self.user, self.database, self.table
        )
    }
}

/// Names go into SQL as identifiers; keeping them to `[A-Za-z_][A-Za-z0-9_]*`
/// makes quoting trivial and rules out injection through the URL.
pub fn check_ident(what: &str, name: &str) -> Result<()> {
    let ok = name.len() <= 200
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        bail!("invalid ClickHouse {what} name '{name}': use letters, digits and _ only");
    }
    Ok(())
}

fn mask(s: &str) -> String {
    match (s.find("://"), s.rfind('@')) {
        (Some(a), Some(at)) if at > a => {
            let userinfo = &s[a + 3..at];
            match userinfo.split_once(':') {
                Some((u, _)) => format!("{}{u}:***{}", &s[..a + 3], &s[at..]),
                None => s.to_string(),
            }
        }
        _ => s.to_string(),
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_and_minimal_forms() {
        let u =
            ChUrl::parse("clickhouse://bob:p%40ss@db.local:9123/logsdb?table=app_logs").unwrap();
        assert_eq!(u.base, "http://db.local:9123");
        assert_eq!(u.user, "bob");
        assert_eq!(u.password.as_deref(), Some("p@ss"));
        assert_eq!(u.database, "logsdb");
        assert_eq!(u.table, "app_logs");
        assert!(!u.describe().contains("p@ss"), "{}", u.describe());

        let u = ChUrl::parse("clickhouse://127.0.0.1/x").unwrap();
        assert_eq!(u.base, "http://127.0.0.1:8123");
        assert_eq!((u.user.as_str(), u.password.as_deref()), ("default", None));
        assert_eq!(u.table, "logs");

        let u = ChUrl::parse("clickhouses://h/d?cluster=main").unwrap();
        assert_eq!(u.base, "https://h:8443");
        assert_eq!(u.cluster.as_deref(), Some("main"));
    }

    #[test]
    fn bad_names_are_refused_with_the_password_masked() {
        let e = ChUrl::parse("clickhouse://u:secret@h/db;drop")
            .unwrap_err()
            .to_string();
        assert!(e.contains("database name"), "{e}");
        let e = ChUrl::parse("clickhouse://u:secret@h/db?tabel=x")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("unknown parameter 'tabel'") && !e.contains("secret"),
            "{e}"
        );
    }
}

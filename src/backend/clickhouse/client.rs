//! The HTTP interface client: one POST per statement, Basic auth, settings
//! and query parameters in the URL, and the classification of ClickHouse's
//! errors (old servers answer 500 to nearly everything, so the exception code
//! in the body decides, the HTTP status only where there is no code).

use std::time::Duration;

use anyhow::Result;

use super::sql::Sql;
use super::url::ChUrl;
use crate::backend::DeliveryError;

/// A failed request.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ChError {
    #[error("cannot reach ClickHouse at {base}: {reason}")]
    Unreachable { base: String, reason: String },
    #[error("ClickHouse refused the credentials for user {user}: {message}")]
    Auth { user: String, message: String },
    #[error("ClickHouse error{}: {message}", code.map(|c| format!(" {c}")).unwrap_or_default())]
    Server {
        status: u16,
        code: Option<u32>,
        message: String,
    },
}

/// Exception codes that mean the credentials were refused.
const AUTH_CODES: [u32; 4] = [192, 193, 194, 516];
/// Codes that mean the request itself is wrong; repeating it cannot help.
const BAD_REQUEST_CODES: [u32; 22] = [
    6, 16, 20, 26, 27, 32, 33, 38, 41, 43, 44, 46, 47, 53, 62, 69, 70, 72, 117, 131, 1001, 36,
];
/// Codes that mean the user is known but not allowed: the run cannot go on.
const ACCESS_CODES: [u32; 2] = [497, 164];
/// The table or database is missing (dropped under us): create and retry.
pub const MISSING_CODES: [u32; 2] = [60, 81];

impl ChError {
    pub fn code(&self) -> Option<u32> {
        match self {
            ChError::Server { code, .. } => *code,
            _ => None,
        }
    }

    /// What the send pipeline should do about it.
    pub fn delivery(&self) -> DeliveryError {
        match self {
            ChError::Unreachable { .. } => DeliveryError::Retryable {
                reason: self.to_string(),
                retry_after: None,
            },
            ChError::Auth { .. } => DeliveryError::Fatal(self.to_string()),
            ChError::Server { status, code, .. } => {
                let c = code.unwrap_or(0);
                if ACCESS_CODES.contains(&c) {
                    DeliveryError::Fatal(self.to_string())
                } else if BAD_REQUEST_CODES.contains(&c) {
                    DeliveryError::Permanent(self.to_string())
                } else if *status == 413 {
                    DeliveryError::TooLarge(self.to_string())
                } else if code.is_none()
                    && (400..500).contains(status)
                    && *status != 408
                    && *status != 429
                {
                    DeliveryError::Permanent(self.to_string())
                } else {
                    // 5xx, 408, 429, and server-side conditions such as
                    // too many parts, memory limits or a read-only replica.
                    DeliveryError::Retryable {
                        reason: self.to_string(),
                        retry_after: None,
                    }
                }
            }
        }
    }
}

/// The connection to one ClickHouse server.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    url: ChUrl,
}

impl Client {
    pub fn new(url: ChUrl, timeout: Option<Duration>) -> Result<Client> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(timeout.unwrap_or(Duration::from_secs(120)))
            .pool_idle_timeout(Duration::from_secs(2))
            .build()?;
        Ok(Client { http, url })
    }

    pub fn url(&self) -> &ChUrl {
        &self.url
    }

    /// Runs a statement and returns the response body.
    pub async fn exec(&self, sql: &Sql, settings: &[(&str, &str)]) -> Result<String, ChError> {
        let mut query: Vec<(String, String)> = settings
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        for (k, v) in &sql.params {
            query.push((format!("param_{k}"), v.clone()));
        }
        let req = self.request(&query).body(sql.text.clone());
        self.send(req).await
    }

    /// `INSERT … FORMAT JSONEachRow` with a gzip body.
    pub async fn insert(
        &self,
        statement: &str,
        settings: &[(&str, &str)],
        gzip_body: Vec<u8>,
    ) -> Result<String, ChError> {
        let mut query: Vec<(String, String)> = vec![("query".into(), statement.into())];
        query.extend(settings.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let req = self
            .request(&query)
            .header(reqwest::header::CONTENT_ENCODING, "gzip")
            .body(gzip_body);
        self.send(req).await
    }

    fn request(&self, query: &[(String, String)]) -> reqwest::RequestBuilder {
        let mut req = self.http.post(format!("{}/", self.url.base)).query(query);
        req = req.basic_auth(&self.url.user, self.url.password.as_deref());
        req
    }

    /// Runs a statement whose answer is read as it arrives (an export):
    /// no deadline for the whole answer, unlike [`Client::exec`].
    pub async fn exec_stream(
        &self,
        sql: &Sql,
        settings: &[(&str, &str)],
    ) -> Result<reqwest::Response, ChError> {
        let mut query: Vec<(String, String)> = settings
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        for (k, v) in &sql.params {
            query.push((format!("param_{k}"), v.clone()));
        }
        let req = self
            .request(&query)
            .timeout(Duration::from_secs(7 * 24 * 3600))
            .body(sql.text.clone());
        self.respond(req).await
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<String, ChError> {
        let resp = self.respond(req).await?;
        resp.text().await.map_err(|e| self.unreachable(&e))
    }

    fn unreachable(&self, e: &reqwest::Error) -> ChError {
        ChError::Unreachable {
            base: self.url.base.clone(),
            reason: error_chain(e),
        }
    }

    /// Sends `req`; an answer that is not a success becomes its error.
    async fn respond(&self, req: reqwest::RequestBuilder) -> Result<reqwest::Response, ChError> {
        let resp = req.send().await.map_err(|e| self.unreachable(&e))?;
        let status = resp.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(resp);
        }
        let header_code = resp
            .headers()
            .get("X-ClickHouse-Exception-Code")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let body = resp.text().await.map_err(|e| self.unreachable(&e))?;
        let code = header_code.or_else(|| exception_code(&body));
        let message = clean_message(&body);
        if code.is_some_and(|c| AUTH_CODES.contains(&c))
            || (code.is_none() && (status == 401 || status == 403))
        {
            return Err(ChError::Auth {
                user: self.url.user.clone(),
                message,
            });
        }
        Err(ChError::Server {
            status,
            code,
            message,
        })
    }
}

/// `Code: 193, e.displayText() = …` (old) or `Code: 516. DB::Exception: …` (new).
fn exception_code(body: &str) -> Option<u32> {
    let rest = body.trim_start().strip_prefix("Code:")?.trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The useful part of an exception body, on one line.
fn clean_message(body: &str) -> String {
    let mut m = body.trim();
    if let Some(i) = m.find("DB::Exception: ") {
        m = &m[i + "DB::Exception: ".len()..];
    }
    if let Some(i) = m.find(", e.what() = ") {
        m = &m[..i];
    }
    let m: String = m.split_whitespace().collect::<Vec<_>>().join(" ");
    m.chars().take(500).collect()
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(status: u16, body: &str) -> ChError {
        ChError::Server {
            status,
            code: exception_code(body),
            message: clean_message(body),
        }
    }

    #[test]
    fn codes_and_messages_from_old_and_new_bodies() {
        let old = "Code: 193, e.displayText() = DB::Exception: Wrong password for user default, e.what() = DB::Exception\n";
        assert_eq!(exception_code(old), Some(193));
        assert_eq!(clean_message(old), "Wrong password for user default");
        let new = "Code: 516. DB::Exception: default: Authentication failed. (AUTHENTICATION_FAILED) (version 24.3.1)";
        assert_eq!(exception_code(new), Some(516));
    }

    #[test]
    fn errors_map_to_delivery_kinds() {
        let kind = |e: ChError| match e.delivery() {
            DeliveryError::Retryable { .. } => "retry",
            DeliveryError::Permanent(_) => "permanent",
            DeliveryError::Fatal(_) => "fatal",
            DeliveryError::TooLarge(_) => "split",
            DeliveryError::Closed => "closed",
        };
        let parse = "Code: 27, e.displayText() = DB::Exception: Cannot parse input";
        assert_eq!(kind(server(500, parse)), "permanent");
        assert_eq!(
            kind(server(
                500,
                "Code: 252, e.displayText() = DB::Exception: Too many parts"
            )),
            "retry"
        );
        assert_eq!(kind(server(503, "")), "retry");
        assert_eq!(kind(server(400, "bad")), "permanent");
        assert_eq!(
            kind(server(
                500,
                "Code: 497. DB::Exception: not enough privileges"
            )),
            "fatal"
        );
        let auth = ChError::Auth {
            user: "bob".into(),
            message: "Wrong password".into(),
        };
        assert!(
            auth.to_string()
                .starts_with("ClickHouse refused the credentials for user bob")
        );
        assert_eq!(kind(auth), "fatal");
        let down = ChError::Unreachable {
            base: "http://127.0.0.1:1".into(),
            reason: "connection refused".into(),
        };
        assert_eq!(kind(down), "retry");
    }
}

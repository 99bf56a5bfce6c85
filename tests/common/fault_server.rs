//! A fault-injecting loghub ingest server for the delivery tests: axum on
//! 127.0.0.1 (ephemeral port), on its own thread and runtime. It behaves as
//! the real server will — decompresses gzip/zstd, de-duplicates by
//! `Idempotency-Key` (a repeat gets the first answer and stores nothing),
//! records every accepted record — and a per-test policy decides, request by
//! request, which fault to inject.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Store and answer 200.
    Accept,
    /// Answer this status (and `Retry-After` when given) without storing.
    Status(u16, Option<String>),
    /// Store, then answer after this delay (past the client's timeout).
    DelayAccept(Duration),
    /// Store, then drop the connection without an answer.
    ResetAfterStore,
    /// Drop the connection without storing.
    ResetBeforeStore,
    /// 400: refuse the records whose message contains this text, store the rest.
    RejectContaining(String),
    /// 401 (unless the request carries this key, then Accept).
    RequireKey(String),
    /// 413 when the decompressed body is larger than this, else Accept.
    MaxBody(usize),
}

/// What the policy sees of a request.
pub struct Req<'a> {
    /// 0-based request number (all requests, repeats included).
    pub n: usize,
    pub key: &'a str,
    pub api_key: Option<&'a str>,
    pub body_len: usize,
    pub records: &'a [Value],
}

pub type Policy = Arc<dyn Fn(&Req) -> Fault + Send + Sync>;

#[derive(Default)]
struct Store {
    /// First answer per Idempotency-Key.
    answers: HashMap<String, (u16, String)>,
    records: Vec<Value>,
    /// Every request's key, in arrival order (repeats included).
    keys: Vec<String>,
    encodings: Vec<String>,
}

struct Shared {
    policy: Mutex<Policy>,
    store: Mutex<Store>,
    requests: AtomicUsize,
}

pub struct FaultServer {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::watch::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// A port nothing listens on (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn policy(f: impl Fn(&Req) -> Fault + Send + Sync + 'static) -> Policy {
    Arc::new(f)
}

impl FaultServer {
    /// Starts on an ephemeral port.
    pub fn start(p: Policy) -> FaultServer {
        Self::start_on(0, p)
    }

    /// Starts on `port` (0: ephemeral).
    pub fn start_on(port: u16, p: Policy) -> FaultServer {
        let shared = Arc::new(Shared {
            policy: Mutex::new(p),
            store: Mutex::new(Store::default()),
            requests: AtomicUsize::new(0),
        });
        let mut s = FaultServer {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            shared,
            stop: None,
            thread: None,
        };
        s.up();
        s
    }

    /// (Re)starts listening on the same address, keeping what was stored.
    pub fn up(&mut self) {
        let (tx, rx) = tokio::sync::watch::channel(false);
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let shared = self.shared.clone();
        let addr = self.addr;
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                let app = axum::Router::new()
                    .route("/api/v1/ingest", axum::routing::post(ingest))
                    .with_state(shared);
                let mut rx2 = rx.clone();
                let mut rx = rx;
                let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                    let _ = rx.changed().await;
                });
                // A handler still sleeping (DelayAccept) must not hold the
                // shutdown for long: give connections a moment, then go.
                tokio::select! {
                    r = serve => r.unwrap(),
                    _ = async {
                        let _ = rx2.changed().await;
                        tokio::time::sleep(Duration::from_millis(300)).await;
                    } => {}
                }
            });
            // Connections still open (a handler sleeping past the client's
            // timeout) end with the runtime.
            rt.shutdown_timeout(Duration::from_millis(100));
        });
        self.addr = addr_rx.recv().unwrap();
        self.stop = Some(tx);
        self.thread = Some(thread);
    }

    /// Stops listening (connections are refused) until [`up`](Self::up).
    pub fn down(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(true);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_policy(&self, p: Policy) {
        *self.shared.policy.lock().unwrap() = p;
    }

    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Every stored record.
    pub fn records(&self) -> Vec<Value> {
        self.shared.store.lock().unwrap().records.clone()
    }

    /// The messages of the stored records.
    pub fn messages(&self) -> Vec<String> {
        self.records()
            .iter()
            .map(|r| r["message"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// The Idempotency-Key of every request, repeats included.
    pub fn keys(&self) -> Vec<String> {
        self.shared.store.lock().unwrap().keys.clone()
    }

    /// The Content-Encoding of every request ("" for none).
    pub fn encodings(&self) -> Vec<String> {
        self.shared.store.lock().unwrap().encodings.clone()
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.down();
    }
}

fn decode(headers: &HeaderMap, body: &[u8]) -> Result<Vec<u8>, String> {
    let enc = headers
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut out = Vec::new();
    match enc {
        "" | "identity" => out.extend_from_slice(body),
        "gzip" => {
            flate2::read::GzDecoder::new(body)
                .read_to_end(&mut out)
                .map_err(|e| e.to_string())?;
        }
        "zstd" => out = zstd::decode_all(body).map_err(|e| e.to_string())?,
        other => return Err(format!("unsupported encoding {other}")),
    }
    Ok(out)
}

fn answer(code: u16, body: &str) -> Response {
    (
        StatusCode::from_u16(code).unwrap(),
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn ingest(State(s): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let n = s.requests.fetch_add(1, Ordering::SeqCst);
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let api_key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    {
        let mut st = s.store.lock().unwrap();
        st.keys.push(key.clone());
        st.encodings.push(
            headers
                .get("content-encoding")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string(),
        );
    }
    let raw = match decode(&headers, &body) {
        Ok(r) => r,
        Err(e) => {
            return answer(
                415,
                &json!({"error": "bad encoding", "message": e}).to_string(),
            );
        }
    };
    let parsed: Value = match serde_json::from_slice(&raw) {
        Ok(v) => v,
        Err(e) => {
            return answer(
                400,
                &json!({"error": "bad json", "message": e.to_string()}).to_string(),
            );
        }
    };
    let records: Vec<Value> = parsed["logs"].as_array().cloned().unwrap_or_default();
    let fault = {
        let p = s.policy.lock().unwrap().clone();
        p(&Req {
            n,
            key: &key,
            api_key: api_key.as_deref(),
            body_len: raw.len(),
            records: &records,
        })
    };
    let fault = match fault {
        Fault::RequireKey(k) if api_key.as_deref() == Some(k.as_str()) => Fault::Accept,
        Fault::MaxBody(max) if raw.len() <= max => Fault::Accept,
        f => f,
    };
    match fault {
        Fault::Status(code, retry_after) => {
            let mut r = answer(
                code,
                &json!({"error": "fault", "message": format!("injected {code}")}).to_string(),
            );
            if let Some(ra) = retry_after {
                r.headers_mut().insert("retry-after", ra.parse().unwrap());
            }
            r
        }
        Fault::RequireKey(_) => answer(
            401,
            r#"{"error":"unauthorized","message":"invalid API key"}"#,
        ),
        Fault::MaxBody(max) => answer(
            413,
            &json!({"error": "too large", "message": format!("body over {max} bytes")}).to_string(),
        ),
        Fault::ResetBeforeStore => {
            panic!("fault server: connection reset before storing (injected)")
        }
        Fault::Accept => {
            let (code, body) = store(&s, &key, records, None);
            answer(code, &body)
        }
        Fault::RejectContaining(text) => {
            let (code, body) = store(&s, &key, records, Some(&text));
            answer(code, &body)
        }
        Fault::DelayAccept(d) => {
            let (code, body) = store(&s, &key, records, None);
            tokio::time::sleep(d).await;
            answer(code, &body)
        }
        Fault::ResetAfterStore => {
            store(&s, &key, records, None);
            panic!("fault server: connection reset after storing (injected)")
        }
    }
}

/// Stores a batch once per key; a repeat returns the first answer.
fn store(s: &Shared, key: &str, records: Vec<Value>, reject: Option<&str>) -> (u16, String) {
    let mut st = s.store.lock().unwrap();
    if !key.is_empty()
        && let Some(a) = st.answers.get(key)
    {
        return a.clone();
    }
    let mut rejected = Vec::new();
    let n = records.len();
    for (i, r) in records.into_iter().enumerate() {
        let msg = r["message"].as_str().unwrap_or_default();
        if let Some(t) = reject
            && msg.contains(t)
        {
            rejected.push(json!({"index": i, "reason": format!("message contains {t}")}));
            continue;
        }
        st.records.push(r);
    }
    let code = if rejected.is_empty() { 200 } else { 400 };
    let body = json!({"received": n, "rejected": rejected}).to_string();
    if !key.is_empty() {
        st.answers.insert(key.to_string(), (code, body.clone()));
    }
    (code, body)
}

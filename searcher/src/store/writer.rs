//! The store's writer task: every record the engine makes reaches the database through here,
//! so no store write sits on the hot path and none is lost.
//!
//! ```text
//!  hot path ── opportunity ───────────┐
//!  send task ─ bundle (+ its opportunity), waits for the commit ──┐   batch: one transaction
//!  send task ─ each relay answer as it arrives ──────────────────┼──▶ for whatever is queued
//!  inclusion ─ verdicts ─────────────────────────────────────────┘    (commit, then ack)
//! ```
//!
//! - **A bundle is recorded before any relay sees it.** [`Writer::bundle`] resolves only once
//!   the bundle's row and its opportunity are committed (SQLite in WAL mode with
//!   `synchronous = NORMAL`: a committed transaction survives a killed process). The send
//!   task sends only after that, so a `kill -9` at any instant leaves no sent bundle without
//!   its row. A bundle that cannot be recorded is not sent ([`WriteError`]).
//! - **Everything else is queued** on a bounded channel (senders wait when it is full) and
//!   committed in batches: one transaction for whatever is waiting, which keeps a burst cheap.
//! - **A failed write loses nothing.** When a batch fails (a full disk: `SQLITE_FULL`), its
//!   records stay in memory and are retried every [`RETRY_INTERVAL`]; meanwhile
//!   [`Writer::is_healthy`] is false (the engine stops sending and alerts) and bundles are
//!   refused. Once a write succeeds again everything held is committed in order.

use super::{
    Store, StoreError,
    bundles::{
        BundleRecord, InclusionRecord, OpportunityRecord, insert_bundle, insert_opportunity,
        insert_submission, update_inclusion,
    },
};
use alloy::primitives::B256;
use bundles::fanout::SubmissionRecord;
use std::{
    collections::VecDeque,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};
use tokio::sync::{mpsc, oneshot, watch};
use tracing::{info, warn};

/// Records queued for the writer before senders wait.
pub const QUEUE_CAPACITY: usize = 8192;
/// Most records committed in one transaction.
pub const MAX_BATCH: usize = 512;
/// How often a failed batch is retried.
pub const RETRY_INTERVAL: Duration = Duration::from_millis(500);

/// Metric: records committed, by `kind`.
pub const RECORDS_TOTAL: &str = "searcher_store_records_total";
/// Metric: write batches that failed (and were kept for retry).
pub const WRITE_FAILURES_TOTAL: &str = "searcher_store_write_failures_total";
/// Metric: records held in memory after a failed write.
pub const RECORDS_HELD: &str = "searcher_store_records_held";
/// Metric: 1 while the last write succeeded, 0 while writes fail.
pub const HEALTHY: &str = "searcher_store_healthy";
/// Metric: seconds per committed batch.
pub const BATCH_SECONDS: &str = "searcher_store_batch_seconds";

/// Registers the writer's metric descriptions.
pub fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(RECORDS_TOTAL, Unit::Count, "Records committed to the store, by kind");
    describe_counter!(WRITE_FAILURES_TOTAL, Unit::Count, "Store write batches that failed");
    describe_gauge!(RECORDS_HELD, "Records held in memory for retry after a failed write");
    describe_gauge!(HEALTHY, "1 while store writes succeed, 0 while they fail");
    describe_histogram!(BATCH_SECONDS, Unit::Seconds, "Time to commit one batch of records");
}

/// Why a bundle could not be recorded (so it must not be sent).
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The database refused the write.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The writer task is gone (shutting down).
    #[error("the store writer has stopped")]
    Stopped,
}

#[derive(Debug)]
enum Job {
    Opportunity(OpportunityRecord),
    Bundle {
        /// The opportunity and the bundle (boxed: the largest job by far).
        records: Box<(OpportunityRecord, BundleRecord)>,
        ack: oneshot::Sender<Result<(), StoreError>>,
    },
    Submission(SubmissionRecord),
    Inclusion(B256, InclusionRecord),
    Flush(oneshot::Sender<()>),
    /// Commit what is queued, retry what is held a few times, then stop.
    Close,
}

impl Job {
    const fn kind(&self) -> &'static str {
        match self {
            Self::Opportunity(_) => "opportunity",
            Self::Bundle { .. } => "bundle",
            Self::Submission(_) => "submission",
            Self::Inclusion(..) => "inclusion",
            Self::Flush(_) => "flush",
            Self::Close => "close",
        }
    }
}

/// The handle the engine records through; cheap to clone.
#[derive(Debug, Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
    healthy: Arc<AtomicBool>,
    health: watch::Receiver<bool>,
}

impl Writer {
    /// Spawns the writer task on `store`.
    pub fn spawn(store: Store) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let healthy = Arc::new(AtomicBool::new(true));
        let (health_tx, health) = watch::channel(true);
        metrics::gauge!(HEALTHY).set(1.0);
        let task = tokio::spawn(run(store, rx, Health { flag: healthy.clone(), tx: health_tx }));
        (Self { tx, healthy, health }, task)
    }

    /// Changes of [`Self::is_healthy`], as they happen (for alerts).
    pub fn health(&self) -> watch::Receiver<bool> {
        self.health.clone()
    }

    /// Whether the last write succeeded.
    pub fn is_healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }

    /// Queues an opportunity that did not become a bundle.
    pub async fn opportunity(&self, record: OpportunityRecord) {
        self.queue(Job::Opportunity(record)).await;
    }

    /// Records a bundle and its opportunity; resolves once both are committed. Send the
    /// bundle only after this returns `Ok`.
    pub async fn bundle(
        &self,
        opportunity: OpportunityRecord,
        bundle: BundleRecord,
    ) -> Result<(), WriteError> {
        let (ack, done) = oneshot::channel();
        self.tx
            .send(Job::Bundle { records: Box::new((opportunity, bundle)), ack })
            .await
            .map_err(|_| WriteError::Stopped)?;
        done.await.map_err(|_| WriteError::Stopped)?.map_err(WriteError::Store)
    }

    /// Queues one relay's answer (call as each arrives).
    pub async fn submission(&self, record: SubmissionRecord) {
        self.queue(Job::Submission(record)).await;
    }

    /// Queues a bundle's verdict.
    pub async fn inclusion(&self, bundle_hash: B256, record: InclusionRecord) {
        self.queue(Job::Inclusion(bundle_hash, record)).await;
    }

    /// Waits until everything queued before this call is committed (or held after a failure).
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Job::Flush(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }

    /// Commits everything queued, retries held records a few times, and stops the task
    /// (await its handle). Records sent after this are refused with a warning.
    pub async fn close(&self) {
        let _ = self.tx.send(Job::Close).await;
    }

    async fn queue(&self, job: Job) {
        if let Err(mpsc::error::SendError(job)) = self.tx.send(job).await {
            // Only after the writer stopped (shutdown): say what was not written.
            warn!(target: "searcher::store", kind = job.kind(), "record arrived after the store writer stopped");
        }
    }
}

/// The writer's health: a flag for the hot path, a channel for alerts.
struct Health {
    flag: Arc<AtomicBool>,
    tx: watch::Sender<bool>,
}

impl Health {
    /// Records the outcome of a write; returns whether it changed.
    fn set(&self, healthy: bool) -> bool {
        let changed = self.flag.swap(healthy, Ordering::Relaxed) != healthy;
        if changed {
            self.tx.send_replace(healthy);
            metrics::gauge!(HEALTHY).set(if healthy { 1.0 } else { 0.0 });
        }
        changed
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Job>, healthy: Health) {
    let mut held: VecDeque<Job> = VecDeque::new();
    loop {
        // Wait for work; while records are held after a failure, also wake to retry.
        let first = if held.is_empty() {
            match rx.recv().await {
                Some(job) => Some(job),
                None => break,
            }
        } else {
            tokio::select! {
                job = rx.recv() => match job { Some(job) => Some(job), None => break },
                _ = tokio::time::sleep(RETRY_INTERVAL) => None,
            }
        };
        let mut batch: Vec<Job> = held.drain(..).collect();
        batch.extend(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let closing = batch.iter().any(|job| matches!(job, Job::Close));
        batch.retain(|job| !matches!(job, Job::Close));
        commit(&store, batch, &mut held, &healthy).await;
        if closing {
            rx.close();
            while let Ok(job) = rx.try_recv() {
                held.push_back(job);
            }
            break;
        }
    }
    // Closed: commit what is left, retrying a few times before giving up loudly.
    for _ in 0..10 {
        if held.is_empty() {
            break;
        }
        let batch: Vec<Job> = held.drain(..).collect();
        commit(&store, batch, &mut held, &healthy).await;
        if !held.is_empty() {
            tokio::time::sleep(RETRY_INTERVAL).await;
        }
    }
    if !held.is_empty() {
        warn!(target: "searcher::store", held = held.len(), "store writer stopped with records it could not write");
    }
}

/// Commits `batch` in one transaction. On failure the bundles in it are refused (their
/// senders will not send them) and every other record is held for retry.
async fn commit(store: &Store, batch: Vec<Job>, held: &mut VecDeque<Job>, healthy: &Health) {
    let started = std::time::Instant::now();
    let (flushes, batch): (Vec<Job>, Vec<Job>) =
        batch.into_iter().partition(|job| matches!(job, Job::Flush(_)));
    let result = write_all(store, &batch).await;
    match result {
        Ok(()) => {
            if healthy.set(true) {
                info!(target: "searcher::store", records = batch.len(), "store writes succeed again");
            }
            metrics::histogram!(BATCH_SECONDS).record(started.elapsed().as_secs_f64());
            for job in batch {
                metrics::counter!(RECORDS_TOTAL, "kind" => job.kind()).increment(1);
                if let Job::Bundle { ack, .. } = job {
                    let _ = ack.send(Ok(()));
                }
            }
        }
        Err(err) => {
            metrics::counter!(WRITE_FAILURES_TOTAL).increment(1);
            if healthy.set(false) {
                warn!(target: "searcher::store", %err, records = batch.len(), "store write failed; holding records and retrying");
            }
            for job in batch {
                match job {
                    // Refused: the sender does not send it. Its opportunity is still worth a
                    // row, saying why it went nowhere.
                    Job::Bundle { records, ack } => {
                        let _ = ack.send(Err(StoreError::Unavailable { detail: err.to_string() }));
                        let (mut opportunity, _) = *records;
                        opportunity.status = "store_unavailable".into();
                        opportunity.backrun_hash = None;
                        held.push_back(Job::Opportunity(opportunity));
                    }
                    other => held.push_back(other),
                }
            }
        }
    }
    metrics::gauge!(RECORDS_HELD).set(held.len() as f64);
    for job in flushes {
        if let Job::Flush(tx) = job {
            let _ = tx.send(());
        }
    }
}

async fn write_all(store: &Store, batch: &[Job]) -> Result<(), StoreError> {
    let batch: Vec<&Job> = batch.iter().filter(|j| !matches!(j, Job::Close)).collect();
    if batch.is_empty() {
        return Ok(());
    }
    let mut tx = store.begin_write("begin batch").await?;
    for job in batch {
        match job {
            Job::Opportunity(o) => {
                insert_opportunity(&mut tx, o).await?;
            }
            Job::Bundle { records, .. } => {
                let (opportunity, bundle) = &**records;
                let id = insert_opportunity(&mut tx, opportunity).await?;
                let bundle = BundleRecord { opportunity_id: Some(id), ..bundle.clone() };
                insert_bundle(&mut tx, &bundle).await?;
            }
            Job::Submission(r) => insert_submission(&mut tx, r).await?,
            Job::Inclusion(hash, r) => update_inclusion(&mut tx, *hash, r).await?,
            Job::Flush(_) | Job::Close => {}
        }
    }
    tx.commit().await.map_err(StoreError::query("commit batch"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::bundles::Route;
    use alloy::primitives::U256;
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};

    fn opportunity(n: u64) -> OpportunityRecord {
        OpportunityRecord {
            created_at_ms: n,
            head_block: n,
            target_block: n + 1,
            victim_hash: B256::from(U256::from(n)),
            cycle: Route::default(),
            amount_in: U256::from(n),
            native_profit: U256::from(n),
            simulated_profit: None,
            gas_used: None,
            bid: None,
            bid_mode: None,
            net_profit: None,
            backrun_hash: None,
            status: "x".repeat(2_000), // fills pages quickly
        }
    }

    fn bundle(n: u64) -> BundleRecord {
        BundleRecord {
            bundle_hash: B256::from(U256::from(n)),
            opportunity_id: None,
            target_block: n,
            replacement_uuid: None,
            victim_hash: B256::from(U256::from(n)),
            backrun_hash: B256::from(U256::from(n + 1)),
            created_at_ms: n,
            simulated_profit: U256::from(n),
            bid: U256::ZERO,
        }
    }

    async fn count(store: &Store, table: &'static str) -> i64 {
        let sql = match table {
            "opportunities" => "SELECT count(*) FROM opportunities",
            "bundles" => "SELECT count(*) FROM bundles",
            other => panic!("no count for {other}"),
        };
        sqlx::query_scalar(sql).fetch_one(store.pool()).await.expect("count")
    }

    /// A full disk (SQLite's `max_page_count`, the stand-in for a full filesystem): bundles are
    /// refused (so never sent), every other record is held, and once space returns everything
    /// held is committed: no record is lost.
    #[tokio::test]
    async fn a_full_store_refuses_bundles_and_loses_no_record() {
        let dir = tempfile::tempdir().expect("tmp");
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("full.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        // The page limit is per connection: every connection the pool opens (it closes one a
        // failed write left in a transaction) gets the current limit.
        let limit = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(60));
        let pages = limit.clone();
        let pool = super::super::file_pool_options(1)
            .after_connect(move |conn, _| {
                let pages = pages.load(std::sync::atomic::Ordering::SeqCst);
                Box::pin(async move {
                    sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA max_page_count = {pages}")))
                        .execute(conn)
                        .await
                        .map(|_| ())
                })
            })
            .connect_with(options)
            .await
            .expect("pool");
        let store = Store::migrated(pool).await.expect("migrated");
        let (writer, task) = Writer::spawn(store.clone());
        let mut health = writer.health();

        // Fill the store until a write fails.
        let mut sent = 0u64;
        while writer.is_healthy() {
            assert!(sent < 10_000, "the page limit never bit");
            writer.opportunity(opportunity(sent)).await;
            writer.flush().await;
            sent += 1;
        }
        assert!(!*health.borrow_and_update(), "the health channel says so too");
        // While full: a bundle is refused, so its sender does not send it.
        assert!(writer.bundle(opportunity(90_000), bundle(90_000)).await.is_err());
        // More records keep coming and are held.
        for n in 0..5 {
            writer.opportunity(opportunity(100_000 + n)).await;
        }

        // Space returns.
        limit.store(1_000_000, std::sync::atomic::Ordering::SeqCst);
        sqlx::query("PRAGMA max_page_count = 1000000").execute(store.pool()).await.expect("pragma");
        tokio::time::timeout(Duration::from_secs(10), async {
            while !writer.is_healthy() {
                writer.flush().await;
                tokio::time::sleep(RETRY_INTERVAL).await;
            }
        })
        .await
        .expect("healthy again once space returns");
        writer.flush().await;
        // Every opportunity: those that filled the store, the refused bundle's (kept, with why),
        // and the five sent while full.
        assert_eq!(count(&store, "opportunities").await, sent as i64 + 1 + 5);
        assert_eq!(count(&store, "bundles").await, 0, "the refused bundle has no row: never sent");
        let refused: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM opportunities WHERE status = 'store_unavailable'",
        )
        .fetch_one(store.pool())
        .await
        .expect("status");
        assert_eq!(refused, 1);
        // And a bundle now commits before it is sent.
        writer.bundle(opportunity(200_000), bundle(200_000)).await.expect("recorded");
        assert_eq!(count(&store, "bundles").await, 1);
        writer.close().await;
        tokio::time::timeout(Duration::from_secs(5), task).await.expect("stops").expect("task");
    }
}

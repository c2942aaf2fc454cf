//! The watch loop: subscriptions to full pending transactions, new heads and the logs of
//! tracked pools, fanned out on three bounded channels.
//!
//! - No source blocks another: events are offered with `try_send`; a full channel drops the
//!   event and counts it (`searcher_watch_drops_total{source}`). A dropped log marks the next
//!   head `logs_complete = false`, so the consumer re-reads that block's logs.
//! - Short cuts are healed inside alloy's pubsub service, which redials and resubscribes by
//!   itself; consumers see at most a gap in head numbers, which they backfill. When that is not
//!   enough (a stream ends, or no head arrives within `head_timeout` and a liveness probe
//!   fails), the loop redials with exponential backoff, resubscribes, then emits
//!   [`HeadEvent::Reconnected`] followed by the current head, so consumers resync by number.
//! - It stops when asked through the shutdown channel or when every consumer has gone.

use super::node::NodeClient;
use crate::metrics::{WATCH_DROPS_TOTAL, WATCH_EVENTS_TOTAL, WATCH_RECONNECTS_TOTAL};
use alloy::{
    primitives::Address,
    providers::{DynProvider, Provider},
    rpc::types::{Filter, Header, Log, Transaction},
};
use futures::{Stream, StreamExt, stream};
use std::{
    pin::Pin,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};

/// Channel sizes and timings.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    /// Pending-transaction channel capacity.
    pub pending_capacity: usize,
    /// Head channel capacity.
    pub heads_capacity: usize,
    /// Log channel capacity.
    pub logs_capacity: usize,
    /// First reconnect delay.
    pub backoff_initial: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
    /// Without a head for this long, the node is probed and, if silent, reconnected.
    pub head_timeout: Duration,
    /// How long the liveness probe may take.
    pub probe_timeout: Duration,
}

impl Default for WatchConfig {
    fn default() -> Self {
        Self {
            pending_capacity: 4096,
            heads_capacity: 256,
            logs_capacity: 8192,
            backoff_initial: Duration::from_millis(100),
            backoff_max: Duration::from_secs(5),
            head_timeout: Duration::from_secs(36),
            probe_timeout: Duration::from_secs(3),
        }
    }
}

/// A pending transaction with the instant it was received (latency starts here).
#[derive(Debug, Clone)]
pub struct PendingTx {
    /// The full transaction.
    pub tx: Transaction,
    /// When the watch loop received it.
    pub received_at: Instant,
}

/// Head-channel events.
#[derive(Debug, Clone)]
pub enum HeadEvent {
    /// A new head.
    New {
        /// The header.
        header: Box<Header>,
        /// When it was received.
        received_at: Instant,
        /// False if a tracked-pool log was dropped since the previous head: re-read the logs.
        logs_complete: bool,
    },
    /// The connection was re-established after `downtime`; anything since the last head may
    /// have been missed. A `New` head follows.
    Reconnected {
        /// How long the node was unreachable.
        downtime: Duration,
    },
}

/// A log of a tracked pool.
#[derive(Debug, Clone)]
pub struct LogBatch {
    /// The log.
    pub log: Log,
    /// When it was received.
    pub received_at: Instant,
}

/// The consumer ends of the watch loop.
#[derive(Debug)]
pub struct WatchChannels {
    /// Full pending transactions.
    pub pending: mpsc::Receiver<PendingTx>,
    /// New heads and reconnect notices.
    pub heads: mpsc::Receiver<HeadEvent>,
    /// Logs of tracked pools.
    pub logs: mpsc::Receiver<LogBatch>,
}

struct Senders {
    pending: mpsc::Sender<PendingTx>,
    heads: mpsc::Sender<HeadEvent>,
    logs: mpsc::Sender<LogBatch>,
    logs_dropped: bool,
}

impl Senders {
    fn all_closed(&self) -> bool {
        self.pending.is_closed() && self.heads.is_closed() && self.logs.is_closed()
    }
}

fn offer<T>(tx: &mpsc::Sender<T>, value: T, source: &'static str) -> bool {
    metrics::counter!(WATCH_EVENTS_TOTAL, "source" => source).increment(1);
    match tx.try_send(value) {
        Ok(()) => true,
        Err(mpsc::error::TrySendError::Full(_)) => {
            metrics::counter!(WATCH_DROPS_TOTAL, "source" => source).increment(1);
            false
        }
        // A consumer that went away is not a drop; the loop notices when all have gone.
        Err(mpsc::error::TrySendError::Closed(_)) => true,
    }
}

enum SessionEnd {
    Shutdown,
    ConsumersGone,
    Lost(String),
}

type BoxStream<T> = Pin<Box<dyn Stream<Item = T> + Send>>;

/// The watch loop.
#[derive(Debug)]
pub struct Watcher;

impl Watcher {
    /// Spawns the loop. `tracked` holds the pool addresses whose logs to carry (changes
    /// resubscribe); `shutdown` set to `true` stops it.
    pub fn spawn(
        client: NodeClient,
        config: WatchConfig,
        tracked: watch::Receiver<Arc<Vec<Address>>>,
        shutdown: watch::Receiver<bool>,
    ) -> (WatchChannels, tokio::task::JoinHandle<()>) {
        let (pending_tx, pending) = mpsc::channel(config.pending_capacity);
        let (heads_tx, heads) = mpsc::channel(config.heads_capacity);
        let (logs_tx, logs) = mpsc::channel(config.logs_capacity);
        let senders =
            Senders { pending: pending_tx, heads: heads_tx, logs: logs_tx, logs_dropped: false };
        let handle = tokio::spawn(run(client, config, tracked, shutdown, senders));
        (WatchChannels { pending, heads, logs }, handle)
    }
}

async fn run(
    client: NodeClient,
    config: WatchConfig,
    mut tracked: watch::Receiver<Arc<Vec<Address>>>,
    mut shutdown: watch::Receiver<bool>,
    mut senders: Senders,
) {
    let mut backoff = config.backoff_initial;
    let mut lost_at: Option<Instant> = None;
    let mut provider = client.provider();
    loop {
        let started = Instant::now();
        let end =
            session(&provider, &config, &mut tracked, &mut shutdown, &mut senders, lost_at).await;
        match end {
            SessionEnd::Shutdown => {
                info!(target: "searcher::watch", "watch stopped");
                return;
            }
            SessionEnd::ConsumersGone => {
                debug!(target: "searcher::watch", "all consumers gone; watch stopped");
                return;
            }
            SessionEnd::Lost(reason) => {
                warn!(target: "searcher::watch", endpoint = %client.endpoint(), %reason, "node connection lost");
                lost_at.get_or_insert_with(Instant::now);
                if started.elapsed() > Duration::from_secs(30) {
                    backoff = config.backoff_initial;
                }
            }
        }
        // Reconnect with backoff until it works or we are told to stop.
        loop {
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = shutdown.changed() => return,
            }
            backoff = (backoff * 2).min(config.backoff_max);
            metrics::counter!(WATCH_RECONNECTS_TOTAL).increment(1);
            match client.reconnect().await {
                Ok(p) => {
                    provider = p;
                    break;
                }
                Err(err) => {
                    warn!(target: "searcher::watch", %err, backoff_ms = backoff.as_millis() as u64, "reconnect failed");
                }
            }
        }
    }
}

/// Whether the node answers `eth_blockNumber` within the probe timeout. (alloy's pubsub
/// service reconnects by itself after short cuts; a request stuck behind its retries counts as
/// no answer.)
async fn probe(provider: &DynProvider, config: &WatchConfig) -> bool {
    matches!(
        tokio::time::timeout(config.probe_timeout, provider.get_block_number()).await,
        Ok(Ok(_))
    )
}

async fn subscribe_logs(
    provider: &DynProvider,
    addresses: &[Address],
) -> Result<BoxStream<Log>, String> {
    if addresses.is_empty() {
        return Ok(Box::pin(stream::pending()));
    }
    let filter = Filter::new().address(addresses.to_vec());
    let sub = provider.subscribe_logs(&filter).await.map_err(|e| e.to_string())?;
    Ok(Box::pin(sub.into_stream()))
}

async fn session(
    provider: &DynProvider,
    config: &WatchConfig,
    tracked: &mut watch::Receiver<Arc<Vec<Address>>>,
    shutdown: &mut watch::Receiver<bool>,
    senders: &mut Senders,
    lost_at: Option<Instant>,
) -> SessionEnd {
    let heads = match provider.subscribe_blocks().await {
        Ok(s) => s.into_stream(),
        Err(e) => return SessionEnd::Lost(format!("subscribe newHeads: {e}")),
    };
    let pending = match provider.subscribe_full_pending_transactions().await {
        Ok(s) => s.into_stream(),
        Err(e) => return SessionEnd::Lost(format!("subscribe newPendingTransactions: {e}")),
    };
    let addresses = tracked.borrow_and_update().clone();
    let mut logs = match subscribe_logs(provider, &addresses).await {
        Ok(s) => s,
        Err(e) => return SessionEnd::Lost(format!("subscribe logs: {e}")),
    };
    let mut heads = Box::pin(heads);
    let mut pending = Box::pin(pending);

    if let Some(lost_at) = lost_at {
        let downtime = lost_at.elapsed();
        info!(target: "searcher::watch", downtime_ms = downtime.as_millis() as u64, "reconnected; resyncing");
        offer(&senders.heads, HeadEvent::Reconnected { downtime }, "heads");
        // Hand consumers the current head right away so they can backfill by number.
        match provider.get_block_by_number(alloy::eips::BlockNumberOrTag::Latest).await {
            Ok(Some(block)) => {
                let event = HeadEvent::New {
                    header: Box::new(block.header),
                    received_at: Instant::now(),
                    logs_complete: false,
                };
                offer(&senders.heads, event, "heads");
            }
            Ok(None) => {}
            Err(e) => return SessionEnd::Lost(format!("fetching head after reconnect: {e}")),
        }
    }

    let mut tracked_open = true;
    let mut last_head = Instant::now();
    let mut watchdog = tokio::time::interval(config.head_timeout.max(Duration::from_millis(10)));
    watchdog.tick().await;
    loop {
        if senders.all_closed() {
            return SessionEnd::ConsumersGone;
        }
        tokio::select! {
            biased;
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    return SessionEnd::Shutdown;
                }
            }
            head = heads.next() => {
                let Some(header) = head else { return SessionEnd::Lost("newHeads stream ended".into()) };
                last_head = Instant::now();
                metrics::gauge!(crate::metrics::HEAD_BLOCK).set(header.number as f64);
                let logs_complete = !std::mem::take(&mut senders.logs_dropped);
                offer(&senders.heads, HeadEvent::New { header: Box::new(header), received_at: last_head, logs_complete }, "heads");
            }
            log = logs.next() => {
                let Some(log) = log else { return SessionEnd::Lost("logs stream ended".into()) };
                if !offer(&senders.logs, LogBatch { log, received_at: Instant::now() }, "logs") {
                    senders.logs_dropped = true;
                }
            }
            tx = pending.next() => {
                let Some(tx) = tx else { return SessionEnd::Lost("pending stream ended".into()) };
                offer(&senders.pending, PendingTx { tx, received_at: Instant::now() }, "pending");
            }
            changed = tracked.changed(), if tracked_open => {
                if changed.is_err() {
                    tracked_open = false; // the owner keeps the last set
                } else {
                    let addresses = tracked.borrow_and_update().clone();
                    match subscribe_logs(provider, &addresses).await {
                        Ok(s) => logs = s,
                        Err(e) => return SessionEnd::Lost(format!("resubscribe logs: {e}")),
                    }
                }
            }
            _ = watchdog.tick() => {
                if last_head.elapsed() >= config.head_timeout && !probe(provider, config).await {
                    return SessionEnd::Lost("node silent: no head and probe failed".into());
                }
            }
        }
    }
}

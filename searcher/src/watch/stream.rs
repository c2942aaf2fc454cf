//! The watch loop: subscriptions to full pending transactions and new heads, fanned out on two
//! bounded channels, with the node's connection state on a third.
//!
//! - **Nothing is lost silently.** alloy buffers each subscription in a broadcast channel; the
//!   loop makes it large ([`WatchConfig::subscription_buffer`]) and reads it with `recv_result`,
//!   so a lag (the buffer overran) and a notification that does not decode are counted, not
//!   skipped with a debug line. A full consumer channel drops the event and counts it. Every
//!   transaction the node announces therefore either reaches the engine or is counted in
//!   `searcher_watch_drops_total{source, reason}` ([`DropReason`]).
//! - **The loop owns reconnection.** The node connection never redials by itself (see
//!   [`super::node`]): when it drops, every subscription ends, the loop publishes
//!   [`NodeStatus::Down`] at once (alerts fire during the outage), redials with its own
//!   backoff (milliseconds first, capped at [`WatchConfig::backoff_max`]), resubscribes, then
//!   emits [`HeadEvent::Reconnected`] followed by the current head, so consumers resync by
//!   number (the market joins the new head to its chain, rolling back a reorg across the
//!   outage). A node that stays silent past `head_timeout` and fails a probe is redialled too.
//! - No source blocks another: events are offered with `try_send`.
//! - It stops when asked through the shutdown channel or when every consumer has gone.
//!
//! Data flows one way: nothing is pushed back into this stage. (The market reads each block's
//! logs itself with `eth_getLogs`, which also covers reconnect gaps.)

use super::{
    metrics::WatchMetrics,
    node::{ConnectError, NodeClient},
};
use alloy::{
    providers::{DynProvider, Provider},
    pubsub::Subscription,
    rpc::types::{Header, Transaction},
};
use serde::de::DeserializeOwned;
use std::time::{Duration, Instant};
use tokio::sync::{broadcast::error::RecvError, mpsc, watch};
use tracing::{debug, info, warn};

/// Channel sizes and timings.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    /// Pending-transaction channel capacity (watch → engine).
    pub pending_capacity: usize,
    /// Head channel capacity.
    pub heads_capacity: usize,
    /// Notifications alloy buffers per subscription before the oldest are overwritten (a
    /// counted `subscription_lag` drop). alloy's default is 16, which a burst overruns.
    pub subscription_buffer: usize,
    /// First reconnect delay.
    pub backoff_initial: Duration,
    /// Longest reconnect delay: the node is redialled at least this often while it is down.
    pub backoff_max: Duration,
    /// Without a head for this long, the node is probed and, if silent, redialled.
    pub head_timeout: Duration,
    /// How long the liveness probe may take.
    pub probe_timeout: Duration,
}

/// Default capacity of the pending-transaction channel.
pub const DEFAULT_PENDING_CAPACITY: usize = 16_384;
/// Default alloy subscription buffer.
pub const DEFAULT_SUBSCRIPTION_BUFFER: usize = 65_536;

impl Default for WatchConfig {
    fn default() -> Self {
        Self {
            pending_capacity: DEFAULT_PENDING_CAPACITY,
            heads_capacity: 256,
            subscription_buffer: DEFAULT_SUBSCRIPTION_BUFFER,
            backoff_initial: Duration::from_millis(25),
            backoff_max: Duration::from_millis(400),
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
    },
    /// The connection was re-established after `downtime`; anything since the last head may
    /// have been missed. A `New` head follows.
    Reconnected {
        /// How long the node was unreachable.
        downtime: Duration,
    },
}

/// The node connection as the watch loop sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeStatus {
    /// Subscribed and receiving.
    Connected,
    /// Lost at `since`; the loop is redialling.
    Down {
        /// When the connection was lost.
        since: Instant,
        /// Why.
        reason: String,
    },
}

/// Why the watch stage dropped an event (the `reason` label of
/// `searcher_watch_drops_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// The consumer's channel was full.
    ConsumerFull,
    /// alloy's subscription buffer overran before the loop read it (the count is exact).
    SubscriptionLag,
    /// The node sent a notification that does not decode as the subscription's type.
    Undecodable,
    /// A hint that is not JSON of the MEV-Share event's shape.
    Malformed,
    /// A hint without a `hash`.
    NoHash,
    /// A hint (or a line of the stream) past the size limit.
    Oversized,
    /// The hint stream broke in the middle of an event.
    Truncated,
}

impl DropReason {
    /// Every reason, for docs and metric pre-registration.
    pub const ALL: [Self; 7] = [
        Self::ConsumerFull,
        Self::SubscriptionLag,
        Self::Undecodable,
        Self::Malformed,
        Self::NoHash,
        Self::Oversized,
        Self::Truncated,
    ];

    /// The metric label.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ConsumerFull => "consumer_full",
            Self::SubscriptionLag => "subscription_lag",
            Self::Undecodable => "undecodable",
            Self::Malformed => "malformed",
            Self::NoHash => "no_hash",
            Self::Oversized => "oversized",
            Self::Truncated => "truncated",
        }
    }

    /// What it means and what to do.
    pub const fn help(self) -> &'static str {
        match self {
            Self::ConsumerFull => {
                "The engine did not take events as fast as they came and the bounded channel \
                 filled. Sustained: raise watch capacity or reduce load on the hot path."
            }
            Self::SubscriptionLag => {
                "alloy's per-subscription buffer overran before the watch loop read it. \
                 Sustained: the watch task is starved of CPU."
            }
            Self::Undecodable => {
                "The node sent a notification that is not a valid transaction or header (a \
                 new transaction type, or a broken node). Check the node version."
            }
            Self::Malformed => {
                "A MEV-Share hint that is not JSON of the event's shape (a field of the wrong \
                 type). Now and then: harmless; many: check the hint stream URL and its \
                 format."
            }
            Self::NoHash => {
                "A MEV-Share hint without a hash: no bundle could reference it. Should not \
                 happen on mainnet; many: check the hint stream URL."
            }
            Self::Oversized => {
                "A MEV-Share hint (or a line of the stream) past the size limit (1 MiB), \
                 discarded without being held. Check the hint stream URL."
            }
            Self::Truncated => {
                "The hint stream broke in the middle of an event; the partial event was \
                 discarded and the stream reconnected. Now and then: normal; see \
                 searcher_watch_hint_disconnects_total."
            }
        }
    }
}

/// The consumer ends of the watch loop.
#[derive(Debug)]
pub struct WatchChannels {
    /// Full pending transactions.
    pub pending: mpsc::Receiver<PendingTx>,
    /// New heads and reconnect notices.
    pub heads: mpsc::Receiver<HeadEvent>,
    /// The node connection's state (changes as they happen).
    pub status: watch::Receiver<NodeStatus>,
}

struct Senders {
    pending: mpsc::Sender<PendingTx>,
    heads: mpsc::Sender<HeadEvent>,
    status: watch::Sender<NodeStatus>,
    metrics: WatchMetrics,
}

impl Senders {
    fn all_closed(&self) -> bool {
        self.pending.is_closed() && self.heads.is_closed()
    }

    fn offer<T>(&self, tx: &mpsc::Sender<T>, value: T, source: Source) {
        self.metrics.received(source);
        match tx.try_send(value) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.metrics.dropped(source, DropReason::ConsumerFull, 1);
            }
            // A consumer that went away is not a drop; the loop notices when all have gone.
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }
}

/// The subscriptions the loop reads (the `source` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// Full pending transactions.
    Pending,
    /// New heads.
    Heads,
    /// MEV-Share hints (the SSE stream, [`super::hints`]).
    MevShare,
}

impl Source {
    /// The metric label.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Heads => "heads",
            Self::MevShare => "mevshare",
        }
    }
}

enum SessionEnd {
    Shutdown,
    ConsumersGone,
    Lost(String),
}

/// What one read of a subscription produced.
enum Read<T> {
    Item(T),
    /// Counted already; read again.
    Skip,
    Closed,
}

async fn read<T: DeserializeOwned>(
    sub: &mut Subscription<T>,
    source: Source,
    metrics: &WatchMetrics,
) -> Read<T> {
    match sub.recv_result().await {
        Ok(Ok(item)) => Read::Item(item),
        Ok(Err(err)) => {
            metrics.dropped(source, DropReason::Undecodable, 1);
            debug!(target: "searcher::watch", source = source.as_str(), %err, "undecodable notification");
            Read::Skip
        }
        Err(RecvError::Lagged(n)) => {
            metrics.dropped(source, DropReason::SubscriptionLag, n);
            warn!(target: "searcher::watch", source = source.as_str(), lost = n, "subscription buffer overran");
            Read::Skip
        }
        Err(RecvError::Closed) => Read::Closed,
    }
}

/// The watch loop.
#[derive(Debug)]
pub struct Watcher;

impl Watcher {
    /// Spawns the loop; `shutdown` set to `true` stops it.
    pub fn spawn(
        client: NodeClient,
        config: WatchConfig,
        shutdown: watch::Receiver<bool>,
    ) -> (WatchChannels, tokio::task::JoinHandle<()>) {
        let (pending_tx, pending) = mpsc::channel(config.pending_capacity);
        let (heads_tx, heads) = mpsc::channel(config.heads_capacity);
        let (status_tx, status) = watch::channel(NodeStatus::Connected);
        let senders = Senders {
            pending: pending_tx,
            heads: heads_tx,
            status: status_tx,
            metrics: WatchMetrics,
        };
        let handle = tokio::spawn(run(client, config, shutdown, senders));
        (WatchChannels { pending, heads, status }, handle)
    }
}

async fn run(
    client: NodeClient,
    config: WatchConfig,
    mut shutdown: watch::Receiver<bool>,
    senders: Senders,
) {
    let mut lost_at: Option<Instant> = None;
    let mut provider = client.provider();
    loop {
        let end = session(&provider, &config, &mut shutdown, &senders, &mut lost_at).await;
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
                let since = *lost_at.get_or_insert_with(Instant::now);
                senders.status.send_replace(NodeStatus::Down { since, reason });
            }
        }
        match redial(&client, &config, &mut shutdown, &senders.metrics).await {
            Some(p) => provider = p,
            None => return,
        }
    }
}

/// Redials with backoff until it works (`Some`) or shutdown is asked (`None`).
async fn redial(
    client: &NodeClient,
    config: &WatchConfig,
    shutdown: &mut watch::Receiver<bool>,
    metrics: &WatchMetrics,
) -> Option<DynProvider> {
    let mut backoff = config.backoff_initial;
    loop {
        metrics.reconnect_attempt();
        match client.reconnect(config.subscription_buffer).await {
            Ok(p) => return Some(p),
            Err(ConnectError { source, .. }) => {
                debug!(target: "searcher::watch", err = %source, backoff_ms = backoff.as_millis() as u64, "redial failed");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = shutdown.changed() => return None,
        }
        backoff = (backoff * 2).min(config.backoff_max);
    }
}

/// Whether the node answers `eth_blockNumber` within the probe timeout.
async fn probe(provider: &DynProvider, config: &WatchConfig) -> bool {
    matches!(
        tokio::time::timeout(config.probe_timeout, provider.get_block_number()).await,
        Ok(Ok(_))
    )
}

async fn session(
    provider: &DynProvider,
    config: &WatchConfig,
    shutdown: &mut watch::Receiver<bool>,
    senders: &Senders,
    lost_at: &mut Option<Instant>,
) -> SessionEnd {
    let mut heads = match provider.subscribe_blocks().await {
        Ok(s) => s,
        Err(e) => return SessionEnd::Lost(format!("subscribe newHeads: {e}")),
    };
    let mut pending = match provider.subscribe_full_pending_transactions().await {
        Ok(s) => s,
        Err(e) => return SessionEnd::Lost(format!("subscribe newPendingTransactions: {e}")),
    };

    if let Some(since) = *lost_at {
        // Hand consumers the current head right away so they resync by number.
        let head = match provider.get_block_by_number(alloy::eips::BlockNumberOrTag::Latest).await {
            Ok(head) => head,
            Err(e) => return SessionEnd::Lost(format!("fetching head after reconnect: {e}")),
        };
        let downtime = since.elapsed();
        *lost_at = None;
        senders.metrics.reconnected(downtime);
        senders.status.send_replace(NodeStatus::Connected);
        info!(target: "searcher::watch", downtime_ms = downtime.as_millis() as u64, "reconnected and resubscribed; resyncing");
        senders.offer(&senders.heads, HeadEvent::Reconnected { downtime }, Source::Heads);
        if let Some(block) = head {
            let event =
                HeadEvent::New { header: Box::new(block.header), received_at: Instant::now() };
            senders.offer(&senders.heads, event, Source::Heads);
        }
    }

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
            head = read(&mut heads, Source::Heads, &senders.metrics) => match head {
                Read::Item(header) => {
                    last_head = Instant::now();
                    senders.metrics.head(header.number);
                    senders.offer(&senders.heads, HeadEvent::New { header: Box::new(header), received_at: last_head }, Source::Heads);
                }
                Read::Skip => {}
                Read::Closed => return SessionEnd::Lost("newHeads subscription closed".into()),
            },
            tx = read(&mut pending, Source::Pending, &senders.metrics) => match tx {
                Read::Item(tx) => senders.offer(&senders.pending, PendingTx { tx, received_at: Instant::now() }, Source::Pending),
                Read::Skip => {}
                Read::Closed => return SessionEnd::Lost("newPendingTransactions subscription closed".into()),
            },
            _ = watchdog.tick() => {
                if last_head.elapsed() >= config.head_timeout && !probe(provider, config).await {
                    return SessionEnd::Lost("node silent: no head and probe failed".into());
                }
            }
        }
    }
}

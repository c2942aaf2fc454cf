//! The feed client: one WebSocket connection per configured feed URL, all at once, merged into
//! one ordered stream of sequenced transactions on a bounded channel.
//!
//! - **First copy wins.** Each connection task reads and parses its frames on its own; one
//!   merge task admits each sequence number once ([`SequenceTracker`]): later copies are
//!   counted `duplicate` skips and never decoded.
//! - **Gaps are counted.** A sequence number past the next expected one counts the numbers in
//!   between as a gap (`searcher_feed_gaps_total`); if one of them arrives after all (the other
//!   feed, or a backlog resent after a reconnect) it is delivered and counted as late.
//! - **Reconnects are the client's job** (Offchain Labs: reconnects are normal). A connection
//!   that fails, closes or stays silent past `idle_timeout` is redialled with its own backoff
//!   (milliseconds first, capped at `backoff_max`), asking for the next sequence number it needs
//!   (`Arbitrum-Requested-Sequence-Number`); the other connections go on meanwhile.
//! - **Nothing is lost silently.** Every frame, message and transaction is either delivered or
//!   counted under a [`FeedSkip`] reason; a full consumer channel drops and counts
//!   (`consumer_full`): the feed never waits for the engine.
//! - It stops when asked through the shutdown channel or when the consumer has gone.

use super::{
    decode::{FeedSkip, decode_message},
    message::{
        BroadcastFeedMessage, BroadcastMessage, CLIENT_VERSION, CLIENT_VERSION_HEADER,
        REQUESTED_SEQUENCE_NUMBER_HEADER,
    },
    metrics,
};
use alloy::consensus::{TxEnvelope, transaction::Recovered};
use futures::StreamExt;
use std::{
    collections::BTreeSet,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::{
    Message, client::IntoClientRequest, http::HeaderValue, protocol::WebSocketConfig,
};
use tracing::{debug, info, warn};

/// Feed URLs, channel size and timings.
#[derive(Debug, Clone)]
pub struct FeedConfig {
    /// The feed URLs (`ws://` or `wss://`), all read at once.
    pub urls: Vec<String>,
    /// Capacity of the sequenced-transaction channel (feed → engine).
    pub capacity: usize,
    /// First reconnect delay.
    pub backoff_initial: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
    /// A connection silent (not even a ping) for this long is redialled.
    pub idle_timeout: Duration,
    /// The largest frame accepted.
    pub max_frame_bytes: usize,
}

/// Default capacity of the sequenced-transaction channel.
pub const DEFAULT_CAPACITY: usize = 16_384;
/// Default largest frame: 16 MiB.
pub const DEFAULT_MAX_FRAME_BYTES: usize = 16 << 20;

impl Default for FeedConfig {
    fn default() -> Self {
        Self {
            urls: Vec::new(),
            capacity: DEFAULT_CAPACITY,
            backoff_initial: Duration::from_millis(25),
            backoff_max: Duration::from_millis(400),
            idle_timeout: Duration::from_secs(10),
            max_frame_bytes: DEFAULT_MAX_FRAME_BYTES,
        }
    }
}

/// A transaction the sequencer has ordered, with where it sits and when it arrived.
#[derive(Debug, Clone)]
pub struct SequencedTx {
    /// The signed transaction and its recovered signer.
    pub tx: Recovered<TxEnvelope>,
    /// The sequence number of its message (one message is one L2 block).
    pub sequence_number: u64,
    /// Its position among the message's transactions.
    pub index: u32,
    /// The message's timestamp (seconds).
    pub timestamp: u64,
    /// Which feed URL delivered the first copy (index in [`FeedConfig::urls`]).
    pub feed: usize,
    /// When the frame carrying it was received (latency starts here).
    pub received_at: Instant,
    /// True when its message arrived after a later one (it filled a gap).
    pub late: bool,
}

/// What [`SequenceTracker::admit`] decided about a sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// The first copy, in order; `gap` numbers before it were skipped over.
    New {
        /// How many sequence numbers were skipped over.
        gap: u64,
    },
    /// The first copy of a number that had been skipped over.
    Late,
    /// Already admitted (or too old to know).
    Duplicate,
}

/// First-copy-wins bookkeeping of sequence numbers: the next expected one and the recent gaps.
#[derive(Debug, Clone, Default)]
pub struct SequenceTracker {
    next: Option<u64>,
    missing: BTreeSet<u64>,
}

/// How many skipped-over sequence numbers are remembered (a late copy older than that is
/// taken for a duplicate).
pub const MAX_REMEMBERED_GAP: usize = 4_096;

impl SequenceTracker {
    /// The next sequence number expected (what a reconnecting feed is asked for).
    pub const fn next(&self) -> Option<u64> {
        self.next
    }

    /// Admits a sequence number.
    pub fn admit(&mut self, seq: u64) -> Admission {
        let Some(next) = self.next else {
            self.next = Some(seq.saturating_add(1));
            return Admission::New { gap: 0 };
        };
        if seq >= next {
            let gap = seq - next;
            // Remember the newest numbers of the gap only.
            let from = seq.saturating_sub(MAX_REMEMBERED_GAP as u64).max(next);
            self.missing.extend(from..seq);
            while self.missing.len() > MAX_REMEMBERED_GAP {
                self.missing.pop_first();
            }
            self.next = Some(seq.saturating_add(1));
            Admission::New { gap }
        } else if self.missing.remove(&seq) {
            Admission::Late
        } else {
            Admission::Duplicate
        }
    }
}

/// Live counters of the feed client (the metrics carry the same figures).
#[derive(Debug, Default)]
pub struct FeedStats {
    /// Frames received on every connection.
    pub frames: AtomicU64,
    /// Messages accepted.
    pub messages: AtomicU64,
    /// Transactions decoded from accepted messages (each delivered, or counted
    /// `consumer_full`).
    pub txs: AtomicU64,
    /// Duplicate messages dropped.
    pub duplicates: AtomicU64,
    /// Sequence numbers skipped over.
    pub gaps: AtomicU64,
    /// Late messages (gap fills).
    pub late: AtomicU64,
    /// Reconnects after a lost connection.
    pub reconnects: AtomicU64,
    /// Every counted skip (duplicates included).
    pub skips: AtomicU64,
}

impl FeedStats {
    fn skip(&self, reason: FeedSkip) {
        self.skips.fetch_add(1, Ordering::Relaxed);
        crate::metrics::skip(reason);
    }

    /// A plain copy of the counters.
    pub fn snapshot(&self) -> FeedCounts {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        FeedCounts {
            frames: get(&self.frames),
            messages: get(&self.messages),
            txs: get(&self.txs),
            duplicates: get(&self.duplicates),
            gaps: get(&self.gaps),
            late: get(&self.late),
            reconnects: get(&self.reconnects),
            skips: get(&self.skips),
        }
    }
}

/// [`FeedStats`] at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedCounts {
    /// Frames received on every connection.
    pub frames: u64,
    /// Messages accepted.
    pub messages: u64,
    /// Transactions decoded.
    pub txs: u64,
    /// Duplicate messages dropped.
    pub duplicates: u64,
    /// Sequence numbers skipped over.
    pub gaps: u64,
    /// Late messages.
    pub late: u64,
    /// Reconnects.
    pub reconnects: u64,
    /// Every counted skip.
    pub skips: u64,
}

/// The consumer ends of the feed client.
#[derive(Debug)]
pub struct FeedChannels {
    /// Sequenced transactions, in the order they were sequenced (late ones flagged).
    pub txs: mpsc::Receiver<SequencedTx>,
    /// Live counters.
    pub stats: Arc<FeedStats>,
}

/// A parsed frame from one connection.
struct Frame {
    feed: usize,
    received_at: Instant,
    messages: Vec<BroadcastFeedMessage>,
}

/// The feed client.
#[derive(Debug)]
pub struct FeedClient;

impl FeedClient {
    /// Spawns one connection task per URL and the merge task; `shutdown` set to `true` stops
    /// them all. The handle is the merge task's.
    pub fn spawn(
        config: FeedConfig,
        shutdown: watch::Receiver<bool>,
    ) -> (FeedChannels, tokio::task::JoinHandle<()>) {
        let (tx, txs) = mpsc::channel(config.capacity.max(1));
        let (frames_tx, frames) = mpsc::channel(1_024);
        let stats = Arc::new(FeedStats::default());
        // The next sequence number wanted, for reconnect requests (0: none yet).
        let wanted = Arc::new(AtomicU64::new(0));
        for (feed, url) in config.urls.iter().enumerate() {
            let connection = Connection {
                feed,
                url: url.clone(),
                config: config.clone(),
                frames: frames_tx.clone(),
                stats: stats.clone(),
                wanted: wanted.clone(),
            };
            tokio::spawn(connection.run(shutdown.clone()));
        }
        drop(frames_tx);
        let handle = tokio::spawn(merge(frames, tx, stats.clone(), wanted, shutdown));
        (FeedChannels { txs, stats }, handle)
    }
}

async fn merge(
    mut frames: mpsc::Receiver<Frame>,
    out: mpsc::Sender<SequencedTx>,
    stats: Arc<FeedStats>,
    wanted: Arc<AtomicU64>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut tracker = SequenceTracker::default();
    loop {
        let frame = tokio::select! {
            biased;
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    info!(target: "searcher::feed", "feed stopped");
                    return;
                }
                continue;
            }
            frame = frames.recv() => match frame {
                Some(frame) => frame,
                None => return,
            },
        };
        for message in &frame.messages {
            if !admit(&mut tracker, message, &frame, &out, &stats) {
                debug!(target: "searcher::feed", "consumer gone; feed stopped");
                return;
            }
        }
        if let Some(next) = tracker.next() {
            wanted.store(next, Ordering::Relaxed);
        }
    }
}

/// Admits, decodes and delivers one message; `false` once the consumer has gone.
fn admit(
    tracker: &mut SequenceTracker,
    message: &BroadcastFeedMessage,
    frame: &Frame,
    out: &mpsc::Sender<SequencedTx>,
    stats: &FeedStats,
) -> bool {
    let seq = message.sequence_number;
    let late = match tracker.admit(seq) {
        Admission::Duplicate => {
            stats.duplicates.fetch_add(1, Ordering::Relaxed);
            stats.skip(FeedSkip::Duplicate);
            return true;
        }
        Admission::Late => {
            stats.late.fetch_add(1, Ordering::Relaxed);
            true
        }
        Admission::New { gap } => {
            if gap > 0 {
                stats.gaps.fetch_add(gap, Ordering::Relaxed);
                warn!(target: "searcher::feed", seq, gap, "sequence gap: messages no feed delivered");
            }
            metrics::message(seq, gap, false);
            false
        }
    };
    if late {
        metrics::message(seq, 0, true);
    }
    stats.messages.fetch_add(1, Ordering::Relaxed);
    let decoded = match decode_message(&message.message.message) {
        Ok(decoded) => decoded,
        Err(reason) => {
            stats.skip(reason);
            return true;
        }
    };
    for reason in decoded.skips {
        stats.skip(reason);
    }
    metrics::txs(decoded.txs.len());
    stats.txs.fetch_add(decoded.txs.len() as u64, Ordering::Relaxed);
    let header = &message.message.message.header;
    for (index, tx) in decoded.txs.into_iter().enumerate() {
        let sequenced = SequencedTx {
            tx,
            sequence_number: seq,
            index: u32::try_from(index).unwrap_or(u32::MAX),
            timestamp: header.timestamp,
            feed: frame.feed,
            received_at: frame.received_at,
            late,
        };
        match out.try_send(sequenced) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => stats.skip(FeedSkip::ConsumerFull),
            Err(mpsc::error::TrySendError::Closed(_)) => return false,
        }
    }
    true
}

/// One feed URL's connection, redialled for as long as the client runs.
struct Connection {
    feed: usize,
    url: String,
    config: FeedConfig,
    frames: mpsc::Sender<Frame>,
    stats: Arc<FeedStats>,
    wanted: Arc<AtomicU64>,
}

/// Why a session ended.
enum SessionEnd {
    Stop,
    Lost(String),
}

impl Connection {
    async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut backoff = self.config.backoff_initial;
        let mut was_up = false;
        loop {
            match self.connect().await {
                Ok(ws) => {
                    if was_up {
                        self.stats.reconnects.fetch_add(1, Ordering::Relaxed);
                        metrics::reconnected(self.feed);
                        info!(target: "searcher::feed", feed = self.feed, "feed reconnected");
                    }
                    was_up = true;
                    backoff = self.config.backoff_initial;
                    metrics::connected(self.feed, true);
                    let end = self.session(ws, &mut shutdown).await;
                    metrics::connected(self.feed, false);
                    match end {
                        SessionEnd::Stop => return,
                        SessionEnd::Lost(reason) => {
                            warn!(target: "searcher::feed", feed = self.feed, %reason, "feed connection lost");
                        }
                    }
                }
                Err(err) => {
                    debug!(target: "searcher::feed", feed = self.feed, %err, backoff_ms = backoff.as_millis() as u64, "feed dial failed");
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = shutdown.changed() => return,
            }
            if *shutdown.borrow() || self.frames.is_closed() {
                return;
            }
            backoff = (backoff * 2).min(self.config.backoff_max);
        }
    }

    async fn connect(
        &self,
    ) -> Result<
        tokio_tungstenite::WebSocketStream<
            tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
        >,
        tokio_tungstenite::tungstenite::Error,
    > {
        let mut request = self.url.as_str().into_client_request()?;
        let headers = request.headers_mut();
        headers.insert(CLIENT_VERSION_HEADER, HeaderValue::from(CLIENT_VERSION));
        let wanted = self.wanted.load(Ordering::Relaxed);
        if wanted > 0 {
            headers.insert(REQUESTED_SEQUENCE_NUMBER_HEADER, HeaderValue::from(wanted));
        }
        let ws_config = WebSocketConfig::default()
            .max_message_size(Some(self.config.max_frame_bytes))
            .max_frame_size(Some(self.config.max_frame_bytes));
        let (ws, _) =
            tokio_tungstenite::connect_async_with_config(request, Some(ws_config), true).await?;
        Ok(ws)
    }

    async fn session(
        &self,
        mut ws: tokio_tungstenite::WebSocketStream<
            tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
        >,
        shutdown: &mut watch::Receiver<bool>,
    ) -> SessionEnd {
        loop {
            let next = tokio::select! {
                biased;
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() {
                        return SessionEnd::Stop;
                    }
                    continue;
                }
                next = tokio::time::timeout(self.config.idle_timeout, ws.next()) => next,
            };
            let received_at = Instant::now();
            let parsed = match next {
                Err(_) => return SessionEnd::Lost("silent past the idle timeout".into()),
                Ok(None) => return SessionEnd::Lost("closed".into()),
                Ok(Some(Err(e))) => return SessionEnd::Lost(e.to_string()),
                Ok(Some(Ok(Message::Close(_)))) => {
                    return SessionEnd::Lost("closed by the feed".into());
                }
                Ok(Some(Ok(Message::Text(text)))) => parse_frame(text.as_bytes()),
                Ok(Some(Ok(Message::Binary(bytes)))) => parse_frame(&bytes),
                Ok(Some(Ok(_))) => continue,
            };
            self.stats.frames.fetch_add(1, Ordering::Relaxed);
            metrics::frame(self.feed);
            let Some(messages) = parsed else {
                self.stats.skip(FeedSkip::UndecodableFrame);
                continue;
            };
            if messages.is_empty() {
                continue;
            }
            let frame = Frame { feed: self.feed, received_at, messages };
            if self.frames.send(frame).await.is_err() {
                return SessionEnd::Stop;
            }
        }
    }
}

/// A frame's sequenced messages, or `None` when it is not a feed message.
pub fn parse_frame(bytes: &[u8]) -> Option<Vec<BroadcastFeedMessage>> {
    serde_json::from_slice::<BroadcastMessage>(bytes).ok().map(|m| m.messages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracker_drops_duplicates_and_counts_gaps() {
        let mut t = SequenceTracker::default();
        assert_eq!(t.admit(10), Admission::New { gap: 0 });
        assert_eq!(t.admit(10), Admission::Duplicate);
        assert_eq!(t.admit(11), Admission::New { gap: 0 });
        assert_eq!(t.admit(14), Admission::New { gap: 2 });
        assert_eq!(t.admit(12), Admission::Late);
        assert_eq!(t.admit(12), Admission::Duplicate);
        assert_eq!(t.admit(13), Admission::Late);
        assert_eq!(t.admit(9), Admission::Duplicate);
        assert_eq!(t.next(), Some(15));
    }

    #[test]
    fn tracker_remembers_a_bounded_gap() {
        let mut t = SequenceTracker::default();
        t.admit(0);
        assert_eq!(t.admit(u64::MAX), Admission::New { gap: u64::MAX - 1 });
        assert!(t.missing.len() <= MAX_REMEMBERED_GAP);
        assert_eq!(t.admit(u64::MAX - 1), Admission::Late);
        assert_eq!(t.admit(1), Admission::Duplicate);
        // Past u64::MAX the next number saturates (a second copy of u64::MAX passes as new):
        // a hostile feed cannot make the tracker panic.
        assert_eq!(t.admit(u64::MAX), Admission::New { gap: 0 });
    }
}

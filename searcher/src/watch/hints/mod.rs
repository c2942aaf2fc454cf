//! The MEV-Share hint stream as an order-flow source: an SSE client for the matchmaker's event
//! stream (`GET`, `text/event-stream`), each event decoded into alloy's
//! [`mevshare::Event`](alloy::rpc::types::mev::mevshare::Event) and offered on its own bounded
//! channel.
//!
//! - **Its own channel, its own task.** Hints never share a channel or a task with the node's
//!   pending transactions and heads ([`super::stream`]): a stalled stream, a flood of hints or
//!   a slow hint consumer cannot delay the mempool, and the other way round. Hints are offered
//!   with `try_send`; a full channel drops the hint and counts it (`consumer_full`).
//! - **Nothing is lost silently.** Every event that does not become a [`Hint`] is counted in
//!   `searcher_watch_drops_total{source="mevshare", reason}`: `malformed` (not JSON of the
//!   event's shape), `no_hash`, `oversized` (past [`HintConfig::max_event_bytes`]),
//!   `truncated` (the stream broke in the middle of an event), `consumer_full`. Keep-alive
//!   comments (`:ping`) are counted too.
//! - **Reconnection.** Whatever ends a session ([`Disconnect`]: the server closed the stream, a
//!   read error, an HTTP error status, a 429/503, or a stream silent for
//!   [`HintConfig::idle_timeout`], more than two ping intervals) is counted and followed by a
//!   reconnect, with a backoff doubling from [`HintConfig::backoff_initial`] to
//!   [`HintConfig::backoff_max`] (reset once a session delivered anything). A `Retry-After`
//!   header (seconds or an HTTP date) and the stream's own `retry:` field lengthen the wait,
//!   up to [`HintConfig::retry_after_max`].
//! - It stops when asked through the shutdown channel or when its consumer has gone.

mod decode;
mod sse;
#[cfg(test)]
mod tests;

pub use decode::{HintReject, decode_hint};
pub use sse::{SseItem, SseParser};

use super::{
    metrics::WatchMetrics,
    stream::{DropReason, Source},
};
use alloy::rpc::types::mev::mevshare::Event;
use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant, SystemTime},
};
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};

/// The hint stream's address, channel size and timings.
#[derive(Debug, Clone)]
pub struct HintConfig {
    /// The event stream (`https://mev-share.flashbots.net` on mainnet).
    pub url: String,
    /// Hint channel capacity (watch → engine).
    pub capacity: usize,
    /// First reconnect delay.
    pub backoff_initial: Duration,
    /// Longest reconnect delay of the backoff (a `Retry-After` may ask for more).
    pub backoff_max: Duration,
    /// The longest `Retry-After` (or `retry:`) honoured; a longer one is cut to this.
    pub retry_after_max: Duration,
    /// A stream that sends nothing (not even a ping) for this long is dropped and reconnected.
    pub idle_timeout: Duration,
    /// How long connecting and reading the response headers may take.
    pub connect_timeout: Duration,
    /// The largest event (and line) held; larger ones are discarded and counted.
    pub max_event_bytes: usize,
}

/// Default hint channel capacity.
pub const DEFAULT_HINT_CAPACITY: usize = 4_096;
/// Mainnet pings every 15 s when idle: two missed pings and a margin.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(35);
/// Default event size limit: mainnet events are a few kilobytes (calldata hints the largest).
pub const DEFAULT_MAX_EVENT_BYTES: usize = 1 << 20;

impl HintConfig {
    /// The defaults for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            capacity: DEFAULT_HINT_CAPACITY,
            backoff_initial: Duration::from_millis(25),
            backoff_max: Duration::from_millis(400),
            retry_after_max: Duration::from_secs(60),
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            connect_timeout: Duration::from_secs(5),
            max_event_bytes: DEFAULT_MAX_EVENT_BYTES,
        }
    }
}

/// A hint with the instant it was received (latency starts here).
#[derive(Debug, Clone)]
pub struct Hint {
    /// The event: the private transaction's (or bundle's) hash and what its sender shared.
    pub event: Event,
    /// When the source decoded it.
    pub received_at: Instant,
}

/// Why a session with the stream ended (the `cause` label of
/// `searcher_watch_hint_disconnects_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Disconnect {
    /// The request failed or timed out before the response headers.
    ConnectFailed,
    /// The server answered with an error status other than 429/503.
    HttpStatus,
    /// 429 or 503: rate limited or overloaded (`Retry-After` honoured).
    RateLimited,
    /// The server ended the stream.
    Closed,
    /// Reading the body failed.
    ReadError,
    /// Nothing, not even a ping, for [`HintConfig::idle_timeout`].
    Silent,
}

impl Disconnect {
    /// Every cause.
    pub const ALL: [Self; 6] = [
        Self::ConnectFailed,
        Self::HttpStatus,
        Self::RateLimited,
        Self::Closed,
        Self::ReadError,
        Self::Silent,
    ];

    /// The metric label.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ConnectFailed => "connect_failed",
            Self::HttpStatus => "http_status",
            Self::RateLimited => "rate_limited",
            Self::Closed => "closed",
            Self::ReadError => "read_error",
            Self::Silent => "silent",
        }
    }
}

/// The drop reasons of the hint source.
const HINT_DROPS: [DropReason; 5] = [
    DropReason::ConsumerFull,
    DropReason::Malformed,
    DropReason::NoHash,
    DropReason::Oversized,
    DropReason::Truncated,
];

/// Live counters of the hint source (the same figures as its metrics, readable without a
/// Prometheus recorder: the demo's summary and the tests).
#[derive(Debug, Default)]
pub struct HintStats {
    hints: AtomicU64,
    pings: AtomicU64,
    connects: AtomicU64,
    retry_waits: AtomicU64,
    drops: [AtomicU64; HINT_DROPS.len()],
    disconnects: [AtomicU64; Disconnect::ALL.len()],
}

/// A copy of [`HintStats`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HintStatsSnapshot {
    /// Hints decoded and offered to the channel (including those it dropped as full).
    pub hints: u64,
    /// Keep-alive comments.
    pub pings: u64,
    /// Sessions opened (200 and an event stream).
    pub connects: u64,
    /// Reconnects delayed by a `Retry-After` header or a `retry:` field.
    pub retry_waits: u64,
    /// Drops, by reason label.
    pub drops: Vec<(&'static str, u64)>,
    /// Session ends, by cause label.
    pub disconnects: Vec<(&'static str, u64)>,
}

impl HintStatsSnapshot {
    /// Drops with this reason.
    pub fn dropped(&self, reason: DropReason) -> u64 {
        self.drops.iter().find(|(r, _)| *r == reason.as_str()).map_or(0, |(_, n)| *n)
    }

    /// Session ends with this cause.
    pub fn disconnected(&self, cause: Disconnect) -> u64 {
        self.disconnects.iter().find(|(c, _)| *c == cause.as_str()).map_or(0, |(_, n)| *n)
    }
}

impl HintStats {
    /// A copy of the counters.
    pub fn snapshot(&self) -> HintStatsSnapshot {
        HintStatsSnapshot {
            hints: self.hints.load(Ordering::Relaxed),
            pings: self.pings.load(Ordering::Relaxed),
            connects: self.connects.load(Ordering::Relaxed),
            retry_waits: self.retry_waits.load(Ordering::Relaxed),
            drops: HINT_DROPS
                .iter()
                .zip(&self.drops)
                .map(|(r, n)| (r.as_str(), n.load(Ordering::Relaxed)))
                .collect(),
            disconnects: Disconnect::ALL
                .iter()
                .zip(&self.disconnects)
                .map(|(c, n)| (c.as_str(), n.load(Ordering::Relaxed)))
                .collect(),
        }
    }

    fn dropped(&self, metrics: &WatchMetrics, reason: DropReason) {
        metrics.dropped(Source::MevShare, reason, 1);
        if let Some(i) = HINT_DROPS.iter().position(|r| *r == reason) {
            self.drops[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    fn disconnect(&self, metrics: &WatchMetrics, cause: Disconnect) {
        metrics.hint_disconnected(cause);
        if let Some(i) = Disconnect::ALL.iter().position(|c| *c == cause) {
            self.disconnects[i].fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The consumer end of the hint source.
#[derive(Debug)]
pub struct HintChannels {
    /// Decoded hints.
    pub hints: mpsc::Receiver<Hint>,
    /// The source's live counters.
    pub stats: Arc<HintStats>,
}

/// The hint source's task.
#[derive(Debug)]
pub struct HintSource;

impl HintSource {
    /// Spawns the source; `shutdown` set to `true` stops it.
    pub fn spawn(
        config: HintConfig,
        shutdown: watch::Receiver<bool>,
    ) -> (HintChannels, tokio::task::JoinHandle<()>) {
        let (tx, hints) = mpsc::channel(config.capacity.max(1));
        let stats = Arc::new(HintStats::default());
        let task = Task {
            client: reqwest::Client::builder()
                .connect_timeout(config.connect_timeout)
                .build()
                .unwrap_or_default(),
            config,
            tx,
            stats: Arc::clone(&stats),
            metrics: WatchMetrics,
        };
        let handle = tokio::spawn(task.run(shutdown));
        (HintChannels { hints, stats }, handle)
    }
}

struct Task {
    client: reqwest::Client,
    config: HintConfig,
    tx: mpsc::Sender<Hint>,
    stats: Arc<HintStats>,
    metrics: WatchMetrics,
}

/// How a session ended.
enum End {
    Stop,
    Lost {
        cause: Disconnect,
        /// A wait the server asked for (`Retry-After`, `retry:`).
        retry: Option<Duration>,
        /// The session delivered something (the backoff starts over).
        delivered: bool,
    },
}

impl Task {
    async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut backoff = self.config.backoff_initial;
        // The stream's `retry:` field, remembered across sessions as the format requires.
        let mut stream_retry: Option<Duration> = None;
        loop {
            let end = self.session(&mut shutdown, &mut stream_retry).await;
            let End::Lost { cause, retry, delivered } = end else {
                info!(target: "searcher::watch", "hint stream stopped");
                return;
            };
            self.metrics.hint_connected(false);
            self.stats.disconnect(&self.metrics, cause);
            if delivered {
                backoff = self.config.backoff_initial;
            }
            let asked = retry.or(stream_retry).map(|d| d.min(self.config.retry_after_max));
            let wait = asked.map_or(backoff, |asked| asked.max(backoff));
            if asked.is_some_and(|asked| asked > backoff) {
                self.stats.retry_waits.fetch_add(1, Ordering::Relaxed);
            }
            warn!(target: "searcher::watch", url = %self.config.url, cause = cause.as_str(), wait_ms = wait.as_millis() as u64, "hint stream lost; reconnecting");
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                changed = shutdown.changed() => if changed.is_err() || *shutdown.borrow() { return },
            }
            if self.tx.is_closed() {
                return;
            }
            backoff = (backoff * 2).min(self.config.backoff_max);
        }
    }

    async fn session(
        &self,
        shutdown: &mut watch::Receiver<bool>,
        stream_retry: &mut Option<Duration>,
    ) -> End {
        let lost = |cause, retry, delivered| End::Lost { cause, retry, delivered };
        if *shutdown.borrow() || self.tx.is_closed() {
            return End::Stop;
        }
        let request = self
            .client
            .get(&self.config.url)
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .header(reqwest::header::CACHE_CONTROL, "no-cache")
            .send();
        let response = tokio::select! {
            r = tokio::time::timeout(self.config.connect_timeout, request) => r,
            _ = shutdown.changed() => return End::Stop,
        };
        let mut response = match response {
            Ok(Ok(r)) => r,
            Ok(Err(err)) => {
                debug!(target: "searcher::watch", %err, "hint stream: connect failed");
                return lost(Disconnect::ConnectFailed, None, false);
            }
            Err(_) => return lost(Disconnect::ConnectFailed, None, false),
        };
        let status = response.status();
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS
            || status == reqwest::StatusCode::SERVICE_UNAVAILABLE
        {
            let retry = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, SystemTime::now()));
            return lost(Disconnect::RateLimited, retry, false);
        }
        if !status.is_success() {
            debug!(target: "searcher::watch", %status, "hint stream: error status");
            return lost(Disconnect::HttpStatus, None, false);
        }
        self.stats.connects.fetch_add(1, Ordering::Relaxed);
        self.metrics.hint_connected(true);
        info!(target: "searcher::watch", url = %self.config.url, "hint stream connected");

        let mut parser = SseParser::new(self.config.max_event_bytes);
        let mut items = Vec::new();
        let mut delivered = false;
        loop {
            let chunk = tokio::select! {
                biased;
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() {
                        return End::Stop;
                    }
                    continue;
                }
                c = tokio::time::timeout(self.config.idle_timeout, response.chunk()) => c,
            };
            let cause = match chunk {
                Ok(Ok(Some(bytes))) => {
                    parser.feed(&bytes, &mut items);
                    for item in items.drain(..) {
                        delivered = true;
                        match item {
                            SseItem::Event(data) => self.event(&data),
                            SseItem::Comment => {
                                self.stats.pings.fetch_add(1, Ordering::Relaxed);
                                self.metrics.hint_ping();
                            }
                            SseItem::Retry(ms) => {
                                *stream_retry = Some(Duration::from_millis(ms));
                            }
                            SseItem::Oversized => {
                                self.stats.dropped(&self.metrics, DropReason::Oversized)
                            }
                        }
                    }
                    if self.tx.is_closed() {
                        return End::Stop;
                    }
                    continue;
                }
                Ok(Ok(None)) => Disconnect::Closed,
                Ok(Err(err)) => {
                    debug!(target: "searcher::watch", %err, "hint stream: read failed");
                    Disconnect::ReadError
                }
                Err(_) => Disconnect::Silent,
            };
            if parser.mid_event() {
                self.stats.dropped(&self.metrics, DropReason::Truncated);
            }
            return lost(cause, None, delivered);
        }
    }

    fn event(&self, data: &[u8]) {
        let event = match decode_hint(data) {
            Ok(event) => event,
            Err(reject) => {
                let reason = match reject {
                    HintReject::Malformed => DropReason::Malformed,
                    HintReject::NoHash => DropReason::NoHash,
                };
                self.stats.dropped(&self.metrics, reason);
                return;
            }
        };
        self.stats.hints.fetch_add(1, Ordering::Relaxed);
        self.metrics.received(Source::MevShare);
        match self.tx.try_send(Hint { event, received_at: Instant::now() }) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.stats.dropped(&self.metrics, DropReason::ConsumerFull);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }
}

/// A `Retry-After` value: delay-seconds, or an HTTP date (a date in the past means now).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

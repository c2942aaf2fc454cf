//! The watch stage's metrics (`searcher_watch_*`), owned and described here.

use super::{
    hints::Disconnect,
    stream::{DropReason, Source},
};
use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use std::time::Duration;

/// Counter `{source}`: events received: from the node (`pending`, `heads`), decoded MEV-Share
/// hints (`mevshare`).
pub const EVENTS_TOTAL: &str = "searcher_watch_events_total";
/// Counter `{source, reason}`: events dropped before the engine saw them ([`DropReason`]).
pub const DROPS_TOTAL: &str = "searcher_watch_drops_total";
/// Counter: redial attempts after the node connection was lost.
pub const RECONNECT_ATTEMPTS_TOTAL: &str = "searcher_watch_reconnect_attempts_total";
/// Counter: successful reconnects (resubscribed).
pub const RECONNECTS_TOTAL: &str = "searcher_watch_reconnects_total";
/// Histogram: seconds the node was unreachable, per reconnect.
pub const DOWNTIME_SECONDS: &str = "searcher_watch_downtime_seconds";
/// Gauge: the newest head block number the node announced.
pub const HEAD_BLOCK: &str = "searcher_watch_head_block";

/// Counter: keep-alive comments (`:ping`) on the MEV-Share hint stream.
pub const HINT_PINGS_TOTAL: &str = "searcher_watch_hint_pings_total";
/// Counter `{cause}`: sessions with the hint stream that ended
/// ([`super::hints::Disconnect`]).
pub const HINT_DISCONNECTS_TOTAL: &str = "searcher_watch_hint_disconnects_total";
/// Gauge: 1 while the hint stream is connected, else 0.
pub const HINT_CONNECTED: &str = "searcher_watch_hint_connected";

/// Buckets of [`DOWNTIME_SECONDS`]: 10 ms to 10 minutes.
pub const DOWNTIME_BUCKETS: &[f64] =
    &[0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0];

/// Registers the descriptions.
pub fn describe() {
    describe_counter!(EVENTS_TOTAL, Unit::Count, "Events received from the node, by source");
    describe_counter!(
        DROPS_TOTAL,
        Unit::Count,
        "Events dropped before the engine saw them, by source and reason"
    );
    describe_counter!(
        RECONNECT_ATTEMPTS_TOTAL,
        Unit::Count,
        "Redial attempts while the node was unreachable"
    );
    describe_counter!(RECONNECTS_TOTAL, Unit::Count, "Reconnects to the node (resubscribed)");
    describe_histogram!(
        DOWNTIME_SECONDS,
        Unit::Seconds,
        "How long the node was unreachable, per reconnect"
    );
    describe_gauge!(HEAD_BLOCK, "Newest head block number the node announced");
    describe_counter!(
        HINT_PINGS_TOTAL,
        Unit::Count,
        "Keep-alive pings on the MEV-Share hint stream"
    );
    describe_counter!(
        HINT_DISCONNECTS_TOTAL,
        Unit::Count,
        "Sessions with the MEV-Share hint stream that ended, by cause"
    );
    describe_gauge!(HINT_CONNECTED, "1 while the MEV-Share hint stream is connected");
}

/// Recording handle of the watch loop.
#[derive(Debug, Clone, Default)]
pub(crate) struct WatchMetrics;

impl WatchMetrics {
    pub(crate) fn received(&self, source: Source) {
        counter!(EVENTS_TOTAL, "source" => source.as_str()).increment(1);
    }

    pub(crate) fn dropped(&self, source: Source, reason: DropReason, n: u64) {
        counter!(DROPS_TOTAL, "source" => source.as_str(), "reason" => reason.as_str())
            .increment(n);
    }

    pub(crate) fn reconnect_attempt(&self) {
        counter!(RECONNECT_ATTEMPTS_TOTAL).increment(1);
    }

    pub(crate) fn reconnected(&self, downtime: Duration) {
        counter!(RECONNECTS_TOTAL).increment(1);
        histogram!(DOWNTIME_SECONDS).record(downtime.as_secs_f64());
    }

    pub(crate) fn head(&self, number: u64) {
        gauge!(HEAD_BLOCK).set(number as f64);
    }

    pub(crate) fn hint_ping(&self) {
        counter!(HINT_PINGS_TOTAL).increment(1);
    }

    pub(crate) fn hint_disconnected(&self, cause: Disconnect) {
        counter!(HINT_DISCONNECTS_TOTAL, "cause" => cause.as_str()).increment(1);
    }

    pub(crate) fn hint_connected(&self, connected: bool) {
        gauge!(HINT_CONNECTED).set(if connected { 1.0 } else { 0.0 });
    }
}

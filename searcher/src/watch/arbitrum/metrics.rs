//! The sequencer feed's metrics (`searcher_feed_*`), owned and described here. Its skips
//! (duplicates, message kinds, malformed payloads) are `searcher_skips_total{stage="feed"}`
//! ([`super::FeedSkip`]).

use metrics::{Unit, counter, describe_counter, describe_gauge, gauge};

/// Counter `{feed}`: WebSocket frames received, per feed URL (its index in the config).
pub const FRAMES_TOTAL: &str = "searcher_feed_frames_total";
/// Counter: sequenced messages accepted (first copies, each sequence number once).
pub const MESSAGES_TOTAL: &str = "searcher_feed_messages_total";
/// Counter: transactions decoded from accepted messages.
pub const TXS_TOTAL: &str = "searcher_feed_txs_total";
/// Counter: sequence numbers skipped over by every feed (counted when a later one arrives).
pub const GAPS_TOTAL: &str = "searcher_feed_gaps_total";
/// Counter: messages of a gap that arrived after all (late, from another feed or a backlog).
pub const LATE_TOTAL: &str = "searcher_feed_late_total";
/// Counter `{feed}`: reconnects after a feed connection was lost.
pub const RECONNECTS_TOTAL: &str = "searcher_feed_reconnects_total";
/// Gauge `{feed}`: 1 while the feed connection is up.
pub const CONNECTED: &str = "searcher_feed_connected";
/// Gauge: the newest sequence number accepted.
pub const SEQUENCE_NUMBER: &str = "searcher_feed_sequence_number";

/// Registers the descriptions.
pub fn describe() {
    describe_counter!(FRAMES_TOTAL, Unit::Count, "WebSocket frames received, per feed URL");
    describe_counter!(MESSAGES_TOTAL, Unit::Count, "Sequenced messages accepted (first copies)");
    describe_counter!(TXS_TOTAL, Unit::Count, "Transactions decoded from accepted messages");
    describe_counter!(GAPS_TOTAL, Unit::Count, "Sequence numbers no feed delivered in order");
    describe_counter!(LATE_TOTAL, Unit::Count, "Messages of a gap that arrived late");
    describe_counter!(RECONNECTS_TOTAL, Unit::Count, "Feed reconnects, per feed URL");
    describe_gauge!(CONNECTED, "1 while the feed connection is up, per feed URL");
    describe_gauge!(SEQUENCE_NUMBER, "Newest sequence number accepted from the feed");
}

pub(super) fn frame(feed: usize) {
    counter!(FRAMES_TOTAL, "feed" => feed.to_string()).increment(1);
}

pub(super) fn message(sequence_number: u64, gap: u64, late: bool) {
    counter!(MESSAGES_TOTAL).increment(1);
    if gap > 0 {
        counter!(GAPS_TOTAL).increment(gap);
    }
    if late {
        counter!(LATE_TOTAL).increment(1);
    } else {
        gauge!(SEQUENCE_NUMBER).set(sequence_number as f64);
    }
}

pub(super) fn txs(n: usize) {
    counter!(TXS_TOTAL).increment(n as u64);
}

pub(super) fn connected(feed: usize, up: bool) {
    gauge!(CONNECTED, "feed" => feed.to_string()).set(if up { 1.0 } else { 0.0 });
}

pub(super) fn reconnected(feed: usize) {
    counter!(RECONNECTS_TOTAL, "feed" => feed.to_string()).increment(1);
}

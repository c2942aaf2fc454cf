//! watch/arbitrum: the Arbitrum sequencer feed as an order-flow source.
//!
//! Arbitrum has no public mempool: the sequencer orders transactions and publishes each
//! sequenced message on its feed (a WebSocket, Nitro's broadcast protocol) before its block is
//! out. This module owns reading it:
//!
//! - [`message`]: the feed's JSON messages (`BroadcastMessage`, `BroadcastFeedMessage`,
//!   `L1IncomingMessage`) and the client headers.
//! - [`decode`]: header kinds and L2 messages (single signed transactions, nested batches)
//!   into signed transactions with their signers; [`FeedSkip`], the typed reasons a message
//!   or part of one yields nothing.
//! - [`feed`]: the client: several feed URLs at once, first copy wins, duplicates dropped, gaps
//!   counted, reconnection with backoff, a bounded channel of [`SequencedTx`].
//! - `metrics`: the `searcher_feed_*` metrics.

pub mod decode;
pub mod feed;
pub mod message;
pub mod metrics;

pub use decode::{FeedSkip, L2Decoded, decode_l2, decode_message};
pub use feed::{FeedChannels, FeedClient, FeedConfig, FeedCounts, FeedStats, SequencedTx};
pub use message::{BroadcastFeedMessage, BroadcastMessage, L1IncomingMessage};

#[cfg(test)]
mod tests;

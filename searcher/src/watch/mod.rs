//! watch: the order-flow sources: the one connection to the node and the event streams it
//! carries, and the MEV-Share hint stream.
//!
//! - [`node`]: the endpoint (IPC path or WS URL) and the shared provider every stage uses
//!   (reth issue #17323: build one provider and reuse it).
//! - [`stream`]: full pending transactions and new heads, each on its own bounded channel so
//!   no source blocks another, and the connection's state; owns reconnection (its own backoff)
//!   and counts every event it drops, by reason.
//! - [`hints`]: the MEV-Share hint stream (SSE), on its own task and bounded channel.
//! - `metrics`: the `searcher_watch_*` metrics.
//! - [`arbitrum`]: the Arbitrum sequencer feed, a source of its own (its own connections,
//!   channel and `searcher_feed_*` metrics).

pub mod arbitrum;
pub mod hints;
pub mod metrics;
pub mod node;
pub mod stream;

pub use hints::{Hint, HintChannels, HintConfig, HintSource};
pub use node::{NodeClient, NodeEndpoint};
pub use stream::{
    DropReason, HeadEvent, NodeStatus, PendingTx, Source, WatchChannels, WatchConfig, Watcher,
};

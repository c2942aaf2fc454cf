//! watch: the one connection to the node and the event streams it carries.
//!
//! - [`node`]: the endpoint (IPC path or WS URL) and the shared provider every stage uses
//!   (reth issue #17323: build one provider and reuse it).
//! - [`stream`]: full pending transactions, new heads and logs of tracked pools, each on its
//!   own bounded channel so no source blocks another; reconnects with backoff and resyncs.

pub mod node;
pub mod stream;

pub use node::{NodeClient, NodeEndpoint};
pub use stream::{HeadEvent, LogBatch, PendingTx, WatchChannels, WatchConfig, Watcher};

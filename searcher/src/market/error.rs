//! The market's error type: node failures with what was being read, store failures, and the
//! chain shapes the in-place sync cannot follow (a reorg deeper than the undo log).

use crate::store::StoreError;
use alloy::{
    primitives::B256,
    transports::{TransportError, TransportErrorKind},
};

/// Result alias of the market.
pub type Result<T, E = MarketError> = std::result::Result<T, E>;

/// Why a market operation failed. Per-pool and per-token problems are not errors: they are
/// [`crate::market::health::HealthFlags`] on the pool.
#[derive(Debug, thiserror::Error)]
pub enum MarketError {
    /// The node answered with an error or the transport failed.
    #[error("{what}: {source}")]
    Transport {
        /// What was being read (`eth_getLogs 100..200 of 0x..`, `block 0x..`).
        what: String,
        /// The transport error.
        #[source]
        source: TransportError,
    },
    /// The node does not know a block it should (pruned, or reorged away mid-request).
    #[error("block {0} not found")]
    MissingBlock(String),
    /// A reorg deeper than the undo log: the market must reload at the new head.
    #[error("reorg deeper than the undo log ({depth} blocks kept), new head {new_head}")]
    ReorgTooDeep {
        /// Blocks the undo log holds.
        depth: usize,
        /// The head that could not be joined to our chain.
        new_head: B256,
    },
    /// The checkpoint store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A log from a tracked contract that does not decode as its event.
    #[error("undecodable {event} log in block {block}: {detail}")]
    Decode {
        /// Event name.
        event: &'static str,
        /// Block number.
        block: u64,
        /// Decoder message.
        detail: String,
    },
    /// The configuration is unusable.
    #[error("invalid market config: {0}")]
    Config(String),
}

impl MarketError {
    /// Wraps a transport error with what was being read.
    pub fn transport(what: impl Into<String>, source: TransportError) -> Self {
        Self::Transport { what: what.into(), source }
    }

    /// Whether retrying the same operation may succeed (transport hiccups, a block the node
    /// has not indexed yet). A deep reorg needs a reload instead.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport { source, .. } => match source {
                TransportError::Transport(kind) => {
                    kind.is_retry_err() || matches!(kind, TransportErrorKind::BackendGone)
                }
                TransportError::ErrorResp(payload) => payload.is_retry_err(),
                TransportError::NullResp => true,
                _ => false,
            },
            Self::MissingBlock(_) => true,
            Self::ReorgTooDeep { .. } | Self::Store(_) | Self::Decode { .. } | Self::Config(_) => {
                false
            }
        }
    }
}

//! Errors of the state layer: fetching accounts, storage, code and block hashes from the node.

use alloy::{
    primitives::{Address, B256},
    transports::TransportError,
};
use revm::database_interface::DBErrorMarker;
use std::time::Duration;

/// Result alias of the state layer.
pub type Result<T, E = StateError> = std::result::Result<T, E>;

/// Why the state layer could not answer a read.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The node answered with an error or the transport failed.
    #[error("state fetch of {what} failed: {source}")]
    Transport {
        /// What was being fetched (`account 0x..`, `storage 0x..[0x..]`, `block 12`).
        what: String,
        /// The transport error.
        #[source]
        source: TransportError,
    },
    /// The node did not answer within the configured timeout.
    #[error("state fetch of {what} timed out after {timeout:?}")]
    Timeout {
        /// What was being fetched.
        what: String,
        /// The timeout that elapsed.
        timeout: Duration,
    },
    /// A block the state layer needs is unknown to the node.
    #[error("block {0} not found")]
    BlockNotFound(String),
    /// A block's state-diff trace could not be used.
    #[error("state diff of block {block}: {reason}")]
    UnexpectedTrace {
        /// The block traced.
        block: B256,
        /// What was wrong with the answer.
        reason: String,
    },
    /// revm asked for code by hash that was never loaded with its account.
    #[error("code {0} is not cached")]
    CodeNotCached(B256),
    /// A header lacks a field the EVM environment needs (e.g. the base fee before London).
    #[error("header of block {number} has no {field}")]
    MissingHeaderField {
        /// The block number.
        number: u64,
        /// The missing field.
        field: &'static str,
    },
    /// A miss had to be fetched synchronously from inside a current-thread tokio runtime,
    /// which cannot block: run the EVM on a multi-thread runtime or a blocking thread.
    #[error("a state miss for {0} cannot be fetched from a current-thread tokio runtime")]
    CurrentThreadRuntime(Address),
}

impl StateError {
    /// Whether retrying the same read later may succeed (transport trouble, timeouts).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport { source, .. } => source.is_transport_error() || source.is_null_resp(),
            Self::Timeout { .. } => true,
            Self::BlockNotFound(_)
            | Self::UnexpectedTrace { .. }
            | Self::CodeNotCached(_)
            | Self::MissingHeaderField { .. }
            | Self::CurrentThreadRuntime(_) => false,
        }
    }

    /// Whether the node did not answer in time.
    pub const fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }
}

impl DBErrorMarker for StateError {}

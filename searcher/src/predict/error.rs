//! Why a pending transaction yields no prediction: each variant is a counted skip reason.

use crate::state::{StateError, view::ViewError};
use alloy::primitives::Bytes;
use revm::context::result::HaltReason;

/// Why predict dropped a pending transaction.
#[derive(Debug, thiserror::Error)]
pub enum PredictError {
    /// A plain transfer or a contract creation: nothing to route through pools.
    #[error("not a contract call")]
    NotContractCall,
    /// Sent by one of our own accounts.
    #[error("sent by our own account")]
    Ours,
    /// revm rejected the transaction before running it (fee cap below the next base fee,
    /// insufficient funds for gas, gas limit above the block's, ...).
    #[error("invalid for the next block: {0}")]
    Invalid(String),
    /// The transaction reverts on the head state.
    #[error("reverted after {gas_used} gas")]
    Reverted {
        /// Gas used up to the revert.
        gas_used: u64,
        /// Revert data.
        output: Bytes,
    },
    /// The transaction runs out of gas.
    #[error("out of gas ({gas_used})")]
    OutOfGas {
        /// Gas used (the whole limit).
        gas_used: u64,
    },
    /// The transaction halts for another reason (invalid opcode, stack overflow, ...).
    #[error("halted: {reason:?}")]
    Halted {
        /// The halt reason.
        reason: HaltReason,
    },
    /// It succeeds but moves no pool we track.
    #[error("touched no tracked pool")]
    Untracked {
        /// Gas used.
        gas_used: u64,
    },
    /// A tracked pool's post-state could not be read after a Mint or Burn.
    #[error("reading a pool's post-state failed: {0}")]
    PoolRead(String),
    /// State the transaction needs could not be fetched from the node.
    #[error("state fetch failed: {0}")]
    State(#[from] StateError),
}

impl PredictError {
    /// The reason label counted in `searcher_skips_total{stage="predict", reason}`.
    pub const fn reason(&self) -> &'static str {
        match self {
            Self::NotContractCall => "not_contract_call",
            Self::Ours => "ours",
            Self::Invalid(_) => "invalid",
            Self::Reverted { .. } => "reverted",
            Self::OutOfGas { .. } => "out_of_gas",
            Self::Halted { .. } => "halted",
            Self::Untracked { .. } => "untracked",
            Self::PoolRead(_) => "pool_read",
            Self::State(_) => "state_fetch",
        }
    }

    /// Whether the transaction failed on the head state (reverted, out of gas, halted).
    pub const fn is_failed(&self) -> bool {
        matches!(self, Self::Reverted { .. } | Self::OutOfGas { .. } | Self::Halted { .. })
    }

    /// Whether the node could not serve the state (the prediction may succeed on a retry).
    pub const fn is_state_fetch(&self) -> bool {
        matches!(self, Self::State(_))
    }

    /// Whether this is an expected, uninteresting drop (not a contract call, ours, untracked).
    pub const fn is_irrelevant(&self) -> bool {
        matches!(self, Self::NotContractCall | Self::Ours | Self::Untracked { .. })
    }
}

impl From<ViewError> for PredictError {
    fn from(err: ViewError) -> Self {
        match err {
            ViewError::State(err) => Self::State(err),
            other => Self::PoolRead(other.to_string()),
        }
    }
}

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

crate::skip_reasons! {
    /// The kind of a [`PredictError`]: the `reason` label of
    /// `searcher_skips_total{stage="predict"}`.
    pub enum PredictSkip for "predict" {
        /// See [`PredictError::NotContractCall`].
        NotContractCall => "not_contract_call",
            "A plain transfer or a contract creation. Normal.";
        /// See [`PredictError::Ours`].
        Ours => "ours",
            "Sent by the searcher's own trading key. Normal.";
        /// See [`PredictError::Invalid`].
        Invalid => "invalid",
            "Invalid for the next block (fee cap below the base fee, no funds for gas, nonce). Normal in small numbers.";
        /// See [`PredictError::Reverted`].
        Reverted => "reverted",
            "Reverts on the head state (stale quote, slippage). Normal.";
        /// See [`PredictError::OutOfGas`].
        OutOfGas => "out_of_gas",
            "Runs out of gas on the head state. Normal.";
        /// See [`PredictError::Halted`].
        Halted => "halted",
            "Halts on the head state (invalid opcode, stack overflow). Normal.";
        /// See [`PredictError::Untracked`].
        Untracked => "untracked",
            "Succeeds but moves no tracked pool. Normal: most transactions. Many swaps here: check [market] factories.";
        /// See [`PredictError::PoolRead`].
        PoolRead => "pool_read",
            "A tracked pool's post-state could not be read after a mint or burn. Rare; check the node.";
        /// See [`PredictError::State`].
        StateFetch => "state_fetch",
            "The node did not serve state the transaction needs (timeout, disconnect). Many: the node is slow or unreachable.";
    }
}

impl PredictError {
    /// The kind (the counted reason).
    pub const fn kind(&self) -> PredictSkip {
        match self {
            Self::NotContractCall => PredictSkip::NotContractCall,
            Self::Ours => PredictSkip::Ours,
            Self::Invalid(_) => PredictSkip::Invalid,
            Self::Reverted { .. } => PredictSkip::Reverted,
            Self::OutOfGas { .. } => PredictSkip::OutOfGas,
            Self::Halted { .. } => PredictSkip::Halted,
            Self::Untracked { .. } => PredictSkip::Untracked,
            Self::PoolRead(_) => PredictSkip::PoolRead,
            Self::State(_) => PredictSkip::StateFetch,
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

//! Why a bundle simulation produced no figures: each variant is a counted skip reason.

use crate::state::{StateError, view::ViewError};
use alloy::primitives::Bytes;
use revm::context::result::HaltReason;

/// Why sim could not produce an outcome for `[victim, backrun]`.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// revm rejected transaction `index` (0: victim, 1: backrun) before running it.
    #[error("transaction {index} is invalid for the next block: {reason}")]
    Invalid {
        /// Position in the bundle.
        index: usize,
        /// revm's validation error.
        reason: String,
    },
    /// The victim reverted or halted: the opportunity does not exist.
    #[error("victim failed: {reason}")]
    VictimFailed {
        /// Revert data or halt reason.
        reason: String,
    },
    /// The backrun reverted.
    #[error("backrun reverted after {gas_used} gas: {output}")]
    BackrunReverted {
        /// Gas used up to the revert.
        gas_used: u64,
        /// Revert data (the executor's custom error).
        output: Bytes,
    },
    /// The backrun halted (out of gas, invalid opcode, ...).
    #[error("backrun halted after {gas_used} gas: {reason:?}")]
    BackrunHalted {
        /// Gas used.
        gas_used: u64,
        /// The halt reason.
        reason: HaltReason,
    },
    /// The prediction handed to [`super::Simulator::simulate_predicted`] ran on another head.
    #[error("prediction made on head {predicted_on}, simulating on head {head}")]
    StalePrediction {
        /// The head the prediction ran on.
        predicted_on: u64,
        /// The head of the simulation.
        head: u64,
    },
    /// The profit probe (`balanceOf`) failed.
    #[error("profit probe failed: {0}")]
    Probe(String),
    /// State the bundle needs could not be fetched from the node.
    #[error("state fetch failed: {0}")]
    State(#[from] StateError),
}

crate::skip_reasons! {
    /// The kind of a [`SimError`]: the `reason` label of `searcher_skips_total{stage="sim"}`.
    pub enum SimSkip for "sim" {
        /// See [`SimError::Invalid`].
        Invalid => "invalid",
            "revm rejected the victim or the backrun before running it (nonce, balance for gas). Many: check the trading key's ETH balance.";
        /// See [`SimError::VictimFailed`].
        VictimFailed => "victim_failed",
            "The victim failed on the head state: no opportunity. Normal.";
        /// See [`SimError::BackrunReverted`].
        BackrunReverted => "backrun_reverted",
            "Our backrun reverted in revm (the executor's check failed). Now and then: the state moved. Many: check the executor (owner, inventory, code) and searcher_sim_mismatch_total.";
        /// See [`SimError::BackrunHalted`].
        BackrunHalted => "backrun_halted",
            "Our backrun halted (out of gas). Raise strategy.gas-limit-headroom-bps.";
        /// See [`SimError::StalePrediction`].
        StalePrediction => "stale_prediction",
            "A new head arrived between predict and sim. Normal at block boundaries.";
        /// See [`SimError::Probe`].
        Probe => "probe",
            "Reading the executor's WETH balance in revm failed. Check executor.address and market.base-tokens.";
        /// See [`SimError::State`].
        StateFetch => "state_fetch",
            "The node did not serve state the simulation needs. Many: the node is slow or unreachable.";
    }
}

impl SimError {
    /// The kind (the counted reason).
    pub const fn kind(&self) -> SimSkip {
        match self {
            Self::Invalid { .. } => SimSkip::Invalid,
            Self::VictimFailed { .. } => SimSkip::VictimFailed,
            Self::BackrunReverted { .. } => SimSkip::BackrunReverted,
            Self::BackrunHalted { .. } => SimSkip::BackrunHalted,
            Self::StalePrediction { .. } => SimSkip::StalePrediction,
            Self::Probe(_) => SimSkip::Probe,
            Self::State(_) => SimSkip::StateFetch,
        }
    }

    /// Whether our backrun is what failed (as opposed to the victim or the environment).
    pub const fn is_backrun_failure(&self) -> bool {
        matches!(self, Self::BackrunReverted { .. } | Self::BackrunHalted { .. })
    }

    /// Whether the node could not serve the state (a retry may succeed).
    pub const fn is_state_fetch(&self) -> bool {
        matches!(self, Self::State(_))
    }
}

impl From<ViewError> for SimError {
    fn from(err: ViewError) -> Self {
        match err {
            ViewError::State(err) => Self::State(err),
            other => Self::Probe(other.to_string()),
        }
    }
}

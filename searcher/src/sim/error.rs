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

impl SimError {
    /// The reason label counted in `searcher_skips_total{stage="sim", reason}`.
    pub const fn reason(&self) -> &'static str {
        match self {
            Self::Invalid { .. } => "invalid",
            Self::VictimFailed { .. } => "victim_failed",
            Self::BackrunReverted { .. } => "backrun_reverted",
            Self::BackrunHalted { .. } => "backrun_halted",
            Self::StalePrediction { .. } => "stale_prediction",
            Self::Probe(_) => "probe",
            Self::State(_) => "state_fetch",
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

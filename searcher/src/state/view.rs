//! Read-only contract calls inside a running EVM (`balanceOf`, `slot0`, ...): run on the
//! overlay's current state and discarded, never committed.

use super::{HeadEvm, StateError};
use alloy::primitives::{Address, Bytes, TxKind};
use revm::{
    ExecuteEvm,
    context::{TxEnv, result::ExecutionResult},
    context_interface::result::EVMError,
};

/// Gas given to a view call (capped by the block's gas limit).
pub const VIEW_GAS: u64 = 1_000_000;

/// Why a view call failed.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    /// The call reverted or halted.
    #[error("view call to {to} failed: {reason}")]
    Failed {
        /// The contract called.
        to: Address,
        /// Revert data or halt reason.
        reason: String,
    },
    /// The state behind the EVM could not be read.
    #[error(transparent)]
    State(#[from] StateError),
}

/// Calls `to` with `input` from the zero address on the EVM's current state and returns the
/// output. The call runs at a zero base fee and gas price (so it needs no funds) and its state
/// changes are dropped.
pub fn call(evm: &mut HeadEvm<'_>, to: Address, input: Bytes) -> Result<Bytes, ViewError> {
    let basefee = evm.ctx.block.basefee;
    evm.ctx.block.basefee = 0;
    let tx = TxEnv {
        caller: Address::ZERO,
        gas_limit: VIEW_GAS.min(evm.ctx.block.gas_limit),
        gas_price: 0,
        kind: TxKind::Call(to),
        data: input,
        chain_id: None,
        ..TxEnv::default()
    };
    let result = evm.transact(tx);
    evm.ctx.block.basefee = basefee;
    match result {
        Ok(outcome) => match outcome.result {
            ExecutionResult::Success { output, .. } => Ok(output.into_data()),
            ExecutionResult::Revert { output, .. } => {
                Err(ViewError::Failed { to, reason: format!("reverted {output}") })
            }
            ExecutionResult::Halt { reason, .. } => {
                Err(ViewError::Failed { to, reason: format!("halted {reason:?}") })
            }
        },
        Err(EVMError::Database(err)) => Err(ViewError::State(err)),
        Err(err) => Err(ViewError::Failed { to, reason: err.to_string() }),
    }
}

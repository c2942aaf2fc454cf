//! The predict stage: runs a pending transaction in revm on top of the head state and reads,
//! from the logs it emits, the post-state of the tracked pools it moves.
//!
//! It needs no decoder per router: whatever contract the transaction calls (Router02,
//! SwapRouter, an aggregator, a bot's own contract), the pools it touches say so in their own
//! events. V2 `Sync` carries the new reserves and V3 `Swap` the new price, liquidity and tick
//! (a swap never changes the tick map). A V3 `Mint`/`Burn` changes liquidity and ticks: the
//! pool's `slot0()` and `liquidity()` are then read from revm's post-state and the pool is
//! flagged so the market reloads its ticks.
//!
//! A MEV-Share hint has no transaction to run: [`read_hint`] reads what its logs reveal (the
//! exact post-state of pools whose `Sync`/`Swap` data was shared, else the pools a swap moved
//! by hidden amounts).
//!
//! The transaction runs in the environment of the next block (see
//! [`HeadInfo::next_block_env`](crate::state::HeadInfo::next_block_env)). Every dropped
//! transaction is counted in `searcher_skips_total{stage="predict", reason}` with a
//! [`PredictError::kind`]; every call's latency in `searcher_stage_seconds{stage="predict"}`.

mod error;
mod hint;
mod pending;
mod pools;

pub use error::{PredictError, PredictSkip};
pub use hint::{HiddenSwap, HintSkip, HintView, read_hint};
pub use pending::PendingBlock;
pub use pools::{PoolLookup, PredictedState, Protocol, TouchedPool};

use crate::{
    abi::IUniswapV3Pool,
    metrics::{self as m, StageTimer},
    state::{HeadEvm, HeadState, tx_env, view},
};
use alloy::{
    consensus::{Transaction, transaction::Recovered, transaction::TxHashRef},
    eips::Typed2718,
    primitives::{Address, B256, TxHash, TxKind, map::AddressSet},
    sol_types::SolCall,
};
use revm::{
    DatabaseRef, ExecuteCommitEvm, ExecuteEvm,
    context::{
        BlockEnv,
        result::{EVMError, ExecutionResult, HaltReason},
    },
    state::EvmState,
};
use std::{sync::Arc, time::Instant};
use tracing::debug;

/// A pending transaction's effect on the tracked pools.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prediction {
    /// The pending transaction.
    pub tx_hash: TxHash,
    /// The head block the prediction ran on.
    pub head: u64,
    /// Gas the transaction uses.
    pub gas_used: u64,
    /// The tracked pools it moves, in order of first touch, each with its post-state.
    pub pools: Vec<TouchedPool>,
    /// Every state change the transaction makes, so sim can start from its post-state
    /// ([`crate::sim::Simulator::simulate_predicted`]) instead of running it again.
    pub victim_state: VictimState,
}

/// A transaction's state changes as revm computed them on one head, in one block environment.
#[derive(Clone, PartialEq, Eq)]
pub struct VictimState {
    /// The head's block hash.
    pub head_hash: B256,
    /// The block environment the transaction ran in.
    pub block: BlockEnv,
    /// The accounts and slots it changed.
    pub changes: Arc<EvmState>,
}

impl std::fmt::Debug for VictimState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VictimState")
            .field("head_hash", &self.head_hash)
            .field("accounts", &self.changes.len())
            .finish_non_exhaustive()
    }
}

/// Runs pending transactions over the head state.
#[derive(Debug, Clone, Default)]
pub struct Predictor {
    ours: AddressSet,
    beneficiary: Option<Address>,
}

impl Predictor {
    /// A predictor that drops transactions sent by any of `ours` (the searcher's accounts).
    pub fn new(ours: impl IntoIterator<Item = Address>) -> Self {
        Self { ours: ours.into_iter().collect(), beneficiary: None }
    }

    /// Sets the coinbase of the simulated next block (default: the head's fee recipient).
    pub const fn with_beneficiary(mut self, beneficiary: Option<Address>) -> Self {
        self.beneficiary = beneficiary;
        self
    }

    /// Predicts an RPC pending transaction (as the watch stage's subscription yields it).
    pub fn predict_rpc(
        &self,
        head: &HeadState,
        tx: &alloy::rpc::types::Transaction,
        pools: &dyn PoolLookup,
    ) -> Result<Prediction, PredictError> {
        self.predict(head, &tx.inner, pools)
    }

    /// Runs `tx` on `head` and returns the post-state of the tracked pools it moves.
    ///
    /// Synchronous: state misses block (see [`crate::state`]); call it from a multi-thread
    /// runtime worker or a blocking thread.
    pub fn predict<T>(
        &self,
        head: &HeadState,
        tx: &Recovered<T>,
        pools: &dyn PoolLookup,
    ) -> Result<Prediction, PredictError>
    where
        T: Transaction + Typed2718 + TxHashRef,
    {
        let _timer = StageTimer::start(m::StageName::Predict);
        let started = Instant::now();
        let tx_hash = *tx.inner().tx_hash();
        let result = self.run(head, tx, tx_hash, pools);
        let elapsed = started.elapsed();
        match &result {
            Ok(prediction) => debug!(
                target: "searcher::predict",
                %tx_hash,
                head = head.number(),
                pools = prediction.pools.len(),
                gas_used = prediction.gas_used,
                elapsed_us = elapsed.as_micros() as u64,
                "predicted"
            ),
            Err(err) => {
                m::skip(err.kind());
                debug!(
                    target: "searcher::predict",
                    %tx_hash,
                    head = head.number(),
                    reason = err.kind().as_str(),
                    %err,
                    elapsed_us = elapsed.as_micros() as u64,
                    "dropped"
                );
            }
        }
        result
    }

    fn run<T>(
        &self,
        head: &HeadState,
        tx: &Recovered<T>,
        tx_hash: TxHash,
        lookup: &dyn PoolLookup,
    ) -> Result<Prediction, PredictError>
    where
        T: Transaction + Typed2718,
    {
        if self.ours.contains(&tx.signer()) {
            return Err(PredictError::Ours);
        }
        let TxKind::Call(to) = tx.kind() else { return Err(PredictError::NotContractCall) };
        if head.basic_ref(to)?.is_none_or(|account| account.is_empty_code_hash()) {
            return Err(PredictError::NotContractCall);
        }

        let block = head.next_block_env(self.beneficiary);
        let mut evm = head.evm(block.clone());
        let outcome = evm.transact(tx_env(tx)).map_err(invalid)?;
        let changes = Arc::new(outcome.state);
        let (gas_used, touched) = touched(&mut evm, outcome.result, &changes, lookup)?;
        let victim_state = VictimState { head_hash: head.info().hash, block, changes };
        Ok(Prediction { tx_hash, head: head.number(), gas_used, pools: touched, victim_state })
    }
}

/// A transaction revm refused (or a state read that failed): nothing ran.
fn invalid<E: std::fmt::Display>(err: EVMError<crate::state::StateError, E>) -> PredictError {
    match err {
        EVMError::Database(err) => PredictError::State(err),
        other => PredictError::Invalid(other.to_string()),
    }
}

/// The gas a transaction used and the tracked pools it moved, from its execution result
/// (`changes`, its state changes, are committed to `evm` when a V3 pool must be read again).
fn touched(
    evm: &mut HeadEvm<'_>,
    result: ExecutionResult,
    changes: &Arc<EvmState>,
    lookup: &dyn PoolLookup,
) -> Result<(u64, Vec<TouchedPool>), PredictError> {
    let (gas_used, logs) = match result {
        ExecutionResult::Success { gas, logs, .. } => (gas.tx_gas_used(), logs),
        ExecutionResult::Revert { gas, output, .. } => {
            return Err(PredictError::Reverted { gas_used: gas.tx_gas_used(), output });
        }
        ExecutionResult::Halt { reason: HaltReason::OutOfGas(_), gas, .. } => {
            return Err(PredictError::OutOfGas { gas_used: gas.tx_gas_used() });
        }
        ExecutionResult::Halt { reason, .. } => return Err(PredictError::Halted { reason }),
    };
    let (mut touched, reread) = pools::touched_pools(&logs, lookup);
    if !reread.is_empty() {
        evm.commit((**changes).clone());
        for pool in reread {
            let state = read_v3(evm, pool)?;
            match touched.iter_mut().find(|p| p.address == pool) {
                Some(entry) => entry.state = state,
                None => touched.push(TouchedPool { address: pool, state }),
            }
        }
    }
    if touched.is_empty() {
        return Err(PredictError::Untracked { gas_used });
    }
    Ok((gas_used, touched))
}

/// A V3 pool's `slot0()` and `liquidity()` on the EVM's current state.
fn read_v3(evm: &mut HeadEvm<'_>, pool: Address) -> Result<PredictedState, PredictError> {
    let slot0 = view::call(evm, pool, IUniswapV3Pool::slot0Call {}.abi_encode().into())?;
    let slot0 = IUniswapV3Pool::slot0Call::abi_decode_returns(&slot0)
        .map_err(|err| PredictError::PoolRead(format!("slot0 of {pool}: {err}")))?;
    let liquidity = view::call(evm, pool, IUniswapV3Pool::liquidityCall {}.abi_encode().into())?;
    let liquidity = IUniswapV3Pool::liquidityCall::abi_decode_returns(&liquidity)
        .map_err(|err| PredictError::PoolRead(format!("liquidity of {pool}: {err}")))?;
    Ok(PredictedState::V3 {
        sqrt_price_x96: slot0.sqrtPriceX96,
        liquidity,
        tick: slot0.tick.as_i32(),
        ticks_changed: true,
    })
}

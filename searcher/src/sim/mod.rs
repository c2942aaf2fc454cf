//! The sim stage: runs `[victim, backrun]` in revm on the head state, with the real executor
//! bytecode read from the node like any other contract, and reports the exact profit (the
//! change of the executor's WETH balance across the backrun), the gas used and what the
//! builder is paid.
//!
//! Native math (strategy) and revm must agree on profit; [`Simulator::reconcile`] compares
//! them, logs and counts any disagreement (`searcher_sim_mismatch_total`), and returns revm's
//! figure, which is the one used. Dropped bundles are counted in
//! `searcher_skips_total{stage="sim", reason}`, latency in `searcher_stage_seconds{stage="sim"}`.

mod error;

pub use error::{SimError, SimSkip};

use crate::{
    abi::IERC20,
    metrics::{self as m, StageTimer},
    predict::{Prediction, VictimState},
    state::{HeadEvm, HeadState, view},
};
use alloy::{
    primitives::{Address, I256, Log, TxHash, U256},
    sol_types::SolCall,
};
use revm::{
    DatabaseRef, ExecuteCommitEvm,
    context::{
        TxEnv,
        result::{EVMError, ExecutionResult},
    },
};
use tracing::{debug, warn};

/// Whose balance of which token measures profit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProfitProbe {
    /// The ERC-20 counted (WETH for the executor).
    pub token: Address,
    /// The account whose balance is counted (the executor).
    pub holder: Address,
}

/// The figures of one simulated `[victim, backrun]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimOutcome {
    /// The head block the bundle ran on.
    pub head: u64,
    /// Holder's token balance after the backrun minus before it (wei; negative is a loss).
    pub profit: I256,
    /// Holder's token balance after the victim, before the backrun.
    pub balance_before: U256,
    /// Holder's token balance after the backrun.
    pub balance_after: U256,
    /// Gas the victim uses.
    pub victim_gas_used: u64,
    /// Gas the backrun uses.
    pub gas_used: u64,
    /// What the builder (the block's coinbase) receives from the backrun: its coinbase
    /// balance change across it.
    pub builder_payment: U256,
    /// The part of [`Self::builder_payment`] paid as priority fee (effective tip × gas used).
    pub priority_fee: U256,
    /// The part paid by direct transfer to the coinbase (the executor's bribe).
    pub coinbase_transfer: U256,
    /// The backrun's logs.
    pub logs: Vec<Log>,
}

/// Simulates bundles against the head state.
#[derive(Debug, Clone)]
pub struct Simulator {
    probe: ProfitProbe,
    beneficiary: Option<Address>,
}

impl Simulator {
    /// A simulator measuring profit with `probe`.
    pub const fn new(probe: ProfitProbe) -> Self {
        Self { probe, beneficiary: None }
    }

    /// A simulator measuring the executor's WETH balance.
    pub const fn for_executor(executor: Address, weth: Address) -> Self {
        Self::new(ProfitProbe { token: weth, holder: executor })
    }

    /// Sets the coinbase of the simulated next block (default: the head's fee recipient).
    pub const fn with_beneficiary(mut self, beneficiary: Option<Address>) -> Self {
        self.beneficiary = beneficiary;
        self
    }

    /// The profit probe.
    pub const fn probe(&self) -> ProfitProbe {
        self.probe
    }

    /// Runs `victim` then `backrun` on `head` in the next block's environment and measures
    /// the backrun. Build the transaction environments with [`crate::state::tx_env`].
    ///
    /// Synchronous: state misses block (see [`crate::state`]).
    pub fn simulate(
        &self,
        head: &HeadState,
        victim: TxEnv,
        backrun: TxEnv,
    ) -> Result<SimOutcome, SimError> {
        let _timer = StageTimer::start(m::StageName::Sim);
        let result = self.run(head, Victim::Execute(victim), backrun);
        self.record(head, &result);
        result
    }

    /// Like [`Self::simulate`], but starts from the victim's post-state that predict already
    /// computed on this head, instead of running the victim again: the same figures, one
    /// transaction cheaper. The block environment is the prediction's (the simulator's own
    /// beneficiary setting does not apply).
    pub fn simulate_predicted(
        &self,
        head: &HeadState,
        victim: &Prediction,
        backrun: TxEnv,
    ) -> Result<SimOutcome, SimError> {
        let _timer = StageTimer::start(m::StageName::Sim);
        let result = if victim.victim_state.head_hash == head.info().hash {
            self.run(head, Victim::Replay(&victim.victim_state, victim.gas_used), backrun)
        } else {
            Err(SimError::StalePrediction { predicted_on: victim.head, head: head.number() })
        };
        self.record(head, &result);
        result
    }

    fn record(&self, head: &HeadState, result: &Result<SimOutcome, SimError>) {
        match result {
            Ok(outcome) => debug!(
                target: "searcher::sim",
                head = head.number(),
                profit_wei = %outcome.profit,
                gas_used = outcome.gas_used,
                builder_payment_wei = %outcome.builder_payment,
                "simulated"
            ),
            Err(err) => {
                m::skip(err.kind());
                debug!(target: "searcher::sim", head = head.number(), reason = err.kind().as_str(), %err, "bundle dropped");
            }
        }
    }

    fn run(
        &self,
        head: &HeadState,
        victim: Victim<'_>,
        backrun: TxEnv,
    ) -> Result<SimOutcome, SimError> {
        let block = match &victim {
            Victim::Execute(_) => head.next_block_env(self.beneficiary),
            Victim::Replay(state, _) => state.block.clone(),
        };
        let (coinbase, basefee) = (block.beneficiary, block.basefee);
        let mut evm = head.evm(block);

        let victim_gas_used = match victim {
            Victim::Replay(state, gas_used) => {
                evm.commit((*state.changes).clone());
                gas_used
            }
            Victim::Execute(tx) => match evm.transact_commit(tx).map_err(invalid(0))? {
                ExecutionResult::Success { gas, .. } => gas.tx_gas_used(),
                ExecutionResult::Revert { output, .. } => {
                    return Err(SimError::VictimFailed { reason: format!("reverted {output}") });
                }
                ExecutionResult::Halt { reason, .. } => {
                    return Err(SimError::VictimFailed { reason: format!("halted {reason:?}") });
                }
            },
        };

        let balance_before = self.balance(&mut evm)?;
        let coinbase_before = coinbase_balance(&evm, coinbase)?;
        let tip = effective_tip(&backrun, basefee);
        let (gas_used, logs) = match evm.transact_commit(backrun).map_err(invalid(1))? {
            ExecutionResult::Success { gas, logs, .. } => (gas.tx_gas_used(), logs),
            ExecutionResult::Revert { gas, output, .. } => {
                return Err(SimError::BackrunReverted { gas_used: gas.tx_gas_used(), output });
            }
            ExecutionResult::Halt { gas, reason, .. } => {
                return Err(SimError::BackrunHalted { gas_used: gas.tx_gas_used(), reason });
            }
        };
        let coinbase_after = coinbase_balance(&evm, coinbase)?;
        let balance_after = self.balance(&mut evm)?;

        let builder_payment = coinbase_after.saturating_sub(coinbase_before);
        let priority_fee = U256::from(tip) * U256::from(gas_used);
        Ok(SimOutcome {
            head: head.number(),
            profit: signed(balance_after) - signed(balance_before),
            balance_before,
            balance_after,
            victim_gas_used,
            gas_used,
            builder_payment,
            priority_fee,
            coinbase_transfer: builder_payment.saturating_sub(priority_fee),
            logs,
        })
    }

    /// `token.balanceOf(holder)` on the EVM's current state.
    fn balance(&self, evm: &mut HeadEvm<'_>) -> Result<U256, SimError> {
        let call = IERC20::balanceOfCall { owner: self.probe.holder };
        let output = view::call(evm, self.probe.token, call.abi_encode().into())?;
        IERC20::balanceOfCall::abi_decode_returns(&output)
            .map_err(|err| SimError::Probe(format!("balanceOf: {err}")))
    }

    /// Compares the strategy's native-math profit with revm's and returns revm's.
    ///
    /// A disagreement means the native model of some pool is wrong or stale: it is logged with
    /// both figures and counted in `searcher_sim_mismatch_total`, and revm's figure wins.
    pub fn reconcile(&self, victim: TxHash, native_profit: U256, outcome: &SimOutcome) -> I256 {
        let native = I256::try_from(native_profit).unwrap_or(I256::MAX);
        if native != outcome.profit {
            ::metrics::counter!(m::SIM_MISMATCH_TOTAL).increment(1);
            warn!(
                target: "searcher::sim",
                %victim,
                head = outcome.head,
                native_wei = %native_profit,
                revm_wei = %outcome.profit,
                diff_wei = %(native.saturating_sub(outcome.profit)),
                "native profit disagrees with revm; using revm"
            );
        }
        outcome.profit
    }
}

/// How the victim gets into the overlay before the backrun.
#[expect(
    clippy::large_enum_variant,
    reason = "lives on the stack for one call and is moved into the EVM; a box only adds an allocation"
)]
enum Victim<'a> {
    /// Run it.
    Execute(TxEnv),
    /// Apply the changes predict computed (and the gas it used).
    Replay(&'a VictimState, u64),
}

fn invalid(index: usize) -> impl FnOnce(EVMError<crate::state::StateError>) -> SimError {
    move |err| match err {
        EVMError::Database(err) => SimError::State(err),
        other => SimError::Invalid { index, reason: other.to_string() },
    }
}

fn coinbase_balance(evm: &HeadEvm<'_>, coinbase: Address) -> Result<U256, SimError> {
    let account = evm.ctx.journaled_state.database.basic_ref(coinbase)?;
    Ok(account.map(|a| a.balance).unwrap_or_default())
}

/// The priority fee per gas a transaction pays at `basefee`.
fn effective_tip(tx: &TxEnv, basefee: u64) -> u128 {
    let headroom = tx.gas_price.saturating_sub(u128::from(basefee));
    tx.gas_priority_fee.map_or(headroom, |tip| tip.min(headroom))
}

fn signed(value: U256) -> I256 {
    I256::try_from(value).unwrap_or(I256::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(profit: i64) -> SimOutcome {
        SimOutcome {
            head: 7,
            profit: I256::try_from(profit).expect("fits"),
            balance_before: U256::ZERO,
            balance_after: U256::ZERO,
            victim_gas_used: 0,
            gas_used: 0,
            builder_payment: U256::ZERO,
            priority_fee: U256::ZERO,
            coinbase_transfer: U256::ZERO,
            logs: Vec::new(),
        }
    }

    #[test]
    fn reconcile_returns_revm_figure_whether_or_not_native_agrees() {
        let sim = Simulator::for_executor(Address::repeat_byte(1), Address::repeat_byte(2));
        let hash = TxHash::repeat_byte(3);
        assert_eq!(
            sim.reconcile(hash, U256::from(100), &outcome(100)),
            I256::try_from(100).unwrap()
        );
        assert_eq!(
            sim.reconcile(hash, U256::from(101), &outcome(100)),
            I256::try_from(100).unwrap()
        );
        assert_eq!(sim.reconcile(hash, U256::from(5), &outcome(-3)), I256::try_from(-3).unwrap());
        assert_eq!(sim.reconcile(hash, U256::MAX, &outcome(1)), I256::ONE);
    }

    #[test]
    fn effective_tip_is_capped_by_the_fee_cap_headroom() {
        let eip1559 = |cap: u128, tip: u128| TxEnv {
            gas_price: cap,
            gas_priority_fee: Some(tip),
            ..TxEnv::default()
        };
        assert_eq!(effective_tip(&eip1559(100, 2), 90), 2);
        assert_eq!(effective_tip(&eip1559(100, 20), 90), 10);
        assert_eq!(effective_tip(&eip1559(80, 20), 90), 0);
        let legacy = TxEnv { gas_price: 100, gas_priority_fee: None, ..TxEnv::default() };
        assert_eq!(effective_tip(&legacy, 90), 10);
    }
}

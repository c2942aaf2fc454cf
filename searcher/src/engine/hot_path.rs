//! One pending transaction through decode → predict → strategy → exec (bid, calldata) ⇄ sim →
//! sign, ending in a [`Plan`]: a signed backrun proven in revm, or the reason there is none.
//!
//! Synchronous on purpose: predict and sim run revm, whose state misses block on the node.
//! The engine calls [`Inner::plan`] on a blocking thread. The market's read guard is held
//! through predict and strategy only; from the owned candidates on, nothing here reads the
//! market, so a new head's write lock never waits on a simulation.

use super::{Inner, now_ms};
use crate::{
    exec::{
        bid::{Bid, BidMode, BidRejection},
        calldata::{Bribe, Capital, HopKind, Program, ProgramHop},
        fees::Fees,
        gas::calldata_gas,
        sign::{BackrunRequest, SignedBackrun, sign_transaction},
    },
    market::pool::PoolKind,
    metrics::{self as m, DecodeSkip, ExecSkip, StageName, StageTimer},
    predict::{PredictError, Prediction},
    sim::SimOutcome,
    state::{HeadState, tx_env},
    store::bundles::{OpportunityRecord, Route, RouteHop},
    strategy::{self, Candidate},
};
use alloy::{
    consensus::{Transaction as _, TxEip1559, TxEnvelope, transaction::Recovered},
    eips::eip2718::Encodable2718,
    primitives::{Address, Bytes, TxHash, U256},
    rpc::types::Transaction,
};
use tracing::{debug, info, warn};

/// A backrun ready to bundle.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The victim's hash.
    pub victim_hash: TxHash,
    /// The victim's EIP-2718 bytes.
    pub victim_raw: Bytes,
    /// Our signed backrun.
    pub backrun: SignedBackrun,
    /// The block the bundle targets (head + 1).
    pub target_block: u64,
    /// The head it was simulated on.
    pub head_block: u64,
    /// The sized cycle.
    pub candidate: Candidate,
    /// revm's figures.
    pub sim: SimOutcome,
    /// The bid as finally priced.
    pub bid: Bid,
    /// The opportunity row recorded for it.
    pub opportunity: OpportunityRecord,
    /// Better-ranked candidates of the same victim that were dropped before this one was
    /// proven, with why (recorded too).
    pub dropped: Vec<OpportunityRecord>,
}

/// Why a pending transaction produced no backrun.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoPlan {
    /// Dropped before any cycle was evaluated (counted by the stage that dropped it; the
    /// label is its reason).
    Dropped(&'static str),
    /// Cycles were evaluated; none survived. The records say why.
    NoneViable(Vec<OpportunityRecord>),
}

/// Why a proven candidate was dropped, by the stage that dropped it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dropped {
    /// Pricing, encoding, settling, signing.
    Exec(ExecSkip),
    /// The simulation.
    Sim(crate::sim::SimSkip),
    /// The risk limits.
    Risk(super::RiskBlock),
}

impl Dropped {
    /// Counts it in `searcher_skips_total` and returns its label.
    fn count(self) -> &'static str {
        match self {
            Self::Exec(r) => {
                m::skip(r);
                r.as_str()
            }
            // The simulator counts its own errors.
            Self::Sim(r) => r.as_str(),
            Self::Risk(r) => {
                m::skip(r);
                r.as_str()
            }
        }
    }
}

impl From<ExecSkip> for Dropped {
    fn from(r: ExecSkip) -> Self {
        Self::Exec(r)
    }
}

impl From<super::RiskBlock> for Dropped {
    fn from(r: super::RiskBlock) -> Self {
        Self::Risk(r)
    }
}

/// The route of a candidate, for its record (no formatting on the hot path).
pub(crate) fn route_of(candidate: &Candidate) -> Route {
    Route {
        hops: candidate
            .hops
            .iter()
            .map(|h| RouteHop {
                dex: h.dex.clone(),
                pool: h.pool,
                token_in: h.token_in,
                token_out: h.token_out,
            })
            .collect(),
    }
}

impl Inner {
    /// The hot path for one pending transaction.
    pub(super) fn plan(&self, tx: &Transaction) -> Result<Plan, NoPlan> {
        let total = StageTimer::start(StageName::Total);
        let (recovered, victim_raw) = {
            let _t = StageTimer::start(StageName::Decode);
            decode(tx, self.chain_id)?
        };
        self.plan_predicted(total, &recovered, victim_raw, |head, lookup| {
            self.predictor.predict(head, &recovered, lookup)
        })
    }

    /// The hot path for one transaction read from the Arbitrum sequencer feed: predicted on
    /// the pending block (everything sequenced since the head), which is replaced first when
    /// the engine's head has moved on (the block arrived). Reached only through the
    /// `test-utils` hook until the feed is a source of `Engine::run`.
    #[cfg(any(test, feature = "test-utils"))]
    pub(super) fn plan_sequenced(
        &self,
        tx: &Recovered<TxEnvelope>,
        pending: &mut crate::predict::PendingBlock,
    ) -> Result<Plan, NoPlan> {
        let total = StageTimer::start(StageName::Total);
        let victim_raw = {
            let _t = StageTimer::start(StageName::Decode);
            if let Err(r) = decode_filter(tx.inner(), self.chain_id) {
                m::skip(r);
                // Not a victim, but sequenced: the next transactions run after it.
                let head = self.state.head();
                if pending.head().info().hash != head.info().hash {
                    pending.reset(head);
                }
                if let Err(err) = self.predictor.apply_sequenced(pending, tx) {
                    debug!(target: "searcher::engine", tx = %tx.tx_hash(), %err, "sequenced transaction not applied");
                }
                return Err(NoPlan::Dropped(r.as_str()));
            }
            Bytes::from(tx.inner().encoded_2718())
        };
        self.plan_predicted(total, tx, victim_raw, |head, lookup| {
            if pending.head().info().hash != head.info().hash {
                pending.reset(head.clone());
            }
            self.predictor.predict_sequenced(pending, tx, lookup)
        })
    }

    /// From the prediction on: strategy, then exec ⇄ sim and sign for each candidate until one
    /// is proven. `predict` runs under the market's read guard, on the current head.
    fn plan_predicted(
        &self,
        total: StageTimer,
        recovered: &Recovered<TxEnvelope>,
        victim_raw: Bytes,
        predict: impl FnOnce(
            &std::sync::Arc<HeadState>,
            &dyn crate::predict::PoolLookup,
        ) -> Result<Prediction, PredictError>,
    ) -> Result<Plan, NoPlan> {
        // The read guard covers predict and strategy only: `candidates` is owned.
        let (head, prediction, candidates, next_base_fee) = {
            let market = self.market.blocking_read();
            // Read under the guard: the head task publishes state and market together.
            let head = self.state.head();
            let lookup = |a: Address| market.pool_by_address(a).map(|p| p.pool.kind.protocol());
            let prediction = predict(&head, &lookup)
                .map_err(|e: PredictError| NoPlan::Dropped(e.kind().as_str()))?;
            self.stats.victim();
            let next_base_fee = u128::from(head.info().next_base_fee(head.chain().base_fee_params));
            let candidates =
                strategy::evaluate(&market, &prediction, &self.strategy, next_base_fee);
            (head, prediction, candidates, next_base_fee)
        };
        if candidates.is_empty() {
            return Err(NoPlan::Dropped(crate::strategy::StrategySkip::Unprofitable.as_str()));
        }
        self.stats.candidates.fetch_add(1, std::sync::atomic::Ordering::Relaxed);

        let mut records = Vec::new();
        for candidate in candidates {
            let mut record = OpportunityRecord {
                created_at_ms: now_ms(),
                head_block: head.number(),
                target_block: head.number() + 1,
                victim_hash: *recovered.tx_hash(),
                cycle: route_of(&candidate),
                amount_in: candidate.amount_in,
                native_profit: candidate.profit,
                simulated_profit: None,
                gas_used: None,
                bid: None,
                bid_mode: None,
                net_profit: None,
                backrun_hash: None,
                status: String::new(),
            };
            match self.prove(&head, recovered, &prediction, &candidate, next_base_fee) {
                Ok((backrun, sim, bid)) => {
                    record.simulated_profit = Some(gross_of(&sim, &bid));
                    record.gas_used = Some(sim.gas_used);
                    record.bid = Some(bid.builder_payment);
                    record.bid_mode = Some(bid_mode_label(self.config.bid.mode).into());
                    record.net_profit = Some(bid.net_profit);
                    record.backrun_hash = Some(backrun.hash);
                    record.status = "bundled".into();
                    drop(total);
                    info!(
                        target: "searcher::engine",
                        victim = %recovered.tx_hash(),
                        cycle = %record.cycle,
                        amount_in = %candidate.amount_in,
                        profit_wei = %record.simulated_profit.unwrap_or_default(),
                        net_wei = %bid.net_profit,
                        bid_wei = %bid.builder_payment,
                        gas = sim.gas_used,
                        "backrun signed"
                    );
                    return Ok(Plan {
                        victim_hash: *recovered.tx_hash(),
                        victim_raw,
                        backrun,
                        target_block: head.number() + 1,
                        head_block: head.number(),
                        candidate,
                        sim,
                        bid,
                        opportunity: record,
                        dropped: records,
                    });
                }
                Err(dropped) => {
                    let reason = dropped.count();
                    debug!(target: "searcher::engine", victim = %recovered.tx_hash(), reason, "candidate dropped");
                    record.status = reason.into();
                    records.push(record);
                }
            }
        }
        Err(NoPlan::NoneViable(records))
    }

    /// Prices, encodes and simulates a candidate after the victim (starting from predict's
    /// post-state, so the victim is not run again), then signs that exact transaction once:
    /// what is signed is what was simulated.
    ///
    /// The bid depends on the gas, and the gas on the bid's calldata bytes (see
    /// [`crate::exec::gas`]): the bid is settled locally on the cycle's execution gas (learned
    /// from an earlier simulation, else the native estimate) and proven by a simulation, which
    /// must show exactly the settled gas and the profit priced. When it does not (first sight
    /// of a cycle, changed state), the bid settles again on revm's figures and is proven again.
    fn prove(
        &self,
        head: &HeadState,
        victim: &Recovered<TxEnvelope>,
        prediction: &Prediction,
        candidate: &Candidate,
        next_base_fee: u128,
    ) -> Result<(SignedBackrun, SimOutcome, Bid), Dropped> {
        let policy = self.bid_policy();
        let nonce = self.nonces.reserve(head.number() + 1);
        let from = self.signer.address();
        let mut gross = candidate.profit;
        let mut execution_gas =
            self.gas_memo.get(candidate.cycle).unwrap_or(candidate.gas_estimate);
        const PASSES: usize = 3;
        for _ in 0..PASSES {
            let (tx, bid, settled_gas) =
                self.settle(candidate, &policy, gross, execution_gas, nonce, next_base_fee)?;
            let calldata = calldata_gas(&tx.input);
            let outcome = self
                .simulator
                .simulate_predicted(
                    head,
                    prediction,
                    tx_env(&Recovered::new_unchecked(tx.clone(), from)),
                )
                .map_err(|e| Dropped::Sim(e.kind()))?;
            let native_net = candidate.profit.saturating_sub(bid.coinbase_payment);
            let revm_net = self.simulator.reconcile(*victim.tx_hash(), native_net, &outcome);
            let revm_gross = U256::try_from(revm_net)
                .map_err(|_| ExecSkip::SimLoss)?
                .checked_add(outcome.coinbase_transfer)
                .ok_or(ExecSkip::Overflow)?;
            if outcome.gas_used == settled_gas && revm_gross == gross {
                self.gas_memo.record(candidate.cycle, settled_gas - calldata);
                self.risk.check(&bid, &outcome, next_base_fee)?;
                let _t = StageTimer::start(StageName::Sign);
                let backrun = sign_transaction(&self.signer, tx).map_err(|_| ExecSkip::Sign)?;
                return Ok((backrun, outcome, bid));
            }
            execution_gas = outcome.gas_used.saturating_sub(calldata);
            gross = revm_gross;
        }
        // revm kept moving the figures: don't send a guess.
        Err(ExecSkip::SimUnstable.into())
    }

    /// The bid and transaction consistent with `execution_gas`: prices on a gas figure,
    /// encodes, and repeats until the encoded calldata's cost gives that same figure back.
    /// Returns the transaction, its bid and its expected gas.
    fn settle(
        &self,
        candidate: &Candidate,
        policy: &crate::exec::bid::BidPolicy,
        gross: U256,
        execution_gas: u64,
        nonce: u64,
        next_base_fee: u128,
    ) -> Result<(TxEip1559, Bid, u64), ExecSkip> {
        let ((tx, bid), gas) = settle_gas(execution_gas, |gas| {
            let bid = policy.price(gross, gas, next_base_fee).map_err(|r| match r {
                BidRejection::BelowGas => ExecSkip::BelowGas,
                BidRejection::BelowMinProfit => ExecSkip::BelowMinProfit,
            })?;
            let tx = self.backrun_tx(candidate, &bid, nonce, self.gas_limit(gas), next_base_fee)?;
            let calldata = calldata_gas(&tx.input);
            Ok(((tx, bid), calldata))
        })?;
        Ok((tx, bid, gas))
    }

    fn bid_policy(&self) -> crate::exec::bid::BidPolicy {
        let mut policy = self.config.bid.clone();
        policy.max_bid_wei = policy.max_bid_wei.min(self.config.risk.max_bid_wei);
        policy.min_profit_wei = policy.min_profit_wei.max(self.config.risk.min_profit_wei);
        policy
    }

    fn gas_limit(&self, gas: u64) -> u64 {
        gas.saturating_mul(u64::from(self.config.strategy.gas_limit_headroom_bps)) / 10_000
    }

    /// The unsigned backrun for a candidate at a bid.
    fn backrun_tx(
        &self,
        candidate: &Candidate,
        bid: &Bid,
        nonce: u64,
        gas_limit: u64,
        next_base_fee: u128,
    ) -> Result<TxEip1559, ExecSkip> {
        let _t = StageTimer::start(StageName::Encode);
        let program =
            program_for(candidate, self.config.executor.capital, bid, self.config.bid.mode);
        let input = program.encode().map_err(|_| ExecSkip::Encode)?;
        let fees = Fees::with_base_fee(next_base_fee, bid.priority_fee_per_gas);
        let req = BackrunRequest {
            chain_id: self.chain_id,
            to: self.config.executor.address,
            input,
            nonce,
            gas_limit,
            fees,
        };
        Ok(req.transaction())
    }
}

/// Rounds [`settle_gas`] tries before giving up.
pub(crate) const SETTLE_ROUNDS: usize = 6;

/// The gas fixed point of a backrun. The bid depends on the gas and the gas on the bid's
/// calldata bytes: `encode(gas)` prices and encodes at a gas figure and returns the result
/// and its calldata gas; the settled figure is the one whose encoding gives it back
/// (`execution_gas + calldata == gas`).
///
/// Often there is no fixed point: a byte of the bid moves between zero and non-zero with each
/// price and the figures cycle (seen on the devnet for about one backrun in five). Then the
/// backrun is priced at the highest figure of the cycle, provided its own encoding costs no
/// more than that: the bid then covers every unit of gas the transaction uses, and a few gas
/// units are paid for twice rather than an opportunity dropped. Only figures that keep
/// growing are [`ExecSkip::BidUnstable`].
pub(crate) fn settle_gas<T>(
    execution_gas: u64,
    mut encode: impl FnMut(u64) -> Result<(T, u64), ExecSkip>,
) -> Result<(T, u64), ExecSkip> {
    let mut gas = execution_gas;
    let mut highest = gas;
    let mut previous = None;
    for _ in 0..SETTLE_ROUNDS {
        let (item, calldata) = encode(gas)?;
        let total = execution_gas + calldata;
        if total == gas {
            return Ok((item, total));
        }
        highest = highest.max(total);
        if previous == Some(total) {
            break; // a two-figure cycle: no need to go round it again
        }
        previous = Some(gas);
        gas = total;
    }
    let (item, calldata) = encode(highest)?;
    if execution_gas + calldata <= highest {
        return Ok((item, highest));
    }
    Err(ExecSkip::BidUnstable)
}

/// The executor program for a candidate.
pub fn program_for(candidate: &Candidate, capital: Capital, bid: &Bid, mode: BidMode) -> Program {
    let hops: Vec<ProgramHop> = candidate
        .hops
        .iter()
        .map(|h| ProgramHop {
            kind: match h.kind {
                PoolKind::UniswapV2 { .. } => HopKind::V2,
                PoolKind::UniswapV3 { .. } => HopKind::V3,
            },
            pool: h.pool,
            zero_for_one: h.zero_for_one,
            amount_out: h.amount_out,
        })
        .collect();
    let bribe = match mode {
        BidMode::CoinbaseTransfer if !bid.coinbase_payment.is_zero() => {
            Bribe::FromWeth(bid.coinbase_payment)
        }
        _ => Bribe::None,
    };
    Program {
        capital,
        amount_in: candidate.amount_in,
        // The contract reverts unless out - in >= minProfit + bribe; minProfit is the base-fee
        // cost of the transaction, so a backrun that lands never loses to the base fee.
        min_profit: bid.gas_cost.saturating_sub(bid.builder_payment - bid.coinbase_payment),
        bribe,
        hops,
    }
}

fn gross_of(sim: &SimOutcome, bid: &Bid) -> U256 {
    U256::try_from(sim.profit).unwrap_or_default() + bid.coinbase_payment
}

const fn bid_mode_label(mode: BidMode) -> &'static str {
    match mode {
        BidMode::CoinbaseTransfer => "coinbase-transfer",
        BidMode::PriorityFee => "priority-fee",
    }
}

/// The decode stage's filter: a transaction that cannot move a pool, or cannot be bundled.
pub(crate) fn decode_filter(tx: &TxEnvelope, chain_id: u64) -> Result<(), DecodeSkip> {
    if tx.to().is_none() || tx.input().is_empty() {
        return Err(DecodeSkip::NotContractCall);
    }
    if tx.chain_id().is_some_and(|id| id != chain_id) {
        return Err(DecodeSkip::WrongChain);
    }
    if tx.is_eip4844() {
        // Blob transactions cannot be bundled as raw envelopes without their sidecar.
        return Err(DecodeSkip::BlobTx);
    }
    Ok(())
}

fn decode(tx: &Transaction, chain_id: u64) -> Result<(Recovered<TxEnvelope>, Bytes), NoPlan> {
    let recovered = tx.inner.clone();
    if let Err(reason) = decode_filter(recovered.inner(), chain_id) {
        m::skip(reason);
        return Err(NoPlan::Dropped(reason.as_str()));
    }
    let raw: Bytes = recovered.inner().encoded_2718().into();
    Ok((recovered, raw))
}

/// Logs a plan that could not be sent.
pub(super) fn warn_unsendable(plan: &Plan, err: &dyn std::fmt::Display) {
    warn!(target: "searcher::engine", victim = %plan.victim_hash, %err, "bundle not sent");
}

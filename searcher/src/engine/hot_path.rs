//! One pending transaction through decode → predict → strategy → exec (bid, calldata,
//! nonce, signature) → sim, ending in a [`Plan`]: a signed backrun proven in revm, or the
//! reason there is none.
//!
//! Synchronous on purpose: predict and sim run revm, whose state misses block on the node.
//! The engine calls [`Inner::plan`] on a blocking thread.

use super::{Inner, now_ms};
use crate::{
    config::Capital as CapitalConfig,
    exec::{
        bid::{Bid, BidMode, BidRejection},
        calldata::{Bribe, Capital, Hop as ProgramHop, PoolKind as ProgramKind, Program},
        fees::Fees,
        gas::calldata_gas,
        sign::{BackrunRequest, SignedBackrun, sign_transaction},
    },
    market::pool::PoolKind,
    metrics::{self as m, StageTimer},
    predict::{PoolKindTag, PredictError, Prediction},
    sim::SimOutcome,
    state::{HeadState, tx_env},
    store::bundles::OpportunityRecord,
    strategy::{self, Candidate, StrategyParams},
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
}

/// Why a pending transaction produced no backrun.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoPlan {
    /// Dropped before any cycle was evaluated (counted by the stage that dropped it).
    Dropped(&'static str),
    /// Cycles were evaluated; none survived. The records say why.
    NoneViable(Vec<OpportunityRecord>),
}

impl Inner {
    /// The hot path for one pending transaction.
    pub(super) fn plan(&self, tx: &Transaction) -> Result<Plan, NoPlan> {
        let total = StageTimer::start("total");
        let (recovered, victim_raw) = {
            let _t = StageTimer::start("decode");
            decode(tx, self.chain_id)?
        };
        let head = self.state.head();
        let market = self.market.blocking_read();

        let lookup = |a: Address| {
            market.pool_by_address(a).map(|p| match p.pool.kind {
                PoolKind::UniswapV2 { .. } => PoolKindTag::V2,
                PoolKind::UniswapV3 { .. } => PoolKindTag::V3,
            })
        };
        let prediction = self
            .predictor
            .predict(&head, &recovered, &lookup)
            .map_err(|e: PredictError| NoPlan::Dropped(e.reason()))?;
        self.stats.predicted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);

        let next_base_fee = u128::from(head.info().next_base_fee(head.chain().base_fee_params));
        let params = StrategyParams {
            max_input: self.config.strategy.max_input_wei,
            gas_per_hop: self.config.strategy.gas_estimate_per_hop,
            gas_base: 40_000,
            next_base_fee,
            max_candidates: self.config.strategy.max_candidates,
            deny_tokens: self.config.risk.deny_tokens.iter().copied().collect(),
        };
        let candidates = strategy::evaluate(&market, &prediction, &params);
        if candidates.is_empty() {
            return Err(NoPlan::Dropped("no_candidate"));
        }
        self.stats.candidates.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let symbol = |a: Address| {
            market
                .token_idx(a)
                .and_then(|i| market.token(i))
                .and_then(|t| t.symbol.clone())
                .unwrap_or_else(|| a.to_string())
        };

        let mut records = Vec::new();
        for candidate in candidates {
            let mut record = OpportunityRecord {
                created_at_ms: now_ms(),
                head_block: head.number(),
                target_block: head.number() + 1,
                victim_hash: *recovered.tx_hash(),
                cycle: candidate.describe(symbol),
                amount_in: candidate.amount_in,
                predicted_profit: candidate.profit,
                simulated_profit: None,
                gas_used: None,
                bid: None,
                bid_mode: None,
                net_profit: None,
                backrun_hash: None,
                status: String::new(),
            };
            match self.prove(&head, &recovered, &prediction, &candidate, next_base_fee) {
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
                    });
                }
                Err(reason) => {
                    m::skip("exec", reason);
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
    ) -> Result<(SignedBackrun, SimOutcome, Bid), &'static str> {
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
                .map_err(|e| e.reason())?;
            let native_net = candidate.profit.saturating_sub(bid.coinbase_payment);
            let revm_net = self.simulator.reconcile(*victim.tx_hash(), native_net, &outcome);
            let revm_gross = U256::try_from(revm_net)
                .map_err(|_| "sim_loss")?
                .checked_add(outcome.coinbase_transfer)
                .ok_or("overflow")?;
            if outcome.gas_used == settled_gas && revm_gross == gross {
                self.gas_memo.record(candidate.cycle, settled_gas - calldata);
                self.risk.check(&bid, &outcome, next_base_fee)?;
                let _t = StageTimer::start("sign");
                let backrun = sign_transaction(&self.signer, tx).map_err(|_| "sign")?;
                return Ok((backrun, outcome, bid));
            }
            execution_gas = outcome.gas_used.saturating_sub(calldata);
            gross = revm_gross;
        }
        // revm kept moving the figures: don't send a guess.
        Err("sim_unstable")
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
    ) -> Result<(TxEip1559, Bid, u64), &'static str> {
        let mut gas = execution_gas;
        for _ in 0..6 {
            let bid = policy.price(gross, gas, next_base_fee).map_err(BidRejection::as_str)?;
            let tx = self.backrun_tx(candidate, &bid, nonce, self.gas_limit(gas), next_base_fee)?;
            let total = execution_gas + calldata_gas(&tx.input);
            if total == gas {
                return Ok((tx, bid, total));
            }
            gas = total;
        }
        // A byte flipping between zero and non-zero with each price: rare, and not worth a
        // guess.
        Err("bid_unstable")
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
    ) -> Result<TxEip1559, &'static str> {
        let _t = StageTimer::start("encode");
        let program =
            program_for(candidate, self.config.executor.capital, bid, self.config.bid.mode);
        let input = program.encode().map_err(|_| "encode")?;
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

/// The executor program for a candidate.
pub fn program_for(
    candidate: &Candidate,
    capital: CapitalConfig,
    bid: &Bid,
    mode: BidMode,
) -> Program {
    let hops: Vec<ProgramHop> = candidate
        .hops
        .iter()
        .map(|h| ProgramHop {
            kind: match h.kind {
                PoolKind::UniswapV2 { .. } => ProgramKind::V2,
                PoolKind::UniswapV3 { .. } => ProgramKind::V3,
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
        capital: match capital {
            CapitalConfig::Inventory => Capital::Inventory,
            CapitalConfig::Flash => Capital::FlashFromLastHop,
        },
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

fn decode(tx: &Transaction, chain_id: u64) -> Result<(Recovered<TxEnvelope>, Bytes), NoPlan> {
    let recovered = tx.inner.clone();
    if recovered.to().is_none() || recovered.input().is_empty() {
        m::skip("decode", "not_contract_call");
        return Err(NoPlan::Dropped("not_contract_call"));
    }
    if recovered.chain_id().is_some_and(|id| id != chain_id) {
        m::skip("decode", "wrong_chain");
        return Err(NoPlan::Dropped("wrong_chain"));
    }
    if recovered.is_eip4844() {
        // Blob transactions cannot be bundled as raw envelopes without their sidecar.
        m::skip("decode", "blob_tx");
        return Err(NoPlan::Dropped("blob_tx"));
    }
    let raw: Bytes = recovered.inner().encoded_2718().into();
    Ok((recovered, raw))
}

/// Logs a plan that could not be sent.
pub(super) fn warn_unsendable(plan: &Plan, err: &dyn std::fmt::Display) {
    warn!(target: "searcher::engine", victim = %plan.victim_hash, %err, "bundle not sent");
}

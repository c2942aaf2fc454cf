//! strategy: for each pool a pending transaction moves, evaluates the cycles through it on the
//! predicted post-state, sizes each optimally and keeps those that beat the gas estimate.
//!
//! The predicted state is an overlay: the touched pools' post-state (from [`crate::predict`])
//! on top of the market's head state; nothing in the market is mutated. Sizing is the math
//! crate's: the closed form for all-V2 cycles ([`optimal_v2_cycle`]), a bounded
//! golden-section search otherwise ([`golden_section_max`]). Every dropped cycle is counted
//! under `searcher_skips_total{stage="strategy", reason}`.

use crate::{
    market::{
        graph::CycleId,
        math::{
            Quote, V2Hop,
            sizing::{
                VirtualOptimum, golden_section_from, golden_section_max, optimal_v2_cycle,
                virtual_optimum,
            },
        },
        pool::{PoolKind, PoolState},
        world::Market,
    },
    metrics::{self as m, StageTimer},
    predict::{self, Prediction},
};
use alloy::primitives::{Address, U256, aliases::U160};
use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

crate::skip_reasons! {
    /// Why strategy dropped a touched pool or a cycle (the `reason` label of
    /// `searcher_skips_total{stage="strategy"}`).
    pub enum StrategySkip for "strategy" {
        /// The pool is flagged.
        UnhealthyPool => "unhealthy_pool",
            "The pool is flagged (hostile or fee-on-transfer token, empty, broken): it is in no cycle. See searcher_market_flagged_pools.";
        /// No loaded state.
        NoState => "no_state",
            "The market holds no state for the pool yet (just created, or its load failed). Resolves on a later block.";
        /// A V3 prediction changed initialized ticks.
        V3TicksChanged => "v3_ticks_changed",
            "The pending transaction adds or removes V3 liquidity: the pool's ticks must be reloaded before it can be priced. Normal.";
        /// The prediction and the market disagree on the kind.
        KindMismatch => "kind_mismatch",
            "The prediction's event does not match the pool's kind in the market. Should not happen: report it.";
        /// The pool is in no cycle.
        NoCycle => "no_cycle",
            "The touched pool is in no 2- or 3-hop cycle through a base token. Normal for isolated pools.";
        /// No input is profitable.
        Unprofitable => "unprofitable",
            "No input makes the cycle profitable on the predicted state. Normal: most cycles.";
        /// The cycle id is unknown.
        UnknownCycle => "unknown_cycle",
            "The cycle index changed between lookups. Rare; harmless.";
        /// The pool id is unknown.
        UnknownPool => "unknown_pool",
            "A pool of the cycle left the market. Rare; harmless.";
        /// A denied token.
        DeniedToken => "denied_token",
            "The cycle trades a token in risk.deny-tokens.";
        /// The exact math refused.
        MathError => "math_error",
            "The exact math refused the amounts (overflow, beyond the loaded ticks). Normal now and then.";
        /// Profit below the gas estimate.
        BelowGasEstimate => "below_gas_estimate",
            "The gross profit is below the gas estimate at the next base fee. Normal for small gaps.";
    }
}

/// Golden-section evaluations per mixed cycle.
pub const SEARCH_EVALS: u32 = 96;

/// Strategy knobs (a subset of `[strategy]` in the config).
#[derive(Debug, Clone)]
pub struct StrategyParams {
    /// The largest input the search may choose.
    pub max_input: U256,
    /// Gas assumed per hop (pre-filter only; the simulation measures the real figure).
    pub gas_per_hop: u64,
    /// Fixed gas per backrun on top of the hops (base cost, calldata, executor logic).
    pub gas_base: u64,
    /// Keep at most this many candidates, best first.
    pub max_candidates: usize,
    /// Tokens never traded.
    pub deny_tokens: HashSet<Address>,
}

impl StrategyParams {
    /// Fixed gas per backrun on top of the hops, before simulation.
    pub const GAS_BASE: u64 = 40_000;

    /// From the config (built once; the base fee is passed per transaction).
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            max_input: config.strategy.max_input_wei,
            gas_per_hop: config.strategy.gas_estimate_per_hop,
            gas_base: Self::GAS_BASE,
            max_candidates: config.strategy.max_candidates,
            deny_tokens: config.risk.deny_tokens.iter().copied().collect(),
        }
    }
}

/// One hop of a sized candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedHop {
    /// Pool address.
    pub pool: Address,
    /// Its kind (fee, tick spacing).
    pub kind: PoolKind,
    /// token0 in?
    pub zero_for_one: bool,
    /// Token sold.
    pub token_in: Address,
    /// Token bought.
    pub token_out: Address,
    /// Exact input of this hop.
    pub amount_in: U256,
    /// Exact output of this hop.
    pub amount_out: U256,
    /// The DEX name.
    pub dex: Arc<str>,
}

/// A sized cycle that beats the gas estimate on the predicted state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The cycle in the market's index.
    pub cycle: CycleId,
    /// Hops in order; the first takes the base token, the last returns it.
    pub hops: Vec<PlannedHop>,
    /// Input in the base token.
    pub amount_in: U256,
    /// Output in the base token.
    pub amount_out: U256,
    /// `amount_out - amount_in`, before gas and bid.
    pub profit: U256,
    /// Gas estimate used by the pre-filter.
    pub gas_estimate: u64,
}

impl Candidate {
    /// The base token the cycle starts and ends in.
    pub fn base_token(&self) -> Option<Address> {
        self.hops.first().map(|h| h.token_in)
    }

    /// Human-readable route, e.g. `WETH -(uniswap-v2 0x..)-> TKA -(sushiswap 0x..)-> WETH`.
    pub fn describe(&self, symbol: impl Fn(Address) -> String) -> String {
        let mut out = String::new();
        if let Some(first) = self.hops.first() {
            out.push_str(&symbol(first.token_in));
        }
        for hop in &self.hops {
            out.push_str(&format!(" -({} {})-> {}", hop.dex, hop.pool, symbol(hop.token_out)));
        }
        out
    }
}

/// Builds the overlay state of a touched pool from the market's state and the prediction.
/// Returns `None` (with a counted reason) when it cannot be simulated exactly.
fn overlay(
    base: &PoolState,
    predicted: &predict::PredictedState,
) -> Result<PoolState, StrategySkip> {
    match (base, predicted) {
        (PoolState::UniswapV2(pool), predict::PredictedState::V2 { reserve0, reserve1 }) => {
            let mut pool = *pool;
            pool.apply_sync(*reserve0, *reserve1);
            Ok(PoolState::UniswapV2(pool))
        }
        (
            PoolState::UniswapV3(pool),
            predict::PredictedState::V3 { sqrt_price_x96, liquidity, tick, ticks_changed },
        ) => {
            if *ticks_changed {
                return Err(StrategySkip::V3TicksChanged);
            }
            let mut pool = pool.clone();
            pool.apply_swap_event(U256::from(*sqrt_price_x96), *liquidity, *tick);
            Ok(PoolState::UniswapV3(pool))
        }
        _ => Err(StrategySkip::KindMismatch),
    }
}

/// Evaluates every cycle through the pools `prediction` moved, at the next block's base fee
/// (wei per gas); best candidates first.
pub fn evaluate(
    market: &Market,
    prediction: &Prediction,
    params: &StrategyParams,
    next_base_fee: u128,
) -> Vec<Candidate> {
    let _timer = StageTimer::start(m::StageName::Strategy);
    let mut overlays: HashMap<u32, PoolState> = HashMap::new();
    let mut touched = Vec::new();
    for tp in &prediction.pools {
        let Some(idx) = market.pool_idx(tp.address) else { continue };
        let Some(entry) = market.pool(idx) else { continue };
        if !entry.is_healthy() {
            // Flagged pools (hostile tokens, empty, ...) are in no cycle: count why, not nothing.
            m::skip(StrategySkip::UnhealthyPool);
            continue;
        }
        let Some(base) = entry.state.as_ref() else {
            m::skip(StrategySkip::NoState);
            continue;
        };
        match overlay(base, &tp.state) {
            Ok(state) => {
                overlays.insert(idx.0, state);
                touched.push(idx);
            }
            Err(reason) => m::skip(reason),
        }
    }

    let mut seen = HashSet::new();
    let mut candidates = Vec::new();
    for idx in touched {
        let cycles = market.cycles_through(idx);
        if cycles.is_empty() {
            m::skip(StrategySkip::NoCycle);
        }
        for &cycle_id in cycles {
            if !seen.insert(cycle_id) {
                continue;
            }
            match evaluate_cycle(market, &overlays, cycle_id, params, next_base_fee) {
                Ok(Some(c)) => candidates.push(c),
                Ok(None) => m::skip(StrategySkip::Unprofitable),
                Err(reason) => m::skip(reason),
            }
        }
    }
    candidates.sort_by_key(|c| std::cmp::Reverse(c.profit));
    candidates.truncate(params.max_candidates);
    if !candidates.is_empty() {
        metrics::counter!(m::CANDIDATES_TOTAL).increment(candidates.len() as u64);
    }
    candidates
}

fn evaluate_cycle(
    market: &Market,
    overlays: &HashMap<u32, PoolState>,
    cycle_id: CycleId,
    params: &StrategyParams,
    next_base_fee: u128,
) -> Result<Option<Candidate>, StrategySkip> {
    let cycle = market.cycle(cycle_id).ok_or(StrategySkip::UnknownCycle)?;
    let mut states: Vec<&PoolState> = Vec::with_capacity(3);
    let mut meta = Vec::with_capacity(3);
    for hop in cycle.hops() {
        let entry = market.pool(hop.pool()).ok_or(StrategySkip::UnknownPool)?;
        if !entry.is_healthy() {
            return Err(StrategySkip::UnhealthyPool);
        }
        let state =
            overlays.get(&hop.pool().0).or(entry.state.as_ref()).ok_or(StrategySkip::NoState)?;
        let (token_in, token_out) = if hop.zero_for_one() {
            (entry.pool.token0, entry.pool.token1)
        } else {
            (entry.pool.token1, entry.pool.token0)
        };
        if params.deny_tokens.contains(&token_in) || params.deny_tokens.contains(&token_out) {
            return Err(StrategySkip::DeniedToken);
        }
        states.push(state);
        meta.push((entry, hop.zero_for_one(), token_in, token_out));
    }

    let all_v2: Option<Vec<V2Hop>> = states
        .iter()
        .zip(&meta)
        .map(|(s, (_, zfo, _, _))| s.as_v2().map(|p| p.hop(*zfo)))
        .collect();
    let sizing = match all_v2 {
        Some(hops) => optimal_v2_cycle(&hops).map_err(|_| StrategySkip::MathError)?,
        None => {
            let quote = |x: U256| {
                states
                    .iter()
                    .zip(&meta)
                    .try_fold(x, |amount, (s, (_, zfo, _, _))| s.amount_out(*zfo, amount))
            };
            let marginal: Option<Vec<V2Hop>> =
                states.iter().zip(&meta).map(|(s, (_, zfo, _, _))| s.marginal_hop(*zfo)).collect();
            match marginal.as_deref().map_or(VirtualOptimum::Unusable, virtual_optimum) {
                // No margin at the current prices: concave hops make every input a loss.
                VirtualOptimum::NoMargin => return Ok(None),
                VirtualOptimum::At(guess) => {
                    golden_section_from(quote, guess, U256::ONE, params.max_input, SEARCH_EVALS)
                }
                VirtualOptimum::Unusable => {
                    golden_section_max(quote, U256::ONE, params.max_input, SEARCH_EVALS)
                }
            }
        }
    };
    let Some(sizing) = sizing else { return Ok(None) };
    let amount_in = sizing.amount_in.min(params.max_input);

    // Re-run the chain once at the chosen input to record each hop's exact amounts.
    let mut hops = Vec::with_capacity(states.len());
    let mut amount = amount_in;
    for (state, (entry, zfo, token_in, token_out)) in states.iter().zip(&meta) {
        let out = state.amount_out(*zfo, amount).map_err(|_| StrategySkip::MathError)?;
        hops.push(PlannedHop {
            pool: pool_address(entry),
            kind: entry.pool.kind,
            zero_for_one: *zfo,
            token_in: *token_in,
            token_out: *token_out,
            amount_in: amount,
            amount_out: out,
            dex: entry.pool.dex.clone(),
        });
        amount = out;
    }
    let Some(profit) = amount.checked_sub(amount_in).filter(|p| !p.is_zero()) else {
        return Ok(None);
    };
    let gas_estimate = params.gas_base + params.gas_per_hop * hops.len() as u64;
    let gas_cost = U256::from(gas_estimate) * U256::from(next_base_fee);
    if profit <= gas_cost {
        return Err(StrategySkip::BelowGasEstimate);
    }
    Ok(Some(Candidate {
        cycle: cycle_id,
        hops,
        amount_in,
        amount_out: amount,
        profit,
        gas_estimate,
    }))
}

fn pool_address(entry: &crate::market::world::PoolEntry) -> Address {
    match entry.pool.id {
        crate::market::pool::PoolId::Contract(a) => a,
    }
}

/// `sqrtPriceX96` bound for a V3 hop with no price limit (TickMath's MIN+1 / MAX-1).
pub fn no_price_limit(zero_for_one: bool) -> U160 {
    use crate::market::math::v3::tick_math::{MAX_SQRT_RATIO, MIN_SQRT_RATIO};
    if zero_for_one {
        U160::from(MIN_SQRT_RATIO + U256::ONE)
    } else {
        U160::from(MAX_SQRT_RATIO - U256::ONE)
    }
}

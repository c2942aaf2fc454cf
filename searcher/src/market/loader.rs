//! Initial state in batches, on any node with nothing deployed: JSON-RPC batches of
//! `eth_call`s, every call pinned to one block *hash* (EIP-1898), so all reads of a load see
//! the same state even across rounds and reorgs (a vanished hash fails the load instead of
//! mixing blocks).
//!
//! ## Why JSON-RPC batches rather than a deployless reader contract
//!
//! A deployless reader (constructor code run by `eth_call` with no `to`, returning the packed
//! state of many pools) saves node-side per-call overhead, but its bytecode must be compiled,
//! embedded and kept in sync with a Solidity source, and a pool that reverts inside it needs
//! try/catch plumbing. Batched `eth_call`s read each pool's own view functions, so a
//! hostile pool fails alone (its call errors, the pool is flagged), they work over HTTP (one
//! request per batch) and IPC (alloy pipelines a batch's requests on the socket), and there
//! is nothing to keep in sync. The cost is measured in `BENCHMARKS.md` ("Market sync"): the
//! whole load is three round trips of batches whatever the number of pools.
//!
//! ## Rounds
//!
//! 1. V2 `getReserves`; V3 `slot0`, `liquidity`; new tokens' `decimals`, `symbol`.
//! 2. V3 `tickBitmap(word)` for the words of the tick window (see
//!    [`TickWindowPolicy`]); `balanceOf(holder)` for each token to probe.
//! 3. V3 `ticks(tick)` for every initialized tick in those words; the transfer probes
//!    ([`crate::market::health`]) at the same block.
//!
//! The window loaded is recorded in the V3 state ([`TickWindow`]); the math refuses a swap
//! that would leave it.

use crate::{
    abi::{IERC20, IUniswapV2Pair, IUniswapV3Pool},
    market::{
        config::TickWindowPolicy,
        error::{MarketError, Result},
        health::{self, HealthFlags, ProbeOutcome, TransferProbe},
        math::{
            TickInfo, TickWindow, V2Pool, V3PoolState,
            v3::{MAX_TICK, MIN_TICK},
        },
        metrics as m,
        pool::{PoolIdx, PoolKind, PoolState, TokenIdx},
        world::Market,
    },
};
use alloy::{
    eips::BlockId,
    primitives::{Address, B256, Bytes, U256, aliases::I24},
    providers::Provider,
    rpc::types::TransactionRequest,
    sol_types::SolCall,
    transports::TransportError,
};
use futures::{StreamExt, TryStreamExt};
use std::{collections::HashMap, time::Instant};
use tracing::{debug, warn};

/// Batches in flight at once.
const BATCHES_IN_FLIGHT: usize = 4;

/// One `eth_call`: target and calldata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The contract called.
    pub to: Address,
    /// ABI-encoded calldata.
    pub data: Bytes,
}

impl Call {
    fn new(to: Address, data: Vec<u8>) -> Self {
        Self { to, data: data.into() }
    }
}

/// Whether an error answer means the block itself is gone (reorged away or pruned) rather
/// than the call reverting.
fn block_unavailable(e: &TransportError) -> bool {
    let TransportError::ErrorResp(payload) = e else { return false };
    let msg = payload.message.to_ascii_lowercase();
    ["header not found", "block not found", "unknown block", "missing trie node"]
        .iter()
        .any(|p| msg.contains(p))
}

/// Runs `calls` as `eth_call`s at `block` in JSON-RPC batches of `batch_size`. A call that
/// reverts (or whose target has no code) yields `None`; a transport failure or a missing
/// block fails the whole load.
pub async fn call_batch<P: Provider>(
    provider: &P,
    block: B256,
    calls: &[Call],
    batch_size: usize,
) -> Result<Vec<Option<Bytes>>> {
    let block_id = BlockId::from(block);
    metrics::counter!(m::LOAD_CALLS).increment(calls.len() as u64);
    // The futures are built first (not in a `map` closure over borrowed chunks): rustc then
    // sees concrete lifetimes and can prove the whole load `Send` for the head task.
    let chunks: Vec<_> = calls
        .chunks(batch_size.max(1))
        .map(|chunk| call_chunk(provider, block_id, chunk))
        .collect();
    let chunks = futures::stream::iter(chunks).buffered(BATCHES_IN_FLIGHT);
    let parts: Vec<Vec<Option<Bytes>>> = chunks.try_collect().await?;
    Ok(parts.into_iter().flatten().collect())
}

/// One JSON-RPC batch of `eth_call`s at `block_id`.
async fn call_chunk<P: Provider>(
    provider: &P,
    block_id: BlockId,
    chunk: &[Call],
) -> Result<Vec<Option<Bytes>>> {
    let block = block_id;
    let mut batch = alloy::rpc::client::BatchRequest::new(provider.client());
    let mut waiters = Vec::with_capacity(chunk.len());
    for call in chunk {
        let tx = TransactionRequest::default().to(call.to).input(call.data.clone().into());
        let waiter = batch
            .add_call::<_, Bytes>("eth_call", &(tx, block_id))
            .map_err(|e| MarketError::transport("serializing eth_call", e))?;
        waiters.push(waiter);
    }
    batch.send().await.map_err(|e| MarketError::transport("eth_call batch", e))?;
    let mut out = Vec::with_capacity(chunk.len());
    for (call, waiter) in chunk.iter().zip(waiters) {
        match waiter.await {
            Ok(data) => out.push(Some(data)),
            Err(e) if block_unavailable(&e) => {
                return Err(MarketError::MissingBlock(format!("{block} ({e})")));
            }
            Err(TransportError::ErrorResp(_)) => out.push(None),
            Err(e) => {
                return Err(MarketError::transport(format!("eth_call to {}", call.to), e));
            }
        }
    }
    Ok::<_, MarketError>(out)
}

/// The bitmap word range the policy loads around `tick`, clamped to the words a pool of this
/// spacing can use, and the tick window those words cover.
pub fn window_words(
    policy: TickWindowPolicy,
    tick: i32,
    tick_spacing: i32,
) -> (i16, i16, TickWindow) {
    let spacing = tick_spacing.max(1);
    let word = |t: i32| t.div_euclid(spacing) >> 8;
    let (min_word, max_word) = (word(MIN_TICK), word(MAX_TICK));
    let (first, last) = match policy {
        TickWindowPolicy::All => (min_word, max_word),
        TickWindowPolicy::Words(k) => {
            let w = word(tick);
            ((w - i32::from(k)).max(min_word), (w + i32::from(k)).min(max_word))
        }
    };
    // Word positions of any valid spacing fit int16 (|word| <= 3466).
    let (first, last) = (first as i16, last as i16);
    (first, last, TickWindow::from_words(first, last, spacing))
}

/// What a load did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Pools loaded.
    pub pools: usize,
    /// `eth_call`s sent.
    pub calls: usize,
    /// Transfer probes run (one `eth_simulateV1` each).
    pub probes: usize,
    /// Probes that could not run.
    pub probes_unavailable: usize,
}

/// A V3 pool part-way through the rounds.
struct V3Partial {
    idx: PoolIdx,
    state: V3PoolState,
    words: (i16, i16),
}

impl Market {
    /// Reads the state of `pools` at `block` and applies it: V2 reserves, V3 price, liquidity
    /// and the tick window; metadata of `fresh_tokens`; transfer probes for the unprobed
    /// tokens of these pools. Pools whose reads fail are flagged, never fatal; the load as a
    /// whole fails only on transport errors or a vanished block.
    pub(crate) async fn load_pools<P: Provider>(
        &mut self,
        provider: &P,
        block: B256,
        pools: &[PoolIdx],
        fresh_tokens: &[TokenIdx],
    ) -> Result<LoadReport> {
        let started = Instant::now();
        let batch = self.config.load.batch_size;
        let policy = self.config.load.tick_window;
        let mut report = LoadReport { pools: pools.len(), ..Default::default() };

        // Round 1: pool heads and token metadata.
        let mut calls = Vec::new();
        for &idx in pools {
            let Some(entry) = self.pools.get(idx.get()) else { continue };
            let to = entry.pool.id.address();
            match entry.pool.kind {
                PoolKind::UniswapV2 { .. } => {
                    calls.push(Call::new(to, IUniswapV2Pair::getReservesCall {}.abi_encode()));
                }
                PoolKind::UniswapV3 { .. } => {
                    calls.push(Call::new(to, IUniswapV3Pool::slot0Call {}.abi_encode()));
                    calls.push(Call::new(to, IUniswapV3Pool::liquidityCall {}.abi_encode()));
                }
            }
        }
        for &t in fresh_tokens {
            let Some(token) = self.tokens.get(t.get()) else { continue };
            calls.push(Call::new(token.address, IERC20::decimalsCall {}.abi_encode()));
            calls.push(Call::new(token.address, IERC20::symbolCall {}.abi_encode()));
        }
        report.calls += calls.len();
        let answers = call_batch(provider, block, &calls, batch).await?;
        let mut answers = answers.into_iter();

        let mut v3 = Vec::new();
        for &idx in pools {
            let Some(entry) = self.pools.get_mut(idx.get()) else { continue };
            entry.own_flags = HealthFlags::NONE;
            match entry.pool.kind {
                PoolKind::UniswapV2 { fee } => {
                    let reserves = answers
                        .next()
                        .flatten()
                        .and_then(|d| IUniswapV2Pair::getReservesCall::abi_decode_returns(&d).ok());
                    match reserves {
                        Some(r) => {
                            entry.state = Some(PoolState::UniswapV2(V2Pool {
                                reserve0: r.reserve0.to::<u128>(),
                                reserve1: r.reserve1.to::<u128>(),
                                fee,
                            }));
                        }
                        None => {
                            entry.state = None;
                            entry.own_flags = HealthFlags::STATE_UNREADABLE;
                        }
                    }
                }
                PoolKind::UniswapV3 { fee, tick_spacing } => {
                    let slot0 = answers
                        .next()
                        .flatten()
                        .and_then(|d| IUniswapV3Pool::slot0Call::abi_decode_returns(&d).ok());
                    let liquidity = answers
                        .next()
                        .flatten()
                        .and_then(|d| IUniswapV3Pool::liquidityCall::abi_decode_returns(&d).ok());
                    entry.state = None;
                    let (Some(slot0), Some(liquidity)) = (slot0, liquidity) else {
                        entry.own_flags = HealthFlags::STATE_UNREADABLE;
                        continue;
                    };
                    let sqrt_price = U256::from(slot0.sqrtPriceX96);
                    if sqrt_price.is_zero() {
                        continue; // uninitialized: flagged from the state
                    }
                    let tick = i32::try_from(slot0.tick).unwrap_or(i32::MAX);
                    let (first, last, window) = window_words(policy, tick, tick_spacing);
                    match V3PoolState::new(sqrt_price, tick, liquidity, fee, tick_spacing, window) {
                        Ok(state) => v3.push(V3Partial { idx, state, words: (first, last) }),
                        Err(e) => {
                            warn!(target: "searcher::market", pool = %entry.pool.id, error = %e,
                                "V3 state refused by the math");
                            entry.own_flags = HealthFlags::INVALID_STATE;
                        }
                    }
                }
            }
        }
        for &t in fresh_tokens {
            let decimals = answers.next().flatten();
            let symbol = answers.next().flatten();
            let configured = self
                .tokens
                .get(t.get())
                .map(|tk| tk.address)
                .map(|a| self.configured_token_flags(a));
            let Some(token) = self.tokens.get_mut(t.get()) else { continue };
            let (dec, dec_flags) = health::check_decimals(decimals.as_ref());
            token.decimals = dec;
            token.symbol = health::decode_symbol(symbol.as_ref());
            token.flags = configured.unwrap_or_default()
                | dec_flags
                | token.flags.only(HealthFlags::TRANSFER_FAILS.union(HealthFlags::FEE_ON_TRANSFER));
            if !dec_flags.is_healthy() {
                token.flag_detail =
                    Some("decimals() reverted, returned nothing or too much".into());
            }
        }

        // Round 2: bitmap words and the holders' balances of tokens to probe.
        let probes = self.probe_candidates(pools, &v3);
        let mut calls = Vec::new();
        for p in &v3 {
            let to = self.pools[p.idx.get()].pool.id.address();
            for word in p.words.0..=p.words.1 {
                calls.push(Call::new(
                    to,
                    IUniswapV3Pool::tickBitmapCall { wordPosition: word }.abi_encode(),
                ));
            }
        }
        for (_, token, holder) in &probes {
            calls.push(Call::new(*token, IERC20::balanceOfCall { owner: *holder }.abi_encode()));
        }
        report.calls += calls.len();
        let answers = call_batch(provider, block, &calls, batch).await?;
        let mut answers = answers.into_iter();
        let mut tick_calls: Vec<(usize, i32)> = Vec::new();
        let mut unreadable = vec![false; v3.len()];
        for (k, p) in v3.iter().enumerate() {
            let spacing = p.state.tick_spacing;
            for word in p.words.0..=p.words.1 {
                let bits = answers
                    .next()
                    .flatten()
                    .and_then(|d| IUniswapV3Pool::tickBitmapCall::abi_decode_returns(&d).ok());
                let Some(bits) = bits else {
                    unreadable[k] = true;
                    continue;
                };
                for bit in 0..256usize {
                    if bits.bit(bit) {
                        let compressed = (i32::from(word) << 8) + bit as i32;
                        tick_calls.push((k, compressed * spacing));
                    }
                }
            }
        }
        let transfer_probes: Vec<TransferProbe> = probes
            .iter()
            .map(|&(_, token, holder)| {
                let balance = answers
                    .next()
                    .flatten()
                    .and_then(|d| IERC20::balanceOfCall::abi_decode_returns(&d).ok())
                    .unwrap_or_default();
                TransferProbe { token, holder, balance }
            })
            .collect();

        // Round 3: initialized ticks, and the probes, at the same block.
        let calls: Vec<Call> = tick_calls
            .iter()
            .map(|&(k, tick)| {
                let to = self.pools[v3[k].idx.get()].pool.id.address();
                let tick = I24::try_from(tick).unwrap_or_default();
                Call::new(to, IUniswapV3Pool::ticksCall { tick }.abi_encode())
            })
            .collect();
        report.calls += calls.len();
        report.probes = transfer_probes.len();
        let (ticks, outcomes) = tokio::join!(
            call_batch(provider, block, &calls, batch),
            health::probe_transfers(provider, block, &transfer_probes, batch),
        );
        let ticks = ticks?;
        for ((k, tick), answer) in tick_calls.iter().zip(ticks) {
            let info = answer.and_then(|d| IUniswapV3Pool::ticksCall::abi_decode_returns(&d).ok());
            let Some(info) = info else {
                unreadable[*k] = true;
                continue;
            };
            let info =
                TickInfo { liquidity_gross: info.liquidityGross, liquidity_net: info.liquidityNet };
            if v3[*k].state.insert_tick(*tick, info).is_err() {
                unreadable[*k] = true;
            }
        }
        for (k, p) in v3.into_iter().enumerate() {
            let entry = &mut self.pools[p.idx.get()];
            if unreadable[k] {
                entry.own_flags = HealthFlags::STATE_UNREADABLE;
            } else {
                entry.state = Some(PoolState::UniswapV3(p.state));
            }
        }
        report.probes_unavailable = self.apply_probes(&probes, &transfer_probes, outcomes);
        for &idx in pools {
            self.refresh_flags(idx);
        }
        metrics::histogram!(m::LOAD_SECONDS).record(started.elapsed().as_secs_f64());
        debug!(target: "searcher::market", pools = report.pools, calls = report.calls,
            probes = report.probes, elapsed_ms = started.elapsed().as_millis() as u64, "state loaded");
        Ok(report)
    }

    /// Tokens of `pools` still to probe, each with the pool that will send it: the V2 pair
    /// holding the largest reserve of it, else a V3 pool with liquidity. Tokens already
    /// flagged, or without any such holder (all their pools here are empty), are skipped.
    fn probe_candidates(
        &self,
        pools: &[PoolIdx],
        v3: &[V3Partial],
    ) -> Vec<(TokenIdx, Address, Address)> {
        let v3_liquid: HashMap<PoolIdx, bool> =
            v3.iter().map(|p| (p.idx, p.state.liquidity != 0)).collect();
        let mut best: HashMap<TokenIdx, (u128, Address)> = HashMap::new();
        for &idx in pools {
            let Some(entry) = self.pools.get(idx.get()) else { continue };
            for (side, &t) in entry.tokens.iter().enumerate() {
                let Some(token) = self.tokens.get(t.get()) else { continue };
                if token.probed || !token.flags.only(HealthFlags::TOKEN_MASK).is_healthy() {
                    continue;
                }
                // V2: the reserve; V3: rank any liquid pool below every V2 reserve.
                let weight = match &entry.state {
                    Some(PoolState::UniswapV2(p)) => {
                        if side == 0 {
                            p.reserve0
                        } else {
                            p.reserve1
                        }
                    }
                    _ => u128::from(v3_liquid.get(&idx).copied().unwrap_or(false)),
                };
                if weight == 0 {
                    continue;
                }
                let holder = entry.pool.id.address();
                let slot = best.entry(t).or_insert((0, holder));
                if weight > slot.0 {
                    *slot = (weight, holder);
                }
            }
        }
        let mut out: Vec<_> = best
            .into_iter()
            .filter_map(|(t, (_, holder))| Some((t, self.tokens.get(t.get())?.address, holder)))
            .collect();
        out.sort_by_key(|(t, _, _)| *t);
        out
    }

    /// Records probe outcomes on the tokens; returns how many could not run.
    fn apply_probes(
        &mut self,
        probes: &[(TokenIdx, Address, Address)],
        inputs: &[TransferProbe],
        outcomes: Vec<ProbeOutcome>,
    ) -> usize {
        let mut unavailable = 0;
        let mut any_ran = false;
        for (((t, _, _), input), outcome) in probes.iter().zip(inputs).zip(outcomes) {
            let Some(token) = self.tokens.get_mut(t.get()) else { continue };
            match outcome {
                ProbeOutcome::Clean => {
                    token.probed = true;
                    any_ran = true;
                }
                ProbeOutcome::Flagged { flags, fee_bps, detail } => {
                    token.probed = true;
                    any_ran = true;
                    token.flags |= flags;
                    token.transfer_fee_bps = fee_bps;
                    warn!(target: "searcher::market", token = %token.address, holder = %input.holder,
                        %flags, %detail, "hostile token flagged");
                    token.flag_detail = Some(detail);
                }
                ProbeOutcome::Unavailable(why) => {
                    unavailable += 1;
                    debug!(target: "searcher::market", token = %token.address, %why, "probe unavailable");
                }
            }
        }
        if unavailable > 0 {
            metrics::counter!(m::PROBES_UNAVAILABLE).increment(unavailable as u64);
        }
        if !probes.is_empty() && !any_ran && self.probe_supported {
            warn!(target: "searcher::market", probes = probes.len(),
                "no transfer probe could run (node without eth_simulateV1?): indexing unprobed tokens");
            self.probe_supported = false;
        }
        unavailable
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_words_clamp_and_cover() {
        // Spacing 60: words -58..=57 in all.
        let (first, last, window) = window_words(TickWindowPolicy::All, 0, 60);
        assert_eq!((first, last), (-58, 57));
        assert_eq!(window, TickWindow::FULL);
        // Two words each side of tick 0's word (word 0 covers compressed 0..=255).
        let (first, last, window) = window_words(TickWindowPolicy::Words(2), 0, 60);
        assert_eq!((first, last), (-2, 2));
        assert_eq!(window, TickWindow { lower: -2 * 256 * 60, upper: 3 * 256 * 60 - 1 });
        // Negative ticks round toward negative infinity, as the bitmap does.
        let (first, _, _) = window_words(TickWindowPolicy::Words(0), -1, 60);
        assert_eq!(first, -1);
        // At the edge the range is clamped and the window reaches MIN_TICK.
        let (first, _, window) = window_words(TickWindowPolicy::Words(5), MIN_TICK, 1);
        assert_eq!(first, (MIN_TICK >> 8) as i16);
        assert_eq!(window.lower, MIN_TICK);
    }
}

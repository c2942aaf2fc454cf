//! The native AMM math against the real pools on the devnet, swap by swap.
//!
//! Random swaps go to the devnet's real Uniswap V2 pairs (two factories) and V3 pools through
//! the real routers, in blocks that also hold position mints and burns at random ticks. Each
//! mined block's receipts are walked in order over a shadow copy of every pool's state, loaded
//! by the market with every tick. For each of our swaps the native math computes, from the
//! shadow state before it, what the pool must do, and that must equal the pool's own events to
//! the wei:
//!
//! - V2 exact input (`swapExactTokensForTokens`): `getAmountOut` = the `Swap` event's output,
//!   and the `Sync` reserves = the shadow's plus input minus output;
//! - V2 exact output (`swapTokensForExactTokens`): `getAmountIn` = the input the pair received;
//! - V3 exact input and exact output (`exactInputSingle`, `exactOutputSingle`), with or without
//!   a price limit: `amount0`, `amount1`, `sqrtPriceX96`, `liquidity` and `tick` of the `Swap`
//!   event all equal the native swap's;
//! - a swap the chain reverted must be one the native math refuses too (a zero V2 output, an
//!   output beyond the reserve, a price limit on the wrong side, an exact output the pool
//!   cannot fill).
//!
//! After each block the market, synced from the same logs on its own, must hold exactly the
//! shadow's state. `DEVNET_DIFF_SWAPS` sets the swaps checked per pool kind (default 10,000).
//!
//! [`v4`]: the same against the devnet's Uniswap V4 PoolManager.

mod v4;

use alloy::{
    eips::BlockId,
    network::TransactionBuilder,
    primitives::{
        Address, I256, TxHash, U256,
        aliases::{U24, U160},
    },
    providers::{DynProvider, IpcConnect, Provider, ProviderBuilder, ext::AnvilApi},
    rpc::types::{TransactionReceipt, TransactionRequest},
    sol_types::{SolCall, SolEvent},
};
use searcher::{
    abi::{IUniswapV2Pair, IUniswapV3Pool},
    market::{
        Market, PoolState, TickWindowPolicy,
        math::{V3PoolState, V3SwapResult, v3::tick_math},
    },
    store::Store,
};
use searcher_devnet::{
    DevPoolKind, Role,
    abi::{ISwapRouter, IUniswapV2Router02},
    fixtures,
};
use std::collections::HashMap;

const DEFAULT_SWAPS: usize = 10_000;
const ETHER: u128 = 1_000_000_000_000_000_000;
/// Our swaps per block (each pool kind), plus a few mints, burns and swaps from `Activity`.
const PER_BLOCK: usize = 40;
const V2_GAS: u64 = 300_000;
/// Enough for a V3 swap across ~100 initialized ticks.
const V3_GAS: u64 = 3_000_000;
const MAX_FEE: u128 = 100_000_000_000;

/// What one of our swaps asked for.
#[derive(Debug, Clone, Copy)]
struct Intent {
    pool: Address,
    zero_for_one: bool,
    kind: IntentKind,
}

#[derive(Debug, Clone, Copy)]
enum IntentKind {
    V2ExactIn(U256),
    V2ExactOut(U256),
    /// `amountSpecified` as the pool receives it (> 0 exact in, < 0 exact out) and the price
    /// limit the router passes on.
    V3 {
        specified: I256,
        limit: U256,
        router_limit_zero: bool,
    },
}

#[derive(Debug, Default)]
struct Tally {
    v2_exact_in: usize,
    v2_exact_out: usize,
    v3_exact_in: usize,
    v3_exact_out: usize,
    v3_ticks_crossed: u64,
    v3_max_crossed: u32,
    v3_limited: usize,
    refused_by_both: usize,
    mints_burns: usize,
    blocks: usize,
    mismatches: Vec<String>,
}

impl Tally {
    fn v2(&self) -> usize {
        self.v2_exact_in + self.v2_exact_out
    }
    fn v3(&self) -> usize {
        self.v3_exact_in + self.v3_exact_out
    }
}

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// `x · m / 10^e` for a random digit `m` and `e` in `[lo, hi]`: sizes over many decades.
    fn fraction_of(&mut self, x: U256, lo: u64, hi: u64) -> U256 {
        let m = 1 + self.below(9);
        let e = lo + self.below(hi - lo + 1);
        x * U256::from(m) / U256::from(10u64).pow(U256::from(e))
    }
}

fn v2_state(shadow: &HashMap<Address, PoolState>, pool: Address) -> searcher::market::math::V2Pool {
    match shadow.get(&pool) {
        Some(PoolState::UniswapV2(p)) => *p,
        other => panic!("{pool} is not a loaded V2 pool: {other:?}"),
    }
}

fn v3_state(shadow: &HashMap<Address, PoolState>, pool: Address) -> &V3PoolState {
    match shadow.get(&pool) {
        Some(PoolState::UniswapV3(p)) => p,
        other => panic!("{pool} is not a loaded V3 pool: {other:?}"),
    }
}

/// The V3 pool's virtual reserves `(x, y)` at its current price.
fn virtual_reserves(p: &V3PoolState) -> (U256, U256) {
    let l = U256::from(p.liquidity);
    let q96 = U256::from(1u8) << 96;
    (l * q96 / p.sqrt_price_x96.max(U256::ONE), l * p.sqrt_price_x96 / q96)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_math_equals_every_swap_the_real_pools_make() {
    let test = "native_math_equals_every_swap_the_real_pools_make";
    let Some(devnet) = e2e::devnet_or_skip(test).await else { return };
    let target: usize = std::env::var("DEVNET_DIFF_SWAPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_SWAPS);
    let started = std::time::Instant::now();
    let a = devnet.addresses.clone();
    // anvil signs (its dev accounts are unlocked): no fillers, every field is set here.
    let ipc: DynProvider = ProviderBuilder::new()
        .disable_recommended_fillers()
        .connect_ipc(IpcConnect::new(devnet.ipc_path().to_path_buf()))
        .await
        .expect("IPC connects")
        .erased();

    let store = Store::open_in_memory().await.unwrap();
    let mut config = fixtures::market_config(&a);
    config.load.tick_window = TickWindowPolicy::All;
    let (mut market, _) = Market::bootstrap(&ipc, &store, config).await.expect("bootstrap");

    // The pools of WETH, TKA and TKB (the devnet's fee-on-transfer token is for other tests).
    let plain = [a.weth, a.token("TKA").unwrap(), a.token("TKB").unwrap()];
    let pools: Vec<_> = a
        .pools
        .iter()
        .filter(|p| plain.contains(&p.token0) && plain.contains(&p.token1))
        .cloned()
        .collect();
    let v2_pools: Vec<_> = pools.iter().filter(|p| p.kind == DevPoolKind::V2).cloned().collect();
    let v3_pools: Vec<_> = pools.iter().filter(|p| p.kind == DevPoolKind::V3).cloned().collect();
    assert!(v2_pools.len() >= 4 && v3_pools.len() >= 2, "devnet pools: {pools:?}");
    seed_narrow_positions(&devnet, &v3_pools).await;
    market.sync_to_latest(&ipc, &store).await.expect("market sync");
    let mut shadow: HashMap<Address, PoolState> = pools
        .iter()
        .map(|p| {
            let state = market.pool_by_address(p.address).and_then(|e| e.state.clone());
            (p.address, state.expect("loaded"))
        })
        .collect();

    let traders: Vec<Address> = (1..4).map(|n| devnet.address(Role::Trader(n))).collect();
    let mut nonces = Vec::new();
    for t in &traders {
        nonces.push(ipc.get_transaction_count(*t).pending().await.unwrap());
    }
    // Each swap stays within 0.5% of what a trader was funded with (10,000 WETH, 10M of each
    // token), so no swap can fail for want of balance.
    let cap = |token: Address| {
        if token == a.weth { U256::from(50 * ETHER) } else { U256::from(50_000 * ETHER) }
    };
    let router_for = |dex: &str| a.v2_dex(dex).expect("v2 dex").router;

    let mut rng = Rng(0x5EED_D1FF);
    let mut activity = fixtures::Activity::new(7);
    let mut tally = Tally::default();
    let mut next_trader = 0usize;

    while tally.v2() < target || tally.v3() < target {
        let mut intents: HashMap<TxHash, Intent> = HashMap::new();
        let mut sent: Vec<TxHash> = activity.send(&devnet, 3).await.expect("activity");
        for i in 0..2 * PER_BLOCK {
            let trader = next_trader % traders.len();
            next_trader += 1;
            let from = traders[trader];
            let v2 = i % 2 == 0;
            let (to, data, gas, intent) = if v2 {
                let pool = &v2_pools[rng.below(v2_pools.len() as u64) as usize];
                let state = v2_state(&shadow, pool.address);
                let zero_for_one = rng.below(2) == 0;
                let (token_in, token_out, r_in, r_out) = if zero_for_one {
                    (pool.token0, pool.token1, state.reserve0, state.reserve1)
                } else {
                    (pool.token1, pool.token0, state.reserve1, state.reserve0)
                };
                let (r_in, r_out) = (U256::from(r_in), U256::from(r_out));
                let path = vec![token_in, token_out];
                let router = router_for(&pool.dex);
                if rng.below(2) == 0 {
                    let amount = rng.fraction_of(r_in, 1, 9).min(cap(token_in)).max(U256::ONE);
                    let call = IUniswapV2Router02::swapExactTokensForTokensCall {
                        amountIn: amount,
                        amountOutMin: U256::ZERO,
                        path,
                        to: from,
                        deadline: U256::MAX,
                    };
                    let kind = IntentKind::V2ExactIn(amount);
                    (
                        router,
                        call.abi_encode(),
                        V2_GAS,
                        Intent { pool: pool.address, zero_for_one, kind },
                    )
                } else {
                    let out_cap = cap(token_in) * r_out / r_in.max(U256::ONE) / U256::from(2);
                    let amount = rng.fraction_of(r_out, 1, 9).min(out_cap).max(U256::ONE);
                    let call = IUniswapV2Router02::swapTokensForExactTokensCall {
                        amountOut: amount,
                        amountInMax: U256::MAX,
                        path,
                        to: from,
                        deadline: U256::MAX,
                    };
                    let kind = IntentKind::V2ExactOut(amount);
                    (
                        router,
                        call.abi_encode(),
                        V2_GAS,
                        Intent { pool: pool.address, zero_for_one, kind },
                    )
                }
            } else {
                let pool = &v3_pools[rng.below(v3_pools.len() as u64) as usize];
                let state = v3_state(&shadow, pool.address);
                let zero_for_one = rng.below(2) == 0;
                let (x, y) = virtual_reserves(state);
                let (token_in, token_out, v_in, v_out) = if zero_for_one {
                    (pool.token0, pool.token1, x, y)
                } else {
                    (pool.token1, pool.token0, y, x)
                };
                // A quarter of the swaps carry a price limit some way off the current price
                // (other swaps in the block may move the price past it: the pool then reverts
                // and the native math must refuse too).
                let limited = rng.below(4) == 0;
                let limit = if limited {
                    let step = rng.fraction_of(state.sqrt_price_x96, 2, 5);
                    if zero_for_one {
                        state
                            .sqrt_price_x96
                            .saturating_sub(step)
                            .max(tick_math::MIN_SQRT_RATIO + U256::ONE)
                    } else {
                        (state.sqrt_price_x96 + step).min(tick_math::MAX_SQRT_RATIO - U256::ONE)
                    }
                } else if zero_for_one {
                    tick_math::MIN_SQRT_RATIO + U256::ONE
                } else {
                    tick_math::MAX_SQRT_RATIO - U256::ONE
                };
                let router_limit = if limited { limit } else { U256::ZERO };
                let exact_in = rng.below(2) == 0;
                let (data, specified) = if exact_in {
                    let amount = rng.fraction_of(v_in, 1, 8).min(cap(token_in)).max(U256::ONE);
                    let call = ISwapRouter::exactInputSingleCall {
                        params: ISwapRouter::ExactInputSingleParams {
                            tokenIn: token_in,
                            tokenOut: token_out,
                            fee: U24::from(pool.fee),
                            recipient: from,
                            deadline: U256::MAX,
                            amountIn: amount,
                            amountOutMinimum: U256::ZERO,
                            sqrtPriceLimitX96: U160::from(router_limit),
                        },
                    };
                    (call.abi_encode(), I256::from_raw(amount))
                } else {
                    let out_cap = cap(token_in) * v_out / v_in.max(U256::ONE) / U256::from(2);
                    let amount = rng.fraction_of(v_out, 2, 9).min(out_cap).max(U256::ONE);
                    let call = ISwapRouter::exactOutputSingleCall {
                        params: ISwapRouter::ExactOutputSingleParams {
                            tokenIn: token_in,
                            tokenOut: token_out,
                            fee: U24::from(pool.fee),
                            recipient: from,
                            deadline: U256::MAX,
                            amountOut: amount,
                            amountInMaximum: U256::MAX,
                            sqrtPriceLimitX96: U160::from(router_limit),
                        },
                    };
                    (call.abi_encode(), -I256::from_raw(amount))
                };
                let kind = IntentKind::V3 { specified, limit, router_limit_zero: !limited };
                (
                    a.uniswap_v3.swap_router,
                    data,
                    V3_GAS,
                    Intent { pool: pool.address, zero_for_one, kind },
                )
            };
            let tx = TransactionRequest::default()
                .from(from)
                .to(to)
                .input(data.into())
                .nonce(nonces[trader])
                .gas_limit(gas)
                .max_fee_per_gas(MAX_FEE)
                .max_priority_fee_per_gas(1)
                .with_chain_id(devnet.chain_id());
            nonces[trader] += 1;
            let hash = *ipc.send_transaction(tx).await.expect("send").tx_hash();
            intents.insert(hash, intent);
            sent.push(hash);
        }

        // Mine until every transaction is in; walk each block's receipts in order.
        let mut pending: std::collections::HashSet<TxHash> = sent.iter().copied().collect();
        let mut guard = 0;
        while !pending.is_empty() {
            guard += 1;
            assert!(guard < 20, "{} transactions never mined", pending.len());
            ipc.anvil_set_next_block_base_fee_per_gas(1_000_000_000).await.unwrap();
            let block = devnet.mine().await.unwrap();
            tally.blocks += 1;
            let receipts =
                ipc.get_block_receipts(BlockId::number(block)).await.unwrap().unwrap_or_default();
            for receipt in &receipts {
                pending.remove(&receipt.transaction_hash);
                check_receipt(
                    receipt,
                    intents.get(&receipt.transaction_hash),
                    &mut shadow,
                    &mut tally,
                );
            }
            market.sync_to_latest(&ipc, &store).await.expect("market sync");
            for (address, state) in &shadow {
                let synced = market.pool_by_address(*address).and_then(|e| e.state.as_ref());
                assert_eq!(
                    synced,
                    Some(state),
                    "block {block}: market and shadow differ at {address}"
                );
            }
        }
        assert!(
            tally.mismatches.is_empty(),
            "{} mismatches after {} V2 / {} V3 swaps:\n{}",
            tally.mismatches.len(),
            tally.v2(),
            tally.v3(),
            tally.mismatches.join("\n")
        );
    }
    eprintln!(
        "{test}: {} V2 swaps ({} exact in, {} exact out) and {} V3 swaps ({} exact in, {} exact \
         out, {} with a price limit; {} initialized ticks crossed, up to {} in one swap) equal \
         the pools' events to the wei; {} reverted swaps refused by the native math too; {} \
         mints/burns mirrored; {} blocks in {:.1?}",
        tally.v2(),
        tally.v2_exact_in,
        tally.v2_exact_out,
        tally.v3(),
        tally.v3_exact_in,
        tally.v3_exact_out,
        tally.v3_limited,
        tally.v3_ticks_crossed,
        tally.v3_max_crossed,
        tally.refused_by_both,
        tally.mints_burns,
        tally.blocks,
        started.elapsed()
    );
}

/// Positions one to eight spacings wide within 40 spacings of each V3 pool's price, so that
/// swaps cross many initialized ticks.
async fn seed_narrow_positions(
    devnet: &searcher_devnet::Devnet,
    v3_pools: &[searcher_devnet::DevPool],
) {
    use alloy::primitives::aliases::I24;
    use searcher_devnet::abi::INonfungiblePositionManager as Npm;
    let mut rng = Rng(0xB0_75EE);
    let mut lp = fixtures::TxBatch::new(devnet, Role::Deployer).await.unwrap();
    for pool in v3_pools {
        let spacing = pool.tick_spacing.expect("V3 spacing");
        let center =
            IUniswapV3Pool::new(pool.address, devnet.provider()).slot0().call().await.unwrap().tick;
        let center = i32::try_from(center).unwrap().div_euclid(spacing);
        for _ in 0..60 {
            let lo = (center + rng.below(81) as i32 - 40) * spacing;
            let hi = lo + (1 + rng.below(8) as i32) * spacing;
            let amount = U256::from(ETHER) * U256::from(1 + rng.below(5));
            let data = Npm::mintCall {
                params: Npm::MintParams {
                    token0: pool.token0,
                    token1: pool.token1,
                    fee: U24::from(pool.fee),
                    tickLower: I24::try_from(lo).unwrap(),
                    tickUpper: I24::try_from(hi).unwrap(),
                    amount0Desired: amount,
                    amount1Desired: amount,
                    amount0Min: U256::ZERO,
                    amount1Min: U256::ZERO,
                    recipient: lp.from(),
                    deadline: U256::MAX,
                },
            }
            .abi_encode();
            lp.send(Some(devnet.addresses.uniswap_v3.position_manager), data, 1_000_000)
                .await
                .unwrap();
        }
    }
    lp.mine_all().await.expect("positions minted");
}

/// Walks one receipt's logs over the shadow state; checks our swap against the native math.
fn check_receipt(
    receipt: &TransactionReceipt,
    intent: Option<&Intent>,
    shadow: &mut HashMap<Address, PoolState>,
    tally: &mut Tally,
) {
    let hash = receipt.transaction_hash;
    if !receipt.status() {
        let Some(intent) = intent else { panic!("a fixture transaction reverted: {hash}") };
        match native_refuses(intent, shadow) {
            Ok(()) => tally.refused_by_both += 1,
            Err(why) => tally.mismatches.push(format!("{hash}: chain reverted, {why}")),
        }
        return;
    }
    let mut pending_sync: HashMap<Address, (u128, u128)> = HashMap::new();
    let mut checked = false;
    for log in receipt.inner.logs() {
        let address = log.address();
        let Some(state) = shadow.get_mut(&address) else { continue };
        let topic0 = log.topic0().copied().unwrap_or_default();
        match state {
            PoolState::UniswapV2(pair) => {
                if topic0 == IUniswapV2Pair::Sync::SIGNATURE_HASH {
                    let ev = IUniswapV2Pair::Sync::decode_log_data(log.data()).unwrap();
                    pending_sync.insert(address, (ev.reserve0.to(), ev.reserve1.to()));
                } else if topic0 == IUniswapV2Pair::Swap::SIGNATURE_HASH {
                    let ev = IUniswapV2Pair::Swap::decode_log_data(log.data()).unwrap();
                    let synced = pending_sync.remove(&address).expect("Sync precedes Swap");
                    if let Some(intent) = intent.filter(|i| i.pool == address) {
                        checked = true;
                        let zero_for_one = !ev.amount0In.is_zero();
                        let (amount_in, amount_out) = if zero_for_one {
                            (ev.amount0In, ev.amount1Out)
                        } else {
                            (ev.amount1In, ev.amount0Out)
                        };
                        let hop = pair.hop(intent.zero_for_one);
                        let verdict = match intent.kind {
                            IntentKind::V2ExactIn(amount) => {
                                tally.v2_exact_in += 1;
                                let native = hop.amount_out(amount);
                                (amount_in == amount && native.as_ref() == Ok(&amount_out))
                                    .then_some(())
                                    .ok_or_else(|| format!("exact in {amount}: pool took {amount_in} and paid {amount_out}, native {native:?}"))
                            }
                            IntentKind::V2ExactOut(amount) => {
                                tally.v2_exact_out += 1;
                                let native = hop.amount_in(amount);
                                (amount_out == amount && native.as_ref() == Ok(&amount_in))
                                    .then_some(())
                                    .ok_or_else(|| format!("exact out {amount}: pool took {amount_in} and paid {amount_out}, native in {native:?}"))
                            }
                            IntentKind::V3 { .. } => unreachable!("a V2 pool"),
                        };
                        let expected = if intent.zero_for_one {
                            (
                                pair.reserve0 + amount_in.to::<u128>(),
                                pair.reserve1 - amount_out.to::<u128>(),
                            )
                        } else {
                            (
                                pair.reserve0 - amount_out.to::<u128>(),
                                pair.reserve1 + amount_in.to::<u128>(),
                            )
                        };
                        if zero_for_one != intent.zero_for_one || expected != synced {
                            tally.mismatches.push(format!("{hash}: V2 {address} direction or reserves: Sync {synced:?}, expected {expected:?}"));
                        }
                        if let Err(why) = verdict {
                            tally.mismatches.push(format!("{hash}: V2 {address} {why}"));
                        }
                    }
                    pair.apply_sync(synced.0, synced.1);
                }
            }
            PoolState::UniswapV3(pool) => {
                if topic0 == IUniswapV3Pool::Swap::SIGNATURE_HASH {
                    let ev = IUniswapV3Pool::Swap::decode_log_data(log.data()).unwrap();
                    let event = (
                        ev.amount0,
                        ev.amount1,
                        U256::from(ev.sqrtPriceX96),
                        ev.liquidity,
                        i32::try_from(ev.tick).unwrap(),
                    );
                    if let Some(intent) = intent.filter(|i| i.pool == address) {
                        checked = true;
                        let IntentKind::V3 { specified, limit, router_limit_zero } = intent.kind
                        else {
                            unreachable!("a V3 pool")
                        };
                        if specified.is_positive() {
                            tally.v3_exact_in += 1;
                        } else {
                            tally.v3_exact_out += 1;
                        }
                        if !router_limit_zero {
                            tally.v3_limited += 1;
                        }
                        match pool.swap(intent.zero_for_one, specified, limit) {
                            Ok(r) => {
                                tally.v3_ticks_crossed += u64::from(r.ticks_crossed);
                                tally.v3_max_crossed = tally.v3_max_crossed.max(r.ticks_crossed);
                                let native = (r.amount0, r.amount1, r.sqrt_price_x96, r.liquidity, r.tick);
                                if native != event {
                                    tally.mismatches.push(format!(
                                        "{hash}: V3 {address} swap {specified} limit {limit}: pool {event:?}, native {native:?}"
                                    ));
                                }
                            }
                            Err(err) => tally.mismatches.push(format!(
                                "{hash}: V3 {address} swap {specified}: pool {event:?}, native refused: {err}"
                            )),
                        }
                    }
                    pool.apply_swap_event(event.2, event.3, event.4);
                } else if topic0 == IUniswapV3Pool::Mint::SIGNATURE_HASH {
                    let ev = IUniswapV3Pool::Mint::decode_log_data(log.data()).unwrap();
                    let (lo, hi) = (
                        i32::try_from(ev.tickLower).unwrap(),
                        i32::try_from(ev.tickUpper).unwrap(),
                    );
                    pool.apply_mint(lo, hi, ev.amount).expect("mint applies");
                    tally.mints_burns += 1;
                } else if topic0 == IUniswapV3Pool::Burn::SIGNATURE_HASH {
                    let ev = IUniswapV3Pool::Burn::decode_log_data(log.data()).unwrap();
                    let (lo, hi) = (
                        i32::try_from(ev.tickLower).unwrap(),
                        i32::try_from(ev.tickUpper).unwrap(),
                    );
                    pool.apply_burn(lo, hi, ev.amount).expect("burn applies");
                    tally.mints_burns += 1;
                }
            }
        }
    }
    // A V2 Sync without a Swap (liquidity added or removed).
    for (address, (r0, r1)) in pending_sync {
        if let Some(PoolState::UniswapV2(pair)) = shadow.get_mut(&address) {
            pair.apply_sync(r0, r1);
        }
    }
    if let Some(intent) = intent
        && !checked
    {
        tally.mismatches.push(format!("{hash}: our swap on {} emitted no swap event", intent.pool));
    }
}

/// A swap the chain reverted must be one the native math refuses, for the reason the contracts
/// revert.
fn native_refuses(intent: &Intent, shadow: &HashMap<Address, PoolState>) -> Result<(), String> {
    match (intent.kind, shadow.get(&intent.pool)) {
        // Router02 computes with the library; the pair rejects a zero output
        // (`INSUFFICIENT_OUTPUT_AMOUNT`) or an output at or above the reserve.
        (IntentKind::V2ExactIn(amount), Some(PoolState::UniswapV2(pair))) => {
            match pair.hop(intent.zero_for_one).amount_out(amount) {
                Err(_) => Ok(()),
                Ok(out) => Err(format!("native pays {out} for {amount}")),
            }
        }
        (IntentKind::V2ExactOut(amount), Some(PoolState::UniswapV2(pair))) => {
            match pair.hop(intent.zero_for_one).amount_in(amount) {
                Err(_) => Ok(()),
                Ok(input) => Err(format!("native sells {amount} for {input}")),
            }
        }
        // The pool reverts on a limit on the wrong side of the price (`SPL`); SwapRouter's
        // exact output without a limit reverts unless the whole output is paid.
        (
            IntentKind::V3 { specified, limit, router_limit_zero },
            Some(PoolState::UniswapV3(pool)),
        ) => match pool.swap(intent.zero_for_one, specified, limit) {
            Err(_) => Ok(()),
            Ok(r)
                if specified.is_negative()
                    && router_limit_zero
                    && !fills(&r, intent.zero_for_one, specified) =>
            {
                Ok(())
            }
            Ok(r) => Err(format!("native swap {specified} limit {limit} succeeds: {r:?}")),
        },
        (kind, state) => Err(format!("intent {kind:?} does not match the pool's state {state:?}")),
    }
}

/// Whether an exact-output swap paid all of it.
fn fills(r: &V3SwapResult, zero_for_one: bool, specified: I256) -> bool {
    let out = if zero_for_one { r.amount1 } else { r.amount0 };
    out == specified
}

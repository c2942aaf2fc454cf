//! The native V4 math against the real v4-core `PoolManager` on the devnet, swap by swap.
//!
//! Random swaps go through v4-core's `PoolSwapTest` router to the devnet's hookless V4 pools
//! (native ETH / TKA at 0.3%, WETH / TKB at 0.05%, TKA / TKB at 0.01% with a protocol fee in
//! both directions): exact input and exact output (V4's signs), both directions, a quarter of
//! them with a price limit, in blocks that also add and remove liquidity at random narrow
//! ranges near the price. Each mined block's receipts are walked in order over a shadow copy
//! of every pool, loaded through `extsload` with every tick. For each of our swaps the native
//! math computes, from the shadow before it, what the PoolManager must do, and its `Swap`
//! event must equal it to the wei: `amount0`, `amount1` (the caller's deltas), `sqrtPriceX96`,
//! `liquidity`, `tick` and the swap `fee`. A swap the chain reverted must be one the native
//! math refuses. After each block every pool is read again through `extsload` at that block
//! and must equal the shadow, which only the block's `Swap` and `ModifyLiquidity` events moved.
//!
//! Before the swaps, the PoolManager's `Initialize` logs must decode (`market::v4`) into the
//! devnet's pool keys and ids.
//!
//! `V4_DEVNET_DIFF_SWAPS` sets the number of swaps (default 300, the CI count; the long run:
//! `V4_DEVNET_DIFF_SWAPS=10000`).

use alloy::{
    eips::BlockId,
    network::TransactionBuilder,
    primitives::{
        Address, B256, I256, TxHash, U256,
        aliases::{I24, U160},
    },
    providers::{DynProvider, IpcConnect, Provider, ProviderBuilder, ext::AnvilApi},
    rpc::types::{TransactionReceipt, TransactionRequest},
    sol_types::{SolCall, SolEvent},
};
use searcher::{
    abi::IPoolManager,
    market::{
        TickWindowPolicy,
        math::{V4PoolState, v3::tick_math},
        v4::{HooksPolicy, PoolKey, V4Load, decode_initialize, load_v4_pool},
    },
};
use searcher_devnet::{
    DevV4Pool, Role,
    abi::{
        IPoolModifyLiquidityTest, IPoolSwapTest, ModifyLiquidityParams, SwapParams, TestSettings,
    },
};
use std::collections::{HashMap, HashSet};

use super::Rng;

const DEFAULT_SWAPS: usize = 300;
const ETHER: u128 = 1_000_000_000_000_000_000;
/// Our swaps per block, plus a few liquidity changes (many in the first block, so that swaps
/// cross many initialized ticks).
const PER_BLOCK: usize = 16;
const LIQUIDITY_CHANGES_PER_BLOCK: usize = 3;
const LIQUIDITY_CHANGES_FIRST_BLOCK: usize = 45;
/// Enough for a V4 swap across ~100 initialized ticks.
const SWAP_GAS: u64 = 2_000_000;
const LIQUIDITY_GAS: u64 = 1_000_000;
const MAX_FEE: u128 = 100_000_000_000;
const BATCH: usize = 100;

#[derive(Debug, Clone, Copy)]
struct Intent {
    pool: B256,
    zero_for_one: bool,
    /// V4's sign: negative is an exact input.
    specified: I256,
    limit: U256,
    limited: bool,
}

#[derive(Debug, Default)]
struct Tally {
    exact_in: usize,
    exact_out: usize,
    zero_for_one: usize,
    limited: usize,
    with_protocol_fee: usize,
    native_eth: usize,
    ticks_crossed: u64,
    max_crossed: u32,
    refused_by_both: usize,
    out_of_gas: usize,
    liquidity_changes: usize,
    blocks: usize,
    mismatches: Vec<String>,
}

impl Tally {
    fn swaps(&self) -> usize {
        self.exact_in + self.exact_out
    }
}

fn market_key(p: &DevV4Pool) -> PoolKey {
    PoolKey {
        currency0: p.currency0,
        currency1: p.currency1,
        fee: p.fee,
        tick_spacing: p.tick_spacing,
        hooks: p.hooks,
    }
}

async fn load(ipc: &DynProvider, manager: Address, block: B256, p: &DevV4Pool) -> V4PoolState {
    match load_v4_pool(ipc, manager, block, &market_key(p), TickWindowPolicy::All, BATCH)
        .await
        .expect("extsload")
    {
        V4Load::Loaded(state) => state,
        other => panic!("V4 pool {} not loaded: {other:?}", p.id),
    }
}

/// The pool's virtual reserves `(x, y)` at its current price.
fn virtual_reserves(p: &V4PoolState) -> (U256, U256) {
    let l = U256::from(p.amm.liquidity);
    let q96 = U256::from(1u8) << 96;
    (l * q96 / p.amm.sqrt_price_x96.max(U256::ONE), l * p.amm.sqrt_price_x96 / q96)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_v4_math_equals_every_swap_of_the_real_pool_manager() {
    let test = "native_v4_math_equals_every_swap_of_the_real_pool_manager";
    let Some(devnet) = e2e::devnet_or_skip(test).await else { return };
    let target: usize = std::env::var("V4_DEVNET_DIFF_SWAPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_SWAPS);
    let started = std::time::Instant::now();
    let v4 = devnet.addresses.uniswap_v4.clone();
    let manager = v4.pool_manager;
    let ipc: DynProvider = ProviderBuilder::new()
        .disable_recommended_fillers()
        .connect_ipc(IpcConnect::new(devnet.ipc_path().to_path_buf()))
        .await
        .expect("IPC connects")
        .erased();
    assert!(v4.pools.len() >= 3, "devnet V4 pools: {:?}", v4.pools);
    assert!(v4.pools.iter().any(DevV4Pool::is_native));
    assert!(v4.pools.iter().any(|p| p.protocol_fee != 0));

    // The PoolManager's own Initialize logs decode into the devnet's keys, hookless.
    let filter = alloy::rpc::types::Filter::new()
        .address(manager)
        .event_signature(IPoolManager::Initialize::SIGNATURE_HASH)
        .from_block(0);
    let announced: Vec<_> = ipc
        .get_logs(&filter)
        .await
        .unwrap()
        .iter()
        .map(|log| decode_initialize(&log.inner).expect("a real Initialize log decodes"))
        .collect();
    assert_eq!(announced.len(), v4.pools.len());
    for (a, p) in announced.iter().zip(&v4.pools) {
        assert_eq!((a.id, a.key, a.policy), (p.id, market_key(p), HooksPolicy::Native));
    }

    let head = ipc.get_block_by_number(Default::default()).await.unwrap().unwrap().header.hash;
    let mut shadow: HashMap<B256, V4PoolState> = HashMap::new();
    for p in &v4.pools {
        let state = load(&ipc, manager, head, p).await;
        assert_eq!(p.id, market_key(p).id(), "the engine's PoolId is the devnet's");
        assert_eq!(state.protocol_fee, p.protocol_fee);
        assert!(state.amm.ticks.len() >= 9, "positions at several ranges");
        shadow.insert(p.id, state);
    }

    let traders: Vec<Address> = (1..4).map(|n| devnet.address(Role::Trader(n))).collect();
    let deployer = devnet.address(Role::Deployer);
    let mut senders: Vec<Address> = traders.clone();
    senders.push(deployer);
    let mut nonces = HashMap::new();
    for s in &senders {
        nonces.insert(*s, ipc.get_transaction_count(*s).pending().await.unwrap());
    }
    // Each swap stays within 0.5% of a trader's funding (10,000 WETH, 10M of each token).
    let cap = |currency: Address| {
        if currency == Address::ZERO || currency == devnet.addresses.weth {
            U256::from(50 * ETHER)
        } else {
            U256::from(50_000 * ETHER)
        }
    };

    let mut rng = Rng(0x5EED_0004);
    let mut tally = Tally::default();
    // The deployer's positions through the liquidity router: (pool, lower, upper, salt, L).
    let mut positions: Vec<(usize, i32, i32, B256, u128)> = Vec::new();
    let mut next_salt = 1_000u64;
    let mut next_trader = 0usize;

    while tally.swaps() < target {
        let mut intents: HashMap<TxHash, Intent> = HashMap::new();
        let mut sent: Vec<TxHash> = Vec::new();
        let mut send = async |from: Address, to: Address, data: Vec<u8>, value: U256, gas: u64| {
            let nonce = nonces.get_mut(&from).expect("a known sender");
            let tx = TransactionRequest::default()
                .from(from)
                .to(to)
                .input(data.into())
                .value(value)
                .nonce(*nonce)
                .gas_limit(gas)
                .max_fee_per_gas(MAX_FEE)
                .max_priority_fee_per_gas(1)
                .with_chain_id(devnet.chain_id());
            *nonce += 1;
            *ipc.send_transaction(tx).await.expect("send").tx_hash()
        };

        // Liquidity changes: a new narrow position near the price, or part of one removed.
        let changes = if tally.blocks == 0 {
            LIQUIDITY_CHANGES_FIRST_BLOCK
        } else {
            LIQUIDITY_CHANGES_PER_BLOCK
        };
        for _ in 0..changes {
            let remove = !positions.is_empty() && rng.below(3) == 0;
            let (n, lower, upper, salt, delta) = if remove {
                let at = rng.below(positions.len() as u64) as usize;
                let (n, lower, upper, salt, l) = positions[at];
                let part = if rng.below(2) == 0 { l } else { l / 2 };
                if part == l {
                    positions.swap_remove(at);
                } else {
                    positions[at].4 -= part;
                }
                (n, lower, upper, salt, -(part as i128))
            } else {
                let n = rng.below(v4.pools.len() as u64) as usize;
                let spacing = v4.pools[n].tick_spacing;
                let center = shadow[&v4.pools[n].id].amm.tick.div_euclid(spacing);
                let lower = (center + rng.below(81) as i32 - 40) * spacing;
                let upper = lower + (1 + rng.below(8) as i32) * spacing;
                let l = (1 + rng.below(5)) as u128 * 1_000 * ETHER;
                next_salt += 1;
                let salt = B256::from(U256::from(next_salt));
                positions.push((n, lower, upper, salt, l));
                (n, lower, upper, salt, l as i128)
            };
            let pool = &v4.pools[n];
            let call = IPoolModifyLiquidityTest::modifyLiquidityCall {
                key: pool.key(),
                params: ModifyLiquidityParams {
                    tickLower: I24::try_from(lower).unwrap(),
                    tickUpper: I24::try_from(upper).unwrap(),
                    liquidityDelta: I256::try_from(delta).unwrap(),
                    salt,
                },
                hookData: Default::default(),
            };
            // The router refunds the ETH it does not settle.
            let value =
                if pool.is_native() && delta > 0 { U256::from(100 * ETHER) } else { U256::ZERO };
            let hash =
                send(deployer, v4.liquidity_router, call.abi_encode(), value, LIQUIDITY_GAS).await;
            sent.push(hash);
        }

        for _ in 0..PER_BLOCK {
            let from = traders[next_trader % traders.len()];
            next_trader += 1;
            let pool = &v4.pools[rng.below(v4.pools.len() as u64) as usize];
            let state = &shadow[&pool.id];
            let zero_for_one = rng.below(2) == 0;
            let (x, y) = virtual_reserves(state);
            let (currency_in, v_in, v_out) =
                if zero_for_one { (pool.currency0, x, y) } else { (pool.currency1, y, x) };
            // A quarter carry a price limit some way off the price (other swaps in the block
            // may pass it: the PoolManager then reverts and the native math must refuse too).
            let limited = rng.below(4) == 0;
            let price = state.amm.sqrt_price_x96;
            let limit = if limited {
                let step = rng.fraction_of(price, 2, 5);
                if zero_for_one {
                    price.saturating_sub(step).max(tick_math::MIN_SQRT_RATIO + U256::ONE)
                } else {
                    (price + step).min(tick_math::MAX_SQRT_RATIO - U256::ONE)
                }
            } else if zero_for_one {
                tick_math::MIN_SQRT_RATIO + U256::ONE
            } else {
                tick_math::MAX_SQRT_RATIO - U256::ONE
            };
            let exact_in = rng.below(2) == 0;
            let specified = if exact_in {
                let amount = rng.fraction_of(v_in, 1, 8).min(cap(currency_in)).max(U256::ONE);
                -I256::from_raw(amount)
            } else {
                let out_cap = cap(currency_in) * v_out / v_in.max(U256::ONE) / U256::from(2);
                let amount = rng.fraction_of(v_out, 2, 9).min(out_cap).max(U256::ONE);
                I256::from_raw(amount)
            };
            let call = IPoolSwapTest::swapCall {
                key: pool.key(),
                params: SwapParams {
                    zeroForOne: zero_for_one,
                    amountSpecified: specified,
                    sqrtPriceLimitX96: U160::from(limit),
                },
                testSettings: TestSettings { takeClaims: false, settleUsingBurn: false },
                hookData: Default::default(),
            };
            // Native ETH in: the router settles from the value and refunds the rest.
            let value = if pool.is_native() && zero_for_one {
                U256::from(1_000 * ETHER)
            } else {
                U256::ZERO
            };
            let hash = send(from, v4.swap_router, call.abi_encode(), value, SWAP_GAS).await;
            intents.insert(hash, Intent { pool: pool.id, zero_for_one, specified, limit, limited });
            sent.push(hash);
        }

        // Mine until every transaction is in; walk each block's receipts in order.
        let mut pending: HashSet<TxHash> = sent.iter().copied().collect();
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
                    manager,
                    intents.get(&receipt.transaction_hash),
                    &mut shadow,
                    &v4.pools,
                    &mut tally,
                );
            }
            let hash = ipc
                .get_block_by_number(block.into())
                .await
                .unwrap()
                .expect("mined block")
                .header
                .hash;
            for p in &v4.pools {
                let loaded = load(&ipc, manager, hash, p).await;
                assert_eq!(
                    &loaded, &shadow[&p.id],
                    "block {block}: the pool read through extsload differs from the shadow \
                     its events moved ({})",
                    p.id
                );
            }
        }
        assert!(
            tally.mismatches.is_empty(),
            "{} mismatches after {} V4 swaps:\n{}",
            tally.mismatches.len(),
            tally.swaps(),
            tally.mismatches.join("\n")
        );
    }
    eprintln!(
        "{test}: {} V4 swaps ({} exact in, {} exact out, {} zero for one, {} with a price limit, \
         {} paying a protocol fee, {} on the native-ETH pool; {} initialized ticks crossed, up \
         to {} in one swap) equal the PoolManager's Swap events to the wei; {} reverted swaps \
         refused by the native math too; {} ran out of gas; {} liquidity changes mirrored; {} blocks in {:.1?}",
        tally.swaps(),
        tally.exact_in,
        tally.exact_out,
        tally.zero_for_one,
        tally.limited,
        tally.with_protocol_fee,
        tally.native_eth,
        tally.ticks_crossed,
        tally.max_crossed,
        tally.refused_by_both,
        tally.out_of_gas,
        tally.liquidity_changes,
        tally.blocks,
        started.elapsed()
    );
}

/// Walks one receipt's PoolManager logs over the shadow; checks our swap against the native
/// math.
fn check_receipt(
    receipt: &TransactionReceipt,
    manager: Address,
    intent: Option<&Intent>,
    shadow: &mut HashMap<B256, V4PoolState>,
    pools: &[DevV4Pool],
    tally: &mut Tally,
) {
    let hash = receipt.transaction_hash;
    if !receipt.status() {
        let Some(intent) = intent else { panic!("a liquidity change reverted: {hash}") };
        // A swap that drains a spacing-1 pool walks thousands of empty bitmap words to the
        // price limit: more gas than it was given (the inner call runs out, the router reverts with
        // the 1/64 kept back). Not a verdict on the math.
        if receipt.gas_used * 100 >= SWAP_GAS * 95 {
            tally.out_of_gas += 1;
            return;
        }
        match shadow[&intent.pool].swap(intent.zero_for_one, intent.specified, intent.limit) {
            Err(_) => tally.refused_by_both += 1,
            Ok(r) => tally.mismatches.push(format!(
                "{hash}: chain reverted (gas used {}), native swap {} limit {} succeeds: {r:?}",
                receipt.gas_used, intent.specified, intent.limit
            )),
        }
        return;
    }
    let mut checked = false;
    for log in receipt.inner.logs() {
        if log.address() != manager {
            continue;
        }
        let topic0 = log.topic0().copied().unwrap_or_default();
        if topic0 == IPoolManager::Swap::SIGNATURE_HASH {
            let ev = IPoolManager::Swap::decode_log(&log.inner).unwrap();
            let Some(state) = shadow.get_mut(&ev.id) else { continue };
            let event = (
                ev.amount0,
                ev.amount1,
                U256::from(ev.sqrtPriceX96),
                ev.liquidity,
                i32::try_from(ev.tick).unwrap(),
                ev.fee.to::<u32>(),
            );
            if let Some(intent) = intent.filter(|i| i.pool == ev.id) {
                checked = true;
                if intent.specified.is_negative() {
                    tally.exact_in += 1;
                } else {
                    tally.exact_out += 1;
                }
                tally.zero_for_one += usize::from(intent.zero_for_one);
                tally.limited += usize::from(intent.limited);
                tally.with_protocol_fee +=
                    usize::from(state.protocol_fee_for(intent.zero_for_one) != 0);
                tally.native_eth +=
                    usize::from(pools.iter().any(|p| p.id == intent.pool && p.is_native()));
                match state.swap(intent.zero_for_one, intent.specified, intent.limit) {
                    Ok(r) => {
                        tally.ticks_crossed += u64::from(r.ticks_crossed);
                        tally.max_crossed = tally.max_crossed.max(r.ticks_crossed);
                        let native =
                            (r.amount0, r.amount1, r.sqrt_price_x96, r.liquidity, r.tick, r.fee);
                        if native != event {
                            tally.mismatches.push(format!(
                                "{hash}: V4 {} swap {} limit {}: PoolManager {event:?}, native \
                                 {native:?}",
                                ev.id, intent.specified, intent.limit
                            ));
                        }
                    }
                    Err(err) => tally.mismatches.push(format!(
                        "{hash}: V4 {} swap {}: PoolManager {event:?}, native refused: {err}",
                        ev.id, intent.specified
                    )),
                }
            }
            state.apply_swap_event(event.2, event.3, event.4);
        } else if topic0 == IPoolManager::ModifyLiquidity::SIGNATURE_HASH {
            let ev = IPoolManager::ModifyLiquidity::decode_log(&log.inner).unwrap();
            let Some(state) = shadow.get_mut(&ev.id) else { continue };
            let (lower, upper) =
                (i32::try_from(ev.tickLower).unwrap(), i32::try_from(ev.tickUpper).unwrap());
            state
                .apply_modify_liquidity(lower, upper, ev.liquidityDelta)
                .expect("a ModifyLiquidity event applies");
            tally.liquidity_changes += 1;
        }
    }
    if let Some(intent) = intent
        && !checked
    {
        tally.mismatches.push(format!("{hash}: our swap on {} emitted no Swap event", intent.pool));
    }
}

//! The market on the devnet, over IPC as against reth: discovery, batched state loads, hostile
//! pools flagged, per-block sync equal to a fresh load, reorg rollback, restart from the
//! checkpoint without rediscovery, and the cycle index built incrementally.

use alloy::{
    primitives::{Address, U256},
    providers::{IpcConnect, Provider, ProviderBuilder},
};
use searcher::{
    abi::{IUniswapV2Pair, IUniswapV3Pool},
    market::{HealthFlags, Market, PoolState, math::TickInfo},
    store::Store,
};
use searcher_devnet::{
    Devnet,
    fixtures::{self, Activity, ManyPoolsSpec},
};
use std::collections::BTreeSet;

async fn ipc(devnet: &Devnet) -> impl Provider + use<> {
    ProviderBuilder::new()
        .connect_ipc(IpcConnect::new(devnet.ipc_path().to_path_buf()))
        .await
        .expect("IPC connects")
}

/// A fresh market (new in-memory store) at the node's latest block.
async fn fresh_load(provider: &impl Provider, devnet: &Devnet) -> Market {
    let store = Store::open_in_memory().await.unwrap();
    let config = fixtures::market_config(&devnet.addresses);
    Market::bootstrap(provider, &store, config).await.expect("fresh bootstrap").0
}

fn assert_same(synced: &Market, fresh: &Market, what: &str) {
    let diff = synced.differences(fresh);
    assert!(diff.is_empty(), "{what}: {} differences:\n{}", diff.len(), diff.join("\n"));
}

/// Every V2 reserve and V3 slot0 / liquidity / initialized tick equals the chain's, read
/// directly from the pool contracts.
async fn assert_matches_chain(provider: &impl Provider, market: &Market) {
    for entry in market.pools() {
        let address = entry.pool.id.address();
        match &entry.state {
            Some(PoolState::UniswapV2(p)) => {
                let r = IUniswapV2Pair::new(address, provider).getReserves().call().await.unwrap();
                assert_eq!(
                    (p.reserve0, p.reserve1),
                    (r.reserve0.to(), r.reserve1.to()),
                    "{address}"
                );
            }
            Some(PoolState::UniswapV3(p)) => {
                let pool = IUniswapV3Pool::new(address, provider);
                let slot0 = pool.slot0().call().await.unwrap();
                assert_eq!(p.sqrt_price_x96, U256::from(slot0.sqrtPriceX96), "{address}");
                assert_eq!(p.tick, i32::try_from(slot0.tick).unwrap(), "{address}");
                assert_eq!(p.liquidity, pool.liquidity().call().await.unwrap(), "{address}");
                for (tick, info) in &p.ticks {
                    let t = pool.ticks((*tick).try_into().unwrap()).call().await.unwrap();
                    let chain = TickInfo {
                        liquidity_gross: t.liquidityGross,
                        liquidity_net: t.liquidityNet,
                    };
                    assert_eq!(*info, chain, "{address} tick {tick}");
                }
                assert!(
                    p.window.contains(p.tick),
                    "{address}: window {:?} misses tick {}",
                    p.window,
                    p.tick
                );
            }
            None => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovers_loads_flags_hostile_pools_and_indexes_cycles() {
    let Some(devnet) = e2e::devnet_or_skip("market_discovery").await else { return };
    let hostile = fixtures::create_hostile_pools(&devnet).await.unwrap();
    let provider = ipc(&devnet).await;
    let store = Store::open_in_memory().await.unwrap();
    let config = fixtures::market_config(&devnet.addresses);
    let (market, report) = Market::bootstrap(&provider, &store, config).await.unwrap();

    // Every devnet pool is found, with its kind, tokens and fee.
    for dev in &devnet.addresses.pools {
        let entry = market
            .pool_by_address(dev.address)
            .unwrap_or_else(|| panic!("{} not found", dev.address));
        assert_eq!((entry.pool.token0, entry.pool.token1), (dev.token0, dev.token1));
        assert_eq!(&*entry.pool.dex, dev.dex);
    }
    assert_eq!(market.pools().len(), devnet.addresses.pools.len() + 6, "devnet pools + 6 hostile");
    assert_eq!(report.discovery.pools_found, market.pools().len());
    assert_matches_chain(&provider, &market).await;

    // Hostile pools: flagged with their reason, never indexed.
    let flags = |a: Address| market.pool_by_address(a).unwrap().flags;
    assert!(
        flags(hostile.fee_on_transfer).contains(HealthFlags::FEE_ON_TRANSFER),
        "{}",
        flags(hostile.fee_on_transfer)
    );
    assert!(
        flags(hostile.transfer_reverts).contains(HealthFlags::TRANSFER_FAILS),
        "{}",
        flags(hostile.transfer_reverts)
    );
    assert!(flags(hostile.absurd_decimals).contains(HealthFlags::BAD_DECIMALS));
    assert!(flags(hostile.decimals_revert).contains(HealthFlags::BAD_DECIMALS));
    assert_eq!(flags(hostile.empty), HealthFlags::EMPTY);
    assert_eq!(flags(hostile.uninitialized_v3), HealthFlags::UNINITIALIZED);
    assert!(flags(hostile.six_decimals).is_healthy(), "6 decimals is odd, not hostile");
    let fot = market.token_idx(devnet.addresses.token("FOT").unwrap()).unwrap();
    assert_eq!(market.token(fot).unwrap().transfer_fee_bps, Some(100), "DeflatingERC20 burns 1%");
    for entry in market.pools() {
        let idx = market.pool_idx(entry.pool.id.address()).unwrap();
        if !entry.is_healthy() {
            assert!(market.cycles_through(idx).is_empty(), "flagged {} has cycles", entry.pool.id);
        }
    }
    let counts = market.flag_counts();
    assert!(
        counts["fee-on-transfer"] >= 1
            && counts["transfer-fails"] >= 1
            && counts["bad-decimals"] >= 2
    );

    // Cycles: WETH/TKA on uniswap-v2, sushiswap and V3 give 3·2 = 6 two-hop cycles through the
    // three; every cycle starts and ends in WETH.
    let a = &devnet.addresses;
    let tka = a.token("TKA").unwrap();
    let weth_tka: BTreeSet<Address> = ["uniswap-v2", "sushiswap", "uniswap-v3"]
        .iter()
        .map(|dex| a.pool(dex, a.weth, tka, None).unwrap().address)
        .collect();
    let uni = market.pool_idx(a.pool("uniswap-v2", a.weth, tka, None).unwrap().address).unwrap();
    let two_hop_same_pair = market
        .cycles_through(uni)
        .iter()
        .map(|id| market.cycle(*id).unwrap())
        .filter(|c| c.hops().len() == 2)
        .filter(|c| {
            c.hops()
                .iter()
                .all(|h| weth_tka.contains(&market.pool(h.pool()).unwrap().pool.id.address()))
        })
        .count();
    assert_eq!(two_hop_same_pair, 4, "uniswap-v2 with sushiswap and with V3, both orders");
    let weth = market.token_idx(a.weth).unwrap();
    for cycle in market.index().cycles() {
        assert_eq!(market.index().start_token(cycle), Some(weth));
        assert!(cycle.hops().iter().all(|h| market.pool(h.pool()).unwrap().is_healthy()));
    }
    assert!(market.index().cycles().iter().any(|c| c.hops().len() == 3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_block_sync_equals_fresh_load_and_builds_the_index_incrementally() {
    let Some(devnet) = e2e::devnet_or_skip("market_sync").await else { return };
    let provider = ipc(&devnet).await;
    let store = Store::open_in_memory().await.unwrap();
    let config = fixtures::market_config(&devnet.addresses);
    let (mut market, _) = Market::bootstrap(&provider, &store, config).await.unwrap();

    let mut activity = Activity::new(7);
    for round in 0..6 {
        let sent = activity.send(&devnet, 12).await.unwrap();
        fixtures::mine_all(&devnet, sent).await.unwrap();
        let report = market.sync_to_latest(&provider, &store).await.unwrap();
        assert!(report.blocks_applied >= 1 && report.logs_applied > 0, "round {round}: {report:?}");
        assert_eq!(report.reorg_depth, 0);
    }
    // New pools appear while syncing: a small universe created block by block.
    let spec = ManyPoolsSpec { tokens: 8, token_pairs_per_token: 3, v3_every: 2 };
    let many = fixtures::create_many_pools(&devnet, spec).await.unwrap();
    let report = market.sync_to_latest(&provider, &store).await.unwrap();
    assert_eq!(report.new_pools, spec.pool_count());
    for pool in &many.pools {
        let entry = market.pool_by_address(*pool).unwrap();
        assert!(entry.is_healthy(), "{pool}: {}", entry.flags);
    }

    let fresh = fresh_load(&provider, &devnet).await;
    assert_eq!(fresh.head(), market.head());
    assert_same(&market, &fresh, "after sync");
    assert_matches_chain(&provider, &market).await;
    assert_eq!(market.index().cycles_len(), fresh.index().cycles_len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reorg_rolls_back_and_equals_a_fresh_load_at_the_new_head() {
    let Some(devnet) = e2e::devnet_or_skip("market_reorg").await else { return };
    let provider = ipc(&devnet).await;
    let store = Store::open_in_memory().await.unwrap();
    let config = fixtures::market_config(&devnet.addresses);
    let (mut market, _) = Market::bootstrap(&provider, &store, config).await.unwrap();
    let mut activity = Activity::new(11);
    let sent = activity.send(&devnet, 10).await.unwrap();
    fixtures::mine_all(&devnet, sent).await.unwrap();
    market.sync_to_latest(&provider, &store).await.unwrap();
    let fork_point = market.head().unwrap();
    let snapshot = devnet.snapshot().await.unwrap();

    // The branch to be orphaned: activity over three blocks and new pools.
    for _ in 0..2 {
        let sent = activity.send(&devnet, 10).await.unwrap();
        fixtures::mine_all(&devnet, sent).await.unwrap();
        market.sync_to_latest(&provider, &store).await.unwrap();
    }
    let spec = ManyPoolsSpec { tokens: 3, token_pairs_per_token: 1, v3_every: 1 };
    let orphaned = fixtures::create_many_pools(&devnet, spec).await.unwrap();
    market.sync_to_latest(&provider, &store).await.unwrap();
    assert!(market.pool_by_address(orphaned.pools[0]).is_some());
    let old_head = market.head().unwrap();

    // The new branch: different activity, one block longer.
    assert!(devnet.revert(snapshot).await.unwrap());
    let mut other = Activity::new(99);
    let depth = old_head.number - fork_point.number;
    for _ in 0..=depth {
        let sent = other.send(&devnet, 8).await.unwrap();
        fixtures::mine_all(&devnet, sent).await.unwrap();
    }
    let report = market.sync_to_latest(&provider, &store).await.unwrap();
    assert!(!report.reloaded, "{report:?}");
    assert_eq!(report.reorg_depth as u64, depth, "{report:?}");
    assert_eq!(report.blocks_applied as u64, depth + 1);
    assert!(market.pool_by_address(orphaned.pools[0]).is_none(), "orphaned pool forgotten");

    let fresh = fresh_load(&provider, &devnet).await;
    assert_eq!(fresh.head(), market.head());
    assert_same(&market, &fresh, "after reorg");
    assert_matches_chain(&provider, &market).await;

    // The checkpoint followed: no orphaned pool, head at the new tip.
    let checkpoint = store.load_market().await.unwrap();
    assert_eq!(checkpoint.head, market.head());
    assert_eq!(checkpoint.pools.len(), market.pools().len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_resumes_from_the_checkpoint_without_rediscovery() {
    let Some(devnet) = e2e::devnet_or_skip("market_restart").await else { return };
    let provider = ipc(&devnet).await;
    let dir = std::env::temp_dir().join(format!("searcher-market-restart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("store.sqlite");
    let config = fixtures::market_config(&devnet.addresses);

    let store = Store::open(&path).await.unwrap();
    let (mut market, first) = Market::bootstrap(&provider, &store, config.clone()).await.unwrap();
    assert!(first.discovery.log_requests() >= 3);
    let mut activity = Activity::new(3);
    let sent = activity.send(&devnet, 10).await.unwrap();
    fixtures::mine_all(&devnet, sent).await.unwrap();
    market.sync_to_latest(&provider, &store).await.unwrap();
    let synced = market.head().unwrap();
    let known = market.pools().len();
    drop(market);
    store.close().await;

    // While down: more activity and new pools.
    let spec = ManyPoolsSpec { tokens: 4, token_pairs_per_token: 2, v3_every: 2 };
    let many = fixtures::create_many_pools(&devnet, spec).await.unwrap();

    let store = Store::open(&path).await.unwrap();
    let (market, second) = Market::bootstrap(&provider, &store, config).await.unwrap();
    assert_eq!(second.restored_pools, known);
    assert!(!second.checkpoint_rolled_back);
    for range in &second.discovery.ranges {
        assert!(range.from > synced.number, "range {range:?} was covered before the restart");
    }
    assert_eq!(second.discovery.log_requests(), 3, "one request per factory for the new range");
    assert_eq!(second.discovery.pools_found, many.pools.len());
    assert_eq!(market.pools().len(), known + many.pools.len());

    let fresh = fresh_load(&provider, &devnet).await;
    assert_same(&market, &fresh, "after restart");
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_reorgs_and_large_gaps_reload_at_the_new_head() {
    let Some(devnet) = e2e::devnet_or_skip("market_deep_reorg").await else { return };
    let provider = ipc(&devnet).await;
    let store = Store::open_in_memory().await.unwrap();
    let mut config = fixtures::market_config(&devnet.addresses);
    config.undo_depth = 2;
    config.max_catch_up = 4;
    let (mut market, _) = Market::bootstrap(&provider, &store, config.clone()).await.unwrap();
    let snapshot = devnet.snapshot().await.unwrap();
    let mut activity = Activity::new(21);
    for _ in 0..3 {
        let sent = activity.send(&devnet, 6).await.unwrap();
        fixtures::mine_all(&devnet, sent).await.unwrap();
        market.sync_to_latest(&provider, &store).await.unwrap();
    }
    // Three blocks replaced, two kept in the undo log: reload.
    assert!(devnet.revert(snapshot).await.unwrap());
    let mut other = Activity::new(22);
    for _ in 0..4 {
        let sent = other.send(&devnet, 6).await.unwrap();
        fixtures::mine_all(&devnet, sent).await.unwrap();
    }
    let report = market.sync_to_latest(&provider, &store).await.unwrap();
    assert!(report.reloaded, "{report:?}");
    let fresh = fresh_load(&provider, &devnet).await;
    assert_same(&market, &fresh, "after a deep reorg");

    // A gap larger than max-catch-up: reload rather than replay.
    for _ in 0..6 {
        let sent = other.send(&devnet, 2).await.unwrap();
        fixtures::mine_all(&devnet, sent).await.unwrap();
    }
    let report = market.sync_to_latest(&provider, &store).await.unwrap();
    assert!(report.reloaded, "{report:?}");
    assert_same(&market, &fresh_load(&provider, &devnet).await, "after a gap");
    // And a small gap replays block by block.
    for _ in 0..3 {
        let sent = other.send(&devnet, 4).await.unwrap();
        fixtures::mine_all(&devnet, sent).await.unwrap();
    }
    let report = market.sync_to_latest(&provider, &store).await.unwrap();
    assert!(!report.reloaded && report.blocks_applied == 3, "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tick_window_follows_the_price() {
    use alloy::primitives::aliases::{U24, U160};
    use searcher::market::TickWindowPolicy;
    use searcher_devnet::{Role, abi::ISwapRouter};

    let Some(devnet) = e2e::devnet_or_skip("market_window").await else { return };
    let provider = ipc(&devnet).await;
    let store = Store::open_in_memory().await.unwrap();
    let mut config = fixtures::market_config(&devnet.addresses);
    config.load.tick_window = TickWindowPolicy::Words(0);
    let (mut market, _) = Market::bootstrap(&provider, &store, config.clone()).await.unwrap();
    let a = &devnet.addresses;
    let tkb = a.token("TKB").unwrap();
    let pool = a.pool("uniswap-v3", a.weth, tkb, Some(500)).unwrap().address;
    let v3 = |m: &Market| {
        m.pool_by_address(pool).unwrap().state.as_ref().unwrap().as_v3().unwrap().clone()
    };
    let before = v3(&market);
    assert!(
        before.window.upper - before.window.lower < 2560 * 2,
        "one word loaded: {:?}",
        before.window
    );

    // A large swap moves the price out of the loaded word.
    let trader = devnet.address(Role::Trader(0));
    let router = ISwapRouter::new(a.uniswap_v3.swap_router, devnet.provider());
    let call = router.exactInputSingle(ISwapRouter::ExactInputSingleParams {
        tokenIn: a.weth,
        tokenOut: tkb,
        fee: U24::from(500),
        recipient: trader,
        deadline: U256::MAX,
        amountIn: U256::from(400u64) * U256::from(10u64).pow(U256::from(18)),
        amountOutMinimum: U256::ZERO,
        sqrtPriceLimitX96: U160::ZERO,
    });
    let mut batch = fixtures::TxBatch::new(&devnet, Role::Trader(0)).await.unwrap();
    batch.send(Some(a.uniswap_v3.swap_router), call.calldata().to_vec(), 5_000_000).await.unwrap();
    batch.mine_all().await.unwrap();
    market.sync_to_latest(&provider, &store).await.unwrap();
    let after = v3(&market);
    assert!(
        !before.window.contains(after.tick),
        "the swap left the word ({} -> {})",
        before.tick,
        after.tick
    );
    assert!(
        after.window.contains(after.tick),
        "window re-centred: {:?} tick {}",
        after.window,
        after.tick
    );

    let store2 = Store::open_in_memory().await.unwrap();
    let (fresh, _) = Market::bootstrap(&provider, &store2, config).await.unwrap();
    assert_same(&market, &fresh, "after the window moved");
}

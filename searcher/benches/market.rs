//! Market benchmarks on the devnet, over IPC as against reth, with N ≥ 1,000 pools created
//! by `devnet::fixtures::create_many_pools` (plus the devnet's own pools):
//!
//! - `bootstrap_cold`: discovery (one `eth_getLogs` per factory) + batched state load
//!   (three rounds) + token probes + cycle index, from an empty store;
//! - `restart_from_checkpoint`: the same with the store of a previous run (no discovery
//!   request, no probe: checkpoint read + state load + index);
//! - `cycle_index_build`: the cycle index from scratch over the loaded pools, in memory;
//! - `sync_block`: fetch and apply one block of 12 swaps / mints / burns.
//!
//! `MARKET_BENCH_POOLS=10000` builds a universe of about that many pools instead of ~1,000.
//! Skipped with a printed reason when the devnet toolchain is not installed.

#![expect(clippy::print_stderr, reason = "a bench prints its setup and skips to stderr")]

use alloy::providers::{IpcConnect, Provider, ProviderBuilder};
use criterion::{Criterion, criterion_group, criterion_main};
use searcher::{
    market::{CycleIndex, Market, MarketConfig, PoolIdx},
    store::Store,
};
use searcher_devnet::{
    Devnet, DevnetOptions,
    fixtures::{self, Activity, ManyPoolsSpec},
    toolchain::Toolchain,
};
use std::time::{Duration, Instant};

struct Setup {
    devnet: Devnet,
    config: MarketConfig,
    checkpoint: tempfile::TempDir,
}

async fn setup() -> eyre::Result<Setup> {
    let devnet = Devnet::start(DevnetOptions::default()).await?;
    let started = Instant::now();
    // `MARKET_BENCH_POOLS` sizes the universe (default about 1,000 pools; ~10.5 per token).
    let spec = match std::env::var("MARKET_BENCH_POOLS").ok().and_then(|v| v.parse::<usize>().ok())
    {
        Some(pools) => ManyPoolsSpec { tokens: pools.div_ceil(10), ..ManyPoolsSpec::THOUSAND },
        None => ManyPoolsSpec::THOUSAND,
    };
    let many = fixtures::create_many_pools(&devnet, spec).await?;
    eprintln!(
        "fixture: {} pools, {} tokens in {:.1} s (last block {})",
        many.pools.len(),
        many.tokens.len(),
        started.elapsed().as_secs_f64(),
        many.last_block
    );
    let config = fixtures::market_config(&devnet.addresses);
    let checkpoint = tempfile::tempdir()?;
    Ok(Setup { devnet, config, checkpoint })
}

async fn ipc(devnet: &Devnet) -> eyre::Result<impl Provider + use<>> {
    Ok(ProviderBuilder::new().connect_ipc(IpcConnect::new(devnet.ipc_path().to_path_buf())).await?)
}

fn market(c: &mut Criterion) {
    if let Err(e) = Toolchain::locate().and_then(|t| t.anvil()) {
        eprintln!("SKIPPED market benches: {e}");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let setup = rt.block_on(setup()).expect("devnet and fixture");
    let provider = rt.block_on(ipc(&setup.devnet)).expect("IPC");
    let store_path = setup.checkpoint.path().join("market.sqlite");

    // One cold run to report what a bootstrap does, and to leave a checkpoint behind.
    let (mut loaded, report) = rt.block_on(async {
        let store = Store::open(&store_path).await.expect("store");
        Market::bootstrap(&provider, &store, setup.config.clone()).await.expect("bootstrap")
    });
    eprintln!(
        "bootstrap: {} pools, {} tokens, {} getLogs, {} eth_calls, {} probes, {} cycles, {:.0} ms",
        loaded.pools().len(),
        loaded.tokens().len(),
        report.discovery.log_requests(),
        report.load.calls,
        report.load.probes,
        report.cycles,
        report.elapsed.as_secs_f64() * 1e3
    );

    let mut group = c.benchmark_group("market");
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    group.bench_function("bootstrap_cold", |b| {
        b.to_async(&rt).iter(|| async {
            let store = Store::open_in_memory().await.expect("store");
            Market::bootstrap(&provider, &store, setup.config.clone()).await.expect("bootstrap")
        });
    });
    group.bench_function("restart_from_checkpoint", |b| {
        b.to_async(&rt).iter(|| async {
            let store = Store::open(&store_path).await.expect("store");
            let (market, report) =
                Market::bootstrap(&provider, &store, setup.config.clone()).await.expect("restart");
            assert_eq!(report.discovery.log_requests(), 0);
            store.close().await;
            market
        });
    });
    group.bench_function("cycle_index_build", |b| {
        b.iter(|| {
            let mut index = CycleIndex::new();
            for (i, token) in loaded.tokens().iter().enumerate() {
                let base = setup.config.base_tokens.contains(&token.address);
                index.set_base(searcher::market::TokenIdx(i as u32), base);
            }
            for (i, entry) in loaded.pools().iter().enumerate() {
                if entry.is_healthy() {
                    index.insert(PoolIdx(i as u32), entry.tokens[0], entry.tokens[1]);
                }
            }
            index
        });
    });
    let store = rt.block_on(Store::open_in_memory()).expect("store");
    let mut activity = Activity::new(5);
    let mut sync_stats = (0usize, 0usize);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("sync_block", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let sent = activity.send(&setup.devnet, 12).await.expect("activity");
                    fixtures::mine_all(&setup.devnet, sent).await.expect("mined");
                    let started = Instant::now();
                    let report = loaded.sync_to_latest(&provider, &store).await.expect("sync");
                    total += started.elapsed();
                    sync_stats.0 += report.blocks_applied;
                    sync_stats.1 += report.logs_applied;
                }
                total
            })
        });
    });
    group.finish();
    eprintln!(
        "sync_block: {} blocks, {} logs applied; {} cycles",
        sync_stats.0,
        sync_stats.1,
        loaded.index().cycles_len()
    );
}

criterion_group!(benches, market);
criterion_main!(benches);

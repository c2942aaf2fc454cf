//! One pending transaction through the whole hot path — decode → predict → strategy → exec →
//! sim → sign — on a warm devnet state with ≥ 10,000 pools loaded (issue 5's benchmark).
//!
//! Setup (not timed): the devnet, `HOT_PATH_POOLS` extra pools (default 10,000) from the
//! fixture, the executor deployed with forge and funded, the engine bootstrapped (market
//! loaded, state cache warm), and a large Router02 victim pending in the mempool.
//!
//! Timed: `Engine::plan_pending(victim)`, from the transaction as received to the signed
//! backrun. Criterion reports the mean; then `HOT_PATH_SAMPLES` (default 2,000) single runs
//! give p50/p99 twice, for a cycle whose execution gas the engine has learned and for one it
//! has never seen, each with the mean time and call count per stage from the exporter.
//!
//! Run: `cargo bench -p searcher --bench hot_path` (needs `tools/dev setup`).

#![expect(clippy::print_stderr, reason = "a benchmark reports its figures on stderr")]

use alloy::{
    network::TransactionBuilder,
    primitives::{TxHash, U256},
    providers::Provider,
};
use criterion::{Criterion, criterion_group, criterion_main};
use searcher::engine::Engine;
use searcher_devnet::{
    DevBuilders, Devnet, DevnetOptions, Role,
    abi::IUniswapV2Router02,
    fixtures::{ManyPoolsSpec, create_many_pools},
    setup::start_engine,
};
use std::{sync::Arc, time::Duration};

struct Fixture {
    _devnet: Devnet,
    _builders: Arc<DevBuilders>,
    _dir: tempfile::TempDir,
    engine: Engine,
    victim: alloy::rpc::types::Transaction,
    pools: usize,
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// `cargo bench` passes `--bench`; `cargo test --all-targets` runs benches once as a smoke
/// test, where a small universe keeps the setup short.
fn measuring() -> bool {
    std::env::args().any(|a| a == "--bench")
}

async fn setup() -> Fixture {
    let devnet = Devnet::start(DevnetOptions::default()).await.expect("devnet");
    let target = env_usize("HOT_PATH_POOLS", if measuring() { 10_000 } else { 200 });
    // Each token: 2 WETH pairs + 8 token pairs (+ a V3 pool every 4th).
    let tokens = target.div_ceil(10);
    let spec = ManyPoolsSpec { tokens, token_pairs_per_token: 8, v3_every: 4 };
    let many = create_many_pools(&devnet, spec).await.expect("pool fixture");
    let builders = Arc::new(DevBuilders::start(&devnet).await.expect("relays"));
    let dir = tempfile::tempdir().expect("tmp");
    let inventory = U256::from(100u128) * U256::from(10u128.pow(18));
    let engine = start_engine(&devnet, &builders, dir.path(), inventory).await.expect("engine");

    // A victim that opens a gap: 20 WETH into TKA on uniswap-v2, left pending.
    let a = &devnet.addresses;
    let tka = a.token("TKA").expect("TKA");
    let from = devnet.address(Role::Trader(0));
    let router = IUniswapV2Router02::new(a.uniswap_v2.router, devnet.provider());
    let tx = router
        .swapExactTokensForTokens(
            U256::from(20u128) * U256::from(10u128.pow(18)),
            U256::ZERO,
            vec![a.weth, tka],
            from,
            U256::MAX,
        )
        .from(from)
        .into_transaction_request()
        .with_gas_limit(300_000);
    let hash: TxHash = *devnet.provider().send_transaction(tx).await.expect("send").tx_hash();
    let victim = devnet
        .provider()
        .get_transaction_by_hash(hash)
        .await
        .expect("rpc")
        .expect("pending victim");
    Fixture {
        _devnet: devnet,
        _builders: builders,
        _dir: dir,
        engine,
        victim,
        pools: many.pools.len() + 13,
    }
}

fn hot_path(c: &mut Criterion) {
    if searcher_devnet::toolchain::Toolchain::locate().and_then(|t| t.anvil()).is_err() {
        eprintln!("SKIPPED hot_path bench: toolchain missing (run tools/dev setup)");
        return;
    }
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .expect("metrics recorder");
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let _guard = rt.enter();
    let fx = rt.block_on(setup());
    // Warm-up run: must produce a signed backrun.
    let plan = fx.engine.plan_pending(&fx.victim).expect("the victim yields a backrun");
    eprintln!(
        "hot_path: {} pools, cycle {}, profit {} wei, gas {}",
        fx.pools, plan.opportunity.cycle, plan.sim.profit, plan.sim.gas_used
    );

    let mut group = c.benchmark_group("hot_path");
    group.sample_size(50);
    group.bench_function("received_to_signed", |b| {
        b.iter(|| fx.engine.plan_pending(&fx.victim).expect("backrun"))
    });
    group.finish();

    let samples = env_usize("HOT_PATH_SAMPLES", if measuring() { 2_000 } else { 20 });
    // Two cases: a cycle the engine has proven before (its execution gas is learned: one
    // simulation) and one it has never seen (two simulations: native estimate, then revm's).
    for (case, forget) in [("cycle seen before", false), ("cycle never seen", true)] {
        let before = stage_totals(&recorder.render());
        let mut times: Vec<Duration> = (0..samples)
            .map(|_| {
                if forget {
                    fx.engine.forget_learned_gas();
                }
                let start = std::time::Instant::now();
                let _ = fx.engine.plan_pending(&fx.victim);
                start.elapsed()
            })
            .collect();
        times.sort();
        let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
        eprintln!(
            "hot_path, {case}: {samples} runs ({} pools): p50 {:?}  p90 {:?}  p99 {:?}  max {:?}",
            fx.pools,
            pct(0.50),
            pct(0.90),
            pct(0.99),
            times[times.len() - 1]
        );
        let after = stage_totals(&recorder.render());
        eprintln!("  per stage (mean per transaction, calls per transaction):");
        for (stage, (sum, count)) in &after {
            let (sum0, count0) = before.get(stage).copied().unwrap_or_default();
            let (sum, count) = (sum - sum0, count - count0);
            if count > 0.0 {
                eprintln!(
                    "    {stage:<9} {:>8.1} µs  x{:.2}",
                    sum / samples as f64 * 1e6,
                    count / samples as f64
                );
            }
        }
    }
}

/// `searcher_stage_seconds` sum and count per stage, from the exporter's text.
fn stage_totals(text: &str) -> std::collections::BTreeMap<String, (f64, f64)> {
    let mut totals = std::collections::BTreeMap::<String, (f64, f64)>::new();
    for line in text.lines() {
        let (kind, rest) = if let Some(rest) = line.strip_prefix("searcher_stage_seconds_sum{") {
            (0, rest)
        } else if let Some(rest) = line.strip_prefix("searcher_stage_seconds_count{") {
            (1, rest)
        } else {
            continue;
        };
        let Some((labels, value)) = rest.split_once("} ") else { continue };
        let Some(stage) = labels.strip_prefix("stage=\"").and_then(|l| l.strip_suffix('"')) else {
            continue;
        };
        let value: f64 = value.trim().parse().unwrap_or_default();
        let entry = totals.entry(stage.to_string()).or_default();
        if kind == 0 { entry.0 = value } else { entry.1 = value }
    }
    totals
}

criterion_group!(benches, hot_path);
criterion_main!(benches);

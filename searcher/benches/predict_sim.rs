//! Predict and sim on a warm cache, against the devnet (anvil over IPC, standing in for reth).
//!
//! - `predict/router02_victim`: one pending Router02 swap (WETH -> TKA -> TKB, two pairs) run
//!   over the head state, its two touched pairs read from the logs.
//! - `sim/victim_backrun`: `[victim, backrun]` with a Router02 backrun from another account,
//!   profit measured by `balanceOf` before and after.
//! - `sim/backrun_after_prediction`: the same bundle starting from the victim's post-state that
//!   predict computed (what the hot path does), so only the backrun runs.
//! - `evm/build_over_head`: building the EVM over a fresh overlay of the head (paid per call).
//! - `evm/victim_on_preloaded_overlay`: revm alone running the victim on an overlay already
//!   holding everything it reads: the floor under `predict/router02_victim`.
//!
//! Both run after one warm-up call, so every account, slot and code they read is cached: the
//! figures are revm's, not IPC round trips (the bench checks that no read went to the node).
//! Skipped with a printed reason when the project toolchain (anvil) is not installed.

#![expect(clippy::unwrap_used, clippy::print_stderr, reason = "benchmark harness")]
#![allow(missing_docs)]

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, U256},
    providers::{IpcConnect, Provider, ProviderBuilder},
    rpc::types::{Transaction, TransactionRequest},
};
use criterion::{Criterion, criterion_group, criterion_main};
use revm::{Context, ExecuteEvm, MainBuilder, MainContext};
use searcher::{
    predict::{Predictor, Protocol},
    sim::{ProfitProbe, Simulator},
    state::{StateCache, StateConfig, tx_env},
};
use searcher_devnet::{
    DevPoolKind, Devnet, DevnetOptions, Role, abi::IUniswapV2Router02, toolchain::Toolchain,
};
use std::{hint::black_box, time::Duration};

const ETHER: u128 = 1_000_000_000_000_000_000;

struct Setup {
    _devnet: Devnet,
    runtime: tokio::runtime::Runtime,
    cache: StateCache,
    pools: Vec<(Address, Protocol)>,
    victim: Transaction,
    backrun: Transaction,
    probe: ProfitProbe,
}

fn swap(devnet: &Devnet, from: Role, amount: U256, path: &[&str]) -> TransactionRequest {
    let a = &devnet.addresses;
    let path = path.iter().map(|s| a.token(s).unwrap()).collect();
    let trader = devnet.address(from);
    IUniswapV2Router02::new(a.uniswap_v2.router, devnet.provider())
        .swapExactTokensForTokens(amount, U256::ZERO, path, trader, U256::MAX)
        .from(trader)
        .into_transaction_request()
        .with_gas_limit(500_000)
}

fn setup() -> Option<Setup> {
    if let Err(err) = Toolchain::locate().and_then(|t| t.anvil()) {
        eprintln!("SKIPPED predict_sim benchmarks: {err}");
        return None;
    }
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (devnet, cache, victim, backrun) = runtime.block_on(async {
        let devnet = Devnet::start(DevnetOptions::default()).await.unwrap();
        let ipc = ProviderBuilder::new()
            .connect_ipc(IpcConnect::new(devnet.ipc_path().to_path_buf()))
            .await
            .unwrap()
            .erased();
        let mut pending = ipc.subscribe_full_pending_transactions().await.unwrap();
        let cache = StateCache::connect(ipc, StateConfig::default()).await.unwrap();
        let ether = U256::from(ETHER);
        let mut seen = Vec::new();
        for tx in [
            swap(&devnet, Role::Trader(0), ether * U256::from(10), &["WETH", "TKA", "TKB"]),
            swap(&devnet, Role::Trader(1), ether * U256::from(20_000), &["TKA", "WETH"]),
        ] {
            let hash = *devnet.provider().send_transaction(tx).await.unwrap().tx_hash();
            loop {
                let tx = pending.recv().await.unwrap();
                if *tx.inner.tx_hash() == hash {
                    seen.push(tx);
                    break;
                }
            }
        }
        let backrun = seen.pop().unwrap();
        let victim = seen.pop().unwrap();
        (devnet, cache, victim, backrun)
    });
    let pools = devnet
        .addresses
        .pools
        .iter()
        .map(|p| {
            let kind =
                if p.kind == DevPoolKind::V2 { Protocol::UniswapV2 } else { Protocol::UniswapV3 };
            (p.address, kind)
        })
        .collect();
    let probe =
        ProfitProbe { token: devnet.addresses.weth, holder: devnet.address(Role::Trader(1)) };
    Some(Setup { _devnet: devnet, runtime, cache, pools, victim, backrun, probe })
}

fn bench(c: &mut Criterion) {
    let Some(s) = setup() else { return };
    let _guard = s.runtime.enter();
    let head = s.cache.head();
    let pools = s.pools.clone();
    let lookup = move |address: Address| pools.iter().find(|(a, _)| *a == address).map(|(_, k)| *k);
    let predictor = Predictor::new([]);
    let sim = Simulator::new(s.probe);

    // Warm-up: every read goes to the node once.
    let prediction = predictor.predict_rpc(&head, &s.victim, &lookup).unwrap();
    assert_eq!(prediction.pools.len(), 2);
    sim.simulate(&head, tx_env(&s.victim.inner), tx_env(&s.backrun.inner)).unwrap();
    let warm = head.misses();
    eprintln!("warm cache: {:?}, {warm} misses to warm it", head.stats());

    // On a shared machine wall time includes waiting for a core; the thread's own CPU time
    // (Linux schedstat) does not. Printed next to criterion's wall-clock figures.
    let cpu_us = |f: &mut dyn FnMut()| {
        const N: u32 = 2_000;
        let (start, wall) = (thread_cpu_ns(), std::time::Instant::now());
        for _ in 0..N {
            f();
        }
        let cpu = thread_cpu_ns()
            .zip(start)
            .map(|(end, start)| (end - start) as f64 / 1e3 / f64::from(N));
        (cpu, wall.elapsed().as_secs_f64() * 1e6 / f64::from(N))
    };
    let predict_cpu = cpu_us(&mut || {
        black_box(predictor.predict_rpc(&head, &s.victim, &lookup).unwrap());
    });
    let sim_cpu = cpu_us(&mut || {
        black_box(sim.simulate(&head, tx_env(&s.victim.inner), tx_env(&s.backrun.inner)).unwrap());
    });
    let replay_cpu = cpu_us(&mut || {
        black_box(sim.simulate_predicted(&head, &prediction, tx_env(&s.backrun.inner)).unwrap());
    });
    eprintln!(
        "thread CPU time per call (µs, mean of 2000) / wall: predict {predict_cpu:.1?}, \
         sim {sim_cpu:.1?}, sim after prediction {replay_cpu:.1?}"
    );

    let mut group = c.benchmark_group("predict");
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("router02_victim", |b| {
        b.iter(|| black_box(predictor.predict_rpc(&head, black_box(&s.victim), &lookup).unwrap()))
    });
    group.finish();

    // What every call pays before the first opcode: the EVM over a fresh overlay of the head.
    let mut group = c.benchmark_group("evm");
    group.bench_function("build_over_head", |b| {
        b.iter(|| black_box(head.evm(head.next_block_env(None))))
    });
    // The floor: revm running the victim on an overlay that already holds every account and
    // slot it reads (no state-layer lookups, no log decoding). predict minus this is the cost
    // of the state layer and of predict itself.
    let block = head.next_block_env(None);
    let mut evm = head.evm(block.clone());
    evm.transact(tx_env(&s.victim.inner)).unwrap();
    let preloaded = evm.ctx.journaled_state.database.clone();
    group.bench_function("victim_on_preloaded_overlay", |b| {
        b.iter(|| {
            let mut evm = Context::mainnet()
                .with_cfg(head.chain().cfg_env())
                .with_block(block.clone())
                .with_db(preloaded.clone())
                .build_mainnet();
            black_box(evm.transact(tx_env(&s.victim.inner)).unwrap())
        })
    });
    group.finish();

    let mut group = c.benchmark_group("sim");
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("victim_backrun", |b| {
        b.iter(|| {
            let victim = tx_env(&s.victim.inner);
            let backrun = tx_env(&s.backrun.inner);
            black_box(sim.simulate(&head, victim, backrun).unwrap())
        })
    });
    group.bench_function("backrun_after_prediction", |b| {
        b.iter(|| {
            let backrun = tx_env(&s.backrun.inner);
            black_box(sim.simulate_predicted(&head, &prediction, backrun).unwrap())
        })
    });
    group.finish();
    assert_eq!(head.misses(), warm, "the measured runs never left the cache");
}

/// Nanoseconds this thread has run on a CPU (`/proc/thread-self/schedstat`, Linux).
fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

criterion_group!(benches, bench);
criterion_main!(benches);

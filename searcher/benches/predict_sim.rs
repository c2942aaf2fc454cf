//! Predict and sim on a warm cache, against the devnet (anvil over IPC, standing in for reth).
//!
//! - `predict/router02_victim`: one pending Router02 swap (WETH -> TKA -> TKB, two pairs) run
//!   over the head state, its two touched pairs read from the logs.
//! - `sim/victim_backrun`: `[victim, backrun]` with a Router02 backrun from another account,
//!   profit measured by `balanceOf` before and after.
//! - `sim/backrun_after_prediction`: the same bundle starting from the victim's post-state that
//!   predict computed (what the hot path does), so only the backrun runs.
//! - `evm/build_over_head`: building the EVM over a fresh overlay of the head (paid per call).
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
use searcher::{
    abi::IUniswapV2Router02,
    devnet::{Devnet, DevnetOptions, PoolKind, Role},
    predict::{PoolKindTag, Predictor},
    sim::{ProfitProbe, Simulator},
    state::{StateCache, StateConfig, tx_env},
    toolchain::Toolchain,
};
use std::{hint::black_box, time::Duration};

const ETHER: u128 = 1_000_000_000_000_000_000;

struct Setup {
    _devnet: Devnet,
    runtime: tokio::runtime::Runtime,
    cache: StateCache,
    pools: Vec<(Address, PoolKindTag)>,
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
            let kind = if p.kind == PoolKind::V2 { PoolKindTag::V2 } else { PoolKindTag::V3 };
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

criterion_group!(benches, bench);
criterion_main!(benches);

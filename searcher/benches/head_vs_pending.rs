//! Does the head path delay the hot path? A pending transaction arriving while the engine
//! applies a head with ≥ 20 due bundles must wait no more than 1 ms longer (p99) than one
//! arriving on an idle engine (issue 11).
//!
//! Setup (not timed): the devnet, the executor deployed and funded, the engine running
//! (`Engine::run`, as `searcher run` does) against the devnet over IPC with its builder-relays.
//!
//! Measured: `searcher_channel_lag_seconds{source="pending"}`, the time from the watch stage
//! receiving a pending transaction to a worker taking it, read sample by sample from a
//! debugging recorder, in two cases:
//! - **idle**: pending transactions sent 5 ms apart, with no head being applied;
//! - **head**: `DUE_BUNDLES` (default 25) bundle records due at the next block are put in the
//!   store, the block is mined, and pending transactions are sent straight after, while the
//!   engine applies the head and decides those bundles (blocks, receipts and verdicts on the
//!   inclusion task).
//!
//! The pending transactions are plain transfers by default, which the decode stage drops at
//! once, so what they wait for is the dispatch loop alone (the quantity at stake);
//! `HEAD_VS_PENDING_SWAPS=1` sends swaps instead, whose wait also includes the hot path's own
//! queue (two workers).
//!
//! Run: `cargo bench -p searcher --bench head_vs_pending` (needs `tools/dev setup`).
//! `HEAD_ROUNDS` (default 40; 3 under `cargo test`) heads, `SWAPS_PER_ROUND` (default 10).

#![expect(clippy::print_stderr, reason = "a benchmark reports its figures on stderr")]

use alloy::{
    network::TransactionBuilder,
    primitives::{B256, U256},
    providers::Provider,
};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use searcher::store::bundles::BundleRecord;
use searcher_devnet::{
    DevBuilders, Devnet, DevnetOptions, Role, abi::IUniswapV2Router02, setup::start_engine,
};
use std::{sync::Arc, time::Duration};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// `cargo bench` passes `--bench`; under `cargo test --all-targets` this runs once, small.
fn measuring() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// The pending channel lags recorded since the last call, in seconds.
fn pending_lags(snapshotter: &Snapshotter) -> Vec<f64> {
    let mut out = Vec::new();
    for (key, _, _, value) in snapshotter.snapshot().into_vec() {
        let key = key.key();
        if key.name() != searcher::metrics::CHANNEL_LAG_SECONDS
            || !key.labels().any(|l| l.key() == "source" && l.value() == "pending")
        {
            continue;
        }
        if let DebugValue::Histogram(values) = value {
            out.extend(values.into_iter().map(|v| v.into_inner()));
        }
    }
    out
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

/// A pending transaction from trader `n`: a small Router02 swap (`swap`), which the hot path
/// plans in full, or a plain transfer, which the decode stage drops at once, so its wait is
/// the dispatch loop's alone.
async fn send_pending(devnet: &Devnet, n: usize, nonce: u64, swap: bool) {
    let a = &devnet.addresses;
    let from = devnet.address(Role::Trader(n));
    let tx = if swap {
        let tka = a.token("TKA").expect("TKA");
        let router = IUniswapV2Router02::new(a.uniswap_v2.router, devnet.provider());
        router
            .swapExactTokensForTokens(
                U256::from(10u128.pow(16)),
                U256::ZERO,
                vec![a.weth, tka],
                from,
                U256::MAX,
            )
            .from(from)
            .into_transaction_request()
            .with_gas_limit(300_000)
    } else {
        alloy::rpc::types::TransactionRequest::default()
            .with_from(from)
            .with_to(from)
            .with_value(U256::from(1))
            .with_gas_limit(21_000)
    };
    let tx = tx
        .with_nonce(nonce)
        .with_max_fee_per_gas(100_000_000_000)
        .with_max_priority_fee_per_gas(1_000_000_000);
    let _pending = devnet.provider().send_transaction(tx).await.expect("send");
}

fn main() {
    if searcher_devnet::toolchain::Toolchain::locate().and_then(|t| t.anvil()).is_err() {
        eprintln!("SKIPPED head_vs_pending bench: toolchain missing (run tools/dev setup)");
        return;
    }
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder.install().expect("metrics recorder");
    let rounds = env_usize("HEAD_ROUNDS", if measuring() { 40 } else { 3 });
    let per_round = env_usize("SWAPS_PER_ROUND", 10);
    let due = env_usize("DUE_BUNDLES", 25);
    // Transfers by default: their wait is the dispatch loop's alone. HEAD_VS_PENDING_SWAPS=1
    // sends swaps, whose wait also includes the hot path's own queue.
    let swaps = std::env::var("HEAD_VS_PENDING_SWAPS").is_ok_and(|v| v == "1");
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let devnet = Devnet::start(DevnetOptions::default()).await.expect("devnet");
        let builders = Arc::new(DevBuilders::start(&devnet).await.expect("relays"));
        let dir = tempfile::tempdir().expect("tmp");
        let engine = start_engine(&devnet, &builders, dir.path(), U256::from(10u128.pow(20)))
            .await
            .expect("engine");
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let running = {
            let engine = engine.clone();
            tokio::spawn(async move { engine.run(stop_rx).await })
        };
        tokio::time::sleep(Duration::from_millis(500)).await; // subscriptions in place
        let provider = devnet.provider();
        let mut nonces = Vec::new();
        for n in 0..per_round {
            let from = devnet.address(Role::Trader(n));
            nonces.push(provider.get_transaction_count(from).await.expect("nonce"));
        }
        let _ = pending_lags(&snapshotter);

        // Idle: one swap at a time, no head in flight.
        let mut idle = Vec::new();
        for round in 0..rounds {
            for (n, nonce) in nonces.iter_mut().enumerate() {
                send_pending(&devnet, n, *nonce, swaps).await;
                *nonce += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            idle.extend(pending_lags(&snapshotter));
            // Mine quietly, then let the head settle before the next idle round.
            devnet.mine().await.expect("mine");
            tokio::time::sleep(Duration::from_millis(300)).await;
            let _ = pending_lags(&snapshotter);
            let _ = round;
        }

        // Head: due bundles in the store, mine, and send the swaps while the head is applied.
        let mut busy = Vec::new();
        let mut head_ms = Vec::new();
        for round in 0..rounds {
            let next = provider.get_block_number().await.expect("block") + 1;
            for i in 0..due {
                let tag = (round * 1_000 + i) as u64;
                let record = BundleRecord {
                    bundle_hash: B256::from(U256::from(tag + 1)),
                    opportunity_id: None,
                    target_block: next,
                    replacement_uuid: None,
                    victim_hash: B256::from(U256::from(tag + 1_000_000)),
                    backrun_hash: B256::from(U256::from(tag + 2_000_000)),
                    created_at_ms: 0,
                    simulated_profit: U256::ZERO,
                    bid: U256::ZERO,
                };
                engine.store().record_bundle(&record).await.expect("due bundle");
            }
            let mined_at = std::time::Instant::now();
            devnet.mine().await.expect("mine");
            for (n, nonce) in nonces.iter_mut().enumerate() {
                send_pending(&devnet, n, *nonce, swaps).await;
                *nonce += 1;
            }
            // Until the head is applied and the bundles decided.
            while engine.stats().head < next {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            head_ms.push(mined_at.elapsed().as_secs_f64() * 1e3);
            tokio::time::sleep(Duration::from_millis(200)).await;
            busy.extend(pending_lags(&snapshotter));
            devnet.mine().await.expect("mine");
            tokio::time::sleep(Duration::from_millis(300)).await;
            let _ = pending_lags(&snapshotter);
        }
        let _ = stop.send(true);
        let _ = running.await;

        for v in [&mut idle, &mut busy, &mut head_ms] {
            v.sort_by(f64::total_cmp);
        }
        let us = |v: f64| v * 1e6;
        eprintln!(
            "head_vs_pending: idle  n={:<4} p50 {:>7.1} µs  p99 {:>7.1} µs  max {:>7.1} µs",
            idle.len(),
            us(percentile(&idle, 0.5)),
            us(percentile(&idle, 0.99)),
            us(idle.last().copied().unwrap_or(f64::NAN))
        );
        eprintln!(
            "head_vs_pending: head  n={:<4} p50 {:>7.1} µs  p99 {:>7.1} µs  max {:>7.1} µs  ({due} due bundles per head; head applied {:.1} ms after mining, p50)",
            busy.len(),
            us(percentile(&busy, 0.5)),
            us(percentile(&busy, 0.99)),
            us(busy.last().copied().unwrap_or(f64::NAN)),
            percentile(&head_ms, 0.5)
        );
        let added = percentile(&busy, 0.99) - percentile(&idle, 0.99);
        eprintln!(
            "head_vs_pending: added wait at p99 {:.1} µs (target ≤ 1,000 µs): {}",
            us(added),
            if added <= 1e-3 { "met" } else { "MISSED" }
        );
        assert!(!idle.is_empty() && !busy.is_empty(), "the engine took the pending swaps");
    });
}

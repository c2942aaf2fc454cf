//! Arbitrum: from "feed message received" to "backrun sent" (issue 15's latency benchmark).
//!
//! Setup (not timed): the devnet with `FEED_BENCH_POOLS` extra pools (default 10,000 with
//! `--bench`, 200 as a smoke test), the executor deployed and funded, the engine bootstrapped,
//! the devnet sequencer (paused: nothing is mined, so every run meets the same state) with its
//! feed server, and the searcher's feed client connected to it.
//!
//! Each run: the feed server publishes a sequenced message holding a large Router02 victim
//! (20 WETH → TKA on `uniswap-v2`, the hot-path benchmark's victim) under the next sequence
//! number; the client reads the frame (timing starts at the frame's arrival, `received_at`),
//! parses, dedups, decodes and recovers the signer and hands it over its channel (stage
//! `feed`); the engine plans it on a fresh pending block (`plan`: predict, strategy, exec ⇄
//! sim, sign); the backrun goes to the sequencer with `eth_sendRawTransaction` (`send`, until
//! the sequencer's answer). `FEED_BENCH_SAMPLES` runs (default 2,000 with `--bench`).
//!
//! Run: `cargo bench -p searcher --bench feed_to_send` (needs `tools/dev setup`).

#![expect(clippy::print_stderr, reason = "a benchmark reports its figures on stderr")]

use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    primitives::U256,
    providers::{Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
};
use searcher::watch::arbitrum::{FeedClient, FeedConfig};
use searcher_devnet::{
    DevBuilders, Devnet, DevnetOptions, Role,
    abi::IUniswapV2Router02,
    feed::{l2_message, sequenced_message},
    fixtures::{ManyPoolsSpec, create_many_pools},
    sequencer::{DevSequencer, SequencerConfig},
    setup::start_engine,
};
use std::{
    sync::Arc,
    time::{Duration, Instant},
};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// `cargo bench` passes `--bench`; otherwise this runs once, small, as a smoke test.
fn measuring() -> bool {
    std::env::args().any(|a| a == "--bench")
}

fn percentiles(name: &str, mut times: Vec<Duration>) {
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    eprintln!(
        "  {name:<8} p50 {:>9.1?}  p90 {:>9.1?}  p99 {:>9.1?}  max {:>9.1?}  mean {:>9.1?}",
        pct(0.50),
        pct(0.90),
        pct(0.99),
        times[times.len() - 1],
        mean
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if searcher_devnet::toolchain::Toolchain::locate().and_then(|t| t.anvil()).is_err() {
        eprintln!("SKIPPED feed_to_send bench: toolchain missing (run tools/dev setup)");
        return;
    }
    let setup_started = Instant::now();
    let devnet = Devnet::start(DevnetOptions::default()).await.expect("devnet");
    let target = env_usize("FEED_BENCH_POOLS", if measuring() { 10_000 } else { 200 });
    let tokens = target.div_ceil(10);
    let spec = ManyPoolsSpec { tokens, token_pairs_per_token: 8, v3_every: 4 };
    let many = create_many_pools(&devnet, spec).await.expect("pool fixture");
    let builders = Arc::new(DevBuilders::start(&devnet).await.expect("relays"));
    let dir = tempfile::tempdir().expect("tmp");
    let inventory = U256::from(100u128) * U256::from(10u128.pow(18));
    let engine = start_engine(&devnet, &builders, dir.path(), inventory).await.expect("engine");
    let sequencer = DevSequencer::start(devnet.provider().clone(), SequencerConfig::default())
        .await
        .expect("sequencer");
    sequencer.pause(true);
    let (_stop, shutdown) = tokio::sync::watch::channel(false);
    let config =
        FeedConfig { urls: vec![sequencer.feed_url().to_owned()], ..FeedConfig::default() };
    let (mut feed, _client) = FeedClient::spawn(config, shutdown);
    while sequencer.feed().open_connections() == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let rpc = ProviderBuilder::new().connect_http(sequencer.rpc_url().parse().expect("url"));

    // The victim, signed once.
    let a = &devnet.addresses;
    let trader = devnet.address(Role::Trader(0));
    let request = IUniswapV2Router02::new(a.uniswap_v2.router, devnet.provider())
        .swapExactTokensForTokens(
            U256::from(20u128) * U256::from(10u128.pow(18)),
            U256::ZERO,
            vec![a.weth, a.token("TKA").expect("TKA")],
            trader,
            U256::MAX,
        )
        .from(trader)
        .into_transaction_request()
        .with_nonce(devnet.provider().get_transaction_count(trader).await.expect("nonce"))
        .with_chain_id(devnet.chain_id())
        .with_gas_limit(300_000)
        .with_max_fee_per_gas(100_000_000_000)
        .with_max_priority_fee_per_gas(1_000_000_000);
    let victim = <TransactionRequest as alloy::network::NetworkTransactionBuilder<
        alloy::network::Ethereum,
    >>::build(request, &EthereumWallet::from(devnet.signer(Role::Trader(0))))
    .await
    .expect("signs");
    let l2 = l2_message(std::slice::from_ref(&victim));
    eprintln!("feed_to_send: setup {:?}: {} pools", setup_started.elapsed(), many.pools.len() + 13);

    let samples = env_usize("FEED_BENCH_SAMPLES", if measuring() { 2_000 } else { 20 });
    let (mut feed_t, mut plan_t, mut send_t, mut total_t) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut profit = None;
    for seq in 1..=samples as u64 + 20 {
        sequencer.feed().publish(vec![sequenced_message(seq, 0, l2.clone())]);
        let sequenced = feed.txs.recv().await.expect("the feed client runs");
        let dequeued = Instant::now();
        let engine_ = engine.clone();
        let tx = sequenced.tx.clone();
        let mut pending = engine.pending_block();
        // The hot path runs on this (runtime worker) thread: blocking, as the engine's workers.
        let (plan, planned) = tokio::task::block_in_place(|| {
            let plan = engine_.plan_sequenced(&tx, &mut pending).expect("a backrun");
            (plan, Instant::now())
        });
        let _sent = rpc.send_raw_transaction(&plan.backrun.raw).await.expect("sequencer takes it");
        let sent = Instant::now();
        profit.get_or_insert((
            plan.opportunity.cycle.to_string(),
            plan.sim.profit,
            plan.sim.gas_used,
        ));
        // The first 20 runs warm up (connections, caches, the learned gas).
        if seq > 20 {
            feed_t.push(dequeued - sequenced.received_at);
            plan_t.push(planned - dequeued);
            send_t.push(sent - planned);
            total_t.push(sent - sequenced.received_at);
        }
    }
    let (cycle, profit, gas) = profit.expect("runs");
    eprintln!(
        "feed_to_send: {samples} runs, {} pools, cycle {cycle}, profit {profit} wei, gas {gas}",
        many.pools.len() + 13
    );
    percentiles("feed", feed_t);
    percentiles("plan", plan_t);
    percentiles("send", send_t);
    percentiles("total", total_t);
}

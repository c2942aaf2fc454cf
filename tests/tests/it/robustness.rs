//! Issue 5's robustness acceptance, with the engine in-process on the devnet (hostile pools
//! created before it starts, so its market knows and flags them):
//!
//! - malformed transactions handed straight to the hot path (`Engine::plan_pending`): wrong
//!   chain id, empty input, creation, garbage or truncated calldata, no code at `to`, out of
//!   gas, fee cap below the base fee, gas above the block's, unfunded sender, a blob
//!   transaction, our own key: each is `NoPlan::Dropped(reason)`, never a panic;
//! - one block's mempool full of junk, through the running pipeline (`Engine::run`): a
//!   reverting Router02 swap, an ETH transfer, a contract creation, a WETH deposit (touches no
//!   pool), swaps through the hostile pools (transfer reverts, absurd or reverting decimals,
//!   fee-on-transfer both ways, an empty pair, an uninitialized V3 pool), a tiny victim whose
//!   gap is below costs, and a large victim: the large victim's backrun lands right after it,
//!   and no other bundle is sent;
//! - the engine is still running afterwards and backruns a second victim in the next block;
//! - every class is counted in `searcher_skips_total{stage, reason}`.

use alloy::{
    consensus::{
        SignableTransaction, Signed, TxEip4844, TxEip4844Variant, TxEnvelope,
        transaction::Recovered,
    },
    network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder},
    primitives::{Address, B256, Bytes, TxHash, U256, aliases::U24, aliases::U160},
    providers::Provider,
    rpc::types::{Transaction, TransactionRequest},
    signers::{SignerSync, local::PrivateKeySigner},
    sol_types::SolCall,
};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use searcher::{
    abi::{IUniswapV2Pair, IWETH9},
    engine::{Engine, EngineOptions, NoPlan},
    keys::Keys,
};
use searcher_devnet::{
    DevBuilders, Devnet, Role,
    abi::{ISwapRouter, IUniswapV2Router02},
    fixtures::{HostilePools, create_hostile_pools},
    setup::{BlockTicker, SearcherSetup, deploy_executor, fund_executor, searcher_config},
};
use std::{
    sync::{
        Arc, OnceLock,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

const ETHER: u128 = 1_000_000_000_000_000_000;
const GWEI: u128 = 1_000_000_000;

/// The process-wide Prometheus recorder, installed once per test binary; `Err` when another
/// recorder was installed first (then the counters are not ours to read).
fn recorder() -> Result<&'static PrometheusHandle, &'static str> {
    static RECORDER: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();
    RECORDER
        .get_or_init(|| PrometheusBuilder::new().install_recorder().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(String::as_str)
}

/// `searcher_skips_total{stage, reason}` from a rendering (0 when absent).
fn skips(text: &str, stage: &str, reason: &str) -> f64 {
    let (stage, reason) = (format!("stage=\"{stage}\""), format!("reason=\"{reason}\""));
    text.lines()
        .filter(|l| {
            l.starts_with("searcher_skips_total{") && l.contains(&stage) && l.contains(&reason)
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Every `searcher_skips_total` line of a rendering, for failure messages.
fn skip_lines(text: &str) -> String {
    text.lines().filter(|l| l.starts_with("searcher_skips_total{")).collect::<Vec<_>>().join("\n")
}

fn ether(n: u128) -> U256 {
    U256::from(n) * U256::from(ETHER)
}

/// An RPC pending transaction as the node would announce it, signed by `signer` (the
/// request must be complete: nonce, gas, fees, chain id).
async fn signed(signer: &PrivateKeySigner, request: TransactionRequest) -> Transaction {
    let envelope: TxEnvelope =
        request.build(&EthereumWallet::new(signer.clone())).await.expect("signs");
    Transaction {
        inner: Recovered::new_unchecked(envelope, signer.address()),
        block_hash: None,
        block_number: None,
        transaction_index: None,
        effective_gas_price: None,
        block_timestamp: None,
    }
}

/// A signed EIP-4844 transaction (no sidecar: as a node announces it).
fn blob_tx(signer: &PrivateKeySigner, chain_id: u64, nonce: u64, to: Address) -> Transaction {
    let mut versioned_hash = B256::repeat_byte(0x11);
    versioned_hash.0[0] = 1; // KZG version byte
    let tx = TxEip4844 {
        chain_id,
        nonce,
        gas_limit: 300_000,
        max_fee_per_gas: 100 * GWEI,
        max_priority_fee_per_gas: GWEI,
        to,
        value: U256::ZERO,
        access_list: Default::default(),
        blob_versioned_hashes: vec![versioned_hash],
        max_fee_per_blob_gas: GWEI,
        input: Bytes::from_static(&[0x01, 0x02]),
    };
    let signature = signer.sign_hash_sync(&tx.signature_hash()).expect("signs");
    let envelope = TxEnvelope::Eip4844(Signed::<TxEip4844Variant>::from(tx.into_signed(signature)));
    Transaction {
        inner: Recovered::new_unchecked(envelope, signer.address()),
        block_hash: None,
        block_number: None,
        transaction_index: None,
        effective_gas_price: None,
        block_timestamp: None,
    }
}

/// Runs the hot path for one transaction on a blocking thread (it blocks on revm and the
/// market lock).
async fn plan(engine: &Engine, tx: Transaction) -> Result<String, NoPlan> {
    let engine = engine.clone();
    tokio::task::spawn_blocking(move || {
        engine.plan_pending(&tx).map(|p| p.opportunity.cycle.to_string())
    })
    .await
    .expect("the hot path does not panic")
}

/// Sends a transaction from a dev account to the public mempool (gas limit explicit, so a
/// reverting transaction is sent rather than refused by estimation).
async fn send(devnet: &Devnet, role: Role, request: TransactionRequest, gas: u64) -> TxHash {
    let request = request.with_from(devnet.address(role)).with_gas_limit(gas);
    *devnet.provider().send_transaction(request).await.expect("sent").tx_hash()
}

fn call(to: Address, data: Vec<u8>) -> TransactionRequest {
    TransactionRequest::default().with_to(to).with_input(Bytes::from(data))
}

/// Router02 `swapExactTokensForTokens` calldata.
fn v2_swap(amount_in: U256, min_out: U256, path: Vec<Address>, to: Address) -> Vec<u8> {
    IUniswapV2Router02::swapExactTokensForTokensCall {
        amountIn: amount_in,
        amountOutMin: min_out,
        path,
        to,
        deadline: U256::MAX,
    }
    .abi_encode()
}

/// The token of a WETH pair that is not WETH.
async fn other_token(devnet: &Devnet, pair: Address) -> Address {
    let pair = IUniswapV2Pair::new(pair, devnet.provider());
    let (t0, t1) =
        (pair.token0().call().await.expect("token0"), pair.token1().call().await.expect("token1"));
    if t0 == devnet.addresses.weth { t1 } else { t0 }
}

/// Waits until the engine has handled head `block`.
async fn wait_head(engine: &Engine, block: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while engine.stats().head < block {
        assert!(
            Instant::now() < deadline,
            "engine never reached block {block}: {:?}",
            engine.stats()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The transaction right after `victim` in block `number`, and its sender.
async fn next_after(devnet: &Devnet, number: u64, victim: TxHash) -> Option<(TxHash, Address)> {
    let block =
        devnet.provider().get_block_by_number(number.into()).await.expect("rpc").expect("block");
    let hashes: Vec<TxHash> = block.transactions.hashes().collect();
    let at = hashes.iter().position(|h| *h == victim).expect("victim mined in the block");
    let next = *hashes.get(at + 1)?;
    let tx = devnet.provider().get_transaction_by_hash(next).await.expect("rpc").expect("tx");
    Some((next, tx.inner.signer()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_reverting_and_hostile_transactions_never_stop_the_pipeline() {
    let Some(devnet) = e2e::devnet_or_skip("robustness").await else { return };
    let started = Instant::now();
    let metrics = match recorder() {
        Ok(handle) => Some(handle),
        Err(err) => {
            eprintln!(
                "robustness: another metrics recorder is installed in this test binary \
                 ({err}); skipping the skip-counter assertions"
            );
            None
        }
    };
    let hostile: HostilePools = create_hostile_pools(&devnet).await.unwrap();
    let builders = Arc::new(DevBuilders::start(&devnet).await.unwrap());
    let ticker = BlockTicker::start(builders.clone(), Duration::from_millis(200));
    let executor = deploy_executor(&devnet).await.unwrap();
    fund_executor(&devnet, executor, ether(50)).await.unwrap();
    ticker.stop().await;

    let dir = tempfile::tempdir().unwrap();
    let setup = SearcherSetup {
        executor,
        relays: builders.relay_configs(),
        builders: builders.builder_rules(),
        store: dir.path().join("searcher.db"),
        metrics: None,
        kill_switch_file: None,
    };
    let keys =
        Keys { trading: devnet.signer(Role::Searcher), identity: PrivateKeySigner::random() };
    let engine = Engine::start(searcher_config(&devnet, &setup), keys, EngineOptions::default())
        .await
        .expect("engine starts");
    let (shutdown, shutdown_rx) = tokio::sync::watch::channel(false);
    let stopped = AtomicBool::new(false);

    let run = async {
        let result = engine.run(shutdown_rx).await;
        stopped.store(true, Ordering::SeqCst);
        result
    };
    let body = async {
        let a = &devnet.addresses;
        let weth = a.weth;
        let tka = a.token("TKA").unwrap();
        let fot = a.token("FOT").unwrap();
        let searcher = devnet.address(Role::Searcher);
        let chain_id = devnet.chain_id();
        let render = || metrics.map(|h| h.render()).unwrap_or_default();
        let before_malformed = render();

        // 1. Malformed input at the boundary that accepts it: the hot path drops each with a
        //    reason and never panics.
        let trader = devnet.signer(Role::Trader(0));
        let nonce = devnet.provider().get_transaction_count(trader.address()).await.unwrap();
        let swap_data = v2_swap(ether(20), U256::ZERO, vec![weth, tka], trader.address());
        let base = |to: Option<Address>, data: &[u8], gas: u64| {
            let tx = TransactionRequest::default()
                .with_nonce(nonce)
                .with_gas_limit(gas)
                .with_max_fee_per_gas(100 * GWEI)
                .with_max_priority_fee_per_gas(GWEI)
                .with_chain_id(chain_id)
                .with_input(Bytes::copy_from_slice(data));
            match to {
                Some(to) => tx.with_to(to),
                None => tx.into_create(),
            }
        };
        let router = Some(a.uniswap_v2.router);
        let deposit = IWETH9::depositCall {}.abi_encode();
        let unfunded = PrivateKeySigner::random();
        let ours = devnet.signer(Role::Searcher);
        let ours_nonce = devnet.provider().get_transaction_count(ours.address()).await.unwrap();
        let cases = [
            (
                "wrong chain id",
                signed(&trader, base(router, &swap_data, 300_000).with_chain_id(chain_id + 1))
                    .await,
                "wrong_chain",
            ),
            ("empty input", signed(&trader, base(router, &[], 300_000)).await, "not_contract_call"),
            (
                "contract creation",
                signed(&trader, base(None, &[0x60, 0x00, 0x60, 0x00, 0xf3], 300_000)).await,
                "not_contract_call",
            ),
            (
                "garbage calldata",
                signed(&trader, base(router, &[0xde, 0xad, 0xbe, 0xef, 0x01], 300_000)).await,
                "reverted",
            ),
            (
                "truncated calldata",
                signed(&trader, base(router, &swap_data[..68], 300_000)).await,
                "reverted",
            ),
            (
                "no code at to",
                signed(&trader, base(Some(Address::repeat_byte(0x42)), &swap_data, 300_000)).await,
                "not_contract_call",
            ),
            // Just above the intrinsic gas: WETH's own frame runs out (a cold SLOAD).
            ("out of gas", signed(&trader, base(Some(weth), &deposit, 22_000)).await, "out_of_gas"),
            // Enough to reach the pair: the pair's frame runs out and the router reverts.
            (
                "out of gas in a sub-call",
                signed(&trader, base(router, &swap_data, 60_000)).await,
                "reverted",
            ),
            (
                "gas above the block's",
                signed(&trader, base(router, &swap_data, 100_000_000)).await,
                "invalid",
            ),
            (
                "fee cap below base fee",
                signed(
                    &trader,
                    base(router, &swap_data, 300_000)
                        .with_max_fee_per_gas(1)
                        .with_max_priority_fee_per_gas(0),
                )
                .await,
                "invalid",
            ),
            (
                "unfunded sender",
                signed(&unfunded, base(router, &swap_data, 300_000)).await,
                "invalid",
            ),
            ("blob transaction", blob_tx(&trader, chain_id, nonce, a.uniswap_v2.router), "blob_tx"),
            (
                "our own key",
                signed(&ours, base(router, &swap_data, 300_000).with_nonce(ours_nonce)).await,
                "ours",
            ),
        ];
        for (what, tx, expected) in cases {
            match plan(&engine, tx).await {
                Err(NoPlan::Dropped(reason)) => {
                    assert_eq!(reason, expected, "{what}: dropped with the wrong reason");
                }
                other => panic!("{what}: expected a drop, got {other:?}"),
            }
        }

        // 2. The running pipeline: wait until it follows heads (subscriptions in place).
        tokio::time::sleep(Duration::from_millis(500)).await;
        let report = builders.build_block().await.unwrap();
        wait_head(&engine, report.number).await;
        let before = render();
        let stats_before = engine.stats();

        // 3. One block's mempool: junk first, then a tiny victim, then a large one.
        let t = |n| devnet.address(Role::Trader(n));
        let v2 = a.uniswap_v2.router;
        let mut junk = Vec::new();
        // (a) reverts: impossible amountOutMin.
        junk.push(
            send(
                &devnet,
                Role::Trader(0),
                call(v2, v2_swap(ether(1), U256::MAX, vec![weth, tka], t(0))),
                300_000,
            )
            .await,
        );
        // (b) plain ETH transfer.
        junk.push(
            send(
                &devnet,
                Role::Trader(4),
                TransactionRequest::default()
                    .with_to(Address::repeat_byte(0x77))
                    .with_value(ether(1)),
                21_000,
            )
            .await,
        );
        // A contract call that moves no pool: a WETH deposit.
        junk.push(
            send(
                &devnet,
                Role::Trader(0),
                call(weth, IWETH9::depositCall {}.abi_encode()).with_value(ether(1)),
                100_000,
            )
            .await,
        );
        // (d) hostile pools.
        let reverting = other_token(&devnet, hostile.transfer_reverts).await;
        let absurd = other_token(&devnet, hostile.absurd_decimals).await;
        let no_decimals = other_token(&devnet, hostile.decimals_revert).await;
        let empty = other_token(&devnet, hostile.empty).await;
        for token in [reverting, absurd, no_decimals, empty] {
            junk.push(
                send(
                    &devnet,
                    Role::Trader(1),
                    call(v2, v2_swap(ether(1), U256::ZERO, vec![weth, token], t(1))),
                    300_000,
                )
                .await,
            );
        }
        for (path, amount) in [(vec![weth, fot], ether(1)), (vec![fot, weth], ether(1000))] {
            let data =
                IUniswapV2Router02::swapExactTokensForTokensSupportingFeeOnTransferTokensCall {
                    amountIn: amount,
                    amountOutMin: U256::ZERO,
                    path,
                    to: t(1),
                    deadline: U256::MAX,
                }
                .abi_encode();
            junk.push(send(&devnet, Role::Trader(1), call(v2, data), 300_000).await);
        }
        let v3_uninitialized = ISwapRouter::exactInputSingleCall {
            params: ISwapRouter::ExactInputSingleParams {
                tokenIn: weth,
                tokenOut: empty,
                fee: U24::from(3000),
                recipient: t(1),
                deadline: U256::MAX,
                amountIn: ether(1),
                amountOutMinimum: U256::ZERO,
                sqrtPriceLimitX96: U160::ZERO,
            },
        }
        .abi_encode();
        junk.push(
            send(
                &devnet,
                Role::Trader(1),
                call(a.uniswap_v3.swap_router, v3_uninitialized),
                1_000_000,
            )
            .await,
        );
        // (e) a tiny victim: its gap is below costs.
        let tiny = send(
            &devnet,
            Role::Trader(2),
            call(v2, v2_swap(U256::from(ETHER / 1000), U256::ZERO, vec![weth, tka], t(2))),
            300_000,
        )
        .await;
        // (f) a large victim on uniswap-v2 WETH→TKA.
        let victim = send(
            &devnet,
            Role::Trader(3),
            call(v2, v2_swap(ether(20), U256::ZERO, vec![weth, tka], t(3))),
            300_000,
        )
        .await;

        // (c) a contract creation (empty runtime). Sent after the large victim: the devnet
        //     builder cannot simulate a creation ahead of a bundle (anvil's eth_simulateV1
        //     refuses a call without `to`), which is the devnet's limit, not the searcher's.
        junk.push(
            send(
                &devnet,
                Role::Trader(5),
                TransactionRequest::default()
                    .into_create()
                    .with_input(Bytes::from_static(&[0x60, 0x00, 0x60, 0x00, 0xf3])),
                100_000,
            )
            .await,
        );

        // The tiny victim yields no backrun when planned directly either.
        let tiny_tx =
            devnet.provider().get_transaction_by_hash(tiny).await.unwrap().expect("pending");
        match plan(&engine, tiny_tx).await {
            Err(NoPlan::Dropped(reason)) => assert_eq!(reason, "unprofitable"),
            Err(NoPlan::NoneViable(records)) => {
                assert!(records.iter().all(|r| r.status != "bundled"))
            }
            Ok(cycle) => panic!("the tiny victim produced a backrun: {cycle}"),
        }

        tokio::time::sleep(Duration::from_millis(1500)).await;
        let report = builders.build_block().await.unwrap();
        assert_eq!(report.included.len(), 1, "exactly one bundle included: {report:?}");
        assert_eq!(report.included[0].victim, victim, "{report:?}");
        let (_, signer) =
            next_after(&devnet, report.number, victim).await.expect("a tx after the victim");
        assert_eq!(signer, searcher, "our backrun lands right after the large victim");
        if let Some((_, after_tiny)) = next_after(&devnet, report.number, tiny).await {
            assert_ne!(after_tiny, searcher, "no backrun after the tiny victim");
        }
        for hash in junk.iter().chain([&tiny]) {
            let receipt = devnet.provider().get_transaction_receipt(*hash).await.unwrap();
            assert_eq!(
                receipt.and_then(|r| r.block_number),
                Some(report.number),
                "junk {hash} mined in the block"
            );
        }
        wait_head(&engine, report.number).await;
        let stats = engine.stats();
        assert_eq!(
            stats.bundles - stats_before.bundles,
            1,
            "one bundle sent, for the large victim only: {stats:?}"
        );
        assert!(!stopped.load(Ordering::SeqCst), "the engine is still running");

        // 4. The next block: the pipeline still backruns a good victim.
        let second = send(
            &devnet,
            Role::Trader(3),
            call(a.sushiswap.router, v2_swap(ether(20), U256::ZERO, vec![weth, tka], t(3))),
            300_000,
        )
        .await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let report2 = builders.build_block().await.unwrap();
        assert_eq!(report2.included.len(), 1, "the second victim is backrun: {report2:?}");
        assert_eq!(report2.included[0].victim, second);
        let (_, signer) =
            next_after(&devnet, report2.number, second).await.expect("a tx after the victim");
        assert_eq!(signer, searcher);
        wait_head(&engine, report2.number).await;
        // The verdict of a head's bundles is recorded just after the head is published.
        let deadline = Instant::now() + Duration::from_secs(10);
        while engine.stats().landed - stats_before.landed < 2 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let stats = engine.stats();
        assert_eq!(stats.bundles - stats_before.bundles, 2, "{stats:?}");
        assert_eq!(stats.landed - stats_before.landed, 2, "both bundles landed: {stats:?}");
        assert_eq!(stats.errors, stats_before.errors, "no engine error: {stats:?}");
        assert!(!stopped.load(Ordering::SeqCst), "the engine is still running");

        // 5. Every class counted.
        if metrics.is_some() {
            let after = render();
            let delta = |stage: &str, reason: &str| {
                skips(&after, stage, reason) - skips(&before, stage, reason)
            };
            let all = skip_lines(&after);
            for (stage, reason, at_least, what) in [
                ("decode", "not_contract_call", 2.0, "ETH transfer and contract creation"),
                (
                    "predict",
                    "reverted",
                    4.0,
                    "impossible amountOutMin, transfer-reverting token, empty pair, uninitialized V3",
                ),
                ("predict", "untracked", 1.0, "WETH deposit"),
                (
                    "strategy",
                    "unhealthy_pool",
                    4.0,
                    "absurd/reverting decimals, fee-on-transfer both ways",
                ),
            ] {
                assert!(
                    delta(stage, reason) >= at_least,
                    "{what}: {stage}/{reason} grew by {} (< {at_least})\n{all}",
                    delta(stage, reason)
                );
            }
            let below_costs =
                delta("strategy", "unprofitable") + delta("strategy", "below_gas_estimate");
            assert!(
                below_costs >= 1.0,
                "tiny victim: strategy unprofitable/below_gas_estimate not counted\n{all}"
            );
            for (stage, reason) in [
                ("decode", "wrong_chain"),
                ("decode", "blob_tx"),
                ("predict", "out_of_gas"),
                ("predict", "invalid"),
                ("predict", "ours"),
            ] {
                let grew = skips(&after, stage, reason) - skips(&before_malformed, stage, reason);
                assert!(grew >= 1.0, "malformed: {stage}/{reason} not counted\n{all}");
            }
            assert_eq!(delta("engine", "hot_path_busy"), 0.0, "no pending transaction shed\n{all}");
            eprintln!("robustness: skips after the run:\n{all}");
        }
        eprintln!(
            "robustness: {:?} since the devnet started; {:?}",
            started.elapsed(),
            engine.stats()
        );
        shutdown.send(true).unwrap();
    };
    let (result, ()) = tokio::join!(run, body);
    result.expect("the engine stops cleanly");
}

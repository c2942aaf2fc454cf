//! Predict on the devnet, for any caller: each victim is sent to the mempool, received from the
//! IPC pending subscription with its full body, predicted in revm over the warm head state,
//! then mined; the predicted post-state of every touched pool must equal the chain's to the
//! unit (`getReserves`, `slot0`, `liquidity`). Also: the state cache carried across heads by
//! state diffs stays exact, and dropped transactions carry the right reason.

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, Bytes, U256, aliases::U24},
    providers::{DynProvider, IpcConnect, Provider, ProviderBuilder, ext::AnvilApi},
    pubsub::Subscription,
    rpc::types::{Header, Transaction, TransactionRequest, anvil::MineOptions},
};
use searcher::{
    abi::{IERC20, IUniswapV2Pair, IUniswapV3Pool},
    predict::{PredictError, PredictedState, Prediction, Predictor, Protocol, TouchedPool},
    state::{HeadState, StateCache, StateConfig},
};
use searcher_devnet::{
    DevPoolKind, Devnet, Role,
    abi::{ISwapRouter, IUniswapV2Router02},
};
use std::{sync::Arc, time::Duration};

pub(crate) const ETHER: u128 = 1_000_000_000_000_000_000;

pub(crate) fn ether(n: u128) -> U256 {
    U256::from(n) * U256::from(ETHER)
}

/// The devnet seen as the searcher sees reth: one IPC provider, a state cache over it and the
/// full pending-transaction subscription.
pub(crate) struct Fixture {
    pub(crate) devnet: Devnet,
    pub(crate) ipc: DynProvider,
    pub(crate) cache: StateCache,
    pending: Subscription<Transaction>,
}

impl Fixture {
    pub(crate) async fn start(test: &str) -> Option<Self> {
        Self::start_with(test, StateConfig::default()).await
    }

    pub(crate) async fn start_with(test: &str, config: StateConfig) -> Option<Self> {
        let devnet = e2e::devnet_or_skip(test).await?;
        let ipc = ProviderBuilder::new()
            .connect_ipc(IpcConnect::new(devnet.ipc_path().to_path_buf()))
            .await
            .expect("IPC connects")
            .erased();
        let pending = ipc.subscribe_full_pending_transactions().await.expect("subscribe");
        let cache = StateCache::connect(ipc.clone(), config).await.expect("state cache");
        Some(Self { devnet, ipc, cache, pending })
    }

    /// The tracked-pool lookup: every devnet pool.
    pub(crate) fn lookup(&self) -> impl Fn(Address) -> Option<Protocol> + use<> {
        let pools: Vec<(Address, Protocol)> = self
            .devnet
            .addresses
            .pools
            .iter()
            .map(|p| {
                let kind = match p.kind {
                    DevPoolKind::V2 => Protocol::UniswapV2,
                    DevPoolKind::V3 => Protocol::UniswapV3,
                };
                (p.address, kind)
            })
            .collect();
        move |address| pools.iter().find(|(a, _)| *a == address).map(|(_, k)| *k)
    }

    pub(crate) fn predictor(&self) -> Predictor {
        Predictor::new([self.devnet.address(Role::Searcher)])
    }

    pub(crate) fn pool(&self, dex: &str, a: &str, b: &str) -> Address {
        let a_ = &self.devnet.addresses;
        let (ta, tb) = (a_.token(a).expect("token"), a_.token(b).expect("token"));
        a_.pool(dex, ta, tb, None).expect("pool").address
    }

    /// Sends `tx` from the devnet's wallet and waits for it on the IPC pending subscription.
    pub(crate) async fn send(&mut self, tx: TransactionRequest) -> Transaction {
        let tx = if tx.gas.is_none() { tx.with_gas_limit(1_000_000) } else { tx };
        let hash = *self.devnet.provider().send_transaction(tx).await.expect("sent").tx_hash();
        tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                let tx = self.pending.recv().await.expect("pending stream open");
                if *tx.inner.tx_hash() == hash {
                    return tx;
                }
            }
        })
        .await
        .expect("pending transaction announced within 10 s")
    }

    /// Mines the mempool into one block one slot after the head (the timestamp predict and sim
    /// assume, as on mainnet; anvil would otherwise use the wall clock, which changes the gas of
    /// V2 price-accumulator writes, though never a pool's reserves or price) and installs it as
    /// the cache's head.
    pub(crate) async fn mine(&self) -> Arc<HeadState> {
        let head = self.cache.head();
        let timestamp = head.info().timestamp + head.chain().slot_seconds;
        let options = MineOptions::Options { timestamp: Some(timestamp), blocks: Some(1) };
        self.devnet.provider().evm_mine(Some(options)).await.expect("mined");
        let number = self.ipc.get_block_number().await.expect("block number");
        assert_eq!(number, head.number() + 1);
        let header = self.header(number).await;
        assert_eq!(header.inner.timestamp, timestamp);
        self.cache.advance(&header).await.expect("head installed")
    }

    pub(crate) async fn header(&self, number: u64) -> Header {
        self.ipc.get_block_by_number(number.into()).await.expect("block").expect("exists").header
    }

    /// Asserts the chain's current state of each pool equals the predicted one.
    pub(crate) async fn assert_on_chain(&self, pools: &[TouchedPool]) {
        for pool in pools {
            match pool.state {
                PredictedState::V2 { reserve0, reserve1 } => {
                    let r = IUniswapV2Pair::new(pool.address, &self.ipc)
                        .getReserves()
                        .call()
                        .await
                        .expect("getReserves");
                    assert_eq!(
                        (reserve0, reserve1),
                        (r.reserve0.to::<u128>(), r.reserve1.to::<u128>()),
                        "V2 reserves of {}",
                        pool.address
                    );
                }
                PredictedState::V3 { sqrt_price_x96, liquidity, tick, .. } => {
                    let v3 = IUniswapV3Pool::new(pool.address, &self.ipc);
                    let slot0 = v3.slot0().call().await.expect("slot0");
                    let on_chain_liquidity = v3.liquidity().call().await.expect("liquidity");
                    assert_eq!(
                        sqrt_price_x96, slot0.sqrtPriceX96,
                        "sqrtPriceX96 of {}",
                        pool.address
                    );
                    assert_eq!(tick, slot0.tick.as_i32(), "tick of {}", pool.address);
                    assert_eq!(liquidity, on_chain_liquidity, "liquidity of {}", pool.address);
                }
            }
        }
    }

    /// Predicts `tx` on the current head, mines, checks every touched pool on chain, and
    /// checks the victim succeeded on chain. Returns the prediction.
    pub(crate) async fn predict_mine_check(&self, tx: &Transaction) -> Prediction {
        let head = self.cache.head();
        let prediction =
            self.predictor().predict_rpc(&head, tx, &self.lookup()).expect("predicted");
        assert_eq!(prediction.tx_hash, *tx.inner.tx_hash());
        assert_eq!(prediction.head, head.number());
        self.mine().await;
        let receipt =
            self.ipc.get_transaction_receipt(*tx.inner.tx_hash()).await.unwrap().expect("mined");
        assert!(receipt.status(), "victim succeeded on chain");
        assert_eq!(prediction.gas_used, receipt.gas_used, "gas used");
        self.assert_on_chain(&prediction.pools).await;
        prediction
    }

    pub(crate) fn router02_swap(
        &self,
        dex: &str,
        from: Role,
        amount_in: U256,
        min_out: U256,
        path: &[&str],
    ) -> TransactionRequest {
        let a = &self.devnet.addresses;
        let router = a.v2_dex(dex).expect("dex").router;
        let path: Vec<Address> = path.iter().map(|s| a.token(s).expect("token")).collect();
        let trader = self.devnet.address(from);
        IUniswapV2Router02::new(router, self.devnet.provider())
            .swapExactTokensForTokens(amount_in, min_out, path, trader, U256::MAX)
            .from(trader)
            .into_transaction_request()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn router02_swap_is_predicted_exactly() {
    let Some(mut f) = Fixture::start("router02_swap_is_predicted_exactly").await else { return };
    let tx =
        f.router02_swap("uniswap-v2", Role::Trader(0), ether(10), U256::ZERO, &["WETH", "TKA"]);
    let victim = f.send(tx).await;
    let prediction = f.predict_mine_check(&victim).await;
    assert_eq!(prediction.pools.len(), 1);
    assert_eq!(prediction.pools[0].address, f.pool("uniswap-v2", "WETH", "TKA"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swap_router_v3_swap_is_predicted_exactly() {
    let Some(mut f) = Fixture::start("swap_router_v3_swap_is_predicted_exactly").await else {
        return;
    };
    let a = f.devnet.addresses.clone();
    let tka = a.token("TKA").unwrap();
    let pool = a.pool("uniswap-v3", a.weth, tka, Some(3000)).unwrap().address;
    let liquidity_before = IUniswapV3Pool::new(pool, &f.ipc).liquidity().call().await.unwrap();
    let trader = f.devnet.address(Role::Trader(1));
    // Large enough to cross several initialized ticks.
    let params = ISwapRouter::ExactInputSingleParams {
        tokenIn: a.weth,
        tokenOut: tka,
        fee: U24::from(3000),
        recipient: trader,
        deadline: U256::MAX,
        amountIn: ether(60),
        amountOutMinimum: U256::ZERO,
        sqrtPriceLimitX96: Default::default(),
    };
    let tx = ISwapRouter::new(a.uniswap_v3.swap_router, f.devnet.provider())
        .exactInputSingle(params)
        .from(trader)
        .into_transaction_request();
    let victim = f.send(tx).await;
    let prediction = f.predict_mine_check(&victim).await;
    assert_eq!(prediction.pools.len(), 1);
    assert_eq!(prediction.pools[0].address, pool);
    let PredictedState::V3 { liquidity, ticks_changed, .. } = prediction.pools[0].state else {
        panic!("a V3 state");
    };
    assert!(!ticks_changed);
    assert_ne!(liquidity, liquidity_before, "the swap crossed initialized ticks");
}

/// Runtime code of a tiny non-router contract: `token.transfer(pair, amountIn)` from its own
/// balance, then `pair.swap(amount0Out, amount1Out, msg.sender, "")`. Calldata (packed):
/// `token (20) | pair (20) | amountIn (32) | amount0Out (32) | amount1Out (32)`.
const DIRECT_SWAPPER_RUNTIME: &str = concat!(
    // mstore(0, transfer selector << 224); mstore(4, pair); mstore(36, amountIn)
    "63a9059cbb60e01b600052",
    "60143560601c600452",
    "602835602452",
    // call(gas, token, 0, 0, 68, 0, 0)
    "60006000604460006000",
    "60003560601c5af1",
    // mstore(0, swap selector << 224); amount0Out, amount1Out, to = caller, data offset, len 0
    "63022c0d9f60e01b600052",
    "604835600452",
    "606835602452",
    "33604452",
    "6080606452",
    "6000608452",
    // call(gas, pair, 0, 0, 164, 0, 0)
    "6000600060a460006000",
    "60143560601c5af1",
    // both succeeded or revert
    "16",
    "15606957",
    "00",
    "5b600080fd",
);

fn direct_swapper_initcode() -> Bytes {
    let runtime = alloy::hex::decode(DIRECT_SWAPPER_RUNTIME).expect("hex");
    let len = u8::try_from(runtime.len()).expect("short runtime");
    // codecopy(0, 12, len); return(0, len)
    let mut code = vec![0x60, len, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, len, 0x60, 0x00, 0xf3];
    code.extend_from_slice(&runtime);
    code.into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_pair_swap_from_a_contract_is_predicted_exactly() {
    let Some(mut f) = Fixture::start("direct_pair_swap_from_a_contract").await else { return };
    let a = f.devnet.addresses.clone();
    let tkb = a.token("TKB").unwrap();
    let pair = a.pool("sushiswap", a.weth, tkb, None).unwrap().address;
    let trader = f.devnet.address(Role::Trader(2));

    // Deploy the swapper and give it WETH (two mined blocks).
    let deploy =
        TransactionRequest::default().from(trader).with_deploy_code(direct_swapper_initcode());
    let deployed = f.send(deploy).await;
    f.mine().await;
    let swapper = f
        .ipc
        .get_transaction_receipt(*deployed.inner.tx_hash())
        .await
        .unwrap()
        .and_then(|r| r.contract_address)
        .expect("deployed");
    let fund = IERC20::new(a.weth, f.devnet.provider())
        .transfer(swapper, ether(5))
        .from(trader)
        .into_transaction_request();
    f.send(fund).await;
    f.mine().await;

    // Exact V2 output for 5 WETH.
    let reserves = IUniswapV2Pair::new(pair, &f.ipc).getReserves().call().await.unwrap();
    let weth_is_0 = a.weth < tkb;
    let (r_in, r_out) = if weth_is_0 {
        (U256::from(reserves.reserve0), U256::from(reserves.reserve1))
    } else {
        (U256::from(reserves.reserve1), U256::from(reserves.reserve0))
    };
    let amount_in = ether(5);
    let out = amount_in * U256::from(997) * r_out
        / (r_in * U256::from(1000) + amount_in * U256::from(997));
    let (out0, out1) = if weth_is_0 { (U256::ZERO, out) } else { (out, U256::ZERO) };
    let mut data = Vec::new();
    data.extend_from_slice(a.weth.as_slice());
    data.extend_from_slice(pair.as_slice());
    for word in [amount_in, out0, out1] {
        data.extend_from_slice(&word.to_be_bytes::<32>());
    }
    let call =
        TransactionRequest::default().from(trader).to(swapper).input(Bytes::from(data).into());
    let victim = f.send(call).await;
    let prediction = f.predict_mine_check(&victim).await;
    assert_eq!(prediction.pools.len(), 1);
    assert_eq!(prediction.pools[0].address, pair);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_pool_route_in_one_transaction_is_predicted_exactly() {
    let Some(mut f) = Fixture::start("two_pool_route_in_one_transaction").await else { return };
    let tx = f.router02_swap(
        "uniswap-v2",
        Role::Trader(3),
        ether(8),
        U256::ZERO,
        &["WETH", "TKA", "TKB"],
    );
    let victim = f.send(tx).await;
    let prediction = f.predict_mine_check(&victim).await;
    let touched: Vec<Address> = prediction.pools.iter().map(|p| p.address).collect();
    assert_eq!(
        touched,
        vec![f.pool("uniswap-v2", "WETH", "TKA"), f.pool("uniswap-v2", "TKA", "TKB")],
        "both pairs, in route order"
    );
}

/// Victims on the same pools over several blocks: the cache advanced by state diffs (or, in
/// the second run, by dropping all storage) must never serve a stale value, and with diffs the
/// hot entries are warm again when the next head is installed.
async fn cache_stays_exact_across_heads(test: &str, trace_diffs: bool) {
    let config = StateConfig { trace_diffs, ..StateConfig::default() };
    let Some(mut f) = Fixture::start_with(test, config).await else { return };
    for round in 0..3u128 {
        let dex = if round % 2 == 0 { "uniswap-v2" } else { "sushiswap" };
        let tx = f.router02_swap(
            dex,
            Role::Trader(0),
            ether(3 + round),
            U256::ZERO,
            &["WETH", "TKA", "TKB"],
        );
        let victim = f.send(tx).await;
        let head = f.cache.head();
        let misses_before = head.misses();
        f.predict_mine_check(&victim).await;
        let origin = *f.cache.head().origin();
        if trace_diffs {
            assert_eq!(origin.mode, "diff", "the node served the block's state diff");
            assert!(origin.carried.accounts > 0 && origin.carried.slots > 0, "{origin:?}");
        } else {
            assert_eq!(origin.mode, "unknown");
            assert_eq!((origin.carried.accounts, origin.carried.slots), (0, 0), "{origin:?}");
        }
        assert!(origin.refetched > 0, "the victim's changed hot entries were refetched");
        if round > 0 && trace_diffs {
            // Same sender, router and token contracts as a previous round: everything was
            // either carried over unchanged or refetched when the head was installed.
            let misses = head.misses() - misses_before;
            if dex == "sushiswap" && round == 1 {
                continue; // first use of the second DEX: its pairs are cold
            }
            assert_eq!(misses, 0, "round {round}: warm cache");
        }
    }
    let stats = f.cache.head().stats();
    assert!(stats.codes >= 4, "router, pairs, tokens code cached: {stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_carried_by_state_diffs_stays_exact_and_warm() {
    cache_stays_exact_across_heads("cache_carried_by_state_diffs", true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_without_state_diffs_stays_exact() {
    cache_stays_exact_across_heads("cache_without_state_diffs", false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_transactions_carry_their_reason() {
    let Some(mut f) = Fixture::start("dropped_transactions_carry_their_reason").await else {
        return;
    };
    let a = f.devnet.addresses.clone();
    let lookup = f.lookup();
    let predictor = f.predictor();
    let (t0, t1) = (f.devnet.address(Role::Trader(0)), f.devnet.address(Role::Trader(1)));

    let transfer = f.send(TransactionRequest::default().from(t0).to(t1).value(ether(1))).await;
    let token_transfer = f
        .send(
            IERC20::new(a.token("TKA").unwrap(), f.devnet.provider())
                .transfer(t1, ether(1))
                .from(t1)
                .into_transaction_request(),
        )
        .await;
    let reverting = f
        .send(f.router02_swap(
            "uniswap-v2",
            Role::Trader(2),
            ether(1),
            ether(1_000_000),
            &["WETH", "TKA"],
        ))
        .await;
    let out_of_gas = f
        .send(
            f.router02_swap("uniswap-v2", Role::Trader(3), ether(1), U256::ZERO, &["WETH", "TKA"])
                .with_gas_limit(30_000),
        )
        .await;
    let searcher = f.devnet.address(Role::Searcher);
    let ours = f
        .send(
            TransactionRequest::default()
                .from(searcher)
                .to(a.uniswap_v2.router)
                .input(Bytes::from_static(&[1, 2, 3, 4]).into()),
        )
        .await;

    let head = f.cache.head();
    let reason = |tx: &Transaction| match predictor.predict_rpc(&head, tx, &lookup) {
        Ok(p) => panic!("{} should be dropped, got {p:?}", tx.inner.tx_hash()),
        Err(err) => err,
    };
    assert!(matches!(reason(&transfer), PredictError::NotContractCall));
    assert!(matches!(reason(&token_transfer), PredictError::Untracked { .. }));
    let err = reason(&reverting);
    assert!(matches!(err, PredictError::Reverted { .. }), "{err}");
    assert!(err.is_failed());
    assert!(matches!(reason(&out_of_gas), PredictError::OutOfGas { .. }));
    assert!(matches!(reason(&ours), PredictError::Ours));
    assert_eq!(reason(&transfer).kind().as_str(), "not_contract_call");

    // The chain agrees: the reverting and out-of-gas swaps fail when mined.
    f.mine().await;
    for tx in [&reverting, &out_of_gas] {
        let receipt =
            f.ipc.get_transaction_receipt(*tx.inner.tx_hash()).await.unwrap().expect("mined");
        assert!(!receipt.status());
    }
}

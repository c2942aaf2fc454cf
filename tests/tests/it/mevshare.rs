//! The devnet MEV-Share matchmaker, driven the way a searcher and a wallet would: a user sends a
//! swap privately (`eth_sendPrivateTransaction`), the searcher's hint source
//! (`searcher::watch::hints`) reads its hint from the SSE stream, the searcher answers with a
//! signed `mev_sendBundle` `[{hash}, {tx}]`, and the builder includes the match right after
//! the victim with the user's refund (90% of the backrun's payment) in the same block. The
//! victim never enters anvil's mempool; an unmatched private transaction lands alone; hints
//! follow the user's privacy settings.
//!
//! The backrun is a call to a one-line payer contract that forwards its value to
//! `block.coinbase` (see `relay.rs` for its bytecode): what the builder is paid is exact.

use alloy::{
    consensus::TxEnvelope,
    eips::{BlockNumberOrTag, Encodable2718},
    network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder},
    primitives::{Address, Bytes, TxHash, U256, bytes},
    providers::Provider,
    rpc::types::{
        TransactionRequest,
        mev::{EthSendPrivateTransaction, Privacy, PrivacyHint, PrivateTransactionPreferences},
    },
    signers::local::PrivateKeySigner,
    sol_types::SolCall,
};
use bundles::MevShareBackrun;
use searcher::watch::{
    HintConfig, HintSource,
    hints::{Hint, HintChannels},
};
use searcher_devnet::{DevBuilders, Devnet, MatchmakerOptions, Role, abi::IUniswapV2Router02};
use serde_json::{Value, json};
use std::time::Duration;

const GWEI: u128 = 1_000_000_000;
const PAYER_INIT_CODE: Bytes = bytes!("0x6009600a5f3960095ff35f5f5f5f34415af100");
const V2_SWAP_TOPIC: alloy::primitives::B256 =
    alloy::primitives::b256!("0xd78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822");

async fn sign(
    devnet: &Devnet,
    signer: &PrivateKeySigner,
    nonce: u64,
    to: Option<Address>,
    value: U256,
    data: Bytes,
    tip_gwei: u128,
) -> (Bytes, TxHash) {
    let tx = TransactionRequest::default()
        .with_from(signer.address())
        .with_value(value)
        .with_input(data)
        .with_nonce(nonce)
        .with_gas_limit(300_000)
        .with_max_fee_per_gas(100 * GWEI)
        .with_max_priority_fee_per_gas(tip_gwei * GWEI)
        .with_chain_id(devnet.chain_id());
    let tx = match to {
        Some(to) => tx.with_to(to),
        None => tx.into_create(),
    };
    let envelope: TxEnvelope = tx.build(&EthereumWallet::new(signer.clone())).await.unwrap();
    (envelope.encoded_2718().into(), *envelope.tx_hash())
}

async fn nonce(devnet: &Devnet, who: Address) -> u64 {
    devnet.provider().get_transaction_count(who).pending().await.unwrap()
}

/// A Router02 swap of `amount` WETH for TKA by `trader`, signed, not sent.
async fn victim(
    devnet: &Devnet,
    trader: &PrivateKeySigner,
    nonce: u64,
    amount: U256,
) -> (Bytes, TxHash) {
    let a = &devnet.addresses;
    let data = IUniswapV2Router02::swapExactTokensForTokensCall {
        amountIn: amount,
        amountOutMin: U256::ZERO,
        path: vec![a.weth, a.token("TKA").unwrap()],
        to: trader.address(),
        deadline: U256::MAX,
    }
    .abi_encode();
    sign(devnet, trader, nonce, Some(a.uniswap_v2.router), U256::ZERO, data.into(), 1).await
}

async fn post(url: &str, body: &Value, identity: Option<&PrivateKeySigner>) -> Value {
    let body = serde_json::to_vec(body).unwrap();
    let mut request = reqwest::Client::new().post(url).header("content-type", "application/json");
    if let Some(identity) = identity {
        let signature = bundles::sign_body(identity, &body).await.unwrap();
        request = request.header(bundles::FLASHBOTS_SIGNATURE_HEADER, signature);
    }
    request.body(body).send().await.unwrap().json().await.unwrap()
}

async fn send_private(url: &str, raw: Bytes, hints: Option<PrivacyHint>) -> TxHash {
    let mut params = EthSendPrivateTransaction {
        tx: raw,
        max_block_number: None,
        preferences: PrivateTransactionPreferences::default(),
    };
    if let Some(hints) = hints {
        params.preferences =
            params.preferences.with_privacy(Privacy::default().with_hints(Some(hints)));
    }
    let answer = post(
        url,
        &json!({"jsonrpc": "2.0", "id": 1, "method": "eth_sendPrivateTransaction", "params": [params]}),
        None,
    )
    .await;
    serde_json::from_value(answer["result"].clone()).unwrap_or_else(|_| panic!("{answer}"))
}

async fn next_hint(channels: &mut HintChannels) -> Hint {
    tokio::time::timeout(Duration::from_secs(10), channels.hints.recv()).await.unwrap().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mevshare_private_victim_is_backrun_with_the_users_refund() {
    let Some(devnet) = e2e::devnet_or_skip("mevshare_private_victim").await else { return };
    let builders = DevBuilders::start(&devnet).await.unwrap();
    let options =
        MatchmakerOptions { ping_interval: Duration::from_millis(200), ..Default::default() };
    let matchmaker = builders.start_matchmaker(options).await.unwrap();
    let provider = devnet.provider();

    // The searcher: a payer contract to pay the builder with, its hint source, its identity.
    let searcher = devnet.signer(Role::Searcher);
    let mut searcher_nonce = nonce(&devnet, searcher.address()).await;
    let (deploy, deploy_hash) =
        sign(&devnet, &searcher, searcher_nonce, None, U256::ZERO, PAYER_INIT_CODE, 1).await;
    searcher_nonce += 1;
    let _ = provider.send_raw_transaction(&deploy).await.unwrap();
    builders.build_block().await.unwrap();
    let payer = provider
        .get_transaction_receipt(deploy_hash)
        .await
        .unwrap()
        .unwrap()
        .contract_address
        .unwrap();
    let (_stop, shutdown) = tokio::sync::watch::channel(false);
    let (mut hints, _source) = HintSource::spawn(HintConfig::new(matchmaker.url()), shutdown);
    let identity = PrivateKeySigner::random();
    while hints.stats.snapshot().connects == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // The user's swap, sent privately with the default hints.
    let trader = devnet.signer(Role::Trader(0));
    let (raw, victim_hash) = victim(
        &devnet,
        &trader,
        nonce(&devnet, trader.address()).await,
        U256::from(10u128.pow(18)),
    )
    .await;
    assert_eq!(send_private(matchmaker.url(), raw, None).await, victim_hash);
    assert!(provider.get_transaction_by_hash(victim_hash).await.unwrap().is_none(), "not public");

    // Its hint: the pair and the Swap topics, amounts removed.
    let hint = next_hint(&mut hints).await;
    assert_eq!(hint.event.hash, victim_hash);
    assert!(hint.event.transactions.is_empty());
    let pair = devnet.addresses.pool(
        "uniswap-v2",
        devnet.addresses.weth,
        devnet.addresses.token("TKA").unwrap(),
        None,
    );
    assert_eq!(hint.event.logs.len(), 1, "{:?}", hint.event);
    let log = &hint.event.logs[0];
    assert_eq!(Some(log.address), pair.map(|p| p.address));
    assert_eq!(log.topics[0], V2_SWAP_TOPIC);
    assert!(log.data.is_empty(), "amounts hidden");

    // The backrun: pays the builder 0.01 ETH directly plus a 2 gwei tip.
    let target = provider.get_block_number().await.unwrap() + 1;
    let paid = U256::from(10u128.pow(16));
    let (backrun, backrun_hash) =
        sign(&devnet, &searcher, searcher_nonce, Some(payer), paid, Bytes::new(), 2).await;
    let request = MevShareBackrun::new(victim_hash, backrun, target, Some(target)).unwrap();
    let body = bundles::encode::encode_mev_share(&request, 7).unwrap().body;
    let answer =
        post(matchmaker.url(), &serde_json::from_slice(&body).unwrap(), Some(&identity)).await;
    assert_eq!(answer["result"]["bundleHash"], json!(request.hash()), "{answer}");
    // Unsigned or unmatched: refused.
    let unsigned = post(matchmaker.url(), &serde_json::from_slice(&body).unwrap(), None).await;
    assert!(unsigned["error"].is_object(), "{unsigned}");
    let stranger =
        MevShareBackrun::new(TxHash::repeat_byte(9), request.backrun.clone(), target, None)
            .unwrap();
    let body2 = bundles::encode::encode_mev_share(&stranger, 8).unwrap().body;
    let unmatched =
        post(matchmaker.url(), &serde_json::from_slice(&body2).unwrap(), Some(&identity)).await;
    assert!(unmatched["error"].is_object(), "{unmatched}");
    assert_eq!(matchmaker.matched_count(), 1);

    let user_before = provider
        .get_balance(trader.address())
        .block_id(target.saturating_sub(1).into())
        .await
        .unwrap();
    let report = builders.build_block().await.unwrap();
    assert_eq!(report.number, target);
    let block =
        provider.get_block_by_number(BlockNumberOrTag::Number(target)).await.unwrap().unwrap();
    let order: Vec<TxHash> = block.transactions.hashes().collect();
    assert_eq!(order.len(), 3, "victim, backrun, refund: {order:?}");
    assert_eq!(&order[..2], &[victim_hash, backrun_hash], "the backrun right after its victim");

    // The refund: 90% of what the backrun paid the builder, to the user, in the same block.
    let backrun_receipt = provider.get_transaction_receipt(backrun_hash).await.unwrap().unwrap();
    assert!(backrun_receipt.status());
    let base_fee = u128::from(block.header.base_fee_per_gas.unwrap());
    let tip = (100 * GWEI - base_fee).min(2 * GWEI);
    let backrun_payment = paid + U256::from(backrun_receipt.gas_used as u128 * tip);
    let refund = backrun_payment * U256::from(90) / U256::from(100);
    let included = &report.included[0];
    assert_eq!(included.victim, victim_hash);
    assert_eq!(included.refund, Some(refund));
    let refund_tx = provider.get_transaction_by_hash(order[2]).await.unwrap().unwrap();
    assert_eq!(alloy::consensus::Transaction::to(&refund_tx), Some(trader.address()));
    assert_eq!(alloy::consensus::Transaction::value(&refund_tx), refund);
    let victim_receipt = provider.get_transaction_receipt(victim_hash).await.unwrap().unwrap();
    assert!(victim_receipt.status());
    let victim_fee =
        U256::from(victim_receipt.gas_used as u128 * victim_receipt.effective_gas_price);
    let user_after = provider.get_balance(trader.address()).block_id(target.into()).await.unwrap();
    assert_eq!(user_after + victim_fee, user_before + refund, "the user got exactly the refund");
    assert_eq!(matchmaker.private_count(), 0);
    assert_eq!(matchmaker.matched_count(), 0);

    // An unmatched private transaction lands alone; hints follow the privacy settings.
    let trader1 = devnet.signer(Role::Trader(1));
    let n = nonce(&devnet, trader1.address()).await;
    let (raw, full_hash) = victim(&devnet, &trader1, n, U256::from(10u128.pow(17))).await;
    send_private(
        matchmaker.url(),
        raw,
        Some(
            PrivacyHint::default()
                .with_logs()
                .with_calldata()
                .with_function_selector()
                .with_contract_address(),
        ),
    )
    .await;
    let full = next_hint(&mut hints).await;
    assert_eq!(full.event.hash, full_hash);
    assert!(
        full.event.logs.len() > 1 && full.event.logs.iter().all(|l| !l.data.is_empty()),
        "every log with its data"
    );
    let tx = &full.event.transactions[0];
    assert_eq!(tx.to, Some(devnet.addresses.uniswap_v2.router));
    assert_eq!(
        tx.function_selector.map(|s| s.0),
        Some(IUniswapV2Router02::swapExactTokensForTokensCall::SELECTOR)
    );
    assert!(tx.calldata.as_ref().is_some_and(|c| c.len() > 4));
    let (raw, hash_only) = victim(&devnet, &trader1, n + 1, U256::from(10u128.pow(17))).await;
    send_private(matchmaker.url(), raw, Some(PrivacyHint::default().with_hash())).await;
    let bare = next_hint(&mut hints).await;
    assert_eq!(bare.event.hash, hash_only);
    assert!(bare.event.logs.is_empty() && bare.event.transactions.is_empty());

    let report = builders.build_block().await.unwrap();
    let block = provider
        .get_block_by_number(BlockNumberOrTag::Number(report.number))
        .await
        .unwrap()
        .unwrap();
    let order: Vec<TxHash> = block.transactions.hashes().collect();
    assert_eq!(order, vec![full_hash, hash_only], "unmatched private transactions land alone");
    assert!(report.included.iter().all(|b| b.refund.is_none()));

    // The traffic generator's private share: never public, one hint each, all land.
    let mut traffic = searcher_devnet::traffic::Traffic::new(14, 50);
    let sent = traffic.send_mixed(&devnet, 6, Some((&matchmaker, 100))).await.unwrap();
    assert!(sent.iter().all(|v| v.private.is_some()), "{sent:?}");
    for victim in &sent {
        assert!(provider.get_transaction_by_hash(victim.hash).await.unwrap().is_none());
        assert_eq!(next_hint(&mut hints).await.event.hash, victim.hash);
    }
    let report = builders.build_block().await.unwrap();
    assert_eq!(report.tx_count, sent.len(), "{report:?}");
    for victim in &sent {
        let receipt = provider.get_transaction_receipt(victim.hash).await.unwrap().unwrap();
        assert_eq!(receipt.block_number, Some(report.number));
    }

    // Pings kept the stream alive while idle.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stats = hints.stats.snapshot();
    assert!(stats.pings >= 1, "{stats:?}");
    assert_eq!(stats.connects, 1, "{stats:?}");
    assert_eq!(stats.hints, 3 + sent.len() as u64);
}

/// The engine with `[mev-share] url` set reads hints on their own task beside the mempool: each
/// private victim's hint is classified (exact post-state, pools with hidden amounts, nothing),
/// while a public victim still goes through the hot path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mevshare_engine_reads_hints_beside_the_mempool() {
    use searcher::{
        engine::{Engine, EngineOptions},
        keys::Keys,
    };
    use searcher_devnet::setup::{
        BlockTicker, SearcherSetup, deploy_executor, fund_executor, searcher_config,
    };
    use std::sync::Arc;

    let Some(devnet) = e2e::devnet_or_skip("mevshare_engine_hints").await else { return };
    let builders = Arc::new(DevBuilders::start(&devnet).await.unwrap());
    let matchmaker = builders.start_matchmaker(MatchmakerOptions::default()).await.unwrap();
    let ticker = BlockTicker::start(builders.clone(), Duration::from_millis(200));
    let executor = deploy_executor(&devnet).await.unwrap();
    fund_executor(&devnet, executor, U256::from(50u128 * 10u128.pow(18))).await.unwrap();
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
    let mut config = searcher_config(&devnet, &setup);
    config.mev_share.url = Some(matchmaker.url().to_owned());
    let keys =
        Keys { trading: devnet.signer(Role::Searcher), identity: PrivateKeySigner::random() };
    let engine = Engine::start(config, keys, EngineOptions::default()).await.unwrap();
    let (shutdown, shutdown_rx) = tokio::sync::watch::channel(false);

    let run = engine.run(shutdown_rx);
    let body = async {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while matchmaker.subscribers() == 0 {
            assert!(std::time::Instant::now() < deadline, "the engine subscribes to the hints");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Three private victims: default hints, full logs, hash only.
        let settings = [
            None,
            Some(PrivacyHint::default().with_hash().with_logs()),
            Some(PrivacyHint::default().with_hash()),
        ];
        for (i, hints) in settings.into_iter().enumerate() {
            let trader = devnet.signer(Role::Trader(i));
            let n = nonce(&devnet, trader.address()).await;
            let (raw, _) = victim(&devnet, &trader, n, U256::from(10u128.pow(18))).await;
            matchmaker.send_private(raw, hints).await.unwrap();
        }
        // And a public one, through the mempool.
        let trader = devnet.signer(Role::Trader(3));
        let n = nonce(&devnet, trader.address()).await;
        let (raw, _) = victim(&devnet, &trader, n, U256::from(10u128.pow(18))).await;
        let _ = devnet.provider().send_raw_transaction(&raw).await.unwrap();

        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let stats = engine.stats();
            if stats.hints == 3 && stats.pending >= 1 && stats.victims >= 1 {
                assert_eq!((stats.hints_exact, stats.hints_hidden), (1, 1), "{stats:?}");
                break;
            }
            assert!(std::time::Instant::now() < deadline, "{stats:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let report = builders.build_block().await.unwrap();
        assert!(report.tx_count >= 4, "private and public victims land: {report:?}");
        shutdown.send_replace(true);
    };
    let (result, ()) = tokio::join!(run, body);
    result.unwrap();
}

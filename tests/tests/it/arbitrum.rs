//! The Arbitrum-shaped devnet: the sequencer stand-in orders by priority fee within a round
//! (ties by arrival), publishes on its feed in that order (batches included), and mines in that
//! order; the searcher's feed client reads it.

use alloy::{
    eips::{BlockNumberOrTag, eip2718::Encodable2718},
    network::{EthereumWallet, TransactionBuilder},
    primitives::{TxHash, U256},
    providers::{Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
};
use e2e::devnet_or_skip;
use searcher::watch::arbitrum::{FeedClient, FeedConfig, SequencedTx};
use searcher_devnet::{
    Devnet, Role,
    sequencer::{DevSequencer, SequencerConfig},
};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

const GWEI: u128 = 1_000_000_000;

/// A signed self-transfer of 1 wei from trader `n` with priority fee `tip`.
async fn transfer(devnet: &Devnet, n: usize, tip: u128) -> (Vec<u8>, TxHash) {
    let signer = devnet.signer(Role::Trader(n));
    let from = signer.address();
    let nonce = devnet.provider().get_transaction_count(from).await.unwrap();
    let tx = TransactionRequest::default()
        .with_from(from)
        .with_to(from)
        .with_value(U256::from(1))
        .with_nonce(nonce)
        .with_chain_id(devnet.chain_id())
        .with_gas_limit(21_000)
        .with_max_fee_per_gas(100 * GWEI)
        .with_max_priority_fee_per_gas(tip);
    let envelope = <TransactionRequest as alloy::network::NetworkTransactionBuilder<
        alloy::network::Ethereum,
    >>::build(tx, &EthereumWallet::from(signer))
    .await
    .unwrap();
    (envelope.encoded_2718(), *envelope.tx_hash())
}

async fn next(rx: &mut mpsc::Receiver<SequencedTx>) -> SequencedTx {
    tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.expect("in time").expect("open")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequencer_orders_by_priority_fee_publishes_and_mines_in_that_order() {
    let Some(devnet) = devnet_or_skip(
        "arbitrum::sequencer_orders_by_priority_fee_publishes_and_mines_in_that_order",
    )
    .await
    else {
        return;
    };
    let sequencer =
        DevSequencer::start(devnet.provider().clone(), SequencerConfig::default()).await.unwrap();
    let (_stop, shutdown) = watch::channel(false);
    let config =
        FeedConfig { urls: vec![sequencer.feed_url().to_owned()], ..FeedConfig::default() };
    let (mut feed, _client) = FeedClient::spawn(config, shutdown);
    for _ in 0..500 {
        if sequencer.feed().open_connections() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(sequencer.feed().open_connections(), 1, "the feed client connected");

    // Four transactions in one round: 1, 3, 3 and 2 gwei, in that order of arrival.
    let rpc = ProviderBuilder::new().connect_http(sequencer.rpc_url().parse().unwrap());
    sequencer.pause(true);
    let mut hashes = Vec::new();
    for (n, tip) in [1, 3, 3, 2].into_iter().enumerate() {
        let (raw, hash) = transfer(&devnet, n, tip * GWEI).await;
        let pending = rpc.send_raw_transaction(&raw).await.expect("the sequencer takes it");
        assert_eq!(*pending.tx_hash(), hash);
        hashes.push(hash);
    }
    let block_before = devnet.provider().get_block_number().await.unwrap();
    sequencer.pause(false);
    let expected = vec![hashes[1], hashes[2], hashes[3], hashes[0]];

    // The feed: one message (a batch), in priority order, ties by arrival.
    let mut seen = Vec::new();
    for i in 0..4 {
        let tx = next(&mut feed.txs).await;
        assert_eq!(tx.index, i);
        assert_eq!(tx.tx.signer(), devnet.address(Role::Trader([1, 2, 3, 0][i as usize])));
        seen.push((tx.sequence_number, *tx.tx.inner().tx_hash()));
    }
    assert!(seen.iter().all(|(seq, _)| *seq == seen[0].0), "one message: {seen:?}");
    assert_eq!(seen.iter().map(|(_, h)| *h).collect::<Vec<_>>(), expected);

    // The chain: the same order in one block.
    for _ in 0..500 {
        if sequencer.blocks() >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let block = devnet
        .provider()
        .get_block_by_number(BlockNumberOrTag::Number(block_before + 1))
        .await
        .unwrap()
        .expect("the sequencer mined a block");
    assert_eq!(block.transactions.hashes().collect::<Vec<_>>(), expected);

    // A lone transaction next round: a message of one signed transaction, the next number.
    let (raw, hash) = transfer(&devnet, 5, GWEI).await;
    let _pending = rpc.send_raw_transaction(&raw).await.unwrap();
    let tx = next(&mut feed.txs).await;
    assert_eq!((tx.sequence_number, tx.index, *tx.tx.inner().tx_hash()), (seen[0].0 + 1, 0, hash));
    assert_eq!(feed.stats.snapshot().gaps, 0);

    // Only eth_sendRawTransaction is served; anvil refusing a transaction (nonce reused) keeps
    // it off the feed.
    assert!(rpc.get_block_number().await.is_err());
    let _pending = rpc.send_raw_transaction(&raw).await.expect("taken, then refused by anvil");
    for _ in 0..500 {
        if sequencer.refused() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(sequencer.refused(), 1);
    assert_eq!(sequencer.sequenced(), 5);
}

/// Two victims sequenced in one block on the same pool: the second is predicted on the first
/// one's post-state (the pending block), and the chain agrees to the unit once both are mined
/// in one block; on the head alone the second would be predicted wrong.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_victim_is_predicted_on_the_first_ones_post_state() {
    use crate::predict::{Fixture, ether};
    use searcher::predict::PendingBlock;

    let test = "arbitrum::second_victim_is_predicted_on_the_first_ones_post_state";
    let Some(mut f) = Fixture::start(test).await else { return };
    let pool = f.pool("uniswap-v2", "WETH", "TKA");
    let first =
        f.router02_swap("uniswap-v2", Role::Trader(0), ether(10), U256::ZERO, &["WETH", "TKA"]);
    let second =
        f.router02_swap("uniswap-v2", Role::Trader(1), ether(7), U256::ZERO, &["WETH", "TKA"]);
    let first = f.send(first).await;
    let second = f.send(second).await;

    let head = f.cache.head();
    let predictor = f.predictor();
    let lookup = f.lookup();
    let mut pending = PendingBlock::new(head.clone(), None);
    let p1 = predictor.predict_sequenced(&mut pending, &first.inner, &lookup).expect("first");
    let p2 = predictor.predict_sequenced(&mut pending, &second.inner, &lookup).expect("second");
    assert_eq!(pending.applied(), 2);
    assert_eq!((p1.pools[0].address, p2.pools[0].address), (pool, pool));
    // The first alone on the head predicts the same as on the empty pending block; the second
    // on the head alone does not see the first and is wrong.
    let alone_first = predictor.predict_rpc(&head, &first, &lookup).expect("first alone");
    assert_eq!(alone_first.pools, p1.pools);
    let alone_second = predictor.predict_rpc(&head, &second, &lookup).expect("second alone");
    assert_ne!(alone_second.pools, p2.pools, "the pending block changes the second prediction");

    let next = f.mine().await;
    for (victim, prediction) in [(&first, &p1), (&second, &p2)] {
        let receipt =
            f.ipc.get_transaction_receipt(*victim.inner.tx_hash()).await.unwrap().expect("mined");
        assert!(receipt.status());
        assert_eq!(receipt.block_number, Some(next.number()), "both in one block");
        assert_eq!(receipt.gas_used, prediction.gas_used);
    }
    f.assert_on_chain(&p2.pools).await;

    // The block arrived: the pending block starts again on it.
    pending.reset(next.clone());
    assert!(pending.is_empty());
    assert_eq!(pending.head().number(), next.number());
}

/// A victim read from the sequencer's feed is backrun through the engine's hot path (on the
/// pending block) and the backrun is sent straight to the sequencer with
/// `eth_sendRawTransaction`: it is sequenced after the victim (same or next block) and the
/// executor's realised profit equals the simulated profit to the wei.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn victim_from_the_feed_is_backrun_through_the_sequencer() {
    use alloy::consensus::Transaction as _;
    use searcher::abi::IERC20;
    use searcher_devnet::{DevBuilders, abi::IUniswapV2Router02, setup::start_engine};
    use std::sync::Arc;

    let test = "arbitrum::victim_from_the_feed_is_backrun_through_the_sequencer";
    let Some(devnet) = devnet_or_skip(test).await else { return };
    let builders = Arc::new(DevBuilders::start(&devnet).await.unwrap());
    let dir = tempfile::tempdir().unwrap();
    let inventory = U256::from(100u128) * U256::from(10u128.pow(18));
    let engine = start_engine(&devnet, &builders, dir.path(), inventory).await.unwrap();
    let sequencer =
        DevSequencer::start(devnet.provider().clone(), SequencerConfig::default()).await.unwrap();
    let (_stop, shutdown) = watch::channel(false);
    let config =
        FeedConfig { urls: vec![sequencer.feed_url().to_owned()], ..FeedConfig::default() };
    let (mut feed, _client) = FeedClient::spawn(config, shutdown);
    for _ in 0..500 {
        if sequencer.feed().open_connections() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // The victim: 20 WETH into TKA on uniswap-v2, sent to the sequencer.
    let a = &devnet.addresses;
    let trader = devnet.address(Role::Trader(0));
    let request = IUniswapV2Router02::new(a.uniswap_v2.router, devnet.provider())
        .swapExactTokensForTokens(
            U256::from(20u128) * U256::from(10u128.pow(18)),
            U256::ZERO,
            vec![a.weth, a.token("TKA").unwrap()],
            trader,
            U256::MAX,
        )
        .from(trader)
        .into_transaction_request()
        .with_nonce(devnet.provider().get_transaction_count(trader).await.unwrap())
        .with_chain_id(devnet.chain_id())
        .with_gas_limit(300_000)
        .with_max_fee_per_gas(100 * GWEI)
        .with_max_priority_fee_per_gas(GWEI);
    let envelope = <TransactionRequest as alloy::network::NetworkTransactionBuilder<
        alloy::network::Ethereum,
    >>::build(request, &EthereumWallet::from(devnet.signer(Role::Trader(0))))
    .await
    .unwrap();
    let rpc = ProviderBuilder::new().connect_http(sequencer.rpc_url().parse().unwrap());
    let _pending = rpc.send_raw_transaction(&envelope.encoded_2718()).await.unwrap();

    // Read from the feed, planned on the pending block, sent to the sequencer.
    let sequenced = next(&mut feed.txs).await;
    assert_eq!(sequenced.tx.inner().tx_hash(), envelope.tx_hash());
    // A cold state read may time out when the machine is overloaded (the state cache's 2 s
    // fetch timeout): that reason is retryable, and the retry runs on a fresh pending block.
    let mut plan = None;
    for _ in 0..3 {
        let engine = engine.clone();
        let tx = sequenced.tx.clone();
        let mut pending = engine.pending_block();
        match tokio::task::spawn_blocking(move || engine.plan_sequenced(&tx, &mut pending))
            .await
            .unwrap()
        {
            Ok(p) => {
                plan = Some(p);
                break;
            }
            Err(searcher::engine::NoPlan::Dropped("state_fetch")) => continue,
            Err(other) => panic!("the victim yields no backrun: {other:?}"),
        }
    }
    let plan = plan.expect("a backrun within three tries (state reads kept timing out)");
    let backrun: alloy::consensus::TxEnvelope =
        alloy::eips::eip2718::Decodable2718::decode_2718_exact(&plan.backrun.raw).unwrap();
    let executor = backrun.to().expect("a call to the executor");
    let _sent = rpc.send_raw_transaction(&plan.backrun.raw).await.unwrap();

    // Sequenced after the victim, in its block or the next.
    let mut backrun_receipt = None;
    for _ in 0..500 {
        backrun_receipt =
            devnet.provider().get_transaction_receipt(plan.backrun.hash).await.unwrap();
        if backrun_receipt.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let backrun_receipt = backrun_receipt.expect("the backrun was mined");
    let victim_receipt = devnet
        .provider()
        .get_transaction_receipt(*envelope.tx_hash())
        .await
        .unwrap()
        .expect("victim mined");
    assert!(victim_receipt.status() && backrun_receipt.status(), "both succeeded");
    let (victim_block, backrun_block) =
        (victim_receipt.block_number.unwrap(), backrun_receipt.block_number.unwrap());
    assert!(
        backrun_block == victim_block
            && backrun_receipt.transaction_index > victim_receipt.transaction_index
            || backrun_block == victim_block + 1,
        "sequenced after the victim: victim {victim_block}/{:?}, backrun {backrun_block}/{:?}",
        victim_receipt.transaction_index,
        backrun_receipt.transaction_index
    );

    // Realised profit: the executor's WETH across the backrun's block (nothing else touches
    // it) equals what sim proved.
    let weth = IERC20::new(a.weth, devnet.provider());
    let before = weth.balanceOf(executor).block((backrun_block - 1).into()).call().await.unwrap();
    let after = weth.balanceOf(executor).block(backrun_block.into()).call().await.unwrap();
    let realised = alloy::primitives::I256::try_from(after).unwrap()
        - alloy::primitives::I256::try_from(before).unwrap();
    assert!(plan.sim.profit > alloy::primitives::I256::ZERO);
    assert_eq!(realised, plan.sim.profit, "realised profit equals the simulated profit to the wei");
    assert_eq!(sequencer.refused(), 0);
}

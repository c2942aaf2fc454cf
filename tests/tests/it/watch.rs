//! The watch stage against the devnet over IPC and WebSocket: full pending transactions and
//! heads arrive on their channels; a cut connection is noticed at once (status `Down`),
//! redialled by the watch loop itself and resubscribed within a second of the node's return.
//!
//! The cut is produced by `CuttableProxy`, a fault injector (named as such: a real node
//! connection cannot be cut on demand otherwise): a relay between the searcher and anvil's real
//! IPC socket, or its WebSocket port over TCP, that can drop every connection it carries. Both
//! transports are tested: the watch loop, not alloy, redials either.

use alloy::{network::TransactionBuilder, primitives::U256, providers::Provider};
use e2e::faults::CuttableProxy;
use searcher::watch::{HeadEvent, NodeClient, NodeEndpoint, NodeStatus, WatchConfig, Watcher};
use searcher_devnet::{Devnet, Role, abi::IUniswapV2Router02};
use std::time::{Duration, Instant};
use tokio::sync::watch;

async fn send_swap(devnet: &Devnet, trader: usize, amount_wei: U256) -> alloy::primitives::TxHash {
    let a = &devnet.addresses;
    let tka = a.token("TKA").unwrap();
    let from = devnet.address(Role::Trader(trader));
    let router = IUniswapV2Router02::new(a.uniswap_v2.router, devnet.provider());
    let tx = router
        .swapExactTokensForTokens(amount_wei, U256::ZERO, vec![a.weth, tka], from, U256::MAX)
        .from(from)
        .into_transaction_request()
        .with_gas_limit(300_000);
    *devnet.provider().send_transaction(tx).await.unwrap().tx_hash()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_carries_pending_and_heads_and_owns_reconnection() {
    let Some(devnet) = e2e::devnet_or_skip("watch_reconnect").await else { return };
    let proxy_path = devnet.ipc_path().with_file_name("proxy.ipc");
    let proxy = CuttableProxy::start(devnet.ipc_path().to_path_buf(), proxy_path);
    let endpoint = NodeEndpoint::Ipc(proxy.path().to_path_buf());
    owns_reconnection(&devnet, &proxy, endpoint, "IPC").await;
}

/// The same over WebSocket: alloy's client would otherwise redial on its own (3 s, 6 s, …).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_websocket_the_watch_loop_owns_reconnection_too() {
    let Some(devnet) = e2e::devnet_or_skip("watch_reconnect_ws").await else { return };
    let url = devnet.ws_url();
    let upstream = url
        .trim_start_matches("ws://")
        .trim_end_matches('/')
        .replace("localhost", "127.0.0.1")
        .parse()
        .expect("anvil's ws address");
    let proxy = CuttableProxy::start_tcp(upstream);
    let endpoint = NodeEndpoint::Ws(format!("ws://{}", proxy.endpoint()));
    owns_reconnection(&devnet, &proxy, endpoint, "WebSocket").await;
}

async fn owns_reconnection(
    devnet: &Devnet,
    proxy: &CuttableProxy,
    endpoint: NodeEndpoint,
    transport: &str,
) {
    let client = NodeClient::connect(endpoint).await.unwrap();
    let (shutdown_tx, shutdown) = watch::channel(false);
    let config = WatchConfig {
        head_timeout: Duration::from_secs(1),
        probe_timeout: Duration::from_millis(500),
        ..Default::default()
    };
    let (mut ch, handle) = Watcher::spawn(client.clone(), config, shutdown);
    tokio::time::sleep(Duration::from_millis(300)).await; // subscriptions in place

    // 1. A pending swap arrives with its full body; mining it yields a head.
    let hash = send_swap(devnet, 0, U256::from(10u64.pow(18))).await;
    let p = tokio::time::timeout(Duration::from_secs(10), ch.pending.recv())
        .await
        .expect("pending within 10 s")
        .unwrap();
    assert_eq!(*p.tx.inner.tx_hash(), hash);
    let block = devnet.mine().await.unwrap();
    let head = next_new_head(&mut ch.heads).await;
    assert_eq!(head, block);

    // 2. A short cut: the loop redials by itself at once; flows continue.
    proxy.cut();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let block = expect_flows(devnet, &mut ch, 1).await;

    // 3. The node is down for seconds: the status says so *during* the outage, the loop keeps
    //    redialling, and it is back within a second of the node's return, with the current
    //    head handed over and flows resumed.
    proxy.set_paused(true);
    let down = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            ch.status.changed().await.unwrap();
            if matches!(*ch.status.borrow_and_update(), NodeStatus::Down { .. }) {
                return;
            }
        }
    })
    .await;
    assert!(down.is_ok(), "status Down during the outage");
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(matches!(*ch.status.borrow(), NodeStatus::Down { .. }), "still down while paused");
    let back_at = Instant::now();
    proxy.set_paused(false);
    let reconnected = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match ch.heads.recv().await.unwrap() {
                HeadEvent::Reconnected { downtime } => return downtime,
                HeadEvent::New { .. } => continue,
            }
        }
    })
    .await
    .expect("Reconnected notice within 30 s");
    let resubscribed_after = back_at.elapsed();
    eprintln!(
        "watch ({transport}): node back -> resubscribed in {resubscribed_after:?} (downtime {reconnected:?})"
    );
    assert!(reconnected >= Duration::from_secs(4), "downtime measured: {reconnected:?}");
    assert!(
        resubscribed_after < Duration::from_secs(1),
        "resubscribed {resubscribed_after:?} after the node's return"
    );
    assert_eq!(next_new_head(&mut ch.heads).await, block, "current head after reconnect");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let block2 = expect_flows(devnet, &mut ch, 2).await;
    // The shared provider was swapped too: other stages keep working.
    assert_eq!(client.provider().get_block_number().await.unwrap(), block2);

    shutdown_tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), handle).await.expect("stops").unwrap();
}

async fn next_new_head(rx: &mut tokio::sync::mpsc::Receiver<HeadEvent>) -> u64 {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let HeadEvent::New { header, .. } = rx.recv().await.unwrap() {
                return header.number;
            }
        }
    })
    .await
    .expect("head within 10 s")
}

/// Sends a swap, expects it on the pending channel, mines, expects the head; returns it.
async fn expect_flows(
    devnet: &Devnet,
    ch: &mut searcher::watch::WatchChannels,
    trader: usize,
) -> u64 {
    let hash = send_swap(devnet, trader, U256::from(10u64.pow(18))).await;
    let p = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            let p = ch.pending.recv().await.unwrap();
            if *p.tx.inner.tx_hash() == hash {
                return p;
            }
        }
    })
    .await
    .expect("pending swap delivered");
    assert_eq!(p.tx.inner.signer(), devnet.address(Role::Trader(trader)));
    let block = devnet.mine().await.unwrap();
    // A reconnect hands over the head current at that moment first; skip to the new block.
    let mut head = next_new_head(&mut ch.heads).await;
    while head < block {
        head = next_new_head(&mut ch.heads).await;
    }
    assert_eq!(head, block);
    block
}

/// Lossless intake: a burst of 1,200 pending transactions from 12 senders, sent as fast as the
/// node takes them (well within one block interval), all reach the watch stage's consumer —
/// exactly the set an independent subscriber with a large buffer sees. (alloy's default
/// subscription buffer of 16 lost some of a 300-transaction burst silently.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_pending_transactions_reaches_the_engine_whole() {
    use alloy::{
        eips::eip2718::Encodable2718,
        network::{EthereumWallet, TransactionBuilder as _},
        providers::ProviderBuilder,
        rpc::{client::ClientBuilder, types::TransactionRequest},
    };
    use futures::StreamExt;
    use std::collections::HashSet;

    const SENDERS: usize = 12;
    const PER_SENDER: usize = 100;
    let Some(devnet) = e2e::devnet_or_skip("watch_burst").await else { return };
    let client =
        NodeClient::connect(NodeEndpoint::Ipc(devnet.ipc_path().to_path_buf())).await.unwrap();
    let (shutdown_tx, shutdown) = watch::channel(false);
    let (mut ch, handle) = Watcher::spawn(client, WatchConfig::default(), shutdown);

    // The independent subscriber: its own connection, a buffer larger than the burst.
    let rpc = ClientBuilder::default()
        .ipc(alloy::providers::IpcConnect::new(devnet.ipc_path().to_path_buf()))
        .await
        .unwrap();
    rpc.set_channel_size(1 << 16);
    let independent = ProviderBuilder::new().connect_client(rpc);
    let mut sub = independent.subscribe_full_pending_transactions().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Pre-sign the burst: self-transfers of 1 wei, sequential nonces per sender.
    let provider = devnet.provider();
    let mut raw = Vec::new();
    for n in 0..SENDERS {
        let signer = devnet.signer(Role::Trader(n));
        let from = signer.address();
        let wallet = EthereumWallet::from(signer);
        let nonce = provider.get_transaction_count(from).await.unwrap();
        for i in 0..PER_SENDER as u64 {
            let tx = TransactionRequest::default()
                .with_from(from)
                .with_to(from)
                .with_value(U256::from(1))
                .with_nonce(nonce + i)
                .with_chain_id(devnet.chain_id())
                .with_gas_limit(21_000)
                .with_max_fee_per_gas(100_000_000_000)
                .with_max_priority_fee_per_gas(1_000_000_000);
            let envelope = <TransactionRequest as alloy::network::NetworkTransactionBuilder<
                alloy::network::Ethereum,
            >>::build(tx, &wallet)
            .await
            .unwrap();
            raw.push(envelope.encoded_2718());
        }
    }
    let total = raw.len();
    let started = Instant::now();
    futures::stream::iter(raw)
        .for_each_concurrent(64, |bytes: Vec<u8>| async move {
            let _pending = provider.send_raw_transaction(&bytes).await.expect("accepted");
        })
        .await;
    let sent_in = started.elapsed();

    let collect_watch = async {
        let mut seen = HashSet::new();
        while seen.len() < total {
            match tokio::time::timeout(Duration::from_secs(10), ch.pending.recv()).await {
                Ok(Some(p)) => {
                    seen.insert(*p.tx.inner.tx_hash());
                }
                _ => break,
            }
        }
        seen
    };
    let collect_independent = async {
        let mut seen = HashSet::new();
        while seen.len() < total {
            match tokio::time::timeout(Duration::from_secs(10), sub.recv()).await {
                Ok(Ok(tx)) => {
                    seen.insert(*tx.inner.tx_hash());
                }
                _ => break,
            }
        }
        seen
    };
    let (watched, independent_seen) = tokio::join!(collect_watch, collect_independent);
    eprintln!(
        "watch burst: {total} sent in {sent_in:?}; the node announced {} (independent subscriber), the watch stage delivered {}",
        independent_seen.len(),
        watched.len()
    );
    assert_eq!(independent_seen.len(), total, "the node announced the whole burst");
    let missing: Vec<_> = independent_seen.difference(&watched).collect();
    assert!(
        missing.is_empty(),
        "{} announced transactions never reached the consumer",
        missing.len()
    );
    shutdown_tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), handle).await.expect("stops").unwrap();
}

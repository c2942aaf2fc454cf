//! The watch stage against the devnet over IPC: full pending transactions, heads and tracked
//! logs arrive on their channels; a cut connection is reconnected and resubscribed.
//!
//! The cut is produced by `CuttableIpcProxy`, a fault injector (named as such: a real node
//! connection cannot be cut on demand otherwise): a Unix-socket relay between the searcher and
//! anvil's real IPC socket that can drop every connection it carries.

use alloy::{network::TransactionBuilder, primitives::U256, providers::Provider};
use searcher::{
    abi::IUniswapV2Router02,
    devnet::{Devnet, Role},
    watch::{HeadEvent, NodeClient, NodeEndpoint, WatchConfig, Watcher},
};
use std::{path::PathBuf, sync::Arc, time::Duration};
use tokio::{
    net::{UnixListener, UnixStream},
    sync::watch,
    task::JoinSet,
};

/// Fault injector: relays a Unix socket to anvil's IPC socket; `cut()` drops every live
/// connection; while `paused`, new connections are dropped at once (the node is "down").
struct CuttableIpcProxy {
    path: PathBuf,
    cut: watch::Sender<u64>,
    paused: Arc<std::sync::atomic::AtomicBool>,
    _accept: tokio::task::JoinHandle<()>,
}

impl CuttableIpcProxy {
    fn start(upstream: PathBuf, path: PathBuf) -> Self {
        let listener = UnixListener::bind(&path).expect("bind proxy socket");
        let (cut, cut_rx) = watch::channel(0u64);
        let paused = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let is_paused = paused.clone();
        let accept = tokio::spawn(async move {
            let mut conns = JoinSet::new();
            loop {
                let Ok((mut client, _)) = listener.accept().await else { return };
                if is_paused.load(std::sync::atomic::Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let upstream = upstream.clone();
                let mut cut_rx = cut_rx.clone();
                cut_rx.borrow_and_update();
                conns.spawn(async move {
                    let Ok(mut server) = UnixStream::connect(&upstream).await else { return };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut_rx.changed() => {}
                    }
                });
            }
        });
        Self { path, cut, paused, _accept: accept }
    }

    fn cut(&self) {
        self.cut.send_modify(|n| *n += 1);
    }

    fn set_paused(&self, paused: bool) {
        self.paused.store(paused, std::sync::atomic::Ordering::SeqCst);
        if paused {
            self.cut();
        }
    }
}

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
async fn watch_carries_pending_heads_logs_and_survives_a_cut_connection() {
    let Some(devnet) = e2e::devnet_or_skip("watch_reconnect").await else { return };
    let a = &devnet.addresses;
    let pair = a.pool("uniswap-v2", a.weth, a.token("TKA").unwrap(), None).unwrap().address;

    let proxy_path = devnet.ipc_path().with_file_name("proxy.ipc");
    let proxy = CuttableIpcProxy::start(devnet.ipc_path().to_path_buf(), proxy_path);
    let client = NodeClient::connect(NodeEndpoint::Ipc(proxy.path.clone())).await.unwrap();
    let (_tracked_tx, tracked) = watch::channel(Arc::new(vec![pair]));
    let (shutdown_tx, shutdown) = watch::channel(false);
    let config = WatchConfig {
        backoff_initial: Duration::from_millis(50),
        head_timeout: Duration::from_secs(1),
        probe_timeout: Duration::from_millis(500),
        ..Default::default()
    };
    let (mut ch, handle) = Watcher::spawn(client.clone(), config, tracked, shutdown);
    tokio::time::sleep(Duration::from_millis(300)).await; // subscriptions in place

    // 1. A pending swap arrives with its full body; mining it yields a head and the pair's logs.
    let hash = send_swap(&devnet, 0, U256::from(10u64.pow(18))).await;
    let p = tokio::time::timeout(Duration::from_secs(10), ch.pending.recv())
        .await
        .expect("pending within 10 s")
        .unwrap();
    assert_eq!(*p.tx.inner.tx_hash(), hash);
    let block = devnet.mine().await.unwrap();
    let head = next_new_head(&mut ch.heads).await;
    assert_eq!(head, block);
    let log = tokio::time::timeout(Duration::from_secs(10), ch.logs.recv())
        .await
        .expect("log within 10 s")
        .unwrap();
    assert_eq!(log.log.address(), pair);
    assert_eq!(log.log.transaction_hash, Some(hash));

    // 2. A short cut is healed (alloy redials and resubscribes): flows continue.
    proxy.cut();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let block = expect_flows(&devnet, &mut ch, 1).await;

    // 3. The node is down for longer than the head timeout: the watch loop notices (probe
    //    fails), redials with backoff until the node is back, says so, hands over the current
    //    head, and flows resume.
    proxy.set_paused(true);
    tokio::time::sleep(Duration::from_secs(4)).await;
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
    assert!(reconnected >= Duration::from_millis(500), "downtime measured: {reconnected:?}");
    assert_eq!(next_new_head(&mut ch.heads).await, block, "current head after reconnect");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let block2 = expect_flows(&devnet, &mut ch, 2).await;
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
    assert_eq!(next_new_head(&mut ch.heads).await, block);
    block
}

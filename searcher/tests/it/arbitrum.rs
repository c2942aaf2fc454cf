//! The Arbitrum feed client against two local feed servers speaking the real protocol
//! (`searcher_devnet::feed`): first copy wins, duplicates dropped, a message no feed sent is a
//! gap (and delivered late if it turns up), a cut feed reconnects and the client goes on; a
//! silent feed is redialled after the idle timeout; a full consumer channel drops and counts.

use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope},
    primitives::{Address, B256, TxHash, TxKind, U256},
    signers::{SignerSync, local::PrivateKeySigner},
};
use searcher::watch::arbitrum::{FeedClient, FeedConfig, FeedCounts, SequencedTx};
use searcher_devnet::feed::{FeedServer, l2_message, sequenced_message};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

fn tx(nonce: u64) -> TxEnvelope {
    let key = PrivateKeySigner::from_bytes(&B256::with_last_byte(7)).expect("a valid key");
    let tx = TxEip1559 {
        chain_id: 42_161,
        nonce,
        gas_limit: 200_000,
        max_fee_per_gas: 20_000_000,
        max_priority_fee_per_gas: nonce.into(),
        to: TxKind::Call(Address::repeat_byte(0xaa)),
        value: U256::ZERO,
        ..Default::default()
    };
    let signature = key.sign_hash_sync(&tx.signature_hash()).expect("signs");
    tx.into_signed(signature).into()
}

/// Message `seq` holds transactions with nonces `seq * 10 ..` (`n` of them: a batch if > 1).
fn message(seq: u64, n: u64) -> (searcher::watch::arbitrum::BroadcastFeedMessage, Vec<TxHash>) {
    let txs: Vec<TxEnvelope> = (0..n).map(|i| tx(seq * 10 + i)).collect();
    let hashes = txs.iter().map(|t| *t.tx_hash()).collect();
    (sequenced_message(seq, 1_700_000_000 + seq, l2_message(&txs)), hashes)
}

async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..500 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn next(rx: &mut mpsc::Receiver<SequencedTx>) -> SequencedTx {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("a transaction within 5 s")
        .expect("the feed client runs")
}

async fn take(rx: &mut mpsc::Receiver<SequencedTx>, n: usize) -> Vec<SequencedTx> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(next(rx).await);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_feeds_dedup_gaps_and_reconnects() {
    let (a, b) =
        (FeedServer::start().await.expect("feed a"), FeedServer::start().await.expect("feed b"));
    let (stop, shutdown) = watch::channel(false);
    let config = FeedConfig {
        urls: vec![a.url().to_owned(), b.url().to_owned()],
        idle_timeout: Duration::from_secs(30),
        ..FeedConfig::default()
    };
    let (mut channels, handle) = FeedClient::spawn(config, shutdown);
    let stats = channels.stats.clone();
    until("both feeds connected", || a.open_connections() == 1 && b.open_connections() == 1).await;

    // 1. The same messages on both feeds: each transaction once, in order; the second copies
    // are counted duplicates.
    let mut want = Vec::new();
    for seq in 100..105 {
        let (m, hashes) = message(seq, if seq % 2 == 0 { 3 } else { 1 });
        a.publish(vec![m.clone()]);
        b.publish(vec![m]);
        want.extend(hashes.into_iter().map(|h| (seq, h)));
    }
    let got = take(&mut channels.txs, want.len()).await;
    let got_ids: Vec<_> =
        got.iter().map(|t| (t.sequence_number, *t.tx.inner().tx_hash())).collect();
    assert_eq!(got_ids, want);
    assert!(got.iter().all(|t| !t.late));
    assert_eq!(
        got.iter().filter(|t| t.sequence_number == 100).map(|t| t.index).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    until("the second copies counted", || stats.snapshot().duplicates == 5).await;
    assert_eq!(stats.snapshot().messages, 5);

    // 2. A message neither feed sends: a gap of one when the next arrives.
    let (m106, h106) = message(106, 1);
    a.publish(vec![m106.clone()]);
    b.publish(vec![m106]);
    let t = next(&mut channels.txs).await;
    assert_eq!((t.sequence_number, *t.tx.inner().tx_hash()), (106, h106[0]));
    until("the gap counted", || stats.snapshot().gaps == 1).await;
    until("both copies of 106 read", || stats.snapshot().duplicates == 6).await;

    // 3. Feed a is cut: it reconnects (asking for sequence number 107 on), b goes on meanwhile.
    let connections = a.connections();
    a.cut();
    let (m107, h107) = message(107, 2);
    b.publish(vec![m107]);
    let got = take(&mut channels.txs, 2).await;
    assert_eq!(got.iter().map(|t| *t.tx.inner().tx_hash()).collect::<Vec<_>>(), h107);
    until("feed a reconnected", || a.connections() > connections && a.open_connections() == 1)
        .await;
    until("the reconnect counted", || stats.snapshot().reconnects >= 1).await;
    // Only a publishes 108: the client hears it through the reconnected feed.
    let (m108, h108) = message(108, 1);
    a.publish(vec![m108]);
    let t = next(&mut channels.txs).await;
    assert_eq!((t.sequence_number, t.feed, *t.tx.inner().tx_hash()), (108, 0, h108[0]));

    // 4. The missing message turns up after all: delivered, flagged late, counted.
    let (m105, h105) = message(105, 1);
    b.publish(vec![m105]);
    let t = next(&mut channels.txs).await;
    assert_eq!((t.sequence_number, t.late, *t.tx.inner().tx_hash()), (105, true, h105[0]));

    // 5. Garbage frames are counted, not fatal.
    b.publish_raw("not a feed message".into());
    let (m109, h109) = message(109, 1);
    b.publish(vec![m109]);
    assert_eq!(*next(&mut channels.txs).await.tx.inner().tx_hash(), h109[0]);

    let counts = stats.snapshot();
    assert_eq!(
        FeedCounts { frames: 0, skips: 0, duplicates: 0, ..counts },
        FeedCounts {
            frames: 0,
            messages: 10,
            txs: 17,
            duplicates: 0,
            gaps: 1,
            late: 1,
            reconnects: 1,
            skips: 0,
        },
        "{counts:?}"
    );
    // The second copies of 100..=104 and 106 (feed a's backlog holds nothing it is asked for
    // on reconnect: it never had 107).
    assert_eq!(counts.duplicates, 6, "{counts:?}");
    assert_eq!(counts.skips, counts.duplicates + 1, "and one undecodable frame: {counts:?}");

    stop.send_replace(true);
    tokio::time::timeout(Duration::from_secs(5), handle).await.expect("stops").expect("no panic");
}

/// A feed that accepts and then says nothing (not even a ping) is redialled after the idle
/// timeout, again and again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_feed_is_redialled() {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let url = format!("ws://{}", listener.local_addr().expect("addr"));
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                // Handshake, then hold the connection open in silence.
                let ws = tokio_tungstenite::accept_async(stream).await;
                tokio::time::sleep(Duration::from_secs(30)).await;
                drop(ws);
            });
        }
    });
    let (stop, shutdown) = watch::channel(false);
    let config = FeedConfig {
        urls: vec![url],
        idle_timeout: Duration::from_millis(150),
        ..FeedConfig::default()
    };
    let (channels, handle) = FeedClient::spawn(config, shutdown);
    until("three connections", || accepted.load(Ordering::SeqCst) >= 3).await;
    until("reconnects counted", || channels.stats.snapshot().reconnects >= 2).await;
    stop.send_replace(true);
    tokio::time::timeout(Duration::from_secs(5), handle).await.expect("stops").expect("no panic");
}

/// A consumer that does not read: the bounded channel fills and the rest is counted
/// `consumer_full`; the feed never waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_consumer_channel_drops_and_counts() {
    let server = FeedServer::start().await.expect("feed");
    let (_stop, shutdown) = watch::channel(false);
    let config =
        FeedConfig { urls: vec![server.url().to_owned()], capacity: 2, ..FeedConfig::default() };
    let (mut channels, _handle) = FeedClient::spawn(config, shutdown);
    until("connected", || server.open_connections() == 1).await;
    let (m, hashes) = message(1, 5);
    server.publish(vec![m]);
    until("five decoded", || channels.stats.snapshot().txs == 5).await;
    until("three dropped", || channels.stats.snapshot().skips == 3).await;
    let got = take(&mut channels.txs, 2).await;
    assert_eq!(got.iter().map(|t| *t.tx.inner().tx_hash()).collect::<Vec<_>>(), hashes[..2]);
    assert!(channels.txs.try_recv().is_err(), "nothing else queued");
}

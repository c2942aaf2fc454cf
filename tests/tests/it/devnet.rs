//! The chain of tools works: devnet up, IPC subscription to full pending transactions, a
//! Router02 swap from a trader seen with its full body, mined, and the pair's reserves moved.

use alloy::{
    consensus::Transaction as _,
    network::TransactionBuilder,
    primitives::U256,
    providers::{IpcConnect, Provider, ProviderBuilder},
};
use futures::StreamExt;
use searcher::abi::IUniswapV2Pair;
use searcher_devnet::{Role, abi::IUniswapV2Router02};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipc_pending_swap_is_seen_with_full_body_and_moves_reserves() {
    let Some(devnet) = e2e::devnet_or_skip("ipc_pending_swap").await else { return };
    let a = &devnet.addresses;
    let tka = a.token("TKA").unwrap();
    let pair = a.pool("uniswap-v2", a.weth, tka, None).unwrap().address;

    // The searcher's view: IPC only, as to reth.
    let ipc = ProviderBuilder::new()
        .connect_ipc(IpcConnect::new(devnet.ipc_path().to_path_buf()))
        .await
        .expect("IPC connects");
    let sub = ipc.subscribe_full_pending_transactions().await.expect("subscribe");
    let mut pending = sub.into_stream();

    let pair_ipc = IUniswapV2Pair::new(pair, &ipc);
    let before = pair_ipc.getReserves().call().await.unwrap();

    // A trader swaps 10 WETH for TKA through Router02 (sent over HTTP, another account).
    let trader = devnet.address(Role::Trader(0));
    let router = IUniswapV2Router02::new(a.uniswap_v2.router, devnet.provider());
    let amount_in = U256::from(10u64) * U256::from(10u64).pow(U256::from(18));
    let call = router
        .swapExactTokensForTokens(amount_in, U256::ZERO, vec![a.weth, tka], trader, U256::MAX)
        .from(trader);
    let expected_input = call.calldata().clone();
    let sent = devnet
        .provider()
        .send_transaction(call.into_transaction_request().with_gas_limit(300_000))
        .await
        .expect("swap sent");
    let hash = *sent.tx_hash();

    let seen = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(tx) = pending.next().await {
            if *tx.inner.tx_hash() == hash {
                return tx;
            }
        }
        panic!("pending stream ended");
    })
    .await
    .expect("pending swap announced within 10 s");
    assert_eq!(seen.inner.signer(), trader, "full body carries the recovered sender");
    assert_eq!(seen.inner.to(), Some(a.uniswap_v2.router));
    assert_eq!(seen.inner.input(), &expected_input, "full calldata, not just a hash");
    assert!(seen.block_number.is_none(), "still pending");

    // Nothing is mined until the devnet says so.
    let still = pair_ipc.getReserves().call().await.unwrap();
    assert_eq!((still.reserve0, still.reserve1), (before.reserve0, before.reserve1));

    let block = devnet.mine().await.unwrap();
    let receipt = ipc.get_transaction_receipt(hash).await.unwrap().expect("mined");
    assert!(receipt.status());
    assert_eq!(receipt.block_number, Some(block));

    let after = pair_ipc.getReserves().call().await.unwrap();
    let weth_is_0 = a.weth < tka;
    let (weth_before, weth_after) = if weth_is_0 {
        (before.reserve0, after.reserve0)
    } else {
        (before.reserve1, after.reserve1)
    };
    assert_eq!(U256::from(weth_after) - U256::from(weth_before), amount_in);
    assert!(if weth_is_0 {
        after.reserve1 < before.reserve1
    } else {
        after.reserve0 < before.reserve0
    });
}

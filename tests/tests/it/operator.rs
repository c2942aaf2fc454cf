//! The operator's loop end to end, with the searcher as a separate process (`searcher run
//! --config`), the devnet, two builder-relays and the executor deployed by `forge script`:
//!
//! - a victim that opens a gap → a bundle that lands in the next block, right after it;
//! - the executor's WETH grows by exactly the predicted profit;
//! - a victim whose gap is below costs → no bundle, with the skip reason counted;
//! - `searcher bundles --json` reports the landing with its builder;
//! - the kill switch stops sending;
//! - SIGTERM stops it cleanly; `searcher sweep` pays the cold wallet only;
//! - no key material appears in any output.

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, TxHash, U256},
    providers::Provider,
    signers::local::PrivateKeySigner,
};
use e2e::operator::{bundles_json, counter, metrics_text, wait_metric};
use searcher::abi::IERC20;
use searcher_devnet::{
    DevBuilders, Devnet, Role,
    abi::IUniswapV2Router02,
    setup::{
        BlockTicker, DEMO_IDENTITY_KEY_ENV, DEMO_TRADING_KEY_ENV, SearcherSetup, deploy_executor,
        fund_executor, searcher_config, write_config,
    },
};
use std::{process::Stdio, sync::Arc, time::Duration};

const ETHER: u128 = 1_000_000_000_000_000_000;

async fn swap(devnet: &Devnet, trader: usize, dex: &str, weth_milli: u64) -> TxHash {
    let a = &devnet.addresses;
    let tka = a.token("TKA").unwrap();
    let from = devnet.address(Role::Trader(trader));
    let router = IUniswapV2Router02::new(a.v2_dex(dex).unwrap().router, devnet.provider());
    let amount = U256::from(weth_milli) * U256::from(ETHER / 1000);
    let tx = router
        .swapExactTokensForTokens(amount, U256::ZERO, vec![a.weth, tka], from, U256::MAX)
        .from(from)
        .into_transaction_request()
        .with_gas_limit(300_000);
    *devnet.provider().send_transaction(tx).await.unwrap().tx_hash()
}

async fn weth_of(devnet: &Devnet, who: Address) -> U256 {
    IERC20::new(devnet.addresses.weth, devnet.provider()).balanceOf(who).call().await.unwrap()
}

/// Every family the running engine exports has the `searcher_` prefix and a HELP text, and
/// the families an operator needs after a landed bundle are there.
fn assert_metric_families_are_described(metrics: &str) {
    let mut families = Vec::new();
    let mut described = std::collections::HashSet::new();
    for line in metrics.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            families.push(rest.split_whitespace().next().unwrap_or_default().to_owned());
        } else if let Some(rest) = line.strip_prefix("# HELP ") {
            let mut parts = rest.splitn(2, ' ');
            let name = parts.next().unwrap_or_default().to_owned();
            if parts.next().is_some_and(|help| !help.trim().is_empty()) {
                described.insert(name);
            }
        }
    }
    assert!(families.len() >= 15, "the engine exports its families: {families:?}");
    for family in &families {
        assert!(
            family.starts_with("searcher_"),
            "metric family {family} lacks the searcher_ prefix"
        );
        assert!(described.contains(family), "metric family {family} has no HELP text");
    }
    for needed in [
        "searcher_stage_seconds",
        "searcher_skips_total",
        "searcher_watch_events_total",
        "searcher_head_block",
        "searcher_landed_total",
        "searcher_realised_profit_eth",
        "searcher_relay_submissions_total",
        "searcher_store_records_total",
    ] {
        assert!(families.iter().any(|f| f == needed), "{needed} is exported");
    }
}

/// Waits until the searcher has processed `block` (its head gauge).
async fn wait_head_at(metrics: std::net::SocketAddr, block: u64) {
    let reached =
        wait_metric(metrics, "searcher_head_block", &[], block as f64, Duration::from_secs(10));
    assert!(reached.await.is_some(), "searcher never reached block {block}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_loop_lands_exact_profit_skips_small_gaps_and_obeys_the_kill_switch() {
    let Some(devnet) = e2e::devnet_or_skip("operator_loop").await else { return };
    let builders = Arc::new(DevBuilders::start(&devnet).await.unwrap());
    let ticker = BlockTicker::start(builders.clone(), Duration::from_millis(200));
    let executor = deploy_executor(&devnet).await.unwrap();
    fund_executor(&devnet, executor, U256::from(50u128 * ETHER)).await.unwrap();
    ticker.stop().await;

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("searcher.db");
    let kill = dir.path().join("searcher.kill");
    let metrics_addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let setup = SearcherSetup {
        executor,
        relays: builders.relay_configs(),
        builders: builders.relays().iter().map(|r| r.identity().builder_rule()).collect(),
        store: db.clone(),
        metrics: Some(metrics_addr),
        kill_switch_file: Some(kill.clone()),
    };
    let config_path = dir.path().join("searcher.toml");
    write_config(&searcher_config(&devnet, &setup), &config_path).unwrap();

    let trading_key = alloy::hex::encode(devnet.signer(Role::Searcher).to_bytes());
    let identity = PrivateKeySigner::random();
    let identity_key = alloy::hex::encode(identity.to_bytes());
    let log_path = dir.path().join("searcher.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = tokio::process::Command::new(e2e::searcher_bin())
        .args(["run", "--config"])
        .arg(&config_path)
        .env(DEMO_TRADING_KEY_ENV, format!("0x{trading_key}"))
        .env(DEMO_IDENTITY_KEY_ENV, &identity_key)
        .env("RUST_LOG", "debug,sqlx=warn,hyper=warn,reqwest=warn,alloy=info")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("searcher run starts");
    // Ready: the metrics endpoint answers and the head is published.
    let head0 = devnet.provider().get_block_number().await.unwrap();
    metrics_text(metrics_addr).await;
    tokio::time::sleep(Duration::from_millis(800)).await; // subscriptions in place

    // 1. A tiny victim while prices are aligned: its gap is below costs, so no bundle is
    //    sent and the reason is counted.
    let metrics = metrics_text(metrics_addr).await;
    let skips_before = counter(&metrics, "searcher_skips_total", &[]);
    let _small = swap(&devnet, 1, "uniswap-v2", 1).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let report = builders.build_block().await.unwrap();
    assert!(report.included.is_empty());
    wait_head_at(metrics_addr, report.number).await;
    let metrics = metrics_text(metrics_addr).await;
    assert!(
        counter(&metrics, "searcher_skips_total", &[]) > skips_before,
        "a skip reason was counted for the small gap"
    );
    let (review, out2) = bundles_json(&db);
    assert_eq!(review["totals"]["bundles"].as_u64().unwrap(), 0, "no bundle for a gap below costs");

    // 2. A large victim on uniswap-v2 opens a gap against sushiswap and V3.
    let before = weth_of(&devnet, executor).await;
    let victim = swap(&devnet, 0, "uniswap-v2", 20_000).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let report = builders.build_block().await.unwrap();
    assert_eq!(report.included.len(), 1, "one bundle included: {report:?}");
    let block = devnet.provider().get_block_by_number(report.number.into()).await.unwrap().unwrap();
    let hashes: Vec<TxHash> = block.transactions.hashes().collect();
    let at = hashes.iter().position(|h| *h == victim).expect("victim mined");
    let backrun = hashes[at + 1];
    let backrun_tx = devnet.provider().get_transaction_by_hash(backrun).await.unwrap().unwrap();
    assert_eq!(
        backrun_tx.inner.signer(),
        devnet.address(Role::Searcher),
        "our backrun right after the victim"
    );
    assert!(report.number > head0);
    let after = weth_of(&devnet, executor).await;
    wait_head_at(metrics_addr, report.number).await;
    tokio::time::sleep(Duration::from_millis(500)).await; // inclusion recorded

    let (review, review_out) = bundles_json(&db);
    let landed: Vec<&serde_json::Value> = review["bundles"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["inclusion"] == "landed")
        .collect();
    assert_eq!(landed.len(), 1, "{review:#}");
    let b = landed[0];
    assert_eq!(b["landed_block"], report.number);
    assert_eq!(b["builder"], report.builder, "attributed to the block's builder");
    let predicted: U256 = b["simulated_profit"].as_str().unwrap().parse().unwrap();
    let realised: U256 = b["realised_profit"].as_str().unwrap().parse().unwrap();
    assert_eq!(realised, predicted, "realised profit equals the prediction to the wei");
    assert_eq!(
        after - before,
        predicted,
        "the executor's WETH grew by exactly the predicted profit"
    );
    assert!(!predicted.is_zero());

    let bundles_before = review["totals"]["bundles"].as_u64().unwrap();

    // 3. Kill switch: with the file present, a profitable victim gets no bundle.
    std::fs::write(&kill, "stop").unwrap();
    let victim = swap(&devnet, 2, "sushiswap", 20_000).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let report = builders.build_block().await.unwrap();
    assert!(report.included.is_empty(), "nothing sent while killed");
    let block = devnet.provider().get_block_by_number(report.number.into()).await.unwrap().unwrap();
    assert!(block.transactions.hashes().any(|h| h == victim), "the victim itself still lands");
    wait_head_at(metrics_addr, report.number).await;
    let (review, out3) = bundles_json(&db);
    assert_eq!(
        review["totals"]["bundles"].as_u64().unwrap(),
        bundles_before,
        "kill switch stopped sending"
    );
    let metrics = metrics_text(metrics_addr).await;
    assert!(counter(&metrics, "searcher_skips_total", &["kill_switch"]) >= 1.0);
    assert_metric_families_are_described(&metrics);

    // 4. SIGTERM: graceful stop.
    let pid = child.id().expect("pid") as i32;
    std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("stops within 20 s")
        .unwrap();
    assert!(status.success(), "clean exit: {status:?}");
    let log_text = std::fs::read_to_string(&log_path).unwrap();
    assert!(log_text.contains("every record flushed"), "graceful shutdown logged");

    // 5. Sweep: any destination but the cold wallet is refused; then everything but 1 wei of
    //    WETH moves to the cold wallet.
    let sweep = |extra: &[&str]| {
        std::process::Command::new(e2e::searcher_bin())
            .args(["sweep", "--config"])
            .arg(&config_path)
            .args(extra)
            .env(DEMO_TRADING_KEY_ENV, format!("0x{trading_key}"))
            .env(DEMO_IDENTITY_KEY_ENV, &identity_key)
            .stdin(Stdio::null())
            .output()
            .expect("searcher sweep")
    };
    let elsewhere = Address::repeat_byte(0x77).to_string();
    let refused = sweep(&["--yes", "--to", &elsewhere]);
    assert!(!refused.status.success(), "a foreign destination must be refused");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("refusing"));
    let cold = devnet.address(Role::ColdWallet);
    let (cold_before, held) = (weth_of(&devnet, cold).await, weth_of(&devnet, executor).await);
    let ticker = BlockTicker::start(builders.clone(), Duration::from_millis(200));
    let swept = tokio::task::block_in_place(|| sweep(&["--yes"]));
    ticker.stop().await;
    let sweep_out = format!(
        "{}{}",
        String::from_utf8_lossy(&swept.stdout),
        String::from_utf8_lossy(&swept.stderr)
    );
    assert!(swept.status.success(), "sweep failed: {sweep_out}");
    assert_eq!(weth_of(&devnet, executor).await, U256::from(1), "1 wei stays behind");
    assert_eq!(weth_of(&devnet, cold).await - cold_before, held - U256::from(1));

    // 6. No key material anywhere: the searcher's log, the review outputs, the config.
    let config_text = std::fs::read_to_string(&config_path).unwrap();
    for (what, text) in [
        ("searcher log", &log_text),
        ("bundles output", &review_out),
        ("bundles output", &out2),
        ("bundles output", &out3),
        ("config", &config_text),
        ("sweep output", &sweep_out),
    ] {
        for key in [&trading_key, &identity_key] {
            assert!(!text.to_lowercase().contains(key.as_str()), "key material in the {what}");
        }
    }
}

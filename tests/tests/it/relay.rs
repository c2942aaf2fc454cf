//! The devnet builder-relay, driven by the real `bundles::Fanout` with its own identity key:
//! bundles sent to two relays land once, right after their victim, in the block of whichever
//! relay's turn it was (and `classify_inclusion` names that builder); cancels and replacements
//! are honoured; bundles without a mempool victim go last, bundles for later blocks wait; bad
//! signatures are rejected; the better payer wins a victim (and `eth_callBundle` agrees with
//! the builder and the chain to the wei); and no mempool transaction is ever lost by the
//! builders' pool rewrites, even with traffic arriving while blocks are built.
//!
//! Victims are real Router02 swaps from traders; backruns are real signed transactions from
//! the searcher's key: a WETH deposit, or a call to a one-line payer contract that forwards its
//! value to `block.coinbase` (an EOA cannot pay the coinbase directly). The payer is deployed
//! from raw creation code:
//!
//! ```text
//! init:    PUSH1 9  PUSH1 10  PUSH0  CODECOPY  PUSH1 9  PUSH0  RETURN   (copy 9 bytes at 10, return them)
//! runtime: PUSH0 PUSH0 PUSH0 PUSH0  CALLVALUE  COINBASE  GAS  CALL  STOP
//!          = block.coinbase.call{value: msg.value}("")
//! ```

use alloy::{
    consensus::TxEnvelope,
    eips::{BlockNumberOrTag, Encodable2718},
    network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder},
    primitives::{Address, Bytes, TxHash, U256, bytes},
    providers::{Provider, ext::TxPoolApi},
    rpc::types::{Block, TransactionRequest},
    signers::local::PrivateKeySigner,
    sol_types::SolCall,
};
use bundles::{
    Bundle, Fanout, InclusionQuery, InclusionStatus, RelayConfig, RelayFlavour, RelayOutcome,
    classify_inclusion, new_replacement_uuid,
    server::{INVALID_PARAMS, UNAUTHORIZED},
};
use searcher::abi::IWETH9;
use searcher_devnet::{DevBuilders, Devnet, Role, abi::IUniswapV2Router02};
use serde_json::{Value, json};
use std::{
    collections::HashSet,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

const GWEI: u128 = 1_000_000_000;
const ETHER: u128 = 1_000_000_000_000_000_000;
/// Creation code of the coinbase payer (see the module docs).
const PAYER_INIT_CODE: Bytes = bytes!("0x6009600a5f3960095ff35f5f5f5f34415af100");

/// Signs transactions for one dev account with locally tracked nonces.
struct Account {
    signer: PrivateKeySigner,
    nonce: u64,
    chain_id: u64,
}

impl Account {
    async fn new(devnet: &Devnet, role: Role) -> Self {
        let signer = devnet.signer(role);
        let nonce = devnet
            .provider()
            .get_transaction_count(signer.address())
            .pending()
            .await
            .expect("nonce");
        Self { signer, nonce, chain_id: devnet.chain_id() }
    }

    fn address(&self) -> Address {
        self.signer.address()
    }

    /// Signs a transaction with the next nonce: `to` (`None`: creation), value, data, gas
    /// limit and priority fee (gwei).
    async fn sign(
        &mut self,
        to: Option<Address>,
        value: U256,
        data: Bytes,
        gas: u64,
        tip_gwei: u128,
    ) -> (Bytes, TxHash) {
        let raw = self.sign_at(self.nonce, to, value, data, gas, tip_gwei).await;
        self.nonce += 1;
        raw
    }

    /// Signs with an explicit nonce (alternatives for one slot); the next nonce is unchanged.
    async fn sign_at(
        &self,
        nonce: u64,
        to: Option<Address>,
        value: U256,
        data: Bytes,
        gas: u64,
        tip_gwei: u128,
    ) -> (Bytes, TxHash) {
        let tx = TransactionRequest::default()
            .with_from(self.address())
            .with_value(value)
            .with_input(data)
            .with_nonce(nonce)
            .with_gas_limit(gas)
            .with_max_fee_per_gas(100 * GWEI)
            .with_max_priority_fee_per_gas(tip_gwei * GWEI)
            .with_chain_id(self.chain_id);
        let tx = match to {
            Some(to) => tx.with_to(to),
            None => tx.into_create(),
        };
        let envelope: TxEnvelope =
            tx.build(&EthereumWallet::new(self.signer.clone())).await.expect("signs");
        (envelope.encoded_2718().into(), *envelope.tx_hash())
    }

    /// Signs and sends to the public mempool.
    async fn send(
        &mut self,
        devnet: &Devnet,
        to: Option<Address>,
        value: U256,
        data: Bytes,
        gas: u64,
    ) -> (Bytes, TxHash) {
        let (raw, hash) = self.sign(to, value, data, gas, 1).await;
        let _ = devnet.provider().send_raw_transaction(&raw).await.expect("enters the pool");
        (raw, hash)
    }
}

fn ether(milli: u128) -> U256 {
    U256::from(milli * ETHER / 1000)
}

/// A trader's Router02 swap of `amount` WETH for TKA, sent to the mempool.
async fn send_victim(devnet: &Devnet, trader: &mut Account, amount: U256) -> (Bytes, TxHash) {
    let a = &devnet.addresses;
    let tka = a.token("TKA").expect("TKA deployed");
    let data = IUniswapV2Router02::swapExactTokensForTokensCall {
        amountIn: amount,
        amountOutMin: U256::ZERO,
        path: vec![a.weth, tka],
        to: trader.address(),
        deadline: U256::MAX,
    }
    .abi_encode();
    trader.send(devnet, Some(a.uniswap_v2.router), U256::ZERO, data.into(), 300_000).await
}

/// A searcher backrun: wrap `value` ETH (any valid signed transaction does).
async fn deposit(devnet: &Devnet, searcher: &Account, nonce: u64, value: U256) -> (Bytes, TxHash) {
    let data = IWETH9::depositCall {}.abi_encode();
    searcher.sign_at(nonce, Some(devnet.addresses.weth), value, data.into(), 100_000, 2).await
}

/// An ETH transfer (unrelated traffic).
async fn send_transfer(devnet: &Devnet, from: &mut Account, to: Address) -> TxHash {
    from.send(devnet, Some(to), U256::from(1_000u64), Bytes::new(), 21_000).await.1
}

async fn setup(test: &str) -> Option<(Devnet, DevBuilders, Fanout)> {
    let devnet = e2e::devnet_or_skip(test).await?;
    let builders = DevBuilders::start(&devnet).await.expect("relays start");
    // The identity key is separate from the trading key and holds nothing.
    let fanout =
        Fanout::new(&builders.relay_configs(), PrivateKeySigner::random()).expect("fan-out");
    Some((devnet, builders, fanout))
}

async fn block(devnet: &Devnet, number: u64) -> Block {
    devnet
        .provider()
        .get_block_by_number(BlockNumberOrTag::Number(number))
        .await
        .expect("block read")
        .expect("block exists")
}

fn hashes(block: &Block) -> Vec<TxHash> {
    block.transactions.hashes().collect()
}

async fn next_block(devnet: &Devnet) -> u64 {
    devnet.provider().get_block_number().await.expect("block number") + 1
}

async fn assert_all_accepted(fanout: &Fanout, bundle: &Bundle) {
    let records = fanout.send_bundle(bundle).await.expect("sent");
    assert_eq!(records.len(), 2);
    for record in records {
        assert_eq!(
            record.outcome,
            RelayOutcome::Accepted { bundle_hash: Some(bundle.hash()) },
            "{}",
            record.relay
        );
    }
}

/// Signs `body` with `identity` and posts it to `url`; returns the JSON answer.
async fn post_signed(url: &str, identity: &PrivateKeySigner, body: &Value) -> Value {
    let body = serde_json::to_vec(body).expect("JSON");
    let signature = bundles::sign_body(identity, &body).await.expect("signs");
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header(bundles::FLASHBOTS_SIGNATURE_HEADER, signature)
        .body(body)
        .send()
        .await
        .expect("relay answers")
        .json()
        .await
        .expect("JSON answer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bundle_sent_to_two_relays_lands_once_right_after_its_victim() {
    let Some((devnet, builders, fanout)) = setup("relay_bundle_lands_once").await else { return };
    let mut trader = Account::new(&devnet, Role::Trader(0)).await;
    let mut other = Account::new(&devnet, Role::Trader(1)).await;
    let searcher = Account::new(&devnet, Role::Searcher).await;

    let before = send_transfer(&devnet, &mut other, Address::repeat_byte(7)).await;
    let (victim, victim_hash) = send_victim(&devnet, &mut trader, ether(5_000)).await;
    let after = send_transfer(&devnet, &mut other, Address::repeat_byte(7)).await;
    let target = next_block(&devnet).await;
    let (backrun, backrun_hash) = deposit(&devnet, &searcher, searcher.nonce, ether(10)).await;
    let bundle = Bundle::new(vec![victim, backrun], target)
        .unwrap()
        .with_replacement_uuid(new_replacement_uuid());
    assert_all_accepted(&fanout, &bundle).await;
    assert!(builders.relays().iter().all(|r| r.bundle_count() == 1));

    let turn = builders.builder_of(target).identity().clone();
    let report = builders.build_block().await.unwrap();
    assert_eq!((report.number, report.builder.as_str()), (target, turn.name.as_str()));
    assert_eq!(report.fee_recipient, turn.fee_recipient);
    assert_eq!(report.bundle_hashes(), vec![bundle.hash()], "{report:?}");
    assert!(report.included[0].payment > U256::ZERO);

    let mined = block(&devnet, target).await;
    assert_eq!(mined.header.beneficiary, turn.fee_recipient);
    let order = hashes(&mined);
    assert_eq!(order, vec![before, victim_hash, backrun_hash, after], "backrun right after victim");
    for hash in &order {
        let receipt = devnet.provider().get_transaction_receipt(*hash).await.unwrap().unwrap();
        assert!(receipt.status(), "{hash} succeeded");
    }

    let status = classify_inclusion(
        devnet.provider(),
        &mined,
        &InclusionQuery::for_bundle(&bundle),
        &builders.builder_table(),
    )
    .await
    .unwrap();
    let InclusionStatus::Landed(landed) = status else { panic!("landed: {status:?}") };
    assert_eq!(landed.builder, turn.name);
    assert!(landed.right_after_victim && landed.success);

    // The other relay builds the next block: the bundle expired everywhere, nothing repeats.
    let next = builders.build_block().await.unwrap();
    assert_ne!(next.builder, report.builder, "builders take turns");
    assert!(next.included.is_empty() && next.tx_count == 0, "{next:?}");
    assert!(builders.relays().iter().all(|r| r.bundle_count() == 0));
    assert_eq!(
        block(&devnet, target + 1).await.header.beneficiary,
        builders.builder_of(target + 1).identity().fee_recipient
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_bundle_does_not_land_but_its_victim_does() {
    let Some(devnet) = e2e::devnet_or_skip("relay_cancelled_bundle").await else { return };
    let builders = DevBuilders::start(&devnet).await.unwrap();
    // One relay cancels with eth_cancelBundle, the other with the empty-bundle form.
    let relays = builders.relays();
    let configs = vec![
        RelayConfig::new("a", relays[0].url(), RelayFlavour::Flashbots),
        RelayConfig::new("b", relays[1].url(), RelayFlavour::Buildernet),
    ];
    let fanout = Fanout::new(&configs, PrivateKeySigner::random()).unwrap();
    let mut trader = Account::new(&devnet, Role::Trader(0)).await;
    let searcher = Account::new(&devnet, Role::Searcher).await;

    let (victim, victim_hash) = send_victim(&devnet, &mut trader, ether(5_000)).await;
    let target = next_block(&devnet).await;
    let (backrun, backrun_hash) = deposit(&devnet, &searcher, searcher.nonce, ether(10)).await;
    let bundle = Bundle::new(vec![victim, backrun], target)
        .unwrap()
        .with_replacement_uuid(new_replacement_uuid());
    assert_all_accepted(&fanout, &bundle).await;
    let records = fanout.cancel(&bundle.cancel().unwrap()).await.unwrap();
    assert!(records.iter().all(|r| r.outcome.is_accepted()), "{records:?}");
    assert!(relays.iter().all(|r| r.bundle_count() == 0), "both forms cancel");

    let report = builders.build_block().await.unwrap();
    assert!(report.included.is_empty(), "{report:?}");
    assert_eq!(hashes(&block(&devnet, target).await), vec![victim_hash]);
    let status = classify_inclusion(
        devnet.provider(),
        &block(&devnet, target).await,
        &InclusionQuery::for_bundle(&bundle),
        &builders.builder_table(),
    )
    .await
    .unwrap();
    assert_eq!(
        status,
        InclusionStatus::VictimLandedWithoutUs { block: target, builder: report.builder.clone() }
    );
    builders.build_block().await.unwrap();
    assert!(devnet.provider().get_transaction_receipt(backrun_hash).await.unwrap().is_none());
    assert!(devnet.provider().get_transaction_by_hash(backrun_hash).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaced_bundle_lands_in_its_new_form() {
    let Some((devnet, builders, fanout)) = setup("relay_replaced_bundle").await else { return };
    let mut trader = Account::new(&devnet, Role::Trader(0)).await;
    let searcher = Account::new(&devnet, Role::Searcher).await;

    let (victim, victim_hash) = send_victim(&devnet, &mut trader, ether(5_000)).await;
    let target = next_block(&devnet).await;
    let uuid = new_replacement_uuid();
    let (old_backrun, old_hash) = deposit(&devnet, &searcher, searcher.nonce, ether(10)).await;
    let (new_backrun, new_hash) = deposit(&devnet, &searcher, searcher.nonce, ether(20)).await;
    let old =
        Bundle::new(vec![victim.clone(), old_backrun], target).unwrap().with_replacement_uuid(uuid);
    let new = Bundle::new(vec![victim, new_backrun], target).unwrap().with_replacement_uuid(uuid);
    assert_all_accepted(&fanout, &old).await;
    assert_all_accepted(&fanout, &new).await;
    assert!(builders.relays().iter().all(|r| r.bundle_count() == 1), "replaced, not added");

    let report = builders.build_block().await.unwrap();
    assert_eq!(report.bundle_hashes(), vec![new.hash()], "{report:?}");
    assert_eq!(hashes(&block(&devnet, target).await), vec![victim_hash, new_hash]);
    assert!(devnet.provider().get_transaction_by_hash(old_hash).await.unwrap().is_none());

    // A bundle whose first transaction is not in the mempool goes at the end, in full; a
    // bundle for a later block waits for it.
    let mut searcher = searcher;
    searcher.nonce += 1;
    let mut other = Account::new(&devnet, Role::Trader(1)).await;
    let later_account = Account::new(&devnet, Role::Trader(2)).await;
    let target = next_block(&devnet).await;
    let public = send_transfer(&devnet, &mut other, Address::repeat_byte(7)).await;
    let (first, first_hash) = deposit(&devnet, &searcher, searcher.nonce, ether(1)).await;
    let (second, second_hash) = deposit(&devnet, &searcher, searcher.nonce + 1, ether(1)).await;
    let (later_tx, later_hash) = later_account
        .sign_at(
            later_account.nonce,
            Some(Address::repeat_byte(8)),
            ether(1),
            Bytes::new(),
            21_000,
            1,
        )
        .await;
    let orphan = Bundle::new(vec![first, second], target).unwrap();
    let later = Bundle::new(vec![later_tx], target + 1).unwrap();
    assert_all_accepted(&fanout, &orphan).await;
    assert_all_accepted(&fanout, &later).await;
    let report = builders.build_block().await.unwrap();
    assert_eq!(report.bundle_hashes(), vec![orphan.hash()], "{report:?}");
    assert_eq!(hashes(&block(&devnet, target).await), vec![public, first_hash, second_hash]);
    assert!(builders.relays().iter().all(|r| r.bundle_count() == 1), "the later bundle waits");
    let report = builders.build_block().await.unwrap();
    assert_eq!(report.bundle_hashes(), vec![later.hash()], "{report:?}");
    assert_eq!(hashes(&block(&devnet, target + 1).await), vec![later_hash]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_or_missing_signature_is_rejected() {
    let Some((devnet, builders, _)) = setup("relay_bad_signature").await else { return };
    let relay = &builders.relays()[0];
    let mut trader = Account::new(&devnet, Role::Trader(0)).await;
    let (victim, _) = send_victim(&devnet, &mut trader, ether(1_000)).await;
    let request = json!({"jsonrpc": "2.0", "id": 1, "method": "eth_sendBundle",
        "params": [{"txs": [victim], "blockNumber": "0x100"}]});
    let body = serde_json::to_vec(&request).unwrap();
    let client = reqwest::Client::new();
    let identity = PrivateKeySigner::random();

    // Signed over another body.
    let forged = bundles::sign_body(&identity, b"{}").await.unwrap();
    // Another address claiming this signature.
    let good = bundles::sign_body(&identity, &body).await.unwrap();
    let impostor = format!("{}:{}", Address::repeat_byte(9), good.split_once(':').unwrap().1);
    for header in [Some(forged), Some(impostor), Some("garbage".to_owned()), None] {
        let mut post = client.post(relay.url()).header("content-type", "application/json");
        if let Some(h) = &header {
            post = post.header(bundles::FLASHBOTS_SIGNATURE_HEADER, h);
        }
        let answer: Value = post.body(body.clone()).send().await.unwrap().json().await.unwrap();
        assert_eq!(answer["error"]["code"], json!(UNAUTHORIZED), "{header:?}: {answer}");
        assert_eq!(answer["id"], json!(1));
    }
    // The fan-out configured without signing gets a recorded JSON-RPC rejection.
    let mut unsigned = RelayConfig::new("unsigned", relay.url(), RelayFlavour::Flashbots);
    unsigned.auth = Some(bundles::AuthConfig::None);
    let fanout = Fanout::new(&[unsigned], identity.clone()).unwrap();
    let bundle = Bundle::new(vec![victim.clone()], 0x100).unwrap();
    let records = fanout.send_bundle(&bundle).await.unwrap();
    assert!(
        matches!(&records[0].outcome, RelayOutcome::Rejected { code: Some(UNAUTHORIZED), .. }),
        "{records:?}"
    );
    assert_eq!(relay.bundle_count(), 0, "nothing stored");

    // A good signature over a bundle whose tx is not EIP-2718 is an invalid-params error.
    let bad_tx = json!({"jsonrpc": "2.0", "id": 2, "method": "eth_sendBundle",
        "params": [{"txs": ["0x02deadbeef"], "blockNumber": "0x100"}]});
    let answer = post_signed(relay.url(), &identity, &bad_tx).await;
    assert_eq!(answer["error"]["code"], json!(INVALID_PARAMS), "{answer}");
    // And the well-signed original is accepted.
    let answer = post_signed(relay.url(), &identity, &request).await;
    assert_eq!(answer["result"]["bundleHash"], json!(bundle.hash()), "{answer}");
    assert_eq!(relay.bundle_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn higher_coinbase_payer_wins_the_victim() {
    let Some((devnet, builders, fanout)) = setup("relay_higher_payer").await else { return };
    let mut searcher = Account::new(&devnet, Role::Searcher).await;
    let payer = searcher.address().create(searcher.nonce);
    searcher.send(&devnet, None, U256::ZERO, PAYER_INIT_CODE, 100_000).await;
    builders.build_block().await.unwrap();
    assert_eq!(
        devnet.provider().get_code_at(payer).await.unwrap(),
        bytes!("0x5f5f5f5f34415af100"),
        "payer deployed"
    );

    let mut trader = Account::new(&devnet, Role::Trader(0)).await;
    let (victim, victim_hash) = send_victim(&devnet, &mut trader, ether(5_000)).await;
    let target = next_block(&devnet).await;
    let (low_value, high_value) = (ether(1), ether(3));
    let nonce = searcher.nonce;
    let (low_tx, _) =
        searcher.sign_at(nonce, Some(payer), low_value, Bytes::new(), 60_000, 1).await;
    let (high_tx, high_hash) =
        searcher.sign_at(nonce, Some(payer), high_value, Bytes::new(), 60_000, 1).await;
    // Different uuids: two competing bundles, the lower payer sent first.
    let low = Bundle::new(vec![victim.clone(), low_tx.clone()], target)
        .unwrap()
        .with_replacement_uuid(new_replacement_uuid());
    let high = Bundle::new(vec![victim.clone(), high_tx.clone()], target)
        .unwrap()
        .with_replacement_uuid(new_replacement_uuid());
    assert_all_accepted(&fanout, &low).await;
    assert_all_accepted(&fanout, &high).await;

    // eth_callBundle on the pending state measures what each pays the builder.
    let identity = PrivateKeySigner::random();
    let relay = builders.builder_of(target);
    let mut paid = Vec::new();
    for (bundle, value) in [(&low, low_value), (&high, high_value)] {
        let request = json!({"jsonrpc": "2.0", "id": 3, "method": "eth_callBundle",
            "params": [{"txs": bundle.txs(), "blockNumber": format!("{target:#x}"),
                        "stateBlockNumber": "latest"}]});
        let answer = post_signed(relay.url(), &identity, &request).await;
        let result = &answer["result"];
        assert_eq!(result["bundleHash"], json!(bundle.hash()), "{answer}");
        let num = |v: &Value| v.as_str().unwrap().parse::<U256>().unwrap();
        assert_eq!(num(&result["ethSentToCoinbase"]), value, "{answer}");
        assert_eq!(
            num(&result["coinbaseDiff"]),
            num(&result["ethSentToCoinbase"]) + num(&result["gasFees"])
        );
        let results = result["results"].as_array().unwrap();
        assert_eq!(results.len(), 2);
        assert_eq!(results[1]["txHash"], json!(bundle.tx_hashes()[1]));
        assert!(results[1]["value"].is_string() && results[1].get("revert").is_none());
        assert!(results[0]["gasUsed"].as_u64().unwrap() > 21_000);
        assert_eq!(
            result["totalGasUsed"].as_u64().unwrap(),
            results.iter().map(|r| r["gasUsed"].as_u64().unwrap()).sum::<u64>()
        );
        paid.push(num(&result["coinbaseDiff"]));
    }

    let report = builders.build_block().await.unwrap();
    assert_eq!(report.bundle_hashes(), vec![high.hash()], "{report:?}");
    assert_eq!(report.included[0].payment, paid[1], "builder and eth_callBundle agree");
    assert!(report.rejected.iter().any(|r| r.hash == low.hash() && r.reason.contains("outbid")));
    assert_eq!(report.coinbase_diff, paid[1], "the block paid what simulation said");
    assert_eq!(hashes(&block(&devnet, target).await), vec![victim_hash, high_hash]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unrelated_mempool_transactions_are_all_mined() {
    let Some((devnet, builders, fanout)) = setup("relay_no_tx_lost").await else { return };
    let provider = devnet.provider();
    let mut trader = Account::new(&devnet, Role::Trader(0)).await;
    let mut busy = Account::new(&devnet, Role::Trader(1)).await;
    let mut gap = Account::new(&devnet, Role::Trader(2)).await;
    let searcher = Account::new(&devnet, Role::Searcher).await;
    let sink = Address::repeat_byte(0x5e);

    // Before the victim, after it (a chain of nonces the rewrite drops and re-sends), and a
    // queued transaction behind a nonce gap.
    let mut expected = vec![send_transfer(&devnet, &mut busy, sink).await];
    let (victim, victim_hash) = send_victim(&devnet, &mut trader, ether(5_000)).await;
    for _ in 0..3 {
        expected.push(send_transfer(&devnet, &mut busy, sink).await);
    }
    let gap_nonce = gap.nonce;
    gap.nonce += 1;
    let queued = send_transfer(&devnet, &mut gap, sink).await;
    let target = next_block(&devnet).await;
    let (backrun, backrun_hash) = deposit(&devnet, &searcher, searcher.nonce, ether(10)).await;
    let bundle = Bundle::new(vec![victim, backrun], target).unwrap();
    assert_all_accepted(&fanout, &bundle).await;

    let report = builders.build_block().await.unwrap();
    assert_eq!(report.bundle_hashes(), vec![bundle.hash()]);
    let order = hashes(&block(&devnet, target).await);
    assert_eq!(
        order,
        vec![expected[0], victim_hash, backrun_hash, expected[1], expected[2], expected[3]]
    );
    let pool = provider.txpool_content().await.unwrap();
    assert_eq!(pool.queued.values().map(|m| m.len()).sum::<usize>(), 1, "gapped tx kept");
    assert!(pool.pending.is_empty());

    // Filling the gap releases the queued transaction.
    let (fill, fill_hash) =
        gap.sign_at(gap_nonce, Some(sink), U256::from(1u64), Bytes::new(), 21_000, 1).await;
    let _ = provider.send_raw_transaction(&fill).await.unwrap();
    let report = builders.build_block().await.unwrap();
    assert_eq!(hashes(&block(&devnet, report.number).await), vec![fill_hash, queued]);

    // Traffic keeps arriving while blocks with bundles are built: nothing is lost.
    let stop = Arc::new(AtomicBool::new(false));
    let spammer = {
        let stop = stop.clone();
        let mut senders = Vec::new();
        for n in 3..6 {
            senders.push(Account::new(&devnet, Role::Trader(n)).await);
        }
        let provider = provider.clone();
        tokio::spawn(async move {
            let mut sent = Vec::new();
            let mut i = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let from = &mut senders[i % 3];
                let (raw, hash) =
                    from.sign(Some(sink), U256::from(i as u64 + 1), Bytes::new(), 21_000, 1).await;
                let _ = provider.send_raw_transaction(&raw).await.unwrap();
                sent.push(hash);
                i += 1;
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            sent
        })
    };
    let mut searcher = searcher;
    searcher.nonce += 1; // the first bundle's backrun landed
    let mut landed = Vec::new();
    let mut build_times = Vec::new();
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let (victim, _) = send_victim(&devnet, &mut trader, ether(500)).await;
        tokio::time::sleep(Duration::from_millis(5)).await;
        let target = next_block(&devnet).await;
        let (backrun, _) = searcher
            .sign(
                Some(devnet.addresses.weth),
                ether(1),
                IWETH9::depositCall {}.abi_encode().into(),
                100_000,
                2,
            )
            .await;
        let bundle = Bundle::new(vec![victim, backrun], target).unwrap();
        assert_all_accepted(&fanout, &bundle).await;
        let started = Instant::now();
        let report = builders.build_block().await.unwrap();
        build_times.push((started.elapsed(), report.tx_count, report.attempts));
        landed.push((report.bundle_hashes() == vec![bundle.hash()], report));
    }
    stop.store(true, Ordering::Relaxed);
    let sent = spammer.await.unwrap();
    let mut all: HashSet<TxHash> = sent.iter().copied().collect();
    for _ in 0..5 {
        let pool = provider.txpool_content().await.unwrap();
        if pool.pending.is_empty() && pool.queued.is_empty() {
            break;
        }
        builders.build_block().await.unwrap();
    }
    for hash in sent {
        let receipt = provider.get_transaction_receipt(hash).await.unwrap();
        assert!(receipt.is_some_and(|r| r.status()), "traffic tx {hash} mined");
        all.remove(&hash);
    }
    assert!(all.is_empty());
    assert!(landed.iter().all(|l| l.0), "every bundle landed: {landed:#?}");
    eprintln!("relay build times (elapsed, txs, attempts): {build_times:?}");
}

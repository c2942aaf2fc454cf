//! Inclusion verdicts on a real chain: anvil with manual mining, real signed transactions,
//! blocks whose fee recipient names their builder.

use alloy::{
    eips::{BlockNumberOrTag, eip2718::Encodable2718},
    network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder},
    node_bindings::Anvil,
    primitives::{Address, Bytes, U256},
    providers::{Provider, ProviderBuilder},
    rpc::types::{Block, TransactionRequest},
    signers::local::PrivateKeySigner,
};
use bundles::{
    BuilderRule, BuilderTable, Bundle, InclusionError, InclusionQuery, InclusionStatus,
    classify_inclusion,
};

const GWEI: u128 = 1_000_000_000;

fn anvil_available() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join("anvil").is_file()))
}

/// A raw signed transfer from `key` (a victim or our "backrun").
async fn transfer(key: &PrivateKeySigner, nonce: u64, chain_id: u64, tip_gwei: u128) -> Bytes {
    let request = TransactionRequest::default()
        .with_from(key.address())
        .with_to(Address::repeat_byte(0x99))
        .with_value(U256::from(1))
        .with_nonce(nonce)
        .with_chain_id(chain_id)
        .with_gas_limit(21_000)
        .with_max_fee_per_gas(100 * GWEI)
        .with_max_priority_fee_per_gas(tip_gwei * GWEI);
    let envelope = request.build(&EthereumWallet::from(key.clone())).await.expect("sign transfer");
    envelope.encoded_2718().into()
}

#[tokio::test]
async fn verdicts_and_builder_attribution_on_anvil() {
    if !anvil_available() {
        eprintln!(
            "SKIPPED verdicts_and_builder_attribution_on_anvil: no anvil on PATH (run `eval \"$(tools/dev env)\"`)"
        );
        return;
    }
    let anvil = Anvil::new().arg("--no-mining").try_spawn().expect("spawn anvil");
    let provider = ProviderBuilder::new().connect_http(anvil.endpoint_url());
    let chain_id = anvil.chain_id();
    let victim_key: PrivateKeySigner = anvil.keys()[0].clone().into();
    let our_key: PrivateKeySigner = anvil.keys()[1].clone().into();
    let (builder_a, builder_b) = (Address::repeat_byte(0xa1), Address::repeat_byte(0xb2));
    let table = BuilderTable::new(vec![
        BuilderRule { name: "devnet-a".into(), fee_recipient: Some(builder_a), extra_data: None },
        BuilderRule { name: "devnet-b".into(), fee_recipient: Some(builder_b), extra_data: None },
    ]);
    let mine = |coinbase: Address| {
        let provider = provider.clone();
        async move {
            provider.raw_request::<_, ()>("anvil_setCoinbase".into(), (coinbase,)).await.unwrap();
            provider.raw_request::<_, String>("evm_mine".into(), ()).await.unwrap();
            let number = provider.get_block_number().await.unwrap();
            let block: Block = provider
                .get_block_by_number(BlockNumberOrTag::Number(number))
                .full()
                .await
                .unwrap()
                .unwrap();
            block
        }
    };
    let send = |raw: Bytes| {
        let provider = provider.clone();
        async move {
            let _pending = provider.send_raw_transaction(&raw).await.unwrap();
        }
    };
    let head = provider.get_block_number().await.unwrap();

    // 1. Landed: [victim, backrun] mined together by builder A (the victim tips more, so
    //    anvil orders it first).
    let victim = transfer(&victim_key, 0, chain_id, 3).await;
    let backrun = transfer(&our_key, 0, chain_id, 2).await;
    let landed_bundle = Bundle::new(vec![victim.clone(), backrun.clone()], head + 1).unwrap();
    send(victim).await;
    send(backrun).await;
    let block = mine(builder_a).await;
    let query = InclusionQuery::for_bundle(&landed_bundle).with_coinbase_transfer(U256::from(7));
    let status = classify_inclusion(&provider, &block, &query, &table).await.unwrap();
    let InclusionStatus::Landed(tx) = &status else { panic!("expected Landed, got {status:?}") };
    let base_fee = block.header.base_fee_per_gas.unwrap();
    assert_eq!(
        (tx.block, tx.builder.as_str(), tx.fee_recipient),
        (head + 1, "devnet-a", builder_a)
    );
    assert!(tx.success && tx.right_after_victim);
    assert_eq!((tx.gas_used, tx.tx_index), (21_000, Some(1)));
    assert_eq!(tx.effective_gas_price, u128::from(base_fee) + 2 * GWEI);
    assert_eq!(tx.priority_fee_paid, U256::from(21_000u128 * 2 * GWEI));
    assert_eq!(tx.bid_paid(), tx.priority_fee_paid + U256::from(7));
    assert_eq!(tx.gas_cost(), U256::from(21_000u128 * tx.effective_gas_price));
    // The same block as a hashes-only block gives the same verdict.
    let hashes_only =
        provider.get_block_by_number(BlockNumberOrTag::Number(head + 1)).await.unwrap().unwrap();
    assert_eq!(classify_inclusion(&provider, &hashes_only, &query, &table).await.unwrap(), status);

    // 2. Victim landed without us: only the victim reaches block head+2.
    let victim = transfer(&victim_key, 1, chain_id, 3).await;
    let unsent_backrun = transfer(&our_key, 1, chain_id, 2).await;
    let missed = Bundle::new(vec![victim.clone(), unsent_backrun.clone()], head + 2).unwrap();
    send(victim).await;
    let block = mine(builder_b).await;
    let status =
        classify_inclusion(&provider, &block, &InclusionQuery::for_bundle(&missed), &table)
            .await
            .unwrap();
    assert_eq!(
        status,
        InclusionStatus::VictimLandedWithoutUs { block: head + 2, builder: "devnet-b".into() }
    );

    // 3. Landed in another block: target head+3 is mined empty, our tx lands in head+4.
    let late = Bundle::new(vec![unsent_backrun.clone()], head + 3).unwrap();
    let target = mine(builder_a).await;
    send(unsent_backrun).await;
    mine(builder_b).await;
    let status = classify_inclusion(&provider, &target, &InclusionQuery::for_bundle(&late), &table)
        .await
        .unwrap();
    let InclusionStatus::LandedInOtherBlock(tx) = &status else {
        panic!("expected LandedInOtherBlock, got {status:?}")
    };
    assert_eq!(
        (tx.block, tx.builder.as_str(), tx.right_after_victim),
        (head + 4, "devnet-b", false)
    );

    // 4. Not landed: nothing of a never-sent bundle is on chain.
    let never = Bundle::new(
        vec![transfer(&victim_key, 9, chain_id, 3).await, transfer(&our_key, 9, chain_id, 2).await],
        head + 3,
    )
    .unwrap();
    let status =
        classify_inclusion(&provider, &target, &InclusionQuery::for_bundle(&never), &table)
            .await
            .unwrap();
    assert_eq!(status, InclusionStatus::NotLanded);

    // The wrong block is refused rather than misjudged.
    let err = classify_inclusion(&provider, &block, &InclusionQuery::for_bundle(&never), &table)
        .await
        .unwrap_err();
    assert!(
        matches!(err, InclusionError::WrongBlock { expected, got } if expected == head + 3 && got == head + 2)
    );
}

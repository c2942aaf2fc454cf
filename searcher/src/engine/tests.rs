//! Unit tests of the engine's pure logic: the decode filter, the program a candidate becomes,
//! and realised profit from a receipt.

use super::{
    hot_path::{decode_filter, settle_gas},
    program_for, realised_profit,
};
use crate::{
    abi::IWETH9,
    exec::{
        bid::{Bid, BidMode},
        calldata::{Bribe, Capital, HopKind},
    },
    market::{graph::CycleId, math::V2Fee, pool::PoolKind},
    metrics::{DecodeSkip, ExecSkip},
    strategy::{Candidate, PlannedHop},
};
use alloy::{
    consensus::{Signed, TxEip1559, TxEip4844, TxEip4844Variant, TxEnvelope},
    primitives::{Address, Bytes, I256, Signature, TxKind, U256, address},
    rpc::types::TransactionReceipt,
    sol_types::SolEvent,
};

const CHAIN: u64 = 1;

fn envelope(to: TxKind, input: &[u8], chain_id: u64) -> TxEnvelope {
    let tx = TxEip1559 { chain_id, to, input: Bytes::copy_from_slice(input), ..Default::default() };
    TxEnvelope::Eip1559(Signed::new_unhashed(tx, Signature::test_signature()))
}

#[test]
fn decode_filter_drops_what_cannot_move_a_pool_or_be_bundled() {
    let pool = address!("0x00000000000000000000000000000000000000aa");
    assert_eq!(decode_filter(&envelope(TxKind::Call(pool), &[0x12, 0x34], CHAIN), CHAIN), Ok(()));
    // A plain transfer and a creation cannot move a pool.
    assert_eq!(
        decode_filter(&envelope(TxKind::Call(pool), &[], CHAIN), CHAIN),
        Err(DecodeSkip::NotContractCall)
    );
    assert_eq!(
        decode_filter(&envelope(TxKind::Create, &[0x60, 0x80], CHAIN), CHAIN),
        Err(DecodeSkip::NotContractCall)
    );
    assert_eq!(
        decode_filter(&envelope(TxKind::Call(pool), &[1], CHAIN + 1), CHAIN),
        Err(DecodeSkip::WrongChain)
    );
    let blob = TxEip4844 {
        chain_id: CHAIN,
        to: pool,
        input: Bytes::from_static(&[1]),
        ..Default::default()
    };
    let blob = TxEnvelope::Eip4844(Signed::new_unhashed(
        TxEip4844Variant::TxEip4844(blob),
        Signature::test_signature(),
    ));
    assert_eq!(decode_filter(&blob, CHAIN), Err(DecodeSkip::BlobTx));
}

/// Hostile but valid transactions (issue 12): every type, creations, empty and huge inputs,
/// absurd gas and fees, any chain id, any signature. The filter gives `Ok` or a typed skip,
/// exactly by its rules, and a kept transaction's raw bytes decode back to it.
mod hostile {
    use super::*;
    use alloy::{
        consensus::{SignableTransaction, Transaction as _, TxEip2930, TxEip7702, TxLegacy},
        eips::eip2718::{Decodable2718, Encodable2718},
    };
    use proptest::prelude::*;

    /// `FUZZ_CASES` (as in the integration fuzz tests), else 2,000.
    fn config() -> ProptestConfig {
        crate::fuzz_config()
    }

    fn input() -> impl Strategy<Value = Bytes> {
        prop_oneof![
            30 => prop::collection::vec(any::<u8>(), 0..64).prop_map(Bytes::from),
            1 => prop::sample::select(&[4_096, 131_072, 1 << 20][..])
                .prop_map(|n| Bytes::from(vec![0xfe; n])),
        ]
    }

    fn to() -> impl Strategy<Value = TxKind> {
        prop_oneof![Just(TxKind::Create), any::<[u8; 20]>().prop_map(|a| TxKind::Call(a.into()))]
    }

    fn signature() -> impl Strategy<Value = Signature> {
        (any::<[u8; 32]>(), any::<[u8; 32]>(), any::<bool>())
            .prop_map(|(r, s, y)| Signature::new(U256::from_be_bytes(r), U256::from_be_bytes(s), y))
    }

    prop_compose! {
        fn envelope()(
            ty in 0u8..5,
            to in to(),
            input in input(),
            chain_id in prop_oneof![Just(CHAIN), any::<u64>()],
            legacy_chain in any::<bool>(),
            nonce in any::<u64>(),
            gas_limit in any::<u64>(),
            fee in any::<u128>(),
            tip in any::<u128>(),
            value in any::<[u8; 32]>(),
            signature in signature(),
        ) -> TxEnvelope {
            let value = U256::from_be_bytes(value);
            let address = to.to().copied().unwrap_or_default();
            match ty {
                0 => TxLegacy {
                    chain_id: legacy_chain.then_some(chain_id), nonce, gas_price: fee, gas_limit,
                    to, value, input,
                }.into_signed(signature).into(),
                1 => TxEip2930 {
                    chain_id, nonce, gas_price: fee, gas_limit, to, value, input,
                    access_list: Default::default(),
                }.into_signed(signature).into(),
                2 => TxEip1559 {
                    chain_id, nonce, gas_limit, max_fee_per_gas: fee,
                    max_priority_fee_per_gas: tip, to, value, input,
                    access_list: Default::default(),
                }.into_signed(signature).into(),
                3 => TxEnvelope::Eip4844(TxEip4844Variant::TxEip4844(TxEip4844 {
                    chain_id, nonce, gas_limit, max_fee_per_gas: fee,
                    max_priority_fee_per_gas: tip, to: address, value, input,
                    max_fee_per_blob_gas: fee,
                    ..Default::default()
                }).into_signed(signature)),
                _ => TxEip7702 {
                    chain_id, nonce, gas_limit, max_fee_per_gas: fee,
                    max_priority_fee_per_gas: tip, to: address, value, input,
                    ..Default::default()
                }.into_signed(signature).into(),
            }
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn fuzz_decode_filter(tx in envelope(), ours in prop_oneof![Just(CHAIN), any::<u64>()]) {
            let want = if tx.to().is_none() || tx.input().is_empty() {
                Err(DecodeSkip::NotContractCall)
            } else if tx.chain_id().is_some_and(|id| id != ours) {
                Err(DecodeSkip::WrongChain)
            } else if tx.is_eip4844() {
                Err(DecodeSkip::BlobTx)
            } else {
                Ok(())
            };
            prop_assert_eq!(decode_filter(&tx, ours), want);
            if want.is_ok() {
                // The victim's raw bytes in the bundle are exactly the transaction.
                let raw = tx.encoded_2718();
                prop_assert_eq!(TxEnvelope::decode_2718_exact(&raw).ok(), Some(tx));
            }
        }
    }
}

fn candidate() -> Candidate {
    let weth = address!("0x00000000000000000000000000000000000000e1");
    let tka = address!("0x00000000000000000000000000000000000000a1");
    let hop =
        |pool: u8, kind, zfo, token_in, token_out, amount_in: u64, amount_out: u64| PlannedHop {
            pool: Address::repeat_byte(pool),
            kind,
            zero_for_one: zfo,
            token_in,
            token_out,
            amount_in: U256::from(amount_in),
            amount_out: U256::from(amount_out),
            dex: "test".into(),
        };
    Candidate {
        cycle: CycleId(0),
        hops: vec![
            hop(
                1,
                PoolKind::UniswapV3 { fee: 500, tick_spacing: 10 },
                true,
                weth,
                tka,
                1_000,
                2_000,
            ),
            hop(2, PoolKind::UniswapV2 { fee: V2Fee::UNISWAP }, false, tka, weth, 2_000, 1_100),
        ],
        amount_in: U256::from(1_000),
        amount_out: U256::from(1_100),
        profit: U256::from(100),
        gas_estimate: 160_000,
    }
}

fn bid(coinbase: u64, builder: u64, gas_cost: u64) -> Bid {
    Bid {
        coinbase_payment: U256::from(coinbase),
        priority_fee_per_gas: 0,
        builder_payment: U256::from(builder),
        gas_cost: U256::from(gas_cost),
        net_profit: U256::from(1),
    }
}

#[test]
fn program_for_maps_hops_capital_and_the_bribe() {
    let c = candidate();
    let coinbase = program_for(&c, Capital::Inventory, &bid(90, 90, 30), BidMode::CoinbaseTransfer);
    assert_eq!(coinbase.capital, Capital::Inventory);
    assert_eq!(coinbase.amount_in, U256::from(1_000));
    assert_eq!(coinbase.bribe, Bribe::FromWeth(U256::from(90)));
    // The contract checks out - in >= minProfit + bribe: minProfit is the base-fee cost, so a
    // landed backrun never loses to gas.
    assert_eq!(coinbase.min_profit, U256::from(30));
    let kinds: Vec<_> =
        coinbase.hops.iter().map(|h| (h.kind, h.pool, h.zero_for_one, h.amount_out)).collect();
    assert_eq!(
        kinds,
        vec![
            (HopKind::V3, Address::repeat_byte(1), true, U256::from(2_000)),
            (HopKind::V2, Address::repeat_byte(2), false, U256::from(1_100)),
        ]
    );

    // Priority-fee bids pay nothing from the contract; flash capital borrows from the last hop.
    let priority =
        program_for(&c, Capital::FlashFromLastHop, &bid(0, 50, 80), BidMode::PriorityFee);
    assert_eq!(priority.capital, Capital::FlashFromLastHop);
    assert_eq!(priority.bribe, Bribe::None);
    // The priority fee is part of the gas cost: only the base-fee part is required on chain.
    assert_eq!(priority.min_profit, U256::from(30));
    // A zero coinbase payment in coinbase mode carries no bribe field.
    let zero = program_for(&c, Capital::Inventory, &bid(0, 0, 10), BidMode::CoinbaseTransfer);
    assert_eq!(zero.bribe, Bribe::None);
}

fn receipt(logs: &[(Address, alloy::primitives::LogData)]) -> TransactionReceipt {
    let logs: Vec<_> = logs
        .iter()
        .enumerate()
        .map(|(i, (address, data))| {
            serde_json::json!({
                "address": address,
                "topics": data.topics(),
                "data": data.data,
                "logIndex": format!("{i:#x}"),
                "blockHash": format!("0x{}", "22".repeat(32)),
                "blockNumber": "0x1",
                "transactionHash": format!("0x{}", "11".repeat(32)),
                "transactionIndex": "0x0",
                "removed": false,
            })
        })
        .collect();
    serde_json::from_value(serde_json::json!({
        "transactionHash": format!("0x{}", "11".repeat(32)),
        "transactionIndex": "0x0",
        "blockHash": format!("0x{}", "22".repeat(32)),
        "blockNumber": "0x1",
        "gasUsed": "0x5208",
        "effectiveGasPrice": "0x1",
        "from": Address::ZERO,
        "to": Address::ZERO,
        "contractAddress": null,
        "type": "0x2",
        "status": "0x1",
        "cumulativeGasUsed": "0x5208",
        "logs": logs,
        "logsBloom": format!("0x{}", "00".repeat(256)),
    }))
    .expect("a valid receipt")
}

#[test]
fn realised_profit_is_the_executors_weth_change() {
    let weth = address!("0x00000000000000000000000000000000000000e1");
    let executor = address!("0x00000000000000000000000000000000000000ee");
    let pool = address!("0x0000000000000000000000000000000000000001");
    let other_token = address!("0x00000000000000000000000000000000000000a1");
    let transfer = |from, to, value: u64| {
        IWETH9::Transfer { from, to, value: U256::from(value) }.encode_log_data()
    };
    let logs = [
        (weth, transfer(executor, pool, 1_000)),
        // Another token's transfer to the executor does not count.
        (other_token, transfer(pool, executor, 5_000)),
        (weth, transfer(pool, executor, 1_150)),
        // The bribe, unwrapped from WETH.
        (weth, IWETH9::Withdrawal { src: executor, wad: U256::from(40) }.encode_log_data()),
        // A third party's WETH moves do not count.
        (weth, transfer(pool, other_token, 7)),
    ];
    assert_eq!(realised_profit(&receipt(&logs), weth, executor), I256::try_from(110).unwrap());

    // A loss is negative, not dropped.
    let losing = [(weth, transfer(executor, pool, 1_000)), (weth, transfer(pool, executor, 990))];
    assert_eq!(realised_profit(&receipt(&losing), weth, executor), I256::try_from(-10).unwrap());

    let deposit = [(weth, IWETH9::Deposit { dst: executor, wad: U256::from(3) }.encode_log_data())];
    assert_eq!(realised_profit(&receipt(&deposit), weth, executor), I256::try_from(3).unwrap());
}

#[test]
fn settle_finds_the_gas_whose_encoding_gives_it_back() {
    // Calldata gas that depends on the gas the bid was priced on (a price byte turning
    // non-zero above 100,500): the fixed point is 100,000 + 600.
    let calldata = |gas: u64| if gas > 100_500 { 600 } else { 520 };
    let mut calls = Vec::new();
    let (item, gas) = settle_gas(100_000, |gas| {
        calls.push(gas);
        Ok((gas, calldata(gas)))
    })
    .unwrap();
    assert_eq!(gas, 100_600);
    assert_eq!(item, 100_600, "the encoding returned is the one priced on the settled gas");
    assert_eq!(calls, [100_000, 100_520, 100_600]);
    assert_eq!(100_000 + calldata(gas), gas, "a fixed point");

    // Already settled: one round.
    let mut rounds = 0;
    let _ = settle_gas(100_000, |gas| {
        rounds += 1;
        Ok(((), if gas == 100_000 { 0 } else { 16 }))
    })
    .unwrap();
    assert_eq!(rounds, 1);

    // A flip-flop has no fixed point: priced at the higher figure, whose own encoding costs
    // less, so the bid covers the gas used.
    let mut calls = Vec::new();
    let (_, gas) = settle_gas(100_000, |gas| {
        calls.push(gas);
        Ok(((), if gas % 2 == 0 { 17 } else { 16 }))
    })
    .unwrap();
    assert_eq!(gas, 100_017);
    assert_eq!(calls, [100_000, 100_017, 100_016, 100_017], "the cycle is seen once");
    assert_eq!(calls.last(), Some(&100_017), "the returned encoding is priced at 100,017");

    // Figures that keep growing are dropped, not guessed.
    let growing = settle_gas(100_000, |gas| Ok(((), gas - 100_000 + 1)));
    assert_eq!(growing.unwrap_err(), ExecSkip::BidUnstable);

    // A rejection while pricing stops at once.
    assert_eq!(
        settle_gas(100_000, |_| Err::<((), u64), _>(ExecSkip::BelowGas)).unwrap_err(),
        ExecSkip::BelowGas
    );
}

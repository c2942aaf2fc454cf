//! Decoder vectors: a real Arbitrum One feed message (`testdata/`, from
//! `shared/data/arbitrum-feed`) and handcrafted messages of every kind the decoder handles.

use super::{
    decode::{FeedSkip, L2Decoded, MAX_BATCH_DEPTH, decode_l2, decode_message},
    feed::parse_frame,
    message::{BroadcastFeedMessage, BroadcastMessage, L1IncomingMessage},
};
use alloy::{
    consensus::{
        SignableTransaction, Signed, Transaction as _, TxEip1559, TxEip2930, TxEip4844,
        TxEip4844Variant, TxEip7702, TxEnvelope, TxLegacy,
    },
    eips::{
        eip2718::Encodable2718,
        eip2930::{AccessList, AccessListItem},
        eip7702::Authorization,
    },
    primitives::{Address, B256, Bytes, Signature, TxKind, U256},
    signers::{SignerSync, local::PrivateKeySigner},
};
use serde_json::Value;

const REAL_FRAME: &str = include_str!("testdata/arb1-seq241801449.json");
const REAL_EXPECTED: &str = include_str!("testdata/arb1-seq241801449.expected.json");
/// Arbitrum One: L2 block = this + sequence number.
const ARB1_GENESIS_BLOCK: u64 = 22_207_817;
const CHAIN: u64 = 42_161;

fn key() -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::with_last_byte(0x42)).expect("a valid key")
}

fn sign<T>(tx: T) -> TxEnvelope
where
    T: SignableTransaction<Signature>,
    TxEnvelope: From<Signed<T>>,
{
    let signature = key().sign_hash_sync(&tx.signature_hash()).expect("a local key signs");
    tx.into_signed(signature).into()
}

/// One signed transaction of every type the feed carries.
fn envelopes() -> Vec<TxEnvelope> {
    let pool = Address::repeat_byte(0xaa);
    let input = Bytes::from_static(&[0x02, 0x2c, 0x0d, 0x9f, 0, 0, 0, 1]);
    let access_list = AccessList(vec![AccessListItem {
        address: pool,
        storage_keys: vec![B256::with_last_byte(8)],
    }]);
    let authorization = Authorization { chain_id: U256::from(CHAIN), address: pool, nonce: 3 };
    let auth_signature =
        key().sign_hash_sync(&authorization.signature_hash()).expect("a local key signs");
    vec![
        // Legacy, EIP-155.
        sign(TxLegacy {
            chain_id: Some(CHAIN),
            nonce: 1,
            gas_price: 10_000_000,
            gas_limit: 200_000,
            to: TxKind::Call(pool),
            value: U256::from(1),
            input: input.clone(),
        }),
        // Legacy without a chain id (pre-EIP-155, which Arbitrum still accepts).
        sign(TxLegacy {
            chain_id: None,
            to: TxKind::Create,
            input: input.clone(),
            ..Default::default()
        }),
        sign(TxEip2930 {
            chain_id: CHAIN,
            nonce: 2,
            gas_price: 10_000_000,
            gas_limit: 21_000,
            to: TxKind::Call(pool),
            value: U256::ZERO,
            access_list: access_list.clone(),
            input: input.clone(),
        }),
        sign(TxEip1559 {
            chain_id: CHAIN,
            nonce: 3,
            gas_limit: 300_000,
            max_fee_per_gas: 20_000_000,
            max_priority_fee_per_gas: 1_000,
            to: TxKind::Call(pool),
            value: U256::MAX,
            access_list,
            input: input.clone(),
        }),
        sign(TxEip7702 {
            chain_id: CHAIN,
            to: pool,
            authorization_list: vec![authorization.into_signed(auth_signature)],
            input,
            ..Default::default()
        }),
    ]
}

/// `4 || envelope`.
fn signed_msg(envelope: &TxEnvelope) -> Vec<u8> {
    let mut out = vec![4];
    out.extend(envelope.encoded_2718());
    out
}

/// `3 || (u64 BE len || segment)*`.
fn batch(segments: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![3];
    for s in segments {
        out.extend((s.len() as u64).to_be_bytes());
        out.extend(s);
    }
    out
}

fn hashes(decoded: &L2Decoded) -> Vec<B256> {
    decoded.txs.iter().map(|tx| *tx.inner().tx_hash()).collect()
}

fn l1_message(kind: u8, l2_msg: Vec<u8>) -> L1IncomingMessage {
    let real: BroadcastFeedMessage = serde_json::from_str(REAL_FRAME).expect("the real message");
    let mut message = real.message.message;
    message.header.kind = kind;
    message.l2_msg.0 = l2_msg;
    message
}

#[test]
fn real_arbitrum_one_message_decodes_to_the_expected_transactions() {
    let expected: Value = serde_json::from_str(REAL_EXPECTED).expect("expected json");
    // The file is one BroadcastFeedMessage; the feed sends it inside a BroadcastMessage.
    let frame = format!(r#"{{"version":1,"messages":[{REAL_FRAME}]}}"#);
    let messages = parse_frame(frame.as_bytes()).expect("a feed frame");
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert_eq!(
        ARB1_GENESIS_BLOCK + message.sequence_number,
        expected["l2_block"].as_u64().expect("l2_block")
    );
    assert_eq!(message.message.message.header.kind, 3);
    assert_eq!(message.message.message.l2_msg.0[0], 3, "a batch");
    let decoded = decode_message(&message.message.message).expect("an L2 message");
    assert!(decoded.skips.is_empty(), "{:?}", decoded.skips);
    let want = expected["transactions"].as_array().expect("transactions");
    assert_eq!(decoded.txs.len(), want.len());
    assert_eq!(decoded.txs.len(), 6);
    for (tx, want) in decoded.txs.iter().zip(want) {
        let text = |k: &str| want[k].as_str().expect("a string").to_owned();
        let hex_u64 = |k: &str| u64::from_str_radix(&text(k)[2..], 16).expect("hex");
        assert_eq!(format!("{:#x}", tx.inner().tx_hash()), text("hash"));
        assert_eq!(u64::from(u8::from(tx.inner().tx_type())), hex_u64("type"));
        assert_eq!(format!("{:#x}", tx.signer()), text("signer"));
        assert_eq!(tx.inner().chain_id(), Some(hex_u64("chainId")));
        assert_eq!(tx.inner().nonce(), hex_u64("nonce"));
        assert_eq!(
            tx.inner().to().map(|a| format!("{a:#x}")),
            Some(text("to")),
            "recipient of {}",
            text("hash")
        );
    }
    // Serialising the message again gives the same JSON (field names and base64).
    let again: Value = serde_json::to_value(message).expect("serialises");
    let original: Value = serde_json::from_str(REAL_FRAME).expect("json");
    assert_eq!(again, original);
}

#[test]
fn a_single_signed_transaction_of_each_type() {
    for envelope in envelopes() {
        let decoded = decode_l2(&signed_msg(&envelope)).expect("one signed tx");
        assert_eq!(hashes(&decoded), vec![*envelope.tx_hash()], "{:?}", envelope.tx_type());
        assert_eq!(decoded.txs[0].signer(), key().address());
        assert!(decoded.skips.is_empty());
    }
}

#[test]
fn batches_nested_keep_the_sequencing_order() {
    let txs = envelopes();
    let singles: Vec<Vec<u8>> = txs.iter().map(signed_msg).collect();
    // [t0, [t1, [t2, t3]], t4]
    let inner = batch(&singles[2..4]);
    let middle = batch(&[singles[1].clone(), inner]);
    let outer = batch(&[singles[0].clone(), middle, singles[4].clone()]);
    let decoded = decode_l2(&outer).expect("a nested batch");
    assert_eq!(hashes(&decoded), txs.iter().map(|t| *t.tx_hash()).collect::<Vec<_>>());
    assert!(decoded.skips.is_empty());
    // An empty batch holds nothing and is not an error.
    assert_eq!(decode_l2(&[3]), Ok(L2Decoded::default()));
}

#[test]
fn batch_depth_is_limited_as_in_nitro() {
    let tx = signed_msg(&envelopes()[0]);
    let nest = |levels: usize| (0..levels).fold(tx.clone(), |inner, _| batch(&[inner]));
    let ok = decode_l2(&nest(MAX_BATCH_DEPTH)).expect("16 nested batches are allowed");
    assert_eq!(ok.txs.len(), 1);
    assert_eq!(decode_l2(&nest(MAX_BATCH_DEPTH + 1)), Err(FeedSkip::BatchTooDeep));
    // Far deeper input fails the same way, without recursing past the limit.
    let mut deep = vec![3u8; 1];
    for _ in 0..100_000 {
        let mut outer = vec![3];
        outer.extend((deep.len() as u64).to_be_bytes());
        outer.extend(&deep);
        deep = outer;
        if deep.len() > 2_000 {
            break;
        }
    }
    assert_eq!(decode_l2(&deep), Err(FeedSkip::BatchTooDeep));
}

#[test]
fn heartbeats_and_unsigned_kinds_are_counted_skips() {
    let tx = signed_msg(&envelopes()[3]);
    let decoded = decode_l2(&batch(&[vec![6], tx.clone(), vec![0, 1, 2], vec![1, 9]]))
        .expect("skips do not void the batch");
    assert_eq!(decoded.txs.len(), 1);
    assert_eq!(
        decoded.skips,
        vec![FeedSkip::Heartbeat, FeedSkip::UnsignedTx, FeedSkip::UnsignedTx]
    );
    assert_eq!(decode_l2(&[6]).map(|d| d.skips), Ok(vec![FeedSkip::Heartbeat]));
}

#[test]
fn what_nitro_refuses_voids_the_message() {
    let good = signed_msg(&envelopes()[0]);
    let voided = |bad: Vec<u8>| decode_l2(&batch(&[good.clone(), bad]));
    // An empty message or segment.
    assert_eq!(decode_l2(&[]), Err(FeedSkip::EmptyL2Message));
    assert_eq!(voided(vec![]), Err(FeedSkip::EmptyL2Message));
    // Kinds Nitro refuses: non-mutating call, compressed, reserved and unknown bytes.
    for kind in [2u8, 5, 7, 8, 0xff] {
        assert_eq!(voided(vec![kind, 1, 2, 3]), Err(FeedSkip::UnsupportedL2Kind), "kind {kind}");
    }
    // A signed transaction that does not decode, or with trailing bytes.
    assert_eq!(voided(vec![4]), Err(FeedSkip::BadTx));
    assert_eq!(voided(vec![4, 0x02, 0xc0]), Err(FeedSkip::BadTx));
    let mut trailing = good.clone();
    trailing.push(0);
    assert_eq!(voided(trailing), Err(FeedSkip::BadTx));
    // Blob transactions and Arbitrum's internal types (0x64 deposit .. 0x6a submit retryable).
    let blob = sign::<TxEip4844Variant>(TxEip4844Variant::TxEip4844(TxEip4844 {
        chain_id: CHAIN,
        to: Address::repeat_byte(1),
        blob_versioned_hashes: vec![B256::repeat_byte(1)],
        ..Default::default()
    }));
    assert_eq!(voided(signed_msg(&blob)), Err(FeedSkip::UnsupportedTxType));
    for ty in [0x03u8, 0x64, 0x68, 0x6a, 0x7f] {
        assert_eq!(voided(vec![4, ty, 0xc0]), Err(FeedSkip::UnsupportedTxType), "type {ty:#x}");
    }
}

#[test]
fn a_batch_tail_that_is_not_a_segment_ends_the_batch() {
    let txs = envelopes();
    let (a, b) = (signed_msg(&txs[0]), signed_msg(&txs[3]));
    // Fewer than 8 length bytes.
    let mut short = batch(std::slice::from_ref(&a));
    short.extend([0, 0, 0]);
    let decoded = decode_l2(&short).expect("the segments before stand");
    assert_eq!(hashes(&decoded), vec![*txs[0].tx_hash()]);
    assert_eq!(decoded.skips, vec![FeedSkip::BatchTrailingBytes]);
    // A length past the end: the segment and everything after it are dropped.
    let mut long = batch(std::slice::from_ref(&a));
    long.extend(1_000u64.to_be_bytes());
    long.extend(&b);
    let decoded = decode_l2(&long).expect("the segments before stand");
    assert_eq!(decoded.txs.len(), 1);
    assert_eq!(decoded.skips, vec![FeedSkip::BatchTrailingBytes]);
    // A length over Nitro's 256 KiB limit, and u64::MAX.
    for len in [256 * 1024 + 1, u64::MAX] {
        let mut huge = batch(std::slice::from_ref(&a));
        huge.extend(len.to_be_bytes());
        huge.extend(vec![0; 300 * 1024]);
        assert_eq!(
            decode_l2(&huge).map(|d| (d.txs.len(), d.skips)),
            Ok((1, vec![FeedSkip::BatchTrailingBytes]))
        );
    }
}

#[test]
fn a_signature_that_does_not_recover_skips_that_transaction_only() {
    let txs = envelopes();
    let TxEnvelope::Eip1559(signed) = &txs[3] else { panic!("an EIP-1559 transaction") };
    // r = 0 is not a valid signature.
    let bad = Signature::new(U256::ZERO, U256::from(1), false);
    let forged: TxEnvelope = signed.tx().clone().into_signed(bad).into();
    let decoded = decode_l2(&batch(&[signed_msg(&forged), signed_msg(&txs[0])])).expect("decodes");
    assert_eq!(hashes(&decoded), vec![*txs[0].tx_hash()]);
    assert_eq!(decoded.skips, vec![FeedSkip::BadSignature]);
}

#[test]
fn header_kinds_other_than_l2_messages_are_skipped_with_their_reason() {
    let payload = signed_msg(&envelopes()[0]);
    let cases = [
        (6, FeedSkip::EndOfBlock),
        (7, FeedSkip::L2FundedByL1),
        (8, FeedSkip::RollupEvent),
        (9, FeedSkip::SubmitRetryable),
        (10, FeedSkip::BatchForGasEstimation),
        (11, FeedSkip::Initialize),
        (12, FeedSkip::EthDeposit),
        (13, FeedSkip::BatchPostingReport),
        (0, FeedSkip::UnknownKind),
        (4, FeedSkip::UnknownKind),
        (14, FeedSkip::UnknownKind),
        (0xff, FeedSkip::UnknownKind),
    ];
    for (kind, reason) in cases {
        assert_eq!(decode_message(&l1_message(kind, payload.clone())), Err(reason), "kind {kind}");
    }
    assert_eq!(decode_message(&l1_message(3, payload)).map(|d| d.txs.len()), Ok(1));
}

#[test]
fn frames_the_client_reads() {
    // A delayed-inbox message as Nitro writes it: requestId and baseFeeL1 set, l2Msg null.
    let deposit = r#"{"version":1,"messages":[{"sequenceNumber":7,"message":{"message":{"header":{"kind":12,"sender":"0x0000000000000000000000000000000000000001","blockNumber":1,"timestamp":2,"requestId":"0x0000000000000000000000000000000000000000000000000000000000000005","baseFeeL1":123456789012345678901234567890},"l2Msg":null},"delayedMessagesRead":3},"signature":null}]}"#;
    let messages = parse_frame(deposit.as_bytes()).expect("a delayed message parses");
    assert_eq!(decode_message(&messages[0].message.message), Err(FeedSkip::EthDeposit));
    // A frame with only the confirmed sequence number.
    let confirmed = r#"{"version":1,"confirmedSequenceNumberMessage":{"sequenceNumber":9}}"#;
    let parsed: BroadcastMessage = serde_json::from_str(confirmed).expect("parses");
    assert!(parsed.messages.is_empty());
    assert_eq!(parsed.confirmed_sequence_number_message.map(|c| c.sequence_number), Some(9));
    // Not feed messages.
    for bad in [
        "",
        "null",
        "{}",
        r#"{"version":1,"messages":[{"sequenceNumber":-1}]}"#,
        r#"{"version":1,"messages":[{"sequenceNumber":1,"message":{"message":{"header":{"kind":3,"sender":"0x00","blockNumber":1,"timestamp":2},"l2Msg":"!!"},"delayedMessagesRead":0}}]}"#,
    ] {
        assert_eq!(parse_frame(bad.as_bytes()), None, "{bad}");
    }
}

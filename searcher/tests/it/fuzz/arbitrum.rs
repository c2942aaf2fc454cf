//! Hostile input for the Arbitrum feed's decoders: WebSocket frames (JSON into
//! `BroadcastMessage`, then every message's payload) and L2 message bytes (garbage, mutated
//! real payloads, and random trees of batches, signed transactions and other kinds with
//! lengths that lie). Every input is decoded or refused with a [`FeedSkip`] of its layer.

use super::{ENVELOPES, hostile};
use alloy::{eips::eip2718::Encodable2718, primitives::Address};
use hostile::{config, deep_nesting, field_replaced, garbage, json_value, mutated};
use proptest::{prelude::*, sample::select};
use searcher::watch::arbitrum::{
    BroadcastFeedMessage, BroadcastMessage, FeedSkip, decode_l2, decode_message, feed::parse_frame,
};
use serde_json::Value;
use std::sync::LazyLock;

/// The real Arbitrum One message (a batch of six transactions).
const REAL_MESSAGE: &str =
    include_str!("../../../src/watch/arbitrum/testdata/arb1-seq241801449.json");

/// Field names of a feed frame.
const FEED_KEYS: &[&str] = &[
    "version",
    "messages",
    "confirmedSequenceNumberMessage",
    "sequenceNumber",
    "message",
    "header",
    "kind",
    "sender",
    "blockNumber",
    "timestamp",
    "requestId",
    "baseFeeL1",
    "l2Msg",
    "batchGasCost",
    "delayedMessagesRead",
    "signature",
    "blockHash",
    "blockMetadata",
];

fn signed(bytes: Vec<u8>) -> Vec<u8> {
    let mut out = vec![4];
    out.extend(bytes);
    out
}

fn batch(segments: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![3];
    for s in segments {
        out.extend((s.len() as u64).to_be_bytes());
        out.extend(s);
    }
    out
}

fn real_l2() -> Vec<u8> {
    let message: Value = serde_json::from_str(REAL_MESSAGE).expect("json");
    let text = message["message"]["message"]["l2Msg"].as_str().expect("l2Msg");
    base64_decode(text)
}

fn base64_decode(text: &str) -> Vec<u8> {
    let frame = format!(
        r#"{{"version":1,"messages":[{{"sequenceNumber":0,"message":{{"message":{{"header":{{"kind":3,"sender":"0x0000000000000000000000000000000000000000","blockNumber":0,"timestamp":0}},"l2Msg":"{text}"}},"delayedMessagesRead":0}}}}]}}"#
    );
    parse_frame(frame.as_bytes()).expect("a frame")[0].message.message.l2_msg.0.clone()
}

/// Valid L2 payloads: the real batch, each envelope alone, all of them in nested batches.
static L2_SEEDS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let singles: Vec<Vec<u8>> = ENVELOPES.iter().map(|e| signed(e.encoded_2718())).collect();
    let mut seeds = vec![real_l2(), batch(&singles), batch(&[batch(&singles[..2]), vec![6]])];
    seeds.extend(singles);
    seeds
});

/// Valid frames: the real message, and frames of the seeds under several header kinds.
static FRAME_SEEDS: LazyLock<Vec<Value>> = LazyLock::new(|| {
    let real: Value = serde_json::from_str(REAL_MESSAGE).expect("json");
    let mut frames = vec![serde_json::json!({"version": 1, "messages": [real.clone()]})];
    for (i, kind) in [3u8, 3, 6, 9, 12, 13].into_iter().enumerate() {
        let mut m = real.clone();
        m["sequenceNumber"] = (i as u64).into();
        m["message"]["message"]["header"]["kind"] = kind.into();
        let l2 = &L2_SEEDS[i % L2_SEEDS.len()];
        let encoded =
            serde_json::to_value(searcher::watch::arbitrum::message::Base64Bytes(l2.clone()))
                .expect("serialises");
        m["message"]["message"]["l2Msg"] = encoded;
        frames.push(serde_json::json!({
            "version": 1,
            "messages": [m],
            "confirmedSequenceNumberMessage": {"sequenceNumber": i},
        }));
    }
    frames
});

/// A random tree of L2 messages: signed transactions (real or mutated), heartbeats, unsigned
/// kinds, garbage, batches nested up to 20 deep whose length prefixes sometimes lie.
fn l2_tree() -> impl Strategy<Value = Vec<u8>> {
    let leaf = prop_oneof![
        4 => select(L2_SEEDS.clone()),
        2 => mutated(ENVELOPES.iter().map(|e| signed(e.encoded_2718())).collect()),
        1 => Just(vec![6u8]),
        1 => garbage().prop_map(|g| { let mut v = vec![0u8]; v.extend(g); v }),
        1 => garbage(),
    ];
    leaf.prop_recursive(20, 64, 4, |inner| {
        (prop::collection::vec(inner, 0..5), any::<u8>(), any::<u64>()).prop_map(
            |(segments, lie, len)| {
                let mut out = batch(&segments);
                match lie % 8 {
                    // A length prefix past the end, or a truncated tail.
                    0 => out.extend(len.to_be_bytes()),
                    1 => out.extend(&len.to_be_bytes()[..(len % 8) as usize]),
                    _ => {}
                }
                out
            },
        )
    })
}

fn l2_input() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => garbage(),
        3 => mutated(L2_SEEDS.clone()),
        4 => l2_tree(),
    ]
}

fn frame_input() -> impl Strategy<Value = Vec<u8>> {
    let seeds: Vec<Vec<u8>> = FRAME_SEEDS.iter().map(|v| v.to_string().into_bytes()).collect();
    prop_oneof![
        1 => garbage(),
        4 => mutated(seeds),
        4 => field_replaced(FRAME_SEEDS.clone(), FEED_KEYS).prop_map(|v| v.to_string().into_bytes()),
        2 => json_value(FEED_KEYS).prop_map(|v| v.to_string().into_bytes()),
        1 => deep_nesting(),
    ]
}

/// What an L2 payload may decode to: transactions whose exact bytes are in the input, skips
/// of the L2 layer, or one reason that voids the message.
fn check_l2(bytes: &[u8]) -> Result<(), TestCaseError> {
    match decode_l2(bytes) {
        Ok(decoded) => {
            for tx in &decoded.txs {
                let encoded = tx.inner().encoded_2718();
                prop_assert!(
                    bytes.windows(encoded.len()).any(|w| w == encoded.as_slice()),
                    "a decoded transaction's bytes are in the input"
                );
            }
            for skip in decoded.skips {
                prop_assert!(
                    matches!(
                        skip,
                        FeedSkip::Heartbeat
                            | FeedSkip::UnsignedTx
                            | FeedSkip::BatchTrailingBytes
                            | FeedSkip::BadSignature
                    ),
                    "{skip}"
                );
            }
        }
        Err(reason) => prop_assert!(
            matches!(
                reason,
                FeedSkip::EmptyL2Message
                    | FeedSkip::UnsupportedL2Kind
                    | FeedSkip::BatchTooDeep
                    | FeedSkip::BadTx
                    | FeedSkip::UnsupportedTxType
            ),
            "{reason}"
        ),
    }
    Ok(())
}

/// What the searcher reads of a message: sequence number, kind, sender, L1 block, timestamp,
/// `l2Msg`, delayed messages read.
type Typed = (u64, u8, Address, u64, u64, Vec<u8>, u64);

/// What the searcher reads of each message.
fn typed(messages: &[BroadcastFeedMessage]) -> Vec<Typed> {
    messages
        .iter()
        .map(|m| {
            let (inner, header) = (&m.message.message, &m.message.message.header);
            (
                m.sequence_number,
                header.kind,
                header.sender,
                header.block_number,
                header.timestamp,
                inner.l2_msg.0.clone(),
                m.message.delayed_messages_read,
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(config())]

    /// L2 message bytes (the base64-decoded `l2Msg` of a kind-3 message).
    #[test]
    fn fuzz_arbitrum_l2_messages(bytes in l2_input()) {
        check_l2(&bytes)?;
    }

    /// Feed frames: JSON into `BroadcastMessage`, a round trip through serde, and every
    /// message's payload by header kind.
    #[test]
    fn fuzz_arbitrum_feed_frames(bytes in frame_input()) {
        let Some(messages) = parse_frame(&bytes) else { return Ok(()) };
        let again = serde_json::to_vec(&BroadcastMessage {
            version: 1,
            messages: messages.clone(),
            confirmed_sequence_number_message: None,
        }).expect("serialises");
        // The typed fields survive a round trip (the opaque ones are JSON numbers, which
        // serde_json does not promise to round-trip to the last bit).
        let reparsed = parse_frame(&again).map(|m| typed(&m));
        prop_assert!(reparsed == Some(typed(&messages)), "serde round trip");
        for message in &messages {
            let message = &message.message.message;
            match decode_message(message) {
                Ok(_) => {
                    prop_assert_eq!(message.header.kind, 3);
                    check_l2(&message.l2_msg.0)?;
                }
                Err(reason) if message.header.kind == 3 => {
                    prop_assert_eq!(decode_l2(&message.l2_msg.0).err(), Some(reason));
                    check_l2(&message.l2_msg.0)?;
                }
                Err(reason) => prop_assert!(!matches!(
                    reason,
                    FeedSkip::Duplicate | FeedSkip::ConsumerFull | FeedSkip::UndecodableFrame
                ), "{reason}"),
            }
        }
    }
}

//! The feed protocol's messages, as Nitro's broadcaster serialises them (JSON over a
//! WebSocket): `BroadcastMessage { version, messages, confirmedSequenceNumberMessage }`.
//!
//! Only what the searcher reads is typed strictly (sequence number, header kind, `l2Msg`); the
//! sequencer's signature, the block hash and the block metadata are kept as the feed sent them
//! (the searcher does not verify the sequencer's signature, and a change in their encoding
//! must not cost it the transactions).

use alloy::primitives::Address;
use base64::{Engine as _, engine::general_purpose::STANDARD};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// The feed's protocol version (`version`).
pub const FEED_VERSION: u64 = 1;

/// The header `Arbitrum-Feed-Client-Version` a client sends, and the version it speaks.
pub const CLIENT_VERSION_HEADER: &str = "Arbitrum-Feed-Client-Version";
/// The client protocol version sent in [`CLIENT_VERSION_HEADER`].
pub const CLIENT_VERSION: u64 = 2;
/// The header asking the feed to start at a sequence number (its backlog permitting).
pub const REQUESTED_SEQUENCE_NUMBER_HEADER: &str = "Arbitrum-Requested-Sequence-Number";

/// One WebSocket frame of the feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BroadcastMessage {
    /// Protocol version ([`FEED_VERSION`]).
    pub version: u64,
    /// Sequenced messages, in order (may be empty).
    #[serde(default)]
    pub messages: Vec<BroadcastFeedMessage>,
    /// The newest sequence number the sequencer has posted to L1, when announced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_sequence_number_message: Option<ConfirmedSequenceNumberMessage>,
}

/// `confirmedSequenceNumberMessage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmedSequenceNumberMessage {
    /// The confirmed sequence number.
    pub sequence_number: u64,
}

/// One sequenced message: one L2 block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BroadcastFeedMessage {
    /// The message's position in the sequencer's inbox (on Arbitrum One the L2 block number is
    /// 22,207,817 + this).
    pub sequence_number: u64,
    /// The message and how many delayed messages had been read.
    pub message: MessageWithMetadata,
    /// The block hash, when the feed includes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_hash: Option<Value>,
    /// The sequencer's signature (base64), as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<Value>,
    /// Block metadata (base64, Timeboost's express-lane flags), as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_metadata: Option<Value>,
}

/// `message`: the L1 incoming message and the delayed inbox position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageWithMetadata {
    /// The message.
    pub message: L1IncomingMessage,
    /// Delayed messages read so far.
    pub delayed_messages_read: u64,
}

/// Nitro's `L1IncomingMessage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L1IncomingMessage {
    /// The header: its `kind` says what `l2Msg` holds.
    pub header: L1IncomingMessageHeader,
    /// The payload, base64 in JSON.
    #[serde(rename = "l2Msg")]
    pub l2_msg: Base64Bytes,
    /// Batch posting reports only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_gas_cost: Option<u64>,
}

/// Nitro's `L1IncomingMessageHeader`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L1IncomingMessageHeader {
    /// The message kind ([`super::decode::MessageKind`]).
    pub kind: u8,
    /// Who sent it (the sequencer's alias for sequenced messages).
    pub sender: Address,
    /// The L1 block number it is attributed to.
    pub block_number: u64,
    /// Its timestamp (seconds).
    pub timestamp: u64,
    /// The delayed-inbox request id (`null` for sequenced messages), as sent.
    #[serde(default)]
    pub request_id: Option<Value>,
    /// The L1 base fee (`null` for sequenced messages), as sent.
    #[serde(default, rename = "baseFeeL1")]
    pub base_fee_l1: Option<Value>,
}

/// Bytes serialised as standard base64 (Go's `[]byte` in JSON; `null` reads as empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Base64Bytes(pub Vec<u8>);

impl Serialize for Base64Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Base64Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Go writes a nil slice as `null`.
        match <Option<std::borrow::Cow<'de, str>>>::deserialize(deserializer)? {
            None => Ok(Self::default()),
            Some(text) => {
                STANDARD.decode(text.as_bytes()).map(Self).map_err(serde::de::Error::custom)
            }
        }
    }
}

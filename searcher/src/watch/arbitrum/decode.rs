//! The feed's payloads decoded into signed transactions, as Nitro's `ParseL2Transactions`
//! reads them.
//!
//! - The header `kind` ([`MessageKind`]): only kind 3 (an L2 message) carries user
//!   transactions on the feed; every other kind is a counted skip with its own reason.
//! - Inside an L2 message the first byte ([`L2MessageKind`]) is 4 (one signed EIP-2718
//!   transaction, the rest of the bytes exactly) or 3 (a batch: repeated
//!   `[u64 big-endian length][nested L2 message]`, nested at most [`MAX_BATCH_DEPTH`] deep);
//!   heartbeats, unsigned and contract transactions are counted skips.
//! - Nitro's rules are kept where they decide what the chain executes: a message with a
//!   malformed nested message, an undecodable or unsupported transaction, or a batch nested too
//!   deep produces an *empty block* (nothing in it executes), so the whole message is skipped
//!   ([`Err`]). A batch whose tail is not a complete length-prefixed segment ends there (what
//!   Nitro does): the segments before it stand and the tail is counted.
//!
//! Every input yields either transactions and counted skips or one skip reason: nothing panics
//! (property tests in `tests/it/fuzz/arbitrum.rs`).

use alloy::{
    consensus::{
        TxEnvelope,
        transaction::{Recovered, SignerRecoverable},
    },
    eips::eip2718::Decodable2718,
};

use super::message::L1IncomingMessage;

/// How deep batches may nest (Nitro: `depth >= 16` is an error).
pub const MAX_BATCH_DEPTH: usize = 16;
/// The longest nested message a batch may hold (Nitro's `MaxL2MessageSize`, 256 KiB).
pub const MAX_L2_MESSAGE_SIZE: u64 = 256 * 1024;

/// The header kinds of Nitro's `L1IncomingMessage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MessageKind {
    /// 3: an L2 message (user transactions from the sequencer).
    L2Message = 3,
    /// 6: end of block.
    EndOfBlock = 6,
    /// 7: an L2 message funded by L1 (delayed inbox).
    L2FundedByL1 = 7,
    /// 8: a rollup event.
    RollupEvent = 8,
    /// 9: a retryable ticket (delayed inbox).
    SubmitRetryable = 9,
    /// 10: a batch for gas estimation (never sequenced).
    BatchForGasEstimation = 10,
    /// 11: chain initialisation.
    Initialize = 11,
    /// 12: an ETH deposit (delayed inbox).
    EthDeposit = 12,
    /// 13: a batch posting report.
    BatchPostingReport = 13,
}

impl MessageKind {
    /// The kind of a header byte, if known.
    pub const fn from_u8(kind: u8) -> Option<Self> {
        Some(match kind {
            3 => Self::L2Message,
            6 => Self::EndOfBlock,
            7 => Self::L2FundedByL1,
            8 => Self::RollupEvent,
            9 => Self::SubmitRetryable,
            10 => Self::BatchForGasEstimation,
            11 => Self::Initialize,
            12 => Self::EthDeposit,
            13 => Self::BatchPostingReport,
            _ => return None,
        })
    }

    /// Why a message of this kind yields no transaction for the searcher (`None` for an L2
    /// message).
    pub const fn skip(self) -> Option<FeedSkip> {
        Some(match self {
            Self::L2Message => return None,
            Self::EndOfBlock => FeedSkip::EndOfBlock,
            Self::L2FundedByL1 => FeedSkip::L2FundedByL1,
            Self::RollupEvent => FeedSkip::RollupEvent,
            Self::SubmitRetryable => FeedSkip::SubmitRetryable,
            Self::BatchForGasEstimation => FeedSkip::BatchForGasEstimation,
            Self::Initialize => FeedSkip::Initialize,
            Self::EthDeposit => FeedSkip::EthDeposit,
            Self::BatchPostingReport => FeedSkip::BatchPostingReport,
        })
    }
}

/// The first byte of an L2 message (Nitro's `L2MessageKind_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum L2MessageKind {
    /// 0: an unsigned transaction (from the delayed inbox).
    UnsignedUserTx = 0,
    /// 1: a contract transaction.
    ContractTx = 1,
    /// 2: a non-mutating call (unimplemented in Nitro).
    NonmutatingCall = 2,
    /// 3: a batch of nested L2 messages.
    Batch = 3,
    /// 4: one signed transaction (EIP-2718).
    SignedTx = 4,
    /// 6: a heartbeat.
    Heartbeat = 6,
    /// 7: a signed compressed transaction (unsupported in Nitro).
    SignedCompressedTx = 7,
}

crate::skip_reasons! {
    /// Why (part of) a feed message yielded no transaction for the engine: the `feed` stage of
    /// `searcher_skips_total`.
    pub enum FeedSkip for "feed" {
        /// The frame is not a feed message.
        UndecodableFrame => "undecodable_frame",
            "A WebSocket frame that is not a feed BroadcastMessage (broken JSON, missing or mistyped field, bad base64). Now and then: a broken relay; sustained: a protocol change, check the feed URL and Nitro's release notes.";
        /// A header kind nobody knows.
        UnknownKind => "unknown_kind",
            "A message of a header kind Nitro does not define. Check Nitro's release notes.";
        /// Kind 6.
        EndOfBlock => "end_of_block",
            "A delayed-inbox end-of-block message (kind 6): no transaction. Normal.";
        /// Kind 7.
        L2FundedByL1 => "l2_funded_by_l1",
            "A delayed-inbox transaction funded on L1 (kind 7): not decoded, so not backrun. Normal, rare.";
        /// Kind 8.
        RollupEvent => "rollup_event",
            "A rollup event (kind 8): no user transaction. Normal.";
        /// Kind 9.
        SubmitRetryable => "submit_retryable",
            "A retryable ticket from L1 (kind 9): not decoded, so not backrun. Normal.";
        /// Kind 10.
        BatchForGasEstimation => "batch_for_gas_estimation",
            "A batch for gas estimation (kind 10): never sequenced for real. Should not appear on a feed.";
        /// Kind 11.
        Initialize => "initialize",
            "The chain's initialisation message (kind 11). Only at genesis.";
        /// Kind 12.
        EthDeposit => "eth_deposit",
            "An ETH deposit from L1 (kind 12): it cannot move a pool. Normal.";
        /// Kind 13.
        BatchPostingReport => "batch_posting_report",
            "A batch posting report (kind 13): the L1 cost of a posted batch, no user transaction. Normal.";
        /// An empty L2 message or nested segment.
        EmptyL2Message => "empty_l2_message",
            "An L2 message (or a batch segment) with no bytes: Nitro makes an empty block of it. Should not happen.";
        /// An L2 message kind nobody knows, or one Nitro refuses.
        UnsupportedL2Kind => "unsupported_l2_kind",
            "An L2 message kind Nitro refuses (non-mutating call, compressed transaction, unknown byte): the message makes an empty block. Should not happen.";
        /// Batches nested deeper than 16.
        BatchTooDeep => "batch_too_deep",
            "Batches nested deeper than Nitro's limit of 16: the message makes an empty block. Should not happen.";
        /// The tail of a batch is not a whole segment.
        BatchTrailingBytes => "batch_trailing_bytes",
            "A batch ends with bytes that are not a complete length-prefixed segment (or one longer than 256 KiB): Nitro stops reading there, and so does the searcher. Should not happen.";
        /// A signed transaction that does not decode.
        BadTx => "bad_tx",
            "A signed-transaction message that is not exactly one valid EIP-2718 transaction: Nitro makes an empty block of the message. Should not happen.";
        /// Blob or Arbitrum-internal transaction types.
        UnsupportedTxType => "unsupported_tx_type",
            "A blob transaction or an Arbitrum-internal type (>= 0x64) inside a signed-transaction message: Nitro refuses it and the message makes an empty block. Should not happen.";
        /// The signature does not recover.
        BadSignature => "bad_signature",
            "A transaction whose signer cannot be recovered: it fails in its block. Rare.";
        /// Heartbeat.
        Heartbeat => "heartbeat",
            "A heartbeat L2 message (kind 6 inside kind 3): no transaction. Normal on old chains.";
        /// Kind 0 or 1 inside an L2 message.
        UnsignedTx => "unsigned_tx",
            "An unsigned user or contract transaction inside an L2 message: not decoded, so not backrun. Rare on the feed.";
        /// A duplicate sequence number.
        Duplicate => "duplicate",
            "A sequence number already handled: the other feed connection's copy, or a backlog resent after a reconnect. Normal (one per message per extra feed URL).";
        /// The engine's channel was full.
        ConsumerFull => "consumer_full",
            "The engine did not take sequenced transactions as fast as they came and the bounded channel filled. Sustained: raise the feed capacity or reduce load on the hot path.";
    }
}

/// An L2 message decoded: its transactions in order, and what was skipped inside it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct L2Decoded {
    /// The signed transactions with their signers, in sequencing order.
    pub txs: Vec<Recovered<TxEnvelope>>,
    /// Parts that yielded no transaction (heartbeats, unsigned transactions, a batch's tail,
    /// signatures that do not recover), one entry each.
    pub skips: Vec<FeedSkip>,
}

/// Decodes one sequenced message: its transactions, or the reason it holds none for the
/// searcher.
pub fn decode_message(message: &L1IncomingMessage) -> Result<L2Decoded, FeedSkip> {
    match MessageKind::from_u8(message.header.kind) {
        Some(MessageKind::L2Message) => decode_l2(&message.l2_msg.0),
        Some(kind) => Err(kind.skip().unwrap_or(FeedSkip::UnknownKind)),
        None => Err(FeedSkip::UnknownKind),
    }
}

/// Decodes the payload of a kind-3 message (Nitro's `parseL2Message` at depth 0).
pub fn decode_l2(bytes: &[u8]) -> Result<L2Decoded, FeedSkip> {
    let mut out = L2Decoded::default();
    parse(bytes, 0, &mut out)?;
    Ok(out)
}

fn parse(bytes: &[u8], depth: usize, out: &mut L2Decoded) -> Result<(), FeedSkip> {
    let Some((&kind, rest)) = bytes.split_first() else {
        return Err(FeedSkip::EmptyL2Message);
    };
    match kind {
        k if k == L2MessageKind::SignedTx as u8 => {
            match signed_tx(rest)? {
                Some(tx) => out.txs.push(tx),
                None => out.skips.push(FeedSkip::BadSignature),
            }
            Ok(())
        }
        k if k == L2MessageKind::Batch as u8 => {
            if depth >= MAX_BATCH_DEPTH {
                return Err(FeedSkip::BatchTooDeep);
            }
            let mut rest = rest;
            while !rest.is_empty() {
                let Some((len, tail)) = rest.split_first_chunk::<8>() else {
                    out.skips.push(FeedSkip::BatchTrailingBytes);
                    break;
                };
                let len = u64::from_be_bytes(*len);
                let segment = usize::try_from(len)
                    .ok()
                    .filter(|&n| len <= MAX_L2_MESSAGE_SIZE && n <= tail.len());
                let Some(n) = segment else {
                    out.skips.push(FeedSkip::BatchTrailingBytes);
                    break;
                };
                let (segment, tail) = tail.split_at(n);
                parse(segment, depth + 1, out)?;
                rest = tail;
            }
            Ok(())
        }
        k if k == L2MessageKind::Heartbeat as u8 => {
            out.skips.push(FeedSkip::Heartbeat);
            Ok(())
        }
        k if k == L2MessageKind::UnsignedUserTx as u8 || k == L2MessageKind::ContractTx as u8 => {
            out.skips.push(FeedSkip::UnsignedTx);
            Ok(())
        }
        _ => Err(FeedSkip::UnsupportedL2Kind),
    }
}

/// Arbitrum's own transaction types start here (`ArbitrumDepositTxType`).
const ARBITRUM_TX_TYPES: u8 = 0x64;
/// The EIP-4844 type byte.
const BLOB_TX_TYPE: u8 = 3;
/// Legacy transactions start with an RLP list header.
const LEGACY_MIN: u8 = 0xc0;

/// One signed transaction: `Ok(None)` when its signer does not recover (counted).
fn signed_tx(bytes: &[u8]) -> Result<Option<Recovered<TxEnvelope>>, FeedSkip> {
    if let Some(&ty) = bytes.first()
        && (ty == BLOB_TX_TYPE || (ARBITRUM_TX_TYPES..LEGACY_MIN).contains(&ty))
    {
        return Err(FeedSkip::UnsupportedTxType);
    }
    let envelope = TxEnvelope::decode_2718_exact(bytes).map_err(|_| FeedSkip::BadTx)?;
    if envelope.is_eip4844() {
        return Err(FeedSkip::UnsupportedTxType);
    }
    match envelope.recover_signer() {
        Ok(signer) => Ok(Some(Recovered::new_unchecked(envelope, signer))),
        Err(_) => Ok(None),
    }
}

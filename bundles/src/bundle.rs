//! What we send: a bundle of raw signed transactions, a cancel by replacement uuid, and a
//! MEV-Share backrun; validation against the relay limits and the local bundle hash.

use alloy::primitives::{Address, B256, Bytes, Keccak256, TxHash, keccak256};
use uuid::Uuid;

/// Most transactions a relay accepts in one bundle.
pub const MAX_BUNDLE_TXS: usize = 100;
/// Most bytes of raw transactions a relay accepts in one bundle.
pub const MAX_BUNDLE_BYTES: usize = 300_000;
/// Highest `refundPercent` builders accept (Titan, BuilderNet: 0-99).
pub const MAX_REFUND_PERCENT: u8 = 99;

/// A bundle that breaks a relay limit or is inconsistent; it is never sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// No transactions (an empty bundle is only a cancel: use [`Cancel`]).
    #[error("bundle has no transactions")]
    Empty,
    /// A transaction is zero bytes long.
    #[error("transaction {index} is empty")]
    EmptyTx {
        /// Position in the bundle.
        index: usize,
    },
    /// More than [`MAX_BUNDLE_TXS`] transactions.
    #[error("bundle has {count} transactions, limit {MAX_BUNDLE_TXS}")]
    TooManyTxs {
        /// Transactions in the bundle.
        count: usize,
    },
    /// More than [`MAX_BUNDLE_BYTES`] of transactions.
    #[error("bundle is {bytes} bytes, limit {MAX_BUNDLE_BYTES}")]
    TooLarge {
        /// Total raw transaction bytes.
        bytes: usize,
    },
    /// `minTimestamp` after `maxTimestamp`.
    #[error("min timestamp {min} is after max timestamp {max}")]
    TimestampRange {
        /// Lower bound.
        min: u64,
        /// Upper bound.
        max: u64,
    },
    /// `refundPercent` above [`MAX_REFUND_PERCENT`].
    #[error("refund percent {0} above {MAX_REFUND_PERCENT}")]
    RefundPercent(u8),
    /// A cancel needs the replacement uuid the bundle was sent with.
    #[error("bundle has no replacement uuid, so it cannot be cancelled")]
    NoReplacementUuid,
}

/// A new replacement uuid (UUIDv4) for one logical opportunity. Every resubmission of that
/// opportunity (new target block, new bid) reuses it so that builders replace the previous
/// version; [`Cancel`] withdraws it.
pub fn new_replacement_uuid() -> Uuid {
    Uuid::new_v4()
}

/// Builder refund settings (`refundPercent` of the last transaction's payment to the builder).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refund {
    /// Percent refunded, 0-99.
    pub percent: u8,
    /// Who receives it; builders default to the sender of the first tx, and rsync *discards*
    /// bundles that set a percent without a recipient (we then omit the percent for rsync).
    pub recipient: Option<Address>,
}

/// An `eth_sendBundle` bundle: raw signed EIP-2718 transactions for one target block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    txs: Vec<Bytes>,
    tx_hashes: Vec<TxHash>,
    hash: B256,
    /// Block the bundle is valid for.
    pub target_block: u64,
    /// Replacement uuid, for replacement and cancellation.
    pub replacement_uuid: Option<Uuid>,
    /// Earliest unix timestamp (seconds) at which the bundle is valid.
    pub min_timestamp: Option<u64>,
    /// Latest unix timestamp (seconds) at which the bundle is valid.
    pub max_timestamp: Option<u64>,
    /// Transactions allowed to revert without invalidating the bundle.
    pub reverting_tx_hashes: Vec<TxHash>,
    /// Transactions that may be dropped (but not revert on chain).
    pub dropping_tx_hashes: Vec<TxHash>,
    /// Refund settings, if any.
    pub refund: Option<Refund>,
}

impl Bundle {
    /// A bundle of `txs` (raw signed EIP-2718 envelopes, in order) for `target_block`.
    pub fn new(txs: Vec<Bytes>, target_block: u64) -> Result<Self, BundleError> {
        if txs.is_empty() {
            return Err(BundleError::Empty);
        }
        if txs.len() > MAX_BUNDLE_TXS {
            return Err(BundleError::TooManyTxs { count: txs.len() });
        }
        if let Some(index) = txs.iter().position(|tx| tx.is_empty()) {
            return Err(BundleError::EmptyTx { index });
        }
        let bytes = txs.iter().map(|tx| tx.len()).sum::<usize>();
        if bytes > MAX_BUNDLE_BYTES {
            return Err(BundleError::TooLarge { bytes });
        }
        let tx_hashes: Vec<TxHash> = txs.iter().map(keccak256).collect();
        let hash = bundle_hash(&tx_hashes);
        Ok(Self {
            txs,
            tx_hashes,
            hash,
            target_block,
            replacement_uuid: None,
            min_timestamp: None,
            max_timestamp: None,
            reverting_tx_hashes: Vec::new(),
            dropping_tx_hashes: Vec::new(),
            refund: None,
        })
    }

    /// Sets the replacement uuid (see [`new_replacement_uuid`]).
    pub const fn with_replacement_uuid(mut self, uuid: Uuid) -> Self {
        self.replacement_uuid = Some(uuid);
        self
    }

    /// Sets the validity window in unix seconds.
    pub fn with_timestamps(
        mut self,
        min: Option<u64>,
        max: Option<u64>,
    ) -> Result<Self, BundleError> {
        if let (Some(min), Some(max)) = (min, max)
            && min > max
        {
            return Err(BundleError::TimestampRange { min, max });
        }
        self.min_timestamp = min;
        self.max_timestamp = max;
        Ok(self)
    }

    /// Allows these transactions to revert.
    pub fn with_reverting(mut self, hashes: impl IntoIterator<Item = TxHash>) -> Self {
        self.reverting_tx_hashes.extend(hashes);
        self
    }

    /// Allows these transactions to be dropped.
    pub fn with_dropping(mut self, hashes: impl IntoIterator<Item = TxHash>) -> Self {
        self.dropping_tx_hashes.extend(hashes);
        self
    }

    /// Sets the builder refund.
    pub fn with_refund(mut self, refund: Refund) -> Result<Self, BundleError> {
        if refund.percent > MAX_REFUND_PERCENT {
            return Err(BundleError::RefundPercent(refund.percent));
        }
        self.refund = Some(refund);
        Ok(self)
    }

    /// The raw transactions, in bundle order.
    pub fn txs(&self) -> &[Bytes] {
        &self.txs
    }

    /// The transaction hashes, in bundle order.
    pub fn tx_hashes(&self) -> &[TxHash] {
        &self.tx_hashes
    }

    /// keccak256 of the concatenated transaction hashes (the Flashbots bundle hash).
    pub const fn hash(&self) -> B256 {
        self.hash
    }

    /// A cancel of this bundle (by its replacement uuid).
    pub fn cancel(&self) -> Result<Cancel, BundleError> {
        let replacement_uuid = self.replacement_uuid.ok_or(BundleError::NoReplacementUuid)?;
        Ok(Cancel { replacement_uuid, target_block: self.target_block, bundle_hash: self.hash })
    }
}

/// keccak256 of the concatenation of `tx_hashes`.
pub fn bundle_hash(tx_hashes: &[TxHash]) -> B256 {
    let mut hasher = Keccak256::new();
    for hash in tx_hashes {
        hasher.update(hash);
    }
    hasher.finalize()
}

/// Withdraws a bundle sent with a replacement uuid: `eth_cancelBundle` or the empty-bundle
/// form, per flavour (see [`crate::CancelForm`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancel {
    /// The uuid the bundle was sent with.
    pub replacement_uuid: Uuid,
    /// Its target block (the empty-bundle form names one).
    pub target_block: u64,
    /// The hash of the bundle being cancelled, for the records.
    pub bundle_hash: B256,
}

/// A MEV-Share backrun: `mev_sendBundle` v0.1 with body `[{hash: victim}, {tx, canRevert:
/// false}]` (one backrun per bundle since 2025-10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MevShareBackrun {
    /// Hash of the user transaction from the MEV-Share hint.
    pub victim_hash: TxHash,
    /// Our raw signed backrun.
    pub backrun: Bytes,
    /// First block the bundle is valid for.
    pub block: u64,
    /// Last block the bundle is valid for.
    pub max_block: Option<u64>,
}

impl MevShareBackrun {
    /// A backrun of `victim_hash` valid from `block` to `max_block`.
    pub fn new(
        victim_hash: TxHash,
        backrun: Bytes,
        block: u64,
        max_block: Option<u64>,
    ) -> Result<Self, BundleError> {
        if backrun.is_empty() {
            return Err(BundleError::EmptyTx { index: 1 });
        }
        Ok(Self { victim_hash, backrun, block, max_block })
    }

    /// Hash of our backrun transaction.
    pub fn backrun_hash(&self) -> TxHash {
        keccak256(&self.backrun)
    }

    /// Local bundle hash: keccak256(victim hash ++ backrun hash), the same rule as
    /// `eth_sendBundle` (the matchmaker's own hash comes back in the answer).
    pub fn hash(&self) -> B256 {
        bundle_hash(&[self.victim_hash, self.backrun_hash()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::rpc::types::mev::EthSendBundle;

    fn txs() -> Vec<Bytes> {
        vec![Bytes::from_static(&[0x02, 1, 2, 3]), Bytes::from_static(&[0x02, 4, 5])]
    }

    #[test]
    fn hash_matches_alloy_and_definition() {
        let bundle = Bundle::new(txs(), 7).unwrap();
        let alloy_hash =
            EthSendBundle { txs: txs(), block_number: 7, ..Default::default() }.bundle_hash();
        assert_eq!(bundle.hash(), alloy_hash);
        let mut concat = Vec::new();
        for tx in txs() {
            concat.extend_from_slice(keccak256(&tx).as_slice());
        }
        assert_eq!(bundle.hash(), keccak256(concat));
        assert_eq!(bundle.tx_hashes()[1], keccak256(&txs()[1]));
    }

    #[test]
    fn limits_are_enforced() {
        assert_eq!(Bundle::new(vec![], 1), Err(BundleError::Empty));
        assert_eq!(Bundle::new(vec![Bytes::new()], 1), Err(BundleError::EmptyTx { index: 0 }));
        let many = vec![Bytes::from_static(&[1]); MAX_BUNDLE_TXS + 1];
        assert_eq!(Bundle::new(many, 1), Err(BundleError::TooManyTxs { count: 101 }));
        let big = vec![Bytes::from(vec![2u8; MAX_BUNDLE_BYTES / 2 + 1]); 2];
        assert!(matches!(Bundle::new(big, 1), Err(BundleError::TooLarge { .. })));
        let bundle = Bundle::new(txs(), 1).unwrap();
        assert!(bundle.clone().with_timestamps(Some(5), Some(4)).is_err());
        assert!(bundle.clone().with_refund(Refund { percent: 100, recipient: None }).is_err());
        assert_eq!(bundle.cancel(), Err(BundleError::NoReplacementUuid));
    }

    #[test]
    fn replacement_uuids_are_v4_and_distinct() {
        let (a, b) = (new_replacement_uuid(), new_replacement_uuid());
        assert_ne!(a, b);
        assert_eq!(a.get_version_num(), 4);
        let bundle = Bundle::new(txs(), 9).unwrap().with_replacement_uuid(a);
        let cancel = bundle.cancel().unwrap();
        assert_eq!(
            (cancel.replacement_uuid, cancel.target_block, cancel.bundle_hash),
            (a, 9, bundle.hash())
        );
    }
}

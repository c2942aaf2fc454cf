//! The bundles one devnet relay holds: insertion in arrival order, replacement and
//! cancellation by replacement uuid (scoped to the signing identity, as real relays scope
//! them), and the candidates for a block.

use super::sim::SimTx;
use alloy::primitives::{Address, B256, TxHash};
use uuid::Uuid;

/// One received bundle with its decoded transactions.
#[derive(Debug, Clone)]
pub(crate) struct StoredBundle {
    /// Arrival order (later = larger).
    pub(crate) seq: u64,
    /// The `X-Flashbots-Signature` identity that sent it.
    pub(crate) signer: Address,
    /// The bundle as the bundles crate models it (hash, target block, options).
    pub(crate) bundle: bundles::Bundle,
    /// Its transactions, decoded (same order as `bundle.txs()`).
    pub(crate) txs: Vec<SimTx>,
    /// A MEV-Share match: the user refund the builder pays right after the bundle.
    pub(crate) refund: Option<RefundOrder>,
}

/// The refund a matched MEV-Share bundle owes its user: `percent` of what the backrun (every
/// transaction after the victim) pays the builder, sent by `wallet` in the same block.
#[derive(Debug, Clone)]
pub(crate) struct RefundOrder {
    /// The user: the victim's sender.
    pub(crate) user: Address,
    /// Share of the backrun's payment, in percent.
    pub(crate) percent: u8,
    /// The account that pays refunds (funded by the matchmaker).
    pub(crate) wallet: alloy::signers::local::PrivateKeySigner,
}

impl StoredBundle {
    /// The bundle hash.
    pub(crate) fn hash(&self) -> B256 {
        self.bundle.hash()
    }

    /// The victim: the first transaction.
    pub(crate) fn victim(&self) -> TxHash {
        self.txs.first().map(|t| t.hash).unwrap_or_default()
    }

    /// Whether the bundle's timestamp window admits a block at `timestamp`.
    pub(crate) fn valid_at(&self, timestamp: u64) -> bool {
        self.bundle.min_timestamp.is_none_or(|min| timestamp >= min)
            && self.bundle.max_timestamp.is_none_or(|max| max == 0 || timestamp <= max)
    }
}

/// What an insertion did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Inserted {
    /// A new bundle.
    New,
    /// It replaced the bundle with this hash (same signer and uuid).
    Replaced(B256),
    /// The same bundle was already held.
    Duplicate,
}

/// A relay's bundles.
#[derive(Debug, Default)]
pub(crate) struct BundleStore {
    next_seq: u64,
    bundles: Vec<StoredBundle>,
    /// The hash of every bundle ever received, in arrival order (never pruned): what a test
    /// compares the searcher's records against.
    received: Vec<B256>,
}

impl BundleStore {
    /// Adds a bundle; one with the same signer and replacement uuid is replaced.
    pub(crate) fn insert(
        &mut self,
        signer: Address,
        bundle: bundles::Bundle,
        txs: Vec<SimTx>,
    ) -> Inserted {
        let seq = self.next_seq;
        self.next_seq += 1;
        let stored = StoredBundle { seq, signer, bundle, txs, refund: None };
        self.received.push(stored.hash());
        if let Some(uuid) = stored.bundle.replacement_uuid
            && let Some(old) = self
                .bundles
                .iter_mut()
                .find(|b| b.signer == signer && b.bundle.replacement_uuid == Some(uuid))
        {
            let replaced = old.hash();
            *old = stored;
            return Inserted::Replaced(replaced);
        }
        if self.bundles.iter().any(|b| {
            b.signer == signer
                && b.hash() == stored.hash()
                && b.bundle.target_block == stored.bundle.target_block
        }) {
            return Inserted::Duplicate;
        }
        self.bundles.push(stored);
        Inserted::New
    }

    /// The hash of every bundle received so far, in arrival order.
    pub(crate) fn received(&self) -> &[B256] {
        &self.received
    }

    /// Removes the bundle `signer` sent with `uuid`; returns its hash if there was one.
    pub(crate) fn cancel(&mut self, signer: Address, uuid: Uuid) -> Option<B256> {
        let index = self
            .bundles
            .iter()
            .position(|b| b.signer == signer && b.bundle.replacement_uuid == Some(uuid))?;
        Some(self.bundles.remove(index).hash())
    }

    /// The bundles targeting `block`, in arrival order.
    pub(crate) fn for_block(&self, block: u64) -> Vec<StoredBundle> {
        let mut out: Vec<StoredBundle> =
            self.bundles.iter().filter(|b| b.bundle.target_block == block).cloned().collect();
        out.sort_by_key(|b| b.seq);
        out
    }

    /// Forgets every bundle targeting `block` or earlier.
    pub(crate) fn prune_through(&mut self, block: u64) {
        self.bundles.retain(|b| b.bundle.target_block > block);
    }

    /// How many bundles are held.
    pub(crate) fn len(&self) -> usize {
        self.bundles.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::Bytes;

    fn bundle(tx: u8, block: u64, uuid: Option<Uuid>) -> bundles::Bundle {
        let b = bundles::Bundle::new(vec![Bytes::from(vec![2, tx])], block).unwrap();
        match uuid {
            Some(u) => b.with_replacement_uuid(u),
            None => b,
        }
    }

    #[test]
    fn replacement_cancel_and_scoping() {
        let (alice, bob) = (Address::repeat_byte(1), Address::repeat_byte(2));
        let uuid = Uuid::new_v4();
        let mut store = BundleStore::default();
        assert_eq!(store.insert(alice, bundle(1, 5, Some(uuid)), vec![]), Inserted::New);
        // Another identity's uuid is its own.
        assert_eq!(store.insert(bob, bundle(2, 5, Some(uuid)), vec![]), Inserted::New);
        let first = bundle(1, 5, None).hash();
        assert_eq!(
            store.insert(alice, bundle(3, 5, Some(uuid)), vec![]),
            Inserted::Replaced(first)
        );
        assert_eq!(store.len(), 2);
        assert_eq!(store.insert(alice, bundle(4, 6, None), vec![]), Inserted::New);
        assert_eq!(store.insert(alice, bundle(4, 6, None), vec![]), Inserted::Duplicate);
        assert_eq!(store.for_block(5).len(), 2);
        assert_eq!(store.cancel(bob, Uuid::new_v4()), None);
        assert_eq!(store.cancel(bob, uuid), Some(bundle(2, 5, None).hash()));
        assert_eq!(store.for_block(5)[0].hash(), bundle(3, 5, None).hash());
        store.prune_through(5);
        assert_eq!(store.len(), 1);
        assert_eq!(store.for_block(6).len(), 1);
    }
}

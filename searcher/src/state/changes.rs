//! What a new head invalidates in the cache carried over from the previous head.

use alloy::{
    primitives::{
        Address, U256,
        map::{AddressSet, HashSet},
    },
    rpc::types::trace::geth::DiffMode,
};

/// The accounts and slots one block changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockChanges {
    /// Accounts whose balance, nonce or code changed, or that were created or deleted.
    pub accounts: AddressSet,
    /// Storage slots written with a new value.
    pub slots: HashSet<(Address, U256)>,
}

impl BlockChanges {
    /// Adds one transaction's `prestateTracer` diff.
    ///
    /// geth semantics: `pre` holds every modified account with its old fields and the old values
    /// of its modified slots; `post` holds only the fields and non-zero slots that changed, and
    /// omits deleted accounts. So an account's info changed when `post` names a balance, nonce
    /// or code for it, or when it is absent from `post`; every slot named on either side
    /// changed. Anything unclear counts as changed.
    pub fn add_diff(&mut self, diff: &DiffMode) {
        for (address, pre) in &diff.pre {
            let info_changed = diff.post.get(address).is_none_or(|post| {
                post.balance.is_some() || post.nonce.is_some() || post.code.is_some()
            });
            if info_changed {
                self.accounts.insert(*address);
            }
            self.slots
                .extend(pre.storage.keys().map(|slot| (*address, U256::from_be_bytes(slot.0))));
        }
        for (address, post) in &diff.post {
            if !diff.pre.contains_key(address)
                || post.balance.is_some()
                || post.nonce.is_some()
                || post.code.is_some()
            {
                self.accounts.insert(*address);
            }
            self.slots
                .extend(post.storage.keys().map(|slot| (*address, U256::from_be_bytes(slot.0))));
        }
    }

    /// Whether the block changed nothing.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.slots.is_empty()
    }
}

/// How much of the previous head's cache a new head keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalidation {
    /// The new head extends the previous one and its changes are known exactly: keep everything
    /// else.
    Changes(BlockChanges),
    /// The new head extends the previous one but its changes are unknown (the node does not
    /// serve diff traces, or the trace failed): keep contract code and ancestor block hashes,
    /// drop every account and slot.
    Unknown,
    /// The new head does not extend the previous one (reorg, or heads were missed): keep only
    /// code by hash.
    Reorg,
}

impl Invalidation {
    /// A short label for logs and metrics.
    pub const fn label(&self) -> &'static str {
        match self {
            Self::Changes(_) => "diff",
            Self::Unknown => "unknown",
            Self::Reorg => "reorg",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::address;

    #[test]
    fn diff_marks_changed_fields_and_every_named_slot() {
        let json = r#"{
            "pre": {
                "0x00000000000000000000000000000000000000aa": {"balance": "0x1", "nonce": 1,
                    "storage": {"0x0000000000000000000000000000000000000000000000000000000000000008": "0x0000000000000000000000000000000000000000000000000000000000000001"}},
                "0x00000000000000000000000000000000000000bb": {"balance": "0x5"},
                "0x00000000000000000000000000000000000000cc": {"balance": "0x0", "storage":
                    {"0x0000000000000000000000000000000000000000000000000000000000000003": "0x0000000000000000000000000000000000000000000000000000000000000007"}}
            },
            "post": {
                "0x00000000000000000000000000000000000000aa": {"storage":
                    {"0x0000000000000000000000000000000000000000000000000000000000000009": "0x0000000000000000000000000000000000000000000000000000000000000002"}},
                "0x00000000000000000000000000000000000000bb": {"balance": "0x6"},
                "0x00000000000000000000000000000000000000dd": {"balance": "0x1", "nonce": 1}
            }
        }"#;
        let diff: DiffMode = serde_json::from_str(json).expect("valid diff");
        let mut changes = BlockChanges::default();
        changes.add_diff(&diff);
        let aa = address!("0x00000000000000000000000000000000000000aa");
        let bb = address!("0x00000000000000000000000000000000000000bb");
        let cc = address!("0x00000000000000000000000000000000000000cc");
        let dd = address!("0x00000000000000000000000000000000000000dd");
        // aa: only storage changed; bb: balance; cc: absent from post (slot zeroed); dd: created.
        assert!(!changes.accounts.contains(&aa));
        assert!(changes.accounts.contains(&bb));
        assert!(changes.accounts.contains(&cc));
        assert!(changes.accounts.contains(&dd));
        for (who, slot) in [(aa, 8u64), (aa, 9), (cc, 3)] {
            assert!(changes.slots.contains(&(who, U256::from(slot))), "{who} {slot}");
        }
        assert_eq!(changes.slots.len(), 3);
    }
}

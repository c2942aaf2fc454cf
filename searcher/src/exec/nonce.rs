//! A local nonce manager for the trading key.
//!
//! Several backruns can be prepared for one target block (one per victim). Two policies:
//!
//! - [`NoncePolicy::Independent`] (default): every backrun for a block takes the head nonce.
//!   Each bundle is valid on its own; builders include at most one of them. Never produces a
//!   bundle that depends on another landing.
//! - [`NoncePolicy::Chained`]: backruns for the same block take consecutive nonces, so a
//!   builder may include several; a later one is only valid if the earlier ones land.
//!
//! On every head the manager resyncs to the account's on-chain nonce at that head, so a
//! bundle that did not land never leaves a gap behind.

use serde::{Deserialize, Serialize};
use std::sync::Mutex;

/// How nonces are assigned to backruns targeting the same block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoncePolicy {
    /// Same nonce for every backrun of a block (mutually exclusive alternatives).
    #[default]
    Independent,
    /// Consecutive nonces within a block.
    Chained,
}

#[derive(Debug, Default)]
struct State {
    /// On-chain nonce at the last head.
    head_nonce: u64,
    /// The head the nonce was read at.
    head_block: u64,
    /// Target block of the reservations below.
    target_block: u64,
    /// Reservations made for `target_block`.
    reserved: u64,
}

/// Thread-safe nonce manager.
#[derive(Debug, Default)]
pub struct NonceManager {
    policy: NoncePolicy,
    state: Mutex<State>,
}

impl NonceManager {
    /// A manager starting from `head_nonce` at `head_block`.
    pub fn new(policy: NoncePolicy, head_block: u64, head_nonce: u64) -> Self {
        Self { policy, state: Mutex::new(State { head_nonce, head_block, ..Default::default() }) }
    }

    /// Resyncs on a new head with the account's nonce at that head. Older heads are ignored.
    pub fn on_head(&self, head_block: u64, head_nonce: u64) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if head_block >= s.head_block {
            s.head_block = head_block;
            s.head_nonce = head_nonce;
            if s.target_block <= head_block {
                s.reserved = 0;
            }
        }
    }

    /// The nonce for a backrun targeting `target_block`.
    pub fn reserve(&self, target_block: u64) -> u64 {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.target_block != target_block {
            s.target_block = target_block;
            s.reserved = 0;
        }
        let nonce = match self.policy {
            NoncePolicy::Independent => s.head_nonce,
            NoncePolicy::Chained => s.head_nonce + s.reserved,
        };
        s.reserved += 1;
        nonce
    }

    /// The on-chain nonce at the last head.
    pub fn head_nonce(&self) -> u64 {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).head_nonce
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn independent_bundles_share_the_head_nonce() {
        let m = NonceManager::new(NoncePolicy::Independent, 10, 5);
        assert_eq!(m.reserve(11), 5);
        assert_eq!(m.reserve(11), 5);
        m.on_head(11, 6); // one landed
        assert_eq!(m.reserve(12), 6);
    }

    #[test]
    fn chained_bundles_take_consecutive_nonces_and_resync_on_head() {
        let m = NonceManager::new(NoncePolicy::Chained, 10, 5);
        assert_eq!(m.reserve(11), 5);
        assert_eq!(m.reserve(11), 6);
        assert_eq!(m.reserve(11), 7);
        // None landed: the next head's nonce is still 5; no gap is left.
        m.on_head(11, 5);
        assert_eq!(m.reserve(12), 5);
        assert_eq!(m.reserve(12), 6);
        // A stale head (reorged notification arriving late) is ignored.
        m.on_head(9, 1);
        assert_eq!(m.head_nonce(), 5);
    }
}

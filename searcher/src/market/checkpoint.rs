//! The market's checkpoint on the head path: best effort, caught up whole.
//!
//! The market's memory is the truth the hot path prices against; the checkpoint in the store
//! only saves a restart its rediscovery. So a checkpoint write that fails (a full disk) must
//! not stop the market from following the chain: the failure is logged once, counted, and the
//! market marks its checkpoint as behind. At the next block the store takes again, the
//! checkpoint is rewritten whole from memory in one transaction (pools, tokens, flags,
//! cursors, head), so no incremental commit lost while the disk was full is ever missed.

use super::{Market, metrics as m, sync::BlockRef};
use crate::store::{
    Store,
    market::{MarketCheckpoint, MarketCommit},
};
use tracing::{info, warn};

impl Market {
    /// Writes `commit` (or, while the checkpoint is behind, the whole market at `commit`'s
    /// head); a failure marks the checkpoint behind and is not returned.
    pub(crate) async fn checkpoint(&mut self, store: &Store, commit: &MarketCommit<'_>) {
        let result = if self.checkpoint_behind {
            store.rewrite_market(&self.snapshot(commit.head.or(self.head))).await
        } else {
            store.commit_market(commit).await
        };
        match result {
            Ok(()) => {
                if self.checkpoint_behind {
                    info!(target: "searcher::market", head = ?commit.head.map(|h| h.number),
                        "market checkpoint rewritten whole: the store takes writes again");
                    self.checkpoint_behind = false;
                    metrics::gauge!(m::CHECKPOINT_BEHIND).set(0.0);
                }
            }
            Err(err) => {
                metrics::counter!(m::CHECKPOINT_FAILURES).increment(1);
                if !self.checkpoint_behind {
                    warn!(target: "searcher::market", err = %err,
                        "market checkpoint not written; syncing on in memory, rewritten whole once the store takes writes");
                    self.checkpoint_behind = true;
                    metrics::gauge!(m::CHECKPOINT_BEHIND).set(1.0);
                }
            }
        }
    }

    /// Whether the stored checkpoint is behind the market in memory.
    pub fn checkpoint_behind(&self) -> bool {
        self.checkpoint_behind
    }

    /// Everything the checkpoint holds, from memory, as of `head`.
    pub fn snapshot(&self, head: Option<BlockRef>) -> MarketCheckpoint {
        let next = head.map_or(0, |h| h.number + 1);
        MarketCheckpoint {
            tokens: self.tokens.clone(),
            pools: self.pools.iter().map(|e| (e.pool.clone(), e.flags)).collect(),
            cursors: self.config.factories.iter().map(|f| (f.address, next)).collect(),
            head,
        }
    }
}

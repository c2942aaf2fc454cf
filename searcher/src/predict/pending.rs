//! The pending block (Arbitrum): every transaction sequenced since the head, applied in order.
//!
//! On the sequencer feed a transaction is already ordered when the searcher sees it, and the
//! ones before it in the same block have changed the state it runs on. So a sequenced
//! transaction is predicted on the head *plus* everything sequenced since, and then applied to
//! that state whatever it does (a revert, a transfer and our own backrun change balances and
//! nonces too): the second victim of a block is predicted on the first one's post-state.
//! When the block arrives, the pending block is replaced ([`PendingBlock::reset`]).

use super::{PredictError, Prediction, Predictor, VictimState, invalid, touched};
use crate::{
    metrics::{self as m, StageTimer},
    state::{HeadState, tx_env},
};
use alloy::{
    consensus::{Transaction, transaction::Recovered, transaction::TxHashRef},
    eips::Typed2718,
    primitives::TxKind,
};
use revm::{ExecuteCommitEvm, ExecuteEvm, context::BlockEnv, state::EvmState};
use std::sync::Arc;
use tracing::debug;

/// The state of the block being sequenced: the head and the merged changes of every
/// transaction applied since.
#[derive(Debug, Clone)]
pub struct PendingBlock {
    head: Arc<HeadState>,
    block: BlockEnv,
    beneficiary: Option<alloy::primitives::Address>,
    changes: EvmState,
    applied: usize,
}

impl PendingBlock {
    /// An empty pending block on `head`, in the environment of the block after it.
    pub fn new(head: Arc<HeadState>, beneficiary: Option<alloy::primitives::Address>) -> Self {
        let block = head.next_block_env(beneficiary);
        Self { head, block, beneficiary, changes: EvmState::default(), applied: 0 }
    }

    /// The block arrived: start again, empty, on `head`.
    pub fn reset(&mut self, head: Arc<HeadState>) {
        *self = Self::new(head, self.beneficiary);
    }

    /// The head it builds on.
    pub fn head(&self) -> &Arc<HeadState> {
        &self.head
    }

    /// Transactions applied since the head.
    pub const fn applied(&self) -> usize {
        self.applied
    }

    /// Whether nothing has been applied yet.
    pub const fn is_empty(&self) -> bool {
        self.applied == 0
    }

    /// Folds one transaction's changes into the block's (later values win, slot by slot).
    fn apply(&mut self, changes: &EvmState) {
        for (address, account) in changes {
            if !account.is_touched() {
                continue;
            }
            match self.changes.get_mut(address) {
                Some(merged) if !account.is_created() && !account.is_selfdestructed() => {
                    merged.info = account.info.clone();
                    merged.status |= account.status;
                    merged.storage.extend(account.storage.iter().map(|(k, v)| (*k, v.clone())));
                }
                _ => {
                    self.changes.insert(*address, account.clone());
                }
            }
        }
        self.applied += 1;
    }
}

impl Predictor {
    /// Applies a sequenced transaction to the pending block without predicting anything (one
    /// the engine does not backrun: a transfer, a creation). A transaction revm refuses is not
    /// applied.
    pub fn apply_sequenced<T>(
        &self,
        pending: &mut PendingBlock,
        tx: &Recovered<T>,
    ) -> Result<(), PredictError>
    where
        T: Transaction + Typed2718 + TxHashRef,
    {
        let mut evm = pending.head.evm(pending.block.clone());
        if !pending.changes.is_empty() {
            evm.commit(pending.changes.clone());
        }
        let outcome = evm.transact(tx_env(tx)).map_err(invalid)?;
        pending.apply(&outcome.state);
        Ok(())
    }

    /// Predicts a sequenced transaction on the pending block, then applies it there.
    ///
    /// The prediction's [`VictimState`] holds the changes of the whole pending block through
    /// this transaction, so sim starts from exactly the state the backrun will meet. A
    /// transaction revm refuses (bad nonce, no funds) is not applied: the sequencer would not
    /// have ordered it, so the pending state has drifted and the error says so.
    pub fn predict_sequenced<T>(
        &self,
        pending: &mut PendingBlock,
        tx: &Recovered<T>,
        lookup: &dyn super::PoolLookup,
    ) -> Result<Prediction, PredictError>
    where
        T: Transaction + Typed2718 + TxHashRef,
    {
        let _timer = StageTimer::start(m::StageName::Predict);
        let tx_hash = *tx.inner().tx_hash();
        let head = Arc::clone(&pending.head);
        let mut evm = head.evm(pending.block.clone());
        if !pending.changes.is_empty() {
            evm.commit(pending.changes.clone());
        }
        let result = match evm.transact(tx_env(tx)) {
            Err(err) => Err(invalid(err)),
            Ok(outcome) => {
                pending.apply(&outcome.state);
                if self.ours.contains(&tx.signer()) {
                    Err(PredictError::Ours)
                } else if !matches!(tx.kind(), TxKind::Call(_)) {
                    Err(PredictError::NotContractCall)
                } else {
                    let changes = Arc::new(outcome.state);
                    touched(&mut evm, outcome.result, &changes, lookup).map(|(gas_used, pools)| {
                        Prediction {
                            tx_hash,
                            head: head.number(),
                            gas_used,
                            pools,
                            victim_state: VictimState {
                                head_hash: head.info().hash,
                                block: pending.block.clone(),
                                changes: Arc::new(pending.changes.clone()),
                            },
                        }
                    })
                }
            }
        };
        match &result {
            Ok(p) => {
                debug!(target: "searcher::predict", %tx_hash, head = head.number(), position = pending.applied, pools = p.pools.len(), "predicted on the pending block")
            }
            Err(err) => {
                m::skip(err.kind());
                debug!(target: "searcher::predict", %tx_hash, head = head.number(), position = pending.applied, reason = err.kind().as_str(), %err, "dropped (pending block)");
            }
        }
        result
    }
}

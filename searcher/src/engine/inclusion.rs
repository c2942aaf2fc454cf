//! The inclusion task: after each applied head, the verdict of every bundle whose target block
//! has arrived (landed, and by whom; the victim landed without us; not landed), with the
//! realised profit of those that landed. It needs only the store and the node, runs on its
//! own task, and fetches blocks and receipts concurrently: however many bundles are due, the
//! hot path and the head task never wait on it.

use super::{Inner, now_ms};
use crate::{
    exec::bid::BidMode,
    metrics::{self as m, ErrorKind},
    store::bundles::{InclusionRecord, UndecidedBundle},
};
use alloy::{
    eips::BlockNumberOrTag,
    primitives::{I256, U256},
    providers::{DynProvider, Provider},
    rpc::types::Block,
};
use bundles::inclusion::{InclusionQuery, InclusionStatus, classify_inclusion};
use futures::{StreamExt, stream};
use std::{collections::HashMap, sync::Arc, sync::atomic::Ordering};
use tokio::sync::watch;
use tracing::{info, warn};

/// Blocks or receipts fetched at once.
const CONCURRENCY: usize = 8;

/// Decides due bundles each time `applied` moves, until `stop`.
pub(super) async fn run(
    inner: Arc<Inner>,
    mut applied: watch::Receiver<u64>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            changed = applied.changed() => if changed.is_err() { return },
            _ = stop.changed() => return,
        }
        let head = *applied.borrow_and_update();
        if let Err(err) = inner.decide_inclusion(head).await {
            inner.error(ErrorKind::Inclusion);
            warn!(target: "searcher::engine", head, %err, "inclusion check failed; retried on the next head");
        }
    }
}

impl Inner {
    /// Records the verdict of every bundle whose target block is at or below `head`.
    async fn decide_inclusion(&self, head: u64) -> eyre::Result<()> {
        let due = self.store.undecided_bundles(head).await?;
        if due.is_empty() {
            return Ok(());
        }
        let provider = self.node.provider();
        let mut numbers: Vec<u64> = due.iter().map(|b| b.target_block).collect();
        numbers.dedup();
        let blocks: HashMap<u64, Block> = stream::iter(numbers)
            .map(|n| {
                let provider = provider.clone();
                async move {
                    match provider.get_block_by_number(BlockNumberOrTag::Number(n)).await {
                        Ok(Some(block)) => Some((n, block)),
                        Ok(None) => None,
                        Err(err) => {
                            warn!(target: "searcher::engine", block = n, %err, "fetching target block");
                            None
                        }
                    }
                }
            })
            .buffer_unordered(CONCURRENCY)
            .filter_map(|b| async move { b })
            .collect()
            .await;
        let blocks = &blocks;
        let provider = &provider;
        stream::iter(due)
            .for_each_concurrent(CONCURRENCY, |bundle| async move {
                let Some(block) = blocks.get(&bundle.target_block) else { return };
                if let Err(err) = self.decide_one(provider, block, &bundle).await {
                    self.error(ErrorKind::Inclusion);
                    warn!(target: "searcher::engine", bundle = %bundle.bundle_hash, %err, "inclusion check failed");
                }
            })
            .await;
        Ok(())
    }

    async fn decide_one(
        &self,
        provider: &DynProvider,
        block: &Block,
        bundle: &UndecidedBundle,
    ) -> eyre::Result<()> {
        let query = InclusionQuery {
            bundle_hash: bundle.bundle_hash,
            target_block: bundle.target_block,
            our_tx: bundle.backrun_hash,
            victims: vec![bundle.victim_hash],
            // The executor pays exactly the bribe in its calldata or reverts.
            coinbase_transfer: (self.config.bid.mode == BidMode::CoinbaseTransfer)
                .then_some(bundle.bid),
        };
        let status = classify_inclusion(provider, block, &query, &self.builders).await?;
        let mut realised = None;
        match &status {
            InclusionStatus::Landed(tx) | InclusionStatus::LandedInOtherBlock(tx) => {
                let receipt = provider
                    .get_transaction_receipt(bundle.backrun_hash)
                    .await?
                    .ok_or_else(|| eyre::eyre!("receipt of a landed backrun is missing"))?;
                let profit = crate::engine::realised_profit(
                    &receipt,
                    self.weth,
                    self.config.executor.address,
                );
                realised = Some(profit);
                self.risk.record_gas_spent(tx.gas_cost());
                if matches!(status, InclusionStatus::Landed(_)) {
                    self.stats.landed(profit);
                    if let Ok(p) = U256::try_from(profit) {
                        self.alerts.landed(p, || {
                            format!(
                                "searcher: bundle landed in block {} by {}: +{p} wei",
                                tx.block, tx.builder
                            )
                        });
                    }
                    metrics::counter!(m::LANDED_TOTAL, "builder" => self.builders.metric_label(&tx.builder))
                        .increment(1);
                    metrics::gauge!(m::REALISED_PROFIT_ETH).increment(eth(profit));
                    metrics::counter!(m::GAS_SPENT_TOTAL).increment(tx.gas_used);
                }
                info!(
                    target: "searcher::engine",
                    bundle = %bundle.bundle_hash,
                    block = tx.block,
                    builder = %tx.builder,
                    realised_wei = %profit,
                    gas = tx.gas_used,
                    verdict = status.label(),
                    "bundle landed"
                );
            }
            other => {
                self.stats.not_landed.fetch_add(1, Ordering::Relaxed);
                info!(target: "searcher::engine", bundle = %bundle.bundle_hash, verdict = other.label(), builder = other.builder().unwrap_or("-"), "bundle did not land");
            }
        }
        self.writer
            .inclusion(
                bundle.bundle_hash,
                InclusionRecord { status, realised_profit: realised, decided_at_ms: now_ms() },
            )
            .await;
        Ok(())
    }
}

/// Wei as ETH, for the profit gauge only (the store keeps the exact figure).
fn eth(wei: I256) -> f64 {
    let magnitude = wei.unsigned_abs();
    let whole = magnitude / U256::from(10u64.pow(18));
    let frac = magnitude % U256::from(10u64.pow(18));
    let whole = u128::try_from(whole).unwrap_or(u128::MAX) as f64;
    let frac = u64::try_from(frac).unwrap_or_default() as f64 / 1e18;
    let value = whole + frac;
    if wei.is_negative() { -value } else { value }
}

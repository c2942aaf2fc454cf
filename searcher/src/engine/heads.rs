//! What happens on every new head: the state cache moves to it, the market applies its logs
//! (rolling back a reorg first), the nonce resyncs, and every bundle whose target block has
//! arrived gets its verdict recorded.

use super::{Inner, now_ms, tracked_pools};
use crate::{
    exec::bid::BidMode,
    market::sync::BlockRef,
    metrics as m,
    store::bundles::{InclusionRecord, UndecidedBundle},
};
use alloy::{
    eips::BlockNumberOrTag,
    primitives::U256,
    providers::Provider,
    rpc::types::{Block, Header},
};
use bundles::inclusion::{InclusionQuery, InclusionStatus, classify_inclusion};
use eyre::WrapErr;
use std::{collections::BTreeMap, sync::Arc, sync::atomic::Ordering};
use tracing::{info, warn};

impl Inner {
    /// Handles one new head.
    pub(super) async fn on_head(&self, header: &Header) -> eyre::Result<()> {
        let provider = self.node.provider();
        self.state.advance(header).await.wrap_err("state cache advance")?;
        {
            let mut market = self.market.write().await;
            let report = market
                .sync_to(&provider, &self.store, BlockRef::from_header(header))
                .await
                .wrap_err("market sync")?;
            if report.new_pools > 0 || report.reloaded {
                let _ = self.tracked.send(Arc::new(tracked_pools(&market)));
            }
            if report.reorg_depth > 0 {
                warn!(target: "searcher::engine", block = header.number, depth = report.reorg_depth, "reorg");
            }
        }
        let nonce = provider
            .get_transaction_count(self.trading.address())
            .block_id(header.number.into())
            .await
            .wrap_err("nonce")?;
        self.nonces.on_head(header.number, nonce);
        self.stats.head(header.number);
        let killed = self.risk.is_killed();
        if killed != self.was_killed.swap(killed, Ordering::Relaxed) {
            warn!(target: "searcher::engine", kill_switch = killed, "kill switch changed");
            self.alerts.kill_switch(killed);
        }
        metrics::gauge!(m::HEAD_BLOCK).set(header.number as f64);
        self.decide_inclusion(header.number).await
    }

    /// Records the verdict of every bundle whose target block is at or below `head`.
    async fn decide_inclusion(&self, head: u64) -> eyre::Result<()> {
        let due = self.store.undecided_bundles(head).await?;
        if due.is_empty() {
            return Ok(());
        }
        let provider = self.node.provider();
        let mut blocks: BTreeMap<u64, Block> = BTreeMap::new();
        for bundle in due {
            if let std::collections::btree_map::Entry::Vacant(e) = blocks.entry(bundle.target_block)
            {
                match provider
                    .get_block_by_number(BlockNumberOrTag::Number(bundle.target_block))
                    .await
                {
                    Ok(Some(block)) => {
                        e.insert(block);
                    }
                    Ok(None) => continue,
                    Err(err) => {
                        warn!(target: "searcher::engine", block = bundle.target_block, %err, "fetching target block");
                        continue;
                    }
                }
            }
            let Some(block) = blocks.get(&bundle.target_block) else { continue };
            if let Err(err) = self.decide_one(&provider, block, &bundle).await {
                self.error("inclusion");
                warn!(target: "searcher::engine", bundle = %bundle.bundle_hash, %err, "inclusion check failed");
            }
        }
        Ok(())
    }

    async fn decide_one<P: Provider>(
        &self,
        provider: &P,
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
                let profit = self.realised_profit(&receipt);
                realised = U256::try_from(profit).ok();
                self.risk.record_gas_spent(tx.gas_cost());
                if matches!(status, InclusionStatus::Landed(_)) {
                    self.stats.landed(profit);
                    if let Some(p) = realised {
                        self.alerts.landed(p, || {
                            format!(
                                "searcher: bundle landed in block {} by {}: +{p} wei",
                                tx.block, tx.builder
                            )
                        });
                    }
                    metrics::counter!(m::LANDED_TOTAL, "builder" => tx.builder.clone())
                        .increment(1);
                    if let Ok(p) = u64::try_from(profit) {
                        metrics::counter!(m::PROFIT_WEI_TOTAL).increment(p);
                    }
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
        self.store
            .record_inclusion(
                bundle.bundle_hash,
                &InclusionRecord { status, realised_profit: realised, decided_at_ms: now_ms() },
            )
            .await?;
        Ok(())
    }
}

//! Startup: restore the checkpoint, discover what it does not cover, load all state at one
//! head, build the cycle index, checkpoint.
//!
//! A restart reads tokens (with their probe results) and pools from the store and scans each
//! factory only from its cursor, so ranges already covered are never requested again. Pool
//! state is not checkpointed: it is reloaded at the head in three batched rounds, which is
//! cheaper than replaying the logs since the checkpoint and never stale. If the checkpointed
//! head is no longer canonical (a reorg while we were down), pools created in the
//! `undo-depth` blocks before it are forgotten and rediscovered.

use crate::{
    market::{
        config::MarketConfig,
        discovery::{DiscoveryReport, discover},
        error::{MarketError, Result},
        loader::LoadReport,
        pool::{PoolIdx, TokenIdx},
        sync::{BlockRef, header_by_number, latest_header},
        world::Market,
    },
    store::{Store, market::MarketCommit},
};
use alloy::{eips::BlockNumberOrTag, providers::Provider};
use std::time::{Duration, Instant};
use tracing::{info, instrument, warn};

/// What a bootstrap did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootstrapReport {
    /// The block the state was loaded at.
    pub head: BlockRef,
    /// Pools restored from the checkpoint.
    pub restored_pools: usize,
    /// Whether the checkpoint's head had been reorged away (recent pools rediscovered).
    pub checkpoint_rolled_back: bool,
    /// The discovery scan.
    pub discovery: DiscoveryReport,
    /// The state load.
    pub load: LoadReport,
    /// Cycles indexed.
    pub cycles: usize,
    /// Wall time.
    pub elapsed: Duration,
}

impl Market {
    /// Starts the market at the node's latest block; see [`Market::bootstrap_at`].
    pub async fn bootstrap<P: Provider>(
        provider: &P,
        store: &Store,
        config: MarketConfig,
    ) -> Result<(Self, BootstrapReport)> {
        let head = latest_header(provider).await?;
        Self::bootstrap_at(provider, store, config, head).await
    }

    /// Starts the market at `head`: restores the checkpoint, discovers pools from each
    /// factory's cursor through `head`, loads every pool's state at `head`'s hash, indexes
    /// the healthy ones and checkpoints the result.
    #[instrument(target = "searcher::market", skip_all, fields(head = head.number))]
    pub async fn bootstrap_at<P: Provider>(
        provider: &P,
        store: &Store,
        config: MarketConfig,
        head: BlockRef,
    ) -> Result<(Self, BootstrapReport)> {
        let started = Instant::now();
        for f in &config.factories {
            if matches!(f.kind, crate::market::config::FactoryKind::UniswapV2 { .. })
                && f.kind.v2_fee().is_none()
            {
                return Err(MarketError::Config(format!("{}: invalid V2 fee", f.dex)));
            }
        }
        let mut checkpoint = store.load_market().await?;
        let mut rolled_back = false;
        if let Some(saved) = checkpoint.head {
            let canonical = if saved.number <= head.number {
                header_by_number(provider, BlockNumberOrTag::Number(saved.number))
                    .await?
                    .map(|b| b.hash)
            } else {
                None
            };
            if canonical != Some(saved.hash) {
                let back = saved.number.min(head.number).saturating_sub(config.undo_depth as u64);
                warn!(target: "searcher::market", saved = saved.number, back,
                    "checkpointed head is not canonical: forgetting recent pools");
                store
                    .commit_market(&MarketCommit { rollback_to: Some(back), ..Default::default() })
                    .await?;
                checkpoint = store.load_market().await?;
                rolled_back = true;
            }
        }

        let mut market = Market::new(config);
        for token in checkpoint.tokens {
            let idx = market.intern_token(token.address);
            let configured = market.configured_token_flags(token.address);
            let slot = &mut market.tokens[idx.get()];
            *slot = token;
            // `blocked-tokens` is the config's alone: a token unblocked since is traded again.
            slot.flags = slot.flags.without(crate::market::HealthFlags::BLOCKED) | configured;
        }
        let known_tokens = market.tokens.len();
        for (pool, _) in checkpoint.pools {
            market.insert_pool(pool, None);
        }
        let restored_pools = market.pools.len();
        let (found, discovery) =
            discover(provider, store, &market.config, &checkpoint.cursors, head.number).await?;
        for pool in found {
            market.insert_pool(pool, None);
        }
        // Tokens the checkpoint lacks metadata for (new, or discovered just before a crash).
        let fresh: Vec<TokenIdx> =
            (known_tokens..market.tokens.len()).map(|t| TokenIdx(t as u32)).collect();
        let all: Vec<PoolIdx> = (0..market.pools.len()).map(|i| PoolIdx(i as u32)).collect();
        let load = market.load_pools(provider, head.hash, &all, &fresh).await?;
        market.index_all();
        market.head = Some(head);

        let pool_flags: Vec<_> = market.pools.iter().map(|e| (e.pool.id, e.flags)).collect();
        let cursors: Vec<_> =
            market.config.factories.iter().map(|f| (f.address, head.number + 1)).collect();
        store
            .commit_market(&MarketCommit {
                tokens: &market.tokens,
                pool_flags: &pool_flags,
                cursors: &cursors,
                head: Some(head),
                ..Default::default()
            })
            .await?;
        market.publish_gauges();
        let report = BootstrapReport {
            head,
            restored_pools,
            checkpoint_rolled_back: rolled_back,
            discovery,
            load,
            cycles: market.index.cycles_len(),
            elapsed: started.elapsed(),
        };
        info!(target: "searcher::market", pools = market.pools.len(), restored = restored_pools,
            discovered = report.discovery.pools_found, tokens = market.tokens.len(),
            cycles = report.cycles, calls = report.load.calls, probes = report.load.probes,
            elapsed_ms = report.elapsed.as_millis() as u64, "market bootstrapped");
        Ok((market, report))
    }
}

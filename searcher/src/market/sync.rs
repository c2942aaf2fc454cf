//! Per-block sync: each new block's logs applied in log order (V2 `Sync`; V3 `Initialize`,
//! `Swap`, `Mint`, `Burn`; factories' creation logs), an undo log of the last
//! `undo-depth` (64) blocks, and reorg handling.
//!
//! [`Market::sync_to`] joins a new head to our chain by walking parent hashes back until it
//! meets a block we hold; blocks of ours above that common ancestor are rolled back from the
//! undo log (newest first), then the new branch's blocks are applied oldest first, each from
//! `eth_getLogs` by block hash (one request per block, exact to that block even if the chain
//! moves meanwhile). A reorg deeper than the undo log, or a gap larger than `max-catch-up`,
//! reloads the whole state at the new head instead ([`Market::reload`]).
//!
//! An undo entry holds the arena lengths before the block (pools, tokens and cycles only grow,
//! so undoing additions is a truncation), a snapshot of each pool and token the block changed,
//! taken on first touch, and the pools it indexed.
//!
//! After applying a block's logs, V3 pools whose tick left the centre of their loaded window
//! (and pools an event could not be applied to) are re-read at that block, so the state always
//! equals a fresh load; pools that gained liquidity get their tokens probed and join the index.

use crate::{
    abi::{IUniswapV2Factory, IUniswapV2Pair, IUniswapV3Factory, IUniswapV3Pool},
    market::{
        error::{MarketError, Result},
        health::HealthFlags,
        loader::window_words,
        math::{TickWindow, V3PoolState},
        metrics as m,
        pool::{PoolIdx, PoolKind, PoolState, Token, TokenIdx},
        world::Market,
    },
    store::{Store, market::MarketCommit},
};
use alloy::{
    eips::BlockNumberOrTag,
    primitives::{Address, B256, U256},
    providers::Provider,
    rpc::types::{Filter, Header, Log},
    sol_types::SolEvent,
};
use std::{
    collections::{HashSet, VecDeque},
    time::Instant,
};
use tracing::{debug, info, instrument, warn};

/// A block as the sync tracks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlockRef {
    /// Number.
    pub number: u64,
    /// Hash.
    pub hash: B256,
    /// Parent's hash.
    pub parent_hash: B256,
}

impl BlockRef {
    /// From an RPC header.
    pub fn from_header(header: &Header) -> Self {
        Self { number: header.number, hash: header.hash, parent_hash: header.parent_hash }
    }
}

/// A pool as it was before a block first changed it.
#[derive(Debug, Clone)]
struct PoolSnapshot {
    idx: PoolIdx,
    state: Option<PoolState>,
    own_flags: HealthFlags,
    flags: HealthFlags,
}

/// What one applied block changed, enough to roll it back.
#[derive(Debug, Clone)]
struct UndoBlock {
    block: BlockRef,
    /// Our head before this block.
    prev_head: BlockRef,
    pools_len: usize,
    tokens_len: usize,
    cycles_len: usize,
    pools: Vec<PoolSnapshot>,
    tokens: Vec<(TokenIdx, Token)>,
    indexed: Vec<PoolIdx>,
}

/// The last blocks applied, newest last, at most `depth`.
#[derive(Debug, Clone)]
pub(crate) struct UndoLog {
    depth: usize,
    blocks: VecDeque<UndoBlock>,
}

impl UndoLog {
    pub(crate) fn new(depth: usize) -> Self {
        Self { depth, blocks: VecDeque::with_capacity(depth) }
    }

    /// Blocks held.
    pub(crate) fn len(&self) -> usize {
        self.blocks.len()
    }

    fn push(&mut self, block: UndoBlock) {
        if self.depth == 0 {
            return;
        }
        while self.blocks.len() >= self.depth {
            self.blocks.pop_front();
        }
        self.blocks.push_back(block);
    }
}

/// What a [`Market::sync_to`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Blocks applied.
    pub blocks_applied: usize,
    /// Blocks rolled back (0: no reorg).
    pub reorg_depth: usize,
    /// Logs applied to tracked pools and factories.
    pub logs_applied: usize,
    /// Pools whose state changed, deduplicated, in first-touch order.
    pub touched: Vec<PoolIdx>,
    /// Pools created in the applied blocks.
    pub new_pools: usize,
    /// Whether the state was reloaded from scratch at the new head.
    pub reloaded: bool,
}

/// The topics the sync asks for: every event that changes state it tracks.
fn sync_topics() -> Vec<B256> {
    vec![
        IUniswapV2Pair::Sync::SIGNATURE_HASH,
        IUniswapV3Pool::Initialize::SIGNATURE_HASH,
        IUniswapV3Pool::Swap::SIGNATURE_HASH,
        IUniswapV3Pool::Mint::SIGNATURE_HASH,
        IUniswapV3Pool::Burn::SIGNATURE_HASH,
        IUniswapV2Factory::PairCreated::SIGNATURE_HASH,
        IUniswapV3Factory::PoolCreated::SIGNATURE_HASH,
    ]
}

fn i24(x: alloy::primitives::aliases::I24) -> i32 {
    i32::try_from(x).expect("a 24-bit integer fits i32")
}

/// Fetches a block's header by hash (`eth_getBlockByHash` without transactions; the
/// `eth_getHeaderBy*` methods are reth-only).
pub(crate) async fn header_by_hash<P: Provider>(provider: &P, hash: B256) -> Result<BlockRef> {
    provider
        .get_block_by_hash(hash)
        .await
        .map_err(|e| MarketError::transport(format!("block {hash}"), e))?
        .map(|b| BlockRef::from_header(&b.header))
        .ok_or_else(|| MarketError::MissingBlock(hash.to_string()))
}

/// Fetches a block's header by number or tag (`eth_getBlockByNumber`).
pub(crate) async fn header_by_number<P: Provider>(
    provider: &P,
    number: BlockNumberOrTag,
) -> Result<Option<BlockRef>> {
    Ok(provider
        .get_block_by_number(number)
        .await
        .map_err(|e| MarketError::transport(format!("block {number}"), e))?
        .map(|b| BlockRef::from_header(&b.header)))
}

/// Fetches the latest block's header.
pub(crate) async fn latest_header<P: Provider>(provider: &P) -> Result<BlockRef> {
    header_by_number(provider, BlockNumberOrTag::Latest)
        .await?
        .ok_or_else(|| MarketError::MissingBlock("latest".into()))
}

/// The logs the market applies for `block`, in log order (one `eth_getLogs` by block hash).
pub async fn block_logs<P: Provider>(provider: &P, block: BlockRef) -> Result<Vec<Log>> {
    let filter = Filter::new().at_block_hash(block.hash).event_signature(sync_topics());
    let mut logs = provider
        .get_logs(&filter)
        .await
        .map_err(|e| MarketError::transport(format!("eth_getLogs of block {}", block.number), e))?;
    logs.sort_by_key(|l| l.log_index.unwrap_or_default());
    Ok(logs)
}

impl Market {
    /// Brings the state to the node's latest block; see [`Market::sync_to`].
    pub async fn sync_to_latest<P: Provider>(
        &mut self,
        provider: &P,
        store: &Store,
    ) -> Result<SyncReport> {
        let target = latest_header(provider).await?;
        self.sync_to(provider, store, target).await
    }

    /// Brings the state to `target` (a new head): joins it to our chain, rolls back what a
    /// reorg replaced, applies the new blocks and checkpoints each (best effort: a failed
    /// checkpoint write does not stop the sync; the checkpoint is rewritten whole once the store
    /// takes writes again). Falls back to a full reload when the reorg is deeper than the undo
    /// log or the gap exceeds `max-catch-up`.
    #[instrument(target = "searcher::market", skip_all, fields(target = target.number))]
    pub async fn sync_to<P: Provider>(
        &mut self,
        provider: &P,
        store: &Store,
        target: BlockRef,
    ) -> Result<SyncReport> {
        let Some(head) = self.head else {
            return Err(MarketError::Config("sync before bootstrap".into()));
        };
        let mut report = SyncReport::default();
        if target.hash == head.hash {
            return Ok(report);
        }
        if target.number > head.number.saturating_add(self.config.max_catch_up) {
            info!(target: "searcher::market", head = head.number, target = target.number,
                "gap too large to replay, reloading");
            return self.reload(provider, store, target).await;
        }
        let branch = match self.join(provider, target).await {
            Ok(branch) => branch,
            Err(MarketError::ReorgTooDeep { depth, new_head }) => {
                warn!(target: "searcher::market", depth, %new_head, "reorg deeper than the undo log, reloading");
                return self.reload(provider, store, target).await;
            }
            Err(e) => return Err(e),
        };
        let ancestor = branch.last().map_or(target.number, |b| b.number).saturating_sub(1);
        if ancestor < head.number {
            report.reorg_depth = (head.number - ancestor) as usize;
            self.rollback_to(ancestor);
            let head =
                self.head.ok_or_else(|| MarketError::Config("rollback lost the head".into()))?;
            self.checkpoint(
                store,
                &MarketCommit {
                    rollback_to: Some(ancestor),
                    head: Some(head),
                    ..Default::default()
                },
            )
            .await;
            metrics::counter!(m::REORGS).increment(1);
            metrics::histogram!(m::REORG_DEPTH).record(report.reorg_depth as f64);
            info!(target: "searcher::market", depth = report.reorg_depth, ancestor,
                new_head = target.number, "reorg rolled back");
        }
        let mut seen = HashSet::new();
        for block in branch.into_iter().rev() {
            let applied = self.apply_block(provider, store, block).await?;
            report.blocks_applied += 1;
            report.logs_applied += applied.logs_applied;
            report.new_pools += applied.new_pools;
            for idx in applied.touched {
                if seen.insert(idx) {
                    report.touched.push(idx);
                }
            }
        }
        self.publish_gauges();
        Ok(report)
    }

    /// Reloads everything at `target`: forgets pools created in the last `undo-depth` blocks
    /// before the fork could have started, rediscovers from there and reads all state anew.
    pub async fn reload<P: Provider>(
        &mut self,
        provider: &P,
        store: &Store,
        target: BlockRef,
    ) -> Result<SyncReport> {
        let floor = self.head.map_or(target.number, |h| h.number.min(target.number));
        let back = floor.saturating_sub(self.config.undo_depth as u64);
        store
            .commit_market(&MarketCommit { rollback_to: Some(back), ..Default::default() })
            .await?;
        let (fresh, _) = Market::bootstrap_at(provider, store, self.config.clone(), target).await?;
        *self = fresh;
        metrics::counter!(m::RELOADS).increment(1);
        Ok(SyncReport {
            reloaded: true,
            touched: (0..self.pools.len() as u32).map(PoolIdx).collect(),
            ..Default::default()
        })
    }

    /// The hash we hold at `number`: the head, a block in the undo log, or the parent of the
    /// oldest one.
    fn known_hash(&self, number: u64) -> Option<B256> {
        let head = self.head?;
        if number == head.number {
            return Some(head.hash);
        }
        for u in self.undo.blocks.iter().rev() {
            if u.block.number == number {
                return Some(u.block.hash);
            }
            if u.prev_head.number == number {
                return Some(u.prev_head.hash);
            }
        }
        None
    }

    /// The lowest block we can roll back to.
    fn rollback_floor(&self) -> u64 {
        self.undo
            .blocks
            .front()
            .map(|u| u.prev_head.number)
            .or(self.head.map(|h| h.number))
            .unwrap_or(0)
    }

    /// The blocks from `target` back to (not including) the first block we hold, newest first.
    async fn join<P: Provider>(&self, provider: &P, target: BlockRef) -> Result<Vec<BlockRef>> {
        let depth = self.config.undo_depth;
        let mut branch = vec![target];
        loop {
            let tip = *branch.last().expect("branch starts with the target");
            let parent = tip.number.checked_sub(1);
            if let Some(parent) = parent
                && self.known_hash(parent) == Some(tip.parent_hash)
            {
                return Ok(branch);
            }
            match parent {
                Some(p) if p >= self.rollback_floor() => {
                    branch.push(header_by_hash(provider, tip.parent_hash).await?);
                }
                _ => return Err(MarketError::ReorgTooDeep { depth, new_head: target.hash }),
            }
        }
    }

    /// Rolls blocks back, newest first, until the head is at `ancestor`.
    fn rollback_to(&mut self, ancestor: u64) {
        while self.head.is_some_and(|h| h.number > ancestor) {
            let Some(u) = self.undo.blocks.pop_back() else { break };
            self.index.truncate(u.cycles_len);
            for idx in u.indexed.iter().rev() {
                self.index.remove(*idx);
            }
            for snap in u.pools.into_iter().rev() {
                if let Some(entry) = self.pools.get_mut(snap.idx.get()) {
                    entry.state = snap.state;
                    entry.own_flags = snap.own_flags;
                    entry.flags = snap.flags;
                }
            }
            for (t, token) in u.tokens.into_iter().rev() {
                if let Some(slot) = self.tokens.get_mut(t.get()) {
                    *slot = token;
                }
            }
            self.truncate_arenas(u.pools_len, u.tokens_len);
            debug!(target: "searcher::market", block = u.block.number, "block rolled back");
            self.head = Some(u.prev_head);
        }
    }

    /// Snapshots a pool before the block's first change to it.
    fn touch(&self, undo: &mut UndoBlock, touched: &mut HashSet<PoolIdx>, idx: PoolIdx) {
        if idx.get() >= undo.pools_len || !touched.insert(idx) {
            return;
        }
        if let Some(e) = self.pools.get(idx.get()) {
            undo.pools.push(PoolSnapshot {
                idx,
                state: e.state.clone(),
                own_flags: e.own_flags,
                flags: e.flags,
            });
        }
    }

    /// Brings the state to `target` like [`Market::sync_to`], using `prefetched`, the logs of
    /// `target` fetched beforehand with [`block_logs`] (without any lock held), when `target`
    /// is the next block: the common case then needs no node round trip here.
    pub async fn sync_to_prefetched<P: Provider>(
        &mut self,
        provider: &P,
        store: &Store,
        target: BlockRef,
        prefetched: Option<Vec<Log>>,
    ) -> Result<SyncReport> {
        self.prefetched = prefetched.map(|logs| (target.hash, logs));
        let report = self.sync_to(provider, store, target).await;
        self.prefetched = None;
        report
    }

    /// Fetches and applies one block whose parent is our head; checkpoints it.
    async fn apply_block<P: Provider>(
        &mut self,
        provider: &P,
        store: &Store,
        block: BlockRef,
    ) -> Result<AppliedBlock> {
        let started = Instant::now();
        let prev_head = self.head.ok_or_else(|| MarketError::Config("no head".into()))?;
        let logs = match self.prefetched.take() {
            Some((hash, logs)) if hash == block.hash => logs,
            _ => block_logs(provider, block).await?,
        };

        let mut undo = UndoBlock {
            block,
            prev_head,
            pools_len: self.pools.len(),
            tokens_len: self.tokens.len(),
            cycles_len: self.index.cycles_len(),
            pools: Vec::new(),
            tokens: Vec::new(),
            indexed: Vec::new(),
        };
        let mut touched = HashSet::new();
        let mut order = Vec::new();
        let mut in_order = HashSet::new();
        let mut broken = Vec::new();
        let mut applied = 0;
        for log in &logs {
            let idx = match self.apply_log(log, block.number, &mut undo, &mut touched)? {
                LogEffect::Ignored => continue,
                LogEffect::Created(idx) | LogEffect::Applied(idx) => idx,
                LogEffect::Broken(idx) => {
                    broken.push(idx);
                    idx
                }
            };
            applied += 1;
            if in_order.insert(idx) {
                order.push(idx);
            }
        }
        self.after_block(provider, block, &mut undo, &mut touched, &order, &broken).await?;

        let new_pools: Vec<_> =
            self.pools[undo.pools_len..].iter().map(|e| (e.pool.clone(), e.flags)).collect();
        let mut tokens: Vec<Token> = self.tokens[undo.tokens_len..].to_vec();
        tokens.extend(undo.tokens.iter().filter_map(|(t, _)| self.tokens.get(t.get()).cloned()));
        let pool_flags: Vec<_> = undo
            .pools
            .iter()
            .filter_map(|s| self.pools.get(s.idx.get()).map(|e| (e.pool.id, e.flags)))
            .collect();
        let cursors: Vec<(Address, u64)> =
            self.config.factories.iter().map(|f| (f.address, block.number + 1)).collect();
        self.checkpoint(
            store,
            &MarketCommit {
                pools: &new_pools,
                tokens: &tokens,
                pool_flags: &pool_flags,
                cursors: &cursors,
                head: Some(block),
                ..Default::default()
            },
        )
        .await;

        let result =
            AppliedBlock { logs_applied: applied, new_pools: new_pools.len(), touched: order };
        self.undo.push(undo);
        self.head = Some(block);
        metrics::counter!(m::BLOCKS_APPLIED).increment(1);
        metrics::histogram!(m::BLOCK_SECONDS).record(started.elapsed().as_secs_f64());
        debug!(target: "searcher::market", block = block.number, logs = logs.len(), applied,
            touched = result.touched.len(), new_pools = result.new_pools, "block applied");
        Ok(result)
    }

    /// Applies one log in order.
    fn apply_log(
        &mut self,
        log: &Log,
        block: u64,
        undo: &mut UndoBlock,
        touched: &mut HashSet<PoolIdx>,
    ) -> Result<LogEffect> {
        let address = log.address();
        let Some(topic0) = log.topic0().copied() else { return Ok(LogEffect::Ignored) };
        if let Some(factory) = self.config.factory(address) {
            let Some(pool) = crate::market::discovery::decode_creation(factory, log)? else {
                return Ok(LogEffect::Ignored);
            };
            metrics::counter!(m::POOLS_DISCOVERED, "kind" => pool.kind.name()).increment(1);
            metrics::counter!(m::LOGS_APPLIED, "event" => "created").increment(1);
            let state = pool.state_at_creation();
            let idx = self.insert_pool(pool, state);
            // A pool created this block starts complete: every tick it will ever have is
            // seen from here on.
            return Ok(LogEffect::Created(idx));
        }
        let Some(idx) = self.pool_idx(address) else { return Ok(LogEffect::Ignored) };
        let decode = |event: &'static str, e: alloy::sol_types::Error| MarketError::Decode {
            event,
            block,
            detail: e.to_string(),
        };
        let kind = self.pools[idx.get()].pool.kind;
        let (event, outcome) = match kind {
            PoolKind::UniswapV2 { .. } if topic0 == IUniswapV2Pair::Sync::SIGNATURE_HASH => {
                let ev = IUniswapV2Pair::Sync::decode_log_data(log.data())
                    .map_err(|e| decode("Sync", e))?;
                self.touch(undo, touched, idx);
                let entry = &mut self.pools[idx.get()];
                let outcome = match &mut entry.state {
                    Some(PoolState::UniswapV2(p)) => {
                        p.apply_sync(ev.reserve0.to::<u128>(), ev.reserve1.to::<u128>());
                        Ok(())
                    }
                    _ => Err("Sync on a V2 pool without state"),
                };
                ("sync", outcome)
            }
            PoolKind::UniswapV3 { fee, tick_spacing } => {
                self.touch(undo, touched, idx);
                let entry = &mut self.pools[idx.get()];
                if topic0 == IUniswapV3Pool::Swap::SIGNATURE_HASH {
                    let ev = IUniswapV3Pool::Swap::decode_log_data(log.data())
                        .map_err(|e| decode("Swap", e))?;
                    let outcome = match &mut entry.state {
                        Some(PoolState::UniswapV3(s)) => {
                            s.apply_swap_event(
                                U256::from(ev.sqrtPriceX96),
                                ev.liquidity,
                                i24(ev.tick),
                            );
                            Ok(())
                        }
                        _ => Err("Swap on a V3 pool without state"),
                    };
                    ("swap", outcome)
                } else if topic0 == IUniswapV3Pool::Mint::SIGNATURE_HASH {
                    let ev = IUniswapV3Pool::Mint::decode_log_data(log.data())
                        .map_err(|e| decode("Mint", e))?;
                    let outcome = match &mut entry.state {
                        Some(PoolState::UniswapV3(s)) => s
                            .apply_mint(i24(ev.tickLower), i24(ev.tickUpper), ev.amount)
                            .map_err(|_| "Mint did not apply"),
                        _ => Err("Mint on a V3 pool without state"),
                    };
                    ("mint", outcome)
                } else if topic0 == IUniswapV3Pool::Burn::SIGNATURE_HASH {
                    let ev = IUniswapV3Pool::Burn::decode_log_data(log.data())
                        .map_err(|e| decode("Burn", e))?;
                    let outcome = match &mut entry.state {
                        Some(PoolState::UniswapV3(s)) => s
                            .apply_burn(i24(ev.tickLower), i24(ev.tickUpper), ev.amount)
                            .map_err(|_| "Burn did not apply"),
                        _ => Err("Burn on a V3 pool without state"),
                    };
                    ("burn", outcome)
                } else if topic0 == IUniswapV3Pool::Initialize::SIGNATURE_HASH {
                    let ev = IUniswapV3Pool::Initialize::decode_log_data(log.data())
                        .map_err(|e| decode("Initialize", e))?;
                    // Nothing can be minted before initialization: the whole tick range is
                    // known (empty).
                    let outcome = match V3PoolState::new(
                        U256::from(ev.sqrtPriceX96),
                        i24(ev.tick),
                        0,
                        fee,
                        tick_spacing,
                        TickWindow::FULL,
                    ) {
                        Ok(state) if entry.state.is_none() => {
                            entry.state = Some(PoolState::UniswapV3(state));
                            entry.own_flags = HealthFlags::NONE;
                            Ok(())
                        }
                        Ok(_) => Err("Initialize on an initialized pool"),
                        Err(_) => Err("Initialize with an impossible price"),
                    };
                    ("initialize", outcome)
                } else {
                    return Ok(LogEffect::Ignored);
                }
            }
            _ => return Ok(LogEffect::Ignored),
        };
        metrics::counter!(m::LOGS_APPLIED, "event" => event).increment(1);
        match outcome {
            Ok(()) => Ok(LogEffect::Applied(idx)),
            Err(why) => {
                warn!(target: "searcher::market", pool = %address, block, event, why,
                    "log did not apply; the pool is re-read at this block");
                Ok(LogEffect::Broken(idx))
            }
        }
    }

    /// After a block's logs: re-read pools whose window drifted or whose event did not apply,
    /// read new tokens, probe tokens of pools that gained liquidity, refresh flags and index.
    async fn after_block<P: Provider>(
        &mut self,
        provider: &P,
        block: BlockRef,
        undo: &mut UndoBlock,
        touched: &mut HashSet<PoolIdx>,
        order: &[PoolIdx],
        broken: &[PoolIdx],
    ) -> Result<()> {
        let policy = self.config.load.tick_window;
        let mut reload: Vec<PoolIdx> = broken.to_vec();
        for &idx in order {
            let entry = &self.pools[idx.get()];
            if let Some(PoolState::UniswapV3(s)) = &entry.state
                && window_words(policy, s.tick, s.tick_spacing).2 != s.window
                && !reload.contains(&idx)
            {
                reload.push(idx);
            }
            // A pool that gained liquidity with a token never probed: read it with the probe.
            if !self.index.is_indexed(idx)
                && !reload.contains(&idx)
                && entry.state.as_ref().is_some_and(PoolState::has_liquidity)
                && !self.tokens_probed(idx)
            {
                reload.push(idx);
            }
        }
        let fresh: Vec<TokenIdx> =
            (undo.tokens_len..self.tokens.len()).map(|t| TokenIdx(t as u32)).collect();
        if !reload.is_empty() || !fresh.is_empty() {
            let mut before: Vec<(TokenIdx, Token)> = Vec::new();
            for &idx in &reload {
                for t in self.pools[idx.get()].tokens {
                    if t.get() < undo.tokens_len && !before.iter().any(|(x, _)| *x == t) {
                        before.push((t, self.tokens[t.get()].clone()));
                    }
                }
            }
            metrics::counter!(m::POOL_RELOADS).increment(reload.len() as u64);
            self.load_pools(provider, block.hash, &reload, &fresh).await?;
            let changed: Vec<TokenIdx> = before
                .iter()
                .filter(|(t, old)| self.tokens[t.get()] != *old)
                .map(|(t, _)| *t)
                .collect();
            undo.tokens.extend(before.into_iter().filter(|(t, _)| changed.contains(t)));
            if !changed.is_empty() {
                // Every pool of a token whose flags changed carries them.
                for i in 0..self.pools.len() {
                    let idx = PoolIdx(i as u32);
                    if self.pools[i].tokens.iter().any(|t| changed.contains(t)) {
                        self.touch(undo, touched, idx);
                        self.refresh_flags(idx);
                    }
                }
            }
        }
        for &idx in order.iter().chain(&reload) {
            self.refresh_flags(idx);
            if self.index_if_healthy(idx) {
                undo.indexed.push(idx);
            }
        }
        Ok(())
    }
}

/// What applying one log did.
enum LogEffect {
    Ignored,
    Created(PoolIdx),
    Applied(PoolIdx),
    /// The event did not apply to our state: the pool is re-read.
    Broken(PoolIdx),
}

/// What applying one block did.
struct AppliedBlock {
    logs_applied: usize,
    new_pools: usize,
    touched: Vec<PoolIdx>,
}

#[cfg(test)]
mod fuzz;

//! [`Market`]: the in-memory world model. Tokens and pools in dense arenas ([`TokenIdx`],
//! [`PoolIdx`]), each pool with its identity, current state and health flags, plus the token
//! graph and cycle index over the healthy ones, and the head the state is exact at.
//!
//! Arenas only grow while blocks are applied, which is what lets the undo log
//! ([`crate::market::sync`]) roll a block back by truncation plus a few restored snapshots.

use crate::market::{
    config::MarketConfig,
    graph::{Cycle, CycleId, CycleIndex},
    health::{FlagReason, HealthFlags},
    metrics as m,
    pool::{Pool, PoolIdx, PoolKind, PoolState, Token, TokenIdx},
    sync::{BlockRef, UndoLog},
};
use alloy::primitives::Address;
use std::collections::{BTreeMap, HashMap};

/// A tracked pool: identity, tokens, state and health.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolEntry {
    /// Identity, fixed at creation.
    pub pool: Pool,
    /// `[token0, token1]`.
    pub tokens: [TokenIdx; 2],
    /// Current state; `None` when there is nothing to simulate (uninitialized V3 pool, or the
    /// state could not be read).
    pub state: Option<PoolState>,
    /// Pool-level flags that do not follow from the state (unreadable or impossible state).
    pub(crate) own_flags: HealthFlags,
    /// Every flag: own, the tokens', and those of the current state.
    pub flags: HealthFlags,
}

impl PoolEntry {
    /// Whether the pool may be traded (no flag).
    pub const fn is_healthy(&self) -> bool {
        self.flags.is_healthy()
    }
}

/// The pool universe at one block.
#[derive(Debug, Clone)]
pub struct Market {
    pub(crate) config: MarketConfig,
    pub(crate) tokens: Vec<Token>,
    pub(crate) token_index: HashMap<Address, TokenIdx>,
    pub(crate) pools: Vec<PoolEntry>,
    pub(crate) pool_index: HashMap<Address, PoolIdx>,
    pub(crate) index: CycleIndex,
    pub(crate) head: Option<BlockRef>,
    pub(crate) undo: UndoLog,
    /// Whether the node runs transfer probes; when not, unprobed tokens do not block indexing.
    pub(crate) probe_supported: bool,
    /// The next block's logs, fetched before the write lock was taken
    /// ([`Market::sync_to_prefetched`]).
    pub(crate) prefetched: Option<(alloy::primitives::B256, Vec<alloy::rpc::types::Log>)>,
    /// Whether a checkpoint write failed since the last full one ([`super::checkpoint`]).
    pub(crate) checkpoint_behind: bool,
}

impl Market {
    /// An empty market for `config` (no pools, no head).
    pub fn new(config: MarketConfig) -> Self {
        let undo = UndoLog::new(config.undo_depth);
        Self {
            config,
            tokens: Vec::new(),
            token_index: HashMap::new(),
            pools: Vec::new(),
            pool_index: HashMap::new(),
            index: CycleIndex::new(),
            head: None,
            undo,
            probe_supported: true,
            prefetched: None,
            checkpoint_behind: false,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &MarketConfig {
        &self.config
    }

    /// The block the state is exact at.
    pub fn head(&self) -> Option<BlockRef> {
        self.head
    }

    /// Every token, by index.
    pub fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    /// One token.
    pub fn token(&self, idx: TokenIdx) -> Option<&Token> {
        self.tokens.get(idx.get())
    }

    /// A token's index by address.
    pub fn token_idx(&self, address: Address) -> Option<TokenIdx> {
        self.token_index.get(&address).copied()
    }

    /// Every pool, by index.
    pub fn pools(&self) -> &[PoolEntry] {
        &self.pools
    }

    /// One pool.
    pub fn pool(&self, idx: PoolIdx) -> Option<&PoolEntry> {
        self.pools.get(idx.get())
    }

    /// A pool's index by the address that emits its logs.
    pub fn pool_idx(&self, address: Address) -> Option<PoolIdx> {
        self.pool_index.get(&address).copied()
    }

    /// A pool by address.
    pub fn pool_by_address(&self, address: Address) -> Option<&PoolEntry> {
        self.pool_idx(address).and_then(|i| self.pool(i))
    }

    /// The token graph and cycle index.
    pub fn index(&self) -> &CycleIndex {
        &self.index
    }

    /// The cycles through a pool (empty for flagged pools).
    pub fn cycles_through(&self, pool: PoolIdx) -> &[CycleId] {
        self.index.cycles_through(pool)
    }

    /// One cycle.
    pub fn cycle(&self, id: CycleId) -> Option<&Cycle> {
        self.index.cycle(id)
    }

    /// Flagged pools per reason (a pool with two reasons counts under both).
    pub fn flag_counts(&self) -> BTreeMap<&'static str, usize> {
        let mut counts: BTreeMap<&'static str, usize> =
            FlagReason::ALL.iter().map(|r| (r.as_str(), 0)).collect();
        for entry in &self.pools {
            for reason in entry.flags.reasons() {
                *counts.entry(reason.as_str()).or_default() += 1;
            }
        }
        counts
    }

    /// Publishes the size gauges and flagged-pool counts.
    pub fn publish_gauges(&self) {
        metrics::gauge!(m::POOLS).set(self.pools.len() as f64);
        metrics::gauge!(m::CYCLES).set(self.index.cycles_len() as f64);
        metrics::gauge!(m::UNDO_DEPTH).set(self.undo.len() as f64);
        for (reason, n) in self.flag_counts() {
            metrics::gauge!(m::FLAGGED_POOLS, "reason" => reason).set(n as f64);
        }
    }

    /// The index of `address`, adding the token when new (base-ness from the config).
    pub(crate) fn intern_token(&mut self, address: Address) -> TokenIdx {
        if let Some(idx) = self.token_index.get(&address) {
            return *idx;
        }
        let idx = TokenIdx(self.tokens.len() as u32);
        let mut token = Token::new(address);
        token.flags = self.configured_token_flags(address);
        self.tokens.push(token);
        self.token_index.insert(address, idx);
        self.index.set_base(idx, self.config.base_tokens.contains(&address));
        idx
    }

    /// Flags the config puts on a token whatever probes say.
    pub(crate) fn configured_token_flags(&self, address: Address) -> HealthFlags {
        let mut flags = HealthFlags::NONE;
        if self.config.known_fee_on_transfer.contains(&address) {
            flags |= HealthFlags::FEE_ON_TRANSFER;
        }
        if self.config.blocked_tokens.contains(&address) {
            flags |= HealthFlags::BLOCKED;
        }
        flags
    }

    /// Adds a pool (not indexed yet); a pool already known keeps its index.
    pub(crate) fn insert_pool(&mut self, pool: Pool, state: Option<PoolState>) -> PoolIdx {
        let address = pool.id.address();
        if let Some(idx) = self.pool_index.get(&address) {
            return *idx;
        }
        let tokens = [self.intern_token(pool.token0), self.intern_token(pool.token1)];
        let idx = PoolIdx(self.pools.len() as u32);
        self.pools.push(PoolEntry {
            pool,
            tokens,
            state,
            own_flags: HealthFlags::NONE,
            flags: HealthFlags::NONE,
        });
        self.pool_index.insert(address, idx);
        self.refresh_flags(idx);
        idx
    }

    /// Drops pools and tokens past the given lengths (undo of the block that added them).
    pub(crate) fn truncate_arenas(&mut self, pools_len: usize, tokens_len: usize) {
        for entry in self.pools.drain(pools_len.min(self.pools.len())..) {
            self.pool_index.remove(&entry.pool.id.address());
        }
        for (i, token) in self.tokens.drain(tokens_len.min(self.tokens.len())..).enumerate() {
            self.token_index.remove(&token.address);
            self.index.set_base(TokenIdx((tokens_len + i) as u32), false);
        }
    }

    /// Recomputes a pool's flags from its own flags, its tokens' and its state; returns them.
    pub(crate) fn refresh_flags(&mut self, idx: PoolIdx) -> HealthFlags {
        let Some(entry) = self.pools.get(idx.get()) else { return HealthFlags::NONE };
        let mut flags = entry.own_flags;
        for t in entry.tokens {
            if let Some(token) = self.tokens.get(t.get()) {
                flags |= token.flags.only(HealthFlags::TOKEN_MASK);
            }
        }
        if !flags.contains(HealthFlags::STATE_UNREADABLE) {
            flags |= match (&entry.state, entry.pool.kind) {
                (None, PoolKind::UniswapV3 { .. }) => HealthFlags::UNINITIALIZED,
                (None, _) => HealthFlags::EMPTY,
                (Some(state), _) if !state.has_liquidity() => HealthFlags::EMPTY,
                (Some(_), _) => HealthFlags::NONE,
            };
        }
        if let Some(entry) = self.pools.get_mut(idx.get()) {
            entry.flags = flags;
        }
        flags
    }

    /// Whether both tokens of a pool were probed (or probing is unavailable on this node).
    pub(crate) fn tokens_probed(&self, idx: PoolIdx) -> bool {
        !self.probe_supported
            || self.pools.get(idx.get()).is_some_and(|e| {
                e.tokens.iter().all(|t| self.tokens.get(t.get()).is_some_and(|tk| tk.probed))
            })
    }

    /// Puts a healthy pool whose tokens were probed into the cycle index; returns whether it
    /// did.
    pub(crate) fn index_if_healthy(&mut self, idx: PoolIdx) -> bool {
        let Some(entry) = self.pools.get(idx.get()) else { return false };
        if !entry.is_healthy() || self.index.is_indexed(idx) || !self.tokens_probed(idx) {
            return false;
        }
        let [t0, t1] = entry.tokens;
        self.index.insert(idx, t0, t1);
        true
    }

    /// Indexes every healthy pool, in pool order.
    pub(crate) fn index_all(&mut self) {
        for i in 0..self.pools.len() {
            self.index_if_healthy(PoolIdx(i as u32));
        }
    }
}

impl Market {
    /// Every way `self` and `other` differ as world models: pools (by address) with their
    /// identity, state and flags, token flags, and the set of cycles (as pool addresses and
    /// directions). Empty when they are the same market, whatever order pools were added in.
    pub fn differences(&self, other: &Self) -> Vec<String> {
        let mut out = Vec::new();
        for entry in &self.pools {
            let address = entry.pool.id.address();
            match other.pool_by_address(address) {
                None => out.push(format!("pool {address} missing from the other market")),
                Some(theirs) => {
                    if theirs.pool.kind != entry.pool.kind
                        || theirs.pool.token0 != entry.pool.token0
                        || theirs.pool.token1 != entry.pool.token1
                        || theirs.pool.dex != entry.pool.dex
                    {
                        out.push(format!(
                            "pool {address}: identity {:?} vs {:?}",
                            entry.pool, theirs.pool
                        ));
                    }
                    if theirs.state != entry.state {
                        out.push(format!(
                            "pool {address}: state {:?} vs {:?}",
                            entry.state, theirs.state
                        ));
                    }
                    if theirs.flags != entry.flags {
                        out.push(format!(
                            "pool {address}: flags {} vs {}",
                            entry.flags, theirs.flags
                        ));
                    }
                }
            }
        }
        for entry in &other.pools {
            if self.pool_by_address(entry.pool.id.address()).is_none() {
                out.push(format!("pool {} only in the other market", entry.pool.id));
            }
        }
        for token in &self.tokens {
            if let Some(theirs) = other.token_idx(token.address).and_then(|t| other.token(t))
                && (theirs.flags != token.flags || theirs.probed != token.probed)
            {
                out.push(format!(
                    "token {}: flags {} probed {} vs {} probed {}",
                    token.address, token.flags, token.probed, theirs.flags, theirs.probed
                ));
            }
        }
        let (mine, theirs) = (self.cycle_set(), other.cycle_set());
        if mine != theirs {
            let only_mine = mine.difference(&theirs).count();
            let only_theirs = theirs.difference(&mine).count();
            out.push(format!(
                "cycles: {} vs {} ({only_mine} only here, {only_theirs} only there)",
                mine.len(),
                theirs.len()
            ));
        }
        out
    }

    /// Every cycle as pool addresses and directions.
    fn cycle_set(&self) -> std::collections::BTreeSet<Vec<(Address, bool)>> {
        self.index
            .cycles()
            .iter()
            .map(|c| {
                c.hops()
                    .iter()
                    .map(|h| (self.pools[h.pool().get()].pool.id.address(), h.zero_for_one()))
                    .collect()
            })
            .collect()
    }
}

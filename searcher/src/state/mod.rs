//! The revm database layer shared by predict and sim: a warm, per-head cache of the
//! accounts, storage, code and block hashes of hot contracts, read from the node through the
//! same provider the watch stage uses.
//!
//! ## Shape
//!
//! - [`StateCache`] owns the node connection and the current [`HeadState`]; the engine's head
//!   task builds each new head's state ([`StateCache::prepare`]) and publishes it together
//!   with the market ([`StateCache::publish`]); [`StateCache::advance`] does both at once.
//! - [`HeadState`] is an immutable snapshot of block N's state that fills itself lazily: it
//!   implements revm's [`DatabaseRef`], so any number of predictions and simulations read it
//!   concurrently, each through its own write overlay ([`HeadState::evm`] wraps it in a
//!   `CacheDB`). A read it has not cached is fetched from the node at block N's hash (pinned,
//!   so a reorg cannot mix states), cached, and counted in `searcher_state_misses_total`.
//!
//! ## What survives a new head
//!
//! Code is immutable, so analysed bytecode is kept forever by hash, and the code hash of every
//! contract (non-empty, non-EIP-7702 code) by address. Accounts and slots are kept when the new
//! block provably did not change them: the cache asks the node for the block's state diff
//! (`debug_traceBlockByHash` with the `prestateTracer` in diff mode: one call per block, served
//! by reth, geth and anvil) and drops exactly the accounts and slots it names
//! ([`Invalidation::Changes`]). When the diff is unavailable, every account and slot is dropped
//! and code kept ([`Invalidation::Unknown`]); when the new head does not extend the previous one
//! (reorg, missed heads), block hashes and contract code hashes go too ([`Invalidation::Reorg`]).
//! Dropped entries that were read in the last few heads are fetched again, concurrently, before
//! the new head is published, so the hot pools a block just moved are warm when the next pending
//! transaction arrives; entries unread for [`StateConfig::keep_heads`] heads are evicted.
//! Callers can warm known hot contracts and slots at any time with [`HeadState::prefetch`].
//!
//! Misses inside revm are synchronous: they wait with `tokio::task::block_in_place` on a
//! multi-thread runtime worker (the runtime keeps serving the IPC connection meanwhile), or block
//! on the cache's runtime handle from a plain thread. A current-thread runtime cannot do either
//! and gets [`StateError::CurrentThreadRuntime`].

mod changes;
mod env;
mod error;
mod fetch;
pub mod metrics;
pub mod view;

pub use changes::{BlockChanges, Invalidation};
pub use env::{ChainConfig, DEFAULT_SLOT_SECONDS, HeadInfo, tx_env};
pub use error::{Result, StateError};

use alloy::{
    primitives::{
        Address, B256, Bytes, U256,
        map::{AddressMap, B256Map, HashMap},
    },
    providers::{DynProvider, Provider},
    rpc::types::Header,
};
use fetch::{FetchedAccount, Fetcher, analyse};
use futures::{StreamExt, stream};
use revm::{
    Context, DatabaseRef, MainBuilder, MainContext,
    context::BlockEnv,
    database::CacheDB,
    handler::{MainnetContext, MainnetEvm},
    state::{AccountInfo, Bytecode},
};
use std::{
    sync::{
        Arc, PoisonError, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};
use tracing::{debug, warn};

/// Heads an entry may go unread before it is evicted.
pub const DEFAULT_KEEP_HEADS: u64 = 64;
/// Entries read within this many heads are fetched again when a new head invalidates them.
pub const DEFAULT_PREFETCH_HEADS: u64 = 4;
/// Concurrent node reads while prefetching.
pub const DEFAULT_PREFETCH_CONCURRENCY: usize = 64;
/// Timeout of one node read.
pub const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(2);

/// Configuration of the state cache.
#[derive(Debug, Clone)]
pub struct StateConfig {
    /// Chain rules; `None` means Ethereum rules with the node's chain id.
    pub chain: Option<ChainConfig>,
    /// Heads an entry may go unread before it is evicted.
    pub keep_heads: u64,
    /// Entries read within this many heads are fetched again when invalidated.
    pub prefetch_heads: u64,
    /// Concurrent node reads while prefetching.
    pub prefetch_concurrency: usize,
    /// Timeout of one node read.
    pub fetch_timeout: Duration,
    /// Ask the node for each block's state diff to keep unchanged entries across heads.
    pub trace_diffs: bool,
}

impl Default for StateConfig {
    fn default() -> Self {
        Self {
            chain: None,
            keep_heads: DEFAULT_KEEP_HEADS,
            prefetch_heads: DEFAULT_PREFETCH_HEADS,
            prefetch_concurrency: DEFAULT_PREFETCH_CONCURRENCY,
            fetch_timeout: DEFAULT_FETCH_TIMEOUT,
            trace_diffs: true,
        }
    }
}

/// A storage slot: contract and index.
type SlotKey = (Address, U256);
/// Keys to fetch, each with the last head that read it.
type Hot<K> = Vec<(K, u64)>;

/// A cached value and the last head that read it.
#[derive(Debug)]
struct Entry<T> {
    value: T,
    last_used: AtomicU64,
}

impl<T: Clone> Entry<T> {
    fn new(value: T, head: u64) -> Self {
        Self { value, last_used: AtomicU64::new(head) }
    }

    fn last_used(&self) -> u64 {
        self.last_used.load(Ordering::Relaxed)
    }

    /// The value, marking it read at `head` (a store only when the mark changes).
    fn read(&self, head: u64) -> T {
        if self.last_used.load(Ordering::Relaxed) != head {
            self.last_used.store(head, Ordering::Relaxed);
        }
        self.value.clone()
    }

    fn carry(&self) -> Self {
        Self { value: self.value.clone(), last_used: AtomicU64::new(self.last_used()) }
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// What every head shares: the node connection, chain rules and code by hash.
#[derive(Debug)]
struct Shared {
    fetcher: Fetcher,
    chain: ChainConfig,
    config: StateConfig,
    code: RwLock<B256Map<Bytecode>>,
}

/// The state of one head block, filled lazily from the node and read by revm.
pub struct HeadState {
    info: HeadInfo,
    shared: Arc<Shared>,
    /// `None`: the account does not exist (no code, no balance, nonce 0).
    accounts: RwLock<AddressMap<Entry<Option<AccountInfo>>>>,
    storage: RwLock<HashMap<SlotKey, Entry<U256>>>,
    /// Code hash of contracts (non-empty, non-delegation code), which never changes.
    contract_code: RwLock<AddressMap<B256>>,
    block_hashes: RwLock<HashMap<u64, B256>>,
    /// Reads revm asked for that went to the node while this was the head.
    misses: AtomicU64,
    origin: HeadOrigin,
}

/// How a head's cache was built from the previous head's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HeadOrigin {
    /// The invalidation mode ([`Invalidation::label`]); `connect` for the first head.
    pub mode: &'static str,
    /// Entries carried over unchanged.
    pub carried: CacheStats,
    /// Dropped entries fetched again before the head was published.
    pub refetched: usize,
}

impl std::fmt::Debug for HeadState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let stats = self.stats();
        f.debug_struct("HeadState")
            .field("number", &self.info.number)
            .field("hash", &self.info.hash)
            .field("stats", &stats)
            .finish_non_exhaustive()
    }
}

/// Sizes of a head's cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    /// Accounts cached.
    pub accounts: usize,
    /// Storage slots cached.
    pub slots: usize,
    /// Distinct contract codes cached (shared by all heads).
    pub codes: usize,
}

/// revm's write overlay on a head: what one prediction or simulation changes stays here.
pub type HeadDb<'a> = CacheDB<&'a HeadState>;
/// A mainnet EVM over a head's overlay.
pub type HeadEvm<'a> = MainnetEvm<MainnetContext<HeadDb<'a>>>;

impl HeadState {
    fn new(info: HeadInfo, shared: Arc<Shared>) -> Self {
        Self {
            info,
            shared,
            accounts: RwLock::default(),
            storage: RwLock::default(),
            contract_code: RwLock::default(),
            block_hashes: RwLock::default(),
            misses: AtomicU64::new(0),
            origin: HeadOrigin { mode: "connect", ..HeadOrigin::default() },
        }
    }

    /// How this head's cache was built from the previous head's.
    pub const fn origin(&self) -> &HeadOrigin {
        &self.origin
    }

    /// How many reads revm asked this head for went to the node (also counted, process-wide,
    /// in `searcher_state_misses_total`).
    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }

    fn count_miss(&self, kind: &'static str) {
        self.misses.fetch_add(1, Ordering::Relaxed);
        ::metrics::counter!(metrics::MISSES, "kind" => kind).increment(1);
    }

    /// The head block this state is the post-state of.
    pub const fn info(&self) -> &HeadInfo {
        &self.info
    }

    /// The head's block number.
    pub const fn number(&self) -> u64 {
        self.info.number
    }

    /// The chain rules.
    pub fn chain(&self) -> &ChainConfig {
        &self.shared.chain
    }

    /// The environment of the next block (see [`HeadInfo::next_block_env`]).
    pub fn next_block_env(&self, beneficiary: Option<Address>) -> BlockEnv {
        self.info.next_block_env(&self.shared.chain, beneficiary)
    }

    /// A mainnet EVM running `block` on a fresh write overlay of this head.
    pub fn evm(&self, block: BlockEnv) -> HeadEvm<'_> {
        Context::mainnet()
            .with_cfg(self.shared.chain.cfg_env())
            .with_block(block)
            .with_db(CacheDB::new(self))
            .build_mainnet()
    }

    /// Sizes of the cache.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            accounts: read(&self.accounts).len(),
            slots: read(&self.storage).len(),
            codes: read(&self.shared.code).len(),
        }
    }

    /// Fetches the given accounts and slots that are not cached yet, concurrently; returns how
    /// many reads went to the node. Failures are logged and counted, not returned: a prefetch
    /// only saves a later miss.
    pub async fn prefetch(&self, accounts: &[Address], slots: &[(Address, U256)]) -> usize {
        let head = self.number();
        let accounts: Vec<_> = accounts.iter().map(|a| (*a, head)).collect();
        let slots: Vec<_> = slots.iter().map(|k| (*k, head)).collect();
        self.refetch(accounts, slots).await
    }

    /// Fetches accounts and slots not cached yet, each marked last read at the given head (so
    /// an entry refetched for a new head still ages from its last real read).
    async fn refetch(&self, accounts: Hot<Address>, slots: Hot<SlotKey>) -> usize {
        let accounts: Hot<Address> = {
            let cached = read(&self.accounts);
            accounts.into_iter().filter(|(a, _)| !cached.contains_key(a)).collect()
        };
        let slots: Hot<SlotKey> = {
            let cached = read(&self.storage);
            slots.into_iter().filter(|(k, _)| !cached.contains_key(k)).collect()
        };
        let fetches = accounts.len() + slots.len();
        if fetches == 0 {
            return 0;
        }
        let concurrency = self.shared.config.prefetch_concurrency.max(1);
        // Futures built up front and results handled in plain loops (no `async` closures
        // over `self`): rustc can then prove the head task's future `Send`.
        let account_reads: Vec<_> = accounts
            .into_iter()
            .map(|(address, last_used)| {
                let known = self.known_code(address);
                let fetched = self.shared.fetcher.account(self.info.hash, address, known.is_none());
                async move { (address, last_used, known, fetched.await) }
            })
            .collect();
        let slot_reads: Vec<_> = slots
            .into_iter()
            .map(|((address, slot), last_used)| {
                let fetched = self.shared.fetcher.storage(self.info.hash, address, slot);
                async move { (address, slot, last_used, fetched.await) }
            })
            .collect();
        let accounts_done = async {
            let mut reads = stream::iter(account_reads).buffer_unordered(concurrency);
            while let Some((address, last_used, known, fetched)) = reads.next().await {
                match fetched {
                    Ok(fetched) => {
                        ::metrics::counter!(metrics::PREFETCHES, "kind" => "account").increment(1);
                        if let Err(err) = self.insert_account(address, fetched, known, last_used) {
                            self.fetch_failed("account", &err);
                        }
                    }
                    Err(err) => self.fetch_failed("account", &err),
                }
            }
        };
        let slots_done = async {
            let mut reads = stream::iter(slot_reads).buffer_unordered(concurrency);
            while let Some((address, slot, last_used, value)) = reads.next().await {
                match value {
                    Ok(value) => {
                        ::metrics::counter!(metrics::PREFETCHES, "kind" => "storage").increment(1);
                        write(&self.storage).insert((address, slot), Entry::new(value, last_used));
                    }
                    Err(err) => self.fetch_failed("storage", &err),
                }
            }
        };
        tokio::join!(accounts_done, slots_done);
        fetches
    }

    fn fetch_failed(&self, kind: &'static str, err: &StateError) {
        ::metrics::counter!(metrics::FETCH_ERRORS, "kind" => kind).increment(1);
        warn!(target: "searcher::state", head = self.info.number, kind, %err, "state fetch failed");
    }

    fn known_code(&self, address: Address) -> Option<(B256, Bytecode)> {
        let hash = *read(&self.contract_code).get(&address)?;
        let code = read(&self.shared.code).get(&hash)?.clone();
        Some((hash, code))
    }

    /// Caches a fetched account; returns what revm sees (`None`: the account does not exist).
    fn insert_account(
        &self,
        address: Address,
        fetched: FetchedAccount,
        known: Option<(B256, Bytecode)>,
        last_used: u64,
    ) -> Result<Option<AccountInfo>> {
        let (code_hash, code) = match (known, fetched.code) {
            (Some(known), _) => known,
            (None, Some(raw)) => self.intern_code(address, raw),
            (None, None) => return Err(StateError::CodeNotCached(B256::ZERO)),
        };
        let info = if fetched.nonce == 0 && fetched.balance.is_zero() && code.is_empty() {
            None
        } else {
            Some(AccountInfo::new(fetched.balance, fetched.nonce, code_hash, code))
        };
        write(&self.accounts).insert(address, Entry::new(info.clone(), last_used));
        Ok(info)
    }

    /// Analyses and caches code (once per hash); remembers contracts' code by address.
    fn intern_code(&self, address: Address, raw: Bytes) -> (B256, Bytecode) {
        let (hash, code) = analyse(raw);
        if code.is_empty() {
            return (hash, code);
        }
        let code = {
            let mut codes = write(&self.shared.code);
            codes.entry(hash).or_insert(code).clone()
        };
        if !code.is_eip7702() {
            write(&self.contract_code).insert(address, hash);
        }
        (hash, code)
    }

    /// The next head's state: what `invalidation` leaves of this one, plus the lists of
    /// recently read accounts and slots it dropped (to fetch again).
    fn successor(
        &self,
        info: HeadInfo,
        invalidation: &Invalidation,
    ) -> (Self, Hot<Address>, Hot<SlotKey>) {
        let config = &self.shared.config;
        let keep_from = info.number.saturating_sub(config.keep_heads);
        let hot_from = info.number.saturating_sub(config.prefetch_heads);
        let next = Self::new(info, Arc::clone(&self.shared));
        let (mut hot_accounts, mut hot_slots) = (Vec::new(), Vec::new());
        {
            let mut carried = write(&next.accounts);
            for (address, entry) in read(&self.accounts).iter() {
                let last = entry.last_used();
                if last < keep_from {
                    continue;
                }
                let changed = match invalidation {
                    Invalidation::Changes(changes) => changes.accounts.contains(address),
                    Invalidation::Unknown | Invalidation::Reorg => true,
                };
                if !changed {
                    carried.insert(*address, entry.carry());
                } else if last >= hot_from {
                    hot_accounts.push((*address, last));
                }
            }
        }
        {
            let mut carried = write(&next.storage);
            for (key, entry) in read(&self.storage).iter() {
                let last = entry.last_used();
                if last < keep_from {
                    continue;
                }
                let changed = match invalidation {
                    Invalidation::Changes(changes) => changes.slots.contains(key),
                    Invalidation::Unknown | Invalidation::Reorg => true,
                };
                if !changed {
                    carried.insert(*key, entry.carry());
                } else if last >= hot_from {
                    hot_slots.push((*key, last));
                }
            }
        }
        if !matches!(invalidation, Invalidation::Reorg) {
            *write(&next.contract_code) = read(&self.contract_code).clone();
            *write(&next.block_hashes) = read(&self.block_hashes).clone();
        }
        (next, hot_accounts, hot_slots)
    }
}

impl DatabaseRef for HeadState {
    type Error = StateError;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>> {
        if let Some(entry) = read(&self.accounts).get(&address) {
            return Ok(entry.read(self.info.number));
        }
        self.count_miss("account");
        let known = self.known_code(address);
        let fetcher = &self.shared.fetcher;
        let fetched = fetcher
            .block_on(address, fetcher.account(self.info.hash, address, known.is_none()))
            .inspect_err(|err| self.fetch_failed("account", err))?;
        debug!(target: "searcher::state", head = self.info.number, %address, "account miss");
        self.insert_account(address, fetched, known, self.info.number)
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode> {
        // Accounts always carry their code, so revm only asks for code it was given.
        read(&self.shared.code).get(&code_hash).cloned().ok_or(StateError::CodeNotCached(code_hash))
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256> {
        if let Some(entry) = read(&self.storage).get(&(address, index)) {
            return Ok(entry.read(self.info.number));
        }
        self.count_miss("storage");
        let fetcher = &self.shared.fetcher;
        let value = fetcher
            .block_on(address, fetcher.storage(self.info.hash, address, index))
            .inspect_err(|err| self.fetch_failed("storage", err))?;
        debug!(target: "searcher::state", head = self.info.number, %address, slot = %index, "storage miss");
        write(&self.storage).insert((address, index), Entry::new(value, self.info.number));
        Ok(value)
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256> {
        if number == self.info.number {
            return Ok(self.info.hash);
        }
        if let Some(hash) = read(&self.block_hashes).get(&number) {
            return Ok(*hash);
        }
        self.count_miss("block_hash");
        let fetcher = &self.shared.fetcher;
        let hash = fetcher
            .block_on(Address::ZERO, fetcher.block_hash(number))
            .inspect_err(|err| self.fetch_failed("block_hash", err))?;
        write(&self.block_hashes).insert(number, hash);
        Ok(hash)
    }
}

/// The warm state cache: the node connection and the current head's state.
#[derive(Debug)]
pub struct StateCache {
    shared: Arc<Shared>,
    current: RwLock<Arc<HeadState>>,
    /// Serialises head changes.
    advancing: tokio::sync::Mutex<()>,
}

impl StateCache {
    /// Connects the cache to the node behind `provider` (the watch stage's provider) and starts
    /// it at the latest block. Must be called inside a tokio runtime, whose handle serves misses
    /// fetched from threads outside it.
    pub async fn connect(provider: DynProvider, config: StateConfig) -> Result<Self> {
        Self::start(fetch::Source::Fixed(provider), config).await
    }

    /// Like [`Self::connect`], reading through the engine's shared connection, so that reads
    /// after a reconnect use the new provider.
    pub async fn connect_node(node: crate::watch::NodeClient, config: StateConfig) -> Result<Self> {
        Self::start(fetch::Source::Node(node), config).await
    }

    async fn start(source: fetch::Source, config: StateConfig) -> Result<Self> {
        let provider = source.provider();
        let fetcher = Fetcher {
            source,
            handle: tokio::runtime::Handle::current(),
            timeout: config.fetch_timeout,
        };
        let chain = match config.chain {
            Some(chain) => chain,
            None => {
                let chain_id = provider
                    .get_chain_id()
                    .await
                    .map_err(|source| StateError::Transport { what: "chain id".into(), source })?;
                ChainConfig::ethereum(chain_id)
            }
        };
        let header = fetcher.latest_header().await?;
        let info = HeadInfo::from_header(&header)?;
        let shared = Arc::new(Shared { fetcher, chain, config, code: RwLock::default() });
        let head = Arc::new(HeadState::new(info, Arc::clone(&shared)));
        Ok(Self { shared, current: RwLock::new(head), advancing: tokio::sync::Mutex::new(()) })
    }

    /// The current head's state. Callers keep the `Arc` for the whole of one prediction or
    /// simulation, so a head change midway cannot mix two states.
    pub fn head(&self) -> Arc<HeadState> {
        Arc::clone(&read(&self.current))
    }

    /// The chain rules.
    pub fn chain(&self) -> &ChainConfig {
        &self.shared.chain
    }

    /// The provider the cache reads through (now).
    pub fn provider(&self) -> DynProvider {
        self.shared.fetcher.source.provider()
    }

    /// Installs `header` as the new head: decides what the previous head's cache keeps (the
    /// block's state diff when it extends the previous head and the node serves diff traces),
    /// fetches the dropped entries read in the last few heads again, then publishes it. A
    /// header equal to the current head is a no-op.
    pub async fn advance(&self, header: &Header) -> Result<Arc<HeadState>> {
        let _guard = self.advancing.lock().await;
        let next = self.prepare_unlocked(header).await?;
        self.publish(Arc::clone(&next));
        Ok(next)
    }

    /// Builds the state of `header` (diff, carry-over, prefetch) without publishing it: the
    /// caller publishes it with [`Self::publish`] together with whatever must change at the
    /// same instant (the engine: the market). Calls must not interleave with other head
    /// changes (the engine's head task is the only caller).
    pub async fn prepare(&self, header: &Header) -> Result<Arc<HeadState>> {
        let _guard = self.advancing.lock().await;
        self.prepare_unlocked(header).await
    }

    /// Makes `next` the current head.
    pub fn publish(&self, next: Arc<HeadState>) {
        *write(&self.current) = next;
    }

    async fn prepare_unlocked(&self, header: &Header) -> Result<Arc<HeadState>> {
        let info = HeadInfo::from_header(header)?;
        let previous = self.head();
        if info.hash == previous.info.hash {
            return Ok(previous);
        }
        let invalidation = if info.parent_hash != previous.info.hash {
            Invalidation::Reorg
        } else if self.shared.config.trace_diffs {
            match self.shared.fetcher.block_changes(info.hash).await {
                Ok(changes) => Invalidation::Changes(changes),
                Err(err) => {
                    warn!(target: "searcher::state", block = info.number, %err, "no state diff; dropping cached state");
                    Invalidation::Unknown
                }
            }
        } else {
            Invalidation::Unknown
        };
        Ok(self.build(&previous, info, invalidation).await)
    }

    /// Installs a new head with a caller-supplied invalidation (e.g. from reth's chain
    /// notifications, which carry the block's state changes).
    pub async fn advance_with(&self, info: HeadInfo, invalidation: Invalidation) -> Arc<HeadState> {
        let _guard = self.advancing.lock().await;
        let previous = self.head();
        let next = self.build(&previous, info, invalidation).await;
        self.publish(Arc::clone(&next));
        next
    }

    /// Builds the successor of `previous` and refetches its hot dropped entries.
    async fn build(
        &self,
        previous: &HeadState,
        info: HeadInfo,
        invalidation: Invalidation,
    ) -> Arc<HeadState> {
        let started = Instant::now();
        let (mut next, hot_accounts, hot_slots) = previous.successor(info, &invalidation);
        let carried = next.stats();
        let refetched = next.refetch(hot_accounts, hot_slots).await;
        next.origin = HeadOrigin { mode: invalidation.label(), carried, refetched };
        let next = Arc::new(next);

        let stats = next.stats();
        ::metrics::counter!(metrics::HEADS, "mode" => invalidation.label()).increment(1);
        ::metrics::gauge!(metrics::ENTRIES, "kind" => "account").set(stats.accounts as f64);
        ::metrics::gauge!(metrics::ENTRIES, "kind" => "storage").set(stats.slots as f64);
        ::metrics::gauge!(metrics::ENTRIES, "kind" => "code").set(stats.codes as f64);
        ::metrics::histogram!(metrics::ADVANCE_SECONDS).record(started.elapsed().as_secs_f64());
        debug!(
            target: "searcher::state",
            block = info.number,
            mode = invalidation.label(),
            carried_accounts = carried.accounts,
            carried_slots = carried.slots,
            refetched,
            elapsed_us = started.elapsed().as_micros() as u64,
            "head prepared"
        );
        next
    }
}

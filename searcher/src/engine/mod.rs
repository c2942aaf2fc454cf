//! The engine: wires the stages into the running searcher. Four tasks, data flowing one way:
//!
//! ```text
//!  watch ─ pending ─▶ dispatch loop ─▶ worker (blocking thread, owned permit):
//!        │                              decode → predict → strategy → exec ⇄ sim → sign
//!        │                                 └─▶ send task: record bundle (commit) → fan-out,
//!        │                                     each relay answer recorded as it arrives
//!        ├ heads ───▶ head task: state.prepare ∥ logs ∥ nonce → one write lock:
//!        │                       market apply + checkpoint, state.publish → inclusion task
//!        └ status ──▶ alerts (node down *during* the outage, and back)
//!  inclusion task: verdicts of due bundles (blocks and receipts fetched concurrently)
//!  store writer: every record, batched, off the hot path (see [`crate::store::writer`])
//! ```
//!
//! - The dispatch loop only hands pending transactions to workers: nothing on the head path,
//!   no relay and no database write can delay the next victim. A worker holds its permit
//!   (an `Arc<Semaphore>` owned permit, returned on drop, panics included) while it plans
//!   (revm and native math, plus any state miss revm must fetch from the node); recording and
//!   sending happen on the worker's own task after the permit is returned.
//! - The market's read guard is held by a worker only through predict and strategy (until it
//!   has owned candidates). The head task takes the write lock after its node round trips for
//!   the common case (a block extending ours: logs prefetched); under it the market applies
//!   the block and checkpoints it (one SQLite transaction), and the new state is published.
//!   A reorg, a gap or a reload still reads from the node under the lock.
//! - Shutdown waits for in-flight work and flushes the store writer: no record is lost.

mod heads;
mod hints;
mod hot_path;
mod inclusion;
mod risk;
mod send;
mod stats;
#[cfg(test)]
mod tests;

pub use hot_path::{NoPlan, Plan, program_for};
pub use risk::{Risk, RiskBlock};
pub use stats::{Stats, StatsSnapshot};

use crate::{
    alerts::Alerter,
    config::Config,
    exec::{gas::GasMemo, nonce::NonceManager},
    keys::Keys,
    market::world::Market,
    metrics::{self as m},
    predict::Predictor,
    sim::{ProfitProbe, Simulator},
    state::{StateCache, StateConfig},
    store::{Store, Writer},
    strategy::StrategyParams,
    watch::{NodeClient, NodeStatus, PendingTx, WatchConfig, Watcher},
};
use alloy::{
    primitives::{Address, TxHash},
    providers::Provider,
    signers::local::Secp256k1Signer,
};
use bundles::{
    fanout::Fanout,
    inclusion::{BuilderRule, BuilderTable},
};
use eyre::{WrapErr, eyre};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex, atomic::AtomicBool},
    time::{Duration, SystemTime, UNIX_EPOCH},
};
use tokio::{
    sync::{Semaphore, watch},
    task::JoinSet,
};
use tracing::{error, info, warn};

/// Pending transactions planned at once (each on a blocking thread).
pub const HOT_PATH_WORKERS: usize = 2;

/// Unix time in milliseconds.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Options that are not part of the operator's config file.
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    /// Extra builder-name rules (fee recipient / extraData → name).
    pub builders: Vec<BuilderRule>,
    /// Watch-loop tuning.
    pub watch: WatchConfig,
}

/// Shared by the engine's tasks and the hot-path workers.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) chain_id: u64,
    /// The trading key (libsecp256k1: the hot path signs one backrun per plan with it).
    pub(crate) signer: Secp256k1Signer,
    /// Execution gas learned per cycle (see [`crate::exec::gas`]).
    pub(crate) gas_memo: GasMemo,
    pub(crate) node: NodeClient,
    pub(crate) state: StateCache,
    pub(crate) market: tokio::sync::RwLock<Market>,
    pub(crate) store: Store,
    pub(crate) writer: Writer,
    pub(crate) fanout: Arc<Fanout>,
    pub(crate) nonces: NonceManager,
    pub(crate) predictor: Predictor,
    pub(crate) simulator: Simulator,
    /// Strategy knobs, built once from the config (the base fee is per head).
    pub(crate) strategy: StrategyParams,
    pub(crate) risk: Risk,
    pub(crate) stats: Stats,
    pub(crate) builders: BuilderTable,
    pub(crate) weth: Address,
    pub(crate) watch_config: WatchConfig,
    pub(crate) alerts: Alerter,
    /// Kill-switch state at the last head (alerts fire on changes).
    pub(crate) was_killed: AtomicBool,
    permits: Arc<Semaphore>,
    /// Victims already handled, with the head they were seen at (a node may announce a
    /// transaction again, e.g. after a reorg or a re-broadcast).
    seen: Mutex<HashMap<TxHash, u64>>,
    store_writer: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// The running searcher.
#[derive(Debug, Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl Engine {
    /// Connects to the node and the store, bootstraps the market and prepares every stage.
    pub async fn start(config: Config, keys: Keys, options: EngineOptions) -> eyre::Result<Self> {
        m::describe();
        let node = NodeClient::connect(config.node.endpoint.clone()).await?;
        let provider = node.provider();
        let chain_id = provider.get_chain_id().await.wrap_err("eth_chainId")?;
        if let Some(expected) = config.node.chain_id
            && expected != chain_id
        {
            return Err(eyre!("node is on chain {chain_id}, config says {expected}"));
        }
        let trading_address = keys.trading.address();
        check_executor(&provider, config.executor.address, trading_address, chain_id).await?;
        let store = Store::open(&config.store.path).await?;
        let (market, report) = Market::bootstrap(&provider, &store, config.market.clone())
            .await
            .wrap_err("bootstrapping the market")?;
        info!(
            target: "searcher::engine",
            head = report.head.number,
            pools = market.pools().len(),
            cycles = report.cycles,
            elapsed_ms = report.elapsed.as_millis() as u64,
            "market ready"
        );
        let state = StateCache::connect_node(node.clone(), StateConfig::default())
            .await
            .wrap_err("state cache")?;
        let weth = *config
            .market
            .base_tokens
            .first()
            .ok_or_else(|| eyre!("market.base-tokens is empty"))?;
        let head = state.head();
        let signer = keys.trading.to_secp256k1();
        let nonce = provider
            .get_transaction_count(trading_address)
            .block_id(head.number().into())
            .await
            .wrap_err("nonce of the trading key")?;
        let fanout = Arc::new(Fanout::new(&config.relays, keys.identity.clone())?);
        let mut rules = config.builders.clone();
        rules.extend(options.builders.iter().cloned());
        rules.extend(config.relays.iter().map(|r| BuilderRule {
            name: r.name.clone(),
            fee_recipient: None,
            extra_data: Some(r.name.clone()),
        }));
        let (writer, writer_task) = Writer::spawn(store.clone());
        let inner = Inner {
            chain_id,
            signer,
            gas_memo: GasMemo::default(),
            nonces: NonceManager::new(config.strategy.nonce_policy, head.number(), nonce),
            predictor: Predictor::new([trading_address]),
            simulator: Simulator::new(ProfitProbe { token: weth, holder: config.executor.address }),
            strategy: StrategyParams::from_config(&config),
            risk: Risk::new(&config.risk),
            alerts: Alerter::new(&config.alerts),
            was_killed: AtomicBool::new(false),
            stats: Stats::default(),
            builders: BuilderTable::new(rules),
            market: tokio::sync::RwLock::new(market),
            node,
            state,
            store,
            writer,
            fanout,
            weth,
            watch_config: options.watch,
            permits: Arc::new(Semaphore::new(HOT_PATH_WORKERS)),
            seen: Mutex::default(),
            store_writer: Mutex::new(Some(writer_task)),
            config,
        };
        Ok(Self { inner: Arc::new(inner) })
    }

    /// Live counters (blocks, pending transactions, victims, candidates, bundles, landed,
    /// profit).
    pub fn stats(&self) -> StatsSnapshot {
        self.inner.stats.snapshot()
    }

    /// Runs the hot path for one pending transaction on the current head without sending
    /// anything: decode → predict → strategy → exec ⇄ sim → sign. Blocking (revm); for
    /// benchmarks and tests.
    #[cfg(any(test, feature = "test-utils"))]
    pub fn plan_pending(&self, tx: &alloy::rpc::types::Transaction) -> Result<Plan, NoPlan> {
        self.inner.plan(tx)
    }

    /// Runs the hot path for one transaction read from the Arbitrum sequencer feed, on
    /// `pending` (replaced first if the head has moved on), without sending anything. Blocking
    /// (revm); for tests and benchmarks until the feed is wired into [`Engine::run`].
    #[cfg(any(test, feature = "test-utils"))]
    pub fn plan_sequenced(
        &self,
        tx: &alloy::consensus::transaction::Recovered<alloy::consensus::TxEnvelope>,
        pending: &mut crate::predict::PendingBlock,
    ) -> Result<Plan, NoPlan> {
        self.inner.plan_sequenced(tx, pending)
    }

    /// An empty pending block on the engine's current head, for [`Engine::plan_sequenced`].
    pub fn pending_block(&self) -> crate::predict::PendingBlock {
        crate::predict::PendingBlock::new(self.inner.state.head(), None)
    }

    /// Forgets the execution gas learned per cycle, so the next plan of any cycle takes the
    /// first-sight path (for benchmarks).
    #[cfg(any(test, feature = "test-utils"))]
    pub fn forget_learned_gas(&self) {
        self.inner.gas_memo.clear();
    }

    /// The kill switch.
    pub fn risk(&self) -> &Risk {
        &self.inner.risk
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Runs until `shutdown` turns true; then finishes in-flight work and flushes the store.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) -> eyre::Result<()> {
        let inner = &self.inner;
        let (stop_tasks, stop_rx) = watch::channel(false);
        let (ch, watch_task) =
            Watcher::spawn(inner.node.clone(), inner.watch_config.clone(), stop_rx.clone());
        let (head_tx, head_rx) = watch::channel(inner.state.head().number());
        let mut tasks = JoinSet::new();
        tasks.spawn(heads::run(self.inner.clone(), ch.heads, head_tx));
        tasks.spawn(inclusion::run(self.inner.clone(), head_rx, stop_rx.clone()));
        if let Some(url) = &inner.config.mev_share.url {
            // Its own task and channel: nothing here waits on it, nor it on the node.
            let config = crate::watch::HintConfig {
                capacity: inner.config.mev_share.capacity,
                ..crate::watch::HintConfig::new(url.clone())
            };
            let (hint_channels, hint_task) =
                crate::watch::HintSource::spawn(config, stop_rx.clone());
            tasks.spawn(async move {
                let _ = hint_task.await;
            });
            tasks.spawn(hints::run(self.inner.clone(), hint_channels, stop_rx.clone()));
        }
        tasks.spawn(status_alerts(self.inner.clone(), ch.status, stop_rx));
        let mut pending = ch.pending;
        let mut work = JoinSet::new();
        info!(target: "searcher::engine", executor = %inner.config.executor.address, "running");
        loop {
            // A worker first, then a transaction: while every worker is busy, pending
            // transactions wait in the watch channel (bounded; overflow counted) rather than
            // being shed, so a burst of junk cannot crowd out the victims behind it.
            let permit = tokio::select! {
                biased;
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() { break; }
                    continue;
                }
                permit = inner.permits.clone().acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break,
                },
            };
            let next = tokio::select! {
                biased;
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() { break; }
                    continue;
                }
                next = pending.recv() => next,
            };
            let Some(tx) = next else { break };
            reap(&mut work);
            if inner.already_seen(*tx.tx.inner.tx_hash()) {
                m::skip(m::EngineSkip::Duplicate);
                continue;
            }
            inner.stats.pending_seen();
            m::channel_lag("pending", tx.received_at.elapsed());
            let inner = self.inner.clone();
            work.spawn(async move { inner.handle_pending(tx, permit).await });
        }
        info!(target: "searcher::engine", in_flight = work.len(), "shutting down");
        let _ = stop_tasks.send(true);
        while let Some(done) = work.join_next().await {
            log_join(done);
        }
        // The head task ends with the watch channel; the others on `stop_tasks`.
        let _ = tokio::time::timeout(Duration::from_secs(5), watch_task).await;
        while let Some(done) = tasks.join_next().await {
            log_join(done);
        }
        // Every task that records has ended: the writer commits what they queued (retrying
        // what a failing store held) and stops.
        inner.writer.close().await;
        let writer_task = inner.store_writer.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(task) = writer_task {
            let _ = tokio::time::timeout(Duration::from_secs(15), task).await;
        }
        drop(pending);
        inner.store.close().await;
        info!(target: "searcher::engine", "stopped; every record flushed");
        Ok(())
    }
}

/// The executor must be deployed and owned by the trading key: otherwise every simulation
/// would fail and nothing would say why.
async fn check_executor(
    provider: &alloy::providers::DynProvider,
    executor: Address,
    trading: Address,
    chain_id: u64,
) -> eyre::Result<()> {
    let code = provider.get_code_at(executor).await.wrap_err("eth_getCode of the executor")?;
    if code.is_empty() {
        return Err(eyre!(
            "executor {executor} has no code on chain {chain_id}: deploy it (forge script script/Deploy.s.sol) and set executor.address"
        ));
    }
    let owner =
        crate::abi::IExecutor::new(executor, provider).owner().call().await.map_err(|err| {
            eyre!("executor {executor} does not answer owner() ({err}): is it our executor?")
        })?;
    if owner != trading {
        return Err(eyre!(
            "executor {executor} is owned by {owner}, not by the trading key {trading}"
        ));
    }
    Ok(())
}

/// Collects finished workers without waiting; logs panics.
fn reap(work: &mut JoinSet<()>) {
    while let Some(done) = work.try_join_next() {
        log_join(done);
    }
}

fn log_join(done: Result<(), tokio::task::JoinError>) {
    if let Err(err) = done
        && err.is_panic()
    {
        // The panicking worker's permit was dropped with it: its slot is free again.
        m::error(m::ErrorKind::WorkerPanic);
        error!(target: "searcher::engine", %err, "a worker panicked; its slot is returned");
    }
}

/// Alerts when the node connection goes down (at once, during the outage) and when it is back,
/// and when the store stops or resumes taking writes.
async fn status_alerts(
    inner: Arc<Inner>,
    mut status: watch::Receiver<NodeStatus>,
    mut stop: watch::Receiver<bool>,
) {
    let mut store = inner.writer.health();
    loop {
        tokio::select! {
            changed = status.changed() => if changed.is_err() { return },
            changed = store.changed() => {
                if changed.is_err() { return }
                let healthy = *store.borrow_and_update();
                if !healthy {
                    error!(target: "searcher::engine", "the store refuses writes: nothing is sent until it recovers");
                }
                inner.alerts.store(healthy);
                continue;
            }
            _ = stop.changed() => return,
        }
        let now = status.borrow_and_update().clone();
        match now {
            NodeStatus::Down { reason, .. } => {
                warn!(target: "searcher::engine", %reason, "node unreachable; nothing is planned until it is back");
                inner.alerts.node_unreachable(&format!("node unreachable: {reason}"));
            }
            NodeStatus::Connected => {
                info!(target: "searcher::engine", "node reachable again; resyncing");
                inner.alerts.node_back();
            }
        }
    }
}

impl Inner {
    /// Counts an error (stats, alert burst detection).
    pub(crate) fn error(&self, kind: m::ErrorKind) {
        self.stats.error();
        m::error(kind);
        self.alerts.error(kind.as_str());
    }

    /// Whether this victim was already handled; forgets entries a few heads old.
    fn already_seen(&self, hash: TxHash) -> bool {
        let head = self.stats.head();
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() > 50_000 {
            seen.retain(|_, at| *at + 8 > head);
        }
        seen.insert(hash, head).is_some()
    }

    /// Plans one pending transaction on a blocking thread (holding `permit` only for that),
    /// then records and sends what it produced.
    async fn handle_pending(
        self: Arc<Self>,
        pending: PendingTx,
        permit: tokio::sync::OwnedSemaphorePermit,
    ) {
        if let Some(reason) = self.risk.blocked() {
            m::skip(reason);
            return;
        }
        let this = self.clone();
        let received_at = pending.received_at;
        let tx = pending.tx;
        let planned = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            this.plan(&tx)
        })
        .await;
        match planned {
            Ok(Ok(mut plan)) => {
                m::stage_latency(m::StageName::ReceivedToSigned, received_at.elapsed());
                let dropped = std::mem::take(&mut plan.dropped);
                self.send(plan, received_at).await;
                for record in dropped {
                    self.writer.opportunity(record).await;
                }
            }
            Ok(Err(NoPlan::Dropped(_))) => {}
            Ok(Err(NoPlan::NoneViable(records))) => {
                for record in records {
                    self.writer.opportunity(record).await;
                }
            }
            Err(join) => {
                self.error(m::ErrorKind::WorkerPanic);
                error!(target: "searcher::engine", %join, "hot path worker failed");
            }
        }
    }
}

/// Realised profit of a landed backrun: the executor's WETH balance change across the
/// transaction, from its receipt's WETH events (Transfer in/out, Deposit, Withdrawal).
pub fn realised_profit(
    receipt: &alloy::rpc::types::TransactionReceipt,
    weth: Address,
    executor: Address,
) -> alloy::primitives::I256 {
    use crate::abi::IWETH9;
    use alloy::{
        primitives::{I256, U256},
        sol_types::SolEvent,
    };
    let mut delta = I256::ZERO;
    let signed = |v: U256| I256::try_from(v).unwrap_or(I256::MAX);
    for log in receipt.inner.logs() {
        if log.address() != weth {
            continue;
        }
        if let Ok(t) = IWETH9::Transfer::decode_log(&log.inner) {
            if t.to == executor {
                delta += signed(t.value);
            }
            if t.from == executor {
                delta -= signed(t.value);
            }
        } else if let Ok(w) = IWETH9::Withdrawal::decode_log(&log.inner) {
            if w.src == executor {
                delta -= signed(w.wad);
            }
        } else if let Ok(d) = IWETH9::Deposit::decode_log(&log.inner)
            && d.dst == executor
        {
            delta += signed(d.wad);
        }
    }
    delta
}

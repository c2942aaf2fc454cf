//! The engine: wires the stages into the running searcher.
//!
//! ```text
//!  watch ─ pending ─> [blocking pool] decode → predict → strategy → exec → sim ─> bundles ─> store
//!        └ heads ───> state.advance → market.sync_to → nonce resync → inclusion of due bundles
//! ```
//!
//! - Heads are handled in order on the engine task; pending transactions each on a blocking
//!   thread (revm), at most `hot_path_workers` at once; the others wait in the watch stage's
//!   bounded pending channel, whose overflow drops and counts.
//! - Every opportunity, bundle, relay answer and verdict is written to the store before the
//!   engine moves on; shutdown waits for in-flight work, so no record is lost.

mod heads;
mod hot_path;
mod risk;
mod stats;

pub use hot_path::{NoPlan, Plan, program_for};
pub use risk::Risk;
pub use stats::{Stats, StatsSnapshot};

use crate::{
    alerts::Alerter,
    config::Config,
    exec::{gas::GasMemo, nonce::NonceManager},
    keys::Keys,
    market::world::Market,
    metrics::{self as m, CHANNEL_LAG_SECONDS},
    predict::Predictor,
    sim::{ProfitProbe, Simulator},
    state::{StateCache, StateConfig},
    store::{
        Store,
        bundles::{BundleRecord, OpportunityRecord},
    },
    watch::{HeadEvent, NodeClient, PendingTx, WatchConfig, Watcher},
};
use alloy::{
    primitives::{Address, U256},
    providers::Provider,
    signers::local::{PrivateKeySigner, Secp256k1Signer},
};
use bundles::{
    bundle::Bundle,
    fanout::Fanout,
    inclusion::{BuilderRule, BuilderTable},
};
use eyre::{WrapErr, eyre};
use std::{
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};
use tokio::{
    sync::{Semaphore, watch},
    task::JoinSet,
};
use tracing::{info, warn};

/// Pending transactions handled at once (each on a blocking thread).
pub const DEFAULT_HOT_PATH_WORKERS: usize = 2;

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

/// Shared by the engine task and the hot-path workers.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) chain_id: u64,
    pub(crate) trading: PrivateKeySigner,
    /// The trading key on libsecp256k1, for the hot path's one signature per backrun.
    pub(crate) signer: Secp256k1Signer,
    /// Execution gas learned per cycle (see [`crate::exec::gas`]).
    pub(crate) gas_memo: GasMemo,
    pub(crate) node: NodeClient,
    pub(crate) state: StateCache,
    pub(crate) market: tokio::sync::RwLock<Market>,
    pub(crate) store: Store,
    pub(crate) fanout: Fanout,
    pub(crate) nonces: NonceManager,
    pub(crate) predictor: Predictor,
    pub(crate) simulator: Simulator,
    pub(crate) risk: Risk,
    pub(crate) stats: Stats,
    pub(crate) builders: BuilderTable,
    pub(crate) weth: Address,
    pub(crate) watch_config: WatchConfig,
    pub(crate) alerts: Alerter,
    /// Kill-switch state at the last head (alerts fire on changes).
    pub(crate) was_killed: std::sync::atomic::AtomicBool,
    tracked: watch::Sender<Arc<Vec<Address>>>,
    permits: Semaphore,
    /// Victims already handled, with the head they were seen at (a node may announce a
    /// transaction again, e.g. after a reorg or a re-broadcast).
    seen: std::sync::Mutex<std::collections::HashMap<alloy::primitives::TxHash, u64>>,
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
        let state = StateCache::connect(provider.clone(), StateConfig::default())
            .await
            .wrap_err("state cache")?;
        let weth = *config
            .market
            .base_tokens
            .first()
            .ok_or_else(|| eyre!("market.base-tokens is empty"))?;
        let head = state.head();
        let trading_address = keys.trading.address();
        let nonce = provider
            .get_transaction_count(trading_address)
            .block_id(head.number().into())
            .await
            .wrap_err("nonce of the trading key")?;
        let fanout = Fanout::new(&config.relays, keys.identity.clone())?;
        let mut rules = config.builders.clone();
        rules.extend(options.builders.iter().cloned());
        rules.extend(config.relays.iter().map(|r| BuilderRule {
            name: r.name.clone(),
            fee_recipient: None,
            extra_data: Some(r.name.clone()),
        }));
        let tracked_addresses = tracked_pools(&market);
        let (tracked, _) = watch::channel(Arc::new(tracked_addresses));
        let inner = Inner {
            chain_id,
            signer: keys.trading.to_secp256k1(),
            trading: keys.trading,
            gas_memo: GasMemo::default(),
            nonces: NonceManager::new(config.strategy.nonce_policy, head.number(), nonce),
            predictor: Predictor::new([trading_address]),
            simulator: Simulator::new(ProfitProbe { token: weth, holder: config.executor.address }),
            risk: Risk::new(&config.risk),
            alerts: Alerter::new(&config.alerts),
            was_killed: std::sync::atomic::AtomicBool::new(false),
            stats: Stats::default(),
            builders: BuilderTable::new(rules),
            market: tokio::sync::RwLock::new(market),
            node,
            state,
            store,
            fanout,
            weth,
            watch_config: options.watch,
            tracked,
            permits: Semaphore::new(DEFAULT_HOT_PATH_WORKERS),
            seen: Default::default(),
            config,
        };
        Ok(Self { inner: Arc::new(inner) })
    }

    /// Live counters (blocks, victims, candidates, bundles, landed, profit).
    pub fn stats(&self) -> StatsSnapshot {
        self.inner.stats.snapshot()
    }

    /// Runs the hot path for one pending transaction on the current head without sending
    /// anything: decode → predict → strategy → exec → sim → sign. Blocking (revm); for
    /// benchmarks and dry runs.
    pub fn plan_pending(&self, tx: &alloy::rpc::types::Transaction) -> Result<Plan, NoPlan> {
        self.inner.plan(tx)
    }

    /// Forgets the execution gas learned per cycle, so the next plan of any cycle takes the
    /// first-sight path (for benchmarks).
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
        let (stop_watch, watch_stop_rx) = watch::channel(false);
        let (mut ch, watch_task) = Watcher::spawn(
            inner.node.clone(),
            inner.watch_config.clone(),
            inner.tracked.subscribe(),
            watch_stop_rx,
        );
        let mut work = JoinSet::new();
        info!(target: "searcher::engine", executor = %inner.config.executor.address, "running");
        loop {
            tokio::select! {
                biased;
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() { break; }
                }
                head = ch.heads.recv() => {
                    let Some(event) = head else { break };
                    match event {
                        HeadEvent::New { header, received_at, .. } => {
                            metrics::histogram!(CHANNEL_LAG_SECONDS, "source" => "heads")
                                .record(received_at.elapsed().as_secs_f64());
                            if let Err(err) = inner.on_head(&header).await {
                                inner.error("head handling");
                                warn!(target: "searcher::engine", block = header.number, %err, "head handling failed");
                            }
                        }
                        HeadEvent::Reconnected { downtime } => {
                            inner.alerts.node_unreachable(&format!("reconnected after {} s", downtime.as_secs()));
                            warn!(target: "searcher::engine", downtime_ms = downtime.as_millis() as u64, "node reconnected; resyncing on the next head");
                        }
                    }
                }
                // Taken only when a worker is free: meanwhile pending transactions wait in
                // the watch channel (bounded; its overflow is counted as watch drops) instead
                // of being shed, so a burst of junk cannot crowd out the victims behind it.
                pending = ch.pending.recv(), if inner.permits.available_permits() > 0 => {
                    let Some(pending) = pending else { break };
                    if inner.already_seen(*pending.tx.inner.tx_hash()) {
                        m::skip("engine", "duplicate");
                        continue;
                    }
                    inner.stats.victim_seen();
                    metrics::histogram!(CHANNEL_LAG_SECONDS, "source" => "pending")
                        .record(pending.received_at.elapsed().as_secs_f64());
                    match inner.permits.try_acquire() {
                        Ok(permit) => {
                            permit.forget();
                            let inner = self.inner.clone();
                            work.spawn(async move {
                                inner.handle_pending(pending).await;
                                inner.permits.add_permits(1);
                            });
                        }
                        Err(_) => m::skip("engine", "hot_path_busy"),
                    }
                }
                _ = ch.logs.recv() => {
                    // The market reads each block's logs itself (eth_getLogs by block), which
                    // also covers reconnect gaps; the subscription only keeps the channel drained.
                }
                Some(_) = work.join_next(), if !work.is_empty() => {}
            }
        }
        info!(target: "searcher::engine", in_flight = work.len(), "shutting down");
        let _ = stop_watch.send(true);
        while work.join_next().await.is_some() {}
        let _ = tokio::time::timeout(Duration::from_secs(5), watch_task).await;
        inner.store.close().await;
        info!(target: "searcher::engine", "stopped; every record flushed");
        Ok(())
    }
}

fn tracked_pools(market: &Market) -> Vec<Address> {
    market
        .pools()
        .iter()
        .map(|p| match p.pool.id {
            crate::market::pool::PoolId::Contract(a) => a,
        })
        .collect()
}

impl Inner {
    /// Counts an error (stats, alert burst detection).
    pub(crate) fn error(&self, what: &str) {
        self.stats.error();
        self.alerts.error(what);
    }

    /// Whether this victim was already handled; forgets entries a few heads old.
    fn already_seen(&self, hash: alloy::primitives::TxHash) -> bool {
        let head = self.stats.head.load(std::sync::atomic::Ordering::Relaxed);
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() > 50_000 {
            seen.retain(|_, at| *at + 8 > head);
        }
        seen.insert(hash, head).is_some()
    }

    async fn handle_pending(self: &Arc<Self>, pending: PendingTx) {
        if let Some(reason) = self.risk.blocked() {
            m::skip("risk", reason);
            return;
        }
        let this = self.clone();
        let tx = pending.tx;
        let planned = tokio::task::spawn_blocking(move || this.plan(&tx)).await;
        let plan = match planned {
            Ok(Ok(plan)) => plan,
            Ok(Err(NoPlan::Dropped(_))) => return,
            Ok(Err(NoPlan::NoneViable(records))) => {
                for r in &records {
                    self.record_opportunity(r).await;
                }
                return;
            }
            Err(join) => {
                self.error("hot path task");
                warn!(target: "searcher::engine", %join, "hot path task failed");
                return;
            }
        };
        metrics::histogram!(m::STAGE_SECONDS, "stage" => "received_to_signed")
            .record(pending.received_at.elapsed().as_secs_f64());
        self.send(plan).await;
    }

    async fn record_opportunity(&self, record: &OpportunityRecord) -> Option<i64> {
        match self.store.record_opportunity(record).await {
            Ok(id) => Some(id),
            Err(err) => {
                self.error("store");
                warn!(target: "searcher::engine", %err, "recording opportunity failed");
                None
            }
        }
    }

    async fn send(&self, plan: Plan) {
        let bundle = match Bundle::new(
            vec![plan.victim_raw.clone(), plan.backrun.raw.clone()],
            plan.target_block,
        ) {
            Ok(b) => b,
            Err(err) => {
                hot_path::warn_unsendable(&plan, &err);
                return;
            }
        };
        if let Some(reason) = self.risk.blocked() {
            m::skip("risk", reason);
            return;
        }
        let opportunity_id = self.record_opportunity(&plan.opportunity).await;
        let record = BundleRecord {
            bundle_hash: bundle.hash(),
            opportunity_id,
            target_block: plan.target_block,
            replacement_uuid: bundle.replacement_uuid.map(|u| u.to_string()),
            victim_hash: plan.victim_hash,
            backrun_hash: plan.backrun.hash,
            created_at_ms: now_ms(),
            // The same measure as the realised figure: the executor's WETH change across the
            // backrun (net of a coinbase transfer paid from WETH, before gas).
            predicted_profit: U256::try_from(plan.sim.profit).unwrap_or_default(),
            bid: plan.bid.builder_payment,
        };
        // The bundle row goes in before any relay sees it: a verdict always has a row to land on.
        if let Err(err) = self.store.record_bundle(&record).await {
            self.error("store");
            warn!(target: "searcher::engine", %err, "recording bundle failed; not sending");
            return;
        }
        let started = std::time::Instant::now();
        let records = match self.fanout.send_bundle(&bundle).await {
            Ok(r) => r,
            Err(err) => {
                self.error("fan-out");
                hot_path::warn_unsendable(&plan, &err);
                return;
            }
        };
        metrics::histogram!(m::STAGE_SECONDS, "stage" => "send")
            .record(started.elapsed().as_secs_f64());
        for r in &records {
            metrics::counter!(m::BUNDLES_TOTAL, "relay" => r.relay.clone(), "outcome" => r.outcome.label())
                .increment(1);
        }
        let accepted = records.iter().filter(|r| r.outcome.is_accepted()).count();
        if let Err(err) = self.store.record_submissions(&records).await {
            self.error("store");
            warn!(target: "searcher::engine", %err, "recording submissions failed");
        }
        self.stats.bundle_sent();
        info!(
            target: "searcher::engine",
            bundle = %bundle.hash(),
            target_block = plan.target_block,
            relays = records.len(),
            accepted,
            "bundle sent"
        );
    }

    /// Realised profit of a landed backrun: the executor's WETH balance change across the
    /// transaction, from its receipt's WETH events (Transfer in/out, Deposit, Withdrawal).
    pub(crate) fn realised_profit(
        &self,
        receipt: &alloy::rpc::types::TransactionReceipt,
    ) -> alloy::primitives::I256 {
        use crate::abi::IWETH9;
        use alloy::{primitives::I256, sol_types::SolEvent};
        let executor = self.config.executor.address;
        let mut delta = I256::ZERO;
        let signed = |v: U256| I256::try_from(v).unwrap_or(I256::MAX);
        for log in receipt.inner.logs() {
            if log.address() != self.weth {
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
}

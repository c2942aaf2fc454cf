//! The devnet builder-relay: a JSON-RPC HTTP server per relay (`eth_sendBundle`,
//! `eth_cancelBundle`, `eth_callBundle`, signatures verified) in front of a builder that
//! builds a block only when asked, so tests and `searcher demo` control time.
//!
//! ```text
//!  bundles::Fanout ──HTTP──> DevRelay (server.rs) ──> BundleStore (store.rs)
//!                                                          │ candidates for block N
//!  DevBuilders::build_block ──> builder of block N ──> builder.rs: mempool order, sim.rs
//!                                (relay N mod 2)        per victim best payer, rewrite
//!                                                       anvil's pool, set coinbase, mine
//! ```
//!
//! Each relay has its own builder identity (name and fee recipient) and only includes bundles
//! sent to it. [`DevBuilders`] runs two relays on one devnet that take turns: block `N` is built
//! by relay `N mod 2`. anvil cannot set a block's `extraData`, so devnet blocks name their
//! builder by fee recipient only; [`DevBuilders::builder_table`] maps those to the names.
//!
//! How a block is built is in `builder.rs`; how bundles are simulated (anvil's
//! `eth_simulateV1`, with the validation it lacks done here) in `sim.rs`; how no user
//! transaction is lost by the pool rewrite in `chain.rs`.

mod builder;
mod chain;
mod matchmaker;
mod server;
mod sim;
mod store;

pub use builder::{BlockReport, IncludedBundle, RejectedBundle};
pub use matchmaker::{DEFAULT_REFUND_PERCENT, DevMatchmaker, MatchmakerOptions};

use super::Devnet;
use alloy::primitives::{Address, keccak256};
use axum::{Router, routing::post};
use bundles::{BuilderRule, BuilderTable, RelayConfig, RelayFlavour};
use chain::Chain;
use eyre::WrapErr;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use store::{BundleStore, StoredBundle};
use tokio::{sync::oneshot, task::JoinHandle};

/// Name of the first builder of [`DevBuilders::start`] (builds even blocks).
pub const BUILDER_A: &str = "devnet-builder-a";
/// Name of the second builder of [`DevBuilders::start`] (builds odd blocks).
pub const BUILDER_B: &str = "devnet-builder-b";

/// Who a relay's builder is: a name and the fee recipient of the blocks it builds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuilderIdentity {
    /// Builder name (what reports and the [`BuilderTable`] call it).
    pub name: String,
    /// Fee recipient (`coinbase`) of its blocks.
    pub fee_recipient: Address,
}

impl BuilderIdentity {
    /// An identity whose fee recipient is derived from the name:
    /// the last 20 bytes of `keccak256(name)`.
    pub fn named(name: impl Into<String>) -> Self {
        let name = name.into();
        let fee_recipient = Address::from_slice(&keccak256(name.as_bytes())[12..]);
        Self { name, fee_recipient }
    }

    /// The [`BuilderTable`] rule naming this builder's blocks by fee recipient.
    pub fn builder_rule(&self) -> BuilderRule {
        BuilderRule {
            name: self.name.clone(),
            fee_recipient: Some(self.fee_recipient),
            extra_data: None,
        }
    }
}

/// State shared by a relay's HTTP handler and its builder.
#[derive(Debug)]
pub(crate) struct RelayShared {
    identity: BuilderIdentity,
    chain: Arc<Chain>,
    store: Mutex<BundleStore>,
    /// The MEV-Share matchmaker whose private transactions and matches this builder includes.
    matchmaker: OnceLock<Arc<matchmaker::MatchShared>>,
}

impl RelayShared {
    fn store(&self) -> std::sync::MutexGuard<'_, BundleStore> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One builder-relay: its HTTP server on 127.0.0.1 and its builder. The server stops when
/// the relay is dropped.
#[derive(Debug)]
pub struct DevRelay {
    shared: Arc<RelayShared>,
    url: String,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<()>,
}

impl Drop for DevRelay {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.server.abort();
    }
}

impl DevRelay {
    /// Starts a relay with its own view of `devnet` (for one relay alone; use
    /// [`DevBuilders`] for several relays on one devnet).
    pub async fn start(devnet: &Devnet, identity: BuilderIdentity) -> eyre::Result<Self> {
        Self::with_chain(Arc::new(connect(devnet).await?), identity).await
    }

    async fn with_chain(chain: Arc<Chain>, identity: BuilderIdentity) -> eyre::Result<Self> {
        let shared = Arc::new(RelayShared {
            identity,
            chain,
            store: Mutex::new(BundleStore::default()),
            matchmaker: OnceLock::new(),
        });
        let app = Router::new().route("/", post(server::handle)).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .wrap_err("builder-relay: binding 127.0.0.1")?;
        let url = format!("http://{}/", listener.local_addr()?);
        let (stop, stopped) = oneshot::channel::<()>();
        let name = shared.identity.name.clone();
        let server = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(e) = served {
                tracing::warn!(target: "searcher::devnet::relay", relay = %name, error = %e, "server stopped");
            }
        });
        Ok(Self { shared, url, stop: Some(stop), server })
    }

    /// The JSON-RPC endpoint, `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The builder identity.
    pub fn identity(&self) -> &BuilderIdentity {
        &self.shared.identity
    }

    /// A relay config entry for the searcher (`flashbots` flavour: signed requests,
    /// `eth_cancelBundle`), named after the builder.
    pub fn relay_config(&self) -> RelayConfig {
        RelayConfig::new(
            self.shared.identity.name.clone(),
            self.url.clone(),
            RelayFlavour::Flashbots,
        )
    }

    /// The hash of every bundle this relay has received, in arrival order (held, landed,
    /// replaced or cancelled alike).
    pub fn received_bundles(&self) -> Vec<alloy::primitives::B256> {
        self.shared.store().received().to_vec()
    }

    /// Bundles currently held (all target blocks).
    pub fn bundle_count(&self) -> usize {
        self.shared.store().len()
    }

    /// Builds and mines the next block with this relay's bundles and fee recipient, whoever's
    /// turn it is.
    pub async fn build_block(&self) -> eyre::Result<BlockReport> {
        let lock = self.shared.chain.build_lock.lock().await;
        self.build_locked(&lock).await
    }

    async fn build_locked(
        &self,
        lock: &tokio::sync::MutexGuard<'_, ()>,
    ) -> eyre::Result<BlockReport> {
        let shared = self.shared.clone();
        let candidates = move |block: u64| -> Vec<StoredBundle> {
            let mut bundles = shared.store().for_block(block);
            if let Some(matchmaker) = shared.matchmaker.get() {
                bundles.extend(matchmaker.candidates(block));
            }
            bundles
        };
        let input = builder::BuildInput {
            chain: &self.shared.chain,
            builder: &self.shared.identity.name,
            fee_recipient: self.shared.identity.fee_recipient,
            candidates: &candidates,
        };
        let report = builder::build_block(input, lock).await?;
        self.prune_through(report.number);
        if let Some(matchmaker) = self.shared.matchmaker.get() {
            let landed: Vec<_> = report.included.iter().map(|b| b.victim).collect();
            matchmaker.after_block(report.number, &landed);
        }
        Ok(report)
    }

    fn prune_through(&self, block: u64) {
        self.shared.store().prune_through(block);
    }
}

async fn connect(devnet: &Devnet) -> eyre::Result<Chain> {
    Chain::connect(devnet.provider().clone(), devnet.chain_id(), devnet.ipc_path().to_path_buf())
        .await
}

/// Builder-relays with different identities serving one devnet and taking turns: block `N`
/// is built by relay `N mod len`.
#[derive(Debug)]
pub struct DevBuilders {
    relays: Vec<DevRelay>,
}

impl DevBuilders {
    /// Two relays, [`BUILDER_A`] (even blocks) and [`BUILDER_B`] (odd blocks).
    pub async fn start(devnet: &Devnet) -> eyre::Result<Self> {
        Self::with_identities(
            devnet,
            vec![BuilderIdentity::named(BUILDER_A), BuilderIdentity::named(BUILDER_B)],
        )
        .await
    }

    /// One relay per identity, taking turns in this order.
    pub async fn with_identities(
        devnet: &Devnet,
        identities: Vec<BuilderIdentity>,
    ) -> eyre::Result<Self> {
        eyre::ensure!(!identities.is_empty(), "DevBuilders needs at least one identity");
        let chain = Arc::new(connect(devnet).await?);
        let mut relays = Vec::with_capacity(identities.len());
        for identity in identities {
            relays.push(DevRelay::with_chain(chain.clone(), identity).await?);
        }
        Ok(Self { relays })
    }

    /// The relays, in turn order.
    pub fn relays(&self) -> &[DevRelay] {
        &self.relays
    }

    /// The relay whose turn block `number` is.
    pub fn builder_of(&self, number: u64) -> &DevRelay {
        // `relays` is never empty (checked at construction).
        let index = usize::try_from(number % self.relays.len() as u64).unwrap_or_default();
        &self.relays[index]
    }

    /// Builds the next block with the relay whose turn it is (safe to call from several
    /// tasks: the turn is decided under the build lock).
    pub async fn build_block(&self) -> eyre::Result<BlockReport> {
        use alloy::providers::Provider;
        let chain = &self.relays[0].shared.chain;
        let lock = chain.build_lock.lock().await;
        let next = chain.provider.get_block_number().await? + 1;
        let report = self.builder_of(next).build_locked(&lock).await?;
        for relay in &self.relays {
            relay.prune_through(report.number);
        }
        Ok(report)
    }

    /// Drops a transaction from the mempool on purpose. Use this rather than
    /// [`Devnet::drop_transaction`] while builders run: their ledger would otherwise put the
    /// vanished transaction back.
    pub async fn drop_transaction(&self, hash: alloy::primitives::TxHash) -> eyre::Result<()> {
        let chain = &self.relays[0].shared.chain;
        let _lock = chain.build_lock.lock().await;
        chain.drop_transaction(hash).await
    }

    /// Starts the MEV-Share matchmaker whose private transactions and matched backruns these
    /// builders include (one per set of builders).
    pub async fn start_matchmaker(
        &self,
        options: MatchmakerOptions,
    ) -> eyre::Result<DevMatchmaker> {
        let shared: Vec<Arc<RelayShared>> = self.relays.iter().map(|r| r.shared.clone()).collect();
        DevMatchmaker::start(shared[0].chain.clone(), &shared, options).await
    }

    /// Relay config entries for the searcher, one per relay.
    pub fn relay_configs(&self) -> Vec<RelayConfig> {
        self.relays.iter().map(DevRelay::relay_config).collect()
    }

    /// Builder-name rules (fee recipient to name), one per relay, for the searcher's config.
    pub fn builder_rules(&self) -> Vec<BuilderRule> {
        self.relays.iter().map(|r| r.identity().builder_rule()).collect()
    }

    /// A [`BuilderTable`] naming devnet blocks by their fee recipient.
    pub fn builder_table(&self) -> BuilderTable {
        BuilderTable::new(self.builder_rules())
    }
}

//! Putting a searcher on the devnet, as an operator would: deploy the executor with
//! `forge script script/Deploy.s.sol`, fund it, and write the searcher's config.
//!
//! Used by `searcher demo` and the end-to-end tests. Blocks must be produced meanwhile (the
//! devnet runs `--no-mining`): callers keep a builder ticking while these run.

use super::{Devnet, Role, fixtures::market_config};
use alloy::{
    hex,
    network::TransactionBuilder,
    primitives::{Address, U256},
    providers::Provider,
};
use bundles::{config::RelayConfig, inclusion::BuilderRule};
use eyre::{WrapErr, bail, eyre};
use searcher::{
    abi::IWETH9,
    config::{
        AlertsConfig, Capital, Config, ExecutorConfig, KeysConfig, MetricsConfig, MevShareConfig,
        NodeConfig, RiskConfig, StoreConfig, StrategyConfig,
    },
    exec::bid::BidPolicy,
    keys::KeySource,
    watch::NodeEndpoint,
};
use std::{net::SocketAddr, path::Path, time::Duration};

/// Environment variable the devnet config names for the trading key.
pub const DEMO_TRADING_KEY_ENV: &str = "SEARCHER_DEMO_TRADING_KEY";
/// Environment variable the devnet config names for the relay identity key.
pub const DEMO_IDENTITY_KEY_ENV: &str = "SEARCHER_DEMO_IDENTITY_KEY";

/// Deploys the executor through `forge script script/Deploy.s.sol --broadcast` with the
/// searcher as owner and the devnet's cold wallet; returns its address. The deployer key is
/// handed to forge through its environment only.
pub async fn deploy_executor(devnet: &Devnet) -> eyre::Result<Address> {
    let toolchain = devnet.toolchain();
    let deployer_key = hex::encode_prefixed(devnet.signer(Role::Deployer).to_bytes());
    let output = tokio::process::Command::new(toolchain.forge()?)
        .current_dir(toolchain.root())
        .args(["script", "script/Deploy.s.sol:Deploy", "--broadcast", "--rpc-url"])
        .arg(devnet.http_url().as_str())
        .env("FOUNDRY_SOLC", toolchain.solc())
        .env("FOUNDRY_OFFLINE", "true")
        .env("FOUNDRY_DISABLE_NIGHTLY_WARNING", "1")
        .env("NO_COLOR", "1")
        .env("EXECUTOR_OWNER", devnet.address(Role::Searcher).to_string())
        .env("EXECUTOR_COLD_WALLET", devnet.address(Role::ColdWallet).to_string())
        .env("EXECUTOR_WETH", devnet.addresses.weth.to_string())
        .env("DEPLOYER_PRIVATE_KEY", deployer_key)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .wrap_err("running forge script")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        bail!("forge script script/Deploy.s.sol failed ({}):\n{stdout}\n{stderr}", output.status);
    }
    let address = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("Executor deployed at "))
        .ok_or_else(|| eyre!("forge script did not print the executor address:\n{stdout}"))?;
    let address: Address = address.trim().parse()?;
    let code = devnet.provider().get_code_at(address).await?;
    if code.is_empty() {
        bail!("no code at the executor address {address} after deployment");
    }
    Ok(address)
}

/// Gives the executor `weth` of inventory from the searcher account (wrap + transfer) and
/// waits until both are mined.
pub async fn fund_executor(devnet: &Devnet, executor: Address, weth: U256) -> eyre::Result<()> {
    let searcher = devnet.address(Role::Searcher);
    let weth9 = IWETH9::new(devnet.addresses.weth, devnet.provider());
    let deposit = weth9.deposit().value(weth).from(searcher).into_transaction_request();
    let transfer = weth9.transfer(executor, weth).from(searcher).into_transaction_request();
    for tx in [deposit, transfer] {
        let receipt = devnet
            .provider()
            .send_transaction(tx.with_gas_limit(200_000))
            .await?
            .with_timeout(Some(Duration::from_secs(60)))
            .get_receipt()
            .await?;
        if !receipt.status() {
            bail!("funding the executor reverted");
        }
    }
    Ok(())
}

/// What [`searcher_config`] needs besides the devnet.
#[derive(Debug, Clone)]
pub struct SearcherSetup {
    /// The deployed executor.
    pub executor: Address,
    /// Relays (the devnet builder-relays).
    pub relays: Vec<RelayConfig>,
    /// Builder-name rules for inclusion tracking.
    pub builders: Vec<BuilderRule>,
    /// The SQLite file.
    pub store: std::path::PathBuf,
    /// Prometheus listen address.
    pub metrics: Option<SocketAddr>,
    /// Kill-switch file.
    pub kill_switch_file: Option<std::path::PathBuf>,
}

/// The config a searcher uses on this devnet: IPC to anvil, the devnet factories, WETH as
/// base token, the executor, the given relays; keys named by environment variable.
pub fn searcher_config(devnet: &Devnet, setup: &SearcherSetup) -> Config {
    Config {
        node: NodeConfig {
            endpoint: NodeEndpoint::Ipc(devnet.ipc_path().to_path_buf()),
            chain_id: Some(devnet.chain_id()),
        },
        keys: KeysConfig {
            trading: KeySource::Env { var: DEMO_TRADING_KEY_ENV.into() },
            identity: KeySource::Env { var: DEMO_IDENTITY_KEY_ENV.into() },
        },
        executor: ExecutorConfig {
            address: setup.executor,
            cold_wallet: Some(devnet.address(Role::ColdWallet)),
            capital: Capital::Inventory,
        },
        market: market_config(&devnet.addresses),
        strategy: StrategyConfig::default(),
        bid: BidPolicy::default(),
        risk: RiskConfig {
            kill_switch_file: setup.kill_switch_file.clone(),
            ..RiskConfig::default()
        },
        relays: setup.relays.clone(),
        builders: setup.builders.clone(),
        store: StoreConfig { path: setup.store.clone() },
        metrics: MetricsConfig { listen: setup.metrics },
        alerts: AlertsConfig::default(),
        mev_share: MevShareConfig::default(),
    }
}

/// Writes a config as TOML.
pub fn write_config(config: &Config, path: &Path) -> eyre::Result<()> {
    let text = toml::to_string_pretty(config).wrap_err("serialising the config")?;
    let header = "# Written by the devnet setup (searcher demo / e2e tests).\n\
                  # Keys come from the environment variables named under [keys].\n\n";
    std::fs::write(path, format!("{header}{text}"))
        .wrap_err_with(|| format!("writing {}", path.display()))
}

/// Builds blocks in the background until dropped or stopped (deployment and funding need
/// blocks on a `--no-mining` devnet).
#[derive(Debug)]
pub struct BlockTicker {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

impl BlockTicker {
    /// Has `builders` build a block every `every`.
    pub fn start(builders: std::sync::Arc<super::DevBuilders>, every: Duration) -> Self {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let handle = tokio::spawn(async move {
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                tokio::time::sleep(every).await;
                if let Err(err) = builders.build_block().await {
                    tracing::warn!(target: "searcher::devnet", %err, "building a setup block");
                }
            }
        });
        Self { stop, handle: Some(handle) }
    }

    /// Stops ticking and waits for the block in progress.
    pub async fn stop(mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            let _ = handle.await;
        }
    }
}

impl Drop for BlockTicker {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A searcher engine ready on the devnet, for benchmarks and tests that drive the engine in
/// process: the executor deployed with forge and funded with `inventory` WETH, the engine
/// started (market bootstrapped, state warm) with the devnet's relays and a store in `dir`.
/// The builders tick while the executor is deployed and stop before this returns.
pub async fn start_engine(
    devnet: &Devnet,
    builders: &std::sync::Arc<crate::DevBuilders>,
    dir: &Path,
    inventory: U256,
) -> eyre::Result<searcher::engine::Engine> {
    let ticker = BlockTicker::start(builders.clone(), Duration::from_millis(200));
    let deployed = deploy_executor(devnet).await;
    let executor = match deployed {
        Ok(executor) => executor,
        Err(err) => {
            ticker.stop().await;
            return Err(err);
        }
    };
    let funded = fund_executor(devnet, executor, inventory).await;
    ticker.stop().await;
    funded?;
    let setup = SearcherSetup {
        executor,
        relays: builders.relay_configs(),
        builders: builders.builder_rules(),
        store: dir.join("searcher.db"),
        metrics: None,
        kill_switch_file: None,
    };
    let config = searcher_config(devnet, &setup);
    let keys = searcher::keys::Keys {
        trading: devnet.signer(Role::Searcher),
        identity: alloy::signers::local::PrivateKeySigner::random(),
    };
    searcher::engine::Engine::start(config, keys, searcher::engine::EngineOptions::default()).await
}

//! The local devnet: anvil (standing in for reth) with the real protocol bytecode from npm.
//!
//! [`Devnet::start`] spawns anvil on a fresh IPC socket and a free HTTP port with
//! `--no-mining --order fifo`, deploys WETH9, two Uniswap V2 factory + Router02 sets
//! (`uniswap-v2` and `sushiswap`), Uniswap V3 (factory, SwapRouter, position manager), Uniswap
//! V4 (the PoolManager, its test routers, hookless pools: see [`v4`]), the
//! Balancer V2 Vault and several ERC20s (one of them fee-on-transfer), creates and funds pools
//! on each DEX at consistent prices, and returns a typed handle with every address. anvil is
//! stopped when the handle is dropped.
//!
//! This crate is the only code in the project allowed to call `anvil_*` / `evm_*` methods:
//! the searcher itself talks to the devnet exactly as it would to reth.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod abi;
mod artifacts;
mod deploy;
pub mod feed;
pub mod fixtures;
pub mod relay;
pub mod sequencer;
pub mod setup;
pub mod toolchain;
pub mod traffic;
pub mod v4;

pub use artifacts::Artifact;
pub use deploy::{
    DevPool, DevPoolKind, DevToken, DevnetAddresses, UNISWAP_V2_PAIR_INIT_CODE_HASH,
    UNISWAP_V3_POOL_INIT_CODE_HASH, V2Dex, V3Dex,
};
pub use relay::{
    BlockReport, BuilderIdentity, DevBuilders, DevMatchmaker, DevRelay, MatchmakerOptions,
};
pub use v4::{DevV4Pool, V4Dex};

use crate::toolchain::Toolchain;
use alloy::{
    network::EthereumWallet,
    node_bindings::{Anvil, AnvilInstance},
    primitives::{Address, TxHash},
    providers::{DynProvider, Provider, ProviderBuilder, ext::AnvilApi},
    signers::local::PrivateKeySigner,
};
use eyre::{WrapErr, eyre};
use std::path::{Path, PathBuf};

/// Number of funded dev accounts anvil creates.
pub const DEV_ACCOUNTS: usize = 20;

/// Which dev account plays which part. Index into anvil's mnemonic accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Deploys the protocols and provides liquidity.
    Deployer,
    /// The searcher's trading key (owner of the executor).
    Searcher,
    /// The operator's cold wallet (sweep destination).
    ColdWallet,
    /// A user whose swaps are the victims; `n` in `0..DEV_ACCOUNTS - 3`.
    Trader(usize),
}

impl Role {
    /// The account index in anvil's mnemonic.
    pub const fn index(self) -> usize {
        match self {
            Self::Deployer => 0,
            Self::Searcher => 1,
            Self::ColdWallet => 2,
            Self::Trader(n) => 3 + n,
        }
    }
}

/// Options for [`Devnet::start`].
#[derive(Debug, Clone, Default)]
pub struct DevnetOptions {
    /// Extra arguments passed to anvil.
    pub extra_args: Vec<String>,
    /// Where anvil's IPC socket and scratch files go; a new temp dir when `None`.
    pub dir: Option<PathBuf>,
}

/// A running devnet. Dropping it stops anvil and removes its scratch directory.
#[derive(Debug)]
pub struct Devnet {
    anvil: AnvilInstance,
    ipc_path: PathBuf,
    /// Keeps the scratch directory alive (removed on drop) unless the caller chose one.
    _scratch: Option<tempfile::TempDir>,
    keys: Vec<PrivateKeySigner>,
    provider: DynProvider,
    toolchain: Toolchain,
    /// Every deployed address.
    pub addresses: DevnetAddresses,
}

impl Devnet {
    /// Starts anvil and deploys the protocols and pools.
    pub async fn start(options: DevnetOptions) -> eyre::Result<Self> {
        let toolchain = Toolchain::locate()?;
        let (scratch, dir) = match options.dir {
            Some(dir) => {
                std::fs::create_dir_all(&dir)
                    .wrap_err_with(|| format!("creating {}", dir.display()))?;
                (None, dir)
            }
            None => {
                let tmp = tempfile::Builder::new().prefix("searcher-devnet-").tempdir()?;
                let dir = tmp.path().to_path_buf();
                (Some(tmp), dir)
            }
        };
        let ipc_path = dir.join("anvil.ipc");
        let ipc_str =
            ipc_path.to_str().ok_or_else(|| eyre!("non-UTF-8 path {}", ipc_path.display()))?;

        let accounts = DEV_ACCOUNTS.to_string();
        let anvil = Anvil::at(toolchain.anvil()?)
            .port(0u16)
            .ipc_path(ipc_str)
            .args(["--no-mining", "--order", "fifo", "--accounts", &accounts])
            .args(["--balance", "1000000", "--gas-limit", "60000000"])
            .args(&options.extra_args)
            .timeout(30_000)
            .try_spawn()
            .wrap_err("spawning anvil")?;

        let keys: Vec<PrivateKeySigner> =
            anvil.keys().iter().map(|k| PrivateKeySigner::from(k.clone())).collect();
        if keys.len() < DEV_ACCOUNTS {
            return Err(eyre!("anvil reported {} keys, expected {DEV_ACCOUNTS}", keys.len()));
        }
        let mut wallet = EthereumWallet::new(keys[0].clone());
        for key in &keys[1..] {
            wallet.register_signer(key.clone());
        }
        let provider =
            ProviderBuilder::new().wallet(wallet).connect_http(anvil.endpoint_url()).erased();

        // Deploy with automine on (one block per transaction), then hand the chain over in
        // `--no-mining` mode: from here on, blocks are built explicitly.
        provider.anvil_set_auto_mine(true).await?;
        let addresses = deploy::deploy_all(&provider, &toolchain, &keys).await?;
        provider.anvil_set_auto_mine(false).await?;

        Ok(Self { anvil, ipc_path, _scratch: scratch, keys, provider, toolchain, addresses })
    }

    /// The IPC socket path (what the searcher connects to, as to reth).
    pub fn ipc_path(&self) -> &Path {
        &self.ipc_path
    }

    /// The HTTP endpoint.
    pub fn http_url(&self) -> alloy::transports::http::reqwest::Url {
        self.anvil.endpoint_url()
    }

    /// The WebSocket endpoint.
    pub fn ws_url(&self) -> String {
        self.anvil.ws_endpoint()
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.anvil.chain_id()
    }

    /// An HTTP provider whose wallet holds every dev key (for fixtures and traffic).
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// The located toolchain the devnet was started from.
    pub fn toolchain(&self) -> &Toolchain {
        &self.toolchain
    }

    /// The signer of a dev account.
    pub fn signer(&self, role: Role) -> PrivateKeySigner {
        self.keys[role.index()].clone()
    }

    /// The address of a dev account.
    pub fn address(&self, role: Role) -> Address {
        self.keys[role.index()].address()
    }

    /// Mines one block with whatever is in the mempool; returns its number.
    pub async fn mine(&self) -> eyre::Result<u64> {
        self.provider.evm_mine(None).await?;
        Ok(self.provider.get_block_number().await?)
    }

    /// Sets the fee recipient of the next blocks (names the builder).
    pub async fn set_coinbase(&self, coinbase: Address) -> eyre::Result<()> {
        self.provider.anvil_set_coinbase(coinbase).await?;
        Ok(())
    }

    /// Removes a transaction from the mempool.
    pub async fn drop_transaction(&self, hash: TxHash) -> eyre::Result<()> {
        self.provider.anvil_drop_transaction(hash).await?;
        Ok(())
    }

    /// Takes a snapshot of the chain (for reorg tests).
    pub async fn snapshot(&self) -> eyre::Result<alloy::primitives::U256> {
        Ok(self.provider.anvil_snapshot().await?)
    }

    /// Reverts to a snapshot taken with [`Self::snapshot`].
    pub async fn revert(&self, id: alloy::primitives::U256) -> eyre::Result<bool> {
        Ok(self.provider.anvil_revert(id).await?)
    }
}

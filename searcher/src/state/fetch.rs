//! Reads from the node (`eth_getBalance`, `eth_getTransactionCount`, `eth_getCode`,
//! `eth_getStorageAt`, `eth_getBlockByNumber`, `debug_traceBlockByHash`) pinned to one block
//! hash, and the bridge that lets revm's synchronous database calls wait for them.

use super::{
    changes::BlockChanges,
    error::{Result, StateError},
};
use alloy::{
    eips::BlockId,
    primitives::{Address, B256, Bytes, U256},
    providers::{DynProvider, Provider, ext::DebugApi},
    rpc::types::trace::geth::{
        GethDebugTracingOptions, GethTrace, PreStateConfig, PreStateFrame, TraceResult,
    },
    transports::TransportError,
};
use revm::{primitives::KECCAK_EMPTY, state::Bytecode};
use std::{future::Future, time::Duration};
use tokio::runtime::{Handle, RuntimeFlavor};

/// What an account read returns before it is cached: balance, nonce and, when not already
/// known for the address, its code.
#[derive(Debug, Clone)]
pub(super) struct FetchedAccount {
    pub(super) balance: U256,
    pub(super) nonce: u64,
    /// `None` when the caller already knew the code hash and did not ask.
    pub(super) code: Option<Bytes>,
}

/// Where the state layer's node reads go.
#[derive(Debug, Clone)]
pub(super) enum Source {
    /// One provider for the cache's life (tests, benchmarks).
    Fixed(DynProvider),
    /// The engine's shared connection: after the watch stage reconnects, reads go through the
    /// new provider.
    Node(crate::watch::NodeClient),
}

impl Source {
    pub(super) fn provider(&self) -> DynProvider {
        match self {
            Self::Fixed(p) => p.clone(),
            Self::Node(node) => node.provider(),
        }
    }
}

/// The node connection of the state layer.
#[derive(Debug, Clone)]
pub(super) struct Fetcher {
    pub(super) source: Source,
    /// Runtime used when a miss is fetched from a thread outside any tokio runtime.
    pub(super) handle: Handle,
    pub(super) timeout: Duration,
}

fn transport(what: impl FnOnce() -> String) -> impl FnOnce(TransportError) -> StateError {
    move |source| StateError::Transport { what: what(), source }
}

impl Fetcher {
    async fn timed<T>(
        &self,
        what: impl FnOnce() -> String,
        fut: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        match tokio::time::timeout(self.timeout, fut).await {
            Ok(result) => result,
            Err(_) => Err(StateError::Timeout { what: what(), timeout: self.timeout }),
        }
    }

    /// Balance, nonce and (when `with_code`) code of `address` at block `at`, concurrently.
    pub(super) async fn account(
        &self,
        at: B256,
        address: Address,
        with_code: bool,
    ) -> Result<FetchedAccount> {
        let what = || format!("account {address}");
        let block = BlockId::from(at);
        self.timed(what, async {
            let balance = self.source.provider().get_balance(address).block_id(block);
            let nonce = self.source.provider().get_transaction_count(address).block_id(block);
            if with_code {
                let code = self.source.provider().get_code_at(address).block_id(block);
                let (balance, nonce, code) = tokio::join!(balance, nonce, code);
                Ok(FetchedAccount {
                    balance: balance.map_err(transport(what))?,
                    nonce: nonce.map_err(transport(what))?,
                    code: Some(code.map_err(transport(what))?),
                })
            } else {
                let (balance, nonce) = tokio::join!(balance, nonce);
                Ok(FetchedAccount {
                    balance: balance.map_err(transport(what))?,
                    nonce: nonce.map_err(transport(what))?,
                    code: None,
                })
            }
        })
        .await
    }

    /// One storage slot of `address` at block `at`.
    pub(super) async fn storage(&self, at: B256, address: Address, slot: U256) -> Result<U256> {
        let what = || format!("storage {address}[{slot:#x}]");
        self.timed(what, async {
            self.source
                .provider()
                .get_storage_at(address, slot)
                .block_id(BlockId::from(at))
                .await
                .map_err(transport(what))
        })
        .await
    }

    /// The hash of block `number`.
    pub(super) async fn block_hash(&self, number: u64) -> Result<B256> {
        let what = || format!("block {number}");
        self.timed(what, async {
            let block = self
                .source
                .provider()
                .get_block_by_number(number.into())
                .await
                .map_err(transport(what))?
                .ok_or_else(|| StateError::BlockNotFound(number.to_string()))?;
            Ok(block.header.hash)
        })
        .await
    }

    /// The latest header.
    pub(super) async fn latest_header(&self) -> Result<alloy::rpc::types::Header> {
        let what = || "latest block".to_owned();
        self.timed(what, async {
            let block = self
                .source
                .provider()
                .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
                .await
                .map_err(transport(what))?
                .ok_or_else(|| StateError::BlockNotFound("latest".into()))?;
            Ok(block.header)
        })
        .await
    }

    /// Every account and slot block `hash` changed, from a `prestateTracer` diff trace.
    pub(super) async fn block_changes(&self, hash: B256) -> Result<BlockChanges> {
        let what = || format!("state diff of block {hash}");
        // Code is left out: a code change always comes with a nonce change (creation, EIP-7702
        // delegation), which the diff reports, and contracts' code is never invalidated.
        let options = GethDebugTracingOptions::prestate_tracer(PreStateConfig {
            diff_mode: Some(true),
            disable_code: Some(true),
            ..Default::default()
        });
        let traces = self
            .timed(what, async {
                self.source
                    .provider()
                    .debug_trace_block_by_hash(hash, options)
                    .await
                    .map_err(transport(what))
            })
            .await?;
        let mut changes = BlockChanges::default();
        for trace in traces {
            match trace {
                TraceResult::Success {
                    result: GethTrace::PreStateTracer(PreStateFrame::Diff(diff)),
                    ..
                } => changes.add_diff(&diff),
                TraceResult::Success { .. } => {
                    return Err(StateError::UnexpectedTrace {
                        block: hash,
                        reason: "not a prestate diff".into(),
                    });
                }
                TraceResult::Error { error, .. } => {
                    return Err(StateError::UnexpectedTrace { block: hash, reason: error });
                }
            }
        }
        Ok(changes)
    }

    /// Runs `fut` to completion from synchronous code (revm's database calls).
    ///
    /// On a multi-thread runtime worker this uses `block_in_place`, so the worker's other tasks
    /// (the IPC transport among them) move to another thread while this one waits; outside any
    /// runtime it blocks on the stored handle. A current-thread runtime cannot block: error.
    pub(super) fn block_on<T>(
        &self,
        address: Address,
        fut: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        match Handle::try_current() {
            Ok(current) => match current.runtime_flavor() {
                RuntimeFlavor::MultiThread => tokio::task::block_in_place(|| current.block_on(fut)),
                _ => Err(StateError::CurrentThreadRuntime(address)),
            },
            Err(_) => self.handle.block_on(fut),
        }
    }
}

/// Analyses raw code into revm's bytecode and its hash (`KECCAK_EMPTY` for no code).
pub(super) fn analyse(code: Bytes) -> (B256, Bytecode) {
    if code.is_empty() {
        return (KECCAK_EMPTY, Bytecode::default());
    }
    let bytecode = Bytecode::new_raw(code);
    (bytecode.hash_slow(), bytecode)
}

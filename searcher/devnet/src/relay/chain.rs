//! The devnet as the builder-relays share it: the HTTP provider, one build lock (only one
//! block is built at a time, whoever builds it), and the ledger that guarantees no user
//! transaction is lost by the builders' mempool reordering.
//!
//! Reordering anvil's mempool means dropping transactions and re-sending them, and
//! `anvil_dropTransaction` also drops every later-nonce transaction of the same sender,
//! including ones that arrived after the builder last read the pool. The ledger therefore
//! records every transaction that ever enters the pool, from a `newPendingTransactions`
//! subscription (full bodies, over IPC) plus a seed from `txpool_content`. After every block
//! (and before the next) [`Chain::rescue`] re-sends each recorded transaction that is neither
//! in the pool nor consumed on chain (its nonce is still ahead of its sender's). Bundle
//! transactions the builder put into the pool are private: never rescued, and removed from
//! the pool if a block leaves them behind.

use super::sim::SimTx;
use alloy::{
    eips::BlockId,
    primitives::{Address, TxHash},
    providers::{
        DynProvider, IpcConnect, Provider, ProviderBuilder,
        ext::{AnvilApi, TxPoolApi},
    },
};
use eyre::WrapErr;
use futures::StreamExt;
use std::{
    collections::{HashMap, HashSet},
    path::PathBuf,
    sync::{Arc, Mutex, PoisonError},
};
use tokio::task::JoinHandle;
use tracing::{debug, warn};

/// The shared devnet handle of one or more builder-relays.
#[derive(Debug)]
pub(crate) struct Chain {
    /// HTTP provider (the devnet's; its wallet is not used here).
    pub(crate) provider: DynProvider,
    /// Chain id.
    pub(crate) chain_id: u64,
    /// Held for the whole of a block build.
    pub(crate) build_lock: tokio::sync::Mutex<()>,
    ledger: Arc<Mutex<Ledger>>,
    watcher: JoinHandle<()>,
}

#[derive(Debug, Default)]
struct Ledger {
    /// Every transaction seen entering the pool and not yet known to be consumed.
    seen: HashMap<TxHash, SimTx>,
    /// Bundle transactions the builder inserted (never rescued).
    private: HashSet<TxHash>,
}

impl Drop for Chain {
    fn drop(&mut self) {
        self.watcher.abort();
    }
}

impl Chain {
    /// Connects the ledger's subscription and seeds it from the current pool.
    pub(crate) async fn connect(
        provider: DynProvider,
        chain_id: u64,
        ipc_path: PathBuf,
    ) -> eyre::Result<Self> {
        let ledger = Arc::new(Mutex::new(Ledger::default()));
        let ipc = ProviderBuilder::new()
            .connect_ipc(IpcConnect::new(ipc_path))
            .await
            .wrap_err("builder-relay: connecting to the devnet over IPC")?;
        let subscription = ipc
            .subscribe_full_pending_transactions()
            .await
            .wrap_err("builder-relay: subscribing to pending transactions")?;
        let sink = ledger.clone();
        let watcher = tokio::spawn(async move {
            // Keeps the IPC connection alive as long as the subscription.
            let _ipc = ipc;
            let mut stream = subscription.into_stream();
            while let Some(tx) = stream.next().await {
                match SimTx::from_rpc(tx) {
                    Ok(tx) => {
                        sink.lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .seen
                            .insert(tx.hash, tx);
                    }
                    Err(e) => warn!(target: "searcher::devnet::relay", error = %e, "pending tx"),
                }
            }
            debug!(target: "searcher::devnet::relay", "pending transaction stream ended");
        });
        let chain =
            Self { provider, chain_id, build_lock: tokio::sync::Mutex::new(()), ledger, watcher };
        for tx in chain.pool().await? {
            chain.record(tx);
        }
        Ok(chain)
    }

    /// Every transaction in the pool (pending and queued).
    pub(crate) async fn pool(&self) -> eyre::Result<Vec<SimTx>> {
        let content = self.provider.txpool_content().await.wrap_err("txpool_content")?;
        let mut out = Vec::new();
        for by_nonce in content.pending.into_values().chain(content.queued.into_values()) {
            for tx in by_nonce.into_values() {
                out.push(SimTx::from_rpc(tx).map_err(|e| eyre::eyre!("pool transaction: {e}"))?);
            }
        }
        Ok(out)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a transaction as user traffic (rescued if it vanishes).
    pub(crate) fn record(&self, tx: SimTx) {
        self.lock().seen.entry(tx.hash).or_insert(tx);
    }

    /// Drops a transaction from the pool on purpose and forgets it, so it is not rescued
    /// (later nonces of its sender that anvil drops along are rescued: they are user traffic).
    pub(crate) async fn drop_transaction(&self, hash: TxHash) -> eyre::Result<()> {
        self.provider.anvil_drop_transaction(hash).await?;
        self.lock().seen.remove(&hash);
        Ok(())
    }

    /// Marks a bundle transaction the builder is about to insert as private.
    pub(crate) fn mark_private(&self, hash: TxHash) {
        self.lock().private.insert(hash);
    }

    /// Removes private transactions left in the pool after a block (they must not be mined
    /// later as public traffic); returns how many were removed. Private hashes are remembered
    /// for the life of the chain handle, so a late pending notification cannot turn one into
    /// rescued user traffic.
    pub(crate) async fn purge_private(&self) -> eyre::Result<usize> {
        let leftovers: Vec<TxHash> = {
            let pool = self.pool().await?;
            let ledger = self.lock();
            pool.into_iter().map(|t| t.hash).filter(|h| ledger.private.contains(h)).collect()
        };
        for hash in &leftovers {
            self.provider.anvil_drop_transaction(*hash).await?;
        }
        let mut ledger = self.lock();
        let Ledger { seen, private } = &mut *ledger;
        seen.retain(|hash, _| !private.contains(hash));
        Ok(leftovers.len())
    }

    /// Re-sends every recorded transaction that vanished from the pool without being
    /// consumed; forgets consumed ones. Returns how many were re-sent.
    pub(crate) async fn rescue(&self) -> eyre::Result<usize> {
        let in_pool: HashSet<TxHash> = self.pool().await?.into_iter().map(|t| t.hash).collect();
        let mut missing: Vec<SimTx> = {
            let ledger = self.lock();
            ledger
                .seen
                .values()
                .filter(|t| !in_pool.contains(&t.hash) && !ledger.private.contains(&t.hash))
                .cloned()
                .collect()
        };
        if missing.is_empty() {
            return Ok(0);
        }
        missing.sort_by_key(|t| (t.sender, t.nonce()));
        let latest = self.provider.get_block_number().await?;
        let mut nonces: HashMap<Address, u64> = HashMap::new();
        let mut resent = 0;
        for tx in missing {
            let nonce = match nonces.get(&tx.sender) {
                Some(n) => *n,
                None => {
                    let n = self
                        .provider
                        .get_transaction_count(tx.sender)
                        .block_id(BlockId::number(latest))
                        .await?;
                    nonces.insert(tx.sender, n);
                    n
                }
            };
            if tx.nonce() < nonce {
                // Mined, or replaced by another transaction with its nonce.
                self.lock().seen.remove(&tx.hash);
                continue;
            }
            match self.provider.send_raw_transaction(&tx.raw).await {
                Ok(_) => {
                    resent += 1;
                    debug!(target: "searcher::devnet::relay", hash = %tx.hash, "re-sent a vanished transaction");
                }
                Err(e) => {
                    // It may have arrived in the pool since the pool was read ("already known").
                    let pending = self.provider.get_transaction_by_hash(tx.hash).await?;
                    if pending.is_none_or(|t| t.block_number.is_some()) {
                        warn!(target: "searcher::devnet::relay", hash = %tx.hash, error = %e, "vanished transaction cannot be re-sent; forgetting it");
                        self.lock().seen.remove(&tx.hash);
                    }
                }
            }
        }
        Ok(resent)
    }
}

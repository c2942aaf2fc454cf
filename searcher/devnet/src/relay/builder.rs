//! Building one block: read the mempool in the order anvil would mine it, choose per victim
//! the bundle that pays the builder most, lay the block out with each chosen bundle right
//! after its victim, make anvil's pool hold exactly that order, and mine with the builder's
//! fee recipient.
//!
//! 1. Mempool order: anvil's pending block (`eth_getBlockByNumber("pending", true)`) is the
//!    block `evm_mine` would produce now (fifo with nonce order); `txpool_content` adds the
//!    queued transactions and every `(sender, nonce)` slot in use.
//! 2. Candidates: the relay's bundles targeting this block whose timestamp window admits it.
//!    Rejected up front: a bundle transaction that takes the `(sender, nonce)` slot of a
//!    different pool transaction (it would evict a user transaction).
//! 3. Selection, greedy in block order: walking the mempool, at each victim (a bundle's first
//!    transaction) every candidate is simulated on top of the layout so far
//!    ([`super::sim::simulate`]); a candidate is dropped if a transaction is invalid (nonce,
//!    fee cap, funds) unless listed in `droppingTxHashes`, or reverts unless listed in
//!    `revertingTxHashes`. The best payer (coinbase balance change over its transactions; the
//!    earliest on a tie) is placed after the victim. Bundles whose victim is not in the
//!    mempool are evaluated the same way after the mempool, and appended in full.
//! 4. Reordering: anvil cannot insert into its pool, so the pool is rewritten from the first
//!    position where the layout differs: those transactions are dropped
//!    (`anvil_dropTransaction`, which also drops their sender's later nonces), the layout's
//!    tail is re-sent in order (`eth_sendRawTransaction`, re-encoded from the signed
//!    transactions), and any pool transaction the drops took along is re-sent after it. The
//!    pending block is read back and must start with the layout; if a transaction arrived in
//!    between, the whole build is redone (bounded).
//! 5. Mining: `anvil_setCoinbase(fee recipient)`, `evm_mine`. anvil has no way to set a
//!    block's `extraData`, so devnet builders are told apart by fee recipient only.
//! 6. Afterwards: bundle transactions left in the pool are removed (they were private), and
//!    the ledger re-sends any user transaction that vanished ([`super::chain::Chain::rescue`]).
//!
//! MEV-Share: a bundle the matchmaker matched carries a refund order; when chosen, a transfer
//! of the refund share of its backrun's payment from the matchmaker's refund wallet to the user
//! is placed right after it, in the same block.
//!
//! Not modelled: `eth_sendBundle` refunds (`refundPercent` is accepted and ignored), blob transactions
//! in the rewritten part of the pool (re-encoded without their sidecar), and the block gas
//! limit when choosing bundles (what does not fit stays in the pool for the next block).

use super::{
    chain::Chain,
    sim::{BlockEnv, NonceCache, SimError, SimTx, TxOutcome, simulate},
    store::StoredBundle,
};
use alloy::{
    eips::{BlockId, BlockNumberOrTag},
    primitives::{Address, B256, TxHash, U256},
    providers::{Provider, ext::AnvilApi},
};
use eyre::{WrapErr, eyre};
use std::{
    collections::{HashMap, HashSet},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};
use tracing::{debug, info, warn};

/// How many times a build is redone when transactions arrive while the pool is rewritten.
const MAX_LAYOUT_ATTEMPTS: usize = 5;

/// A bundle that made it into a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncludedBundle {
    /// Its bundle hash.
    pub hash: B256,
    /// Its first transaction (the victim).
    pub victim: TxHash,
    /// What it paid the builder in simulation: the fee recipient's balance change over its
    /// transactions (tips of all of them, victim included, plus direct transfers).
    pub payment: U256,
    /// Position of its first transaction in the block.
    pub position: usize,
    /// The MEV-Share user refund paid right after it (wei), for a matched bundle.
    pub refund: Option<U256>,
}

/// A bundle for this block that did not make it, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedBundle {
    /// Its bundle hash.
    pub hash: B256,
    /// Why it was left out.
    pub reason: String,
}

/// What [`super::DevRelay::build_block`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockReport {
    /// The block mined.
    pub number: u64,
    /// Builder name (the relay's identity).
    pub builder: String,
    /// The block's fee recipient.
    pub fee_recipient: Address,
    /// Bundles in the block, in block order.
    pub included: Vec<IncludedBundle>,
    /// Bundles for this block that were left out.
    pub rejected: Vec<RejectedBundle>,
    /// Transactions in the block.
    pub tx_count: usize,
    /// Of which came from the mempool (not from a bundle).
    pub mempool_txs: usize,
    /// The fee recipient's actual balance change over the block.
    pub coinbase_diff: U256,
    /// Layout attempts (more than one when transactions arrived during the rewrite).
    pub attempts: usize,
    /// Vanished user transactions re-sent by the ledger around this block.
    pub rescued: usize,
    /// Wall time of the whole build.
    pub elapsed: Duration,
}

impl BlockReport {
    /// The hashes of the included bundles.
    pub fn bundle_hashes(&self) -> Vec<B256> {
        self.included.iter().map(|b| b.hash).collect()
    }
}

/// The chosen block contents.
#[derive(Debug, Default)]
struct Selection {
    layout: Vec<SimTx>,
    included: Vec<(StoredBundle, U256, Option<U256>)>,
    /// Next nonce of each refund wallet in this block.
    refund_nonces: HashMap<Address, u64>,
    rejected: Vec<RejectedBundle>,
}

/// Who is building and what they hold.
pub(crate) struct BuildInput<'a> {
    pub(crate) chain: &'a Chain,
    pub(crate) builder: &'a str,
    pub(crate) fee_recipient: Address,
    /// Reads the relay's candidates for a block number.
    pub(crate) candidates: &'a (dyn Fn(u64) -> Vec<StoredBundle> + Send + Sync),
}

/// Builds and mines one block. The caller holds the chain's build lock (`_lock`).
pub(crate) async fn build_block(
    input: BuildInput<'_>,
    _lock: &tokio::sync::MutexGuard<'_, ()>,
) -> eyre::Result<BlockReport> {
    let chain = input.chain;
    let started = Instant::now();
    let mut rescued = chain.rescue().await?;

    let mut attempts = 0;
    // Private bundle transactions this build put into the pool (on a retry they are in the
    // pending block, and only go in with their bundle).
    let mut inserted: HashSet<TxHash> = HashSet::new();
    let (env, selection) = loop {
        attempts += 1;
        let (env, pending) = read_pending(chain, input.fee_recipient).await?;
        let pool = chain.pool().await?;
        let candidates = (input.candidates)(env.number);
        let read_at = started.elapsed();
        let selection = select(chain, &env, &pending, &pool, &inserted, candidates).await?;
        let selected_at = started.elapsed();
        let in_order =
            apply_layout(chain, &pending, &pool, &selection.layout, &mut inserted).await?;
        debug!(
            target: "searcher::devnet::relay",
            attempts,
            read_at_ms = read_at.as_millis() as u64,
            selected_at_ms = selected_at.as_millis() as u64,
            laid_out_at_ms = started.elapsed().as_millis() as u64,
            "laid out"
        );
        if in_order || attempts >= MAX_LAYOUT_ATTEMPTS {
            if !in_order {
                warn!(target: "searcher::devnet::relay", attempts, "pool order still differs from the layout; mining anyway");
            }
            break (env, selection);
        }
        debug!(target: "searcher::devnet::relay", attempts, "transactions arrived during the rewrite; rebuilding");
    };

    chain.provider.anvil_set_coinbase(input.fee_recipient).await?;
    // Mined at the timestamp it was simulated at: anvil's own clock may have crossed a second
    // meanwhile, and a V2 pair's price accumulators (extra SSTOREs) depend on the elapsed time.
    let at = alloy::rpc::types::anvil::MineOptions::Options {
        timestamp: Some(env.timestamp),
        blocks: None,
    };
    chain.provider.evm_mine(Some(at)).await.wrap_err("evm_mine")?;
    let block = chain
        .provider
        .get_block_by_number(BlockNumberOrTag::Latest)
        .await?
        .ok_or_else(|| eyre!("no latest block after mining"))?;
    let number = block.header.number;
    if number != env.number {
        warn!(target: "searcher::devnet::relay", expected = env.number, number, "another block was mined meanwhile");
    }
    let hashes: Vec<TxHash> = block.transactions.hashes().collect();
    let position: HashMap<TxHash, usize> =
        hashes.iter().enumerate().map(|(i, h)| (*h, i)).collect();

    let mut included = Vec::new();
    let mut rejected = selection.rejected;
    let mut bundle_txs = 0;
    for (bundle, payment, refund) in selection.included {
        let first = position.get(&bundle.victim()).copied();
        let contiguous = first.is_some_and(|start| {
            bundle.txs.iter().enumerate().all(|(k, tx)| hashes.get(start + k) == Some(&tx.hash))
        });
        match (first, contiguous) {
            (Some(start), true) => {
                bundle_txs += bundle.txs.len();
                included.push(IncludedBundle {
                    hash: bundle.hash(),
                    victim: bundle.victim(),
                    payment,
                    position: start,
                    refund,
                });
            }
            _ => rejected.push(RejectedBundle {
                hash: bundle.hash(),
                reason: "chosen, but the mined block does not hold it as laid out".to_owned(),
            }),
        }
    }
    let fee_recipient = input.fee_recipient;
    let after = chain.provider.get_balance(fee_recipient).block_id(BlockId::number(number)).await?;
    let before = chain
        .provider
        .get_balance(fee_recipient)
        .block_id(BlockId::number(number.saturating_sub(1)))
        .await?;

    chain.purge_private().await?;
    rescued += chain.rescue().await?;
    let report = BlockReport {
        number,
        builder: input.builder.to_owned(),
        fee_recipient,
        included,
        rejected,
        tx_count: hashes.len(),
        mempool_txs: hashes.len().saturating_sub(bundle_txs),
        coinbase_diff: after.saturating_sub(before),
        attempts,
        rescued,
        elapsed: started.elapsed(),
    };
    info!(
        target: "searcher::devnet::relay",
        block = number,
        builder = %report.builder,
        txs = report.tx_count,
        bundles = report.included.len(),
        rejected = report.rejected.len(),
        elapsed_ms = report.elapsed.as_millis() as u64,
        "built block"
    );
    Ok(report)
}

/// The next block's environment and anvil's pending transactions in mining order.
pub(crate) async fn read_pending(
    chain: &Chain,
    coinbase: Address,
) -> eyre::Result<(BlockEnv, Vec<SimTx>)> {
    let latest = chain
        .provider
        .get_block_by_number(BlockNumberOrTag::Latest)
        .await?
        .ok_or_else(|| eyre!("no latest block"))?;
    let pending = chain
        .provider
        .get_block_by_number(BlockNumberOrTag::Pending)
        .full()
        .await?
        .ok_or_else(|| eyre!("no pending block"))?;
    let base_fee = match pending.header.base_fee_per_gas {
        Some(fee) => fee,
        None => latest
            .header
            .next_block_base_fee(alloy::eips::eip1559::BaseFeeParams::ethereum())
            .unwrap_or_default(),
    };
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
    let env = BlockEnv {
        parent: latest.header.number,
        number: latest.header.number + 1,
        timestamp: now.max(latest.header.timestamp + 1),
        base_fee,
        coinbase,
        chain_id: chain.chain_id,
    };
    let txs = pending
        .transactions
        .into_transactions()
        .map(SimTx::from_rpc)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| eyre!("pending transaction: {e}"))?;
    Ok((env, txs))
}

/// Lays out the block (see the module docs, step 3).
async fn select(
    chain: &Chain,
    env: &BlockEnv,
    pending: &[SimTx],
    pool: &[SimTx],
    inserted: &HashSet<TxHash>,
    candidates: Vec<StoredBundle>,
) -> eyre::Result<Selection> {
    // Nonce slots of user transactions (not of bundle transactions an earlier attempt put in).
    let slots: HashMap<(Address, u64), TxHash> = pool
        .iter()
        .chain(pending)
        .filter(|t| !inserted.contains(&t.hash))
        .map(|t| ((t.sender, t.nonce()), t.hash))
        .collect();
    let in_pending: HashSet<TxHash> = pending.iter().map(|t| t.hash).collect();
    let mut selection = Selection::default();
    let mut by_victim: HashMap<TxHash, Vec<StoredBundle>> = HashMap::new();
    let mut orphans: Vec<TxHash> = Vec::new();
    for bundle in candidates {
        if !bundle.valid_at(env.timestamp) {
            selection.rejected.push(RejectedBundle {
                hash: bundle.hash(),
                reason: format!("timestamp {} outside the bundle's window", env.timestamp),
            });
            continue;
        }
        let conflict = bundle.txs.iter().find_map(|tx| {
            slots.get(&(tx.sender, tx.nonce())).filter(|h| **h != tx.hash).map(|h| (tx.hash, *h))
        });
        if let Some((ours, theirs)) = conflict {
            selection.rejected.push(RejectedBundle {
                hash: bundle.hash(),
                reason: format!(
                    "transaction {ours} takes the nonce of mempool transaction {theirs}"
                ),
            });
            continue;
        }
        let victim = bundle.victim();
        if !in_pending.contains(&victim) && !by_victim.contains_key(&victim) {
            orphans.push(victim);
        }
        by_victim.entry(victim).or_default().push(bundle);
    }

    let mut nonces = NonceCache::new(env.parent);
    let mut placed: HashSet<TxHash> = HashSet::new();
    for tx in pending {
        // A private bundle transaction left by an earlier attempt only goes in with its bundle.
        if placed.contains(&tx.hash) || inserted.contains(&tx.hash) {
            continue;
        }
        match by_victim.remove(&tx.hash) {
            Some(group) => {
                place_best(chain, env, &mut nonces, &mut selection, &mut placed, group).await?;
                if !placed.contains(&tx.hash) {
                    placed.insert(tx.hash);
                    selection.layout.push(tx.clone());
                }
            }
            None => {
                placed.insert(tx.hash);
                selection.layout.push(tx.clone());
            }
        }
    }
    for victim in orphans {
        if let Some(group) = by_victim.remove(&victim) {
            place_best(chain, env, &mut nonces, &mut selection, &mut placed, group).await?;
        }
    }
    Ok(selection)
}

/// Simulates each bundle of one victim on top of the layout so far and appends the best
/// payer's transactions; records the others as rejected.
async fn place_best(
    chain: &Chain,
    env: &BlockEnv,
    nonces: &mut NonceCache,
    selection: &mut Selection,
    placed: &mut HashSet<TxHash>,
    group: Vec<StoredBundle>,
) -> eyre::Result<()> {
    let mut best: Option<(StoredBundle, Evaluated)> = None;
    for mut bundle in group {
        if let Some(tx) = bundle.txs.iter().find(|t| placed.contains(&t.hash)) {
            selection.rejected.push(RejectedBundle {
                hash: bundle.hash(),
                reason: format!("transaction {} is already earlier in the block", tx.hash),
            });
            continue;
        }
        match evaluate(chain, env, nonces, &selection.layout, &mut bundle).await {
            Ok(evaluated) => {
                let payment = evaluated.payment;
                let better = best.as_ref().is_none_or(|(_, e)| payment > e.payment);
                if better {
                    if let Some((loser, paid)) = best.take() {
                        selection.rejected.push(outbid(&loser, paid.payment, payment));
                    }
                    best = Some((bundle, evaluated));
                } else if let Some((_, top)) = &best {
                    selection.rejected.push(outbid(&bundle, payment, top.payment));
                }
            }
            Err(reason) => {
                debug!(target: "searcher::devnet::relay", bundle = %bundle.hash(), %reason, "bundle rejected");
                selection.rejected.push(RejectedBundle { hash: bundle.hash(), reason });
            }
        }
    }
    if let Some((bundle, evaluated)) = best {
        for tx in &bundle.txs {
            placed.insert(tx.hash);
            selection.layout.push(tx.clone());
        }
        let refund = match &bundle.refund {
            Some(order) => {
                let amount =
                    evaluated.backrun_payment * U256::from(order.percent) / U256::from(100);
                if amount.is_zero() {
                    Some(U256::ZERO)
                } else {
                    let tx = refund_tx(chain, env, nonces, selection, order, amount).await?;
                    placed.insert(tx.hash);
                    selection.layout.push(tx);
                    Some(amount)
                }
            }
            None => None,
        };
        selection.included.push((bundle, evaluated.payment, refund));
    }
    Ok(())
}

/// The refund transfer of a matched MEV-Share bundle: from the refund wallet to the user,
/// exactly `amount` (the wallet pays the gas, no tip).
async fn refund_tx(
    chain: &Chain,
    env: &BlockEnv,
    nonces: &mut NonceCache,
    selection: &mut Selection,
    order: &super::store::RefundOrder,
    amount: U256,
) -> eyre::Result<SimTx> {
    use alloy::{
        consensus::{SignableTransaction, TxEip1559, TxEnvelope},
        eips::Encodable2718,
        primitives::TxKind,
        signers::SignerSync,
    };
    let wallet = order.wallet.address();
    let nonce = match selection.refund_nonces.get(&wallet) {
        Some(n) => *n,
        None => nonces.get(&chain.provider, wallet).await.map_err(|e| eyre!(e))?,
    };
    selection.refund_nonces.insert(wallet, nonce + 1);
    let tx = TxEip1559 {
        chain_id: env.chain_id,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: u128::from(env.base_fee) * 2 + 1,
        max_priority_fee_per_gas: 0,
        to: TxKind::Call(order.user),
        value: amount,
        ..TxEip1559::default()
    };
    let signature = order.wallet.sign_hash_sync(&tx.signature_hash())?;
    let envelope: TxEnvelope = tx.into_signed(signature).into();
    SimTx::decode(envelope.encoded_2718().into()).map_err(|e| eyre!("refund transaction: {e}"))
}

/// What a bundle pays the builder in simulation.
struct Evaluated {
    /// Over all its transactions.
    payment: U256,
    /// Over its transactions after the first (the backrun of a MEV-Share match).
    backrun_payment: U256,
}

fn outbid(bundle: &StoredBundle, paid: U256, top: U256) -> RejectedBundle {
    RejectedBundle {
        hash: bundle.hash(),
        reason: format!("outbid for its victim: pays {paid} wei, the chosen bundle {top} wei"),
    }
}

/// Simulates `bundle` after `prefix`; removes droppable invalid transactions; returns its
/// payment to the builder, or why it cannot be included.
async fn evaluate(
    chain: &Chain,
    env: &BlockEnv,
    nonces: &mut NonceCache,
    prefix: &[SimTx],
    bundle: &mut StoredBundle,
) -> Result<Evaluated, String> {
    loop {
        if bundle.txs.is_empty() {
            return Err("every transaction was dropped".to_owned());
        }
        match simulate(&chain.provider, env, nonces, prefix, &bundle.txs).await {
            Ok(outcomes) => {
                check_reverts(&bundle.bundle, &outcomes)?;
                return Ok(Evaluated {
                    payment: outcomes.iter().map(|o| o.coinbase_diff).sum(),
                    backrun_payment: outcomes.iter().skip(1).map(|o| o.coinbase_diff).sum(),
                });
            }
            Err(SimError::InvalidTx { index, hash, reason }) => {
                if index > 0 && bundle.bundle.dropping_tx_hashes.contains(&hash) {
                    bundle.txs.remove(index);
                    continue;
                }
                return Err(format!("transaction {hash} is invalid: {reason}"));
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

fn check_reverts(bundle: &bundles::Bundle, outcomes: &[TxOutcome]) -> Result<(), String> {
    match outcomes.iter().find(|o| !o.success && !bundle.reverting_tx_hashes.contains(&o.hash)) {
        Some(o) => Err(format!(
            "transaction {} reverts: {}",
            o.hash,
            o.error.clone().unwrap_or_else(|| o.output.to_string())
        )),
        None => Ok(()),
    }
}

/// Makes anvil's pool hold `layout` in order (module docs, step 4); returns whether the
/// pending block now starts with exactly the layout.
async fn apply_layout(
    chain: &Chain,
    pending: &[SimTx],
    pool: &[SimTx],
    layout: &[SimTx],
    inserted: &mut HashSet<TxHash>,
) -> eyre::Result<bool> {
    let diverge = pending
        .iter()
        .zip(layout)
        .position(|(a, b)| a.hash != b.hash)
        .unwrap_or(pending.len().min(layout.len()));
    if diverge == pending.len() && diverge == layout.len() {
        return Ok(true);
    }
    let pooled: HashSet<TxHash> = pool.iter().chain(pending).map(|t| t.hash).collect();
    for tx in layout.iter().filter(|t| !pooled.contains(&t.hash)) {
        chain.mark_private(tx.hash);
        inserted.insert(tx.hash);
    }
    for tx in &pending[diverge..] {
        // `None` when an earlier drop already took it along (same sender, later nonce).
        chain.provider.anvil_drop_transaction(tx.hash).await?;
    }
    for tx in &layout[diverge..] {
        if let Err(e) = chain.provider.send_raw_transaction(&tx.raw).await {
            warn!(target: "searcher::devnet::relay", hash = %tx.hash, error = %e, "re-sending a laid-out transaction failed");
        }
    }
    // Pool transactions the drops took along that are not in the layout (e.g. queued later
    // nonces): back in, after the layout.
    let now: HashSet<TxHash> = chain.pool().await?.into_iter().map(|t| t.hash).collect();
    let laid: HashSet<TxHash> = layout.iter().map(|t| t.hash).collect();
    let mut lost: Vec<&SimTx> =
        pool.iter().filter(|t| !now.contains(&t.hash) && !laid.contains(&t.hash)).collect();
    lost.sort_by_key(|t| (t.sender, t.nonce()));
    for tx in lost {
        if let Err(e) = chain.provider.send_raw_transaction(&tx.raw).await {
            warn!(target: "searcher::devnet::relay", hash = %tx.hash, error = %e, "restoring a dropped pool transaction failed");
        }
    }
    let (_, after) = read_pending(chain, Address::ZERO).await?;
    Ok(after.len() >= layout.len() && after.iter().zip(layout).all(|(a, b)| a.hash == b.hash))
}

//! Bundle simulation for the devnet builder-relay: a sequence of signed transactions run on top
//! of the head state in one `eth_simulateV1` block, measuring what each transaction pays the
//! block's fee recipient.
//!
//! anvil's `eth_simulateV1` executes faithfully but validates little: with `validation: true`
//! it still accepts any nonce and fee caps below the base fee, and it simulates the block
//! *at* the base block's number, timestamp and base fee. So the simulation here:
//! - overrides number, timestamp, base fee and fee recipient with the block being built;
//! - checks chain id, fee cap and nonce of every transaction itself, before sending anything
//!   (nonces against the head state plus the earlier transactions of the sequence);
//! - measures payments with probe calls: a state-override contract returning
//!   `COINBASE.balance`, called (by a probe sender paying no tip) before the first measured
//!   transaction and after each one. The difference is everything the builder receives: tips
//!   and direct transfers alike.
//!
//! A whole-request error (anvil rejects e.g. a sender without funds for gas) fails the
//! sequence. Simulation has no side effect on the chain: no trial blocks are mined, so the
//! searcher's `newHeads` subscription never sees a block that is later reverted.

use alloy::{
    consensus::{
        Transaction as _, TxEnvelope,
        transaction::{Recovered, SignerRecoverable},
    },
    eips::{BlockId, Decodable2718, Encodable2718},
    primitives::{Address, B256, Bytes, TxHash, U256, address, bytes, keccak256},
    providers::{DynProvider, Provider},
    rpc::types::{
        BlockOverrides, TransactionRequest,
        simulate::{SimBlock, SimulatePayload},
        state::{AccountOverride, StateOverride},
    },
};
use std::collections::HashMap;

/// Holds the probe code; no real account lives there.
const PROBE_CONTRACT: Address = address!("0x00000000000000000000000000000000000b0b0c");
/// Sends the probe calls (balance given by state override).
const PROBE_SENDER: Address = address!("0x00000000000000000000000000000000000b0b0b");
/// `COINBASE BALANCE PUSH0 MSTORE PUSH1 0x20 PUSH0 RETURN`: returns the fee recipient's balance.
const PROBE_CODE: Bytes = bytes!("0x41315f5260205ff3");
/// Gas limit of one probe call (it uses about 21,100).
const PROBE_GAS: u64 = 30_000;

/// A signed transaction decoded from its EIP-2718 bytes, with its recovered sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SimTx {
    /// The raw EIP-2718 envelope (what `eth_sendRawTransaction` takes).
    pub(crate) raw: Bytes,
    /// Its hash.
    pub(crate) hash: TxHash,
    /// The decoded envelope.
    pub(crate) envelope: TxEnvelope,
    /// The recovered sender.
    pub(crate) sender: Address,
}

impl SimTx {
    /// Decodes raw EIP-2718 bytes and recovers the sender.
    pub(crate) fn decode(raw: Bytes) -> Result<Self, String> {
        let envelope = TxEnvelope::decode_2718_exact(&raw)
            .map_err(|e| format!("not an EIP-2718 transaction: {e}"))?;
        let sender = envelope.recover_signer().map_err(|e| format!("bad signature: {e}"))?;
        let hash = keccak256(&raw);
        Ok(Self { raw, hash, envelope, sender })
    }

    /// From an RPC transaction (pool or block): re-encoded to EIP-2718 from its signed form.
    pub(crate) fn from_rpc(tx: alloy::rpc::types::Transaction) -> Result<Self, String> {
        let (envelope, sender) = tx.inner.into_parts();
        let raw: Bytes = envelope.encoded_2718().into();
        let hash = keccak256(&raw);
        if hash != *envelope.tx_hash() {
            return Err(format!("re-encoded transaction hash {hash} != {}", envelope.tx_hash()));
        }
        Ok(Self { raw, hash, envelope, sender })
    }

    /// The nonce.
    pub(crate) fn nonce(&self) -> u64 {
        self.envelope.nonce()
    }

    /// The tip per gas the builder gets at `base_fee`, `None` if the fee cap is below it.
    pub(crate) fn tip(&self, base_fee: u64) -> Option<u128> {
        self.envelope.effective_tip_per_gas(base_fee)
    }

    fn request(&self) -> TransactionRequest {
        TransactionRequest::from_recovered_transaction(Recovered::new_unchecked(
            self.envelope.clone(),
            self.sender,
        ))
    }
}

/// The block the simulation stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlockEnv {
    /// The state the block builds on.
    pub(crate) parent: u64,
    /// Its number (`parent + 1` when building).
    pub(crate) number: u64,
    /// Its timestamp.
    pub(crate) timestamp: u64,
    /// Its base fee.
    pub(crate) base_fee: u64,
    /// Its fee recipient.
    pub(crate) coinbase: Address,
    /// The chain id transactions must carry (when they carry one).
    pub(crate) chain_id: u64,
}

/// Account nonces at the parent block, fetched once per sender.
#[derive(Debug)]
pub(crate) struct NonceCache {
    block: u64,
    nonces: HashMap<Address, u64>,
}

impl NonceCache {
    /// An empty cache for nonces at `block`.
    pub(crate) fn new(block: u64) -> Self {
        Self { block, nonces: HashMap::new() }
    }

    /// `sender`'s nonce at the cache's block.
    pub(crate) async fn get(
        &mut self,
        provider: &DynProvider,
        sender: Address,
    ) -> Result<u64, String> {
        if let Some(nonce) = self.nonces.get(&sender) {
            return Ok(*nonce);
        }
        let nonce = provider
            .get_transaction_count(sender)
            .block_id(BlockId::number(self.block))
            .await
            .map_err(|e| format!("reading the nonce of {sender}: {e}"))?;
        self.nonces.insert(sender, nonce);
        Ok(nonce)
    }
}

/// What one measured transaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TxOutcome {
    /// Its hash.
    pub(crate) hash: TxHash,
    /// Sender.
    pub(crate) from: Address,
    /// Recipient (`None` for a creation).
    pub(crate) to: Option<Address>,
    /// Gas used.
    pub(crate) gas_used: u64,
    /// Whether it succeeded.
    pub(crate) success: bool,
    /// Return data, or revert data when it reverted.
    pub(crate) output: Bytes,
    /// The node's error message when it reverted.
    pub(crate) error: Option<String>,
    /// Change of the fee recipient's balance across the transaction.
    pub(crate) coinbase_diff: U256,
    /// The tip part of it: `gas_used * effective tip`.
    pub(crate) gas_fees: U256,
    /// Effective gas price paid (base fee + tip).
    pub(crate) gas_price: u128,
    /// The logs it emitted (the matchmaker's hints are made from them).
    pub(crate) logs: Vec<alloy::rpc::types::Log>,
}

impl TxOutcome {
    /// What the transaction sent the fee recipient directly (`coinbase_diff - gas_fees`).
    pub(crate) fn eth_sent_to_coinbase(&self) -> U256 {
        self.coinbase_diff.saturating_sub(self.gas_fees)
    }
}

/// Why a simulation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SimError {
    /// A measured transaction is invalid in this position (nonce, fee cap, chain id).
    #[error("transaction {hash} is invalid: {reason}")]
    InvalidTx {
        /// Index among the measured transactions.
        index: usize,
        /// Its hash.
        hash: TxHash,
        /// Why.
        reason: String,
    },
    /// A transaction of the prefix is invalid (the layout before the bundle is broken).
    #[error("prefix transaction {hash} is invalid: {reason}")]
    Prefix {
        /// Its hash.
        hash: TxHash,
        /// Why.
        reason: String,
    },
    /// The node rejected the whole simulation (e.g. a sender cannot pay for gas).
    #[error("simulation rejected: {0}")]
    Rejected(String),
}

fn check(tx: &SimTx, env: &BlockEnv, expected_nonce: u64) -> Result<(), String> {
    if let Some(chain_id) = tx.envelope.chain_id()
        && chain_id != env.chain_id
    {
        return Err(format!("chain id {chain_id}, expected {}", env.chain_id));
    }
    if tx.tip(env.base_fee).is_none() {
        return Err(format!(
            "fee cap {} below base fee {}",
            tx.envelope.max_fee_per_gas(),
            env.base_fee
        ));
    }
    if tx.nonce() != expected_nonce {
        let kind = if tx.nonce() < expected_nonce { "too low" } else { "too high" };
        return Err(format!("nonce {} {kind}, expected {expected_nonce}", tx.nonce()));
    }
    Ok(())
}

fn probe(nonce: u64, base_fee: u64) -> TransactionRequest {
    TransactionRequest::default()
        .from(PROBE_SENDER)
        .to(PROBE_CONTRACT)
        .nonce(nonce)
        .gas_limit(PROBE_GAS)
        .max_fee_per_gas(u128::from(base_fee))
        .max_priority_fee_per_gas(0)
}

/// Runs `prefix` then `txs` in one simulated block `env` on top of the parent state and
/// measures each of `txs` (the prefix is executed, not measured).
pub(crate) async fn simulate(
    provider: &DynProvider,
    env: &BlockEnv,
    nonces: &mut NonceCache,
    prefix: &[SimTx],
    txs: &[SimTx],
) -> Result<Vec<TxOutcome>, SimError> {
    // Validate every transaction in sequence: the node will not.
    let mut next_nonce: HashMap<Address, u64> = HashMap::new();
    for (index, tx) in prefix.iter().chain(txs).enumerate() {
        let expected = match next_nonce.get(&tx.sender) {
            Some(n) => *n,
            None => nonces.get(provider, tx.sender).await.map_err(SimError::Rejected)?,
        };
        if let Err(reason) = check(tx, env, expected) {
            return Err(if index < prefix.len() {
                SimError::Prefix { hash: tx.hash, reason }
            } else {
                SimError::InvalidTx { index: index - prefix.len(), hash: tx.hash, reason }
            });
        }
        next_nonce.insert(tx.sender, expected + 1);
    }

    let mut calls: Vec<TransactionRequest> = prefix.iter().map(SimTx::request).collect();
    let mut probe_nonce = 0;
    calls.push(probe(probe_nonce, env.base_fee));
    for tx in txs {
        calls.push(tx.request());
        probe_nonce += 1;
        calls.push(probe(probe_nonce, env.base_fee));
    }
    let mut overrides = StateOverride::default();
    overrides.insert(PROBE_CONTRACT, AccountOverride::default().with_code(PROBE_CODE));
    overrides.insert(PROBE_SENDER, AccountOverride::default().with_balance(U256::MAX >> 8));
    let block = SimBlock::default()
        .with_block_overrides(BlockOverrides {
            number: Some(U256::from(env.number)),
            time: Some(env.timestamp),
            base_fee: Some(U256::from(env.base_fee)),
            coinbase: Some(env.coinbase),
            ..BlockOverrides::default()
        })
        .with_state_overrides(overrides)
        .extend_calls(calls);
    let payload = SimulatePayload {
        block_state_calls: vec![block],
        trace_transfers: false,
        validation: true,
        return_full_transactions: false,
    };
    let blocks = provider
        .simulate(&payload)
        .block_id(BlockId::number(env.parent))
        .await
        .map_err(|e| SimError::Rejected(e.to_string()))?;
    let results = blocks
        .into_iter()
        .next()
        .ok_or_else(|| SimError::Rejected("no simulated block".to_owned()))?
        .calls;
    let measured = results.get(prefix.len()..).unwrap_or_default();
    if measured.len() != 2 * txs.len() + 1 {
        return Err(SimError::Rejected(format!(
            "{} call results for {} calls",
            results.len(),
            prefix.len() + 2 * txs.len() + 1
        )));
    }
    let balance = |i: usize| -> Result<U256, SimError> {
        let call = &measured[2 * i];
        if !call.status || call.return_data.len() != 32 {
            return Err(SimError::Rejected(format!("coinbase probe {i} failed: {call:?}")));
        }
        Ok(U256::from_be_slice(&call.return_data))
    };
    let mut outcomes = Vec::with_capacity(txs.len());
    for (i, tx) in txs.iter().enumerate() {
        let call = &measured[2 * i + 1];
        let tip = tx.tip(env.base_fee).unwrap_or_default();
        outcomes.push(TxOutcome {
            hash: tx.hash,
            from: tx.sender,
            to: tx.envelope.to(),
            gas_used: call.gas_used,
            success: call.status,
            output: call.return_data.clone(),
            error: call.error.as_ref().map(|e| e.message.clone()),
            coinbase_diff: balance(i + 1)?.saturating_sub(balance(i)?),
            gas_fees: U256::from(call.gas_used) * U256::from(tip),
            gas_price: u128::from(env.base_fee) + tip,
            logs: call.logs.clone(),
        });
    }
    Ok(outcomes)
}

/// `bundleHash` as `eth_sendBundle` defines it (see [`bundles::Bundle::hash`]).
pub(crate) fn bundle_hash(txs: &[SimTx]) -> B256 {
    let hashes: Vec<TxHash> = txs.iter().map(|t| t.hash).collect();
    bundles::bundle::bundle_hash(&hashes)
}

//! The relay's JSON-RPC HTTP endpoint: `eth_sendBundle`, `eth_cancelBundle` and
//! `eth_callBundle`, each authenticated by `X-Flashbots-Signature` (a missing or bad signature
//! is a JSON-RPC error, code [`bundles::server::UNAUTHORIZED`]). Parsing, signature checks and
//! answer shapes come from [`bundles::server`], the counterpart of what [`bundles::Fanout`]
//! sends. Every answer is HTTP 200 with a JSON-RPC body.

use super::{
    RelayShared,
    builder::read_pending,
    sim::{BlockEnv, NonceCache, SimError, SimTx, bundle_hash, simulate},
    store::Inserted,
};
use alloy::{
    eips::BlockNumberOrTag,
    primitives::U256,
    providers::Provider,
    rpc::types::mev::{EthCallBundle, EthCallBundleResponse, EthCallBundleTransactionResult},
};
use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::HeaderMap,
    response::{IntoResponse, Response},
};
use bundles::server::{
    IncomingRequest, METHOD_NOT_FOUND, RpcError, authenticate, parse_call_bundle,
    parse_cancel_bundle, parse_request, parse_send_bundle, response_err, response_ok,
};
use serde_json::{Value, json};
use std::sync::Arc;
use tracing::debug;

/// JSON-RPC code for a bundle that cannot be simulated (Flashbots uses -32000 for these).
const SIMULATION_FAILED: i64 = -32000;
/// JSON-RPC code for a node failure behind the relay.
const INTERNAL_ERROR: i64 = -32603;

/// `POST /`: one JSON-RPC request.
pub(crate) async fn handle(
    State(shared): State<Arc<RelayShared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (id, result) = match parse_request(&body) {
        Ok(request) => (request.id.clone(), dispatch(&shared, &headers, &body, request).await),
        Err(e) => (Value::Null, Err(e)),
    };
    let answer = match result {
        Ok(value) => response_ok(&id, value),
        Err(e) => {
            debug!(target: "searcher::devnet::relay", relay = %shared.identity.name, code = e.code, message = %e.message, "request rejected");
            response_err(&id, &e)
        }
    };
    Json(answer).into_response()
}

async fn dispatch(
    shared: &RelayShared,
    headers: &HeaderMap,
    body: &[u8],
    request: IncomingRequest,
) -> Result<Value, RpcError> {
    let signature = headers
        .get(bundles::FLASHBOTS_SIGNATURE_HEADER.to_ascii_lowercase().as_str())
        .and_then(|v| v.to_str().ok());
    match request.method.as_str() {
        "eth_sendBundle" => {
            let signer = authenticate(signature, body)?;
            send_bundle(shared, signer, &request.params).await
        }
        "eth_cancelBundle" => {
            let signer = authenticate(signature, body)?;
            let params = parse_cancel_bundle(&request.params)?;
            let cancelled = shared.store().cancel(signer, params.replacement_uuid);
            debug!(target: "searcher::devnet::relay", relay = %shared.identity.name, uuid = %params.replacement_uuid, ?cancelled, "eth_cancelBundle");
            Ok(Value::Null)
        }
        "eth_callBundle" => {
            authenticate(signature, body)?;
            call_bundle(shared, parse_call_bundle(&request.params)?).await
        }
        other => Err(RpcError::new(METHOD_NOT_FOUND, format!("method {other} not supported"))),
    }
}

fn internal(e: impl std::fmt::Display) -> RpcError {
    RpcError::new(INTERNAL_ERROR, e.to_string())
}

/// Decodes raw transactions (EIP-2718, valid signature, this chain).
fn decode_txs(raw: &[alloy::primitives::Bytes], chain_id: u64) -> Result<Vec<SimTx>, RpcError> {
    raw.iter()
        .enumerate()
        .map(|(i, raw)| {
            let tx = SimTx::decode(raw.clone())
                .map_err(|e| RpcError::invalid_params(format!("transaction {i}: {e}")))?;
            match alloy::consensus::Transaction::chain_id(&tx.envelope) {
                Some(id) if id != chain_id => Err(RpcError::invalid_params(format!(
                    "transaction {i}: chain id {id}, this chain is {chain_id}"
                ))),
                _ => Ok(tx),
            }
        })
        .collect()
}

async fn send_bundle(
    shared: &RelayShared,
    signer: alloy::primitives::Address,
    params: &Value,
) -> Result<Value, RpcError> {
    let params = parse_send_bundle(params)?;
    if params.is_cancel() {
        let uuid = params.replacement_uuid.ok_or_else(|| {
            RpcError::invalid_params("empty txs is a cancel and needs a replacement uuid")
        })?;
        let cancelled = shared.store().cancel(signer, uuid);
        debug!(target: "searcher::devnet::relay", relay = %shared.identity.name, %uuid, ?cancelled, "empty-bundle cancel");
        return Ok(Value::Null);
    }
    let txs = decode_txs(&params.txs, shared.chain.chain_id)?;
    let default_block = match params.block_number {
        Some(n) => n,
        None => shared.chain.provider.get_block_number().await.map_err(internal)? + 1,
    };
    let bundle = params.into_bundle(default_block).map_err(RpcError::invalid_params)?;
    let hash = bundle.hash();
    let target = bundle.target_block;
    let inserted = shared.store().insert(signer, bundle, txs);
    debug!(target: "searcher::devnet::relay", relay = %shared.identity.name, bundle = %hash, target, ?inserted, "eth_sendBundle");
    if let Inserted::Replaced(old) = inserted {
        debug!(target: "searcher::devnet::relay", relay = %shared.identity.name, %old, new = %hash, "bundle replaced");
    }
    Ok(json!({ "bundleHash": hash }))
}

/// `eth_callBundle`: simulates on the pending state, i.e. after the mempool transactions the
/// builder would place before the bundle (all of them, or those before its first transaction
/// when that is in the mempool). A numbered `stateBlockNumber` below the head simulates on
/// that block's state alone.
async fn call_bundle(shared: &RelayShared, call: EthCallBundle) -> Result<Value, RpcError> {
    let chain = &shared.chain;
    let txs = decode_txs(&call.txs, chain.chain_id)?;
    if txs.is_empty() {
        return Err(RpcError::invalid_params("bundle has no transactions"));
    }
    let _guard = chain.build_lock.lock().await;
    let (head, pending) =
        read_pending(chain, shared.identity.fee_recipient).await.map_err(internal)?;
    let (mut env, prefix) = match call.state_block_number {
        BlockNumberOrTag::Number(n) if n < head.parent => {
            let block = chain
                .provider
                .get_block_by_number(BlockNumberOrTag::Number(n))
                .await
                .map_err(internal)?
                .ok_or_else(|| RpcError::invalid_params(format!("no block {n}")))?;
            let env = BlockEnv {
                parent: n,
                number: n + 1,
                timestamp: block.header.timestamp + 1,
                base_fee: block
                    .header
                    .next_block_base_fee(alloy::eips::eip1559::BaseFeeParams::ethereum())
                    .unwrap_or_default(),
                ..head
            };
            (env, Vec::new())
        }
        _ => {
            let first = txs[0].hash;
            let ours: std::collections::HashSet<_> = txs.iter().map(|t| t.hash).collect();
            let cut = pending.iter().position(|t| t.hash == first).unwrap_or(pending.len());
            let prefix: Vec<SimTx> =
                pending[..cut].iter().filter(|t| !ours.contains(&t.hash)).cloned().collect();
            (head, prefix)
        }
    };
    if call.block_number > env.parent {
        env.number = call.block_number;
    }
    if let Some(timestamp) = call.timestamp {
        env.timestamp = timestamp;
    }
    if let Some(base_fee) = call.base_fee {
        env.base_fee = u64::try_from(base_fee).map_err(RpcError::invalid_params)?;
    }
    if let Some(coinbase) = call.coinbase {
        env.coinbase = coinbase;
    }
    let mut nonces = NonceCache::new(env.parent);
    let outcomes = simulate(&chain.provider, &env, &mut nonces, &prefix, &txs)
        .await
        .map_err(|e: SimError| RpcError::new(SIMULATION_FAILED, e.to_string()))?;
    let results: Vec<EthCallBundleTransactionResult> = outcomes
        .iter()
        .map(|o| EthCallBundleTransactionResult {
            coinbase_diff: o.coinbase_diff,
            eth_sent_to_coinbase: o.eth_sent_to_coinbase(),
            from_address: o.from,
            gas_fees: o.gas_fees,
            gas_price: U256::from(o.gas_price),
            gas_used: o.gas_used,
            to_address: o.to,
            tx_hash: o.hash,
            value: o.success.then(|| o.output.clone()),
            revert: (!o.success).then(|| o.output.clone()),
        })
        .collect();
    let coinbase_diff: U256 = outcomes.iter().map(|o| o.coinbase_diff).sum();
    let gas_fees: U256 = outcomes.iter().map(|o| o.gas_fees).sum();
    let total_gas_used: u64 = outcomes.iter().map(|o| o.gas_used).sum();
    let response = EthCallBundleResponse {
        bundle_hash: bundle_hash(&txs),
        bundle_gas_price: coinbase_diff.checked_div(U256::from(total_gas_used)).unwrap_or_default(),
        coinbase_diff,
        eth_sent_to_coinbase: coinbase_diff.saturating_sub(gas_fees),
        gas_fees,
        results,
        state_block_number: env.parent,
        total_gas_used,
    };
    serde_json::to_value(response).map_err(internal)
}

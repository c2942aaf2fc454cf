//! The Arbitrum sequencer's stand-in, in front of anvil (`--no-mining --order fifo`).
//!
//! - It takes transactions on `eth_sendRawTransaction` (JSON-RPC over HTTP), as Arbitrum's
//!   sequencer endpoint does; nothing else is served.
//! - Priority-fee ordering in rounds (Arbitrum's 2026 policy): every [`SequencerConfig::round`]
//!   (125 ms) it orders what arrived during the round by priority fee (`maxPriorityFeePerGas`,
//!   the gas price of legacy and EIP-2930 transactions), highest first, ties by arrival.
//! - It hands them to anvil in that order (anvil's FIFO pool keeps it); what anvil refuses is
//!   dropped and counted. What it accepted is published on the feed ([`FeedServer`]) as one
//!   sequenced message per round: one signed transaction, or a batch.
//! - Every [`SequencerConfig::rounds_per_block`] rounds (2: 250 ms blocks) it mines a block if
//!   anything was sequenced since the last one. Unlike Nitro, where one feed message is one L2
//!   block, a devnet block holds up to `rounds_per_block` messages.
//!
//! [`DevSequencer::pause`] holds the rounds (transactions accumulate) so a test can put several
//! transactions in one round.

use crate::feed::{FeedServer, l2_message, sequenced_message};
use alloy::{
    consensus::{Transaction as _, TxEnvelope},
    eips::eip2718::Decodable2718,
    primitives::{B256, Bytes},
    providers::{DynProvider, Provider, ext::AnvilApi},
};
use axum::{Json, Router, extract::State, response::IntoResponse, routing::post};
use bundles::server::{RpcError, parse_request, response_err, response_ok};
use eyre::WrapErr;
use serde_json::Value;
use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};
use tracing::{debug, warn};

/// JSON-RPC: invalid params.
const INVALID_PARAMS: i64 = -32602;
/// JSON-RPC: method not found.
const METHOD_NOT_FOUND: i64 = -32601;

/// Rounds and blocks.
#[derive(Debug, Clone)]
pub struct SequencerConfig {
    /// One ordering round (Arbitrum: 125 ms).
    pub round: Duration,
    /// Rounds per block (Arbitrum: 2, 250 ms blocks).
    pub rounds_per_block: u32,
    /// The first sequence number published.
    pub first_sequence_number: u64,
}

impl Default for SequencerConfig {
    fn default() -> Self {
        Self { round: Duration::from_millis(125), rounds_per_block: 2, first_sequence_number: 1 }
    }
}

/// A transaction waiting for its round.
#[derive(Debug, Clone)]
struct Queued {
    envelope: TxEnvelope,
    raw: Bytes,
    tip: u128,
    arrival: u64,
}

#[derive(Debug, Default)]
struct Shared {
    queue: Mutex<Vec<Queued>>,
    arrivals: AtomicU64,
    paused: AtomicBool,
    /// Transactions anvil refused.
    refused: AtomicU64,
    /// Transactions sequenced (published and handed to anvil).
    sequenced: AtomicU64,
    /// Blocks mined.
    blocks: AtomicU64,
}

/// A running sequencer; its tasks stop when it is dropped.
#[derive(Debug)]
pub struct DevSequencer {
    rpc_url: String,
    feed: Arc<FeedServer>,
    shared: Arc<Shared>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for DevSequencer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl DevSequencer {
    /// Starts the RPC endpoint, the feed server and the round loop over `anvil` (a provider to
    /// an anvil running `--no-mining --order fifo`).
    pub async fn start(anvil: DynProvider, config: SequencerConfig) -> eyre::Result<Self> {
        let feed = Arc::new(FeedServer::start().await?);
        let shared = Arc::new(Shared::default());
        let app = Router::new().route("/", post(handle)).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .wrap_err("sequencer: binding 127.0.0.1")?;
        let rpc_url = format!("http://{}/", listener.local_addr()?);
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                warn!(target: "searcher::devnet::sequencer", error = %e, "server stopped");
            }
        });
        let rounds = tokio::spawn(rounds(anvil, config, shared.clone(), feed.clone()));
        Ok(Self { rpc_url, feed, shared, tasks: vec![server, rounds] })
    }

    /// The `eth_sendRawTransaction` endpoint, `http://127.0.0.1:PORT/`.
    pub fn rpc_url(&self) -> &str {
        &self.rpc_url
    }

    /// The feed URL, `ws://127.0.0.1:PORT`.
    pub fn feed_url(&self) -> &str {
        self.feed.url()
    }

    /// The feed server (for fault injection).
    pub fn feed(&self) -> &FeedServer {
        &self.feed
    }

    /// Holds (`true`) or resumes the rounds; transactions keep arriving meanwhile.
    pub fn pause(&self, paused: bool) {
        self.shared.paused.store(paused, Ordering::SeqCst);
    }

    /// Transactions sequenced so far.
    pub fn sequenced(&self) -> u64 {
        self.shared.sequenced.load(Ordering::SeqCst)
    }

    /// Transactions anvil refused.
    pub fn refused(&self) -> u64 {
        self.shared.refused.load(Ordering::SeqCst)
    }

    /// Blocks mined so far.
    pub fn blocks(&self) -> u64 {
        self.shared.blocks.load(Ordering::SeqCst)
    }
}

/// `POST /`: one JSON-RPC request; only `eth_sendRawTransaction`.
async fn handle(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> impl IntoResponse {
    let request = match parse_request(&body) {
        Ok(request) => request,
        Err(e) => return Json(response_err(&Value::Null, &e)),
    };
    let answer = match request.method.as_str() {
        "eth_sendRawTransaction" => submit(&shared, &request.params),
        other => Err(RpcError::new(
            METHOD_NOT_FOUND,
            format!("the sequencer serves only eth_sendRawTransaction, not {other}"),
        )),
    };
    Json(match answer {
        Ok(hash) => response_ok(&request.id, hash),
        Err(e) => response_err(&request.id, &e),
    })
}

fn submit(shared: &Shared, params: &Value) -> Result<B256, RpcError> {
    let raw: Bytes = params
        .get(0)
        .cloned()
        .and_then(|v| serde_json::from_value(v).ok())
        .ok_or_else(|| RpcError::new(INVALID_PARAMS, "expected [raw transaction hex]"))?;
    let envelope = TxEnvelope::decode_2718_exact(&raw)
        .map_err(|e| RpcError::new(INVALID_PARAMS, format!("not a signed transaction: {e}")))?;
    let hash = *envelope.tx_hash();
    let tip = envelope.priority_fee_or_price();
    let arrival = shared.arrivals.fetch_add(1, Ordering::SeqCst);
    shared.queue.lock().expect("queue lock").push(Queued { envelope, raw, tip, arrival });
    Ok(hash)
}

async fn rounds(
    anvil: DynProvider,
    config: SequencerConfig,
    shared: Arc<Shared>,
    feed: Arc<FeedServer>,
) {
    let mut tick = tokio::time::interval(config.round);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut sequence_number = config.first_sequence_number;
    let mut round: u64 = 0;
    let mut unmined = false;
    loop {
        tick.tick().await;
        if shared.paused.load(Ordering::SeqCst) {
            continue;
        }
        round += 1;
        let mut batch = std::mem::take(&mut *shared.queue.lock().expect("queue lock"));
        batch.sort_by(|a, b| b.tip.cmp(&a.tip).then(a.arrival.cmp(&b.arrival)));
        let mut accepted = Vec::with_capacity(batch.len());
        for queued in batch {
            match anvil.send_raw_transaction(&queued.raw).await {
                Ok(_) => accepted.push(queued.envelope),
                Err(e) => {
                    shared.refused.fetch_add(1, Ordering::SeqCst);
                    debug!(target: "searcher::devnet::sequencer", hash = %queued.envelope.tx_hash(), error = %e, "anvil refused a transaction");
                }
            }
        }
        if !accepted.is_empty() {
            let timestamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            feed.publish(vec![sequenced_message(
                sequence_number,
                timestamp,
                l2_message(&accepted),
            )]);
            sequence_number += 1;
            shared.sequenced.fetch_add(accepted.len() as u64, Ordering::SeqCst);
            unmined = true;
        }
        if unmined && round.is_multiple_of(u64::from(config.rounds_per_block.max(1))) {
            match anvil.evm_mine(None).await {
                Ok(_) => {
                    shared.blocks.fetch_add(1, Ordering::SeqCst);
                    unmined = false;
                }
                Err(e) => warn!(target: "searcher::devnet::sequencer", error = %e, "mining failed"),
            }
        }
    }
}

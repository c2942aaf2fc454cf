//! The devnet MEV-Share matchmaker: users' private transactions in, hints out, searchers'
//! backruns matched to them and handed to the builders with the user's refund.
//!
//! ```text
//!  user ──eth_sendPrivateTransaction / eth_sendRawTransaction──▶ DevMatchmaker (POST /)
//!         simulated on the pending state for its logs; held here, never in anvil's mempool
//!  searcher ◀── GET / (text/event-stream): {hash, logs, txs} per the user's privacy, :ping
//!  searcher ──mev_sendBundle [{hash}, {tx, canRevert}] (X-Flashbots-Signature)──▶ matched
//!  builder of block N asks for candidates: each private tx alone, and each match
//!         [victim, backrun] with a refund order: the builder places the best right after
//!         nothing else of the mempool (the victim was never public) and pays the refund
//!         (refund-percent of the backrun's payment) in the same block
//! ```
//!
//! Hints follow the user's `privacy.hints` (alloy's `PrivacyHint`): none given is the mainnet
//! default (the hash, and for known swap events the pool and topics with the data removed);
//! `hash` alone shares only the hash; `logs` shares every log with its data; `calldata`,
//! `function_selector` and `contract_address` fill the `txs` entry.

use super::{
    RelayShared,
    builder::read_pending,
    chain::Chain,
    sim::{NonceCache, SimTx, simulate},
    store::{RefundOrder, StoredBundle},
};
use alloy::{
    primitives::{Address, B256, Bytes, TxHash, U256, b256, keccak256},
    providers::{Provider, ext::AnvilApi},
    rpc::types::mev::{
        BundleItem, EthSendPrivateTransaction, MevSendBundle, PrivacyHint, ProtocolVersion,
        mevshare::{Event, EventTransaction, EventTransactionLog, FunctionSelector},
    },
    signers::local::PrivateKeySigner,
};
use axum::{
    Json, Router,
    body::Bytes as Body,
    extract::State,
    http::HeaderMap,
    response::{
        IntoResponse, Response,
        sse::{Event as SseEvent, KeepAlive, Sse},
    },
    routing::get,
};
use bundles::server::{
    METHOD_NOT_FOUND, RpcError, authenticate, parse_request, response_err, response_ok,
};
use serde_json::{Value, json};
use std::{
    collections::HashMap,
    convert::Infallible,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};
use tokio::{
    sync::{broadcast, oneshot},
    task::JoinHandle,
};
use tracing::debug;

/// The user's default refund: 90% of the backrun's payment to the builder.
pub const DEFAULT_REFUND_PERCENT: u8 = 90;
/// How long a private transaction waits for inclusion by default (mainnet: 25 blocks).
pub(crate) const DEFAULT_MAX_BLOCKS: u64 = 25;
/// `Swap(address,uint256,uint256,uint256,uint256,address)` of Uniswap V2 pairs.
pub(crate) const V2_SWAP_TOPIC: B256 =
    b256!("0xd78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822");
/// `Swap(address,address,int256,int256,uint160,uint128,int24)` of Uniswap V3 pools.
pub(crate) const V3_SWAP_TOPIC: B256 =
    b256!("0xc42079f94a6350d7e6235f29174924f928cc2ac818eb64fed8004e115fbcca67");

/// A private transaction waiting for its block.
#[derive(Debug, Clone)]
struct Private {
    tx: SimTx,
    /// Last block it may land in.
    max_block: u64,
    /// Arrival order (a sender's private transactions are offered in nonce order).
    arrival: u64,
}

/// A searcher's backrun matched to a private transaction.
#[derive(Debug, Clone)]
struct Matched {
    victim: TxHash,
    backrun: SimTx,
    signer: Address,
    block: u64,
    max_block: u64,
}

#[derive(Debug, Default)]
struct Book {
    private: HashMap<TxHash, Private>,
    matched: Vec<Matched>,
    seq: u64,
}

/// State shared by the matchmaker's server and the builders.
#[derive(Debug)]
pub(crate) struct MatchShared {
    chain: Arc<Chain>,
    book: Mutex<Book>,
    hints: broadcast::Sender<String>,
    wallet: PrivateKeySigner,
    refund_percent: u8,
}

impl MatchShared {
    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The bundles a builder considers for `block`: each private transaction alone (it lands
    /// even unmatched), and each match with its refund order.
    pub(crate) fn candidates(&self, block: u64) -> Vec<StoredBundle> {
        let mut book = self.book();
        let mut out = Vec::new();
        let mut private: Vec<Private> =
            book.private.values().filter(|p| block <= p.max_block).cloned().collect();
        private.sort_by_key(|p| p.arrival);
        for p in &private {
            book.seq += 1;
            if let Ok(bundle) = bundles::Bundle::new(vec![p.tx.raw.clone()], block) {
                out.push(StoredBundle {
                    // After every relay bundle of the same victim (none: the victim is private).
                    seq: u64::MAX / 2 + book.seq,
                    signer: Address::ZERO,
                    bundle,
                    txs: vec![p.tx.clone()],
                    refund: None,
                });
            }
        }
        let matched: Vec<Matched> = book
            .matched
            .iter()
            .filter(|m| m.block <= block && block <= m.max_block)
            .cloned()
            .collect();
        for m in matched {
            let Some(victim) = book.private.get(&m.victim).map(|p| p.tx.clone()) else {
                continue;
            };
            book.seq += 1;
            let raw = vec![victim.raw.clone(), m.backrun.raw.clone()];
            if let Ok(bundle) = bundles::Bundle::new(raw, block) {
                out.push(StoredBundle {
                    seq: u64::MAX / 2 + book.seq,
                    signer: m.signer,
                    bundle,
                    txs: vec![victim.clone(), m.backrun.clone()],
                    refund: Some(RefundOrder {
                        user: victim.sender,
                        percent: self.refund_percent,
                        wallet: self.wallet.clone(),
                    }),
                });
            }
        }
        out
    }

    /// Forgets what landed in or expired with `block`.
    pub(crate) fn after_block(&self, block: u64, landed: &[TxHash]) {
        let mut book = self.book();
        book.private.retain(|hash, p| p.max_block > block && !landed.contains(hash));
        let Book { private, matched, .. } = &mut *book;
        matched.retain(|m| m.max_block > block && private.contains_key(&m.victim));
    }
}

/// The matchmaker: its HTTP server on 127.0.0.1 (JSON-RPC on `POST /`, the hint stream on
/// `GET /`). It stops when dropped.
#[derive(Debug)]
pub struct DevMatchmaker {
    shared: Arc<MatchShared>,
    url: String,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<()>,
}

impl Drop for DevMatchmaker {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.server.abort();
    }
}

/// The matchmaker's settings.
#[derive(Debug, Clone)]
pub struct MatchmakerOptions {
    /// The user's share of the backrun's payment, in percent.
    pub refund_percent: u8,
    /// Keep-alive interval of the hint stream (mainnet: 15 s).
    pub ping_interval: Duration,
}

impl Default for MatchmakerOptions {
    fn default() -> Self {
        Self { refund_percent: DEFAULT_REFUND_PERCENT, ping_interval: Duration::from_secs(15) }
    }
}

impl DevMatchmaker {
    pub(crate) async fn start(
        chain: Arc<Chain>,
        relays: &[Arc<RelayShared>],
        options: MatchmakerOptions,
    ) -> eyre::Result<Self> {
        // A fixed refund wallet, funded here: it pays refunds (and their gas) only.
        let key = keccak256(b"searcher-devnet matchmaker refund wallet");
        let wallet = PrivateKeySigner::from_bytes(&key)?;
        chain.provider.anvil_set_balance(wallet.address(), U256::from(10u128.pow(30))).await?;
        let (hints, _) = broadcast::channel(4_096);
        let shared = Arc::new(MatchShared {
            chain,
            book: Mutex::new(Book::default()),
            hints,
            wallet,
            refund_percent: options.refund_percent.min(100),
        });
        for relay in relays {
            let _ = relay.matchmaker.set(shared.clone());
        }
        let ping = options.ping_interval;
        let app = Router::new()
            .route("/", get(move |s| stream(s, ping)).post(rpc))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/", listener.local_addr()?);
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(e) = served {
                tracing::warn!(target: "searcher::devnet::matchmaker", error = %e, "server stopped");
            }
        });
        Ok(Self { shared, url, stop: Some(stop), server })
    }

    /// The endpoint: JSON-RPC (`POST`) and the hint stream (`GET`), `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The refund wallet (pays users their refunds).
    pub fn refund_wallet(&self) -> Address {
        self.shared.wallet.address()
    }

    /// The user's refund share, in percent.
    pub fn refund_percent(&self) -> u8 {
        self.shared.refund_percent
    }

    /// Clients connected to the hint stream.
    pub fn subscribers(&self) -> usize {
        self.shared.hints.receiver_count()
    }

    /// Private transactions waiting for a block.
    pub fn private_count(&self) -> usize {
        self.shared.book().private.len()
    }

    /// Matched backruns waiting for a block.
    pub fn matched_count(&self) -> usize {
        self.shared.book().matched.len()
    }

    /// Takes a private transaction as `eth_sendPrivateTransaction` would, with these hints
    /// (`None`: the default hints); returns its hash.
    pub async fn send_private(
        &self,
        raw: Bytes,
        hints: Option<PrivacyHint>,
    ) -> eyre::Result<TxHash> {
        accept_private(&self.shared, raw, None, hints).await.map_err(|e| eyre::eyre!(e.message))
    }
}

/// `GET /`: the hint stream.
async fn stream(State(shared): State<Arc<MatchShared>>, ping: Duration) -> Response {
    let rx = shared.hints.subscribe();
    let events = futures::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(data) => return Some((Ok::<_, Infallible>(SseEvent::default().data(data)), rx)),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(ping).text("ping")).into_response()
}

/// `POST /`: one JSON-RPC request.
async fn rpc(State(shared): State<Arc<MatchShared>>, headers: HeaderMap, body: Body) -> Response {
    let (id, result) = match parse_request(&body) {
        Ok(request) => (request.id.clone(), dispatch(&shared, &headers, &body, request).await),
        Err(e) => (Value::Null, Err(e)),
    };
    let answer = match result {
        Ok(value) => response_ok(&id, value),
        Err(e) => {
            debug!(target: "searcher::devnet::matchmaker", code = e.code, message = %e.message, "request rejected");
            response_err(&id, &e)
        }
    };
    Json(answer).into_response()
}

fn first_param<T: serde::de::DeserializeOwned>(params: &Value) -> Result<T, RpcError> {
    let first = params.get(0).cloned().ok_or_else(|| RpcError::invalid_params("no params"))?;
    serde_json::from_value(first).map_err(RpcError::invalid_params)
}

async fn dispatch(
    shared: &Arc<MatchShared>,
    headers: &HeaderMap,
    body: &[u8],
    request: bundles::server::IncomingRequest,
) -> Result<Value, RpcError> {
    match request.method.as_str() {
        "eth_sendPrivateTransaction" => {
            let p: EthSendPrivateTransaction = first_param(&request.params)?;
            let hints = p.preferences.privacy.and_then(|privacy| privacy.hints);
            let hash = accept_private(shared, p.tx, p.max_block_number, hints).await?;
            Ok(json!(hash))
        }
        "eth_sendRawTransaction" => {
            let raw: Bytes = first_param(&request.params)?;
            Ok(json!(accept_private(shared, raw, None, None).await?))
        }
        "mev_sendBundle" => {
            let signature = headers
                .get(bundles::FLASHBOTS_SIGNATURE_HEADER.to_ascii_lowercase().as_str())
                .and_then(|v| v.to_str().ok());
            let signer = authenticate(signature, body)?;
            let bundle: MevSendBundle = first_param(&request.params)?;
            accept_backrun(shared, signer, bundle).await
        }
        other => Err(RpcError::new(METHOD_NOT_FOUND, format!("method {other} not supported"))),
    }
}

async fn accept_private(
    shared: &Arc<MatchShared>,
    raw: Bytes,
    max_block: Option<u64>,
    hints: Option<PrivacyHint>,
) -> Result<TxHash, RpcError> {
    let tx = SimTx::decode(raw).map_err(RpcError::invalid_params)?;
    if let Some(id) = alloy::consensus::Transaction::chain_id(&tx.envelope)
        && id != shared.chain.chain_id
    {
        return Err(RpcError::invalid_params(format!("chain id {id}")));
    }
    // Its logs, on the state the next block would give it (after the public mempool).
    let (env, mut pending) = {
        let _guard = shared.chain.build_lock.lock().await;
        read_pending(&shared.chain, Address::ZERO).await.map_err(internal)?
    };
    // The same sender's earlier private transactions come first (their nonces).
    let mut earlier: Vec<SimTx> = shared
        .book()
        .private
        .values()
        .filter(|p| p.tx.sender == tx.sender && p.tx.nonce() < tx.nonce())
        .map(|p| p.tx.clone())
        .collect();
    earlier.sort_by_key(SimTx::nonce);
    pending.extend(earlier);
    let mut nonces = NonceCache::new(env.parent);
    let outcomes =
        simulate(&shared.chain.provider, &env, &mut nonces, &pending, std::slice::from_ref(&tx))
            .await
            .map_err(|e| RpcError::new(-32000, e.to_string()))?;
    let logs = outcomes.into_iter().next().map(|o| o.logs).unwrap_or_default();
    let event = hint(&tx, &logs, hints.as_ref());
    let hash = tx.hash;
    let max_block = max_block.unwrap_or(env.number + DEFAULT_MAX_BLOCKS - 1);
    {
        let mut book = shared.book();
        book.seq += 1;
        let arrival = book.seq;
        book.private.insert(hash, Private { tx, max_block, arrival });
    }
    let data = serde_json::to_string(&event).map_err(internal)?;
    // No subscriber is not an error: the transaction still lands.
    let _ = shared.hints.send(data);
    debug!(target: "searcher::devnet::matchmaker", %hash, max_block, "private transaction");
    Ok(hash)
}

fn internal(e: impl std::fmt::Display) -> RpcError {
    RpcError::new(-32603, e.to_string())
}

/// The hint of `tx` under `hints` (`None`: mainnet's default).
fn hint(tx: &SimTx, logs: &[alloy::rpc::types::Log], hints: Option<&PrivacyHint>) -> Event {
    let swap = |log: &&alloy::rpc::types::Log| {
        log.topics().first().is_some_and(|t| *t == V2_SWAP_TOPIC || *t == V3_SWAP_TOPIC)
    };
    let default_logs = || -> Vec<EventTransactionLog> {
        logs.iter()
            .filter(swap)
            .map(|l| EventTransactionLog {
                address: l.address(),
                topics: l.topics().to_vec(),
                data: Bytes::new(),
            })
            .collect()
    };
    let (logs, transactions) = match hints {
        None => (default_logs(), Vec::new()),
        Some(h) => {
            let logs = if h.logs {
                logs.iter()
                    .map(|l| EventTransactionLog {
                        address: l.address(),
                        topics: l.topics().to_vec(),
                        data: l.data().data.clone(),
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let input = alloy::consensus::Transaction::input(&tx.envelope);
            let shares_tx = h.calldata || h.function_selector || h.contract_address;
            let txs = if shares_tx {
                vec![EventTransaction {
                    to: h
                        .contract_address
                        .then(|| alloy::consensus::Transaction::to(&tx.envelope))
                        .flatten(),
                    function_selector: h
                        .function_selector
                        .then(|| FunctionSelector::try_from(input.get(..4)?).ok())
                        .flatten(),
                    calldata: h.calldata.then(|| input.clone()),
                }]
            } else {
                Vec::new()
            };
            (logs, txs)
        }
    };
    Event { hash: tx.hash, transactions, logs }
}

async fn accept_backrun(
    shared: &Arc<MatchShared>,
    signer: Address,
    bundle: MevSendBundle,
) -> Result<Value, RpcError> {
    if bundle.protocol_version != ProtocolVersion::V0_1 {
        return Err(RpcError::invalid_params("version must be v0.1"));
    }
    let (victim, raw) = match bundle.bundle_body.as_slice() {
        [BundleItem::Hash { hash }, BundleItem::Tx { tx, can_revert: false }] => {
            (*hash, tx.clone())
        }
        [BundleItem::Hash { .. }, BundleItem::Tx { .. }] => {
            return Err(RpcError::invalid_params("the backrun may not revert"));
        }
        _ => {
            return Err(RpcError::invalid_params(
                "body must be [{hash}, {tx}]: one backrun of one private transaction",
            ));
        }
    };
    let backrun = SimTx::decode(raw).map_err(RpcError::invalid_params)?;
    let head = shared.chain.provider.get_block_number().await.map_err(internal)?;
    let block = bundle.inclusion.block;
    let max_block = bundle.inclusion.max_block.unwrap_or(block);
    if max_block <= head || max_block < block {
        return Err(RpcError::invalid_params(format!(
            "inclusion {block}..={max_block} is not after the head {head}"
        )));
    }
    let mut book = shared.book();
    if !book.private.contains_key(&victim) {
        return Err(RpcError::invalid_params(format!("unknown transaction {victim}")));
    }
    let hash = bundles::bundle::bundle_hash(&[victim, backrun.hash]);
    debug!(target: "searcher::devnet::matchmaker", %victim, backrun = %backrun.hash, block, max_block, "matched");
    book.matched.push(Matched { victim, backrun, signer, block, max_block });
    Ok(json!({ "bundleHash": hash }))
}

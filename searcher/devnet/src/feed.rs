//! The Arbitrum sequencer feed's server side, speaking Nitro's broadcast protocol: a WebSocket
//! server that publishes `BroadcastMessage` frames to every connected client, keeps a backlog
//! and replays it from the client's `Arbitrum-Requested-Sequence-Number`, as a Nitro feed
//! relay does. Faults for tests: a frame published to one server only (a feed that misses a
//! message), [`FeedServer::cut`] (every connection dropped at once), raw frames.
//!
//! [`l2_message`] and [`sequenced_message`] build the payloads the real sequencer sends: one
//! signed transaction (`4 || EIP-2718`) or a batch (`3 || (u64 BE length || message)*`).

use alloy::{eips::eip2718::Encodable2718, primitives::Address};
use eyre::WrapErr;
use futures::{SinkExt, StreamExt};
use searcher::watch::arbitrum::{
    BroadcastFeedMessage, BroadcastMessage, L1IncomingMessage,
    message::{
        Base64Bytes, FEED_VERSION, L1IncomingMessageHeader, MessageWithMetadata,
        REQUESTED_SEQUENCE_NUMBER_HEADER,
    },
};
use std::{
    collections::VecDeque,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::{broadcast, watch},
};
use tokio_tungstenite::tungstenite::{
    Message,
    handshake::server::{Request, Response},
};

/// The sequencer's sender address on the feed (`0xa4b0…73657175656e636572`, "sequencer").
pub const SEQUENCER_SENDER: Address =
    alloy::primitives::address!("0xa4b000000000000000000073657175656e636572");

/// How many messages the backlog keeps.
const BACKLOG: usize = 4_096;

/// The L2 message of a block's transactions: one signed transaction alone, several in a batch.
pub fn l2_message<T: Encodable2718>(txs: &[T]) -> Vec<u8> {
    let signed = |tx: &T| {
        let mut out = vec![4];
        out.extend(tx.encoded_2718());
        out
    };
    match txs {
        [one] => signed(one),
        _ => {
            let mut out = vec![3];
            for tx in txs {
                let nested = signed(tx);
                out.extend((nested.len() as u64).to_be_bytes());
                out.extend(nested);
            }
            out
        }
    }
}

/// A sequenced message (kind 3) holding `l2_msg`.
pub fn sequenced_message(
    sequence_number: u64,
    timestamp: u64,
    l2_msg: Vec<u8>,
) -> BroadcastFeedMessage {
    BroadcastFeedMessage {
        sequence_number,
        message: MessageWithMetadata {
            message: L1IncomingMessage {
                header: L1IncomingMessageHeader {
                    kind: 3,
                    sender: SEQUENCER_SENDER,
                    block_number: 0,
                    timestamp,
                    request_id: None,
                    base_fee_l1: None,
                },
                l2_msg: Base64Bytes(l2_msg),
                batch_gas_cost: None,
            },
            delayed_messages_read: 0,
        },
        block_hash: None,
        signature: None,
        block_metadata: None,
    }
}

/// A feed server on `127.0.0.1`, stopped when dropped.
#[derive(Debug)]
pub struct FeedServer {
    url: String,
    frames: broadcast::Sender<Arc<str>>,
    cut: watch::Sender<u64>,
    backlog: Arc<Mutex<VecDeque<BroadcastFeedMessage>>>,
    connections: Arc<AtomicUsize>,
    open: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FeedServer {
    fn drop(&mut self) {
        self.task.abort();
        self.cut.send_modify(|n| *n += 1);
    }
}

impl FeedServer {
    /// Binds a free port and serves.
    pub async fn start() -> eyre::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await.wrap_err("binding the feed")?;
        let url = format!("ws://{}", listener.local_addr()?);
        let (frames, _) = broadcast::channel(BACKLOG);
        let (cut, _) = watch::channel(0u64);
        let (backlog, connections, open) =
            (Arc::<Mutex<VecDeque<_>>>::default(), Arc::default(), Arc::default());
        let accept = Accept {
            frames: frames.clone(),
            cut: cut.subscribe(),
            backlog: Arc::clone(&backlog),
            connections: Arc::clone(&connections),
            open: Arc::clone(&open),
        };
        let task = tokio::spawn(accept.run(listener));
        Ok(Self { url, frames, cut, backlog, connections, open, task })
    }

    /// The feed URL (`ws://127.0.0.1:port`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Publishes one frame holding `messages` (kept in the backlog).
    pub fn publish(&self, messages: Vec<BroadcastFeedMessage>) {
        {
            let mut backlog = self.backlog.lock().expect("backlog lock");
            for m in &messages {
                if backlog.len() == BACKLOG {
                    backlog.pop_front();
                }
                backlog.push_back(m.clone());
            }
        }
        let frame = BroadcastMessage {
            version: FEED_VERSION,
            messages,
            confirmed_sequence_number_message: None,
        };
        let text = serde_json::to_string(&frame).expect("a feed message serialises");
        self.publish_raw(text);
    }

    /// Sends `text` as a frame to every client (not kept in the backlog).
    pub fn publish_raw(&self, text: String) {
        // No client connected is not an error.
        let _ = self.frames.send(Arc::from(text));
    }

    /// Drops every open connection at once; new ones are accepted.
    pub fn cut(&self) {
        self.cut.send_modify(|n| *n += 1);
    }

    /// Connections accepted since start.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Connections open now.
    pub fn open_connections(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }
}

struct Accept {
    frames: broadcast::Sender<Arc<str>>,
    cut: watch::Receiver<u64>,
    backlog: Arc<Mutex<VecDeque<BroadcastFeedMessage>>>,
    connections: Arc<AtomicUsize>,
    open: Arc<AtomicUsize>,
}

impl Accept {
    async fn run(self, listener: TcpListener) {
        while let Ok((stream, _)) = listener.accept().await {
            let client = Client {
                frames: self.frames.subscribe(),
                cut: self.cut.clone(),
                backlog: self.backlog.clone(),
                open: self.open.clone(),
            };
            self.connections.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(client.serve(stream));
        }
    }
}

struct Client {
    frames: broadcast::Receiver<Arc<str>>,
    cut: watch::Receiver<u64>,
    backlog: Arc<Mutex<VecDeque<BroadcastFeedMessage>>>,
    open: Arc<AtomicUsize>,
}

impl Client {
    async fn serve(mut self, stream: TcpStream) {
        let mut requested: Option<u64> = None;
        #[expect(clippy::result_large_err, reason = "tungstenite's handshake callback signature")]
        let callback = |request: &Request, response: Response| {
            requested = request
                .headers()
                .get(REQUESTED_SEQUENCE_NUMBER_HEADER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok());
            Ok(response)
        };
        let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
            return;
        };
        self.cut.mark_unchanged();
        self.open.fetch_add(1, Ordering::SeqCst);
        // The backlog from the requested sequence number, as a Nitro relay sends it.
        if let Some(from) = requested {
            let messages: Vec<_> = {
                let backlog = self.backlog.lock().expect("backlog lock");
                backlog.iter().filter(|m| m.sequence_number >= from).cloned().collect()
            };
            if !messages.is_empty() {
                let frame = BroadcastMessage {
                    version: FEED_VERSION,
                    messages,
                    confirmed_sequence_number_message: None,
                };
                let text = serde_json::to_string(&frame).expect("a feed message serialises");
                if ws.send(Message::text(text)).await.is_err() {
                    self.open.fetch_sub(1, Ordering::SeqCst);
                    return;
                }
            }
        }
        loop {
            tokio::select! {
                _ = self.cut.changed() => break,
                frame = self.frames.recv() => match frame {
                    Ok(text) => {
                        if ws.send(Message::text(text.as_ref())).await.is_err() {
                            break;
                        }
                    }
                    // A client too slow for the broadcast buffer is dropped, as Nitro does.
                    Err(_) => break,
                },
                incoming = ws.next() => match incoming {
                    Some(Ok(_)) => {}
                    _ => break,
                },
            }
        }
        // Dropping the stream without a close frame: the client sees the connection end.
        drop(ws);
        self.open.fetch_sub(1, Ordering::SeqCst);
    }
}

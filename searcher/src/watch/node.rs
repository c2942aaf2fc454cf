//! The node endpoint and the shared provider.
//!
//! The connection never redials on its own: alloy's pubsub service would otherwise retry
//! silently (3 s, 6 s, … 30 s) while every subscription waits. Here a dropped connection
//! stops the service, every subscription ends, and the watch stage redials with its own
//! backoff, counts it and alerts ([`super::stream`]). After [`NodeClient::reconnect`] every
//! holder of the client sees the new provider through [`NodeClient::provider`].

use alloy::{
    providers::{DynProvider, IpcConnect, Provider, ProviderBuilder, WsConnect},
    pubsub::{ConnectionHandle, PubSubConnect},
    rpc::client::ClientBuilder,
    transports::{TransportErrorKind, TransportResult},
};
use serde::{Deserialize, Serialize};
use std::{
    fmt,
    path::PathBuf,
    str::FromStr,
    sync::{Arc, RwLock},
};

/// Where the node is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum NodeEndpoint {
    /// A local IPC socket (reth's default is `/tmp/reth.ipc`).
    Ipc(PathBuf),
    /// A WebSocket URL (`ws://` or `wss://`).
    Ws(String),
}

impl FromStr for NodeEndpoint {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Err("empty node endpoint".into());
        }
        if s.starts_with("ws://") || s.starts_with("wss://") {
            Ok(Self::Ws(s.to_owned()))
        } else if s.starts_with("http://") || s.starts_with("https://") {
            Err(format!("{s}: HTTP cannot carry subscriptions; use an IPC path or a ws:// URL"))
        } else {
            Ok(Self::Ipc(PathBuf::from(s)))
        }
    }
}

impl TryFrom<String> for NodeEndpoint {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<NodeEndpoint> for String {
    fn from(e: NodeEndpoint) -> Self {
        e.to_string()
    }
}

impl fmt::Display for NodeEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ipc(path) => write!(f, "{}", path.display()),
            Self::Ws(url) => f.write_str(url),
        }
    }
}

/// Connecting to the node failed.
#[derive(Debug, thiserror::Error)]
#[error("connecting to {endpoint}: {source}")]
pub struct ConnectError {
    /// The endpoint.
    pub endpoint: NodeEndpoint,
    /// The transport error.
    #[source]
    pub source: alloy::transports::TransportError,
}

/// The shared connection. Cloning is cheap; after a reconnect every holder sees the new
/// provider through [`NodeClient::provider`].
#[derive(Debug, Clone)]
pub struct NodeClient {
    endpoint: NodeEndpoint,
    current: Arc<RwLock<DynProvider>>,
}

/// A pubsub connector that dials once and refuses to redial: when the connection drops,
/// alloy's service shuts down (a non-retryable error) instead of retrying on its own.
#[derive(Debug, Clone)]
struct DialOnce<C>(C);

impl<C: PubSubConnect + Clone> PubSubConnect for DialOnce<C> {
    fn is_local(&self) -> bool {
        self.0.is_local()
    }

    async fn connect(&self) -> TransportResult<ConnectionHandle> {
        self.0.connect().await
    }

    async fn try_reconnect(&self) -> TransportResult<ConnectionHandle> {
        Err(TransportErrorKind::non_retryable_str("connection lost; the watch stage redials"))
    }
}

/// Notifications alloy buffers per subscription when the caller does not say.
pub const DEFAULT_SUBSCRIPTION_BUFFER: usize = super::stream::DEFAULT_SUBSCRIPTION_BUFFER;

impl NodeClient {
    /// Connects to the endpoint.
    pub async fn connect(endpoint: NodeEndpoint) -> Result<Self, ConnectError> {
        let provider = Self::dial(&endpoint, DEFAULT_SUBSCRIPTION_BUFFER).await?;
        Ok(Self { endpoint, current: Arc::new(RwLock::new(provider)) })
    }

    async fn dial(endpoint: &NodeEndpoint, buffer: usize) -> Result<DynProvider, ConnectError> {
        let client = match endpoint {
            NodeEndpoint::Ipc(path) => {
                ClientBuilder::default().pubsub(DialOnce(IpcConnect::new(path.clone()))).await
            }
            NodeEndpoint::Ws(url) => {
                ClientBuilder::default().pubsub(DialOnce(WsConnect::new(url))).await
            }
        }
        .map_err(|source| ConnectError { endpoint: endpoint.clone(), source })?;
        client.set_channel_size(buffer.max(1));
        Ok(ProviderBuilder::new().connect_client(client).erased())
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &NodeEndpoint {
        &self.endpoint
    }

    /// The current provider.
    pub fn provider(&self) -> DynProvider {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Dials again (subscriptions buffering `buffer` notifications) and swaps the shared
    /// provider.
    pub async fn reconnect(&self, buffer: usize) -> Result<DynProvider, ConnectError> {
        let provider = Self::dial(&self.endpoint, buffer).await?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = provider.clone();
        Ok(provider)
    }

    /// Whether the node answers (`eth_blockNumber`).
    pub async fn is_reachable(&self) -> bool {
        self.provider().get_block_number().await.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_parsing() {
        assert_eq!("/tmp/reth.ipc".parse(), Ok(NodeEndpoint::Ipc("/tmp/reth.ipc".into())));
        assert_eq!(
            "ws://127.0.0.1:8546".parse(),
            Ok(NodeEndpoint::Ws("ws://127.0.0.1:8546".into()))
        );
        assert!("http://127.0.0.1:8545".parse::<NodeEndpoint>().is_err());
        assert!("  ".parse::<NodeEndpoint>().is_err());
    }
}

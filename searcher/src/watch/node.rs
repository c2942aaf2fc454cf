//! The node endpoint and the shared provider.

use alloy::providers::{DynProvider, IpcConnect, Provider, ProviderBuilder, WsConnect};
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

impl NodeClient {
    /// Connects to the endpoint.
    pub async fn connect(endpoint: NodeEndpoint) -> Result<Self, ConnectError> {
        let provider = Self::dial(&endpoint).await?;
        Ok(Self { endpoint, current: Arc::new(RwLock::new(provider)) })
    }

    async fn dial(endpoint: &NodeEndpoint) -> Result<DynProvider, ConnectError> {
        let result = match endpoint {
            NodeEndpoint::Ipc(path) => {
                ProviderBuilder::new().connect_ipc(IpcConnect::new(path.clone())).await
            }
            NodeEndpoint::Ws(url) => ProviderBuilder::new().connect_ws(WsConnect::new(url)).await,
        };
        result
            .map(|p| p.erased())
            .map_err(|source| ConnectError { endpoint: endpoint.clone(), source })
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &NodeEndpoint {
        &self.endpoint
    }

    /// The current provider.
    pub fn provider(&self) -> DynProvider {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Dials again and swaps the shared provider.
    pub async fn reconnect(&self) -> Result<DynProvider, ConnectError> {
        let provider = Self::dial(&self.endpoint).await?;
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

//! The relay side of the protocol, for servers that receive what [`crate::Fanout`] sends
//! (the devnet builder-relay): request parsing, signature checks and JSON-RPC answers.
//!
//! Parsing is as lenient as real relays are: `blockNumber` as hex or number and optional
//! (BuilderNet), `uuid` as an alias of `replacementUuid` (BuilderNet), an empty `txs` list as
//! a cancel.

use crate::{
    bundle::{Bundle, BundleError, Refund},
    sign::{SignatureError, verify_signature},
};
use alloy::{
    primitives::{Address, Bytes, TxHash},
    rpc::types::mev::EthCallBundle,
};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

/// JSON-RPC: invalid JSON.
pub const PARSE_ERROR: i64 = -32700;
/// JSON-RPC: not a valid request object.
pub const INVALID_REQUEST: i64 = -32600;
/// JSON-RPC: unknown method.
pub const METHOD_NOT_FOUND: i64 = -32601;
/// JSON-RPC: bad params.
pub const INVALID_PARAMS: i64 = -32602;
/// Missing or bad `X-Flashbots-Signature` (server-defined range).
pub const UNAUTHORIZED: i64 = -32001;

/// A JSON-RPC error to answer with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("JSON-RPC error {code}: {message}")]
pub struct RpcError {
    /// Error code.
    pub code: i64,
    /// Message.
    pub message: String,
}

impl RpcError {
    /// An error with `code` and `message`.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    /// [`INVALID_PARAMS`] with `message`.
    pub fn invalid_params(message: impl std::fmt::Display) -> Self {
        Self::new(INVALID_PARAMS, message.to_string())
    }
}

/// A received request: method, params as JSON, id echoed back.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct IncomingRequest {
    /// Request id (any JSON value; `null` when absent).
    #[serde(default)]
    pub id: Value,
    /// Method name.
    pub method: String,
    /// Params (array or object; `null` when absent).
    #[serde(default)]
    pub params: Value,
}

/// Parses a request body.
pub fn parse_request(body: &[u8]) -> Result<IncomingRequest, RpcError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| RpcError::new(PARSE_ERROR, e.to_string()))?;
    serde_json::from_value(value).map_err(|e| RpcError::new(INVALID_REQUEST, e.to_string()))
}

/// Checks the `X-Flashbots-Signature` header (if any) against the raw body; returns the
/// signer, or an [`UNAUTHORIZED`] error for a missing or bad signature.
pub fn authenticate(header: Option<&str>, body: &[u8]) -> Result<Address, RpcError> {
    let header =
        header.ok_or_else(|| RpcError::new(UNAUTHORIZED, "missing X-Flashbots-Signature"))?;
    verify_signature(header, body)
        .map_err(|e: SignatureError| RpcError::new(UNAUTHORIZED, e.to_string()))
}

/// A success answer.
pub fn response_ok(id: &Value, result: impl Serialize) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

/// An error answer.
pub fn response_err(id: &Value, error: &RpcError) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": error.code, "message": error.message}})
}

/// `eth_sendBundle` params as relays accept them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendBundleParams {
    /// Raw signed transactions; empty means cancel `replacement_uuid` (BuilderNet, beaverbuild).
    #[serde(default)]
    pub txs: Vec<Bytes>,
    /// Target block, hex or number; optional for BuilderNet.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub block_number: Option<u64>,
    /// Earliest unix timestamp.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub min_timestamp: Option<u64>,
    /// Latest unix timestamp.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub max_timestamp: Option<u64>,
    /// Transactions allowed to revert.
    #[serde(default)]
    pub reverting_tx_hashes: Vec<TxHash>,
    /// Transactions allowed to be dropped.
    #[serde(default)]
    pub dropping_tx_hashes: Vec<TxHash>,
    /// Replacement uuid (`uuid` accepted as an alias).
    #[serde(default, alias = "uuid")]
    pub replacement_uuid: Option<Uuid>,
    /// Refund percent.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub refund_percent: Option<u64>,
    /// Refund recipient.
    #[serde(default)]
    pub refund_recipient: Option<Address>,
}

impl SendBundleParams {
    /// Whether this is the empty-bundle cancel form.
    pub const fn is_cancel(&self) -> bool {
        self.txs.is_empty()
    }

    /// The bundle, with `current_block + 1` as target when `blockNumber` is absent.
    pub fn into_bundle(self, default_block: u64) -> Result<Bundle, BundleError> {
        let mut bundle = Bundle::new(self.txs, self.block_number.unwrap_or(default_block))?
            .with_timestamps(self.min_timestamp, self.max_timestamp)?
            .with_reverting(self.reverting_tx_hashes)
            .with_dropping(self.dropping_tx_hashes);
        if let Some(uuid) = self.replacement_uuid {
            bundle = bundle.with_replacement_uuid(uuid);
        }
        if let Some(percent) = self.refund_percent {
            let percent = u8::try_from(percent).map_err(|_| BundleError::RefundPercent(u8::MAX))?;
            bundle = bundle.with_refund(Refund { percent, recipient: self.refund_recipient })?;
        }
        Ok(bundle)
    }
}

/// `eth_cancelBundle` params (`uuid` accepted as an alias).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelBundleParams {
    /// The uuid to cancel.
    #[serde(alias = "uuid")]
    pub replacement_uuid: Uuid,
}

/// The first element of an array of params (or the params themselves when not an array).
fn first_param<T: for<'de> Deserialize<'de>>(params: &Value) -> Result<T, RpcError> {
    let value = match params {
        Value::Array(items) => {
            items.first().cloned().ok_or_else(|| RpcError::invalid_params("empty params"))?
        }
        other => other.clone(),
    };
    serde_json::from_value(value).map_err(RpcError::invalid_params)
}

/// Parses `eth_sendBundle` params.
pub fn parse_send_bundle(params: &Value) -> Result<SendBundleParams, RpcError> {
    first_param(params)
}

/// Parses `eth_cancelBundle` params.
pub fn parse_cancel_bundle(params: &Value) -> Result<CancelBundleParams, RpcError> {
    first_param(params)
}

/// Parses `eth_callBundle` params (alloy's type).
pub fn parse_call_bundle(params: &Value) -> Result<EthCallBundle, RpcError> {
    first_param(params)
}

fn lenient_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    use serde::de::Error;
    match Option::<Value>::deserialize(deserializer)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            n.as_u64().map(Some).ok_or_else(|| D::Error::custom("expected an unsigned integer"))
        }
        Some(Value::String(s)) => {
            let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => s.parse(),
            };
            parsed.map(Some).map_err(|e| D::Error::custom(format!("bad number {s:?}: {e}")))
        }
        Some(other) => Err(D::Error::custom(format!("expected a number, got {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{RelayFlavour, encode};

    const UUID: &str = "3f1b7c1e-9a52-4c8e-b5d6-2f3c1a0e9d47";

    #[test]
    fn parses_what_the_encoder_sends() {
        let bundle =
            Bundle::new(vec![Bytes::from_static(&[2, 1]), Bytes::from_static(&[2, 2])], 0x42)
                .unwrap()
                .with_replacement_uuid(UUID.parse().unwrap())
                .with_timestamps(Some(1), Some(2))
                .unwrap();
        let sent = encode::encode_send(&bundle, RelayFlavour::Flashbots, 9).unwrap();
        let request = parse_request(&sent.body).unwrap();
        assert_eq!((request.method.as_str(), request.id.clone()), ("eth_sendBundle", json!(9)));
        let params = parse_send_bundle(&request.params).unwrap();
        assert!(!params.is_cancel());
        assert_eq!(params.into_bundle(0).unwrap(), bundle);

        let cancel =
            encode::encode_cancel(&bundle.cancel().unwrap(), RelayFlavour::Flashbots, 1).unwrap();
        let request = parse_request(&cancel.body).unwrap();
        assert_eq!(
            parse_cancel_bundle(&request.params).unwrap().replacement_uuid.to_string(),
            UUID
        );

        let empty =
            encode::encode_cancel(&bundle.cancel().unwrap(), RelayFlavour::Buildernet, 1).unwrap();
        let params = parse_send_bundle(&parse_request(&empty.body).unwrap().params).unwrap();
        assert!(params.is_cancel());
        assert_eq!(params.replacement_uuid.map(|u| u.to_string()).as_deref(), Some(UUID));
    }

    #[test]
    fn lenient_shapes() {
        let params =
            parse_send_bundle(&json!([{"txs": ["0x0201"], "uuid": UUID, "minTimestamp": "0x10"}]))
                .unwrap();
        assert_eq!(params.block_number, None);
        assert_eq!(params.min_timestamp, Some(16));
        assert_eq!(params.replacement_uuid.map(|u| u.to_string()).as_deref(), Some(UUID));
        assert_eq!(params.into_bundle(7).unwrap().target_block, 7);
        assert_eq!(
            parse_send_bundle(&json!([{"txs": [], "blockNumber": 5}])).unwrap().block_number,
            Some(5)
        );
        assert_eq!(parse_send_bundle(&json!([])).unwrap_err().code, INVALID_PARAMS);
        assert_eq!(parse_send_bundle(&json!([{"txs": "nope"}])).unwrap_err().code, INVALID_PARAMS);
        assert_eq!(parse_request(b"{").unwrap_err().code, PARSE_ERROR);
        assert_eq!(parse_request(b"[1]").unwrap_err().code, INVALID_REQUEST);
        let call = parse_call_bundle(
            &json!([{"txs": ["0x01"], "blockNumber": "0x2", "stateBlockNumber": "latest"}]),
        )
        .unwrap();
        assert_eq!(call.block_number, 2);
    }

    #[test]
    fn authenticate_checks_signatures() {
        let key = alloy::signers::local::PrivateKeySigner::random();
        let body = br#"{"jsonrpc":"2.0","id":1,"method":"eth_sendBundle","params":[]}"#;
        let header = crate::sign_body_sync(&key, body).unwrap();
        assert_eq!(authenticate(Some(&header), body).unwrap(), key.address());
        assert_eq!(authenticate(None, body).unwrap_err().code, UNAUTHORIZED);
        assert_eq!(authenticate(Some(&header), b"{}").unwrap_err().code, UNAUTHORIZED);
        let answer = response_err(&json!(1), &RpcError::new(UNAUTHORIZED, "bad"));
        assert_eq!(answer["error"]["code"], json!(UNAUTHORIZED));
        assert_eq!(response_ok(&json!("a"), json!({"bundleHash": "0x"}))["id"], json!("a"));
    }
}

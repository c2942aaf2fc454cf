//! Per-flavour request encoding: bundles, cancels and MEV-Share backruns as JSON-RPC bodies.
//!
//! Param types are alloy's where the wire format is standard (`EthSendBundle`,
//! `EthCancelBundle`, `MevSendBundle`) and [`BloxrouteSubmitBundle`] for bloXroute, all
//! public so a relay (the devnet builder-relay) can parse what we send.
//!
//! | flavour | send | cancel |
//! |---|---|---|
//! | flashbots, titan, rsync | `eth_sendBundle [EthSendBundle]` | `eth_cancelBundle [{replacementUuid}]` |
//! | buildernet, beaverbuild | `eth_sendBundle [EthSendBundle]` | same uuid, empty `txs` |
//! | bloxroute | `blxr_submit_bundle {transaction, block_number, ...}` | same uuid, empty `transaction` |
//!
//! rsync discards a bundle with `refundPercent` but no `refundRecipient`, so for rsync such a
//! refund is left out (the bundle lands without the refund instead of being dropped).

use crate::{
    bundle::{Bundle, Cancel, MevShareBackrun},
    config::RelayFlavour,
};
use alloy::{
    primitives::{B256, Bytes, hex},
    rpc::types::mev::{BundleItem, EthCancelBundle, EthSendBundle, MevSendBundle, ProtocolVersion},
};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// `eth_sendBundle`.
pub const ETH_SEND_BUNDLE: &str = "eth_sendBundle";
/// `eth_cancelBundle`.
pub const ETH_CANCEL_BUNDLE: &str = "eth_cancelBundle";
/// `eth_callBundle`.
pub const ETH_CALL_BUNDLE: &str = "eth_callBundle";
/// `mev_sendBundle` (MEV-Share).
pub const MEV_SEND_BUNDLE: &str = "mev_sendBundle";
/// bloXroute's `blxr_submit_bundle`.
pub const BLXR_SUBMIT_BUNDLE: &str = "blxr_submit_bundle";

/// What a request does (one record per relay per request).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestKind {
    /// A bundle submission (`eth_sendBundle` / `blxr_submit_bundle`).
    SendBundle,
    /// A cancel (`eth_cancelBundle` or the flavour's empty-bundle form).
    CancelBundle,
    /// A MEV-Share backrun (`mev_sendBundle`).
    MevSendBundle,
}

impl RequestKind {
    /// Label for records and metrics.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SendBundle => "send",
            Self::CancelBundle => "cancel",
            Self::MevSendBundle => "mev_send",
        }
    }
}

/// How a flavour withdraws a bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelForm {
    /// `eth_cancelBundle [{replacementUuid}]`.
    CancelBundle,
    /// Resubmit the same uuid with no transactions.
    EmptyBundle,
}

impl RelayFlavour {
    /// This flavour's cancel form.
    pub const fn cancel_form(self) -> CancelForm {
        match self {
            Self::Flashbots | Self::Titan | Self::Rsync => CancelForm::CancelBundle,
            Self::Buildernet | Self::Beaverbuild | Self::Bloxroute => CancelForm::EmptyBundle,
        }
    }

    /// The method this flavour submits bundles with.
    pub const fn send_method(self) -> &'static str {
        match self {
            Self::Bloxroute => BLXR_SUBMIT_BUNDLE,
            _ => ETH_SEND_BUNDLE,
        }
    }
}

/// A JSON-RPC 2.0 request envelope; `P` is the params (an array or, for bloXroute, an object).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonRpcRequest<P> {
    /// Always `"2.0"`.
    pub jsonrpc: Cow<'static, str>,
    /// Request id (numbers from us; anything on parse).
    pub id: serde_json::Value,
    /// Method name.
    pub method: Cow<'static, str>,
    /// Params.
    pub params: P,
}

impl<P> JsonRpcRequest<P> {
    /// A `"2.0"` request.
    pub fn new(id: u64, method: &'static str, params: P) -> Self {
        Self { jsonrpc: Cow::Borrowed("2.0"), id: id.into(), method: Cow::Borrowed(method), params }
    }
}

/// A serialised request: the exact bytes that are signed and sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedRequest {
    /// JSON-RPC method.
    pub method: &'static str,
    /// Body bytes (UTF-8 JSON).
    pub body: Bytes,
}

fn encode<P: Serialize>(
    id: u64,
    method: &'static str,
    params: P,
) -> Result<EncodedRequest, serde_json::Error> {
    let body = serde_json::to_vec(&JsonRpcRequest::new(id, method, params))?;
    Ok(EncodedRequest { method, body: body.into() })
}

/// bloXroute `blxr_submit_bundle` params: an object with snake_case keys, raw txs without `0x`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BloxrouteSubmitBundle {
    /// Raw signed transactions, hex without the `0x` prefix.
    pub transaction: Vec<String>,
    /// Target block, `0x`-hex.
    pub block_number: String,
    /// Earliest unix timestamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_timestamp: Option<u64>,
    /// Latest unix timestamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_timestamp: Option<u64>,
    /// Transactions allowed to revert.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reverting_hashes: Vec<B256>,
    /// Replacement / cancellation uuid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
}

/// `eth_sendBundle` params for `bundle` in `flavour`'s dialect (not bloXroute's).
pub fn eth_send_bundle_params(bundle: &Bundle, flavour: RelayFlavour) -> EthSendBundle {
    let (mut refund_percent, refund_recipient) =
        bundle.refund.map_or((None, None), |r| (Some(r.percent), r.recipient));
    if flavour == RelayFlavour::Rsync && refund_recipient.is_none() {
        refund_percent = None;
    }
    EthSendBundle {
        txs: bundle.txs().to_vec(),
        block_number: bundle.target_block,
        min_timestamp: bundle.min_timestamp,
        max_timestamp: bundle.max_timestamp,
        reverting_tx_hashes: bundle.reverting_tx_hashes.clone(),
        replacement_uuid: bundle.replacement_uuid.map(|u| u.to_string()),
        dropping_tx_hashes: bundle.dropping_tx_hashes.clone(),
        refund_percent,
        refund_recipient,
        ..Default::default()
    }
}

/// bloXroute params for `bundle`.
pub fn bloxroute_params(bundle: &Bundle) -> BloxrouteSubmitBundle {
    BloxrouteSubmitBundle {
        transaction: bundle.txs().iter().map(hex::encode).collect(),
        block_number: format!("{:#x}", bundle.target_block),
        min_timestamp: bundle.min_timestamp,
        max_timestamp: bundle.max_timestamp,
        reverting_hashes: bundle.reverting_tx_hashes.clone(),
        uuid: bundle.replacement_uuid.map(|u| u.to_string()),
    }
}

/// MEV-Share params: version **v0.1** (alloy's default is beta-1), inclusion
/// `{block, maxBlock}`, body `[{hash}, {tx, canRevert: false}]`.
pub fn mev_send_bundle_params(backrun: &MevShareBackrun) -> MevSendBundle {
    MevSendBundle::new(
        backrun.block,
        backrun.max_block,
        ProtocolVersion::V0_1,
        vec![
            BundleItem::Hash { hash: backrun.victim_hash },
            BundleItem::Tx { tx: backrun.backrun.clone(), can_revert: false },
        ],
    )
}

/// The submission request for `bundle` in `flavour`'s dialect.
pub fn encode_send(
    bundle: &Bundle,
    flavour: RelayFlavour,
    id: u64,
) -> Result<EncodedRequest, serde_json::Error> {
    match flavour {
        RelayFlavour::Bloxroute => encode(id, BLXR_SUBMIT_BUNDLE, bloxroute_params(bundle)),
        _ => encode(id, ETH_SEND_BUNDLE, [eth_send_bundle_params(bundle, flavour)]),
    }
}

/// The cancel request for `cancel` in `flavour`'s dialect.
pub fn encode_cancel(
    cancel: &Cancel,
    flavour: RelayFlavour,
    id: u64,
) -> Result<EncodedRequest, serde_json::Error> {
    let uuid = cancel.replacement_uuid.to_string();
    match (flavour, flavour.cancel_form()) {
        (RelayFlavour::Bloxroute, _) => encode(
            id,
            BLXR_SUBMIT_BUNDLE,
            BloxrouteSubmitBundle {
                block_number: format!("{:#x}", cancel.target_block),
                uuid: Some(uuid),
                ..Default::default()
            },
        ),
        (_, CancelForm::EmptyBundle) => encode(
            id,
            ETH_SEND_BUNDLE,
            [EthSendBundle {
                block_number: cancel.target_block,
                replacement_uuid: Some(uuid),
                ..Default::default()
            }],
        ),
        (_, CancelForm::CancelBundle) => {
            encode(id, ETH_CANCEL_BUNDLE, [EthCancelBundle { replacement_uuid: uuid }])
        }
    }
}

/// The `mev_sendBundle` request for `backrun`.
pub fn encode_mev_share(
    backrun: &MevShareBackrun,
    id: u64,
) -> Result<EncodedRequest, serde_json::Error> {
    encode(id, MEV_SEND_BUNDLE, [mev_send_bundle_params(backrun)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::Refund;
    use alloy::primitives::{Address, b256};
    use serde_json::{Value, json};

    const UUID: &str = "3f1b7c1e-9a52-4c8e-b5d6-2f3c1a0e9d47";

    fn bundle() -> Bundle {
        Bundle::new(
            vec![Bytes::from_static(&[0x02, 0xaa]), Bytes::from_static(&[0x02, 0xbb])],
            0x10,
        )
        .unwrap()
        .with_replacement_uuid(UUID.parse().unwrap())
        .with_timestamps(Some(100), Some(200))
        .unwrap()
    }

    fn json_of(req: &EncodedRequest) -> Value {
        serde_json::from_slice(&req.body).unwrap()
    }

    #[test]
    fn eth_send_bundle_shape() {
        let b = bundle().with_reverting([b256!(
            "0x00000000000000000000000000000000000000000000000000000000000000aa"
        )]);
        let req = encode_send(&b, RelayFlavour::Flashbots, 7).unwrap();
        assert_eq!(req.method, ETH_SEND_BUNDLE);
        assert_eq!(
            json_of(&req),
            json!({"jsonrpc": "2.0", "id": 7, "method": "eth_sendBundle", "params": [{
                "txs": ["0x02aa", "0x02bb"],
                "blockNumber": "0x10",
                "minTimestamp": 100,
                "maxTimestamp": 200,
                "revertingTxHashes": ["0x00000000000000000000000000000000000000000000000000000000000000aa"],
                "replacementUuid": UUID,
            }]})
        );
        // Flavours without differences produce byte-identical bodies (signed once).
        for flavour in [
            RelayFlavour::Buildernet,
            RelayFlavour::Titan,
            RelayFlavour::Beaverbuild,
            RelayFlavour::Rsync,
        ] {
            assert_eq!(encode_send(&b, flavour, 7).unwrap(), req, "{flavour}");
        }
    }

    #[test]
    fn rsync_drops_refund_percent_without_recipient() {
        let no_recipient = bundle().with_refund(Refund { percent: 90, recipient: None }).unwrap();
        let rsync = json_of(&encode_send(&no_recipient, RelayFlavour::Rsync, 1).unwrap());
        assert!(rsync["params"][0].get("refundPercent").is_none());
        let titan = json_of(&encode_send(&no_recipient, RelayFlavour::Titan, 1).unwrap());
        assert_eq!(titan["params"][0]["refundPercent"], json!(90));

        let to = Address::repeat_byte(0x11);
        let with_recipient =
            bundle().with_refund(Refund { percent: 90, recipient: Some(to) }).unwrap();
        let rsync = json_of(&encode_send(&with_recipient, RelayFlavour::Rsync, 1).unwrap());
        assert_eq!(rsync["params"][0]["refundPercent"], json!(90));
        assert_eq!(rsync["params"][0]["refundRecipient"], json!(to));
    }

    #[test]
    fn bloxroute_shape() {
        let req = encode_send(&bundle(), RelayFlavour::Bloxroute, 3).unwrap();
        assert_eq!(
            json_of(&req),
            json!({"jsonrpc": "2.0", "id": 3, "method": "blxr_submit_bundle", "params": {
                "transaction": ["02aa", "02bb"],
                "block_number": "0x10",
                "min_timestamp": 100,
                "max_timestamp": 200,
                "uuid": UUID,
            }})
        );
    }

    #[test]
    fn cancel_shapes_per_flavour() {
        let cancel = bundle().cancel().unwrap();
        let rpc = json!({"jsonrpc": "2.0", "id": 1, "method": "eth_cancelBundle",
            "params": [{"replacementUuid": UUID}]});
        let empty = json!({"jsonrpc": "2.0", "id": 1, "method": "eth_sendBundle",
            "params": [{"txs": [], "blockNumber": "0x10", "replacementUuid": UUID}]});
        let blx = json!({"jsonrpc": "2.0", "id": 1, "method": "blxr_submit_bundle",
            "params": {"transaction": [], "block_number": "0x10", "uuid": UUID}});
        for (flavour, want) in [
            (RelayFlavour::Flashbots, &rpc),
            (RelayFlavour::Titan, &rpc),
            (RelayFlavour::Rsync, &rpc),
            (RelayFlavour::Buildernet, &empty),
            (RelayFlavour::Beaverbuild, &empty),
            (RelayFlavour::Bloxroute, &blx),
        ] {
            assert_eq!(&json_of(&encode_cancel(&cancel, flavour, 1).unwrap()), want, "{flavour}");
        }
    }

    #[test]
    fn mev_share_is_v0_1_with_one_backrun() {
        let victim = b256!("0x1111111111111111111111111111111111111111111111111111111111111111");
        let backrun =
            MevShareBackrun::new(victim, Bytes::from_static(&[0x02, 0xcc]), 20, Some(22)).unwrap();
        assert_eq!(
            json_of(&encode_mev_share(&backrun, 5).unwrap()),
            json!({"jsonrpc": "2.0", "id": 5, "method": "mev_sendBundle", "params": [{
                "version": "v0.1",
                "inclusion": {"block": "0x14", "maxBlock": "0x16"},
                "body": [{"hash": victim}, {"tx": "0x02cc", "canRevert": false}],
            }]})
        );
        assert_ne!(
            ProtocolVersion::default(),
            ProtocolVersion::V0_1,
            "the alloy pitfall still exists"
        );
    }
}

//! One hint's `data:` into alloy's [`Event`], leniently: every field of the MEV-Share event is
//! optional on the wire (an absent field was not shared), unknown fields are ignored (the 2025
//! docs add `from`, `value`, gas fields and `nonce` to `txs` entries), and `null` means absent.
//!
//! What cannot be used is refused with a typed reason, never a panic: data that is not a JSON
//! object of the right shape ([`HintReject::Malformed`]), and an event without a `hash`
//! ([`HintReject::NoHash`]), which no bundle could reference.

use alloy::{
    primitives::{Address, B256, Bytes},
    rpc::types::mev::mevshare::{Event, EventTransaction, EventTransactionLog, FunctionSelector},
};
use serde::Deserialize;

/// Why a hint's data was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HintReject {
    /// Not JSON, or a field of the wrong type.
    Malformed,
    /// No `hash`: nothing to reference in a bundle.
    NoHash,
}

#[derive(Deserialize)]
struct WireEvent {
    hash: Option<B256>,
    txs: Option<Vec<WireTx>>,
    logs: Option<Vec<WireLog>>,
}

#[derive(Deserialize)]
struct WireTx {
    to: Option<Address>,
    #[serde(rename = "functionSelector")]
    function_selector: Option<FunctionSelector>,
    #[serde(rename = "callData")]
    calldata: Option<Bytes>,
}

#[derive(Deserialize)]
struct WireLog {
    address: Address,
    topics: Option<Vec<B256>>,
    /// Absent, `null` and `0x` all mean the data was not shared (the default swap hints).
    data: Option<Bytes>,
}

/// Decodes one event's data.
pub fn decode_hint(data: &[u8]) -> Result<Event, HintReject> {
    let wire: WireEvent = serde_json::from_slice(data).map_err(|_| HintReject::Malformed)?;
    let hash = wire.hash.ok_or(HintReject::NoHash)?;
    let transactions = wire
        .txs
        .unwrap_or_default()
        .into_iter()
        .map(|tx| EventTransaction {
            to: tx.to,
            function_selector: tx.function_selector,
            calldata: tx.calldata,
        })
        .collect();
    let logs = wire
        .logs
        .unwrap_or_default()
        .into_iter()
        .map(|log| EventTransactionLog {
            address: log.address,
            topics: log.topics.unwrap_or_default(),
            data: log.data.unwrap_or_default(),
        })
        .collect();
    Ok(Event { hash, transactions, logs })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{address, b256, bytes};
    use proptest::prelude::*;

    /// The shape of a mainnet default hint for a V2 swap: the pair and the topics of its `Swap`
    /// with the data removed, `txs` null, and history-only fields the stream may carry.
    const MAINNET_DEFAULT: &str = r#"{"hash":"0x2a6f3b1a6b8bd1bd5b1a9e6b5c1b9a1f8d9a2a1d0e0b1c2d3e4f5a6b7c8d9e0f","logs":[{"address":"0xb4e16d0168e52d35cacd2c6185b44281ec28c9dc","topics":["0xd78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822","0x0000000000000000000000007a250d5630b4cf539739df2c5dacb4c659f2488d","0x0000000000000000000000007a250d5630b4cf539739df2c5dacb4c659f2488d"],"data":"0x"}],"txs":null,"mevGasPrice":"0x1","gasUsed":"0x2"}"#;

    #[test]
    fn mainnet_shapes() {
        let event = decode_hint(MAINNET_DEFAULT.as_bytes()).expect("decodes");
        assert_eq!(
            event.hash,
            b256!("0x2a6f3b1a6b8bd1bd5b1a9e6b5c1b9a1f8d9a2a1d0e0b1c2d3e4f5a6b7c8d9e0f")
        );
        assert!(event.transactions.is_empty());
        assert_eq!(event.logs.len(), 1);
        assert_eq!(event.logs[0].address, address!("0xb4e16d0168e52d35cacd2c6185b44281ec28c9dc"));
        assert_eq!(event.logs[0].topics.len(), 3);
        assert!(event.logs[0].data.is_empty());

        // Hash only.
        let event = decode_hint(
            br#"{"hash":"0x0000000000000000000000000000000000000000000000000000000000000001"}"#,
        )
        .expect("hash only");
        assert!(event.logs.is_empty() && event.transactions.is_empty());

        // A transaction hint with calldata, selector and the 2025 extra fields.
        let event = decode_hint(
            br#"{"hash":"0x0000000000000000000000000000000000000000000000000000000000000001",
                 "txs":[{"to":"0x7a250d5630b4cf539739df2c5dacb4c659f2488d","functionSelector":"0x38ed1739",
                         "callData":"0x38ed1739aa","from":"0x0000000000000000000000000000000000000002","value":"0x0","nonce":"0x5"},
                        {}],
                 "logs":[{"address":"0xb4e16d0168e52d35cacd2c6185b44281ec28c9dc"}]}"#,
        )
        .expect("full");
        assert_eq!(event.transactions.len(), 2);
        let tx = &event.transactions[0];
        assert_eq!(tx.to, Some(address!("0x7a250d5630b4cf539739df2c5dacb4c659f2488d")));
        assert_eq!(tx.function_selector, Some(FunctionSelector([0x38, 0xed, 0x17, 0x39])));
        assert_eq!(tx.calldata, Some(bytes!("38ed1739aa")));
        assert_eq!(event.transactions[1].to, None);
        assert!(event.logs[0].topics.is_empty() && event.logs[0].data.is_empty());
    }

    #[test]
    fn refusals() {
        for bad in [
            &b""[..],
            b"ping",
            b"[]",
            b"1",
            b"null",
            b"{\"hash\":\"0x12\"}",
            b"{\"hash\":1}",
            b"{\"hash\":\"0x0000000000000000000000000000000000000000000000000000000000000001\",\"logs\":{}}",
            b"{\"hash\":\"0x0000000000000000000000000000000000000000000000000000000000000001\",\"logs\":[{}]}",
            b"{\"hash\":\"0x0000000000000000000000000000000000000000000000000000000000000001\",\"txs\":[{\"functionSelector\":\"0x12\"}]}",
            b"{\"hash\":\"0x0000000000000000000000000000000000000000000000000000000000000001\",\"txs\":[{\"callData\":\"0xzz\"}]}",
            b"{\"hash\":\"0x00",
            b"\xff\xfe{}",
        ] {
            assert_eq!(decode_hint(bad), Err(HintReject::Malformed), "{}", String::from_utf8_lossy(bad));
        }
        for no_hash in [&b"{}"[..], b"{\"hash\":null}", b"{\"logs\":[],\"txs\":[]}"] {
            assert_eq!(decode_hint(no_hash), Err(HintReject::NoHash));
        }
        // Deep nesting is refused by serde_json's recursion limit, not a stack overflow.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(decode_hint(deep.as_bytes()), Err(HintReject::Malformed));
        let deep = format!(r#"{{"x":{}}}"#, "{\"a\":".repeat(50_000));
        assert_eq!(decode_hint(deep.as_bytes()), Err(HintReject::Malformed));
    }

    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(|n| serde_json::json!(n)),
            "(0x)?[0-9a-fA-F]{0,70}".prop_map(serde_json::Value::String),
            ".{0,8}".prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                proptest::collection::btree_map(
                    prop_oneof![
                        Just("hash".to_owned()),
                        Just("txs".to_owned()),
                        Just("logs".to_owned()),
                        Just("to".to_owned()),
                        Just("functionSelector".to_owned()),
                        Just("callData".to_owned()),
                        Just("address".to_owned()),
                        Just("topics".to_owned()),
                        Just("data".to_owned()),
                        "[a-z]{1,4}",
                    ],
                    inner,
                    0..5
                )
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(crate::fuzz_config())]
        /// Random bytes: refused or decoded, never a panic.
        #[test]
        fn hostile_bytes(data in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode_hint(&data);
        }

        /// JSON built from the event's own field names with values of every type: refused or
        /// decoded, never a panic; what decodes re-encodes to alloy's form and decodes again to
        /// the same event.
        #[test]
        fn hostile_json(value in json_value()) {
            let data = serde_json::to_vec(&value).expect("serialises");
            if let Ok(event) = decode_hint(&data) {
                let again = serde_json::to_vec(&event).expect("serialises");
                prop_assert_eq!(decode_hint(&again), Ok(event));
            }
        }
    }
}

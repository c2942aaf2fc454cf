//! Hostile bytes (issue 12) for the decoders of this crate that read the outside world: relay
//! answers ([`classify_answer`]) and the relay side's request parsing ([`bundles::server`], as
//! the devnet's builder-relays run it). Every input gets a typed outcome or a clear error,
//! never a panic.
//!
//! `FUZZ_CASES` sets the inputs per test (see `hostile.rs`); the full run is
//! `FUZZ_CASES=1000000 cargo test --release -p bundles --test it fuzz`.

use crate::hostile::{
    config, deep_nesting, field_replaced, garbage, hex_prefixed, json_value, mutated,
};
use alloy::{
    primitives::{Address, B256, Bytes},
    signers::local::PrivateKeySigner,
};
use bundles::{
    Bundle, MevShareBackrun, RelayFlavour, RelayOutcome, classify_answer, encode,
    outcome::SNIPPET_CHARS,
    server::{
        INVALID_PARAMS, INVALID_REQUEST, PARSE_ERROR, UNAUTHORIZED, authenticate,
        parse_call_bundle, parse_cancel_bundle, parse_request, parse_send_bundle, response_err,
        response_ok,
    },
    sign_body_sync,
};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::sync::LazyLock;

const HASH: &str = "0x2228f5d8954ce31dc1601a8ba264dbd401bf1428388ce88238932815c5d6f23f";
const UUID: &str = "3f1b7c1e-9a52-4c8e-b5d6-2f3c1a0e9d47";

/// Field names of relay answers (JSON-RPC envelopes and the builders' variants).
const ANSWER_KEYS: &[&str] =
    &["jsonrpc", "id", "result", "error", "code", "message", "data", "bundleHash", "smart"];

/// Field names of the requests a relay receives (`eth_sendBundle`, `eth_cancelBundle`,
/// `eth_callBundle`, `mev_sendBundle`).
const REQUEST_KEYS: &[&str] = &[
    "jsonrpc",
    "id",
    "method",
    "params",
    "txs",
    "blockNumber",
    "minTimestamp",
    "maxTimestamp",
    "revertingTxHashes",
    "droppingTxHashes",
    "replacementUuid",
    "uuid",
    "refundPercent",
    "refundRecipient",
    "stateBlockNumber",
    "timestamp",
    "version",
    "inclusion",
    "block",
    "maxBlock",
    "body",
    "tx",
    "hash",
    "canRevert",
];

/// Every answer shape builders give (from `outcome.rs`'s table).
fn answer_seeds() -> Vec<Value> {
    vec![
        json!({"jsonrpc": "2.0", "id": 1, "result": {"bundleHash": HASH}}),
        json!({"jsonrpc": "2.0", "id": 1, "result": HASH}),
        json!({"jsonrpc": "2.0", "id": 1, "result": null}),
        json!({"jsonrpc": "2.0", "id": 1, "result": 200}),
        json!({"jsonrpc": "2.0", "id": 1, "result": false}),
        json!({"jsonrpc": "2.0", "id": 1, "error": {"code": -32000, "message": "bundle too old"}}),
        json!({"error": "signature mismatch"}),
        json!({"bundleHash": HASH}),
        json!(HASH),
        json!(200),
    ]
}

fn answer_bytes() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> =
        answer_seeds().iter().map(|v| v.to_string().into_bytes()).collect();
    seeds.push(b"<html><body>502 Bad Gateway</body></html>".to_vec());
    seeds.push(b"internal server error".to_vec());
    seeds
}

/// What the encoder really sends, every flavour: send, both cancel forms, MEV-Share.
static REQUESTS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let txs = vec![Bytes::from_static(&[0x02, 0xf8, 0x01]), Bytes::from_static(&[0x02, 0xaa])];
    let bundle = Bundle::new(txs, 0x1234)
        .and_then(|b| {
            b.with_replacement_uuid(UUID.parse().expect("uuid")).with_timestamps(Some(1), Some(2))
        })
        .map(|b| b.with_reverting([B256::repeat_byte(7)]))
        .expect("a valid bundle");
    let cancel = bundle.cancel().expect("has a uuid");
    let backrun =
        MevShareBackrun::new(B256::repeat_byte(9), Bytes::from_static(&[0x02, 0xcc]), 20, Some(22))
            .expect("a valid backrun");
    let mut out = Vec::new();
    for flavour in RelayFlavour::ALL {
        out.push(encode::encode_send(&bundle, flavour, 7).expect("encodes").body.to_vec());
        out.push(encode::encode_cancel(&cancel, flavour, 8).expect("encodes").body.to_vec());
    }
    out.push(encode::encode_mev_share(&backrun, 9).expect("encodes").body.to_vec());
    out.push(
        json!({"jsonrpc": "2.0", "id": 3, "method": "eth_callBundle",
            "params": [{"txs": ["0x01"], "blockNumber": "0x2", "stateBlockNumber": "latest"}]})
        .to_string()
        .into_bytes(),
    );
    out
});

static REQUEST_VALUES: LazyLock<Vec<Value>> = LazyLock::new(|| {
    REQUESTS.iter().map(|b| serde_json::from_slice(b).expect("the encoder's JSON")).collect()
});

/// A signed request body and its valid `X-Flashbots-Signature`.
static SIGNED: LazyLock<(Vec<u8>, String)> = LazyLock::new(|| {
    let key = PrivateKeySigner::from_bytes(&B256::with_last_byte(0x42)).expect("a valid key");
    let body = REQUESTS[0].clone();
    let header = sign_body_sync(&key, &body).expect("a local key signs");
    (body, header)
});

/// A relay's answer body: garbage, mutated real answers, JSON of the wrong shape, nesting.
fn answer_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        2 => garbage(),
        4 => mutated(answer_bytes()),
        3 => field_replaced(answer_seeds(), ANSWER_KEYS).prop_map(|v| v.to_string().into_bytes()),
        2 => json_value(ANSWER_KEYS).prop_map(|v| v.to_string().into_bytes()),
        1 => deep_nesting(),
    ]
}

/// A request body as the relay receives it.
fn request_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => garbage(),
        4 => mutated(REQUESTS.clone()),
        4 => field_replaced(REQUEST_VALUES.clone(), REQUEST_KEYS)
            .prop_map(|v| v.to_string().into_bytes()),
        2 => json_value(REQUEST_KEYS).prop_map(|v| v.to_string().into_bytes()),
        1 => deep_nesting(),
    ]
}

/// An `X-Flashbots-Signature` header: absent, the valid one mutated, or any text.
fn signature_header() -> impl Strategy<Value = Option<String>> {
    let valid = SIGNED.1.clone().into_bytes();
    prop_oneof![
        1 => Just(None),
        1 => Just(Some(SIGNED.1.clone())),
        6 => mutated(vec![valid]).prop_map(|b| Some(String::from_utf8_lossy(&b).into_owned())),
        2 => (any::<[u8; 20]>(), prop::collection::vec(any::<u8>(), 0..80)).prop_map(|(a, sig)| {
            Some(format!("{}:{}", Address::from(a), hex_prefixed(&sig)))
        }),
        1 => ".{0,200}".prop_map(Some),
    ]
}

/// A snippet is bounded and carries no control characters (it goes to logs and the store).
fn check_snippet(snippet: &str) -> Result<(), TestCaseError> {
    // Each kept character escapes to at most 10 (`\u{10ffff}`).
    prop_assert!(
        snippet.chars().count() <= SNIPPET_CHARS * 10,
        "snippet of {} chars",
        snippet.len()
    );
    prop_assert!(!snippet.chars().any(char::is_control), "control character in {snippet:?}");
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    /// Relay answers: any status and body becomes one of the four answer outcomes; a 2xx is
    /// never an HTTP error and a non-2xx never an acceptance.
    #[test]
    fn fuzz_relay_answers(status in prop_oneof![any::<u16>(), 199..=300u16], body in answer_body()) {
        let ok = (200..300).contains(&status);
        match classify_answer(status, &body) {
            RelayOutcome::Accepted { .. } => prop_assert!(ok),
            RelayOutcome::Rejected { .. } => {}
            RelayOutcome::HttpError { status: got, snippet } => {
                prop_assert!(!ok);
                prop_assert_eq!(got, status);
                check_snippet(&snippet)?;
            }
            RelayOutcome::Garbage { snippet } => {
                prop_assert!(ok);
                check_snippet(&snippet)?;
            }
            other => prop_assert!(false, "an answer classified as {other:?}"),
        }
    }

    /// The relay side: request parsing, params of every method, the bundle built from them,
    /// the signature check and the answer echoing the request's id.
    #[test]
    fn fuzz_relay_requests(
        body in request_body(),
        header in signature_header(),
        default_block in any::<u64>(),
    ) {
        match authenticate(header.as_deref(), &body) {
            Ok(_) => {}
            Err(e) => prop_assert_eq!(e.code, UNAUTHORIZED),
        }
        let request = match parse_request(&body) {
            Ok(request) => request,
            Err(e) => {
                prop_assert!(e.code == PARSE_ERROR || e.code == INVALID_REQUEST, "{e}");
                prop_assert!(!e.message.is_empty());
                return Ok(());
            }
        };
        match parse_send_bundle(&request.params) {
            // A bundle past the relay limits is a typed error.
            Ok(params) => drop(params.into_bundle(default_block)),
            Err(e) => prop_assert_eq!(e.code, INVALID_PARAMS),
        }
        if let Err(e) = parse_cancel_bundle(&request.params) {
            prop_assert_eq!(e.code, INVALID_PARAMS);
        }
        if let Err(e) = parse_call_bundle(&request.params) {
            prop_assert_eq!(e.code, INVALID_PARAMS);
        }
        let answer = response_ok(&request.id, json!({"bundleHash": HASH}));
        prop_assert_eq!(&answer["id"], &request.id);
        drop(response_err(&request.id, &bundles::server::RpcError::invalid_params("x")));
    }

    /// The signature check against the exact signed body: only the valid header passes.
    #[test]
    fn fuzz_signature_headers(header in signature_header()) {
        let (body, valid) = &*SIGNED;
        match authenticate(header.as_deref(), body) {
            Ok(_) => {}
            Err(e) => {
                prop_assert_eq!(e.code, UNAUTHORIZED);
                prop_assert!(header.as_deref().map(str::trim) != Some(valid.as_str()), "{e}");
            }
        }
    }
}

//! What a relay answered, classified leniently into a typed [`RelayOutcome`].
//!
//! Builders disagree on answer shapes: `{"result": {"bundleHash": "0x.."}}`, a bare hash
//! string, `null`, Titan's `200`, a JSON-RPC error object, HTML error pages, HTTP 5xx. None of
//! these is an error of ours: each becomes an outcome that the caller records.

use alloy::primitives::B256;
use serde_json::Value;

/// Longest body excerpt kept in an outcome, in characters.
pub const SNIPPET_CHARS: usize = 200;

/// The fate of one request to one relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelayOutcome {
    /// The relay took it; the bundle hash is the relay's, when it gave one.
    Accepted {
        /// Hash the relay returned (it may differ from ours, e.g. MEV-Share's).
        bundle_hash: Option<B256>,
    },
    /// A JSON-RPC error object (the HTTP status may be 200 or 4xx).
    Rejected {
        /// JSON-RPC error code, when present.
        code: Option<i64>,
        /// Error message.
        message: String,
    },
    /// A non-2xx HTTP status without a JSON-RPC error body.
    HttpError {
        /// HTTP status.
        status: u16,
        /// Start of the body.
        snippet: String,
    },
    /// A 2xx answer that is not JSON or not a shape we know.
    Garbage {
        /// Start of the body.
        snippet: String,
    },
    /// No complete answer within the relay's timeout.
    Timeout,
    /// Connection or protocol failure before an answer (refused, reset, TLS, DNS).
    Transport {
        /// The client's error.
        message: String,
    },
    /// Not sent: the relay's client-side rate limit was exhausted.
    RateLimited,
    /// Not sent: the relay does not support this request (e.g. cancel disabled in config).
    Unsupported,
}

impl RelayOutcome {
    /// Whether the relay accepted the request.
    pub const fn is_accepted(&self) -> bool {
        matches!(self, Self::Accepted { .. })
    }

    /// Whether the request was actually sent over the wire.
    pub const fn was_sent(&self) -> bool {
        !matches!(self, Self::RateLimited | Self::Unsupported)
    }

    /// Whether sending the same request again later might succeed.
    pub const fn is_retryable(&self) -> bool {
        match self {
            Self::Timeout | Self::Transport { .. } | Self::RateLimited => true,
            Self::HttpError { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }

    /// Stable label for metrics and the store.
    pub const fn label(&self) -> &'static str {
        match self {
            Self::Accepted { .. } => "accepted",
            Self::Rejected { .. } => "rejected",
            Self::HttpError { .. } => "http_error",
            Self::Garbage { .. } => "garbage",
            Self::Timeout => "timeout",
            Self::Transport { .. } => "transport",
            Self::RateLimited => "rate_limited",
            Self::Unsupported => "unsupported",
        }
    }
}

/// Classifies an HTTP answer (`status`, full `body`) from a relay.
pub fn classify_answer(status: u16, body: &[u8]) -> RelayOutcome {
    let ok = (200..300).contains(&status);
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        return if ok {
            RelayOutcome::Garbage { snippet: snippet(body) }
        } else {
            RelayOutcome::HttpError { status, snippet: snippet(body) }
        };
    };
    if let Some(error) = json.get("error").filter(|e| !e.is_null()) {
        return rejected(error);
    }
    if !ok {
        return RelayOutcome::HttpError { status, snippet: snippet(body) };
    }
    match &json {
        // A JSON-RPC success: whatever the result, the relay took it (except a literal false).
        Value::Object(map) if map.contains_key("result") => match &map["result"] {
            Value::Bool(false) => {
                RelayOutcome::Rejected { code: None, message: "false".to_owned() }
            }
            result => RelayOutcome::Accepted { bundle_hash: hash_in(result) },
        },
        // Lenient: a bare result without the envelope (`"0x.."`, `null`, `200`, `{bundleHash}`).
        Value::Null | Value::Number(_) | Value::Bool(true) | Value::String(_) => {
            RelayOutcome::Accepted { bundle_hash: hash_in(&json) }
        }
        Value::Object(map) if map.contains_key("bundleHash") => {
            RelayOutcome::Accepted { bundle_hash: hash_in(&json) }
        }
        _ => RelayOutcome::Garbage { snippet: snippet(body) },
    }
}

/// The bundle hash in a result: a hash string or `{bundleHash}`; anything else has none.
fn hash_in(result: &Value) -> Option<B256> {
    match result {
        Value::String(s) => s.trim().parse().ok(),
        Value::Object(map) => map.get("bundleHash")?.as_str()?.trim().parse().ok(),
        _ => None,
    }
}

fn rejected(error: &Value) -> RelayOutcome {
    match error {
        Value::Object(map) => RelayOutcome::Rejected {
            code: map.get("code").and_then(Value::as_i64),
            message: match map.get("message") {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => error.to_string(),
            },
        },
        Value::String(s) => RelayOutcome::Rejected { code: None, message: s.clone() },
        other => RelayOutcome::Rejected { code: None, message: other.to_string() },
    }
}

/// The first [`SNIPPET_CHARS`] characters of `body`, lossily decoded, control characters
/// escaped (bodies end up in logs and the store).
pub fn snippet(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .take(SNIPPET_CHARS)
        .flat_map(|c| if c.is_control() { c.escape_default().collect::<Vec<_>>() } else { vec![c] })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::b256;

    const HASH: B256 = b256!("0x2228f5d8954ce31dc1601a8ba264dbd401bf1428388ce88238932815c5d6f23f");

    fn accepted(hash: Option<B256>) -> RelayOutcome {
        RelayOutcome::Accepted { bundle_hash: hash }
    }

    #[test]
    fn every_answer_shape() {
        let h = format!("{HASH}");
        let cases: Vec<(u16, String, RelayOutcome)> = vec![
            (
                200,
                format!(r#"{{"jsonrpc":"2.0","id":1,"result":{{"bundleHash":"{h}"}}}}"#),
                accepted(Some(HASH)),
            ),
            (200, format!(r#"{{"jsonrpc":"2.0","id":1,"result":"{h}"}}"#), accepted(Some(HASH))),
            (200, r#"{"jsonrpc":"2.0","id":1,"result":null}"#.into(), accepted(None)),
            (200, r#"{"jsonrpc":"2.0","id":1,"result":200}"#.into(), accepted(None)),
            (200, "200".into(), accepted(None)),
            (200, format!(r#""{h}""#), accepted(Some(HASH))),
            (200, "null".into(), accepted(None)),
            (200, format!(r#"{{"bundleHash":"{h}"}}"#), accepted(Some(HASH))),
            (200, r#"{"jsonrpc":"2.0","id":1,"result":"ok"}"#.into(), accepted(None)),
            (200, r#"{"jsonrpc":"2.0","id":1,"result":true}"#.into(), accepted(None)),
            (
                200,
                r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"bundle too old"}}"#
                    .into(),
                RelayOutcome::Rejected { code: Some(-32000), message: "bundle too old".into() },
            ),
            (
                400,
                r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params"}}"#
                    .into(),
                RelayOutcome::Rejected { code: Some(-32602), message: "invalid params".into() },
            ),
            (
                403,
                r#"{"error":"signature mismatch"}"#.into(),
                RelayOutcome::Rejected { code: None, message: "signature mismatch".into() },
            ),
            (
                500,
                "internal server error".into(),
                RelayOutcome::HttpError { status: 500, snippet: "internal server error".into() },
            ),
            (502, "{}".into(), RelayOutcome::HttpError { status: 502, snippet: "{}".into() }),
            (
                200,
                "<html>oops</html>".into(),
                RelayOutcome::Garbage { snippet: "<html>oops</html>".into() },
            ),
            (200, "".into(), RelayOutcome::Garbage { snippet: "".into() }),
            (200, r#"{"jsonrpc":"2.0","id":1,"result":{}}"#.into(), accepted(None)),
            (
                200,
                r#"{"jsonrpc":"2.0","id":1,"result":false}"#.into(),
                RelayOutcome::Rejected { code: None, message: "false".into() },
            ),
            (200, "[1,2]".into(), RelayOutcome::Garbage { snippet: "[1,2]".into() }),
            (200, r#"{"foo":1}"#.into(), RelayOutcome::Garbage { snippet: r#"{"foo":1}"#.into() }),
        ];
        for (status, body, want) in cases {
            assert_eq!(classify_answer(status, body.as_bytes()), want, "{status} {body}");
        }
    }

    #[test]
    fn snippets_are_bounded_and_escaped() {
        let long = vec![b'a'; 10_000];
        assert_eq!(snippet(&long).len(), SNIPPET_CHARS);
        assert_eq!(snippet(b"a\nb\x00"), "a\\nb\\u{0}");
        assert_eq!(snippet(&[0xff, b'x']), "\u{fffd}x");
    }

    #[test]
    fn labels_and_retryability() {
        assert!(RelayOutcome::Timeout.is_retryable());
        assert!(RelayOutcome::HttpError { status: 503, snippet: String::new() }.is_retryable());
        assert!(!RelayOutcome::HttpError { status: 404, snippet: String::new() }.is_retryable());
        assert!(!RelayOutcome::RateLimited.was_sent());
        assert_eq!(RelayOutcome::Garbage { snippet: String::new() }.label(), "garbage");
    }
}

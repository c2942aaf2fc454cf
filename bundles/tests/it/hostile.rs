//! Generators of hostile input for the fuzz tests (issue 12, "hostile bytes"): raw garbage,
//! mutations of real valid encodings (truncated, flipped, spliced with troublesome tokens,
//! fields swapped), structurally valid JSON of the wrong shapes, and deep nesting.
//!
//! Shared by the `bundles` and `searcher` test binaries (the searcher's includes this file by
//! path), so both fuzz with the same generators and the same `FUZZ_CASES` knob.

use proptest::{prelude::*, sample::select, test_runner::Config};
use serde_json::{Map, Number, Value};

/// Inputs per decoder when `FUZZ_CASES` is not set: small enough that every fuzz test
/// together adds well under a minute to a debug `cargo test`. The full run (1,000,000 per
/// decoder, in release) is recorded in `BENCHMARKS.md`.
pub(crate) const DEFAULT_CASES: u32 = 2_000;

/// Inputs per decoder: `FUZZ_CASES` (`1000000` or `1_000_000`), else [`DEFAULT_CASES`].
pub(crate) fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.replace('_', "").trim().parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

/// The proptest configuration of every fuzz test: [`cases`] inputs, no failure files (a
/// failure prints its minimal input; a regression test pins it).
pub(crate) fn config() -> Config {
    Config { cases: cases(), failure_persistence: None, ..Config::default() }
}

/// Tokens that break parsers: JSON and TOML punctuation, numbers that overflow every integer
/// type, bad escapes and surrogates, multi-byte characters, NUL, long hex.
pub(crate) const TOKENS: &[&str] = &[
    "\"",
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "=",
    ".",
    "'",
    "\"\"\"",
    "\\",
    "\\u",
    "\\uD800",
    "\\u0000",
    "\n",
    "\r\n",
    "\t",
    "\0",
    "#",
    "null",
    "true",
    "false",
    "0",
    "-0",
    "-1",
    "1e400",
    "-1e400",
    "1.5",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "18446744073709551615",
    "18446744073709551616",
    "340282366920938463463374607431768211456",
    "115792089237316195423570985008687907853269984665640564039457584007913129639936",
    "0x",
    "0x0",
    "0X1",
    "0xg",
    "0x10000000000000000",
    "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "0x1ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "1979-05-27T07:32:00Z",
    "é",
    "\u{fffd}",
    "\u{10ffff}",
    "🦀",
    "\u{202e}",
    "[[[[[[[[[[[[[[[[",
    "{\"a\":{\"a\":{\"a\":",
    "[x]\n",
    "[[x]]\n",
];

/// One edit of a valid encoding.
#[derive(Debug, Clone)]
enum Edit {
    /// Cut the input at this position.
    Truncate(usize),
    /// XOR one byte.
    Flip(usize, u8),
    /// Insert one of [`TOKENS`].
    Insert(usize, &'static str),
    /// Delete a range.
    Delete(usize, usize),
    /// Swap two ranges of equal length (fields swapped, halves of a hex string swapped).
    Swap(usize, usize, usize),
    /// Copy a range to another position (a field twice, a key repeated).
    Duplicate(usize, usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let at = any::<usize>();
    prop_oneof![
        at.prop_map(Edit::Truncate),
        (at, 1..=u8::MAX).prop_map(|(i, x)| Edit::Flip(i, x)),
        (at, select(TOKENS)).prop_map(|(i, t)| Edit::Insert(i, t)),
        (at, 1..64usize).prop_map(|(i, n)| Edit::Delete(i, n)),
        (at, at, 1..48usize).prop_map(|(a, b, n)| Edit::Swap(a, b, n)),
        (at, at, 1..64usize).prop_map(|(a, b, n)| Edit::Duplicate(a, b, n)),
    ]
}

fn apply(bytes: &mut Vec<u8>, edit: &Edit) {
    let len = bytes.len();
    // Positions are taken modulo the current length (+1 so the end is reachable).
    let pos = |i: usize| i % (len + 1);
    match *edit {
        Edit::Truncate(i) => bytes.truncate(pos(i)),
        Edit::Flip(i, x) if len > 0 => bytes[i % len] ^= x,
        Edit::Flip(..) => {}
        Edit::Insert(i, token) => {
            let i = pos(i);
            bytes.splice(i..i, token.bytes());
        }
        Edit::Delete(i, n) => {
            let i = pos(i);
            bytes.drain(i..(i + n).min(len));
        }
        Edit::Swap(a, b, n) if len >= 2 * n => {
            let (a, b) = (a % (len - n + 1), b % (len - n + 1));
            let (lo, hi) = (a.min(b), a.max(b));
            if hi >= lo + n {
                let (left, right) = bytes.split_at_mut(hi);
                left[lo..lo + n].swap_with_slice(&mut right[..n]);
            }
        }
        Edit::Swap(..) => {}
        Edit::Duplicate(a, b, n) => {
            let from = pos(a);
            let chunk = bytes[from..(from + n).min(len)].to_vec();
            let to = pos(b);
            bytes.splice(to..to, chunk);
        }
    }
}

/// A valid encoding from `seeds` with one to four edits.
pub(crate) fn mutated(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    (select(seeds), prop::collection::vec(edit(), 1..=4)).prop_map(|(mut bytes, edits)| {
        for e in &edits {
            apply(&mut bytes, e);
        }
        bytes
    })
}

/// Any bytes, mostly short.
pub(crate) fn garbage() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::collection::vec(any::<u8>(), 0..64),
        1 => prop::collection::vec(any::<u8>(), 0..2048),
    ]
}

/// Deeply nested brackets (past every parser's recursion limit), optionally closed.
pub(crate) fn deep_nesting() -> impl Strategy<Value = Vec<u8>> {
    (select(&["[", "{\"a\":", "[{\"result\":", "a=[", "x={y="][..]), 1..20_000usize, any::<bool>())
        .prop_map(|(open, depth, close)| {
            let mut out = open.repeat(depth).into_bytes();
            if close {
                out.extend(std::iter::repeat_n(b']', depth));
            }
            out
        })
}

/// A JSON leaf of a type a decoder may not expect: numbers past `u64`/`i64`/`f64`, hex of
/// every length, empty and odd strings.
fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(|b| Value::String(hex_prefixed(&b))),
        "(0x)?[0-9a-fA-F]{0,70}".prop_map(Value::String),
        "[0-9]{1,80}".prop_map(Value::String),
        ".{0,24}".prop_map(Value::String),
    ]
}

/// `0x` and the hex of `bytes`.
pub(crate) fn hex_prefixed(bytes: &[u8]) -> String {
    let mut out = String::from("0x");
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Structurally valid JSON of arbitrary shape whose object keys come from `keys` (the field
/// names the decoder knows), so most inputs get past the JSON layer into the typed one.
pub(crate) fn json_value(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((select(keys), inner), 0..8).prop_map(|fields| {
                Value::Object(
                    fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

/// A valid JSON object from `seeds` with one field's value replaced by a hostile one (the
/// field's name kept: a near-valid input of the right shape but the wrong type or range).
pub(crate) fn field_replaced(
    seeds: Vec<Value>,
    keys: &'static [&'static str],
) -> impl Strategy<Value = Value> {
    (select(seeds), any::<prop::sample::Index>(), json_value(keys)).prop_map(
        |(mut seed, at, value)| {
            replace_some_field(&mut seed, at, value);
            seed
        },
    )
}

/// Replaces the value of the `at`-th field (depth first) of `seed` with `value`.
fn replace_some_field(seed: &mut Value, at: prop::sample::Index, value: Value) {
    fn count(v: &Value) -> usize {
        match v {
            Value::Object(m) => m.values().map(|v| 1 + count(v)).sum(),
            Value::Array(a) => a.iter().map(count).sum(),
            _ => 0,
        }
    }
    fn nth<'a>(v: &'a mut Value, n: &mut usize) -> Option<&'a mut Value> {
        match v {
            Value::Object(m) => {
                for child in m.values_mut() {
                    if *n == 0 {
                        return Some(child);
                    }
                    *n -= 1;
                    if let Some(found) = nth(child, n) {
                        return Some(found);
                    }
                }
                None
            }
            Value::Array(a) => a.iter_mut().find_map(|child| nth(child, n)),
            _ => None,
        }
    }
    let fields = count(seed);
    if fields == 0 {
        return;
    }
    let mut n = at.index(fields);
    if let Some(slot) = nth(seed, &mut n) {
        *slot = value;
    }
}

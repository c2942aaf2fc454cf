//! # searcher
//!
//! The engine of an on-chain-first MEV searcher. Its modules are the stages of the hot path,
//! in the order a pending transaction goes through them:
//!
//! ```text
//!  node (IPC/WS)                                               builders / relays
//!    │ newPendingTransactions (full bodies)                          ▲
//!    ▼                                                               │ eth_sendBundle (fan-out)
//!  watch ─▶ predict ─▶ strategy ─▶ exec (bid, calldata) ⇄ sim ─▶ exec (sign) ─▶ bundles ─▶ store
//!             │           │          settle the bid on the gas      (crate)
//!             │           │          sim proves; repeat if it moved
//!             └─ market (pools, token graph, cycles, exact math) ◀─ heads (eth_getLogs per block)
//! ```
//!
//! - [`watch`]: the node connection: pending transactions and heads on bounded channels.
//! - [`market`]: the pool universe, its per-block sync and its exact AMM math.
//! - [`state`]: the warm per-head revm state cache predict and sim read.
//! - [`predict`]: runs a pending transaction in revm; the touched pools' post-state.
//! - [`strategy`]: the cycles through the touched pools, sized on the predicted state.
//! - [`exec`]: bid, executor calldata, fees, nonces, signing.
//! - [`sim`]: the backrun in revm after the victim: exact profit and gas.
//! - [`engine`]: wires the stages: the hot path, the head path, inclusion verdicts, risk.
//! - [`store`]: the embedded SQLite database: market checkpoint and every record.
//! - [`config`], [`keys`], [`alerts`], [`metrics`], [`abi`]: what the stages share.
//!
//! The devnet (`searcher-devnet`) and the command line (`searcher-cli`) are separate crates;
//! this library depends on neither.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

// Only for its `secp256k1` feature: the hot path signs with libsecp256k1 through alloy's
// `PrivateKeySigner::to_secp256k1`.
use alloy_signer_local as _;

pub mod abi;
pub mod alerts;
pub mod config;
pub mod engine;
pub mod exec;
pub mod keys;
pub mod market;
pub mod metrics;
pub mod predict;
pub mod sim;
pub mod state;
pub mod store;
pub mod strategy;
pub mod watch;

/// The property tests' case count: `FUZZ_CASES` (as in the integration fuzz tests), else
/// 2,000; no failure persistence (regressions are committed by hand).
#[cfg(test)]
pub(crate) fn fuzz_config() -> proptest::test_runner::Config {
    let cases = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.replace('_', "").trim().parse().ok())
        .unwrap_or(2_000);
    proptest::test_runner::Config {
        cases,
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    }
}

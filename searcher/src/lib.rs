//! # searcher
//!
//! An on-chain-first MEV searcher. Its modules are the stages of the hot path:
//!
//! ```text
//!  node (IPC)                                     builders / relays
//!    |  newPendingTransactions (full bodies)           ^
//!    v                                                 |  eth_sendBundle (signed, fan-out)
//!  watch ──> predict ──> strategy ──> sim ──> exec ──> bundles (crate)
//!              |            |          |        |         |
//!              |   market (pools, token graph, cycles)    └─> store
//!    newHeads / logs ───────┘
//! ```
//!
//! - [`market`]: the pool universe and its exact AMM math.
//! - [`exec`]: the executor's packed calldata and, later, bids, fees, nonces and signing.
//! - [`devnet`]: a local chain with the real protocol bytecode, for tests and `searcher demo`.
//! - [`store`]: the embedded SQLite database (market checkpoint; later bundles, relays).
//! - [`toolchain`]: finds the project-installed foundry binaries and npm artifacts.

pub mod abi;
pub mod alerts;
pub mod cli;
pub mod config;
pub mod devnet;
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
pub mod toolchain;
pub mod watch;

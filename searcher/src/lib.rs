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
//! - [`toolchain`]: finds the project-installed foundry binaries and npm artifacts.

pub mod abi;
pub mod devnet;
pub mod exec;
pub mod market;
pub mod toolchain;

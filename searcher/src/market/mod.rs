//! The pool universe: pool kinds, their state and exact math, discovery, per-block sync with
//! reorgs, the token graph and the cycle index.
//!
//! ```text
//!  factories' creation logs ──> discovery ──> loader (batched eth_call at one block hash)
//!                                  │                │
//!                                  v                v
//!  store (checkpoint) <──── Market: pools + state + health ──> graph (cycles per pool)
//!                                  ^
//!  new heads ──> sync (eth_getLogs by block hash, undo log, reorg rollback)
//! ```
//!
//! - [`Market::bootstrap`] restores the checkpoint, discovers what it does not cover, loads
//!   every pool's state at one head and builds the cycle index.
//! - [`Market::sync_to`] applies new blocks' logs (or rolls a reorg back first).
//! - [`Market::cycles_through`] gives the 2- and 3-hop cycles through a pool that start and
//!   end in a base token; each hop's pool state implements [`math::Quote`].
//!
//! Only standard `eth_*` methods are used (`eth_getLogs`, `eth_call`, `eth_simulateV1`,
//! `eth_getBlockByHash`/`Number`).

pub mod bootstrap;
mod checkpoint;
pub mod config;
pub mod discovery;
pub mod error;
pub mod graph;
pub mod health;
pub mod loader;
pub mod math;
pub mod metrics;
pub mod pool;
pub mod sync;
pub mod v4;
pub mod world;

pub use bootstrap::BootstrapReport;
pub use config::{FactoryConfig, FactoryKind, MarketConfig, TickWindowPolicy};
pub use error::{MarketError, Result};
pub use graph::{Cycle, CycleId, CycleIndex, Hop};
pub use health::{FlagReason, HealthFlags};
pub use pool::{Pool, PoolId, PoolIdx, PoolKind, PoolState, Token, TokenIdx};
pub use sync::{BlockRef, SyncReport};
pub use world::{Market, PoolEntry};

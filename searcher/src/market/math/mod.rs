//! Exact integer AMM math, equal to the contracts to the wei.
//!
//! Every function here is a faithful translation of the Solidity that runs on chain, with the
//! same rounding and with each `require`/revert mapped to a [`MathError`] variant. Nothing
//! panics and no float ever touches an amount.
//!
//! - [`v2`]: Uniswap V2-style `getAmountOut` / `getAmountIn` with a per-factory [`V2Fee`].
//! - [`v3`]: Uniswap V3 `FullMath`, `TickMath`, `SqrtPriceMath`, `SwapMath`, `LiquidityMath`,
//!   the tick-bitmap walk and [`V3PoolState`], which runs `UniswapV3Pool.swap`'s loop over a
//!   loaded window of initialized ticks.
//! - [`v4`]: Uniswap V4 `Pool.swap`: V3's walk with V4's signs, swap fee (LP fee from
//!   `slot0`, plus the protocol fee) and reverts, in [`V4PoolState`].
//! - [`sizing`]: optimal input for a cycle: closed form for V2 chains, a bounded
//!   golden-section search for anything else.
//!
//! A pool kind plugs into cycle evaluation by implementing [`Quote`]; adding Curve or
//! Balancer is a new module plus an `impl Quote` (as [`v4`] was), nothing else changes.
//!
//! How exactness is shown: unit tests on the values of the Uniswap test suites; property
//! tests against line-by-line `U256` translations (mulDiv's CRT algorithm, TickMath, the
//! literal tick bitmap) and for the invariants; all 1,774,545 ticks round-tripped (an ignored
//! test, run in release); and differential tests (`searcher/tests/it/differential`) that run the
//! real v2-core and v3-core bytecode from the npm artifacts in revm and compare every swap,
//! mint and burn to the wei.

mod error;
pub mod sizing;
pub mod v2;
pub mod v3;
pub mod v4;

pub use error::{MathError, Result};
pub use sizing::Sizing;
pub use v2::{V2Fee, V2Hop, V2Pool};
pub use v3::{TickInfo, TickWindow, V3PoolState, V3SwapResult};
pub use v4::{V4PoolState, V4SwapResult};

use alloy::primitives::U256;

/// What the strategy stage needs from any pool kind: the exact output for an exact input,
/// and the exact input for an exact output, in either direction.
///
/// Implementations are plain structs; callers compose them statically (generics or an enum),
/// so the inner loops never go through `dyn`.
pub trait Quote {
    /// Amount of the other token received for exactly `amount_in` of the input token
    /// (`zero_for_one`: the input is token0). Errors when the pool would revert, cannot take
    /// the whole input, or the swap cannot be simulated exactly from the loaded state.
    fn amount_out(&self, zero_for_one: bool, amount_in: U256) -> Result<U256>;

    /// Amount of the input token needed to receive exactly `amount_out` (`zero_for_one`: the
    /// input is token0). Errors like [`Quote::amount_out`], and when the pool cannot deliver
    /// the whole output.
    fn amount_in(&self, zero_for_one: bool, amount_out: U256) -> Result<U256>;
}

//! Uniswap V3 math, translated from v3-core 1.0.1 library by library, and the pool's swap
//! loop over an in-memory state.
//!
//! | Solidity            | here                  |
//! |---------------------|-----------------------|
//! | `FullMath`, `UnsafeMath` | [`full_math`]    |
//! | `TickMath`          | [`tick_math`]         |
//! | `SqrtPriceMath`     | [`sqrt_price_math`]   |
//! | `SwapMath`          | [`swap_math`]         |
//! | `LiquidityMath`     | [`liquidity_math`]    |
//! | `TickBitmap`        | [`tick_bitmap`]       |
//! | `UniswapV3Pool.swap`, `_modifyPosition` | [`state`] |
//!
//! Prices (`uint160`) are [`U256`](alloy::primitives::U256), liquidity is `u128`, ticks are
//! `i32`, fees are `u32` pips.

pub mod full_math;
pub mod liquidity_math;
pub mod sqrt_price_math;
pub mod state;
pub mod swap_math;
pub mod tick_bitmap;
pub mod tick_math;

pub use state::{TickInfo, TickWindow, V3PoolState, V3SwapResult};
pub use tick_math::{MAX_SQRT_RATIO, MAX_TICK, MIN_SQRT_RATIO, MIN_TICK};

#[cfg(test)]
mod tests;

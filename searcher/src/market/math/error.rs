//! The math's error type: one variant per contract revert condition, plus the cases the
//! simulator refuses because the loaded state cannot answer them exactly.

use thiserror::Error;

/// Result alias for the AMM math.
pub type Result<T, E = MathError> = core::result::Result<T, E>;

/// Why a computation has no answer. Variants named after a Solidity revert string say which
/// `require` the contract would fail (`'LS'`, `'SPL'`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum MathError {
    /// A checked operation overflowed where the contract (SafeMath, SafeCast, `FullMath`)
    /// reverts.
    #[error("arithmetic overflow")]
    Overflow,
    /// Division by zero (`FullMath` with a zero denominator).
    #[error("division by zero")]
    DivisionByZero,
    /// V2: zero input (`INSUFFICIENT_INPUT_AMOUNT`).
    #[error("insufficient input amount")]
    InsufficientInputAmount,
    /// V2: zero output (`INSUFFICIENT_OUTPUT_AMOUNT`).
    #[error("insufficient output amount")]
    InsufficientOutputAmount,
    /// A zero reserve, an output at or above the reserve (`INSUFFICIENT_LIQUIDITY`), or a V3
    /// swap that cannot take the whole amount before its price limit.
    #[error("insufficient liquidity")]
    InsufficientLiquidity,
    /// V2: a reserve or post-swap balance above `uint112` (`UniswapV2: OVERFLOW`).
    #[error("reserve exceeds uint112")]
    ReserveOverflow,
    /// A fee outside what the factory can configure (V2: numerator 0 or above the
    /// denominator; V3: 1e6 pips or more).
    #[error("invalid fee")]
    InvalidFee,
    /// `TickMath.getSqrtRatioAtTick` with `|tick| > MAX_TICK` (`'T'`).
    #[error("tick {0} out of range")]
    TickOutOfRange(i32),
    /// `TickMath.getTickAtSqrtRatio` outside `[MIN_SQRT_RATIO, MAX_SQRT_RATIO)` (`'R'`).
    #[error("sqrt price out of range")]
    SqrtPriceOutOfRange,
    /// `SqrtPriceMath` with a zero price.
    #[error("zero sqrt price")]
    ZeroSqrtPrice,
    /// `SqrtPriceMath.getNextSqrtPriceFrom{Input,Output}` with zero liquidity.
    #[error("zero liquidity")]
    ZeroLiquidity,
    /// A next sqrt price that does not fit `uint160` (`SafeCast.toUint160`).
    #[error("sqrt price exceeds uint160")]
    PriceOverflow,
    /// Removing more of a token than the virtual reserves hold (the `require`s in
    /// `getNextSqrtPriceFromAmount{0,1}`).
    #[error("sqrt price underflow")]
    PriceUnderflow,
    /// `LiquidityMath.addDelta` underflow (`'LS'`).
    #[error("liquidity underflow (LS)")]
    LiquiditySub,
    /// `LiquidityMath.addDelta` overflow (`'LA'`).
    #[error("liquidity overflow (LA)")]
    LiquidityAdd,
    /// A tick's gross liquidity above `maxLiquidityPerTick` (`'LO'`).
    #[error("tick liquidity above the per-tick maximum (LO)")]
    LiquidityPerTick,
    /// `swap` with a zero amount (`'AS'`).
    #[error("zero amount specified (AS)")]
    AmountSpecifiedZero,
    /// `swap` with a price limit on the wrong side of the price or out of range (`'SPL'`).
    #[error("sqrt price limit out of range (SPL)")]
    SqrtPriceLimit,
    /// A position range the pool rejects (`'TLU'`, `'TLM'`, `'TUM'`) or a tick that is not a
    /// multiple of the tick spacing.
    #[error("invalid tick range [{lower}, {upper}]")]
    InvalidTickRange {
        /// Lower tick of the range.
        lower: i32,
        /// Upper tick of the range.
        upper: i32,
    },
    /// The pool state itself is impossible on chain (tick spacing, fee, tick or price out of
    /// range); nothing is simulated from it.
    #[error("invalid pool state: {0}")]
    InvalidState(&'static str),
    /// The swap would move the price past the tick window whose initialized ticks are
    /// loaded: refused as not simulable, never guessed.
    #[error("swap leaves the loaded tick window")]
    LeavesLoadedWindow,
}

impl MathError {
    /// True when the error says what the contract would do (it reverts); false when the
    /// simulator could not answer from the state it holds ([`MathError::LeavesLoadedWindow`],
    /// [`MathError::InvalidState`]) and a fuller state load might.
    pub const fn is_revert(&self) -> bool {
        !matches!(self, Self::LeavesLoadedWindow | Self::InvalidState(_))
    }
}

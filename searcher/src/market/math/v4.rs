//! Uniswap V4 swap math: `Pool.swap` of v4-core 1.0.2 over an in-memory pool.
//!
//! A V4 pool's swap is V3's tick walk (the same `TickMath`, `SqrtPriceMath`, tick bitmap and
//! crossing rule), so the walk is [`V3PoolState`]'s; what differs is around it:
//!
//! - **signs**: `amountSpecified < 0` is an exact input, `> 0` an exact output, and the result
//!   is the *caller's* `BalanceDelta` (negative: owed to the PoolManager), the opposite of
//!   V3's pool-side amounts;
//! - **fees**: the step fee is the swap fee, `ProtocolFeeLibrary.calculateSwapFee`: the
//!   direction's protocol fee (12 bits of `slot0.protocolFee` each) plus the LP fee from
//!   `slot0.lpFee` (dynamic pools: whatever their hook last set) minus their product / 1e6;
//!   the protocol's share is taken out of the LP fee and changes no amount;
//! - **reverts**: an exact output with a swap fee of 100% (`InvalidFeeForExactOut`), deltas
//!   beyond `int128` (`SafeCastOverflow`), and V4's price-limit checks, which are V3's.
//!
//! `SwapMath.computeSwapStep` of v4-core splits a partial exact-input step's input between
//! `amountIn` and `feeAmount` differently from v3-core (V4 keeps the fee-less remainder as
//! `amountIn`; V3 recomputes it from the price reached), but the sum, the price reached and
//! the output are the same: the swap's amounts and final state do not depend on the split, so
//! V3's step serves (the differential tests against the real PoolManager prove it).
//!
//! Not modelled: hooks (a pool whose hooks can change a swap is never priced natively, see
//! `market::v4`), a swap fee of exactly 100% (refused as [`MathError::InvalidState`]: the
//! chain takes the whole input as fee), tick spacings above V3's 16,383 (refused by the V3
//! state's validation; V4 allows up to 32,767).

use alloy::primitives::{I256, U256};

use super::v3::{MAX_SQRT_RATIO, MIN_SQRT_RATIO, V3PoolState};
use super::{MathError, Quote, Result};

/// `LPFeeLibrary.MAX_LP_FEE` and `SwapMath.MAX_SWAP_FEE`: 100% in pips.
pub const MAX_SWAP_FEE: u32 = 1_000_000;
/// `LPFeeLibrary.DYNAMIC_FEE_FLAG`: a key's fee with this value makes the pool's LP fee
/// dynamic (set by its hook, stored in `slot0.lpFee`).
pub const DYNAMIC_FEE_FLAG: u32 = 0x80_0000;
/// `ProtocolFeeLibrary.MAX_PROTOCOL_FEE`: 0.1% per direction.
pub const MAX_PROTOCOL_FEE: u32 = 1_000;

/// What `Pool.swap` returns and leaves behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V4SwapResult {
    /// The caller's currency0 delta (`BalanceDelta.amount0()`): negative is owed to the
    /// PoolManager, positive is credited. The `Swap` event's `amount0`.
    pub amount0: i128,
    /// The caller's currency1 delta, signed as `amount0`.
    pub amount1: i128,
    /// `slot0.sqrtPriceX96` after the swap.
    pub sqrt_price_x96: U256,
    /// `slot0.tick` after the swap.
    pub tick: i32,
    /// In-range liquidity after the swap.
    pub liquidity: u128,
    /// The swap fee charged, in pips (the `Swap` event's `fee`).
    pub fee: u32,
    /// Initialized ticks crossed.
    pub ticks_crossed: u32,
}

/// A V4 pool in memory: V3's walkable state, whose `fee` is `slot0.lpFee`, and the protocol
/// fee of `slot0`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V4PoolState {
    /// Price, tick, in-range liquidity, tick spacing, loaded ticks and window; `fee` is the
    /// LP fee in pips (`slot0.lpFee`, without flags).
    pub amm: V3PoolState,
    /// `slot0.protocolFee` (uint24): the zero-for-one fee in the low 12 bits, the one-for-zero
    /// fee in the next 12, each in pips.
    pub protocol_fee: u32,
}

/// `ProtocolFeeLibrary.calculateSwapFee`: `protocolFee + lpFee - protocolFee * lpFee / 1e6`.
pub const fn swap_fee(protocol_fee: u32, lp_fee: u32) -> u32 {
    if protocol_fee == 0 {
        return lp_fee;
    }
    let p = (protocol_fee & 0xfff) as u64;
    let l = (lp_fee & 0xff_ffff) as u64;
    (p + l - p * l / MAX_SWAP_FEE as u64) as u32
}

/// `SafeCast.toInt128`.
fn to_i128(x: I256) -> Result<i128> {
    i128::try_from(x).map_err(|_| MathError::Overflow)
}

impl V4PoolState {
    /// The protocol fee charged on a swap in this direction (`getZeroForOneFee` /
    /// `getOneForZeroFee`).
    pub const fn protocol_fee_for(&self, zero_for_one: bool) -> u32 {
        if zero_for_one { self.protocol_fee & 0xfff } else { (self.protocol_fee >> 12) & 0xfff }
    }

    /// The fee every step of a swap in this direction takes.
    pub const fn swap_fee(&self, zero_for_one: bool) -> u32 {
        swap_fee(self.protocol_fee_for(zero_for_one), self.amm.fee)
    }

    /// `Pool.swap` (hookless: no fee override) without fee growth: the caller's deltas and
    /// the state it leaves. `amount_specified < 0` is an exact input, `> 0` an exact output
    /// (V4's sign); the swap stops early at `sqrt_price_limit_x96`. `self` is not changed.
    pub fn swap(
        &self,
        zero_for_one: bool,
        amount_specified: I256,
        sqrt_price_limit_x96: U256,
    ) -> Result<V4SwapResult> {
        self.swap_inner(zero_for_one, amount_specified, sqrt_price_limit_x96, false)
    }

    fn swap_inner(
        &self,
        zero_for_one: bool,
        amount_specified: I256,
        sqrt_price_limit_x96: U256,
        fail_when_dry: bool,
    ) -> Result<V4SwapResult> {
        let fee = self.swap_fee(zero_for_one);
        if fee >= MAX_SWAP_FEE {
            if amount_specified.is_positive() {
                // InvalidFeeForExactOut.
                return Err(MathError::InvalidFee);
            }
            return Err(MathError::InvalidState("a V4 swap fee of 100%"));
        }
        if amount_specified.is_zero() {
            // PoolManager.swap: SwapAmountCannotBeZero.
            return Err(MathError::AmountSpecifiedZero);
        }
        // V3's loop takes the pool's view: positive is an exact input.
        let v3_specified = amount_specified.checked_neg().ok_or(MathError::Overflow)?;
        let r = self.amm.swap_inner(
            zero_for_one,
            v3_specified,
            sqrt_price_limit_x96,
            fee,
            fail_when_dry,
        )?;
        // The pool's amounts negated are the caller's deltas; `toBalanceDelta(toInt128(..))`.
        let neg = |x: I256| x.checked_neg().ok_or(MathError::Overflow).and_then(to_i128);
        Ok(V4SwapResult {
            amount0: neg(r.amount0)?,
            amount1: neg(r.amount1)?,
            sqrt_price_x96: r.sqrt_price_x96,
            tick: r.tick,
            liquidity: r.liquidity,
            fee,
            ticks_crossed: r.ticks_crossed,
        })
    }

    /// Applies an observed `Swap` event: the new price, in-range liquidity and tick.
    pub fn apply_swap_event(&mut self, sqrt_price_x96: U256, liquidity: u128, tick: i32) {
        self.amm.apply_swap_event(sqrt_price_x96, liquidity, tick);
    }

    /// Applies an observed `ModifyLiquidity(tickLower, tickUpper, liquidityDelta)` event.
    pub fn apply_modify_liquidity(
        &mut self,
        tick_lower: i32,
        tick_upper: i32,
        liquidity_delta: I256,
    ) -> Result<()> {
        // Pool.modifyLiquidity casts the delta with toInt128 (reverting otherwise).
        let delta = to_i128(liquidity_delta)?;
        if delta >= 0 {
            self.amm.apply_mint(tick_lower, tick_upper, delta.unsigned_abs())
        } else {
            self.amm.apply_burn(tick_lower, tick_upper, delta.unsigned_abs())
        }
    }
}

const fn no_limit(zero_for_one: bool) -> U256 {
    if zero_for_one {
        MIN_SQRT_RATIO.wrapping_add(U256::ONE)
    } else {
        MAX_SQRT_RATIO.wrapping_sub(U256::ONE)
    }
}

fn to_i256(x: U256) -> Result<I256> {
    if x.bit(255) { Err(MathError::Overflow) } else { Ok(I256::from_raw(x)) }
}

impl Quote for V4PoolState {
    /// An exact-input swap with no price limit; errors with
    /// [`MathError::InsufficientLiquidity`] when the pool cannot take the whole input.
    fn amount_out(&self, zero_for_one: bool, amount_in: U256) -> Result<U256> {
        let specified = to_i256(amount_in)?;
        let r = self.swap_inner(zero_for_one, -specified, no_limit(zero_for_one), true)?;
        let (paid, received) =
            if zero_for_one { (r.amount0, r.amount1) } else { (r.amount1, r.amount0) };
        if I256::try_from(paid).map_err(|_| MathError::Overflow)? != -specified {
            return Err(MathError::InsufficientLiquidity);
        }
        Ok(U256::from(received.unsigned_abs()))
    }

    /// An exact-output swap with no price limit; errors with
    /// [`MathError::InsufficientLiquidity`] when the pool cannot pay the whole output.
    fn amount_in(&self, zero_for_one: bool, amount_out: U256) -> Result<U256> {
        let wanted = to_i256(amount_out)?;
        let r = self.swap_inner(zero_for_one, wanted, no_limit(zero_for_one), true)?;
        let (paid, received) =
            if zero_for_one { (r.amount0, r.amount1) } else { (r.amount1, r.amount0) };
        if I256::try_from(received).map_err(|_| MathError::Overflow)? != wanted {
            return Err(MathError::InsufficientLiquidity);
        }
        Ok(U256::from(paid.unsigned_abs()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::math::v3::{TickInfo, TickWindow, tick_math::get_sqrt_ratio_at_tick};

    fn pool(lp_fee: u32, protocol_fee: u32) -> V4PoolState {
        let sqrt = get_sqrt_ratio_at_tick(0).unwrap();
        let l = 10u128.pow(24);
        let mut amm = V3PoolState::new(sqrt, 0, l, lp_fee, 60, TickWindow::FULL).unwrap();
        amm.insert_tick(-600, TickInfo { liquidity_gross: l, liquidity_net: l as i128 }).unwrap();
        amm.insert_tick(600, TickInfo { liquidity_gross: l, liquidity_net: -(l as i128) }).unwrap();
        V4PoolState { amm, protocol_fee }
    }

    #[test]
    fn swap_fee_matches_protocol_fee_library() {
        assert_eq!(swap_fee(0, 3000), 3000);
        // 1000 + 3000 - 1000 * 3000 / 1e6 = 3997
        assert_eq!(swap_fee(1000, 3000), 3997);
        assert_eq!(swap_fee(1000, 0), 1000);
        assert_eq!(swap_fee(1000, 1_000_000), 1_000_000);
        let p = pool(3000, 1000 | (500 << 12));
        assert_eq!(p.swap_fee(true), 3997);
        assert_eq!(p.swap_fee(false), 3000 + 500 - 1);
    }

    #[test]
    fn signs_are_the_callers() {
        let p = pool(3000, 0);
        let amount = I256::try_from(10u128.pow(18)).unwrap();
        // Exact input of token0: the caller owes amount0, receives amount1.
        let r = p.swap(true, -amount, no_limit(true)).unwrap();
        assert_eq!(r.amount0, -(10i128.pow(18)));
        assert!(r.amount1 > 0);
        // Same as V3 with the signs flipped.
        let v3 = p.amm.swap(true, amount, no_limit(true)).unwrap();
        assert_eq!(I256::try_from(r.amount1).unwrap(), -v3.amount1);
        assert_eq!(
            (r.sqrt_price_x96, r.tick, r.liquidity),
            (v3.sqrt_price_x96, v3.tick, v3.liquidity)
        );
        // Exact output of token0 for token1.
        let r = p.swap(false, amount, no_limit(false)).unwrap();
        assert_eq!(r.amount0, 10i128.pow(18));
        assert!(r.amount1 < 0);
        assert_eq!(
            p.amount_in(false, U256::from(10u128.pow(18))).unwrap(),
            U256::from(r.amount1.unsigned_abs())
        );
    }

    #[test]
    fn protocol_fee_raises_the_step_fee_only() {
        let plain = pool(3000, 0);
        let charged = pool(3000, 1000);
        let amount = U256::from(10u128.pow(20));
        let a = plain.amount_out(true, amount).unwrap();
        let b = charged.amount_out(true, amount).unwrap();
        assert!(b < a);
        // The other direction is not charged.
        assert_eq!(plain.amount_out(false, amount), charged.amount_out(false, amount));
        // Equal to a V3 pool whose fee is the swap fee.
        let mut v3 = plain.amm.clone();
        v3.fee = 3997;
        assert_eq!(v3.amount_out(true, amount).unwrap(), b);
    }

    #[test]
    fn refusals() {
        let p = pool(3000, 0);
        assert_eq!(p.swap(true, I256::ZERO, no_limit(true)), Err(MathError::AmountSpecifiedZero));
        assert_eq!(p.swap(true, I256::MIN, no_limit(true)), Err(MathError::Overflow));
        let mut full = pool(3000, 0);
        // MAX_LP_FEE is a valid LP fee in V4.
        full.amm.fee = MAX_SWAP_FEE;
        assert_eq!(full.swap(true, I256::ONE, no_limit(true)), Err(MathError::InvalidFee));
        assert!(matches!(
            full.swap(true, I256::MINUS_ONE, no_limit(true)),
            Err(MathError::InvalidState(_))
        ));
        // Wrong-side limit.
        assert_eq!(
            p.swap(true, I256::MINUS_ONE, p.amm.sqrt_price_x96),
            Err(MathError::SqrtPriceLimit)
        );
        // More than the pool holds: partial fill is an error for a quote.
        assert_eq!(p.amount_in(true, U256::from(u128::MAX)), Err(MathError::InsufficientLiquidity));
    }

    #[test]
    fn modify_liquidity_updates_ticks_and_range() {
        let mut p = pool(3000, 0);
        let before = p.amm.liquidity;
        p.apply_modify_liquidity(-60, 60, I256::try_from(5i64).unwrap()).unwrap();
        assert_eq!(p.amm.liquidity, before + 5);
        p.apply_modify_liquidity(-60, 60, I256::try_from(-5i64).unwrap()).unwrap();
        assert_eq!(p.amm.liquidity, before);
        assert!(!p.amm.ticks.contains_key(&-60));
        assert_eq!(p.apply_modify_liquidity(-60, 60, I256::MAX), Err(MathError::Overflow));
    }
}

//! Uniswap V2-style constant-product math: `UniswapV2Library.getAmountOut` / `getAmountIn`
//! with the fee as a per-factory fraction (997/1000 for Uniswap, 9975/10000 for forks that
//! charge 0.25%), plus the pair-level checks of `UniswapV2Pair.swap`.

use alloy::primitives::U256;

use super::{MathError, Quote, Result};

/// Largest reserve a pair can hold: reserves are `uint112` on chain.
pub const MAX_RESERVE: U256 = U256::from_limbs([u64::MAX, (1 << 48) - 1, 0, 0]);

/// The share of the input a pair keeps after its fee, as `numerator / denominator`
/// (Uniswap V2: 997/1000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct V2Fee {
    /// Multiplier applied to the input (997 for Uniswap V2).
    pub numerator: u32,
    /// Scale of the fee fraction (1000 for Uniswap V2).
    pub denominator: u32,
}

impl V2Fee {
    /// Uniswap V2 and its exact forks: 0.3%.
    pub const UNISWAP: Self = Self { numerator: 997, denominator: 1000 };

    /// A fee of `1 - numerator / denominator`; errors unless `0 < numerator <= denominator`.
    pub const fn new(numerator: u32, denominator: u32) -> Result<Self> {
        let fee = Self { numerator, denominator };
        match fee.check() {
            Ok(()) => Ok(fee),
            Err(e) => Err(e),
        }
    }

    /// Errors unless `0 < numerator <= denominator`.
    pub(crate) const fn check(self) -> Result<()> {
        if self.numerator == 0 || self.numerator > self.denominator {
            return Err(MathError::InvalidFee);
        }
        Ok(())
    }
}

impl Default for V2Fee {
    fn default() -> Self {
        Self::UNISWAP
    }
}

/// Checks shared by both directions: the router's `INSUFFICIENT_LIQUIDITY` and the on-chain
/// `uint112` bound on reserves.
fn check_reserves(reserve_in: U256, reserve_out: U256) -> Result<()> {
    if reserve_in.is_zero() || reserve_out.is_zero() {
        return Err(MathError::InsufficientLiquidity);
    }
    if reserve_in > MAX_RESERVE || reserve_out > MAX_RESERVE {
        return Err(MathError::ReserveOverflow);
    }
    Ok(())
}

/// `UniswapV2Library.getAmountOut` with a configurable fee:
/// `floor(in * n * reserve_out / (reserve_in * d + in * n))`.
///
/// Errors as the library reverts (zero input, zero reserves, SafeMath overflow) and on
/// reserves above `uint112`. Like the library, it may return 0; the pair itself rejects a
/// zero output, which [`V2Hop::amount_out`] checks.
pub fn get_amount_out(
    amount_in: U256,
    reserve_in: U256,
    reserve_out: U256,
    fee: V2Fee,
) -> Result<U256> {
    fee.check()?;
    if amount_in.is_zero() {
        return Err(MathError::InsufficientInputAmount);
    }
    check_reserves(reserve_in, reserve_out)?;
    let amount_in_with_fee =
        amount_in.checked_mul(U256::from(fee.numerator)).ok_or(MathError::Overflow)?;
    let numerator = amount_in_with_fee.checked_mul(reserve_out).ok_or(MathError::Overflow)?;
    let denominator = (reserve_in * U256::from(fee.denominator))
        .checked_add(amount_in_with_fee)
        .ok_or(MathError::Overflow)?;
    Ok(numerator / denominator)
}

/// `UniswapV2Library.getAmountIn` with a configurable fee:
/// `floor(reserve_in * out * d / ((reserve_out - out) * n)) + 1`.
///
/// Errors as the library reverts: zero output, zero reserves, an output at or above
/// `reserve_out` (SafeMath underflow or division by zero), overflow.
pub fn get_amount_in(
    amount_out: U256,
    reserve_in: U256,
    reserve_out: U256,
    fee: V2Fee,
) -> Result<U256> {
    fee.check()?;
    if amount_out.is_zero() {
        return Err(MathError::InsufficientOutputAmount);
    }
    check_reserves(reserve_in, reserve_out)?;
    let numerator = reserve_in
        .checked_mul(amount_out)
        .and_then(|x| x.checked_mul(U256::from(fee.denominator)))
        .ok_or(MathError::Overflow)?;
    if amount_out >= reserve_out {
        return Err(MathError::InsufficientLiquidity);
    }
    // Both factors are below 2^112 and 2^32: no overflow.
    let denominator = (reserve_out - amount_out) * U256::from(fee.numerator);
    (numerator / denominator).checked_add(U256::ONE).ok_or(MathError::Overflow)
}

/// One directed hop through a V2 pair: the reserves seen from the input side and its fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V2Hop {
    /// Reserve of the token going in.
    pub reserve_in: U256,
    /// Reserve of the token coming out.
    pub reserve_out: U256,
    /// The pair's fee.
    pub fee: V2Fee,
}

impl V2Hop {
    /// What a swap of exactly `amount_in` through the pair pays out: [`get_amount_out`] plus
    /// the pair's own checks (a non-zero output, the new input reserve within `uint112`).
    #[inline]
    pub fn amount_out(&self, amount_in: U256) -> Result<U256> {
        let out = get_amount_out(amount_in, self.reserve_in, self.reserve_out, self.fee)?;
        if out.is_zero() {
            return Err(MathError::InsufficientOutputAmount);
        }
        // reserve_in and amount_in are checked above: the sum cannot wrap.
        if self.reserve_in + amount_in > MAX_RESERVE {
            return Err(MathError::ReserveOverflow);
        }
        Ok(out)
    }

    /// The input [`get_amount_in`] asks for to receive `amount_out`, with the pair's
    /// `uint112` check on the new input reserve.
    #[inline]
    pub fn amount_in(&self, amount_out: U256) -> Result<U256> {
        let amount_in = get_amount_in(amount_out, self.reserve_in, self.reserve_out, self.fee)?;
        if self.reserve_in.checked_add(amount_in).is_none_or(|r| r > MAX_RESERVE) {
            return Err(MathError::ReserveOverflow);
        }
        Ok(amount_in)
    }
}

/// A V2 pair's state as the math needs it: the two reserves (from `getReserves` or the last
/// `Sync` event) and the factory's fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V2Pool {
    /// Reserve of token0 (`uint112`).
    pub reserve0: u128,
    /// Reserve of token1 (`uint112`).
    pub reserve1: u128,
    /// The factory's fee.
    pub fee: V2Fee,
}

impl V2Pool {
    /// The pair seen from the input side: token0 in when `zero_for_one`.
    #[inline]
    pub fn hop(&self, zero_for_one: bool) -> V2Hop {
        let (r_in, r_out) = if zero_for_one {
            (self.reserve0, self.reserve1)
        } else {
            (self.reserve1, self.reserve0)
        };
        V2Hop { reserve_in: U256::from(r_in), reserve_out: U256::from(r_out), fee: self.fee }
    }

    /// Applies a `Sync(reserve0, reserve1)` event.
    pub fn apply_sync(&mut self, reserve0: u128, reserve1: u128) {
        self.reserve0 = reserve0;
        self.reserve1 = reserve1;
    }
}

impl Quote for V2Pool {
    #[inline]
    fn amount_out(&self, zero_for_one: bool, amount_in: U256) -> Result<U256> {
        self.hop(zero_for_one).amount_out(amount_in)
    }

    #[inline]
    fn amount_in(&self, zero_for_one: bool, amount_out: U256) -> Result<U256> {
        self.hop(zero_for_one).amount_in(amount_out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn u(x: u128) -> U256 {
        U256::from(x)
    }

    const E18: u128 = 1_000_000_000_000_000_000;

    #[test]
    fn known_values_from_the_v2_test_suite() {
        // UniswapV2Library.spec.ts: getAmountOut(2, 100, 100) == 1, getAmountIn(1, 100, 100) == 2.
        assert_eq!(get_amount_out(u(2), u(100), u(100), V2Fee::UNISWAP), Ok(u(1)));
        assert_eq!(get_amount_in(u(1), u(100), u(100), V2Fee::UNISWAP), Ok(u(2)));
        // UniswapV2Pair.spec.ts swap test cases: [swapAmount, token0Amount, token1Amount, expectedOutputAmount].
        let cases = [
            (1, 5, 10, 1_662_497_915_624_478_906u128),
            (1, 10, 5, 453_305_446_940_074_565),
            (2, 5, 10, 2_851_015_155_847_869_602),
            (2, 10, 5, 831_248_957_812_239_453),
            (1, 10, 10, 906_610_893_880_149_131),
            (1, 100, 100, 987_158_034_397_061_298),
            (1, 1000, 1000, 996_006_981_039_903_216),
        ];
        for (swap, r0, r1, expected) in cases {
            let out = get_amount_out(u(swap * E18), u(r0 * E18), u(r1 * E18), V2Fee::UNISWAP);
            assert_eq!(out, Ok(u(expected)), "swap {swap} into {r0}/{r1}");
            // The pair test asserts that one wei more fails the K check: the formula is tight.
            let k_before = u(r0 * E18) * u(r1 * E18) * u(1_000_000);
            let adjusted0 = u((r0 + swap) * E18) * u(1000) - u(swap * E18) * u(3);
            let adjusted1 = |o: u128| u(r1 * E18 - o) * u(1000);
            assert!(adjusted0 * adjusted1(expected) >= k_before);
            assert!(adjusted0 * adjusted1(expected + 1) < k_before);
        }
    }

    #[test]
    fn fork_fee_and_errors() {
        let pancake = V2Fee::new(9975, 10000).unwrap();
        // 1e18 into 100e18/100e18 at 0.25%: floor(1e18*9975*100e18 / (100e18*10000 + 1e18*9975)).
        let out = get_amount_out(u(E18), u(100 * E18), u(100 * E18), pancake).unwrap();
        assert_eq!(out, u(987_648_209_114_086_982));
        assert_eq!(V2Fee::new(0, 1000), Err(MathError::InvalidFee));
        assert_eq!(V2Fee::new(1001, 1000), Err(MathError::InvalidFee));
        let f = V2Fee::UNISWAP;
        assert_eq!(
            get_amount_out(U256::ZERO, u(1), u(1), f),
            Err(MathError::InsufficientInputAmount)
        );
        assert_eq!(
            get_amount_out(u(1), U256::ZERO, u(1), f),
            Err(MathError::InsufficientLiquidity)
        );
        assert_eq!(
            get_amount_in(U256::ZERO, u(1), u(1), f),
            Err(MathError::InsufficientOutputAmount)
        );
        assert_eq!(get_amount_in(u(10), u(10), u(10), f), Err(MathError::InsufficientLiquidity));
        assert_eq!(get_amount_in(u(11), u(10), u(10), f), Err(MathError::InsufficientLiquidity));
        assert_eq!(
            get_amount_out(u(1), MAX_RESERVE + u(1), u(1), f),
            Err(MathError::ReserveOverflow)
        );
        assert_eq!(get_amount_out(U256::MAX, u(1), u(1), f), Err(MathError::Overflow));
        let hop = V2Hop { reserve_in: MAX_RESERVE, reserve_out: u(1000), fee: f };
        assert_eq!(hop.amount_out(u(E18)), Err(MathError::InsufficientOutputAmount));
        let hop = V2Hop { reserve_in: MAX_RESERVE - u(5), reserve_out: MAX_RESERVE, fee: f };
        assert_eq!(hop.amount_out(u(6)), Err(MathError::ReserveOverflow));
        assert_eq!(MAX_RESERVE, (U256::ONE << 112) - U256::ONE);
    }

    fn reserve() -> impl Strategy<Value = u128> {
        prop_oneof![1u128..1_000_000, 1u128..(1 << 112)]
    }

    fn fee() -> impl Strategy<Value = V2Fee> {
        prop_oneof![
            Just(V2Fee::UNISWAP),
            Just(V2Fee { numerator: 9975, denominator: 10000 }),
            (1u32..=10_000).prop_map(|n| V2Fee { numerator: n, denominator: 10_000 }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// in(out(x)) <= x and out(in(y)) >= y: the +1 in getAmountIn never under-asks, and
        /// getAmountIn never asks more than an input already known to suffice.
        #[test]
        fn round_trip_bounds(r_in in reserve(), r_out in reserve(), x in 1u128..(1 << 112), f in fee()) {
            let (r_in, r_out, x) = (u(r_in), u(r_out), u(x));
            let out = get_amount_out(x, r_in, r_out, f).unwrap();
            prop_assert!(out < r_out);
            if !out.is_zero() {
                let back = get_amount_in(out, r_in, r_out, f).unwrap();
                prop_assert!(back <= x, "in(out({x})) = {back}");
                prop_assert!(get_amount_out(back, r_in, r_out, f).unwrap() >= out);
            }
            let y = x % r_out;
            if !y.is_zero() {
                let need = get_amount_in(y, r_in, r_out, f).unwrap();
                prop_assert!(get_amount_out(need, r_in, r_out, f).unwrap() >= y);
            }
        }

        /// The output matches the exact rational formula floored, computed independently in
        /// 512 bits, and more input never gives less output.
        #[test]
        fn exact_and_monotone(r_in in reserve(), r_out in reserve(), x in 1u128..(1 << 112), f in fee()) {
            use alloy::primitives::U512;
            let (ri, ro, xi) = (u(r_in), u(r_out), u(x));
            let out = get_amount_out(xi, ri, ro, f).unwrap();
            let n = U512::from(x) * U512::from(f.numerator) * U512::from(r_out);
            let d = U512::from(r_in) * U512::from(f.denominator) + U512::from(x) * U512::from(f.numerator);
            prop_assert_eq!(U512::from(out), n / d);
            let more = get_amount_out(xi + U256::ONE, ri, ro, f).unwrap();
            prop_assert!(more >= out);
        }
    }
}

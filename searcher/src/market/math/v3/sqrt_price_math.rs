//! `SqrtPriceMath`: the next sqrt price after adding or removing an amount, and the token
//! amounts between two prices, each with the contract's rounding direction.
//!
//! Prices are `uint160` on chain and `U256` here; values above `uint160` are outside the
//! contract's domain (the functions still never panic on them).

use alloy::primitives::{I256, U256};

use super::full_math::{div_rounding_up, mul_div, mul_div_rounding_up};
use crate::market::math::{MathError, Result};

/// `FixedPoint96.RESOLUTION`.
pub const RESOLUTION: usize = 96;
/// `FixedPoint96.Q96`: one in Q64.96.
pub const Q96: U256 = U256::from_limbs([0, 1 << 32, 0, 0]);
/// `type(uint160).max`.
pub const U160_MAX: U256 = U256::from_limbs([u64::MAX, u64::MAX, u32::MAX as u64, 0]);

/// `SafeCast.toUint160`.
#[inline(always)]
fn to_u160(x: U256) -> Result<U256> {
    if x > U160_MAX { Err(MathError::PriceOverflow) } else { Ok(x) }
}

/// `SafeCast.toInt256`.
#[inline(always)]
fn to_i256(x: U256) -> Result<I256> {
    if x.bit(255) { Err(MathError::Overflow) } else { Ok(I256::from_raw(x)) }
}

/// `getNextSqrtPriceFromAmount0RoundingUp`: the price after adding (`add`) or removing
/// `amount` of token0, rounded up.
#[inline]
pub fn get_next_sqrt_price_from_amount0_rounding_up(
    sqrt_px96: U256,
    liquidity: u128,
    amount: U256,
    add: bool,
) -> Result<U256> {
    // The contract short-circuits: otherwise the result is not guaranteed to equal the input.
    if amount.is_zero() {
        return Ok(sqrt_px96);
    }
    let numerator1 = U256::from(liquidity) << RESOLUTION;
    let (product, overflow) = amount.overflowing_mul(sqrt_px96);
    if add {
        if !overflow {
            let (denominator, wrapped) = numerator1.overflowing_add(product);
            if !wrapped {
                // Always fits in 160 bits.
                return mul_div_rounding_up(numerator1, sqrt_px96, denominator);
            }
        }
        if sqrt_px96.is_zero() {
            return Err(MathError::ZeroSqrtPrice);
        }
        // LowGasSafeMath.add on (numerator1 / sqrtPX96) + amount.
        let denominator =
            (numerator1 / sqrt_px96).checked_add(amount).ok_or(MathError::Overflow)?;
        Ok(div_rounding_up(numerator1, denominator))
    } else {
        // If the product overflows, the denominator underflows.
        if overflow || numerator1 <= product {
            return Err(MathError::PriceUnderflow);
        }
        let denominator = numerator1 - product;
        to_u160(mul_div_rounding_up(numerator1, sqrt_px96, denominator)?)
    }
}

/// `getNextSqrtPriceFromAmount1RoundingDown`: the price after adding (`add`) or removing
/// `amount` of token1, rounded down.
#[inline]
pub fn get_next_sqrt_price_from_amount1_rounding_down(
    sqrt_px96: U256,
    liquidity: u128,
    amount: U256,
    add: bool,
) -> Result<U256> {
    let liquidity = U256::from(liquidity);
    if liquidity.is_zero() {
        return Err(MathError::DivisionByZero);
    }
    if add {
        let quotient = if amount <= U160_MAX {
            (amount << RESOLUTION) / liquidity
        } else {
            mul_div(amount, Q96, liquidity)?
        };
        to_u160(sqrt_px96.checked_add(quotient).ok_or(MathError::Overflow)?)
    } else {
        let quotient = if amount <= U160_MAX {
            div_rounding_up(amount << RESOLUTION, liquidity)
        } else {
            mul_div_rounding_up(amount, Q96, liquidity)?
        };
        if sqrt_px96 <= quotient {
            return Err(MathError::PriceUnderflow);
        }
        // Always fits 160 bits.
        Ok(sqrt_px96 - quotient)
    }
}

/// `getNextSqrtPriceFromInput`: the price after swapping `amount_in` of token0
/// (`zero_for_one`) or token1 in, rounded so as not to pass the target.
#[inline]
pub fn get_next_sqrt_price_from_input(
    sqrt_px96: U256,
    liquidity: u128,
    amount_in: U256,
    zero_for_one: bool,
) -> Result<U256> {
    if sqrt_px96.is_zero() {
        return Err(MathError::ZeroSqrtPrice);
    }
    if liquidity == 0 {
        return Err(MathError::ZeroLiquidity);
    }
    if zero_for_one {
        get_next_sqrt_price_from_amount0_rounding_up(sqrt_px96, liquidity, amount_in, true)
    } else {
        get_next_sqrt_price_from_amount1_rounding_down(sqrt_px96, liquidity, amount_in, true)
    }
}

/// `getNextSqrtPriceFromOutput`: the price after swapping `amount_out` of token1
/// (`zero_for_one`) or token0 out, rounded so as to pass the target.
#[inline]
pub fn get_next_sqrt_price_from_output(
    sqrt_px96: U256,
    liquidity: u128,
    amount_out: U256,
    zero_for_one: bool,
) -> Result<U256> {
    if sqrt_px96.is_zero() {
        return Err(MathError::ZeroSqrtPrice);
    }
    if liquidity == 0 {
        return Err(MathError::ZeroLiquidity);
    }
    if zero_for_one {
        get_next_sqrt_price_from_amount1_rounding_down(sqrt_px96, liquidity, amount_out, false)
    } else {
        get_next_sqrt_price_from_amount0_rounding_up(sqrt_px96, liquidity, amount_out, false)
    }
}

/// `getAmount0Delta(uint160, uint160, uint128, bool)`:
/// `liquidity * (sqrt_b - sqrt_a) / (sqrt_b * sqrt_a)` in token0, rounded up or down.
#[inline]
pub fn get_amount0_delta(
    sqrt_ratio_a_x96: U256,
    sqrt_ratio_b_x96: U256,
    liquidity: u128,
    round_up: bool,
) -> Result<U256> {
    let (a, b) = if sqrt_ratio_a_x96 > sqrt_ratio_b_x96 {
        (sqrt_ratio_b_x96, sqrt_ratio_a_x96)
    } else {
        (sqrt_ratio_a_x96, sqrt_ratio_b_x96)
    };
    let numerator1 = U256::from(liquidity) << RESOLUTION;
    let numerator2 = b - a;
    if a.is_zero() {
        return Err(MathError::ZeroSqrtPrice);
    }
    if round_up {
        Ok(div_rounding_up(mul_div_rounding_up(numerator1, numerator2, b)?, a))
    } else {
        Ok(mul_div(numerator1, numerator2, b)? / a)
    }
}

/// `getAmount1Delta(uint160, uint160, uint128, bool)`: `liquidity * (sqrt_b - sqrt_a)` in
/// token1, rounded up or down.
#[inline]
pub fn get_amount1_delta(
    sqrt_ratio_a_x96: U256,
    sqrt_ratio_b_x96: U256,
    liquidity: u128,
    round_up: bool,
) -> Result<U256> {
    let diff = if sqrt_ratio_a_x96 > sqrt_ratio_b_x96 {
        sqrt_ratio_a_x96 - sqrt_ratio_b_x96
    } else {
        sqrt_ratio_b_x96 - sqrt_ratio_a_x96
    };
    if round_up {
        mul_div_rounding_up(U256::from(liquidity), diff, Q96)
    } else {
        mul_div(U256::from(liquidity), diff, Q96)
    }
}

/// `getAmount0Delta(uint160, uint160, int128)`: the signed token0 amount for a liquidity
/// change (rounded up when adding, down when removing).
pub fn get_amount0_delta_signed(
    sqrt_ratio_a_x96: U256,
    sqrt_ratio_b_x96: U256,
    liquidity: i128,
) -> Result<I256> {
    let abs = liquidity.unsigned_abs();
    if liquidity < 0 {
        Ok(-to_i256(get_amount0_delta(sqrt_ratio_a_x96, sqrt_ratio_b_x96, abs, false)?)?)
    } else {
        to_i256(get_amount0_delta(sqrt_ratio_a_x96, sqrt_ratio_b_x96, abs, true)?)
    }
}

/// `getAmount1Delta(uint160, uint160, int128)`: the signed token1 amount for a liquidity
/// change (rounded up when adding, down when removing).
pub fn get_amount1_delta_signed(
    sqrt_ratio_a_x96: U256,
    sqrt_ratio_b_x96: U256,
    liquidity: i128,
) -> Result<I256> {
    let abs = liquidity.unsigned_abs();
    if liquidity < 0 {
        Ok(-to_i256(get_amount1_delta(sqrt_ratio_a_x96, sqrt_ratio_b_x96, abs, false)?)?)
    } else {
        to_i256(get_amount1_delta(sqrt_ratio_a_x96, sqrt_ratio_b_x96, abs, true)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::math::v3::tick_math::{MAX_SQRT_RATIO, MIN_SQRT_RATIO};
    use alloy::primitives::U512;
    use proptest::prelude::*;

    const E18: u128 = 1_000_000_000_000_000_000;

    /// `encodePriceSqrt(reserve1, reserve0)` from the v3 tests: `sqrt(r1 / r0) * 2^96`,
    /// floored, in integers.
    fn encode_price_sqrt(reserve1: u128, reserve0: u128) -> U256 {
        let x: U512 = (U512::from(reserve1) << 192) / U512::from(reserve0);
        let root = crate::market::math::sizing::isqrt_u512(x);
        U256::from_limbs(root.as_limbs()[..4].try_into().unwrap())
    }

    fn u(s: &str) -> U256 {
        s.parse().unwrap()
    }

    #[test]
    fn known_values_from_the_v3_test_suite() {
        let one = encode_price_sqrt(1, 1);
        assert_eq!(one, Q96);
        // SqrtPriceMath.spec.ts: getNextSqrtPriceFromInput
        assert_eq!(
            get_next_sqrt_price_from_input(U256::ZERO, 0, U256::from(E18 / 10), false),
            Err(MathError::ZeroSqrtPrice)
        );
        assert_eq!(
            get_next_sqrt_price_from_input(U256::ONE, 0, U256::from(E18 / 10), true),
            Err(MathError::ZeroLiquidity)
        );
        assert!(get_next_sqrt_price_from_input(U160_MAX, 1024, U256::from(1024), false).is_err());
        assert_eq!(
            get_next_sqrt_price_from_input(U256::ONE, 1, U256::MAX >> 1, true),
            Ok(U256::ONE)
        );
        assert_eq!(get_next_sqrt_price_from_input(one, E18 / 10, U256::ZERO, true), Ok(one));
        assert_eq!(get_next_sqrt_price_from_input(one, E18 / 10, U256::ZERO, false), Ok(one));
        assert_eq!(
            get_next_sqrt_price_from_input(U160_MAX, u128::MAX, U256::ZERO, true),
            Ok(U160_MAX)
        );
        assert_eq!(
            get_next_sqrt_price_from_input(one, E18, U256::from(E18 / 10), false),
            Ok(u("87150978765690771352898345369"))
        );
        assert_eq!(
            get_next_sqrt_price_from_input(one, E18, U256::from(E18 / 10), true),
            Ok(u("72025602285694852357767227579"))
        );
        assert_eq!(
            get_next_sqrt_price_from_input(one, 10 * E18, U256::ONE << 100, true),
            Ok(u("624999999995069620"))
        );
        assert_eq!(get_next_sqrt_price_from_input(one, 1, U256::MAX >> 1, true), Ok(U256::ONE));
        // getNextSqrtPriceFromOutput
        let p = u("20282409603651670423947251286016");
        assert_eq!(
            get_next_sqrt_price_from_output(p, 1024, U256::from(4), false),
            Err(MathError::PriceUnderflow)
        );
        assert_eq!(
            get_next_sqrt_price_from_output(p, 1024, U256::from(5), false),
            Err(MathError::PriceUnderflow)
        );
        assert_eq!(
            get_next_sqrt_price_from_output(p, 1024, U256::from(262145), true),
            Err(MathError::PriceUnderflow)
        );
        assert_eq!(
            get_next_sqrt_price_from_output(p, 1024, U256::from(262144), true),
            Err(MathError::PriceUnderflow)
        );
        assert_eq!(
            get_next_sqrt_price_from_output(p, 1024, U256::from(262143), true),
            Ok(u("77371252455336267181195264"))
        );
        assert_eq!(get_next_sqrt_price_from_output(one, E18 / 10, U256::ZERO, true), Ok(one));
        assert_eq!(
            get_next_sqrt_price_from_output(one, E18, U256::from(E18 / 10), false),
            Ok(u("88031291682515930659493278152"))
        );
        assert_eq!(
            get_next_sqrt_price_from_output(one, E18, U256::from(E18 / 10), true),
            Ok(u("71305346262837903834189555302"))
        );
        assert_eq!(
            get_next_sqrt_price_from_output(one, 1, U256::MAX, true),
            Err(MathError::Overflow)
        );
        assert_eq!(
            get_next_sqrt_price_from_output(one, 1, U256::MAX, false),
            Err(MathError::PriceUnderflow)
        );
        // getAmount0Delta / getAmount1Delta
        assert_eq!(get_amount0_delta(one, one, 0, true), Ok(U256::ZERO));
        let p121 = encode_price_sqrt(121, 100);
        assert_eq!(get_amount0_delta(one, p121, E18, true), Ok(U256::from(90909090909090910u128)));
        assert_eq!(get_amount0_delta(one, p121, E18, false), Ok(U256::from(90909090909090909u128)));
        let big = encode_price_sqrt(2u128.pow(90), 1);
        let big2 = encode_price_sqrt(2u128.pow(96), 1);
        let up = get_amount0_delta(big, big2, E18, true).unwrap();
        let down = get_amount0_delta(big, big2, E18, false).unwrap();
        assert_eq!(up, down + U256::ONE);
        assert_eq!(get_amount1_delta(one, one, 0, true), Ok(U256::ZERO));
        assert_eq!(get_amount1_delta(one, p121, E18, true), Ok(U256::from(100000000000000000u128)));
        assert_eq!(get_amount1_delta(one, p121, E18, false), Ok(U256::from(99999999999999999u128)));
        // "swap computation" case from the spec
        let sqrt_p = u("1025574284609383690408304870162715216695788925244");
        let liquidity = 50015962439936049619261659728067971248u128;
        let sqrt_q =
            get_next_sqrt_price_from_input(sqrt_p, liquidity, U256::from(406), true).unwrap();
        assert_eq!(sqrt_q, u("1025574284609383582644711336373707553698163132913"));
        assert_eq!(get_amount0_delta(sqrt_q, sqrt_p, liquidity, true), Ok(U256::from(406)));
        // Signed helpers
        assert_eq!(
            get_amount0_delta_signed(one, p121, E18 as i128),
            Ok(I256::try_from(90909090909090910i128).unwrap())
        );
        assert_eq!(
            get_amount0_delta_signed(one, p121, -(E18 as i128)),
            Ok(I256::try_from(-90909090909090909i128).unwrap())
        );
        assert_eq!(
            get_amount1_delta_signed(one, p121, -(E18 as i128)),
            Ok(I256::try_from(-99999999999999999i128).unwrap())
        );
        assert_eq!(
            get_amount0_delta(MIN_SQRT_RATIO, MAX_SQRT_RATIO, u128::MAX, true)
                .map(|x| x.bit_len() <= 256),
            Ok(true)
        );
    }

    fn price() -> impl Strategy<Value = U256> {
        prop_oneof![
            (0usize..=160, any::<[u64; 3]>()).prop_map(|(bits, l)| {
                (U256::from_limbs([l[0], l[1], l[2], 0]) >> (192 - bits)).max(MIN_SQRT_RATIO)
            }),
            (MIN_SQRT_RATIO.to::<u128>()..u128::MAX).prop_map(U256::from),
        ]
        .prop_map(|p| p.min(MAX_SQRT_RATIO))
    }

    fn amount() -> impl Strategy<Value = U256> {
        prop_oneof![
            any::<u128>().prop_map(U256::from),
            (0usize..=256, any::<[u64; 4]>())
                .prop_map(|(bits, l)| U256::from_limbs(l) >> (256 - bits)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// The next price after an input never passes the exact price, and the amount the
        /// price move is worth (rounded up) never exceeds the input.
        #[test]
        fn input_price_is_conservative(p in price(), l in 1u128.., a in amount(), zfo: bool) {
            if let Ok(q) = get_next_sqrt_price_from_input(p, l, a, zfo) {
                if zfo {
                    prop_assert!(q <= p);
                    prop_assert!(get_amount0_delta(q, p, l, true).unwrap() <= a);
                } else {
                    prop_assert!(q >= p);
                    prop_assert!(get_amount1_delta(p, q, l, true).unwrap() <= a);
                }
            }
        }

        /// The next price after an output always pays at least that output.
        #[test]
        fn output_price_pays_at_least(p in price(), l in 1u128.., a in amount(), zfo: bool) {
            if let Ok(q) = get_next_sqrt_price_from_output(p, l, a, zfo) {
                if zfo {
                    prop_assert!(q <= p);
                    prop_assert!(get_amount1_delta(q, p, l, false).unwrap() >= a);
                } else {
                    prop_assert!(q >= p);
                    if let Ok(out) = get_amount0_delta(p, q, l, false) {
                        prop_assert!(out >= a);
                    }
                }
            }
        }

        /// Rounding: up and down differ by at most one and never cross.
        #[test]
        fn delta_rounding(a in price(), b in price(), l: u128) {
            let (d0, u0) = (get_amount0_delta(a, b, l, false).unwrap(), get_amount0_delta(a, b, l, true).unwrap());
            prop_assert!(d0 <= u0 && u0 - d0 <= U256::ONE);
            let (d1, u1) = (get_amount1_delta(a, b, l, false).unwrap(), get_amount1_delta(a, b, l, true).unwrap());
            prop_assert!(d1 <= u1 && u1 - d1 <= U256::ONE);
        }
    }
}

//! `FullMath` and `UnsafeMath`: `floor(a * b / d)` and `ceil(a * b / d)` with a 512-bit
//! intermediate, reverting (here: erroring) exactly where the contract does.

use alloy::primitives::{U256, U512};

use crate::market::math::{MathError, Result};

/// `floor(a * b / denominator)` and whether the division left a remainder.
///
/// Errors as `FullMath.mulDiv` reverts: a zero denominator, or a quotient of 2^256 or more
/// (the contract's `require(denominator > prod1)`).
#[inline]
fn mul_div_rem(a: U256, b: U256, denominator: U256) -> Result<(U256, bool)> {
    if denominator.is_zero() {
        return Err(MathError::DivisionByZero);
    }
    let (prod0, overflow) = a.overflowing_mul(b);
    if !overflow {
        let (q, r) = prod0.div_rem(denominator);
        return Ok((q, !r.is_zero()));
    }
    let prod: U512 = a.widening_mul(b);
    let limbs = prod.as_limbs();
    // prod1 >= denominator means the quotient needs more than 256 bits.
    if U256::from_limbs([limbs[4], limbs[5], limbs[6], limbs[7]]) >= denominator {
        return Err(MathError::Overflow);
    }
    let (q, r) = prod.div_rem(U512::from(denominator));
    let q = q.as_limbs();
    Ok((U256::from_limbs([q[0], q[1], q[2], q[3]]), !r.is_zero()))
}

/// `FullMath.mulDiv`: `floor(a * b / denominator)` with full precision.
#[inline]
pub fn mul_div(a: U256, b: U256, denominator: U256) -> Result<U256> {
    mul_div_rem(a, b, denominator).map(|(q, _)| q)
}

/// `FullMath.mulDivRoundingUp`: `ceil(a * b / denominator)`; errors like [`mul_div`] and when
/// the rounded result would be 2^256.
#[inline]
pub fn mul_div_rounding_up(a: U256, b: U256, denominator: U256) -> Result<U256> {
    let (q, rem) = mul_div_rem(a, b, denominator)?;
    if rem {
        if q == U256::MAX {
            return Err(MathError::Overflow);
        }
        return Ok(q + U256::ONE);
    }
    Ok(q)
}

/// `UnsafeMath.divRoundingUp`: `ceil(x / y)`, and 0 when `y == 0`, as the EVM's `div` and
/// `mod` return (callers guarantee `y > 0`).
#[inline]
pub fn div_rounding_up(x: U256, y: U256) -> U256 {
    if y.is_zero() {
        return U256::ZERO;
    }
    let (q, r) = x.div_rem(y);
    if r.is_zero() { q } else { q + U256::ONE }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The contract's own algorithm, translated line by line (Remco Bloemen's mulDiv: CRT
    /// for the 512-bit product, then division by the modular inverse). An independent
    /// reference for the 512-bit division above.
    fn mul_div_solidity(a: U256, b: U256, mut denominator: U256) -> Option<U256> {
        let mm = a.mul_mod(b, U256::MAX);
        let mut prod0 = a.wrapping_mul(b);
        let mut prod1 = mm.wrapping_sub(prod0).wrapping_sub(U256::from(mm < prod0));
        if prod1.is_zero() {
            if denominator.is_zero() {
                return None;
            }
            return Some(prod0 / denominator);
        }
        if denominator <= prod1 {
            return None;
        }
        let remainder = a.mul_mod(b, denominator);
        prod1 = prod1.wrapping_sub(U256::from(remainder > prod0));
        prod0 = prod0.wrapping_sub(remainder);
        let mut twos = denominator.wrapping_neg() & denominator;
        denominator /= twos;
        prod0 /= twos;
        twos = (U256::ZERO.wrapping_sub(twos) / twos).wrapping_add(U256::ONE);
        prod0 |= prod1.wrapping_mul(twos);
        let mut inv = (U256::from(3).wrapping_mul(denominator)) ^ U256::from(2);
        for _ in 0..6 {
            inv = inv.wrapping_mul(U256::from(2).wrapping_sub(denominator.wrapping_mul(inv)));
        }
        Some(prod0.wrapping_mul(inv))
    }

    fn u(s: &str) -> U256 {
        s.parse().unwrap()
    }

    #[test]
    fn known_values_from_the_v3_test_suite() {
        let q128 = U256::ONE << 128;
        // FullMath.spec.ts
        assert_eq!(mul_div(q128, U256::from(5), U256::ZERO), Err(MathError::DivisionByZero));
        assert_eq!(mul_div(q128, q128, U256::ONE), Err(MathError::Overflow));
        assert_eq!(mul_div(U256::MAX, U256::MAX, U256::MAX - U256::ONE), Err(MathError::Overflow));
        assert_eq!(mul_div(U256::MAX, U256::MAX, U256::MAX), Ok(U256::MAX));
        assert_eq!(
            mul_div(
                q128,
                U256::from(50) * q128 / U256::from(100),
                U256::from(150) * q128 / U256::from(100)
            ),
            Ok(q128 / U256::from(3))
        );
        assert_eq!(
            mul_div(q128, U256::from(35) * q128, U256::from(8) * q128),
            Ok(U256::from(4375) * q128 / U256::from(1000))
        );
        assert_eq!(
            mul_div(q128, U256::from(1000) * q128, U256::from(3000) * q128),
            Ok(q128 / U256::from(3))
        );
        assert_eq!(
            mul_div_rounding_up(
                u("535006138814359"),
                u("432862656469423142931042426214547535783388063929571229938474969"),
                U256::from(2)
            ),
            Err(MathError::Overflow)
        );
        assert_eq!(
            mul_div_rounding_up(
                u("115792089237316195423570985008687907853269984659341747863450311749907997002549"),
                u("115792089237316195423570985008687907853269984659341747863450311749907997002550"),
                u("115792089237316195423570985008687907853269984653042931687443039491902864365164"),
            ),
            Err(MathError::Overflow)
        );
        assert_eq!(
            mul_div_rounding_up(q128, U256::from(1000) * q128, U256::from(3000) * q128),
            Ok(q128 / U256::from(3) + U256::ONE)
        );
        assert_eq!(div_rounding_up(U256::from(7), U256::from(2)), U256::from(4));
        assert_eq!(div_rounding_up(U256::from(6), U256::from(2)), U256::from(3));
        assert_eq!(div_rounding_up(U256::from(6), U256::ZERO), U256::ZERO);
    }

    fn any_u256() -> impl Strategy<Value = U256> {
        prop_oneof![
            any::<[u64; 4]>().prop_map(U256::from_limbs),
            any::<u128>().prop_map(U256::from),
            any::<u64>().prop_map(U256::from),
            (0usize..256).prop_map(|s| U256::ONE << s),
            (0usize..256).prop_map(|s| U256::MAX >> s),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5000))]

        /// mulDiv equals the 512-bit reference: q*d <= a*b < (q+1)*d, errors exactly when the
        /// quotient overflows or d == 0, and agrees with the contract's CRT algorithm.
        #[test]
        fn mul_div_matches_u512_reference(a in any_u256(), b in any_u256(), d in any_u256()) {
            let prod: U512 = a.widening_mul(b);
            let got = mul_div(a, b, d);
            let up = mul_div_rounding_up(a, b, d);
            prop_assert_eq!(got.ok(), mul_div_solidity(a, b, d));
            if d.is_zero() {
                prop_assert_eq!(got, Err(MathError::DivisionByZero));
                return Ok(());
            }
            let (q, r) = prod.div_rem(U512::from(d));
            if q > U512::from(U256::MAX) {
                prop_assert_eq!(got, Err(MathError::Overflow));
                prop_assert_eq!(up, Err(MathError::Overflow));
            } else {
                prop_assert_eq!(U512::from(got.unwrap()), q);
                let ceil = if r.is_zero() { q } else { q + U512::ONE };
                if ceil > U512::from(U256::MAX) {
                    prop_assert_eq!(up, Err(MathError::Overflow));
                } else {
                    prop_assert_eq!(U512::from(up.unwrap()), ceil);
                }
            }
        }
    }
}

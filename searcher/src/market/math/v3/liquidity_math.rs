//! `LiquidityMath.addDelta`: a signed liquidity change applied to `uint128` liquidity.

use crate::market::math::{MathError, Result};

/// `LiquidityMath.addDelta`: `x + y`, erroring on underflow (`'LS'`) or overflow (`'LA'`).
#[inline]
pub fn add_delta(x: u128, y: i128) -> Result<u128> {
    if y < 0 {
        x.checked_sub(y.unsigned_abs()).ok_or(MathError::LiquiditySub)
    } else {
        x.checked_add(y as u128).ok_or(MathError::LiquidityAdd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_from_the_v3_test_suite() {
        // LiquidityMath.spec.ts
        assert_eq!(add_delta(1, 0), Ok(1));
        assert_eq!(add_delta(1, -1), Ok(0));
        assert_eq!(add_delta(1, 1), Ok(2));
        assert_eq!(add_delta((1 << 127) - 1 + (1 << 127), 15), Err(MathError::LiquidityAdd));
        assert_eq!(add_delta(0, -1), Err(MathError::LiquiditySub));
        assert_eq!(add_delta(3, -4), Err(MathError::LiquiditySub));
        assert_eq!(add_delta(1 << 127, i128::MIN), Ok(0));
        assert_eq!(add_delta(u128::MAX, i128::MAX), Err(MathError::LiquidityAdd));
    }
}

//! `SwapMath.computeSwapStep`: one step of a swap within a single price range.

use alloy::primitives::{I256, U256};

use super::full_math::{mul_div, mul_div_rounding_up};
use super::sqrt_price_math::{
    get_amount0_delta, get_amount1_delta, get_next_sqrt_price_from_input,
    get_next_sqrt_price_from_output,
};
use crate::market::math::{MathError, Result};

/// The fee denominator: fees are in hundredths of a bip (pips), 1e6 = 100%.
pub const FEE_DENOMINATOR: u32 = 1_000_000;

/// The result of [`compute_swap_step`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwapStep {
    /// The price after the step, never past the target.
    pub sqrt_ratio_next_x96: U256,
    /// Input taken by the step, fee excluded.
    pub amount_in: U256,
    /// Output paid by the step.
    pub amount_out: U256,
    /// Fee taken from the input.
    pub fee_amount: U256,
}

/// `SwapMath.computeSwapStep`: swap `amount_remaining` (positive: exact input, negative:
/// exact output) from `sqrt_ratio_current_x96` toward `sqrt_ratio_target_x96` with
/// `liquidity` and a fee of `fee_pips` / 1e6. The direction is inferred from the prices.
#[inline]
pub fn compute_swap_step(
    sqrt_ratio_current_x96: U256,
    sqrt_ratio_target_x96: U256,
    liquidity: u128,
    amount_remaining: I256,
    fee_pips: u32,
) -> Result<SwapStep> {
    if fee_pips >= FEE_DENOMINATOR {
        return Err(MathError::InvalidFee);
    }
    let zero_for_one = sqrt_ratio_current_x96 >= sqrt_ratio_target_x96;
    let exact_in = !amount_remaining.is_negative();
    let fee_complement = U256::from(FEE_DENOMINATOR - fee_pips);
    let fee_denominator = U256::from(FEE_DENOMINATOR);

    let mut amount_in = U256::ZERO;
    let mut amount_out = U256::ZERO;
    let sqrt_ratio_next_x96;
    if exact_in {
        let remaining = amount_remaining.into_raw();
        let remaining_less_fee = mul_div(remaining, fee_complement, fee_denominator)?;
        amount_in = if zero_for_one {
            get_amount0_delta(sqrt_ratio_target_x96, sqrt_ratio_current_x96, liquidity, true)?
        } else {
            get_amount1_delta(sqrt_ratio_current_x96, sqrt_ratio_target_x96, liquidity, true)?
        };
        sqrt_ratio_next_x96 = if remaining_less_fee >= amount_in {
            sqrt_ratio_target_x96
        } else {
            get_next_sqrt_price_from_input(
                sqrt_ratio_current_x96,
                liquidity,
                remaining_less_fee,
                zero_for_one,
            )?
        };
    } else {
        // uint256(-amountRemaining): for int256.min the contract's unchecked negation wraps
        // back to 2^255, which is what the unsigned absolute value gives.
        let wanted = amount_remaining.unsigned_abs();
        amount_out = if zero_for_one {
            get_amount1_delta(sqrt_ratio_target_x96, sqrt_ratio_current_x96, liquidity, false)?
        } else {
            get_amount0_delta(sqrt_ratio_current_x96, sqrt_ratio_target_x96, liquidity, false)?
        };
        sqrt_ratio_next_x96 = if wanted >= amount_out {
            sqrt_ratio_target_x96
        } else {
            get_next_sqrt_price_from_output(
                sqrt_ratio_current_x96,
                liquidity,
                wanted,
                zero_for_one,
            )?
        };
    }

    // At the target, the amount computed to the target above is kept (`max && exactIn ?
    // amountIn : ...`); otherwise it is recomputed to the next price.
    let max = sqrt_ratio_target_x96 == sqrt_ratio_next_x96;
    let keep_in = max && exact_in;
    let keep_out = max && !exact_in;
    if zero_for_one {
        if !keep_in {
            amount_in =
                get_amount0_delta(sqrt_ratio_next_x96, sqrt_ratio_current_x96, liquidity, true)?;
        }
        if !keep_out {
            amount_out =
                get_amount1_delta(sqrt_ratio_next_x96, sqrt_ratio_current_x96, liquidity, false)?;
        }
    } else {
        if !keep_in {
            amount_in =
                get_amount1_delta(sqrt_ratio_current_x96, sqrt_ratio_next_x96, liquidity, true)?;
        }
        if !keep_out {
            amount_out =
                get_amount0_delta(sqrt_ratio_current_x96, sqrt_ratio_next_x96, liquidity, false)?;
        }
    }

    // Cap the output at the remaining output amount.
    if !exact_in {
        let wanted = amount_remaining.unsigned_abs();
        if amount_out > wanted {
            amount_out = wanted;
        }
    }

    let fee_amount = if exact_in && sqrt_ratio_next_x96 != sqrt_ratio_target_x96 {
        // The target was not reached: the rest of the input is the fee. Unchecked in the
        // contract; amount_in never exceeds the remaining input here.
        amount_remaining.into_raw().wrapping_sub(amount_in)
    } else {
        mul_div_rounding_up(amount_in, U256::from(fee_pips), fee_complement)?
    };

    Ok(SwapStep { sqrt_ratio_next_x96, amount_in, amount_out, fee_amount })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::math::v3::sqrt_price_math::Q96;
    use crate::market::math::v3::tick_math::{MAX_SQRT_RATIO, MIN_SQRT_RATIO};
    use proptest::prelude::*;

    fn u(s: &str) -> U256 {
        s.parse().unwrap()
    }

    fn i(s: &str) -> I256 {
        s.parse().unwrap()
    }

    const E18: &str = "1000000000000000000";

    #[test]
    fn known_values_from_the_v3_test_suite() {
        // SwapMath.spec.ts
        let one = Q96;
        // exact amount in that gets capped at price target in one for zero
        let target = u("79623317895830914510639640423"); // encodePriceSqrt(101, 100)
        let s = compute_swap_step(one, target, 2_000_000_000_000_000_000, i(E18), 600).unwrap();
        assert_eq!(s.amount_in, u("9975124224178055"));
        assert_eq!(s.fee_amount, u("5988667735148"));
        assert_eq!(s.amount_out, u("9925619580021728"));
        assert_eq!(s.sqrt_ratio_next_x96, target);
        // exact amount out that gets capped at price target in one for zero
        let s = compute_swap_step(one, target, 2_000_000_000_000_000_000, -i(E18), 600).unwrap();
        assert_eq!(s.amount_in, u("9975124224178055"));
        assert_eq!(s.fee_amount, u("5988667735148"));
        assert_eq!(s.amount_out, u("9925619580021728"));
        assert_eq!(s.sqrt_ratio_next_x96, target);
        // exact amount in that is fully spent in one for zero
        let target = u("250541448375047931186413801569"); // encodePriceSqrt(1000, 100)
        let s = compute_swap_step(one, target, 2_000_000_000_000_000_000, i(E18), 600).unwrap();
        assert_eq!(s.amount_in, u("999400000000000000"));
        assert_eq!(s.fee_amount, u("600000000000000"));
        assert_eq!(s.amount_out, u("666399946655997866"));
        assert_eq!(s.sqrt_ratio_next_x96, u("118818475322642227089037862318"));
        // exact amount out that is fully received in one for zero
        let s = compute_swap_step(one, target, 2_000_000_000_000_000_000, -i(E18), 600).unwrap();
        assert_eq!(s.amount_in, u("2000000000000000000"));
        assert_eq!(s.fee_amount, u("1200720432259356"));
        assert_eq!(s.amount_out, u(E18));
        assert_eq!(s.sqrt_ratio_next_x96, u("158456325028528675187087900672"));
        // amount out is capped at the desired amount out
        let s = compute_swap_step(
            u("417332158212080721273783715441582"),
            u("1452870262520218020823638996"),
            159344665391607089467575320103,
            I256::MINUS_ONE,
            1,
        )
        .unwrap();
        assert_eq!(s.amount_in, U256::ONE);
        assert_eq!(s.fee_amount, U256::ONE);
        assert_eq!(s.amount_out, U256::ONE);
        assert_eq!(s.sqrt_ratio_next_x96, u("417332158212080721273783715441581"));
        // target price of 1 uses partial input amount
        let s = compute_swap_step(
            U256::from(2),
            U256::ONE,
            1,
            i("3915081100057732413702495386755767"),
            1,
        )
        .unwrap();
        assert_eq!(s.amount_in, u("39614081257132168796771975168"));
        assert_eq!(s.fee_amount, u("39614120871253040049813"));
        assert!(s.amount_in + s.fee_amount <= u("3915081100057732413702495386755767"));
        assert_eq!(s.amount_out, U256::ZERO);
        assert_eq!(s.sqrt_ratio_next_x96, U256::ONE);
        // entire input amount taken as fee
        let s = compute_swap_step(
            U256::from(2413),
            u("79887613182836312"),
            1985041575832132834610021537970,
            i("10"),
            1872,
        )
        .unwrap();
        assert_eq!(
            (s.amount_in, s.fee_amount, s.amount_out),
            (U256::ZERO, U256::from(10), U256::ZERO)
        );
        assert_eq!(s.sqrt_ratio_next_x96, U256::from(2413));
        // handles intermediate insufficient liquidity in zero for one exact output case
        let sqrt_p = u("20282409603651670423947251286016");
        let target = sqrt_p * U256::from(11) / U256::from(10);
        let s = compute_swap_step(sqrt_p, target, 1024, i("-4"), 3000).unwrap();
        assert_eq!(
            (s.amount_out, s.amount_in, s.fee_amount),
            (U256::ZERO, U256::from(26215), U256::from(79))
        );
        assert_eq!(s.sqrt_ratio_next_x96, target);
        // handles intermediate insufficient liquidity in one for zero exact output case
        let target = sqrt_p * U256::from(9) / U256::from(10);
        let s = compute_swap_step(sqrt_p, target, 1024, i("-263000"), 3000).unwrap();
        assert_eq!(
            (s.amount_out, s.amount_in, s.fee_amount),
            (U256::from(26214), U256::ONE, U256::ONE)
        );
        assert_eq!(s.sqrt_ratio_next_x96, target);
        assert_eq!(
            compute_swap_step(one, one, 1, I256::ONE, FEE_DENOMINATOR),
            Err(MathError::InvalidFee)
        );
    }

    fn price() -> impl Strategy<Value = U256> {
        (0usize..=160, any::<[u64; 3]>()).prop_map(|(bits, l)| {
            (U256::from_limbs([l[0], l[1], l[2], 0]) >> (192 - bits))
                .clamp(MIN_SQRT_RATIO, MAX_SQRT_RATIO - U256::ONE)
        })
    }

    fn amount() -> impl Strategy<Value = I256> {
        prop_oneof![
            any::<i128>().prop_map(|x| I256::try_from(x).unwrap()),
            (0usize..=255, any::<[u64; 4]>(), any::<bool>()).prop_map(|(bits, l, neg)| {
                let x = I256::from_raw(U256::from_limbs(l) >> (256 - bits.max(1)));
                if neg { -x } else { x }
            }),
        ]
        .prop_filter("non-zero", |x| !x.is_zero())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// The SwapMath.spec.ts invariants: never past the target, exact input spends at most
        /// the input, exact output never pays more than asked, price moves toward the target.
        #[test]
        fn step_invariants(cur in price(), target in price(), l: u128, rem in amount(), fee in 0u32..1_000_000) {
            let Ok(s) = compute_swap_step(cur, target, l, rem, fee) else { return Ok(()) };
            let zfo = cur >= target;
            if zfo {
                prop_assert!(s.sqrt_ratio_next_x96 <= cur && s.sqrt_ratio_next_x96 >= target);
            } else {
                prop_assert!(s.sqrt_ratio_next_x96 >= cur && s.sqrt_ratio_next_x96 <= target);
            }
            if rem.is_negative() {
                prop_assert!(s.amount_out <= rem.unsigned_abs());
            } else {
                prop_assert!(s.amount_in + s.fee_amount <= rem.into_raw());
            }
            if s.sqrt_ratio_next_x96 != target {
                if rem.is_negative() {
                    prop_assert_eq!(s.amount_out, rem.unsigned_abs());
                } else {
                    prop_assert_eq!(s.amount_in + s.fee_amount, rem.into_raw());
                }
            }
        }
    }
}

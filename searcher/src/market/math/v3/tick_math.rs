//! `TickMath`: sqrt prices from ticks (`sqrt(1.0001^tick) * 2^96`) and back, bit for bit.
//!
//! The contract works in `uint256`, but every intermediate of `getSqrtRatioAtTick` is a
//! Q128.128 ratio below 2^129 and every square in `getTickAtSqrtRatio` is of a value below
//! 2^128, so both run here on `u128` halves of the same 256-bit products. The tests hold the
//! line-by-line `U256` translations and check the two agree.

use alloy::primitives::{U256, uint};

use crate::market::math::{MathError, Result};

/// The smallest tick `getSqrtRatioAtTick` accepts: `log_1.0001(2^-128)`.
pub const MIN_TICK: i32 = -887_272;
/// The largest tick `getSqrtRatioAtTick` accepts.
pub const MAX_TICK: i32 = -MIN_TICK;
/// `getSqrtRatioAtTick(MIN_TICK)`, the smallest sqrt price a pool can hold.
pub const MIN_SQRT_RATIO: U256 = uint!(4295128739_U256);
/// `getSqrtRatioAtTick(MAX_TICK)`; a pool's price is always strictly below it.
pub const MAX_SQRT_RATIO: U256 = uint!(1461446703485210103287273052203988822378723970342_U256);

/// The Q128.128 factors `1/sqrt(1.0001)^(2^i)` for bits 1..=19 of `|tick|`.
const FACTORS: [u128; 19] = [
    0xfff97272373d413259a46990580e213a,
    0xfff2e50f5f656932ef12357cf3c7fdcc,
    0xffe5caca7e10e4e61c3624eaa0941cd0,
    0xffcb9843d60f6159c9db58835c926644,
    0xff973b41fa98c081472e6896dfb254c0,
    0xff2ea16466c96a3843ec78b326b52861,
    0xfe5dee046a99a2a811c461f1969c3053,
    0xfcbe86c7900a88aedcffc83b479aa3a4,
    0xf987a7253ac413176f2b074cf7815e54,
    0xf3392b0822b70005940c7a398e4b70f3,
    0xe7159475a2c29b7443b29c7fa6e889d9,
    0xd097f3bdfd2022b8845ad8f792aa5825,
    0xa9f746462d870fdf8a65dc1f90e061e5,
    0x70d869a156d2a1b890bb3df62baf32f7,
    0x31be135f97d08fd981231505542fcfa6,
    0x9aa508b5b7a84e1c677de54f3e99bc9,
    0x5d6af8dedb81196699c329225ee604,
    0x2216e584f5fa1ea926041bedfe98,
    0x48a170391f7dc42444e8fa2,
];

/// The full 256-bit product of two `u128`s as `(high, low)` halves.
#[inline(always)]
pub(crate) const fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    let (a_lo, a_hi) = (a as u64 as u128, a >> 64);
    let (b_lo, b_hi) = (b as u64 as u128, b >> 64);
    let ll = a_lo * b_lo;
    let lh = a_lo * b_hi;
    let hl = a_hi * b_lo;
    let hh = a_hi * b_hi;
    // Below 3 * 2^64: cannot overflow.
    let mid = (ll >> 64) + (lh as u64 as u128) + (hl as u64 as u128);
    let high = hh + (lh >> 64) + (hl >> 64) + (mid >> 64);
    let low = (mid << 64) | (ll as u64 as u128);
    (high, low)
}

/// `TickMath.getSqrtRatioAtTick`: `sqrt(1.0001^tick) * 2^96` as a Q64.96, rounded up.
/// Errors (`'T'`) when `|tick| > MAX_TICK`.
#[inline]
pub fn get_sqrt_ratio_at_tick(tick: i32) -> Result<U256> {
    let abs_tick = tick.unsigned_abs();
    if abs_tick > MAX_TICK as u32 {
        return Err(MathError::TickOutOfRange(tick));
    }
    // `None` stands for the contract's initial ratio of exactly 2^128 (one in Q128.128);
    // multiplying it by a factor and shifting right by 128 yields the factor itself.
    let mut ratio: Option<u128> =
        if abs_tick & 1 != 0 { Some(0xfffcb933bd6fad37aa2d162d1a594001) } else { None };
    let mut bits = abs_tick >> 1;
    let mut i = 0;
    while bits != 0 {
        if bits & 1 != 0 {
            let factor = FACTORS[i];
            ratio = Some(match ratio {
                None => factor,
                Some(r) => mul_wide(r, factor).0,
            });
        }
        bits >>= 1;
        i += 1;
    }
    let Some(ratio) = ratio else {
        // tick == 0: ratio 2^128, price 2^96.
        return Ok(U256::ONE << 96);
    };
    if tick > 0 {
        // Every factor exceeds 2^127, so the product of at most 20 of them stays far above
        // zero (at MAX_TICK it is about 2^64).
        let inverse = U256::MAX / U256::from(ratio);
        let round = inverse.as_limbs()[0] as u32 != 0;
        return Ok((inverse >> 32) + U256::from(round));
    }
    Ok(U256::from((ratio >> 32) + u128::from(ratio as u32 != 0)))
}

/// `log_2(1.0001) / 2` as a Q128.128 multiplier: `255738958999603826347141`.
const LOG_SQRT10001: U256 = uint!(255738958999603826347141_U256);
/// The lower error bound of the log approximation (subtracted for `tickLow`).
const TICK_LOW_OFFSET: U256 = uint!(3402992956809132418596140100660247210_U256);
/// The upper error bound of the log approximation (added for `tickHi`).
const TICK_HI_OFFSET: U256 = uint!(291339464771989622907027621153398088495_U256);

/// The high 128 bits of a 256-bit two's complement value, as a signed number: the
/// contract's `int24(x >> 128)` for an `int256` x within the tick range.
#[inline(always)]
fn high_as_tick(x: U256) -> i32 {
    let l = x.as_limbs();
    (((l[3] as u128) << 64 | l[2] as u128) as i128) as i32
}

/// `TickMath.getTickAtSqrtRatio`: the greatest tick whose sqrt price is at most
/// `sqrt_price_x96`. Errors (`'R'`) outside `[MIN_SQRT_RATIO, MAX_SQRT_RATIO)`.
#[inline]
pub fn get_tick_at_sqrt_ratio(sqrt_price_x96: U256) -> Result<i32> {
    if sqrt_price_x96 < MIN_SQRT_RATIO || sqrt_price_x96 >= MAX_SQRT_RATIO {
        return Err(MathError::SqrtPriceOutOfRange);
    }
    // Below 2^192 and at least 2^64.
    let ratio: U256 = sqrt_price_x96 << 32;
    let msb = ratio.bit_len() - 1;
    // Normalised so that its most significant bit is bit 127.
    let mut r = if msb >= 128 { ratio >> (msb - 127) } else { ratio << (127 - msb) }.to::<u128>();
    let mut log_2: i128 = (msb as i128 - 128) << 64;
    for shift in (50..=63).rev() {
        // r := shr(127, mul(r, r)); f := shr(128, r); r := shr(f, r)
        let (high, low) = mul_wide(r, r);
        let f = high >> 127;
        log_2 |= (f as i128) << shift;
        r = if f == 1 { high } else { (high << 1) | (low >> 127) };
    }
    // log_2 * 255738958999603826347141 in 256-bit two's complement, as the contract's int256.
    let log_2 = log_2 as u128;
    let sign = if (log_2 as i128) < 0 { u64::MAX } else { 0 };
    let log_2 = U256::from_limbs([log_2 as u64, (log_2 >> 64) as u64, sign, sign]);
    let log_sqrt10001 = log_2.wrapping_mul(LOG_SQRT10001);
    let tick_low = high_as_tick(log_sqrt10001.wrapping_sub(TICK_LOW_OFFSET));
    let tick_hi = high_as_tick(log_sqrt10001.wrapping_add(TICK_HI_OFFSET));
    if tick_low == tick_hi {
        return Ok(tick_low);
    }
    Ok(if get_sqrt_ratio_at_tick(tick_hi)? <= sqrt_price_x96 { tick_hi } else { tick_low })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::I256;
    use proptest::prelude::*;

    /// `getSqrtRatioAtTick` translated line by line in `U256`.
    fn sqrt_ratio_reference(tick: i32) -> Option<U256> {
        let abs_tick = tick.unsigned_abs();
        if abs_tick > MAX_TICK as u32 {
            return None;
        }
        let mut ratio = if abs_tick & 1 != 0 {
            U256::from(0xfffcb933bd6fad37aa2d162d1a594001u128)
        } else {
            U256::ONE << 128
        };
        for (i, f) in FACTORS.iter().enumerate() {
            if abs_tick & (2 << i) != 0 {
                ratio = (ratio * U256::from(*f)) >> 128;
            }
        }
        if tick > 0 {
            ratio = U256::MAX / ratio;
        }
        let rem: U256 = ratio % (U256::ONE << 32);
        Some((ratio >> 32) + if rem.is_zero() { U256::ZERO } else { U256::ONE })
    }

    /// `getTickAtSqrtRatio` translated line by line in `U256` / `I256`.
    fn tick_reference(sqrt_price_x96: U256) -> Option<i32> {
        if sqrt_price_x96 < MIN_SQRT_RATIO || sqrt_price_x96 >= MAX_SQRT_RATIO {
            return None;
        }
        let ratio = sqrt_price_x96 << 32;
        let mut r = ratio;
        let mut msb = 0usize;
        for (shift, bound) in [(7, 128), (6, 64), (5, 32), (4, 16), (3, 8), (2, 4), (1, 2)] {
            let f = usize::from(r > (U256::ONE << bound) - U256::ONE) << shift;
            msb |= f;
            r >>= f;
        }
        msb |= usize::from(r > U256::ONE);
        r = if msb >= 128 { ratio >> (msb - 127) } else { ratio << (127 - msb) };
        let mut log_2 = I256::try_from(msb as i64 - 128).unwrap() << 64;
        for shift in (50..=63).rev() {
            r = (r * r) >> 127;
            let f: U256 = r >> 128;
            log_2 |= I256::from_raw(f << shift);
            r >>= f.to::<usize>();
        }
        let log_sqrt10001: I256 = log_2 * I256::from_raw(LOG_SQRT10001);
        let low = (log_sqrt10001 - I256::from_raw(TICK_LOW_OFFSET)).asr(128).as_i32();
        let hi = (log_sqrt10001 + I256::from_raw(TICK_HI_OFFSET)).asr(128).as_i32();
        Some(if low == hi {
            low
        } else if sqrt_ratio_reference(hi).unwrap() <= sqrt_price_x96 {
            hi
        } else {
            low
        })
    }

    fn u(s: &str) -> U256 {
        s.parse().unwrap()
    }

    #[test]
    fn known_values_from_the_v3_test_suite() {
        // TickMath.spec.ts
        assert_eq!(
            get_sqrt_ratio_at_tick(MIN_TICK - 1),
            Err(MathError::TickOutOfRange(MIN_TICK - 1))
        );
        assert_eq!(
            get_sqrt_ratio_at_tick(MAX_TICK + 1),
            Err(MathError::TickOutOfRange(MAX_TICK + 1))
        );
        assert_eq!(get_sqrt_ratio_at_tick(MIN_TICK), Ok(U256::from(4295128739u64)));
        assert_eq!(get_sqrt_ratio_at_tick(MIN_TICK + 1), Ok(U256::from(4295343490u64)));
        assert_eq!(
            get_sqrt_ratio_at_tick(MAX_TICK - 1),
            Ok(u("1461373636630004318706518188784493106690254656249"))
        );
        assert_eq!(
            get_sqrt_ratio_at_tick(MAX_TICK),
            Ok(u("1461446703485210103287273052203988822378723970342"))
        );
        assert_eq!(get_sqrt_ratio_at_tick(0), Ok(U256::ONE << 96));
        assert_eq!(get_sqrt_ratio_at_tick(MIN_TICK), Ok(MIN_SQRT_RATIO));
        assert_eq!(get_sqrt_ratio_at_tick(MAX_TICK), Ok(MAX_SQRT_RATIO));
        // Ticks 50 and -50, computed independently with Python's big integers.
        assert_eq!(get_sqrt_ratio_at_tick(50), Ok(u("79426470787362580746886972461")));
        assert_eq!(get_sqrt_ratio_at_tick(-50), Ok(u("79030349367926598376800521322")));

        assert_eq!(
            get_tick_at_sqrt_ratio(MIN_SQRT_RATIO - U256::ONE),
            Err(MathError::SqrtPriceOutOfRange)
        );
        assert_eq!(get_tick_at_sqrt_ratio(MAX_SQRT_RATIO), Err(MathError::SqrtPriceOutOfRange));
        assert_eq!(get_tick_at_sqrt_ratio(MIN_SQRT_RATIO), Ok(MIN_TICK));
        assert_eq!(get_tick_at_sqrt_ratio(U256::from(4295343490u64)), Ok(MIN_TICK + 1));
        assert_eq!(
            get_tick_at_sqrt_ratio(u("1461373636630004318706518188784493106690254656249")),
            Ok(MAX_TICK - 1)
        );
        assert_eq!(get_tick_at_sqrt_ratio(MAX_SQRT_RATIO - U256::ONE), Ok(MAX_TICK - 1));
        assert_eq!(get_tick_at_sqrt_ratio(U256::ONE << 96), Ok(0));
    }

    #[test]
    fn matches_reference_on_a_sweep_of_ticks() {
        for tick in (MIN_TICK..=MAX_TICK).step_by(997).chain(-300..300).chain([MIN_TICK, MAX_TICK])
        {
            let p = get_sqrt_ratio_at_tick(tick).unwrap();
            assert_eq!(Some(p), sqrt_ratio_reference(tick), "tick {tick}");
            if tick < MAX_TICK {
                assert_eq!(get_tick_at_sqrt_ratio(p), Ok(tick));
                assert_eq!(tick_reference(p), Some(tick));
            }
            if tick > MIN_TICK {
                assert_eq!(get_tick_at_sqrt_ratio(p - U256::ONE), Ok(tick - 1));
            }
        }
    }

    /// Every tick of the range, both directions: `cargo test --release -- --ignored`.
    #[test]
    #[ignore = "exhaustive over all 1.77M ticks; run in release"]
    fn exhaustive_round_trip() {
        for tick in MIN_TICK..=MAX_TICK {
            let p = get_sqrt_ratio_at_tick(tick).unwrap();
            assert_eq!(Some(p), sqrt_ratio_reference(tick), "tick {tick}");
            if tick < MAX_TICK {
                assert_eq!(get_tick_at_sqrt_ratio(p), Ok(tick));
            }
            if tick > MIN_TICK {
                assert_eq!(get_tick_at_sqrt_ratio(p - U256::ONE), Ok(tick - 1));
            }
        }
    }

    fn sqrt_price() -> impl Strategy<Value = U256> {
        prop_oneof![
            (0usize..160, any::<[u64; 3]>())
                .prop_map(|(bits, l)| { U256::from_limbs([l[0], l[1], l[2], 0]) >> (192 - bits) }),
            (MIN_TICK..=MAX_TICK, -2i64..=2).prop_map(|(t, d)| {
                let p = get_sqrt_ratio_at_tick(t).unwrap();
                if d < 0 { p - U256::from(-d) } else { p + U256::from(d) }
            }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5000))]

        #[test]
        fn tick_round_trip(tick in MIN_TICK..=MAX_TICK) {
            let p = get_sqrt_ratio_at_tick(tick).unwrap();
            prop_assert_eq!(Some(p), sqrt_ratio_reference(tick));
            if tick < MAX_TICK {
                prop_assert_eq!(get_tick_at_sqrt_ratio(p), Ok(tick));
            }
        }

        /// For any price: the same answer as the 256-bit translation, and the defining
        /// property ratio(t) <= p < ratio(t + 1).
        #[test]
        fn tick_at_any_price(p in sqrt_price()) {
            let got = get_tick_at_sqrt_ratio(p);
            prop_assert_eq!(got.ok(), tick_reference(p));
            if let Ok(t) = got {
                prop_assert!(get_sqrt_ratio_at_tick(t).unwrap() <= p);
                prop_assert!(get_sqrt_ratio_at_tick(t + 1).unwrap() > p);
            }
        }

        #[test]
        fn any_tick_never_panics(tick in any::<i32>()) {
            prop_assert_eq!(get_sqrt_ratio_at_tick(tick).ok(), sqrt_ratio_reference(tick));
        }
    }
}

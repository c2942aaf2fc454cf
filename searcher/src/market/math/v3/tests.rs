//! Swap-loop tests: a literal-bitmap reference of `UniswapV3Pool.swap`, the loaded-window
//! rule, mint/burn bookkeeping, and the invariants the strategy stage relies on.

use std::collections::{BTreeMap, HashMap};

use alloy::primitives::{I256, U256};
use proptest::prelude::*;

use super::liquidity_math::add_delta;
use super::state::max_liquidity_per_tick;
use super::swap_math::compute_swap_step;
use super::tick_bitmap::position;
use super::tick_math::{get_sqrt_ratio_at_tick, get_tick_at_sqrt_ratio};
use super::*;
use crate::market::math::{MathError, Quote};

/// The contract's `tickBitmap` for a state's ticks.
fn bitmap(state: &V3PoolState) -> HashMap<i32, U256> {
    let mut words: HashMap<i32, U256> = HashMap::new();
    for &t in state.ticks.keys() {
        let (w, b) = position(t / state.tick_spacing);
        *words.entry(w).or_default() ^= U256::ONE << b;
    }
    words
}

/// `nextInitializedTickWithinOneWord` with the contract's masks over literal words.
fn next_in_word(words: &HashMap<i32, U256>, tick: i32, spacing: i32, lte: bool) -> (i32, bool) {
    let mut compressed = tick / spacing;
    if tick < 0 && tick % spacing != 0 {
        compressed -= 1;
    }
    let word = |w: i32| words.get(&w).copied().unwrap_or_default();
    if lte {
        let (w, b) = position(compressed);
        let mask = (U256::ONE << b) - U256::ONE + (U256::ONE << b);
        let masked = word(w) & mask;
        if masked.is_zero() {
            ((compressed - i32::from(b)) * spacing, false)
        } else {
            ((compressed - (i32::from(b) - (masked.bit_len() as i32 - 1))) * spacing, true)
        }
    } else {
        let (w, b) = position(compressed + 1);
        let masked = word(w) & !((U256::ONE << b) - U256::ONE);
        if masked.is_zero() {
            ((compressed + 1 + (255 - i32::from(b))) * spacing, false)
        } else {
            ((compressed + 1 + (masked.trailing_zeros() as i32 - i32::from(b))) * spacing, true)
        }
    }
}

/// `UniswapV3Pool.swap`'s loop written out again from the Solidity, over the literal bitmap
/// and with every tick known: the reference the windowed map walk must equal.
fn reference_swap(
    s: &V3PoolState,
    zero_for_one: bool,
    amount_specified: I256,
    limit: U256,
) -> Result<V3SwapResult, MathError> {
    if amount_specified.is_zero() {
        return Err(MathError::AmountSpecifiedZero);
    }
    let ok = if zero_for_one {
        limit < s.sqrt_price_x96 && limit > MIN_SQRT_RATIO
    } else {
        limit > s.sqrt_price_x96 && limit < MAX_SQRT_RATIO
    };
    if !ok {
        return Err(MathError::SqrtPriceLimit);
    }
    let words = bitmap(s);
    let exact_input = amount_specified > I256::ZERO;
    let (mut rem, mut calc) = (amount_specified, I256::ZERO);
    let (mut price, mut tick, mut liq, mut crossed) = (s.sqrt_price_x96, s.tick, s.liquidity, 0);
    while rem != I256::ZERO && price != limit {
        let start = price;
        let (mut tick_next, initialized) = next_in_word(&words, tick, s.tick_spacing, zero_for_one);
        tick_next = tick_next.clamp(MIN_TICK, MAX_TICK);
        let price_next = get_sqrt_ratio_at_tick(tick_next)?;
        let target = if zero_for_one { price_next.max(limit) } else { price_next.min(limit) };
        let step = compute_swap_step(price, target, liq, rem, s.fee)?;
        price = step.sqrt_ratio_next_x96;
        let in_fee =
            I256::try_from(step.amount_in + step.fee_amount).map_err(|_| MathError::Overflow)?;
        let out = I256::try_from(step.amount_out).map_err(|_| MathError::Overflow)?;
        if exact_input {
            rem -= in_fee;
            calc = calc.checked_sub(out).ok_or(MathError::Overflow)?;
        } else {
            rem += out;
            calc = calc.checked_add(in_fee).ok_or(MathError::Overflow)?;
        }
        if price == price_next {
            if initialized {
                let mut net = s.ticks[&tick_next].liquidity_net;
                if zero_for_one {
                    net = -net;
                }
                liq = add_delta(liq, net)?;
                crossed += 1;
            }
            tick = if zero_for_one { tick_next - 1 } else { tick_next };
        } else if price != start {
            tick = get_tick_at_sqrt_ratio(price)?;
        }
    }
    let used = amount_specified - rem;
    let (amount0, amount1) = if zero_for_one == exact_input { (used, calc) } else { (calc, used) };
    Ok(V3SwapResult {
        amount0,
        amount1,
        sqrt_price_x96: price,
        tick,
        liquidity: liq,
        ticks_crossed: crossed,
    })
}

/// A pool at `tick` with the given positions minted through the event path.
fn pool(fee: u32, spacing: i32, tick: i32, positions: &[(i32, i32, u128)]) -> V3PoolState {
    let price = get_sqrt_ratio_at_tick(tick).unwrap();
    let mut s = V3PoolState::new(price, tick, 0, fee, spacing, TickWindow::FULL).unwrap();
    for &(lo, hi, l) in positions {
        s.apply_mint(lo, hi, l).unwrap();
    }
    s
}

fn full_range(spacing: i32) -> (i32, i32) {
    ((MIN_TICK / spacing) * spacing, (MAX_TICK / spacing) * spacing)
}

const E18: u128 = 1_000_000_000_000_000_000;

fn i<T>(x: T) -> I256
where
    I256: TryFrom<T>,
    <I256 as TryFrom<T>>::Error: std::fmt::Debug,
{
    I256::try_from(x).unwrap()
}

#[test]
fn full_range_swap_known_values() {
    // A 0.3% pool at price 1 with 2e18 of full-range liquidity (the v3 tests' default).
    let (lo, hi) = full_range(60);
    let s = pool(3000, 60, 0, &[(lo, hi, 2 * E18)]);
    assert_eq!(s.liquidity, 2 * E18);
    let r = s.swap(true, i(E18 / 1000), MIN_SQRT_RATIO + U256::ONE).unwrap();
    // Computed independently with Python's big integers: 997e12 after the fee moves the
    // price to 79188686953817859390637717434 (tick -10) and pays 996503243133298.
    assert_eq!(r.amount0, i(E18 / 1000));
    assert_eq!(r.amount1, i(-996_503_243_133_298i64));
    assert_eq!(r.ticks_crossed, 0);
    assert_eq!(r.tick, -10);
    assert_eq!(reference_swap(&s, true, i(E18 / 1000), MIN_SQRT_RATIO + U256::ONE), Ok(r));
    // Exact output of the same amount of token1 costs at least the input above minus rounding.
    let r2 = s.swap(true, i(-996_503_243_133_298i64), MIN_SQRT_RATIO + U256::ONE).unwrap();
    assert_eq!(r2.amount1, i(-996_503_243_133_298i64));
    assert!(r2.amount0 <= i(E18 / 1000) && r2.amount0 >= i(E18 / 1000 - 2));
}

#[test]
fn walks_bitmap_words_without_initialized_ticks() {
    // Only a far position: the loop steps word by word (256 * spacing ticks) with zero
    // liquidity until it reaches the position, and the final tick is the contract's.
    let s = pool(500, 10, 0, &[(-30_000, -20_000, E18), (-10, 10, 1)]);
    let r = s.swap(true, i(E18), MIN_SQRT_RATIO + U256::ONE).unwrap();
    assert_eq!(Ok(r), reference_swap(&s, true, i(E18), MIN_SQRT_RATIO + U256::ONE));
    assert!(r.tick < -20_000 && r.ticks_crossed >= 2);
    // With a price limit inside an empty region the loop stops on the limit.
    let limit = get_sqrt_ratio_at_tick(-5_000).unwrap() + U256::from(12_345);
    let r = s.swap(true, i(E18), limit).unwrap();
    assert_eq!(r.sqrt_price_x96, limit);
    assert_eq!(r.tick, -5_000);
    assert_eq!(Ok(r), reference_swap(&s, true, i(E18), limit));
}

#[test]
fn crossing_counts_and_mint_burn_round_trip() {
    let positions: Vec<(i32, i32, u128)> =
        (1..=5).map(|k| (-600 * k, 600 * k, E18 * k as u128)).collect();
    let mut s = pool(3000, 60, 0, &positions);
    assert_eq!(s.liquidity, 15 * E18);
    assert_eq!(s.ticks.len(), 10);
    let r = s.swap(true, i(1_000 * E18), get_sqrt_ratio_at_tick(-2_700).unwrap()).unwrap();
    assert_eq!(r.ticks_crossed, 4);
    assert_eq!(r.liquidity, E18 * 5);
    assert_eq!(
        Ok(r),
        reference_swap(&s, true, i(1_000 * E18), get_sqrt_ratio_at_tick(-2_700).unwrap())
    );
    for &(lo, hi, l) in &positions {
        s.apply_burn(lo, hi, l).unwrap();
    }
    assert!(s.ticks.is_empty());
    assert_eq!(s.liquidity, 0);
    assert_eq!(s.apply_burn(-600, 600, 1), Err(MathError::LiquiditySub));
    assert_eq!(
        s.apply_mint(600, -600, 1),
        Err(MathError::InvalidTickRange { lower: 600, upper: -600 })
    );
    assert_eq!(
        s.apply_mint(-610, 600, 1),
        Err(MathError::InvalidTickRange { lower: -610, upper: 600 })
    );
    assert_eq!(
        s.apply_mint(-600, 600, max_liquidity_per_tick(60) + 1),
        Err(MathError::LiquidityPerTick)
    );
    assert!(s.ticks.is_empty() && s.liquidity == 0, "a failed event changes nothing");
    // Tick.spec.ts: tickSpacingToMaxLiquidityPerTick.
    assert_eq!(max_liquidity_per_tick(60), 11505743598341114571880798222544994);
    assert_eq!(max_liquidity_per_tick(10), 1917569901783203986719870431555990);
    assert_eq!(max_liquidity_per_tick(200), 38350317471085141830651933667504588);
    assert_eq!(max_liquidity_per_tick(887272), u128::MAX / 3);
}

#[test]
fn window_refuses_what_it_cannot_know() {
    let s = pool(3000, 60, 0, &[(-6000, 6000, E18), (-1200, 1200, E18), (-120_000, 120_000, E18)]);
    // Window covers [-1500, 1500]: the ticks at +-1200 are known, +-6000 are not.
    let mut w = s.clone();
    w.window = TickWindow { lower: -1500, upper: 1500 };
    w.ticks.retain(|t, _| w.window.contains(*t));
    // A small swap inside the window is exact.
    let small = w.swap(true, i(E18 / 100), MIN_SQRT_RATIO + U256::ONE).unwrap();
    assert_eq!(Ok(small), s.swap(true, i(E18 / 100), MIN_SQRT_RATIO + U256::ONE));
    // One that crosses -1200 and keeps going past -1500 is refused.
    assert_eq!(
        w.swap(true, i(100 * E18), MIN_SQRT_RATIO + U256::ONE),
        Err(MathError::LeavesLoadedWindow)
    );
    // Unless the price limit keeps it inside.
    let limit = get_sqrt_ratio_at_tick(-1400).unwrap();
    let r = w.swap(true, i(100 * E18), limit).unwrap();
    assert_eq!(Ok(r), s.swap(true, i(100 * E18), limit));
    assert_eq!(r.ticks_crossed, 1);
    // From words: words -1..=0 at spacing 60 cover ticks [-15360, 15359].
    assert_eq!(TickWindow::from_words(-1, 0, 60), TickWindow { lower: -15_360, upper: 15_359 });
    assert_eq!(TickWindow::from_words(i16::MIN, i16::MAX, 1), TickWindow::FULL);
}

#[test]
fn quote_trait_round_trip() {
    let s = pool(500, 10, 100, &[(-1000, 1000, 10 * E18), (0, 200, 5 * E18)]);
    let out = s.amount_out(true, U256::from(E18 / 10)).unwrap();
    let back = s.amount_in(true, out).unwrap();
    assert!(back <= U256::from(E18 / 10));
    assert!(s.amount_out(true, back).unwrap() >= out);
    // More than the pool can take before the price limit is refused, not partially filled.
    assert_eq!(s.amount_out(false, U256::from(u128::MAX)), Err(MathError::InsufficientLiquidity));
}

/// A random pool: positions spread over many words around the current tick.
fn arb_pool() -> impl Strategy<Value = V3PoolState> {
    let params =
        prop_oneof![Just((100u32, 1i32)), Just((500, 10)), Just((3000, 60)), Just((10_000, 200))];
    (
        params,
        -50_000i32..50_000,
        proptest::collection::vec((0i32..2_000, 1i32..1_500, 1u128..(1u128 << 90)), 1..12),
    )
        .prop_map(|((fee, spacing), center, raw)| {
            let center = center / spacing * spacing;
            let positions: Vec<(i32, i32, u128)> = raw
                .into_iter()
                .map(|(a, w, l)| {
                    let lo = (center + (a - 1_000) * spacing).clamp(
                        MIN_TICK / spacing * spacing,
                        MAX_TICK / spacing * spacing - spacing,
                    );
                    let hi = (lo + w * spacing).min(MAX_TICK / spacing * spacing);
                    (lo, hi, l)
                })
                .collect();
            let tick = center + spacing / 2;
            pool(fee, spacing, tick, &positions)
        })
}

fn arb_amount() -> impl Strategy<Value = I256> {
    prop_oneof![
        (1i128..1_000_000).prop_map(i),
        (1i128..(1i128 << 100)).prop_map(i),
        (1i128..(1i128 << 100)).prop_map(|x| i(-x)),
        (1i128..1_000_000).prop_map(|x| i(-x)),
    ]
}

fn limit_for(s: &V3PoolState, zfo: bool, pick: u8) -> U256 {
    let far = if zfo { MIN_SQRT_RATIO + U256::ONE } else { MAX_SQRT_RATIO - U256::ONE };
    // Far limits walk every empty word to the end of the range: rarely with spacing 1.
    if pick < 64 || (pick < 128 && s.tick_spacing > 1) {
        return far;
    }
    let ticks = i32::from(pick) * 20 * s.tick_spacing;
    let t = if zfo { s.tick - ticks } else { s.tick + ticks };
    get_sqrt_ratio_at_tick(t.clamp(MIN_TICK + 1, MAX_TICK - 1)).unwrap_or(far)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(800))]

    /// The map walk equals the literal-bitmap reference for any pool and swap.
    #[test]
    fn swap_matches_reference(s in arb_pool(), zfo: bool, amt in arb_amount(), pick: u8) {
        let limit = limit_for(&s, zfo, pick);
        prop_assert_eq!(s.swap(zfo, amt, limit), reference_swap(&s, zfo, amt, limit));
    }

    /// A windowed state answers exactly like the full one, or refuses.
    #[test]
    fn window_is_exact_or_refuses(s in arb_pool(), zfo: bool, amt in arb_amount(), pick: u8, lo in 0i32..3_000, hi in 0i32..3_000) {
        let limit = limit_for(&s, zfo, pick);
        let full = s.swap(zfo, amt, limit);
        let mut w = s.clone();
        w.window = TickWindow { lower: s.tick - lo * s.tick_spacing, upper: s.tick + hi * s.tick_spacing };
        w.ticks.retain(|t, _| w.window.contains(*t));
        match w.swap(zfo, amt, limit) {
            Err(MathError::LeavesLoadedWindow) => {}
            other => prop_assert_eq!(other, full),
        }
    }

    /// Exact input: more input never gives less output; exact output: at least what was asked
    /// unless the price limit stopped it first.
    #[test]
    fn monotone_and_exact_output(s in arb_pool(), zfo: bool, x in 1u128..(1u128 << 100), pick: u8) {
        let limit = limit_for(&s, zfo, pick);
        if let (Ok(a), Ok(b)) = (s.swap(zfo, i(x as i128), limit), s.swap(zfo, i(x as i128 + 1), limit)) {
            let (oa, ob) = if zfo { (a.amount1, b.amount1) } else { (a.amount0, b.amount0) };
            prop_assert!(ob <= oa, "output for x+1 ({ob}) less than for x ({oa})");
        }
        if let Ok(r) = s.swap(zfo, i(-(x as i128)), limit) {
            let out = if zfo { r.amount1 } else { r.amount0 };
            prop_assert!(out >= i(-(x as i128)));
            if r.sqrt_price_x96 != limit {
                prop_assert_eq!(out, i(-(x as i128)));
            }
            // Paying what the exact output asked for, as an exact input, gets at least it.
            let paid = if zfo { r.amount0 } else { r.amount1 };
            if r.sqrt_price_x96 != limit && paid > I256::ZERO {
                let back = s.swap(zfo, paid, limit).unwrap();
                let got = if zfo { back.amount1 } else { back.amount0 };
                prop_assert!(got <= i(-(x as i128)));
            }
        }
    }

    /// The quotes' shortcut out of a dry pool answers exactly what the full walk does.
    #[test]
    fn quotes_equal_the_full_swap(s in arb_pool(), zfo: bool, x in 1u128..(1u128 << 110), below in 0i32..3_000, windowed: bool) {
        let mut s = s;
        if windowed {
            s.window = TickWindow { lower: s.tick - below * s.tick_spacing, upper: s.tick + below * s.tick_spacing };
            s.ticks.retain(|t, _| s.window.contains(*t));
        }
        let far = if zfo { MIN_SQRT_RATIO + U256::ONE } else { MAX_SQRT_RATIO - U256::ONE };
        let slow_out = s.swap(zfo, i(x), far).and_then(|r| {
            let (used, out) = if zfo { (r.amount0, r.amount1) } else { (r.amount1, r.amount0) };
            if used == i(x) { Ok(out.unsigned_abs()) } else { Err(MathError::InsufficientLiquidity) }
        });
        prop_assert_eq!(s.amount_out(zfo, U256::from(x)), slow_out);
        let slow_in = s.swap(zfo, -i(x), far).and_then(|r| {
            let (used, out) = if zfo { (r.amount0, r.amount1) } else { (r.amount1, r.amount0) };
            if out == -i(x) { Ok(used.unsigned_abs()) } else { Err(MathError::InsufficientLiquidity) }
        });
        prop_assert_eq!(s.amount_in(zfo, U256::from(x)), slow_in);
    }

    /// Any state and any input: an answer or an error, never a panic.
    #[test]
    fn swap_never_panics(
        price in any::<[u64; 4]>(), tick: i32, liquidity: u128, fee: u32, spacing: i32,
        ticks in proptest::collection::btree_map(any::<i32>(), (any::<u128>(), any::<i128>()), 0..8),
        lower: i32, upper: i32, zfo: bool, amount in any::<[u64; 4]>(), limit in any::<[u64; 4]>(),
    ) {
        let shift = (price[0] % 256) as usize;
        let s = V3PoolState {
            sqrt_price_x96: U256::from_limbs(price) >> shift,
            tick: tick % 1_000_000,
            liquidity,
            fee: fee % 1_100_000,
            tick_spacing: spacing % 20_000,
            ticks: ticks.into_iter().map(|(t, (g, n))| (t % 1_000_000, TickInfo { liquidity_gross: g, liquidity_net: n })).collect::<BTreeMap<_, _>>(),
            window: TickWindow { lower, upper },
        };
        let _ = s.swap(zfo, I256::from_raw(U256::from_limbs(amount)), U256::from_limbs(limit) >> shift);
        let _ = s.amount_out(zfo, U256::from_limbs(amount) >> shift);
        let mut m = s.clone();
        let _ = m.apply_mint(lower % 1_000_000, upper % 1_000_000, liquidity);
        let _ = m.apply_burn(lower % 1_000_000, upper % 1_000_000, liquidity);
    }
}

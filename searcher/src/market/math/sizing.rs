//! Optimal input sizing for a cycle (profit = output - input, both in the start token).
//!
//! - [`optimal_v2_cycle`]: a chain of V2 hops composes into one virtual constant-product pool
//!   `(Ea, Eb)` with the first hop's fee `f`; the profit `f a Eb / (Ea + f a) - a` peaks at
//!   `a* = (sqrt(f Ea Eb) - Ea) / f`, computed here in integers (512-bit, integer square
//!   root), then refined against the exact chained `getAmountOut`.
//! - [`golden_section_max`]: a bounded golden-section search over integer inputs for any
//!   monotone quote function (mixed V2/V3 cycles, or anything else with a unimodal profit).
//!
//! The exact profit is a sawtooth: the output only moves when the first hop's floored output
//! does, so between those steps ("teeth", up to ~1e9 wei wide for an 18-to-6-decimals hop)
//! more input only costs more. Both searches finish on the first input of a tooth, so the
//! result is at least as profitable as both integer neighbours (`x - 1` pays less out,
//! `x + 1` is checked), and it is within a few wei of the best integer input overall
//! (finding that one exactly would mean scanning the whole flat top of the curve).

use alloy::primitives::{I256, U256, U512};

use super::v2::{MAX_RESERVE, V2Hop};
use super::{MathError, Result};

/// A sized trade: the input, its exact output, and the profit `amount_out - amount_in` (> 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizing {
    /// Input in the cycle's start token.
    pub amount_in: U256,
    /// Output back in the start token.
    pub amount_out: U256,
    /// `amount_out - amount_in`.
    pub profit: U256,
}

/// Most moves the final refinement may make (it normally makes none or one).
const MAX_REFINE_STEPS: u32 = 64;
/// The bits the composed virtual pool's fractions are kept to: the final product
/// `n * d * Na * Nb` (fees below 2^32) then stays below 2^512.
const VIRTUAL_POOL_BITS: usize = 220;

/// `floor(sqrt(n))` for a `u128`, by Newton's method from above.
fn isqrt_u128(n: u128) -> u128 {
    if n < 2 {
        return n;
    }
    let mut r = 1u128 << (128 - n.leading_zeros()).div_ceil(2);
    loop {
        let next = (r + n / r) >> 1;
        if next >= r {
            return r;
        }
        r = next;
    }
}

/// `floor(sqrt(x))` by Newton's method, started just above the root from the integer square
/// root of the top 128 bits (so three or four 512-bit divisions instead of a dozen).
pub fn isqrt_u512(x: U512) -> U512 {
    if x.is_zero() {
        return U512::ZERO;
    }
    // An even shift leaving at most 128 bits: sqrt(x) < (isqrt(top) + 1) * 2^(shift / 2).
    let shift = x.bit_len().saturating_sub(128).next_multiple_of(2);
    let top = x >> shift;
    let top = u128::from(top.as_limbs()[0]) | (u128::from(top.as_limbs()[1]) << 64);
    let mut r = (U512::from(isqrt_u128(top)) + U512::ONE) << (shift / 2);
    // From above, Newton decreases monotonically to the floor.
    loop {
        let next = (r + x / r) >> 1;
        if next >= r {
            return r;
        }
        r = next;
    }
}

/// The exact output of a chain of V2 hops (each the pair's own checks included).
#[inline]
pub fn v2_chain_amount_out(hops: &[V2Hop], amount_in: U256) -> Result<U256> {
    hops.iter().try_fold(amount_in, |amount, hop| hop.amount_out(amount))
}

/// The smallest input for which a chain of V2 hops pays at least `amount_out`: each hop
/// inverted exactly, `ceil(y * r_in * d / (n * (r_out - y)))`, from the last hop back.
/// `None` when no input can (an output at or above a reserve).
pub fn v2_chain_min_input(hops: &[V2Hop], amount_out: U256) -> Option<U256> {
    hops.iter().rev().try_fold(amount_out, |y, hop| {
        if y >= hop.reserve_out || hop.fee.numerator == 0 {
            return None;
        }
        // Below 2^(112 + 112 + 32): no overflow for reserves within uint112.
        let num = y.checked_mul(hop.reserve_in)?.checked_mul(U256::from(hop.fee.denominator))?;
        let den = (hop.reserve_out - y) * U256::from(hop.fee.numerator);
        Some(num.div_ceil(den).max(U256::ONE))
    })
}

/// Profit of a quote as a signed number; `None` when it does not fit.
#[inline]
fn profit_of(amount_in: U256, amount_out: U256) -> Option<I256> {
    let out = I256::try_from(amount_out).ok()?;
    let input = I256::try_from(amount_in).ok()?;
    out.checked_sub(input)
}

/// A point of the search: input, exact output, profit.
type Point = (U256, U256, I256);

fn sized((amount_in, amount_out, profit): Point) -> Option<Sizing> {
    (profit > I256::ZERO).then(|| Sizing { amount_in, amount_out, profit: profit.into_raw() })
}

/// The profit-maximising input of a cycle of V2 hops (the first hop takes the start token,
/// the last returns it), or `None` when no input is profitable.
///
/// Errors when a hop is unusable (zero reserves, reserves above `uint112`, invalid fee).
pub fn optimal_v2_cycle(hops: &[V2Hop]) -> Result<Option<Sizing>> {
    let Some(first) = hops.first() else { return Ok(None) };
    for hop in hops {
        hop.fee.check()?;
        if hop.reserve_in.is_zero() || hop.reserve_out.is_zero() {
            return Err(MathError::InsufficientLiquidity);
        }
        if hop.reserve_in > MAX_RESERVE || hop.reserve_out > MAX_RESERVE {
            return Err(MathError::ReserveOverflow);
        }
    }
    // Virtual pool Ea = na / d, Eb = nb / d. Composing with a hop (r_in, r_out, fee n/m):
    //   Ea' = r_in Ea / (r_in + n/m Eb),  Eb' = n/m Eb r_out / (r_in + n/m Eb)
    // so with a common denominator d' = r_in m d + n nb:
    //   na' = na r_in m,  nb' = n nb r_out.
    let mut na = U512::from(first.reserve_in);
    let mut nb = U512::from(first.reserve_out);
    let mut d = U512::ONE;
    for hop in &hops[1..] {
        let (r_in, r_out) = (U512::from(hop.reserve_in), U512::from(hop.reserve_out));
        let (n, m) = (U512::from(hop.fee.numerator), U512::from(hop.fee.denominator));
        // Each product stays below 2^(220 + 112 + 32).
        (na, nb, d) = (na * r_in * m, n * nb * r_out, r_in * m * d + n * nb);
        // Keep the fractions to VIRTUAL_POOL_BITS; Ea and Eb are below 2^112, so d keeps
        // more than 100 significant bits.
        let top = na.bit_len().max(nb.bit_len()).max(d.bit_len());
        if top > VIRTUAL_POOL_BITS {
            let shift = top - VIRTUAL_POOL_BITS;
            (na, nb, d) = (na >> shift, nb >> shift, (d >> shift).max(U512::ONE));
        }
    }
    // a* = (sqrt(f Ea Eb) - Ea) / f with f = n/m: (sqrt(n m na nb) - m na) / (n d).
    let (n, m) = (U512::from(first.fee.numerator), U512::from(first.fee.denominator));
    if n * nb <= m * na {
        return Ok(None);
    }
    let root = isqrt_u512(n * m * na * nb);
    let start = root.saturating_sub(m * na) / (n * d);
    let start = if start > U512::from(MAX_RESERVE) {
        MAX_RESERVE
    } else {
        U256::from_limbs([start.as_limbs()[0], start.as_limbs()[1], 0, 0]).max(U256::ONE)
    };

    let eval = |x: U256| -> Option<Point> {
        let out = v2_chain_amount_out(hops, x).ok()?;
        Some((x, out, profit_of(x, out)?))
    };
    // The first input of the tooth holding x: same output, least input.
    let tooth = |x: U256| -> Option<Point> { eval(v2_chain_min_input(hops, eval(x)?.1)?) };
    let Some(mut best) = tooth(start) else { return Ok(None) };
    // Climb tooth by tooth: the next one starts at the least input paying one more wei,
    // the previous one holds x - 1.
    for _ in 0..MAX_REFINE_STEPS {
        let next = best.1.checked_add(U256::ONE).and_then(|y| eval(v2_chain_min_input(hops, y)?));
        let prev = (best.0 > U256::ONE).then(|| best.0 - U256::ONE).and_then(tooth);
        match [next, prev].into_iter().flatten().max_by_key(|p| p.2) {
            Some(p) if p.2 > best.2 => best = p,
            _ => break,
        }
    }
    Ok(sized(best))
}

/// What a cycle's constant-product approximation says (see [`virtual_optimum`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VirtualOptimum {
    /// The approximation's optimal input: a start for [`golden_section_from`].
    At(U256),
    /// The marginal rate of the whole cycle is at most 1; every hop's output being concave in
    /// its input, no input of the exact cycle is profitable either.
    NoMargin,
    /// Unusable (a zero or oversized virtual reserve, a bad fee): search without it.
    Unusable,
}

/// The optimal input of a cycle's constant-product approximation: each hop given as the
/// virtual reserves `(in, out)` it has at its current price, and its fee (for a V3 pool,
/// `L / sqrt(P)` and `L sqrt(P)` with `1 - fee`, which give its exact marginal rate). Exact
/// for V2 hops and for V3 hops that stay inside their current tick range.
///
/// See [`VirtualOptimum`] for what each answer means.
pub fn virtual_optimum(hops: &[V2Hop]) -> VirtualOptimum {
    let Some(first) = hops.first() else { return VirtualOptimum::Unusable };
    let limit = U256::ONE << 200usize;
    for hop in hops {
        if hop.fee.check().is_err() {
            return VirtualOptimum::Unusable;
        }
        if hop.reserve_in.is_zero() || hop.reserve_out.is_zero() {
            return VirtualOptimum::Unusable;
        }
        if hop.reserve_in >= limit || hop.reserve_out >= limit {
            return VirtualOptimum::Unusable;
        }
    }
    let mut na = U512::from(first.reserve_in);
    let mut nb = U512::from(first.reserve_out);
    let mut d = U512::ONE;
    let shrink = |na: &mut U512, nb: &mut U512, d: &mut U512| {
        let top = na.bit_len().max(nb.bit_len()).max(d.bit_len());
        if top > VIRTUAL_POOL_BITS {
            let shift = top - VIRTUAL_POOL_BITS;
            (*na, *nb, *d) = (*na >> shift, *nb >> shift, (*d >> shift).max(U512::ONE));
        }
    };
    for hop in &hops[1..] {
        let (r_in, r_out) = (U512::from(hop.reserve_in), U512::from(hop.reserve_out));
        let (n, m) = (U512::from(hop.fee.numerator), U512::from(hop.fee.denominator));
        // Below 2^(220 + 200 + 32): no overflow.
        (na, nb, d) = (na * r_in * m, n * nb * r_out, r_in * m * d + n * nb);
        shrink(&mut na, &mut nb, &mut d);
    }
    let (n, m) = (U512::from(first.fee.numerator), U512::from(first.fee.denominator));
    if n * nb <= m * na {
        return VirtualOptimum::NoMargin;
    }
    let root = isqrt_u512(n * m * na * nb);
    let start = root.saturating_sub(m * na) / (n * d);
    if start.bit_len() > 255 {
        return VirtualOptimum::Unusable;
    }
    VirtualOptimum::At(U256::from_limbs([
        start.as_limbs()[0],
        start.as_limbs()[1],
        start.as_limbs()[2],
        start.as_limbs()[3],
    ]))
}

/// [`golden_section_max`] started from a guess (see [`virtual_optimum`]): it searches
/// `[guess / 4, guess * 4]` within `[lo, hi]`, and the whole `[lo, hi]` only when that
/// bracket's best lies on its edge or pays nothing (the guess was off: ticks crossed, liquidity
/// thinner or deeper than at the current price). A unimodal profit's best point inside a
/// bracket is its best point overall, so the result is the same as a search of the whole range,
/// in about half the quotes, and quotes of oversized inputs (which cross every tick) are never
/// made.
pub fn golden_section_from<F, E>(
    mut quote: F,
    guess: U256,
    lo: U256,
    hi: U256,
    max_evals: u32,
) -> Option<Sizing>
where
    F: FnMut(U256) -> core::result::Result<U256, E>,
{
    let lo = lo.max(U256::ONE);
    let a = (guess / U256::from(4)).max(lo);
    let b = guess.saturating_mul(U256::from(4)).min(hi);
    if a < b {
        let edge = (b - a) / U256::from(64);
        let found = golden_section_max(&mut quote, a, b, max_evals);
        if let Some(s) = found
            && (s.amount_in > a + edge || a == lo)
            && (s.amount_in < b - edge || b == hi)
        {
            return found;
        }
    }
    golden_section_max(quote, lo, hi, max_evals)
}

/// `w * (1 - 1/phi)` for the golden-section split, in integers (0.381966).
#[inline]
fn golden_part(w: U256) -> U256 {
    const NUM: u64 = 381_966;
    const DEN: u64 = 1_000_000;
    let (q, r) = w.div_rem(U256::from(DEN));
    q * U256::from(NUM) + r * U256::from(NUM) / U256::from(DEN)
}

/// Maximises `quote(x) - x` over integers `x` in `[lo, hi]` with a golden-section search,
/// then moves to the first input of the result's tooth and climbs right while that pays.
/// `quote` must be monotone (more input never pays less; every swap here is), and the profit
/// unimodal over the range for the result to be the optimum (chains of constant-product and
/// concentrated-liquidity swaps are: each hop's output is concave in its input). A failing
/// quote (pool refuses, output too small, window left) counts as minus infinity.
///
/// The bracket shrinks to 3 wei or to about 1e-9 of the input, whichever is wider, in at most
/// `max_evals` quotes (about 45 + 1.44 log2 of the range over the optimum); the tooth snap
/// adds about `2 * log2(tooth width)`. Returns `None` when no evaluated input is profitable.
pub fn golden_section_max<F, E>(mut quote: F, lo: U256, hi: U256, max_evals: u32) -> Option<Sizing>
where
    F: FnMut(U256) -> core::result::Result<U256, E>,
{
    let mut eval = |x: U256| -> Option<Point> {
        let out = quote(x).ok()?;
        Some((x, out, profit_of(x, out)?))
    };
    let score = |p: &Option<Point>| p.map(|(_, _, profit)| profit);

    let (mut a, mut b) = (lo.max(U256::ONE), hi);
    if a > b {
        return None;
    }
    let mut c = a + golden_part(b - a);
    let mut d = b - golden_part(b - a);
    if d <= c && b - a >= U256::from(2) {
        d = c + U256::ONE;
    }
    let mut fc = eval(c);
    let mut fd = eval(d);
    let mut budget = max_evals.saturating_sub(2);
    // Down to a bracket of 3, or of about 1e-9 of the input: the profit is flat there (for
    // constant-product curves the loss is below a wei), and the tooth snap below finishes.
    while b - a > (b >> 30usize).max(U256::from(3)) && budget > 0 {
        budget -= 1;
        if score(&fc) < score(&fd) {
            // The maximum is in [c, b].
            (a, c, fc) = (c, d, fd);
            d = b - golden_part(b - a);
            if d <= c {
                d = c + U256::ONE;
            }
            fd = eval(d);
        } else {
            // The maximum is in [a, d].
            (b, d, fd) = (d, c, fc);
            c = a + golden_part(b - a);
            if c >= d {
                c = d - U256::ONE;
            }
            fc = eval(c);
        }
    }
    let mut best = if score(&fc) >= score(&fd) { fc } else { fd };
    if b - a <= U256::from(3) {
        let mut x = a;
        while x <= b {
            if x != c && x != d {
                let p = eval(x);
                if score(&p) > score(&best) {
                    best = p;
                }
            }
            x += U256::ONE;
        }
    }
    let mut best = best?;

    // Snap to the first input of the tooth: gallop left while the output holds, then bisect.
    let floor = lo.max(U256::ONE);
    let holds = |p: &Option<Point>, out: U256| p.is_some_and(|(_, o, _)| o >= out);
    let (mut good, mut step) = (best.0, U256::ONE);
    let mut bad = None;
    while good > floor {
        let probe = good.saturating_sub(step).max(floor);
        if holds(&eval(probe), best.1) {
            good = probe;
            step = step.saturating_mul(U256::from(2));
        } else {
            bad = Some(probe);
            break;
        }
    }
    if let Some(mut bad) = bad {
        while good - bad > U256::ONE {
            let mid = bad + (good - bad) / U256::from(2);
            if holds(&eval(mid), best.1) { good = mid } else { bad = mid }
        }
    }
    if good != best.0 {
        best = eval(good)?;
    }
    // The left neighbour now pays less; step right while the right one pays more than a wei
    // more (each such input starts its own tooth).
    for _ in 0..MAX_REFINE_STEPS {
        match best.0.checked_add(U256::ONE).and_then(&mut eval) {
            Some(p) if p.2 > best.2 => best = p,
            _ => break,
        }
    }
    sized(best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::math::V2Fee;
    use proptest::prelude::*;

    fn hop(r_in: u128, r_out: u128) -> V2Hop {
        V2Hop { reserve_in: U256::from(r_in), reserve_out: U256::from(r_out), fee: V2Fee::UNISWAP }
    }

    fn profit(hops: &[V2Hop], x: U256) -> Option<I256> {
        profit_of(x, v2_chain_amount_out(hops, x).ok()?)
    }

    const E18: u128 = 1_000_000_000_000_000_000;

    #[test]
    fn isqrt_is_the_floor() {
        for x in [0u64, 1, 2, 3, 4, 15, 16, 17, 1 << 40, u64::MAX] {
            let r = isqrt_u512(U512::from(x));
            assert!(r * r <= U512::from(x) && (r + U512::ONE) * (r + U512::ONE) > U512::from(x));
        }
        for bits in [127usize, 128, 129, 255, 256, 300, 511] {
            for x in [
                (U512::ONE << bits) - U512::ONE,
                U512::ONE << bits,
                (U512::ONE << bits) + U512::from(12_345),
            ] {
                let r = isqrt_u512(x);
                assert!(
                    r * r <= x && (r + U512::ONE).checked_mul(r + U512::ONE).is_none_or(|s| s > x),
                    "{x}"
                );
            }
        }
        assert_eq!(isqrt_u128(u128::MAX), u64::MAX as u128);
        let max = U512::MAX;
        let r = isqrt_u512(max);
        assert_eq!(r, (U512::ONE << 256) - U512::ONE);
    }

    #[test]
    fn two_pool_arbitrage() {
        // WETH -> X where X is cheap (2100 per ETH), X -> WETH where it is dear (2000 per ETH).
        let hops = [hop(1_000 * E18, 2_100_000 * E18), hop(2_000_000 * E18, 1_000 * E18)];
        let s = optimal_v2_cycle(&hops).unwrap().unwrap();
        let p = profit(&hops, s.amount_in).unwrap();
        assert_eq!(I256::from_raw(s.profit), p);
        assert_eq!(v2_chain_amount_out(&hops, s.amount_in), Ok(s.amount_out));
        for dx in [1u64, 2, 10, 1_000_000, 1_000_000_000_000] {
            assert!(profit(&hops, s.amount_in + U256::from(dx)).unwrap() <= p);
            assert!(profit(&hops, s.amount_in - U256::from(dx)).unwrap() <= p);
        }
        // About 10.59 ETH in for ~0.229 ETH profit (Python, floats, for scale only).
        assert!(s.amount_in > U256::from(10 * E18) && s.amount_in < U256::from(11 * E18), "{s:?}");
        assert!(s.profit > U256::from(E18 / 5) && s.profit < U256::from(E18 / 4), "{s:?}");
        // The same cycle run backwards, and a balanced one, are not profitable.
        let back = [hop(1_000 * E18, 2_000_000 * E18), hop(2_100_000 * E18, 1_000 * E18)];
        assert_eq!(optimal_v2_cycle(&back), Ok(None));
        assert_eq!(optimal_v2_cycle(&[hop(E18, E18), hop(E18, E18)]), Ok(None));
        // The golden-section search agrees on the profit (to the few-wei flooring band).
        let g = golden_section_max(
            |x| v2_chain_amount_out(&hops, x),
            U256::ONE,
            U256::from(1_000 * E18),
            400,
        )
        .unwrap();
        assert!(g.profit.abs_diff(s.profit) <= U256::from(4), "{g:?} vs {s:?}");
    }

    #[test]
    fn small_reserves_match_brute_force() {
        // With small reserves the true integer optimum can be found by trying every input.
        let cases = [
            vec![hop(1_000, 3_000), hop(2_000, 1_000)],
            vec![hop(5_000, 9_000), hop(7_000, 9_000), hop(6_000, 5_200)],
            vec![hop(100, 400), hop(350, 120)],
        ];
        for hops in cases {
            let best = (1u64..20_000).filter_map(|x| profit(&hops, U256::from(x))).max().unwrap();
            let s = optimal_v2_cycle(&hops).unwrap();
            let got = s.map_or(I256::ZERO, |s| I256::from_raw(s.profit));
            let best = best.max(I256::ZERO);
            assert!(
                got <= best && best - got <= I256::try_from(hops.len() as i64).unwrap(),
                "{hops:?}: {got} vs {best}"
            );
        }
    }

    fn reserve() -> impl Strategy<Value = u128> {
        prop_oneof![1_000u128..1_000_000_000, 1_000_000_000u128..(1 << 112)]
    }

    fn arb_hops(n: usize) -> impl Strategy<Value = Vec<V2Hop>> {
        proptest::collection::vec(
            (
                reserve(),
                reserve(),
                prop_oneof![
                    Just(V2Fee::UNISWAP),
                    Just(V2Fee { numerator: 9975, denominator: 10000 })
                ],
            ),
            n,
        )
        .prop_map(|v| {
            v.into_iter()
                .map(|(a, b, fee)| V2Hop {
                    reserve_in: U256::from(a),
                    reserve_out: U256::from(b),
                    fee,
                })
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn isqrt_any(limbs in any::<[u64; 8]>(), shift in 0usize..512) {
            let x = U512::from_limbs(limbs) >> shift;
            let r = isqrt_u512(x);
            prop_assert!(r * r <= x);
            prop_assert!((r + U512::ONE).checked_mul(r + U512::ONE).is_none_or(|s| s > x));
        }

        /// The sized input is at least as profitable as its neighbours and its profit is what
        /// the exact chain pays.
        #[test]
        fn sizing_beats_neighbours(hops in prop_oneof![arb_hops(2), arb_hops(3)]) {
            if let Some(s) = optimal_v2_cycle(&hops).unwrap() {
                let p = profit(&hops, s.amount_in).unwrap();
                prop_assert_eq!(I256::from_raw(s.profit), p);
                prop_assert!(p > I256::ZERO);
                for x in [s.amount_in + U256::ONE, s.amount_in - U256::ONE] {
                    if let Some(q) = profit(&hops, x) {
                        prop_assert!(q <= p);
                    }
                }
                // And matches the golden-section search on the same cycle, up to the flooring
                // jitter: a unit of each hop's output, valued through the hops after it.
                let g = golden_section_max(|x| v2_chain_amount_out(&hops, x), U256::ONE, MAX_RESERVE, 600);
                let g = g.map_or(U256::ZERO, |g| g.profit);
                let mut jitter = U256::from(4);
                let mut unit = U256::ONE;
                for hop in hops.iter().rev() {
                    jitter = jitter.saturating_add(unit.saturating_mul(U256::from(4)));
                    unit = unit.saturating_mul(hop.reserve_out.div_ceil(hop.reserve_in).max(U256::ONE));
                }
                prop_assert!(g <= s.profit.saturating_add(jitter), "golden {g} > closed form {} + {jitter}", s.profit);
            }
        }

    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Golden section on a monotone concave quote, floor(sqrt(k x)), whose profit peaks at
        /// k / 4: it finds the best integer input of the whole flat top.
        #[test]
        fn golden_section_finds_the_peak(k in 4u64..1_000_000_000_000_000) {
            let f = |x: U256| -> core::result::Result<U256, ()> {
                let r = isqrt_u512(U512::from(x) * U512::from(k));
                Ok(U256::from_limbs(r.as_limbs()[..4].try_into().unwrap()))
            };
            let s = golden_section_max(f, U256::ONE, U256::from(u64::MAX), 300);
            let peak = k / 4;
            let best = (peak.saturating_sub(300).max(1)..peak + 300)
                .map(|x| f(U256::from(x)).unwrap().saturating_sub(U256::from(x)))
                .max()
                .unwrap();
            // Flooring leaves a jitter of a wei on the flat top: within 2 of the best.
            let got = s.map_or(U256::ZERO, |s| s.profit);
            prop_assert!(got <= best && best - got <= U256::from(2), "{got} vs {best}");
            if let Some(s) = s {
                let p = |x: U256| I256::from_raw(f(x).unwrap()) - I256::from_raw(x);
                prop_assert!(p(s.amount_in + U256::ONE) <= I256::from_raw(s.profit));
                prop_assert!(s.amount_in == U256::ONE || p(s.amount_in - U256::ONE) <= I256::from_raw(s.profit));
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// On V2 chains the search started from the virtual optimum never finds less than the
        /// closed form or a search of the whole range (which can miss a peak that is narrow
        /// in a wide range: its probes may land where the quote fails on both sides); an
        /// unprofitable margin means no profitable input at all.
        #[test]
        fn search_from_the_virtual_optimum_finds_the_peak(hops in prop_oneof![arb_hops(2), arb_hops(3)]) {
            let quote = |x: U256| v2_chain_amount_out(&hops, x);
            let profit = |s: Option<Sizing>| s.map_or(U256::ZERO, |s| s.profit);
            let closed = profit(optimal_v2_cycle(&hops).unwrap());
            let whole = profit(golden_section_max(quote, U256::ONE, MAX_RESERVE, 600));
            match virtual_optimum(&hops) {
                VirtualOptimum::NoMargin => prop_assert!(closed.is_zero() && whole.is_zero(), "no margin, yet {closed}"),
                VirtualOptimum::At(guess) => {
                    let from = profit(golden_section_from(quote, guess, U256::ONE, MAX_RESERVE, 600));
                    // The search stops at a bracket of ~1e-9 of the input: a relative 1e-7,
                    // plus the flooring jitter of a few wei per hop.
                    let mut jitter = U256::from(4);
                    let mut unit = U256::ONE;
                    for hop in hops.iter().rev() {
                        jitter = jitter.saturating_add(unit.saturating_mul(U256::from(4)));
                        unit = unit.saturating_mul(hop.reserve_out.div_ceil(hop.reserve_in).max(U256::ONE));
                    }
                    let tolerance = (closed.max(whole) >> 23usize).max(jitter);
                    prop_assert!(from + tolerance >= closed, "from guess {from} vs closed form {closed}");
                    prop_assert!(from + tolerance >= whole, "from guess {from} vs whole range {whole}");
                }
                VirtualOptimum::Unusable => prop_assert!(false, "reserves below 2^112 are usable"),
            }
        }
    }
}

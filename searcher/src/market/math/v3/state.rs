//! A Uniswap V3 pool held in memory, and `UniswapV3Pool.swap`'s loop run over it.
//!
//! The state is what the swap reads on chain: `slot0` (price, tick), in-range liquidity, fee,
//! tick spacing and the initialized ticks (`liquidityNet`, `liquidityGross`). Ticks may be
//! loaded only for a window; a swap whose result could depend on a tick outside it is
//! refused with [`MathError::LeavesLoadedWindow`], never guessed.

use std::collections::BTreeMap;

use alloy::primitives::{I256, U256};

use super::liquidity_math::add_delta;
use super::swap_math::{FEE_DENOMINATOR, compute_swap_step};
use super::tick_bitmap::next_initialized_tick_within_one_word;
use super::tick_math::{
    MAX_SQRT_RATIO, MAX_TICK, MIN_SQRT_RATIO, MIN_TICK, get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
};
use crate::market::math::{MathError, Quote, Result};

/// The largest tick spacing a V3 factory accepts (`tickSpacing < 16384`).
pub const MAX_TICK_SPACING: i32 = 16_383;

/// A swap loop that runs this many steps would need billions of gas; only an impossible
/// state gets here, and it is refused instead of spinning.
const MAX_STEPS: u32 = 1 << 20;

/// The swap-relevant part of `Tick.Info` for an initialized tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TickInfo {
    /// Total liquidity referencing the tick; non-zero exactly when the tick is initialized.
    pub liquidity_gross: u128,
    /// Liquidity added when the tick is crossed left to right (removed right to left).
    pub liquidity_net: i128,
}

/// The inclusive tick range `[lower, upper]` whose initialized ticks are all loaded. A bound
/// at or beyond `MIN_TICK` / `MAX_TICK` means that whole side is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TickWindow {
    /// Lowest tick of the loaded range.
    pub lower: i32,
    /// Highest tick of the loaded range.
    pub upper: i32,
}

impl TickWindow {
    /// Every tick is loaded.
    pub const FULL: Self = Self { lower: MIN_TICK, upper: MAX_TICK };

    /// The window covered by the tick-bitmap words `first_word..=last_word` (what a loader
    /// that reads `tickBitmap(word)` for a word range has seen completely).
    pub fn from_words(first_word: i16, last_word: i16, tick_spacing: i32) -> Self {
        let spacing = i64::from(tick_spacing.max(1));
        let lower = i64::from(first_word) * 256 * spacing;
        // The last spaced tick of the word is (w * 256 + 255) * spacing; the ticks above it up
        // to the next word cannot be initialized, so they are known too.
        let upper = (i64::from(last_word) + 1) * 256 * spacing - 1;
        let clamp = |t: i64| t.clamp(i64::from(MIN_TICK), i64::from(MAX_TICK)) as i32;
        Self { lower: clamp(lower), upper: clamp(upper) }
    }

    /// Whether `tick` lies in the window.
    pub const fn contains(&self, tick: i32) -> bool {
        self.lower <= tick && tick <= self.upper
    }

    /// The bounds as the swap uses them: a side that reaches the tick range's limit extends
    /// to infinity, as no tick beyond the limit can be initialized.
    const fn known(&self) -> (i32, i32) {
        let lower = if self.lower <= MIN_TICK { i32::MIN } else { self.lower };
        let upper = if self.upper >= MAX_TICK { i32::MAX } else { self.upper };
        (lower, upper)
    }
}

/// What `UniswapV3Pool.swap` returns and leaves behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V3SwapResult {
    /// The pool's token0 delta: positive is paid in, negative is paid out.
    pub amount0: I256,
    /// The pool's token1 delta: positive is paid in, negative is paid out.
    pub amount1: I256,
    /// `slot0.sqrtPriceX96` after the swap.
    pub sqrt_price_x96: U256,
    /// `slot0.tick` after the swap.
    pub tick: i32,
    /// In-range liquidity after the swap.
    pub liquidity: u128,
    /// Initialized ticks crossed.
    pub ticks_crossed: u32,
}

/// A V3 pool's state in memory. `ticks` holds only initialized ticks (gross liquidity > 0),
/// all multiples of `tick_spacing`, and is complete inside `window`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3PoolState {
    /// `slot0.sqrtPriceX96`.
    pub sqrt_price_x96: U256,
    /// `slot0.tick`.
    pub tick: i32,
    /// In-range liquidity (`liquidity()`).
    pub liquidity: u128,
    /// Fee in pips (hundredths of a bip): 500, 3000, 10000, ...
    pub fee: u32,
    /// The pool's tick spacing.
    pub tick_spacing: i32,
    /// Initialized ticks by index.
    pub ticks: BTreeMap<i32, TickInfo>,
    /// The tick range inside which `ticks` is complete.
    pub window: TickWindow,
}

/// `Tick.tickSpacingToMaxLiquidityPerTick`.
pub fn max_liquidity_per_tick(tick_spacing: i32) -> u128 {
    let spacing = tick_spacing.max(1);
    let min_tick = (MIN_TICK / spacing) * spacing;
    let max_tick = (MAX_TICK / spacing) * spacing;
    let num_ticks = ((max_tick - min_tick) / spacing) as u128 + 1;
    u128::MAX / num_ticks
}

/// `SafeCast.toInt256`.
#[inline(always)]
fn to_i256(x: U256) -> Result<I256> {
    if x.bit(255) { Err(MathError::Overflow) } else { Ok(I256::from_raw(x)) }
}

impl V3PoolState {
    /// A pool with no ticks loaded yet; fails on a state the contracts cannot produce.
    pub fn new(
        sqrt_price_x96: U256,
        tick: i32,
        liquidity: u128,
        fee: u32,
        tick_spacing: i32,
        window: TickWindow,
    ) -> Result<Self> {
        let state = Self {
            sqrt_price_x96,
            tick,
            liquidity,
            fee,
            tick_spacing,
            ticks: BTreeMap::new(),
            window,
        };
        state.validate()?;
        Ok(state)
    }

    /// Loads one tick as read from `ticks(tick)`; a zero gross liquidity removes it.
    pub fn insert_tick(&mut self, tick: i32, info: TickInfo) -> Result<()> {
        self.check_spaced(tick, tick)?;
        if info.liquidity_gross == 0 {
            self.ticks.remove(&tick);
        } else {
            self.ticks.insert(tick, info);
        }
        Ok(())
    }

    /// Checks what every entry point relies on: a fee below 100%, a tick spacing the factory
    /// could enable, and a price and tick inside the range a pool can reach.
    pub fn validate(&self) -> Result<()> {
        if self.fee >= FEE_DENOMINATOR {
            return Err(MathError::InvalidFee);
        }
        if !(1..=MAX_TICK_SPACING).contains(&self.tick_spacing) {
            return Err(MathError::InvalidState("tick spacing outside 1..16384"));
        }
        if !(MIN_TICK..=MAX_TICK).contains(&self.tick) {
            return Err(MathError::InvalidState("tick outside MIN_TICK..=MAX_TICK"));
        }
        if self.sqrt_price_x96 < MIN_SQRT_RATIO || self.sqrt_price_x96 >= MAX_SQRT_RATIO {
            return Err(MathError::InvalidState("sqrt price outside the pool's range"));
        }
        Ok(())
    }

    fn check_spaced(&self, lower: i32, upper: i32) -> Result<()> {
        if self.tick_spacing <= 0
            || lower % self.tick_spacing != 0
            || upper % self.tick_spacing != 0
        {
            return Err(MathError::InvalidTickRange { lower, upper });
        }
        Ok(())
    }

    /// `UniswapV3Pool.swap` without transfers, callbacks, fees growth or oracle: the amounts
    /// and the state it leaves. `amount_specified` > 0 is an exact input, < 0 an exact output;
    /// the swap stops early at `sqrt_price_limit_x96`. `self` is not changed; see
    /// [`V3PoolState::apply_swap_result`].
    pub fn swap(
        &self,
        zero_for_one: bool,
        amount_specified: I256,
        sqrt_price_limit_x96: U256,
    ) -> Result<V3SwapResult> {
        self.swap_inner(zero_for_one, amount_specified, sqrt_price_limit_x96, self.fee, false)
    }

    /// The swap loop. With `fail_when_dry`, a swap that has run out of liquidity with no
    /// initialized tick left in its direction stops with the error it would end with anyway
    /// (it can only walk empty words to the limit and fill partially, or leave the window)
    /// instead of walking them: for quotes, which refuse partial fills. `fee` is the fee the
    /// steps take: `self.fee` for V3; V4 passes its swap fee (LP plus protocol fee).
    pub(crate) fn swap_inner(
        &self,
        zero_for_one: bool,
        amount_specified: I256,
        sqrt_price_limit_x96: U256,
        fee: u32,
        fail_when_dry: bool,
    ) -> Result<V3SwapResult> {
        self.validate()?;
        if amount_specified.is_zero() {
            return Err(MathError::AmountSpecifiedZero);
        }
        let limit = sqrt_price_limit_x96;
        let limit_ok = if zero_for_one {
            limit < self.sqrt_price_x96 && limit > MIN_SQRT_RATIO
        } else {
            limit > self.sqrt_price_x96 && limit < MAX_SQRT_RATIO
        };
        if !limit_ok {
            return Err(MathError::SqrtPriceLimit);
        }

        let exact_input = amount_specified.is_positive();
        let (known_lower, known_upper) = self.window.known();
        let mut remaining = amount_specified;
        let mut calculated = I256::ZERO;
        let mut sqrt_price = self.sqrt_price_x96;
        let mut tick = self.tick;
        let mut liquidity = self.liquidity;
        let mut ticks_crossed = 0u32;
        let mut steps = 0u32;

        while !remaining.is_zero() && sqrt_price != limit {
            steps += 1;
            if steps > MAX_STEPS {
                return Err(MathError::InvalidState("swap does not converge"));
            }
            if fail_when_dry && liquidity == 0 {
                let ahead = if zero_for_one {
                    self.ticks.range(..=tick).next_back()
                } else {
                    self.ticks.range(tick.saturating_add(1)..).next()
                };
                if ahead.is_none() {
                    let complete = if zero_for_one {
                        known_lower == i32::MIN
                    } else {
                        known_upper == i32::MAX
                    };
                    return Err(if complete {
                        MathError::InsufficientLiquidity
                    } else {
                        MathError::LeavesLoadedWindow
                    });
                }
            }
            let sqrt_price_start = sqrt_price;
            let next = next_initialized_tick_within_one_word(
                &self.ticks,
                tick,
                self.tick_spacing,
                zero_for_one,
            );
            // The lookup's answer is the contract's only if every tick between the current
            // tick and the answer is loaded. If not, the true next tick lies past the window
            // edge, and the step still matches as long as it ends inside the window (a step
            // that stops short of its target does not depend on the target).
            let certain = if zero_for_one {
                if next.searched.1 > known_upper {
                    return Err(MathError::LeavesLoadedWindow);
                }
                next.tick >= known_lower
            } else {
                if next.searched.0 < known_lower {
                    return Err(MathError::LeavesLoadedWindow);
                }
                next.tick <= known_upper
            };
            // The bitmap knows nothing of the tick range's limits.
            let tick_next = next.tick.clamp(MIN_TICK, MAX_TICK);
            let sqrt_price_next = get_sqrt_ratio_at_tick(tick_next)?;
            let target = if (zero_for_one && sqrt_price_next < limit)
                || (!zero_for_one && sqrt_price_next > limit)
            {
                limit
            } else {
                sqrt_price_next
            };
            let step = compute_swap_step(sqrt_price, target, liquidity, remaining, fee)?;
            sqrt_price = step.sqrt_ratio_next_x96;

            if !certain {
                let inside = if zero_for_one {
                    sqrt_price >= get_sqrt_ratio_at_tick(known_lower.clamp(MIN_TICK, MAX_TICK))?
                } else {
                    sqrt_price
                        < get_sqrt_ratio_at_tick((known_upper + 1).clamp(MIN_TICK, MAX_TICK))?
                };
                if !inside {
                    return Err(MathError::LeavesLoadedWindow);
                }
            }

            // Unchecked add in the contract, then SafeCast.toInt256.
            let in_plus_fee = to_i256(step.amount_in.wrapping_add(step.fee_amount))?;
            let out = to_i256(step.amount_out)?;
            if exact_input {
                remaining = remaining.wrapping_sub(in_plus_fee);
                calculated = calculated.checked_sub(out).ok_or(MathError::Overflow)?;
            } else {
                remaining = remaining.wrapping_add(out);
                calculated = calculated.checked_add(in_plus_fee).ok_or(MathError::Overflow)?;
            }

            if sqrt_price == sqrt_price_next {
                if next.initialized {
                    let net = self.ticks.get(&tick_next).map_or(0, |t| t.liquidity_net);
                    // Moving leftward, liquidityNet counts the other way.
                    let net = if zero_for_one { net.wrapping_neg() } else { net };
                    liquidity = add_delta(liquidity, net)?;
                    ticks_crossed += 1;
                }
                tick = if zero_for_one { tick_next - 1 } else { tick_next };
            } else if sqrt_price != sqrt_price_start {
                // Not on a tick boundary: recompute unless the price did not move.
                tick = get_tick_at_sqrt_ratio(sqrt_price)?;
            }
        }

        let specified_used = amount_specified.wrapping_sub(remaining);
        let (amount0, amount1) = if zero_for_one == exact_input {
            (specified_used, calculated)
        } else {
            (calculated, specified_used)
        };
        Ok(V3SwapResult {
            amount0,
            amount1,
            sqrt_price_x96: sqrt_price,
            tick,
            liquidity,
            ticks_crossed,
        })
    }

    /// Commits a result of [`V3PoolState::swap`] computed on this state.
    pub fn apply_swap_result(&mut self, result: &V3SwapResult) {
        self.apply_swap_event(result.sqrt_price_x96, result.liquidity, result.tick);
    }

    /// Applies an observed `Swap` event: it carries the new price, in-range liquidity and tick.
    pub fn apply_swap_event(&mut self, sqrt_price_x96: U256, liquidity: u128, tick: i32) {
        self.sqrt_price_x96 = sqrt_price_x96;
        self.liquidity = liquidity;
        self.tick = tick;
    }

    /// Applies an observed `Mint(tickLower, tickUpper, amount)` event.
    pub fn apply_mint(&mut self, tick_lower: i32, tick_upper: i32, amount: u128) -> Result<()> {
        let delta = i128::try_from(amount).map_err(|_| MathError::Overflow)?;
        self.modify_position(tick_lower, tick_upper, delta)
    }

    /// Applies an observed `Burn(tickLower, tickUpper, amount)` event (amount 0, a fee poke,
    /// changes nothing). Positions are not tracked: checks that only a position can fail
    /// (burning more than it holds, poking an empty one) are the chain's, whose events these
    /// are.
    pub fn apply_burn(&mut self, tick_lower: i32, tick_upper: i32, amount: u128) -> Result<()> {
        let delta = i128::try_from(amount).map_err(|_| MathError::Overflow)?;
        self.modify_position(tick_lower, tick_upper, -delta)
    }

    /// `_modifyPosition`'s effect on what the swap reads: both ticks (`Tick.update`, and
    /// `clear` when a tick's gross liquidity drops to zero) and the in-range liquidity.
    /// Ticks outside the window are not tracked and stay unknown. On error nothing changes.
    fn modify_position(&mut self, lower: i32, upper: i32, delta: i128) -> Result<()> {
        // checkTicks: TLU, TLM, TUM; and flipTick's spacing requirement.
        if lower >= upper || lower < MIN_TICK || upper > MAX_TICK {
            return Err(MathError::InvalidTickRange { lower, upper });
        }
        self.check_spaced(lower, upper)?;
        if delta == 0 {
            return Ok(());
        }
        let max = max_liquidity_per_tick(self.tick_spacing);
        let new_lower = self.updated_tick(lower, delta, false, max)?;
        let new_upper = self.updated_tick(upper, delta, true, max)?;
        let liquidity = if self.tick >= lower && self.tick < upper {
            add_delta(self.liquidity, delta)?
        } else {
            self.liquidity
        };
        for (tick, info) in [(lower, new_lower), (upper, new_upper)] {
            match info {
                Some(info) if info.liquidity_gross == 0 => {
                    self.ticks.remove(&tick);
                }
                Some(info) => {
                    self.ticks.insert(tick, info);
                }
                None => {}
            }
        }
        self.liquidity = liquidity;
        Ok(())
    }

    /// `Tick.update` for a tick in the window; `None` for a tick outside it.
    fn updated_tick(
        &self,
        tick: i32,
        delta: i128,
        upper: bool,
        max: u128,
    ) -> Result<Option<TickInfo>> {
        if !self.window.contains(tick) {
            return Ok(None);
        }
        let info = self.ticks.get(&tick).copied().unwrap_or_default();
        let liquidity_gross = add_delta(info.liquidity_gross, delta)?;
        if liquidity_gross > max {
            return Err(MathError::LiquidityPerTick);
        }
        let liquidity_net = if upper {
            info.liquidity_net.checked_sub(delta)
        } else {
            info.liquidity_net.checked_add(delta)
        }
        .ok_or(MathError::Overflow)?;
        Ok(Some(TickInfo { liquidity_gross, liquidity_net }))
    }
}

impl Quote for V3PoolState {
    /// An exact-input swap with no price limit (the router's `sqrtPriceLimitX96 = 0`); errors
    /// with [`MathError::InsufficientLiquidity`] when the pool cannot take the whole input.
    fn amount_out(&self, zero_for_one: bool, amount_in: U256) -> Result<U256> {
        let specified = to_i256(amount_in)?;
        let limit =
            if zero_for_one { MIN_SQRT_RATIO + U256::ONE } else { MAX_SQRT_RATIO - U256::ONE };
        let r = self.swap_inner(zero_for_one, specified, limit, self.fee, true)?;
        let (used, out) =
            if zero_for_one { (r.amount0, r.amount1) } else { (r.amount1, r.amount0) };
        if used != specified {
            return Err(MathError::InsufficientLiquidity);
        }
        Ok(out.unsigned_abs())
    }

    /// An exact-output swap with no price limit; errors with
    /// [`MathError::InsufficientLiquidity`] when the pool cannot pay the whole output.
    fn amount_in(&self, zero_for_one: bool, amount_out: U256) -> Result<U256> {
        let wanted = to_i256(amount_out)?;
        let limit =
            if zero_for_one { MIN_SQRT_RATIO + U256::ONE } else { MAX_SQRT_RATIO - U256::ONE };
        let r = self.swap_inner(zero_for_one, -wanted, limit, self.fee, true)?;
        let (used, out) =
            if zero_for_one { (r.amount0, r.amount1) } else { (r.amount1, r.amount0) };
        if out != -wanted {
            return Err(MathError::InsufficientLiquidity);
        }
        Ok(used.unsigned_abs())
    }
}

//! `TickBitmap.nextInitializedTickWithinOneWord` over the ordered map of initialized ticks.
//!
//! The pool keeps one bit per spaced tick in 256-bit words and a swap step never looks past
//! the current word: when no tick in the word is initialized, the step ends at the word's
//! edge anyway (with `initialized == false`). The steps, and so the rounding, depend on this,
//! so the walk below reproduces the word edges exactly from the map's keys.

use std::collections::BTreeMap;

/// `TickBitmap.position`: the word (`int16`) and bit (`uint8`) of a compressed tick.
#[inline]
pub const fn position(compressed: i32) -> (i32, u8) {
    (compressed >> 8, (compressed & 0xff) as u8)
}

/// The compressed tick: `tick / tick_spacing` rounded toward negative infinity.
#[inline]
pub const fn compress(tick: i32, tick_spacing: i32) -> i32 {
    tick.div_euclid(tick_spacing)
}

/// The result of one bitmap lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextTick {
    /// The next initialized tick, or the edge of the word when none is initialized.
    pub tick: i32,
    /// Whether `tick` is initialized.
    pub initialized: bool,
    /// The (inclusive) tick range the contract's lookup inspects: the answer depends on
    /// every initialized tick in it and on nothing outside it.
    pub searched: (i32, i32),
}

/// `nextInitializedTickWithinOneWord(tick, tickSpacing, lte)` with the bitmap given as the
/// map of initialized ticks (keys must be multiples of `tick_spacing`, `tick_spacing > 0`).
/// Also reports which ticks the lookup depended on.
#[inline]
pub fn next_initialized_tick_within_one_word<V>(
    ticks: &BTreeMap<i32, V>,
    tick: i32,
    tick_spacing: i32,
    lte: bool,
) -> NextTick {
    let compressed = compress(tick, tick_spacing);
    if lte {
        // All bits at or below bitPos in the current word.
        let start = compressed & !0xff;
        let searched = (start * tick_spacing, compressed * tick_spacing);
        match ticks.range(searched.0..=searched.1).next_back() {
            Some((&t, _)) => NextTick { tick: t, initialized: true, searched },
            None => NextTick { tick: searched.0, initialized: false, searched },
        }
    } else {
        // Start from the word of the next tick: the current tick's own state does not matter.
        let next = compressed + 1;
        let end = next | 0xff;
        let searched = (next * tick_spacing, end * tick_spacing);
        match ticks.range(searched.0..=searched.1).next() {
            Some((&t, _)) => NextTick { tick: t, initialized: true, searched },
            None => NextTick { tick: searched.1, initialized: false, searched },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The contract's bitmap, literally: words of 256 bits keyed by int16.
    fn bitmap(ticks: &[i32], spacing: i32) -> BTreeMap<i32, [u64; 4]> {
        let mut words: BTreeMap<i32, [u64; 4]> = BTreeMap::new();
        for &t in ticks {
            assert_eq!(t % spacing, 0);
            let (w, b) = position(t / spacing);
            words.entry(w).or_default()[usize::from(b / 64)] ^= 1 << (b % 64);
        }
        words
    }

    /// `nextInitializedTickWithinOneWord` translated with masks and msb/lsb.
    fn reference(
        words: &BTreeMap<i32, [u64; 4]>,
        tick: i32,
        spacing: i32,
        lte: bool,
    ) -> (i32, bool) {
        use alloy::primitives::U256;
        let mut compressed = tick / spacing;
        if tick < 0 && tick % spacing != 0 {
            compressed -= 1;
        }
        let word = |w: i32| U256::from_limbs(words.get(&w).copied().unwrap_or_default());
        if lte {
            let (w, b) = position(compressed);
            let mask = (U256::ONE << b) - U256::ONE + (U256::ONE << b);
            let masked = word(w) & mask;
            if masked.is_zero() {
                ((compressed - i32::from(b)) * spacing, false)
            } else {
                let msb = masked.bit_len() as i32 - 1;
                ((compressed - (i32::from(b) - msb)) * spacing, true)
            }
        } else {
            let (w, b) = position(compressed + 1);
            let mask = !((U256::ONE << b) - U256::ONE);
            let masked = word(w) & mask;
            if masked.is_zero() {
                ((compressed + 1 + (255 - i32::from(b))) * spacing, false)
            } else {
                let lsb = masked.trailing_zeros() as i32;
                ((compressed + 1 + (lsb - i32::from(b))) * spacing, true)
            }
        }
    }

    #[test]
    fn known_values_from_the_v3_test_suite() {
        // TickBitmap.spec.ts: initialized ticks -200, -55, -4, 70, 78, 84, 139, 240, 535 (spacing 1).
        let init = [-200, -55, -4, 70, 78, 84, 139, 240, 535];
        let map: BTreeMap<i32, ()> = init.iter().map(|&t| (t, ())).collect();
        let next = |t, lte| {
            let n = next_initialized_tick_within_one_word(&map, t, 1, lte);
            (n.tick, n.initialized)
        };
        // lte = false
        assert_eq!(next(78, false), (84, true));
        assert_eq!(next(-55, false), (-4, true));
        assert_eq!(next(77, false), (78, true));
        assert_eq!(next(-56, false), (-55, true));
        assert_eq!(next(255, false), (511, false));
        assert_eq!(next(-257, false), (-200, true));
        assert_eq!(next(340, false), (511, false));
        assert_eq!(next(508, false), (511, false));
        assert_eq!(next(328, false), (511, false));
        // lte = true
        assert_eq!(next(78, true), (78, true));
        assert_eq!(next(79, true), (78, true));
        assert_eq!(next(258, true), (256, false));
        assert_eq!(next(256, true), (256, false));
        assert_eq!(next(72, true), (70, true));
        assert_eq!(next(-257, true), (-512, false));
        assert_eq!(next(1023, true), (768, false));
        assert_eq!(next(900, true), (768, false));
    }

    #[test]
    fn matches_the_bitmap_for_every_start_and_spacing() {
        for spacing in [1, 10, 60, 200] {
            let ticks: Vec<i32> =
                [-70_000, -3000, -256, -255, -1, 0, 1, 255, 256, 511, 4000, 90_000]
                    .iter()
                    .map(|t| t * spacing)
                    .collect();
            let words = bitmap(&ticks, spacing);
            let map: BTreeMap<i32, ()> = ticks.iter().map(|&t| (t, ())).collect();
            for tick in (-80_000 * spacing.min(10)..80_000 * spacing.min(10)).step_by(7) {
                for lte in [true, false] {
                    let n = next_initialized_tick_within_one_word(&map, tick, spacing, lte);
                    assert_eq!(
                        (n.tick, n.initialized),
                        reference(&words, tick, spacing, lte),
                        "tick {tick} spacing {spacing} lte {lte}"
                    );
                    assert!(n.searched.0 <= n.tick && n.tick <= n.searched.1);
                }
            }
        }
    }
}

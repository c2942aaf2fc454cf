//! The token graph and the cycle index: which healthy pools join which tokens, and for each
//! pool the 2-hop and 3-hop cycles through it that start and end in a base token.
//!
//! Cycles are stored once, compactly ([`Cycle`]: up to three packed [`Hop`]s of pool index
//! and direction, 16 bytes), in one `Vec` addressed by [`CycleId`]; each pool keeps the ids of
//! the cycles through it. Indexing a pool appends only the cycles that contain it, so the
//! index is built incrementally as pools appear and the same code builds it from scratch.
//! Because cycles and per-pool lists only grow, undoing a block is a truncation to the lengths
//! recorded before it ([`CycleIndex::truncate`]).
//!
//! Several pools on the same token pair (Uniswap V2 and Sushiswap, V3 fee tiers) give several
//! 2-hop cycles (each ordered pair of distinct pools) and multiply 3-hop cycles.

use crate::market::pool::{PoolIdx, TokenIdx};
use std::collections::HashMap;

/// Index of a cycle in the [`CycleIndex`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CycleId(pub u32);

/// One hop of a cycle: a pool and the direction of the swap through it, packed in a `u32`
/// (`pool << 1 | zero_for_one`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Hop(u32);

impl Hop {
    /// A hop through `pool`, selling token0 when `zero_for_one`.
    pub const fn new(pool: PoolIdx, zero_for_one: bool) -> Self {
        Self((pool.0 << 1) | zero_for_one as u32)
    }

    /// The pool.
    pub const fn pool(self) -> PoolIdx {
        PoolIdx(self.0 >> 1)
    }

    /// Whether token0 goes in.
    pub const fn zero_for_one(self) -> bool {
        self.0 & 1 == 1
    }
}

impl std::fmt::Debug for Hop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.pool().0, if self.zero_for_one() { "→" } else { "←" })
    }
}

/// A cycle of 2 or 3 hops; the first hop's input token is the base token it starts and ends
/// in.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cycle {
    hops: [Hop; 3],
    len: u8,
}

impl Cycle {
    fn new(hops: &[Hop]) -> Self {
        let mut packed = [Hop::default(); 3];
        packed[..hops.len()].copy_from_slice(hops);
        Self { hops: packed, len: hops.len() as u8 }
    }

    /// The hops in order.
    pub fn hops(&self) -> &[Hop] {
        &self.hops[..usize::from(self.len)]
    }

    /// Whether `pool` is one of the hops.
    pub fn contains(&self, pool: PoolIdx) -> bool {
        self.hops().iter().any(|h| h.pool() == pool)
    }
}

impl std::fmt::Debug for Cycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.hops()).finish()
    }
}

/// The token graph over indexed pools and the cycles through each.
#[derive(Debug, Clone, Default)]
pub struct CycleIndex {
    /// `base[token]`: cycles may start at this token.
    base: Vec<bool>,
    /// `pool_tokens[pool]`: `(token0, token1)` of an indexed pool.
    pool_tokens: Vec<Option<(TokenIdx, TokenIdx)>>,
    /// `adjacency[token][other]`: the indexed pools between the two.
    adjacency: Vec<HashMap<TokenIdx, Vec<PoolIdx>>>,
    cycles: Vec<Cycle>,
    /// `by_pool[pool]`: ids of the cycles through the pool, ascending.
    by_pool: Vec<Vec<CycleId>>,
}

fn grow<T: Default>(v: &mut Vec<T>, index: usize) {
    if v.len() <= index {
        v.resize_with(index + 1, T::default);
    }
}

impl CycleIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks `token` as a base token or not (call before indexing its pools).
    pub fn set_base(&mut self, token: TokenIdx, base: bool) {
        grow(&mut self.base, token.get());
        self.base[token.get()] = base;
    }

    /// Whether cycles may start at `token`.
    pub fn is_base(&self, token: TokenIdx) -> bool {
        self.base.get(token.get()).copied().unwrap_or(false)
    }

    /// Whether `pool` is in the graph.
    pub fn is_indexed(&self, pool: PoolIdx) -> bool {
        self.pool_tokens.get(pool.get()).is_some_and(Option::is_some)
    }

    /// Number of cycles.
    pub fn cycles_len(&self) -> usize {
        self.cycles.len()
    }

    /// Every cycle, by id.
    pub fn cycles(&self) -> &[Cycle] {
        &self.cycles
    }

    /// One cycle.
    pub fn cycle(&self, id: CycleId) -> Option<&Cycle> {
        self.cycles.get(id.0 as usize)
    }

    /// The cycles through `pool`.
    pub fn cycles_through(&self, pool: PoolIdx) -> &[CycleId] {
        self.by_pool.get(pool.get()).map_or(&[], Vec::as_slice)
    }

    /// The indexed pools between two tokens.
    pub fn pools_between(&self, a: TokenIdx, b: TokenIdx) -> &[PoolIdx] {
        self.adjacency.get(a.get()).and_then(|m| m.get(&b)).map_or(&[], Vec::as_slice)
    }

    /// The token a cycle starts and ends in.
    pub fn start_token(&self, cycle: &Cycle) -> Option<TokenIdx> {
        let first = *cycle.hops().first()?;
        let (t0, t1) = self.pool_tokens.get(first.pool().get()).copied().flatten()?;
        Some(if first.zero_for_one() { t0 } else { t1 })
    }

    /// Adds a pool between `token0` and `token1` to the graph and appends every cycle through
    /// it; returns how many. A pool already indexed, or with identical tokens, adds nothing.
    pub fn insert(&mut self, pool: PoolIdx, token0: TokenIdx, token1: TokenIdx) -> usize {
        if token0 == token1 || self.is_indexed(pool) {
            return 0;
        }
        grow(&mut self.pool_tokens, pool.get());
        grow(&mut self.by_pool, pool.get());
        grow(&mut self.adjacency, token0.get().max(token1.get()));
        self.pool_tokens[pool.get()] = Some((token0, token1));
        let before = self.cycles.len();
        let (a, b) = (token0, token1);

        // 2 hops: this pool one way, another pool on the same pair back.
        let same_pair = self.pools_between(a, b).to_vec();
        for q in same_pair {
            for (s, t) in [(a, b), (b, a)] {
                if self.is_base(s) {
                    let p_out = self.hop(pool, s);
                    let q_out = self.hop(q, s);
                    let p_back = self.hop(pool, t);
                    let q_back = self.hop(q, t);
                    self.push(&[p_out, q_back]);
                    self.push(&[q_out, p_back]);
                }
            }
        }

        // 3 hops: every triangle a-b-c with this pool on the a-b edge.
        let (small, large) = if self.adjacency[a.get()].len() <= self.adjacency[b.get()].len() {
            (a, b)
        } else {
            (b, a)
        };
        let thirds: Vec<TokenIdx> = self.adjacency[small.get()]
            .keys()
            .copied()
            .filter(|c| *c != a && *c != b && self.adjacency[large.get()].contains_key(c))
            .collect();
        for c in thirds {
            let bc = self.pools_between(b, c).to_vec();
            let ca = self.pools_between(c, a).to_vec();
            for &q1 in &bc {
                for &q2 in &ca {
                    // a→b→c→a and a→c→b→a, each started at every base token on it.
                    self.push_rotations([a, b, c], [pool, q1, q2]);
                    self.push_rotations([a, c, b], [q2, q1, pool]);
                }
            }
        }

        for (x, y) in [(a, b), (b, a)] {
            self.adjacency[x.get()].entry(y).or_default().push(pool);
        }
        self.cycles.len() - before
    }

    /// The hop through `pool` selling `from`.
    fn hop(&self, pool: PoolIdx, from: TokenIdx) -> Hop {
        let zero_for_one =
            self.pool_tokens.get(pool.get()).copied().flatten().is_some_and(|(t0, _)| t0 == from);
        Hop::new(pool, zero_for_one)
    }

    /// Pushes the triangle `tokens[i] →(pools[i]) tokens[i+1]` once per base token on it,
    /// rotated to start there.
    fn push_rotations(&mut self, tokens: [TokenIdx; 3], pools: [PoolIdx; 3]) {
        for r in 0..3 {
            if self.is_base(tokens[r]) {
                let hops = [0, 1, 2].map(|k| {
                    let i = (r + k) % 3;
                    self.hop(pools[i], tokens[i])
                });
                self.push(&hops);
            }
        }
    }

    fn push(&mut self, hops: &[Hop]) {
        let id = CycleId(self.cycles.len() as u32);
        self.cycles.push(Cycle::new(hops));
        for hop in hops {
            grow(&mut self.by_pool, hop.pool().get());
            self.by_pool[hop.pool().get()].push(id);
        }
    }

    /// Drops every cycle with id `len` or above (cycles appended since the length was
    /// recorded), from the cycle list and from each pool's list.
    pub fn truncate(&mut self, len: usize) {
        if len >= self.cycles.len() {
            return;
        }
        for cycle in &self.cycles[len..] {
            for hop in cycle.hops() {
                let list = &mut self.by_pool[hop.pool().get()];
                while list.last().is_some_and(|id| id.0 as usize >= len) {
                    list.pop();
                }
            }
        }
        self.cycles.truncate(len);
    }

    /// Takes a pool out of the graph. Its cycles must already be gone ([`Self::truncate`]
    /// to a length recorded before it was indexed): used when undoing the block that indexed
    /// it.
    pub fn remove(&mut self, pool: PoolIdx) {
        let Some((a, b)) = self.pool_tokens.get_mut(pool.get()).and_then(Option::take) else {
            return;
        };
        debug_assert!(self.cycles_through(pool).is_empty(), "cycles of a removed pool remain");
        for (x, y) in [(a, b), (b, a)] {
            if let Some(list) = self.adjacency[x.get()].get_mut(&y) {
                list.retain(|p| *p != pool);
                if list.is_empty() {
                    self.adjacency[x.get()].remove(&y);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const WETH: TokenIdx = TokenIdx(0);
    const A: TokenIdx = TokenIdx(1);
    const B: TokenIdx = TokenIdx(2);
    const C: TokenIdx = TokenIdx(3);

    fn p(i: u32) -> PoolIdx {
        PoolIdx(i)
    }

    /// Follows a cycle's hops and checks it is a closed walk from a base token.
    fn check_closed(index: &CycleIndex, cycle: &Cycle) {
        let start = index.start_token(cycle).unwrap();
        assert!(index.is_base(start));
        let mut at = start;
        let mut seen = HashSet::new();
        for hop in cycle.hops() {
            let (t0, t1) = index.pool_tokens[hop.pool().get()].unwrap();
            let (from, to) = if hop.zero_for_one() { (t0, t1) } else { (t1, t0) };
            assert_eq!(from, at, "{cycle:?} is not connected");
            assert!(seen.insert(hop.pool()), "{cycle:?} repeats a pool");
            at = to;
        }
        assert_eq!(at, start, "{cycle:?} does not close");
    }

    #[test]
    fn two_and_three_hop_cycles_with_parallel_pools() {
        let mut index = CycleIndex::new();
        index.set_base(WETH, true);
        assert_eq!(index.insert(p(0), WETH, A), 0);
        // A second WETH/A pool: two 2-hop cycles (0 then 1, 1 then 0).
        assert_eq!(index.insert(p(1), WETH, A), 2);
        assert_eq!(index.insert(p(2), WETH, B), 0);
        // A/B closes triangles WETH-A-B with 2 WETH/A pools × 1 WETH/B pool × 2 directions.
        assert_eq!(index.insert(p(3), A, B), 4);
        // A third WETH/A pool: 2 × 2 two-hop cycles, and 2 triangles (two directions).
        assert_eq!(index.insert(p(4), WETH, A), 6);
        assert_eq!(index.cycles_len(), 12);
        for cycle in index.cycles() {
            check_closed(&index, cycle);
        }
        let unique: HashSet<_> = index.cycles().iter().collect();
        assert_eq!(unique.len(), index.cycles_len(), "no duplicates");
        // Each pool's list holds exactly the cycles that contain it.
        for pool in 0..5 {
            let listed: Vec<_> = index.cycles_through(p(pool)).to_vec();
            let expected: Vec<_> = (0..index.cycles_len() as u32)
                .map(CycleId)
                .filter(|id| index.cycle(*id).unwrap().contains(p(pool)))
                .collect();
            assert_eq!(listed, expected);
        }
        // A triangle without the base token adds nothing; a pool between two non-base
        // tokens with no base neighbour adds nothing.
        assert_eq!(index.insert(p(5), B, C), 0);
        assert_eq!(index.insert(p(6), A, C), 0);
        assert_eq!(index.insert(p(6), A, C), 0, "idempotent");
    }

    #[test]
    fn two_base_tokens_start_cycles_at_each() {
        let usdc = TokenIdx(9);
        let mut index = CycleIndex::new();
        index.set_base(WETH, true);
        index.set_base(usdc, true);
        index.insert(p(0), WETH, usdc);
        // Parallel pool on a pair of two base tokens: 2 cycles from each.
        assert_eq!(index.insert(p(1), WETH, usdc), 4);
        index.insert(p(2), WETH, A);
        // Triangle WETH-usdc-A, two directions, each starting at WETH and at usdc, for each
        // of the two WETH/usdc pools.
        assert_eq!(index.insert(p(3), usdc, A), 8);
        for cycle in index.cycles() {
            check_closed(&index, cycle);
        }
    }

    #[test]
    fn truncate_and_remove_undo_an_insert() {
        let mut index = CycleIndex::new();
        index.set_base(WETH, true);
        index.insert(p(0), WETH, A);
        index.insert(p(1), WETH, B);
        index.insert(p(2), A, B);
        let snapshot = (index.cycles.clone(), index.by_pool.clone(), index.adjacency.clone());
        let len = index.cycles_len();
        index.insert(p(3), WETH, A);
        index.insert(p(4), A, B);
        assert!(index.cycles_len() > len);
        index.truncate(len);
        index.remove(p(4));
        index.remove(p(3));
        let by_pool: Vec<_> = index.by_pool.iter().take(3).cloned().collect();
        assert_eq!(index.cycles, snapshot.0);
        assert_eq!(by_pool, snapshot.1.iter().take(3).cloned().collect::<Vec<_>>());
        assert_eq!(index.adjacency, snapshot.2);
        assert!(!index.is_indexed(p(3)));
        // Re-inserting gives the same cycles again.
        let again = index.insert(p(3), WETH, A);
        assert!(again > 0);
    }

    #[test]
    fn hop_packing() {
        let h = Hop::new(PoolIdx(123_456), true);
        assert_eq!((h.pool(), h.zero_for_one()), (PoolIdx(123_456), true));
        let h = Hop::new(PoolIdx(0), false);
        assert_eq!((h.pool(), h.zero_for_one()), (PoolIdx(0), false));
        assert_eq!(std::mem::size_of::<Cycle>(), 16);
    }
}

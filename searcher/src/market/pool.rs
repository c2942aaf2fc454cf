//! Pool identity and kinds: what a pool is ([`PoolId`], [`PoolKind`], its DEX, factory and
//! tokens, as [`Pool`]) and what it holds ([`PoolState`], an enum over the math's per-kind
//! states, with [`Quote`] dispatched statically).
//!
//! A new kind (V4, Curve, Balancer) is an addition: a [`PoolKind`] variant, a [`PoolState`]
//! variant wrapping its math state (which implements [`Quote`]), a [`PoolId`] variant when the
//! pool is not its own contract (V4 and Balancer pools are ids inside a singleton), and its
//! creation-log decoder, loader calls and log handlers. Nothing else changes.

use crate::market::math::{MathError, Quote, V2Fee, V2Hop, V2Pool, V3PoolState};
use alloy::primitives::{Address, U256};
use std::{fmt, sync::Arc};

/// Index of a pool in the market (dense, assigned in discovery order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PoolIdx(pub u32);

impl PoolIdx {
    /// As a `usize` for indexing.
    pub const fn get(self) -> usize {
        self.0 as usize
    }
}

/// Index of a token in the market (dense, assigned in discovery order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TokenIdx(pub u32);

impl TokenIdx {
    /// As a `usize` for indexing.
    pub const fn get(self) -> usize {
        self.0 as usize
    }
}

/// A pool's identity on chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum PoolId {
    /// The pool is its own contract (Uniswap V2 pairs, V3 pools); its logs come from there.
    Contract(Address),
}

impl PoolId {
    /// The contract that holds the pool's state and emits its logs.
    pub const fn address(&self) -> Address {
        match self {
            Self::Contract(a) => *a,
        }
    }

    /// Compact encoding for the store: the 20 address bytes (other forms will be longer).
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Self::Contract(a) => a.to_vec(),
        }
    }

    /// Decodes [`PoolId::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        match bytes.len() {
            20 => Some(Self::Contract(Address::from_slice(bytes))),
            _ => None,
        }
    }
}

impl fmt::Display for PoolId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Contract(a) => write!(f, "{a}"),
        }
    }
}

/// The protocol a pool speaks (its events and its swap interface), without its parameters:
/// what predict and the executor need to know of a [`PoolKind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// Uniswap V2-style pair (emits `Sync`).
    UniswapV2,
    /// Uniswap V3-style pool (emits `Swap`, `Mint`, `Burn`).
    UniswapV3,
}

/// What kind of AMM a pool is, with the parameters fixed at its creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PoolKind {
    /// Uniswap V2-style constant product; the fee is the factory's.
    UniswapV2 {
        /// The factory's fee.
        fee: V2Fee,
    },
    /// Uniswap V3-style concentrated liquidity.
    UniswapV3 {
        /// Fee tier in pips (500 = 0.05%).
        fee: u32,
        /// The tier's tick spacing.
        tick_spacing: i32,
    },
}

impl PoolKind {
    /// The protocol, without the parameters.
    pub const fn protocol(&self) -> Protocol {
        match self {
            Self::UniswapV2 { .. } => Protocol::UniswapV2,
            Self::UniswapV3 { .. } => Protocol::UniswapV3,
        }
    }

    /// Stable name, used in the store and in metrics labels.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::UniswapV2 { .. } => "uniswap-v2",
            Self::UniswapV3 { .. } => "uniswap-v3",
        }
    }
}

/// Where a pool was announced: the block and log index of its creation log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct CreatedAt {
    /// Block number of the creation log.
    pub block: u64,
    /// Log index of the creation log within its block.
    pub log_index: u64,
}

/// A pool's identity: fixed from its creation log on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pool {
    /// On-chain identity.
    pub id: PoolId,
    /// Kind and creation parameters.
    pub kind: PoolKind,
    /// The DEX's configured name.
    pub dex: Arc<str>,
    /// The factory that created it.
    pub factory: Address,
    /// The lower token address.
    pub token0: Address,
    /// The higher token address.
    pub token1: Address,
    /// Where it was created.
    pub created: CreatedAt,
}

impl Pool {
    /// The pool's initial state right after creation, before any log of its own: a V2 pair
    /// has zero reserves; a V3 pool is uninitialized (`None`, nothing to simulate).
    pub fn state_at_creation(&self) -> Option<PoolState> {
        match self.kind {
            PoolKind::UniswapV2 { fee } => {
                Some(PoolState::UniswapV2(V2Pool { reserve0: 0, reserve1: 0, fee }))
            }
            PoolKind::UniswapV3 { .. } => None,
        }
    }
}

/// A pool's swap-relevant state, as the math holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolState {
    /// Reserves and fee.
    UniswapV2(V2Pool),
    /// Price, liquidity and the loaded tick window.
    UniswapV3(V3PoolState),
}

impl PoolState {
    /// Whether a swap through the pool can pay anything out: V2 reserves both non-zero; V3
    /// some liquidity in range or an initialized tick loaded.
    pub fn has_liquidity(&self) -> bool {
        match self {
            Self::UniswapV2(p) => p.reserve0 != 0 && p.reserve1 != 0,
            Self::UniswapV3(p) => p.liquidity != 0 || !p.ticks.is_empty(),
        }
    }

    /// The V2 state, if this is one.
    pub const fn as_v2(&self) -> Option<&V2Pool> {
        match self {
            Self::UniswapV2(p) => Some(p),
            Self::UniswapV3(_) => None,
        }
    }

    /// The pool as a constant-product hop at its current price: a V2 pair itself; a V3 pool
    /// its virtual reserves `L / sqrt(P)` and `L sqrt(P)` with its fee, which have its exact
    /// marginal rate (an approximation once a swap leaves the current tick range). For sizing
    /// starts and pruning only, never for amounts. `None` when the pool has no liquidity in
    /// range.
    pub fn marginal_hop(&self, zero_for_one: bool) -> Option<V2Hop> {
        match self {
            Self::UniswapV2(p) => Some(p.hop(zero_for_one)),
            Self::UniswapV3(p) => {
                if p.liquidity == 0 || p.sqrt_price_x96.is_zero() {
                    return None;
                }
                let l = U256::from(p.liquidity);
                let x = (l << 96usize) / p.sqrt_price_x96;
                let y = l.checked_mul(p.sqrt_price_x96)? >> 96usize;
                let (reserve_in, reserve_out) = if zero_for_one { (x, y) } else { (y, x) };
                let fee = V2Fee::new(1_000_000u32.checked_sub(p.fee)?, 1_000_000).ok()?;
                Some(V2Hop { reserve_in, reserve_out, fee })
            }
        }
    }

    /// The V3 state, if this is one.
    pub const fn as_v3(&self) -> Option<&V3PoolState> {
        match self {
            Self::UniswapV3(p) => Some(p),
            Self::UniswapV2(_) => None,
        }
    }
}

impl Quote for PoolState {
    #[inline]
    fn amount_out(&self, zero_for_one: bool, amount_in: U256) -> Result<U256, MathError> {
        match self {
            Self::UniswapV2(p) => p.amount_out(zero_for_one, amount_in),
            Self::UniswapV3(p) => p.amount_out(zero_for_one, amount_in),
        }
    }

    #[inline]
    fn amount_in(&self, zero_for_one: bool, amount_out: U256) -> Result<U256, MathError> {
        match self {
            Self::UniswapV2(p) => p.amount_in(zero_for_one, amount_out),
            Self::UniswapV3(p) => p.amount_in(zero_for_one, amount_out),
        }
    }
}

/// A token as the market knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Address.
    pub address: Address,
    /// `symbol()`, when it answered with a string (or bytes32).
    pub symbol: Option<String>,
    /// `decimals()`, when it answered with a sane value.
    pub decimals: Option<u8>,
    /// Whether transfers were probed (see [`crate::market::health`]).
    pub probed: bool,
    /// Token-level health flags.
    pub flags: crate::market::health::HealthFlags,
    /// Measured transfer fee in basis points, when fee-on-transfer.
    pub transfer_fee_bps: Option<u32>,
    /// What the probe or metadata read observed, when flagged.
    pub flag_detail: Option<String>,
}

impl Token {
    /// A token seen for the first time, not yet read or probed.
    pub const fn new(address: Address) -> Self {
        Self {
            address,
            symbol: None,
            decimals: None,
            probed: false,
            flags: crate::market::health::HealthFlags::NONE,
            transfer_fee_bps: None,
            flag_detail: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::address;

    #[test]
    fn pool_id_bytes_round_trip() {
        let id = PoolId::Contract(address!("0x00000000000000000000000000000000000000aa"));
        assert_eq!(PoolId::from_bytes(&id.to_bytes()), Some(id));
        assert_eq!(PoolId::from_bytes(&[1, 2, 3]), None);
    }

    #[test]
    fn creation_state() {
        let mut pool = Pool {
            id: PoolId::Contract(Address::ZERO),
            kind: PoolKind::UniswapV2 { fee: V2Fee::UNISWAP },
            dex: "uniswap-v2".into(),
            factory: Address::ZERO,
            token0: Address::ZERO,
            token1: Address::ZERO,
            created: CreatedAt::default(),
        };
        let state = pool.state_at_creation().expect("V2 starts empty");
        assert!(!state.has_liquidity());
        assert!(state.amount_out(true, U256::from(1)).is_err());
        pool.kind = PoolKind::UniswapV3 { fee: 3000, tick_spacing: 60 };
        assert_eq!(pool.state_at_creation(), None);
    }
}

//! Tracked pools and their post-state, read from the logs a transaction emits: V2 `Sync`
//! gives reserves; V3 `Swap` gives price, liquidity and tick; V3 `Mint`/`Burn` mark the tick
//! map changed.

use crate::abi::{IUniswapV2Pair, IUniswapV3Pool};
use alloy::{
    primitives::{Address, Log, aliases::U160},
    sol_types::SolEvent,
};

pub use crate::market::pool::Protocol;

/// Which pools are tracked: the market stage's pool set, seen through one method.
pub trait PoolLookup {
    /// The kind of `pool` if it is tracked.
    fn kind(&self, pool: Address) -> Option<Protocol>;
}

impl<F: Fn(Address) -> Option<Protocol>> PoolLookup for F {
    fn kind(&self, pool: Address) -> Option<Protocol> {
        self(pool)
    }
}

/// A tracked pool's state after the transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PredictedState {
    /// V2 reserves (from the last `Sync`).
    V2 {
        /// Reserve of token0.
        reserve0: u128,
        /// Reserve of token1.
        reserve1: u128,
    },
    /// V3 price, in-range liquidity and tick.
    V3 {
        /// `slot0.sqrtPriceX96`.
        sqrt_price_x96: U160,
        /// In-range liquidity.
        liquidity: u128,
        /// `slot0.tick`.
        tick: i32,
        /// The transaction minted or burnt liquidity, so the tick map changed too (and the
        /// three figures above were read from the pool itself): reload its ticks.
        ticks_changed: bool,
    },
}

/// One tracked pool the transaction moved, with its post-state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TouchedPool {
    /// The pool.
    pub address: Address,
    /// Its state after the transaction.
    pub state: PredictedState,
}

/// Folds a transaction's logs into the post-state of the tracked pools it touched.
///
/// Returns the pools in order of first touch (the last event of each pool wins) and the V3
/// pools whose liquidity changed through `Mint`/`Burn`, whose state must be read from the pool.
pub(super) fn touched_pools(
    logs: &[Log],
    lookup: &dyn PoolLookup,
) -> (Vec<TouchedPool>, Vec<Address>) {
    let mut pools: Vec<TouchedPool> = Vec::new();
    let mut reread: Vec<Address> = Vec::new();
    for log in logs {
        let Some(topic0) = log.topics().first() else { continue };
        let state = if *topic0 == IUniswapV2Pair::Sync::SIGNATURE_HASH {
            if lookup.kind(log.address) != Some(Protocol::UniswapV2) {
                continue;
            }
            let Ok(sync) = IUniswapV2Pair::Sync::decode_log_data(&log.data) else { continue };
            PredictedState::V2 { reserve0: sync.reserve0.to(), reserve1: sync.reserve1.to() }
        } else if *topic0 == IUniswapV3Pool::Swap::SIGNATURE_HASH {
            if lookup.kind(log.address) != Some(Protocol::UniswapV3) {
                continue;
            }
            let Ok(swap) = IUniswapV3Pool::Swap::decode_log_data(&log.data) else { continue };
            PredictedState::V3 {
                sqrt_price_x96: swap.sqrtPriceX96,
                liquidity: swap.liquidity,
                tick: swap.tick.as_i32(),
                ticks_changed: false,
            }
        } else if *topic0 == IUniswapV3Pool::Mint::SIGNATURE_HASH
            || *topic0 == IUniswapV3Pool::Burn::SIGNATURE_HASH
        {
            // A zero-amount Burn only collects fees ("poke"): no liquidity or tick changes.
            let poke = *topic0 == IUniswapV3Pool::Burn::SIGNATURE_HASH
                && IUniswapV3Pool::Burn::decode_log_data(&log.data).is_ok_and(|b| b.amount == 0);
            if !poke
                && lookup.kind(log.address) == Some(Protocol::UniswapV3)
                && !reread.contains(&log.address)
            {
                reread.push(log.address);
            }
            continue;
        } else {
            continue;
        };
        match pools.iter_mut().find(|p| p.address == log.address) {
            Some(pool) => pool.state = state,
            None => pools.push(TouchedPool { address: log.address, state }),
        }
    }
    (pools, reread)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{
        Address, I256, U256,
        aliases::{I24, U112},
    };

    fn log<E: SolEvent>(address: Address, event: &E) -> Log {
        Log { address, data: event.encode_log_data() }
    }

    fn sync(r0: u64, r1: u64) -> IUniswapV2Pair::Sync {
        IUniswapV2Pair::Sync { reserve0: U112::from(r0), reserve1: U112::from(r1) }
    }

    #[test]
    fn last_event_per_pool_wins_in_first_touch_order_and_untracked_are_ignored() {
        let (v2a, v2b, v3, other) = (
            Address::repeat_byte(1),
            Address::repeat_byte(2),
            Address::repeat_byte(3),
            Address::repeat_byte(9),
        );
        let lookup = move |a: Address| match a {
            a if a == v2a || a == v2b => Some(Protocol::UniswapV2),
            a if a == v3 => Some(Protocol::UniswapV3),
            _ => None,
        };
        let swap = IUniswapV3Pool::Swap {
            sender: other,
            recipient: other,
            amount0: I256::ONE,
            amount1: I256::MINUS_ONE,
            sqrtPriceX96: U160::from(1u64 << 40),
            liquidity: 77,
            tick: I24::try_from(-5).expect("fits"),
        };
        let logs = vec![
            log(v2b, &sync(1, 2)),
            log(other, &sync(5, 5)),
            log(v3, &swap),
            log(v2a, &sync(3, 4)),
            log(v2b, &sync(6, 7)),
            // A V3 Swap from an address tracked as V2 is not believed.
            log(v2a, &swap),
        ];
        let (pools, reread) = touched_pools(&logs, &lookup);
        assert!(reread.is_empty());
        assert_eq!(
            pools,
            vec![
                TouchedPool {
                    address: v2b,
                    state: PredictedState::V2 { reserve0: 6, reserve1: 7 }
                },
                TouchedPool {
                    address: v3,
                    state: PredictedState::V3 {
                        sqrt_price_x96: U160::from(1u64 << 40),
                        liquidity: 77,
                        tick: -5,
                        ticks_changed: false,
                    },
                },
                TouchedPool {
                    address: v2a,
                    state: PredictedState::V2 { reserve0: 3, reserve1: 4 }
                },
            ]
        );
    }

    #[test]
    fn v3_mint_and_burn_ask_for_a_reread_but_a_fee_poke_does_not() {
        let (v3, owner) = (Address::repeat_byte(3), Address::repeat_byte(4));
        let lookup = move |a: Address| (a == v3).then_some(Protocol::UniswapV3);
        let tick = |t: i32| I24::try_from(t).expect("fits");
        let burn = |amount: u128| IUniswapV3Pool::Burn {
            owner,
            tickLower: tick(-60),
            tickUpper: tick(60),
            amount,
            amount0: U256::ZERO,
            amount1: U256::ZERO,
        };
        let (_, reread) = touched_pools(&[log(v3, &burn(0))], &lookup);
        assert!(reread.is_empty(), "a zero burn only collects fees");
        let (pools, reread) = touched_pools(&[log(v3, &burn(5)), log(v3, &burn(6))], &lookup);
        assert!(pools.is_empty());
        assert_eq!(reread, vec![v3]);
    }
}

//! What a MEV-Share hint reveals about the tracked pools, without running anything.
//!
//! A hint is not a transaction: there is nothing to run in revm. What it shares decides what
//! the strategy can know:
//!
//! - a log **with its data** (the user shared `logs`): a V2 `Sync` gives the pair's reserves
//!   and a V3 `Swap` the pool's price, liquidity and tick after the victim, exactly as predict
//!   reads them from a mempool transaction's logs ([`HintView::exact`], the same
//!   [`TouchedPool`]s);
//! - a swap log **without its data** (the default hints: the pool and the topics, the amounts
//!   removed): the pool moved, by an unknown amount in an unknown direction
//!   ([`HintView::hidden`]);
//! - nothing about a tracked pool (the hash only, calldata of an unknown contract, logs of
//!   untracked pools): a typed skip ([`HintSkip`]).
//!
//! Hostile hints (logs with empty topics, garbage data, unknown events) never panic: what does
//! not decode is not believed.

use super::pools::{PoolLookup, Protocol, TouchedPool, touched_pools};
use crate::abi::{IUniswapV2Pair, IUniswapV3Pool};
use alloy::{
    primitives::{Address, Log, TxHash},
    rpc::types::mev::mevshare::Event,
    sol_types::SolEvent,
};

crate::skip_reasons! {
    /// Why a MEV-Share hint gives the strategy nothing to work on (the `reason` label of
    /// `searcher_skips_total{stage="hint"}`).
    pub enum HintSkip for "hint" {
        /// Neither logs nor transaction details.
        HashOnly => "hash_only",
            "The user shared only the transaction's hash: nothing says which pool it moves. Normal.";
        /// Nothing about a tracked pool.
        NoTrackedPool => "no_tracked_pool",
            "The hint's logs name no tracked pool's swap (another protocol, an untracked pool, or no swap at all). Normal; many: check market discovery.";
    }
}

/// A tracked pool a hint says was swapped, with the amounts hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HiddenSwap {
    /// The pool.
    pub pool: Address,
    /// Its protocol (tracked as such, and the log's event matches it).
    pub protocol: Protocol,
}

/// What one hint reveals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HintView {
    /// The private transaction (or bundle) the hint is about: what a backrun references.
    pub hash: TxHash,
    /// Pools whose post-state the hint gives exactly, in order of first touch.
    pub exact: Vec<TouchedPool>,
    /// Tracked pools swapped with the amounts hidden (none of them in `exact`), in order.
    pub hidden: Vec<HiddenSwap>,
}

/// Reads `event` against the tracked pools.
pub fn read_hint(event: &Event, lookup: &dyn PoolLookup) -> Result<HintView, HintSkip> {
    if event.logs.is_empty() && event.transactions.is_empty() {
        return Err(HintSkip::HashOnly);
    }
    let with_data: Vec<Log> = event
        .logs
        .iter()
        .filter(|l| !l.data.is_empty())
        .map(|l| Log::new_unchecked(l.address, l.topics.clone(), l.data.clone()))
        .collect();
    // V3 Mint/Burn re-reads need the pool itself: a hint cannot give them, so a pool whose
    // liquidity changed is not believed exact (it stays hidden if a swap log names it).
    let (exact, reread) = touched_pools(&with_data, lookup);
    let exact: Vec<TouchedPool> =
        exact.into_iter().filter(|p| !reread.contains(&p.address)).collect();
    let mut hidden: Vec<HiddenSwap> = Vec::new();
    for log in &event.logs {
        let Some(topic0) = log.topics.first() else { continue };
        let protocol = if *topic0 == IUniswapV2Pair::Swap::SIGNATURE_HASH {
            Protocol::UniswapV2
        } else if *topic0 == IUniswapV3Pool::Swap::SIGNATURE_HASH {
            Protocol::UniswapV3
        } else {
            continue;
        };
        let known = exact.iter().any(|p| p.address == log.address)
            || hidden.iter().any(|h| h.pool == log.address);
        if !known && lookup.kind(log.address) == Some(protocol) {
            hidden.push(HiddenSwap { pool: log.address, protocol });
        }
    }
    if exact.is_empty() && hidden.is_empty() {
        return Err(HintSkip::NoTrackedPool);
    }
    Ok(HintView { hash: event.hash, exact, hidden })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::predict::PredictedState;
    use alloy::{
        primitives::{B256, Bytes, I256, U256, aliases::I24, aliases::U112, aliases::U160},
        rpc::types::mev::mevshare::{EventTransaction, EventTransactionLog},
    };
    use proptest::prelude::*;

    const V2: Address = Address::repeat_byte(2);
    const V3: Address = Address::repeat_byte(3);
    const OTHER: Address = Address::repeat_byte(9);

    fn lookup(a: Address) -> Option<Protocol> {
        match a {
            V2 => Some(Protocol::UniswapV2),
            V3 => Some(Protocol::UniswapV3),
            _ => None,
        }
    }

    fn v2_swap() -> IUniswapV2Pair::Swap {
        IUniswapV2Pair::Swap {
            sender: OTHER,
            amount0In: U256::from(5),
            amount1In: U256::ZERO,
            amount0Out: U256::ZERO,
            amount1Out: U256::from(4),
            to: OTHER,
        }
    }

    fn v3_swap() -> IUniswapV3Pool::Swap {
        IUniswapV3Pool::Swap {
            sender: OTHER,
            recipient: OTHER,
            amount0: I256::ONE,
            amount1: I256::MINUS_ONE,
            sqrtPriceX96: U160::from(1u64 << 40),
            liquidity: 77,
            tick: I24::try_from(-5).expect("fits"),
        }
    }

    /// The log of `event` at `address`, with its data or with the data removed.
    fn log<E: SolEvent>(address: Address, event: &E, with_data: bool) -> EventTransactionLog {
        let data = event.encode_log_data();
        EventTransactionLog {
            address,
            topics: data.topics().to_vec(),
            data: if with_data { data.data } else { Bytes::new() },
        }
    }

    fn event(logs: Vec<EventTransactionLog>) -> Event {
        Event { hash: B256::repeat_byte(1), transactions: Vec::new(), logs }
    }

    #[test]
    fn default_hints_name_the_pools_with_amounts_hidden() {
        let view = read_hint(
            &event(vec![log(V2, &v2_swap(), false), log(V3, &v3_swap(), false)]),
            &lookup,
        )
        .expect("tracked pools");
        assert!(view.exact.is_empty());
        assert_eq!(
            view.hidden,
            vec![
                HiddenSwap { pool: V2, protocol: Protocol::UniswapV2 },
                HiddenSwap { pool: V3, protocol: Protocol::UniswapV3 },
            ]
        );
        assert_eq!(view.hash, B256::repeat_byte(1));
    }

    #[test]
    fn full_logs_give_the_exact_post_state() {
        let sync = IUniswapV2Pair::Sync { reserve0: U112::from(10), reserve1: U112::from(20) };
        let view = read_hint(
            &event(vec![
                log(V2, &v2_swap(), true),
                log(V2, &sync, true),
                log(V3, &v3_swap(), true),
            ]),
            &lookup,
        )
        .expect("tracked pools");
        assert!(view.hidden.is_empty(), "a pool known exactly is not also hidden");
        assert_eq!(
            view.exact,
            vec![
                TouchedPool {
                    address: V2,
                    state: PredictedState::V2 { reserve0: 10, reserve1: 20 }
                },
                TouchedPool {
                    address: V3,
                    state: PredictedState::V3 {
                        sqrt_price_x96: U160::from(1u64 << 40),
                        liquidity: 77,
                        tick: -5,
                        ticks_changed: false,
                    },
                },
            ]
        );
        // A V2 Swap with its data but no Sync: the amounts, not the reserves; still hidden.
        let view = read_hint(&event(vec![log(V2, &v2_swap(), true)]), &lookup).expect("tracked");
        assert_eq!(view.hidden, vec![HiddenSwap { pool: V2, protocol: Protocol::UniswapV2 }]);
    }

    #[test]
    fn skips() {
        assert_eq!(read_hint(&event(vec![]), &lookup), Err(HintSkip::HashOnly));
        // Calldata alone of an unknown contract, untracked pools, events of the wrong kind.
        let mut calldata = event(vec![]);
        calldata.transactions.push(EventTransaction {
            to: Some(OTHER),
            function_selector: None,
            calldata: Some(Bytes::from_static(&[1, 2, 3, 4])),
        });
        assert_eq!(read_hint(&calldata, &lookup), Err(HintSkip::NoTrackedPool));
        assert_eq!(
            read_hint(&event(vec![log(OTHER, &v2_swap(), false)]), &lookup),
            Err(HintSkip::NoTrackedPool)
        );
        assert_eq!(
            read_hint(&event(vec![log(V2, &v3_swap(), false), log(V3, &v2_swap(), true)]), &lookup),
            Err(HintSkip::NoTrackedPool),
            "a V3 Swap from a V2 pair (or the reverse) is not believed"
        );
    }

    proptest! {
        /// Hostile logs (any topics, any data, tracked or not): no panic, and whatever is
        /// reported is a tracked pool of the right kind.
        #[test]
        fn hostile_logs(logs in proptest::collection::vec(
            (0u8..4, proptest::collection::vec(0u8..4, 0..4), proptest::collection::vec(any::<u8>(), 0..200)),
            0..8,
        )) {
            let topics = [
                IUniswapV2Pair::Swap::SIGNATURE_HASH,
                IUniswapV2Pair::Sync::SIGNATURE_HASH,
                IUniswapV3Pool::Swap::SIGNATURE_HASH,
                B256::repeat_byte(7),
            ];
            let addresses = [V2, V3, OTHER, Address::ZERO];
            let logs = logs
                .into_iter()
                .map(|(a, t, data)| EventTransactionLog {
                    address: addresses[usize::from(a)],
                    topics: t.into_iter().map(|i| topics[usize::from(i)]).collect(),
                    data: data.into(),
                })
                .collect();
            if let Ok(view) = read_hint(&event(logs), &lookup) {
                for p in &view.exact {
                    prop_assert!(lookup(p.address).is_some());
                }
                for h in &view.hidden {
                    prop_assert_eq!(lookup(h.pool), Some(h.protocol));
                    prop_assert!(view.exact.iter().all(|p| p.address != h.pool));
                }
            }
        }
    }
}

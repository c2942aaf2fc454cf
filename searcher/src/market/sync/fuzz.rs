//! Hostile logs (issue 12) through [`Market::apply_log`]: every event the sync decodes, from
//! tracked pools, factories and strangers, with words replaced by extreme values, truncated or
//! padded data and wrong topics; then what the block's end does with the pools (the tick
//! window, flags, the cycle index) and a quote through each. A log applies, is ignored, marks
//! its pool for a re-read, or is a typed decode error; nothing panics.

use super::*;
use crate::market::{
    FactoryConfig, FactoryKind, PoolId, PoolKind, PoolState,
    loader::window_words,
    math::{Quote, TickWindow, V2Fee, V2Pool, V3PoolState},
    pool::{CreatedAt, Pool},
};
use alloy::{
    primitives::{
        Address, I256, LogData, U256,
        aliases::{I24, U24, U112, U160},
    },
    sol_types::SolEvent,
};
use proptest::{prelude::*, sample::select};

const V2: Address = Address::repeat_byte(0x01);
const V3: Address = Address::repeat_byte(0x03);
/// A V3 pool not yet initialized (no state).
const V3_NEW: Address = Address::repeat_byte(0x04);
const V2_FACTORY: Address = Address::repeat_byte(0xf2);
const V3_FACTORY: Address = Address::repeat_byte(0xf3);

/// `FUZZ_CASES` (as in the integration fuzz tests), else 2,000.
fn config() -> ProptestConfig {
    crate::fuzz_config()
}

fn market() -> Market {
    let factory =
        |kind, address| FactoryConfig { dex: "dex".into(), kind, address, start_block: 0 };
    let config = crate::market::MarketConfig {
        factories: vec![
            factory(FactoryKind::UNISWAP_V2, V2_FACTORY),
            factory(FactoryKind::UniswapV3, V3_FACTORY),
        ],
        ..Default::default()
    };
    let mut market = Market::new(config);
    let pool = |address: Address, kind| Pool {
        id: PoolId::Contract(address),
        kind,
        dex: "dex".into(),
        factory: Address::ZERO,
        token0: Address::with_last_byte(0xa0),
        token1: Address::with_last_byte(0xa1),
        created: CreatedAt { block: 0, log_index: 0 },
    };
    let v3 = V3PoolState::new(
        U256::from(1u128 << 96),
        0,
        1_000_000_000_000,
        3_000,
        60,
        TickWindow::FULL,
    )
    .expect("a valid pool");
    market.insert_pool(
        pool(V2, PoolKind::UniswapV2 { fee: V2Fee::UNISWAP }),
        Some(PoolState::UniswapV2(V2Pool {
            reserve0: 10u128.pow(21),
            reserve1: 10u128.pow(21),
            fee: V2Fee::UNISWAP,
        })),
    );
    market.insert_pool(
        pool(V3, PoolKind::UniswapV3 { fee: 3_000, tick_spacing: 60 }),
        Some(PoolState::UniswapV3(v3)),
    );
    market.insert_pool(pool(V3_NEW, PoolKind::UniswapV3 { fee: 500, tick_spacing: 10 }), None);
    market
}

/// One valid log of each event, with extreme values.
fn events() -> Vec<LogData> {
    let a = Address::repeat_byte(9);
    let tick = |t: i32| I24::try_from(t).expect("fits int24");
    vec![
        IUniswapV2Pair::Sync { reserve0: U112::MAX, reserve1: U112::from(1) }.encode_log_data(),
        IUniswapV3Pool::Swap {
            sender: a,
            recipient: a,
            amount0: I256::MIN,
            amount1: I256::MAX,
            sqrtPriceX96: U160::from(1u64 << 40),
            liquidity: u128::MAX,
            tick: tick(-887_272),
        }
        .encode_log_data(),
        IUniswapV3Pool::Mint {
            sender: a,
            owner: a,
            tickLower: tick(-60),
            tickUpper: tick(60),
            amount: u128::MAX,
            amount0: U256::MAX,
            amount1: U256::ZERO,
        }
        .encode_log_data(),
        IUniswapV3Pool::Burn {
            owner: a,
            tickLower: tick(-887_220),
            tickUpper: tick(887_220),
            amount: 1,
            amount0: U256::ZERO,
            amount1: U256::ZERO,
        }
        .encode_log_data(),
        IUniswapV3Pool::Initialize { sqrtPriceX96: U160::from(1u64 << 32), tick: tick(0) }
            .encode_log_data(),
        IUniswapV2Factory::PairCreated { token0: a, token1: a, pair: V2, _3: U256::MAX }
            .encode_log_data(),
        IUniswapV3Factory::PoolCreated {
            token0: a,
            token1: a,
            fee: U24::MAX,
            tickSpacing: tick(-1),
            pool: Address::repeat_byte(0x05),
        }
        .encode_log_data(),
    ]
}

/// A word a decoder may not expect: all ones, zero, a value just past a narrow type, random.
fn word() -> impl Strategy<Value = [u8; 32]> {
    prop_oneof![
        Just([0xff; 32]),
        Just([0; 32]),
        (1usize..32, any::<u8>()).prop_map(|(at, x)| {
            let mut w = [0; 32];
            w[at] = x | 1;
            w
        }),
        (0usize..32).prop_map(|at| {
            let mut w = [0xff; 32];
            w[..at].fill(0);
            w
        }),
        any::<[u8; 32]>(),
    ]
}

fn log_data() -> impl Strategy<Value = LogData> {
    let topics = events().iter().map(|e| e.topics()[0]).collect::<Vec<_>>();
    prop_oneof![
        3 => (
            select(events()),
            prop::collection::vec((any::<usize>(), word()), 0..4),
            prop_oneof![3 => Just(None), 1 => (0usize..300).prop_map(Some)],
        )
            .prop_map(|(log, words, len)| {
                let mut data = log.data.to_vec();
                let count = data.len() / 32;
                for (at, w) in words {
                    if count > 0 {
                        let at = at % count * 32;
                        data[at..at + 32].copy_from_slice(&w);
                    }
                }
                if let Some(len) = len {
                    data.resize(len.min(data.len() + 64), 0);
                }
                LogData::new_unchecked(log.topics().to_vec(), data.into())
            }),
        1 => (
            prop::collection::vec(prop_oneof![3 => select(topics), 1 => any::<[u8; 32]>().prop_map(B256::from)], 0..5),
            prop::collection::vec(word(), 0..9),
        )
            .prop_map(|(topics, words)| LogData::new_unchecked(topics, words.concat().into())),
    ]
}

fn log() -> impl Strategy<Value = Log> {
    let addresses = vec![V2, V3, V3_NEW, V2_FACTORY, V3_FACTORY, Address::repeat_byte(0x77)];
    (select(addresses), log_data(), any::<u64>()).prop_map(|(address, data, index)| Log {
        inner: alloy::primitives::Log { address, data },
        block_number: Some(1),
        log_index: Some(index),
        ..Default::default()
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fuzz_apply_log(logs in prop::collection::vec(log(), 1..6), amount in any::<u128>()) {
        let mut market = market();
        let block = BlockRef { number: 1, hash: B256::repeat_byte(1), parent_hash: B256::ZERO };
        let mut undo = UndoBlock {
            block,
            prev_head: block,
            pools_len: market.pools.len(),
            tokens_len: market.tokens.len(),
            cycles_len: market.index.cycles_len(),
            pools: Vec::new(),
            tokens: Vec::new(),
            indexed: Vec::new(),
        };
        let mut touched = HashSet::new();
        for log in &logs {
            match market.apply_log(log, 1, &mut undo, &mut touched) {
                Ok(_) => {}
                Err(e) => prop_assert!(matches!(e, MarketError::Decode { .. }), "{e}"),
            }
        }
        // What the block's end does with every pool, and a quote through each.
        for i in 0..market.pools.len() {
            let idx = PoolIdx(i as u32);
            if let Some(PoolState::UniswapV3(s)) = &market.pools[i].state {
                let _ = window_words(market.config.load.tick_window, s.tick, s.tick_spacing);
            }
            market.refresh_flags(idx);
            let _ = market.index_if_healthy(idx);
            if let Some(state) = &market.pools[i].state {
                let _ = state.has_liquidity();
                for zero_for_one in [true, false] {
                    let _ = state.marginal_hop(zero_for_one);
                    let _ = state.amount_out(zero_for_one, U256::from(amount));
                    let _ = state.amount_in(zero_for_one, U256::from(amount));
                }
            }
        }
    }
}

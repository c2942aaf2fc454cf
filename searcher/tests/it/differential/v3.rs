//! V3: random pools, positions, mints, burns and swaps (exact input and output, both
//! directions, with and without price limits, across many ticks and empty bitmap words) on
//! the real `UniswapV3Pool`. Every swap's amounts, price, tick and liquidity must equal the
//! pool's, every swap the pool reverts must be an error here, and a state that loaded only a
//! window of ticks must answer exactly the same or refuse.
//!
//! `V3_DIFF_SWAPS` sets the number of swaps (default 2,000); for a long run,
//! `V3_DIFF_SWAPS=20000 cargo test --release -p searcher --lib differential`.

use alloy::primitives::{Address, I256, U256, aliases::I24, aliases::U24, aliases::U160};
use rand::{Rng, SeedableRng, rngs::StdRng};

use super::abi::{IV3Driver as IDriver, IV3Factory as IFactory, IV3Pool as IPool};
use super::{Chain, artifact, cases, driver_code, log_uniform};
use searcher::market::math::MathError;
use searcher::market::math::v3::state::max_liquidity_per_tick;
use searcher::market::math::v3::tick_math::{get_sqrt_ratio_at_tick, get_tick_at_sqrt_ratio};
use searcher::market::math::v3::{
    MAX_SQRT_RATIO, MAX_TICK, MIN_SQRT_RATIO, MIN_TICK, TickWindow, V3PoolState, V3SwapResult,
};

fn u160(x: U256) -> U160 {
    U160::from_limbs([x.as_limbs()[0], x.as_limbs()[1], x.as_limbs()[2]])
}

fn i24(x: i32) -> I24 {
    I24::try_from(x).expect("tick fits int24")
}

#[derive(Debug, Default)]
struct Stats {
    swaps: u32,
    reverts: u32,
    crossed: u64,
    max_crossed: u32,
    windowed_ok: u32,
    windowed_refused: u32,
    mints: u32,
    burns: u32,
}

struct Pool {
    address: Address,
    state: V3PoolState,
    positions: Vec<(i32, i32, u128)>,
}

impl Pool {
    /// Mints or burns on chain and in the state, then compares the pool's liquidity and the
    /// two ticks.
    fn modify(
        &mut self,
        chain: &mut Chain,
        driver: Address,
        lo: i32,
        hi: i32,
        amount: u128,
        mint: bool,
    ) {
        let (chain_result, local) = if mint {
            let call =
                IDriver::mintCall { pool: self.address, lower: i24(lo), upper: i24(hi), amount };
            (chain.call(driver, &call).map(|_| ()), self.state.apply_mint(lo, hi, amount))
        } else {
            let call =
                IDriver::burnCall { pool: self.address, lower: i24(lo), upper: i24(hi), amount };
            (chain.call(driver, &call).map(|_| ()), self.state.apply_burn(lo, hi, amount))
        };
        assert_eq!(
            chain_result.is_ok(),
            local.is_ok(),
            "mint={mint} [{lo}, {hi}] {amount}: chain {chain_result:?}, math {local:?}"
        );
        let liquidity = chain.call(self.address, &IPool::liquidityCall {}).expect("view");
        assert_eq!(liquidity, self.state.liquidity);
        for t in [lo, hi] {
            let info = chain.call(self.address, &IPool::ticksCall { tick: i24(t) }).expect("view");
            let local = self.state.ticks.get(&t).copied().unwrap_or_default();
            assert_eq!(
                (info.liquidityGross, info.liquidityNet),
                (local.liquidity_gross, local.liquidity_net),
                "tick {t}"
            );
        }
    }
}

fn random_tick_range(rng: &mut StdRng, center: i32, spacing: i32) -> (i32, i32) {
    let (min, max) = ((MIN_TICK / spacing) * spacing, (MAX_TICK / spacing) * spacing);
    let span = spacing * 256 * 3;
    let pick = |rng: &mut StdRng| {
        ((center + rng.random_range(-span..=span)) / spacing * spacing).clamp(min, max)
    };
    let (a, b) = (pick(rng), pick(rng));
    if a == b {
        return if a + spacing <= max { (a, a + spacing) } else { (a - spacing, a) };
    }
    (a.min(b), a.max(b))
}

#[test]
fn swaps_match_the_real_pool() {
    let factory_code = match artifact(
        "@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json",
    ) {
        Ok(code) => code,
        Err(reason) => {
            eprintln!("skipped: v3 differential test needs the v3-core artifacts: {reason}");
            return;
        }
    };
    let target = cases("V3_DIFF_SWAPS", 2_000);
    let mut rng = StdRng::seed_from_u64(0x5eed_0fa3);
    let mut chain = Chain::new();
    let factory = chain.create(factory_code);
    // The 0.01% tier (spacing 1) is enabled by the factory owner, as on mainnet.
    let enable = IFactory::enableFeeAmountCall { fee: U24::from(100), tickSpacing: i24(1) };
    chain.call(factory, &enable).expect("enableFeeAmount");
    let driver = chain.create(driver_code("V3Driver"));
    let mut stats = Stats::default();

    while stats.swaps + stats.reverts < target {
        let (fee, spacing) =
            [(100u32, 1i32), (500, 10), (3000, 60), (10_000, 200)][rng.random_range(0..4)];
        let token_a = chain.create(driver_code("MockToken"));
        let token_b = chain.create(driver_code("MockToken"));
        let call =
            IFactory::createPoolCall { tokenA: token_a, tokenB: token_b, fee: U24::from(fee) };
        let address = chain.call(factory, &call).expect("createPool");
        // Any price: a random tick and a random point inside it.
        let t = rng.random_range(-300_000..300_000);
        let lo_price = get_sqrt_ratio_at_tick(t).expect("in range");
        let width = get_sqrt_ratio_at_tick(t + 1).expect("in range") - lo_price;
        let price = lo_price + U256::from(rng.random::<u128>()) % width;
        chain
            .call(address, &IPool::initializeCall { sqrtPriceX96: u160(price) })
            .expect("initialize");
        let slot0 = chain.call(address, &IPool::slot0Call {}).expect("view");
        let tick = slot0.tick.as_i32();
        assert_eq!(get_tick_at_sqrt_ratio(price), Ok(tick));
        let state =
            V3PoolState::new(price, tick, 0, fee, spacing, TickWindow::FULL).expect("valid");
        let mut pool = Pool { address, state, positions: Vec::new() };

        let max_l = max_liquidity_per_tick(spacing) / 64;
        for _ in 0..rng.random_range(1..14) {
            let (lo, hi) = random_tick_range(&mut rng, tick, spacing);
            let amount = log_uniform(&mut rng, 90).min(max_l);
            pool.modify(&mut chain, driver, lo, hi, amount, true);
            pool.positions.push((lo, hi, amount));
            stats.mints += 1;
        }

        for _ in 0..rng.random_range(10..60) {
            // Now and then a burn (part or all of a position) or another mint.
            // (Burning an empty position reverts on chain ('NP'): no event, nothing to apply.)
            pool.positions.retain(|p| p.2 > 0);
            if rng.random_bool(0.1) && !pool.positions.is_empty() {
                let k = rng.random_range(0..pool.positions.len());
                let (lo, hi, l) = pool.positions[k];
                let part = if rng.random_bool(0.5) { l } else { rng.random_range(0..=l) };
                pool.modify(&mut chain, driver, lo, hi, part, false);
                pool.positions[k].2 -= part;
                stats.burns += 1;
            } else if rng.random_bool(0.05) {
                let (lo, hi) = random_tick_range(&mut rng, pool.state.tick, spacing);
                let amount = log_uniform(&mut rng, 90).min(max_l);
                pool.modify(&mut chain, driver, lo, hi, amount, true);
                pool.positions.push((lo, hi, amount));
                stats.mints += 1;
            }

            let zero_for_one = rng.random_bool(0.5);
            let magnitude = I256::try_from(log_uniform(&mut rng, 96)).expect("fits");
            let amount = if rng.random_bool(0.5) { magnitude } else { -magnitude };
            // Far limits walk every empty word to the end of the range: only with wide spacing.
            let far =
                if zero_for_one { MIN_SQRT_RATIO + U256::ONE } else { MAX_SQRT_RATIO - U256::ONE };
            let limit = if spacing >= 10 && rng.random_bool(0.3) {
                far
            } else {
                let words = rng.random_range(0..6) * 256 * spacing
                    + rng.random_range(-spacing..=spacing * 40);
                let t =
                    if zero_for_one { pool.state.tick - words } else { pool.state.tick + words };
                get_sqrt_ratio_at_tick(t.clamp(MIN_TICK + 1, MAX_TICK - 1)).expect("in range")
                    + U256::from(rng.random::<u32>())
            };

            let before = pool.state.clone();
            let predicted = pool.state.swap(zero_for_one, amount, limit);
            let call = IDriver::swapCall {
                pool: address,
                zeroForOne: zero_for_one,
                amountSpecified: amount,
                limit: u160(limit),
            };
            let actual = chain.call(driver, &call);
            match (&predicted, &actual) {
                (Ok(p), Ok(out)) => {
                    let slot0 = chain.call(address, &IPool::slot0Call {}).expect("view");
                    let liquidity = chain.call(address, &IPool::liquidityCall {}).expect("view");
                    let chain_result = V3SwapResult {
                        amount0: out._0,
                        amount1: out._1,
                        sqrt_price_x96: U256::from(slot0.sqrtPriceX96),
                        tick: slot0.tick.as_i32(),
                        liquidity,
                        ticks_crossed: p.ticks_crossed,
                    };
                    assert_eq!(
                        *p, chain_result,
                        "swap {zero_for_one} {amount} limit {limit} on {before:?}"
                    );
                    pool.state.apply_swap_result(p);
                    stats.swaps += 1;
                    stats.crossed += u64::from(p.ticks_crossed);
                    stats.max_crossed = stats.max_crossed.max(p.ticks_crossed);
                }
                (Err(e), Err(_)) => {
                    assert!(e.is_revert(), "{e:?}");
                    stats.reverts += 1;
                }
                _ => panic!(
                    "math {predicted:?} vs chain {actual:?}: swap {zero_for_one} {amount} limit {limit} on {before:?}"
                ),
            }

            // The same swap on a state that only loaded a window: exact, or refused.
            let mut windowed = before.clone();
            let (below, above) = (rng.random_range(0..4_000), rng.random_range(0..4_000));
            windowed.window = TickWindow {
                lower: before.tick - below * spacing,
                upper: before.tick + above * spacing,
            };
            windowed.ticks.retain(|t, _| windowed.window.contains(*t));
            match windowed.swap(zero_for_one, amount, limit) {
                Err(MathError::LeavesLoadedWindow) => stats.windowed_refused += 1,
                other => {
                    assert_eq!(other, predicted, "windowed {:?}", windowed.window);
                    stats.windowed_ok += 1;
                }
            }
        }
    }
    eprintln!("v3 differential: {stats:?}");
    assert!(stats.crossed > u64::from(stats.swaps) / 2, "swaps should cross ticks: {stats:?}");
}

//! Criterion benchmarks for the exact AMM math (`searcher::market::math`): a V2 amount-out,
//! V3 swaps crossing 0, 1 and 5 initialized ticks, and whole cycle evaluations including
//! optimal sizing (V2 closed form for 2 and 3 hops, golden-section search for V3 + V2).
//!
//! `cargo bench -p searcher --bench amm_math -- --warm-up-time 1 --measurement-time 3`;
//! figures go to BENCHMARKS.md ("AMM math").

use std::hint::black_box;

use alloy::primitives::{I256, U256};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use searcher::market::math::sizing::{golden_section_max, optimal_v2_cycle, v2_chain_amount_out};
use searcher::market::math::v3::MIN_SQRT_RATIO;
use searcher::market::math::v3::tick_math::get_sqrt_ratio_at_tick;
use searcher::market::math::{Quote, TickWindow, V2Fee, V2Hop, V2Pool, V3PoolState};

const E18: u128 = 1_000_000_000_000_000_000;

fn v2_amount_out(c: &mut Criterion) {
    let pool = V2Pool { reserve0: 1_000 * E18, reserve1: 2_000_000 * E18, fee: V2Fee::UNISWAP };
    let amount = U256::from(E18);
    let mut g = c.benchmark_group("v2");
    g.throughput(Throughput::Elements(1));
    g.bench_function("amount_out", |b| b.iter(|| pool.amount_out(true, black_box(amount))));
    g.finish();
}

/// A 0.3% pool (spacing 60) in the middle of bitmap word -1, with nested positions whose
/// edges sit every 600 ticks on each side: a swap down to `-600 * k - 300` ticks below the
/// centre crosses exactly k initialized ticks and never leaves the word.
fn nested_pool() -> V3PoolState {
    let center = -7_680;
    let price = get_sqrt_ratio_at_tick(center + 30).expect("tick in range");
    let mut pool =
        V3PoolState::new(price, center + 30, 0, 3_000, 60, TickWindow::FULL).expect("valid pool");
    for k in 1..=6 {
        pool.apply_mint(center - 600 * k, center + 600 * k, E18 * k as u128 * 1_000)
            .expect("valid position");
    }
    pool
}

fn v3_swap(c: &mut Criterion) {
    let pool = nested_pool();
    let mut g = c.benchmark_group("v3_swap");
    g.throughput(Throughput::Elements(1));
    for crossed in [0u32, 1, 5] {
        let limit = get_sqrt_ratio_at_tick(-7_680 - 600 * crossed as i32 - 300).expect("in range");
        let amount = I256::try_from(10u128.pow(30)).expect("fits");
        let r = pool.swap(true, amount, limit).expect("swap");
        assert_eq!(r.ticks_crossed, crossed, "fixture");
        g.bench_function(format!("exact_in_cross_{crossed}"), |b| {
            b.iter(|| pool.swap(true, black_box(amount), black_box(limit)))
        });
    }
    g.finish();
}

fn hop(r_in: u128, r_out: u128) -> V2Hop {
    V2Hop { reserve_in: U256::from(r_in), reserve_out: U256::from(r_out), fee: V2Fee::UNISWAP }
}

#[expect(clippy::print_stderr, reason = "prints the fixture's shape for BENCHMARKS.md")]
fn cycles(c: &mut Criterion) {
    let mut g = c.benchmark_group("cycle");
    g.throughput(Throughput::Elements(1));

    // WETH -> X (2100 X/WETH) -> WETH (2000 X/WETH).
    let two = [hop(1_000 * E18, 2_100_000 * E18), hop(2_000_000 * E18, 1_000 * E18)];
    assert!(optimal_v2_cycle(&two).expect("valid").is_some(), "fixture");
    g.bench_function("v2_2hop_closed_form", |b| b.iter(|| optimal_v2_cycle(black_box(&two))));

    // WETH -> X -> Y -> WETH with a 1.5% mispricing on the way.
    let three = [
        hop(1_000 * E18, 2_000_000 * E18),
        hop(2_000_000 * E18, 30_000_000 * E18),
        hop(15_000_000 * E18, 5_075 * E18 / 10),
    ];
    assert!(optimal_v2_cycle(&three).expect("valid").is_some(), "fixture");
    g.bench_function("v2_3hop_closed_form", |b| b.iter(|| optimal_v2_cycle(black_box(&three))));

    // WETH -> X on a V3 pool (token0 = WETH, ~2000 X/WETH, 0.3%), X -> WETH on a V2 pair that
    // values X 1.5% higher. The V3 side crosses initialized ticks near the optimum.
    let tick = 76_020; // 1.0001^76020 ~ 2000
    let mut v3 = V3PoolState::new(
        get_sqrt_ratio_at_tick(tick + 7).expect("in range"),
        tick + 7,
        0,
        3_000,
        60,
        TickWindow::FULL,
    )
    .expect("valid pool");
    // Positions ending every 60 ticks below the price, so the sized trade crosses some.
    for k in 0..20 {
        v3.apply_mint(tick - 60 * k, tick + 60 * (k + 1), 200 * E18).expect("valid position");
    }
    let v2 = V2Pool { reserve0: 1_970_000 * E18, reserve1: 1_000 * E18, fee: V2Fee::UNISWAP };
    let quote = |x: U256| v3.amount_out(true, x).and_then(|y| v2.amount_out(true, y));
    let hi = U256::from(1_000 * E18);
    let sized = golden_section_max(quote, U256::ONE, hi, 200).expect("profitable fixture");
    let crossed = v3
        .swap(true, I256::from_raw(sized.amount_in), MIN_SQRT_RATIO + U256::ONE)
        .expect("swap")
        .ticks_crossed;
    let mut evals = 0u32;
    let _ = golden_section_max(
        |x| {
            evals += 1;
            quote(x)
        },
        U256::ONE,
        hi,
        200,
    );
    eprintln!(
        "v3+v2 fixture: optimum {} wei in, profit {} wei, {crossed} ticks crossed, {evals} quotes per sizing",
        sized.amount_in, sized.profit
    );
    g.bench_function("v3_v2_golden_section", |b| {
        b.iter(|| golden_section_max(quote, U256::ONE, black_box(hi), 200))
    });
    // One quote of the same cycle, for scale.
    g.bench_function("v3_v2_single_quote", |b| b.iter(|| quote(black_box(sized.amount_in))));
    g.bench_function("v2_2hop_single_quote", |b| {
        b.iter(|| v2_chain_amount_out(&two, black_box(U256::from(10 * E18))))
    });
    g.finish();
}

/// The building blocks, to see where a swap step's time goes.
fn primitives(c: &mut Criterion) {
    use searcher::market::math::v3::full_math::mul_div;
    use searcher::market::math::v3::swap_math::compute_swap_step;
    use searcher::market::math::v3::tick_math::get_tick_at_sqrt_ratio;
    let mut g = c.benchmark_group("primitives");
    let (a, b, d) = (U256::from(E18) << 60, U256::from(E18) << 30, U256::from(3) << 150);
    g.bench_function("mul_div_256", |bn| {
        bn.iter(|| mul_div(black_box(a), black_box(b), black_box(d)))
    });
    let (a, b) = (U256::from(E18) << 140, U256::from(E18) << 100);
    g.bench_function("mul_div_512", |bn| {
        bn.iter(|| mul_div(black_box(a), black_box(b), black_box(d)))
    });
    g.bench_function("get_sqrt_ratio_at_tick", |bn| {
        bn.iter(|| get_sqrt_ratio_at_tick(black_box(-76_013)))
    });
    let p = get_sqrt_ratio_at_tick(76_013).expect("in range") + U256::from(12_345);
    g.bench_function("get_tick_at_sqrt_ratio", |bn| {
        bn.iter(|| get_tick_at_sqrt_ratio(black_box(p)))
    });
    let target = get_sqrt_ratio_at_tick(75_000).expect("in range");
    let rem = I256::try_from(E18).expect("fits");
    g.bench_function("compute_swap_step", |bn| {
        bn.iter(|| compute_swap_step(black_box(p), black_box(target), 10u128.pow(24), rem, 3_000))
    });
    g.finish();
}

criterion_group!(benches, primitives, v2_amount_out, v3_swap, cycles);
criterion_main!(benches);

//! Uniswap V4 on the devnet: the real v4-core `PoolManager` from npm, its test routers
//! (`PoolSwapTest` for swaps, `PoolModifyLiquidityTest` for positions), and hookless pools at
//! the devnet's prices (1 ETH = 2,000 TKA = 1,000 TKB) beside the V2 and V3 pools, so cycles
//! through them mix pool kinds:
//!
//! | pool | fee | tick spacing | protocol fee |
//! | --- | --- | --- | --- |
//! | native ETH / TKA | 0.3% | 60 | none |
//! | WETH / TKB | 0.05% | 10 | none |
//! | TKA / TKB | 0.01% | 1 | 0.05% zero-for-one, 0.025% one-for-zero |
//!
//! Each pool gets a wide position and narrower ones at several ranges around the price (one
//! each side out of range), as the V3 pools do, so swaps cross initialized ticks.

use super::deploy::{deploy, ether, send, sort};
use super::{Artifact, Toolchain};
use crate::abi::{IPoolModifyLiquidityTest, IV4PoolManagerAdmin, ModifyLiquidityParams, PoolKey};
use alloy::{
    primitives::{
        Address, B256, U256,
        aliases::{I24, U24, U160},
        keccak256,
    },
    providers::DynProvider,
    sol_types::SolValue,
};
use eyre::eyre;
use searcher::{
    abi::IERC20,
    market::math::v3::{
        full_math::mul_div,
        tick_math::{get_sqrt_ratio_at_tick, get_tick_at_sqrt_ratio},
    },
};
use serde::{Deserialize, Serialize};

/// The protocol fee set on the TKA/TKB pool: 500 pips zero-for-one, 250 one-for-zero.
pub const TKA_TKB_PROTOCOL_FEE: u32 = 500 | (250 << 12);

/// Uniswap V4 contracts and pools.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct V4Dex {
    /// Name, `uniswap-v4`.
    pub name: String,
    /// The PoolManager (owner and protocol fee controller: the deployer).
    pub pool_manager: Address,
    /// v4-core's `PoolSwapTest` router.
    pub swap_router: Address,
    /// v4-core's `PoolModifyLiquidityTest` router.
    pub liquidity_router: Address,
    /// The pools created.
    pub pools: Vec<DevV4Pool>,
}

/// A V4 pool on the devnet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevV4Pool {
    /// `keccak256(abi.encode(key))`.
    pub id: B256,
    /// The lower currency (`Address::ZERO`: native ETH).
    pub currency0: Address,
    /// The higher currency.
    pub currency1: Address,
    /// The key's fee in pips (or with the dynamic-fee flag).
    pub fee: u32,
    /// Tick spacing.
    pub tick_spacing: i32,
    /// The hooks contract (zero: none).
    pub hooks: Address,
    /// `slot0.protocolFee` as set at creation.
    pub protocol_fee: u32,
}

impl DevV4Pool {
    /// The pool key, as the devnet's routers take it.
    pub fn key(&self) -> PoolKey {
        PoolKey {
            currency0: self.currency0,
            currency1: self.currency1,
            fee: U24::from(self.fee),
            tickSpacing: I24::try_from(self.tick_spacing).expect("tick spacing fits int24"),
            hooks: self.hooks,
        }
    }

    /// Whether currency0 is native ETH.
    pub fn is_native(&self) -> bool {
        self.currency0 == Address::ZERO
    }
}

/// `keccak256(abi.encode(key))`.
pub fn pool_id(key: &PoolKey) -> B256 {
    keccak256(key.abi_encode())
}

/// The V4 contracts' addresses before any pool exists.
pub(super) async fn deploy_v4(
    provider: &DynProvider,
    toolchain: &Toolchain,
    deployer: Address,
) -> eyre::Result<V4Dex> {
    let owner = (deployer,).abi_encode_params();
    let pool_manager = deploy(provider, toolchain, deployer, Artifact::PoolManager, owner).await?;
    let manager = (pool_manager,).abi_encode_params();
    let swap_router =
        deploy(provider, toolchain, deployer, Artifact::PoolSwapTest, manager.clone()).await?;
    let liquidity_router =
        deploy(provider, toolchain, deployer, Artifact::PoolModifyLiquidityTest, manager).await?;
    let admin = IV4PoolManagerAdmin::new(pool_manager, provider);
    send(
        provider,
        admin.setProtocolFeeController(deployer).from(deployer).into_transaction_request(),
        "V4 setProtocolFeeController",
    )
    .await?;
    Ok(V4Dex {
        name: "uniswap-v4".into(),
        pool_manager,
        swap_router,
        liquidity_router,
        pools: Vec::new(),
    })
}

/// One pool to create: `a` and `b` (`Address::ZERO`: native ETH), `1 a = num / den b`, the
/// amount of `a` per position, fee, spacing and protocol fee.
pub(super) struct V4Seed {
    pub a: Address,
    pub b: Address,
    pub num: u64,
    pub den: u64,
    pub a_per_position: U256,
    pub fee: u32,
    pub spacing: i32,
    pub protocol_fee: u32,
}

/// Creates the pools and their positions (the deployer approves the routers first).
pub(super) async fn seed_v4_pools(
    provider: &DynProvider,
    dex: &mut V4Dex,
    deployer: Address,
    seeds: &[V4Seed],
) -> eyre::Result<()> {
    let mut approved = Vec::new();
    for token in seeds.iter().flat_map(|s| [s.a, s.b]) {
        if token == Address::ZERO || approved.contains(&token) {
            continue;
        }
        approved.push(token);
        for spender in [dex.liquidity_router, dex.swap_router] {
            let erc20 = IERC20::new(token, provider);
            send(
                provider,
                erc20.approve(spender, U256::MAX).from(deployer).into_transaction_request(),
                "V4 approve",
            )
            .await?;
        }
    }
    for seed in seeds {
        let pool = seed_pool(provider, dex, deployer, seed).await?;
        dex.pools.push(pool);
    }
    Ok(())
}

async fn seed_pool(
    provider: &DynProvider,
    dex: &V4Dex,
    deployer: Address,
    seed: &V4Seed,
) -> eyre::Result<DevV4Pool> {
    let (currency0, currency1) = sort(seed.a, seed.b);
    let a_is_0 = currency0 == seed.a;
    // token1 per token0, as a ratio of raw amounts (every devnet token has 18 decimals).
    let (num, den) = if a_is_0 { (seed.num, seed.den) } else { (seed.den, seed.num) };
    let sqrt_price: U256 = ((U256::from(num) << 192usize) / U256::from(den)).root(2);
    let pool = DevV4Pool {
        id: B256::ZERO,
        currency0,
        currency1,
        fee: seed.fee,
        tick_spacing: seed.spacing,
        hooks: Address::ZERO,
        protocol_fee: seed.protocol_fee,
    };
    let key = pool.key();
    let pool = DevV4Pool { id: pool_id(&key), ..pool };
    let admin = IV4PoolManagerAdmin::new(dex.pool_manager, provider);
    let tx = admin
        .initialize(key.clone(), U160::from(sqrt_price))
        .from(deployer)
        .into_transaction_request();
    send(provider, tx, "V4 initialize").await?;
    if seed.protocol_fee != 0 {
        let tx = admin
            .setProtocolFee(key.clone(), U24::from(seed.protocol_fee))
            .from(deployer)
            .into_transaction_request();
        send(provider, tx, "V4 setProtocolFee").await?;
    }

    let center = get_tick_at_sqrt_ratio(sqrt_price)?;
    let spacing = seed.spacing;
    let align = |t: i32| t.div_euclid(spacing) * spacing;
    let mut ranges = vec![(align(center - 4000 * spacing), align(center + 4000 * spacing))];
    for k in 1..=6 {
        ranges.push((align(center - 10 * k * spacing), align(center + 10 * k * spacing)));
    }
    ranges.push((align(center + 3 * spacing), align(center + 40 * spacing)));
    ranges.push((align(center - 40 * spacing), align(center - 3 * spacing)));

    let a_amount = seed.a_per_position;
    let b_amount = a_amount * U256::from(seed.num) / U256::from(seed.den);
    let (amount0, amount1) = if a_is_0 { (a_amount, b_amount) } else { (b_amount, a_amount) };
    let router = IPoolModifyLiquidityTest::new(dex.liquidity_router, provider);
    for (n, (lower, upper)) in ranges.into_iter().enumerate() {
        let liquidity = liquidity_for_amounts(sqrt_price, lower, upper, amount0, amount1)?;
        let params = ModifyLiquidityParams {
            tickLower: I24::try_from(lower)?,
            tickUpper: I24::try_from(upper)?,
            liquidityDelta: liquidity.try_into()?,
            salt: B256::with_last_byte(n as u8),
        };
        // The router refunds the ETH it did not settle.
        let value = if pool.is_native() { amount0 * U256::from(2) } else { U256::ZERO };
        let tx = router
            .modifyLiquidity(key.clone(), params, Default::default())
            .value(value)
            .from(deployer)
            .into_transaction_request();
        send(provider, tx, "V4 modifyLiquidity").await?;
    }
    Ok(pool)
}

/// `LiquidityAmounts.getLiquidityForAmounts`: the most liquidity `[lower, upper)` can hold at
/// `sqrt_price` with at most `amount0` and `amount1`.
fn liquidity_for_amounts(
    sqrt_price: U256,
    lower: i32,
    upper: i32,
    amount0: U256,
    amount1: U256,
) -> eyre::Result<U256> {
    let q96 = U256::from(1) << 96;
    let (sa, sb) = (get_sqrt_ratio_at_tick(lower)?, get_sqrt_ratio_at_tick(upper)?);
    let for0 = |from: U256| -> eyre::Result<U256> {
        let intermediate = mul_div(from, sb, q96)?;
        Ok(mul_div(amount0, intermediate, sb - from)?)
    };
    let for1 = |to: U256| -> eyre::Result<U256> { Ok(mul_div(amount1, q96, to - sa)?) };
    let liquidity = if sqrt_price <= sa {
        for0(sa)?
    } else if sqrt_price < sb {
        for0(sqrt_price)?.min(for1(sqrt_price)?)
    } else {
        for1(sb)?
    };
    if liquidity.is_zero() {
        return Err(eyre!("V4 position [{lower}, {upper}) would hold no liquidity"));
    }
    Ok(liquidity)
}

/// The devnet's V4 pools: see the module doc.
pub(super) fn seeds(weth: Address, tka: Address, tkb: Address) -> Vec<V4Seed> {
    vec![
        V4Seed {
            a: Address::ZERO,
            b: tka,
            num: 2_000,
            den: 1,
            a_per_position: ether(50),
            fee: 3000,
            spacing: 60,
            protocol_fee: 0,
        },
        V4Seed {
            a: weth,
            b: tkb,
            num: 1_000,
            den: 1,
            a_per_position: ether(50),
            fee: 500,
            spacing: 10,
            protocol_fee: 0,
        },
        V4Seed {
            a: tka,
            b: tkb,
            num: 1,
            den: 2,
            a_per_position: ether(100_000),
            fee: 100,
            spacing: 1,
            protocol_fee: TKA_TKB_PROTOCOL_FEE,
        },
    ]
}

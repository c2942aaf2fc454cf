//! Deploys the protocols, tokens and pools of the devnet and records every address.
//!
//! Prices are consistent across DEXes at start (1 WETH = 2,000 TKA = 1,000 TKB); a victim
//! swap through one DEX then opens a gap against the others.

use super::{Artifact, Role, Toolchain, V4Dex, v4};
use crate::abi::{INonfungiblePositionManager, IUniswapV2Router02};
use alloy::{
    network::TransactionBuilder,
    primitives::{Address, B256, Bytes, U256, aliases::U24, b256},
    providers::{DynProvider, Provider},
    rpc::types::{TransactionReceipt, TransactionRequest},
    signers::local::PrivateKeySigner,
    sol_types::SolValue,
};
use eyre::{bail, eyre};
use searcher::abi::{IERC20, IUniswapV2Factory, IWETH9};
use serde::{Deserialize, Serialize};

/// The pair init code hash Router02 expects; checked against the deployed factory's pairs.
pub const UNISWAP_V2_PAIR_INIT_CODE_HASH: B256 =
    b256!("0x96e8ac4277198ff8b6f785478aa9a39f403cb768dd02cbee326c3e7da348845f");
/// The pool init code hash of the V3 periphery's `PoolAddress` library.
pub const UNISWAP_V3_POOL_INIT_CODE_HASH: B256 =
    b256!("0xe34f199b19b2b4f47f68442619d555527d244f78a3297ea89325f843f87b8b54");

const ETHER: u128 = 1_000_000_000_000_000_000;
/// Supply minted to the deployer for each test token.
const TOKEN_SUPPLY: u128 = 1_000_000_000_000 * ETHER;
/// Gas limit of every setup transaction (the largest, the Vault's deployment, needs ~6M).
const SETUP_GAS_LIMIT: u64 = 12_000_000;
/// Traders funded at start.
pub(super) const FUNDED_TRADERS: usize = 4;

/// A Uniswap V2-style DEX (factory + Router02) and its swap fee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct V2Dex {
    /// Name, e.g. `uniswap-v2`.
    pub name: String,
    /// The factory.
    pub factory: Address,
    /// Router02 bound to this factory.
    pub router: Address,
    /// Fee numerator kept by the pool formula (997 for 0.3%).
    pub fee_numerator: u32,
    /// Fee denominator (1000).
    pub fee_denominator: u32,
    /// The pair creation code hash.
    pub init_code_hash: B256,
}

/// Uniswap V3 contracts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct V3Dex {
    /// Name, `uniswap-v3`.
    pub name: String,
    /// The factory.
    pub factory: Address,
    /// SwapRouter.
    pub swap_router: Address,
    /// NonfungiblePositionManager (provides the devnet's liquidity).
    pub position_manager: Address,
}

/// A token on the devnet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevToken {
    /// Label used by tests (the artifacts' own symbols are not unique).
    pub symbol: String,
    /// Address.
    pub address: Address,
    /// Decimals.
    pub decimals: u8,
    /// Burns a share of every transfer.
    pub fee_on_transfer: bool,
}

/// The kind of a devnet pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DevPoolKind {
    /// Uniswap V2-style pair.
    V2,
    /// Uniswap V3 pool.
    V3,
}

/// A pool created by the devnet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevPool {
    /// DEX name (`uniswap-v2`, `sushiswap`, `uniswap-v3`).
    pub dex: String,
    /// Kind.
    pub kind: DevPoolKind,
    /// Pool address.
    pub address: Address,
    /// token0 (the lower address).
    pub token0: Address,
    /// token1.
    pub token1: Address,
    /// Fee in pips (3000 = 0.3%).
    pub fee: u32,
    /// V3 tick spacing.
    pub tick_spacing: Option<i32>,
}

/// Every address the devnet deployed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevnetAddresses {
    /// WETH9.
    pub weth: Address,
    /// The first V2 set.
    pub uniswap_v2: V2Dex,
    /// The second V2 set (same bytecode, a second factory).
    pub sushiswap: V2Dex,
    /// Uniswap V3.
    pub uniswap_v3: V3Dex,
    /// Uniswap V4: the PoolManager, its test routers and pools.
    pub uniswap_v4: V4Dex,
    /// Balancer V2 Vault.
    pub balancer_vault: Address,
    /// Test tokens (not WETH).
    pub tokens: Vec<DevToken>,
    /// Pools on every DEX.
    pub pools: Vec<DevPool>,
}

impl DevnetAddresses {
    /// A token's address by its label (`WETH` included).
    pub fn token(&self, symbol: &str) -> Option<Address> {
        if symbol.eq_ignore_ascii_case("WETH") {
            return Some(self.weth);
        }
        self.tokens.iter().find(|t| t.symbol.eq_ignore_ascii_case(symbol)).map(|t| t.address)
    }

    /// The pool of `dex` between two tokens (and, for V3, with that fee).
    pub fn pool(&self, dex: &str, a: Address, b: Address, fee: Option<u32>) -> Option<&DevPool> {
        let (t0, t1) = sort(a, b);
        self.pools.iter().find(|p| {
            p.dex == dex && p.token0 == t0 && p.token1 == t1 && fee.is_none_or(|f| f == p.fee)
        })
    }

    /// The V2 DEX by name.
    pub fn v2_dex(&self, name: &str) -> Option<&V2Dex> {
        [&self.uniswap_v2, &self.sushiswap].into_iter().find(|d| d.name == name)
    }
}

/// Orders two token addresses as the factories do.
pub(super) fn sort(a: Address, b: Address) -> (Address, Address) {
    if a < b { (a, b) } else { (b, a) }
}

pub(super) fn ether(n: u128) -> U256 {
    U256::from(n) * U256::from(ETHER)
}

/// Sends a transaction and waits for a successful receipt (automine is on during deploy).
pub(super) async fn send(
    provider: &DynProvider,
    tx: TransactionRequest,
    what: &str,
) -> eyre::Result<TransactionReceipt> {
    // A fixed, generous limit: estimates can fall short when the mined block's timestamp
    // differs from the estimate's (V3 oracle writes), and skipping estimation is faster.
    let tx = if tx.gas.is_none() { tx.with_gas_limit(SETUP_GAS_LIMIT) } else { tx };
    let receipt = provider
        .send_transaction(tx.clone())
        .await
        .map_err(|e| eyre!("{what}: {e}"))?
        .get_receipt()
        .await
        .map_err(|e| eyre!("{what}: {e}"))?;
    if !receipt.status() {
        // Replay at the parent block for the revert reason.
        let parent = receipt.block_number.unwrap_or_default().saturating_sub(1);
        let reason = provider.call(tx).block(parent.into()).await.err();
        bail!(
            "{what}: transaction {} reverted (gas used {}): {reason:?}",
            receipt.transaction_hash,
            receipt.gas_used
        );
    }
    Ok(receipt)
}

pub(super) async fn deploy(
    provider: &DynProvider,
    toolchain: &Toolchain,
    from: Address,
    artifact: Artifact,
    constructor_args: Vec<u8>,
) -> eyre::Result<Address> {
    let mut code = artifact.creation_code(toolchain)?.to_vec();
    code.extend_from_slice(&constructor_args);
    let tx = TransactionRequest::default().from(from).with_deploy_code(Bytes::from(code));
    let receipt = send(provider, tx, &format!("deploy {artifact:?}")).await?;
    receipt.contract_address.ok_or_else(|| eyre!("deploy {artifact:?}: no contract address"))
}

/// Deploys everything; returns the addresses.
pub(super) async fn deploy_all(
    provider: &DynProvider,
    toolchain: &Toolchain,
    keys: &[PrivateKeySigner],
) -> eyre::Result<DevnetAddresses> {
    let deployer = keys[Role::Deployer.index()].address();
    let weth = deploy(provider, toolchain, deployer, Artifact::Weth9, vec![]).await?;

    let supply = (U256::from(TOKEN_SUPPLY),).abi_encode_params();
    let mut tokens = Vec::new();
    for (symbol, artifact, fee_on_transfer) in [
        ("TKA", Artifact::Erc20, false),
        ("TKB", Artifact::Erc20, false),
        ("FOT", Artifact::DeflatingErc20, true),
    ] {
        let address = deploy(provider, toolchain, deployer, artifact, supply.clone()).await?;
        tokens.push(DevToken { symbol: symbol.into(), address, decimals: 18, fee_on_transfer });
    }

    let mut v2 = Vec::new();
    for name in ["uniswap-v2", "sushiswap"] {
        let factory = deploy(
            provider,
            toolchain,
            deployer,
            Artifact::UniswapV2Factory,
            (deployer,).abi_encode_params(),
        )
        .await?;
        let router = deploy(
            provider,
            toolchain,
            deployer,
            Artifact::UniswapV2Router02,
            (factory, weth).abi_encode_params(),
        )
        .await?;
        v2.push(V2Dex {
            name: name.into(),
            factory,
            router,
            fee_numerator: 997,
            fee_denominator: 1000,
            init_code_hash: UNISWAP_V2_PAIR_INIT_CODE_HASH,
        });
    }

    let v3_factory =
        deploy(provider, toolchain, deployer, Artifact::UniswapV3Factory, vec![]).await?;
    let swap_router = deploy(
        provider,
        toolchain,
        deployer,
        Artifact::SwapRouter,
        (v3_factory, weth).abi_encode_params(),
    )
    .await?;
    // The token descriptor is only used by tokenURI; any address will do.
    let position_manager = deploy(
        provider,
        toolchain,
        deployer,
        Artifact::NonfungiblePositionManager,
        (v3_factory, weth, deployer).abi_encode_params(),
    )
    .await?;
    let uniswap_v3 =
        V3Dex { name: "uniswap-v3".into(), factory: v3_factory, swap_router, position_manager };

    let uniswap_v4 = v4::deploy_v4(provider, toolchain, deployer).await?;

    let balancer_vault = deploy(
        provider,
        toolchain,
        deployer,
        Artifact::BalancerVault,
        (deployer, weth, U256::ZERO, U256::ZERO).abi_encode_params(),
    )
    .await?;

    let sushiswap = v2.pop().ok_or_else(|| eyre!("two V2 sets were deployed"))?;
    let uniswap_v2 = v2.pop().ok_or_else(|| eyre!("two V2 sets were deployed"))?;
    let mut addresses = DevnetAddresses {
        weth,
        uniswap_v2,
        sushiswap,
        uniswap_v3,
        uniswap_v4,
        balancer_vault,
        tokens,
        pools: Vec::new(),
    };
    seed_liquidity(provider, &mut addresses, deployer).await?;
    let seeds = v4::seeds(
        weth,
        addresses.token("TKA").ok_or_else(|| eyre!("TKA"))?,
        addresses.token("TKB").ok_or_else(|| eyre!("TKB"))?,
    );
    v4::seed_v4_pools(provider, &mut addresses.uniswap_v4, deployer, &seeds).await?;
    for n in 0..FUNDED_TRADERS {
        fund_account(provider, &addresses, deployer, keys[Role::Trader(n).index()].address())
            .await?;
    }
    // Balancer flash loans lend what the vault holds.
    let weth9 = IWETH9::new(weth, provider);
    send(
        provider,
        weth9.transfer(balancer_vault, ether(10_000)).from(deployer).into_transaction_request(),
        "fund vault",
    )
    .await?;
    Ok(addresses)
}

/// Wraps ETH, approves every spender and adds liquidity on all DEXes.
async fn seed_liquidity(
    provider: &DynProvider,
    addresses: &mut DevnetAddresses,
    deployer: Address,
) -> eyre::Result<()> {
    let weth = addresses.weth;
    let tka = addresses.token("TKA").ok_or_else(|| eyre!("TKA"))?;
    let tkb = addresses.token("TKB").ok_or_else(|| eyre!("TKB"))?;
    let fot = addresses.token("FOT").ok_or_else(|| eyre!("FOT"))?;

    let weth9 = IWETH9::new(weth, provider);
    send(
        provider,
        weth9.deposit().value(ether(100_000)).from(deployer).into_transaction_request(),
        "wrap ETH",
    )
    .await?;
    let spenders = [
        addresses.uniswap_v2.router,
        addresses.sushiswap.router,
        addresses.uniswap_v3.position_manager,
    ];
    for token in [weth, tka, tkb, fot] {
        for spender in spenders {
            let erc20 = IERC20::new(token, provider);
            send(
                provider,
                erc20.approve(spender, U256::MAX).from(deployer).into_transaction_request(),
                "approve",
            )
            .await?;
        }
    }

    // V2: identical prices on both DEXes.
    let v2_pairs = [
        (weth, ether(1_000), tka, ether(2_000_000)),
        (weth, ether(1_000), tkb, ether(1_000_000)),
        (tka, ether(2_000_000), tkb, ether(1_000_000)),
    ];
    for dex in [addresses.uniswap_v2.clone(), addresses.sushiswap.clone()] {
        let mut pairs = v2_pairs.to_vec();
        if dex.name == "uniswap-v2" {
            pairs.push((weth, ether(100), fot, ether(100_000)));
        }
        for (a, amount_a, b, amount_b) in pairs {
            let router = IUniswapV2Router02::new(dex.router, provider);
            let tx = router
                .addLiquidity(a, b, amount_a, amount_b, U256::ZERO, U256::ZERO, deployer, U256::MAX)
                .from(deployer)
                .into_transaction_request();
            send(provider, tx, &format!("{} addLiquidity", dex.name)).await?;
            let factory = IUniswapV2Factory::new(dex.factory, provider);
            let pair = factory.getPair(a, b).call().await?;
            let (token0, token1) = sort(a, b);
            addresses.pools.push(DevPool {
                dex: dex.name.clone(),
                kind: DevPoolKind::V2,
                address: pair,
                token0,
                token1,
                fee: 3000,
                tick_spacing: None,
            });
        }
    }

    // V3: several positions per pool so swaps cross initialized ticks.
    for (token_a, token_b, price_b_per_a, fee, spacing) in
        [(weth, tka, 2_000u64, 3000u32, 60i32), (weth, tkb, 1_000u64, 500u32, 10i32)]
    {
        let pool = seed_v3_pool(
            provider,
            addresses,
            deployer,
            (token_a, token_b),
            price_b_per_a,
            fee,
            spacing,
        )
        .await?;
        addresses.pools.push(pool);
    }
    Ok(())
}

/// `sqrt(price) * 2^96` for a raw price `num / den` (token1 per token0), rounded down.
fn sqrt_price_x96(num: U256, den: U256) -> U256 {
    let scaled: U256 = (num << 192) / den;
    scaled.root(2)
}

/// Creates a V3 pool at `price_b_per_a` and mints a wide position plus narrower ones at
/// several tick ranges around the price.
async fn seed_v3_pool(
    provider: &DynProvider,
    addresses: &DevnetAddresses,
    deployer: Address,
    (token_a, token_b): (Address, Address),
    price_b_per_a: u64,
    fee: u32,
    spacing: i32,
) -> eyre::Result<DevPool> {
    let (token0, token1) = sort(token_a, token_b);
    let a_is_0 = token0 == token_a;
    let (num, den) = if a_is_0 {
        (U256::from(price_b_per_a), U256::from(1))
    } else {
        (U256::from(1), U256::from(price_b_per_a))
    };
    let sqrt_price = sqrt_price_x96(num, den);
    let npm = INonfungiblePositionManager::new(addresses.uniswap_v3.position_manager, provider);
    let fee24 = U24::from(fee);
    let tx = npm
        .createAndInitializePoolIfNecessary(
            token0,
            token1,
            fee24,
            alloy::primitives::aliases::U160::from(sqrt_price),
        )
        .from(deployer)
        .into_transaction_request();
    send(provider, tx, "V3 createAndInitializePool").await?;
    let factory = searcher::abi::IUniswapV3Factory::new(addresses.uniswap_v3.factory, provider);
    let pool = factory.getPool(token0, token1, fee24).call().await?;

    // Only the layout of positions uses floating point; amounts are integers.
    let price0 = if a_is_0 { price_b_per_a as f64 } else { 1.0 / price_b_per_a as f64 };
    let center = (price0.ln() / 1.0001f64.ln()).floor() as i32;
    let align = |t: i32| t.div_euclid(spacing) * spacing;
    let mut ranges = vec![(align(center - 4000 * spacing), align(center + 4000 * spacing))];
    for k in 1..=6 {
        ranges.push((align(center - 10 * k * spacing), align(center + 10 * k * spacing)));
    }
    ranges.push((align(center + 3 * spacing), align(center + 40 * spacing)));
    ranges.push((align(center - 40 * spacing), align(center - 3 * spacing)));
    for (lower, upper) in ranges {
        let params = INonfungiblePositionManager::MintParams {
            token0,
            token1,
            fee: fee24,
            tickLower: alloy::primitives::aliases::I24::try_from(lower)?,
            tickUpper: alloy::primitives::aliases::I24::try_from(upper)?,
            amount0Desired: ether(100_000),
            amount1Desired: ether(100_000),
            amount0Min: U256::ZERO,
            amount1Min: U256::ZERO,
            recipient: deployer,
            deadline: U256::MAX,
        };
        // Desired amounts cap the position; the weaker side bounds the liquidity. Scale so a
        // WETH side uses about 50 WETH per position.
        let params = scale_mint(params, a_is_0, price_b_per_a);
        send(provider, npm.mint(params).from(deployer).into_transaction_request(), "V3 mint")
            .await?;
    }
    Ok(DevPool {
        dex: addresses.uniswap_v3.name.clone(),
        kind: DevPoolKind::V3,
        address: pool,
        token0,
        token1,
        fee,
        tick_spacing: Some(spacing),
    })
}

fn scale_mint(
    mut params: INonfungiblePositionManager::MintParams,
    a_is_0: bool,
    price_b_per_a: u64,
) -> INonfungiblePositionManager::MintParams {
    let a = ether(50);
    let b = ether(50) * U256::from(price_b_per_a);
    if a_is_0 {
        params.amount0Desired = a;
        params.amount1Desired = b;
    } else {
        params.amount0Desired = b;
        params.amount1Desired = a;
    }
    params
}

/// Gives an account WETH and tokens and approves the routers, so it can send victim swaps.
pub(super) async fn fund_account(
    provider: &DynProvider,
    addresses: &DevnetAddresses,
    deployer: Address,
    account: Address,
) -> eyre::Result<()> {
    let spenders = [
        addresses.uniswap_v2.router,
        addresses.sushiswap.router,
        addresses.uniswap_v3.swap_router,
        addresses.uniswap_v4.swap_router,
    ];
    let mut tokens = vec![(addresses.weth, ether(10_000))];
    tokens.extend(addresses.tokens.iter().map(|t| (t.address, ether(10_000_000))));
    for (token, amount) in tokens {
        let erc20 = IERC20::new(token, provider);
        send(
            provider,
            erc20.transfer(account, amount).from(deployer).into_transaction_request(),
            "fund",
        )
        .await?;
        for spender in spenders {
            send(
                provider,
                erc20.approve(spender, U256::MAX).from(account).into_transaction_request(),
                "approve",
            )
            .await?;
        }
    }
    Ok(())
}

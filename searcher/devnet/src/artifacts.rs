//! The real protocol bytecode, read from the npm artifacts that `tools/dev setup` installs.
//!
//! Four artifact formats occur: Uniswap V2's waffle JSON (`bytecode` without `0x`), hardhat
//! JSON (`bytecode` with `0x`, V3 and Balancer), Balancer's `creationCode` files and foundry's
//! JSON (`bytecode.object`, Uniswap v4-core).

use crate::toolchain::Toolchain;
use alloy::primitives::{Bytes, hex};
use eyre::{WrapErr, eyre};

/// A contract whose creation code ships in an npm package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Artifact {
    /// Wrapped ether, from `@uniswap/v2-periphery`.
    Weth9,
    /// Uniswap V2 test ERC20 (`constructor(uint totalSupply)`, 18 decimals).
    Erc20,
    /// Uniswap V2 periphery's fee-on-transfer test token (1% burnt per transfer).
    DeflatingErc20,
    /// `UniswapV2Factory(feeToSetter)`.
    UniswapV2Factory,
    /// `UniswapV2Router02(factory, weth)`.
    UniswapV2Router02,
    /// `UniswapV3Factory()`.
    UniswapV3Factory,
    /// `SwapRouter(factory, weth)`.
    SwapRouter,
    /// `NonfungiblePositionManager(factory, weth, tokenDescriptor)`.
    NonfungiblePositionManager,
    /// `Vault(authorizer, weth, pauseWindowDuration, bufferPeriodDuration)`.
    BalancerVault,
    /// Uniswap v4-core `PoolManager(initialOwner)`.
    PoolManager,
    /// v4-core's test router `PoolSwapTest(manager)`: one swap per `unlock`, settles from
    /// (and takes to) its caller.
    PoolSwapTest,
    /// v4-core's test router `PoolModifyLiquidityTest(manager)`.
    PoolModifyLiquidityTest,
}

impl Artifact {
    /// Path under `node_modules`.
    pub const fn path(self) -> &'static str {
        match self {
            Self::Weth9 => "@uniswap/v2-periphery/build/WETH9.json",
            Self::Erc20 => "@uniswap/v2-core/build/ERC20.json",
            Self::DeflatingErc20 => "@uniswap/v2-periphery/build/DeflatingERC20.json",
            Self::UniswapV2Factory => "@uniswap/v2-core/build/UniswapV2Factory.json",
            Self::UniswapV2Router02 => "@uniswap/v2-periphery/build/UniswapV2Router02.json",
            Self::UniswapV3Factory => {
                "@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json"
            }
            Self::SwapRouter => {
                "@uniswap/v3-periphery/artifacts/contracts/SwapRouter.sol/SwapRouter.json"
            }
            Self::NonfungiblePositionManager => {
                "@uniswap/v3-periphery/artifacts/contracts/NonfungiblePositionManager.sol/NonfungiblePositionManager.json"
            }
            Self::BalancerVault => {
                "@balancer-labs/v2-deployments/dist/tasks/20210418-vault/bytecode/Vault.json"
            }
            Self::PoolManager => "@uniswap/v4-core/out/PoolManager.sol/PoolManager.json",
            Self::PoolSwapTest => "@uniswap/v4-core/out/PoolSwapTest.sol/PoolSwapTest.json",
            Self::PoolModifyLiquidityTest => {
                "@uniswap/v4-core/out/PoolModifyLiquidityTest.sol/PoolModifyLiquidityTest.json"
            }
        }
    }

    /// Reads the creation code.
    pub fn creation_code(self, toolchain: &Toolchain) -> eyre::Result<Bytes> {
        let path = toolchain.artifact(self.path())?;
        let text = std::fs::read_to_string(&path)
            .wrap_err_with(|| format!("reading {}", path.display()))?;
        let json: serde_json::Value =
            serde_json::from_str(&text).wrap_err_with(|| format!("parsing {}", path.display()))?;
        let bytecode = json.get("bytecode");
        let code = bytecode
            // foundry: `"bytecode": {"object": "0x..."}`
            .and_then(|b| b.get("object"))
            .or(bytecode)
            .or_else(|| json.get("creationCode"))
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| eyre!("{}: no bytecode/creationCode field", path.display()))?;
        let bytes = hex::decode(code).wrap_err_with(|| format!("{}: bad hex", path.display()))?;
        if bytes.is_empty() {
            return Err(eyre!("{}: empty bytecode", path.display()));
        }
        Ok(bytes.into())
    }
}

//! Differential tests against the real protocol bytecode, run in-process in revm: the math
//! must equal what the deployed contracts do, to the wei. The bytecode comes from the npm
//! artifacts `tools/dev setup` installs (Uniswap v2-core 1.0.1, v3-core 1.0.1); the tests are
//! skipped, with the reason printed, when they are missing.
//!
//! Test-only helpers here: a revm chain that deploys and calls, the artifact loader, and the
//! creation code of a mock token and a V3 driver (`testdata/V3Driver.sol`).

mod v2;
mod v3;

use alloy::primitives::{Address, Bytes, U256};
use alloy::sol_types::SolCall;
use rand::{Rng, rngs::StdRng};
use revm::{
    Context, ExecuteCommitEvm, MainBuilder, MainContext,
    context::{
        TxEnv,
        result::{ExecutionResult, Output},
    },
    database::{CacheDB, EmptyDB},
    primitives::TxKind,
};

mod abi {
    #![allow(unreachable_pub, missing_debug_implementations, reason = "generated bindings")]
    alloy::sol! {
        #![sol(all_derives)]
        interface IMockToken {
            function mint(address to, uint256 amount) external;
            function balanceOf(address owner) external view returns (uint256);
        }
        interface IV3Factory {
            function createPool(address tokenA, address tokenB, uint24 fee) external returns (address pool);
            function enableFeeAmount(uint24 fee, int24 tickSpacing) external;
        }
        interface IV3Pool {
            function initialize(uint160 sqrtPriceX96) external;
            function slot0() external view returns (uint160 sqrtPriceX96, int24 tick, uint16 observationIndex, uint16 observationCardinality, uint16 observationCardinalityNext, uint8 feeProtocol, bool unlocked);
            function liquidity() external view returns (uint128);
            function ticks(int24 tick) external view returns (uint128 liquidityGross, int128 liquidityNet, uint256 feeGrowthOutside0X128, uint256 feeGrowthOutside1X128, int56 tickCumulativeOutside, uint160 secondsPerLiquidityOutsideX128, uint32 secondsOutside, bool initialized);
        }
        interface IV3Driver {
            function swap(address pool, bool zeroForOne, int256 amountSpecified, uint160 limit) external returns (int256, int256);
            function mint(address pool, int24 lower, int24 upper, uint128 amount) external;
            function burn(address pool, int24 lower, int24 upper, uint128 amount) external;
        }
        interface IV2Factory {
            function createPair(address tokenA, address tokenB) external returns (address pair);
        }
        interface IV2Pair {
            function token0() external view returns (address);
            function getReserves() external view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);
            function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes data) external;
            function sync() external;
        }
    }
}

/// Creation code of the mock token and the V3 driver, compiled from `testdata/V3Driver.sol`.
const DRIVER_HEX: &str = include_str!("testdata/V3Driver.hex");
/// The externally owned account sending every transaction.
const CALLER: Address = Address::with_last_byte(0xca);

type Evm = revm::handler::MainnetEvm<revm::handler::MainnetContext<CacheDB<EmptyDB>>>;

/// An in-memory chain: deploy, call, commit.
struct Chain {
    evm: Evm,
    nonce: u64,
}

impl Chain {
    fn new() -> Self {
        let evm = Context::mainnet()
            // The default block has a zero base fee and no gas limit; gas is free at price 0.
            .modify_cfg_chained(|cfg| {
                cfg.limit_contract_code_size = Some(usize::MAX);
                cfg.tx_gas_limit_cap = Some(u64::MAX);
            })
            .with_db(CacheDB::new(EmptyDB::default()))
            .build_mainnet();
        Self { evm, nonce: 0 }
    }

    fn exec(&mut self, kind: TxKind, data: Bytes) -> Result<Output, String> {
        let tx = TxEnv {
            caller: CALLER,
            gas_limit: 1_000_000_000,
            gas_price: 0,
            kind,
            data,
            nonce: self.nonce,
            chain_id: None,
            ..TxEnv::default()
        };
        self.nonce += 1;
        match self.evm.transact_commit(tx) {
            Ok(ExecutionResult::Success { output, .. }) => Ok(output),
            Ok(ExecutionResult::Revert { output, .. }) => Err(format!("revert {output}")),
            Ok(ExecutionResult::Halt { reason, .. }) => Err(format!("halt {reason:?}")),
            Err(e) => panic!("evm error: {e}"),
        }
    }

    /// Deploys `code` and returns the new contract's address.
    fn create(&mut self, code: Bytes) -> Address {
        match self.exec(TxKind::Create, code) {
            Ok(Output::Create(_, Some(address))) => address,
            other => panic!("deploy failed: {other:?}"),
        }
    }

    /// Sends `call` to `to` and decodes what it returns; a revert is an `Err`.
    fn call<C: SolCall>(&mut self, to: Address, call: &C) -> Result<C::Return, String> {
        match self.exec(TxKind::Call(to), call.abi_encode().into())? {
            Output::Call(out) => Ok(C::abi_decode_returns(&out).expect("decodes")),
            Output::Create(..) => unreachable!("a call creates nothing"),
        }
    }
}

/// Creation code from an npm artifact (`bytecode` as in Hardhat's and Waffle's JSON), or why
/// it is unavailable.
fn artifact(rel: &str) -> Result<Bytes, String> {
    for root in searcher_devnet::toolchain::candidate_roots() {
        let path = root.join("node_modules").join(rel);
        if let Ok(text) = std::fs::read_to_string(&path) {
            let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
            let hex = json["bytecode"].as_str().ok_or("no bytecode field")?;
            return hex.parse::<Bytes>().map_err(|e| e.to_string());
        }
    }
    Err(format!("node_modules/{rel} not found (run `tools/dev setup`)"))
}

/// Creation code of `MockToken` or `V3Driver`.
fn driver_code(name: &str) -> Bytes {
    let line = DRIVER_HEX.lines().find(|l| l.starts_with(name)).expect("in V3Driver.hex");
    line[name.len() + 1..].trim().parse().expect("hex")
}

/// A log-uniform integer in [1, 2^bits).
fn log_uniform(rng: &mut StdRng, bits: u32) -> u128 {
    let b = rng.random_range(1..=bits);
    (rng.random::<u128>() >> (128 - b)).max(1)
}

/// How many cases to run: `var` from the environment, else `default`.
fn cases(var: &str, default: u32) -> u32 {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// `U256` from a `uint112`-sized reserve.
fn u(x: u128) -> U256 {
    U256::from(x)
}

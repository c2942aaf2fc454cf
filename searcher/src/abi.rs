//! Solidity interfaces of the protocols the searcher reads (tokens, pools, factories, the
//! executor), as alloy `sol!` bindings. One place, so every stage decodes the same events the
//! same way. The devnet keeps its own (routers, position manager) in `searcher_devnet::abi`.

#![allow(
    missing_docs,
    unreachable_pub,
    missing_debug_implementations,
    clippy::too_many_arguments,
    reason = "generated bindings"
)]

use alloy::sol;

sol! {
    #[sol(rpc)]
    interface IERC20 {
        event Transfer(address indexed from, address indexed to, uint256 value);
        function name() external view returns (string);
        function symbol() external view returns (string);
        function decimals() external view returns (uint8);
        function totalSupply() external view returns (uint256);
        function balanceOf(address owner) external view returns (uint256);
        function allowance(address owner, address spender) external view returns (uint256);
        function approve(address spender, uint256 value) external returns (bool);
        function transfer(address to, uint256 value) external returns (bool);
        function transferFrom(address from, address to, uint256 value) external returns (bool);
    }

    #[sol(rpc)]
    interface IWETH9 {
        event Transfer(address indexed from, address indexed to, uint256 value);
        event Deposit(address indexed dst, uint256 wad);
        event Withdrawal(address indexed src, uint256 wad);
        function deposit() external payable;
        function withdraw(uint256 wad) external;
        function balanceOf(address owner) external view returns (uint256);
        function transfer(address to, uint256 value) external returns (bool);
        function approve(address spender, uint256 value) external returns (bool);
    }

    #[sol(rpc)]
    interface IUniswapV2Factory {
        event PairCreated(address indexed token0, address indexed token1, address pair, uint256);
        function getPair(address tokenA, address tokenB) external view returns (address pair);
        function allPairsLength() external view returns (uint256);
        function createPair(address tokenA, address tokenB) external returns (address pair);
    }

    #[sol(rpc)]
    interface IUniswapV2Pair {
        event Sync(uint112 reserve0, uint112 reserve1);
        event Swap(
            address indexed sender,
            uint256 amount0In,
            uint256 amount1In,
            uint256 amount0Out,
            uint256 amount1Out,
            address indexed to
        );
        function token0() external view returns (address);
        function token1() external view returns (address);
        function getReserves()
            external
            view
            returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);
        function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes calldata data)
            external;
        function sync() external;
    }

    #[sol(rpc)]
    interface IUniswapV3Factory {
        event PoolCreated(
            address indexed token0,
            address indexed token1,
            uint24 indexed fee,
            int24 tickSpacing,
            address pool
        );
        event FeeAmountEnabled(uint24 indexed fee, int24 indexed tickSpacing);
        function getPool(address tokenA, address tokenB, uint24 fee)
            external
            view
            returns (address pool);
        function feeAmountTickSpacing(uint24 fee) external view returns (int24);
        function createPool(address tokenA, address tokenB, uint24 fee)
            external
            returns (address pool);
    }

    #[sol(rpc)]
    interface IUniswapV3Pool {
        event Initialize(uint160 sqrtPriceX96, int24 tick);
        event Mint(
            address sender,
            address indexed owner,
            int24 indexed tickLower,
            int24 indexed tickUpper,
            uint128 amount,
            uint256 amount0,
            uint256 amount1
        );
        event Burn(
            address indexed owner,
            int24 indexed tickLower,
            int24 indexed tickUpper,
            uint128 amount,
            uint256 amount0,
            uint256 amount1
        );
        event Swap(
            address indexed sender,
            address indexed recipient,
            int256 amount0,
            int256 amount1,
            uint160 sqrtPriceX96,
            uint128 liquidity,
            int24 tick
        );
        function token0() external view returns (address);
        function token1() external view returns (address);
        function fee() external view returns (uint24);
        function tickSpacing() external view returns (int24);
        function liquidity() external view returns (uint128);
        function slot0()
            external
            view
            returns (
                uint160 sqrtPriceX96,
                int24 tick,
                uint16 observationIndex,
                uint16 observationCardinality,
                uint16 observationCardinalityNext,
                uint8 feeProtocol,
                bool unlocked
            );
        function ticks(int24 tick)
            external
            view
            returns (
                uint128 liquidityGross,
                int128 liquidityNet,
                uint256 feeGrowthOutside0X128,
                uint256 feeGrowthOutside1X128,
                int56 tickCumulativeOutside,
                uint160 secondsPerLiquidityOutsideX128,
                uint32 secondsOutside,
                bool initialized
            );
        function tickBitmap(int16 wordPosition) external view returns (uint256);
        function swap(
            address recipient,
            bool zeroForOne,
            int256 amountSpecified,
            uint160 sqrtPriceLimitX96,
            bytes calldata data
        ) external returns (int256 amount0, int256 amount1);
    }

    /// Uniswap V4's singleton: the events that announce and move its pools, the pool key and
    /// `extsload`, through which its storage is read (see `market::v4`).
    #[sol(rpc)]
    interface IPoolManager {
        struct PoolKey {
            address currency0;
            address currency1;
            uint24 fee;
            int24 tickSpacing;
            address hooks;
        }
        struct ModifyLiquidityParams {
            int24 tickLower;
            int24 tickUpper;
            int256 liquidityDelta;
            bytes32 salt;
        }
        struct SwapParams {
            bool zeroForOne;
            int256 amountSpecified;
            uint160 sqrtPriceLimitX96;
        }
        event Initialize(
            bytes32 indexed id,
            address indexed currency0,
            address indexed currency1,
            uint24 fee,
            int24 tickSpacing,
            address hooks,
            uint160 sqrtPriceX96,
            int24 tick
        );
        event ModifyLiquidity(
            bytes32 indexed id,
            address indexed sender,
            int24 tickLower,
            int24 tickUpper,
            int256 liquidityDelta,
            bytes32 salt
        );
        event Swap(
            bytes32 indexed id,
            address indexed sender,
            int128 amount0,
            int128 amount1,
            uint160 sqrtPriceX96,
            uint128 liquidity,
            int24 tick,
            uint24 fee
        );
        function initialize(PoolKey memory key, uint160 sqrtPriceX96) external returns (int24 tick);
        function extsload(bytes32 slot) external view returns (bytes32 value);
        function extsload(bytes32 startSlot, uint256 nSlots) external view returns (bytes32[] memory values);
        function extsload(bytes32[] calldata slots) external view returns (bytes32[] memory values);
        function setProtocolFeeController(address controller) external;
        function setProtocolFee(PoolKey memory key, uint24 newProtocolFee) external;
        function updateDynamicLPFee(PoolKey memory key, uint24 newDynamicLPFee) external;
    }

    /// The executor's ABI surface (its hot path takes packed programs, see
    /// `exec::calldata`); these are the owner's views and the sweep.
    #[sol(rpc)]
    interface IExecutor {
        function owner() external view returns (address);
        function coldWallet() external view returns (address);
        function weth() external view returns (address);
        function poolManager() external view returns (address);
        function sweep(address token, uint256 amount) external;
    }
}

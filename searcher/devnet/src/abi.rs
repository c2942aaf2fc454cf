//! `sol!` bindings the devnet alone needs: the routers its traffic swaps through, the V3
//! position manager and the V4 liquidity router its fixtures provide liquidity with, and the
//! Balancer Vault it funds. The
//! interfaces the engine reads (tokens, pools, factories, the executor) are `searcher::abi`.

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
    interface IUniswapV2Router02 {
        function factory() external view returns (address);
        function WETH() external view returns (address);
        function addLiquidity(
            address tokenA,
            address tokenB,
            uint256 amountADesired,
            uint256 amountBDesired,
            uint256 amountAMin,
            uint256 amountBMin,
            address to,
            uint256 deadline
        ) external returns (uint256 amountA, uint256 amountB, uint256 liquidity);
        function swapExactTokensForTokens(
            uint256 amountIn,
            uint256 amountOutMin,
            address[] calldata path,
            address to,
            uint256 deadline
        ) external returns (uint256[] memory amounts);
        function swapTokensForExactTokens(
            uint256 amountOut,
            uint256 amountInMax,
            address[] calldata path,
            address to,
            uint256 deadline
        ) external returns (uint256[] memory amounts);
        function swapExactETHForTokens(
            uint256 amountOutMin,
            address[] calldata path,
            address to,
            uint256 deadline
        ) external payable returns (uint256[] memory amounts);
        function swapExactTokensForTokensSupportingFeeOnTransferTokens(
            uint256 amountIn,
            uint256 amountOutMin,
            address[] calldata path,
            address to,
            uint256 deadline
        ) external;
        function getAmountsOut(uint256 amountIn, address[] calldata path)
            external
            view
            returns (uint256[] memory amounts);
    }

    #[sol(rpc)]
    interface ISwapRouter {
        struct ExactInputSingleParams {
            address tokenIn;
            address tokenOut;
            uint24 fee;
            address recipient;
            uint256 deadline;
            uint256 amountIn;
            uint256 amountOutMinimum;
            uint160 sqrtPriceLimitX96;
        }
        struct ExactInputParams {
            bytes path;
            address recipient;
            uint256 deadline;
            uint256 amountIn;
            uint256 amountOutMinimum;
        }
        struct ExactOutputSingleParams {
            address tokenIn;
            address tokenOut;
            uint24 fee;
            address recipient;
            uint256 deadline;
            uint256 amountOut;
            uint256 amountInMaximum;
            uint160 sqrtPriceLimitX96;
        }
        function exactInputSingle(ExactInputSingleParams calldata params)
            external
            payable
            returns (uint256 amountOut);
        function exactOutputSingle(ExactOutputSingleParams calldata params)
            external
            payable
            returns (uint256 amountIn);
        function exactInput(ExactInputParams calldata params)
            external
            payable
            returns (uint256 amountOut);
    }

    #[sol(rpc)]
    interface INonfungiblePositionManager {
        struct MintParams {
            address token0;
            address token1;
            uint24 fee;
            int24 tickLower;
            int24 tickUpper;
            uint256 amount0Desired;
            uint256 amount1Desired;
            uint256 amount0Min;
            uint256 amount1Min;
            address recipient;
            uint256 deadline;
        }
        function createAndInitializePoolIfNecessary(
            address token0,
            address token1,
            uint24 fee,
            uint160 sqrtPriceX96
        ) external payable returns (address pool);
        struct DecreaseLiquidityParams {
            uint256 tokenId;
            uint128 liquidity;
            uint256 amount0Min;
            uint256 amount1Min;
            uint256 deadline;
        }
        function mint(MintParams calldata params)
            external
            payable
            returns (uint256 tokenId, uint128 liquidity, uint256 amount0, uint256 amount1);
        function decreaseLiquidity(DecreaseLiquidityParams calldata params)
            external
            payable
            returns (uint256 amount0, uint256 amount1);
        function positions(uint256 tokenId)
            external
            view
            returns (
                uint96 nonce,
                address operator,
                address token0,
                address token1,
                uint24 fee,
                int24 tickLower,
                int24 tickUpper,
                uint128 liquidity,
                uint256 feeGrowthInside0LastX128,
                uint256 feeGrowthInside1LastX128,
                uint128 tokensOwed0,
                uint128 tokensOwed1
            );
        function totalSupply() external view returns (uint256);
        function tokenOfOwnerByIndex(address owner, uint256 index) external view returns (uint256);
    }

    #[sol(rpc)]
    interface IBalancerVault {
        function flashLoan(
            address recipient,
            address[] memory tokens,
            uint256[] memory amounts,
            bytes memory userData
        ) external;
        function getProtocolFeesCollector() external view returns (address);
    }

    /// Uniswap V4's `PoolKey` (`address(0)` as a currency is native ETH).
    #[derive(Debug, PartialEq, Eq, Hash)]
    struct PoolKey {
        address currency0;
        address currency1;
        uint24 fee;
        int24 tickSpacing;
        address hooks;
    }

    /// v4-core `ModifyLiquidityParams`.
    #[derive(Debug)]
    struct ModifyLiquidityParams {
        int24 tickLower;
        int24 tickUpper;
        int256 liquidityDelta;
        bytes32 salt;
    }

    /// v4-core `SwapParams` (`amountSpecified < 0`: exact input).
    #[derive(Debug)]
    struct SwapParams {
        bool zeroForOne;
        int256 amountSpecified;
        uint160 sqrtPriceLimitX96;
    }

    /// `PoolSwapTest.TestSettings`.
    #[derive(Debug)]
    struct TestSettings {
        bool takeClaims;
        bool settleUsingBurn;
    }

    /// The V4 PoolManager's owner and pool-creation surface the devnet uses.
    #[sol(rpc)]
    interface IV4PoolManagerAdmin {
        function initialize(PoolKey memory key, uint160 sqrtPriceX96) external returns (int24 tick);
        function setProtocolFeeController(address controller) external;
        function setProtocolFee(PoolKey memory key, uint24 newProtocolFee) external;
    }

    /// v4-core's `PoolSwapTest`: one swap per `unlock`, paid from and paid to its caller.
    #[sol(rpc)]
    interface IPoolSwapTest {
        function swap(
            PoolKey memory key,
            SwapParams memory params,
            TestSettings memory testSettings,
            bytes memory hookData
        ) external payable returns (int256 delta);
    }

    /// v4-core's `PoolModifyLiquidityTest`: adds or removes liquidity for its caller.
    #[sol(rpc)]
    interface IPoolModifyLiquidityTest {
        function modifyLiquidity(
            PoolKey memory key,
            ModifyLiquidityParams memory params,
            bytes memory hookData
        ) external payable returns (int256 delta);
    }
}

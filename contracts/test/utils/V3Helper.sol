// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20Like, IUniswapV3PoolLike} from "./Interfaces.sol";
import {Cast} from "./Cast.sol";

/// @notice Test-only helper for real Uniswap V3 pools: adds liquidity (paying in
///         `uniswapV3MintCallback` from its own balance), swaps as a victim would, and quotes
///         exact-input swaps by reverting inside the swap callback (QuoterV1's trick).
///         It authenticates nothing: tests only.
contract V3Helper {
    uint160 internal constant MIN_SQRT_RATIO_PLUS_ONE = 4295128740;
    uint160 internal constant MAX_SQRT_RATIO_MINUS_ONE =
        1461446703485210103287273052203988822378723970341;
    bytes1 internal constant QUOTE = 0x01;

    function mint(address pool, int24 tickLower, int24 tickUpper, uint128 liquidity) external {
        IUniswapV3PoolLike(pool).mint(address(this), tickLower, tickUpper, liquidity, "");
    }

    function uniswapV3MintCallback(uint256 owed0, uint256 owed1, bytes calldata) external {
        _pay(msg.sender, owed0, owed1);
    }

    /// @notice Exact-input swap paid from this contract's balance; returns the output.
    function swap(address pool, bool zeroForOne, uint256 amountIn, address recipient)
        external
        returns (uint256 out)
    {
        (int256 a0, int256 a1) = IUniswapV3PoolLike(pool)
            .swap(recipient, zeroForOne, Cast.i256(amountIn), _limit(zeroForOne), "");
        out = uint256(-(zeroForOne ? a1 : a0));
    }

    /// @notice The output of an exact-input swap on the pool's current state, without changing it.
    function quote(address pool, bool zeroForOne, uint256 amountIn) external returns (uint256 out) {
        try IUniswapV3PoolLike(pool)
            .swap(
                address(this),
                zeroForOne,
                Cast.i256(amountIn),
                _limit(zeroForOne),
                abi.encode(QUOTE)
            ) {
            revert("quote: swap did not revert");
        } catch (bytes memory reason) {
            (int256 a0, int256 a1) = abi.decode(reason, (int256, int256));
            out = uint256(-(zeroForOne ? a1 : a0));
        }
    }

    function uniswapV3SwapCallback(int256 a0, int256 a1, bytes calldata data) external {
        if (data.length != 0) {
            assembly ("memory-safe") {
                mstore(0x00, a0) // amount0 delta
                mstore(0x20, a1) // amount1 delta
                revert(0x00, 0x40)
            }
        }
        _pay(msg.sender, Cast.positive(a0), Cast.positive(a1));
    }

    function _pay(address pool, uint256 owed0, uint256 owed1) internal {
        if (owed0 > 0) {
            require(IERC20Like(IUniswapV3PoolLike(pool).token0()).transfer(pool, owed0));
        }
        if (owed1 > 0) {
            require(IERC20Like(IUniswapV3PoolLike(pool).token1()).transfer(pool, owed1));
        }
    }

    function _limit(bool zeroForOne) internal pure returns (uint160) {
        return zeroForOne ? MIN_SQRT_RATIO_PLUS_ONE : MAX_SQRT_RATIO_MINUS_ONE;
    }
}

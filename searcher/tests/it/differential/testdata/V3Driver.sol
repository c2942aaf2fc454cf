// SPDX-License-Identifier: MIT
// Test-only contracts for the in-process differential test of `market::math::v3` against the
// real UniswapV3Pool bytecode (see ../v3.rs). Compiled once with solc 0.8.30
// (`tools/solc --standard-json`, optimizer off); the bytecode is in V3Driver.hex.
pragma solidity 0.8.30;

interface IPool {
    function token0() external view returns (address);
    function token1() external view returns (address);
    function swap(address, bool, int256, uint160, bytes calldata) external returns (int256, int256);
    function mint(address, int24, int24, uint128, bytes calldata) external returns (uint256, uint256);
    function burn(int24, int24, uint128) external returns (uint256, uint256);
}

/// A token whose balances anyone can mint: the driver pays the pool by minting to it.
contract MockToken {
    mapping(address => uint256) public balanceOf;

    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        balanceOf[msg.sender] -= amount;
        balanceOf[to] += amount;
        return true;
    }
}

/// Swaps, mints and burns on a pool and pays whatever the callbacks ask for.
contract V3Driver {
    function swap(address pool, bool zeroForOne, int256 amountSpecified, uint160 limit)
        external
        returns (int256, int256)
    {
        return IPool(pool).swap(address(this), zeroForOne, amountSpecified, limit, "");
    }

    function mint(address pool, int24 lower, int24 upper, uint128 amount) external {
        IPool(pool).mint(address(this), lower, upper, amount, "");
    }

    function burn(address pool, int24 lower, int24 upper, uint128 amount) external {
        IPool(pool).burn(lower, upper, amount);
    }

    function uniswapV3SwapCallback(int256 amount0, int256 amount1, bytes calldata) external {
        if (amount0 > 0) MockToken(IPool(msg.sender).token0()).mint(msg.sender, uint256(amount0));
        if (amount1 > 0) MockToken(IPool(msg.sender).token1()).mint(msg.sender, uint256(amount1));
    }

    function uniswapV3MintCallback(uint256 amount0, uint256 amount1, bytes calldata) external {
        if (amount0 > 0) MockToken(IPool(msg.sender).token0()).mint(msg.sender, amount0);
        if (amount1 > 0) MockToken(IPool(msg.sender).token1()).mint(msg.sender, amount1);
    }
}

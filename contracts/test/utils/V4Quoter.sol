// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IPoolManagerLike, PoolKey, SwapParams} from "./Interfaces.sol";
import {Cast} from "./Cast.sol";

/// @notice Test-only: the output of an exact-input V4 swap on the current state, without
///         changing it (unlock, swap, revert with the delta: v4-periphery's quoter trick).
contract V4Quoter {
    uint160 internal constant MIN_SQRT_PRICE_PLUS_ONE = 4295128740;
    uint160 internal constant MAX_SQRT_PRICE_MINUS_ONE =
        1461446703485210103287273052203988822378723970341;

    IPoolManagerLike internal immutable MANAGER;

    constructor(IPoolManagerLike manager) {
        MANAGER = manager;
    }

    function quote(PoolKey memory key, bool zeroForOne, uint256 amountIn)
        external
        returns (uint256 out)
    {
        try MANAGER.unlock(abi.encode(key, zeroForOne, amountIn)) {
            revert("quote: unlock did not revert");
        } catch (bytes memory reason) {
            require(reason.length == 32, "quote: swap reverted");
            int256 delta = abi.decode(reason, (int256));
            // forge-lint: disable-next-line(unsafe-typecast)
            int128 output = zeroForOne ? int128(delta) : int128(delta >> 128);
            require(output >= 0, "quote: negative output");
            // forge-lint: disable-next-line(unsafe-typecast)
            out = uint256(uint128(output));
        }
    }

    function unlockCallback(bytes calldata data) external returns (bytes memory) {
        require(msg.sender == address(MANAGER));
        (PoolKey memory key, bool zeroForOne, uint256 amountIn) =
            abi.decode(data, (PoolKey, bool, uint256));
        int256 delta = MANAGER.swap(
            key,
            SwapParams(
                zeroForOne,
                -Cast.i256(amountIn),
                zeroForOne ? MIN_SQRT_PRICE_PLUS_ONE : MAX_SQRT_PRICE_MINUS_ONE
            ),
            ""
        );
        assembly ("memory-safe") {
            mstore(0x00, delta) // the swap's BalanceDelta
            revert(0x00, 0x20)
        }
    }
}

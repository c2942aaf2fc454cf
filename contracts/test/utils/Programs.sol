// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice The executor's packed program, encoded with abi.encodePacked: the Solidity twin of
///         `searcher::exec::calldata` (the shared test vector in Encoding.t.sol keeps the two
///         byte-identical). Layout: see contracts/src/Executor.sol.
library Programs {
    /// @dev Inventory, or a flash swap from the last hop (HOP_V2_FLASH, or a V3 last hop).
    uint8 internal constant CAPITAL_DIRECT = 0;
    uint8 internal constant MODE_BRIBE = 0x04;

    uint8 internal constant HOP_ZERO_FOR_ONE = 0x01;
    uint8 internal constant HOP_V2_FLASH = 0x02;
    uint8 internal constant HOP_V3 = 0x04;

    struct Hop {
        uint8 flags;
        address pool;
        uint128 amount;
    }

    function encode(uint8 mode, uint96 amountIn, uint96 minProfit, uint96 bribe, Hop[] memory hops)
        internal
        pure
        returns (bytes memory program)
    {
        program = abi.encodePacked(mode, amountIn, minProfit);
        if (mode & MODE_BRIBE != 0) program = bytes.concat(program, abi.encodePacked(bribe));
        for (uint256 i; i < hops.length; ++i) {
            program = bytes.concat(
                program, abi.encodePacked(hops[i].flags, hops[i].pool, hops[i].amount)
            );
        }
    }
}

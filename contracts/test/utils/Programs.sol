// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice The executor's packed program, encoded with abi.encodePacked: the Solidity twin of
///         `searcher::exec::calldata` (the shared test vector in Encoding.t.sol keeps the two
///         byte-identical). Layout: see contracts/src/Executor.sol.
library Programs {
    /// @dev Inventory, or a flash swap from the last hop (HOP_V2_FLASH, or a V3 last hop).
    uint8 internal constant CAPITAL_DIRECT = 0;
    uint8 internal constant MODE_BRIBE = 0x04;
    /// @dev V4 programs only: the PoolManager lends the first hop's WETH.
    uint8 internal constant MODE_BORROW = 0x01;
    /// @dev The program runs inside PoolManager.unlock (required for V4 hops).
    uint8 internal constant MODE_V4 = 0x08;

    uint8 internal constant HOP_ZERO_FOR_ONE = 0x01;
    uint8 internal constant HOP_V2_FLASH = 0x02;
    uint8 internal constant HOP_V3 = 0x04;
    uint8 internal constant HOP_V4 = 0x08;
    uint8 internal constant HOP_V4_TOKEN_IN = 0x10;
    uint8 internal constant HOP_V4_TOKEN_OUT = 0x20;
    uint8 internal constant HOP_V4_HOOKS = 0x40;
    uint8 internal constant HOP_V4_NATIVE = 0x80;

    struct Hop {
        uint8 flags;
        address pool;
        uint128 amount;
    }

    /// @dev A V4 hop: the optional fields are written when `flags` says so (HOP_V4 is added).
    struct V4Hop {
        uint8 flags;
        address tokenIn;
        address tokenOut;
        uint24 fee;
        int24 tickSpacing;
        address hooks;
        uint128 amount;
    }

    function hop(Hop memory h) internal pure returns (bytes memory) {
        return abi.encodePacked(h.flags, h.pool, h.amount);
    }

    function v4Hop(V4Hop memory h) internal pure returns (bytes memory b) {
        uint8 flags = h.flags | HOP_V4;
        b = abi.encodePacked(flags);
        if (flags & HOP_V4_TOKEN_IN != 0) b = bytes.concat(b, abi.encodePacked(h.tokenIn));
        if (flags & HOP_V4_TOKEN_OUT != 0) b = bytes.concat(b, abi.encodePacked(h.tokenOut));
        b = bytes.concat(b, abi.encodePacked(h.fee, h.tickSpacing));
        if (flags & HOP_V4_HOOKS != 0) b = bytes.concat(b, abi.encodePacked(h.hooks));
        b = bytes.concat(b, abi.encodePacked(h.amount));
    }

    /// @dev A program from already encoded hops (`hop`, `v4Hop`).
    function encodeRaw(
        uint8 mode,
        uint96 amountIn,
        uint96 minProfit,
        uint96 bribe,
        bytes[] memory hops
    ) internal pure returns (bytes memory program) {
        program = abi.encodePacked(mode, amountIn, minProfit);
        if (mode & MODE_BRIBE != 0) program = bytes.concat(program, abi.encodePacked(bribe));
        for (uint256 i; i < hops.length; ++i) {
            program = bytes.concat(program, hops[i]);
        }
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

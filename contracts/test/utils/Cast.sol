// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice Checked narrowing casts for tests (a silent truncation would test the wrong thing).
library Cast {
    function u96(uint256 x) internal pure returns (uint96) {
        require(x <= type(uint96).max, "Cast: uint96");
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint96(x);
    }

    function u128(uint256 x) internal pure returns (uint128) {
        require(x <= type(uint128).max, "Cast: uint128");
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint128(x);
    }

    function i256(uint256 x) internal pure returns (int256) {
        require(x <= uint256(type(int256).max), "Cast: int256");
        // forge-lint: disable-next-line(unsafe-typecast)
        return int256(x);
    }

    /// @dev The magnitude of a positive int256, 0 otherwise.
    function positive(int256 x) internal pure returns (uint256) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return x > 0 ? uint256(x) : 0;
    }
}

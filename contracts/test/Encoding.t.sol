// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Fixture} from "./utils/Fixture.sol";
import {Programs} from "./utils/Programs.sol";
import {Cast} from "./utils/Cast.sol";

/// @notice Shared test vectors of the packed program: `searcher/src/exec/calldata.rs` asserts the
///         same hex constants from its own encoder, so the Solidity encoding used by every forge
///         test and the Rust encoder the searcher sends cannot drift. Vector B is the fixture's
///         real cycle and also runs on the real executor here.
contract EncodingTest is Fixture {
    bytes internal constant VECTOR_A =
        hex"040000000011200c7644d50000000000000011c37937e0800000000000000aa87bee5380000511111111111111111111111111111111111111110000000000000085ca615bf9c01000000022222222222222222222222222222222222222220000000000000085e7860ed96c62000001333333333333333333333333333333333333333300000000000000001158e460913d0000";
    bytes internal constant VECTOR_B =
        hex"000000000006f05b59d3b2000000000000000000000000000100fe90b54d84ad19d0123f8fb038ec52e3294ebdc3000000000000003877e64620b7afa9dc03c729312728e881813a1d2f1510da642aa8e151f20000000000000000072b462c510ed573";
    bytes internal constant VECTOR_C =
        hex"04000000006124fee993bc00000000000000000000000000000000000000000000075bcd1500aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaffffffffffffffffffffffffffffffff01bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb0000000000000000000000000000000104cccccccccccccccccccccccccccccccccccccccc0000000000000000000000000000000001dddddddddddddddddddddddddddddddddddddddd000000000000000062884461f1460000";

    uint256 internal constant MILLI = 1e15;

    /// @dev V3 first hop, 3 hops, a bribe.
    function test_sharedVectorA() public pure {
        Programs.Hop[] memory hops = new Programs.Hop[](3);
        hops[0] = Programs.Hop(
            Programs.HOP_V3 | Programs.HOP_ZERO_FOR_ONE,
            0x1111111111111111111111111111111111111111,
            Cast.u128(2_468_000 * MILLI)
        );
        hops[1] = Programs.Hop(
            0, 0x2222222222222222222222222222222222222222, Cast.u128(2_470_100 * MILLI)
        );
        hops[2] = Programs.Hop(
            Programs.HOP_ZERO_FOR_ONE,
            0x3333333333333333333333333333333333333333,
            Cast.u128(1_250 * MILLI)
        );
        bytes memory program = Programs.encode(
            Programs.CAPITAL_DIRECT | Programs.MODE_BRIBE,
            Cast.u96(1_234 * MILLI),
            Cast.u96(5 * MILLI),
            Cast.u96(3 * MILLI),
            hops
        );
        assertEq(program, VECTOR_A);
    }

    /// @dev The fixture's cycle (sushi pair, then uni pair as a flash swap), quoted on the real
    ///      pairs, equals vector B; vector B then runs on the real executor for the quoted profit.
    function test_sharedVectorB_runsOnTheRealExecutor() public {
        (bytes memory program, uint256 out) = _program(
            Programs.CAPITAL_DIRECT,
            _legs(Kind.V2, sushiWethA, Kind.V2_FLASH, uniWethA),
            500 * MILLI,
            1
        );
        assertEq(program, VECTOR_B, "fixture changed: update VECTOR_B here and in calldata.rs");
        (bool ok,) = _run(VECTOR_B);
        assertTrue(ok);
        assertEq(weth.balanceOf(address(executor)), out - 500 * MILLI);
    }

    /// @dev 4 hops with V3 in the middle, a bribe, and the extreme widths (a full uint128
    ///      amount, zero amounts).
    function test_sharedVectorC() public pure {
        Programs.Hop[] memory hops = new Programs.Hop[](4);
        hops[0] = Programs.Hop(0, 0xaAaAaAaaAaAaAaaAaAAAAAAAAaaaAaAaAaaAaaAa, type(uint128).max);
        hops[1] =
            Programs.Hop(Programs.HOP_ZERO_FOR_ONE, 0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB, 1);
        hops[2] = Programs.Hop(Programs.HOP_V3, 0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC, 0);
        hops[3] = Programs.Hop(
            Programs.HOP_ZERO_FOR_ONE,
            0xDDdDddDdDdddDDddDDddDDDDdDdDDdDDdDDDDDDd,
            Cast.u128(7_100 * MILLI)
        );
        bytes memory program = Programs.encode(
            Programs.CAPITAL_DIRECT | Programs.MODE_BRIBE,
            Cast.u96(7_000 * MILLI),
            0,
            123_456_789,
            hops
        );
        assertEq(program, VECTOR_C);
    }
}

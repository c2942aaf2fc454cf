// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Fixture} from "./utils/Fixture.sol";
import {Programs} from "./utils/Programs.sol";
import {Cast} from "./utils/Cast.sol";

/// @notice Shared test vectors of the packed program: `searcher/src/exec/calldata.rs` asserts the
///         same hex constants from its own encoder, so the Solidity encoding used by every forge
///         test and the Rust encoder the searcher sends cannot drift. Vectors B (V2 -> V2 flash)
///         and E (V4 -> V2) are the fixture's real cycles and also run on the real executor here;
///         D has every V4 field.
contract EncodingTest is Fixture {
    bytes internal constant VECTOR_A =
        hex"040000000011200c7644d50000000000000011c37937e0800000000000000aa87bee5380000511111111111111111111111111111111111111110000000000000085ca615bf9c01000000022222222222222222222222222222222222222220000000000000085e7860ed96c62000001333333333333333333333333333333333333333300000000000000001158e460913d0000";
    bytes internal constant VECTOR_B =
        hex"000000000006f05b59d3b2000000000000000000000000000100fe90b54d84ad19d0123f8fb038ec52e3294ebdc3000000000000003877e64620b7afa9dc03c729312728e881813a1d2f1510da642aa8e151f20000000000000000072b462c510ed573";
    bytes internal constant VECTOR_C =
        hex"04000000006124fee993bc00000000000000000000000000000000000000000000075bcd1500aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaffffffffffffffffffffffffffffffff01bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb0000000000000000000000000000000104cccccccccccccccccccccccccccccccccccccccc0000000000000000000000000000000001dddddddddddddddddddddddddddddddddddddddd000000000000000062884461f1460000";

    bytes internal constant VECTOR_D =
        hex"0c000000000de0b6b3a76400000000000000000000000000070000000000071afd498d0000e91111111111111111111111111111111111111111000bb800003c4444444444444444444444444444444444440080000000000000006c6b935b8bbd400000002222222222222222222222222222222222222222000000000000006c5db2a4d815dc00003855555555555555555555555555555555555555553333333333333333333333333333333333333333800000000001000000000000006c4fd1ee246e7800000900006400000100000000000000000deb5f2f95b78000";
    bytes internal constant VECTOR_E =
        hex"080000000006f05b59d3b20000000000000000000000000001282e234dae75c793f67a35089c9d99245e1c58470b000bb800003c000000000000003a1146a44abb45e80601c729312728e881813a1d2f1510da642aa8e151f20000000000000000075ef89ea7c53244";

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

    /// @dev Every V4 field: a native first hop with hooks (tokenOut only), a V2 hop, a V4 hop
    ///      after it (both tokens, the dynamic-fee flag), a V4 last hop (no token: the previous
    ///      output in, WETH out), a bribe.
    function test_sharedVectorD() public {
        address wethMainnet = 0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2;
        bytes[] memory hops = new bytes[](4);
        hops[0] = Programs.v4Hop(
            Programs.V4Hop(
                Programs.HOP_ZERO_FOR_ONE | Programs.HOP_V4_TOKEN_OUT | Programs.HOP_V4_HOOKS
                    | Programs.HOP_V4_NATIVE,
                address(0),
                0x1111111111111111111111111111111111111111,
                3000,
                60,
                0x4444444444444444444444444444444444440080,
                Cast.u128(2_000_000 * MILLI)
            )
        );
        hops[1] = Programs.hop(
            Programs.Hop(
                0, 0x2222222222222222222222222222222222222222, Cast.u128(1_999_000 * MILLI)
            )
        );
        hops[2] = Programs.v4Hop(
            Programs.V4Hop(
                Programs.HOP_V4_TOKEN_IN | Programs.HOP_V4_TOKEN_OUT,
                0x5555555555555555555555555555555555555555,
                0x3333333333333333333333333333333333333333,
                0x800000,
                1,
                address(0),
                Cast.u128(1_998_000 * MILLI)
            )
        );
        hops[3] = Programs.v4Hop(
            Programs.V4Hop(
                Programs.HOP_ZERO_FOR_ONE,
                address(0),
                wethMainnet,
                100,
                1,
                address(0),
                Cast.u128(1_003 * MILLI)
            )
        );
        bytes memory program = Programs.encodeRaw(
            Programs.MODE_V4 | Programs.MODE_BRIBE,
            Cast.u96(1_000 * MILLI),
            7,
            Cast.u96(2 * MILLI),
            hops
        );
        assertEq(program, VECTOR_D);
    }

    /// @dev The fixture's V4 -> V2 cycle (WETH -> A on the 2150 pool, A -> WETH on the uni pair),
    ///      quoted on the real pools, equals vector E; vector E then runs on the real executor.
    function test_sharedVectorE_runsOnTheRealExecutor() public {
        (bytes memory program, uint256 out) = _programAny(
            Programs.MODE_V4, _legs(Kind.V4, v4WethAHi, Kind.V2, uniWethA), 500 * MILLI, 1, 0
        );
        assertEq(program, VECTOR_E, "fixture changed: update VECTOR_E here and in calldata.rs");
        (bool ok,) = _run(VECTOR_E);
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

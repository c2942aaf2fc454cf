// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

/// @notice Proves the toolchain end to end: forge-std from npm, solcjs behind the wrapper,
///         cheatcodes, and the real protocol artifacts readable from node_modules.
contract ToolchainTest is Test {
    function test_forgeStdCheatcodesWork() public {
        address alice = makeAddr("alice");
        vm.deal(alice, 1 ether);
        assertEq(alice.balance, 1 ether);
    }

    function test_realWeth9BytecodeDeploysAndWraps() public {
        string memory json = vm.readFile("node_modules/@uniswap/v2-periphery/build/WETH9.json");
        bytes memory code = vm.parseJsonBytes(json, ".bytecode");
        address weth;
        assembly ("memory-safe") {
            weth := create(0, add(code, 0x20), mload(code))
        }
        assertTrue(weth != address(0), "WETH9 deploy failed");
        (bool ok,) = weth.call{value: 1 ether}(abi.encodeWithSignature("deposit()"));
        assertTrue(ok);
        (, bytes memory ret) =
            weth.staticcall(abi.encodeWithSignature("balanceOf(address)", address(this)));
        assertEq(abi.decode(ret, (uint256)), 1 ether);
    }

    function testFuzz_boundKeepsRange(uint256 x) public pure {
        uint256 y = bound(x, 1, 1e18);
        assertGe(y, 1);
        assertLe(y, 1e18);
    }
}

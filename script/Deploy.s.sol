// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Script, console} from "forge-std/Script.sol";
import {Executor} from "../contracts/src/Executor.sol";

/// @notice Where the deployment record of a chain lives (written by Deploy, read by Sweep).
library DeploymentRecord {
    uint256 internal constant LOCAL = 31337;

    function path(uint256 chainId) internal pure returns (string memory) {
        return string.concat(
            "deployments/executor-", _toString(chainId), chainId == LOCAL ? ".local.json" : ".json"
        );
    }

    function _toString(uint256 v) private pure returns (string memory s) {
        if (v == 0) return "0";
        uint256 len;
        for (uint256 t = v; t != 0; t /= 10) {
            ++len;
        }
        bytes memory b = new bytes(len);
        for (; v != 0; v /= 10) {
            // casting to uint8 is safe: 48 + a decimal digit
            // forge-lint: disable-next-line(unsafe-typecast)
            b[--len] = bytes1(uint8(48 + v % 10));
        }
        s = string(b);
    }
}

/// @notice Deploys the executor.
///
///   EXECUTOR_OWNER           the searcher EOA (the only account that can run programs and sweep)
///   EXECUTOR_COLD_WALLET     where `sweep` sends funds, forever
///   EXECUTOR_WETH            WETH9; defaults to the canonical one on mainnet. On a local chain
///                            (31337) without one, WETH9 is deployed from the npm artifact first.
///   EXECUTOR_POOL_MANAGER    the Uniswap V4 PoolManager; defaults to the canonical one on
///                            mainnet, else none (address zero: V4 programs revert)
///   DEPLOYER_PRIVATE_KEY     the broadcasting key; when unset, forge's own signer options
///                            (`--account <keystore>`, hardware wallets) are used
///
///   forge script script/Deploy.s.sol --rpc-url $RPC --broadcast
///
/// Prints the address and writes `deployments/executor-<chainid>.json` (on chain 31337,
/// `executor-31337.local.json`, which git ignores).
contract Deploy is Script {
    uint256 internal constant MAINNET = 1;
    address internal constant MAINNET_WETH = 0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2;
    address internal constant MAINNET_POOL_MANAGER = 0x000000000004444c5dc75cB358380D2e3dE08A90;
    string internal constant WETH9_ARTIFACT = "node_modules/@uniswap/v2-periphery/build/WETH9.json";

    function run() external returns (Executor executor) {
        address owner = vm.envAddress("EXECUTOR_OWNER");
        address coldWallet = vm.envAddress("EXECUTOR_COLD_WALLET");
        address weth =
            vm.envOr("EXECUTOR_WETH", block.chainid == MAINNET ? MAINNET_WETH : address(0));
        address poolManager = vm.envOr(
            "EXECUTOR_POOL_MANAGER", block.chainid == MAINNET ? MAINNET_POOL_MANAGER : address(0)
        );
        require(owner != coldWallet, "the cold wallet must not be the hot owner key");

        uint256 key = vm.envOr("DEPLOYER_PRIVATE_KEY", uint256(0));
        if (key != 0) vm.startBroadcast(key);
        else vm.startBroadcast();
        if (weth == address(0)) {
            require(
                block.chainid == DeploymentRecord.LOCAL, "EXECUTOR_WETH is required on this chain"
            );
            weth = _deployWeth9();
            console.log("WETH9 deployed at", weth);
        }
        executor = new Executor(owner, coldWallet, weth, poolManager);
        vm.stopBroadcast();

        console.log("Executor deployed at", address(executor));
        _record(address(executor), owner, coldWallet, weth, poolManager);
    }

    function _deployWeth9() internal returns (address weth) {
        bytes memory code = vm.parseJsonBytes(vm.readFile(WETH9_ARTIFACT), ".bytecode");
        assembly ("memory-safe") {
            weth := create(0, add(code, 0x20), mload(code))
        }
        require(weth != address(0), "WETH9 deployment failed");
    }

    function _record(
        address executor,
        address owner,
        address coldWallet,
        address weth,
        address poolManager
    ) internal {
        string memory obj = "deployment";
        vm.serializeAddress(obj, "executor", executor);
        vm.serializeAddress(obj, "owner", owner);
        vm.serializeAddress(obj, "coldWallet", coldWallet);
        vm.serializeAddress(obj, "weth", weth);
        vm.serializeAddress(obj, "poolManager", poolManager);
        vm.serializeUint(obj, "chainId", block.chainid);
        vm.serializeUint(obj, "block", block.number);
        string memory json = vm.serializeBytes32(obj, "runtimeCodeHash", executor.codehash);
        string memory path = DeploymentRecord.path(block.chainid);
        vm.createDir("deployments", true);
        vm.writeJson(json, path);
        console.log("Deployment record:", path);
    }
}

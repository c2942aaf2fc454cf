// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Script, console} from "forge-std/Script.sol";
import {IExecutor} from "../contracts/src/interfaces/IExecutor.sol";
import {DeploymentRecord} from "./Deploy.s.sol";

interface IBalanceOf {
    function balanceOf(address) external view returns (uint256);
}

/// @notice Sweeps tokens and ETH from the executor to its cold wallet (the only place `sweep`
///         can send them). Signed by the owner: the executor accepts nothing else.
///
///   EXECUTOR_ADDRESS       the executor; defaults to the deployment record of this chain
///   SWEEP_TOKENS           comma-separated token addresses (default: the executor's WETH)
///   SWEEP_KEEP_WEI         wei of each token left behind (default 1: the executor's balance
///                          slot stays non-zero, so the next trade writes it for 2,900 gas
///                          instead of 20,000); ETH is swept whole
///   EXECUTOR_OWNER_KEY     the owner's key; when unset, forge's signer options are used
///
///   forge script script/Sweep.s.sol --rpc-url $RPC --broadcast
contract Sweep is Script {
    function run() external {
        IExecutor executor = IExecutor(_executor());
        address[] memory tokens = vm.envOr("SWEEP_TOKENS", ",", new address[](0));
        if (tokens.length == 0) {
            tokens = new address[](1);
            tokens[0] = executor.weth();
        }
        uint256 keep = vm.envOr("SWEEP_KEEP_WEI", uint256(1));
        address cold = executor.coldWallet();

        uint256 key = vm.envOr("EXECUTOR_OWNER_KEY", uint256(0));
        if (key != 0) vm.startBroadcast(key);
        else vm.startBroadcast();
        for (uint256 i; i < tokens.length; ++i) {
            uint256 balance = IBalanceOf(tokens[i]).balanceOf(address(executor));
            if (balance <= keep) continue;
            executor.sweep(tokens[i], balance - keep);
            console.log("swept token", tokens[i], balance - keep);
        }
        uint256 eth = address(executor).balance;
        if (eth != 0) {
            executor.sweep(address(0), eth);
            console.log("swept ETH", eth);
        }
        vm.stopBroadcast();
        console.log("cold wallet", cold);
    }

    function _executor() internal view returns (address executor) {
        executor = vm.envOr("EXECUTOR_ADDRESS", address(0));
        if (executor == address(0)) {
            string memory path = DeploymentRecord.path(block.chainid);
            executor = vm.parseJsonAddress(vm.readFile(path), ".executor");
        }
        require(executor.code.length != 0, "no executor at that address");
    }
}

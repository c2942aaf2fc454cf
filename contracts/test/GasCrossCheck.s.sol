// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Script} from "forge-std/Script.sol";
import {Executor} from "../src/Executor.sol";
import {
    IERC20Like,
    IWETH9,
    IUniswapV2FactoryLike,
    IUniswapV2PairLike,
    IUniswapV3FactoryLike,
    IUniswapV3PoolLike
} from "./utils/Interfaces.sol";
import {V3Helper} from "./utils/V3Helper.sol";
import {Programs} from "./utils/Programs.sol";
import {Cast} from "./utils/Cast.sol";

/// @notice Cross-check of the gas snapshot's method (tools/forge-checks step 3): the same
///         transactions are (1) simulated by `forge script --isolate`, reading
///         `vm.lastCallGas().gasTotalUsed` as ExecutorGas.t.sol does, and (2) mined by anvil in
///         one block; the receipts' gasUsed must equal the simulated figures exactly.
///
///   CrossCheckSetup    (--broadcast)  real WETH9, a token, two V2 factories + pairs, a V3
///                                     pool with liquidity, an Executor with WETH inventory
///   CrossCheckPlan     (--isolate)    victims, a V2 -> V2 and a V3 -> V2 inventory program,
///                                     in one block; writes each transaction
///                                     and its simulated gas
abstract contract CrossCheckBase is Script {
    string internal constant ADDRESSES = "deployments/gas-crosscheck.local.json";
    string internal constant PLAN = "deployments/gas-crosscheck-plan.local.json";

    function _deploy(string memory path, bytes memory args) internal returns (address a) {
        bytes memory code = bytes.concat(vm.parseJsonBytes(vm.readFile(path), ".bytecode"), args);
        assembly ("memory-safe") {
            a := create(0, add(code, 0x20), mload(code))
        }
        require(a != address(0), path);
    }
}

contract CrossCheckSetup is CrossCheckBase {
    function run() external {
        address owner = vm.envAddress("EXECUTOR_OWNER");
        address cold = vm.envAddress("EXECUTOR_COLD_WALLET");
        vm.startBroadcast(vm.envUint("DEPLOYER_PRIVATE_KEY"));
        address deployer = msg.sender;
        IWETH9 weth = IWETH9(_deploy("node_modules/@uniswap/v2-periphery/build/WETH9.json", ""));
        weth.deposit{value: 1_000 ether}();
        address token = _deploy("node_modules/@uniswap/v2-core/build/ERC20.json", abi.encode(1e30));
        address[2] memory pairs;
        uint256[2] memory tokenReserves = [uint256(200_000 ether), 210_000 ether];
        for (uint256 i; i < 2; ++i) {
            IUniswapV2FactoryLike f = IUniswapV2FactoryLike(
                _deploy(
                    "node_modules/@uniswap/v2-core/build/UniswapV2Factory.json",
                    abi.encode(deployer)
                )
            );
            pairs[i] = f.createPair(address(weth), token);
            require(weth.transfer(pairs[i], 100 ether));
            require(IERC20Like(token).transfer(pairs[i], tokenReserves[i]));
            IUniswapV2PairLike(pairs[i]).mint(deployer);
        }
        IUniswapV3FactoryLike v3f = IUniswapV3FactoryLike(
            _deploy(
                "node_modules/@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json",
                ""
            )
        );
        address pool = v3f.createPool(address(weth), token, 3000);
        // 2050 tokens per WETH
        IUniswapV3PoolLike(pool)
            .initialize(
                address(weth) < token
                    ? 3587207626768026312351721107362
                    : 1749857378911232347488644442
            );
        V3Helper helper = new V3Helper();
        require(weth.transfer(address(helper), 500 ether));
        require(IERC20Like(token).transfer(address(helper), 1e27));
        (, int24 tick,,,,,) = IUniswapV3PoolLike(pool).slot0();
        int24 base = tick / 60 * 60;
        if (tick < 0 && base != tick) base -= 60;
        helper.mint(pool, base - 6000, base + 6000, 2e22);
        helper.mint(pool, base - 1200, base + 1200, 2e22);
        Executor executor = new Executor(owner, cold, address(weth), address(0));
        require(weth.transfer(address(executor), 20 ether));
        vm.stopBroadcast();

        string memory o = "crosscheck";
        vm.serializeAddress(o, "weth", address(weth));
        vm.serializeAddress(o, "token", token);
        vm.serializeAddress(o, "pairLow", pairs[0]);
        vm.serializeAddress(o, "pairHigh", pairs[1]);
        vm.serializeAddress(o, "pool", pool);
        vm.serializeAddress(o, "helper", address(helper));
        vm.writeJson(vm.serializeAddress(o, "executor", address(executor)), ADDRESSES);
    }
}

contract CrossCheckPlan is CrossCheckBase {
    struct Tx {
        address from;
        address to;
        bytes data;
        uint256 gas;
    }

    Tx[] internal txs;
    IWETH9 internal weth;
    address internal token;
    address internal deployer;
    address internal owner;

    function run() external {
        string memory json = vm.readFile(ADDRESSES);
        weth = IWETH9(vm.parseJsonAddress(json, ".weth"));
        token = vm.parseJsonAddress(json, ".token");
        address pairLow = vm.parseJsonAddress(json, ".pairLow");
        address pairHigh = vm.parseJsonAddress(json, ".pairHigh");
        address pool = vm.parseJsonAddress(json, ".pool");
        V3Helper helper = V3Helper(vm.parseJsonAddress(json, ".helper"));
        address executor = vm.parseJsonAddress(json, ".executor");
        deployer = vm.envAddress("DEPLOYER");
        owner = vm.envAddress("EXECUTOR_OWNER");
        // The block anvil will mine next.
        vm.roll(block.number + 1);
        vm.warp(vm.envUint("CROSSCHECK_TIMESTAMP"));

        uint256 amountIn = 0.731945028613749211 ether;
        // A victim on the V3 pool, then the V3 -> V2 backrun from inventory.
        _send(
            deployer,
            address(helper),
            abi.encodeCall(V3Helper.swap, (pool, address(weth) < token, 0.1 ether, address(helper)))
        );
        _victimV2(pairLow);
        _send(owner, executor, _v3v2(helper, pool, pairLow, amountIn));
        // A victim on the other pair, then the V2 -> V2 backrun from inventory.
        _victimV2(pairHigh);
        _send(owner, executor, _v2v2(pairHigh, pairLow, amountIn));

        address[] memory from = new address[](txs.length);
        address[] memory to = new address[](txs.length);
        bytes[] memory data = new bytes[](txs.length);
        uint256[] memory gas = new uint256[](txs.length);
        for (uint256 i; i < txs.length; ++i) {
            (from[i], to[i], data[i], gas[i]) = (txs[i].from, txs[i].to, txs[i].data, txs[i].gas);
        }
        string memory o = "plan";
        vm.serializeAddress(o, "from", from);
        vm.serializeAddress(o, "to", to);
        vm.serializeBytes(o, "data", data);
        vm.writeJson(vm.serializeUint(o, "gas", gas), PLAN);
    }

    /// @dev Runs the transaction as its own isolated transaction and records its gas.
    function _send(address from, address to, bytes memory data) internal {
        vm.prank(from);
        (bool ok,) = to.call(data);
        require(ok, "simulated transaction failed");
        txs.push(Tx(from, to, data, vm.lastCallGas().gasTotalUsed));
    }

    function _victimV2(address pair) internal {
        bool zeroForOne = IUniswapV2PairLike(pair).token0() == address(weth);
        uint256 out = _v2Out(pair, zeroForOne, 0.1 ether);
        _send(deployer, address(weth), abi.encodeCall(IERC20Like.transfer, (pair, 0.1 ether)));
        _send(
            deployer,
            pair,
            abi.encodeCall(
                IUniswapV2PairLike.swap, (zeroForOne ? 0 : out, zeroForOne ? out : 0, deployer, "")
            )
        );
    }

    function _v2Out(address pair, bool zeroForOne, uint256 amountIn)
        internal
        view
        returns (uint256)
    {
        (uint256 r0, uint256 r1,) = IUniswapV2PairLike(pair).getReserves();
        (uint256 rIn, uint256 rOut) = zeroForOne ? (r0, r1) : (r1, r0);
        return amountIn * 997 * rOut / (rIn * 1000 + amountIn * 997);
    }

    function _v2v2(address buy, address sell, uint256 amountIn)
        internal
        view
        returns (bytes memory)
    {
        Programs.Hop[] memory hops = new Programs.Hop[](2);
        bool z0 = IUniswapV2PairLike(buy).token0() == address(weth);
        uint256 mid = _v2Out(buy, z0, amountIn);
        hops[0] = Programs.Hop(z0 ? 1 : 0, buy, Cast.u128(mid));
        bool z1 = IUniswapV2PairLike(sell).token0() == token;
        hops[1] = Programs.Hop(z1 ? 1 : 0, sell, Cast.u128(_v2Out(sell, z1, mid)));
        return Programs.encode(Programs.CAPITAL_DIRECT, Cast.u96(amountIn), 1, 0, hops);
    }

    function _v3v2(V3Helper helper, address pool, address sell, uint256 amountIn)
        internal
        returns (bytes memory)
    {
        Programs.Hop[] memory hops = new Programs.Hop[](2);
        bool z0 = address(weth) < token;
        // The quote reverts inside the pool: read, not a transaction.
        uint256 mid = helper.quote(pool, z0, amountIn);
        hops[0] = Programs.Hop(Programs.HOP_V3 | (z0 ? 1 : 0), pool, Cast.u128(mid));
        bool z1 = IUniswapV2PairLike(sell).token0() == token;
        hops[1] = Programs.Hop(z1 ? 1 : 0, sell, Cast.u128(_v2Out(sell, z1, mid)));
        return Programs.encode(Programs.CAPITAL_DIRECT, Cast.u96(amountIn), 1, 0, hops);
    }
}

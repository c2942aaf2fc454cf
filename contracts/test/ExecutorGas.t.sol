// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {console} from "forge-std/Test.sol";
import {Fixture} from "./utils/Fixture.sol";
import {Programs} from "./utils/Programs.sol";
import {
    IERC20Like,
    IUniswapV2PairLike,
    IUniswapV3PoolLike,
    IPoolManagerLike,
    PoolKey,
    SwapParams
} from "./utils/Interfaces.sol";
import {Cast} from "./utils/Cast.sol";

/// @notice Transaction-level gas of the executor per route, written to
///         contracts/snapshots/executor-gas.json (checked for drift by tools/forge-checks).
///
/// How the gas is measured. `forge test --isolate` runs every top-level call of a test as its
/// own transaction (its own warm/cold access set, original storage values reset, refunds
/// applied), and `vm.lastCallGas().gasTotalUsed` of such a call is what a receipt would say:
/// 21,000 + calldata (EIP-2028: 4 per zero byte, 16 per other byte; cancun, so no EIP-7623
/// floor) + execution - refunds (cross-checked against anvil receipts, see BENCHMARKS.md). The
/// refunds here (V2 lock 1 -> 0 -> 1, 2,800 per pair) are far below the 1/5 cap, which isolate
/// mode does not apply. Each route is measured in a new block where every pool of the cycle was
/// already swapped by an earlier transaction (a victim), so V2 `_update` skips the
/// cumulative-price writes and V3 skips its oracle write, as for a backrun placed right after
/// its victim. Without --isolate (plain `forge test`) the numbers would be call-frame gas with
/// warm accounts, so the test skips itself with a reason.
contract ExecutorGasTest is Fixture {
    string internal constant SNAPSHOT = "contracts/snapshots/executor-gas.json";
    /// @dev The acceptance bound for a 2-pool V2 WETH backrun from inventory (issue 3).
    uint256 internal constant V2_V2_INVENTORY_MAX = 110_700;

    uint256 internal constant INVENTORY = 20 ether;
    /// @dev Flash routes: the executor holds only earlier profits, less than the cycle's input.
    uint256 internal constant DUST = 0.01 ether;
    /// @dev An odd amount, as a sized cycle would have (every byte non-zero costs what it costs).
    uint256 internal constant AMOUNT_IN = 0.731945028613749211 ether;

    struct Measured {
        uint256 gas;
        uint256 calldataGas;
        uint256 calldataBytes;
    }

    function test_gasSnapshot() public {
        if (!_isolated()) {
            vm.skip(true, "transaction-level gas needs `forge test --isolate` (tools/forge-checks)");
        }
        uint8 direct = Programs.CAPITAL_DIRECT;
        Measured memory v2v2Inv = _measure(
            "v2_v2_inventory", direct, _legs(Kind.V2, sushiWethA, Kind.V2, uniWethA), INVENTORY
        );
        Measured memory v2v2Flash = _measure(
            "v2_v2_flash", direct, _legs(Kind.V2, sushiWethA, Kind.V2_FLASH, uniWethA), DUST
        );
        Measured memory v3v2Inv = _measure(
            "v3_v2_inventory", direct, _legs(Kind.V3, v3WethA, Kind.V2, uniWethA), INVENTORY
        );
        Measured memory v3v2Flash =
            _measure("v3_v2_flash", direct, _legs(Kind.V3, v3WethA, Kind.V2_FLASH, uniWethA), DUST);
        Measured memory v2v2v2Inv = _measure(
            "v2_v2_v2_inventory",
            direct,
            _legs(Kind.V2, sushiWethA, Kind.V2, uniAB, Kind.V2, uniBWeth),
            INVENTORY
        );
        uint8 v4 = Programs.MODE_V4;
        Measured memory v4v4Inv = _measure(
            "v4_v4_inventory", v4, _legs(Kind.V4, v4WethAHi, Kind.V4, v4WethALo), INVENTORY
        );
        Measured memory v4v2Inv = _measure(
            "v4_v2_inventory", v4, _legs(Kind.V4, v4WethAHi, Kind.V2, uniWethA), INVENTORY
        );
        Measured memory v3v4Inv =
            _measure("v3_v4_inventory", v4, _legs(Kind.V3, v3WethA, Kind.V4, v4WethALo), INVENTORY);

        string memory obj = "executor-gas";
        vm.serializeUint(obj, "v2_v2_inventory", v2v2Inv.gas);
        vm.serializeUint(obj, "v2_v2_flash", v2v2Flash.gas);
        vm.serializeUint(obj, "v3_v2_inventory", v3v2Inv.gas);
        vm.serializeUint(obj, "v3_v2_flash", v3v2Flash.gas);
        vm.serializeUint(obj, "v2_v2_v2_inventory", v2v2v2Inv.gas);
        vm.serializeUint(obj, "v4_v4_inventory", v4v4Inv.gas);
        vm.serializeUint(obj, "v4_v2_inventory", v4v2Inv.gas);
        string memory json = vm.serializeUint(obj, "v3_v4_inventory", v3v4Inv.gas);
        vm.writeJson(json, SNAPSHOT);

        _baselines();

        assertLe(v2v2Inv.gas, V2_V2_INVENTORY_MAX, "v2_v2_inventory above the acceptance bound");
    }

    // ------------------------------------------------------------------ measurement

    /// @dev One route, in its own block after victims on each of its pools; state restored after.
    function _measure(string memory name, uint8 mode, Leg[] memory legs, uint256 executorWeth)
        internal
        returns (Measured memory m)
    {
        return _measure(name, mode, legs, executorWeth, 0);
    }

    /// @dev The same with `executorEth` wei of ETH in the executor (its float).
    function _measure(
        string memory name,
        uint8 mode,
        Leg[] memory legs,
        uint256 executorWeth,
        uint256 executorEth
    ) internal returns (Measured memory m) {
        uint256 snap = vm.snapshotState();
        _fundExecutor(executorWeth);
        vm.deal(address(executor), executorEth);
        _newBlockWithVictims(legs);
        (bytes memory program, uint256 out) = _programAny(mode, legs, AMOUNT_IN, 1, 0);
        vm.prank(owner);
        (bool ok,) = address(executor).call(program);
        require(ok, name);
        m.gas = vm.lastCallGas().gasTotalUsed;
        (m.calldataGas, m.calldataBytes) = _calldataGas(program);
        console.log(
            string.concat(
                name,
                ": tx gas ",
                vm.toString(m.gas),
                ", calldata ",
                vm.toString(m.calldataBytes),
                " bytes / ",
                vm.toString(m.calldataGas),
                " gas, execution ",
                vm.toString(m.gas - 21_000 - m.calldataGas),
                ", profit ",
                vm.toString(out - AMOUNT_IN)
            )
        );
        vm.revertToState(snap);
    }

    /// @dev A new block; then one earlier transaction per pool of the cycle (a small victim swap
    ///      selling WETH, or the leg's input token).
    function _newBlockWithVictims(Leg[] memory legs) internal {
        vm.roll(block.number + 1);
        vm.warp(block.timestamp + 12);
        address tokenIn = address(weth);
        for (uint256 i; i < legs.length; ++i) {
            (address t0, address t1) = _tokens(legs[i]);
            if (tokenIn == address(weth) && t0 == address(0)) tokenIn = address(0);
            bool zeroForOne = tokenIn == t0;
            uint256 amount =
                tokenIn == address(weth) || tokenIn == address(0) ? 0.1 ether : 200 ether;
            if (legs[i].kind == Kind.V4) {
                _v4Swap(v4Keys[legs[i].pool], zeroForOne, amount);
            } else if (legs[i].kind == Kind.V3) {
                v3.swap(legs[i].pool, zeroForOne, amount, address(v3));
            } else {
                uint256 out = _v2Out(legs[i].pool, zeroForOne, amount);
                require(IERC20Like(tokenIn).transfer(legs[i].pool, amount));
                IUniswapV2PairLike(legs[i].pool)
                    .swap(zeroForOne ? 0 : out, zeroForOne ? out : 0, address(this), "");
            }
            tokenIn = zeroForOne ? t1 : t0;
        }
    }

    function _calldataGas(bytes memory data) internal pure returns (uint256 gas, uint256 len) {
        len = data.length;
        for (uint256 i; i < len; ++i) {
            gas += data[i] == 0 ? 4 : 16;
        }
    }

    /// @dev Only in isolate mode is a top-level call a transaction: its gas then includes the
    ///      21,000 base cost.
    function _isolated() internal returns (bool) {
        (bool ok,) = address(weth).call(abi.encodeWithSignature("totalSupply()"));
        require(ok);
        return vm.lastCallGas().gasTotalUsed >= 21_000;
    }

    // ------------------------------------------------------------------ baselines (logged)

    /// @dev The V2 -> V2 cycle done (1) by the owner EOA as three plain transactions
    ///      (transfer, swap to the next pair, swap to itself), and (2) by a contract with the
    ///      route baked into its bytecode, called with no calldata: the floor on this setup.
    function _baselines() internal {
        // The flash route again with an executor holding no WETH at all: its balance slot goes
        // from zero to non-zero (20,000 instead of 2,900), which is why sweeps keep 1 wei.
        _measure(
            "v2_v2_flash_empty_executor",
            Programs.CAPITAL_DIRECT,
            _legs(Kind.V2, sushiWethA, Kind.V2_FLASH, uniWethA),
            0
        );

        Leg[] memory legs = _legs(Kind.V2, sushiWethA, Kind.V2, uniWethA);

        uint256 snap = vm.snapshotState();
        require(weth.transfer(owner, INVENTORY));
        _newBlockWithVictims(legs);
        (Programs.Hop[] memory hops,) = _quote(legs, AMOUNT_IN);
        uint256[3] memory eoa;
        vm.prank(owner);
        require(weth.transfer(sushiWethA, AMOUNT_IN));
        eoa[0] = vm.lastCallGas().gasTotalUsed;
        vm.prank(owner);
        _v2SwapCall(hops[0], uniWethA);
        eoa[1] = vm.lastCallGas().gasTotalUsed;
        vm.prank(owner);
        _v2SwapCall(hops[1], owner);
        eoa[2] = vm.lastCallGas().gasTotalUsed;
        console.log(
            string.concat(
                "eoa_direct_v2_v2: transfer ",
                vm.toString(eoa[0]),
                " + swap ",
                vm.toString(eoa[1]),
                " + swap ",
                vm.toString(eoa[2]),
                " = ",
                vm.toString(eoa[0] + eoa[1] + eoa[2])
            )
        );
        vm.revertToState(snap);

        _newBlockWithVictims(legs);
        (hops,) = _quote(legs, AMOUNT_IN);
        BakedV2V2 baked = new BakedV2V2(address(weth), Cast.u96(AMOUNT_IN), hops[0], hops[1]);
        require(weth.transfer(address(baked), INVENTORY));
        (bool ok,) = address(baked).call("");
        require(ok, "baked v2");
        console.log(
            string.concat("baked_v2_v2 (floor here): ", vm.toString(vm.lastCallGas().gasTotalUsed))
        );
        vm.revertToState(snap);

        legs = _legs(Kind.V3, v3WethA, Kind.V2, uniWethA);
        _newBlockWithVictims(legs);
        (hops,) = _quote(legs, AMOUNT_IN);
        BakedV3V2 bakedV3 = new BakedV3V2(address(weth), Cast.u96(AMOUNT_IN), hops[0], hops[1]);
        require(weth.transfer(address(bakedV3), INVENTORY));
        (ok,) = address(bakedV3).call("");
        require(ok, "baked v3");
        console.log(
            string.concat("baked_v3_v2 (floor here): ", vm.toString(vm.lastCallGas().gasTotalUsed))
        );
        vm.revertToState(snap);

        _bakedV4();

        // V4 capital and native ETH, logged for BENCHMARKS.md.
        uint8 v4 = Programs.MODE_V4;
        uint8 borrow = Programs.MODE_V4 | Programs.MODE_BORROW;
        _measure("v3_v4_borrow", borrow, _legs(Kind.V3, v3WethA, Kind.V4, v4WethALo), DUST);
        _measure("v2_v2_borrow", borrow, _legs(Kind.V2, sushiWethA, Kind.V2, uniWethA), DUST);
        _measure("v3_v2_borrow", borrow, _legs(Kind.V3, v3WethA, Kind.V2, uniWethA), DUST);
        legs = _legs(Kind.V4, v4EthAHi, Kind.V2, uniWethA);
        _measure("v4native_v2_eth_float", v4, legs, INVENTORY, 1 ether);
        _measure("v4native_v2_unwrap", v4, legs, INVENTORY, 0);
        _measure("v3_v4native_eth_kept", v4, _legs(Kind.V3, v3WethA, Kind.V4, v4EthALo), INVENTORY);
        _measure("v4native_v4native", v4, _legs(Kind.V4, v4EthAHi, Kind.V4, v4EthALo), INVENTORY);
    }

    /// @dev The three V4 routes baked into bytecode the same way (BakedV4V4, BakedV4V2,
    ///      BakedV3V4): every key, direction and amount an immutable, no checks.
    function _bakedV4() internal {
        uint256 snap = vm.snapshotState();
        Leg[] memory legs = _legs(Kind.V4, v4WethAHi, Kind.V4, v4WethALo);
        _newBlockWithVictims(legs);
        (bool z0,, bool z1,) = _twoQuotes(legs);
        address baked = address(
            new BakedV4V4(
                address(weth), poolManager, AMOUNT_IN, v4Keys[v4WethAHi], z0, v4Keys[v4WethALo], z1
            )
        );
        _runBaked("baked_v4_v4", baked);
        vm.revertToState(snap);

        legs = _legs(Kind.V4, v4WethAHi, Kind.V2, uniWethA);
        _newBlockWithVictims(legs);
        uint256 out1;
        (z0,, z1, out1) = _twoQuotes(legs);
        baked = address(
            new BakedV4V2(
                address(weth),
                poolManager,
                AMOUNT_IN,
                v4Keys[v4WethAHi],
                z0,
                _other(v4Keys[v4WethAHi], address(weth)),
                uniWethA,
                z1 ? 0 : out1,
                z1 ? out1 : 0
            )
        );
        _runBaked("baked_v4_v2", baked);
        vm.revertToState(snap);

        legs = _legs(Kind.V3, v3WethA, Kind.V4, v4WethALo);
        _newBlockWithVictims(legs);
        (z0,, z1,) = _twoQuotes(legs);
        baked = address(
            new BakedV3V4(
                address(weth),
                poolManager,
                AMOUNT_IN,
                v3WethA,
                z0,
                _other(v4Keys[v4WethALo], address(weth)),
                v4Keys[v4WethALo],
                z1
            )
        );
        _runBaked("baked_v3_v4", baked);
        vm.revertToState(snap);
    }

    function _runBaked(string memory name, address baked) internal {
        require(weth.transfer(baked, INVENTORY));
        (bool ok,) = baked.call("");
        require(ok, name);
        console.log(
            string.concat(name, " (floor here): ", vm.toString(vm.lastCallGas().gasTotalUsed))
        );
    }

    /// @dev Directions and quoted outputs of a 2-leg cycle from WETH.
    function _twoQuotes(Leg[] memory legs)
        internal
        returns (bool z0, uint256 out0, bool z1, uint256 out1)
    {
        (address t0, address t1) = _tokens(legs[0]);
        z0 = t0 == address(weth);
        (, out0) = _encodeLeg(legs, 0, address(weth), AMOUNT_IN);
        address mid = z0 ? t1 : t0;
        (address u0,) = _tokens(legs[1]);
        z1 = mid == u0;
        (, out1) = _encodeLeg(legs, 1, mid, out0);
    }

    function _other(PoolKey memory key, address token) internal pure returns (address) {
        return key.currency0 == token ? key.currency1 : key.currency0;
    }

    function _v2SwapCall(Programs.Hop memory hop, address to) internal {
        bool zeroForOne = hop.flags & Programs.HOP_ZERO_FOR_ONE != 0;
        IUniswapV2PairLike(hop.pool)
            .swap(zeroForOne ? 0 : hop.amount, zeroForOne ? hop.amount : 0, to, "");
    }
}

/// @notice The V2 -> V2 cycle with every address and amount in immutables: no calldata, no
///         checks. What no executor can beat on this setup.
contract BakedV2V2 {
    address internal immutable WETH;
    address internal immutable PAIR0;
    address internal immutable PAIR1;
    uint256 internal immutable AMOUNT_IN;
    uint256 internal immutable OUT0_0;
    uint256 internal immutable OUT0_1;
    uint256 internal immutable OUT1_0;
    uint256 internal immutable OUT1_1;

    constructor(address weth, uint96 amountIn, Programs.Hop memory h0, Programs.Hop memory h1) {
        WETH = weth;
        PAIR0 = h0.pool;
        PAIR1 = h1.pool;
        AMOUNT_IN = amountIn;
        (OUT0_0, OUT0_1) = h0.flags & 1 != 0 ? (uint256(0), uint256(h0.amount)) : (h0.amount, 0);
        (OUT1_0, OUT1_1) = h1.flags & 1 != 0 ? (uint256(0), uint256(h1.amount)) : (h1.amount, 0);
    }

    fallback() external {
        require(IERC20Like(WETH).transfer(PAIR0, AMOUNT_IN));
        IUniswapV2PairLike(PAIR0).swap(OUT0_0, OUT0_1, PAIR1, "");
        IUniswapV2PairLike(PAIR1).swap(OUT1_0, OUT1_1, address(this), "");
    }
}

/// @notice The V3 -> V2 cycle baked in the same way: the V3 pool pays the pair, its callback is
///         paid WETH, then the pair pays this contract.
contract BakedV3V2 {
    address internal immutable WETH;
    address internal immutable POOL;
    address internal immutable PAIR;
    uint256 internal immutable AMOUNT_IN;
    bool internal immutable ZERO_FOR_ONE;
    uint256 internal immutable OUT_0;
    uint256 internal immutable OUT_1;

    constructor(address weth, uint96 amountIn, Programs.Hop memory h0, Programs.Hop memory h1) {
        WETH = weth;
        POOL = h0.pool;
        PAIR = h1.pool;
        AMOUNT_IN = amountIn;
        ZERO_FOR_ONE = h0.flags & 1 != 0;
        (OUT_0, OUT_1) = h1.flags & 1 != 0 ? (uint256(0), uint256(h1.amount)) : (h1.amount, 0);
    }

    fallback() external {
        IUniswapV3PoolLike(POOL)
            .swap(
                PAIR,
                ZERO_FOR_ONE,
                Cast.i256(AMOUNT_IN),
                ZERO_FOR_ONE ? 4295128740 : 1461446703485210103287273052203988822378723970341,
                ""
            );
        IUniswapV2PairLike(PAIR).swap(OUT_0, OUT_1, address(this), "");
    }

    function uniswapV3SwapCallback(int256 d0, int256 d1, bytes calldata) external {
        require(IERC20Like(WETH).transfer(POOL, Cast.positive(d0 > 0 ? d0 : d1)));
    }
}

uint160 constant MIN_SQRT_PRICE_PLUS_ONE = 4295128740;
uint160 constant MAX_SQRT_PRICE_MINUS_ONE = 1461446703485210103287273052203988822378723970341;

/// @notice WETH -> A -> WETH on two V4 pools in one unlock: two swaps, then take the profit.
contract BakedV4V4 {
    address internal immutable WETH;
    IPoolManagerLike internal immutable MANAGER;
    uint256 internal immutable AMOUNT_IN;
    address internal immutable K0_C0;
    address internal immutable K0_C1;
    uint24 internal immutable K0_FEE;
    int24 internal immutable K0_TS;
    bool internal immutable Z0;
    address internal immutable K1_C0;
    address internal immutable K1_C1;
    uint24 internal immutable K1_FEE;
    int24 internal immutable K1_TS;
    bool internal immutable Z1;

    constructor(
        address weth,
        IPoolManagerLike manager,
        uint256 amountIn,
        PoolKey memory k0,
        bool z0,
        PoolKey memory k1,
        bool z1
    ) {
        WETH = weth;
        MANAGER = manager;
        AMOUNT_IN = amountIn;
        (K0_C0, K0_C1, K0_FEE, K0_TS, Z0) = (k0.currency0, k0.currency1, k0.fee, k0.tickSpacing, z0);
        (K1_C0, K1_C1, K1_FEE, K1_TS, Z1) = (k1.currency0, k1.currency1, k1.fee, k1.tickSpacing, z1);
    }

    fallback() external {
        MANAGER.unlock("");
    }

    function unlockCallback(bytes calldata) external returns (bytes memory) {
        int256 d = MANAGER.swap(
            PoolKey(K0_C0, K0_C1, K0_FEE, K0_TS, address(0)),
            SwapParams(
                Z0, -Cast.i256(AMOUNT_IN), Z0 ? MIN_SQRT_PRICE_PLUS_ONE : MAX_SQRT_PRICE_MINUS_ONE
            ),
            ""
        );
        int256 mid = Z0 ? int256(int128(d)) : d >> 128;
        d = MANAGER.swap(
            PoolKey(K1_C0, K1_C1, K1_FEE, K1_TS, address(0)),
            SwapParams(Z1, -mid, Z1 ? MIN_SQRT_PRICE_PLUS_ONE : MAX_SQRT_PRICE_MINUS_ONE),
            ""
        );
        int256 out = Z1 ? int256(int128(d)) : d >> 128;
        MANAGER.take(WETH, address(this), uint256(out) - AMOUNT_IN);
        return "";
    }
}

/// @notice WETH -> A on V4, A -> WETH on a V2 pair: swap, take A to the pair, swap the pair,
///         then settle the WETH input.
contract BakedV4V2 {
    address internal immutable WETH;
    IPoolManagerLike internal immutable MANAGER;
    uint256 internal immutable AMOUNT_IN;
    address internal immutable C0;
    address internal immutable C1;
    uint24 internal immutable FEE;
    int24 internal immutable TS;
    bool internal immutable Z0;
    address internal immutable MID;
    address internal immutable PAIR;
    uint256 internal immutable OUT_0;
    uint256 internal immutable OUT_1;

    constructor(
        address weth,
        IPoolManagerLike manager,
        uint256 amountIn,
        PoolKey memory k,
        bool z0,
        address mid,
        address pair,
        uint256 out0,
        uint256 out1
    ) {
        WETH = weth;
        MANAGER = manager;
        AMOUNT_IN = amountIn;
        (C0, C1, FEE, TS, Z0) = (k.currency0, k.currency1, k.fee, k.tickSpacing, z0);
        (MID, PAIR, OUT_0, OUT_1) = (mid, pair, out0, out1);
    }

    fallback() external {
        MANAGER.unlock("");
    }

    function unlockCallback(bytes calldata) external returns (bytes memory) {
        int256 d = MANAGER.swap(
            PoolKey(C0, C1, FEE, TS, address(0)),
            SwapParams(
                Z0, -Cast.i256(AMOUNT_IN), Z0 ? MIN_SQRT_PRICE_PLUS_ONE : MAX_SQRT_PRICE_MINUS_ONE
            ),
            ""
        );
        int256 mid = Z0 ? int256(int128(d)) : d >> 128;
        MANAGER.take(MID, PAIR, uint256(mid));
        IUniswapV2PairLike(PAIR).swap(OUT_0, OUT_1, address(this), "");
        MANAGER.sync(WETH);
        require(IERC20Like(WETH).transfer(address(MANAGER), AMOUNT_IN));
        MANAGER.settle();
        return "";
    }
}

/// @notice WETH -> A on a V3 pool paying the PoolManager, A -> WETH on V4: sync, V3 swap (its
///         callback paid WETH), settle, V4 swap, take the output.
contract BakedV3V4 {
    address internal immutable WETH;
    IPoolManagerLike internal immutable MANAGER;
    uint256 internal immutable AMOUNT_IN;
    address internal immutable POOL;
    bool internal immutable Z0;
    address internal immutable MID;
    address internal immutable C0;
    address internal immutable C1;
    uint24 internal immutable FEE;
    int24 internal immutable TS;
    bool internal immutable Z1;

    constructor(
        address weth,
        IPoolManagerLike manager,
        uint256 amountIn,
        address pool,
        bool z0,
        address mid,
        PoolKey memory k,
        bool z1
    ) {
        WETH = weth;
        MANAGER = manager;
        AMOUNT_IN = amountIn;
        (POOL, Z0, MID) = (pool, z0, mid);
        (C0, C1, FEE, TS, Z1) = (k.currency0, k.currency1, k.fee, k.tickSpacing, z1);
    }

    fallback() external {
        MANAGER.unlock("");
    }

    function unlockCallback(bytes calldata) external returns (bytes memory) {
        MANAGER.sync(MID);
        IUniswapV3PoolLike(POOL)
            .swap(
                address(MANAGER),
                Z0,
                Cast.i256(AMOUNT_IN),
                Z0 ? MIN_SQRT_PRICE_PLUS_ONE : MAX_SQRT_PRICE_MINUS_ONE,
                ""
            );
        uint256 mid = MANAGER.settle();
        int256 d = MANAGER.swap(
            PoolKey(C0, C1, FEE, TS, address(0)),
            SwapParams(
                Z1, -Cast.i256(mid), Z1 ? MIN_SQRT_PRICE_PLUS_ONE : MAX_SQRT_PRICE_MINUS_ONE
            ),
            ""
        );
        int256 out = Z1 ? int256(int128(d)) : d >> 128;
        MANAGER.take(WETH, address(this), uint256(out));
        return "";
    }

    function uniswapV3SwapCallback(int256 d0, int256 d1, bytes calldata) external {
        require(IERC20Like(WETH).transfer(POOL, Cast.positive(d0 > 0 ? d0 : d1)));
    }
}

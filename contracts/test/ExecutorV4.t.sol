// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Fixture} from "./utils/Fixture.sol";
import {Programs} from "./utils/Programs.sol";
import {
    IERC20Like,
    IPoolManagerLike,
    PoolKey,
    SwapParams,
    ModifyLiquidityParams
} from "./utils/Interfaces.sol";
import {IExecutor} from "../src/interfaces/IExecutor.sol";
import {Executor} from "../src/Executor.sol";
import {Cast} from "./utils/Cast.sol";

/// @notice Uniswap V4 hops on the real PoolManager (v4-core 1.0.2 bytecode): every shape with
///         V2 and V3 hops around them, native ETH pools, the PoolManager as the capital; the
///         failure modes; and the red team: foreign callers of `unlockCallback`, a foreign
///         `unlock`, a hook calling back into the executor during our swap, hooked pools that
///         take part of the swap.
contract ExecutorV4Test is Fixture {
    uint256 internal constant INVENTORY = 20 ether;
    uint256 internal constant AMOUNT_IN = 0.5 ether;

    uint8 internal constant V4 = Programs.MODE_V4;
    uint8 internal constant V4_BORROW = Programs.MODE_V4 | Programs.MODE_BORROW;

    address internal attacker = makeAddr("attacker");

    // ------------------------------------------------------------------ routes

    /// @dev Both hops in the PoolManager: nothing moves but the profit (no inventory at all).
    function test_v4v4_noInventory() public {
        _assertCycle(V4, _legs(Kind.V4, v4WethAHi, Kind.V4, v4WethALo), 0);
    }

    /// @dev The V4 swap's output is taken straight to the pair; the pair pays this contract,
    ///      which settles the V4 input last: no inventory.
    function test_v4v2_noInventory() public {
        _assertCycle(V4, _legs(Kind.V4, v4WethAHi, Kind.V2, uniWethA), 0);
    }

    /// @dev A V3 last hop after a V4 hop: the V3 pool is paid in its callback by `take`.
    function test_v4v3_noInventory() public {
        _assertCycle(V4, _legs(Kind.V4, v4WethAHi, Kind.V3, v3WethA), 0);
    }

    function test_v3v4_inventory() public {
        _assertCycle(V4, _legs(Kind.V3, v3WethA, Kind.V4, v4WethALo), INVENTORY);
    }

    /// @dev The PoolManager lends the V3 pool its WETH (MODE_BORROW): no inventory.
    function test_v3v4_borrow() public {
        _assertCycle(V4_BORROW, _legs(Kind.V3, v3WethA, Kind.V4, v4WethALo), 0);
    }

    function test_v2v4_inventory() public {
        _assertCycle(V4, _legs(Kind.V2, sushiWethA, Kind.V4, v4WethALo), INVENTORY);
    }

    function test_v2v4_borrow() public {
        _assertCycle(V4_BORROW, _legs(Kind.V2, sushiWethA, Kind.V4, v4WethALo), 0);
    }

    /// @dev A V4 hop in the middle: the V2 pair before it pays the PoolManager (sync, settle), the
    ///      pair after it is paid by `take`.
    function test_v2v4v2_middle() public {
        _assertCycle(V4, _legs(Kind.V2, sushiWethA, Kind.V4, v4AB, Kind.V2, uniBWeth), INVENTORY);
        _assertCycle(V4_BORROW, _legs(Kind.V2, sushiWethA, Kind.V4, v4AB, Kind.V2, uniBWeth), 0);
    }

    function test_v4v4v2() public {
        _assertCycle(V4, _legs(Kind.V4, v4WethAHi, Kind.V4, v4AB, Kind.V2, uniBWeth), 0);
    }

    /// @dev V3 then V4 then a V2 flash swap: the flash pair's callback takes its input from the
    ///      PoolManager.
    function test_v3v4v2flash() public {
        _assertCycle(V4, _legs(Kind.V3, v3WethA, Kind.V4, v4AB, Kind.V2_FLASH, uniBWeth), INVENTORY);
    }

    /// @dev A V4 program of V2/V3 hops only: the PoolManager as a flash lender (MODE_BORROW).
    function test_v2v2_borrowFromThePoolManager() public {
        _assertCycle(V4_BORROW, _legs(Kind.V2, sushiWethA, Kind.V2, uniWethA), 0);
        _assertCycle(V4_BORROW, _legs(Kind.V3, v3WethA, Kind.V2, uniWethA), 0);
    }

    /// @dev 4 hops: V4 -> V2 -> V4 -> V2 (A -> B on the pair, B -> A on V4... ) and the shared
    ///      vectors' widest V4 shape.
    function test_fourHops_withV4() public {
        Leg[] memory legs = new Leg[](4);
        legs[0] = Leg(Kind.V4, v4WethAHi);
        legs[1] = Leg(Kind.V2, uniAB);
        legs[2] = Leg(Kind.V3, v3BC);
        legs[3] = Leg(Kind.V2, uniCWeth);
        _assertCycle(V4, legs, 0);
    }

    // ------------------------------------------------------------------ native ETH pools

    /// @dev ETH -> A on a native pool, A -> WETH on a pair. The PoolManager is owed ETH: paid
    ///      from the contract's ETH when it has enough, else by unwrapping WETH.
    function test_nativeV4v2_unwrapsOrUsesEth() public {
        Leg[] memory legs = _legs(Kind.V4, v4EthAHi, Kind.V2, uniWethA);
        uint256 snap = vm.snapshotState();
        _assertCycle(V4, legs, 0); // no ETH: unwraps amountIn from the pair's WETH
        assertEq(address(executor).balance, 0);
        vm.revertToState(snap);
        vm.deal(address(executor), 1 ether); // an ETH float pays, no unwrap
        _assertCycle(V4, legs, 0);
    }

    /// @dev WETH -> A on V3, A -> ETH on a native pool: the output is taken as ETH and kept.
    function test_v3NativeV4_keepsEth() public {
        _assertCycle(V4, _legs(Kind.V3, v3WethA, Kind.V4, v4EthALo), INVENTORY);
    }

    /// @dev ETH -> A -> ETH: only the ETH profit is taken.
    function test_nativeV4NativeV4() public {
        _assertCycle(V4, _legs(Kind.V4, v4EthAHi, Kind.V4, v4EthALo), 0);
    }

    /// @dev ETH -> A on a native pool, A -> WETH on a WETH pool: WETH taken, ETH settled.
    function test_nativeV4WethV4() public {
        _assertCycle(V4, _legs(Kind.V4, v4EthAHi, Kind.V4, v4WethALo), 0);
    }

    // ------------------------------------------------------------------ failures

    function test_v4BelowMinimumReverts() public {
        Leg[] memory legs = _legs(Kind.V4, v4WethAHi, Kind.V4, v4WethALo);
        (bytes memory program,) = _programAny(V4, legs, AMOUNT_IN, 0, 0);
        // the last 16 bytes are the last hop's minimum
        program[program.length - 1] = bytes1(uint8(program[program.length - 1]) + 1);
        _assertReverts(program, abi.encodeWithSelector(IExecutor.InsufficientOutput.selector));
        // the first hop's minimum: bump the 16-byte amount that ends 23 bytes before the end
        (program,) = _programAny(V4, legs, AMOUNT_IN, 0, 0);
        program[program.length - 24] = bytes1(uint8(program[program.length - 24]) + 1);
        _assertReverts(program, abi.encodeWithSelector(IExecutor.InsufficientOutput.selector));
    }

    function test_unprofitableV4Reverts() public {
        (bytes memory program,) =
            _programAny(V4, _legs(Kind.V4, v4WethALo, Kind.V4, v4WethAHi), AMOUNT_IN, 0, 0);
        _assertReverts(program, abi.encodeWithSelector(IExecutor.Unprofitable.selector));
    }

    function test_malformedV4ProgramsRevert() public {
        bytes memory bad = abi.encodeWithSelector(IExecutor.BadRoute.selector);
        Leg[] memory legs = _legs(Kind.V4, v4WethAHi, Kind.V4, v4WethALo);
        (bytes memory program,) = _programAny(V4, legs, AMOUNT_IN, 0, 0);
        // one byte more: the last hop's minimum moves, the walk overruns the end
        _assertReverts(bytes.concat(program, hex"00"), bad);
        // six hops: V4, V2 and three more V2 hops, the real last hop again at the end (so the
        // last amount still covers the input): the first V4 swap runs, then the count refuses
        (program,) = _programAny(V4, _legs(Kind.V4, v4WethAHi, Kind.V2, uniWethA), AMOUNT_IN, 0, 0);
        _fundExecutor(INVENTORY);
        bytes memory hop = Programs.hop(Programs.Hop(0, sushiWethA, 1));
        bytes memory six = bytes.concat(program, hop, hop, hop);
        _assertReverts(bytes.concat(six, _slice(program, program.length - 37, 37)), bad);
    }

    /// @dev A chain without a PoolManager: V4 programs revert instead of doing nothing.
    function test_v4ProgramWithoutPoolManagerReverts() public {
        Executor bare = new Executor(owner, cold, address(weth), address(0));
        (bytes memory program,) =
            _programAny(V4, _legs(Kind.V4, v4WethAHi, Kind.V4, v4WethALo), AMOUNT_IN, 0, 0);
        vm.prank(owner);
        (bool ok, bytes memory ret) = address(bare).call(program);
        assertFalse(ok);
        assertEq(ret, abi.encodeWithSelector(IExecutor.BadRoute.selector));
    }

    /// @dev A V4 program whose trailing V2/V3 run ends in another token than WETH is refused
    ///      (the last-hop read), and one whose V4 last hop pays another token cannot settle.
    function test_v4CycleNotEndingInWethReverts() public {
        (bytes memory program,) = _programAny(
            V4, _legs(Kind.V4, v4WethAHi, Kind.V4, v4AB, Kind.V2, uniBWeth), AMOUNT_IN, 0, 0
        );
        // flip the last (V2) hop's direction: it pays B, not WETH
        program[program.length - 37] ^= bytes1(Programs.HOP_ZERO_FOR_ONE);
        _assertReverts(program, abi.encodeWithSelector(IExecutor.BadRoute.selector));
    }

    // ------------------------------------------------------------------ red team

    /// @dev Nobody but the PoolManager, during our own unlock, reaches unlockCallback: not an
    ///      EOA, not a contract, not the owner, not even the PoolManager's address when no unlock
    ///      of ours is running.
    function test_unlockCallbackRejectsEveryoneButOurUnlock() public {
        _fundExecutor(INVENTORY);
        bytes memory drain = _drainProgram(address(new ForeignUnlocker(poolManager)));
        address[4] memory callers = [attacker, address(this), owner, address(poolManager)];
        for (uint256 i; i < callers.length; ++i) {
            vm.prank(callers[i]);
            vm.expectRevert(IExecutor.UnexpectedCallback.selector);
            IExecutor(address(executor)).unlockCallback(drain);
        }
        assertEq(weth.balanceOf(address(executor)), INVENTORY);
    }

    /// @dev A foreign unlock: the PoolManager calls back the unlocker, never us; the unlocker's
    ///      callback forwards a drain program to our unlockCallback and our V2/V3 callbacks.
    function test_foreignUnlockCannotReachUs() public {
        _fundExecutor(INVENTORY);
        ForeignUnlocker foreign = new ForeignUnlocker(poolManager);
        foreign.attack(address(executor), _drainProgram(address(foreign)));
        assertEq(foreign.attempts(), 3);
        assertEq(foreign.unexpectedCallbacks(), 3, "every reentry met UnexpectedCallback");
        assertEq(weth.balanceOf(address(executor)), INVENTORY);
    }

    /// @dev A hook that calls back into the executor (all three callbacks, with drain data)
    ///      during our own swap: every call is refused, the cycle completes with exactly its
    ///      program's profit.
    function test_hookReentryDuringOurSwapIsRefused() public {
        ReentrantHook hook = ReentrantHook(_hookAt(type(ReentrantHook).creationCode, HOOK_BEFORE));
        hook.arm(address(executor), _drainProgram(address(hook)), address(weth));
        address hooked =
            _v4Pool(address(weth), address(tokenA), 3000, 60, 2150, address(hook), 2e22);
        _fundExecutor(INVENTORY);
        _assertCycle(V4, _legs(Kind.V4, hooked, Kind.V2, uniWethA), INVENTORY);
        assertEq(hook.attempts(), 3);
        assertEq(hook.unexpectedCallbacks(), 3, "every reentry met UnexpectedCallback");
    }

    /// @dev A hooked pool named in a program whose hook takes part of our output (afterSwap
    ///      return delta): the program's minimum is the guard. Quoted with the hook, the cycle
    ///      pays exactly the program's numbers; with a greedier hook than quoted, it reverts.
    function test_hookTakingOutputIsBoundedByTheMinimum() public {
        GreedyHook hook = GreedyHook(payable(_hookAt(type(GreedyHook).creationCode, HOOK_GREEDY)));
        address hooked =
            _v4Pool(address(weth), address(tokenA), 3000, 60, 2150, address(hook), 2e22);
        Leg[] memory legs = _legs(Kind.V4, hooked, Kind.V2, uniWethA);
        _fundExecutor(INVENTORY);
        hook.set(0, 100); // takes 1% of the output
        _assertCycle(V4, legs, INVENTORY);
        (bytes memory program,) = _programAny(V4, legs, AMOUNT_IN, 0, 0);
        hook.set(0, 200); // 2%: below the program's minimum
        _assertReverts(program, abi.encodeWithSelector(IExecutor.InsufficientOutput.selector));
    }

    /// @dev A hook taking part of our input (beforeSwap return delta): an exact-input swap still
    ///      costs exactly the input; the pool swaps less, the output falls below the minimum.
    function test_hookTakingInputCannotChargeMore() public {
        GreedyHook hook = GreedyHook(payable(_hookAt(type(GreedyHook).creationCode, HOOK_GREEDY)));
        address hooked =
            _v4Pool(address(weth), address(tokenA), 3000, 60, 2150, address(hook), 2e22);
        Leg[] memory legs = _legs(Kind.V4, hooked, Kind.V4, v4WethALo);
        (bytes memory program,) = _programAny(V4, legs, AMOUNT_IN, 0, 0);
        hook.set(5000, 0); // keeps half of our input
        _assertReverts(program, abi.encodeWithSelector(IExecutor.InsufficientOutput.selector));
        // Quoted with the hook, the cycle runs and pays exactly what the program says.
        hook.set(10, 0);
        _fundExecutor(INVENTORY);
        (bytes memory quoted, uint256 out) = _programAny(V4, legs, AMOUNT_IN, 0, 0);
        assertGt(out, AMOUNT_IN, "fixture: still profitable with the hook's cut");
        uint256 before = weth.balanceOf(address(executor));
        (bool ok, bytes memory ret) = _run(quoted);
        assertTrue(ok, vm.toString(ret));
        assertEq(weth.balanceOf(address(executor)) - before, out - AMOUNT_IN);
    }

    // ------------------------------------------------------------------ fuzz

    function testFuzz_v4v4_profitOrRevert(uint256 amountIn, uint256 minProfit) public {
        amountIn = bound(amountIn, 1e9, 20 ether);
        minProfit = bound(minProfit, 0, 0.1 ether);
        _profitOrRevert(V4, _legs(Kind.V4, v4WethAHi, Kind.V4, v4WethALo), amountIn, minProfit);
    }

    function testFuzz_v4v2_profitOrRevert(uint256 amountIn, uint256 minProfit) public {
        amountIn = bound(amountIn, 1e9, 20 ether);
        minProfit = bound(minProfit, 0, 0.1 ether);
        _profitOrRevert(V4, _legs(Kind.V4, v4WethAHi, Kind.V2, uniWethA), amountIn, minProfit);
    }

    function testFuzz_v3v4Borrow_profitOrRevert(uint256 amountIn, uint256 minProfit) public {
        amountIn = bound(amountIn, 1e9, 20 ether);
        minProfit = bound(minProfit, 0, 0.1 ether);
        _profitOrRevert(V4_BORROW, _legs(Kind.V3, v3WethA, Kind.V4, v4WethALo), amountIn, minProfit);
    }

    function testFuzz_nativeV4v2_profitOrRevert(uint256 amountIn, uint256 minProfit) public {
        amountIn = bound(amountIn, 1e9, 20 ether);
        minProfit = bound(minProfit, 0, 0.1 ether);
        _profitOrRevert(V4, _legs(Kind.V4, v4EthAHi, Kind.V2, uniWethA), amountIn, minProfit);
    }

    function _profitOrRevert(uint8 mode, Leg[] memory legs, uint256 amountIn, uint256 minProfit)
        internal
    {
        (bytes memory program, uint256 out) = _programAny(mode, legs, amountIn, minProfit, 0);
        uint256 before = _base();
        (bool ok, bytes memory ret) = _run(program);
        if (out >= amountIn + minProfit) {
            assertTrue(ok, vm.toString(ret));
            assertEq(_base() - before, out - amountIn);
        } else {
            assertFalse(ok);
            assertEq(ret, abi.encodeWithSelector(IExecutor.Unprofitable.selector));
            assertEq(_base(), before);
        }
    }

    // ------------------------------------------------------------------ helpers

    /// @dev WETH + ETH: the cycle's base, in whichever form the executor holds it.
    function _base() internal view returns (uint256) {
        return weth.balanceOf(address(executor)) + address(executor).balance;
    }

    /// @dev Runs the cycle from `inventory` WETH and proves: WETH + ETH up by exactly the
    ///      program's profit, no other token left, no V2 pair with unsynced tokens, no allowance.
    function _assertCycle(uint8 mode, Leg[] memory legs, uint256 inventory) internal {
        _fundExecutor(inventory);
        (bytes memory program, uint256 out) = _programAny(mode, legs, AMOUNT_IN, 1, 0);
        assertGt(out, AMOUNT_IN, "fixture: cycle should be profitable");
        uint256 before = _base();
        (bool ok, bytes memory ret) = _run(program);
        assertTrue(ok, vm.toString(ret));
        assertEq(_base() - before, out - AMOUNT_IN, "profit");
        IERC20Like[3] memory others = [tokenA, tokenB, tokenC];
        for (uint256 i; i < others.length; ++i) {
            assertEq(others[i].balanceOf(address(executor)), 0, "intermediate token left");
        }
        for (uint256 i; i < legs.length; ++i) {
            if (legs[i].kind == Kind.V2 || legs[i].kind == Kind.V2_FLASH) {
                (address t0, address t1) = _tokens(legs[i]);
                (uint112 r0, uint112 r1,) = _reserves(legs[i].pool);
                assertEq(IERC20Like(t0).balanceOf(legs[i].pool), r0, "pair excess");
                assertEq(IERC20Like(t1).balanceOf(legs[i].pool), r1, "pair excess");
            }
        }
        assertEq(weth.allowance(address(executor), address(poolManager)), 0);
    }

    function _reserves(address pair) internal view returns (uint112, uint112, uint32) {
        (bool ok, bytes memory ret) = pair.staticcall(abi.encodeWithSignature("getReserves()"));
        require(ok);
        return abi.decode(ret, (uint112, uint112, uint32));
    }

    function _assertReverts(bytes memory program, bytes memory expected) internal {
        uint256 before = _base();
        (bool ok, bytes memory ret) = _run(program);
        assertFalse(ok, "should revert");
        assertEq(ret, expected, "revert data");
        assertEq(_base(), before);
    }

    /// @dev A V4 "program" that, run by the executor, would swap the executor's WETH into A on
    ///      a real pool and send the A to `thief` (the V2 "pair" at the end).
    function _drainProgram(address thief) internal view returns (bytes memory) {
        bytes[] memory hops = new bytes[](2);
        PoolKey memory key = v4Keys[v4WethAHi];
        hops[0] = Programs.v4Hop(
            Programs.V4Hop(
                (key.currency0 == address(weth) ? Programs.HOP_ZERO_FOR_ONE : 0)
                    | Programs.HOP_V4_TOKEN_OUT,
                address(0),
                address(tokenA),
                key.fee,
                key.tickSpacing,
                address(0),
                1
            )
        );
        hops[1] = Programs.hop(Programs.Hop(0, thief, Cast.u128(INVENTORY + 1)));
        return Programs.encodeRaw(
            Programs.MODE_V4 | Programs.MODE_BORROW, Cast.u96(INVENTORY), 0, 0, hops
        );
    }

    uint160 internal constant HOOK_BEFORE = 1 << 7; // beforeSwap
    /// @dev before/after swap, before/after swap returns delta
    uint160 internal constant HOOK_GREEDY = (1 << 7) | (1 << 6) | (1 << 3) | (1 << 2);

    /// @dev Deploys `code` at an address whose low 14 bits are exactly `flags` (V4 reads a
    ///      hook's permissions from its address).
    function _hookAt(bytes memory code, uint160 flags) internal returns (address hook) {
        address deployed;
        bytes memory init = bytes.concat(code, abi.encode(address(poolManager)));
        assembly ("memory-safe") {
            deployed := create(0, add(init, 0x20), mload(init))
        }
        require(deployed != address(0), "hook deploy");
        hook = address(
            (uint160(uint256(keccak256(abi.encode(flags, deployed)))) & ~uint160(0x3fff)) | flags
        );
        vm.etch(hook, deployed.code);
    }

    function _slice(bytes memory b, uint256 start, uint256 len)
        internal
        pure
        returns (bytes memory out)
    {
        out = new bytes(len);
        for (uint256 i; i < len; ++i) {
            out[i] = b[start + i];
        }
    }
}

/// @notice Unlocks the PoolManager itself and, inside its own callback, calls the executor's
///         three callbacks with a drain payload. Records what happened.
contract ForeignUnlocker {
    IPoolManagerLike internal immutable MANAGER;
    address internal target;
    bytes internal payload;
    uint256 public attempts;
    uint256 public unexpectedCallbacks;

    constructor(IPoolManagerLike manager) {
        MANAGER = manager;
    }

    function attack(address executor, bytes calldata drain) external {
        target = executor;
        payload = drain;
        MANAGER.unlock("");
    }

    function unlockCallback(bytes calldata) external returns (bytes memory) {
        require(msg.sender == address(MANAGER));
        bytes memory data = payload;
        _try(abi.encodeWithSelector(IExecutor.unlockCallback.selector, data));
        _try(abi.encodeWithSelector(IExecutor.uniswapV2Call.selector, target, 0, 1 ether, data));
        _try(
            abi.encodeWithSelector(
                IExecutor.uniswapV3SwapCallback.selector, int256(1 ether), 0, data
            )
        );
        return "";
    }

    function _try(bytes memory call) internal {
        ++attempts;
        (bool ok, bytes memory ret) = target.call(call);
        require(!ok, "a foreign call succeeded");
        if (
            keccak256(ret)
                == keccak256(abi.encodeWithSelector(IExecutor.UnexpectedCallback.selector))
        ) {
            ++unexpectedCallbacks;
        }
    }

    receive() external payable {}
}

/// @notice A hook (beforeSwap) that, during the executor's own swap, calls the executor's three
///         callbacks with a drain payload, records the outcome and lets the swap go on.
contract ReentrantHook {
    address internal immutable MANAGER;
    address internal target;
    bytes internal payload;
    address internal weth;
    uint256 public attempts;
    uint256 public unexpectedCallbacks;

    constructor(address manager) {
        MANAGER = manager;
    }

    function arm(address executor, bytes calldata drain, address weth_) external {
        target = executor;
        payload = drain;
        weth = weth_;
    }

    function beforeSwap(address sender, PoolKey calldata, SwapParams calldata, bytes calldata)
        external
        returns (bytes4, int256, uint24)
    {
        require(msg.sender == MANAGER);
        // Only during the executor's own swap (quotes swap through the pool too).
        if (sender == target) {
            bytes memory data = payload;
            _try(abi.encodeWithSelector(IExecutor.unlockCallback.selector, data));
            _try(abi.encodeWithSelector(IExecutor.uniswapV2Call.selector, target, 0, 1 ether, data));
            _try(
                abi.encodeWithSelector(
                    IExecutor.uniswapV3SwapCallback.selector, int256(1 ether), 0, data
                )
            );
        }
        return (ReentrantHook.beforeSwap.selector, 0, 0);
    }

    function _try(bytes memory call) internal {
        ++attempts;
        (bool ok, bytes memory ret) = target.call(call);
        require(!ok, "a reentrant call succeeded");
        if (
            keccak256(ret)
                == keccak256(abi.encodeWithSelector(IExecutor.UnexpectedCallback.selector))
        ) {
            ++unexpectedCallbacks;
        }
    }
}

/// @notice A hook with swap and return-delta permissions that takes `inBps` of an exact input
///         before the swap (beforeSwap delta) and `outBps` of the output after it (afterSwap
///         delta), taking both from the PoolManager for itself.
contract GreedyHook {
    IPoolManagerLike internal immutable MANAGER;
    uint256 internal inBps;
    uint256 internal outBps;

    constructor(IPoolManagerLike manager) {
        MANAGER = manager;
    }

    function set(uint256 inBps_, uint256 outBps_) external {
        inBps = inBps_;
        outBps = outBps_;
    }

    function beforeSwap(address, PoolKey calldata key, SwapParams calldata params, bytes calldata)
        external
        returns (bytes4, int256, uint24)
    {
        require(msg.sender == address(MANAGER));
        int128 taken;
        if (params.amountSpecified < 0 && inBps != 0) {
            // forge-lint: disable-next-line(unsafe-typecast)
            taken = int128(-params.amountSpecified * int256(inBps) / 10_000);
            // forge-lint: disable-next-line(unsafe-typecast)
            MANAGER.take(
                params.zeroForOne ? key.currency0 : key.currency1, address(this), uint128(taken)
            );
        }
        // BeforeSwapDelta: specified in the high 128 bits
        return (GreedyHook.beforeSwap.selector, int256(taken) << 128, 0);
    }

    function afterSwap(
        address,
        PoolKey calldata key,
        SwapParams calldata params,
        int256 delta,
        bytes calldata
    ) external returns (bytes4, int128) {
        require(msg.sender == address(MANAGER));
        // forge-lint: disable-next-line(unsafe-typecast)
        int128 out = params.zeroForOne ? int128(delta) : int128(delta >> 128);
        int128 taken;
        if (out > 0 && outBps != 0) {
            // forge-lint: disable-next-line(unsafe-typecast)
            taken = int128(int256(out) * int256(outBps) / 10_000);
            // forge-lint: disable-next-line(unsafe-typecast)
            MANAGER.take(
                params.zeroForOne ? key.currency1 : key.currency0, address(this), uint128(taken)
            );
        }
        return (GreedyHook.afterSwap.selector, taken);
    }

    receive() external payable {}
}

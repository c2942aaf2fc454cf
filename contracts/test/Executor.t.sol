// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Fixture} from "./utils/Fixture.sol";
import {Programs} from "./utils/Programs.sol";
import {IERC20Like, IUniswapV2PairLike} from "./utils/Interfaces.sol";
import {IExecutor} from "../src/interfaces/IExecutor.sol";
import {Executor} from "../src/Executor.sol";
import {Cast} from "./utils/Cast.sol";

/// @notice Every route shape with every capital source, on real Uniswap V2/V3 bytecode; the
///         failure modes; access control; sweep.
contract ExecutorTest is Fixture {
    uint256 internal constant INVENTORY = 20 ether;
    uint256 internal constant AMOUNT_IN = 0.5 ether;

    uint8 internal constant DIRECT = Programs.CAPITAL_DIRECT;

    address internal attacker = makeAddr("attacker");

    // ------------------------------------------------------------------ route matrix

    function test_v2v2_inventory() public {
        _fundExecutor(INVENTORY);
        _assertCycle(DIRECT, _legs(Kind.V2, sushiWethA, Kind.V2, uniWethA));
    }

    function test_v2v2_flash() public {
        _assertCycle(DIRECT, _legs(Kind.V2, sushiWethA, Kind.V2_FLASH, uniWethA));
    }

    function test_v3v2_inventory() public {
        _fundExecutor(INVENTORY);
        _assertCycle(DIRECT, _legs(Kind.V3, v3WethA, Kind.V2, uniWethA));
    }

    /// @dev Borrowed from the last pool (V2 flash swap, the V3 swap inside its callback).
    function test_v3v2_flash() public {
        _assertCycle(DIRECT, _legs(Kind.V3, v3WethA, Kind.V2_FLASH, uniWethA));
    }

    /// @dev With a V3 last hop the WETH output always arrives before hop 0 is paid, so the
    ///      inventory and flash programs are the same bytes; inventory is present here.
    function test_v2v3_inventory() public {
        _fundExecutor(INVENTORY);
        _assertCycle(DIRECT, _legs(Kind.V2, sushiWethA, Kind.V3, v3WethA));
    }

    function test_v2v3_flash() public {
        _assertCycle(DIRECT, _legs(Kind.V2, sushiWethA, Kind.V3, v3WethA));
    }

    function test_v2v2v2_inventory() public {
        _fundExecutor(INVENTORY);
        _assertCycle(DIRECT, _legs(Kind.V2, sushiWethA, Kind.V2, uniAB, Kind.V2, uniBWeth));
    }

    function test_v2v2v2_flash() public {
        _assertCycle(DIRECT, _legs(Kind.V2, sushiWethA, Kind.V2, uniAB, Kind.V2_FLASH, uniBWeth));
    }

    /// @dev 4 hops with a V3 pool in the middle: WETH -V2-> A -V2-> B -V3-> C -V2-> WETH.
    function test_fourHops_v3InTheMiddle_allCapital() public {
        uint256 snap = vm.snapshotState();
        _fundExecutor(INVENTORY);
        _assertCycle(DIRECT, _fourHops(Kind.V2));
        vm.revertToState(snap);
        _assertCycle(DIRECT, _fourHops(Kind.V2_FLASH));
    }

    /// @dev Both directions of the same pools: the profitable one runs, the other reverts.
    function test_eitherDirection() public {
        _fundExecutor(INVENTORY);
        (bytes memory program,) =
            _program(DIRECT, _legs(Kind.V2, uniWethA, Kind.V2, sushiWethA), AMOUNT_IN, 0);
        _assertReverts(program, abi.encodeWithSelector(IExecutor.Unprofitable.selector));
        _assertCycle(DIRECT, _legs(Kind.V2, sushiWethA, Kind.V2, uniWethA));
    }

    // ------------------------------------------------------------------ builder payment

    /// @dev The ETH balance pays the whole bribe: no WETH is unwrapped.
    function test_bribeFromEthBalance() public {
        vm.deal(address(executor), 1 ether);
        _bribe(0.001 ether, 0.001 ether);
        assertEq(address(executor).balance, 1 ether - 0.001 ether, "balance pays");
    }

    /// @dev No ETH: the whole bribe is unwrapped from the WETH profit.
    function test_bribeUnwrappedWhenNoEth() public {
        _bribe(0.001 ether, 0);
        assertEq(address(executor).balance, 0, "no ETH kept");
    }

    /// @dev Some ETH: it is spent first and only the shortfall is unwrapped.
    function test_bribeUnwrapsOnlyTheShortfall() public {
        vm.deal(address(executor), 0.0004 ether);
        _bribe(0.001 ether, 0.0004 ether);
        assertEq(address(executor).balance, 0, "balance spent, shortfall unwrapped");
    }

    function test_bribeAboveProfitReverts() public {
        (Programs.Hop[] memory hops, uint256 out) =
            _quote(_legs(Kind.V2, sushiWethA, Kind.V2_FLASH, uniWethA), AMOUNT_IN);
        bytes memory program = Programs.encode(
            DIRECT | Programs.MODE_BRIBE,
            Cast.u96(AMOUNT_IN),
            0,
            Cast.u96(out - AMOUNT_IN + 1),
            hops
        );
        _assertReverts(program, abi.encodeWithSelector(IExecutor.Unprofitable.selector));
    }

    /// @dev Pays `bribe` with `fromEth` of it from the ETH balance: the builder gets the bribe,
    ///      the WETH profit shrinks by the unwrapped rest.
    function _bribe(uint256 bribe, uint256 fromEth) internal {
        (Programs.Hop[] memory hops, uint256 out) =
            _quote(_legs(Kind.V2, sushiWethA, Kind.V2_FLASH, uniWethA), AMOUNT_IN);
        bytes memory program = Programs.encode(
            DIRECT | Programs.MODE_BRIBE, Cast.u96(AMOUNT_IN), 1, Cast.u96(bribe), hops
        );
        uint256 coinbaseBefore = builder.balance;
        uint256 wethBefore = weth.balanceOf(address(executor));
        (bool ok, bytes memory ret) = _run(program);
        assertTrue(ok, _reason(ret));
        assertEq(builder.balance - coinbaseBefore, bribe, "coinbase paid");
        assertEq(
            weth.balanceOf(address(executor)) - wethBefore,
            out - AMOUNT_IN - (bribe - fromEth),
            "net WETH"
        );
    }

    // ------------------------------------------------------------------ failures

    function test_unprofitableReverts_minProfit() public {
        _fundExecutor(INVENTORY);
        (bytes memory program, uint256 out) =
            _program(DIRECT, _legs(Kind.V2, sushiWethA, Kind.V2, uniWethA), AMOUNT_IN, 0);
        (program,) = _program(
            DIRECT, _legs(Kind.V2, sushiWethA, Kind.V2, uniWethA), AMOUNT_IN, out - AMOUNT_IN + 1
        );
        _assertReverts(program, abi.encodeWithSelector(IExecutor.Unprofitable.selector));
    }

    function test_unprofitableReverts_losingCycleEveryCapital() public {
        _fundExecutor(INVENTORY);
        bytes memory unprofitable = abi.encodeWithSelector(IExecutor.Unprofitable.selector);
        (bytes memory p,) =
            _program(DIRECT, _legs(Kind.V2, uniWethA, Kind.V2_FLASH, sushiWethA), AMOUNT_IN, 0);
        _assertReverts(p, unprofitable);
        (p,) = _program(DIRECT, _legs(Kind.V3, v3WethA, Kind.V2_FLASH, sushiWethA), AMOUNT_IN, 0);
        _assertReverts(p, unprofitable);
        (p,) = _program(DIRECT, _legs(Kind.V2, uniWethA, Kind.V3, v3WethA), AMOUNT_IN, 0);
        _assertReverts(p, unprofitable);
        (p,) = _program(DIRECT, _legs(Kind.V2, uniWethA, Kind.V2, sushiWethA), AMOUNT_IN, 0);
        _assertReverts(p, unprofitable);
    }

    /// @dev A program whose amounts the pools cannot honour (a stale quote) reverts in the pool.
    function test_staleAmountsRevertInThePair() public {
        _fundExecutor(INVENTORY);
        (Programs.Hop[] memory hops,) =
            _quote(_legs(Kind.V2, sushiWethA, Kind.V2, uniWethA), AMOUNT_IN);
        hops[1].amount += 1;
        bytes memory program = Programs.encode(DIRECT, Cast.u96(AMOUNT_IN), 0, 0, hops);
        _assertReverts(program, abi.encodeWithSignature("Error(string)", "UniswapV2: K"));
    }

    function test_v3BelowMinimumReverts() public {
        (Programs.Hop[] memory hops,) =
            _quote(_legs(Kind.V2, sushiWethA, Kind.V3, v3WethA), AMOUNT_IN);
        hops[1].amount += 1;
        bytes memory program = Programs.encode(DIRECT, Cast.u96(AMOUNT_IN), 0, 0, hops);
        _assertReverts(program, abi.encodeWithSelector(IExecutor.InsufficientOutput.selector));
    }

    /// @dev A fee-on-transfer token delivers 1% less than the next pair needs: its K check
    ///      reverts the whole cycle, whatever the capital, and nothing moves.
    function test_feeOnTransferCycleRevertsCleanly() public {
        _fundExecutor(INVENTORY);
        bytes memory k = abi.encodeWithSignature("Error(string)", "UniswapV2: K");
        Leg[] memory legs = _legs(Kind.V2, sushiWethDef, Kind.V2, uniWethDef);
        (bytes memory p,) = _program(DIRECT, legs, AMOUNT_IN, 0);
        _assertReverts(p, k);
        (p,) =
            _program(DIRECT, _legs(Kind.V2, sushiWethDef, Kind.V2_FLASH, uniWethDef), AMOUNT_IN, 0);
        _assertReverts(p, k);
        assertEq(weth.balanceOf(address(executor)), INVENTORY);
        assertEq(def.balanceOf(address(executor)), 0);
    }

    function test_malformedProgramsRevert() public {
        _fundExecutor(INVENTORY);
        bytes memory bad = abi.encodeWithSelector(IExecutor.BadRoute.selector);
        (bytes memory p,) =
            _program(DIRECT, _legs(Kind.V2, sushiWethA, Kind.V2, uniWethA), AMOUNT_IN, 0);
        _assertReverts(bytes.concat(p, hex"00"), bad); // not a whole number of hops
        _assertReverts(_slice(p, 0, p.length - 37), bad); // one hop
        bytes memory capital3 = bytes.concat(hex"03", _slice(p, 1, p.length - 1));
        _assertReverts(capital3, bad); // unknown capital mode
        _assertReverts(hex"00", bad);
    }

    // ------------------------------------------------------------------ review findings (issue 11)

    /// @dev Finding 1: a CAPITAL_V3_FIRST program (mode 0x01) whose hop 1 is a V2 flash swap paid
    ///      amountIn twice. The capital modes 0x01 (V3_FIRST) and 0x02 (BALANCER) are gone: 0x01
    ///      alone is refused (it is now MODE_BORROW, valid only with MODE_V4), 0x02 always.
    function test_removedCapitalModesAreRefused() public {
        _fundExecutor(INVENTORY);
        bytes memory bad = abi.encodeWithSelector(IExecutor.BadRoute.selector);
        (Programs.Hop[] memory hops,) =
            _quote(_legs(Kind.V3, v3WethA, Kind.V2_FLASH, uniWethA), AMOUNT_IN);
        uint8[5] memory modes = [0x01, 0x02, 0x03, 0x05, 0x0a];
        for (uint256 i; i < modes.length; ++i) {
            _assertReverts(Programs.encode(modes[i], Cast.u96(AMOUNT_IN), 0, 0, hops), bad);
        }
    }

    /// @dev Finding 2: a last pool without code used to complete and keep the input.
    function test_lastPoolWithoutCodeIsRefused() public {
        _fundExecutor(INVENTORY);
        (Programs.Hop[] memory hops,) =
            _quote(_legs(Kind.V2, sushiWethA, Kind.V2, uniWethA), AMOUNT_IN);
        hops[1].pool = makeAddr("no code");
        _assertReverts(
            Programs.encode(DIRECT, Cast.u96(AMOUNT_IN), 0, 0, hops),
            abi.encodeWithSelector(IExecutor.BadRoute.selector)
        );
    }

    /// @dev Finding 2: a last hop with its direction flag flipped (V2 and V3, inventory and
    ///      flash) used to complete, paying out the intermediate token.
    function test_lastHopFlippedIsRefused() public {
        _fundExecutor(INVENTORY);
        Leg[][3] memory routes = [
            _legs(Kind.V2, sushiWethA, Kind.V2, uniWethA),
            _legs(Kind.V2, sushiWethA, Kind.V2_FLASH, uniWethA),
            _legs(Kind.V2, sushiWethA, Kind.V3, v3WethA)
        ];
        for (uint256 i; i < routes.length; ++i) {
            (Programs.Hop[] memory hops,) = _quote(routes[i], AMOUNT_IN);
            hops[1].flags ^= Programs.HOP_ZERO_FOR_ONE;
            _assertReverts(
                Programs.encode(DIRECT, Cast.u96(AMOUNT_IN), 0, 0, hops),
                abi.encodeWithSelector(IExecutor.BadRoute.selector)
            );
        }
    }

    /// @dev Finding 2: a cycle whose last pool pays another token than WETH (WETH -> A -> B).
    function test_cycleNotEndingInWethIsRefused() public {
        _fundExecutor(INVENTORY);
        (Programs.Hop[] memory hops,) =
            _quote(_legs(Kind.V2, sushiWethA, Kind.V2, uniWethA), AMOUNT_IN);
        uint256 a = hops[0].amount;
        bool aIs0 = IUniswapV2PairLike(uniAB).token0() == address(tokenA);
        hops[1] = Programs.Hop(
            aIs0 ? Programs.HOP_ZERO_FOR_ONE : 0, uniAB, Cast.u128(_v2Out(uniAB, aIs0, a))
        );
        _assertReverts(
            Programs.encode(DIRECT, Cast.u96(AMOUNT_IN), 0, 0, hops),
            abi.encodeWithSelector(IExecutor.BadRoute.selector)
        );
    }

    /// @dev Earlier hops without code cannot complete: the next pool never gets its input.
    function test_middlePoolWithoutCodeReverts() public {
        _fundExecutor(INVENTORY);
        Leg[] memory legs = _legs(Kind.V2, sushiWethA, Kind.V2, uniAB, Kind.V2, uniBWeth);
        (Programs.Hop[] memory hops,) = _quote(legs, AMOUNT_IN);
        hops[1].pool = makeAddr("no code");
        bytes memory program = Programs.encode(DIRECT, Cast.u96(AMOUNT_IN), 0, 0, hops);
        _assertReverts(
            program,
            abi.encodeWithSignature("Error(string)", "UniswapV2: INSUFFICIENT_INPUT_AMOUNT")
        );
        hops[0].pool = makeAddr("no code");
        hops[1].pool = uniAB;
        program = Programs.encode(DIRECT, Cast.u96(AMOUNT_IN), 0, 0, hops);
        _assertReverts(
            program,
            abi.encodeWithSignature("Error(string)", "UniswapV2: INSUFFICIENT_INPUT_AMOUNT")
        );
    }

    /// @dev Finding 3: a V3 hop's return data was read without checking its size; an address
    ///      without code returns none (and scratch memory would have been read as the output).
    function test_v3HopWithoutCodeIsRefused() public {
        _fundExecutor(INVENTORY);
        bytes memory bad = abi.encodeWithSelector(IExecutor.BadRoute.selector);
        (Programs.Hop[] memory hops,) =
            _quote(_legs(Kind.V3, v3WethA, Kind.V2, uniWethA), AMOUNT_IN);
        hops[0].pool = makeAddr("no code");
        _assertReverts(Programs.encode(DIRECT, Cast.u96(AMOUNT_IN), 0, 0, hops), bad);
        (hops,) = _quote(_fourHops(Kind.V2), AMOUNT_IN);
        hops[2].pool = makeAddr("no code"); // the V3 hop B -> C
        _assertReverts(Programs.encode(DIRECT, Cast.u96(AMOUNT_IN), 0, 0, hops), bad);
    }

    /// @dev Finding 4: "a V3 pool is paid at most the program's input" is now enforced: a pool
    ///      asking for one wei more than its exact input is refused.
    function test_v3PoolAskingMoreThanItsInputIsRefused() public {
        _fundExecutor(INVENTORY);
        address greedy = address(new GreedyV3Pool());
        (Programs.Hop[] memory hops,) =
            _quote(_legs(Kind.V3, v3WethA, Kind.V2, uniWethA), AMOUNT_IN);
        hops[0].pool = greedy;
        _assertReverts(
            Programs.encode(DIRECT, Cast.u96(AMOUNT_IN), 0, 0, hops),
            abi.encodeWithSelector(IExecutor.ExcessiveInput.selector)
        );
    }

    /// @dev Finding 4: "2 to 4 hops" is now enforced.
    function test_fiveHopsAreRefused() public {
        _fundExecutor(INVENTORY);
        (Programs.Hop[] memory four,) = _quote(_fourHops(Kind.V2), AMOUNT_IN);
        Programs.Hop[] memory five = new Programs.Hop[](5);
        five[0] = Programs.Hop(0, sushiWethA, 1);
        for (uint256 i; i < 4; ++i) {
            five[i + 1] = four[i];
        }
        _assertReverts(
            Programs.encode(DIRECT, Cast.u96(AMOUNT_IN), 0, 0, five),
            abi.encodeWithSelector(IExecutor.BadRoute.selector)
        );
    }

    // ------------------------------------------------------------------ access control

    function test_nonOwnerCannotRunPrograms() public {
        _fundExecutor(INVENTORY);
        (bytes memory p,) =
            _program(DIRECT, _legs(Kind.V2, sushiWethA, Kind.V2, uniWethA), AMOUNT_IN, 0);
        vm.prank(attacker);
        (bool ok, bytes memory ret) = address(executor).call(p);
        assertFalse(ok);
        assertEq(ret, abi.encodeWithSelector(IExecutor.NotOwner.selector));
    }

    function test_nonOwnerCannotSweep() public {
        _fundExecutor(INVENTORY);
        vm.prank(attacker);
        vm.expectRevert(IExecutor.NotOwner.selector);
        IExecutor(address(executor)).sweep(address(weth), 1);
    }

    function test_callbacksRejectedWhenNotArmed() public {
        _fundExecutor(INVENTORY);
        bytes memory drain = _drainCallbackData();
        bytes memory unexpected = abi.encodeWithSelector(IExecutor.UnexpectedCallback.selector);
        IExecutor ex = IExecutor(address(executor));
        address[3] memory callers = [attacker, uniWethA, owner];
        for (uint256 i; i < callers.length; ++i) {
            vm.prank(callers[i]);
            vm.expectRevert(unexpected);
            ex.uniswapV2Call(address(executor), 0, INVENTORY, drain);
            vm.prank(callers[i]);
            vm.expectRevert(unexpected);
            ex.uniswapV3SwapCallback(Cast.i256(INVENTORY), 0, drain);
        }
        assertEq(weth.balanceOf(address(executor)), INVENTORY);
    }

    /// @dev A real pair calling back with attacker-chosen data (pair.swap(to = executor)).
    function test_realPairCallbackWithCraftedDataReverts() public {
        _fundExecutor(INVENTORY);
        vm.prank(attacker);
        vm.expectRevert(IExecutor.UnexpectedCallback.selector);
        IUniswapV2PairLike(uniWethA).swap(0, 1 ether, address(executor), _drainCallbackData());
    }

    // ------------------------------------------------------------------ sweep, views, deploy

    function test_sweepTokenAndEthToColdWalletOnly() public {
        _fundExecutor(INVENTORY);
        vm.deal(address(executor), 2 ether);
        require(tokenA.transfer(address(executor), 7 ether));
        IExecutor ex = IExecutor(address(executor));
        vm.startPrank(owner);
        ex.sweep(address(weth), INVENTORY - 1);
        ex.sweep(address(tokenA), 7 ether);
        ex.sweep(address(0), 2 ether);
        vm.expectRevert(IExecutor.TransferFailed.selector);
        ex.sweep(address(0), 1 ether);
        vm.expectRevert(IExecutor.TransferFailed.selector);
        ex.sweep(address(tokenA), 1);
        vm.stopPrank();
        assertEq(weth.balanceOf(cold), INVENTORY - 1);
        assertEq(weth.balanceOf(address(executor)), 1);
        assertEq(tokenA.balanceOf(cold), 7 ether);
        assertEq(cold.balance, 2 ether);
        assertEq(weth.allowance(address(executor), owner), 0);
    }

    function test_views() public view {
        IExecutor ex = IExecutor(address(executor));
        assertEq(ex.owner(), owner);
        assertEq(ex.coldWallet(), cold);
        assertEq(ex.weth(), address(weth));
        assertEq(ex.poolManager(), address(poolManager));
    }

    function test_constructorRejectsZeroAddresses() public {
        vm.expectRevert(IExecutor.ZeroAddress.selector);
        new Executor(address(0), cold, address(weth), address(poolManager));
        vm.expectRevert(IExecutor.ZeroAddress.selector);
        new Executor(owner, address(0), address(weth), address(poolManager));
        vm.expectRevert(IExecutor.ZeroAddress.selector);
        new Executor(owner, cold, address(0), address(poolManager));
        // No PoolManager on this chain is allowed: V4 programs then revert.
        new Executor(owner, cold, address(weth), address(0));
    }

    // ------------------------------------------------------------------ fuzz

    /// @dev Any size: the executor either nets exactly the quoted profit or reverts Unprofitable.
    function testFuzz_v2v2Flash_profitOrRevert(uint256 amountIn, uint256 minProfit) public {
        amountIn = bound(amountIn, 1e9, 20 ether);
        minProfit = bound(minProfit, 0, 0.1 ether);
        _profitOrRevert(
            DIRECT, _legs(Kind.V2, sushiWethA, Kind.V2_FLASH, uniWethA), amountIn, minProfit
        );
    }

    function testFuzz_v3v2Flash_profitOrRevert(uint256 amountIn, uint256 minProfit) public {
        amountIn = bound(amountIn, 1e9, 20 ether);
        minProfit = bound(minProfit, 0, 0.1 ether);
        _profitOrRevert(
            DIRECT, _legs(Kind.V3, v3WethA, Kind.V2_FLASH, uniWethA), amountIn, minProfit
        );
    }

    /// @dev The V3 last hop lends: no inventory at all.
    function testFuzz_v2v3Flash_profitOrRevert(uint256 amountIn, uint256 minProfit) public {
        amountIn = bound(amountIn, 1e9, 20 ether);
        minProfit = bound(minProfit, 0, 0.1 ether);
        _profitOrRevert(DIRECT, _legs(Kind.V2, sushiWethA, Kind.V3, v3WethA), amountIn, minProfit);
    }

    function _profitOrRevert(uint8 mode, Leg[] memory legs, uint256 amountIn, uint256 minProfit)
        internal
    {
        (bytes memory program, uint256 out) = _program(mode, legs, amountIn, minProfit);
        uint256 before = weth.balanceOf(address(executor));
        (bool ok, bytes memory ret) = _run(program);
        if (out >= amountIn + minProfit) {
            assertTrue(ok, _reason(ret));
            assertEq(weth.balanceOf(address(executor)) - before, out - amountIn);
        } else {
            assertFalse(ok);
            assertEq(ret, abi.encodeWithSelector(IExecutor.Unprofitable.selector));
            assertEq(weth.balanceOf(address(executor)), before);
        }
    }

    // ------------------------------------------------------------------ helpers

    function _fourHops(Kind lastKind) internal view returns (Leg[] memory legs) {
        legs = new Leg[](4);
        legs[0] = Leg(Kind.V2, sushiWethA);
        legs[1] = Leg(Kind.V2, uniAB);
        legs[2] = Leg(Kind.V3, v3BC);
        legs[3] = Leg(lastKind, uniCWeth);
    }

    /// @dev Runs the cycle and proves: exact WETH profit as the program states it (so the
    ///      calldata-based check is the real one), nothing left in the executor in other
    ///      tokens, no V2 pair holding unsynced tokens (every hop delivered exactly), no
    ///      allowance granted to anyone.
    function _assertCycle(uint8 mode, Leg[] memory legs) internal {
        (bytes memory program, uint256 out) = _program(mode, legs, AMOUNT_IN, 1);
        assertGt(out, AMOUNT_IN, "fixture: cycle should be profitable");
        uint256 wethBefore = weth.balanceOf(address(executor));
        (bool ok, bytes memory ret) = _run(program);
        assertTrue(ok, _reason(ret));
        assertEq(weth.balanceOf(address(executor)) - wethBefore, out - AMOUNT_IN, "profit");
        IERC20Like[3] memory others = [tokenA, tokenB, tokenC];
        for (uint256 i; i < others.length; ++i) {
            assertEq(others[i].balanceOf(address(executor)), 0, "intermediate token left");
        }
        for (uint256 i; i < legs.length; ++i) {
            if (legs[i].kind != Kind.V3) _assertSynced(legs[i].pool);
            assertEq(weth.allowance(address(executor), legs[i].pool), 0);
        }
    }

    function _assertSynced(address pair) internal view {
        (uint112 r0, uint112 r1,) = IUniswapV2PairLike(pair).getReserves();
        assertEq(IERC20Like(IUniswapV2PairLike(pair).token0()).balanceOf(pair), r0, "pair excess");
        assertEq(IERC20Like(IUniswapV2PairLike(pair).token1()).balanceOf(pair), r1, "pair excess");
    }

    function _assertReverts(bytes memory program, bytes memory expected) internal {
        uint256 wethBefore = weth.balanceOf(address(executor));
        (bool ok, bytes memory ret) = _run(program);
        assertFalse(ok, "should revert");
        assertEq(ret, expected, "revert data");
        assertEq(weth.balanceOf(address(executor)), wethBefore);
    }

    /// @dev Callback data that, if the executor ran it, would pay the whole inventory to the
    ///      caller: TAG_PAY | WETH | the inventory.
    function _drainCallbackData() internal view returns (bytes memory) {
        return abi.encodePacked(uint8(1), address(weth), Cast.u128(INVENTORY));
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

    function _reason(bytes memory ret) internal pure returns (string memory) {
        // casting to bytes4 reads the selector, which is what is wanted
        // forge-lint: disable-next-line(unsafe-typecast)
        if (ret.length >= 68 && bytes4(ret) == 0x08c379a0) {
            return abi.decode(_slice(ret, 4, ret.length - 4), (string));
        }
        return vm.toString(ret);
    }
}

/// @notice A "V3 pool" that asks for one wei more than the exact input it was given.
contract GreedyV3Pool {
    function swap(address, bool, int256 amountSpecified, uint160, bytes calldata data)
        external
        returns (int256, int256)
    {
        GreedyV3Pool(msg.sender).uniswapV3SwapCallback(amountSpecified + 1, -1, data);
        return (amountSpecified + 1, -1);
    }

    function uniswapV3SwapCallback(int256, int256, bytes calldata) external {}
}

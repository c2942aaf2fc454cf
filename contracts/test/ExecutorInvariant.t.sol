// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {Fixture} from "./utils/Fixture.sol";
import {Programs} from "./utils/Programs.sol";
import {IERC20Like, IUniswapV2PairLike, IUniswapV3PoolLike} from "./utils/Interfaces.sol";
import {IExecutor} from "../src/interfaces/IExecutor.sol";
import {Cast} from "./utils/Cast.sol";

/// @notice Everything a non-owner can do to the executor, with payloads that would drain it if
///         it obeyed them: direct calls of every callback selector (`unlockCallback` included),
///         real pairs calling back with crafted data, a contract calling the V3 callback from
///         inside a real V3 swap, a foreign `unlock` of the real V4 PoolManager whose callback
///         calls the executor's callbacks, programs and sweeps sent by non-owners. Every call is expected to fail; `unexpectedSuccesses` counts those that
///         did not.
contract AttackHandler is Test {
    address internal immutable EXECUTOR;
    address internal immutable OWNER;
    address internal immutable WETH;
    address internal immutable V3_POOL;
    address internal immutable POOL_MANAGER;
    address[] internal pairs;
    address[] internal tokens;

    uint256 public unexpectedSuccesses;
    uint256 public attempts;
    /// @dev Failures whose revert data is not one of the executor's two guards (NotOwner,
    ///      UnexpectedCallback), i.e. attacks that failed for some other reason.
    uint256 public unguardedFailures;

    /// @dev Set while `reenterFromV3Swap` runs: the callback this contract receives from the
    ///      real V3 pool forwards to the executor.
    bytes internal forwardData;

    constructor(
        address executor,
        address owner,
        address weth,
        address v3Pool,
        address poolManager,
        address[] memory pairs_,
        address[] memory tokens_
    ) {
        EXECUTOR = executor;
        OWNER = owner;
        WETH = weth;
        V3_POOL = v3Pool;
        POOL_MANAGER = poolManager;
        pairs = pairs_;
        tokens = tokens_;
    }

    // ------------------------------------------------------------------ payloads

    /// @dev Callback data the executor would act on if it trusted it. `variant` picks a shape:
    ///      TAG_PAY (pay the caller WETH), TAG_PREFIX with a hop that pays an EOA-"pool" the
    ///      attacker controls, a whole program (a V4 one borrowing from the PoolManager, the
    ///      shape `unlockCallback` runs), or raw fuzzed bytes.
    function _data(uint8 variant, uint96 amount, address thief, bytes memory junk)
        internal
        view
        returns (bytes memory)
    {
        variant %= 4;
        if (variant == 0) return abi.encodePacked(uint8(1), WETH, uint128(amount));
        if (variant == 1) {
            return bytes.concat(
                abi.encodePacked(uint8(0), WETH, uint128(amount)),
                abi.encodePacked(uint8(0), thief, uint128(1))
            );
        }
        if (variant == 2) {
            return _program(Programs.MODE_V4 | Programs.MODE_BORROW, amount, thief);
        }
        return junk;
    }

    /// @dev A program that would pay `amount` WETH to `thief` (a "V2 pair" with no code: its
    ///      `swap` calls succeed) and claim an output that passes the profit check.
    function _program(uint8 mode, uint96 amount, address thief)
        internal
        pure
        returns (bytes memory)
    {
        Programs.Hop[] memory hops = new Programs.Hop[](2);
        hops[0] = Programs.Hop(0, thief, 1);
        hops[1] = Programs.Hop(0, thief, uint128(amount) + 1);
        return Programs.encode(mode, amount, 0, 0, hops);
    }

    function _attacker(uint256 seed) internal view returns (address a) {
        a = address(uint160(bound(seed, 1, type(uint160).max)));
        if (a == OWNER || a == EXECUTOR) a = address(0xBAD);
    }

    function _amount(uint256 seed) internal view returns (uint96) {
        return uint96(bound(seed, 1, IERC20Like(WETH).balanceOf(EXECUTOR) + 1));
    }

    function _record(bool ok, bytes memory ret) internal {
        ++attempts;
        if (ok) {
            ++unexpectedSuccesses;
        } else if (
            keccak256(ret) != keccak256(abi.encodeWithSelector(IExecutor.NotOwner.selector))
                && keccak256(ret)
                    != keccak256(abi.encodeWithSelector(IExecutor.UnexpectedCallback.selector))
        ) {
            ++unguardedFailures;
        }
    }

    // ------------------------------------------------------------------ actions

    function callV2Callback(
        uint256 seed,
        uint256 a0,
        uint256 a1,
        uint8 variant,
        bytes calldata junk
    ) external {
        address attacker = _attacker(seed);
        bytes memory data = _data(variant, _amount(a0), attacker, junk);
        vm.prank(attacker);
        (bool ok, bytes memory ret) = EXECUTOR.call(
            abi.encodeWithSelector(IExecutor.uniswapV2Call.selector, EXECUTOR, a0, a1, data)
        );
        _record(ok, ret);
    }

    function callV3Callback(uint256 seed, int256 d0, int256 d1, uint8 variant, bytes calldata junk)
        external
    {
        address attacker = _attacker(seed);
        bytes memory data = _data(variant, _amount(Cast.positive(d0)), attacker, junk);
        vm.prank(attacker);
        (bool ok, bytes memory ret) = EXECUTOR.call(
            abi.encodeWithSelector(IExecutor.uniswapV3SwapCallback.selector, d0, d1, data)
        );
        _record(ok, ret);
    }

    /// @dev The executor does call back-capable pairs; here a real pair calls it back on an
    ///      attacker's swap (to = executor, attacker's data).
    function realPairCallsBack(
        uint256 seed,
        uint256 pairIndex,
        uint256 out,
        uint8 variant,
        bytes calldata junk
    ) external {
        address attacker = _attacker(seed);
        address pair = pairs[bound(pairIndex, 0, pairs.length - 1)];
        (uint112 r0,,) = IUniswapV2PairLike(pair).getReserves();
        out = bound(out, 1, r0 - 1);
        bytes memory data = _data(variant, _amount(out), attacker, junk);
        if (data.length == 0) data = hex"00";
        vm.prank(attacker);
        (bool ok, bytes memory ret) = pair.call(
            abi.encodeWithSelector(IUniswapV2PairLike.swap.selector, out, 0, EXECUTOR, data)
        );
        _record(ok, ret);
    }

    /// @dev A contract swaps on the real V3 pool and, inside the pool's callback to it, calls the
    ///      executor's V3 callback: the pool is mid-swap, but the executor armed nothing.
    function reenterFromV3Swap(uint256 amount, bool zeroForOne, uint8 variant, bytes calldata junk)
        external
    {
        forwardData = _data(variant, _amount(amount), address(this), junk);
        (bool ok, bytes memory ret) = V3_POOL.call(
            abi.encodeWithSelector(
                IUniswapV3PoolLike.swap.selector,
                address(this),
                zeroForOne,
                int256(bound(amount, 1, 1 ether)),
                zeroForOne
                    ? uint160(4295128740)
                    : uint160(1461446703485210103287273052203988822378723970341),
                hex"00"
            )
        );
        delete forwardData;
        _record(ok, ret);
    }

    function uniswapV3SwapCallback(int256 d0, int256 d1, bytes calldata) external {
        (bool ok, bytes memory ret) = EXECUTOR.call(
            abi.encodeWithSelector(IExecutor.uniswapV3SwapCallback.selector, d0, d1, forwardData)
        );
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        // The executor paid the pool for us (it should never get here).
    }

    function callUnlockCallback(uint256 seed, uint256 amount, uint8 variant, bytes calldata junk)
        external
    {
        address attacker = _attacker(seed);
        bytes memory data = _data(variant, _amount(amount), attacker, junk);
        vm.prank(attacker);
        (bool ok, bytes memory ret) =
            EXECUTOR.call(abi.encodeWithSelector(IExecutor.unlockCallback.selector, data));
        _record(ok, ret);
    }

    /// @dev This contract unlocks the real PoolManager; inside its own unlockCallback it calls
    ///      one of the executor's callbacks (the PoolManager is unlocked, but not by the
    ///      executor, and the caller is not the PoolManager).
    function foreignUnlock(uint8 which, uint256 amount, uint8 variant, bytes calldata junk)
        external
    {
        forwardData = _data(variant, _amount(amount), address(this), junk);
        bytes4[3] memory selectors = [
            IExecutor.unlockCallback.selector,
            IExecutor.uniswapV2Call.selector,
            IExecutor.uniswapV3SwapCallback.selector
        ];
        forwardSelector = selectors[which % 3];
        (bool ok, bytes memory ret) =
            POOL_MANAGER.call(abi.encodeWithSignature("unlock(bytes)", abi.encode(uint256(0))));
        delete forwardData;
        _record(ok, ret);
    }

    bytes4 internal forwardSelector;

    function unlockCallback(bytes calldata) external returns (bytes memory) {
        require(msg.sender == POOL_MANAGER);
        bytes memory call = forwardSelector == IExecutor.unlockCallback.selector
            ? abi.encodeWithSelector(forwardSelector, forwardData)
            : forwardSelector == IExecutor.uniswapV2Call.selector
                ? abi.encodeWithSelector(forwardSelector, address(this), 0, 1 ether, forwardData)
                : abi.encodeWithSelector(forwardSelector, int256(1 ether), int256(0), forwardData);
        (bool ok, bytes memory ret) = EXECUTOR.call(call);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        return "";
    }

    function programAsNonOwner(uint256 seed, uint256 amount, uint8 mode, bytes calldata junk)
        external
    {
        address attacker = _attacker(seed);
        bytes memory program =
            mode % 2 == 1 ? junk : _program(Programs.CAPITAL_DIRECT, _amount(amount), attacker);
        vm.prank(attacker);
        (bool ok, bytes memory ret) = EXECUTOR.call(program);
        if (program.length == 0) return; // empty calldata is a plain ETH transfer, accepted
        _record(ok, ret);
    }

    function sweepAsNonOwner(uint256 seed, uint256 tokenIndex, uint256 amount) external {
        address attacker = _attacker(seed);
        address token = tokenIndex % (tokens.length + 1) == tokens.length
            ? address(0)
            : tokens[tokenIndex % tokens.length];
        vm.prank(attacker);
        (bool ok, bytes memory ret) =
            EXECUTOR.call(abi.encodeWithSelector(IExecutor.sweep.selector, token, amount));
        _record(ok, ret);
    }
}

contract ExecutorInvariantTest is Fixture {
    AttackHandler internal handler;
    uint256 internal wethStart;
    uint256 internal tokenAStart;
    uint256 internal ethStart;

    function setUp() public override {
        super.setUp();
        _fundExecutor(50 ether);
        require(tokenA.transfer(address(executor), 1_000 ether));
        vm.deal(address(executor), 3 ether);
        wethStart = weth.balanceOf(address(executor));
        tokenAStart = tokenA.balanceOf(address(executor));
        ethStart = address(executor).balance;

        address[] memory pairs = new address[](4);
        pairs[0] = uniWethA;
        pairs[1] = sushiWethA;
        pairs[2] = uniAB;
        pairs[3] = uniBWeth;
        address[] memory tokens = new address[](2);
        tokens[0] = address(weth);
        tokens[1] = address(tokenA);
        handler = new AttackHandler(
            address(executor), owner, address(weth), v3WethA, address(poolManager), pairs, tokens
        );
        bytes4[] memory selectors = new bytes4[](8);
        selectors[0] = AttackHandler.callV2Callback.selector;
        selectors[1] = AttackHandler.callV3Callback.selector;
        selectors[2] = AttackHandler.realPairCallsBack.selector;
        selectors[3] = AttackHandler.reenterFromV3Swap.selector;
        selectors[4] = AttackHandler.programAsNonOwner.selector;
        selectors[5] = AttackHandler.sweepAsNonOwner.selector;
        selectors[6] = AttackHandler.callUnlockCallback.selector;
        selectors[7] = AttackHandler.foreignUnlock.selector;
        targetContract(address(handler));
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    function invariant_balancesNeverDrop() public view {
        assertGe(weth.balanceOf(address(executor)), wethStart, "WETH");
        assertGe(tokenA.balanceOf(address(executor)), tokenAStart, "token A");
        assertGe(address(executor).balance, ethStart, "ETH");
    }

    function invariant_noAttackSucceeds() public view {
        assertEq(handler.unexpectedSuccesses(), 0, "an attack call succeeded");
        assertEq(handler.unguardedFailures(), 0, "an attack failed for another reason than a guard");
    }

    function invariant_noAllowanceGranted() public view {
        assertEq(weth.allowance(address(executor), address(handler)), 0);
        assertEq(tokenA.allowance(address(executor), address(handler)), 0);
    }

    /// @dev The payloads are real threats: sent by the owner, the same kind of program does pay
    ///      the thief (through a "pair" that claims to trade WETH and keeps what it gets). Only
    ///      the owner check and the armed-caller check stand between them: the owner is trusted
    ///      with the pools it names.
    function test_attackPayloadWouldDrainIfAuthorized() public {
        address thief = address(new FakePair(address(weth)));
        Programs.Hop[] memory hops = new Programs.Hop[](2);
        hops[0] = Programs.Hop(0, thief, 1);
        hops[1] = Programs.Hop(0, thief, 10 ether + 1);
        bytes memory program = Programs.encode(Programs.CAPITAL_DIRECT, 10 ether, 0, 0, hops);
        vm.prank(makeAddr("attacker"));
        (bool ok,) = address(executor).call(program);
        assertFalse(ok, "non-owner");
        vm.prank(owner);
        (ok,) = address(executor).call(program);
        assertTrue(ok, "owner");
        assertEq(weth.balanceOf(thief), 10 ether);
    }

    function test_handlerAttacksRevert() public {
        handler.callV2Callback(1, 1 ether, 0, 0, "");
        handler.callV3Callback(2, 1 ether, 0, 1, "");
        handler.realPairCallsBack(4, 0, 1 ether, 0, "");
        handler.reenterFromV3Swap(1 ether, true, 0, "");
        handler.programAsNonOwner(5, 1 ether, 0, "");
        handler.sweepAsNonOwner(6, 0, 1 ether);
        handler.callUnlockCallback(7, 1 ether, 2, "");
        handler.foreignUnlock(0, 1 ether, 2, "");
        handler.foreignUnlock(1, 1 ether, 0, "");
        handler.foreignUnlock(2, 1 ether, 1, "");
        assertEq(handler.attempts(), 10);
        assertEq(handler.unexpectedSuccesses(), 0);
        assertEq(handler.unguardedFailures(), 0);
        invariant_balancesNeverDrop();
    }
}

/// @notice A "pair" a thief could deploy: it names WETH as both tokens (so it passes the
///         executor's last-hop check) and keeps whatever it is sent.
contract FakePair {
    address internal immutable WETH;

    constructor(address weth) {
        WETH = weth;
    }

    function token0() external view returns (address) {
        return WETH;
    }

    function token1() external view returns (address) {
        return WETH;
    }

    function swap(uint256, uint256, address, bytes calldata) external {}
}

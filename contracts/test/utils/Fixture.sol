// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {Executor} from "../../src/Executor.sol";
import {
    IERC20Like,
    IWETH9,
    IUniswapV2FactoryLike,
    IUniswapV2PairLike,
    IUniswapV3FactoryLike,
    IUniswapV3PoolLike,
    IPoolManagerLike,
    IPoolModifyLiquidityTestLike,
    IPoolSwapTestLike,
    PoolKey,
    SwapParams,
    ModifyLiquidityParams,
    TestSettings
} from "./Interfaces.sol";
import {V3Helper} from "./V3Helper.sol";
import {V4Quoter} from "./V4Quoter.sol";
import {Programs} from "./Programs.sol";
import {Cast} from "./Cast.sol";

/// @notice Real protocol bytecode from node_modules (WETH9, Uniswap V2 factory + pairs twice,
///         Uniswap V3 factory + pools, the Uniswap V4 PoolManager with its PoolModifyLiquidityTest
///         and PoolSwapTest routers, plain and fee-on-transfer ERC20s),
///         pools with price gaps, an Executor, and a quoting route builder.
abstract contract Fixture is Test {
    string internal constant WETH9_JSON = "node_modules/@uniswap/v2-periphery/build/WETH9.json";
    string internal constant ERC20_JSON = "node_modules/@uniswap/v2-core/build/ERC20.json";
    string internal constant DEFLATING_JSON =
        "node_modules/@uniswap/v2-periphery/build/DeflatingERC20.json";
    string internal constant V2_FACTORY_JSON =
        "node_modules/@uniswap/v2-core/build/UniswapV2Factory.json";
    string internal constant V3_FACTORY_JSON =
        "node_modules/@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json";

    string internal constant V4_OUT = "node_modules/@uniswap/v4-core/out/";
    string internal constant POOL_MANAGER_JSON =
        "node_modules/@uniswap/v4-core/out/PoolManager.sol/PoolManager.json";
    string internal constant V4_LIQUIDITY_JSON =
        "node_modules/@uniswap/v4-core/out/PoolModifyLiquidityTest.sol/PoolModifyLiquidityTest.json";
    string internal constant V4_SWAP_JSON =
        "node_modules/@uniswap/v4-core/out/PoolSwapTest.sol/PoolSwapTest.json";

    uint24 internal constant V3_FEE = 3000;
    uint160 internal constant MIN_SQRT_PRICE_PLUS_ONE = 4295128740;
    uint160 internal constant MAX_SQRT_PRICE_MINUS_ONE =
        1461446703485210103287273052203988822378723970341;

    enum Kind {
        V2,
        V2_FLASH,
        V3,
        V4
    }

    struct Leg {
        Kind kind;
        address pool;
    }

    address internal owner = makeAddr("owner");
    address internal cold = makeAddr("cold");
    address internal builder = makeAddr("builder");

    IWETH9 internal weth;
    IERC20Like internal tokenA;
    IERC20Like internal tokenB;
    IERC20Like internal tokenC;
    IERC20Like internal def;
    IUniswapV2FactoryLike internal uni;
    IUniswapV2FactoryLike internal sushi;
    IUniswapV3FactoryLike internal v3Factory;
    V3Helper internal v3;
    Executor internal executor;

    // WETH/A at three prices (A per WETH): sushi 2100 > v3 2050 > uni 2000.
    address internal uniWethA;
    address internal sushiWethA;
    address internal v3WethA;
    // A -> B -> WETH leg of the 3-hop cycle, and B -> C (V3) -> WETH for the 4-hop one.
    address internal uniAB;
    address internal uniBWeth;
    address internal v3BC;
    address internal uniCWeth;
    // WETH/DEF (1% burned on every transfer) at 2000 and 2100.
    address internal uniWethDef;
    address internal sushiWethDef;

    // Uniswap V4: one PoolManager; a V4 leg's `pool` is a handle (the PoolId's low 160 bits)
    // naming its key in `v4Keys`. WETH/A and native ETH/A at 2150 (buy A) and 1950 (sell A).
    IPoolManagerLike internal poolManager;
    IPoolModifyLiquidityTestLike internal v4Liquidity;
    IPoolSwapTestLike internal v4Router;
    V4Quoter internal v4Quoter;
    mapping(address handle => PoolKey) internal v4Keys;
    address internal v4WethAHi;
    address internal v4WethALo;
    address internal v4EthAHi;
    address internal v4EthALo;
    address internal v4AB; // A/B at 1:1, for V4 hops in the middle of a cycle

    function setUp() public virtual {
        vm.deal(address(this), 1_000_000 ether);
        weth = IWETH9(_deploy(WETH9_JSON, ".bytecode", ""));
        weth.deposit{value: 500_000 ether}();
        tokenA = IERC20Like(_deploy(ERC20_JSON, ".bytecode", abi.encode(1e36)));
        tokenB = IERC20Like(_deploy(ERC20_JSON, ".bytecode", abi.encode(1e36)));
        tokenC = IERC20Like(_deploy(ERC20_JSON, ".bytecode", abi.encode(1e36)));
        def = IERC20Like(_deploy(DEFLATING_JSON, ".bytecode", abi.encode(1e36)));
        uni =
            IUniswapV2FactoryLike(_deploy(V2_FACTORY_JSON, ".bytecode", abi.encode(address(this))));
        sushi =
            IUniswapV2FactoryLike(_deploy(V2_FACTORY_JSON, ".bytecode", abi.encode(address(this))));
        v3Factory = IUniswapV3FactoryLike(_deploy(V3_FACTORY_JSON, ".bytecode", ""));
        v3 = new V3Helper();
        // The V3 helper pays for positions and victim swaps from its own balance.
        require(weth.transfer(address(v3), 10_000 ether));
        require(tokenA.transfer(address(v3), 1e32));
        require(tokenB.transfer(address(v3), 1e32));
        require(tokenC.transfer(address(v3), 1e32));

        uniWethA = _v2Pair(uni, address(weth), 100 ether, address(tokenA), 200_000 ether);
        sushiWethA = _v2Pair(sushi, address(weth), 100 ether, address(tokenA), 210_000 ether);
        v3WethA = _v3Pool(address(weth), 1 ether, address(tokenA), 2050 ether, 2e22);
        uniAB = _v2Pair(uni, address(tokenA), 1_000_000 ether, address(tokenB), 1_000_000 ether);
        uniBWeth = _v2Pair(uni, address(tokenB), 200_000 ether, address(weth), 100 ether);
        v3BC = _v3Pool(address(tokenB), 1 ether, address(tokenC), 1 ether, 1e24);
        uniCWeth = _v2Pair(uni, address(tokenC), 200_000 ether, address(weth), 100 ether);
        uniWethDef = _v2Pair(uni, address(weth), 100 ether, address(def), 200_000 ether);
        sushiWethDef = _v2Pair(sushi, address(weth), 100 ether, address(def), 210_000 ether);

        poolManager = IPoolManagerLike(
            _deploy(POOL_MANAGER_JSON, ".bytecode.object", abi.encode(address(this)))
        );
        v4Liquidity = IPoolModifyLiquidityTestLike(
            _deploy(V4_LIQUIDITY_JSON, ".bytecode.object", abi.encode(address(poolManager)))
        );
        v4Router = IPoolSwapTestLike(
            _deploy(V4_SWAP_JSON, ".bytecode.object", abi.encode(address(poolManager)))
        );
        v4Quoter = new V4Quoter(poolManager);
        IERC20Like[3] memory v4Tokens = [IERC20Like(address(weth)), tokenA, tokenB];
        for (uint256 i; i < v4Tokens.length; ++i) {
            v4Tokens[i].approve(address(v4Liquidity), type(uint256).max);
            v4Tokens[i].approve(address(v4Router), type(uint256).max);
        }
        v4WethAHi = _v4Pool(address(weth), address(tokenA), 3000, 60, 2150, address(0), 2e22);
        v4WethALo = _v4Pool(address(weth), address(tokenA), 500, 10, 1950, address(0), 2e22);
        v4EthAHi = _v4Pool(address(0), address(tokenA), 3000, 60, 2150, address(0), 2e22);
        v4EthALo = _v4Pool(address(0), address(tokenA), 500, 10, 1950, address(0), 2e22);
        v4AB = _v4Pool(address(tokenA), address(tokenB), 3000, 60, 1, address(0), 1e24);

        executor = new Executor(owner, cold, address(weth), address(poolManager));
        vm.label(address(executor), "Executor");
        vm.label(address(weth), "WETH9");
        vm.label(uniWethA, "uniWethA");
        vm.label(sushiWethA, "sushiWethA");
        vm.label(v3WethA, "v3WethA");
        vm.coinbase(builder);
        vm.deal(builder, 1 ether); // a builder's fee recipient is never an empty account
    }

    /// @dev ETH refunds of the V4 test routers.
    receive() external payable {}

    // ------------------------------------------------------------------ deployment helpers

    function _deploy(string memory path, string memory key, bytes memory args)
        internal
        returns (address deployed)
    {
        bytes memory code = bytes.concat(vm.parseJsonBytes(vm.readFile(path), key), args);
        assembly ("memory-safe") {
            deployed := create(0, add(code, 0x20), mload(code))
        }
        require(deployed != address(0), path);
    }

    function _v2Pair(
        IUniswapV2FactoryLike factory,
        address t0,
        uint256 amount0,
        address t1,
        uint256 amount1
    ) internal returns (address pair) {
        pair = factory.createPair(t0, t1);
        require(IERC20Like(t0).transfer(pair, amount0));
        require(IERC20Like(t1).transfer(pair, amount1));
        IUniswapV2PairLike(pair).mint(address(this));
    }

    /// @dev A 0.3% pool at `amountY` of `y` per `amountX` of `x`, with liquidity in several
    ///      overlapping positions (so several ticks are initialized around the price).
    function _v3Pool(address x, uint256 amountX, address y, uint256 amountY, uint128 liquidity)
        internal
        returns (address pool)
    {
        pool = v3Factory.createPool(x, y, V3_FEE);
        (uint256 r0, uint256 r1) = x < y ? (amountX, amountY) : (amountY, amountX);
        IUniswapV3PoolLike(pool).initialize(uint160(_sqrt((r1 << 96) / r0) << 48));
        (, int24 tick,,,,,) = IUniswapV3PoolLike(pool).slot0();
        int24 spacing = IUniswapV3PoolLike(pool).tickSpacing();
        int24 base = tick / spacing * spacing;
        if (tick < 0 && base != tick) base -= spacing;
        v3.mint(pool, base - 100 * spacing, base + 100 * spacing, liquidity);
        v3.mint(pool, base - 20 * spacing, base + 20 * spacing, liquidity);
        v3.mint(pool, base - 10 * spacing, base - 2 * spacing, liquidity / 2);
        v3.mint(pool, base + 3 * spacing, base + 12 * spacing, liquidity / 2);
    }

    /// @dev A V4 pool of `base` (WETH, or address 0 for native ETH) and `token` at
    ///      `tokenPerBase`, with liquidity in a wide and a narrow position around the price.
    ///      Returns its handle (see `v4Keys`).
    function _v4Pool(
        address base,
        address token,
        uint24 fee,
        int24 spacing,
        uint256 tokenPerBase,
        address hooks,
        uint128 liquidity
    ) internal returns (address handle) {
        PoolKey memory key = base < token
            ? PoolKey(base, token, fee, spacing, hooks)
            : PoolKey(token, base, fee, spacing, hooks);
        (uint256 r0, uint256 r1) = base < token
            ? (uint256(1 ether), tokenPerBase * 1 ether)
            : (tokenPerBase * 1 ether, 1 ether);
        int24 tick = poolManager.initialize(key, uint160(_sqrt((r1 << 96) / r0) << 48));
        int24 lower = tick / spacing * spacing;
        if (tick < 0 && lower != tick) lower -= spacing;
        _v4Mint(key, lower - 100 * spacing, lower + 100 * spacing, liquidity);
        _v4Mint(key, lower - 20 * spacing, lower + 20 * spacing, liquidity);
        handle = address(uint160(uint256(keccak256(abi.encode(key)))));
        v4Keys[handle] = key;
    }

    function _v4Mint(PoolKey memory key, int24 lower, int24 upper, uint128 liquidity) internal {
        v4Liquidity.modifyLiquidity{value: key.currency0 == address(0) ? 20_000 ether : 0}(
            key, ModifyLiquidityParams(lower, upper, int256(uint256(liquidity)), 0), ""
        );
    }

    /// @dev A victim's exact-input swap through the real PoolSwapTest router.
    function _v4Swap(PoolKey memory key, bool zeroForOne, uint256 amountIn) internal {
        v4Router.swap{value: zeroForOne && key.currency0 == address(0) ? amountIn : 0}(
            key,
            SwapParams(
                zeroForOne,
                -Cast.i256(amountIn),
                zeroForOne ? MIN_SQRT_PRICE_PLUS_ONE : MAX_SQRT_PRICE_MINUS_ONE
            ),
            TestSettings(false, false),
            ""
        );
    }

    function _sqrt(uint256 x) internal pure returns (uint256 z) {
        if (x == 0) return 0;
        z = x;
        uint256 y = (x + 1) / 2;
        while (y < z) {
            z = y;
            y = (x / y + y) / 2;
        }
    }

    // ------------------------------------------------------------------ routes

    function _legs(Kind k0, address p0, Kind k1, address p1)
        internal
        pure
        returns (Leg[] memory legs)
    {
        legs = new Leg[](2);
        legs[0] = Leg(k0, p0);
        legs[1] = Leg(k1, p1);
    }

    function _legs(Kind k0, address p0, Kind k1, address p1, Kind k2, address p2)
        internal
        pure
        returns (Leg[] memory legs)
    {
        legs = new Leg[](3);
        legs[0] = Leg(k0, p0);
        legs[1] = Leg(k1, p1);
        legs[2] = Leg(k2, p2);
    }

    function _tokens(Leg memory leg) internal view returns (address t0, address t1) {
        if (leg.kind == Kind.V4) return (v4Keys[leg.pool].currency0, v4Keys[leg.pool].currency1);
        t0 = IUniswapV2PairLike(leg.pool).token0();
        t1 = IUniswapV2PairLike(leg.pool).token1();
    }

    function _v2Out(address pair, bool zeroForOne, uint256 amountIn)
        internal
        view
        returns (uint256)
    {
        (uint256 r0, uint256 r1,) = IUniswapV2PairLike(pair).getReserves();
        (uint256 rIn, uint256 rOut) = zeroForOne ? (r0, r1) : (r1, r0);
        uint256 inWithFee = amountIn * 997;
        return inWithFee * rOut / (rIn * 1000 + inWithFee);
    }

    /// @notice Quotes every hop on the current state (as the searcher's simulation does) and
    ///         returns the hops with their exact outputs, and the cycle's final WETH output.
    function _quote(Leg[] memory legs, uint256 amountIn)
        internal
        returns (Programs.Hop[] memory hops, uint256 out)
    {
        hops = new Programs.Hop[](legs.length);
        address tokenIn = address(weth);
        out = amountIn;
        for (uint256 i; i < legs.length; ++i) {
            (address t0, address t1) = _tokens(legs[i]);
            require(tokenIn == t0 || tokenIn == t1, "leg does not take the previous output");
            bool zeroForOne = tokenIn == t0;
            out = legs[i].kind == Kind.V3
                ? v3.quote(legs[i].pool, zeroForOne, out)
                : _v2Out(legs[i].pool, zeroForOne, out);
            uint8 flags = zeroForOne ? Programs.HOP_ZERO_FOR_ONE : 0;
            if (legs[i].kind == Kind.V2_FLASH) flags |= Programs.HOP_V2_FLASH;
            if (legs[i].kind == Kind.V3) flags |= Programs.HOP_V3;
            hops[i] = Programs.Hop(flags, legs[i].pool, Cast.u128(out));
            tokenIn = zeroForOne ? t1 : t0;
        }
        require(tokenIn == address(weth), "cycle does not end in WETH");
    }

    function _program(uint8 mode, Leg[] memory legs, uint256 amountIn, uint256 minProfit)
        internal
        returns (bytes memory program, uint256 out)
    {
        Programs.Hop[] memory hops;
        (hops, out) = _quote(legs, amountIn);
        program = Programs.encode(mode, Cast.u96(amountIn), Cast.u96(minProfit), 0, hops);
    }

    function _run(bytes memory program) internal returns (bool ok, bytes memory ret) {
        vm.prank(owner);
        (ok, ret) = address(executor).call(program);
    }

    /// @notice Quotes and encodes a cycle of any hop kinds (V4 included): V4 hops carry
    ///         tokenIn only after a V2/V3 hop, tokenOut except on the last hop, the NATIVE flag
    ///         when their pool trades ETH, hooks when they have one. A native ETH pool stands
    ///         for WETH at either end of the cycle.
    function _programAny(
        uint8 mode,
        Leg[] memory legs,
        uint256 amountIn,
        uint256 minProfit,
        uint256 bribe
    ) internal returns (bytes memory program, uint256 out) {
        bytes[] memory hops = new bytes[](legs.length);
        address tokenIn = address(weth);
        out = amountIn;
        for (uint256 i; i < legs.length; ++i) {
            (address t0, address t1) = _tokens(legs[i]);
            if (tokenIn == address(weth) && t0 == address(0)) tokenIn = address(0);
            require(tokenIn == t0 || tokenIn == t1, "leg does not take the previous output");
            (hops[i], out) = _encodeLeg(legs, i, tokenIn, out);
            tokenIn = tokenIn == t0 ? t1 : t0;
        }
        require(tokenIn == address(weth) || tokenIn == address(0), "cycle does not end in WETH");
        program = Programs.encodeRaw(
            mode, Cast.u96(amountIn), Cast.u96(minProfit), Cast.u96(bribe), hops
        );
    }

    /// @dev Quotes leg `i` for `amountIn` of `tokenIn` and encodes it.
    function _encodeLeg(Leg[] memory legs, uint256 i, address tokenIn, uint256 amountIn)
        internal
        returns (bytes memory hop, uint256 out)
    {
        (address t0, address t1) = _tokens(legs[i]);
        bool zeroForOne = tokenIn == t0;
        uint8 flags = zeroForOne ? Programs.HOP_ZERO_FOR_ONE : 0;
        if (legs[i].kind != Kind.V4) {
            out = legs[i].kind == Kind.V3
                ? v3.quote(legs[i].pool, zeroForOne, amountIn)
                : _v2Out(legs[i].pool, zeroForOne, amountIn);
            if (legs[i].kind == Kind.V2_FLASH) flags |= Programs.HOP_V2_FLASH;
            if (legs[i].kind == Kind.V3) flags |= Programs.HOP_V3;
            return (Programs.hop(Programs.Hop(flags, legs[i].pool, Cast.u128(out))), out);
        }
        PoolKey memory key = v4Keys[legs[i].pool];
        out = v4Quoter.quote(key, zeroForOne, amountIn);
        if (i > 0 && legs[i - 1].kind != Kind.V4) flags |= Programs.HOP_V4_TOKEN_IN;
        if (i + 1 < legs.length) flags |= Programs.HOP_V4_TOKEN_OUT;
        if (key.currency0 == address(0)) flags |= Programs.HOP_V4_NATIVE;
        if (key.hooks != address(0)) flags |= Programs.HOP_V4_HOOKS;
        hop = Programs.v4Hop(
            Programs.V4Hop(
                flags,
                tokenIn,
                zeroForOne ? t1 : t0,
                key.fee,
                key.tickSpacing,
                key.hooks,
                Cast.u128(out)
            )
        );
    }

    function _fundExecutor(uint256 wethAmount) internal {
        require(weth.transfer(address(executor), wethAmount));
    }
}

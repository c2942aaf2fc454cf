// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IExecutor} from "./interfaces/IExecutor.sol";

/// @title Executor
/// @notice Runs one WETH -> ... -> WETH arbitrage cycle of 2 to 4 hops over Uniswap V2-style pairs,
///         Uniswap V3-style pools and Uniswap V4 pools (inside one `unlock` of the PoolManager),
///         with capital from the contract's own WETH, from the cycle's last pool (a flash swap)
///         or from the PoolManager's flash accounting. Only the owner (the searcher EOA) can
///         start anything; only the pool (or PoolManager) the running execution just called can
///         call back; swept funds go only to the cold wallet. No approvals, no arbitrary calls,
///         no storage writes.
///
/// @dev ## The program (owner calldata, no selector)
///
/// ```text
///   header, 25 bytes (37 with a builder payment); WETH amounts are uint96
///   0        1                    13                   25                   37
///   +--------+--------------------+--------------------+--------------------+
///   | mode   | amountIn  (uint96) | minProfit (uint96) | bribe (uint96, opt)|
///   +--------+--------------------+--------------------+--------------------+
///
///   mode  bit 0     BORROW (V4 programs only): the PoolManager lends the first hop's WETH
///                   (`take`), repaid when the cycle is settled, instead of the inventory
///         bit 2     a bribe field follows minProfit: paid to block.coinbase after the cycle,
///                   from the contract's ETH balance, unwrapping WETH for any shortfall
///         bit 3     V4: the program runs inside PoolManager.unlock (required for V4 hops)
///         every other bit must be clear (0x02 was the Balancer capital mode, and 0x01 alone
///         was V3_FIRST: both refused); a mode byte is below 0x10, so a program never starts
///         like a selector the contract serves
///
///   then 2 to 4 hops in cycle order (hop 0 takes WETH in, the last hop pays WETH out). Every
///   hop starts with its flags byte and ends with its uint128 amount.
///
///   V2 / V3 hop, 37 bytes
///   0        1                                             21                          37
///   +--------+---------------------------------------------+---------------------------+
///   | flags  | pool / pair                      (address)  | amount          (uint128) |
///   +--------+---------------------------------------------+---------------------------+
///
///   V4 hop, 23 to 83 bytes: the PoolKey, minus what the cycle already says
///   0        1 (+20)          (+20)            +3     +3       (+20)          +16
///   +--------+----------------+----------------+------+--------+--------------+-----------+
///   | flags  | tokenIn  (opt) | tokenOut (opt) | fee  | tickSp | hooks (opt)  | amount    |
///   +--------+----------------+----------------+------+--------+--------------+-----------+
///     tokenIn   present with HOP_V4_TOKEN_IN; else the previous V4 hop's tokenOut, or the
///               base for hop 0
///     tokenOut  present with HOP_V4_TOKEN_OUT; else the base (the last hop)
///     base      WETH, or native ETH (address 0) with HOP_V4_NATIVE
///     hooks     present with HOP_V4_HOOKS; else address 0. hookData is always empty.
///     currency0/currency1 = (tokenIn, tokenOut) when zeroForOne, else (tokenOut, tokenIn)
///
///   flags bit 0     zeroForOne: the hop sells the pool's token0 (currency0)
///         bit 1     V2 pair swapped as a flash swap (output to this contract, then callback):
///                   capital borrowed from the last hop; meaningful on the last hop only
///         bit 2     V3 pool (exact input; always calls back)
///         bit 3     V4 pool (exact input, inside the PoolManager's unlock)
///         bits 4-7  V4 only: TOKEN_IN, TOKEN_OUT, HOOKS present; NATIVE base
///   amount          the hop's output: exact for a V2 pair (amountOut of `swap`), a checked minimum
///                   for a V3 or V4 pool. A V3 hop's exact input is the previous hop's amount
///                   (amountIn for hop 0); a V4 hop's is what the PoolManager credited for the
///                   previous hop (its actual output, or what a V2/V3 run paid in).
/// ```
///
/// Every amount comes from the program: the searcher computes each V2 output with that pair's own
/// fee (997/1000 for Uniswap, other numbers for forks), so no fee constant lives here and any
/// V2-style fork works. A V2 pair's `swap` succeeds only if its K invariant holds after paying
/// exactly `amount`, so a completed final V2 swap proves that exactly `amount` of its output
/// token arrived; a V3 or V4 hop's output is checked against its minimum. The minimum-profit
/// check therefore needs no `balanceOf`: `lastAmount - amountIn >= minProfit + bribe`, every term
/// fixed by the program, so it runs before the first call and a losing program reverts with
/// Unprofitable() at once. What the program's numbers cannot prove is that the last hop's output
/// token is WETH: before a V2/V3 last hop runs, the contract asks its pool for the token it pays
/// (`token1()` when zeroForOne, else `token0()`) and refuses the program unless it is WETH. That
/// one read also refuses a last pool without code (no return data) and a last hop whose
/// direction flag is flipped. A V4 last hop needs no read: its output is taken from the
/// PoolManager as WETH (or ETH), and `unlock` reverts unless every delta nets to zero. Earlier
/// hops cannot complete wrongly: each one's output is the next pool's input, which that pool
/// checks (K for a pair, the owed balance for a V3 pool, the PoolManager's deltas for V4), and a
/// fee-on-transfer token delivers less than the next pool needs, so the whole transaction
/// reverts.
///
/// ## Order of execution
///
/// A V2 pair must hold its input before `swap`; a V3 pool (and a V2 flash swap) sends its output
/// first and takes its input in the callback. A run of V2/V3 hops is walked backward from its
/// last hop: trailing plain V2 hops run last, in cycle order, each paying the next pair
/// directly; a hop that calls back runs everything before it inside its callback, the callback's
/// `data` carrying that prefix. Tokens go pool to pool; WETH enters and leaves through this
/// contract once.
///
/// A V4 program runs inside one `unlock`: the callback walks the hops forward. A V4 hop swaps
/// at once (its output is a credit, its input a debt, in the PoolManager's flash accounting); a
/// run of V2/V3 hops between V4 hops takes its input from the PoolManager (`take` straight to its
/// first pool, or inside the first pool's callback) and pays its output to the PoolManager
/// (`sync` before, `settle` after: the settled amount is the next V4 hop's input). Consecutive
/// V4 hops move nothing: only the net deltas are settled. At the end the WETH (or ETH) the
/// cycle borrowed is netted against its output: a V4 -> V4 cycle takes only its profit.
///
/// ## Callback data: a 37-byte context shaped like a hop, then hops
///
/// ```text
///   0        1                                             21                          37
///   +--------+---------------------------------------------+---------------------------+---
///   | tag    | source token                     (address)  | source amount   (uint128) | hops
///   +--------+---------------------------------------------+---------------------------+---
/// ```
///
/// The source is what the run's first hop takes in: WETH from this contract, a currency from
/// the PoolManager (tag bit 1), or nothing (token 0: the input is already in the first pair).
/// Tag bit 0, `TAG_PAY`: the caller is the run's first hop: pay it from the source (what a V3
/// pool asks, at most the source amount; the source amount for a V2 pair). Otherwise
/// (`TAG_PREFIX`): run the hops that follow (those before the caller's), delivering to the
/// caller. The data only says *what* to run: *whether* to run it is decided by the transient
/// slot that names the one address allowed to call back, armed right before the call and
/// cleared on first use. `unlockCallback` is accepted the same way: only from the PoolManager,
/// armed right before this contract's own `unlock` and cleared on entry, so an `unlock` by
/// anyone else (whose callback goes to its caller anyway) can never reach it.
///
/// ## Trust
///
/// Only the owner can start anything (programs and `sweep` check `caller == owner`), only the
/// armed pool or PoolManager can call back, `sweep` pays only the cold wallet, and no call has
/// both its target and its selector chosen by a caller: pools get `swap` (and `token0`/`token1`
/// reads), the PoolManager `unlock`/`swap`/`sync`/`settle`/`take`, WETH `transfer`/`withdraw`,
/// coinbase and the cold wallet plain ETH. No approval is ever given. The owner is trusted with
/// the pools it names: a program can pay the contract's WETH to any address posing as a pair,
/// so a leaked owner key endangers the inventory (never the cold wallet); keep inventory small,
/// prefer flash capital, sweep often. A V4 pool's hook is named by the owner too: whatever it
/// does inside our swap, it can only change that swap's deltas (bounded: the exact input, and
/// an output checked against the hop's minimum), or revert. A named "pool" that never calls
/// back leaves the slot armed until the transaction ends; only an owner-named address could use
/// it.
contract Executor {
    // ------------------------------------------------------------------ program layout (bytes)
    uint256 private constant AMOUNT_IN_OFFSET = 1;
    uint256 private constant MIN_PROFIT_OFFSET = 13;
    uint256 private constant BRIBE_OFFSET = 25;
    uint256 private constant HEADER_LEN = 25;
    uint256 private constant BRIBE_LEN = 12;

    uint256 private constant HOP_AMOUNT_OFFSET = 21;
    uint256 private constant HOP_LEN = 37;
    uint256 private constant MIN_HOPS = 2;
    uint256 private constant MAX_HOPS = 4;
    /// @dev A hop (and the callback context) ends with its uint128 amount: the last
    ///      `AMOUNT_LEN` bytes before its end.
    uint256 private constant AMOUNT_LEN = 16;

    // Field extraction from a calldata word, v4-core Slot0Library style: `shr(SHIFT, word)`.
    /// @dev The word's first byte (mode, flags, tag, selector's first byte).
    uint256 private constant BYTE0_SHIFT = 248;
    /// @dev The word's first four bytes (a selector).
    uint256 private constant SELECTOR_SHIFT = 224;
    /// @dev A uint96 at the word's start (header amounts).
    uint256 private constant UINT96_SHIFT = 160;
    /// @dev A uint128 at the word's start (hop amounts).
    uint256 private constant UINT128_SHIFT = 128;
    /// @dev An address at the word's bytes 1..21 (after a flags or tag byte); mask the result.
    uint256 private constant ADDRESS_AT_1_SHIFT = 88;
    /// @dev An address at the word's start, and where `mstore` puts one to write it there.
    uint256 private constant ADDRESS_SHIFT = 96;
    uint256 private constant ADDRESS_MASK = (1 << 160) - 1;
    uint256 private constant ADDRESS_BITS = 160;

    // mode
    uint256 private constant MODE_MAX = 0x10;
    uint256 private constant MODE_BORROW = 0x01;
    /// @dev Refused: it was CAPITAL_BALANCER.
    uint256 private constant MODE_RESERVED = 0x02;
    uint256 private constant MODE_BRIBE = 0x04;
    /// @dev `MODE_BRIBE == 1 << MODE_BRIBE_BIT`.
    uint256 private constant MODE_BRIBE_BIT = 2;
    uint256 private constant MODE_V4 = 0x08;

    // hop flags
    uint256 private constant HOP_ZERO_FOR_ONE = 0x01;
    uint256 private constant HOP_V3 = 0x04;
    /// @dev HOP_V2_FLASH (0x02) | HOP_V3: the hop sends its output first and calls back.
    uint256 private constant HOP_CALLS_BACK = 0x06;
    uint256 private constant HOP_V4 = 0x08;
    uint256 private constant HOP_V4_TOKEN_IN = 0x10;
    /// @dev `HOP_V4_TOKEN_IN == 1 << HOP_V4_TOKEN_IN_BIT`.
    uint256 private constant HOP_V4_TOKEN_IN_BIT = 4;
    uint256 private constant HOP_V4_TOKEN_OUT = 0x20;
    uint256 private constant HOP_V4_HOOKS = 0x40;
    uint256 private constant HOP_V4_NATIVE = 0x80;

    // V4 hop fields after the optional tokens: fee (uint24) | tickSpacing (int24)
    uint256 private constant ADDRESS_LEN = 20;
    uint256 private constant V4_FEE_TICK_LEN = 6;
    /// @dev The fee, a uint24 at the word's start.
    uint256 private constant FEE_SHIFT = 232;
    /// @dev The tick spacing, an int24 at the word's bytes 3..6 (then sign-extended).
    uint256 private constant TICK_SPACING_SHIFT = 208;
    /// @dev `signextend(b, x)` arguments: the top byte index of an int24 and of an int128.
    uint256 private constant INT24_TOP_BYTE = 2;
    uint256 private constant INT128_TOP_BYTE = 15;

    // callback context tags: TAG_PAY set, pay the caller; clear (TAG_PREFIX), run the prefix
    uint256 private constant TAG_PAY = 1;
    /// @dev The source is the PoolManager (`take`), not this contract's balance.
    uint256 private constant TAG_FROM_PM = 2;
    /// @dev `TAG_FROM_PM == 1 << TAG_FROM_PM_BIT`.
    uint256 private constant TAG_FROM_PM_BIT = 1;
    uint256 private constant CONTEXT_LEN = 37;
    /// @dev A run's source word: token | SRC_FROM_PM (taken from the PoolManager).
    uint256 private constant SRC_FROM_PM = 1 << 160;
    uint256 private constant SRC_FROM_PM_SHIFT = 160;

    /// @dev Where the program starts in `unlockCallback(bytes)`'s calldata: selector, offset
    ///      (0x20, written by the PoolManager's ABI encoder), length.
    uint256 private constant UNLOCK_DATA = 0x44;

    /// @dev Transient slot holding the only address allowed to call back next.
    uint256 private constant EXPECTED_CALLER_SLOT = 0;

    /// @dev TickMath.MIN_SQRT_RATIO + 1 and TickMath.MAX_SQRT_RATIO - 1.
    uint256 private constant MIN_SQRT_RATIO_PLUS_ONE = 4295128740;
    uint256 private constant MAX_SQRT_RATIO_MINUS_ONE =
        1461446703485210103287273052203988822378723970341;

    // Outgoing call layouts: where the callback `data` starts in a swap call's memory.
    /// @dev `swap(uint256,uint256,address,bytes)`: selector + 4 words, data after its length.
    uint256 private constant V2_SWAP_DATA = 0xa4;
    /// @dev `swap(address,bool,int256,uint160,bytes)`: selector + 5 words + length.
    uint256 private constant V3_SWAP_DATA = 0xc4;
    /// @dev V4 `swap(PoolKey,SwapParams,bytes)`: selector + 5 + 3 words + offset + length (0).
    uint256 private constant V4_SWAP_LEN = 0x144;

    // ------------------------------------------------------------------ selectors
    // Outgoing, left-aligned for `mstore(m, SEL)`.
    /// @dev `transfer(address,uint256)` = 0xa9059cbb
    uint256 private constant SEL_TRANSFER =
        0xa9059cbb00000000000000000000000000000000000000000000000000000000;
    /// @dev `withdraw(uint256)` (WETH9) = 0x2e1a7d4d
    uint256 private constant SEL_WITHDRAW =
        0x2e1a7d4d00000000000000000000000000000000000000000000000000000000;
    /// @dev `swap(uint256,uint256,address,bytes)` (Uniswap V2 pair) = 0x022c0d9f
    uint256 private constant SEL_V2_SWAP =
        0x022c0d9f00000000000000000000000000000000000000000000000000000000;
    /// @dev `swap(address,bool,int256,uint160,bytes)` (Uniswap V3 pool) = 0x128acb08
    uint256 private constant SEL_V3_SWAP =
        0x128acb0800000000000000000000000000000000000000000000000000000000;
    /// @dev `unlock(bytes)` (V4 PoolManager) = 0x48c89491
    uint256 private constant SEL_UNLOCK =
        0x48c8949100000000000000000000000000000000000000000000000000000000;
    /// @dev `swap((address,address,uint24,int24,address),(bool,int256,uint160),bytes)`
    ///      (V4 PoolManager) = 0xf3cd914c
    uint256 private constant SEL_V4_SWAP =
        0xf3cd914c00000000000000000000000000000000000000000000000000000000;
    /// @dev `take(address,address,uint256)` (V4 PoolManager) = 0x0b0d9c09
    uint256 private constant SEL_TAKE =
        0x0b0d9c0900000000000000000000000000000000000000000000000000000000;
    // Outgoing, right-aligned for `mstore(0, SEL)` + `staticcall(…, 0x1c, 4, …)`.
    /// @dev `token0()` (V2 pair, V3 pool) = 0x0dfe1681
    uint256 private constant SEL_TOKEN0 = 0x0dfe1681;
    /// @dev `token1()` (V2 pair, V3 pool) = 0xd21220a7
    uint256 private constant SEL_TOKEN1 = 0xd21220a7;
    /// @dev `sync(address)` (V4 PoolManager) = 0xa5841194
    uint256 private constant SEL_SYNC = 0xa5841194;
    /// @dev `settle()` (V4 PoolManager) = 0x11da60b4
    uint256 private constant SEL_SETTLE = 0x11da60b4;

    // Incoming, right-aligned (compared with `shr(SELECTOR_SHIFT, calldataload(0))`).
    /// @dev `sweep(address,uint256)` = 0x6ea056a9
    uint256 private constant SEL_SWEEP = 0x6ea056a9;
    /// @dev `uniswapV2Call(address,uint256,uint256,bytes)` = 0x10d1e85c
    uint256 private constant SEL_UNISWAP_V2_CALL = 0x10d1e85c;
    /// @dev `uniswapV3SwapCallback(int256,int256,bytes)` = 0xfa461e33
    uint256 private constant SEL_UNISWAP_V3_CALLBACK = 0xfa461e33;
    /// @dev `unlockCallback(bytes)` = 0x91dd7346
    uint256 private constant SEL_UNLOCK_CALLBACK = 0x91dd7346;
    /// @dev `owner()` = 0x8da5cb5b
    uint256 private constant SEL_OWNER = 0x8da5cb5b;
    /// @dev `coldWallet()` = 0x6be13c92
    uint256 private constant SEL_COLD_WALLET = 0x6be13c92;
    /// @dev `weth()` = 0x3fc8cef3
    uint256 private constant SEL_WETH = 0x3fc8cef3;
    /// @dev `poolManager()` = 0xdc4c90d3
    uint256 private constant SEL_POOL_MANAGER = 0xdc4c90d3;

    // Errors (IExecutor), right-aligned for `mstore(0, ERR) revert(0x1c, 4)`.
    /// @dev `NotOwner()` = 0x30cd7471
    uint256 private constant ERR_NOT_OWNER = 0x30cd7471;
    /// @dev `UnexpectedCallback()` = 0xdab1e993
    uint256 private constant ERR_UNEXPECTED_CALLBACK = 0xdab1e993;
    /// @dev `BadRoute()` = 0xc4c321d1
    uint256 private constant ERR_BAD_ROUTE = 0xc4c321d1;
    /// @dev `Unprofitable()` = 0x0b4cb199
    uint256 private constant ERR_UNPROFITABLE = 0x0b4cb199;
    /// @dev `InsufficientOutput()` = 0xbb2875c3
    uint256 private constant ERR_INSUFFICIENT_OUTPUT = 0xbb2875c3;
    /// @dev `ExcessiveInput()` = 0xbd750b82
    uint256 private constant ERR_EXCESSIVE_INPUT = 0xbd750b82;
    /// @dev `TransferFailed()` = 0x90b8ec18
    uint256 private constant ERR_TRANSFER_FAILED = 0x90b8ec18;

    // ------------------------------------------------------------------ immutables
    address private immutable OWNER;
    address private immutable COLD_WALLET;
    address private immutable WETH;
    address private immutable POOL_MANAGER;

    /// @param owner_ The searcher EOA: the only account that may run programs and sweep.
    /// @param coldWallet_ The only destination of `sweep`.
    /// @param weth_ WETH9: every cycle starts and ends in it.
    /// @param poolManager_ The Uniswap V4 PoolManager, or the zero address where there is none
    ///        (V4 programs then revert with BadRoute).
    constructor(address owner_, address coldWallet_, address weth_, address poolManager_) {
        if (owner_ == address(0) || coldWallet_ == address(0) || weth_ == address(0)) {
            revert IExecutor.ZeroAddress();
        }
        OWNER = owner_;
        COLD_WALLET = coldWallet_;
        WETH = weth_;
        POOL_MANAGER = poolManager_;
    }

    /// @notice Accepts ETH: the builder-payment float, WETH9 `withdraw` proceeds, and native ETH
    ///         taken from the V4 PoolManager.
    receive() external payable {}

    /// @notice Programs and `sweep` (owner only), the three callbacks (armed caller only), and the
    ///         views of IExecutor (anyone).
    fallback() external payable {
        address owner = OWNER;
        address coldWallet = COLD_WALLET;
        address weth = WETH;
        address manager = POOL_MANAGER;
        assembly ("memory-safe") {
            // Helpers that run at most once per frame, or only on failure, are functions; the
            // per-hop code is written out in `run` (legacy codegen does not inline inline-assembly
            // functions, and a call costs ~30 gas).

            function fail(err) {
                mstore(0x00, err) // the error selector, right-aligned in the scratch word
                revert(0x1c, 0x04)
            }

            /// Re-throws the last call's revert data verbatim (e.g. "UniswapV2: K").
            function bubble() {
                let m := mload(0x40)
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }

            /// The program header's length: 25 bytes, 37 with a bribe field.
            function headerLen(mode) -> len {
                len := add(HEADER_LEN, mul(BRIBE_LEN, and(shr(MODE_BRIBE_BIT, mode), 1)))
            }

            /// Pays `amount` of the source token (WETH) from this contract to `to`; nothing
            /// when the source is 0 (the input is already in place). A run whose source is the
            /// PoolManager never gets here: its first pair is paid before the run, or its first
            /// pool in the callback.
            function pay(src, to, amount) {
                if src {
                    let m := mload(0x40)
                    mstore(m, SEL_TRANSFER) // bytes 0..3: transfer(address,uint256)
                    mstore(add(m, 0x04), to) // arg 0: recipient
                    mstore(add(m, 0x24), amount) // arg 1: amount
                    // WETH9 returns true or reverts: success alone proves the transfer.
                    if iszero(call(gas(), src, 0, m, 0x44, 0, 0)) { bubble() }
                }
            }

            /// PoolManager.sync(token): its balance now, so that `settle` credits what arrives.
            function pmSync(pm, token) {
                mstore(0x00, SEL_SYNC) // bytes 28..31: sync(address)
                mstore(0x20, token) // arg 0: currency
                if iszero(call(gas(), pm, 0, 0x1c, 0x24, 0, 0)) { bubble() }
            }

            /// PoolManager.settle{value}(): credits what arrived since `sync` (or `value` ETH).
            function pmSettle(pm, value) -> paid {
                mstore(0x00, SEL_SETTLE) // bytes 28..31: settle()
                if iszero(call(gas(), pm, value, 0x1c, 0x04, 0x00, 0x20)) { bubble() }
                paid := mload(0x00) // uint256 paid
            }

            /// PoolManager.take(token, to, amount): pays `to` from this contract's credit (or
            /// makes it a debt, settled before `unlock` returns).
            function pmTake(pm, token, to, amount) {
                let m := mload(0x40)
                mstore(m, SEL_TAKE) // bytes 0..3: take(address,address,uint256)
                mstore(add(m, 0x04), token) // arg 0: currency
                mstore(add(m, 0x24), to) // arg 1: recipient
                mstore(add(m, 0x44), amount) // arg 2: amount
                if iszero(call(gas(), pm, 0, m, 0x64, 0, 0)) { bubble() }
            }

            /// Makes sure this contract holds `amount` wei of ETH, unwrapping WETH for any
            /// shortfall.
            function unwrapShortfall(weth_, amount) {
                let ethBalance := selfbalance()
                if lt(ethBalance, amount) {
                    let m := mload(0x40)
                    mstore(m, SEL_WITHDRAW) // bytes 0..3: withdraw(uint256)
                    mstore(add(m, 0x04), sub(amount, ethBalance)) // arg 0: wad, the shortfall
                    if iszero(call(gas(), weth_, 0, m, 0x24, 0, 0)) { bubble() }
                }
            }

            /// A V3 exact-input swap whose callback data (`dataLen` bytes) is already at
            /// m + V3_SWAP_DATA; checks the output against `minOut`.
            function v3Swap(m, pool, zeroForOne, amountIn, recipient, minOut, dataLen) {
                mstore(m, SEL_V3_SWAP) // bytes 0..3: swap(address,bool,int256,uint160,bytes)
                mstore(add(m, 0x04), recipient) // recipient of the output
                mstore(add(m, 0x24), zeroForOne) // zeroForOne
                mstore(add(m, 0x44), amountIn) // amountSpecified > 0: exact input
                // sqrtPriceLimitX96: the far end of the curve in the swap's direction
                mstore(
                    add(m, 0x64),
                    xor(
                        MAX_SQRT_RATIO_MINUS_ONE,
                        mul(zeroForOne, xor(MAX_SQRT_RATIO_MINUS_ONE, MIN_SQRT_RATIO_PLUS_ONE))
                    )
                )
                mstore(add(m, 0x84), 0xa0) // offset of `data`
                mstore(add(m, 0xa4), dataLen) // data.length (data follows at V3_SWAP_DATA)
                // Returns (int256 amount0, int256 amount1) into scratch space 0x00..0x3f.
                if iszero(call(gas(), pool, 0, m, add(V3_SWAP_DATA, dataLen), 0x00, 0x40)) {
                    bubble()
                }
                // A pool returns two words; an address without code returns none (and would
                // leave the previous scratch words to be read as the output).
                if lt(returndatasize(), 0x40) { fail(ERR_BAD_ROUTE) }
                // The output is the negative delta: amount1 when zeroForOne, else amount0
                // (word 1 or word 0 of the return data).
                if lt(sub(0, mload(mul(0x20, zeroForOne))), minOut) {
                    fail(ERR_INSUFFICIENT_OUTPUT)
                }
            }

            /// Calls the hop at `c` (a V3 pool or a V2 flash swap), whose callback delivers its
            /// input: by running the hops [lo, c) (TAG_PREFIX), or, when c is the run's first
            /// hop, by paying it from the source (TAG_PAY). The run's first hop takes `amount`
            /// from the source `src` (see `run`). Its output goes to `recipient` (a V2 flash swap
            /// always pays this contract).
            function callbackHop(lo, c, recipient, src, amount) {
                let w := calldataload(c)
                let pool := and(shr(ADDRESS_AT_1_SHIFT, w), ADDRESS_MASK)
                // Arm: `pool`, and only it, may call back, once.
                tstore(EXPECTED_CALLER_SLOT, pool)
                let m := mload(0x40)
                let isV3 := and(shr(BYTE0_SHIFT, w), HOP_V3)
                // The callback data goes after the call's head.
                let dm := add(m, V2_SWAP_DATA)
                if isV3 { dm := add(m, V3_SWAP_DATA) }
                // The context: tag | token | amount (37 bytes), each mstore overwriting the
                // previous one's zero tail.
                // data[0]: TAG_PAY if c is the first hop, | TAG_FROM_PM (bit 1) from the source
                mstore(
                    dm,
                    shl(
                        BYTE0_SHIFT,
                        or(eq(c, lo), shl(TAG_FROM_PM_BIT, shr(SRC_FROM_PM_SHIFT, src)))
                    )
                )
                mstore(add(dm, 1), shl(ADDRESS_SHIFT, src)) // data[1..21]: source token
                mstore(add(dm, 21), shl(UINT128_SHIFT, amount)) // data[21..37]: source amount
                calldatacopy(add(dm, CONTEXT_LEN), lo, sub(c, lo)) // data[37..]: hops [lo, c)
                let dataLen := add(CONTEXT_LEN, sub(c, lo))
                let zeroForOne := and(shr(BYTE0_SHIFT, w), HOP_ZERO_FOR_ONE)
                let out := shr(UINT128_SHIFT, calldataload(add(c, HOP_AMOUNT_OFFSET)))
                switch isV3
                case 0 {
                    // V2 flash swap: output to this contract, then uniswapV2Call(data)
                    mstore(m, SEL_V2_SWAP) // bytes 0..3: swap(uint256,uint256,address,bytes)
                    mstore(add(m, 0x04), mul(out, iszero(zeroForOne))) // amount0Out
                    mstore(add(m, 0x24), mul(out, zeroForOne)) // amount1Out
                    mstore(add(m, 0x44), address()) // to: this contract, which the pair calls back
                    mstore(add(m, 0x64), 0x80) // offset of `data`
                    mstore(add(m, 0x84), dataLen) // data.length (data follows at V2_SWAP_DATA)
                    if iszero(call(gas(), pool, 0, m, add(V2_SWAP_DATA, dataLen), 0, 0)) {
                        bubble()
                    }
                }
                default {
                    // V3: exact input = the previous hop's amount (the source amount for the
                    // first hop)
                    let amountIn := amount
                    if gt(c, lo) {
                        amountIn := shr(UINT128_SHIFT, calldataload(sub(c, AMOUNT_LEN)))
                    }
                    v3Swap(m, pool, zeroForOne, amountIn, recipient, out, dataLen)
                }
            }

            /// Runs the V2/V3 hops [lo, hi), the first taking `amount` from the source `src`, and
            /// sends the last hop's output to `recipient`. `src` is the token (WETH, paid from
            /// this contract), | SRC_FROM_PM (taken from the PoolManager, only when the first
            /// hop calls back), or 0 (the input is already in the first pair).
            function run(lo, hi, recipient, src, amount) {
                // Walk back over the trailing plain V2 hops: their input must be in the pair
                // before their swap, so they run last, in cycle order.
                let p := hi
                for {} gt(p, lo) {} {
                    let q := sub(p, HOP_LEN)
                    if and(shr(BYTE0_SHIFT, calldataload(q)), HOP_CALLS_BACK) { break }
                    p := q
                }
                if eq(p, hi) {
                    // The last hop calls back: everything before it runs inside its callback.
                    callbackHop(lo, sub(hi, HOP_LEN), recipient, src, amount)
                    leave
                }
                // Deliver the input of hop p, the first plain V2 hop: from the source if it is
                // the run's first hop, else from the hop before it, which calls back ...
                let pool := and(shr(ADDRESS_AT_1_SHIFT, calldataload(p)), ADDRESS_MASK)
                switch eq(p, lo)
                case 1 { pay(src, pool, amount) }
                default { callbackHop(lo, sub(p, HOP_LEN), pool, src, amount) }
                // ... then swap the plain V2 hops in order, each paying the next pair, the last
                // one `recipient`. The call's fixed words are written once.
                let m := mload(0x40)
                mstore(m, SEL_V2_SWAP) // bytes 0..3: swap(uint256,uint256,address,bytes)
                mstore(add(m, 0x64), 0x80) // offset of `data`
                mstore(add(m, 0x84), 0) // data.length = 0: no callback
                for {} 1 {} {
                    let w := calldataload(p) // flags | pool | first bytes of the amount
                    p := add(p, HOP_LEN)
                    let to := recipient
                    if lt(p, hi) {
                        to := and(shr(ADDRESS_AT_1_SHIFT, calldataload(p)), ADDRESS_MASK)
                    }
                    let zeroForOne := and(shr(BYTE0_SHIFT, w), HOP_ZERO_FOR_ONE)
                    let out := shr(UINT128_SHIFT, calldataload(sub(p, AMOUNT_LEN)))
                    mstore(add(m, 0x04), mul(out, iszero(zeroForOne))) // amount0Out
                    mstore(add(m, 0x24), mul(out, zeroForOne)) // amount1Out
                    mstore(add(m, 0x44), to) // to: the next pair, or `recipient`
                    if iszero(call(gas(), pool, 0, m, 0xa4, 0, 0)) { bubble() }
                    if iszero(lt(p, hi)) { break }
                    pool := to
                }
            }

            /// Refuses the program unless its last hop (at `last`) pays WETH: the last pool's
            /// `token1()` when the hop sells token0, else its `token0()`, must be `weth`. A pool
            /// without code returns nothing and is refused too.
            function lastHopPaysWeth(last, weth_) {
                let w := calldataload(last)
                mstore(
                    0x00,
                    xor(
                        SEL_TOKEN0,
                        mul(and(shr(BYTE0_SHIFT, w), HOP_ZERO_FOR_ONE), xor(SEL_TOKEN0, SEL_TOKEN1))
                    )
                )
                if iszero(
                    and(
                        // `and` evaluates right to left: the call runs first.
                        and(eq(mload(0x00), weth_), eq(returndatasize(), 0x20)),
                        staticcall(
                            gas(),
                            and(shr(ADDRESS_AT_1_SHIFT, w), ADDRESS_MASK),
                            0x1c,
                            0x04,
                            0x00,
                            0x20
                        )
                    )
                ) { fail(ERR_BAD_ROUTE) }
            }

            /// Pays the builder `bribe` wei by coinbase transfer, from the ETH balance, unwrapping
            /// WETH for the shortfall.
            function payBuilder(weth_, bribe) {
                unwrapShortfall(weth_, bribe)
                if iszero(call(gas(), coinbase(), bribe, 0, 0, 0, 0)) { bubble() }
            }

            // ------------------------------------------------------------ V4

            /// Swaps the V4 hop at `p`: exact input `amountIn` of `tokenIn`, its output checked
            /// against the hop's minimum. Returns the next hop's offset, the output (the
            /// PoolManager's credit to this contract) and its currency.
            function v4Swap(p, tokenIn, amountIn, pm, weth_) -> next, out, tokenOut {
                let f := shr(BYTE0_SHIFT, calldataload(p))
                // skip the flags byte and the tokenIn field, if present (read by the caller)
                next := add(add(p, 1), mul(ADDRESS_LEN, and(shr(HOP_V4_TOKEN_IN_BIT, f), 1)))
                tokenOut := mul(weth_, iszero(and(f, HOP_V4_NATIVE))) // the base, by default
                if and(f, HOP_V4_TOKEN_OUT) {
                    tokenOut := shr(ADDRESS_SHIFT, calldataload(next))
                    next := add(next, ADDRESS_LEN)
                }
                let zeroForOne := and(f, HOP_ZERO_FOR_ONE)
                let m := mload(0x40)
                // bytes 0..3: swap((address,address,uint24,int24,address),(bool,int256,uint160),bytes)
                mstore(m, SEL_V4_SWAP)
                // key.currency0, key.currency1: the input is currency0 when zeroForOne
                switch zeroForOne
                case 0 {
                    mstore(add(m, 0x04), tokenOut)
                    mstore(add(m, 0x24), tokenIn)
                }
                default {
                    mstore(add(m, 0x04), tokenIn)
                    mstore(add(m, 0x24), tokenOut)
                }
                let w := calldataload(next) // fee | tickSpacing | ...
                mstore(add(m, 0x44), shr(FEE_SHIFT, w)) // key.fee
                mstore(add(m, 0x64), signextend(INT24_TOP_BYTE, shr(TICK_SPACING_SHIFT, w))) // key.tickSpacing
                next := add(next, V4_FEE_TICK_LEN)
                // key.hooks: the optional field, else address 0
                w := 0
                if and(f, HOP_V4_HOOKS) {
                    w := shr(ADDRESS_SHIFT, calldataload(next))
                    next := add(next, ADDRESS_LEN)
                }
                mstore(add(m, 0x84), w)
                mstore(add(m, 0xa4), zeroForOne) // params.zeroForOne
                mstore(add(m, 0xc4), sub(0, amountIn)) // params.amountSpecified < 0: exact input
                // params.sqrtPriceLimitX96: the far end of the curve in the swap's direction
                mstore(
                    add(m, 0xe4),
                    xor(
                        MAX_SQRT_RATIO_MINUS_ONE,
                        mul(zeroForOne, xor(MAX_SQRT_RATIO_MINUS_ONE, MIN_SQRT_RATIO_PLUS_ONE))
                    )
                )
                mstore(add(m, 0x104), 0x120) // offset of hookData
                mstore(add(m, 0x124), 0) // hookData.length = 0
                // Returns the caller's BalanceDelta (int128 amount0 << 128 | int128 amount1).
                if iszero(call(gas(), pm, 0, m, V4_SWAP_LEN, 0x00, 0x20)) { bubble() }
                w := mload(0x00)
                // The output is amount1 when zeroForOne, else amount0: signed, since a hook that
                // returns deltas can make it negative.
                out := sar(UINT128_SHIFT, w)
                if zeroForOne { out := signextend(INT128_TOP_BYTE, w) }
                if slt(out, shr(UINT128_SHIFT, calldataload(next))) {
                    fail(ERR_INSUFFICIENT_OUTPUT)
                }
                next := add(next, AMOUNT_LEN)
            }

            /// Runs the V2/V3 hops [lo, hi) whose input is `amount` from `src` (as for `run`;
            /// with SRC_FROM_PM a plain first pair is paid here, by `take`, before the run).
            function segment(lo, hi, recipient, src, amount, pm) {
                if shr(SRC_FROM_PM_SHIFT, src) {
                    let w := calldataload(lo)
                    if iszero(and(shr(BYTE0_SHIFT, w), HOP_CALLS_BACK)) {
                        pmTake(
                            pm,
                            and(src, ADDRESS_MASK),
                            and(shr(ADDRESS_AT_1_SHIFT, w), ADDRESS_MASK),
                            amount
                        )
                        src := 0
                    }
                }
                run(lo, hi, recipient, src, amount)
            }

            /// Pays the PoolManager `amount` of `token` this contract owes it: ETH with
            /// `settle{value}` (unwrapping WETH for any shortfall), a token with sync, transfer,
            /// settle.
            function settleDebt(pm, weth_, token, amount) {
                switch token
                case 0 {
                    unwrapShortfall(weth_, amount)
                    pop(pmSettle(pm, amount))
                }
                default {
                    pmSync(pm, token)
                    pay(token, pm, amount)
                    pop(pmSettle(pm, 0))
                }
            }

            /// The program in `unlockCallback`'s calldata, run forward inside the PoolManager's
            /// unlock: V4 hops swap at once; each run of V2/V3 hops takes its input from the
            /// PoolManager (the first run: from this contract, or from the PoolManager with
            /// MODE_BORROW) and pays its output to it, or to this contract for the last run.
            /// Then the borrowed input and the output are netted and settled.
            function v4Program(pm, weth_) {
                let end := add(UNLOCK_DATA, calldataload(0x24))
                let mode := shr(BYTE0_SHIFT, calldataload(UNLOCK_DATA))
                let lo := add(UNLOCK_DATA, headerLen(mode))
                let carry := shr(UINT96_SHIFT, calldataload(add(UNLOCK_DATA, AMOUNT_IN_OFFSET)))
                let cur := 0 // the currency `carry` is in, as a credit, after a V4 hop
                let seg := lo // the start of the pending V2/V3 run
                let p := lo
                let hops := 0
                for {} lt(p, end) {} {
                    hops := add(hops, 1)
                    let f := shr(BYTE0_SHIFT, calldataload(p))
                    if iszero(and(f, HOP_V4)) {
                        p := add(p, HOP_LEN)
                        continue
                    }
                    // The V4 hop's input: the optional field, else the previous V4 output, or
                    // the base for hop 0.
                    let tokenIn := cur
                    if eq(p, lo) { tokenIn := mul(weth_, iszero(and(f, HOP_V4_NATIVE))) }
                    if and(f, HOP_V4_TOKEN_IN) {
                        tokenIn := shr(ADDRESS_SHIFT, calldataload(add(p, 1)))
                    }
                    if lt(seg, p) {
                        // The V2/V3 hops [seg, p) pay this hop's input to the PoolManager.
                        pmSync(pm, tokenIn)
                        let src := or(cur, SRC_FROM_PM)
                        if eq(seg, lo) {
                            src := or(weth_, mul(SRC_FROM_PM, and(mode, MODE_BORROW)))
                        }
                        segment(seg, p, pm, src, carry, pm)
                        carry := pmSettle(pm, 0)
                    }
                    p, carry, cur := v4Swap(p, tokenIn, carry, pm, weth_)
                    seg := p
                }
                if or(iszero(eq(p, end)), or(lt(hops, MIN_HOPS), gt(hops, MAX_HOPS))) {
                    fail(ERR_BAD_ROUTE)
                }
                // What the PoolManager lent for the first hop (a V4 swap's input, or MODE_BORROW)
                // in `debtToken`; `debt` is 0 when the inventory paid it.
                let f0 := shr(BYTE0_SHIFT, calldataload(lo))
                let debt := shr(UINT96_SHIFT, calldataload(add(UNLOCK_DATA, AMOUNT_IN_OFFSET)))
                let debtToken := weth_
                switch and(f0, HOP_V4)
                case 0 { debt := mul(debt, and(mode, MODE_BORROW)) }
                default { debtToken := mul(weth_, iszero(and(f0, HOP_V4_NATIVE))) }
                switch lt(seg, end)
                case 1 {
                    // The last V2/V3 run pays this contract: its last pool must pay WETH.
                    lastHopPaysWeth(sub(end, HOP_LEN), weth_)
                    let src := or(cur, SRC_FROM_PM)
                    if eq(seg, lo) {
                        src := or(weth_, mul(SRC_FROM_PM, and(mode, MODE_BORROW)))
                    }
                    segment(seg, end, address(), src, carry, pm)
                }
                default {
                    // The last hop is V4: its output `carry` of `cur` (WETH or ETH) is credited
                    // here; net it against a debt in the same currency, take the rest.
                    if and(iszero(iszero(debt)), eq(debtToken, cur)) {
                        carry := sub(carry, debt) // >= minProfit + bribe: checked before unlock
                        debt := 0
                    }
                    if carry { pmTake(pm, cur, address(), carry) }
                }
                if debt { settleDebt(pm, weth_, debtToken, debt) }
            }

            function sweep(to) {
                let token := calldataload(0x04)
                let amount := calldataload(0x24)
                if shr(ADDRESS_BITS, token) { fail(ERR_BAD_ROUTE) } // not an address
                switch token
                case 0 {
                    if iszero(call(gas(), to, amount, 0, 0, 0, 0)) {
                        fail(ERR_TRANSFER_FAILED)
                    }
                }
                default {
                    let m := mload(0x40)
                    mstore(m, SEL_TRANSFER) // bytes 0..3: transfer(address,uint256)
                    mstore(add(m, 0x04), to) // arg 0: the cold wallet, always
                    mstore(add(m, 0x24), amount) // arg 1: amount
                    mstore(0x00, 0) // clear the scratch word a returned bool lands in
                    let ok := call(gas(), token, 0, m, 0x44, 0x00, 0x20)
                    // Accept `true`, or no return data from a contract (USDT-style tokens).
                    switch returndatasize()
                    case 0 { ok := and(ok, iszero(iszero(extcodesize(token)))) }
                    default { ok := and(ok, eq(mload(0x00), 1)) }
                    if iszero(ok) { fail(ERR_TRANSFER_FAILED) }
                }
            }

            function returnWord(v) {
                mstore(0x00, v) // the return value
                return(0x00, 0x20)
            }

            // ------------------------------------------------------------ dispatch

            let word := calldataload(0)
            if eq(caller(), owner) {
                let mode := shr(BYTE0_SHIFT, word)
                if lt(mode, MODE_MAX) {
                    // ---- a program (the whole calldata) ----
                    let end := calldatasize()
                    let amountIn := shr(UINT96_SHIFT, calldataload(AMOUNT_IN_OFFSET))
                    // The minimum-profit check: the last hop's amount (every hop ends with it)
                    // must cover amountIn, the minimum profit and the bribe (a field present
                    // only with MODE_BRIBE).
                    let bribe :=
                        mul(
                            shr(UINT96_SHIFT, calldataload(BRIBE_OFFSET)),
                            and(shr(MODE_BRIBE_BIT, mode), 1)
                        )
                    // Amounts are below 2^128: the sum cannot overflow.
                    if lt(
                        shr(UINT128_SHIFT, calldataload(sub(end, AMOUNT_LEN))),
                        add(
                            add(amountIn, shr(UINT96_SHIFT, calldataload(MIN_PROFIT_OFFSET))),
                            bribe
                        )
                    ) { fail(ERR_UNPROFITABLE) }
                    switch and(mode, not(MODE_BRIBE))
                    case 0 {
                        // V2/V3 hops only: 2 to 4 whole hops of 37 bytes.
                        let hl := headerLen(mode)
                        let body := sub(end, hl) // wraps to a huge number when end < hl
                        if or(
                            or(lt(body, mul(MIN_HOPS, HOP_LEN)), gt(body, mul(MAX_HOPS, HOP_LEN))),
                            mod(body, HOP_LEN)
                        ) { fail(ERR_BAD_ROUTE) }
                        lastHopPaysWeth(sub(end, HOP_LEN), weth)
                        // WETH from the contract, or borrowed from the last hop when it calls
                        // back.
                        run(hl, end, address(), weth, amountIn)
                    }
                    default {
                        // A V4 program (MODE_V4, maybe MODE_BORROW): the whole program runs in
                        // unlockCallback, its structure checked there.
                        if or(and(mode, MODE_RESERVED), iszero(and(mode, MODE_V4))) {
                            fail(ERR_BAD_ROUTE)
                        }
                        // Arm: only the PoolManager may call back, once, during this unlock.
                        tstore(EXPECTED_CALLER_SLOT, manager)
                        let m := mload(0x40)
                        mstore(m, SEL_UNLOCK) // bytes 0..3: unlock(bytes)
                        mstore(add(m, 0x04), 0x20) // offset of `data`
                        mstore(add(m, 0x24), end) // data.length
                        // data: the whole program, zero-padded to a word (calldata past its end
                        // reads as zeros)
                        let padded := and(add(end, 31), not(31))
                        calldatacopy(add(m, 0x44), 0, padded)
                        if iszero(call(gas(), manager, 0, m, add(0x44, padded), 0, 0)) {
                            bubble()
                        }
                        // unlock returns our callback's (empty) bytes; an address without code
                        // (no PoolManager on this chain) returns nothing and ran nothing.
                        if iszero(returndatasize()) { fail(ERR_BAD_ROUTE) }
                    }
                    if bribe { payBuilder(weth, bribe) }
                    stop()
                }
                if eq(shr(SELECTOR_SHIFT, word), SEL_SWEEP) {
                    sweep(coldWallet)
                    stop()
                }
            }
            let sel := shr(SELECTOR_SHIFT, word)
            if or(eq(sel, SEL_UNISWAP_V2_CALL), eq(sel, SEL_UNISWAP_V3_CALLBACK)) {
                // ---- uniswapV2Call(address,uint256,uint256,bytes) /
                //      uniswapV3SwapCallback(int256,int256,bytes) ----
                // Only the armed caller, once.
                if iszero(eq(caller(), tload(EXPECTED_CALLER_SLOT))) {
                    fail(ERR_UNEXPECTED_CALLBACK)
                }
                tstore(EXPECTED_CALLER_SLOT, 0)
                // `d`: offset of `data`'s length word. `owed`: what a V3 pool asks for (its
                // positive delta); 0 for a V2 pair.
                let d := add(4, calldataload(0x64))
                let owed := 0
                if eq(sel, SEL_UNISWAP_V3_CALLBACK) {
                    d := add(4, calldataload(0x44))
                    owed := calldataload(0x04)
                    if iszero(sgt(owed, 0)) { owed := calldataload(0x24) }
                }
                let start := add(d, 0x20)
                let ctx := calldataload(start)
                let tag := shr(BYTE0_SHIFT, ctx)
                // The source: token | SRC_FROM_PM when the tag says so.
                let src :=
                    or(
                        and(shr(ADDRESS_AT_1_SHIFT, ctx), ADDRESS_MASK),
                        shl(SRC_FROM_PM_SHIFT, shr(TAG_FROM_PM_BIT, and(tag, TAG_FROM_PM)))
                    )
                let amount := shr(UINT128_SHIFT, calldataload(add(start, HOP_AMOUNT_OFFSET)))
                switch and(tag, TAG_PAY)
                case 1 {
                    // TAG_PAY: the caller is its run's first hop: pay it what a V3 pool asks (never
                    // more than its exact input), or the source amount for a V2 pair.
                    if gt(owed, amount) { fail(ERR_EXCESSIVE_INPUT) }
                    if iszero(owed) { owed := amount }
                    switch shr(SRC_FROM_PM_SHIFT, src)
                    case 0 { pay(src, caller(), owed) }
                    default { pmTake(manager, and(src, ADDRESS_MASK), caller(), owed) }
                }
                default {
                    // TAG_PREFIX: run the hops before the caller's, delivering to the caller.
                    run(add(start, CONTEXT_LEN), add(start, calldataload(d)), caller(), src, amount)
                }
                stop()
            }
            if eq(sel, SEL_UNLOCK_CALLBACK) {
                // ---- unlockCallback(bytes): our own unlock, from the PoolManager ----
                // Only the armed caller (the PoolManager, armed right before our unlock), once.
                if iszero(eq(caller(), tload(EXPECTED_CALLER_SLOT))) {
                    fail(ERR_UNEXPECTED_CALLBACK)
                }
                tstore(EXPECTED_CALLER_SLOT, 0)
                v4Program(manager, weth)
                mstore(0x00, 0x20) // returns bytes: offset
                mstore(0x20, 0) // length 0
                return(0x00, 0x40)
            }
            if eq(sel, SEL_OWNER) { returnWord(owner) }
            if eq(sel, SEL_COLD_WALLET) { returnWord(coldWallet) }
            if eq(sel, SEL_WETH) { returnWord(weth) }
            if eq(sel, SEL_POOL_MANAGER) { returnWord(manager) }
            fail(ERR_NOT_OWNER)
        }
    }
}

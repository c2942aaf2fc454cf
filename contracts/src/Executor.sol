// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IExecutor} from "./interfaces/IExecutor.sol";

/// @title Executor
/// @notice Runs one WETH -> ... -> WETH arbitrage cycle of 2 to 4 hops over Uniswap V2-style pairs
///         and Uniswap V3-style pools, with capital from the contract's own WETH or from the
///         cycle's last pool (a flash swap). Only the owner (the searcher EOA) can start
///         anything; only the pool the running execution just called can call back; swept funds
///         go only to the cold wallet. No approvals, no arbitrary calls, no storage writes.
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
///   then 2 to 4 hops in cycle order (hop 0 takes WETH in, the last hop pays WETH out), 37 bytes
///   0        1                                             21                          37
///   +--------+---------------------------------------------+---------------------------+
///   | flags  | pool / pair                      (address)  | amount          (uint128) |
///   +--------+---------------------------------------------+---------------------------+
///
///   mode  bit 2     a bribe field follows minProfit: paid to block.coinbase after the cycle,
///                   from the contract's ETH balance, unwrapping WETH for any shortfall
///         every other bit must be clear (0x01 and 0x02 were capital modes, now refused);
///         a mode byte is below 0x10, so a program never starts like a selector the contract
///         serves
///   flags bit 0     zeroForOne: the hop sells the pool's token0
///         bit 1     V2 pair swapped as a flash swap (output to this contract, then callback):
///                   capital borrowed from the last hop; meaningful on the last hop only
///         bit 2     V3 pool (exact input; always calls back)
///   amount          the hop's output: exact for a V2 pair (amountOut of `swap`), a checked minimum
///                   for a V3 pool. A V3 hop's exact input is the previous hop's amount (amountIn
///                   for hop 0).
/// ```
///
/// Every amount comes from the program: the searcher computes each V2 output with that pair's own
/// fee (997/1000 for Uniswap, other numbers for forks), so no fee constant lives here and any
/// V2-style fork works. A V2 pair's `swap` succeeds only if its K invariant holds after paying
/// exactly `amount`, so a completed final V2 swap proves that exactly `amount` of its output
/// token arrived; a V3 hop's output is checked against its minimum. The minimum-profit check
/// therefore needs no `balanceOf`: `lastAmount - amountIn >= minProfit + bribe`, every term fixed
/// by the program, so it runs before the first call and a losing program reverts with
/// Unprofitable() at once. What the program's numbers cannot prove is that the last hop's output
/// token is WETH: before the first call the contract asks the last pool for the token it pays
/// (`token1()` when zeroForOne, else `token0()`) and refuses the program unless it is WETH. That
/// one read also refuses a last pool without code (no return data) and a last hop whose
/// direction flag is flipped. Earlier hops cannot complete wrongly: each one's output is the next
/// pool's input, which that pool checks (K for a pair, the owed balance for a V3 pool), and a
/// fee-on-transfer token delivers less than the next pool needs, so the whole transaction
/// reverts.
///
/// ## Order of execution
///
/// A V2 pair must hold its input before `swap`; a V3 pool (and a V2 flash swap) sends its output
/// first and takes its input in the callback. The contract walks the hops backward from the last:
/// trailing plain V2 hops run last, in cycle order, each paying the next pair directly; a hop that
/// calls back runs everything before it inside its callback, the callback's `data` carrying that
/// prefix. Tokens go pool to pool; WETH enters and leaves through this contract once.
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
/// The source is what the run's first hop takes in (WETH and amountIn). `TAG_PAY`: the caller is
/// the run's first hop: pay it from the source (what a V3 pool asks, at most the source amount;
/// the source amount for a V2 pair). `TAG_PREFIX`: run the hops that follow (those before the
/// caller's), delivering to the caller. The data only says *what* to run: *whether* to run it is
/// decided by the transient slot that names the one address allowed to call back, armed right
/// before the call and cleared on first use.
///
/// ## Trust
///
/// Only the owner can start anything (programs and `sweep` check `caller == owner`), only the
/// armed pool can call back, `sweep` pays only the cold wallet, and no call has both its target
/// and its selector chosen by a caller: pools get `swap` (and `token0`/`token1` reads), WETH
/// `transfer`/`withdraw`, coinbase and the cold wallet plain ETH. No approval is ever given. The
/// owner is trusted with the pools it names: a program can pay the contract's WETH to any
/// address posing as a pair, so a leaked owner key endangers the inventory (never the cold
/// wallet); keep inventory small, prefer flash capital, sweep often. A named "pool" that never
/// calls back leaves the slot armed until the transaction ends; only an owner-named address
/// could use it.
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

    // mode
    uint256 private constant MODE_MAX = 0x10;
    uint256 private constant MODE_BRIBE = 0x04;
    /// @dev `MODE_BRIBE == 1 << MODE_BRIBE_BIT`.
    uint256 private constant MODE_BRIBE_BIT = 2;

    // hop flags
    uint256 private constant HOP_ZERO_FOR_ONE = 0x01;
    uint256 private constant HOP_V3 = 0x04;
    /// @dev HOP_V2_FLASH (0x02) | HOP_V3: the hop sends its output first and calls back.
    uint256 private constant HOP_CALLS_BACK = 0x06;

    // callback context tags
    uint256 private constant TAG_PREFIX = 0;
    uint256 private constant TAG_PAY = 1;
    uint256 private constant CONTEXT_LEN = 37;

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
    // Outgoing, right-aligned for `mstore(0, SEL)` + `staticcall(…, 0x1c, 4, …)`.
    /// @dev `token0()` (V2 pair, V3 pool) = 0x0dfe1681
    uint256 private constant SEL_TOKEN0 = 0x0dfe1681;
    /// @dev `token1()` (V2 pair, V3 pool) = 0xd21220a7
    uint256 private constant SEL_TOKEN1 = 0xd21220a7;

    // Incoming, right-aligned (compared with `shr(SELECTOR_SHIFT, calldataload(0))`).
    /// @dev `sweep(address,uint256)` = 0x6ea056a9
    uint256 private constant SEL_SWEEP = 0x6ea056a9;
    /// @dev `uniswapV2Call(address,uint256,uint256,bytes)` = 0x10d1e85c
    uint256 private constant SEL_UNISWAP_V2_CALL = 0x10d1e85c;
    /// @dev `uniswapV3SwapCallback(int256,int256,bytes)` = 0xfa461e33
    uint256 private constant SEL_UNISWAP_V3_CALLBACK = 0xfa461e33;
    /// @dev `owner()` = 0x8da5cb5b
    uint256 private constant SEL_OWNER = 0x8da5cb5b;
    /// @dev `coldWallet()` = 0x6be13c92
    uint256 private constant SEL_COLD_WALLET = 0x6be13c92;
    /// @dev `weth()` = 0x3fc8cef3
    uint256 private constant SEL_WETH = 0x3fc8cef3;

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

    /// @param owner_ The searcher EOA: the only account that may run programs and sweep.
    /// @param coldWallet_ The only destination of `sweep`.
    /// @param weth_ WETH9: every cycle starts and ends in it.
    constructor(address owner_, address coldWallet_, address weth_) {
        if (owner_ == address(0) || coldWallet_ == address(0) || weth_ == address(0)) {
            revert IExecutor.ZeroAddress();
        }
        OWNER = owner_;
        COLD_WALLET = coldWallet_;
        WETH = weth_;
    }

    /// @notice Accepts ETH: the builder-payment float, and WETH9 `withdraw` proceeds.
    receive() external payable {}

    /// @notice Programs and `sweep` (owner only), the two callbacks (armed caller only), and the
    ///         views of IExecutor (anyone).
    fallback() external payable {
        address owner = OWNER;
        address coldWallet = COLD_WALLET;
        address weth = WETH;
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

            /// Pays `amount` of `token` (WETH) from this contract to `to`.
            function pay(token, to, amount) {
                let m := mload(0x40)
                mstore(m, SEL_TRANSFER) // bytes 0..3: transfer(address,uint256)
                mstore(add(m, 0x04), to) // arg 0: recipient
                mstore(add(m, 0x24), amount) // arg 1: amount
                // WETH9 returns true or reverts: success alone proves the transfer.
                if iszero(call(gas(), token, 0, m, 0x44, 0, 0)) { bubble() }
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
            /// hop, by paying it from the source (TAG_PAY). The run's first hop takes `amount` of
            /// `token`. Its output goes to `recipient` (a V2 flash swap always pays this
            /// contract).
            function callbackHop(lo, c, recipient, token, amount) {
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
                mstore(dm, shl(BYTE0_SHIFT, eq(c, lo))) // data[0]: TAG_PAY if c is the first hop
                mstore(add(dm, 1), shl(ADDRESS_SHIFT, token)) // data[1..21]: source token
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

            /// Runs the hops [lo, hi), the first taking `amount` of `token` from this contract,
            /// and sends the last hop's output to `recipient`.
            function run(lo, hi, recipient, token, amount) {
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
                    callbackHop(lo, sub(hi, HOP_LEN), recipient, token, amount)
                    leave
                }
                // Deliver the input of hop p, the first plain V2 hop: from the source if it is
                // the run's first hop, else from the hop before it, which calls back ...
                let pool := and(shr(ADDRESS_AT_1_SHIFT, calldataload(p)), ADDRESS_MASK)
                switch eq(p, lo)
                case 1 { pay(token, pool, amount) }
                default { callbackHop(lo, sub(p, HOP_LEN), pool, token, amount) }
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
            function payBuilder(token, bribe) {
                let ethBalance := selfbalance()
                if lt(ethBalance, bribe) {
                    let m := mload(0x40)
                    mstore(m, SEL_WITHDRAW) // bytes 0..3: withdraw(uint256)
                    mstore(add(m, 0x04), sub(bribe, ethBalance)) // arg 0: wad, the shortfall
                    if iszero(call(gas(), token, 0, m, 0x24, 0, 0)) { bubble() }
                }
                if iszero(call(gas(), coinbase(), bribe, 0, 0, 0, 0)) { bubble() }
            }

            function sweep(to) {
                let token := calldataload(0x04)
                let amount := calldataload(0x24)
                if shr(160, token) { fail(ERR_BAD_ROUTE) } // not an address
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
                    if and(mode, not(MODE_BRIBE)) { fail(ERR_BAD_ROUTE) } // unknown mode bits
                    let hl := headerLen(mode)
                    let end := calldatasize()
                    // 2 to 4 whole hops.
                    let body := sub(end, hl) // wraps to a huge number when end < hl
                    if or(
                        or(lt(body, mul(MIN_HOPS, HOP_LEN)), gt(body, mul(MAX_HOPS, HOP_LEN))),
                        mod(body, HOP_LEN)
                    ) { fail(ERR_BAD_ROUTE) }
                    let amountIn := shr(UINT96_SHIFT, calldataload(AMOUNT_IN_OFFSET))
                    // The minimum-profit check: the last hop's amount must cover amountIn, the
                    // minimum profit and the bribe (a field present only with MODE_BRIBE).
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
                    lastHopPaysWeth(sub(end, HOP_LEN), weth)
                    // WETH from the contract, or borrowed from the last hop when it calls back.
                    run(hl, end, address(), weth, amountIn)
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
                let token := and(shr(ADDRESS_AT_1_SHIFT, ctx), ADDRESS_MASK)
                let amount := shr(UINT128_SHIFT, calldataload(add(start, HOP_AMOUNT_OFFSET)))
                switch shr(BYTE0_SHIFT, ctx)
                case 1 {
                    // TAG_PAY: the caller is its run's first hop: pay it what a V3 pool asks (never
                    // more than its exact input), or the source amount for a V2 pair.
                    if gt(owed, amount) { fail(ERR_EXCESSIVE_INPUT) }
                    if iszero(owed) { owed := amount }
                    pay(token, caller(), owed)
                }
                default {
                    // TAG_PREFIX: run the hops before the caller's, delivering to the caller.
                    run(
                        add(start, CONTEXT_LEN),
                        add(start, calldataload(d)),
                        caller(),
                        token,
                        amount
                    )
                }
                stop()
            }
            if eq(sel, SEL_OWNER) { returnWord(owner) }
            if eq(sel, SEL_COLD_WALLET) { returnWord(coldWallet) }
            if eq(sel, SEL_WETH) { returnWord(weth) }
            fail(ERR_NOT_OWNER)
        }
    }
}

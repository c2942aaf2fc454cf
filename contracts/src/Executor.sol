// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IExecutor} from "./interfaces/IExecutor.sol";

/// @title Executor
/// @notice Runs one WETH -> ... -> WETH arbitrage cycle of 2 to 4 hops over Uniswap V2-style pairs
///         and Uniswap V3-style pools, with capital from the contract's own WETH, from the cycle's
///         own pools (flash swaps), or from a Balancer V2 Vault flash loan. Only the owner (the
///         searcher EOA) can start anything; only the pool or vault the running execution just
///         called can call back; swept funds go only to the cold wallet. No approvals, no
///         arbitrary calls, no storage writes.
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
///   then 2..4 hops in cycle order (hop 0 takes WETH in, the last hop gives WETH out), 37 bytes each
///   0        1                                             21                          37
///   +--------+---------------------------------------------+---------------------------+
///   | flags  | pool / pair                      (address)  | amount          (uint128) |
///   +--------+---------------------------------------------+---------------------------+
///
///   mode  bits 0-1  capital: 0 DIRECT   inventory, or a flash swap from the last hop when it calls
///                                       back (a V3 pool, or a V2 pair flagged HOP_V2_FLASH)
///                            1 V3_FIRST the first hop (a V3 pool) lends: it pays its output to the
///                                       second pool, the rest of the cycle runs in its callback
///                            2 BALANCER a Balancer V2 Vault flash loan of amountIn WETH
///         bit 2     a bribe field follows minProfit: paid to block.coinbase
///         bit 3     pay the bribe by unwrapping WETH (else from the contract's ETH float)
///         A mode byte is always < 0x10, so a program never starts with a function selector the
///         contract serves.
///   flags bit 0     zeroForOne: the hop sells the pool's token0
///         bit 1     V2 pair swapped as a flash swap (output to this contract, then callback)
///         bit 2     V3 pool (exact input; always calls back)
///   amount          the hop's output: exact for a V2 pair (amountOut of `swap`), a checked minimum
///                   for a V3 pool. A V3 hop's exact input is the previous hop's amount (amountIn
///                   for hop 0).
/// ```
///
/// Every amount comes from the program: the searcher computes each V2 output with that pair's own
/// fee (997/1000 for Uniswap, other numbers for forks), so no fee constant lives here and any
/// V2-style fork works. A V2 pair's `swap` succeeds only if its K invariant holds after paying
/// exactly `amount`, so a completed final V2 swap proves that exactly `amount` WETH arrived; a V3
/// hop's output is checked against its minimum. The minimum-profit check therefore needs no
/// `balanceOf`: `lastAmount - amountIn - flashFee >= minProfit + bribe`, and since every term is
/// fixed by the program (the fee by the vault), it runs before the first call, so a losing program
/// reverts with Unprofitable() at once; a transaction that completes has realised at least that
/// profit. It is sound because the only token the contract counts is WETH9 (exact transfers), the
/// owner names the pools, and a fee-on-transfer token inside the cycle delivers less than the next
/// pool needs, so that pool's K (or V3 balance) check reverts the whole transaction.
///
/// ## Order of execution
///
/// A V2 pair must hold its input before `swap`; a V3 pool (and a V2 flash swap) sends its output
/// first and takes its input in the callback. The contract walks the hops backward from the last:
/// trailing plain V2 hops run last, in cycle order, each paying the next pair directly; a hop that
/// calls back runs everything before it inside its callback, the callback's `data` carrying the
/// program prefix. Tokens go pool to pool; WETH enters and leaves through this contract once.
///
/// ## Callback data: `tag (1 byte) ++ program prefix or whole program`
///
/// `TAG_PREFIX` (0): run the prefix's hops (those before the caller's), delivering to the caller.
/// `TAG_PAY` (2), followed by amountIn only: the caller is the first hop: pay it WETH.
/// `TAG_LENDER` (1): the caller is hop 0 of a V3_FIRST program: run hops 1.. to this contract,
/// then pay the caller. The data only says *what* to run: *whether* to run it is decided
/// by the transient slot that names the one address allowed to call back, armed right before the
/// call and cleared on first use. A V3 pool is paid exactly the delta it asks for (at most the
/// program's input, so the profit check stays conservative).
///
/// ## Trust
///
/// Only the owner can start anything (programs and `sweep` check `caller == owner`), only the
/// armed pool or vault can call back, `sweep` pays only the cold wallet, and no call has both its
/// target and its selector chosen by a caller: pools get `swap`, WETH `transfer`/`withdraw`, the
/// vault `flashLoan`, coinbase and the cold wallet plain ETH. No approval is ever given. The
/// owner is trusted with the pools it names: a program can pay the contract's WETH to any
/// address posing as a pair, so a leaked owner key endangers the inventory (never the cold
/// wallet); keep inventory small, prefer flash capital, sweep often. A named "pool" that never
/// calls back leaves the slot armed until the transaction ends; only an owner-named address
/// could use it.
contract Executor {
    // ------------------------------------------------------------------ program layout (bytes)
    uint256 private constant MODE_OFFSET = 0;
    uint256 private constant AMOUNT_IN_OFFSET = 1;
    uint256 private constant MIN_PROFIT_OFFSET = 13;
    uint256 private constant BRIBE_OFFSET = 25;
    uint256 private constant HEADER_LEN = 25;
    uint256 private constant BRIBE_LEN = 12;
    /// @dev Header amounts are uint96 (WETH wei): `shr(160, calldataload(offset))`.
    uint256 private constant WETH_AMOUNT_SHIFT = 160;

    uint256 private constant HOP_FLAGS_OFFSET = 0;
    uint256 private constant HOP_POOL_OFFSET = 1;
    uint256 private constant HOP_AMOUNT_OFFSET = 21;
    uint256 private constant HOP_LEN = 37;
    /// @dev Bytes from the end of a hop back to its amount field (`HOP_LEN - HOP_AMOUNT_OFFSET`).
    uint256 private constant HOP_AMOUNT_FROM_END = 16;
    /// @dev Hop amounts are uint128: `shr(HOP_AMOUNT_SHIFT, calldataload(offset))`.
    uint256 private constant HOP_AMOUNT_SHIFT = 128;

    // mode
    uint256 private constant MODE_MAX = 0x10;
    uint256 private constant CAPITAL_MASK = 0x03;
    uint256 private constant CAPITAL_DIRECT = 0;
    uint256 private constant CAPITAL_V3_FIRST = 1;
    uint256 private constant CAPITAL_BALANCER = 2;
    uint256 private constant MODE_BRIBE = 0x04;
    uint256 private constant MODE_BRIBE_FROM_WETH = 0x08;

    // hop flags
    uint256 private constant HOP_ZERO_FOR_ONE = 0x01;
    uint256 private constant HOP_V2_FLASH = 0x02;
    uint256 private constant HOP_V3 = 0x04;
    uint256 private constant HOP_CALLS_BACK = 0x06;

    // callback data tags
    uint256 private constant TAG_PREFIX = 0;
    uint256 private constant TAG_LENDER = 1;
    uint256 private constant TAG_PAY = 2;

    /// @dev Transient slot holding the only address allowed to call back next.
    uint256 private constant EXPECTED_CALLER_SLOT = 0;

    uint256 private constant ADDRESS_MASK = (1 << 160) - 1;
    /// @dev TickMath.MIN_SQRT_RATIO + 1 and TickMath.MAX_SQRT_RATIO - 1.
    uint256 private constant MIN_SQRT_RATIO_PLUS_ONE = 4295128740;
    uint256 private constant MAX_SQRT_RATIO_MINUS_ONE =
        1461446703485210103287273052203988822378723970341;

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
    /// @dev `flashLoan(address,address[],uint256[],bytes)` (Balancer V2 Vault) = 0x5c38449e
    uint256 private constant SEL_FLASH_LOAN =
        0x5c38449e00000000000000000000000000000000000000000000000000000000;

    // Incoming, right-aligned (compared with `shr(224, calldataload(0))`).
    /// @dev `sweep(address,uint256)` = 0x6ea056a9
    uint256 private constant SEL_SWEEP = 0x6ea056a9;
    /// @dev `uniswapV2Call(address,uint256,uint256,bytes)` = 0x10d1e85c
    uint256 private constant SEL_UNISWAP_V2_CALL = 0x10d1e85c;
    /// @dev `uniswapV3SwapCallback(int256,int256,bytes)` = 0xfa461e33
    uint256 private constant SEL_UNISWAP_V3_CALLBACK = 0xfa461e33;
    /// @dev `receiveFlashLoan(address[],uint256[],uint256[],bytes)` = 0xf04f2707
    uint256 private constant SEL_RECEIVE_FLASH_LOAN = 0xf04f2707;
    /// @dev `owner()` = 0x8da5cb5b
    uint256 private constant SEL_OWNER = 0x8da5cb5b;
    /// @dev `coldWallet()` = 0x6be13c92
    uint256 private constant SEL_COLD_WALLET = 0x6be13c92;
    /// @dev `weth()` = 0x3fc8cef3
    uint256 private constant SEL_WETH = 0x3fc8cef3;
    /// @dev `vault()` = 0xfbfa77cf
    uint256 private constant SEL_VAULT = 0xfbfa77cf;

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
    /// @dev `TransferFailed()` = 0x90b8ec18
    uint256 private constant ERR_TRANSFER_FAILED = 0x90b8ec18;

    // ------------------------------------------------------------------ immutables
    address private immutable OWNER;
    address private immutable COLD_WALLET;
    address private immutable WETH;
    address private immutable VAULT;

    /// @param owner_ The searcher EOA: the only account that may run programs and sweep.
    /// @param coldWallet_ The only destination of `sweep`.
    /// @param weth_ WETH9: every cycle starts and ends in it.
    /// @param vault_ The Balancer V2 Vault, or the zero address where there is none.
    constructor(address owner_, address coldWallet_, address weth_, address vault_) {
        if (owner_ == address(0) || coldWallet_ == address(0) || weth_ == address(0)) {
            revert IExecutor.ZeroAddress();
        }
        OWNER = owner_;
        COLD_WALLET = coldWallet_;
        WETH = weth_;
        VAULT = vault_;
    }

    /// @notice Accepts ETH: the builder-payment float, and WETH9 `withdraw` proceeds.
    receive() external payable {}

    /// @notice Programs and `sweep` (owner only), the three callbacks (armed caller only), and the
    ///         views of IExecutor (anyone).
    fallback() external payable {
        address owner = OWNER;
        address coldWallet = COLD_WALLET;
        address weth = WETH;
        address vault = VAULT;
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

            function payWeth(token, to, amount) {
                let m := mload(0x40)
                mstore(m, SEL_TRANSFER) // bytes 0..3: transfer(address,uint256)
                mstore(add(m, 0x04), to) // arg 0: recipient
                mstore(add(m, 0x24), amount) // arg 1: amount
                // WETH9 returns true or reverts: success alone proves the transfer.
                if iszero(call(gas(), token, 0, m, 0x44, 0, 0)) { bubble() }
            }

            /// A V3 exact-input swap whose callback data (`dataLen` bytes) is already at
            /// m + 0xc4; checks the output against `minOut`.
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
                mstore(add(m, 0xa4), dataLen) // data.length (data follows at 0xc4)
                // Returns (int256 amount0, int256 amount1) into scratch space 0x00..0x3f.
                if iszero(call(gas(), pool, 0, m, add(0xc4, dataLen), 0x00, 0x40)) {
                    bubble()
                }
                // The output is the negative delta: amount1 when zeroForOne, else amount0.
                if lt(sub(0, mload(shl(5, zeroForOne))), minOut) {
                    fail(ERR_INSUFFICIENT_OUTPUT)
                }
            }

            /// Calls the hop at `c` (a V3 pool or a V2 flash swap), whose callback delivers its
            /// input: by running the hops [lo, c) of the program at `hdr` (callback data
            /// TAG_PREFIX ++ the program up to c), or, when c is the run's first hop, by paying
            /// WETH (TAG_PAY ++ amountIn). Its output goes to `recipient` (a V2 flash swap always
            /// pays this contract).
            function callbackHop(hdr, lo, c, recipient) {
                let w := calldataload(c)
                let pool := and(shr(88, w), ADDRESS_MASK)
                // Arm: `pool`, and only it, may call back, once.
                tstore(EXPECTED_CALLER_SLOT, pool)
                let m := mload(0x40)
                let isV3 := and(shr(248, w), HOP_V3)
                // The callback data goes after the call's head: 0xa4 bytes for V2, 0xc4 for V3.
                let dm := add(m, add(0xa4, shl(3, isV3))) // HOP_V3 = 4: shl(3, 4) = 0x20
                let dataLen := 13
                switch eq(c, lo)
                case 1 {
                    mstore8(dm, TAG_PAY) // data[0]: tag
                    calldatacopy(add(dm, 1), add(hdr, AMOUNT_IN_OFFSET), 12) // data[1..13]: amountIn
                }
                default {
                    mstore8(dm, TAG_PREFIX) // data[0]: tag
                    dataLen := sub(c, hdr)
                    calldatacopy(add(dm, 1), hdr, dataLen) // data[1..]: header + hops before c
                    dataLen := add(dataLen, 1)
                }
                switch isV3
                case 0 {
                    // V2 flash swap: output to this contract, then uniswapV2Call(data)
                    let amountOut := shr(HOP_AMOUNT_SHIFT, calldataload(add(c, HOP_AMOUNT_OFFSET)))
                    let zeroForOne := and(shr(248, w), HOP_ZERO_FOR_ONE)
                    mstore(m, SEL_V2_SWAP) // bytes 0..3: swap(uint256,uint256,address,bytes)
                    mstore(add(m, 0x04), mul(amountOut, iszero(zeroForOne))) // amount0Out
                    mstore(add(m, 0x24), mul(amountOut, zeroForOne)) // amount1Out
                    mstore(add(m, 0x44), address()) // to: this contract, which the pair calls back
                    mstore(add(m, 0x64), 0x80) // offset of `data`
                    mstore(add(m, 0x84), dataLen) // data.length (data follows at 0xa4)
                    if iszero(call(gas(), pool, 0, m, add(0xa4, dataLen), 0, 0)) {
                        bubble()
                    }
                }
                default {
                    // V3: exact input = the previous hop's amount (amountIn for the first hop)
                    let amountIn := shr(WETH_AMOUNT_SHIFT, calldataload(add(hdr, AMOUNT_IN_OFFSET)))
                    if gt(c, lo) {
                        amountIn := shr(HOP_AMOUNT_SHIFT, calldataload(sub(c, HOP_AMOUNT_FROM_END)))
                    }
                    v3Swap(
                        m,
                        pool,
                        and(shr(248, w), HOP_ZERO_FOR_ONE),
                        amountIn,
                        recipient,
                        shr(HOP_AMOUNT_SHIFT, calldataload(add(c, HOP_AMOUNT_OFFSET))),
                        dataLen
                    )
                }
            }

            /// Runs the hops [lo, hi) of the program whose header is at `hdr`, sending the last
            /// hop's output to `recipient`. The first hop's input is paid in WETH (`token`) from
            /// this contract when `payFirst` is set (else it is already in place).
            function run(token, hdr, lo, hi, recipient, payFirst) {
                // Walk back over the trailing plain V2 hops: their input must be in the pair
                // before their swap, so they run last, in cycle order.
                let p := hi
                for {} gt(p, lo) {} {
                    let q := sub(p, HOP_LEN)
                    if and(shr(248, calldataload(q)), HOP_CALLS_BACK) { break }
                    p := q
                }
                if eq(p, hi) {
                    // The last hop calls back: everything before it runs inside its callback.
                    callbackHop(hdr, lo, sub(hi, HOP_LEN), recipient)
                    leave
                }
                // Deliver the input of hop p, the first plain V2 hop ...
                let pool := and(shr(88, calldataload(p)), ADDRESS_MASK)
                let m := mload(0x40)
                switch eq(p, lo)
                case 1 {
                    if payFirst {
                        mstore(m, SEL_TRANSFER) // bytes 0..3: transfer(address,uint256)
                        mstore(add(m, 0x04), pool) // arg 0: the first pair
                        // arg 1: the cycle's amountIn
                        mstore(
                            add(m, 0x24),
                            shr(WETH_AMOUNT_SHIFT, calldataload(add(hdr, AMOUNT_IN_OFFSET)))
                        )
                        // WETH9 returns true or reverts: success alone proves the transfer.
                        if iszero(call(gas(), token, 0, m, 0x44, 0, 0)) { bubble() }
                    }
                }
                default { callbackHop(hdr, lo, sub(p, HOP_LEN), pool) }
                // ... then swap the plain V2 hops in order, each paying the next pair, the last
                // one `recipient`. The call's fixed words are written once.
                mstore(m, SEL_V2_SWAP) // bytes 0..3: swap(uint256,uint256,address,bytes)
                mstore(add(m, 0x64), 0x80) // offset of `data`
                mstore(add(m, 0x84), 0) // data.length = 0: no callback
                for {} 1 {} {
                    let w := calldataload(p) // flags | pool | first bytes of the amount
                    p := add(p, HOP_LEN)
                    let to := recipient
                    if lt(p, hi) { to := and(shr(88, calldataload(p)), ADDRESS_MASK) }
                    let zeroForOne := and(shr(248, w), HOP_ZERO_FOR_ONE)
                    // amount0Out: token0 out when selling token1
                    mstore(
                        add(m, 0x04),
                        mul(
                            shr(HOP_AMOUNT_SHIFT, calldataload(sub(p, HOP_AMOUNT_FROM_END))),
                            iszero(zeroForOne)
                        )
                    )
                    // amount1Out: token1 out when selling token0
                    mstore(
                        add(m, 0x24),
                        mul(
                            shr(HOP_AMOUNT_SHIFT, calldataload(sub(p, HOP_AMOUNT_FROM_END))),
                            zeroForOne
                        )
                    )
                    mstore(add(m, 0x44), to) // to: the next pair, or `recipient`
                    if iszero(call(gas(), pool, 0, m, 0xa4, 0, 0)) { bubble() }
                    if iszero(lt(p, hi)) { break }
                    pool := to
                }
            }

            /// Pays the builder `bribe` wei by coinbase transfer, unwrapping WETH first if asked.
            function payBuilder(token, bribe, fromWeth) {
                if fromWeth {
                    let m := mload(0x40)
                    mstore(m, SEL_WITHDRAW) // bytes 0..3: withdraw(uint256)
                    mstore(add(m, 0x04), bribe) // arg 0: wad
                    if iszero(call(gas(), token, 0, m, 0x24, 0, 0)) { bubble() }
                }
                if iszero(call(gas(), coinbase(), bribe, 0, 0, 0, 0)) { bubble() }
            }

            /// The minimum-profit check: `out - cost >= minProfit + bribe`, where `out` is the
            /// last hop's amount (exact for a V2 pair, a checked minimum for a V3 pool) and
            /// `cost` the WETH that leaves for good (amountIn, plus a flash-loan fee). Every term
            /// is fixed by the program (the fee by the vault), so it runs before the first call.
            function checkProfit(hdr, mode, end, cost) {
                // The bribe field exists only with MODE_BRIBE (0x04): multiply by that bit.
                let bribe :=
                    mul(
                        shr(WETH_AMOUNT_SHIFT, calldataload(add(hdr, BRIBE_OFFSET))),
                        shr(2, and(mode, MODE_BRIBE))
                    )
                // Amounts are < 2^128 and the fee is the vault's: the sum cannot overflow.
                if lt(
                    shr(HOP_AMOUNT_SHIFT, calldataload(sub(end, HOP_AMOUNT_FROM_END))),
                    add(
                        add(
                            cost,
                            shr(WETH_AMOUNT_SHIFT, calldataload(add(hdr, MIN_PROFIT_OFFSET)))
                        ),
                        bribe
                    )
                ) { fail(ERR_UNPROFITABLE) }
            }

            function sweep(to) {
                let token := calldataload(0x04)
                let amount := calldataload(0x24)
                if shr(160, token) { fail(ERR_BAD_ROUTE) }
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
                let mode := shr(248, word)
                if lt(mode, MODE_MAX) {
                    // ---- a program (the whole calldata) ----
                    // The header is 25 bytes, 37 with a bribe (mode bit 0x04).
                    let hl := add(HEADER_LEN, mul(shr(2, and(mode, MODE_BRIBE)), BRIBE_LEN))
                    let end := calldatasize()
                    // At least two hops, and whole ones.
                    if or(lt(end, add(hl, mul(2, HOP_LEN))), mod(sub(end, hl), HOP_LEN)) {
                        fail(ERR_BAD_ROUTE)
                    }
                    let amountIn := shr(WETH_AMOUNT_SHIFT, calldataload(AMOUNT_IN_OFFSET))
                    // The minimum-profit check (see checkProfit; written out on the hot path):
                    // the bribe field exists only with MODE_BRIBE (0x04).
                    let bribe :=
                        mul(
                            shr(WETH_AMOUNT_SHIFT, calldataload(BRIBE_OFFSET)),
                            shr(2, and(mode, MODE_BRIBE))
                        )
                    if lt(
                        shr(HOP_AMOUNT_SHIFT, calldataload(sub(end, HOP_AMOUNT_FROM_END))),
                        add(
                            add(amountIn, shr(WETH_AMOUNT_SHIFT, calldataload(MIN_PROFIT_OFFSET))),
                            bribe
                        )
                    ) { fail(ERR_UNPROFITABLE) }
                    switch and(mode, CAPITAL_MASK)
                    case 0 {
                        // CAPITAL_DIRECT: WETH from the contract, or borrowed from the last hop.
                        run(weth, MODE_OFFSET, hl, end, address(), 1)
                    }
                    case 1 {
                        // CAPITAL_V3_FIRST: hop 0 (a V3 pool) pays its output to hop 1's pool
                        // and lends it: the rest of the cycle runs in its callback and repays it.
                        let w := calldataload(hl)
                        let pool := and(shr(88, w), ADDRESS_MASK)
                        tstore(EXPECTED_CALLER_SLOT, pool) // arm: only hop 0's pool may call back
                        let m := mload(0x40)
                        mstore8(add(m, 0xc4), TAG_LENDER) // data[0]: tag
                        calldatacopy(add(m, 0xc5), 0, end) // data[1..]: the whole program
                        v3Swap(
                            m,
                            pool,
                            and(shr(248, w), HOP_ZERO_FOR_ONE),
                            amountIn,
                            and(shr(88, calldataload(add(hl, HOP_LEN))), ADDRESS_MASK),
                            shr(HOP_AMOUNT_SHIFT, calldataload(add(hl, HOP_AMOUNT_OFFSET))),
                            add(end, 1)
                        )
                    }
                    case 2 {
                        // CAPITAL_BALANCER: borrow amountIn WETH; the cycle, the repayment and
                        // the profit check with the vault's fee run in receiveFlashLoan.
                        tstore(EXPECTED_CALLER_SLOT, vault) // arm: only the vault may call back
                        let m := mload(0x40)
                        mstore(m, SEL_FLASH_LOAN) // bytes 0..3: flashLoan(address,address[],uint256[],bytes)
                        mstore(add(m, 0x04), address()) // recipient: this contract
                        mstore(add(m, 0x24), 0x80) // offset of tokens
                        mstore(add(m, 0x44), 0xc0) // offset of amounts
                        mstore(add(m, 0x64), 0x100) // offset of userData
                        mstore(add(m, 0x84), 1) // tokens.length
                        mstore(add(m, 0xa4), weth) // tokens[0]: WETH
                        mstore(add(m, 0xc4), 1) // amounts.length
                        mstore(add(m, 0xe4), amountIn) // amounts[0]: the cycle's input
                        mstore(add(m, 0x104), end) // userData.length
                        // userData: the whole program, zero-padded to a word (calldata past its
                        // end reads as zeros)
                        let padded := and(add(end, 31), not(31))
                        calldatacopy(add(m, 0x124), 0, padded)
                        if iszero(call(gas(), vault, 0, m, add(0x124, padded), 0, 0)) {
                            bubble()
                        }
                    }
                    default { fail(ERR_BAD_ROUTE) }
                    if bribe { payBuilder(weth, bribe, and(mode, MODE_BRIBE_FROM_WETH)) }
                    stop()
                }
                if eq(shr(224, word), SEL_SWEEP) {
                    sweep(coldWallet)
                    stop()
                }
            }
            let sel := shr(224, word)
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
                switch shr(248, calldataload(start))
                case 2 {
                    // TAG_PAY: the caller is its run's first hop: pay it WETH, what a V3 pool asks
                    // or amountIn (data[1..13]) for a V2 pair.
                    if iszero(owed) { owed := shr(WETH_AMOUNT_SHIFT, calldataload(add(start, 1))) }
                    let m := mload(0x40)
                    mstore(m, SEL_TRANSFER) // bytes 0..3: transfer(address,uint256)
                    mstore(add(m, 0x04), caller()) // arg 0: the pool
                    mstore(add(m, 0x24), owed) // arg 1: amount
                    if iszero(call(gas(), weth, 0, m, 0x44, 0, 0)) { bubble() }
                }
                case 0 {
                    // TAG_PREFIX: run the hops before the caller's, delivering to the caller. In a
                    // V3_FIRST program hop 0 already delivered hop 1's input: start at hop 1.
                    let hdr := add(start, 1)
                    let mode := shr(248, calldataload(hdr))
                    let lender := eq(and(mode, CAPITAL_MASK), CAPITAL_V3_FIRST)
                    // hops start after the header: 25 bytes, 37 with a bribe (mode bit 0x04)
                    let lo :=
                        add(add(hdr, HEADER_LEN), mul(shr(2, and(mode, MODE_BRIBE)), BRIBE_LEN))
                    run(
                        weth,
                        hdr,
                        add(lo, mul(lender, HOP_LEN)),
                        add(start, calldataload(d)),
                        caller(),
                        iszero(lender)
                    )
                }
                default {
                    // TAG_LENDER: the caller, hop 0, already paid hop 1's pool. Run hops 1.. to
                    // this contract, then repay the caller in WETH.
                    let hdr := add(start, 1)
                    let mode := shr(248, calldataload(hdr))
                    let lo :=
                        add(add(hdr, HEADER_LEN), mul(shr(2, and(mode, MODE_BRIBE)), BRIBE_LEN))
                    run(weth, hdr, add(lo, HOP_LEN), add(start, calldataload(d)), address(), 0)
                    payWeth(weth, caller(), owed)
                }
                stop()
            }
            if eq(sel, SEL_RECEIVE_FLASH_LOAN) {
                // ---- receiveFlashLoan(address[],uint256[],uint256[],bytes) ----
                // Only the armed caller (the vault), once.
                if iszero(eq(caller(), tload(EXPECTED_CALLER_SLOT))) {
                    fail(ERR_UNEXPECTED_CALLBACK)
                }
                tstore(EXPECTED_CALLER_SLOT, 0)
                let fee := calldataload(add(calldataload(0x44), 0x24)) // feeAmounts[0]
                let d := add(4, calldataload(0x64)) // userData's length word
                let hdr := add(d, 0x20)
                let end := add(hdr, calldataload(d))
                let mode := shr(248, calldataload(hdr))
                let cost :=
                    add(shr(WETH_AMOUNT_SHIFT, calldataload(add(hdr, AMOUNT_IN_OFFSET))), fee)
                checkProfit(hdr, mode, end, cost)
                run(
                    weth,
                    hdr,
                    add(add(hdr, HEADER_LEN), mul(shr(2, and(mode, MODE_BRIBE)), BRIBE_LEN)),
                    end,
                    address(),
                    1
                )
                payWeth(weth, caller(), cost) // repay the vault
                stop()
            }
            if eq(sel, SEL_OWNER) { returnWord(owner) }
            if eq(sel, SEL_COLD_WALLET) { returnWord(coldWallet) }
            if eq(sel, SEL_WETH) { returnWord(weth) }
            if eq(sel, SEL_VAULT) { returnWord(vault) }
            fail(ERR_NOT_OWNER)
        }
    }
}
